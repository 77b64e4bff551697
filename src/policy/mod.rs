//! Identity policy: which signer identities are trusted.

mod error;
pub use error::PolicyError;
