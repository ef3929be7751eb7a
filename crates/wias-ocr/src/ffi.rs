//! Tesseract's C API (`tesseract/capi.h`), loaded from `libtesseract.so.5` at run time.
//! This is the crate's only `unsafe` code: each function here checks what C cannot
//! (NULL results, sizes that fit a C `int`) and hands back owned Rust values, so
//! nothing above this module touches a raw pointer.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::PathBuf;
use std::ptr::NonNull;
use std::sync::Arc;

use libloading::Library;
use wias::pdf::Word;

/// The file name the dynamic loader looks for (the ABI-versioned name, present
/// without the -dev package).
pub const LIBRARY: &str = "libtesseract.so.5";

/// `TessPageIteratorLevel::RIL_TEXTLINE`, `RIL_WORD`.
const RIL_TEXTLINE: c_int = 2;
const RIL_WORD: c_int = 3;

type Handle = *mut c_void;
type CreateFn = unsafe extern "C" fn() -> Handle;
type DeleteFn = unsafe extern "C" fn(Handle);
type Init3Fn = unsafe extern "C" fn(Handle, *const c_char, *const c_char) -> c_int;
type DatapathFn = unsafe extern "C" fn(Handle) -> *const c_char;
type SetImageFn = unsafe extern "C" fn(Handle, *const u8, c_int, c_int, c_int, c_int);
type ResolutionFn = unsafe extern "C" fn(Handle, c_int);
type RecognizeFn = unsafe extern "C" fn(Handle, *mut c_void) -> c_int;
type GetIteratorFn = unsafe extern "C" fn(Handle) -> *mut c_void;
type IteratorDeleteFn = unsafe extern "C" fn(*mut c_void);
type IteratorNextFn = unsafe extern "C" fn(*mut c_void, c_int) -> c_int;
type IteratorTextFn = unsafe extern "C" fn(*const c_void, c_int) -> *mut c_char;
type PageIteratorFn = unsafe extern "C" fn(*const c_void) -> *const c_void;
type BoxFn = unsafe extern "C" fn(
    *const c_void,
    c_int,
    *mut c_int,
    *mut c_int,
    *mut c_int,
    *mut c_int,
) -> c_int;
type BeginningFn = unsafe extern "C" fn(*const c_void, c_int) -> c_int;
type DeleteTextFn = unsafe extern "C" fn(*const c_char);
type ClearFn = unsafe extern "C" fn(Handle);

/// libtesseract with its entry points resolved. The function pointers stay valid
/// while `_lib` is loaded, and `_lib` lives as long as the struct (engines hold an
/// `Arc` of it).
pub struct Api {
    create: CreateFn,
    delete: DeleteFn,
    init3: Init3Fn,
    datapath: DatapathFn,
    set_image: SetImageFn,
    resolution: ResolutionFn,
    recognize: RecognizeFn,
    get_iterator: GetIteratorFn,
    iterator_delete: IteratorDeleteFn,
    iterator_next: IteratorNextFn,
    iterator_text: IteratorTextFn,
    page_iterator: PageIteratorFn,
    bounding_box: BoxFn,
    at_beginning: BeginningFn,
    delete_text: DeleteTextFn,
    clear: ClearFn,
    _lib: Library,
}

/// One `TessBaseAPI`, initialised for a language.
pub struct Engine {
    api: Arc<Api>,
    handle: NonNull<c_void>,
}

// SAFETY: a TessBaseAPI is not bound to the thread that made it (Tesseract's docs:
// one instance per thread at a time, any thread); `Engine` is used through `&mut self`
// only, so never by two threads at once, and the handle is only passed to libtesseract.
unsafe impl Send for Engine {}

/// Where Debian's libtesseract5 looks for language data by default.
const DEBIAN_TESSDATA: &str = "/usr/share/tesseract-ocr/5/tessdata";

/// Where Debian's and upstream's builds look for `*.traineddata` when the library
/// cannot say (an engine that failed to start).
fn default_datapaths() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("TESSDATA_PREFIX") {
        let p = PathBuf::from(p);
        v.push(p.join("tessdata"));
        v.push(p);
    }
    v.push(DEBIAN_TESSDATA.into());
    v.push("/usr/share/tessdata".into());
    v.push("/usr/local/share/tessdata".into());
    v
}

