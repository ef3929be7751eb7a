//! The document state of an existing PDF, read so that an append agrees with qpdf,
//! poppler and MuPDF on what the file holds, or refuses it untouched.
//!
//! Beyond the cross-reference history ([`super::reader`]), the whole page tree is
//! walked once: every node's `/Count` must be the pages under it (a `/Count` of 2^63
//! is not written back plus one), no object may be reached twice (a `/Kids` cycle,
//! on any edge, or a shared page), and every page must be a `/Page` dictionary where
//! its cross-reference entry says (a wrong offset for a middle page is caught here,
//! not by a reader later). The walk reads each page's dictionary, never its content,
//! and keeps the set of object numbers seen: opening costs O(pages) small reads.

use std::collections::HashSet;
use std::io::{Read, Seek};

use super::archive;
use super::document::{Archive, Document, Start};
use super::lexer::{Parsed, Val};
use super::reader::{ExistingPdf, ObjRef, ReadObject, MAX_OBJECTS};
use super::tree::{Node, PageTree};
use crate::error::{Error, Result};

fn damaged(why: impl Into<String>) -> Error {
    Error::CorruptPdf(why.into())
}

/// The document state of the PDF in `file`: its last trailer, catalog, the right edge
/// of its page tree, and the first object number no section uses.
pub(crate) fn resume<F: Read + Seek>(file: &mut F) -> Result<Document> {
    let mut pdf = ExistingPdf::open(file)?;
    let end = pdf.len;
    let trailer = pdf.trailer().clone();
    let root = as_ref(trailer.get(b"Root"), "the trailer's /Root")?;
    let mut info_obj = None;
    let info = match trailer.get(b"Info") {
        None => None,
        p => {
            let r = as_ref(p, "the trailer's /Info")?;
            if !pdf.exists(r) {
                return Err(damaged(format!(
                    "the trailer's /Info {} {} R names no object",
                    r.num, r.gen
                )));
            }
            info_obj = Some(pdf.dict(r)?);
            Some(r)
        }
    };
    let mut trailer_extra = Vec::new();
    if let Some(id) = trailer.get(b"ID") {
        match &id.val {
            Val::Array(items) if items.len() == 2 && items.iter().all(|i| i.val == Val::Str) => {}
            _ => {
                return Err(damaged(
                    "the trailer's /ID is not an array of two strings (an update must repeat it)",
                ))
            }
        }
        trailer_extra.extend_from_slice(b" /ID ");
        trailer_extra.extend_from_slice(pdf.trailer_raw(id));
    }
    let next_num = pdf.max_size.max(pdf.max_num + 1);

    let catalog = pdf.dict(root)?;
    expect_type(&catalog.value, b"Catalog", "the catalog")?;
    let pages = as_ref(catalog.value.get(b"Pages"), "the catalog's /Pages")?;
    let catalog_extra = other_entries(&catalog, &[b"Type", b"Pages"]);
    let has_id = trailer.get(b"ID").is_some();
    let (archive, not_archive) = match archive_state(&mut pdf, &catalog, info_obj.as_ref(), has_id)
    {
        Ok(a) => (Some(a), None),
        Err(why) => (None, Some(why)),
    };

    let total = walk(&mut pdf, pages)?;
    let path = right_edge(&mut pdf, pages)?;
    debug_assert_eq!(path[0].count, total);
    if root.gen != 0 {
        return Err(Error::Unsupported(
            "the PDF's catalog is not generation 0; wias does not append to it".into(),
        ));
    }
    Ok(Document {
        end,
        next_num,
        tree: PageTree { path },
        catalog: root,
        catalog_root: Some(pages),
        catalog_extra,
        info,
        trailer_extra,
        prev_xref: Some(pdf.last_xref),
        xref_kind: pdf.kind,
        start: Start::default(),
        archive,
        not_archive,
        font: None,
    })
}

