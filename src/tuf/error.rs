use core::fmt;

/// Why the TUF trust-root update failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TufError {
    /// Placeholder until this stage lands.
    NotImplemented,
}

impl TufError {
    /// Stable machine-readable code, `tuf.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotImplemented => "tuf.not-implemented",
        }
    }
}

impl fmt::Display for TufError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("tuf: not implemented"),
        }
    }
}

impl std::error::Error for TufError {}
