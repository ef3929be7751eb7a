//! Appending to PDFs other programs wrote, and to hostile ones, as qpdf, poppler and
//! MuPDF see the result:
//!
//! - files from pdfunite, qpdf (with and without object streams), `mutool clean`,
//!   pikepdf (both ways), img2pdf, Pillow, ImageMagick and Ghostscript take a page:
//!   `qpdf --check` is clean after, poppler and MuPDF count one page more, every old
//!   page renders pixel for pixel as before (pdftoppm and mutool draw), the new page's
//!   image is the page written, no old byte changed, and the update is of the kind
//!   the file uses (an xref stream for an xref-stream file);
//! - a corpus of hostile files made here, each ambiguity in both xref kinds (and both
//!   key spellings), is refused byte-identical with a one-line reason, or (a `/Size`
//!   too small, entry 0 `65536 f`) appended to correctly;
//! - bytes added per append do not depend on the file's size or its catalog's;
//! - `kill -9` during appends to an xref-stream file leaves every acknowledged page.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wias::pdf::{Options, PdfFile};
use wias::{PageSpec, PixelType};
use wias_testsupport as support;
use wias_testsupport::pdf_readers::*;

/// The page appended: gray, a pattern no producer here draws.
fn new_page(i: u32) -> (PageSpec, Vec<u8>) {
    let (w, h) = (41 + i, 23);
    (
        PageSpec::new(w, h, PixelType::Gray8).dpi(72, 72),
        support::pattern(w, h, 8, 77 + i),
    )
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every page rendered by `pdftoppm` and by `mutool draw`, gray at 24 dpi, as the
/// bytes of the PGM files they write.
fn renders(path: &Path) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("pdftoppm")
            .args(["-r", "24", "-gray"])
            .arg(path)
            .arg(dir.path().join("p")),
    );
    run_ok(
        Command::new("mutool")
            .args(["draw", "-q", "-r", "24", "-c", "gray", "-o"])
            .arg(dir.path().join("m-%04d.pgm"))
            .arg(path),
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let read = |prefix: &str| -> Vec<Vec<u8>> {
        files
            .iter()
            .filter(|f| f.file_name().unwrap().to_str().unwrap().starts_with(prefix))
            .map(|f| std::fs::read(f).unwrap())
            .collect()
    };
    // pdftoppm numbers pages with as many digits as the last page needs.
    let mut p: Vec<(usize, Vec<u8>)> = files
        .iter()
        .filter_map(|f| {
            let name = f.file_name()?.to_str()?;
            let n = name
                .strip_prefix("p-")?
                .strip_suffix(".pgm")?
                .parse()
                .ok()?;
            Some((n, std::fs::read(f).unwrap()))
        })
        .collect();
    p.sort_by_key(|e| e.0);
    (p.into_iter().map(|e| e.1).collect(), read("m-"))
}

/// Whether the file's newest cross-reference section is a stream.
fn newest_is_stream(data: &[u8]) -> bool {
    let at = startxref(data) as usize;
    !data[at..].starts_with(b"xref")
}

fn startxref(data: &[u8]) -> u64 {
    let p = data.windows(9).rposition(|w| w == b"startxref").unwrap();
    let digits: String = data[p + 9..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|b| *b as char)
        .collect();
    digits.parse().unwrap()
}

