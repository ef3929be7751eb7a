//! SANE scanners as a page source for wias.
//!
//! libsane is loaded at run time (`libsane.so.1`, Debian package `libsane1`), so a
//! build of wias never needs it and a machine without it gets a message saying what
//! to install. Pages come out in WIA page-buffer form, ready for
//! `wias::transfer::write_page_buf`.
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! let sane = wias_sane::Sane::init()?;
//! let mut dev = sane.open("test:0")?;
//! dev.set("mode", "Color")?;
//! let stop = AtomicBool::new(false);
//! while let Some(page) = dev.scan_page(&stop, &mut |_, _| {})? {
//!     println!("{} x {} {}", page.width, page.lines, page.pixel);
//!     if !dev.is_feeder() {
//!         break;
//!     }
//! }
//! # Ok::<(), wias_sane::Error>(())
//! ```
//!
//! The C calls live in one module (`ffi`), the crate's only `unsafe` code: the lint
//! below refuses `unsafe` anywhere else.
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

mod device;
pub mod error;
#[allow(unsafe_code)]
mod ffi;
pub mod frame;
pub mod options;
pub mod status;

pub use device::{Device, Sane};
pub use error::{Error, Result};
pub use ffi::{DeviceInfo, RawConstraint as Constraint};
pub use frame::Page;
pub use options::OptionDesc;
pub use status::Status;
