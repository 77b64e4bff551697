//! TUF client for the Sigstore public-good trust root.

mod error;
pub use error::TufError;
