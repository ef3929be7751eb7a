//! Nothing acknowledged is lost: a writer killed at any moment leaves a file that
//! libtiff reads with at least every page whose `write_page` had returned.
//!
//! - `kill_9_at_random_moments`: a child process (this test binary, re-run as
//!   `kill_child`) writes a 200-page document through the library and reports each
//!   acknowledged page on a pipe; the parent kills it with SIGKILL at a random moment
//!   and checks the file with libtiff (every page, pixel for pixel) and with
//!   `TiffFile::read` + `problems()` (what `wias inspect` reports). 50 trials here;
//!   `bench/killtest.sh` runs 1000 (`WIAS_KILL_TRIALS=1000`). A third of the trials
//!   promote the file to BigTIFF in the middle of the run, so kills land during
//!   promotions too; one in eight use `Durability::Sync`; one in twelve close and
//!   reopen the file with `TiffWriter::append` every 20 pages (and promote it).
//! - `every_prefix_of_the_writes_is_a_sound_file`: the writes of a document (with a
//!   BigTIFF promotion) are recorded, and the file as it would be after each prefix of
//!   them, and with each long write torn in half, is checked the same way.
use wias_testsupport as support;

use std::io::{Cursor, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wias::tiff::{BigTiff, Durability, Options, TiffFile, TiffWriter};
use wias::{PageSpec, PixelType};

const PAGES: u32 = 200;

/// Page `i` of the documents in this file: small, every pixel type, varied sizes.
fn page(i: u32) -> (PageSpec, Vec<u8>) {
    let pixel = PixelType::ALL[i as usize % PixelType::ALL.len()];
    let (w, h) = (40 + i % 17, 20 + i % 11);
    (
        PageSpec::new(w, h, pixel),
        support::pattern(w, h, pixel.depth(), i),
    )
}

/// Options of trial configuration `mode`: 0 plain, 1 BigTIFF promotion mid-run,
/// 2 durable, 3 reopened with `append` every 20 pages and promoted mid-run.
fn options(mode: u32) -> Options {
    match mode {
        1 | 3 => Options::default().bigtiff(BigTiff::PromoteAt(300_000)),
        2 => Options::default().durability(Durability::Sync),
        _ => Options::default(),
    }
}

/// The child side: runs only when the parent sets `WIAS_KILL_CHILD_OUT`. Ignored, so a
/// plain test run lists it as a helper, not as a test that passed.
#[test]
#[ignore = "helper process of the kill tests, run by them"]
fn kill_child() {
    let out = std::env::var("WIAS_KILL_CHILD_OUT")
        .expect("run by the kill tests, which set WIAS_KILL_CHILD_OUT");
    let mode: u32 = std::env::var("WIAS_KILL_CHILD_MODE")
        .unwrap()
        .parse()
        .unwrap();
    let mut stdout = std::io::stdout().lock();
    let mut doc = TiffWriter::create(&out, options(mode)).unwrap();
    for i in 0..PAGES {
        if mode == 3 && i % 20 == 0 && i > 0 {
            drop(doc);
            doc = TiffWriter::append(&out, options(mode)).unwrap();
        }
        let (spec, data) = page(i);
        doc.write_page(&spec, &data).unwrap();
        writeln!(stdout, "ACK {}", i + 1).unwrap();
        stdout.flush().unwrap();
    }
    doc.finish().unwrap();
    writeln!(stdout, "DONE").unwrap();
}

fn spawn_child(path: &Path, mode: u32) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "crash::kill_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WIAS_KILL_CHILD_OUT", path)
        .env("WIAS_KILL_CHILD_MODE", mode.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Pages the child acknowledged, from what it wrote on the pipe.
fn acknowledged(child: &mut std::process::Child) -> (u32, bool) {
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    // libtest's "test kill_child ... " may precede the first line.
    let acked = text.matches("ACK ").count() as u32;
    (acked, text.contains("DONE"))
}

/// The file holds at least `acked` pages and at most one more, libtiff reads every
/// page pixel for pixel, and our reader (`wias inspect`) calls it sound. Returns the
/// number of pages.
fn check_file(path: &Path, acked: u32, what: &str) -> u32 {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if len < 8 {
        assert_eq!(
            acked, 0,
            "{what}: {len}-byte file after {acked} acknowledged pages"
        );
        return 0;
    }
    let file = TiffFile::read(&mut std::fs::File::open(path).unwrap())
        .unwrap_or_else(|e| panic!("{what}: our reader: {e}"));
    let n = file.directories.len() as u32;
    assert!(
        n >= acked && n <= acked + 1,
        "{what}: {n} pages in the chain, {acked} acknowledged"
    );
    if n == 0 {
        return 0;
    }
    assert!(file.problems().is_empty(), "{what}: {:?}", file.problems());
    // bench/killtest.sh also asks the real CLI.
    if let Some(wias) = std::env::var_os("WIAS_INSPECT_BIN") {
        let out = Command::new(wias)
            .arg("inspect")
            .arg(path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("verdict: sound"),
            "{what}: wias inspect: {:?}\n{text}",
            out.status
        );
    }
    let pages = support::libtiff_pages(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(pages.len() as u32, n, "{what}: libtiff page count");
    for (i, got) in pages.iter().enumerate() {
        let (_, want) = page(i as u32);
        assert_eq!(got.data, want, "{what}: page {} differs", i + 1);
    }
    // A second reader that shares no code with libtiff or with us.
    let pages = support::tiff_crate_pages(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(pages.len() as u32, n, "{what}: tiff crate page count");
    for (i, got) in pages.iter().enumerate() {
        assert_eq!(
            got.data,
            page(i as u32).1,
            "{what}: tiff crate: page {} differs",
            i + 1
        );
    }
    n
}

/// xorshift64*: reproducible random kill moments from a printed seed (also the PDF
/// kill test's).
pub(crate) struct Rng(pub u64);
impl Rng {
    /// `WIAS_KILL_SEED` to repeat a run, else one from the clock; the test prints it.
    pub fn from_env() -> Rng {
        Rng(env_number("WIAS_KILL_SEED").unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        }))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A number from the environment variable `name` (kill tests' trials and seed).
pub(crate) fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

#[test]
fn kill_9_at_random_moments() {
    let trials: u32 = env_number("WIAS_KILL_TRIALS").unwrap_or(50);
    let mut rng = Rng::from_env();
    let seed = rng.0;
    eprintln!("kill test: {trials} trials, WIAS_KILL_SEED={seed}");
    let dir = tempfile::tempdir().unwrap();

    // Full runs per configuration: they complete, and the shortest of three bounds
    // the moments we kill at (the first run pays for cold caches).
    let mut full = [Duration::MAX; 4];
    for (mode, slot) in full.iter_mut().enumerate() {
        let path = dir.path().join(format!("full{mode}.tif"));
        let mut acked = 0;
        let mut done = false;
        for _ in 0..3 {
            let t = Instant::now();
            let mut child = spawn_child(&path, mode as u32);
            (acked, done) = acknowledged(&mut child);
            assert!(child.wait().unwrap().success());
            *slot = (*slot).min(t.elapsed());
        }
        assert!(done && acked == PAGES, "mode {mode}: {acked} pages");
        assert_eq!(check_file(&path, acked, "full run"), PAGES);
        let variant = TiffFile::read(&mut std::fs::File::open(&path).unwrap())
            .unwrap()
            .variant;
        assert_eq!(variant == wias::tiff::Variant::Big, mode == 1 || mode == 3);
    }

    let (mut mid, mut before_first, mut after_last, mut in_flight) = (0, 0, 0, 0);
    for trial in 0..trials {
        let mode = match trial % 24 {
            3 | 11 | 19 => 2,
            5 | 17 => 3,
            t if t % 3 == 1 => 1,
            _ => 0,
        };
        let path = dir.path().join(format!("t{trial}.tif"));
        let span = full[mode as usize].as_micros().max(1) as u64;
        let delay = Duration::from_micros(rng.next() % span);
        let mut child = spawn_child(&path, mode);
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL; it may have finished already
        let _ = child.wait();
        let (acked, _) = acknowledged(&mut child);
        let what = format!("trial {trial} (mode {mode}, kill after {delay:?}, seed {seed})");
        let n = match std::panic::catch_unwind(|| check_file(&path, acked, &what)) {
            Ok(n) => n,
            Err(panic) => {
                // Keep the evidence.
                let keep = Path::new(env!("CARGO_TARGET_TMPDIR"))
                    .join(format!("kill-failure-{seed}-{trial}.tif"));
                let _ = std::fs::copy(&path, &keep);
                eprintln!("kept the file as {}", keep.display());
                std::panic::resume_unwind(panic)
            }
        };
        match acked {
            0 => before_first += 1,
            PAGES => after_last += 1,
            _ => mid += 1,
        }
        in_flight += u32::from(n > acked);
        let _ = std::fs::remove_file(&path);
    }
    eprintln!(
        "kill test: {trials} trials: {mid} killed mid-document, {before_first} before the first page, \
         {after_last} after the last; {in_flight} files held one unacknowledged page as well; no acknowledged page lost"
    );
    assert!(
        mid * 4 >= trials,
        "only {mid} of {trials} kills landed mid-document: the test did not try"
    );
}

/// A sink that records every write (offset, bytes) on top of an in-memory file.
struct Recorder {
    file: Cursor<Vec<u8>>,
    writes: Vec<(u64, Vec<u8>)>,
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writes.push((self.file.position(), buf.to_vec()));
        self.file.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// Read: a promotion reads the chain back (reads are not writes: nothing recorded).
impl std::io::Read for Recorder {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.file.read(buf)
    }
}

impl Seek for Recorder {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.file.seek(pos)
    }
}

fn apply(state: &mut Vec<u8>, at: u64, bytes: &[u8]) {
    let at = at as usize;
    if state.len() < at + bytes.len() {
        state.resize(at + bytes.len(), 0);
    }
    state[at..at + bytes.len()].copy_from_slice(bytes);
}

#[test]
fn every_prefix_of_the_writes_is_a_sound_file() {
    let sink = Recorder {
        file: Cursor::new(Vec::new()),
        writes: Vec::new(),
    };
    let opts = Options::default().bigtiff(BigTiff::PromoteAt(50_000));
    let mut doc = TiffWriter::new(sink, opts).unwrap();
    // acked_before[k]: pages acknowledged before write k was issued.
    let mut acked_at = vec![(0usize, 0u32)];
    for i in 0..30 {
        let (spec, data) = page(i);
        doc.write_page(&spec, &data).unwrap();
        acked_at.push((doc.get_ref().writes.len(), i + 1));
    }
    assert_eq!(doc.variant(), wias::tiff::Variant::Big);
    let writes = doc.finish().unwrap().writes;
    let acked_before = |k: usize| {
        acked_at
            .iter()
            .filter(|(w, _)| *w <= k)
            .map(|(_, a)| *a)
            .max()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prefix.tif");
    let mut state = Vec::new();
    let mut checked = 0;
    for (k, (at, bytes)) in writes.iter().enumerate() {
        // Torn writes: SIGKILL stops a write at a page boundary (4 KiB), a power
        // loss at a sector boundary (512 bytes); tear at every 512-byte boundary the
        // write crosses, and long writes in the middle too.
        let end = at + bytes.len() as u64;
        let mut cuts: Vec<u64> = (at / 512 + 1..)
            .map(|b| b * 512)
            .take_while(|&b| b < end)
            .map(|b| b - at)
            .collect();
        if bytes.len() > 16 {
            cuts.push(bytes.len() as u64 / 2);
        }
        for cut in cuts {
            let mut torn = state.clone();
            apply(&mut torn, *at, &bytes[..cut as usize]);
            std::fs::write(&path, &torn).unwrap();
            check_file(
                &path,
                acked_before(k),
                &format!("write {k} torn after {cut} bytes"),
            );
            checked += 1;
        }
        apply(&mut state, *at, bytes);
        std::fs::write(&path, &state).unwrap();
        check_file(&path, acked_before(k + 1), &format!("after write {k}"));
        checked += 1;
    }
    assert!(checked > 90, "{checked} states");
}

#[test]
fn next_ifd_fields_never_straddle_a_sector() {
    // The field each new page's link is written into is aligned to its own size, so
    // it never crosses a 512-byte sector or 4 KiB page: the link cannot be torn.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aligned.tif");
    let opts = Options::default().bigtiff(BigTiff::PromoteAt(200_000));
    let mut doc = TiffWriter::create(&path, opts).unwrap();
    let mut classic = None;
    for i in 0..160 {
        let (spec, data) = page(i);
        doc.write_page(&spec, &data).unwrap();
        if doc.variant() == wias::tiff::Variant::Classic {
            classic = Some(TiffFile::read(&mut std::fs::File::open(&path).unwrap()).unwrap());
        }
    }
    drop(doc);
    let big = TiffFile::read(&mut std::fs::File::open(&path).unwrap()).unwrap();
    assert_eq!(big.variant, wias::tiff::Variant::Big);
    let classic = classic.unwrap();
    assert!(classic.directories.len() > 20);
    for (file, width) in [(&classic, 4), (&big, 8)] {
        for d in &file.directories {
            assert_eq!(d.next_field % width, 0, "next field at {}", d.next_field);
            assert_eq!(d.offset % 2, 0);
        }
    }
}
