//! The rulePacks section of a Helm-style values file.

mod error;
pub use error::ConfigError;
