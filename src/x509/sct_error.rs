use core::fmt;

/// Why the certificate's embedded SCTs were rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SctError {
    /// Placeholder until this stage lands.
    NotImplemented,
}

impl SctError {
    /// Stable machine-readable code, `sct.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotImplemented => "sct.not-implemented",
        }
    }
}

impl fmt::Display for SctError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("sct: not implemented"),
        }
    }
}

impl std::error::Error for SctError {}
