//! Sigstore bundle JSON (`protobuf-specs` `sigstore_bundle.proto`) → typed structs.
//!
//! No crypto and no clock here: only structure, encodings and the version rules of
//! `sigstore_bundle.proto` (protobuf-specs) and sigstore-go `pkg/bundle`. Everything decoded is bounded by [`crate::limits`].

mod error;
pub(crate) mod json;
mod parse;
pub use error::BundleError;
pub use parse::pae;

#[cfg(test)]
mod tests;

use crate::crypto::HashAlgorithm;

/// The bundle format version, from the media type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BundleVersion {
    /// `application/vnd.dev.sigstore.bundle+json;version=0.1`
    V0_1,
    /// `application/vnd.dev.sigstore.bundle+json;version=0.2`
    V0_2,
    /// `...+json;version=0.3` or `application/vnd.dev.sigstore.bundle.v0.3+json`
    V0_3,
}

/// A parsed, structurally valid bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The media type exactly as written.
    pub media_type: String,
    /// The version it denotes.
    pub version: BundleVersion,
    /// Certificate or key hint, log entries and timestamps.
    pub verification_material: VerificationMaterial,
    /// What was signed.
    pub content: Content,
}

/// `VerificationMaterial` (`sigstore_bundle.proto`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationMaterial {
    /// The signer's certificate(s) or key hint.
    pub signer: SignerMaterial,
    /// `tlogEntries`, at most [`crate::limits::MAX_TLOG_ENTRIES`].
    pub tlog_entries: Vec<TlogEntry>,
    /// `timestampVerificationData.rfc3161Timestamps[].signedTimestamp`, DER, at most
    /// [`crate::limits::MAX_RFC3161_TIMESTAMPS`].
    pub rfc3161_timestamps: Vec<Vec<u8>>,
}

/// The `content` oneof of `VerificationMaterial`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerMaterial {
    /// `publicKey.hint`: a key known out of band (verified with `--key`).
    PublicKey {
        /// The optional hint string.
        hint: Option<String>,
    },
    /// `x509CertificateChain.certificates[].rawBytes` (v0.1/v0.2): leaf first, never
    /// the root, non-empty, at most [`crate::limits::MAX_CERT_CHAIN_LEN`].
    X509CertificateChain(Vec<Vec<u8>>),
    /// `certificate.rawBytes` (v0.3): the leaf alone.
    Certificate(Vec<u8>),
}

impl SignerMaterial {
    /// The leaf certificate DER, if the bundle carries a certificate.
    pub fn leaf_der(&self) -> Option<&[u8]> {
        match self {
            Self::PublicKey { .. } => None,
            Self::X509CertificateChain(c) => c.first().map(Vec::as_slice),
            Self::Certificate(c) => Some(c),
        }
    }

    /// Certificates after the leaf (intermediates), as the bundle supplies them.
    pub fn intermediates_der(&self) -> &[Vec<u8>] {
        match self {
            Self::X509CertificateChain(c) => c.get(1..).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// `TransparencyLogEntry` (`sigstore_rekor.proto`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogEntry {
    /// Top-level `logIndex` (Rekor v1: the global index). Negative values are rejected.
    pub log_index: u64,
    /// `logId.keyId`.
    pub log_id: Vec<u8>,
    /// `kindVersion.kind` (`hashedrekord`, `dsse`, `intoto`).
    pub kind: String,
    /// `kindVersion.version` (`0.0.1`, `0.0.2`).
    pub version: String,
    /// `integratedTime` (0 when absent; meaningful only under a verified SET).
    pub integrated_time: i64,
    /// `inclusionPromise.signedEntryTimestamp` (the SET), DER ECDSA.
    pub inclusion_promise: Option<Vec<u8>>,
    /// `inclusionProof`.
    pub inclusion_proof: Option<InclusionProof>,
    /// `canonicalizedBody`, decoded: the log entry body (Merkle leaf data).
    pub canonicalized_body: Vec<u8>,
}

/// `InclusionProof` (`sigstore_rekor.proto`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// Index of the leaf in the (shard) tree.
    pub log_index: u64,
    /// Root hash (32 bytes for SHA-256 logs).
    pub root_hash: Vec<u8>,
    /// Tree size.
    pub tree_size: u64,
    /// Audit path, leaf to root, at most [`crate::limits::MAX_INCLUSION_PROOF_HASHES`].
    pub hashes: Vec<Vec<u8>>,
    /// `checkpoint.envelope`: the signed note text. Always `Some` in a bundle returned by
    /// [`Bundle::from_json`], which rejects an inclusion proof without a checkpoint.
    pub checkpoint: Option<String>,
}

/// The `content` oneof of `Bundle`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// `messageSignature`.
    MessageSignature(MessageSignature),
    /// `dsseEnvelope` with exactly one signature.
    Dsse(DsseEnvelope),
}

/// `MessageSignature` (`sigstore_common.proto`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageSignature {
    /// `messageDigest` (a hint the verifier still requires to match).
    pub message_digest: Option<MessageDigest>,
    /// `signature`.
    pub signature: Vec<u8>,
}

/// `HashOutput` (`sigstore_common.proto`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageDigest {
    /// `algorithm` (`SHA2_256`, `SHA2_384`, `SHA2_512`).
    pub algorithm: HashAlgorithm,
    /// `digest`.
    pub digest: Vec<u8>,
}

/// `io.intoto.Envelope` (`envelope.proto`), restricted to one signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsseEnvelope {
    /// `payload`, decoded.
    pub payload: Vec<u8>,
    /// `payloadType`.
    pub payload_type: String,
    /// The only `signatures[]` element.
    pub signature: DsseSignature,
}

/// One DSSE signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsseSignature {
    /// `sig`, decoded.
    pub sig: Vec<u8>,
    /// `keyid` (may be empty).
    pub keyid: String,
}
