use core::fmt;

use super::json::JsonError;

/// Why a bundle document was rejected before any cryptographic check.
///
/// Field paths are written as in the bundle JSON, e.g.
/// `verificationMaterial.tlogEntries[0].logIndex`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// The document is larger than [`crate::limits::MAX_BUNDLE_BYTES`].
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
    /// An `int64` field is not an integer that fits in 64 bits.
    InvalidInteger {
        /// The field.
        path: String,
        /// The value found.
        value: String,
    },
    /// An integer that must not be negative is negative.
    NegativeInteger {
        /// The field.
        path: String,
        /// The value found.
        value: i64,
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
    /// A list has more elements than its limit in [`crate::limits`].
    TooManyItems {
        /// The list.
        path: String,
        /// Number of elements.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// `mediaType` is not a supported Sigstore bundle media type.
    UnsupportedMediaType {
        /// The media type found.
        found: String,
    },
    /// A hash algorithm other than SHA2-256/384/512.
    UnsupportedHashAlgorithm {
        /// The field.
        path: String,
        /// The algorithm named.
        found: String,
    },
    /// Two alternatives of a protobuf `oneof` are both present.
    ConflictingFields {
        /// The object holding them.
        path: String,
        /// The first alternative present.
        first: &'static str,
        /// The second alternative present.
        second: &'static str,
    },
    /// `verificationMaterial` has no `publicKey`, `x509CertificateChain` or `certificate`.
    MissingSignerMaterial,
    /// The bundle has neither `messageSignature` nor `dsseEnvelope`.
    MissingContent,
    /// A v0.3 bundle uses `x509CertificateChain` instead of `certificate`.
    CertificateChainNotAllowed {
        /// The bundle version.
        version: &'static str,
    },
    /// `x509CertificateChain.certificates` is empty.
    EmptyCertificateChain,
    /// `x509CertificateChain` contains a self-signed (root) certificate.
    ChainIncludesRoot {
        /// Position of the root in the chain (0 = leaf).
        index: usize,
    },
    /// A certificate is not valid DER X.509.
    InvalidCertificate {
        /// The field.
        path: String,
        /// What the DER parser reported.
        detail: String,
    },
    /// The DSSE envelope does not have exactly one signature.
    DsseSignatureCount {
        /// Number of signatures found.
        count: usize,
    },
    /// A v0.1 bundle's tlog entry has no `inclusionPromise` (signed entry timestamp).
    MissingInclusionPromise {
        /// Index of the entry in `tlogEntries`.
        entry: usize,
    },
    /// A v0.2+ bundle's tlog entry has no `inclusionProof`.
    MissingInclusionProof {
        /// Index of the entry in `tlogEntries`.
        entry: usize,
        /// The bundle version.
        version: &'static str,
    },
    /// An inclusion proof has no `checkpoint`.
    MissingCheckpoint {
        /// Index of the entry in `tlogEntries`.
        entry: usize,
    },
    /// A hash has the wrong length.
    InvalidHashLength {
        /// The field.
        path: String,
        /// Required length in bytes.
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// An inclusion proof's `treeSize` is zero.
    InvalidTreeSize {
        /// The field.
        path: String,
    },
    /// An inclusion proof's `logIndex` is not below its `treeSize`.
    ProofIndexOutOfRange {
        /// The inclusion proof.
        path: String,
        /// Its `logIndex`.
        log_index: u64,
        /// Its `treeSize`.
        tree_size: u64,
    },
}

impl BundleError {
    /// Stable machine-readable code, `bundle.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "bundle.too-large",
            Self::InvalidJson { .. } => "bundle.invalid-json",
            Self::TooDeep { .. } => "bundle.too-deeply-nested",
            Self::DuplicateField { .. } => "bundle.duplicate-field",
            Self::MissingField { .. } => "bundle.missing-field",
            Self::WrongType { .. } => "bundle.wrong-type",
            Self::InvalidBase64 { .. } => "bundle.invalid-base64",
            Self::InvalidInteger { .. } => "bundle.invalid-integer",
            Self::NegativeInteger { .. } => "bundle.negative-integer",
            Self::UnknownEnumValue { .. } => "bundle.unknown-enum-value",
            Self::FieldTooLarge { .. } => "bundle.field-too-large",
            Self::TooManyItems { .. } => "bundle.too-many-items",
            Self::UnsupportedMediaType { .. } => "bundle.unsupported-media-type",
            Self::UnsupportedHashAlgorithm { .. } => "bundle.unsupported-hash-algorithm",
            Self::ConflictingFields { .. } => "bundle.conflicting-fields",
            Self::MissingSignerMaterial => "bundle.missing-signer-material",
            Self::MissingContent => "bundle.missing-content",
            Self::CertificateChainNotAllowed { .. } => "bundle.certificate-chain-not-allowed",
            Self::EmptyCertificateChain => "bundle.empty-certificate-chain",
            Self::ChainIncludesRoot { .. } => "bundle.chain-includes-root",
            Self::InvalidCertificate { .. } => "bundle.invalid-certificate",
            Self::DsseSignatureCount { .. } => "bundle.dsse-signature-count",
            Self::MissingInclusionPromise { .. } => "bundle.missing-inclusion-promise",
            Self::MissingInclusionProof { .. } => "bundle.missing-inclusion-proof",
            Self::MissingCheckpoint { .. } => "bundle.missing-checkpoint",
            Self::InvalidHashLength { .. } => "bundle.invalid-hash-length",
            Self::InvalidTreeSize { .. } => "bundle.invalid-tree-size",
            Self::ProofIndexOutOfRange { .. } => "bundle.proof-index-out-of-range",
        }
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, max } => write!(
                f,
                "the bundle is {size} bytes, more than the limit of {max} bytes"
            ),
            Self::InvalidJson { detail } => write!(f, "the bundle is not valid JSON ({detail})"),
            Self::TooDeep { max } => write!(
                f,
                "the bundle nests objects and arrays deeper than {max} levels"
            ),
            Self::DuplicateField { path } => write!(
                f,
                "field {path} appears more than once (possibly as both camelCase and snake_case)"
            ),
            Self::MissingField { path } => {
                write!(f, "required field {path} is missing or empty")
            }
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
            Self::NegativeInteger { path, value } => {
                write!(f, "field {path} is {value}, but it cannot be negative")
            }
            Self::UnknownEnumValue { path, value } => {
                write!(f, "field {path} has the unknown value {value:?}")
            }
            Self::FieldTooLarge { path, size, max } => write!(
                f,
                "field {path} is {size} bytes, more than the limit of {max} bytes"
            ),
            Self::TooManyItems { path, count, max } => write!(
                f,
                "list {path} has {count} elements, more than the limit of {max}"
            ),
            Self::UnsupportedMediaType { found } => write!(
                f,
                "unsupported bundle media type {found:?} (supported: Sigstore bundle v0.1, v0.2 and v0.3)"
            ),
            Self::UnsupportedHashAlgorithm { path, found } => write!(
                f,
                "field {path} names hash algorithm {found}, which is not supported (supported: SHA2_256, SHA2_384, SHA2_512)"
            ),
            Self::ConflictingFields {
                path,
                first,
                second,
            } => write!(
                f,
                "{path} has both {first} and {second}, but only one of them is allowed"
            ),
            Self::MissingSignerMaterial => f.write_str(
                "verificationMaterial has no signer: it needs one of publicKey, x509CertificateChain or certificate",
            ),
            Self::MissingContent => f.write_str(
                "the bundle has no signed content: it needs messageSignature or dsseEnvelope",
            ),
            Self::CertificateChainNotAllowed { version } => write!(
                f,
                "a {version} bundle must carry the signing certificate in verificationMaterial.certificate, not x509CertificateChain"
            ),
            Self::EmptyCertificateChain => f.write_str(
                "verificationMaterial.x509CertificateChain has no certificates, so there is no signing certificate",
            ),
            Self::ChainIncludesRoot { index } => write!(
                f,
                "verificationMaterial.x509CertificateChain certificate {index} is a self-signed root; bundles must not carry the root, it comes from the trusted root"
            ),
            Self::InvalidCertificate { path, detail } => {
                write!(f, "field {path} is not a valid DER X.509 certificate: {detail}")
            }
            Self::DsseSignatureCount { count } => write!(
                f,
                "the DSSE envelope has {count} signatures, but a Sigstore bundle must have exactly one"
            ),
            Self::MissingInclusionPromise { entry } => write!(
                f,
                "transparency log entry {entry} has no inclusionPromise (signed entry timestamp), which a v0.1 bundle requires"
            ),
            Self::MissingInclusionProof { entry, version } => write!(
                f,
                "transparency log entry {entry} has no inclusionProof, which a {version} bundle requires"
            ),
            Self::MissingCheckpoint { entry } => write!(
                f,
                "transparency log entry {entry} has an inclusion proof without a signed checkpoint"
            ),
            Self::InvalidHashLength {
                path,
                expected,
                found,
            } => write!(
                f,
                "field {path} is {found} bytes long, but a hash here must be {expected} bytes"
            ),
            Self::InvalidTreeSize { path } => {
                write!(f, "field {path} is 0, but a tree holding the entry has at least 1 leaf")
            }
            Self::ProofIndexOutOfRange {
                path,
                log_index,
                tree_size,
            } => write!(
                f,
                "{path} places the entry at index {log_index} in a tree of only {tree_size} leaves"
            ),
        }
    }
}

impl std::error::Error for BundleError {}

impl From<JsonError> for BundleError {
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
            JsonError::TooMany { path, count, max } => Self::TooManyItems { path, count, max },
        }
    }
}
