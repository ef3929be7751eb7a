//! SANE's `test` backend as the scanner of the tests, and `scanimage` (its own front
//! end) as the reference for what a page should hold.
//!
//! The backend is enabled through a private `SANE_CONFIG_DIR` (a `dll.conf` naming only
//! `test`, and a `test.conf` with a small default scan area so that tests run fast).
//! libsane and scanimage must be installed (`.ci/run` installs sane-utils and
//! libsane1): a test that needs them fails when they are missing, it does not skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The test backend's configuration: its defaults, with a 40 × 50 mm scan area at
/// 50 dpi (79 × 98 pixels).
const TEST_CONF: &str = "\
number_of_devices 2
mode Gray
depth 8
hand-scanner false
three-pass false
three-pass-order RGB
resolution_min 1.0
resolution_max 1200.0
resolution_quant 1.0
resolution 50.0
test-picture \"Solid black\"
invert-endianess false
read-limit false
read-limit-size 1
read-delay false
read-delay-duration 1000
read-status-code \"Default\"
fuzzy-parameters false
ppl-loss 0
non-blocking false
select-fd false
enable-test-options false
geometry_min 0.0
geometry_max 300.0
geometry_quant 1.0
tl_x 0.0
tl_y 0.0
br_x 40.0
br_y 50.0
";

/// Runs `cmd` (a scan of the `test` backend's pages, by scanimage or wias) to
/// completion with a deadline, retrying a run that hangs.
///
/// The test backend (libsane 1.2.1) now and then deadlocks inside the `sane_read`
/// that delivers a page's last bytes: it stops its reader thread with pthread_cancel
/// (`finish_pass`), which can land inside `free`, and then waits for a thread that
/// never finishes exiting (it waits for the malloc arena lock it held). Measured here:
/// 8 of 300 10-sheet `scanimage --batch` runs, 3 of 300 `wias scan` runs. No front end
/// can bound that read without cutting short a slow scanner's last lines, so such
/// runs are killed after 20 s (they take well under one) and run again. The runs that
/// end in an error or a cancel need no deadline: wias bounds `sane_cancel` and the
/// read after a page's last byte (`wias_sane::device::CANCEL_WAIT`).
pub fn run_with_deadline(cmd: &mut Command) -> std::process::Output {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    for attempt in 1..=3 {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{cmd:?}: {e} (is sane-utils installed?)"));
        let start = Instant::now();
        // Drain the pipes while waiting, so a large page on stdout cannot block it.
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut o = Vec::new();
            std::io::Read::read_to_end(&mut out, &mut o).ok();
            o
        });
        let err_reader = std::thread::spawn(move || {
            let mut e = Vec::new();
            std::io::Read::read_to_end(&mut err, &mut e).ok();
            e
        });
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return std::process::Output {
                    status,
                    stdout: reader.join().unwrap(),
                    stderr: err_reader.join().unwrap(),
                };
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                eprintln!("{cmd:?} hung (attempt {attempt}); running it again");
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    panic!("{cmd:?} hung three times");
}

/// The private SANE configuration folder (made once per test process).
pub fn config_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("wias-sane-config-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("dll.conf"), "test\n").unwrap();
        std::fs::write(d.join("test.conf"), TEST_CONF).unwrap();
        d
    })
}

/// One page as scanimage wrote it, in page-buffer form (docs/driver-rules.md): rows padded to
/// a byte, bilevel 0 = black, 16-bit samples little-endian.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scanned {
    pub width: u32,
    pub height: u32,
    pub bits_per_sample: u16,
    pub samples_per_pixel: u16,
    pub data: Vec<u8>,
}

/// Runs `scanimage -d test:0 --format=pnm ARGS` and returns its page. With
/// `batch`, runs `--batch` into `dir` and returns every page in order.
pub fn scanimage(dir: &Path, args: &[&str], batch: bool) -> Vec<Scanned> {
    let mut cmd = Command::new("scanimage");
    cmd.env("SANE_CONFIG_DIR", config_dir())
        .current_dir(dir)
        .args(["-d", "test:0", "--format=pnm"])
        .args(args);
    if batch {
        cmd.arg("--batch=ref-%03d.pnm");
    }
    let out = run_with_deadline(&mut cmd);
    assert!(
        out.status.success(),
        "scanimage {args:?}: {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    if !batch {
        return vec![pnm(&out.stdout)];
    }
    let mut pages = Vec::new();
    for n in 1.. {
        let p = dir.join(format!("ref-{n:03}.pnm"));
        let Ok(bytes) = std::fs::read(&p) else { break };
        pages.push(pnm(&bytes));
    }
    pages
}

