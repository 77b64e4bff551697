//! X.509 certificates: Fulcio chain validation at the signing time, Fulcio extensions,
//! SAN, embedded SCTs (`fulcio:docs/certificate-specification.md`, RFC 5280, RFC 6962).
//!
//! - [`ParsedCertificate`]: one DER certificate, any role.
//! - [`SigningCertificate`]: a leaf with its [`SanIdentity`] and [`FulcioExtensions`].
//! - [`verify_chain`]: path validation against the trusted root's CAs or TSAs at a given
//!   time, yielding a [`VerifiedChain`].
//! - [`verify_embedded_scts`]: the RFC 6962 SCTs of a verified leaf against the CT logs.

mod cert;
mod chain;
mod error;
mod fulcio;
mod sct;
mod sct_error;
#[cfg(test)]
pub(crate) mod test_support;

pub use cert::ParsedCertificate;
pub use chain::{
    precheck_chain_signatures, verify_chain_at_times_with, verify_chain_with_memo, ChainMemo,
    ChainSignatures, EKU_CODE_SIGNING, EKU_TIME_STAMPING,
};
#[cfg(any(test, feature = "unstable-internals"))]
pub use chain::{verify_chain, verify_chain_at_times, VerifiedChain};
pub use error::CertificateError;
pub use fulcio::{FulcioExtensions, SanIdentity, SigningCertificate};
pub use sct::verify_embedded_scts;
#[cfg(any(test, feature = "unstable-internals"))]
pub use sct::SctSummary;
pub use sct_error::SctError;

/// Parse-only entry to the RFC 6962 §3.3 `SignedCertificateTimestampList` parser, for the
/// fuzz targets (`fuzz/fuzz_targets/sct.rs`): returns the number of SCTs parsed. Not part
/// of the supported API; verification goes through [`verify_embedded_scts`].
#[doc(hidden)]
#[cfg(any(test, feature = "unstable-internals"))]
pub fn fuzz_parse_sct_list(bytes: &[u8]) -> Result<usize, SctError> {
    sct::parse_sct_list(bytes).map(|l| l.len())
}
