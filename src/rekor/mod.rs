//! Rekor transparency-log checks: SET, RFC 6962 inclusion proofs, C2SP checkpoints,
//! entry-body binding (docs/verification.md, step 5 and step 9, with their sources), for Rekor v1 and Rekor v2 entries.
//!
//! The verifier calls [`verify_entry_log`] (step 5) and [`verify_entry_body`] (step 9)
//! once per `tlogEntries[]` element; `verify_entry` runs both, for tests, fuzzing and
//! auditing.

mod body;
mod checkpoint;
mod error;
mod jcs;
mod merkle;
mod set;
#[cfg(test)]
mod tests;

pub use checkpoint::{verify_checkpoint, Checkpoint};
pub use error::TlogError;
pub use jcs::jcs;
pub use merkle::{leaf_hash, verify_inclusion};
pub use set::verify_set;

use body::{check_body, EntryKind};

use crate::bundle::{BundleVersion, Content, InclusionProof, TlogEntry};
use crate::crypto::HashAlgorithm;
use crate::encoding::hex_encode;
use crate::time::UnixTime;
use crate::trust_root::{TransparencyLog, TrustedRoot, ValidityWindow};

/// What signed the bundle, as the log entry body must name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogVerifier<'a> {
    /// The leaf certificate, DER.
    Certificate(&'a [u8]),
    /// A public key (SubjectPublicKeyInfo DER), for key-based bundles.
    PublicKey(&'a [u8]),
}

/// The result of verifying one log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedEntry {
    /// `baseUrl` of the log that holds the entry.
    pub log_base_url: String,
    /// The entry's top-level `logIndex`.
    pub log_index: u64,
    /// 1 or 2.
    pub rekor_version: u8,
    /// Some(t) only when a SET was verified (Rekor v1); never trust integratedTime otherwise.
    pub integrated_time: Option<UnixTime>,
    /// The log key's validity window (the caller checks it against a TSA time when
    /// there is no integrated time).
    pub log_valid_for: ValidityWindow,
    /// The verified checkpoint, when the entry has an inclusion proof.
    pub checkpoint: Option<Checkpoint>,
}

/// Finds the log of `log_id` in the trusted root (`logId`, or `checkpointKeyId` when
/// present; rekor-tiles `CLIENTS.md`).
fn find_log<'r>(root: &'r TrustedRoot, log_id: &[u8]) -> Result<&'r TransparencyLog, TlogError> {
    root.tlog_by_log_id(log_id)
        .ok_or_else(|| TlogError::UnknownLog {
            log_id_hex: hex_encode(log_id),
        })
}

/// Verifies everything about one transparency-log entry of a bundle:
///
/// - the log is in the trusted root and its key is usable;
/// - Rekor v1 (`hashedrekord` 0.0.1, `dsse` 0.0.1, `intoto` 0.0.2): the SET when present
///   (required in v0.1 bundles), with the integrated time inside the log key's validity
///   and not after `now`; the inclusion proof when present (required from v0.2), with a
///   signed checkpoint whose size and root hash equal the proof's, Merkle-verified at
///   the proof's (shard) index;
/// - Rekor v2 (`hashedrekord` 0.0.2): no SET; an inclusion proof with a checkpoint whose
///   origin is the log's host name, Merkle-verified at the top-level index against the
///   checkpoint's size and root hash;
/// - the entry body describes exactly this bundle's content and verifier.
#[cfg(any(test, feature = "unstable-internals"))]
pub fn verify_entry(
    entry: &TlogEntry,
    bundle_version: BundleVersion,
    content: &Content,
    verifier: LogVerifier<'_>,
    root: &TrustedRoot,
    now: UnixTime,
) -> Result<VerifiedEntry, TlogError> {
    let verified = verify_entry_log(entry, bundle_version, root, now)?;
    verify_entry_body(entry, content, verifier)?;
    Ok(verified)
}

