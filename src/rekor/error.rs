use core::fmt;

/// Why a transparency-log entry was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlogError {
    /// Placeholder until this stage lands.
    NotImplemented,
}

impl TlogError {
    /// Stable machine-readable code, `tlog.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotImplemented => "tlog.not-implemented",
        }
    }
}

impl fmt::Display for TlogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("tlog: not implemented"),
        }
    }
}

impl std::error::Error for TlogError {}
