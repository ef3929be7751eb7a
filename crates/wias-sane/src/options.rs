//! Device options: the typed view of a descriptor, and values given as text the way
//! `scanimage` users write them (`yes`, `300`, `210mm`, `Color`, `1.5,2,3`).

use crate::error::{Error, Result};
use crate::ffi::{RawConstraint, RawDescriptor};

/// `SANE_Value_Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    Bool,
    Int,
    Fixed,
    String,
    Button,
    Group,
}

/// `SANE_Unit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    None,
    Pixel,
    Bit,
    Mm,
    Dpi,
    Percent,
    Microsecond,
}

impl Unit {
    /// The suffix `scanimage --help` prints after a value.
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::None => "",
            Unit::Pixel => "pel",
            Unit::Bit => "bit",
            Unit::Mm => "mm",
            Unit::Dpi => "dpi",
            Unit::Percent => "%",
            Unit::Microsecond => "us",
        }
    }
}

/// Capability bits (`SANE_CAP_*`).
const CAP_SOFT_SELECT: i32 = 1;
const CAP_AUTOMATIC: i32 = 16;
const CAP_INACTIVE: i32 = 32;

/// One option of an open device, as its descriptor says.
#[derive(Clone, Debug)]
pub struct OptionDesc {
    /// The option number `sane_control_option` takes.
    pub index: i32,
    pub name: String,
    pub title: String,
    pub desc: String,
    pub value_type: ValueType,
    pub unit: Unit,
    /// Bytes of the value (words × 4 for numbers, buffer length for strings).
    pub size: usize,
    cap: i32,
    pub constraint: RawConstraint,
}

/// A value to set, encoded for `sane_control_option`.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    /// The value bytes (`size` of them).
    Value(Vec<u8>),
    /// `SANE_ACTION_SET_AUTO`.
    Auto,
    /// A button press (no value).
    Press,
}

/// SANE_Fixed is 16.16 fixed point.
fn to_fixed(v: f64) -> i32 {
    (v * 65536.0).round() as i32
}

fn from_fixed(w: i32) -> f64 {
    f64::from(w) / 65536.0
}

impl OptionDesc {
    pub(crate) fn from_raw(index: i32, d: RawDescriptor) -> OptionDesc {
        let value_type = match d.value_type {
            0 => ValueType::Bool,
            1 => ValueType::Int,
            2 => ValueType::Fixed,
            3 => ValueType::String,
            4 => ValueType::Button,
            _ => ValueType::Group,
        };
        let unit = match d.unit {
            1 => Unit::Pixel,
            2 => Unit::Bit,
            3 => Unit::Mm,
            4 => Unit::Dpi,
            5 => Unit::Percent,
            6 => Unit::Microsecond,
            _ => Unit::None,
        };
        OptionDesc {
            index,
            name: d.name,
            title: d.title,
            desc: d.desc,
            value_type,
            unit,
            size: usize::try_from(d.size).unwrap_or(0),
            cap: d.cap,
            constraint: d.constraint,
        }
    }

    /// Active options can be read and (if soft-selectable) set now; others depend on
    /// the value of another option (e.g. `three-pass` needs colour mode).
    pub fn is_active(&self) -> bool {
        self.cap & CAP_INACTIVE == 0
    }

    /// The frontend may set it (not only a hardware switch).
    pub fn is_settable(&self) -> bool {
        self.cap & CAP_SOFT_SELECT != 0
    }

    /// A value option a user can name (groups and nameless options are not).
    pub fn is_named(&self) -> bool {
        self.value_type != ValueType::Group && !self.name.is_empty()
    }

    /// The entries of a string-list option (empty for other constraints).
    pub fn choices(&self) -> Vec<String> {
        match &self.constraint {
            RawConstraint::StringList(v) => v.clone(),
            _ => Vec::new(),
        }
    }

    /// Number of words of a numeric value.
    fn words(&self) -> usize {
        (self.size / 4).max(1)
    }

    /// The values allowed, as `scanimage --help` shows them (`Gray|Color`,
    /// `1..1200dpi`), for messages.
    pub fn allowed(&self) -> String {
        let u = self.unit.suffix();
        let num = |w: i32| match self.value_type {
            ValueType::Fixed => format_fixed(w),
            _ => w.to_string(),
        };
        match &self.constraint {
            RawConstraint::StringList(v) => v.join("|"),
            RawConstraint::WordList(v) => {
                let s: Vec<String> = v.iter().map(|&w| num(w)).collect();
                format!("{}{u}", s.join("|"))
            }
            RawConstraint::Range { min, max, .. } => format!("{}..{}{u}", num(*min), num(*max)),
            RawConstraint::None => match self.value_type {
                ValueType::Bool => "yes|no".into(),
                ValueType::Int => "<int>".into(),
                ValueType::Fixed => "<float>".into(),
                ValueType::String => "<string>".into(),
                _ => String::new(),
            },
        }
    }

