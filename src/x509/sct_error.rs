use core::fmt;

use crate::time::{format_rfc3339, UnixTime};

/// Why the certificate's embedded SCTs were rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SctError {
    /// The trusted root lists CT logs but the certificate has no SCT list extension
    /// (1.3.6.1.4.1.11129.2.4.2).
    NoSctExtension,
    /// The SCT list extension is not a well-formed RFC 6962 §3.3 `SignedCertificateTimestampList`.
    Malformed {
        /// What was wrong.
        detail: String,
    },
    /// More SCTs than [`crate::limits::MAX_SCTS`].
    TooMany {
        /// The limit.
        max: usize,
    },
    /// An SCT from a trusted log has a version other than v1 (RFC 6962 §3.2).
    UnsupportedVersion {
        /// The log's `baseUrl`.
        log: String,
        /// The version byte.
        version: u8,
    },
    /// The SCT's timestamp is outside the CT log's `validFor` in the trusted root.
    LogNotValidAt {
        /// The log's `baseUrl`.
        log: String,
        /// SCT timestamp, seconds.
        timestamp: UnixTime,
        /// `validFor.start`.
        start: UnixTime,
        /// `validFor.end`.
        end: Option<UnixTime>,
    },
    /// The trusted root's key for this CT log is of a type this verifier cannot use (or
    /// an RSA key, in a build without the `rsa` cargo feature).
    LogKeyUnsupported {
        /// The log's `baseUrl`.
        log: String,
        /// The key's `keyDetails`, and why it cannot be used.
        key: String,
    },
    /// The SCT's hash/signature algorithm pair does not fit the log's key.
    UnsupportedAlgorithm {
        /// The log's `baseUrl`.
        log: String,
        /// `HashAlgorithm` byte (RFC 5246 §7.4.1.4.1).
        hash: u8,
        /// `SignatureAlgorithm` byte.
        signature: u8,
        /// The log key's algorithm.
        key: String,
    },
    /// The CT log's signature over the precertificate does not verify.
    BadSignature {
        /// The log's `baseUrl`.
        log: String,
        /// SCT timestamp, seconds.
        timestamp: UnixTime,
        /// The crypto failure.
        detail: String,
    },
    /// The verified chain has no issuer certificate, so `issuer_key_hash` cannot be computed.
    NoIssuer,
    /// The verified chain does not start with this certificate.
    ChainMismatch,
    /// The precertificate TBSCertificate could not be re-encoded.
    TbsEncoding {
        /// The encoder failure.
        detail: String,
    },
    /// No SCT verified against a CT log of the trusted root.
    NoVerifiedSct {
        /// SCTs in the certificate.
        present: usize,
        /// Of those, SCTs whose log is not in the trusted root.
        unknown_logs: usize,
    },
}

impl SctError {
    /// Stable machine-readable code, `sct.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoSctExtension => "sct.absent",
            Self::Malformed { .. } => "sct.malformed",
            Self::TooMany { .. } => "sct.too-many",
            Self::UnsupportedVersion { .. } => "sct.unsupported-version",
            Self::LogNotValidAt { .. } => "sct.log-not-valid-at-time",
            Self::LogKeyUnsupported { .. } => "sct.log-key-unsupported",
            Self::UnsupportedAlgorithm { .. } => "sct.unsupported-algorithm",
            Self::BadSignature { .. } => "sct.signature-invalid",
            Self::NoIssuer => "sct.no-issuer",
            Self::ChainMismatch => "sct.chain-mismatch",
            Self::TbsEncoding { .. } => "sct.tbs-encoding",
            Self::NoVerifiedSct { .. } => "sct.none-verified",
        }
    }
}