/// The log half of [`verify_entry`]: log lookup, SET, checkpoint and inclusion proof,
/// without the body binding. The verifier runs this first (to learn the verified
/// integrated time), validates the certificate at that time, and only then binds the
/// body with [`verify_entry_body`], so that a tampered certificate is reported by the
/// certificate stage rather than as a body mismatch.
pub fn verify_entry_log(
    entry: &TlogEntry,
    bundle_version: BundleVersion,
    root: &TrustedRoot,
    now: UnixTime,
) -> Result<VerifiedEntry, TlogError> {
    let log = find_log(root, &entry.log_id)?;
    log_key(log)?;
    // RFC 6962 trees here are SHA-256 (trusted root `hashAlgorithm: SHA2_256`).
    if log.hash_algorithm != HashAlgorithm::Sha256 {
        return Err(TlogError::LogHashUnsupported {
            base_url: log.base_url.clone(),
            hash: log.hash_algorithm.name(),
        });
    }
    let kind = EntryKind::from_kind_version(&entry.kind, &entry.version)?;
    let rekor_version = kind.rekor_version();
    let (integrated_time, checkpoint) = if rekor_version == 2 {
        (None, Some(verify_v2_proof(entry, log)?))
    } else {
        verify_v1_proofs(entry, bundle_version, log, now)?
    };
    Ok(VerifiedEntry {
        log_base_url: log.base_url.clone(),
        log_index: entry.log_index,
        rekor_version,
        integrated_time,
        log_valid_for: log.valid_for,
        checkpoint,
    })
}

/// The body half of [`verify_entry`]: the entry's `canonicalizedBody` must describe
/// exactly this bundle's content and verifier. sigstore_rekor.proto: "clients
/// MUST check that the signature in it matches the bundle content".
pub fn verify_entry_body(
    entry: &TlogEntry,
    content: &Content,
    verifier: LogVerifier<'_>,
) -> Result<(), TlogError> {
    let kind = EntryKind::from_kind_version(&entry.kind, &entry.version)?;
    check_body(entry, kind, content, &verifier)
}

/// The log's verification key, or the error for a log whose key type is unsupported
/// (kept in the trusted root but never usable), or an RSA key in a build without the
/// `rsa` cargo feature.
pub(crate) fn log_key(log: &TransparencyLog) -> Result<&crate::crypto::PublicKey, TlogError> {
    let key = log
        .public_key
        .as_ref()
        .ok_or_else(|| TlogError::LogKeyUnsupported {
            base_url: log.base_url.clone(),
            key_details: log.key_details.clone(),
        })?;
    key.check_usable()
        .map_err(|e| TlogError::LogKeyUnsupported {
            base_url: log.base_url.clone(),
            key_details: format!("{}; {e}", log.key_details),
        })?;
    Ok(key)
}

/// Rekor v1: SET and/or inclusion proof.
fn verify_v1_proofs(
    entry: &TlogEntry,
    bundle_version: BundleVersion,
    log: &TransparencyLog,
    now: UnixTime,
) -> Result<(Option<UnixTime>, Option<Checkpoint>), TlogError> {
    if entry.inclusion_promise.is_none() && entry.inclusion_proof.is_none() {
        return Err(TlogError::NoProof);
    }
    // sigstore-go bundle.go validate(): v0.1 needs inclusionPromise, v0.2+ inclusionProof.
    if bundle_version == BundleVersion::V0_1 && entry.inclusion_promise.is_none() {
        return Err(TlogError::SetMissing);
    }
    if bundle_version >= BundleVersion::V0_2 && entry.inclusion_proof.is_none() {
        return Err(TlogError::InclusionProofMissing);
    }
    let mut integrated_time = None;
    if entry.inclusion_promise.is_some() {
        verify_set(entry, log)?;
        let t = entry.integrated_time;
        // sigstore-go `VerifySET`: the log key must have been valid at the integrated time.
        if !log.valid_for.contains(t) {
            return Err(TlogError::IntegratedTimeOutsideLogValidity {
                integrated_time: t,
                start: log.valid_for.start,
                end: log.valid_for.end,
            });
        }
        if t > now {
            return Err(TlogError::IntegratedTimeInFuture {
                integrated_time: t,
                now,
            });
        }
        integrated_time = Some(t);
    }
    let mut checkpoint = None;
    if let Some(proof) = &entry.inclusion_proof {
        let envelope = proof
            .checkpoint
            .as_deref()
            .ok_or(TlogError::CheckpointMissing)?;
        // C2SP signed-note / rekor-tiles `CLIENTS.md`: signer name = log host name (or, for private v1 deployments, the
        // name in the origin "<name> - <treeID>"); the v1 origin is not compared with
        // the host name.
        let cp = checkpoint::verify_v1_checkpoint(envelope, log)?;
        // rekor VerifyCheckpointSignature: checkpoint root hash == proof root hash;
        // Checkpoint size == proof tree size (stricter than rekor v1, which checks only the
        // root hash; C2SP `tlog-checkpoint` binds both).
        if cp.root_hash != proof.root_hash {
            return Err(TlogError::CheckpointRootMismatch {
                checkpoint: hex_encode(&cp.root_hash),
                proof: hex_encode(&proof.root_hash),
            });
        }
        if cp.size != proof.tree_size {
            return Err(TlogError::CheckpointSizeMismatch {
                checkpoint: cp.size,
                proof: proof.tree_size,
            });
        }
        // RFC 6962 §2.1.1: Rekor v1 proves the leaf at inclusionProof.logIndex (shard index).
        merkle_check(
            entry,
            proof,
            proof.log_index,
            proof.tree_size,
            &proof.root_hash,
        )?;
        checkpoint = Some(cp);
    }
    Ok((integrated_time, checkpoint))
}

