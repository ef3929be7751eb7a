//! The C ABI as a driver sees it: C programs in `tests/c/` are compiled with the
//! system `cc` against `include/wias.h` and the built `libwias.a` / `libwias.so`, run
//! under valgrind (no memory error, no definite leak), and the files they write are
//! read back by libtiff (`tiffpixels`, `tiffinfo -D`), the `tiff` crate and the
//! `image` crate's BMP decoder, pixel for pixel against the page buffers the C program
//! filled.
//!
//! Needs: cc, libtiff-dev + pkg-config, libtiff-tools, valgrind (`.ci/run` installs
//! them). `WIAS_NO_VALGRIND=1` runs the programs directly (for a machine without it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

// The libtiff decoder, `tiffinfo -D` and the tiff-crate reader the library's tests use.
use wias_testsupport as support;

/// `target/<profile>`: where cargo puts `libwias.a` and `libwias.so`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// Builds the C library (cargo does not build a cdylib/staticlib for integration
/// tests) once per test run, in the same profile as this test, and returns its folder.
fn library() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = profile_dir();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "wias-capi", "--lib", "--target-dir"])
            .arg(dir.parent().unwrap());
        if dir.file_name().unwrap() == "release" {
            cmd.arg("--release");
        }
        let st = cmd
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo");
        assert!(st.success(), "cargo build -p wias-capi failed");
        for f in ["libwias.a", "libwias.so"] {
            assert!(dir.join(f).is_file(), "{f} not built in {}", dir.display());
        }
        // The SONAME link an install (or ldconfig) makes: programs linked with -lwias
        // load libwias.so.0 (README, "Using wias from C").
        let soname = dir.join("libwias.so.0");
        let _ = std::fs::remove_file(&soname);
        std::os::unix::fs::symlink("libwias.so", &soname).unwrap();
        dir
    })
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn work_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("c_abi")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

enum Link {
    /// `libwias.a`, with the system libraries rustc lists for it.
    Static,
    /// `-lwias` against `libwias.so`, found at run time through an rpath.
    Shared,
}

fn pkg_config_libtiff() -> Vec<String> {
    let out = Command::new("pkg-config")
        .args(["--cflags", "--libs", "libtiff-4"])
        .output()
        .expect("pkg-config is needed (apt-get install pkg-config libtiff-dev)");
    assert!(
        out.status.success(),
        "pkg-config libtiff-4: install libtiff-dev"
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// Compiles `tests/c/<name>.c` (strict C11, warnings are errors) into `dir`.
fn compile(name: &str, dir: &Path, link: Link, extra: &[String]) -> PathBuf {
    let lib = library();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/c/{name}.c"));
    let out = dir.join(name);
    let mut cmd = Command::new("cc");
    cmd.args([
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic",
        "-g",
        "-O1",
    ])
    .arg("-I")
    .arg(repo_root().join("include"))
    .arg("-o")
    .arg(&out)
    .arg(&src);
    match link {
        Link::Static => {
            cmd.arg(lib.join("libwias.a"));
        }
        Link::Shared => {
            cmd.arg(format!("-L{}", lib.display()))
                .arg("-lwias")
                .arg(format!("-Wl,-rpath,{}", lib.display()));
        }
    }
    cmd.args(extra);
    // What `rustc --print native-static-libs` lists for libwias.a on Linux.
    cmd.args([
        "-lgcc_s",
        "-lutil",
        "-lrt",
        "-lpthread",
        "-lm",
        "-ldl",
        "-lc",
    ]);
    let res = cmd.output().expect("cc is needed");
    assert!(
        res.status.success(),
        "compiling {name}.c failed:\n{}",
        String::from_utf8_lossy(&res.stderr)
    );
    out
}

/// Runs a C test program under valgrind; it must exit 0, print "ok" and nothing on
/// stderr (valgrind reports go there too).
fn run(bin: &Path, args: &[&Path], envs: &[(&str, &str)]) -> String {
    let mut cmd = if std::env::var_os("WIAS_NO_VALGRIND").is_some() {
        Command::new(bin)
    } else {
        let mut c = Command::new("valgrind");
        c.args([
            "-q",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite",
        ])
        .arg(bin);
        c
    };
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {} ({e}): is valgrind installed? (apt-get install valgrind, or WIAS_NO_VALGRIND=1)", bin.display())
    });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{} failed ({:?}):\n{stderr}\n{stdout}",
        bin.display(),
        out.status.code()
    );
    stdout
}

