//! `wias scan --device sane:test:0`: pages from SANE's own `test` backend (a real
//! SANE driver), written by wias, read back by libtiff, and compared pixel for pixel
//! with what `scanimage --format=pnm` returns for the same options; and from a fake
//! libsane (`sane::fake_libsane`) for the faults the test backend cannot make on
//! demand. Scans that end in a device error or a cancel need no deadline: a backend
//! that deadlocks inside `sane_cancel` costs wias the cancel wait (2 s here), not a
//! hang, and they run many times at once (`in_parallel`). Scans of whole pages from
//! the test backend run under `sane::run_with_deadline`, which says why.

use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;
use wias_testsupport as support;
use wias_testsupport::pdf_readers::{pdfimages_list, qpdf_check};
use wias_testsupport::sane::{self, assert_same_pages, config_dir, scanimage};

use super::{stderr, wias};

/// How long the tests let `sane_cancel` take: the test backend's takes milliseconds
/// unless it deadlocked, which it does about once in 30 cancels after a read error.
const CANCEL_WAIT_MS: &str = "2000";

/// `wias ARGS` in `dir` with the test backend's configuration, under the deadline of
/// `sane::run_with_deadline` (the backend's deadlock in a page's last `sane_read`).
fn run(dir: &Path, args: &[&str]) -> Output {
    sane::run_with_deadline(
        wias()
            .env("SANE_CONFIG_DIR", config_dir())
            .env("WIAS_SANE_CANCEL_WAIT_MS", CANCEL_WAIT_MS)
            .current_dir(dir)
            .args(args),
    )
}

/// Scans with wias (`ours`: its flags, then `--` and `device` options) and with
/// scanimage (`reference`, then the same `device` options), and compares the pages.
fn same_as_scanimage(ours: &[&str], reference: &[&str], device: &[&str], batch: bool) {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let mut args = vec!["scan", "--device", "sane:test:0", "-o", "out.tif"];
    args.extend_from_slice(ours);
    args.push("--");
    args.extend_from_slice(device);
    let o = run(d, &args);
    assert!(o.status.success(), "wias {args:?}: {}", stderr(&o));
    let mut r = reference.to_vec();
    r.extend_from_slice(device);
    let expected = scanimage(d, &r, batch);
    assert!(!expected.is_empty());
    assert_same_pages(&d.join("out.tif"), &expected);
}

#[test]
fn gray_8_matches_scanimage() {
    if !support::require(&["scanimage"]) {
        return;
    }
    same_as_scanimage(
        &["--mode", "gray", "--depth", "8"],
        &["--mode", "Gray", "--depth", "8"],
        &["--test-picture", "Color pattern"],
        false,
    );
}

#[test]
fn gray_16_matches_scanimage() {
    if !support::require(&["scanimage"]) {
        return;
    }
    same_as_scanimage(
        &["--mode", "gray", "--depth", "16", "--dpi", "60"],
        &["--mode", "Gray", "--depth", "16", "--resolution", "60"],
        &["--test-picture", "Color pattern"],
        false,
    );
}

#[test]
fn colour_8_matches_scanimage_for_both_test_pictures() {
    if !support::require(&["scanimage"]) {
        return;
    }
    for picture in ["Color pattern", "Grid"] {
        same_as_scanimage(
            &["--mode", "color"],
            &["--mode", "Color"],
            &["--test-picture", picture],
            false,
        );
    }
}

#[test]
fn colour_16_matches_scanimage() {
    if !support::require(&["scanimage"]) {
        return;
    }
    same_as_scanimage(
        &["--mode", "color", "--depth", "16"],
        &["--mode", "Color", "--depth", "16"],
        &["--test-picture=Color pattern"],
        false,
    );
}

#[test]
fn lineart_matches_scanimage_with_black_where_sane_says_1() {
    if !support::require(&["scanimage"]) {
        return;
    }
    // --mode bw on a device whose modes are Gray and Color: gray at depth 1.
    for picture in ["Grid", "Color pattern"] {
        same_as_scanimage(
            &["--mode", "bw", "--dpi", "75"],
            &["--mode", "Gray", "--depth", "1", "--resolution", "75"],
            &["--test-picture", picture],
            false,
        );
    }
}

