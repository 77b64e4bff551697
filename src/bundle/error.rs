use core::fmt;

/// Why a bundle document was rejected before any cryptographic check.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// Placeholder until the parser lands.
    NotImplemented,
}

impl BundleError {
    /// Stable machine-readable code, `bundle.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotImplemented => "bundle.not-implemented",
        }
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("bundle parsing is not implemented"),
        }
    }
}

impl std::error::Error for BundleError {}
