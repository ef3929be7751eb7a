//! The SANE C API, loaded from `libsane.so.1` at run time. This is the crate's only
//! `unsafe` code: each function here checks what C cannot (buffer sizes, NULLs) and
//! hands back owned Rust values, so nothing above this module touches a raw pointer.
//!
//! Types follow `sane/sane.h` (SANE standard 1.0): `SANE_Word`, `SANE_Int`,
//! `SANE_Bool`, `SANE_Fixed` and every enum are a C `int`.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr::{self, NonNull};
use std::sync::Arc;

use libloading::Library;

use crate::error::{Error, Result};
use crate::status::Status;

type Word = c_int;
type Handle = *mut c_void;

/// `SANE_Device`.
#[repr(C)]
struct RawDevice {
    name: *const c_char,
    vendor: *const c_char,
    model: *const c_char,
    kind: *const c_char,
}

/// `SANE_Range`.
#[repr(C)]
struct RawRange {
    min: Word,
    max: Word,
    quant: Word,
}

/// `SANE_Option_Descriptor`; the constraint is a union of three pointers.
#[repr(C)]
struct RawOption {
    name: *const c_char,
    title: *const c_char,
    desc: *const c_char,
    value_type: c_int,
    unit: c_int,
    size: Word,
    cap: Word,
    constraint_type: c_int,
    constraint: *const c_void,
}

/// `SANE_Parameters`.
#[repr(C)]
#[derive(Default)]
struct RawParameters {
    format: c_int,
    last_frame: Word,
    bytes_per_line: Word,
    pixels_per_line: Word,
    lines: Word,
    depth: Word,
}

/// The device list entry, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    pub name: String,
    pub vendor: String,
    pub model: String,
    pub kind: String,
}

/// An option descriptor, owned (see [`crate::options`] for the typed view).
#[derive(Clone, Debug)]
pub struct RawDescriptor {
    pub name: String,
    pub title: String,
    pub desc: String,
    pub value_type: i32,
    pub unit: i32,
    pub size: i32,
    pub cap: i32,
    pub constraint: RawConstraint,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RawConstraint {
    None,
    Range { min: i32, max: i32, quant: i32 },
    WordList(Vec<i32>),
    StringList(Vec<String>),
}

/// `SANE_Parameters`, owned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parameters {
    pub format: i32,
    pub last_frame: bool,
    pub bytes_per_line: i32,
    pub pixels_per_line: i32,
    pub lines: i32,
    pub depth: i32,
}

pub const ACTION_GET: c_int = 0;
pub const ACTION_SET: c_int = 1;
pub const ACTION_SET_AUTO: c_int = 2;

type InitFn = unsafe extern "C" fn(*mut Word, *const c_void) -> c_int;
type ExitFn = unsafe extern "C" fn();
type GetDevicesFn = unsafe extern "C" fn(*mut *const *const RawDevice, Word) -> c_int;
type OpenFn = unsafe extern "C" fn(*const c_char, *mut Handle) -> c_int;
type CloseFn = unsafe extern "C" fn(Handle);
type DescriptorFn = unsafe extern "C" fn(Handle, Word) -> *const RawOption;
type ControlFn = unsafe extern "C" fn(Handle, Word, c_int, *mut c_void, *mut Word) -> c_int;
type ParametersFn = unsafe extern "C" fn(Handle, *mut RawParameters) -> c_int;
type StartFn = unsafe extern "C" fn(Handle) -> c_int;
type ReadFn = unsafe extern "C" fn(Handle, *mut u8, Word, *mut Word) -> c_int;
type CancelFn = unsafe extern "C" fn(Handle);
type StrStatusFn = unsafe extern "C" fn(c_int) -> *const c_char;

/// libsane with its entry points resolved. The function pointers stay valid while
/// `_lib` is loaded, and `_lib` lives as long as the struct.
pub struct Api {
    init: InitFn,
    exit: ExitFn,
    get_devices: GetDevicesFn,
    open: OpenFn,
    close: CloseFn,
    descriptor: DescriptorFn,
    control: ControlFn,
    parameters: ParametersFn,
    start: StartFn,
    read: ReadFn,
    cancel: CancelFn,
    strstatus: StrStatusFn,
    _lib: Library,
}

