//! `trusted_root.json` (`protobuf-specs` `sigstore_trustroot.proto`) → typed trust material.
//!
//! No I/O: the caller supplies the bytes (a file, the TUF client, or the embedded copy).

mod error;
mod parse;
pub use error::TrustRootError;

use crate::crypto::{HashAlgorithm, PublicKey};
use crate::time::UnixTime;

/// `TimeRange` (`sigstore_common.proto`): inclusive at both ends; `start` is required.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidityWindow {
    /// First instant of validity.
    pub start: UnixTime,
    /// Last instant of validity; `None` = still valid.
    pub end: Option<UnixTime>,
}

impl ValidityWindow {
    /// `start <= t <= end` (both ends inclusive, `sigstore_common.proto` `TimeRange`).
    pub fn contains(&self, t: UnixTime) -> bool {
        self.start <= t && self.end.is_none_or(|e| t <= e)
    }
}

/// `TransparencyLogInstance`: a Rekor log or a CT log.
#[derive(Clone, Debug)]
pub struct TransparencyLog {
    /// `baseUrl`.
    pub base_url: String,
    /// `hashAlgorithm` of the Merkle tree.
    pub hash_algorithm: HashAlgorithm,
    /// The verification key; `None` when its type is not supported here (e.g. an
    /// RSA-PSS or 8192-bit RSA key). Such a log can never verify anything.
    pub public_key: Option<PublicKey>,
    /// `publicKey.keyDetails` as written.
    pub key_details: String,
    /// `publicKey.validFor`.
    pub valid_for: ValidityWindow,
    /// `logId.keyId`.
    pub log_id: Vec<u8>,
    /// `checkpointKeyId.keyId` (trusted root v0.2).
    pub checkpoint_key_id: Option<Vec<u8>>,
    /// `operator` (trusted root v0.2).
    pub operator: Option<String>,
}

impl TransparencyLog {
    /// The host name of `baseUrl`: the checkpoint origin and signer name (C2SP `tlog-checkpoint`; rekor-tiles `CLIENTS.md`).
    pub fn hostname(&self) -> &str {
        let rest = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, r)| r);
        let host_port = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        let host_port = host_port.rsplit_once('@').map_or(host_port, |(_, h)| h);
        match host_port.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) => h,
            _ => host_port,
        }
    }
}

/// `CertificateAuthority`: a Fulcio instance or a timestamp authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateAuthority {
    /// `subject.organization`.
    pub organization: Option<String>,
    /// `subject.commonName`.
    pub common_name: Option<String>,
    /// `uri`.
    pub uri: String,
    /// `certChain.certificates[].rawBytes`, DER, in order: issuing CA first, the LAST
    /// one is the trust anchor. Non-empty.
    pub cert_chain: Vec<Vec<u8>>,
    /// `validFor`.
    pub valid_for: ValidityWindow,
    /// `operator`.
    pub operator: Option<String>,
}

/// A parsed `trusted_root.json`.
#[derive(Clone, Debug)]
pub struct TrustedRoot {
    /// `mediaType` as written.
    pub media_type: String,
    /// `tlogs`: Rekor instances.
    pub tlogs: Vec<TransparencyLog>,
    /// `ctlogs`: certificate transparency logs.
    pub ctlogs: Vec<TransparencyLog>,
    /// `certificateAuthorities`: Fulcio instances.
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// `timestampAuthorities`: RFC 3161 TSAs.
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

/// The Sigstore public-good `trusted_root.json` compiled into the binary (crates.io
/// `sigstore` 0.15.0 `tests/data/sigstore_trusted_root.json`; see `testdata/README.md`).
const EMBEDDED_PUBLIC_GOOD: &[u8] =
    include_bytes!("../../testdata/trust/sigstore_trusted_root.json");

/// Lowercase hex SHA-256 of the embedded public-good trusted root, for audit: it must
/// equal the digest recorded in `testdata/README.md` (checked by a unit test).
#[cfg(any(test, feature = "unstable-internals"))]
pub const EMBEDDED_PUBLIC_GOOD_SHA256: &str =
    "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66";

impl TrustedRoot {
    /// The Sigstore public-good trusted root embedded at build time: crates.io `sigstore`
    /// 0.15.0 `tests/data/sigstore_trusted_root.json`, sha256
    /// `6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66` (recorded in
    /// `testdata/README.md`; a unit test checks both). For tests and offline use: the
    /// TUF-obtained root is fresher, and the command line never falls back to this one.
    pub fn embedded_public_good() -> Result<TrustedRoot, TrustRootError> {
        Self::from_json(EMBEDDED_PUBLIC_GOOD)
    }

    /// The Rekor log whose `logId.keyId` or `checkpointKeyId.keyId` equals `id`.
    pub fn tlog_by_log_id(&self, id: &[u8]) -> Option<&TransparencyLog> {
        self.tlogs
            .iter()
            .find(|t| t.log_id == id || t.checkpoint_key_id.as_deref() == Some(id))
    }

    /// The certificate transparency log whose `logId.keyId` equals `id` (RFC 6962 §3.2
    /// SCT `log_id`).
    pub fn ctlog_by_log_id(&self, id: &[u8]) -> Option<&TransparencyLog> {
        self.ctlogs.iter().find(|t| t.log_id == id)
    }
}

#[cfg(test)]
mod tests;
