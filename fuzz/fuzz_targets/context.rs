//! Transfer-context validation on arbitrary field values: `image_information` and the
//! page writes must give a value or an error naming the field, never panic. Whatever
//! they write as TIFF must read back.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use wias::{context::tymed, guids, transfer, TransferContext};

fn i32_at(d: &[u8], k: usize) -> i32 {
    let mut b = [0u8; 4];
    for (i, x) in b.iter_mut().enumerate() {
        *x = d.get(k * 4 + i).copied().unwrap_or(0);
    }
    i32::from_le_bytes(b)
}

/// Small values most of the time, so the fuzzer reaches the write paths.
fn field(d: &[u8], k: usize) -> i32 {
    let v = i32_at(d, k);
    if v & 1 == 0 {
        v >> 1
    } else {
        (v >> 1) % 300
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 48 {
        return;
    }
    let (head, buffer) = data.split_at(48);
    let format = [guids::TIFF, guids::BMP, guids::MEMORYBMP, guids::JPEG, guids::RAW, guids::PNG]
        [head[44] as usize % 6];
    let tymeds = [tymed::FILE, tymed::MULTIPAGE_FILE, tymed::CALLBACK, tymed::MULTIPAGE_CALLBACK];
    let mut ctx = TransferContext::new(
        field(head, 0),
        field(head, 1),
        [1, 8, 16, 24, 48, field(head, 2)][head[45] as usize % 6],
        format,
        tymeds[head[46] as usize % 4],
    );
    ctx.xres = field(head, 3);
    ctx.yres = field(head, 4);
    ctx.compression = field(head, 5) % 10;
    let info = ctx.image_information();
    if head[47] & 1 == 1 {
        // A driver that sets the sizes itself, possibly wrong.
        ctx.image_size = field(head, 6);
        ctx.header_size = field(head, 7);
        ctx.item_size = field(head, 8);
        ctx.width_in_bytes = field(head, 9);
    } else if info.is_err() {
        return;
    }
    let mut sink = Cursor::new(Vec::new());
    let pages = 1 + (head[47] >> 1) % 3;
    let mut written = 0;
    for page in 0..pages {
        ctx.page = i32::from(page);
        if transfer::write_page_buf(&mut ctx, &mut sink, buffer).is_err() {
            break;
        }
        written += 1;
    }
    let _ = transfer::write_buf(&ctx, &mut Cursor::new(Vec::new()), buffer);
    if written > 0 && ctx.image_format() == wias::ImageFormat::Tiff {
        let file = wias::tiff::TiffFile::read(&mut Cursor::new(sink.get_ref()))
            .expect("a TIFF we wrote must read back");
        assert_eq!(file.directories.len(), written);
        assert!(file.problems().is_empty(), "{:?}", file.problems());
    }
});