/// Decodes one binary PNM (P4, P5, P6, maxval 255 or 65535) as scanimage writes it.
/// Rows are taken with the stride the data have: scanimage writes lines as the device
/// sent them, so a device that pads its lines (the test backend's ppl-loss) gives a
/// file whose rows are longer than its width says; the padding is dropped.
pub fn pnm(bytes: &[u8]) -> Scanned {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes[i] == b'#' {
            while bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..i]).into_owned());
        if fields[0] == "P4" && fields.len() == 3 {
            fields.push("1".into());
        }
    }
    let data = &bytes[i + 1..];
    let (w, h): (u32, u32) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let maxval: u32 = fields[3].parse().unwrap();
    let (bits, spp) = match (fields[0].as_str(), maxval) {
        ("P4", _) => (1u16, 1u16),
        ("P5", 255) => (8, 1),
        ("P5", 65535) => (16, 1),
        ("P6", 255) => (8, 3),
        ("P6", 65535) => (16, 3),
        (m, v) => panic!("unexpected PNM {m} maxval {v}"),
    };
    let row = (w as usize * bits as usize * spp as usize).div_ceil(8);
    assert_eq!(
        data.len() % h as usize,
        0,
        "PNM data of {} bytes is not {h} equal lines",
        data.len()
    );
    let stride = data.len() / h as usize;
    assert!(stride >= row, "PNM lines of {stride} bytes < {row}");
    let mut out = Vec::with_capacity(row * h as usize);
    for line in data.chunks_exact(stride) {
        let line = &line[..row];
        match bits {
            1 => out.extend(line.iter().map(|b| !b)), // PBM: 1 = black
            16 => out.extend(line.chunks_exact(2).flat_map(|s| [s[1], s[0]])), // big-endian
            _ => out.extend_from_slice(line),
        }
    }
    if bits == 1 {
        crate::clear_row_padding(&mut out, w as usize, row);
    }
    Scanned {
        width: w,
        height: h,
        bits_per_sample: bits,
        samples_per_pixel: spp,
        data: out,
    }
}

/// Asserts libtiff's pages of `tiff` equal scanimage's, pixel for pixel.
pub fn assert_same_pages(tiff: &Path, expected: &[Scanned]) {
    crate::tiffinfo_clean(tiff).unwrap();
    let got = crate::libtiff_pages(tiff).unwrap();
    assert_eq!(
        got.len(),
        expected.len(),
        "page count of {}",
        tiff.display()
    );
    for (n, (g, e)) in got.iter().zip(expected).enumerate() {
        let what = format!("page {} of {}", n + 1, tiff.display());
        assert_eq!(
            (g.width, g.height, g.bits_per_sample, g.samples_per_pixel),
            (e.width, e.height, e.bits_per_sample, e.samples_per_pixel),
            "{what}: shape"
        );
        let mut data = g.data.clone();
        if g.bits_per_sample == 1 {
            let row = (g.width as usize).div_ceil(8);
            crate::clear_row_padding(&mut data, g.width as usize, row);
        }
        if data != e.data {
            let at = data.iter().zip(&e.data).position(|(a, b)| a != b);
            panic!("{what}: pixels differ from scanimage's (first at byte {at:?})");
        }
    }
}

/// A fake libsane (`fake_sane.c`, compiled once per test process with the system
/// `cc`) with one device, `fake`, for faults the `test` backend cannot make on demand:
/// a page that declares 2^31-1 lines, a jam on sheet N, a `sane_cancel` that never
/// returns. wias loads it when `WIAS_LIBSANE` names it; the `FAKE_SANE_*` variables
/// described in the C file set its behaviour.
pub fn fake_libsane() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fake_sane.c");
        let out = crate::build_dir().join(format!("libfakesane-{}.so", std::process::id()));
        let st = Command::new("cc")
            .args(["-O2", "-shared", "-fPIC", "-Wall", "-Werror", "-o"])
            .arg(&out)
            .arg(&src)
            .status()
            .expect("cc");
        assert!(st.success(), "compiling fake_sane.c failed");
        out
    })
}

/// Page `page` (from 1) of the fake device, as it sends it: `lines` lines of `width`
/// 8-bit gray pixels, pixel (x, y) = (page * 37 + y * 7 + x) & 255.
pub fn fake_page(page: u32, width: u32, lines: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((width * lines) as usize);
    for y in 0..lines {
        for x in 0..width {
            out.push(((page * 37 + y * 7 + x) & 255) as u8);
        }
    }
    out
}
