use core::fmt;

/// Why a trusted root document was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustRootError {
    /// Placeholder until the parser lands.
    NotImplemented,
}

impl TrustRootError {
    /// Stable machine-readable code, `trust-root.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotImplemented => "trust-root.not-implemented",
        }
    }
}

impl fmt::Display for TrustRootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("trusted root parsing is not implemented"),
        }
    }
}

impl std::error::Error for TrustRootError {}