/// Every page of `path` as libtiff decodes it, in page-buffer form; a warning from
/// libtiff is a failure.
fn libtiff_pages(path: &Path) -> Vec<support::Page> {
    support::libtiff_pages(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Checks that `tif` holds exactly the pages in `raw` (page buffers back to back, all
/// `width` × `lines` × `depth`), as libtiff and the `tiff` crate decode them.
fn assert_pages(tif: &Path, raw: &Path, width: u32, lines: &[u32], depth: u32) {
    let raw = std::fs::read(raw).unwrap();
    let row = (width * depth).div_ceil(8) as usize;
    let mut expected = Vec::new();
    let mut at = 0;
    for &h in lines {
        let n = row * h as usize;
        expected.push(&raw[at..at + n]);
        at += n;
    }
    assert_eq!(at, raw.len(), "page sizes do not add up to {}", raw.len());
    support::tiffinfo_clean(tif).unwrap();
    let pages = libtiff_pages(tif);
    assert_eq!(pages.len(), lines.len(), "{}: page count", tif.display());
    for (i, (page, want)) in pages.iter().zip(&expected).enumerate() {
        assert_eq!(
            (
                page.width,
                page.height,
                u32::from(page.bits_per_sample * page.samples_per_pixel)
            ),
            (width, lines[i], depth),
            "{} page {i}",
            tif.display()
        );
        assert!(
            page.data == *want,
            "{} page {i}: pixels differ (libtiff)",
            tif.display()
        );
    }
    let pages = support::tiff_crate_pages(tif).unwrap();
    assert_eq!(pages.len(), lines.len());
    for (i, (page, want)) in pages.iter().zip(&expected).enumerate() {
        assert!(
            page.data == *want,
            "{} page {i}: pixels differ (tiff crate)",
            tif.display()
        );
    }
}

#[test]
fn valgrind_wrapper_catches_a_heap_overflow() {
    // The C tests below are only as strict as the valgrind run: show it fails on the
    // kind of bug it is there for.
    if std::env::var_os("WIAS_NO_VALGRIND").is_some() {
        return;
    }
    let dir = work_dir("overflow");
    let src = dir.join("overflow.c");
    std::fs::write(
        &src,
        "#include <stdlib.h>\nint main(void){ volatile char *p = malloc(8); p[8] = 1; free((void*)p); return 0; }\n",
    )
    .unwrap();
    let bin = dir.join("overflow");
    assert!(Command::new("cc")
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .status()
        .unwrap()
        .success());
    let out = Command::new("valgrind")
        .args(["-q", "--error-exitcode=99"])
        .arg(&bin)
        .output()
        .expect("valgrind is needed (apt-get install valgrind)");
    assert_eq!(out.status.code(), Some(99));
}

#[test]
fn header_matches_the_windows_x64_layout_and_the_library() {
    let dir = work_dir("layout");
    let bin = compile("layout", &dir, Link::Shared, &[]);
    let out = run(&bin, &[], &[]);
    let got: BTreeMap<&str, &str> = out
        .lines()
        .map(|l| l.split_once(' ').expect("name value"))
        .collect();
    let num = |k: &str| -> i64 {
        got.get(k)
            .unwrap_or_else(|| panic!("layout.c printed no {k}"))
            .parse()
            .unwrap()
    };

    // MINIDRV_TRANSFER_CONTEXT on Windows x64 (wiamindr_lh.h; docs/c-api.md).
    let windows = [
        ("lSize", 0),
        ("lWidthInPixels", 4),
        ("lLines", 8),
        ("lDepth", 12),
        ("lXRes", 16),
        ("lYRes", 20),
        ("lCompression", 24),
        ("guidFormatID", 28),
        ("tymed", 44),
        ("hFile", 48),
        ("cbOffset", 56),
        ("lBufferSize", 60),
        ("lActiveBuffer", 64),
        ("lNumBuffers", 68),
        ("pBaseBuffer", 72),
        ("pTransferBuffer", 80),
        ("bTransferDataCB", 88),
        ("bClassDrvAllocBuf", 92),
        ("lClientAddress", 96),
        ("pIWiaMiniDrvCallBack", 104),
        ("lImageSize", 112),
        ("lHeaderSize", 116),
        ("lItemSize", 120),
        ("cbWidthInBytes", 124),
        ("lPage", 128),
        ("lCurIfdOffset", 132),
        ("lPrevIfdOffset", 136),
    ];
    assert_eq!(windows.len(), 27);
    assert_eq!(num("sizeof.M"), 144);
    assert_eq!(num("alignof.M"), 8);
    for (field, off) in windows {
        assert_eq!(
            num(&format!("offsetof.M.{field}")),
            off,
            "offset of {field}"
        );
    }
    for (t, size) in [
        ("GUID", 16),
        ("LONG", 4),
        ("LONG_PTR", 8),
        ("BOOL", 4),
        ("BYTE", 1),
        ("HRESULT", 4),
        ("LARGE_INTEGER", 8),
        ("STATSTG", 80),
        ("IStream", 8),
        ("IStreamVtbl", 14 * 8),
    ] {
        assert_eq!(num(&format!("sizeof.{t}")), size, "sizeof({t})");
    }
    let com_order = [
        "QueryInterface",
        "AddRef",
        "Release",
        "Read",
        "Write",
        "Seek",
        "SetSize",
        "CopyTo",
        "Commit",
        "Revert",
        "LockRegion",
        "UnlockRegion",
        "Stat",
        "Clone",
    ];
    for (i, m) in com_order.iter().enumerate() {
        assert_eq!(
            num(&format!("offsetof.IStreamVtbl.{m}")),
            8 * i as i64,
            "{m}"
        );
    }
    assert_eq!(num("offsetof.STATSTG.cbSize"), 16);
    assert_eq!(num("offsetof.STATSTG.clsid"), 56);

    // Constants: the header's values are the library's values.
    use wias_core::context::tymed;
    use wias_core::hresult as h;
    let lib: &[(&str, i32)] = &[
        ("S_OK", h::S_OK),
        ("S_FALSE", h::S_FALSE),
        ("E_NOTIMPL", h::E_NOTIMPL),
        ("E_POINTER", h::E_POINTER),
        ("E_FAIL", h::E_FAIL),
        ("E_UNEXPECTED", h::E_UNEXPECTED),
        ("E_ACCESSDENIED", h::E_ACCESSDENIED),
        ("E_OUTOFMEMORY", h::E_OUTOFMEMORY),
        ("E_INVALIDARG", h::E_INVALIDARG),
        ("STG_E_ACCESSDENIED", h::STG_E_ACCESSDENIED),
        ("STG_E_WRITEFAULT", h::STG_E_WRITEFAULT),
        ("STG_E_MEDIUMFULL", h::STG_E_MEDIUMFULL),
        (
            "HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)",
            h::from_win32(h::ERROR_INVALID_HANDLE),
        ),
        (
            "HRESULT_FROM_WIN32(ERROR_DISK_FULL)",
            h::from_win32(h::ERROR_DISK_FULL),
        ),
        (
            "HRESULT_FROM_WIN32(ERROR_FILE_TOO_LARGE)",
            h::from_win32(h::ERROR_FILE_TOO_LARGE),
        ),
        ("HRESULT_FROM_WIN32(0)", 0),
        ("HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)", h::E_ACCESSDENIED),
        ("WIA_ERROR_GENERAL_ERROR", h::WIA_ERROR_GENERAL_ERROR),
        ("WIA_ERROR_PAPER_JAM", h::WIA_ERROR_PAPER_JAM),
        ("WIA_ERROR_PAPER_EMPTY", h::WIA_ERROR_PAPER_EMPTY),
        ("WIA_ERROR_PAPER_PROBLEM", h::WIA_ERROR_PAPER_PROBLEM),
        ("WIA_ERROR_OFFLINE", h::WIA_ERROR_OFFLINE),
        ("WIA_ERROR_BUSY", h::WIA_ERROR_BUSY),
        ("WIA_ERROR_WARMING_UP", h::WIA_ERROR_WARMING_UP),
        (
            "WIA_ERROR_USER_INTERVENTION",
            h::WIA_ERROR_USER_INTERVENTION,
        ),
        ("WIA_ERROR_ITEM_DELETED", h::WIA_ERROR_ITEM_DELETED),
        (
            "WIA_ERROR_DEVICE_COMMUNICATION",
            h::WIA_ERROR_DEVICE_COMMUNICATION,
        ),
        ("WIA_ERROR_INVALID_COMMAND", h::WIA_ERROR_INVALID_COMMAND),
        (
            "WIA_ERROR_INCORRECT_HARDWARE_SETTING",
            h::WIA_ERROR_INCORRECT_HARDWARE_SETTING,
        ),
        ("WIA_ERROR_DEVICE_LOCKED", h::WIA_ERROR_DEVICE_LOCKED),
        (
            "WIA_ERROR_EXCEPTION_IN_DRIVER",
            h::WIA_ERROR_EXCEPTION_IN_DRIVER,
        ),
        (
            "WIA_ERROR_INVALID_DRIVER_RESPONSE",
            h::WIA_ERROR_INVALID_DRIVER_RESPONSE,
        ),
        ("WIA_ERROR_COVER_OPEN", h::WIA_ERROR_COVER_OPEN),
        ("WIA_ERROR_LAMP_OFF", h::WIA_ERROR_LAMP_OFF),
        ("WIA_ERROR_DESTINATION", h::WIA_ERROR_DESTINATION),
        (
            "WIA_ERROR_NETWORK_RESERVATION_FAILED",
            h::WIA_ERROR_NETWORK_RESERVATION_FAILED,
        ),
        ("WIA_ERROR_MULTI_FEED", h::WIA_ERROR_MULTI_FEED),
        (
            "WIA_ERROR_MAXIMUM_PRINTER_ENDORSER_COUNTER",
            h::WIA_ERROR_MAXIMUM_PRINTER_ENDORSER_COUNTER,
        ),
        ("TYMED_FILE", tymed::FILE),
        ("TYMED_CALLBACK", tymed::CALLBACK),
        ("TYMED_MULTIPAGE_FILE", tymed::MULTIPAGE_FILE),
        ("TYMED_MULTIPAGE_CALLBACK", tymed::MULTIPAGE_CALLBACK),
    ];
    for (name, value) in lib {
        assert_eq!(num(name), i64::from(*value), "{name}");
    }
    use wias_core::DeviceCompression as D;
    for (name, c) in [
        ("WIA_COMPRESSION_NONE", D::None),
        ("WIA_COMPRESSION_BI_RLE4", D::BiRle4),
        ("WIA_COMPRESSION_BI_RLE8", D::BiRle8),
        ("WIA_COMPRESSION_G3", D::G3),
        ("WIA_COMPRESSION_G4", D::G4),
        ("WIA_COMPRESSION_JPEG", D::Jpeg),
        ("WIA_COMPRESSION_JBIG", D::Jbig),
        ("WIA_COMPRESSION_JPEG2K", D::Jpeg2k),
        ("WIA_COMPRESSION_PNG", D::Png),
    ] {
        assert_eq!(num(name), i64::from(c.to_wia()), "{name}");
    }
    // Values the library has no constant for, from wiadef.h / objidl.h.
    for (name, value) in [
        ("E_NOINTERFACE", 0x8000_4002_u32 as i32),
        ("WIA_S_NO_DEVICE_AVAILABLE", 0x8021_0015_u32 as i32),
        ("WIA_STATUS_END_OF_MEDIA", 0x0021_0001),
        ("WIA_STATUS_WARMING_UP", 0x0021_0002),
        ("WIA_STATUS_CALIBRATING", 0x0021_0003),
        ("WIA_STATUS_RESERVING_NETWORK_DEVICE", 0x0021_0006),
        ("WIA_STATUS_NETWORK_DEVICE_RESERVED", 0x0021_0007),
        ("WIAS_INIT_CONTEXT", 1),
        ("STREAM_SEEK_SET", 0),
        ("STREAM_SEEK_CUR", 1),
        ("STREAM_SEEK_END", 2),
    ] {
        assert_eq!(num(name), i64::from(value), "{name}");
    }

    // GUIDs exported by the library, against wiadef.h (printed as the registry does)
    // and against the library's own table.
    let wiadef = [
        ("UNDEFINED", "b96b3ca9-0728-11d3-9d7b-0000f81ef32e"),
        ("RAWRGB", "bca48b55-f272-4371-b0f1-4a150d057bb4"),
        ("MEMORYBMP", "b96b3caa-0728-11d3-9d7b-0000f81ef32e"),
        ("BMP", "b96b3cab-0728-11d3-9d7b-0000f81ef32e"),
        ("EMF", "b96b3cac-0728-11d3-9d7b-0000f81ef32e"),
        ("WMF", "b96b3cad-0728-11d3-9d7b-0000f81ef32e"),
        ("JPEG", "b96b3cae-0728-11d3-9d7b-0000f81ef32e"),
        ("PNG", "b96b3caf-0728-11d3-9d7b-0000f81ef32e"),
        ("GIF", "b96b3cb0-0728-11d3-9d7b-0000f81ef32e"),
        ("TIFF", "b96b3cb1-0728-11d3-9d7b-0000f81ef32e"),
        ("EXIF", "b96b3cb2-0728-11d3-9d7b-0000f81ef32e"),
        ("PHOTOCD", "b96b3cb3-0728-11d3-9d7b-0000f81ef32e"),
        ("FLASHPIX", "b96b3cb4-0728-11d3-9d7b-0000f81ef32e"),
        ("ICO", "b96b3cb5-0728-11d3-9d7b-0000f81ef32e"),
        ("CIFF", "9821a8ab-3a7e-4215-94e0-d27a460c03b2"),
        ("PICT", "a6bc85d8-6b3e-40ee-a95c-25d482e41adc"),
        ("JPEG2K", "344ee2b2-39db-4dde-8173-c4b75f8f1e49"),
        ("JPEG2KX", "43e14614-c80a-4850-baf3-4b152dc8da27"),
        ("RAW", "6f120719-f1a8-4e07-9ade-9b64c63a3dcc"),
        ("JBIG", "41e8dd92-2f0a-43d4-8636-f1614ba11e46"),
        ("JBIG2", "bb8e7e67-283c-4235-9e59-0b9bf94ca687"),
        ("RTF", "573dd6a3-4834-432d-a9b5-e198dd9e890d"),
        ("XML", "b9171457-dac8-4884-b393-15b471d5f07e"),
        ("HTML", "c99a4e62-99de-4a94-acca-71956ac2977d"),
        ("TXT", "fafd4d82-723f-421f-9318-30501ac44b59"),
        ("PDFA", "9980bd5b-3463-43c7-bdca-3caa146f229f"),
        ("XPS", "700b4a0f-2011-411c-b430-d1e0b2e10b28"),
        ("CSV", "355bda24-5a9f-4494-80dc-be752cecbc8c"),
    ];
    for (name, value) in wiadef {
        let key = format!("WiaImgFmt_{name}");
        assert_eq!(got[key.as_str()], format!("{{{value}}}"), "{key}");
    }
    use wias_core::guids as g;
    for (name, guid) in [
        ("TIFF", g::TIFF),
        ("BMP", g::BMP),
        ("MEMORYBMP", g::MEMORYBMP),
        ("JPEG", g::JPEG),
        ("RAW", g::RAW),
        ("PDFA", g::PDFA),
    ] {
        assert_eq!(
            got[format!("WiaImgFmt_{name}").as_str()],
            guid.to_string(),
            "{name}"
        );
    }
}

#[test]
fn three_page_adf_scan_reads_back_pixel_exact_from_file_and_stream() {
    let dir = work_dir("adf");
    let bin = compile("adf_scan", &dir, Link::Static, &[]);
    // A fixed DateTime, so that the file and the stream can be compared byte for byte.
    run(&bin, &[&dir], &[("SOURCE_DATE_EPOCH", "1795610096")]);
    for (depth, width) in [(1, 203), (8, 101), (24, 67), (16, 45), (48, 33)] {
        let tif = dir.join(format!("adf-{depth}.tif"));
        assert_pages(
            &tif,
            &dir.join(format!("adf-{depth}.raw")),
            width,
            &[47, 47, 47],
            depth,
        );
        let pages = libtiff_pages(&tif);
        assert!(pages.iter().all(|p| p.compression == 1));
        if depth == 1 {
            assert!(
                pages.iter().all(|p| p.photometric == 0),
                "bilevel: WhiteIsZero"
            );
        }
        let file = std::fs::read(&tif).unwrap();
        let stream = std::fs::read(dir.join(format!("adf-{depth}-stream.tif"))).unwrap();
        assert!(
            file == stream,
            "{depth}-bit: the stream's bytes differ from the file's"
        );
        let text = String::from_utf8_lossy(&file);
        assert!(
            text.contains("2026:11:25 12:34:56"),
            "SOURCE_DATE_EPOCH sets DateTime"
        );
    }
    assert_pages(
        &dir.join("unknown-lines.tif"),
        &dir.join("unknown-lines.raw"),
        90,
        &[30, 45],
        8,
    );
}

#[test]
fn bmp_page_via_page_and_buffer_writes_decodes_to_the_driver_picture() {
    let dir = work_dir("bmp");
    let bin = compile("bmp_page", &dir, Link::Static, &[]);
    run(&bin, &[&dir], &[]);
    for depth in [1, 8, 24] {
        let want = std::fs::read(dir.join(format!("page-{depth}.rgb"))).unwrap();
        for kind in ["page", "buf"] {
            let path = dir.join(format!("{kind}-{depth}.bmp"));
            let img = image::ImageReader::open(&path)
                .unwrap()
                .with_guessed_format()
                .unwrap()
                .decode()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!((img.width(), img.height()), (37, 23), "{}", path.display());
            assert!(
                img.to_rgb8().into_raw() == want,
                "{}: pixels differ from the driver's picture",
                path.display()
            );
        }
        assert_eq!(
            std::fs::read(dir.join(format!("page-{depth}.bmp"))).unwrap(),
            std::fs::read(dir.join(format!("buf-{depth}.bmp"))).unwrap(),
            "{depth}-bit: wiasWritePageBufToFile and wiasWriteBufToFile disagree"
        );
    }
}

#[test]
fn every_error_path_returns_the_documented_hresult_and_keeps_earlier_pages() {
    let dir = work_dir("errors");
    let bin = compile("errors", &dir, Link::Static, &[]);
    run(&bin, &[&dir], &[]);
    let (w, h) = (40, 9);
    // Read-only descriptor at page 2: exactly the two acknowledged pages.
    assert_pages(
        &dir.join("readonly.tif"),
        &dir.join("readonly.raw"),
        w,
        &[h, h],
        8,
    );
    // Page 1 refused four ways, then written: three good pages, nothing stray.
    assert_pages(
        &dir.join("recover.tif"),
        &dir.join("recover.raw"),
        w,
        &[h; 3],
        8,
    );
    // The stream filled up during page 2.
    assert_pages(
        &dir.join("stream-full.tif"),
        &dir.join("stream-full.raw"),
        w,
        &[h, h],
        8,
    );
    // Past 2 GiB: refused before writing; the file still holds page 0 and its chain
    // ends there (libtiff reads the IFDs only, the sparse rest is never touched).
    let pages = libtiff_pages(&dir.join("big.tif"));
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].data, std::fs::read(dir.join("big.raw")).unwrap());
    // Write-only descriptor: page 0 written, page 1 refused.
    assert_eq!(libtiff_pages(&dir.join("writeonly.tif")).len(), 1);
    // Every refusal happened before a byte was written.
    for empty in ["bad.tif", "null.tif", "closed.tif"] {
        assert_eq!(
            std::fs::metadata(dir.join(empty)).unwrap().len(),
            0,
            "{empty}"
        );
    }
}

#[test]
fn full_medium_returns_stg_e_mediumfull_and_keeps_earlier_pages() {
    let dir = work_dir("fsize");
    let bin = compile("fsize", &dir, Link::Static, &[]);
    run(&bin, &[&dir], &[]);
    assert_pages(
        &dir.join("fsize.tif"),
        &dir.join("fsize.raw"),
        64,
        &[50, 50],
        8,
    );
}

/// A page-sized allocation that fails is E_OUTOFMEMORY, not an abort, and the
/// document goes on after it. Run without valgrind: it limits the address space.
#[test]
fn out_of_memory_returns_e_outofmemory_and_the_document_goes_on() {
    let dir = work_dir("oom");
    let bin = compile("oom", &dir, Link::Static, &[]);
    let out = Command::new(&bin).arg(&dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_pages(&dir.join("oom.tif"), &dir.join("oom.raw"), 64, &[50, 50], 1);
}

#[test]
fn device_compressed_g4_pages_are_passed_through() {
    let dir = work_dir("g4");
    let bin = compile("g4_passthrough", &dir, Link::Static, &pkg_config_libtiff());
    run(&bin, &[&dir], &[]);
    let tif = dir.join("g4.tif");
    assert_pages(&tif, &dir.join("g4.raw"), 203, &[61, 61], 1);
    assert!(
        libtiff_pages(&tif).iter().all(|p| p.compression == 4),
        "pages are stored as the device's G4 data"
    );
}

/// The README's "Using wias from C" example compiles as written against an installed
/// copy (header, libraries and `wias.pc` laid out as the README says), and runs.
#[test]
fn docs_example_builds_with_pkg_config_and_scans_three_pages() {
    let lib = library();
    let dir = work_dir("docs");
    let doc = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = doc
        .find("```c\n/* scan.c:")
        .expect("the scan.c example in README.md")
        + 5;
    let len = doc[start..].find("```").unwrap();
    std::fs::write(dir.join("scan.c"), &doc[start..start + len]).unwrap();

    // Install as the README says: its install block, run with PREFIX in our
    // directory and the libraries of this build.
    let prefix = dir.join("prefix");
    let install = doc
        .split("```sh\n")
        .skip(1)
        .map(|b| &b[..b.find("```").unwrap()])
        .find(|b| b.contains("install -Dm644 include/wias.h"))
        .expect("the install block in README.md")
        .replace(
            "PREFIX=/usr/local",
            &format!("PREFIX='{}'", prefix.display()),
        )
        .replace("target/release/", &format!("'{}'/", lib.display()));
    let st = Command::new("sh")
        .args(["-ec", &install])
        .current_dir(repo_root())
        .status()
        .unwrap();
    assert!(
        st.success(),
        "the README's install commands failed:\n{install}"
    );
    let version = format!("libwias.so.{}", env!("CARGO_PKG_VERSION"));
    assert!(
        prefix.join("lib").join(&version).is_file(),
        "the README installs {version}, named after the crate version"
    );
    let pc = std::fs::read_to_string(repo_root().join("wias.pc")).unwrap();
    assert!(
        pc.lines()
            .any(|l| l == format!("Version: {}", env!("CARGO_PKG_VERSION"))),
        "wias.pc Version is not the crate version {}",
        env!("CARGO_PKG_VERSION")
    );

    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "wias"])
        .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
        .output()
        .expect("pkg-config");
    assert!(
        flags.status.success(),
        "{}",
        String::from_utf8_lossy(&flags.stderr)
    );
    let flags = String::from_utf8(flags.stdout).unwrap();
    let bin = dir.join("scan");
    let cc = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o"])
        .arg(&bin)
        .arg(dir.join("scan.c"))
        .args(flags.split_whitespace())
        // The README's way to run from a prefix the loader does not search.
        .arg(format!("-Wl,-rpath,{}", prefix.join("lib").display()))
        .output()
        .unwrap();
    assert!(
        cc.status.success(),
        "the docs example does not compile:\n{}",
        String::from_utf8_lossy(&cc.stderr)
    );
    let tif = dir.join("scan.tif");
    // No LD_LIBRARY_PATH: the rpath and the SONAME link find the library.
    let out = run(&bin, &[&tif], &[]);
    assert_eq!(out.lines().count(), 3, "{out}");
    let needed = readelf_dynamic(&bin);
    assert!(
        needed.contains("Shared library: [libwias.so.0]"),
        "{needed}"
    );

    support::tiffinfo_clean(&tif).unwrap();
    let pages = libtiff_pages(&tif);
    assert_eq!(pages.len(), 3);
    for (p, page) in pages.iter().enumerate() {
        assert_eq!(
            (page.width, page.height, page.bits_per_sample),
            (850, 1100, 8)
        );
        let want: Vec<u8> = (0..1100usize)
            .flat_map(|y| (0..850usize).map(move |x| ((x + y + 40 * p) & 0xFF) as u8))
            .collect();
        assert!(page.data == want, "page {p} pixels");
    }
}

