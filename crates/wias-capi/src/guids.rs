//! The `WiaImgFmt_*` GUIDs, exported as `extern const GUID` symbols so that driver code
//! written as `IsEqualGUID(&pmdtc->guidFormatID, &WiaImgFmt_TIFF)` links unchanged.
#![allow(non_upper_case_globals)]

use crate::types::GUID;
use wias_core::{guids, Guid};

const fn c(g: Guid) -> GUID {
    GUID {
        Data1: g.data1,
        Data2: g.data2,
        Data3: g.data3,
        Data4: g.data4,
    }
}

macro_rules! export {
    ($($name:ident = $value:ident;)*) => {
        $(
            #[no_mangle]
            pub static $name: GUID = c(guids::$value);
        )*
    };
}

export! {
    WiaImgFmt_UNDEFINED = UNDEFINED;
    WiaImgFmt_MEMORYBMP = MEMORYBMP;
    WiaImgFmt_BMP = BMP;
    WiaImgFmt_EMF = EMF;
    WiaImgFmt_WMF = WMF;
    WiaImgFmt_JPEG = JPEG;
    WiaImgFmt_PNG = PNG;
    WiaImgFmt_GIF = GIF;
    WiaImgFmt_TIFF = TIFF;
    WiaImgFmt_EXIF = EXIF;
    WiaImgFmt_PHOTOCD = PHOTOCD;
    WiaImgFmt_FLASHPIX = FLASHPIX;
    WiaImgFmt_ICO = ICO;
    WiaImgFmt_RAWRGB = RAWRGB;
    WiaImgFmt_CIFF = CIFF;
    WiaImgFmt_PICT = PICT;
    WiaImgFmt_JPEG2K = JPEG2K;
    WiaImgFmt_JPEG2KX = JPEG2KX;
    WiaImgFmt_RAW = RAW;
    WiaImgFmt_JBIG = JBIG;
    WiaImgFmt_JBIG2 = JBIG2;
    WiaImgFmt_RTF = RTF;
    WiaImgFmt_XML = XML;
    WiaImgFmt_HTML = HTML;
    WiaImgFmt_TXT = TXT;
    WiaImgFmt_PDFA = PDFA;
    WiaImgFmt_XPS = XPS;
    WiaImgFmt_CSV = CSV;
}
