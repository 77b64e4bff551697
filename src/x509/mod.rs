//! X.509 certificates: Fulcio chain validation at the signing time, Fulcio extensions, SAN, embedded SCTs.

mod error;
pub use error::CertificateError;
mod sct_error;
pub use sct_error::SctError;