    /// Encodes `text` (scanimage syntax) for this option, checking it against the
    /// constraint so that a bad value is refused with the values allowed.
    pub fn encode(&self, text: &str) -> Result<Setting> {
        let bad = |why: String| Error::BadValue {
            option: self.name.clone(),
            value: text.to_string(),
            why,
        };
        if text.eq_ignore_ascii_case("auto") && self.value_type != ValueType::String {
            if self.cap & CAP_AUTOMATIC == 0 {
                return Err(bad("this option cannot be set to auto".into()));
            }
            return Ok(Setting::Auto);
        }
        match self.value_type {
            ValueType::Button => Ok(Setting::Press),
            ValueType::Group => Err(bad("is a group title, not an option".into())),
            ValueType::Bool => {
                let v = match text.to_ascii_lowercase().as_str() {
                    "" | "yes" | "y" | "true" | "on" | "1" => 1,
                    "no" | "n" | "false" | "off" | "0" => 0,
                    _ => return Err(bad("expected yes or no".into())),
                };
                Ok(Setting::Value(words_bytes(&vec![v; self.words()])))
            }
            ValueType::Int | ValueType::Fixed => {
                let parts: Vec<&str> = text.split(',').map(str::trim).collect();
                if parts.len() != 1 && parts.len() != self.words() {
                    return Err(bad(format!(
                        "takes one value or {} comma-separated values",
                        self.words()
                    )));
                }
                let mut words = Vec::with_capacity(parts.len());
                for p in &parts {
                    let v = self.number(p).ok_or_else(|| {
                        bad(format!(
                            "expected a number{}",
                            if self.unit == Unit::None {
                                String::new()
                            } else {
                                format!(" (in {})", self.unit.suffix())
                            }
                        ))
                    })?;
                    let w = if self.value_type == ValueType::Fixed {
                        to_fixed(v)
                    } else if v.fract() == 0.0 && v.abs() <= f64::from(i32::MAX) {
                        v as i32
                    } else {
                        return Err(bad("expected a whole number".into()));
                    };
                    self.check_word(w).map_err(&bad)?;
                    words.push(w);
                }
                if words.len() == 1 {
                    words = vec![words[0]; self.words()];
                }
                Ok(Setting::Value(words_bytes(&words)))
            }
            ValueType::String => {
                let s = match &self.constraint {
                    RawConstraint::StringList(list) => match_choice(list, text)
                        .ok_or_else(|| bad(format!("choose one of {}", list.join("|"))))?,
                    _ => text.to_string(),
                };
                if s.len() >= self.size || s.contains('\0') {
                    return Err(bad(format!("longer than the {} bytes allowed", self.size)));
                }
                let mut b = s.into_bytes();
                b.resize(self.size, 0);
                Ok(Setting::Value(b))
            }
        }
    }

    /// A number, with an optional unit suffix (`210mm`, `8.5in`, `300dpi`).
    fn number(&self, text: &str) -> Option<f64> {
        let t = text.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
            .unwrap_or(t.len());
        let (num, suffix) = t.split_at(split);
        let v: f64 = num.parse().ok()?;
        let scale = match (suffix.trim(), self.unit) {
            ("", _) => 1.0,
            ("cm", Unit::Mm) => 10.0,
            ("in" | "\"", Unit::Mm) => 25.4,
            (s, u) if s == u.suffix() => 1.0,
            _ => return None,
        };
        Some(v * scale)
    }

    fn check_word(&self, w: i32) -> std::result::Result<(), String> {
        let show = |w: i32| match self.value_type {
            ValueType::Fixed => format_fixed(w),
            _ => w.to_string(),
        };
        match &self.constraint {
            RawConstraint::Range { min, max, .. } if w < *min || w > *max => Err(format!(
                "out of range {}..{}{}",
                show(*min),
                show(*max),
                self.unit.suffix()
            )),
            RawConstraint::WordList(list) if !list.contains(&w) => {
                Err(format!("choose one of {}", self.allowed()))
            }
            _ => Ok(()),
        }
    }