impl fmt::Display for SctError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSctExtension => f.write_str(
                "the signing certificate has no embedded signed certificate timestamps, but the trusted root requires certificate transparency",
            ),
            Self::Malformed { detail } => write!(
                f,
                "the signing certificate's embedded SCT list is malformed: {detail}"
            ),
            Self::TooMany { max } => write!(
                f,
                "the signing certificate embeds more than {max} SCTs"
            ),
            Self::UnsupportedVersion { log, version } => write!(
                f,
                "the SCT from CT log {log} has unsupported version {version} (only v1, encoded as 0, is defined)"
            ),
            Self::LogNotValidAt {
                log,
                timestamp,
                start,
                end,
            } => write!(
                f,
                "the SCT from CT log {log} was issued at {}, outside the log's validity in the trusted root ({} to {})",
                format_rfc3339(*timestamp),
                format_rfc3339(*start),
                end.map_or_else(|| "now".to_owned(), format_rfc3339)
            ),
            Self::LogKeyUnsupported { log, key } => write!(
                f,
                "the trusted root's key for CT log {log} is of an unsupported type ({key})"
            ),
            Self::UnsupportedAlgorithm {
                log,
                hash,
                signature,
                key,
            } => write!(
                f,
                "the SCT from CT log {log} uses hash algorithm {hash} with signature algorithm {signature}, which does not fit the log's {key} key"
            ),
            Self::BadSignature {
                log,
                timestamp,
                detail,
            } => write!(
                f,
                "the SCT from CT log {log} issued at {} does not verify: {detail}",
                format_rfc3339(*timestamp)
            ),
            Self::NoIssuer => f.write_str(
                "cannot check SCTs: the verified certificate chain has no issuing CA certificate",
            ),
            Self::ChainMismatch => f.write_str(
                "cannot check SCTs: the verified certificate chain is not the signing certificate's",
            ),
            Self::TbsEncoding { detail } => write!(
                f,
                "cannot rebuild the precertificate the CT log signed: {detail}"
            ),
            Self::NoVerifiedSct {
                present,
                unknown_logs,
            } => write!(
                f,
                "none of the {present} embedded SCTs verified against a CT log of the trusted root ({unknown_logs} from unknown logs)"
            ),
        }
    }
}

impl std::error::Error for SctError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant: an `sct.` code, a lowercase sentence, no debug output.
    #[test]
    fn every_variant_has_a_code_and_a_readable_sentence() {
        let log = || "https://ctfe.example/2022".to_owned();
        let all = vec![
            SctError::NoSctExtension,
            SctError::Malformed { detail: "d".into() },
            SctError::TooMany { max: 16 },
            SctError::UnsupportedVersion {
                log: log(),
                version: 1,
            },
            SctError::LogNotValidAt {
                log: log(),
                timestamp: 5,
                start: 1,
                end: Some(2),
            },
            SctError::LogKeyUnsupported {
                log: log(),
                key: "PKIX_RSA_PSS_2048_SHA256".into(),
            },
            SctError::UnsupportedAlgorithm {
                log: log(),
                hash: 4,
                signature: 1,
                key: "Ed25519".into(),
            },
            SctError::BadSignature {
                log: log(),
                timestamp: 5,
                detail: "d".into(),
            },
            SctError::NoIssuer,
            SctError::ChainMismatch,
            SctError::TbsEncoding { detail: "d".into() },
            SctError::NoVerifiedSct {
                present: 2,
                unknown_logs: 2,
            },
        ];
        let mut codes: Vec<_> = all.iter().map(SctError::code).collect();
        for e in &all {
            let msg = e.to_string();
            assert!(e.code().starts_with("sct."), "{}", e.code());
            assert!(msg.starts_with(|c: char| !c.is_uppercase()), "{msg}");
            assert!(!msg.contains('{') && !msg.contains("::"), "{msg}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "codes are distinct");
        let open = SctError::LogNotValidAt {
            log: log(),
            timestamp: 5,
            start: 1,
            end: None,
        };
        assert!(
            open.to_string().ends_with("(1970-01-01T00:00:01Z to now)"),
            "{open}"
        );
    }
}
