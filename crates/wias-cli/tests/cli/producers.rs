//! TIFFs from other producers (issue 28 items 2 and 3, issue 26 item 2): `wias inspect`
//! and `wias write --append` agree with libtiff. Files are made in the test by tiffcp,
//! ImageMagick, tifffile and Pillow (strips, tiles, separate planes, compressions, odd
//! field types) and crafted byte by byte where no producer makes the damage; libtiff
//! (`tiffinfo -D` with nothing on stderr, and `tiffcp` or `tiff2rgba` decoding every
//! page) is the judge.
//!
//! `WIAS_CLI_BIN=/path/to/wias cargo test -p wias-cli --test cli producers` runs them
//! against another build (an older one, to see them fail there).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;
use wias_testsupport as support;

use super::{ok, sh, stderr};

fn bin() -> std::ffi::OsString {
    std::env::var_os("WIAS_CLI_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_wias").into())
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run wias")
}

/// Whether libtiff reads and decodes every page of `path` without a word on stderr:
/// `tiffinfo -D`, then `tiffcp` (or, for the tiled files with separate planes that
/// tiffcp cannot copy, `tiff2rgba`).
fn libtiff_decodes(path: &Path) -> Result<(), String> {
    support::tiffinfo_clean(path)?;
    let out = path.with_extension("decoded.tif");
    let mut why = String::new();
    for tool in ["tiffcp", "tiff2rgba"] {
        let o = Command::new(tool).arg(path).arg(&out).output().expect(tool);
        let _ = fs::remove_file(&out);
        if o.status.success() && o.stderr.is_empty() {
            return Ok(());
        }
        why += &format!("{tool}: {} ", stderr(&o));
    }
    Err(why)
}

