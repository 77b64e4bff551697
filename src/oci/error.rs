use core::fmt;

/// Why a registry or OCI layout operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// Placeholder until this stage lands.
    NotImplemented,
}

impl RegistryError {
    /// Stable machine-readable code, `registry.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotImplemented => "registry.not-implemented",
        }
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("registry: not implemented"),
        }
    }
}

impl std::error::Error for RegistryError {}