/// `readelf -d` of an ELF file: its dynamic section (SONAME, NEEDED, RUNPATH).
fn readelf_dynamic(path: &Path) -> String {
    let o = Command::new("readelf")
        .arg("-d")
        .arg(path)
        .output()
        .expect("readelf (binutils)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// libwias.so carries a versioned SONAME, so programs record `libwias.so.0` (the ABI
/// version) rather than an unversioned name any later libwias.so could answer to.
#[test]
fn the_shared_library_has_a_versioned_soname() {
    let d = readelf_dynamic(&library().join("libwias.so"));
    assert!(
        d.lines()
            .any(|l| l.contains("(SONAME)") && l.contains("Library soname: [libwias.so.0]")),
        "{d}"
    );
}

/// C++ drivers include the header too.
#[test]
fn header_compiles_as_cpp() {
    // No skip: a machine without c++ fails here (.ci/run installs g++).
    assert!(
        Command::new("c++").arg("--version").output().is_ok(),
        "no c++ compiler: install g++ (.ci/run does) to check the header compiles as C++"
    );
    let dir = work_dir("cpp");
    let src = dir.join("use.cpp");
    std::fs::write(
        &src,
        "#include <wias.h>\n\
         static_assert(sizeof(MINIDRV_TRANSFER_CONTEXT) == 144, \"layout\");\n\
         HRESULT write_one(PMINIDRV_TRANSFER_CONTEXT c, IStream *s) {\n\
           if (!IsEqualGUID(&c->guidFormatID, &WiaImgFmt_TIFF)) return E_INVALIDARG;\n\
           HRESULT hr = wiasGetImageInformation(nullptr, WIAS_INIT_CONTEXT, c);\n\
           return FAILED(hr) ? hr : wiasWritePageBufToStream(c, s);\n\
         }\n",
    )
    .unwrap();
    let out = Command::new("c++")
        .args([
            "-std=c++11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-fsyntax-only",
        ])
        .arg("-I")
        .arg(repo_root().join("include"))
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn libjpeg_flags() -> Vec<String> {
    // libjpeg-dev comes with libtiff-dev; pkg-config names it libjpeg.
    let out = Command::new("pkg-config")
        .args(["--cflags", "--libs", "libjpeg"])
        .output()
        .expect("pkg-config");
    if out.status.success() {
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .map(String::from)
            .collect()
    } else {
        vec!["-ljpeg".into()]
    }
}

#[test]
fn device_jpeg_page_is_written_as_the_device_delivered_it() {
    let dir = work_dir("jpeg-file");
    let bin = compile("jpeg_page", &dir, Link::Static, &libjpeg_flags());
    run(&bin, &[&dir, Path::new("file")], &[]);
    let device = std::fs::read(dir.join("device.jpg")).unwrap();
    assert_eq!(&device[..2], &[0xFF, 0xD8], "libjpeg wrote a JPEG");
    for out in ["page.jpg", "stream.jpg"] {
        assert!(
            std::fs::read(dir.join(out)).unwrap() == device,
            "{out} is not the device's JPEG byte for byte"
        );
    }
}

#[test]
fn device_jpeg_pages_are_passed_through_into_a_multipage_tiff() {
    let dir = work_dir("jpeg-tiff");
    let bin = compile("jpeg_page", &dir, Link::Static, &libjpeg_flags());
    run(&bin, &[&dir, Path::new("tiff")], &[]);
    let tif = dir.join("jpeg.tif");
    support::tiffinfo_clean(&tif).unwrap();
    let pages = libtiff_pages(&tif);
    assert_eq!(pages.len(), 2);
    let want = std::fs::read(dir.join("jpeg.rgb")).unwrap();
    for (i, (page, want)) in pages.iter().zip(want.chunks(96 * 64 * 3)).enumerate() {
        assert_eq!((page.width, page.height, page.compression), (96, 64, 7));
        assert!(
            page.data == want,
            "page {i}: libtiff's decode differs from libjpeg's decode of the device data"
        );
    }
}

/// Pillow's first page of `tif` (1-, 8- and 24-bit: Pillow turns 16-bit samples into
/// 8-bit ones) and tifffile's every page must be the page buffers in `raw`.
fn python_readers_agree(tif: &Path, raw: &Path, width: u32, lines: u32, depth: u32) {
    let raw = std::fs::read(raw).unwrap();
    let row = (width * depth).div_ceil(8) as usize;
    let page = row * lines as usize;
    let pages = support::tifffile_pages(tif).unwrap();
    assert_eq!(
        pages.len() * page,
        raw.len(),
        "{}: tifffile pages",
        tif.display()
    );
    for (i, (p, want)) in pages.iter().zip(raw.chunks(page)).enumerate() {
        assert!(
            p.data == want,
            "{} page {i}: tifffile's pixels differ",
            tif.display()
        );
    }
    if matches!(depth, 16 | 48) {
        return;
    }
    let img = &support::pillow_images(&[tif]).unwrap()[0];
    assert_eq!((img.width, img.height), (width, lines), "{}", tif.display());
    let want: Vec<u8> = if depth == 1 {
        (0..lines as usize)
            .flat_map(|y| (0..width as usize).map(move |x| (y, x)))
            .map(|(y, x)| {
                if raw[y * row + x / 8] & (0x80 >> (x % 8)) != 0 {
                    255
                } else {
                    0
                }
            })
            .collect()
    } else {
        raw[..page].to_vec()
    };
    assert!(
        img.data == want,
        "{}: Pillow's pixels differ",
        tif.display()
    );
}

/// The minidriver of `tests/c/driver.h`, written as drivers for the Windows service
/// are (banded reads into its own buffer, one `wiasWritePageBufToFile` per page, the
/// page fields never touched), writes four-page TIFFs at every depth; the same driver
/// that also numbers `lPage` itself writes the same files byte for byte; the stream
/// gets the same bytes as the file. libtiff, the `tiff` crate, tifffile and Pillow read
/// every page pixel for pixel.
#[test]
fn a_driver_written_for_windows_gets_every_tiff_page_at_every_depth() {
    let dir = work_dir("driver-tiff");
    let bin = compile("driver_tiff", &dir, Link::Static, &[]);
    let epoch = [("SOURCE_DATE_EPOCH", "1795610096")];
    run(&bin, &[&dir, Path::new("windows")], &epoch);
    run(&bin, &[&dir, Path::new("counting")], &epoch);
    for (depth, width) in [(1, 203), (8, 101), (16, 45), (24, 67), (48, 33)] {
        let tif = dir.join(format!("windows-{depth}.tif"));
        let raw = dir.join(format!("windows-{depth}.raw"));
        assert_pages(&tif, &raw, width, &[47; 4], depth);
        python_readers_agree(&tif, &raw, width, 47, depth);
        let file = std::fs::read(&tif).unwrap();
        for other in [
            format!("windows-{depth}-stream.tif"),
            format!("counting-{depth}.tif"),
            format!("counting-{depth}-stream.tif"),
        ] {
            assert!(
                std::fs::read(dir.join(&other)).unwrap() == file,
                "{other} differs from windows-{depth}.tif"
            );
        }
        assert_eq!(
            std::fs::read(dir.join(format!("counting-{depth}.raw"))).unwrap(),
            std::fs::read(&raw).unwrap()
        );
        let tags = support::tiff_crate_tags(&tif).unwrap();
        let numbers: Vec<u16> = tags.iter().map(|t| t.page_number[0]).collect();
        assert_eq!(numbers, [0, 1, 2, 3], "PageNumber counts the pages");
    }
}

/// BMP in bands through `wiasWritePageBufToFile` and `wiasWriteBufToFile`, with the
/// length known at the start and unknown (header patched by the driver at the end):
/// every file decodes, in Pillow and the `image` crate, to the driver's picture.
#[test]
fn bmp_in_bands_through_both_functions_decodes_to_the_driver_picture() {
    let dir = work_dir("driver-bmp");
    let bin = compile("driver_bmp", &dir, Link::Static, &[]);
    run(&bin, &[&dir], &[]);
    let mut paths = Vec::new();
    for depth in [1, 8, 24] {
        for func in ["page", "buf"] {
            for len in ["known", "unknown"] {
                paths.push((depth, dir.join(format!("{depth}-{func}-{len}.bmp"))));
            }
        }
    }
    let refs: Vec<&Path> = paths.iter().map(|(_, p)| p.as_path()).collect();
    let pillow = support::pillow_images(&refs).unwrap();
    for ((depth, path), img) in paths.iter().zip(pillow) {
        let rgb = std::fs::read(dir.join(format!("{depth}.rgb"))).unwrap();
        assert_eq!((img.width, img.height), (37, 23), "{}", path.display());
        let want: Vec<u8> = if *depth == 24 {
            rgb.clone()
        } else {
            rgb.chunks(3).map(|p| p[0]).collect()
        };
        assert!(
            img.data == want,
            "{}: Pillow's pixels differ",
            path.display()
        );
        let decoded = image::ImageReader::open(path)
            .unwrap()
            .with_guessed_format()
            .unwrap()
            .decode()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            decoded.to_rgb8().into_raw() == rgb,
            "{}: the image crate's pixels differ",
            path.display()
        );
    }
}

/// A memory-callback TIFF transfer: the header `wiasGetImageInformation` puts in the
/// buffer, then the rows, saved by the application as they came, are a TIFF that
/// libtiff, the `tiff` crate, tifffile and Pillow read pixel for pixel.
#[test]
fn callback_tiff_header_and_data_saved_as_they_are_is_a_tiff() {
    let dir = work_dir("callback");
    let bin = compile("callback_tiff", &dir, Link::Static, &[]);
    run(&bin, &[&dir], &[]);
    for (depth, width) in [(1, 203), (8, 101), (16, 45), (24, 67), (48, 33)] {
        let tif = dir.join(format!("cb-{depth}.tif"));
        let raw = dir.join(format!("cb-{depth}.raw"));
        assert_pages(&tif, &raw, width, &[47], depth);
        python_readers_agree(&tif, &raw, width, 47, depth);
    }
}

/// `wiasGetImageInformation` and `wiasWriteBufToFile` at their edges (see
/// `tests/c/edges.c`): every check is in the C program, which must run clean.
#[test]
fn image_information_and_write_buf_edges_give_the_windows_results() {
    let dir = work_dir("edges");
    let bin = compile("edges", &dir, Link::Shared, &[]);
    let out = run(&bin, &[&dir], &[]);
    assert_eq!(out.trim(), "ok");
    assert_eq!(
        std::fs::read(dir.join("edges.bin")).unwrap(),
        b"abababababababab"
    );
}

/// Issue 9 through the C ABI (`tests/c/nothing_lost.c`): every wrong byte offset of a
/// 3-page document given as the previous IFD is refused before a byte is written (0
/// accepted), an `O_APPEND` descriptor is refused, a failing `lPage = 0` call leaves
/// the document in the file as it was, and device-compressed data that are not a
/// whole page (random bytes as G3/G4, a JPEG without a scan) are refused, and through
/// an `IStream` whose `Write` fails on in-place overwrites no page is in the chain
/// before its call succeeds and a retry always succeeds. Run without
/// valgrind: the offset scan makes a hundred thousand calls.
#[test]
fn wrong_offsets_append_mode_failed_first_pages_and_broken_device_data_lose_nothing() {
    let dir = work_dir("nothing_lost");
    let bin = compile("nothing_lost", &dir, Link::Static, &[]);
    let out = Command::new(&bin).arg(&dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ok"),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("offsets: 0 of "), "{stdout}");
    assert!(stdout.contains("stream: 4000 documents"), "{stdout}");
    eprintln!("{}", stdout.trim());
    // The document with page 4 linked at the right offset: 4 pages, libtiff clean.
    support::tiffinfo_clean(&dir.join("offsets.tif")).unwrap();
    let pages = libtiff_pages(&dir.join("offsets.tif"));
    let sizes: Vec<_> = pages.iter().map(|p| (p.width, p.height)).collect();
    assert_eq!(sizes, [(1200, 400), (160, 120), (100, 80), (16, 8)]);
    // The failed first pages left both pages of the document.
    assert_eq!(libtiff_pages(&dir.join("page0.tif")).len(), 2);
}
