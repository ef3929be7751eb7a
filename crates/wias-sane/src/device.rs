//! SANE itself (library loaded, `sane_init` done) and an open device: its options and
//! its pages.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::ffi::{Api, DeviceInfo, ACTION_GET, ACTION_SET, ACTION_SET_AUTO};
use crate::frame::{FrameLayout, Page, PageBuilder};
use crate::options::{OptionDesc, Setting, ValueType};
use crate::status::Status;

/// libsane keeps global state between `sane_init` and `sane_exit`: one [`Sane`] at a
/// time per process (a second waits for the first to be dropped).
static IN_USE: Mutex<()> = Mutex::new(());

/// Bytes asked of each `sane_read`.
const READ_CHUNK: usize = 256 * 1024;

/// How long a `sane_cancel` may take before wias stops waiting for it
/// ([`Device::set_cancel_wait`]; the environment variable `WIAS_SANE_CANCEL_WAIT_MS`
/// overrides it). The standard asks backends to return from it at once; a working
/// one takes well under a second, one that parks the carriage a few. The SANE `test`
/// backend (1.2.1) deadlocks inside it about once in 30 cancels after a read error
/// (its reader thread, cancelled inside malloc, never ends).
pub const CANCEL_WAIT: Duration = Duration::from_secs(10);

/// Set once a backend has not returned from `sane_cancel`: its thread may hold
/// libsane's state, so SANE is not initialised again in this process.
static UNRESPONSIVE: AtomicBool = AtomicBool::new(false);

/// SANE, initialised. Dropping it calls `sane_exit`, unless a device did not return
/// from `sane_cancel` (then the library is left loaded and initialised: a backend
/// thread is still inside it).
pub struct Sane {
    api: Arc<Api>,
    _only: MutexGuard<'static, ()>,
}

impl Sane {
    /// Loads `libsane.so.1` (or the file the environment variable `WIAS_LIBSANE`
    /// names, e.g. a sane-backends built in /usr/local) and calls `sane_init`.
    /// `Error::Missing` (its message names the package to install) when the library
    /// is not there.
    pub fn init() -> Result<Sane> {
        let only = IN_USE.lock().unwrap_or_else(|e| e.into_inner());
        if UNRESPONSIVE.load(Ordering::Relaxed) {
            return Err(Error::Unresponsive {
                call: "an earlier sane_cancel or sane_read",
                secs: CANCEL_WAIT.as_secs_f64(),
            });
        }
        let path = std::env::var("WIAS_LIBSANE").ok().filter(|p| !p.is_empty());
        let api = Arc::new(Api::load(path.as_deref())?);
        api.init()?;
        Ok(Sane { api, _only: only })
    }

    /// The devices SANE finds (`scanimage -L`).
    pub fn devices(&self) -> Result<Vec<DeviceInfo>> {
        self.api.devices(false)
    }

    /// Opens the device `name` as `scanimage -L` prints it (`test:0`,
    /// `epson2:libusb:001:004`).
    pub fn open(&self, name: &str) -> Result<Device<'_>> {
        match self.api.open(name) {
            Ok(handle) => Ok(Device {
                sane: self,
                handle,
                name: name.to_string(),
                started: false,
                cancel_wait: std::env::var("WIAS_SANE_CANCEL_WAIT_MS")
                    .ok()
                    .and_then(|v| v.trim().parse().ok())
                    .map_or(CANCEL_WAIT, Duration::from_millis),
                unresponsive: false,
                stuck_in: "",
            }),
            Err(Error::Status {
                status: Status::Inval,
                ..
            }) => {
                let list: Vec<String> = self
                    .devices()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| d.name)
                    .collect();
                Err(Error::NoDevice {
                    name: name.into(),
                    available: if list.is_empty() {
                        "none found (`scanimage -L` lists them)".into()
                    } else {
                        list.join(", ")
                    },
                })
            }
            Err(e) => Err(e),
        }
    }
}

impl Drop for Sane {
    fn drop(&mut self) {
        // With a backend thread still inside sane_cancel, sane_exit would wait for it
        // (or free what it uses); the stuck call holds its own Arc of the library.
        if !UNRESPONSIVE.load(Ordering::Relaxed) {
            self.api.exit();
        }
    }
}

/// An open device. Dropping it cancels any scan and closes it.
pub struct Device<'a> {
    sane: &'a Sane,
    handle: NonNull<c_void>,
    name: String,
    started: bool,
    /// How long [`Device::cancel`] waits for `sane_cancel`.
    cancel_wait: Duration,
    /// A call that must return promptly did not: the handle is never used again.
    unresponsive: bool,
    /// That call, for messages.
    stuck_in: &'static str,
}