impl Api {
    /// Loads libtesseract through the loader's search path.
    pub fn load() -> Result<Arc<Api>, String> {
        // SAFETY: loading runs libtesseract's initialisers (C++ static constructors,
        // OpenMP's), which have no preconditions; it is the system's Tesseract.
        let lib = unsafe { Library::new(LIBRARY) }.map_err(|e| e.to_string())?;
        macro_rules! sym {
            ($name:literal, $ty:ty) => {{
                // SAFETY: the symbol is the Tesseract 5 C API function of that name,
                // whose C prototype the type alias spells out (tesseract/capi.h).
                let s = unsafe { lib.get::<$ty>(concat!($name, "\0").as_bytes()) }
                    .map_err(|e| format!("{}: {e}", $name))?;
                *s
            }};
        }
        Ok(Arc::new(Api {
            create: sym!("TessBaseAPICreate", CreateFn),
            delete: sym!("TessBaseAPIDelete", DeleteFn),
            init3: sym!("TessBaseAPIInit3", Init3Fn),
            datapath: sym!("TessBaseAPIGetDatapath", DatapathFn),
            set_image: sym!("TessBaseAPISetImage", SetImageFn),
            resolution: sym!("TessBaseAPISetSourceResolution", ResolutionFn),
            recognize: sym!("TessBaseAPIRecognize", RecognizeFn),
            get_iterator: sym!("TessBaseAPIGetIterator", GetIteratorFn),
            iterator_delete: sym!("TessResultIteratorDelete", IteratorDeleteFn),
            iterator_next: sym!("TessResultIteratorNext", IteratorNextFn),
            iterator_text: sym!("TessResultIteratorGetUTF8Text", IteratorTextFn),
            page_iterator: sym!("TessResultIteratorGetPageIteratorConst", PageIteratorFn),
            bounding_box: sym!("TessPageIteratorBoundingBox", BoxFn),
            at_beginning: sym!("TessPageIteratorIsAtBeginningOf", BeginningFn),
            delete_text: sym!("TessDeleteText", DeleteTextFn),
            clear: sym!("TessBaseAPIClear", ClearFn),
            _lib: lib,
        }))
    }

    /// The languages of `lang` (`eng+deu`) that have no `.traineddata` where
    /// Tesseract looks (`datapath`, else the usual places).
    pub fn missing_languages<'a>(lang: &'a str, datapath: Option<&PathBuf>) -> Vec<&'a str> {
        let dirs = match datapath {
            Some(d) => vec![d.clone()],
            None => default_datapaths(),
        };
        lang.split('+')
            .filter(|l| {
                !dirs
                    .iter()
                    .any(|d| d.join(format!("{l}.traineddata")).is_file())
            })
            .collect()
    }

    /// An engine for `lang`: Err with the languages that are missing (all of `lang`'s
    /// if the library cannot say), or with a message.
    pub fn engine<'a>(self: &Arc<Self>, lang: &'a str) -> Result<Engine, Vec<&'a str>> {
        let c_lang = CString::new(lang).map_err(|_| vec![lang])?;
        // Debian's build looks in its own directory unless TESSDATA_PREFIX says
        // otherwise: a language missing there is named before Tesseract prints its
        // own four lines about it.
        let debian = PathBuf::from(DEBIAN_TESSDATA);
        if std::env::var_os("TESSDATA_PREFIX").is_none() && debian.is_dir() {
            let missing = Api::missing_languages(lang, Some(&debian));
            if !missing.is_empty() {
                return Err(missing);
            }
        }
        // SAFETY: TessBaseAPICreate has no preconditions; a NULL result is checked.
        let handle = NonNull::new(unsafe { (self.create)() }).ok_or_else(|| vec![lang])?;
        let engine = Engine {
            api: Arc::clone(self),
            handle,
        };
        // SAFETY: the handle is live (made above, deleted only by `Engine`'s drop); a
        // NULL datapath means "the default", and `c_lang` is NUL-terminated and
        // outlives the call.
        let rc = unsafe { (self.init3)(handle.as_ptr(), std::ptr::null(), c_lang.as_ptr()) };
        if rc != 0 {
            let missing = Api::missing_languages(lang, None);
            return Err(if missing.is_empty() {
                vec![lang]
            } else {
                missing
            });
        }
        // Tesseract starts when the first language loads and only warns about the
        // others: check each is there.
        // SAFETY: the handle is live and initialised; the result is NULL or a
        // NUL-terminated string owned by the engine, copied at once.
        let path = unsafe {
            let p = (self.datapath)(handle.as_ptr());
            (!p.is_null()).then(|| PathBuf::from(CStr::from_ptr(p).to_string_lossy().into_owned()))
        };
        let missing = Api::missing_languages(lang, path.as_ref());
        if path.is_some() && !missing.is_empty() {
            return Err(missing);
        }
        Ok(engine)
    }
}

/// Frees a text Tesseract allocated, when dropped.
struct TessText<'a> {
    api: &'a Api,
    ptr: *mut c_char,
}

impl Drop for TessText<'_> {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: the pointer came from TessResultIteratorGetUTF8Text, which
            // hands over ownership to be freed by TessDeleteText, and is freed once.
            unsafe { (self.api.delete_text)(self.ptr) }
        }
    }
}

