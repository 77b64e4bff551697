//! Rekor transparency-log checks: SET, RFC 6962 inclusion proofs, C2SP checkpoints, entry-body binding.

mod error;
pub use error::TlogError;
