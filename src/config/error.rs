use core::fmt;

/// Why the configuration was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// Placeholder until this stage lands.
    NotImplemented,
}

impl ConfigError {
    /// Stable machine-readable code, `config.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotImplemented => "config.not-implemented",
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("config: not implemented"),
        }
    }
}

impl std::error::Error for ConfigError {}
