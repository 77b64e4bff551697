use core::fmt;

use crate::time::{format_rfc3339, UnixTime};

/// Why a transparency-log entry was rejected.
///
/// "Missing" variants (something required is absent) are kept apart from "invalid"
/// variants (something present does not verify).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlogError {
    // --- log selection and entry kind ---
    /// No Rekor log of the trusted root has this log ID.
    UnknownLog {
        /// `logId.keyId` of the entry, lowercase hex.
        log_id_hex: String,
    },
    /// The trusted root lists the log but its key type is not supported here.
    LogKeyUnsupported {
        /// `baseUrl` of the log.
        base_url: String,
        /// `publicKey.keyDetails` as written in the trusted root.
        key_details: String,
    },
    /// The log's Merkle tree hash is not SHA-256 (RFC 6962), the only one supported.
    LogHashUnsupported {
        /// `baseUrl` of the log.
        base_url: String,
        /// The hash the trusted root names.
        hash: &'static str,
    },
    /// The entry's `kindVersion` is not one this verifier understands.
    UnsupportedKind {
        /// `kindVersion.kind`.
        kind: String,
        /// `kindVersion.version`.
        version: String,
    },
    /// The entry has neither a signed entry timestamp nor an inclusion proof.
    NoProof,

    // --- SET (inclusion promise) ---
    /// A v0.1 bundle's Rekor v1 entry has no signed entry timestamp.
    SetMissing,
    /// The signed entry timestamp does not verify with the log key.
    SetInvalid {
        /// `baseUrl` of the log.
        log: String,
        /// What the signature check reported.
        detail: String,
    },
    /// The log key cannot verify a signed entry timestamp (only ECDSA can).
    SetKeyUnsupported {
        /// `baseUrl` of the log.
        log: String,
        /// The key algorithm.
        algorithm: String,
    },
    /// A Rekor v2 entry carries a signed entry timestamp, which Rekor v2 never issues.
    SetOnRekorV2,
    /// The bundle has no transparency-log entry at all (docs/verification.md, "Thresholds": at least one is required).
    MissingEntry,
    /// Two entries name the same log and log index (an entry counted twice).
    DuplicateEntry {
        /// Index of the second copy in `tlogEntries`.
        index: usize,
    },
    /// A Rekor v2 log was not valid at a verified signing time (RFC 3161 genTime).
    LogNotValidAt {
        /// The log's base URL.
        log: String,
        /// The signing time.
        time: UnixTime,
    },
    /// The integrated time is outside the log key's validity window.
    IntegratedTimeOutsideLogValidity {
        /// The entry's integrated time.
        integrated_time: UnixTime,
        /// `validFor.start` of the log key.
        start: UnixTime,
        /// `validFor.end` of the log key, if any.
        end: Option<UnixTime>,
    },
    /// The integrated time is later than the current time.
    IntegratedTimeInFuture {
        /// The entry's integrated time.
        integrated_time: UnixTime,
        /// The verifier's current time.
        now: UnixTime,
    },

    // --- inclusion proof ---
    /// A required inclusion proof is absent.
    InclusionProofMissing,
    /// The leaf index is not inside the tree.
    InclusionProofIndexOutOfRange {
        /// Leaf index.
        index: u64,
        /// Tree size.
        tree_size: u64,
    },
    /// The audit path has the wrong number of hashes for this index and tree size.
    InclusionProofWrongLength {
        /// Number of hashes RFC 6962 requires.
        expected: usize,
        /// Number of hashes given.
        found: usize,
    },
    /// The audit path has more hashes than this verifier accepts.
    InclusionProofTooManyHashes {
        /// Number of hashes given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A hash in the proof (or the root hash) is not 32 bytes.
    InclusionProofBadHashLength {
        /// Which hash (`root` or `hashes[i]`).
        which: String,
        /// Its length.
        len: usize,
    },
    /// The audit path does not lead to the expected root hash.
    InclusionProofInvalid {
        /// The root hash the proof computes, hex.
        computed: String,
        /// The root hash it had to reach, hex.
        expected: String,
    },
    /// A Rekor v2 proof field disagrees with the verified checkpoint or entry.
    InclusionProofInconsistent {
        /// Which field (`logIndex`, `treeSize`, `rootHash`).
        field: &'static str,
        /// Value from the checkpoint (or top-level entry).
        expected: String,
        /// Value in the inclusion proof.
        found: String,
    },

    // --- checkpoint ---
    /// The inclusion proof has no checkpoint.
    CheckpointMissing,
    /// The checkpoint is larger than [`crate::limits::MAX_CHECKPOINT_BYTES`].
    CheckpointTooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The checkpoint has no blank line separating the note text from its signatures.
    CheckpointNoSeparator,
    /// The checkpoint's first line (the origin) is missing or empty.
    CheckpointMissingOrigin,
    /// The checkpoint has no tree-size line.
    CheckpointMissingSize,
    /// The checkpoint has no root-hash line.
    CheckpointMissingRootHash,
    /// The tree-size line is not a canonical decimal number.
    CheckpointBadSize {
        /// The line (truncated).
        line: String,
    },
    /// The root-hash line is not base64 of 32 bytes.
    CheckpointBadRootHash {
        /// The line (truncated).
        line: String,
    },
    /// The checkpoint text is malformed in another way.
    CheckpointMalformed {
        /// What is wrong.
        reason: String,
    },
    /// The checkpoint carries no signature line at all.
    CheckpointUnsigned,
    /// The checkpoint has more signature lines than accepted.
    CheckpointTooManySignatures {
        /// Lines found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A signature line is malformed.
    CheckpointBadSignatureLine {
        /// 1-based number of the line in the signature block.
        line_no: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// No signature line is from the log (name and key hint).
    CheckpointNoValidSignature {
        /// The signer name that was required.
        signer: String,
        /// The key hint that was required, hex.
        key_hint: String,
    },
    /// A signature line from the log does not verify.
    CheckpointSignatureInvalid {
        /// The signer name.
        signer: String,
        /// What the signature check reported.
        detail: String,
    },
    /// A Rekor v2 checkpoint's origin is not the log's host name.
    CheckpointOriginMismatch {
        /// The log's host name.
        expected: String,
        /// The checkpoint's origin line.
        found: String,
    },
    /// The checkpoint's root hash differs from the inclusion proof's.
    CheckpointRootMismatch {
        /// Root hash of the checkpoint, hex.
        checkpoint: String,
        /// Root hash of the proof, hex.
        proof: String,
    },
    /// The checkpoint's tree size differs from the inclusion proof's.
    CheckpointSizeMismatch {
        /// Tree size of the checkpoint.
        checkpoint: u64,
        /// Tree size of the proof.
        proof: u64,
    },

    // --- body ---
    /// `canonicalizedBody` is larger than [`crate::limits::MAX_TLOG_BODY_BYTES`].
    BodyTooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `canonicalizedBody` is not the JSON structure its kind requires.
    BodyMalformed {
        /// What is wrong (a JSON path or parser message).
        detail: String,
    },
    /// A field of `canonicalizedBody` does not match the bundle.
    BodyMismatch {
        /// JSON path of the field.
        field: String,
        /// What the bundle implies (short form).
        expected: String,
        /// What the log entry says (short form).
        found: String,
    },
    /// The entry kind cannot describe this bundle content (e.g. hashedrekord for DSSE).
    EntryKindMismatch {
        /// `kind/version` of the entry.
        kind: String,
        /// The bundle content type.
        content: &'static str,
    },
    /// The bundle has no `messageDigest`, so the entry's digest cannot be checked.
    MessageDigestMissing,
    /// The signing certificate or key given for the entry cannot be parsed.
    VerifierMalformed {
        /// What is wrong.
        detail: String,
    },

    // --- JCS ---
    /// A JSON number cannot be canonicalized (non-integer or beyond 2^53).
    JcsUnsupportedNumber {
        /// The number as written.
        number: String,
    },
    /// JSON nesting is deeper than [`crate::limits::MAX_JSON_DEPTH`].
    JcsTooDeep {
        /// The limit.
        max: usize,
    },
}

impl TlogError {
    /// Stable machine-readable code, `tlog.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownLog { .. } => "tlog.unknown-log",
            Self::LogKeyUnsupported { .. } => "tlog.log-key-unsupported",
            Self::LogHashUnsupported { .. } => "tlog.log-hash-unsupported",
            Self::UnsupportedKind { .. } => "tlog.unsupported-kind",
            Self::NoProof => "tlog.no-proof",
            Self::SetMissing => "tlog.set-missing",
            Self::SetInvalid { .. } => "tlog.set-invalid",
            Self::SetKeyUnsupported { .. } => "tlog.set-key-unsupported",
            Self::SetOnRekorV2 => "tlog.set-on-rekor-v2",
            Self::MissingEntry => "tlog.missing-entry",
            Self::DuplicateEntry { .. } => "tlog.duplicate-entry",
            Self::LogNotValidAt { .. } => "tlog.log-not-valid-at-signing-time",
            Self::IntegratedTimeOutsideLogValidity { .. } => {
                "tlog.integrated-time-outside-log-validity"
            }
            Self::IntegratedTimeInFuture { .. } => "tlog.integrated-time-in-future",
            Self::InclusionProofMissing => "tlog.inclusion-proof-missing",
            Self::InclusionProofIndexOutOfRange { .. } => "tlog.inclusion-proof-index-out-of-range",
            Self::InclusionProofWrongLength { .. } => "tlog.inclusion-proof-wrong-length",
            Self::InclusionProofTooManyHashes { .. } => "tlog.inclusion-proof-too-many-hashes",
            Self::InclusionProofBadHashLength { .. } => "tlog.inclusion-proof-bad-hash-length",
            Self::InclusionProofInvalid { .. } => "tlog.inclusion-proof-invalid",
            Self::InclusionProofInconsistent { .. } => "tlog.inclusion-proof-inconsistent",
            Self::CheckpointMissing => "tlog.checkpoint-missing",
            Self::CheckpointTooLarge { .. } => "tlog.checkpoint-too-large",
            Self::CheckpointNoSeparator => "tlog.checkpoint-no-separator",
            Self::CheckpointMissingOrigin => "tlog.checkpoint-missing-origin",
            Self::CheckpointMissingSize => "tlog.checkpoint-missing-size",
            Self::CheckpointMissingRootHash => "tlog.checkpoint-missing-root-hash",
            Self::CheckpointBadSize { .. } => "tlog.checkpoint-bad-size",
            Self::CheckpointBadRootHash { .. } => "tlog.checkpoint-bad-root-hash",
            Self::CheckpointMalformed { .. } => "tlog.checkpoint-malformed",
            Self::CheckpointUnsigned => "tlog.checkpoint-unsigned",
            Self::CheckpointTooManySignatures { .. } => "tlog.checkpoint-too-many-signatures",
            Self::CheckpointBadSignatureLine { .. } => "tlog.checkpoint-bad-signature-line",
            Self::CheckpointNoValidSignature { .. } => "tlog.checkpoint-no-valid-signature",
            Self::CheckpointSignatureInvalid { .. } => "tlog.checkpoint-signature-invalid",
            Self::CheckpointOriginMismatch { .. } => "tlog.checkpoint-origin-mismatch",
            Self::CheckpointRootMismatch { .. } => "tlog.checkpoint-root-mismatch",
            Self::CheckpointSizeMismatch { .. } => "tlog.checkpoint-size-mismatch",
            Self::BodyTooLarge { .. } => "tlog.body-too-large",
            Self::BodyMalformed { .. } => "tlog.body-malformed",
            Self::BodyMismatch { .. } => "tlog.body-mismatch",
            Self::EntryKindMismatch { .. } => "tlog.entry-kind-mismatch",
            Self::MessageDigestMissing => "tlog.message-digest-missing",
            Self::VerifierMalformed { .. } => "tlog.verifier-malformed",
            Self::JcsUnsupportedNumber { .. } => "tlog.jcs-unsupported-number",
            Self::JcsTooDeep { .. } => "tlog.jcs-too-deep",
        }
    }
}

