//! Image files as pages: readers that turn a file a user has into a page spec and the
//! data a container stores.

pub mod jpeg;
pub mod pnm;
