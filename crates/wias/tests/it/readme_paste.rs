//! The README's Rust examples compile when pasted into a new project: whole programs
//! (no hidden `#` lines that only rustdoc fills in), using nothing but `wias` and std
//! (no dev-only crate such as `tempfile`, which doc tests would quietly provide), and
//! the README shows the `[dependencies]` line to use.
//!
//! Each block is type-checked by `rustc --emit=metadata` with `wias` as its only
//! extern crate, exactly what a new project with that one dependency sees; no cargo
//! project and no second build of the dependencies, so it takes about a second.

use std::path::{Path, PathBuf};
use std::process::Command;

fn readme() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    std::fs::read_to_string(root).unwrap()
}

/// The bodies of the README's fenced blocks whose info string is `lang`.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) if info.trim() == lang => current = Some(String::new()),
            (Some(_), Some("")) => out.push(current.take().unwrap()),
            (Some(body), _) => {
                body.push_str(line);
                body.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// The `wias` rlib this test was built against (the newest beside the test binary)
/// and the directory of its dependencies.
fn wias_rlib() -> (PathBuf, PathBuf) {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let rlib = std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.starts_with("libwias-") && n.ends_with(".rlib")
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .expect("libwias-*.rlib beside the test binary")
        .path();
    (rlib, deps)
}

#[test]
fn readme_shows_the_dependencies_line() {
    let toml = blocks(&readme(), "toml");
    assert!(
        toml.iter()
            .any(|b| b.contains("[dependencies]") && b.contains("wias = { path = ")),
        "README needs a ```toml block with [dependencies] and the wias line"
    );
}

/// Type-checks `code` as a binary crate `name` whose only dependency is wias (as a
/// new project with the README's `[dependencies]` line has).
fn compile_with_wias_only(name: &str, code: &str) -> std::process::Output {
    let (rlib, deps) = wias_rlib();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("readme_paste");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join(format!("{name}.rs"));
    std::fs::write(&src, code).unwrap();
    Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "bin",
            "--emit=metadata",
        ])
        .arg("-o")
        .arg(dir.join(format!("{name}.rmeta")))
        .arg("--extern")
        .arg(format!("wias={}", rlib.display()))
        .arg("-L")
        .arg(format!("dependency={}", deps.display()))
        .arg(&src)
        .output()
        .expect("rustc")
}

#[test]
fn readme_rust_examples_compile_pasted_into_a_new_project() {
    let text = readme();
    let examples = blocks(&text, "rust");
    assert!(
        examples.len() >= 2,
        "README Rust examples: {}",
        examples.len()
    );
    for (i, code) in examples.iter().enumerate() {
        for line in code.lines() {
            assert!(
                !(line.trim_start().starts_with("# ") || line.trim() == "#"),
                "example {i}: a rustdoc hidden line does not paste: {line:?}"
            );
        }
        assert!(
            code.contains("fn main"),
            "example {i} is not a whole program"
        );
        let o = compile_with_wias_only(&format!("example{i}"), code);
        assert!(
            o.status.success(),
            "README example {i} does not compile in a project that depends only on wias:\n{}\n{code}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// The check itself catches what it is for: a snippet using a dev-only crate.
#[test]
fn a_snippet_using_a_dev_only_crate_is_caught() {
    let o = compile_with_wias_only(
        "devdep",
        "fn main() { let _d = tempfile::tempdir(); let _ = wias::PixelType::Gray8; }\n",
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("tempfile"));
}
