//! The behaviour tests of the wias library, one module per subject, linked into one
//! test binary (one link of libjpeg-turbo instead of one per file). Every written file
//! is checked with readers we did not write (`wias-testsupport`).

mod append;
mod auto;
mod bad_input;
mod bigtiff;
mod bmp;
mod codecs;
mod concurrency;
mod context;
mod crash;
mod faults;
mod fullfs;
mod fuzz_regressions;
mod module_cycles;
mod passthrough;
mod pdf;
mod pdf_foreign;
mod pdfa;
mod pixels;
mod readme_paste;
mod same_bytes;
mod smoke;
mod streamed;
mod tail;
