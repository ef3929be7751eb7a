//! Transitional: the shared test readers now live in the `wias-testsupport` crate
//! (`use wias_testsupport as support;`), and the library's behaviour tests in one
//! binary (`tests/it`). Test files written before that still say `mod support;` or
//! `#[path = "../../wias/tests/support/mod.rs"] mod support;`; this keeps them building
//! until they are moved. Remove it when nothing includes it.
#![allow(unused_imports)]

pub use wias_testsupport::*;