#[test]
fn three_pass_colour_frames_merge_into_one_rgb_page() {
    if !support::require(&["scanimage"]) {
        return;
    }
    for order in ["RGB", "BGR", "GBR"] {
        same_as_scanimage(
            &["--mode", "color"],
            &["--mode", "Color"],
            &[
                "--three-pass=yes",
                "--three-pass-order",
                order,
                "--test-picture",
                "Color pattern",
            ],
            false,
        );
    }
}

#[test]
fn three_pass_16_bit_matches_scanimage_single_pass() {
    if !support::require(&["scanimage"]) {
        return;
    }
    // scanimage cannot merge 16-bit three-pass frames (it asserts depth 8), so the
    // reference is the same picture scanned in one pass.
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let picture = ["--test-picture", "Color pattern"];
    let mut args = vec![
        "scan",
        "--device",
        "sane:test:0",
        "--mode",
        "color",
        "--depth",
        "16",
    ];
    args.extend([
        "-o",
        "out.tif",
        "--",
        "--three-pass",
        "--three-pass-order",
        "BRG",
    ]);
    args.extend(picture);
    let o = run(d, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut r = vec!["--mode", "Color", "--depth", "16"];
    r.extend(picture);
    assert_same_pages(&d.join("out.tif"), &scanimage(d, &r, false));
}

#[test]
fn hand_scanner_pages_of_unknown_length_match_scanimage() {
    if !support::require(&["scanimage"]) {
        return;
    }
    same_as_scanimage(
        &["--dpi", "40"],
        &["--resolution", "40"],
        &["--hand-scanner=yes", "--test-picture", "Grid"],
        false,
    );
    same_as_scanimage(
        &["--mode", "color", "--dpi", "40"],
        &["--mode", "Color", "--resolution", "40"],
        &[
            "--hand-scanner",
            "--three-pass",
            "--test-picture",
            "Color pattern",
        ],
        false,
    );
}

#[test]
fn read_limit_gives_lines_in_pieces_and_the_same_pages() {
    if !support::require(&["scanimage"]) {
        return;
    }
    for size in ["1", "37", "1000"] {
        same_as_scanimage(
            &["--mode", "color"],
            &["--mode", "Color"],
            &[
                "--read-limit=yes",
                "--read-limit-size",
                size,
                "--test-picture",
                "Color pattern",
            ],
            false,
        );
    }
}

#[test]
fn padded_lines_lose_their_padding() {
    if !support::require(&["scanimage"]) {
        return;
    }
    // ppl-loss: every line carries 5 pixels' worth of bytes past its width.
    same_as_scanimage(
        &[],
        &[],
        &["--ppl-loss", "5", "--test-picture", "Grid"],
        false,
    );
    same_as_scanimage(
        &["--mode", "color", "--depth", "16"],
        &["--mode", "Color", "--depth", "16"],
        &["--ppl-loss=3", "--test-picture", "Color pattern"],
        false,
    );
}

#[test]
fn a_document_feeder_is_scanned_until_empty_into_one_tiff() {
    if !support::require(&["scanimage"]) {
        return;
    }
    // The test backend's feeder runs empty after 10 sheets.
    same_as_scanimage(
        &["--source", "ADF", "--mode", "color"],
        &["--source", "Automatic Document Feeder", "--mode", "Color"],
        &["--test-picture", "Color pattern"],
        true,
    );
    // --pages is a maximum.
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let o = run(
        d,
        &[
            "scan",
            "--device",
            "sane:test:0",
            "--source",
            "Automatic Document Feeder",
            "--pages",
            "3",
            "-o",
            "three.tif",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(support::libtiff_page_count(&d.join("three.tif")), 3);
}

#[test]
fn a_flatbed_scans_one_page_unless_pages_says_more() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let o = run(d, &["scan", "--device", "sane:test:0", "-o", "one.tif"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(support::libtiff_page_count(&d.join("one.tif")), 1);
    let o = run(
        d,
        &[
            "scan",
            "--device",
            "sane:test:1",
            "--pages",
            "2",
            "-o",
            "two.tif",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(support::libtiff_page_count(&d.join("two.tif")), 2);
}

#[test]
fn a_sane_page_goes_to_bmp_and_down_a_pipe_too() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let o = run(
        d,
        &[
            "scan",
            "--device",
            "sane:test:0",
            "--mode",
            "color",
            "-o",
            "page.bmp",
            "--",
            "--test-picture",
            "Color pattern",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = scanimage(
        d,
        &["--mode", "Color", "--test-picture", "Color pattern"],
        false,
    );
    let bmp = support::pillow_images(&[&d.join("page.bmp")]).unwrap();
    assert_eq!(
        (bmp[0].width, bmp[0].height),
        (expected[0].width, expected[0].height)
    );
    assert_eq!(
        bmp[0].data, expected[0].data,
        "BMP pixels (Pillow) vs scanimage"
    );
    // A hand-scanner page (length unknown) through the streaming writer.
    let o = run(
        d,
        &[
            "scan",
            "--device",
            "sane:test:0",
            "-o",
            "-",
            "--",
            "--hand-scanner",
            "--test-picture",
            "Grid",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(d.join("piped.tif"), &o.stdout).unwrap();
    let expected = scanimage(d, &["--hand-scanner", "--test-picture", "Grid"], false);
    assert_same_pages(&d.join("piped.tif"), &expected);
}

#[test]
fn a_jam_on_the_first_sheet_is_a_clear_error_and_no_file() {
    if !support::require(&["scanimage"]) {
        return;
    }
    for status in [
        "SANE_STATUS_JAMMED",
        "SANE_STATUS_IO_ERROR",
        "SANE_STATUS_COVER_OPEN",
    ] {
        let dir = TempDir::new().unwrap();
        let d = dir.path();
        let o = run(
            d,
            &[
                "scan",
                "--device",
                "sane:test:0",
                "--source",
                "ADF",
                "--sane-option",
                &format!("read-return-value={status}"),
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("sane:test:0 (page 1)"), "{e}");
        assert!(e.contains(status), "{e}");
        assert!(e.contains("no page was written"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(!d.join("scan.tif").exists());
    }
}

/// One scan to run: its arguments and the environment variables it adds.
type Job = (Vec<String>, Vec<(String, String)>);

/// Runs `jobs` (each: its arguments and the environment it adds) `rounds` times, four
/// at a time, each in a fresh directory, and returns every outcome with its directory.
/// A run that never ends fails the test by never returning (no deadline, no retry).
fn in_parallel(jobs: &[Job], rounds: usize) -> Vec<(Output, TempDir, usize)> {
    let work: Vec<usize> = (0..rounds).flat_map(|_| 0..jobs.len()).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&job) = work.get(i) else { break };
                let (args, env) = &jobs[job];
                let dir = TempDir::new().unwrap();
                let o = wias()
                    .env("SANE_CONFIG_DIR", config_dir())
                    .env("WIAS_SANE_CANCEL_WAIT_MS", CANCEL_WAIT_MS)
                    .envs(env.iter().map(|(k, v)| (k, v)))
                    .current_dir(dir.path())
                    .args(args)
                    .output()
                    .expect("run wias");
                done.lock().unwrap().push((o, dir, job));
            });
        }
    });
    done.into_inner().unwrap()
}

/// A jam, an open cover or an I/O error on the first sheet of the `test` backend's
/// feeder, 32 times each, four scans at once: every one ends, exit 1, the device's
/// error in one line, no file. (Before, about 1 in 30 waited forever inside the
/// backend's `sane_cancel`.)
#[test]
fn device_errors_end_every_scan_even_when_the_backend_deadlocks() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let statuses = [
        "SANE_STATUS_JAMMED",
        "SANE_STATUS_IO_ERROR",
        "SANE_STATUS_COVER_OPEN",
    ];
    let jobs: Vec<_> = statuses
        .iter()
        .map(|status| {
            let args = [
                "scan",
                "--device",
                "sane:test:0",
                "--source",
                "ADF",
                "--sane-option",
                &format!("read-return-value={status}"),
            ];
            (args.map(String::from).to_vec(), Vec::new())
        })
        .collect();
    let runs = in_parallel(&jobs, 32);
    assert_eq!(runs.len(), 96);
    for (o, dir, job) in &runs {
        let e = stderr(o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(e.contains("sane:test:0 (page 1)"), "{e}");
        assert!(e.contains(statuses[*job]), "{e}");
        assert!(e.contains("no page was written"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(!dir.path().join("scan.tif").exists());
    }
}

/// The environment that makes wias scan from the fake libsane, with `FAKE_SANE_*`
/// settings `vars`.
fn fake(vars: &[(&str, &str)]) -> Vec<(String, String)> {
    let lib = sane::fake_libsane().to_str().unwrap().to_string();
    std::iter::once(("WIAS_LIBSANE".to_string(), lib))
        .chain(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// Asserts that `tiff` holds the fake device's pages 1..=`pages` of `lines` lines of
/// `width` pixels, as libtiff decodes them.
fn assert_fake_pages(tiff: &Path, pages: u32, width: u32, lines: u32) {
    support::tiffinfo_clean(tiff).unwrap();
    let got = support::libtiff_pages(tiff).unwrap();
    assert_eq!(got.len(), pages as usize, "{}", tiff.display());
    for (n, g) in got.iter().enumerate() {
        assert_eq!((g.width, g.height, g.bits_per_sample), (width, lines, 8));
        assert!(
            g.data == sane::fake_page(n as u32 + 1, width, lines),
            "page {}: pixels differ from what the device sent",
            n + 1
        );
    }
}

/// A backend that never returns from `sane_cancel` after a jam, an open cover or an
/// I/O error on sheet 3 (the fake libsane): wias waits the cancel wait, then reports
/// the device's error and that it stopped waiting, keeps pages 1-2, and exits 1;
/// 8 runs of each, four at a time, with a wait of 0.3 s. (Before, every run hung for
/// good.)
#[test]
fn a_backend_stuck_in_sane_cancel_costs_the_wait_not_the_pages() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let faults = [
        ("6", "SANE_STATUS_JAMMED"),
        ("8", "SANE_STATUS_COVER_OPEN"),
        ("9", "SANE_STATUS_IO_ERROR"),
    ];
    let args = ["scan", "--device", "sane:fake", "-o", "out.tif"].map(String::from);
    let jobs: Vec<_> = faults
        .iter()
        .map(|(code, _)| {
            let env = fake(&[
                ("FAKE_SANE_PAGES", "5"),
                ("FAKE_SANE_FAIL_PAGE", "3"),
                ("FAKE_SANE_FAIL_CODE", code),
                ("FAKE_SANE_CANCEL_HANGS", "1"),
                ("WIAS_SANE_CANCEL_WAIT_MS", "300"),
            ]);
            (args.to_vec(), env)
        })
        .collect();
    let runs = in_parallel(&jobs, 8);
    assert_eq!(runs.len(), 24);
    for (o, dir, job) in &runs {
        let e = stderr(o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        assert!(
            e.starts_with("wias: sane:fake (page 3): sane_read: "),
            "{e}"
        );
        assert!(e.contains(faults[*job].1), "{e}");
        assert!(
            e.contains("did not return from sane_cancel within 0.3 s"),
            "{e}"
        );
        assert!(e.contains("pages 1-2 are complete in out.tif"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
        assert_fake_pages(&dir.path().join("out.tif"), 2, 16, 8);
    }
}

/// A backend whose `sane_read` never returns after the last line of sheet 2 (where
/// it should say EOF; SANE's test backend does this now and then, scanimage waiting
/// with it): wias keeps sheet 2, whose every line arrived, says so, and ends the job
/// with exit 1 after the wait, pages 1-2 complete; 8 runs, four at a time. (Before,
/// every run hung for good.)
#[test]
fn a_backend_stuck_at_the_end_of_a_page_costs_the_wait_not_the_page() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let args = ["scan", "--device", "sane:fake", "-o", "out.tif"].map(String::from);
    let env = fake(&[
        ("FAKE_SANE_PAGES", "4"),
        ("FAKE_SANE_EOF_HANGS", "2"),
        ("WIAS_SANE_CANCEL_WAIT_MS", "300"),
    ]);
    let runs = in_parallel(&[(args.to_vec(), env)], 8);
    assert_eq!(runs.len(), 8);
    for (o, dir, _) in &runs {
        let e = stderr(o);
        assert_eq!(o.status.code(), Some(1), "{e}");
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 2, "{e}");
        assert!(
            lines[0].starts_with("wias: sane:fake (page 2): every line of the page arrived"),
            "{e}"
        );
        assert!(lines[1].starts_with("wias: sane:fake (page 3): "), "{e}");
        assert!(
            lines[1].contains(
                "did not return from sane_read at the end of the previous page within 0.3 s"
            ),
            "{e}"
        );
        assert!(
            lines[1].contains("pages 1-2 are complete in out.tif"),
            "{e}"
        );
        assert_fake_pages(&dir.path().join("out.tif"), 2, 16, 8);
    }
}

/// A device that declares 2^31-1 (or 100 million) lines of 1000 pixels and sends 8:
/// each page is the 8 lines sent, with a warning; one that then sends lines without
/// end, past what memory holds (an address-space limit of 1 GB here), gets a clear
/// error and the pages before it stay. (Before, wias aborted at the first page:
/// "memory allocation of 2147483647000 bytes failed", exit 134.)
#[test]
fn a_device_declaring_billions_of_lines_is_no_abort() {
    if !support::require(&["scanimage"]) {
        return;
    }
    for declared in ["2147483647", "100000000"] {
        let dir = TempDir::new().unwrap();
        let o = wias()
            .envs(fake(&[
                ("FAKE_SANE_PAGES", "2"),
                ("FAKE_SANE_WIDTH", "1000"),
                ("FAKE_SANE_DECLARED", declared),
            ]))
            .current_dir(dir.path())
            .args(["scan", "--device", "sane:fake", "-o", "out.tif"])
            .output()
            .unwrap();
        let e = stderr(&o);
        assert!(o.status.success(), "{declared}: {e}");
        let early = declared.parse::<u64>().unwrap() - 8;
        assert!(
            e.contains(&format!(
                "(page 2): the device ended the page {early} lines early; 8 lines kept"
            )),
            "{e}"
        );
        assert_fake_pages(&dir.path().join("out.tif"), 2, 1000, 8);
    }
    let dir = TempDir::new().unwrap();
    let o = Command::new("prlimit")
        .arg("--as=1000000000")
        .arg(env!("CARGO_BIN_EXE_wias"))
        .envs(fake(&[
            ("FAKE_SANE_PAGES", "3"),
            ("FAKE_SANE_WIDTH", "1000"),
            ("FAKE_SANE_DECLARED", "2147483647"),
            ("FAKE_SANE_ENDLESS_PAGE", "2"),
        ]))
        .current_dir(dir.path())
        .args(["scan", "--device", "sane:fake", "-o", "out.tif"])
        .output()
        .expect("prlimit (util-linux)");
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("sane:fake (page 2): the page does not fit in memory: "),
        "{e}"
    );
    assert!(e.contains("(the device declared 2147483647 lines)"), "{e}");
    assert!(e.contains("page 1 is complete in out.tif"), "{e}");
    assert_fake_pages(&dir.path().join("out.tif"), 1, 1000, 8);
}

#[test]
fn device_and_option_mistakes_say_what_the_device_has() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--sane-option", "brightness=3"],
            "its options: mode, depth",
        ),
        (
            &["--source", "Transparency"],
            "Flatbed|Automatic Document Feeder",
        ),
        (
            &["--depth", "8", "--", "--resolution", "5000"],
            "out of range 1..1200dpi",
        ),
        (&["--", "--mode"], "needs a value (Gray|Color)"),
        (&["--", "--three-pass-order", "RGB"], "inactive"),
    ];
    let o = run(d, &["scan", "--device", "sane:nosuch:0"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("devices: test:0, test:1"),
        "{}",
        stderr(&o)
    );
    for (extra, says) in cases {
        let mut args = vec!["scan", "--device", "sane:test:0"];
        args.extend_from_slice(extra);
        let o = run(d, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(!d.join("scan.tif").exists());
    }
    // The virtual scanner has no SANE options.
    let o = run(d, &["scan", "--sane-option", "mode=Gray"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn list_devices_names_them_for_device() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let o = run(dir.path(), &["scan", "--list-devices"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let names: Vec<&str> = out.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(names, ["sane:test:0", "sane:test:1"], "{out}");
}

#[test]
fn ctrl_c_cancels_the_scan_and_keeps_the_finished_pages() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    // A slow feeder: each sheet takes a while, so the interrupt lands mid-batch.
    let device = [
        "--test-picture",
        "Grid",
        "--read-limit=yes",
        "--read-limit-size",
        "2000",
        "--read-delay=yes",
        "--read-delay-duration",
        "40000",
    ];
    let mut args = vec![
        "scan",
        "--device",
        "sane:test:0",
        "--source",
        "ADF",
        "-o",
        "out.tif",
        "--",
    ];
    args.extend_from_slice(&device);
    /// Kills the scan if the test fails before it ends.
    struct Scan(std::process::Child);
    impl Drop for Scan {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Scan(
        wias()
            .env("SANE_CONFIG_DIR", config_dir())
            .current_dir(d)
            .args(&args)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let out = d.join("out.tif");
    let start = std::time::Instant::now();
    // Pages libtiff sees while the scan runs (0 before the file exists).
    let pages_so_far = |p: &Path| {
        let o = Command::new("tiffinfo").arg(p).output().unwrap();
        String::from_utf8_lossy(&o.stdout)
            .matches("TIFF Directory at offset")
            .count()
    };
    while pages_so_far(&out) < 2 {
        assert!(start.elapsed().as_secs() < 60, "no second page after 60 s");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed().as_secs() < 60,
            "wias did not end 60 s after SIGINT (the test backend's reader-thread deadlock?)"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = Vec::new();
    std::io::Read::read_to_end(&mut child.0.stderr.take().unwrap(), &mut err).unwrap();
    let o = Output {
        status,
        stdout: Vec::new(),
        stderr: err,
    };
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("interrupted"), "{e}");
    let kept = support::libtiff_page_count(&out);
    assert!((2..10).contains(&kept), "{kept} pages kept");
    assert!(
        e.contains(&format!("pages 1-{kept} are complete in out.tif")),
        "{e}"
    );
    let mut reference = scanimage(
        d,
        &[
            "--source",
            "Automatic Document Feeder",
            "--test-picture",
            "Grid",
        ],
        true,
    );
    reference.truncate(kept);
    assert_same_pages(&out, &reference);
}

#[test]
fn without_libsane_the_message_says_what_to_install() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let o = wias()
        .env("WIAS_LIBSANE", "/nonexistent/libsane.so.1")
        .current_dir(dir.path())
        .args(["scan", "--device", "sane:test:0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.starts_with("wias: sane:test:0: SANE is not available"),
        "{e}"
    );
    assert!(e.contains("install the Debian package libsane1"), "{e}");
    assert!(!dir.path().join("scan.tif").exists());
    // Everything else runs without it.
    let o = wias()
        .env("WIAS_LIBSANE", "/nonexistent/libsane.so.1")
        .current_dir(dir.path())
        .args(["scan", "--pages", "1", "--dpi", "50"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The images of a PDF as poppler's `pdfimages` decodes them (PBM/PGM/PPM, in page
/// order), after `qpdf --check`; and the filter `pdfimages -list` names for each.
fn pdf_pages(dir: &Path, pdf: &str) -> (Vec<sane::Scanned>, Vec<String>) {
    qpdf_check(&dir.join(pdf)).unwrap();
    // enc and colour space, e.g. "image/gray".
    let filters: Vec<String> = pdfimages_list(&dir.join(pdf))
        .unwrap()
        .iter()
        .map(|i| format!("{}/{}", i.enc, i.color))
        .collect();
    let prefix = format!("{pdf}-img");
    let x = Command::new("pdfimages")
        .args([pdf, &prefix])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(x.status.success(), "pdfimages {pdf}");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    names.sort();
    let pages = names
        .iter()
        .map(|n| {
            let mut p = sane::pnm(&std::fs::read(dir.join(n)).unwrap());
            // pdfimages writes 8-bit gray images as PPM with r = g = b.
            if filters_gray(&filters) && p.samples_per_pixel == 3 && p.bits_per_sample == 8 {
                assert!(p.data.chunks_exact(3).all(|c| c[0] == c[1] && c[1] == c[2]));
                p.data = p.data.chunks_exact(3).map(|c| c[0]).collect();
                p.samples_per_pixel = 1;
            }
            p
        })
        .collect();
    (pages, filters)
}

fn filters_gray(filters: &[String]) -> bool {
    filters.iter().all(|f| f.ends_with("/gray"))
}

fn assert_same_pdf_pages(dir: &Path, pdf: &str, expected: &[sane::Scanned], filter: &str) {
    let (got, filters) = pdf_pages(dir, pdf);
    assert_eq!(got.len(), expected.len(), "pages of {pdf}");
    assert!(filters.iter().all(|f| f == filter), "{pdf}: {filters:?}");
    for (n, (g, e)) in got.iter().zip(expected).enumerate() {
        assert_eq!(
            (g.width, g.height, g.bits_per_sample, g.samples_per_pixel),
            (e.width, e.height, e.bits_per_sample, e.samples_per_pixel),
            "page {} of {pdf}: shape",
            n + 1
        );
        assert!(
            g.data == e.data,
            "page {} of {pdf}: pixels (poppler) vs scanimage",
            n + 1
        );
    }
}

/// SANE pages go into a PDF through the same path: a feeder's every sheet (Flate
/// colour), lineart as CCITT G4, and a hand-scanner page (length unknown until its
/// end) down a pipe; poppler's pixels equal scanimage's.
#[test]
fn sane_pages_go_into_a_pdf_file_and_down_a_pipe() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let o = run(
        d,
        &[
            "scan",
            "--device",
            "sane:test:0",
            "--source",
            "ADF",
            "--mode",
            "color",
            "-o",
            "feeder.pdf",
            "--",
            "--test-picture",
            "Color pattern",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = scanimage(
        d,
        &[
            "--source",
            "Automatic Document Feeder",
            "--mode",
            "Color",
            "--test-picture",
            "Color pattern",
        ],
        true,
    );
    assert_eq!(expected.len(), 10);
    assert_same_pdf_pages(d, "feeder.pdf", &expected, "image/rgb");

    let o = run(
        d,
        &[
            "scan",
            "--device",
            "sane:test:0",
            "--mode",
            "bw",
            "--dpi",
            "75",
            "-o",
            "bw.pdf",
            "--",
            "--test-picture",
            "Grid",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = scanimage(
        d,
        &[
            "--mode",
            "Gray",
            "--depth",
            "1",
            "--resolution",
            "75",
            "--test-picture",
            "Grid",
        ],
        false,
    );
    assert_same_pdf_pages(d, "bw.pdf", &expected, "ccitt/gray");

    let o = run(
        d,
        &[
            "scan",
            "--device",
            "sane:test:0",
            "--format",
            "pdf",
            "-o",
            "-",
            "--",
            "--hand-scanner",
            "--test-picture",
            "Grid",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(d.join("piped.pdf"), &o.stdout).unwrap();
    let expected = scanimage(d, &["--hand-scanner", "--test-picture", "Grid"], false);
    assert_same_pdf_pages(d, "piped.pdf", &expected, "image/gray");
}

/// scanimage's habits work as they are typed (issue 24 item 2): `-L`, `-d NAME` with
/// the plain name `scanimage -L` prints, `--batch-count N`, `-p`, and `-l -t -x -y`
/// without `--`; the pages equal scanimage's for the same flags. `-A` lists the
/// options scanimage's `-A` lists, with the same current values.
#[test]
fn scanimage_flags_work_as_scanimage_users_type_them() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let o = run(d, &["scan", "-L"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("sane:test:0\t"));

    // --test-picture is the device's own option: it goes after `--`.
    let args = [
        "scan",
        "-d",
        "test:0",
        "-p",
        "--mode",
        "Gray",
        "--resolution",
        "50",
        "-l",
        "10",
        "-t",
        "5",
        "-x",
        "50",
        "-y",
        "40",
        "-o",
        "out.tif",
        "--",
        "--test-picture",
        "Grid",
    ];
    let o = run(d, &args);
    assert!(o.status.success(), "wias {args:?}: {}", stderr(&o));
    let expected = scanimage(
        d,
        &[
            "--mode",
            "Gray",
            "--resolution",
            "50",
            "-l",
            "10",
            "-t",
            "5",
            "-x",
            "50",
            "-y",
            "40",
            "--test-picture",
            "Grid",
        ],
        false,
    );
    assert_eq!((expected[0].width, expected[0].height), (98, 78));
    assert_same_pages(&d.join("out.tif"), &expected);

    // A feeder with --batch-count 2: two sheets, as scanimage --batch-count 2 gives.
    let o = run(
        d,
        &[
            "scan",
            "--device",
            "test:0",
            "--source",
            "ADF",
            "--batch-count",
            "2",
            "--resolution",
            "25",
            "-o",
            "two.tif",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut expected = scanimage(
        d,
        &[
            "--source",
            "Automatic Document Feeder",
            "--resolution",
            "25",
            "--batch-count",
            "2",
        ],
        true,
    );
    assert_eq!(expected.len(), 2);
    expected.truncate(2);
    assert_same_pages(&d.join("two.tif"), &expected);

    // -A: every option scanimage -A names, with its current value.
    let o = run(d, &["scan", "-d", "test:0", "-A"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ours = String::from_utf8_lossy(&o.stdout).to_string();
    let theirs = Command::new("scanimage")
        .env("SANE_CONFIG_DIR", config_dir())
        .args(["-d", "test:0", "-A"])
        .output()
        .expect("scanimage (sane-utils)");
    let theirs = String::from_utf8_lossy(&theirs.stdout).to_string();
    let options = |text: &str| -> Vec<(String, String)> {
        text.lines()
            .filter_map(|l| l.trim_start().strip_prefix("--"))
            .filter_map(|l| {
                let name = l.split([' ', '[']).next()?.to_string();
                let current = l.rsplit_once('[')?.1.trim_end_matches(']').to_string();
                Some((name, current))
            })
            .collect()
    };
    let (ours, theirs) = (options(&ours), options(&theirs));
    assert!(theirs.len() > 20, "{theirs:?}");
    // scanimage shows the scan area as -l -t -x -y (ours: --tl-x ... as the device
    // names them), so each option it lists is looked up in ours.
    for (name, b) in &theirs {
        let a = ours
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("--{name} missing from wias -A"));
        // scanimage prints numbers with its own rounding, and [advanced] for a
        // gamma table; words must agree.
        if b.parse::<f64>().is_err() && !b.is_empty() && b != "advanced" {
            assert_eq!(a, b, "--{name}");
        }
    }
    // The virtual scanner has no options to list or scan area to set.
    for extra in [&["-A"][..], &["-x", "50"]] {
        let mut args = vec!["scan"];
        args.extend_from_slice(extra);
        assert_eq!(run(d, &args).status.code(), Some(2), "{args:?}");
    }
}

/// Without --dpi a SANE page carries the device's resolution, as the device reports
/// it (issue 24 item 3): a 150 dpi scan is a 150 dpi TIFF page and a PDF page of the
/// paper's size in points, not 300 dpi (the PNM scanimage writes states none).
#[test]
fn sane_pages_carry_the_devices_resolution() {
    if !support::require(&["scanimage"]) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let o = run(
        d,
        &[
            "scan",
            "-d",
            "test:0",
            "-o",
            "a.tif",
            "--",
            "--resolution",
            "150",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let tags = &support::tiff_crate_tags(&d.join("a.tif")).unwrap()[0];
    assert_eq!(
        (
            tags.x_resolution[0] / tags.x_resolution[1],
            tags.resolution_unit
        ),
        (150, 2)
    );
    // A PDF page's size in points is its pixels at the device's resolution.
    let o = run(
        d,
        &[
            "scan",
            "-d",
            "test:0",
            "-o",
            "b.pdf",
            "--",
            "--resolution",
            "75",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let page = &pdfimages_list(&d.join("b.pdf")).unwrap()[0];
    let (w, _) = support::pdf_readers::pdfinfo_pages(&d.join("b.pdf")).unwrap()[0];
    assert!(
        (w - f64::from(page.width) * 72.0 / 75.0).abs() < 0.5,
        "{w} pt for {} px",
        page.width
    );
}
