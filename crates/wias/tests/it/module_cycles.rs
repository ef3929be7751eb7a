//! No import cycle between the library's modules (issue 20): data flow one way, so a
//! module's imports say what it builds on. This reads `crates/wias/src`, follows every
//! `use` and every `crate::` / `super::` / `self::` path outside the unit tests
//! (through `pub use` re-exports to the module that defines the item), and fails on a
//! cycle of modules that is not in [`ALLOWED`]. A module's use of its own submodules
//! (a facade re-exporting them) is not an edge: only a sibling or an ancestor's item is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Cycles being broken elsewhere, allowed until then (each as its modules, sorted).
/// Remove an entry when its cycle is gone: the test fails on an entry that no longer
/// matches, so the list cannot go stale.
const ALLOWED: &[&[&str]] = &[
    // codec::check (the device-page validator) and codec::jpeg (the JPEG codec) use
    // each other's JPEG facts; both are to rest on codec::jpeg_stream alone.
    &["codec::check", "codec::jpeg"],
    // The PDF reader's lexer and stream decoding call into each other through the
    // reader; to be layered lexer → decode → reader.
    &["pdf::decode", "pdf::lexer", "pdf::reader"],
];

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Module path ("tiff::writer"; "" for the crate root) of every source file.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            let join = |s: &str| {
                if prefix.is_empty() {
                    s.to_string()
                } else {
                    format!("{prefix}::{s}")
                }
            };
            if p.is_dir() {
                walk(&p, &join(&stem), out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let name = match stem.as_str() {
                    "lib" | "mod" => prefix.to_string(),
                    s => join(s),
                };
                out.insert(name, code_of(&std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(Path::new(SRC), "", &mut out);
    out
}

/// The source without comments, string and char literals, and the unit tests.
fn code_of(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &src[i..];
        if let Some(attr) = ["#[cfg(test)]", "#[cfg(doc)]"]
            .into_iter()
            .find(|a| rest.starts_with(a))
        {
            // Unit tests and what only rustdoc sees are not the module's imports:
            // skip the item that follows, to its closing brace or semicolon.
            let mut j = i + attr.len();
            let mut depth = 0;
            while j < b.len() {
                match b[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            j += 1;
                            break;
                        }
                    }
                    b';' if depth == 0 => {
                        j += 1;
                        break;
                    }
                    _ => {}
                }
                j += 1;
            }
            i = j;
        } else if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |k| k + 2);
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].bytes().take_while(|&c| c == b'#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            i += body + rest[body..].find(&close).unwrap_or(rest.len() - body) + close.len();
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            i = j + 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && (rest.get(2..3) == Some("'") || rest.starts_with("'\\")) {
            // A char literal ('a', '\n'), not a lifetime.
            let end = rest[1..].find('\'').unwrap_or(0) + 2;
            i += end;
            out.push_str("' '");
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The full paths a `use` tree names (`a::{b, c::d as e}` → a::b, a::c::d).
fn expand_use(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let mut base = prefix.to_vec();
        base.extend(segments(&tree[..open]));
        let inner = &tree[open + 1..tree.rfind('}').unwrap()];
        let (mut depth, mut start) = (0, 0);
        for (k, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_use(&inner[start..k], &base, out);
                    start = k + 1;
                }
                _ => {}
            }
        }
        expand_use(&inner[start..], &base, out);
    } else if !tree.is_empty() {
        let tree = tree.split(" as ").next().unwrap();
        let mut p = prefix.to_vec();
        p.extend(segments(tree));
        out.push(p);
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// A path a module names, and whether a `pub use` names it (a re-export).
type Named = (Vec<String>, bool);

/// Every path the code of a module names: from `use` items (with whether it is a
/// `pub use`) and inline `crate::` / `super::` / `self::` paths.
fn paths(code: &str) -> Vec<Named> {
    let mut out = Vec::new();
    let mut search = 0;
    while let Some(k) = code[search..].find("use ") {
        let at = search + k;
        search = at + 4;
        if at > 0 && is_ident(code[..at].chars().last().unwrap()) {
            continue; // `reuse `, ...
        }
        let Some(end) = code[at..].find(';') else {
            break;
        };
        let line_start = code[..at].rfind(['\n', ';', '{', '}']).map_or(0, |p| p + 1);
        let public = code[line_start..at].contains("pub");
        let mut trees = Vec::new();
        expand_use(&code[at + 4..at + end], &[], &mut trees);
        out.extend(trees.into_iter().map(|t| (t, public)));
        search = at + end;
    }
    for root in ["crate::", "super::", "self::"] {
        let mut search = 0;
        while let Some(k) = code[search..].find(root) {
            let at = search + k;
            search = at + root.len();
            if at > 0 && is_ident(code[..at].chars().last().unwrap()) {
                continue;
            }
            let len = code[at..]
                .find(|c: char| !(is_ident(c) || c == ':'))
                .unwrap_or(code.len() - at);
            out.push((segments(&code[at..at + len]), false));
        }
    }
    out
}

fn parent(m: &str) -> String {
    m.rsplit_once("::")
        .map_or(String::new(), |(p, _)| p.to_string())
}

fn child(m: &str, s: &str) -> String {
    if m.is_empty() {
        s.to_string()
    } else {
        format!("{m}::{s}")
    }
}

/// The module a path used in module `from` reaches: as far as its segments name
/// modules, then through a `pub use` of the module it is in.
fn resolve(
    from: &str,
    path: &[String],
    mods: &BTreeMap<String, String>,
    exports: &BTreeMap<(String, String), Vec<String>>,
    depth: u32,
) -> Option<String> {
    let mut cur = from.to_string();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            cur = String::new();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                cur = parent(&cur);
                rest = &rest[1..];
            }
        }
        Some(s) if mods.contains_key(&child(from, s)) => {}
        _ => return None, // std::, another crate, a local name
    }
    for s in rest {
        let next = child(&cur, s);
        if mods.contains_key(&next) {
            cur = next;
        } else if let Some(target) = exports.get(&(cur.clone(), s.clone())) {
            if depth > 8 {
                return Some(cur);
            }
            return resolve(&cur, target, mods, exports, depth + 1).or(Some(cur));
        } else {
            break;
        }
    }
    Some(cur)
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !t.index.contains_key(w) {
                visit(t, w);
                let l = t.low[w].min(t.low[v]);
                t.low.insert(v, l);
            } else if t.on.contains(w) {
                let l = t.index[w].min(t.low[v]);
                t.low.insert(v, l);
            }
        }
        if t.low[v] == t.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                scc.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                t.out.push(scc);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out.sort();
    t.out
}

