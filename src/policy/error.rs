use core::fmt;

/// Why the signer's identity was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// Placeholder until this stage lands.
    NotImplemented,
}

impl PolicyError {
    /// Stable machine-readable code, `policy.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotImplemented => "policy.not-implemented",
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("policy: not implemented"),
        }
    }
}

impl std::error::Error for PolicyError {}