/// Appends `pages` pages to `path` and checks everything the module says, with
/// `before_clean` false for a file qpdf already warns about.
fn append_and_check(path: &Path, what: &str, pages: u32, before_clean: bool) {
    let before = std::fs::read(path).unwrap();
    if before_clean {
        qpdf_check(path).unwrap_or_else(|e| panic!("{what} before: {e}"));
    }
    let n = pdfinfo_pages(path).unwrap().len();
    let mutool = |p: &Path| {
        if before_clean {
            mutool_pages(p).unwrap_or_else(|e| panic!("{what}: {e}"))
        } else {
            mutool_pages_warned(p)
        }
    };
    assert_eq!(mutool(path), n, "{what}: readers disagree before");
    let (pop, mu) = renders(path);
    assert_eq!((pop.len(), mu.len()), (n, n), "{what}: renders before");
    let stream = newest_is_stream(&before);

    let mut doc = PdfFile::append(path, Options::default())
        .unwrap_or_else(|e| panic!("{what}: refused: {e}"));
    assert_eq!(doc.pages(), n as u64, "{what}: pages wias sees");
    for i in 0..pages {
        let (spec, rows) = new_page(i);
        doc.write_page(&spec, &rows).unwrap();
    }
    doc.finish().unwrap();

    let after = std::fs::read(path).unwrap();
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "{what}: old bytes changed"
    );
    let added = &after[before.len()..];
    let has_xref_stream = added.windows(11).any(|w| w == b"/Type /XRef");
    assert_eq!(has_xref_stream, stream, "{what}: update of another kind");
    qpdf_check(path).unwrap_or_else(|e| panic!("{what} after: {e}"));
    let total = n + pages as usize;
    assert_eq!(pdfinfo_pages(path).unwrap().len(), total, "{what}: poppler");
    assert_eq!(mutool(path), total, "{what}: MuPDF");
    assert_eq!(pikepdf_pages(path).unwrap(), total, "{what}: pikepdf");
    let (pop2, mu2) = renders(path);
    assert_eq!((pop2.len(), mu2.len()), (total, total), "{what}: renders");
    for k in 0..n {
        assert!(pop2[k] == pop[k], "{what}: old page {} (poppler)", k + 1);
        assert!(mu2[k] == mu[k], "{what}: old page {} (MuPDF)", k + 1);
    }
    // The new pages' samples as qpdf and MuPDF decode them.
    let objects = last_page_images(path, pages);
    for i in 0..pages {
        let num = objects[i as usize];
        let want = new_page(i).1;
        assert!(
            qpdf_samples(path, num).unwrap() == want,
            "{what}: new page {} (qpdf)",
            i + 1
        );
        assert!(
            mutool_samples(path, num).unwrap() == want,
            "{what}: new page {} (MuPDF)",
            i + 1
        );
    }
}

/// The object numbers of the images of the last `n` pages (pikepdf reads them).
fn last_page_images(path: &Path, n: u32) -> Vec<u32> {
    let out = support::python(
        "import sys, pikepdf\np = pikepdf.open(sys.argv[1])\nn = int(sys.argv[2])\nprint(' '.join(str(pg.Resources.XObject.Im0.objgen[0]) for pg in p.pages[len(p.pages) - n:]))",
        &[path.as_os_str(), n.to_string().as_ref()],
    )
    .unwrap();
    String::from_utf8(out)
        .unwrap()
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect()
}