/// The module graph: module → the modules it imports (not its own submodules).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules();
    let mut exports = BTreeMap::new();
    let all: Vec<(String, Vec<Named>)> = mods
        .iter()
        .map(|(m, code)| (m.clone(), paths(code)))
        .collect();
    for (m, ps) in &all {
        for (p, public) in ps {
            if *public {
                if let Some(name) = p.last() {
                    exports.insert((m.clone(), name.clone()), p.clone());
                }
            }
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, ps) in &all {
        let set = edges.entry(m.clone()).or_default();
        for (p, _) in ps {
            let Some(to) = resolve(m, p, &mods, &exports, 0) else {
                continue;
            };
            let own = m.is_empty() || to == *m || to.starts_with(&format!("{m}::"));
            if !own && !to.is_empty() {
                set.insert(to);
            }
        }
    }
    edges
}

#[test]
fn the_library_has_no_module_import_cycle() {
    let edges = graph();
    // The graph is the code's: a few edges every version of the crate has.
    assert!(edges["tiff::writer"].contains("tiff::layout"), "{edges:?}");
    assert!(
        edges["tiff::reader"].contains("tiff::byteorder"),
        "{edges:?}"
    );
    let found = cycles(&edges);
    let allowed: Vec<Vec<String>> = ALLOWED
        .iter()
        .map(|c| c.iter().map(|s| s.to_string()).collect())
        .collect();
    let new: Vec<_> = found.iter().filter(|c| !allowed.contains(c)).collect();
    assert!(new.is_empty(), "import cycles between modules: {new:?}");
    let gone: Vec<_> = allowed.iter().filter(|c| !found.contains(c)).collect();
    assert!(
        gone.is_empty(),
        "cycles allowed in ALLOWED that no longer exist (remove them): {gone:?}"
    );
}