impl Device<'_> {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How long to wait for `sane_cancel` (after an error, Ctrl-C, or on drop) before
    /// giving up on the device: [`CANCEL_WAIT`] unless set.
    pub fn set_cancel_wait(&mut self, wait: Duration) {
        self.cancel_wait = wait;
    }

    /// How long `sane_cancel` is waited for.
    pub fn cancel_wait(&self) -> Duration {
        self.cancel_wait
    }

    /// Whether the device did not return from `sane_cancel` within the wait: it is
    /// left as it is (not closed), and every later scan fails with
    /// [`Error::Unresponsive`].
    pub fn is_unresponsive(&self) -> bool {
        self.unresponsive
    }

    /// What a call on a device that stopped answering says.
    fn unresponsive_error(&self) -> Error {
        Error::Unresponsive {
            call: self.stuck_in,
            secs: self.cancel_wait.as_secs_f64(),
        }
    }

    /// Marks the device as stuck in `call`: the handle is never used again.
    fn give_up(&mut self, call: &'static str) {
        self.unresponsive = true;
        self.stuck_in = call;
        UNRESPONSIVE.store(true, Ordering::Relaxed);
    }

    /// The `sane_read` after every byte of a frame has arrived, which can only say
    /// EOF (or an error): waited for at most `cancel_wait`, on a thread of its own, as
    /// [`Device::cancel`] is. `None` when it did not return in time (the device is
    /// then marked unresponsive; the frame's bytes are all there). A backend may
    /// legitimately take long in any other `sane_read` (a lamp warming up, a slow
    /// scan), so only this one is bounded.
    fn read_end(&mut self, buf: &mut Vec<u8>) -> Option<(Status, usize)> {
        let call = self.sane.api.read_call(self.handle, std::mem::take(buf));
        let (done, answered) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("sane_read".into())
            .spawn(move || {
                let _ = done.send(call.run());
            });
        if spawned.is_err() {
            // No thread to spare: wait as a single-threaded front end would (the
            // buffer went with the call that was never made).
            buf.resize(READ_CHUNK, 0);
            return Some(self.sane.api.read(self.handle, buf));
        }
        match answered.recv_timeout(self.cancel_wait) {
            Ok((status, n, back)) => {
                *buf = back;
                Some((status, n))
            }
            Err(_) => {
                self.give_up("sane_read at the end of the previous page");
                None
            }
        }
    }

    /// `sane_cancel`, waited for at most `cancel_wait`. The call runs on a thread of
    /// its own; one that does not return in time is left running (a process ends it
    /// at exit) and the device is marked unresponsive, so that no later call (nor
    /// `sane_close`, nor `sane_exit`) waits on the same stuck backend.
    fn cancel(&mut self) {
        if self.unresponsive {
            return;
        }
        let call = self.sane.api.cancel_call(self.handle);
        let (done, answered) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("sane_cancel".into())
            .spawn(move || {
                call.run();
                let _ = done.send(());
            });
        match spawned {
            Ok(_) => {
                if answered.recv_timeout(self.cancel_wait).is_err() {
                    self.give_up("sane_cancel");
                }
            }
            // No thread to spare: wait as a single-threaded front end would.
            Err(_) => self.sane.api.cancel(self.handle),
        }
    }

    /// Every option the device has now (the list changes when an option reloads it).
    pub fn options(&self) -> Vec<OptionDesc> {
        let api = &self.sane.api;
        let mut out = Vec::new();
        // Option 0 holds the number of options; we walk until the descriptors end,
        // which also covers backends that miscount.
        for n in 1..10_000 {
            match api.descriptor(self.handle, n) {
                Some(d) => out.push(OptionDesc::from_raw(n, d)),
                None => break,
            }
        }
        out
    }

    /// The option named `name`, if the device has it.
    pub fn option(&self, name: &str) -> Option<OptionDesc> {
        self.options().into_iter().find(|o| o.name == name)
    }

    /// The names of the options a user can set now, for messages.
    pub fn option_names(&self) -> String {
        let names: Vec<String> = self
            .options()
            .into_iter()
            .filter(|o| o.is_named() && o.is_active() && o.is_settable())
            .map(|o| o.name)
            .collect();
        names.join(", ")
    }

    fn find(&self, name: &str) -> Result<OptionDesc> {
        self.option(name).ok_or_else(|| Error::NoOption {
            option: name.into(),
            available: self.option_names(),
        })
    }

    /// The current value of `name` as bytes.
    fn raw(&self, o: &OptionDesc) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        self.sane
            .api
            .control(self.handle, o.index, ACTION_GET, o.size, &mut v)
            .map_err(|s| self.status(s, "sane_control_option (get)"))?;
        Ok(v)
    }

    /// The current value of option `name` as text (`Color`, `300`, `yes`).
    pub fn get(&self, name: &str) -> Result<String> {
        let o = self.find(name)?;
        if !o.is_active() || matches!(o.value_type, ValueType::Button | ValueType::Group) {
            return Ok(String::new());
        }
        Ok(o.decode(&self.raw(&o)?))
    }

    /// The current value of a numeric option (int or fixed), e.g. the resolution.
    pub fn get_number(&self, name: &str) -> Option<f64> {
        let o = self.option(name)?;
        if !o.is_active() {
            return None;
        }
        o.decode_number(&self.raw(&o).ok()?)
    }

    /// Sets option `name` from text, as `scanimage --NAME=VALUE` does.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let o = self.find(name)?;
        let bad = |why: &str| Error::BadValue {
            option: name.into(),
            value: value.into(),
            why: why.into(),
        };
        if !o.is_settable() {
            return Err(bad("the device does not let a program set this option"));
        }
        if !o.is_active() {
            return Err(bad(
                "the option is inactive now (another option, e.g. mode or source, enables it)",
            ));
        }
        let setting = o.encode(value)?;
        let (action, mut bytes) = match setting {
            Setting::Value(b) => (ACTION_SET, b),
            Setting::Auto => (ACTION_SET_AUTO, Vec::new()),
            Setting::Press => (ACTION_SET, Vec::new()),
        };
        self.sane
            .api
            .control(self.handle, o.index, action, o.size, &mut bytes)
            .map_err(|s| match s {
                Status::Inval => bad(&format!("the device refused it (allowed: {})", o.allowed())),
                s => self.status(s, "sane_control_option (set)"),
            })?;
        Ok(())
    }

    /// Applies options written as on a `scanimage` command line: `--NAME=VALUE`,
    /// `--NAME VALUE`, `--NAME` alone for a yes/no option or a button, and the
    /// geometry letters `-l -t -x -y` (left, top, width, height; width and height are
    /// set last, relative to the top-left corner, as scanimage does).
    pub fn apply_scanimage_args(&mut self, args: &[String]) -> Result<()> {
        let mut size: Vec<(&str, String)> = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            i += 1;
            let (key, inline) = match arg.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let name = if let Some(n) = key.strip_prefix("--") {
                n.to_string()
            } else if let Some(letter) = key.strip_prefix('-').filter(|k| !k.is_empty()) {
                let (l, rest) = letter.split_at(1);
                let inline = inline
                    .clone()
                    .or_else(|| (!rest.is_empty()).then(|| rest.into()));
                let value = match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        args.get(i - 1).cloned().ok_or_else(|| Error::BadValue {
                            option: key.into(),
                            value: String::new(),
                            why: "needs a value".into(),
                        })?
                    }
                };
                match l {
                    "l" => self.set("tl-x", &value)?,
                    "t" => self.set("tl-y", &value)?,
                    "x" => size.push(("x", value)),
                    "y" => size.push(("y", value)),
                    _ => {
                        return Err(Error::BadValue {
                            option: key.into(),
                            value,
                            why: "the one-letter options are -l -t -x -y (use --NAME=VALUE)".into(),
                        })
                    }
                }
                continue;
            } else {
                return Err(Error::BadValue {
                    option: arg.clone(),
                    value: String::new(),
                    why: "expected --NAME=VALUE".into(),
                });
            };
            let o = self.find(&name)?;
            let value = match inline {
                Some(v) => v,
                None if matches!(o.value_type, ValueType::Bool | ValueType::Button)
                    && args.get(i).is_none_or(|n| n.starts_with('-')) =>
                {
                    String::new()
                }
                None => {
                    i += 1;
                    args.get(i - 1).cloned().ok_or_else(|| Error::BadValue {
                        option: name.clone(),
                        value: String::new(),
                        why: format!("needs a value ({})", o.allowed()),
                    })?
                }
            };
            self.set(&name, &value)?;
        }
        for (axis, value) in size {
            let (tl, br) = if axis == "x" {
                ("tl-x", "br-x")
            } else {
                ("tl-y", "br-y")
            };
            let o = self.find(br)?;
            let start = self.get_number(tl).unwrap_or(0.0);
            let extent = o
                .encode(&value)
                .ok()
                .and_then(|s| match s {
                    Setting::Value(b) => o.decode_number(&b),
                    _ => None,
                })
                .ok_or_else(|| Error::BadValue {
                    option: format!("-{axis}"),
                    value: value.clone(),
                    why: format!("expected a length ({})", o.allowed()),
                })?;
            self.set(br, &format!("{}", start + extent))?;
        }
        Ok(())
    }

    /// Horizontal and vertical resolution in dpi (`x-resolution`/`y-resolution` where
    /// the device has them, else `resolution`; 72 when it has none).
    pub fn resolution(&self) -> (u32, u32) {
        let r = self.get_number("resolution");
        let dpi = |v: Option<f64>| v.or(r).map_or(72, |v| v.round().max(1.0) as u32);
        (
            dpi(self.get_number("x-resolution")),
            dpi(self.get_number("y-resolution")),
        )
    }

    /// Whether the selected source is a document feeder (scan until it is empty)
    /// rather than a flatbed (one page).
    pub fn is_feeder(&self) -> bool {
        let s = self.get("source").unwrap_or_default().to_ascii_lowercase();
        ["adf", "feeder", "duplex", "automatic"]
            .iter()
            .any(|w| s.contains(w))
    }

    fn status(&self, status: Status, during: &'static str) -> Error {
        Error::Status {
            during,
            status,
            message: self.sane.api.strstatus(status.code()),
        }
    }

    /// Scans one page: every frame from `sane_start` to its last, in page-buffer
    /// form. `Ok(None)` when the feeder is empty (`SANE_STATUS_NO_DOCS` at the start
    /// of a page). `progress(done, total)` reports bytes as they arrive (`total` is
    /// `None` for a hand scanner). When `cancel` becomes true the scan is cancelled
    /// (`sane_cancel`) and `Error::Cancelled` returned.
    pub fn scan_page(
        &mut self,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<Option<Page>> {
        self.scan_page_into(Vec::new(), cancel, progress)
    }

    /// [`Device::scan_page`] into `buffer` (its contents are replaced): a batch that
    /// hands each written page's buffer back allocates page memory once.
    pub fn scan_page_into(
        &mut self,
        buffer: Vec<u8>,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<Option<Page>> {
        if self.unresponsive {
            return Err(self.unresponsive_error());
        }
        let api = Arc::clone(&self.sane.api);
        let mut buffer = Some(buffer);
        let mut page: Option<PageBuilder> = None;
        let mut buf = vec![0u8; READ_CHUNK];
        let mut done = 0u64;
        let result = loop {
            if cancel.load(Ordering::Relaxed) {
                break Err(Error::Cancelled);
            }
            self.started = true;
            match api.start(self.handle) {
                Status::Good => {}
                Status::NoDocs if page.is_none() => break Ok(None),
                Status::Cancelled if cancel.load(Ordering::Relaxed) => break Err(Error::Cancelled),
                s => break Err(self.status(s, "sane_start")),
            }
            let params = match api.parameters(self.handle) {
                Ok(p) => p,
                Err(e) => break Err(e),
            };
            let layout = match FrameLayout::from_parameters(&params) {
                Ok(l) => l,
                Err(e) => break Err(e),
            };
            let total = layout.page_bytes();
            let builder = match page.as_mut() {
                None => page.insert(PageBuilder::new(layout, buffer.take().unwrap_or_default())),
                Some(b) => match b.next_frame(layout) {
                    Ok(()) => b,
                    Err(e) => break Err(e),
                },
            };
            // Bytes of this frame as declared, and as received: once all have come,
            // the read that says EOF is bounded (`read_end`).
            let frame_bytes = layout
                .lines
                .map(|l| u64::from(l) * layout.bytes_per_line as u64);
            let mut in_frame = 0u64;
            let read = loop {
                if cancel.load(Ordering::Relaxed) {
                    break Err(Error::Cancelled);
                }
                let answer = if frame_bytes.is_some_and(|t| in_frame >= t) {
                    match self.read_end(&mut buf) {
                        Some(a) => a,
                        // Every byte is here; the device is left as it is.
                        None => break Ok(()),
                    }
                } else {
                    api.read(self.handle, &mut buf)
                };
                match answer {
                    (Status::Good, n) => {
                        if let Err(e) = builder.feed(&buf[..n]) {
                            break Err(e);
                        }
                        done += n as u64;
                        in_frame += n as u64;
                        progress(done, total);
                    }
                    (Status::Eof, n) => break builder.feed(&buf[..n]),
                    (Status::Cancelled, _) if cancel.load(Ordering::Relaxed) => {
                        break Err(Error::Cancelled)
                    }
                    (s, _) => break Err(self.status(s, "sane_read")),
                }
            };
            if let Err(e) = read {
                break Err(e);
            }
            builder.end_frame();
            if self.unresponsive && !params.last_frame {
                break Err(self.unresponsive_error());
            }
            if params.last_frame {
                break match page.take() {
                    Some(b) => b.finish().map(Some),
                    None => Ok(None),
                };
            }
        };
        if result.is_err() {
            // The device stops; the pages already returned are the caller's.
            self.cancel();
            self.started = false;
        }
        result
    }
}

impl Drop for Device<'_> {
    fn drop(&mut self) {
        if self.started {
            self.cancel();
        }
        // A backend still inside sane_cancel would be closed under its feet.
        if !self.unresponsive {
            self.sane.api.close(self.handle);
        }
    }
}
