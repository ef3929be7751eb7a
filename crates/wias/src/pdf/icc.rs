//! The sRGB ICC profile of a PDF/A file's output intent, built here from the numbers
//! of IEC 61966-2-1 rather than shipped as a file: no third party's profile, so no
//! licence to carry, and its bytes are reviewable.
//!
//! A version 2.1 display (`mntr`) profile, RGB to the XYZ connection space, of the
//! tags ICC.1:2001-04 requires of it: description, copyright, media white point, the
//! three colorants (sRGB's primaries adapted to D50 with the Bradford transform, as
//! the ICC's own sRGB profiles give them) and one tone curve shared by the three
//! channels (the sRGB curve sampled at 256 points, one per 8-bit code). 996 bytes.
//! Version 2 because PDF/A-1 allows no later version and PDF/A-2 any up to 4.
//! One RGB profile serves every page: PDF/A lets DeviceGray pages use any output
//! intent and DeviceRGB pages an RGB one, and a file has one intent for all pages,
//! those an append may add later included.

/// The profile's description, also the output intent's `/Info`.
pub(crate) const DESCRIPTION: &str = "sRGB IEC61966-2.1 (wias)";

/// `v` as s15Fixed16Number.
fn s15(v: f64) -> [u8; 4] {
    ((v * 65536.0).round() as i32).to_be_bytes()
}

fn xyz(x: f64, y: f64, z: f64) -> Vec<u8> {
    let mut t = b"XYZ \0\0\0\0".to_vec();
    for v in [x, y, z] {
        t.extend_from_slice(&s15(v));
    }
    t
}

/// The sRGB transfer function: encoded value to linear light.
fn srgb_to_linear(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// The profile's bytes.
pub(crate) fn srgb() -> Vec<u8> {
    let desc = {
        let mut t = b"desc\0\0\0\0".to_vec();
        t.extend_from_slice(&(DESCRIPTION.len() as u32 + 1).to_be_bytes());
        t.extend_from_slice(DESCRIPTION.as_bytes());
        t.push(0);
        t.extend_from_slice(&[0; 8]); // Unicode language code and count: none
        t.extend_from_slice(&[0; 3]); // ScriptCode code and count: none
        t.extend_from_slice(&[0; 67]);
        t
    };
    let cprt = b"text\0\0\0\0No copyright, use freely\0".to_vec();
    let curve = {
        let mut t = b"curv\0\0\0\0".to_vec();
        t.extend_from_slice(&256u32.to_be_bytes());
        for i in 0..256 {
            let y = srgb_to_linear(f64::from(i) / 255.0);
            t.extend_from_slice(&((y * 65535.0).round() as u16).to_be_bytes());
        }
        t
    };
    // (signature, tag data); the three TRC tags share one curve.
    let tags: Vec<(&[u8; 4], Vec<u8>)> = vec![
        (b"desc", desc),
        (b"cprt", cprt),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.436066, 0.222488, 0.013916)),
        (b"gXYZ", xyz(0.385147, 0.716873, 0.097076)),
        (b"bXYZ", xyz(0.143066, 0.060608, 0.714096)),
        (b"rTRC", curve),
    ];
    let table_len = 4 + 12 * (tags.len() + 2);
    let mut data = Vec::new();
    let mut table = Vec::with_capacity(table_len);
    table.extend_from_slice(&(tags.len() as u32 + 2).to_be_bytes());
    let mut curve_at = (0, 0);
    for (sig, t) in &tags {
        while data.len() % 4 != 0 {
            data.push(0);
        }
        let at = (128 + table_len + data.len()) as u32;
        table.extend_from_slice(*sig);
        table.extend_from_slice(&at.to_be_bytes());
        table.extend_from_slice(&(t.len() as u32).to_be_bytes());
        if *sig == b"rTRC" {
            curve_at = (at, t.len() as u32);
        }
        data.extend_from_slice(t);
    }
    for sig in [b"gTRC", b"bTRC"] {
        table.extend_from_slice(sig);
        table.extend_from_slice(&curve_at.0.to_be_bytes());
        table.extend_from_slice(&curve_at.1.to_be_bytes());
    }
    while data.len() % 4 != 0 {
        data.push(0);
    }
    let size = (128 + table.len() + data.len()) as u32;
    let mut h = Vec::with_capacity(size as usize);
    h.extend_from_slice(&size.to_be_bytes());
    h.extend_from_slice(&[0; 4]); // preferred CMM: none
    h.extend_from_slice(&[2, 0x10, 0, 0]); // version 2.1.0
    h.extend_from_slice(b"mntrRGB XYZ ");
    // Creation date: fixed, so the profile's bytes never change.
    for v in [2026u16, 1, 1, 0, 0, 0] {
        h.extend_from_slice(&v.to_be_bytes());
    }
    h.extend_from_slice(b"acsp");
    h.extend_from_slice(&[0; 4 + 4 + 4 + 4 + 8]); // platform, flags, maker, model, attributes
    h.extend_from_slice(&0u32.to_be_bytes()); // rendering intent: perceptual
    h.extend_from_slice(&xyz(0.9642, 1.0, 0.8249)[8..]); // illuminant D50
    h.extend_from_slice(&[0; 4]); // creator
    h.resize(128, 0); // profile ID (none in version 2) and reserved bytes
    h.extend_from_slice(&table);
    h.extend_from_slice(&data);
    debug_assert_eq!(h.len(), size as usize);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_header_and_tag_table_are_consistent() {
        let p = srgb();
        assert_eq!(
            u32::from_be_bytes(p[0..4].try_into().unwrap()) as usize,
            p.len()
        );
        assert_eq!(&p[36..40], b"acsp");
        assert_eq!(&p[12..20], b"mntrRGB ");
        let n = u32::from_be_bytes(p[128..132].try_into().unwrap()) as usize;
        assert_eq!(n, 9);
        for i in 0..n {
            let e = &p[132 + 12 * i..144 + 12 * i];
            let at = u32::from_be_bytes(e[4..8].try_into().unwrap()) as usize;
            let len = u32::from_be_bytes(e[8..12].try_into().unwrap()) as usize;
            assert_eq!(at % 4, 0);
            assert!(at + len <= p.len());
        }
        assert!(p.len() < 1024, "{} bytes", p.len());
    }
}