fn window(start: UnixTime, end: Option<UnixTime>) -> String {
    match end {
        Some(e) => format!("{} to {}", format_rfc3339(start), format_rfc3339(e)),
        None => format!("from {} on", format_rfc3339(start)),
    }
}

impl fmt::Display for TlogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownLog { log_id_hex } => write!(
                f,
                "the entry was made by transparency log {log_id_hex}, which the trusted root does not list"
            ),
            Self::LogKeyUnsupported { base_url, key_details } => write!(
                f,
                "the trusted root's key for log {base_url} has an unsupported type ({key_details})"
            ),
            Self::LogHashUnsupported { base_url, hash } => write!(
                f,
                "log {base_url} uses {hash} for its Merkle tree; only sha256 is supported"
            ),
            Self::UnsupportedKind { kind, version } => write!(
                f,
                "log entry kind {kind} version {version} is not supported (accepted: hashedrekord 0.0.1/0.0.2, dsse 0.0.1, intoto 0.0.2)"
            ),
            Self::NoProof => f.write_str(
                "the log entry has neither a signed entry timestamp nor an inclusion proof",
            ),
            Self::SetMissing => f.write_str(
                "the log entry of a version 0.1 bundle has no signed entry timestamp (inclusion promise)",
            ),
            Self::SetInvalid { log, detail } => write!(
                f,
                "the signed entry timestamp does not verify with the key of log {log}: {detail}"
            ),
            Self::SetKeyUnsupported { log, algorithm } => write!(
                f,
                "log {log} has a {algorithm} key, which cannot verify signed entry timestamps (ECDSA only)"
            ),
            Self::SetOnRekorV2 => f.write_str(
                "a Rekor v2 entry carries a signed entry timestamp, which Rekor v2 never issues",
            ),
            Self::DuplicateEntry { index } => write!(
                f,
                "transparency log entry {index} repeats an earlier entry (same log and log index)"
            ),
            Self::MissingEntry => f.write_str(
                "the bundle has no transparency log entry; every signature must be logged in Rekor",
            ),
            Self::LogNotValidAt { log, time } => write!(
                f,
                "the log {log} was not valid at the signing time {} proven by the timestamp",
                format_rfc3339(*time)
            ),
            Self::IntegratedTimeOutsideLogValidity { integrated_time, start, end } => write!(
                f,
                "the entry was integrated at {}, outside the log key's validity ({})",
                format_rfc3339(*integrated_time),
                window(*start, *end)
            ),
            Self::IntegratedTimeInFuture { integrated_time, now } => write!(
                f,
                "the entry's integrated time {} is after the current time {}",
                format_rfc3339(*integrated_time),
                format_rfc3339(*now)
            ),
            Self::InclusionProofMissing => {
                f.write_str("the log entry has no inclusion proof, which is required here")
            }
            Self::InclusionProofIndexOutOfRange { index, tree_size } => write!(
                f,
                "the inclusion proof's leaf index {index} is not inside a tree of size {tree_size}"
            ),
            Self::InclusionProofWrongLength { expected, found } => write!(
                f,
                "the inclusion proof has {found} hashes but this leaf and tree size need {expected}"
            ),
            Self::InclusionProofTooManyHashes { count, max } => write!(
                f,
                "the inclusion proof has {count} hashes, more than the {max} accepted"
            ),
            Self::InclusionProofBadHashLength { which, len } => write!(
                f,
                "inclusion proof hash {which} is {len} bytes long instead of 32"
            ),
            Self::InclusionProofInvalid { computed, expected } => write!(
                f,
                "the inclusion proof does not lead to the log's root hash (computed {computed}, expected {expected})"
            ),
            Self::InclusionProofInconsistent { field, expected, found } => write!(
                f,
                "the inclusion proof's {field} is {found} but the signed checkpoint says {expected}"
            ),
            Self::CheckpointMissing => {
                f.write_str("the inclusion proof has no signed checkpoint, which is required")
            }
            Self::CheckpointTooLarge { len, max } => write!(
                f,
                "the checkpoint is {len} bytes long, more than the {max} accepted"
            ),
            Self::CheckpointNoSeparator => f.write_str(
                "the checkpoint has no blank line between its text and its signatures",
            ),
            Self::CheckpointMissingOrigin => f.write_str("the checkpoint has no origin line"),
            Self::CheckpointMissingSize => f.write_str("the checkpoint has no tree size line"),
            Self::CheckpointMissingRootHash => {
                f.write_str("the checkpoint has no root hash line")
            }
            Self::CheckpointBadSize { line } => write!(
                f,
                "the checkpoint's tree size \"{}\" is not a canonical decimal number",
                line.escape_debug()
            ),
            Self::CheckpointBadRootHash { line } => write!(
                f,
                "the checkpoint's root hash \"{}\" is not standard base64 of 32 bytes",
                line.escape_debug()
            ),
            Self::CheckpointMalformed { reason } => write!(f, "the checkpoint is malformed: {reason}"),
            Self::CheckpointUnsigned => f.write_str("the checkpoint carries no signature"),
            Self::CheckpointTooManySignatures { count, max } => write!(
                f,
                "the checkpoint has {count} signature lines, more than the {max} accepted"
            ),
            Self::CheckpointBadSignatureLine { line_no, reason } => write!(
                f,
                "checkpoint signature line {line_no} is malformed: {reason}"
            ),
            Self::CheckpointNoValidSignature { signer, key_hint } => write!(
                f,
                "the checkpoint is not signed by the log (no signature from {signer} with key hint {key_hint})"
            ),
            Self::CheckpointSignatureInvalid { signer, detail } => write!(
                f,
                "the checkpoint signature of {signer} does not verify: {detail}"
            ),
            Self::CheckpointOriginMismatch { expected, found } => write!(
                f,
                "the checkpoint's origin is \"{}\" but the log is \"{}\"",
                found.escape_debug(),
                expected.escape_debug()
            ),
            Self::CheckpointRootMismatch { checkpoint, proof } => write!(
                f,
                "the checkpoint's root hash {checkpoint} differs from the inclusion proof's {proof}"
            ),
            Self::CheckpointSizeMismatch { checkpoint, proof } => write!(
                f,
                "the checkpoint's tree size {checkpoint} differs from the inclusion proof's {proof}"
            ),
            Self::BodyTooLarge { len, max } => write!(
                f,
                "the log entry body is {len} bytes long, more than the {max} accepted"
            ),
            Self::BodyMalformed { detail } => write!(f, "the log entry body is malformed: {detail}"),
            Self::BodyMismatch { field, expected, found } => write!(
                f,
                "the log entry does not describe this bundle: {field} is {found} but the bundle implies {expected}"
            ),
            Self::EntryKindMismatch { kind, content } => write!(
                f,
                "a {kind} log entry cannot describe a bundle whose content is a {content}"
            ),
            Self::MessageDigestMissing => f.write_str(
                "the bundle has no message digest to compare with the log entry",
            ),
            Self::VerifierMalformed { detail } => write!(
                f,
                "the signing certificate or key cannot be read: {detail}"
            ),
            Self::JcsUnsupportedNumber { number } => write!(
                f,
                "the JSON number {number} cannot be canonicalized (only integers up to 2^53 are accepted)"
            ),
            Self::JcsTooDeep { max } => write!(
                f,
                "the JSON value is nested more than {max} levels deep"
            ),
        }
    }
}

