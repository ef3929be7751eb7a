//! `SANE_Status`: what a SANE call answered.

/// The status codes of the SANE 1.0 standard, plus any code a backend invents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Good,
    Unsupported,
    Cancelled,
    DeviceBusy,
    Inval,
    Eof,
    Jammed,
    NoDocs,
    CoverOpen,
    IoError,
    NoMem,
    AccessDenied,
    Other(i32),
}

impl Status {
    pub fn from_code(code: i32) -> Status {
        match code {
            0 => Status::Good,
            1 => Status::Unsupported,
            2 => Status::Cancelled,
            3 => Status::DeviceBusy,
            4 => Status::Inval,
            5 => Status::Eof,
            6 => Status::Jammed,
            7 => Status::NoDocs,
            8 => Status::CoverOpen,
            9 => Status::IoError,
            10 => Status::NoMem,
            11 => Status::AccessDenied,
            n => Status::Other(n),
        }
    }

    pub fn code(self) -> i32 {
        match self {
            Status::Good => 0,
            Status::Unsupported => 1,
            Status::Cancelled => 2,
            Status::DeviceBusy => 3,
            Status::Inval => 4,
            Status::Eof => 5,
            Status::Jammed => 6,
            Status::NoDocs => 7,
            Status::CoverOpen => 8,
            Status::IoError => 9,
            Status::NoMem => 10,
            Status::AccessDenied => 11,
            Status::Other(n) => n,
        }
    }

    /// The constant's name as sane.h spells it, for messages a user can search for.
    pub fn name(self) -> String {
        match self {
            Status::Good => "SANE_STATUS_GOOD".into(),
            Status::Unsupported => "SANE_STATUS_UNSUPPORTED".into(),
            Status::Cancelled => "SANE_STATUS_CANCELLED".into(),
            Status::DeviceBusy => "SANE_STATUS_DEVICE_BUSY".into(),
            Status::Inval => "SANE_STATUS_INVAL".into(),
            Status::Eof => "SANE_STATUS_EOF".into(),
            Status::Jammed => "SANE_STATUS_JAMMED".into(),
            Status::NoDocs => "SANE_STATUS_NO_DOCS".into(),
            Status::CoverOpen => "SANE_STATUS_COVER_OPEN".into(),
            Status::IoError => "SANE_STATUS_IO_ERROR".into(),
            Status::NoMem => "SANE_STATUS_NO_MEM".into(),
            Status::AccessDenied => "SANE_STATUS_ACCESS_DENIED".into(),
            Status::Other(n) => format!("SANE status {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in -1..14 {
            assert_eq!(Status::from_code(c).code(), c);
        }
        assert_eq!(Status::from_code(6), Status::Jammed);
        assert_eq!(Status::Jammed.name(), "SANE_STATUS_JAMMED");
    }
}