/// Pages MuPDF counts in a file it warns about (the warnings of a file that had them
/// before an append stay: its old sections are still read).
fn mutool_pages_warned(path: &Path) -> usize {
    let out = Command::new("mutool")
        .arg("info")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// A wias PDF of `n` pages, the input of the tools that rewrite PDFs.
fn ours(dir: &Path, n: u32) -> PathBuf {
    let path = dir.join("ours.pdf");
    let mut doc = PdfFile::create(&path, Options::default()).unwrap();
    for i in 0..n {
        let pixel = [PixelType::Gray8, PixelType::Bilevel, PixelType::Rgb24][i as usize % 3];
        let spec = PageSpec::new(30 + i, 20, pixel).dpi(72, 72);
        doc.write_page(&spec, &support::pattern(30 + i, 20, pixel.depth(), i))
            .unwrap();
    }
    doc.finish().unwrap();
    path
}

fn png(dir: &Path) -> PathBuf {
    let p = dir.join("in.png");
    support::python(
        "import sys\nfrom PIL import Image\nImage.linear_gradient('L').resize((40, 30)).save(sys.argv[1])",
        &[p.as_os_str()],
    )
    .unwrap();
    p
}

/// Each producer's file: (name, path, whether qpdf --check is clean before).
fn producers(dir: &Path) -> Vec<(&'static str, PathBuf, bool)> {
    let src = ours(dir, 3);
    let png = png(dir);
    let mut out = Vec::new();
    let mut make = |name: &'static str, cmd: &mut dyn FnMut(&Path), clean: bool| {
        let p = dir.join(format!("{name}.pdf"));
        cmd(&p);
        assert!(p.exists(), "{name} made no file");
        out.push((name, p, clean));
    };
    make(
        "qpdf",
        &mut |p| {
            run_ok(
                Command::new("qpdf")
                    .arg("--object-streams=disable")
                    .arg(&src)
                    .arg(p),
            )
        },
        true,
    );
    make(
        "qpdf-object-streams",
        &mut |p| {
            run_ok(
                Command::new("qpdf")
                    .arg("--object-streams=generate")
                    .arg(&src)
                    .arg(p),
            )
        },
        true,
    );
    make(
        "qpdf-linearized-object-streams",
        &mut |p| {
            run_ok(
                Command::new("qpdf")
                    .args(["--linearize", "--object-streams=generate"])
                    .arg(&src)
                    .arg(p),
            )
        },
        true,
    );
    make(
        "mutool-clean",
        &mut |p| run_ok(Command::new("mutool").arg("clean").arg(&src).arg(p)),
        true,
    );
    for (name, mode) in [
        ("pikepdf", "preserve"),
        ("pikepdf-object-streams", "generate"),
    ] {
        make(
            name,
            &mut |p| {
                support::python(
                    &format!("import sys, pikepdf\npikepdf.open(sys.argv[1]).save(sys.argv[2], object_stream_mode=pikepdf.ObjectStreamMode.{mode})"),
                    &[src.as_os_str(), p.as_os_str()],
                )
                .unwrap();
            },
            true,
        );
    }
    make(
        "img2pdf",
        &mut |p| run_ok(Command::new("img2pdf").arg(&png).arg("-o").arg(p)),
        true,
    );
    make(
        "pillow",
        &mut |p| {
            support::python(
                "import sys\nfrom PIL import Image\nim = Image.open(sys.argv[1])\nim.save(sys.argv[2], save_all=True, append_images=[im.rotate(90)])",
                &[png.as_os_str(), p.as_os_str()],
            )
            .unwrap();
        },
        true,
    );
    // pdfunite writes /Size for the objects of its first input only: qpdf warns.
    let img = dir.join("img2pdf.pdf");
    make(
        "pdfunite",
        &mut |p| {
            run_ok(
                Command::new("pdfunite")
                    .arg(&img)
                    .arg(&src)
                    .arg(&img)
                    .arg(p),
            )
        },
        false,
    );
    // Debian's ImageMagick policy denies the PDF coder; EPDF is the same writer.
    make(
        "imagemagick",
        &mut |p| {
            run_ok(
                Command::new("convert")
                    .arg(&png)
                    .arg(format!("epdf:{}", p.display())),
            )
        },
        true,
    );
    make(
        "ghostscript",
        &mut |p| {
            run_ok(
                Command::new("gs")
                    .args(["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite"])
                    .arg(format!("-sOutputFile={}", p.display()))
                    .arg(&src),
            )
        },
        true,
    );
    out
}

#[test]
fn pdfs_from_other_producers_take_pages_and_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let files = producers(dir.path());
    let mut streams = 0;
    for (name, path, clean) in &files {
        streams += usize::from(newest_is_stream(&std::fs::read(path).unwrap()));
        append_and_check(path, name, 2, *clean);
        // A second append reads wias's own update of that kind.
        append_and_check(path, &format!("{name}, again"), 1, *clean);
    }
    assert!(streams >= 3, "only {streams} producers wrote xref streams");
}

// ----- the hostile corpus -----

