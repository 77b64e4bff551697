use core::fmt;

use crate::bundle::json::JsonError;
use crate::time::{format_rfc3339, UnixTime};

/// Why a trusted root document was rejected.
///
/// Field paths are written as in `trusted_root.json`, e.g. `tlogs[1].publicKey.validFor.start`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustRootError {
    /// The document is larger than [`crate::limits::MAX_TRUSTED_ROOT_BYTES`].
    TooLarge {
        /// Size of the document in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The document is not well-formed JSON (or has trailing data).
    InvalidJson {
        /// The JSON parser's description, with line and column.
        detail: String,
    },
    /// Objects and arrays nest deeper than [`crate::limits::MAX_JSON_DEPTH`].
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// A field appears twice in one object (including its camelCase and snake_case
    /// spellings together).
    DuplicateField {
        /// The duplicated field.
        path: String,
    },
    /// A required field is absent, `null` or empty.
    MissingField {
        /// The missing field.
        path: String,
    },
    /// A validity window (`validFor`) has no `start`, which `sigstore_common.proto`
    /// `TimeRange` requires.
    MissingValidityStart {
        /// The missing field, naming the list and index.
        path: String,
    },
    /// A field has the wrong JSON type.
    WrongType {
        /// The field.
        path: String,
        /// The JSON type required.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A `bytes` field is not base64.
    InvalidBase64 {
        /// The field.
        path: String,
    },
    /// An integer field is not a 64-bit integer.
    InvalidInteger {
        /// The field.
        path: String,
        /// The value found.
        value: String,
    },
    /// An enum field holds an unknown name or number.
    UnknownEnumValue {
        /// The field.
        path: String,
        /// The value found.
        value: String,
    },
    /// A decoded field is larger than its limit in [`crate::limits`].
    FieldTooLarge {
        /// The field.
        path: String,
        /// Its (decoded) size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A list has more entries than its limit in [`crate::limits`].
    TooManyEntries {
        /// The list.
        path: String,
        /// Number of entries.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// `mediaType` is not a supported trusted-root media type.
    UnsupportedMediaType {
        /// The media type found.
        found: String,
    },
    /// A timestamp is not RFC 3339.
    InvalidTimestamp {
        /// The field.
        path: String,
        /// The value found.
        value: String,
    },
    /// A validity window ends before it starts.
    InvalidValidity {
        /// The `validFor` object.
        path: String,
        /// Its start.
        start: UnixTime,
        /// Its end.
        end: UnixTime,
    },
    /// A log's Merkle tree hash is not SHA2-256/384/512.
    UnsupportedHashAlgorithm {
        /// The field.
        path: String,
        /// The algorithm named.
        found: String,
    },
    /// A public key that claims a supported type cannot be parsed.
    InvalidPublicKey {
        /// The field.
        path: String,
        /// What was wrong.
        detail: String,
    },
    /// `keyDetails` names a different kind of key than `rawBytes` holds.
    KeyDetailsMismatch {
        /// The `publicKey` object.
        path: String,
        /// `keyDetails` as written.
        key_details: String,
        /// The key type actually found in `rawBytes`.
        actual: String,
    },
    /// A certificate authority has no certificates.
    EmptyCertificateChain {
        /// The `certChain.certificates` list.
        path: String,
    },
    /// A certificate is not valid DER X.509.
    InvalidCertificate {
        /// The field.
        path: String,
        /// What the DER parser reported.
        detail: String,
    },
}

impl TrustRootError {
    /// Stable machine-readable code, `trust-root.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "trust-root.too-large",
            Self::InvalidJson { .. } => "trust-root.invalid-json",
            Self::TooDeep { .. } => "trust-root.too-deeply-nested",
            Self::DuplicateField { .. } => "trust-root.duplicate-field",
            Self::MissingField { .. } => "trust-root.missing-field",
            Self::MissingValidityStart { .. } => "trust-root.missing-validity-start",
            Self::WrongType { .. } => "trust-root.wrong-type",
            Self::InvalidBase64 { .. } => "trust-root.invalid-base64",
            Self::InvalidInteger { .. } => "trust-root.invalid-integer",
            Self::UnknownEnumValue { .. } => "trust-root.unknown-enum-value",
            Self::FieldTooLarge { .. } => "trust-root.field-too-large",
            Self::TooManyEntries { .. } => "trust-root.too-many-entries",
            Self::UnsupportedMediaType { .. } => "trust-root.unsupported-media-type",
            Self::InvalidTimestamp { .. } => "trust-root.invalid-timestamp",
            Self::InvalidValidity { .. } => "trust-root.invalid-validity",
            Self::UnsupportedHashAlgorithm { .. } => "trust-root.unsupported-hash-algorithm",
            Self::InvalidPublicKey { .. } => "trust-root.invalid-public-key",
            Self::KeyDetailsMismatch { .. } => "trust-root.key-details-mismatch",
            Self::EmptyCertificateChain { .. } => "trust-root.empty-certificate-chain",
            Self::InvalidCertificate { .. } => "trust-root.invalid-certificate",
        }
    }
}

impl fmt::Display for TrustRootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, max } => write!(
                f,
                "the trusted root is {size} bytes, more than the limit of {max} bytes"
            ),
            Self::InvalidJson { detail } => {
                write!(f, "the trusted root is not valid JSON ({detail})")
            }
            Self::TooDeep { max } => write!(
                f,
                "the trusted root nests objects and arrays deeper than {max} levels"
            ),
            Self::DuplicateField { path } => write!(
                f,
                "field {path} appears more than once (possibly as both camelCase and snake_case)"
            ),
            Self::MissingField { path } => {
                write!(f, "required field {path} is missing or empty")
            }
            Self::MissingValidityStart { path } => write!(
                f,
                "validity window start {path} is missing; every key and certificate authority needs a start time"
            ),
            Self::WrongType {
                path,
                expected,
                found,
            } => write!(f, "field {path} must be {expected} but is {found}"),
            Self::InvalidBase64 { path } => write!(f, "field {path} is not valid base64"),
            Self::InvalidInteger { path, value } => write!(
                f,
                "field {path} must be a 64-bit integer but is {value:?}"
            ),
            Self::UnknownEnumValue { path, value } => {
                write!(f, "field {path} has the unknown value {value:?}")
            }
            Self::FieldTooLarge { path, size, max } => write!(
                f,
                "field {path} is {size} bytes, more than the limit of {max} bytes"
            ),
            Self::TooManyEntries { path, count, max } => write!(
                f,
                "list {path} has {count} entries, more than the limit of {max}"
            ),
            Self::UnsupportedMediaType { found } => write!(
                f,
                "unsupported trusted root media type {found:?} (supported: trustedroot v0.1 and v0.2)"
            ),
            Self::InvalidTimestamp { path, value } => write!(
                f,
                "field {path} is {value:?}, which is not an RFC 3339 time such as 2021-01-12T11:53:27Z"
            ),
            Self::InvalidValidity { path, start, end } => write!(
                f,
                "validity window {path} ends at {} before it starts at {}",
                format_rfc3339(*end),
                format_rfc3339(*start)
            ),
            Self::UnsupportedHashAlgorithm { path, found } => write!(
                f,
                "field {path} names hash algorithm {found}, which is not supported (supported: SHA2_256, SHA2_384, SHA2_512)"
            ),
            Self::InvalidPublicKey { path, detail } => {
                write!(f, "public key {path} cannot be used: {detail}")
            }
            Self::KeyDetailsMismatch {
                path,
                key_details,
                actual,
            } => write!(
                f,
                "{path} says keyDetails {key_details} but its rawBytes hold an {actual} key"
            ),
            Self::EmptyCertificateChain { path } => write!(
                f,
                "certificate authority list {path} is empty; a certificate authority needs at least its root certificate"
            ),
            Self::InvalidCertificate { path, detail } => {
                write!(f, "field {path} is not a valid DER X.509 certificate: {detail}")
            }
        }
    }
}

impl std::error::Error for TrustRootError {}

impl From<JsonError> for TrustRootError {
    fn from(e: JsonError) -> Self {
        match e {
            JsonError::Syntax { detail } => Self::InvalidJson { detail },
            JsonError::DuplicateKey { path } => Self::DuplicateField { path },
            JsonError::TooDeep { max } => Self::TooDeep { max },
            JsonError::Missing { path } => Self::MissingField { path },
            JsonError::WrongType {
                path,
                expected,
                found,
            } => Self::WrongType {
                path,
                expected,
                found,
            },
            JsonError::Base64 { path } => Self::InvalidBase64 { path },
            JsonError::Integer { path, value } => Self::InvalidInteger { path, value },
            JsonError::Enum { path, value } => Self::UnknownEnumValue { path, value },
            JsonError::TooLarge { path, size, max } => Self::FieldTooLarge { path, size, max },
            JsonError::TooMany { path, count, max } => Self::TooManyEntries { path, count, max },
        }
    }
}
