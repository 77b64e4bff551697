//! The crate's error: one variant per stage, each wrapping that stage's own enum, all
//! defined beside the checks that raise them and collected here. Every error has a
//! stable [`Error::code`] (`<stage>.<reason>`, listed in `docs/errors.md`) and a
//! `Display` sentence written for a cluster operator.

use core::fmt;

pub use crate::bundle::BundleError;
pub use crate::config::ConfigError;
pub use crate::crypto::CryptoError;
pub use crate::oci::{DeadlineKind, ReferenceError, RegistryError};
pub use crate::pack::layers::LayerError;
pub use crate::policy::{PolicyError, RuleMismatch};
pub use crate::rekor::TlogError;
pub use crate::signature::SignatureError;
pub use crate::timestamp::TimestampError;
pub use crate::trust_root::TrustRootError;
pub use crate::tuf::{Step as TufStep, TufError};
pub use crate::x509::{CertificateError, SctError};

/// Any failure of the verifier, tagged with the stage that caught it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The bundle document is malformed or violates the bundle format rules.
    Bundle(BundleError),
    /// The trusted root is malformed.
    TrustRoot(TrustRootError),
    /// The signing certificate or its chain is not acceptable.
    Certificate(CertificateError),
    /// Certificate transparency (embedded SCT) check failed.
    Sct(SctError),
    /// A transparency-log entry failed (SET, inclusion proof, checkpoint, body).
    Tlog(TlogError),
    /// An RFC 3161 timestamp failed.
    Timestamp(TimestampError),
    /// The artifact signature, or its binding to the artifact, failed.
    Signature(SignatureError),
    /// The signer is not trusted by the identity policy.
    Policy(PolicyError),
    /// A registry or OCI layout operation failed.
    Registry(RegistryError),
    /// An `oci://` reference is malformed.
    Reference(ReferenceError),
    /// Obtaining the trust root through TUF failed.
    Tuf(TufError),
    /// The configuration is invalid.
    Config(ConfigError),
    /// A pack's layers cannot be used as files, or are broken in an OCI layout.
    Layers(LayerError),
}

impl Error {
    /// Stable machine-readable code, e.g. `tlog.set-invalid`. The part before the dot
    /// is [`Error::stage`].
    pub fn code(&self) -> &'static str {
        match self {
            Self::Bundle(e) => e.code(),
            Self::TrustRoot(e) => e.code(),
            Self::Certificate(e) => e.code(),
            Self::Sct(e) => e.code(),
            Self::Tlog(e) => e.code(),
            Self::Timestamp(e) => e.code(),
            Self::Signature(e) => e.code(),
            Self::Policy(e) => e.code(),
            Self::Registry(e) => e.code(),
            Self::Reference(e) => e.code(),
            Self::Tuf(e) => e.code(),
            Self::Config(e) => e.code(),
            Self::Layers(e) => e.code(),
        }
    }

    /// The stage that caught the problem (`bundle`, `certificate`, `sct`, `tlog`, ...).
    pub fn stage(&self) -> &'static str {
        let code = self.code();
        code.split_once('.').map_or(code, |(s, _)| s)
    }
}

impl Error {
    /// [`Display`](fmt::Display) kept to one readable line (an identity mismatch names
    /// only the closest rule and counts the others); the full sentence is `Display`.
    pub fn summary(&self) -> String {
        match self {
            Self::Policy(e) => format!("signer not trusted: {}", e.summary(2)),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bundle(e) => write!(f, "invalid Sigstore bundle: {e}"),
            Self::TrustRoot(e) => write!(f, "invalid trusted root: {e}"),
            Self::Certificate(e) => write!(f, "signing certificate rejected: {e}"),
            Self::Sct(e) => write!(f, "certificate transparency check failed: {e}"),
            Self::Tlog(e) => write!(f, "transparency log entry rejected: {e}"),
            Self::Timestamp(e) => write!(f, "RFC 3161 timestamp rejected: {e}"),
            Self::Signature(e) => write!(f, "signature rejected: {e}"),
            Self::Policy(e) => write!(f, "signer not trusted: {e}"),
            // Registry and TUF errors take credentials out of the URLs they quote.
            Self::Registry(e) => write!(f, "{e}"),
            Self::Reference(e) => write!(f, "{e}"),
            Self::Tuf(e) => write!(f, "trust root update failed: {e}"),
            Self::Config(e) => write!(f, "invalid configuration: {e}"),
            Self::Layers(e) => write!(f, "pack content unusable: {e}"),
        }
    }
}

/// `source()` is the stage's own error (whose `source()` is its typed cause, where
/// there is one). `Display` is already a complete sentence including them, for one-line
/// reports.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(match self {
            Self::Bundle(e) => e,
            Self::TrustRoot(e) => e,
            Self::Certificate(e) => e,
            Self::Sct(e) => e,
            Self::Tlog(e) => e,
            Self::Timestamp(e) => e,
            Self::Signature(e) => e,
            Self::Policy(e) => e,
            Self::Registry(e) => e,
            Self::Reference(e) => e,
            Self::Tuf(e) => e,
            Self::Config(e) => e,
            Self::Layers(e) => e,
        })
    }
}

macro_rules! from_stage {
    ($($t:ty => $v:ident),* $(,)?) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Self::$v(e)
            }
        }
    )*};
}

from_stage!(
    BundleError => Bundle,
    TrustRootError => TrustRoot,
    CertificateError => Certificate,
    SctError => Sct,
    TlogError => Tlog,
    TimestampError => Timestamp,
    SignatureError => Signature,
    PolicyError => Policy,
    RegistryError => Registry,
    ReferenceError => Reference,
    TufError => Tuf,
    ConfigError => Config,
    LayerError => Layers,
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Credentials in a quoted URL are taken out by the stage error itself, so neither the
    /// one-line report nor a walk down `source()` (as `anyhow`'s `{:#}` does) prints them.
    #[test]
    fn no_printed_form_carries_credentials() {
        let url = "https://robot:s3cret@mirror.example/v2/";
        let errors = [
            Error::Registry(crate::oci::RegistryError::Network {
                registry: "mirror.example".into(),
                detail: format!("GET {url} failed"),
            }),
            Error::Tuf(TufError::Unreachable {
                step: TufStep::Timestamp,
                url: format!("{url}timestamp.json"),
                detail: "refused".into(),
            }),
        ];
        for e in errors {
            let mut texts = vec![e.to_string()];
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                texts.push(c.to_string());
                cause = c.source();
            }
            assert!(texts.len() >= 2, "{texts:?}");
            for t in texts {
                assert!(!t.contains("s3cret") && !t.contains("robot"), "{t}");
                assert!(t.contains("mirror.example"), "{t}");
            }
        }
    }
}
