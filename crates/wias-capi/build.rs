//! Gives libwias.so an ELF SONAME with the ABI version, `libwias.so.0`, so programs
//! linked against it record that name and keep working when a later, compatible
//! libwias.so.0.x is installed (and refuse an incompatible libwias.so.1). Rust's
//! cdylibs have no SONAME of their own. The major number follows the crate's; while
//! it is 0, a change to the C ABI bumps it by hand here and in docs/c-api.md.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    // ELF systems whose linkers take -soname (macOS uses install names instead).
    if matches!(
        os.as_str(),
        "linux" | "freebsd" | "netbsd" | "openbsd" | "dragonfly" | "android"
    ) {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libwias.so.{ABI_MAJOR}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The C ABI's major version: the number in the SONAME.
const ABI_MAJOR: u32 = 0;
