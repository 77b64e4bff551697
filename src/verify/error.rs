use core::fmt;

/// Why the artifact signature or its binding to the artifact was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// Placeholder until this stage lands.
    NotImplemented,
}

impl SignatureError {
    /// Stable machine-readable code, `signature.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotImplemented => "signature.not-implemented",
        }
    }
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("signature: not implemented"),
        }
    }
}

impl std::error::Error for SignatureError {}