/// Deletes a result iterator when dropped.
struct Iter<'a> {
    api: &'a Api,
    ptr: NonNull<c_void>,
}

impl Drop for Iter<'_> {
    fn drop(&mut self) {
        // SAFETY: the iterator came from TessBaseAPIGetIterator, whose caller owns it
        // and deletes it with TessResultIteratorDelete, once.
        unsafe { (self.api.iterator_delete)(self.ptr.as_ptr()) }
    }
}

impl Engine {
    /// The words of an image of `width` × `height` pixels of `bpp` bytes (1 gray,
    /// 3 RGB), rows packed, at `dpi`, in Tesseract's reading order.
    pub fn recognize(
        &mut self,
        data: &[u8],
        width: u32,
        height: u32,
        bpp: u32,
        dpi: u32,
    ) -> Result<Vec<Word>, String> {
        let line = width as usize * bpp as usize;
        let (Ok(w), Ok(h), Ok(bpl)) = (
            c_int::try_from(width),
            c_int::try_from(height),
            c_int::try_from(line),
        ) else {
            return Err("the page is too large".into());
        };
        if data.len() < line * height as usize || !(bpp == 1 || bpp == 3) {
            return Err("the page's data are short".into());
        }
        let api = &*self.api;
        let handle = self.handle.as_ptr();
        // SAFETY: the handle is live and initialised; `data` holds `height` rows of
        // `bpl` bytes (checked above) and outlives every use Tesseract makes of it
        // (SetImage copies it into its own image, and Clear below ends the page
        // before `data` is released).
        unsafe {
            (api.set_image)(handle, data.as_ptr(), w, h, bpp as c_int, bpl);
            (api.resolution)(handle, dpi.clamp(1, i32::MAX as u32) as c_int);
        }
        // SAFETY: an image is set; a NULL monitor is allowed (no progress, no cancel).
        let rc = unsafe { (api.recognize)(handle, std::ptr::null_mut()) };
        let words = if rc != 0 {
            Err(format!("TessBaseAPIRecognize returned {rc}"))
        } else {
            Ok(self.words())
        };
        // SAFETY: the handle is live; Clear frees the page's image and results, the
        // engine stays initialised for the next page.
        unsafe { (api.clear)(handle) };
        words
    }

    /// The words of the page just recognised.
    fn words(&self) -> Vec<Word> {
        let api = &*self.api;
        let mut out = Vec::new();
        // SAFETY: the handle is live and recognised a page; a NULL iterator (no
        // results) is checked, and `Iter` deletes it once.
        let Some(it) = NonNull::new(unsafe { (api.get_iterator)(self.handle.as_ptr()) }) else {
            return out;
        };
        let it = Iter { api, ptr: it };
        let mut line = 0u32;
        loop {
            // SAFETY: the iterator is live; the text returned (NULL when the iterator
            // is past the last word, or on an empty page) is owned by `TessText`,
            // which frees it, and is read as a NUL-terminated string before that.
            let text = TessText {
                api,
                ptr: unsafe { (api.iterator_text)(it.ptr.as_ptr(), RIL_WORD) },
            };
            if text.ptr.is_null() {
                break;
            }
            // SAFETY: non-NULL and NUL-terminated (checked above; Tesseract's UTF-8
            // text); copied before `text` is dropped.
            let s = unsafe { CStr::from_ptr(text.ptr) }
                .to_string_lossy()
                .into_owned();
            let (mut l, mut t, mut r, mut b) = (0, 0, 0, 0);
            // SAFETY: the page iterator is the result iterator's own view (not owned
            // by us, valid while `it` is); the four out-pointers are live locals.
            let (has_box, new_line) = unsafe {
                let page = (api.page_iterator)(it.ptr.as_ptr());
                if page.is_null() {
                    (false, false)
                } else {
                    (
                        (api.bounding_box)(page, RIL_WORD, &mut l, &mut t, &mut r, &mut b) != 0,
                        (api.at_beginning)(page, RIL_TEXTLINE) != 0,
                    )
                }
            };
            if new_line && !out.is_empty() {
                line += 1;
            }
            if has_box && r > l && b > t && l >= 0 && t >= 0 {
                out.push(Word {
                    text: s,
                    left: l as u32,
                    top: t as u32,
                    right: r as u32,
                    bottom: b as u32,
                    line,
                });
            }
            // SAFETY: the iterator is live; Next returns false past the last word.
            if unsafe { (api.iterator_next)(it.ptr.as_ptr(), RIL_WORD) } == 0 {
                break;
            }
        }
        out
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: the handle came from TessBaseAPICreate and is deleted once, here
        // (Delete also ends the engine); `api` keeps the library loaded until after.
        unsafe { (self.api.delete)(self.handle.as_ptr()) }
    }
}
