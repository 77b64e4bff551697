use core::fmt;

/// Why the signing certificate or its chain was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// Placeholder until this stage lands.
    NotImplemented,
}

impl CertificateError {
    /// Stable machine-readable code, `certificate.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotImplemented => "certificate.not-implemented",
        }
    }
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("certificate: not implemented"),
        }
    }
}

impl std::error::Error for CertificateError {}
