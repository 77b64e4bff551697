use core::fmt;

use crate::crypto::{CryptoError, HashAlgorithm};
use crate::x509::CertificateError;

/// Why an RFC 3161 timestamp was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimestampError {
    /// The bundle carries the same timestamp twice (sigstore-python "duplicate timestamp found").
    Duplicate {
        /// Index of the second copy in `rfc3161Timestamps`.
        index: usize,
    },
    /// A verified timestamp's genTime is later than the current time.
    InFuture {
        /// The timestamp's genTime.
        gen_time: crate::time::UnixTime,
        /// The verifier's current time.
        now: crate::time::UnixTime,
    },
    /// Neither a verified SET (Rekor v1) nor a verified RFC 3161 timestamp proves when
    /// the bundle was signed (docs/verification.md, "Thresholds": at least one verified signing time is required).
    NoVerifiedTime,
    /// The encoded timestamp is larger than [`crate::limits::MAX_RFC3161_BYTES`].
    TooLarge {
        /// Size of the encoded timestamp.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A structure is not valid DER of the expected shape.
    Malformed {
        /// The ASN.1 structure being read (`TSTInfo`, `SignerInfo`, ...).
        structure: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// Bytes follow the end of a structure.
    TrailingData {
        /// The ASN.1 structure that had trailing bytes.
        structure: &'static str,
    },
    /// The TSA did not grant the request (`PKIStatusInfo.status` is not 0 or 1).
    NotGranted {
        /// The status value.
        status: i64,
    },
    /// A granted `TimeStampResp` carries no `timeStampToken`.
    TokenMissing,
    /// A content type is not the one RFC 3161 requires.
    WrongContentType {
        /// Which field (`ContentInfo.contentType`, `eContentType`).
        field: &'static str,
        /// The OID required.
        expected: String,
        /// The OID found.
        actual: String,
    },
    /// A structure has a version number this verifier does not accept.
    UnsupportedVersion {
        /// The ASN.1 structure.
        structure: &'static str,
        /// The version found.
        version: i64,
    },
    /// The token does not have exactly one `SignerInfo`.
    SignerCount {
        /// How many there are.
        count: usize,
    },
    /// `encapContentInfo.eContent` (the TSTInfo) is absent.
    ContentMissing,
    /// The token embeds more certificates than [`crate::limits::MAX_CERT_CHAIN_LEN`].
    TooManyCertificates {
        /// The limit.
        max: usize,
    },
    /// A hash algorithm other than SHA-256, SHA-384 or SHA-512.
    UnsupportedHashAlgorithm {
        /// Which field names it.
        field: &'static str,
        /// The algorithm OID.
        oid: String,
    },
    /// A signature algorithm other than ECDSA or RSA PKCS#1 v1.5 with SHA-256/384/512.
    UnsupportedSignatureAlgorithm {
        /// The algorithm OID (and, if relevant, why it is refused).
        algorithm: String,
    },
    /// `genTime` is not a valid RFC 3161 GeneralizedTime.
    InvalidGenTime {
        /// The value as written (non-printable bytes replaced by `?`).
        value: String,
    },
    /// The timestamp is over different data than the bundle signature.
    ImprintMismatch {
        /// The imprint hash algorithm.
        algorithm: HashAlgorithm,
        /// Hex of the hash of the signed bytes.
        expected: String,
        /// Hex of `messageImprint.hashedMessage`.
        actual: String,
    },
    /// An embedded certificate is not a valid X.509 certificate.
    InvalidCertificate {
        /// What was wrong.
        detail: String,
    },
    /// No embedded or trusted TSA certificate matches the `SignerIdentifier`.
    SignerCertNotFound {
        /// The signer identifier, described.
        signer: String,
    },
    /// The `SignerInfo` has no signed attributes.
    SignedAttributesMissing,
    /// A required signed attribute is absent.
    AttributeMissing {
        /// The attribute's name.
        attribute: &'static str,
    },
    /// A signed attribute is malformed, repeated, or has the wrong value.
    AttributeInvalid {
        /// The attribute's name.
        attribute: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The `messageDigest` attribute is not the hash of the TSTInfo.
    MessageDigestMismatch {
        /// Hex of the hash of `eContent`.
        expected: String,
        /// Hex of the attribute value.
        actual: String,
    },
    /// The ESS signing-certificate attribute names a different certificate.
    SigningCertificateMismatch {
        /// Which attribute (`signingCertificateV2` or `signingCertificate`).
        attribute: &'static str,
        /// What differed.
        detail: String,
    },
    /// The signer certificate's key cannot be used.
    SignerKey {
        /// Why.
        source: CryptoError,
    },
    /// The TSA's signature over the signed attributes does not verify.
    BadSignature {
        /// Why.
        source: CryptoError,
    },
    /// The signer certificate does not chain to a trusted timestamp authority valid at
    /// `genTime`.
    Chain {
        /// Why.
        source: CertificateError,
    },
}

impl TimestampError {
    /// Stable machine-readable code, `timestamp.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Duplicate { .. } => "timestamp.duplicate",
            Self::InFuture { .. } => "timestamp.in-future",
            Self::NoVerifiedTime => "timestamp.no-verified-time",
            Self::TooLarge { .. } => "timestamp.too-large",
            Self::Malformed { .. } => "timestamp.malformed",
            Self::TrailingData { .. } => "timestamp.trailing-data",
            Self::NotGranted { .. } => "timestamp.not-granted",
            Self::TokenMissing => "timestamp.token-missing",
            Self::WrongContentType { .. } => "timestamp.wrong-content-type",
            Self::UnsupportedVersion { .. } => "timestamp.unsupported-version",
            Self::SignerCount { .. } => "timestamp.signer-count",
            Self::ContentMissing => "timestamp.content-missing",
            Self::TooManyCertificates { .. } => "timestamp.too-many-certificates",
            Self::UnsupportedHashAlgorithm { .. } => "timestamp.unsupported-hash-algorithm",
            Self::UnsupportedSignatureAlgorithm { .. } => {
                "timestamp.unsupported-signature-algorithm"
            }
            Self::InvalidGenTime { .. } => "timestamp.gen-time-invalid",
            Self::ImprintMismatch { .. } => "timestamp.imprint-mismatch",
            Self::InvalidCertificate { .. } => "timestamp.certificate-invalid",
            Self::SignerCertNotFound { .. } => "timestamp.signer-cert-not-found",
            Self::SignedAttributesMissing => "timestamp.signed-attributes-missing",
            Self::AttributeMissing { .. } => "timestamp.attribute-missing",
            Self::AttributeInvalid { .. } => "timestamp.attribute-invalid",
            Self::MessageDigestMismatch { .. } => "timestamp.message-digest-mismatch",
            Self::SigningCertificateMismatch { .. } => "timestamp.signing-certificate-mismatch",
            Self::SignerKey { .. } => "timestamp.signer-key-unsupported",
            Self::BadSignature { .. } => "timestamp.signature-invalid",
            Self::Chain { .. } => "timestamp.chain-invalid",
        }
    }
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Duplicate { index } => write!(
                f,
                "timestamp {index} is a duplicate of an earlier one in the same bundle"
            ),
            Self::InFuture { gen_time, now } => write!(
                f,
                "the timestamp's time {} is later than the current time {}",
                crate::time::format_rfc3339(*gen_time),
                crate::time::format_rfc3339(*now)
            ),
            Self::NoVerifiedTime => f.write_str(
                "nothing proves when the bundle was signed: it has neither a signed entry timestamp from Rekor v1 nor an RFC 3161 timestamp",
            ),
            Self::TooLarge { len, max } => write!(
                f,
                "the timestamp is {len} bytes, more than the {max} bytes accepted"
            ),
            Self::Malformed { structure, detail } => {
                write!(f, "the timestamp's {structure} is malformed: {detail}")
            }
            Self::TrailingData { structure } => write!(
                f,
                "the timestamp's {structure} is followed by unexpected extra bytes"
            ),
            Self::NotGranted { status } => write!(
                f,
                "the timestamp authority refused the request (status {status}, expected 0 granted or 1 granted with modifications)"
            ),
            Self::TokenMissing => f.write_str(
                "the timestamp response says granted but contains no timestamp token",
            ),
            Self::WrongContentType {
                field,
                expected,
                actual,
            } => write!(
                f,
                "the timestamp's {field} is {actual}, expected {expected}"
            ),
            Self::UnsupportedVersion { structure, version } => write!(
                f,
                "the timestamp's {structure} has unsupported version {version}"
            ),
            Self::SignerCount { count } => write!(
                f,
                "the timestamp token has {count} signers, expected exactly one"
            ),
            Self::ContentMissing => {
                f.write_str("the timestamp token does not contain its TSTInfo content")
            }
            Self::TooManyCertificates { max } => write!(
                f,
                "the timestamp token embeds more than {max} certificates"
            ),
            Self::UnsupportedHashAlgorithm { field, oid } => write!(
                f,
                "the timestamp's {field} uses hash algorithm {oid}; only SHA-256, SHA-384 and SHA-512 are accepted"
            ),
            Self::UnsupportedSignatureAlgorithm { algorithm } => write!(
                f,
                "the timestamp is signed with unsupported algorithm {algorithm}; only ECDSA or RSA PKCS#1 v1.5 with SHA-256, SHA-384 or SHA-512 is accepted"
            ),
            Self::InvalidGenTime { value } => write!(
                f,
                "the timestamp's time \"{value}\" is not a valid UTC GeneralizedTime"
            ),
            Self::ImprintMismatch {
                algorithm,
                expected,
                actual,
            } => write!(
                f,
                "the timestamp covers different data than the bundle's signature ({} of the signature is {expected}, the timestamp's message imprint is {actual})",
                algorithm.name()
            ),
            Self::InvalidCertificate { detail } => write!(
                f,
                "a certificate embedded in the timestamp is invalid: {detail}"
            ),
            Self::SignerCertNotFound { signer } => write!(
                f,
                "the certificate of the timestamp signer ({signer}) is neither embedded in the timestamp nor a trusted timestamp authority's certificate"
            ),
            Self::SignedAttributesMissing => f.write_str(
                "the timestamp signature has no signed attributes (RFC 3161 requires them)",
            ),
            Self::AttributeMissing { attribute } => write!(
                f,
                "the timestamp signature lacks the required {attribute} signed attribute"
            ),
            Self::AttributeInvalid { attribute, detail } => write!(
                f,
                "the timestamp's {attribute} signed attribute is invalid: {detail}"
            ),
            Self::MessageDigestMismatch { expected, actual } => write!(
                f,
                "the timestamp's signed message digest {actual} does not match its content (hash {expected}): the timestamp was altered"
            ),
            Self::SigningCertificateMismatch { attribute, detail } => write!(
                f,
                "the timestamp's {attribute} attribute does not identify the signer certificate: {detail}"
            ),
            Self::SignerKey { source } => {
                write!(f, "the timestamp signer's key cannot be used: {source}")
            }
            Self::BadSignature { source } => write!(
                f,
                "the timestamp authority's signature does not verify: {source}"
            ),
            Self::Chain { source } => write!(
                f,
                "the timestamp signer is not a trusted timestamp authority at the timestamp's time: {source}"
            ),
        }
    }
}

/// The typed cause, where there is one (the sentence above already quotes it, so a
/// one-line report needs only `Display`).
impl std::error::Error for TimestampError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::SignerKey { source } | Self::BadSignature { source } => Some(source),
            Self::Chain { source } => Some(source),
            _ => None,
        }
    }
}