impl std::error::Error for TlogError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<TlogError> {
        let s = || "x".to_owned();
        vec![
            TlogError::UnknownLog { log_id_hex: s() },
            TlogError::LogKeyUnsupported {
                base_url: s(),
                key_details: s(),
            },
            TlogError::LogHashUnsupported {
                base_url: s(),
                hash: "sha512",
            },
            TlogError::UnsupportedKind {
                kind: s(),
                version: s(),
            },
            TlogError::NoProof,
            TlogError::SetMissing,
            TlogError::SetInvalid {
                log: s(),
                detail: s(),
            },
            TlogError::SetKeyUnsupported {
                log: s(),
                algorithm: s(),
            },
            TlogError::SetOnRekorV2,
            TlogError::IntegratedTimeOutsideLogValidity {
                integrated_time: 5,
                start: 6,
                end: None,
            },
            TlogError::IntegratedTimeOutsideLogValidity {
                integrated_time: 5,
                start: 1,
                end: Some(4),
            },
            TlogError::IntegratedTimeInFuture {
                integrated_time: 5,
                now: 4,
            },
            TlogError::InclusionProofMissing,
            TlogError::InclusionProofIndexOutOfRange {
                index: 3,
                tree_size: 3,
            },
            TlogError::InclusionProofWrongLength {
                expected: 2,
                found: 3,
            },
            TlogError::InclusionProofTooManyHashes { count: 65, max: 64 },
            TlogError::InclusionProofBadHashLength {
                which: s(),
                len: 31,
            },
            TlogError::InclusionProofInvalid {
                computed: s(),
                expected: s(),
            },
            TlogError::InclusionProofInconsistent {
                field: "treeSize",
                expected: s(),
                found: s(),
            },
            TlogError::CheckpointMissing,
            TlogError::CheckpointTooLarge { len: 2, max: 1 },
            TlogError::CheckpointNoSeparator,
            TlogError::CheckpointMissingOrigin,
            TlogError::CheckpointMissingSize,
            TlogError::CheckpointMissingRootHash,
            TlogError::CheckpointBadSize {
                line: "\u{1}".into(),
            },
            TlogError::CheckpointBadRootHash { line: s() },
            TlogError::CheckpointMalformed { reason: s() },
            TlogError::CheckpointUnsigned,
            TlogError::CheckpointTooManySignatures { count: 17, max: 16 },
            TlogError::CheckpointBadSignatureLine {
                line_no: 1,
                reason: "r",
            },
            TlogError::CheckpointNoValidSignature {
                signer: s(),
                key_hint: s(),
            },
            TlogError::CheckpointSignatureInvalid {
                signer: s(),
                detail: s(),
            },
            TlogError::CheckpointOriginMismatch {
                expected: s(),
                found: s(),
            },
            TlogError::CheckpointRootMismatch {
                checkpoint: s(),
                proof: s(),
            },
            TlogError::CheckpointSizeMismatch {
                checkpoint: 1,
                proof: 2,
            },
            TlogError::BodyTooLarge { len: 2, max: 1 },
            TlogError::BodyMalformed { detail: s() },
            TlogError::BodyMismatch {
                field: s(),
                expected: s(),
                found: s(),
            },
            TlogError::EntryKindMismatch {
                kind: s(),
                content: "DSSE envelope",
            },
            TlogError::MessageDigestMissing,
            TlogError::VerifierMalformed { detail: s() },
            TlogError::JcsUnsupportedNumber { number: s() },
            TlogError::JcsTooDeep { max: 64 },
            TlogError::MissingEntry,
            TlogError::DuplicateEntry { index: 1 },
            TlogError::LogNotValidAt { log: s(), time: 7 },
        ]
    }

    #[test]
    fn codes_are_stable_and_messages_are_sentences() {
        let errors = all();
        let mut codes: Vec<&str> = errors.iter().map(TlogError::code).collect();
        for (e, code) in errors.iter().zip(&codes) {
            assert!(code.starts_with("tlog.") && !code.contains(' '), "{code}");
            let msg = e.to_string();
            let first = msg.chars().next().unwrap();
            assert!(first.is_lowercase() || first == 'a', "{code}: {msg}");
            assert!(
                !msg.contains("Some(") && !msg.contains("None") && !msg.contains("{ "),
                "{code}: {msg}"
            );
            assert!(
                !msg.contains('\u{1}'),
                "control characters are escaped: {msg}"
            );
        }
        assert!(all()[9]
            .to_string()
            .contains("from 1970-01-01T00:00:06Z on"));
        codes.sort_unstable();
        codes.dedup();
        // Two IntegratedTimeOutsideLogValidity samples share a code.
        assert_eq!(codes.len(), errors.len() - 1);
    }
}
