//! The one place where verification steps are ordered.

mod error;
pub use error::SignatureError;
