//! The transport seen by the update state machine.

use core::fmt;

/// A response body, at most the `max_len` asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The body.
    pub bytes: Vec<u8>,
}

/// Why a fetch failed. "Not found" (HTTP 404, and 403 which GCS and S3 send for a
/// missing object) is distinct from every other failure: only it ends the root
/// rotation loop (TUF §5.3.3; python-tuf `_load_root`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchError {
    /// HTTP 404 or 403.
    NotFound {
        /// The status.
        status: u16,
    },
    /// Any other non-200 status.
    Status {
        /// The status.
        status: u16,
    },
    /// The body was longer than `max_len`.
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The URL is refused (scheme, or plain HTTP to a non-loopback host).
    InvalidUrl {
        /// Why.
        detail: String,
    },
    /// Network failure: DNS, connect, TLS, timeout, truncated body.
    Unreachable {
        /// What happened.
        detail: String,
    },
    /// The deadline the fetcher runs under (the run's, `rulePacks.timeouts.run`) passed
    /// before or while fetching.
    DeadlineExceeded {
        /// The deadline, in seconds.
        seconds: u64,
    },
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound { status } => write!(f, "not found (HTTP {status})"),
            Self::Status { status } => write!(f, "HTTP {status}"),
            Self::TooLarge { limit } => write!(f, "body larger than {limit} bytes"),
            Self::InvalidUrl { detail } => write!(f, "refused URL: {detail}"),
            Self::Unreachable { detail } => f.write_str(detail),
            Self::DeadlineExceeded { seconds } => {
                write!(f, "the run's deadline of {seconds} s passed")
            }
        }
    }
}

/// Fetches a URL. Implementations must stop reading after `max_len + 1` bytes and
/// report [`FetchError::TooLarge`] (limits are enforced while reading, never from
/// `Content-Length`).
pub trait Fetcher {
    /// GETs `url`, returning at most `max_len` bytes.
    fn fetch(&self, url: &str, max_len: u64) -> Result<Fetched, FetchError>;
}
