//! Rekor v1 signed entry timestamps (SETs, `inclusionPromise`).

use serde_json::{json, Value};

use super::{jcs, TlogError};
use crate::bundle::TlogEntry;
use crate::crypto::{HashAlgorithm, KeyAlgorithm};
use crate::encoding::{base64_encode, hex_encode};
use crate::trust_root::TransparencyLog;

/// The bytes a Rekor v1 log signs for a SET (rekor `pkg/api/entries.go` `signEntry`,
/// sigstore-go `pkg/tlog/entry.go` `VerifySET`): the RFC 8785 form of
/// `{"body": base64std(canonicalizedBody), "integratedTime": <int>,
///   "logID": lowercase-hex(logId.keyId), "logIndex": <top-level global index>}`.
pub(super) fn set_payload(entry: &TlogEntry) -> Result<Vec<u8>, TlogError> {
    let payload: Value = json!({
        "body": base64_encode(&entry.canonicalized_body),
        "integratedTime": entry.integrated_time,
        "logID": hex_encode(&entry.log_id),
        "logIndex": entry.log_index,
    });
    jcs(&payload)
}

/// Verifies the entry's SET (rekor `pkg/verify/verify.go` `VerifySignedEntryTimestamp`; sigstore-go `pkg/tlog/entry.go` `VerifySET`) with the log's key: ECDSA over SHA-256 of the
/// JCS payload. sigstore-go `VerifySET` accepts ECDSA keys only, and so does this.
///
/// Does not check the integrated time against the log's validity or the clock; the
/// caller ([`super::verify_entry`]) does.
pub fn verify_set(entry: &TlogEntry, log: &TransparencyLog) -> Result<(), TlogError> {
    let set = entry
        .inclusion_promise
        .as_deref()
        .ok_or(TlogError::SetMissing)?;
    let key = super::log_key(log)?;
    match key.algorithm() {
        KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => {}
        other @ (KeyAlgorithm::Ed25519 | KeyAlgorithm::RsaPkcs1v15 { .. }) => {
            return Err(TlogError::SetKeyUnsupported {
                log: log.base_url.clone(),
                algorithm: other.to_string(),
            })
        }
    }
    let payload = set_payload(entry)?;
    // rekor pkg/verify/verify.go VerifySignedEntryTimestamp: ECDSA, SHA-256.
    key.verify(HashAlgorithm::Sha256, &payload, set)
        .map_err(|e| TlogError::SetInvalid {
            log: log.base_url.clone(),
            detail: e.to_string(),
        })
}