    /// Decodes a value read with `SANE_ACTION_GET_VALUE` as text (`Color`, `300`,
    /// `12.5`, `yes`).
    pub fn decode(&self, bytes: &[u8]) -> String {
        let words: Vec<i32> = bytes
            .chunks_exact(4)
            .map(|c| i32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let first = words.first().copied().unwrap_or(0);
        match self.value_type {
            ValueType::String => {
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                String::from_utf8_lossy(&bytes[..end]).into_owned()
            }
            ValueType::Bool => if first != 0 { "yes" } else { "no" }.into(),
            ValueType::Int => first.to_string(),
            ValueType::Fixed => format_fixed(first),
            _ => String::new(),
        }
    }

    /// The value as a number (ints and fixed), e.g. the resolution.
    pub fn decode_number(&self, bytes: &[u8]) -> Option<f64> {
        let w = bytes.get(..4)?;
        let w = i32::from_ne_bytes([w[0], w[1], w[2], w[3]]);
        match self.value_type {
            ValueType::Int => Some(f64::from(w)),
            ValueType::Fixed => Some(from_fixed(w)),
            _ => None,
        }
    }
}

fn format_fixed(w: i32) -> String {
    let v = from_fixed(w);
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Words in host byte order, as the C API takes them.
fn words_bytes(words: &[i32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

/// The entry of `list` that `text` names: exactly (ignoring case), else as the unique
/// prefix of one entry (`color` → `Color`, `auto` → `Automatic Document Feeder`).
pub fn match_choice(list: &[String], text: &str) -> Option<String> {
    if let Some(s) = list.iter().find(|s| s.eq_ignore_ascii_case(text)) {
        return Some(s.clone());
    }
    let t = text.to_ascii_lowercase();
    let mut hits = list
        .iter()
        .filter(|s| !t.is_empty() && s.to_ascii_lowercase().starts_with(&t));
    match (hits.next(), hits.next()) {
        (Some(s), None) => Some(s.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(value_type: i32, unit: i32, size: i32, constraint: RawConstraint) -> OptionDesc {
        OptionDesc::from_raw(
            1,
            RawDescriptor {
                name: "opt".into(),
                title: String::new(),
                desc: String::new(),
                value_type,
                unit,
                size,
                cap: CAP_SOFT_SELECT,
                constraint,
            },
        )
    }

    fn bytes(words: &[i32]) -> Setting {
        Setting::Value(words_bytes(words))
    }

    #[test]
    fn bools_as_scanimage_writes_them() {
        let d = desc(0, 0, 4, RawConstraint::None);
        assert_eq!(d.encode("yes").unwrap(), bytes(&[1]));
        assert_eq!(d.encode("").unwrap(), bytes(&[1]));
        assert_eq!(d.encode("No").unwrap(), bytes(&[0]));
        assert!(d.encode("maybe").is_err());
        // auto needs the AUTOMATIC capability.
        assert!(d.encode("auto").is_err());
    }

    #[test]
    fn numbers_units_and_ranges() {
        let mm = desc(
            2,
            3,
            4,
            RawConstraint::Range {
                min: 0,
                max: to_fixed(200.0),
                quant: 0,
            },
        );
        assert_eq!(mm.encode("1.5cm").unwrap(), bytes(&[to_fixed(15.0)]));
        assert_eq!(mm.encode("12.5mm").unwrap(), bytes(&[to_fixed(12.5)]));
        let e = mm.encode("300").unwrap_err().to_string();
        assert!(e.contains("out of range 0..200mm"), "{e}");
        assert!(mm.encode("12dpi").is_err());
        let dpi = desc(1, 4, 4, RawConstraint::WordList(vec![75, 150, 300]));
        assert_eq!(dpi.encode("300").unwrap(), bytes(&[300]));
        let e = dpi.encode("200").unwrap_err().to_string();
        assert!(e.contains("75|150|300dpi"), "{e}");
        assert!(dpi.encode("2.5").is_err());
        let table = desc(1, 0, 12, RawConstraint::None);
        assert_eq!(table.encode("7").unwrap(), bytes(&[7, 7, 7]));
        assert_eq!(table.encode("1,2,3").unwrap(), bytes(&[1, 2, 3]));
        assert!(table.encode("1,2").is_err());
    }

    #[test]
    fn strings_match_the_list_by_unique_prefix() {
        let list = vec![
            "Flatbed".to_string(),
            "Automatic Document Feeder".to_string(),
            "ADF Duplex".to_string(),
        ];
        let d = desc(3, 0, 32, RawConstraint::StringList(list));
        let Setting::Value(v) = d.encode("automatic").unwrap() else {
            panic!()
        };
        assert_eq!(&v[..25], b"Automatic Document Feeder");
        assert_eq!(v.len(), 32);
        assert_eq!(v[25], 0);
        let e = d.encode("A").unwrap_err().to_string();
        assert!(
            e.contains("Flatbed|Automatic Document Feeder|ADF Duplex"),
            "{e}"
        );
        let free = desc(3, 0, 4, RawConstraint::None);
        assert!(free.encode("abcd").is_err(), "no room for the NUL");
        assert_eq!(free.decode(b"ab\0\0"), "ab");
    }
}