/// `wias inspect`'s verdict: Ok(notes) for "sound", Err(first problem) otherwise.
fn inspect(dir: &Path, file: &Path) -> Result<String, String> {
    let o = run(dir, &["inspect", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    if o.status.success() && text.contains("verdict: sound") {
        assert!(
            text.contains("compressed data are not decoded"),
            "inspect says what \"sound\" covers: {text}"
        );
        Ok(text)
    } else {
        let first = text
            .lines()
            .skip_while(|l| !l.starts_with("verdict:"))
            .find_map(|l| l.strip_prefix("  - "))
            .unwrap_or("(no problem listed)")
            .to_string();
        Err(first)
    }
}

/// Every page of `path` as libtiff's RGBA reader decodes it (`tiff2rgba`, which takes
/// strips, tiles and separate planes alike), row by row.
fn rgba_pages(path: &Path) -> Vec<Vec<u8>> {
    let out = path.with_extension("rgba.tif");
    let o = Command::new("tiff2rgba")
        .args(["-c", "none"])
        .arg(path)
        .arg(&out)
        .output()
        .expect("tiff2rgba");
    assert!(o.status.success(), "{}: {}", path.display(), stderr(&o));
    let pages = support::libtiff_pages(&out).unwrap_or_else(|e| panic!("{e}"));
    let _ = fs::remove_file(&out);
    pages.into_iter().map(|p| p.data).collect()
}

/// Makes the producers' files in `d/<producer>/`; returns (producer, path) for each.
fn producer_files(d: &Path) -> Vec<(&'static str, PathBuf)> {
    for p in ["tiffcp", "magick", "tifffile", "pillow"] {
        fs::create_dir_all(d.join(p)).unwrap();
    }
    // Sources: an RGB, a gray, a 16-bit RGB and a bilevel image, as PNM and as the
    // strip TIFFs tiffcp starts from (Pillow writes those).
    support::python(
        r#"
import sys, numpy as np
from PIL import Image
d = sys.argv[1]
y, x = np.mgrid[0:150, 0:200]
rgb = np.dstack([x * 255 // 199, y * 255 // 149, (x ^ y) & 255]).astype(np.uint8)
Image.fromarray(rgb).save(d + '/rgb.ppm'); Image.fromarray(rgb).save(d + '/rgb.tif')
Image.fromarray(rgb[..., 0]).save(d + '/gray.pgm'); Image.fromarray(rgb[..., 0]).save(d + '/gray.tif')
bw = Image.fromarray(((x // 9 + y // 7) % 2 * 255).astype(np.uint8)).convert('1')
bw.save(d + '/bw.pbm'); bw.save(d + '/bw.tif')
Image.fromarray(rgb).convert('CMYK').save(d + '/cmyk.tif')
"#,
        &[d.as_os_str()],
    )
    .unwrap();
    let mut cmds = Vec::new();
    for src in ["rgb", "gray", "cmyk", "bw"] {
        let codecs: &[&str] = if src == "bw" {
            &["none", "lzw", "zip", "packbits", "g3", "g4"]
        } else {
            &["none", "lzw", "zip", "packbits", "jpeg"]
        };
        for c in codecs {
            let mut layouts = vec![("", ""), ("t", "-t"), ("t32", "-t -w 32 -l 32")];
            if src != "bw" {
                layouts.extend([("sep", "-p separate"), ("tsep", "-t -p separate")]);
            }
            for (name, flags) in layouts {
                cmds.push(format!(
                    "tiffcp {flags} -c {c} {src}.tif tiffcp/{src}-{c}-{name}.tif 2>/dev/null || true"
                ));
            }
        }
    }
    cmds.push("tiffcp -t rgb.tif gray.tif bw.tif tiffcp/three-tiled.tif".into());
    for (src, codecs) in [
        ("rgb.ppm", &["None", "LZW", "Zip", "JPEG", "RLE"][..]),
        ("gray.pgm", &["None", "LZW", "Zip", "JPEG"][..]),
        ("bw.pbm", &["None", "Group4", "LZW"][..]),
    ] {
        let b = &src[..src.len() - 4];
        for c in codecs {
            cmds.push(format!("convert {src} -compress {c} magick/{b}-{c}.tif"));
            cmds.push(format!(
                "convert {src} -compress {c} -define tiff:tile-geometry=64x64 magick/{b}-{c}-tiled.tif"
            ));
            if b == "rgb" {
                cmds.push(format!(
                    "convert {src} -compress {c} -interlace plane magick/{b}-{c}-plane.tif"
                ));
                cmds.push(format!(
                    "convert {src} -compress {c} -interlace plane -define tiff:tile-geometry=64x64 magick/{b}-{c}-tplane.tif"
                ));
            }
        }
    }
    cmds.push(
        "convert rgb.ppm -depth 16 -define tiff:tile-geometry=64x64 magick/rgb16-tiled.tif".into(),
    );
    cmds.push("convert rgb.ppm -alpha set -interlace plane magick/rgba-plane.tif".into());
    cmds.push(
        "convert rgb.ppm gray.pgm -define tiff:tile-geometry=32x32 magick/two-tiled.tif".into(),
    );
    sh(d, &cmds.join(" && "));
    support::python(
        r#"
import sys, numpy as np, tifffile
from PIL import Image
d = sys.argv[1]
rng = np.random.default_rng(7)
rgb = rng.integers(0, 256, (150, 200, 3), dtype=np.uint8)
g = rgb[..., 1].copy()
g16 = rng.integers(0, 65536, (150, 200), dtype=np.uint16)
planes = np.moveaxis(rgb, 2, 0).copy()
T = d + '/tifffile/'
for c in [None, 'zlib']:
    n = c or 'none'
    kw = {} if c is None else {'compression': c}
    tifffile.imwrite(T + f'rgb-{n}-tiled.tif', rgb, photometric='rgb', tile=(64, 64), **kw)
    tifffile.imwrite(T + f'rgb-{n}-planar.tif', planes, photometric='rgb', planarconfig='separate', **kw)
    tifffile.imwrite(T + f'rgb-{n}-tplanar.tif', planes, photometric='rgb', planarconfig='separate', tile=(32, 48), **kw)
    tifffile.imwrite(T + f'g16-{n}-tiled.tif', g16, photometric='minisblack', tile=(64, 64), **kw)
tifffile.imwrite(T + 'gray-rps1.tif', g, photometric='minisblack', rowsperstrip=1)
tifffile.imwrite(T + 'rgb-be-tplanar.tif', planes, photometric='rgb', planarconfig='separate', tile=(64, 64), byteorder='>')
tifffile.imwrite(T + 'gray-big-tiled.tif', g, photometric='minisblack', bigtiff=True, tile=(64, 64))
# Field types libtiff takes in a classic file: 64-bit integers, signed and floats.
tifffile.imwrite(T + 'gray-odd-types.tif', g, photometric='minisblack',
                 extratags=[(50001, 'q', 1, -7, True), (50002, 'Q', 2, (1, 2), True),
                            (50003, 'd', 1, 2.5, True), (50004, 'b', 3, (1, -2, 3), True)])
P = d + '/pillow/'
im, ig = Image.fromarray(rgb), Image.fromarray(g)
for c in [None, 'tiff_lzw', 'tiff_adobe_deflate', 'packbits', 'jpeg']:
    n = c or 'none'
    kw = {} if c is None else {'compression': c}
    im.save(P + f'rgb-{n}.tif', **kw)
    ig.save(P + f'gray-{n}.tif', **kw)
ig.convert('1').save(P + 'bw-group4.tif', compression='group4')
im.convert('P').save(P + 'palette.tif')
im.convert('RGBA').save(P + 'rgba.tif')
im.save(P + 'three.tif', save_all=True, append_images=[ig, ig.convert('1')])
"#,
        &[d.as_os_str()],
    )
    .unwrap();
    let mut files = Vec::new();
    for p in ["tiffcp", "magick", "tifffile", "pillow"] {
        let mut names: Vec<PathBuf> = fs::read_dir(d.join(p))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        files.extend(names.into_iter().map(|n| (p, n)));
    }
    files
}

/// inspect calls sound every file from tiffcp, ImageMagick, tifffile and Pillow that
/// libtiff decodes: tiles, separate planes (strips and tiles), every compression,
/// 64-bit and signed field types. Before the fix, 74 of them were false alarms
/// ("no StripOffsets tag" for tiles, "3x the expected strip count" for planes, a
/// "BigTIFF type in a classic TIFF"). What libtiff decodes, `wias write --append`
/// adds a page to, and libtiff decodes every earlier page as before, pixel for pixel.
#[test]
fn inspect_and_append_agree_with_libtiff_on_files_from_other_producers() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let files = producer_files(d);
    assert!(files.len() > 140, "{}", files.len());
    let pgm = d.join("page.pgm");
    sh(d, "pgmramp -tb 40 30 > page.pgm");
    let page = fs::read(&pgm).unwrap();
    let page_pixels = page[page.len() - 40 * 30..].to_vec();
    let mut false_alarms = Vec::new();
    let (mut decoded, mut tiled, mut planar, mut appended) = (0, 0, 0, 0);
    for (producer, f) in &files {
        if libtiff_decodes(f).is_err() {
            continue; // tiffcp's JPEG and tiled G3 here are not files libtiff reads
        }
        decoded += 1;
        let text = match inspect(d, f) {
            Ok(text) => text,
            Err(why) => {
                false_alarms.push(format!("{producer} {}: {why}", f.display()));
                continue;
            }
        };
        let is_tiled = text.contains("\n  tiles: ");
        let is_planar = text.contains("planes: separate");
        tiled += usize::from(is_tiled);
        planar += usize::from(is_planar);
        // Tiled or planar files, and one file in eight of the others, get a page.
        if !(is_tiled || is_planar || decoded % 8 == 0) {
            continue;
        }
        let before = fs::read(f).unwrap();
        let old_pages = rgba_pages(f);
        let o = run(
            d,
            &[
                "write",
                "--append",
                "-q",
                "-o",
                f.to_str().unwrap(),
                "page.pgm",
            ],
        );
        ok(&o);
        appended += 1;
        let after = fs::read(f).unwrap();
        // Of the old file only the last IFD's next-IFD field (4 or 8 bytes) changed.
        let changed: Vec<usize> = (0..before.len())
            .filter(|&i| before[i] != after[i])
            .collect();
        assert!(
            changed.is_empty() || changed[changed.len() - 1] - changed[0] < 8,
            "{}: bytes {changed:?} of the old file changed",
            f.display()
        );
        libtiff_decodes(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let new_pages = rgba_pages(f);
        assert_eq!(new_pages.len(), old_pages.len() + 1, "{}", f.display());
        assert!(
            new_pages[..old_pages.len()] == old_pages[..],
            "{}: an earlier page changed",
            f.display()
        );
        let ours = support::libtiff_pages(f)
            .ok()
            .and_then(|p| p.last().cloned());
        if let Some(ours) = ours.filter(|p| p.width == 40 && p.samples_per_pixel == 1) {
            assert_eq!(ours.data, page_pixels, "{}: the new page", f.display());
        }
    }
    eprintln!(
        "{} files, {decoded} decoded by libtiff ({tiled} tiled, {planar} planar), {} false alarms, {appended} appended to",
        files.len(),
        false_alarms.len()
    );
    assert!(
        decoded > 130 && tiled > 60 && planar > 30,
        "{decoded} {tiled} {planar}"
    );
    assert!(false_alarms.is_empty(), "{false_alarms:#?}");
}

/// A value of a crafted IFD entry.
enum V {
    S(Vec<u16>),
    L(Vec<u32>),
    /// Field type and the value's bytes, little-endian.
    Raw(u16, Vec<u8>),
}

/// A crafted file: what it is, its IFD's entries and its image data.
type Case<'a> = (&'static str, Vec<(u16, V)>, &'a [u8]);

/// A classic little-endian TIFF: `data` from byte 8, then one IFD of `entries` (sorted
/// by tag), their long values after the table.
fn craft(entries: &[(u16, V)], data: &[u8]) -> Vec<u8> {
    let mut out = b"II*\0\0\0\0\0".to_vec();
    out.extend_from_slice(data);
    out.resize(out.len() + out.len() % 2, 0);
    let ifd = out.len();
    out[4..8].copy_from_slice(&(ifd as u32).to_le_bytes());
    let mut es: Vec<&(u16, V)> = entries.iter().collect();
    es.sort_by_key(|e| e.0);
    let mut values = Vec::new();
    let values_at = ifd + 2 + 12 * es.len() + 4;
    out.extend_from_slice(&(es.len() as u16).to_le_bytes());
    for (tag, v) in es {
        let (ty, count, bytes): (u16, usize, Vec<u8>) = match v {
            V::S(v) => (3, v.len(), v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            V::L(v) => (4, v.len(), v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            V::Raw(t, b) => {
                let size = match t {
                    3 | 8 => 2,
                    4 | 9 | 11 | 13 => 4,
                    5 | 10 | 12 | 16..=18 => 8,
                    _ => 1,
                };
                (*t, b.len() / size, b.clone())
            }
        };
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&(count as u32).to_le_bytes());
        if bytes.len() <= 4 {
            let mut field = bytes.clone();
            field.resize(4, 0);
            out.extend_from_slice(&field);
        } else {
            out.extend_from_slice(&((values_at + values.len()) as u32).to_le_bytes());
            values.extend_from_slice(&bytes);
            values.resize(values.len() + values.len() % 2, 0);
        }
    }
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&values);
    out
}

/// A 16 x 8 gray page's entries, strips or tiles (16 x 16), with `change` applied:
/// (tag, None) removes a tag, (tag, Some(v)) sets it.
fn page(tiled: bool, change: Vec<(u16, Option<V>)>) -> Vec<(u16, V)> {
    let mut es: Vec<(u16, V)> = vec![
        (256, V::S(vec![16])),
        (257, V::S(vec![8])),
        (258, V::S(vec![8])),
        (259, V::S(vec![1])),
        (262, V::S(vec![1])),
        (277, V::S(vec![1])),
    ];
    if tiled {
        es.extend([
            (322, V::S(vec![16])),
            (323, V::S(vec![16])),
            (324, V::L(vec![8])),
            (325, V::L(vec![256])),
        ]);
    } else {
        es.extend([
            (273, V::L(vec![8])),
            (278, V::S(vec![8])),
            (279, V::L(vec![128])),
        ]);
    }
    for (tag, v) in change {
        es.retain(|e| e.0 != tag);
        if let Some(v) = v {
            es.push((tag, v));
        }
    }
    es
}

/// Files libtiff refuses or reads wrong that no producer at hand makes: inspect calls
/// none of them sound, and appending refuses each, leaving it byte for byte as it was,
/// with inspect's reason. Before the fix, 9 of these were "sound" and 12 were appended
/// to. Files libtiff reads cleanly that inspect called unsound before (tiles beside
/// stray strip tags, 64-bit and signed types in a classic file, more strips than
/// needed) are sound, and are appended to.
#[test]
fn crafted_files_get_libtiffs_verdict_from_inspect_and_append() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let pixels: Vec<u8> = (0..=255).collect();
    let rgb: Vec<u8> = (0..3 * 128).map(|i| i as u8).collect();
    let s = |v: &[u16]| Some(V::S(v.to_vec()));
    let l = |v: &[u32]| Some(V::L(v.to_vec()));
    let planar = |change: Vec<(u16, Option<V>)>| {
        let mut c = vec![
            (258, s(&[8, 8, 8])),
            (262, s(&[2])),
            (277, s(&[3])),
            (284, s(&[2])),
            (273, l(&[8, 136, 264])),
            (279, l(&[128, 128, 128])),
        ];
        c.extend(change);
        page(false, c)
    };
    let unsound: Vec<Case> = vec![
        (
            "a strip of 0 bytes",
            page(
                false,
                vec![(278, s(&[4])), (273, l(&[8, 72])), (279, l(&[64, 0]))],
            ),
            &pixels[..128],
        ),
        (
            "an uncompressed strip shorter than its rows",
            page(
                false,
                vec![(278, s(&[4])), (273, l(&[8, 72])), (279, l(&[64, 32]))],
            ),
            &pixels[..128],
        ),
        (
            "separate planes with the strips of one",
            planar(vec![(273, l(&[8])), (279, l(&[128]))]),
            &rgb,
        ),
        (
            "fewer tiles than the image needs",
            page(true, vec![(257, s(&[40]))]),
            &pixels,
        ),
        (
            "a tile past the end",
            page(true, vec![(325, l(&[1024]))]),
            &pixels,
        ),
        (
            "a TileLength of 0",
            page(true, vec![(323, s(&[0]))]),
            &pixels,
        ),
        ("no TileByteCounts", page(true, vec![(325, None)]), &pixels),
        ("no TileOffsets", page(true, vec![(324, None)]), &pixels),
        (
            "a palette whose ColorMap is short",
            page(false, vec![(262, s(&[3])), (320, s(&[0; 12]))]),
            &pixels[..128],
        ),
        (
            "more ExtraSamples than samples",
            page(false, vec![(338, s(&[0, 0]))]),
            &pixels[..128],
        ),
        (
            "StripByteCounts of type BYTE",
            page(false, vec![(279, Some(V::Raw(1, vec![128])))]),
            &pixels[..128],
        ),
        (
            "a negative XResolution",
            page(
                false,
                vec![(
                    282,
                    Some(V::Raw(
                        10,
                        [(-300i32).to_le_bytes(), 1i32.to_le_bytes()].concat(),
                    )),
                )],
            ),
            &pixels[..128],
        ),
    ];
    let sound: Vec<Case> = vec![
        ("tiles", page(true, vec![]), &pixels),
        (
            "tiles beside strip tags pointing past the end",
            page(true, vec![(273, l(&[99_999])), (279, l(&[5]))]),
            &pixels,
        ),
        ("separate planes", planar(vec![]), &rgb),
        (
            "an ImageWidth of type LONG8",
            page(
                false,
                vec![(256, Some(V::Raw(16, 16u64.to_le_bytes().to_vec())))],
            ),
            &pixels[..128],
        ),
        (
            "an XResolution of type SRATIONAL",
            page(
                false,
                vec![(
                    282,
                    Some(V::Raw(
                        10,
                        [300i32.to_le_bytes(), 1i32.to_le_bytes()].concat(),
                    )),
                )],
            ),
            &pixels[..128],
        ),
        (
            "more strips than the image needs",
            page(false, vec![(273, l(&[8, 8])), (279, l(&[128, 128]))]),
            &pixels[..128],
        ),
    ];
    sh(d, "pgmramp -tb 16 8 > page.pgm");
    let (mut wrong_verdicts, mut appended_unsound) = (Vec::new(), Vec::new());
    for (name, entries, data) in &unsound {
        let path = d.join("crafted.tif");
        let bytes = craft(entries, data);
        fs::write(&path, &bytes).unwrap();
        assert!(libtiff_decodes(&path).is_err(), "{name}: libtiff reads it");
        let problem = match inspect(d, &path) {
            Ok(_) => {
                wrong_verdicts.push(*name);
                continue;
            }
            Err(first) => first,
        };
        let o = run(d, &["write", "--append", "-o", "crafted.tif", "page.pgm"]);
        if o.status.success() {
            appended_unsound.push(*name);
            continue;
        }
        let msg = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {msg}");
        assert!(
            msg.contains(&problem),
            "{name}: {msg} does not say {problem}"
        );
        assert_eq!(fs::read(&path).unwrap(), bytes, "{name}: the file changed");
    }
    for (name, entries, data) in &sound {
        let path = d.join("crafted.tif");
        fs::write(&path, craft(entries, data)).unwrap();
        libtiff_decodes(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(why) = inspect(d, &path) {
            wrong_verdicts.push(*name);
            eprintln!("{name}: {why}");
            continue;
        }
        let old = rgba_pages(&path);
        ok(&run(
            d,
            &["write", "--append", "-q", "-o", "crafted.tif", "page.pgm"],
        ));
        libtiff_decodes(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let new = rgba_pages(&path);
        assert_eq!((new.len(), &new[0]), (2, &old[0]), "{name}");
    }
    assert!(
        wrong_verdicts.is_empty() && appended_unsound.is_empty(),
        "inspect disagrees with libtiff on {wrong_verdicts:?}; appended to {appended_unsound:?}"
    );
}
