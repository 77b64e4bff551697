use core::fmt;

/// Why an RFC 3161 timestamp was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimestampError {
    /// Placeholder until this stage lands.
    NotImplemented,
}

impl TimestampError {
    /// Stable machine-readable code, `timestamp.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotImplemented => "timestamp.not-implemented",
        }
    }
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => f.write_str("timestamp: not implemented"),
        }
    }
}

impl std::error::Error for TimestampError {}