/// `base` with one more incremental update holding `objects` (number, body) and a
/// trailer of `trailer` (with `{prev}` for the previous section's offset), written
/// as a classic table or, with `stream`, as a cross-reference stream numbered
/// `stream_num`.
fn update(base: &[u8], objects: &[(u32, String)], trailer: &str, stream: Option<u32>) -> Vec<u8> {
    let prev = startxref(base);
    let mut out = base.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offs = Vec::new();
    for (num, body) in objects {
        offs.push((*num, out.len() as u64));
        out.extend_from_slice(format!("{num} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    let trailer = trailer.replace("{prev}", &prev.to_string());
    let xref_at = out.len() as u64;
    match stream {
        None => {
            let mut s = String::from("xref\n");
            for (num, off) in &offs {
                s.push_str(&format!("{num} 1\n{off:010} 00000 n\r\n"));
            }
            s.push_str(&format!("trailer\n<< {trailer} >>\n"));
            out.extend_from_slice(s.as_bytes());
        }
        Some(xnum) => {
            offs.push((xnum, xref_at));
            let mut data = Vec::new();
            let mut index = String::new();
            for (num, off) in &offs {
                data.push(1u8);
                data.extend_from_slice(&(*off as u32).to_be_bytes());
                data.extend_from_slice(&[0, 0]);
                index.push_str(&format!("{num} 1 "));
            }
            out.extend_from_slice(
                format!(
                    "{xnum} 0 obj\n<< /Type /XRef /W [1 4 2] /Index [{index}] /Length {} {trailer} >>\nstream\n",
                    data.len()
                )
                .as_bytes(),
            );
            out.extend_from_slice(&data);
            out.extend_from_slice(b"\nendstream\nendobj\n");
        }
    }
    out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

/// The numbers of a file's objects, as qpdf lists them: (catalog, root node, pages,
/// largest object number).
struct Shape {
    catalog: u32,
    root: u32,
    pages: Vec<u32>,
    max: u32,
}

fn shape(path: &Path) -> Shape {
    let out = support::python(
        "import sys, pikepdf\np = pikepdf.open(sys.argv[1])\nprint(p.Root.objgen[0], p.Root.Pages.objgen[0], ' '.join(str(x.objgen[0]) for x in p.pages), max(o.objgen[0] for o in p.objects if o is not None and o.objgen[0] > 0))",
        &[path.as_os_str()],
    )
    .unwrap();
    let s = String::from_utf8(out).unwrap();
    let mut it = s.split_whitespace().map(|w| w.parse::<u32>().unwrap());
    let catalog = it.next().unwrap();
    let root = it.next().unwrap();
    let mut rest: Vec<u32> = it.collect();
    let max = rest.pop().unwrap();
    Shape {
        catalog,
        root,
        pages: rest,
        max,
    }
}

/// A classic file and its xref-stream rewrite, each with a flat tree of 3 pages.
fn bases(dir: &Path) -> Vec<(&'static str, Vec<u8>, Shape)> {
    let src = ours(dir, 3);
    let mut out = Vec::new();
    for (name, mode) in [("table", "disable"), ("stream", "generate")] {
        let p = dir.join(format!("base-{name}.pdf"));
        run_ok(
            Command::new("qpdf")
                .arg(format!("--object-streams={mode}"))
                .arg(&src)
                .arg(&p),
        );
        let shape = shape(&p);
        out.push((name, std::fs::read(&p).unwrap(), shape));
    }
    out
}

/// Hostile cases: (name, bytes, Some(word the refusal must say) or None for a file
/// that must be appended to correctly).
fn corpus(dir: &Path) -> Vec<(String, Vec<u8>, Option<&'static str>)> {
    let mut cases = Vec::new();
    for (kind, base, s) in bases(dir) {
        let xs = |k: u32| (kind == "stream").then_some(s.max + 10 + k);
        let (cat, root, p) = (s.catalog, s.root, &s.pages);
        let size = s.max + 30;
        let kids = |v: &[u32]| {
            v.iter()
                .map(|n| format!("{n} 0 R"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let all = kids(p);
        let node = |extra: &str| format!("<< /Type /Pages /Kids [{all}] /Count 3 {extra}>>");
        let t = |extra: &str| format!("/Size {size} /Root {cat} 0 R /Prev {{prev}} {extra}");
        let mut add = |name: &str, data: Vec<u8>, want: Option<&'static str>| {
            cases.push((format!("{kind}: {name}"), data, want));
        };
        // 1. /Size too small: the newest trailer says 3, objects go far higher.
        add(
            "/Size below the objects",
            update(
                &base,
                &[(root, node(""))],
                &format!("/Size 3 /Root {cat} 0 R /Prev {{prev}}"),
                xs(0),
            ),
            None,
        );
        // 2. Keys named twice, plainly and with # escapes.
        for (what, spelled) in [("plain", "Root"), ("escaped", "R#6Fot")] {
            add(
                &format!("trailer /Root twice ({what})"),
                update(
                    &base,
                    &[(root, node(""))],
                    &t(&format!("/{spelled} {root} 0 R")),
                    xs(1),
                ),
                Some("twice"),
            );
        }
        for (key, spelled) in [("Pages", "Pa#67es"), ("Type", "Typ#65")] {
            add(
                &format!("catalog /{key} twice"),
                update(
                    &base,
                    &[(
                        cat,
                        format!(
                            "<< /Type /Catalog /Pages {root} 0 R /{spelled} {} >>",
                            if key == "Pages" {
                                format!("{} 0 R", p[0])
                            } else {
                                "/Pages".into()
                            }
                        ),
                    )],
                    &t(""),
                    xs(2),
                ),
                Some("twice"),
            );
        }
        for (key, val) in [
            ("Kids", format!("[{}]", kids(&p[..2]))),
            ("Ki#64s", format!("[{}]", kids(&p[..2]))),
            ("Count", "2".to_string()),
            ("Type", "/Page".to_string()),
            ("Parent", format!("{cat} 0 R /Par#65nt {cat} 0 R")),
        ] {
            add(
                &format!("root node /{key} twice"),
                update(
                    &base,
                    &[(root, node(&format!("/{key} {val} ")))],
                    &t(""),
                    xs(3),
                ),
                Some("twice"),
            );
        }
        add(
            "trailer /Prev twice",
            update(&base, &[(root, node(""))], &t("/Pr#65v 0"), xs(4)),
            Some("twice"),
        );
        add(
            "trailer /Size twice",
            update(&base, &[(root, node(""))], &t("/Size 4"), xs(5)),
            Some("twice"),
        );
        // 3. A hybrid-reference section, newest or deeper in the history.
        let hybrid = update(
            &base,
            &[(root, node(""))],
            &t(&format!("/XRefStm {}", startxref(&base))),
            None,
        );
        add("hybrid /XRefStm newest", hybrid.clone(), Some("hybrid"));
        add(
            "hybrid /XRefStm in the history",
            update(&hybrid, &[(root, node(""))], &t(""), xs(6)),
            Some("hybrid"),
        );
        // 4. Damage: an absurd /Count, a dangling /ID, /Kids cycles, a wrong offset.
        add(
            "/Count 2^63-1",
            update(
                &base,
                &[(
                    root,
                    format!("<< /Type /Pages /Kids [{all}] /Count 9223372036854775807 >>"),
                )],
                &t(""),
                xs(7),
            ),
            Some("damaged"),
        );
        add(
            "/Count one too many",
            update(
                &base,
                &[(root, format!("<< /Type /Pages /Kids [{all}] /Count 4 >>"))],
                &t(""),
                xs(8),
            ),
            Some("damaged"),
        );
        add(
            "dangling /ID",
            update(
                &base,
                &[(root, node(""))],
                &t(&format!("/ID {} 0 R", size + 5)),
                xs(9),
            ),
            Some("damaged"),
        );
        add(
            "/ID of one string",
            update(&base, &[(root, node(""))], &t("/ID [<00>]"), xs(10)),
            Some("damaged"),
        );
        let sub = s.max + 5;
        add(
            "/Kids cycle on the left edge",
            update(
                &base,
                &[
                    (
                        sub,
                        format!("<< /Type /Pages /Kids [{sub} 0 R] /Count 1 /Parent {root} 0 R >>"),
                    ),
                    (
                        root,
                        format!(
                            "<< /Type /Pages /Kids [{sub} 0 R {}] /Count 3 >>",
                            kids(&p[1..])
                        ),
                    ),
                ],
                &t(""),
                xs(11),
            ),
            Some("damaged"),
        );
        add(
            "/Kids cycle through the root",
            update(
                &base,
                &[(
                    root,
                    format!(
                        "<< /Type /Pages /Kids [{root} 0 R {}] /Count 3 >>",
                        kids(&p[1..])
                    ),
                )],
                &t(""),
                xs(12),
            ),
            Some("damaged"),
        );
        // The middle page's entry points at the catalog's bytes.
        let mut wrong = base.clone();
        if kind == "table" {
            let cat_at = find(&base, format!("\n{cat} 0 obj").as_bytes()) + 1;
            let xref = startxref(&base) as usize;
            let entry = xref_entry_at(&base, xref, p[1]);
            wrong[entry..entry + 10].copy_from_slice(format!("{cat_at:010}").as_bytes());
        } else {
            // An update that moves the middle page onto the xref stream's bytes.
            wrong = update_offsets(&base, &[(p[1], startxref(&base))], &t(""), xs(13).unwrap());
        }
        add("wrong offset for the middle page", wrong, Some("damaged"));
        // Both kinds in one history: a classic update on an xref-stream file (and the
        // other way round) is valid, and the next update is of the newest kind.
        let other = if kind == "table" {
            Some(s.max + 25)
        } else {
            None
        };
        add(
            "an update of the other kind on top",
            update(&base, &[(root, node(""))], &t(""), other),
            None,
        );
        // 28.1: entry 0 with generation 65536, as Pillow and mutool write it.
        if kind == "table" {
            let mut g = base.clone();
            let at = find(&g, b"0000000000 65535 f");
            g[at..at + 18].copy_from_slice(b"0000000000 65536 f");
            add("entry 0 65536 f", g, None);
        }
    }
    cases
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{} not found", String::from_utf8_lossy(needle)))
}

/// The byte where object `num`'s 20-byte entry starts in the classic table at `xref`.
fn xref_entry_at(data: &[u8], xref: usize, num: u32) -> usize {
    let text = &data[xref..];
    let mut pos = 5; // "xref\n"
    loop {
        let line_end = pos + text[pos..].iter().position(|b| *b == b'\n').unwrap();
        let head = std::str::from_utf8(&text[pos..line_end]).unwrap();
        let mut it = head.split_whitespace();
        let (first, count): (u32, u32) = (
            it.next().unwrap().parse().unwrap(),
            it.next().unwrap().parse().unwrap(),
        );
        let entries = line_end + 1;
        if (first..first + count).contains(&num) {
            return xref + entries + 20 * (num - first) as usize;
        }
        pos = entries + 20 * count as usize;
    }
}

/// `base` with an xref-stream update that gives objects new offsets (no new bytes).
fn update_offsets(base: &[u8], offs: &[(u32, u64)], trailer: &str, xnum: u32) -> Vec<u8> {
    let prev = startxref(base);
    let mut out = base.to_vec();
    let xref_at = out.len() as u64;
    let mut all = offs.to_vec();
    all.push((xnum, xref_at));
    let mut data = Vec::new();
    let mut index = String::new();
    for (num, off) in &all {
        data.push(1u8);
        data.extend_from_slice(&(*off as u32).to_be_bytes());
        data.extend_from_slice(&[0, 0]);
        index.push_str(&format!("{num} 1 "));
    }
    let trailer = trailer.replace("{prev}", &prev.to_string());
    out.extend_from_slice(
        format!(
            "{xnum} 0 obj\n<< /Type /XRef /W [1 4 2] /Index [{index}] /Length {} {trailer} >>\nstream\n",
            data.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&data);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

#[test]
fn hostile_pdfs_are_refused_untouched_or_appended_correctly() {
    let dir = tempfile::tempdir().unwrap();
    let cases = corpus(dir.path());
    assert!(cases.len() >= 45, "{} cases", cases.len());
    for (k, (what, data, want)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{k}.pdf"));
        std::fs::write(&path, data).unwrap();
        match want {
            None => append_and_check(&path, what, 1, false),
            Some(word) => {
                let e = match PdfFile::append(&path, Options::default()) {
                    Ok(_) => panic!("{what}: appended to"),
                    Err(e) => e.to_string(),
                };
                eprintln!("{what}: {e}");
                assert!(e.contains(word), "{what}: {e}");
                if *word == "hybrid" {
                    assert!(
                        !e.contains("damaged"),
                        "{what}: a valid file called damaged: {e}"
                    );
                }
                assert!(!e.contains('\n'), "{what}: not one line: {e}");
                assert_eq!(&std::fs::read(&path).unwrap(), data, "{what}: file touched");
            }
        }
    }
}

#[test]
fn a_valid_file_wias_refuses_is_not_called_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let src = ours(dir.path(), 2);
    let enc = dir.path().join("enc.pdf");
    run_ok(
        Command::new("qpdf")
            .args([
                "--object-streams=generate",
                "--encrypt",
                "",
                "owner",
                "256",
                "--",
            ])
            .arg(&src)
            .arg(&enc),
    );
    let data = std::fs::read(&enc).unwrap();
    let e = PdfFile::append(&enc, Options::default())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("encrypted") && !e.contains("damaged"), "{e}");
    assert_eq!(std::fs::read(&enc).unwrap(), data);
    // A catalog of 9 MB (a valid file): more than wias reads, refused by name.
    let base = std::fs::read(&src).unwrap();
    let shape = shape(&src);
    let junk = "0 ".repeat(4_500_000);
    let big = update(
        &base,
        &[(
            shape.catalog,
            format!(
                "<< /Type /Catalog /Pages {} 0 R /Junk [{junk}] >>",
                shape.root
            ),
        )],
        &format!(
            "/Size {} /Root {} 0 R /Prev {{prev}}",
            shape.max + 1,
            shape.catalog
        ),
        None,
    );
    let path = dir.path().join("big-catalog.pdf");
    std::fs::write(&path, &big).unwrap();
    let e = PdfFile::append(&path, Options::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("larger than 8 MiB") && !e.contains("damaged"),
        "{e}"
    );
    assert!(std::fs::read(&path).unwrap() == big);
}

// ----- growth -----

fn added_by_one_page(path: &Path) -> u64 {
    let before = std::fs::metadata(path).unwrap().len();
    let mut doc = PdfFile::append(path, Options::default()).unwrap();
    let (spec, rows) = new_page(0);
    doc.write_page(&spec, &rows).unwrap();
    doc.finish().unwrap();
    std::fs::metadata(path).unwrap().len() - before
}

/// A page costs the same bytes in a 6 MB foreign file as in a 2 KB one, and in a file
/// whose catalog is 300 KB: the catalog is not copied into updates.
#[test]
fn bytes_added_per_append_do_not_depend_on_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let script = "import sys, os, pikepdf\nfrom PIL import Image\nimport img2pdf\nw = int(sys.argv[2])\nim = Image.frombytes('L', (w, w), os.urandom(w * w))\nim.save(sys.argv[1] + '.png')\nopen(sys.argv[1], 'wb').write(img2pdf.convert(sys.argv[1] + '.png'))\nif sys.argv[3] == 'big-catalog':\n    p = pikepdf.open(sys.argv[1], allow_overwriting_input=True)\n    p.Root.Junk = pikepdf.Array([pikepdf.String('x' * 60) for _ in range(5000)])\n    p.save(sys.argv[1], object_stream_mode=pikepdf.ObjectStreamMode.disable)\n";
    let mut costs = Vec::new();
    for (name, w, how) in [
        ("small", "16", "plain"),
        ("large", "2500", "plain"),
        ("catalog", "16", "big-catalog"),
    ] {
        let p = dir.path().join(format!("{name}.pdf"));
        support::python(script, &[p.as_os_str(), w.as_ref(), how.as_ref()]).unwrap();
        let len = std::fs::metadata(&p).unwrap().len();
        let first = added_by_one_page(&p);
        let second = added_by_one_page(&p);
        let third = added_by_one_page(&p);
        qpdf_check(&p).unwrap();
        assert_eq!(pdfinfo_pages(&p).unwrap().len(), 4, "{name}");
        eprintln!("{name}: {len} bytes; appends cost {first}, {second}, {third}");
        costs.push((name, len, first, second, third));
    }
    assert!(costs[1].1 > 6_000_000 && costs[2].1 > 300_000);
    let base = costs[0].3;
    for (name, _, first, second, third) in &costs {
        // The first append may start a new root above the producer's (and write the
        // catalog once); later ones cost the page and the tree's path.
        assert!(*first < base + 2_000, "{name}: first append cost {first}");
        assert!(
            second.abs_diff(base) < 200 && third.abs_diff(base) < 200,
            "{name}: {second}, {third} vs {base}"
        );
    }
}

// ----- kill -9 on xref-stream files -----

const KILL_PAGES: u32 = 40;

/// The child side of the kill test: appends pages to the xref-stream file named by
/// `WIAS_PDF_XS_KILL_OUT`, reopening it every 5 pages.
#[test]
#[ignore = "helper process of the xref-stream kill test, run by it"]
fn pdf_xs_kill_child() {
    let out = std::env::var("WIAS_PDF_XS_KILL_OUT").expect("run by the kill test");
    let mut stdout = std::io::stdout().lock();
    let mut doc = PdfFile::append(&out, Options::default()).unwrap();
    for i in 0..KILL_PAGES {
        if i % 5 == 0 && i > 0 {
            drop(doc);
            doc = PdfFile::append(&out, Options::default()).unwrap();
        }
        let (spec, rows) = kill_page(i);
        doc.write_page(&spec, &rows).unwrap();
        writeln!(stdout, "ACK {}", i + 1).unwrap();
        stdout.flush().unwrap();
    }
    doc.finish().unwrap();
    writeln!(stdout, "DONE").unwrap();
}

fn kill_page(i: u32) -> (PageSpec, Vec<u8>) {
    let (w, h) = (70 + i % 7, 50);
    (
        PageSpec::new(w, h, PixelType::Gray8),
        support::pattern(w, h, 8, 1000 + i),
    )
}

fn spawn(path: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "pdf_foreign::pdf_xs_kill_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WIAS_PDF_XS_KILL_OUT", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn kill_9_during_appends_to_an_xref_stream_file_leaves_every_acknowledged_page() {
    let trials: u32 = crate::crash::env_number("WIAS_PDF_KILL_TRIALS").unwrap_or(12);
    let mut rng = crate::crash::Rng::from_env();
    eprintln!(
        "xref-stream kill test: {trials} trials, WIAS_KILL_SEED={}",
        rng.0
    );
    let dir = tempfile::tempdir().unwrap();
    let src = ours(dir.path(), 2);
    let base = dir.path().join("base.pdf");
    run_ok(
        Command::new("qpdf")
            .arg("--object-streams=generate")
            .arg(&src)
            .arg(&base),
    );
    let base_pages = 2;
    let full = {
        let path = dir.path().join("full.pdf");
        std::fs::copy(&base, &path).unwrap();
        let t = Instant::now();
        let mut child = spawn(&path);
        let mut text = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(child.wait().unwrap().success() && text.contains("DONE"));
        qpdf_check(&path).unwrap();
        t.elapsed()
    };
    for trial in 0..trials {
        let r = rng.next();
        let path = dir.path().join(format!("t{trial}.pdf"));
        std::fs::copy(&base, &path).unwrap();
        let mut child = spawn(&path);
        let at = Duration::from_micros(r % (full.as_micros() as u64 + 1));
        std::thread::sleep(at);
        let _ = child.kill(); // SIGKILL
        let mut text = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        let _ = child.wait();
        let acked = text.matches("ACK ").count();
        let what = format!("trial {trial} (killed after {at:?}, {acked} acknowledged)");
        qpdf_check(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
        let n = pdfinfo_pages(&path).unwrap().len() - base_pages;
        assert!(n >= acked && n <= acked + 1, "{what}: {n} pages added");
        assert_eq!(mutool_pages(&path).unwrap(), n + base_pages, "{what}");
        let pixels = pdfimages_pixels(&path).unwrap();
        let ours: Vec<_> = pixels.iter().filter(|p| p.width >= 70).collect();
        assert_eq!(ours.len(), n, "{what}");
        for (k, got) in ours.iter().enumerate() {
            assert!(got.data == kill_page(k as u32).1, "{what}: page {}", k + 1);
        }
        let mut doc = PdfFile::append(&path, Options::default())
            .unwrap_or_else(|e| panic!("{what}: append: {e}"));
        let (spec, rows) = kill_page(n as u32);
        doc.write_page(&spec, &rows).unwrap();
        doc.finish().unwrap();
        qpdf_check(&path).unwrap_or_else(|e| panic!("{what}: after append: {e}"));
    }
}

/// Bytes changed at random in a classic and an xref-stream file (and cut short): the
/// reader never panics or hangs, a refused file is untouched, and a file it accepts
/// takes a page qpdf reads. Deterministic (a fixed xorshift seed).
#[test]
fn random_corruptions_are_refused_or_appended_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut accepted = [0, 0];
    for (k, (kind, base, _)) in bases(dir.path()).into_iter().enumerate() {
        for trial in 0..150 {
            let mut data = base.clone();
            match next() % 4 {
                0 => data.truncate((next() % data.len() as u64) as usize),
                _ => {
                    for _ in 0..1 + next() % 3 {
                        let at = (next() % data.len() as u64) as usize;
                        data[at] = (next() % 256) as u8;
                    }
                }
            }
            let path = dir.path().join(format!("m-{kind}-{trial}.pdf"));
            std::fs::write(&path, &data).unwrap();
            match PdfFile::append(&path, Options::default()) {
                Err(e) => {
                    assert!(!e.to_string().contains('\n'), "{kind} {trial}: {e}");
                    assert!(
                        std::fs::read(&path).unwrap() == data,
                        "{kind} {trial}: touched"
                    );
                }
                Ok(mut doc) => {
                    let (spec, rows) = new_page(0);
                    doc.write_page(&spec, &rows).unwrap();
                    doc.finish().unwrap();
                    accepted[k] += 1;
                    if trial % 10 == 0 {
                        // qpdf may warn about what the change broke in old objects
                        // (wias reads dictionaries, not content): it must still open.
                        assert!(pikepdf_pages(&path).is_ok(), "{kind} {trial}");
                    }
                }
            }
        }
    }
    // Changes that miss the structure (most land in image data) leave files of both
    // kinds that take a page.
    eprintln!("accepted of 150 changed files: {accepted:?} (table, stream)");
    assert!(accepted.iter().all(|&n| n > 20), "{accepted:?}");
}