/// The PDF/A state of a file that declares PDF/A-2 or -3, conformance B or U (which
/// image pages keep), with an output intent; else why it is not one wias keeps.
fn archive_state<F: Read + Seek>(
    pdf: &mut ExistingPdf<F>,
    catalog: &ReadObject,
    info: Option<&ReadObject>,
    has_id: bool,
) -> std::result::Result<Archive, String> {
    let metadata = match catalog.value.get(b"Metadata").map(|p| &p.val) {
        Some(Val::Ref(r)) => *r,
        _ => return Err("its catalog has no XMP metadata stream".into()),
    };
    let xmp = pdf
        .stream(metadata)
        .map_err(|e| format!("its XMP metadata cannot be read ({e})"))?;
    let xmp = String::from_utf8(xmp).map_err(|_| "its XMP metadata is not UTF-8".to_string())?;
    let (part, conf) = archive::identification(&xmp)
        .ok_or("its XMP metadata declares no PDF/A conformance (pdfaid:part)")?;
    let keeps = match part.as_str() {
        "1" => conf.eq_ignore_ascii_case("B"),
        "2" | "3" => conf.eq_ignore_ascii_case("B") || conf.eq_ignore_ascii_case("U"),
        _ => false,
    };
    if !keeps {
        return Err(format!(
            "it declares PDF/A-{part}{}, and wias keeps only PDF/A-1b, 2b, 2u, 3b and 3u",
            conf.to_lowercase()
        ));
    }
    if !has_id {
        return Err("its trailer has no /ID".into());
    }
    let rgb = output_intent_space(pdf, catalog)?;
    if metadata.gen != 0 {
        return Err("its metadata stream is not generation 0".into());
    }
    Ok(Archive {
        metadata,
        xmp,
        // Unknown: the first update writes the packet with its own modify date.
        modified: None,
        info_entries: info.map_or_else(Vec::new, |i| other_entries(i, &[b"ModDate"])),
        rgb: rgb == *b"RGB ",
        part: if part == "1" { 1 } else { 2 },
        time: None,
    })
}

/// The colour space of the first output intent's destination profile (ICC header
/// bytes 16..20).
fn output_intent_space<F: Read + Seek>(
    pdf: &mut ExistingPdf<F>,
    catalog: &ReadObject,
) -> std::result::Result<[u8; 4], String> {
    let no = || "its catalog has no output intent wias can read".to_string();
    let Some(Val::Array(items)) = catalog.value.get(b"OutputIntents").map(|p| &p.val) else {
        return Err(no());
    };
    let first = items.first().ok_or_else(no)?;
    let profile = match &first.val {
        Val::Ref(r) => {
            let d = pdf.dict(*r).map_err(|e| e.to_string())?;
            match d.value.get(b"DestOutputProfile").map(|p| &p.val) {
                Some(Val::Ref(p)) => *p,
                _ => return Err(no()),
            }
        }
        Val::Dict(_) => match first.get(b"DestOutputProfile").map(|p| &p.val) {
            Some(Val::Ref(p)) => *p,
            _ => return Err(no()),
        },
        _ => return Err(no()),
    };
    let icc = pdf
        .stream(profile)
        .map_err(|e| format!("its output intent's profile cannot be read ({e})"))?;
    icc.get(16..20)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(no)
}

/// Pages under `root`, checking every node's `/Count` and `/Type`, and that no
/// object is reached twice.
fn walk<F: Read + Seek>(pdf: &mut ExistingPdf<F>, root: ObjRef) -> Result<u64> {
    struct Frame {
        id: ObjRef,
        kids: Vec<ObjRef>,
        next: usize,
        count: u64,
        sum: u64,
    }
    let mut seen: HashSet<u32> = HashSet::new();
    let open = |pdf: &mut ExistingPdf<F>, id: ObjRef| -> Result<Frame> {
        let node = pdf.dict(id)?;
        expect_type(&node.value, b"Pages", "a page-tree node")?;
        let (kids, count) = kids_and_count(&node.value, id)?;
        Ok(Frame {
            id,
            kids,
            next: 0,
            count,
            sum: 0,
        })
    };
    seen.insert(root.num);
    let mut stack = vec![open(pdf, root)?];
    loop {
        let top = stack.last_mut().expect("a node");
        if top.next == top.kids.len() {
            let done = stack.pop().expect("a node");
            if done.sum != done.count {
                return Err(damaged(format!(
                    "page-tree node {} {} says /Count {} but holds {} pages",
                    done.id.num, done.id.gen, done.count, done.sum
                )));
            }
            match stack.last_mut() {
                Some(parent) => parent.sum += done.sum,
                None => return Ok(done.sum),
            }
            continue;
        }
        let kid = top.kids[top.next];
        top.next += 1;
        if !seen.insert(kid.num) {
            return Err(damaged(format!(
                "the page tree reaches object {} {} twice (a /Kids cycle, or a page listed twice)",
                kid.num, kid.gen
            )));
        }
        let obj = pdf.dict(kid)?;
        match type_of(&obj.value) {
            Some(b"Page") => top.sum += 1,
            Some(b"Pages") => {
                if stack.len() >= 64 {
                    return Err(damaged("the page tree is more than 64 levels deep"));
                }
                let (kids, count) = kids_and_count(&obj.value, kid)?;
                stack.push(Frame {
                    id: kid,
                    kids,
                    next: 0,
                    count,
                    sum: 0,
                });
            }
            _ => {
                return Err(damaged(format!(
                    "page-tree kid {} {} is neither /Page nor /Pages",
                    kid.num, kid.gen
                )))
            }
        }
    }
}

