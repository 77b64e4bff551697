use core::fmt;

use crate::crypto::{CryptoError, HashAlgorithm};

/// Why the artifact signature, or its binding to the artifact, was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// The bundle's `messageDigest` is not the digest of the artifact being verified.
    MessageDigestMismatch {
        /// Digest algorithm.
        algorithm: HashAlgorithm,
        /// The artifact's digest (hex).
        expected: String,
        /// The bundle's `messageDigest` (hex).
        found: String,
    },
    /// The verifier was given only a digest of the artifact in another algorithm.
    DigestUnavailable {
        /// The algorithm the bundle needs.
        needed: HashAlgorithm,
    },
    /// No in-toto statement subject carries the artifact's digest.
    SubjectMismatch {
        /// The artifact digest(s) looked for (`alg:hex`).
        expected: String,
        /// The subject digests found (`alg:hex`, first few).
        found: Vec<String>,
    },
    /// The DSSE `payloadType` is not the one required.
    PayloadTypeMismatch {
        /// The required type.
        expected: String,
        /// The type in the envelope.
        found: String,
    },
    /// The DSSE payload is not a well-formed in-toto statement.
    MalformedStatement {
        /// What is wrong.
        detail: String,
    },
    /// The statement's `_type` or `predicateType` is not the one required.
    StatementTypeMismatch {
        /// Which field.
        field: &'static str,
        /// Required value.
        expected: String,
        /// Value found.
        found: String,
    },
    /// The signature does not verify with the signer's key.
    Invalid {
        /// What was signed (`artifact digest` or `DSSE envelope`).
        what: &'static str,
        /// The underlying failure.
        source: CryptoError,
    },
    /// A rule-pack bundle must be a DSSE in-toto statement (cosign's new bundle
    /// format), not a bare message signature.
    NotCosignStatement,
    /// The signer's key cannot be used for this kind of signature.
    UnsupportedKey {
        /// The underlying failure.
        source: CryptoError,
    },
}

impl SignatureError {
    /// Stable machine-readable code, `signature.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MessageDigestMismatch { .. } => "signature.message-digest-mismatch",
            Self::DigestUnavailable { .. } => "signature.digest-unavailable",
            Self::SubjectMismatch { .. } => "signature.subject-mismatch",
            Self::PayloadTypeMismatch { .. } => "signature.payload-type-mismatch",
            Self::MalformedStatement { .. } => "signature.malformed-statement",
            Self::StatementTypeMismatch { .. } => "signature.statement-type-mismatch",
            Self::Invalid { .. } => "signature.invalid",
            Self::NotCosignStatement => "signature.not-cosign-statement",
            Self::UnsupportedKey { .. } => "signature.unsupported-key",
        }
    }
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MessageDigestMismatch {
                algorithm,
                expected,
                found,
            } => write!(
                f,
                "the bundle signs {}:{found}, but the artifact's digest is {}:{expected}",
                algorithm.name(),
                algorithm.name()
            ),
            Self::DigestUnavailable { needed } => write!(
                f,
                "the bundle signs a {} digest, which was not computed for the artifact (pass the artifact file instead of a digest)",
                needed.name()
            ),
            Self::SubjectMismatch { expected, found } => write!(
                f,
                "no in-toto statement subject has the artifact digest {expected} (subjects: {})",
                if found.is_empty() { "none".to_owned() } else { found.join(", ") }
            ),
            Self::PayloadTypeMismatch { expected, found } => {
                write!(f, "DSSE payloadType is {found:?}, expected {expected:?}")
            }
            Self::MalformedStatement { detail } => {
                write!(f, "the DSSE payload is not a valid in-toto statement: {detail}")
            }
            Self::StatementTypeMismatch {
                field,
                expected,
                found,
            } => write!(f, "in-toto statement {field} is {found:?}, expected {expected:?}"),
            Self::Invalid { what, source } => {
                write!(f, "the signature over the {what} does not verify with the signer's key: {source}")
            }
            Self::NotCosignStatement => f.write_str(
                "the bundle carries a bare message signature; rule packs must be signed as a DSSE in-toto statement (cosign's new bundle format)",
            ),
            Self::UnsupportedKey { source } => write!(f, "the signer's key cannot be used: {source}"),
        }
    }
}

/// The typed cause, where there is one (the sentence above already quotes it, so a
/// one-line report needs only `Display`).
impl std::error::Error for SignatureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Invalid { source, .. } | Self::UnsupportedKey { source } => Some(source),
            _ => None,
        }
    }
}