/// Rekor v2: inclusion proof with checkpoint, no SET (rekor-tiles `CLIENTS.md`).
fn verify_v2_proof(entry: &TlogEntry, log: &TransparencyLog) -> Result<Checkpoint, TlogError> {
    // rekor-tiles CLIENTS.md: v2 never issues SETs; one here is inconsistent.
    if entry.inclusion_promise.is_some() {
        return Err(TlogError::SetOnRekorV2);
    }
    let proof = entry
        .inclusion_proof
        .as_ref()
        .ok_or(TlogError::InclusionProofMissing)?;
    let envelope = proof
        .checkpoint
        .as_deref()
        .ok_or(TlogError::CheckpointMissing)?;
    let cp = verify_checkpoint(envelope, log)?;
    // rekor-tiles `CLIENTS.md`: the v2 origin is the log's host name.
    if cp.origin != log.hostname() {
        return Err(TlogError::CheckpointOriginMismatch {
            expected: log.hostname().to_owned(),
            found: cp.origin,
        });
    }
    // rekor-tiles `CLIENTS.md`: take size and root from the verified checkpoint; the proof's own copies,
    // when present, must agree.
    if proof.log_index != 0 && proof.log_index != entry.log_index {
        return Err(TlogError::InclusionProofInconsistent {
            field: "logIndex",
            expected: entry.log_index.to_string(),
            found: proof.log_index.to_string(),
        });
    }
    if proof.tree_size != 0 && proof.tree_size != cp.size {
        return Err(TlogError::InclusionProofInconsistent {
            field: "treeSize",
            expected: cp.size.to_string(),
            found: proof.tree_size.to_string(),
        });
    }
    if !proof.root_hash.is_empty() && proof.root_hash != cp.root_hash {
        return Err(TlogError::InclusionProofInconsistent {
            field: "rootHash",
            expected: hex_encode(&cp.root_hash),
            found: hex_encode(&proof.root_hash),
        });
    }
    // RFC 6962 §2.1.1; rekor-tiles `CLIENTS.md`: Rekor v2 proves the leaf at the top-level logIndex.
    merkle_check(entry, proof, entry.log_index, cp.size, &cp.root_hash)?;
    Ok(cp)
}

/// RFC 6962: the leaf is the decoded canonicalizedBody.
fn merkle_check(
    entry: &TlogEntry,
    proof: &InclusionProof,
    index: u64,
    size: u64,
    root: &[u8],
) -> Result<(), TlogError> {
    let leaf = leaf_hash(&entry.canonicalized_body);
    verify_inclusion(&leaf, index, size, &proof.hashes, root)
}