/// The right edge: from the root, the last kid while it is a `/Pages` node.
fn right_edge<F: Read + Seek>(pdf: &mut ExistingPdf<F>, root: ObjRef) -> Result<Vec<Node>> {
    let mut path: Vec<Node> = Vec::new();
    let mut cur = root;
    let mut parent = None;
    let mut inherits = false;
    loop {
        let node = pdf.dict(cur)?;
        let (kids, count) = kids_and_count(&node.value, cur)?;
        let extra = other_entries(&node, &[b"Type", b"Kids", b"Count", b"Parent"]);
        // A node with attributes of its own (inherited by its pages), its descendants,
        // and nodes of another generation take no new kids.
        inherits |= !extra.is_empty() || cur.gen != 0;
        path.push(Node {
            id: cur,
            kids: kids.clone(),
            count,
            parent,
            foreign: inherits.then_some(extra),
        });
        let Some(&last) = kids.last() else { break };
        let kid = pdf.dict(last)?;
        if type_of(&kid.value) != Some(b"Pages") {
            break; // a /Page: the walk checked it
        }
        parent = Some(cur);
        cur = last;
    }
    Ok(path)
}

fn kids_and_count(node: &Parsed, id: ObjRef) -> Result<(Vec<ObjRef>, u64)> {
    let kids = match node.get(b"Kids").map(|p| &p.val) {
        Some(Val::Array(items)) => items
            .iter()
            .map(|i| as_ref(Some(i), "a page-tree node's /Kids"))
            .collect::<Result<Vec<_>>>()?,
        _ => {
            return Err(damaged(format!(
                "page-tree node {} {} has no /Kids array",
                id.num, id.gen
            )))
        }
    };
    let count = match node.get(b"Count").map(|p| &p.val) {
        Some(Val::Int(n)) if *n >= 0 && *n <= i64::from(MAX_OBJECTS) => *n as u64,
        Some(Val::Int(n)) => {
            return Err(damaged(format!(
                "page-tree node {} {} has /Count {n}, more pages than a PDF can hold",
                id.num, id.gen
            )))
        }
        _ => {
            return Err(damaged(format!(
                "page-tree node {} {} has no /Count",
                id.num, id.gen
            )))
        }
    };
    Ok((kids, count))
}

fn type_of(d: &Parsed) -> Option<&[u8]> {
    match d.get(b"Type").map(|p| &p.val) {
        Some(Val::Name(n)) => Some(n),
        _ => None,
    }
}

fn as_ref(p: Option<&Parsed>, what: &str) -> Result<ObjRef> {
    match p.map(|p| &p.val) {
        Some(Val::Ref(r)) => Ok(*r),
        _ => Err(damaged(format!("{what} is not an indirect reference"))),
    }
}

fn expect_type(d: &Parsed, want: &[u8], what: &str) -> Result<()> {
    if type_of(d) == Some(want) {
        Ok(())
    } else {
        Err(damaged(format!(
            "{what} is not of /Type /{}",
            String::from_utf8_lossy(want)
        )))
    }
}

/// The entries of `o` other than `skip`, as `/Key value` bytes copied from the file
/// (the key as it is spelled there).
fn other_entries(o: &ReadObject, skip: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    if let Val::Dict(entries) = &o.value.val {
        for (k, key_at, v) in entries {
            if skip.contains(&k.as_slice()) {
                continue;
            }
            out.extend_from_slice(&o.bytes[*key_at..v.span.end]);
            out.push(b' ');
        }
    }
    out
}