/// One `sane_cancel` to make on another thread. It holds the library loaded (an
/// `Arc` of the [`Api`]) for as long as the call runs, which for a backend that
/// deadlocked inside it is until the process ends.
pub struct CancelCall {
    api: Arc<Api>,
    handle: NonNull<c_void>,
}

// SAFETY: the SANE standard (1.0, `sane_cancel`) allows it to be called
// asynchronously, e.g. from a signal handler while another call on the handle runs, so
// making it from another thread is within the contract; the handle is only passed to
// libsane, never dereferenced here. The handle stays open while the call runs: the
// `Device` that owns it waits for the call, and when it stops waiting it never closes
// the handle (nor calls `sane_exit`).
unsafe impl Send for CancelCall {}

impl CancelCall {
    /// Makes the call (it may never return).
    pub fn run(self) {
        self.api.cancel(self.handle);
    }
}

/// One `sane_read` to make on another thread, with the buffer it fills, so that the
/// caller can stop waiting for a backend that never returns from it ([`CancelCall`]
/// says how the library stays loaded).
pub struct ReadCall {
    api: Arc<Api>,
    handle: NonNull<c_void>,
    buf: Vec<u8>,
}

// SAFETY: one call on the handle at a time: the `Device` that owns the handle waits
// for this call and makes no other while it runs; when it stops waiting, it never
// uses the handle again (nor closes it). The buffer moves with the call, so nothing
// else touches the memory the backend writes.
unsafe impl Send for ReadCall {}

impl ReadCall {
    /// Makes the call (it may never return): its status, the bytes read into the
    /// buffer, and the buffer.
    pub fn run(mut self) -> (Status, usize, Vec<u8>) {
        let (status, n) = self.api.read(self.handle, &mut self.buf);
        (status, n, self.buf)
    }
}

/// The file name the dynamic loader looks for (the ABI-versioned name, present
/// without the -dev package).
pub const LIBRARY: &str = "libsane.so.1";

/// Copies a C string that may be NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid for the call.
unsafe fn owned(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: non-NULL and NUL-terminated, as the caller promises.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

impl Api {
    /// Loads libsane (`path`, or [`LIBRARY`] through the loader's search path).
    pub fn load(path: Option<&str>) -> Result<Api> {
        let file = path.unwrap_or(LIBRARY);
        // SAFETY: loading runs libsane's initialisers, which have no preconditions;
        // it is the system's SANE library (or the file the caller names).
        let lib = unsafe { Library::new(file) }.map_err(|e| Error::Missing {
            library: file.to_string(),
            detail: e.to_string(),
        })?;
        macro_rules! sym {
            ($name:literal, $ty:ty) => {{
                // SAFETY: the symbol is the SANE 1.0 function of that name, whose C
                // prototype the type alias spells out (sane/sane.h).
                let s =
                    unsafe { lib.get::<$ty>(concat!($name, "\0").as_bytes()) }.map_err(|e| {
                        Error::Missing {
                            library: file.to_string(),
                            detail: format!("{}: {e}", $name),
                        }
                    })?;
                *s
            }};
        }
        Ok(Api {
            init: sym!("sane_init", InitFn),
            exit: sym!("sane_exit", ExitFn),
            get_devices: sym!("sane_get_devices", GetDevicesFn),
            open: sym!("sane_open", OpenFn),
            close: sym!("sane_close", CloseFn),
            descriptor: sym!("sane_get_option_descriptor", DescriptorFn),
            control: sym!("sane_control_option", ControlFn),
            parameters: sym!("sane_get_parameters", ParametersFn),
            start: sym!("sane_start", StartFn),
            read: sym!("sane_read", ReadFn),
            cancel: sym!("sane_cancel", CancelFn),
            strstatus: sym!("sane_strstatus", StrStatusFn),
            _lib: lib,
        })
    }

    /// `sane_init` without an authorisation callback; returns the version code.
    pub fn init(&self) -> Result<i32> {
        let mut version: Word = 0;
        // SAFETY: `version` is a valid out-pointer; a NULL callback is allowed.
        let st = unsafe { (self.init)(&mut version, ptr::null()) };
        self.check(st, "sane_init").map(|_| version)
    }

    /// `sane_exit`. Every handle must be closed first (the callers' types see to it).
    pub fn exit(&self) {
        // SAFETY: no arguments; called once after a successful `init`.
        unsafe { (self.exit)() }
    }

    /// `sane_get_devices`, copied out before the list is freed by the next call.
    pub fn devices(&self, local_only: bool) -> Result<Vec<DeviceInfo>> {
        let mut list: *const *const RawDevice = ptr::null();
        // SAFETY: `list` is a valid out-pointer.
        let st = unsafe { (self.get_devices)(&mut list, Word::from(local_only)) };
        self.check(st, "sane_get_devices")?;
        let mut out = Vec::new();
        if list.is_null() {
            return Ok(out);
        }
        for i in 0.. {
            // SAFETY: the list is a NULL-terminated array of device pointers, valid
            // until the next sane_get_devices or sane_exit; we stop at the NULL.
            let dev = unsafe { *list.add(i) };
            if dev.is_null() {
                break;
            }
            // SAFETY: a non-NULL entry points to a SANE_Device whose strings are
            // NUL-terminated (or NULL, which `owned` allows).
            let d = unsafe { &*dev };
            // SAFETY: as above.
            let info = unsafe {
                DeviceInfo {
                    name: owned(d.name),
                    vendor: owned(d.vendor),
                    model: owned(d.model),
                    kind: owned(d.kind),
                }
            };
            out.push(info);
        }
        Ok(out)
    }

    /// `sane_open`.
    pub fn open(&self, name: &str) -> Result<NonNull<c_void>> {
        let c = CString::new(name).map_err(|_| Error::BadValue {
            option: "device".into(),
            value: name.into(),
            why: "a device name has no NUL byte".into(),
        })?;
        let mut h: Handle = ptr::null_mut();
        // SAFETY: `c` is NUL-terminated and outlives the call; `h` is an out-pointer.
        let st = unsafe { (self.open)(c.as_ptr(), &mut h) };
        self.check(st, "sane_open")?;
        NonNull::new(h).ok_or(Error::Status {
            during: "sane_open",
            status: Status::Inval,
            message: "the backend returned no handle".into(),
        })
    }

    /// `sane_close`. The handle must not be used afterwards (it is consumed).
    pub fn close(&self, h: NonNull<c_void>) {
        // SAFETY: `h` came from `open` and is closed once (the caller gives it up).
        unsafe { (self.close)(h.as_ptr()) }
    }

    /// `sane_get_option_descriptor`: `None` past the last option.
    pub fn descriptor(&self, h: NonNull<c_void>, n: i32) -> Option<RawDescriptor> {
        // SAFETY: `h` is an open handle; out-of-range numbers give NULL.
        let p = unsafe { (self.descriptor)(h.as_ptr(), n) };
        if p.is_null() {
            return None;
        }
        // SAFETY: non-NULL descriptors stay valid until the options are reloaded;
        // we copy everything now.
        let d = unsafe { &*p };
        let constraint = match d.constraint_type {
            1 if !d.constraint.is_null() => {
                // SAFETY: constraint type RANGE: the union holds `const SANE_Range *`.
                let r = unsafe { &*(d.constraint as *const RawRange) };
                RawConstraint::Range {
                    min: r.min,
                    max: r.max,
                    quant: r.quant,
                }
            }
            2 if !d.constraint.is_null() => {
                let w = d.constraint as *const Word;
                // SAFETY: WORD_LIST: a word array whose first element is the count
                // of the words after it.
                let n = unsafe { *w }.max(0) as usize;
                // SAFETY: as above, `n` words follow the count.
                RawConstraint::WordList(unsafe { std::slice::from_raw_parts(w.add(1), n) }.to_vec())
            }
            3 if !d.constraint.is_null() => {
                let list = d.constraint as *const *const c_char;
                let mut v = Vec::new();
                for i in 0.. {
                    // SAFETY: STRING_LIST: a NULL-terminated array of strings.
                    let s = unsafe { *list.add(i) };
                    if s.is_null() {
                        break;
                    }
                    // SAFETY: each entry is NUL-terminated.
                    v.push(unsafe { owned(s) });
                }
                RawConstraint::StringList(v)
            }
            _ => RawConstraint::None,
        };
        // SAFETY: the three strings are NUL-terminated or NULL.
        let (name, title, desc) = unsafe { (owned(d.name), owned(d.title), owned(d.desc)) };
        Some(RawDescriptor {
            name,
            title,
            desc,
            value_type: d.value_type,
            unit: d.unit,
            size: d.size,
            cap: d.cap,
            constraint,
        })
    }

    /// `sane_control_option` with `action` on option `n`, whose value occupies `size`
    /// bytes (the descriptor's). `value` is resized to `size`; buttons (size 0) pass
    /// NULL. Returns the info bits.
    pub fn control(
        &self,
        h: NonNull<c_void>,
        n: i32,
        action: c_int,
        size: usize,
        value: &mut Vec<u8>,
    ) -> std::result::Result<i32, Status> {
        value.resize(size, 0);
        let mut info: Word = 0;
        let p = if size == 0 || action == ACTION_SET_AUTO {
            ptr::null_mut()
        } else {
            value.as_mut_ptr().cast::<c_void>()
        };
        // SAFETY: `p` is NULL or a buffer of the `size` bytes the descriptor says the
        // backend reads or writes; `info` is an out-pointer.
        let st = unsafe { (self.control)(h.as_ptr(), n, action, p, &mut info) };
        match Status::from_code(st) {
            Status::Good => Ok(info),
            s => Err(s),
        }
    }

    /// `sane_start`.
    pub fn start(&self, h: NonNull<c_void>) -> Status {
        // SAFETY: `h` is an open handle.
        Status::from_code(unsafe { (self.start)(h.as_ptr()) })
    }

    /// `sane_get_parameters`.
    pub fn parameters(&self, h: NonNull<c_void>) -> Result<Parameters> {
        let mut p = RawParameters::default();
        // SAFETY: `p` is a valid SANE_Parameters to fill.
        let st = unsafe { (self.parameters)(h.as_ptr(), &mut p) };
        self.check(st, "sane_get_parameters")?;
        Ok(Parameters {
            format: p.format,
            last_frame: p.last_frame != 0,
            bytes_per_line: p.bytes_per_line,
            pixels_per_line: p.pixels_per_line,
            lines: p.lines,
            depth: p.depth,
        })
    }

    /// `sane_read` into `buf`: the status and the number of bytes stored.
    pub fn read(&self, h: NonNull<c_void>, buf: &mut [u8]) -> (Status, usize) {
        let max = Word::try_from(buf.len()).unwrap_or(Word::MAX);
        let mut len: Word = 0;
        // SAFETY: `buf` has at least `max` writable bytes; `len` is an out-pointer.
        let st = unsafe { (self.read)(h.as_ptr(), buf.as_mut_ptr(), max, &mut len) };
        let len = usize::try_from(len).unwrap_or(0).min(buf.len());
        (Status::from_code(st), len)
    }

    /// `sane_cancel`.
    pub fn cancel(&self, h: NonNull<c_void>) {
        // SAFETY: `h` is an open handle; cancel is allowed in any state.
        unsafe { (self.cancel)(h.as_ptr()) }
    }

    /// `sane_read` of `h` into `buf`, to run on another thread ([`ReadCall::run`]).
    pub fn read_call(self: &Arc<Self>, h: NonNull<c_void>, buf: Vec<u8>) -> ReadCall {
        ReadCall {
            api: Arc::clone(self),
            handle: h,
            buf,
        }
    }

    /// `sane_cancel` of `h`, to run on another thread ([`CancelCall::run`]), so that
    /// the caller can stop waiting for a backend that never returns from it.
    pub fn cancel_call(self: &Arc<Self>, h: NonNull<c_void>) -> CancelCall {
        CancelCall {
            api: Arc::clone(self),
            handle: h,
        }
    }

    /// `sane_strstatus`: SANE's own wording for a status.
    pub fn strstatus(&self, code: i32) -> String {
        // SAFETY: takes any status code; returns a static string or NULL.
        unsafe { owned((self.strstatus)(code)) }
    }

    fn check(&self, code: c_int, during: &'static str) -> Result<()> {
        match Status::from_code(code) {
            Status::Good => Ok(()),
            status => Err(Error::Status {
                during,
                status,
                message: self.strstatus(code),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_names_the_package_to_install() {
        let Err(e) = Api::load(Some("/nonexistent/libsane.so.1")) else {
            panic!("loaded a library that does not exist")
        };
        let m = e.to_string();
        assert!(m.contains("/nonexistent/libsane.so.1"), "{m}");
        assert!(m.contains("install the Debian package libsane1"), "{m}");
        assert!(m.contains("sane-utils"), "{m}");
    }
}
