//! Embedded signed certificate timestamps (RFC 6962 §3.2, §3.3; SPEC §4 "Embedded SCT";
//! sigstore-go `pkg/verify/sct.go`, sigstore-python `sigstore/_internal/sct.py`).

use der::asn1::{ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode};

use super::chain::VerifiedChain;
use super::cert::ParsedCertificate;
use super::sct_error::SctError;
use crate::crypto::{sha256, HashAlgorithm, KeyAlgorithm};
use crate::limits::MAX_SCTS;
use crate::time::UnixTime;
use crate::trust_root::TransparencyLog;

/// The embedded SCT list extension (RFC 6962 §3.3).
const OID_SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
/// The Precertificate Signing Certificate EKU (RFC 6962 §3.1).
const OID_CT_PRECERT_SIGNING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.4");

/// RFC 5246 §7.4.1.4.1 `HashAlgorithm.sha256`.
const HASH_SHA256: u8 = 4;
/// RFC 8446 §4.2.3 `ed25519` (0x0807): "hash" byte 8 (intrinsic).
const HASH_INTRINSIC: u8 = 8;
/// RFC 5246 §7.4.1.4.1 `SignatureAlgorithm.ecdsa`.
const SIG_ECDSA: u8 = 3;
/// RFC 8446 §4.2.3 `ed25519` (0x0807): signature byte 7.
const SIG_ED25519: u8 = 7;

/// A bounded reader for the TLS presentation language (RFC 5246 §4): every read checks
/// the remaining length, and [`TlsReader::finish`] rejects trailing bytes.
struct TlsReader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> TlsReader<'a> {
    fn new(input: &'a [u8], what: &'static str) -> Self {
        Self { rest: input, what }
    }

    fn err(&self, detail: &str) -> SctError {
        SctError::Malformed {
            detail: format!("{}: {detail}", self.what),
        }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], SctError> {
        if n > self.rest.len() {
            return Err(self.err(&format!(
                "needs {n} more bytes but only {} remain",
                self.rest.len()
            )));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SctError> {
        let b = self.bytes(N)?;
        b.try_into().map_err(|_| self.err("short read"))
    }

    fn u8(&mut self) -> Result<u8, SctError> {
        Ok(u8::from_be_bytes(self.array::<1>()?))
    }

    fn u16(&mut self) -> Result<u16, SctError> {
        Ok(u16::from_be_bytes(self.array::<2>()?))
    }

    fn u64(&mut self) -> Result<u64, SctError> {
        Ok(u64::from_be_bytes(self.array::<8>()?))
    }

    /// `opaque x<0..2^16-1>`: a u16 length, then that many bytes.
    fn vec16(&mut self) -> Result<&'a [u8], SctError> {
        let len = self.u16()?;
        self.bytes(usize::from(len))
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn finish(self) -> Result<(), SctError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.err(&format!("{} trailing bytes", self.rest.len())))
        }
    }
}

/// One `SignedCertificateTimestamp` (RFC 6962 §3.2):
/// ```text
/// struct {
///     Version sct_version;              // u8, v1(0)
///     LogID id;                         // opaque key_id[32]
///     uint64 timestamp;                 // ms since the epoch
///     CtExtensions extensions;          // opaque<0..2^16-1>
///     digitally-signed struct { ... };  // u8 hash, u8 sig, opaque signature<0..2^16-1>
/// } SignedCertificateTimestamp;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sct {
    pub(crate) version: u8,
    pub(crate) log_id: [u8; 32],
    pub(crate) timestamp_ms: u64,
    pub(crate) extensions: Vec<u8>,
    pub(crate) hash_alg: u8,
    pub(crate) sig_alg: u8,
    pub(crate) signature: Vec<u8>,
}

fn parse_sct(bytes: &[u8]) -> Result<Sct, SctError> {
    let mut r = TlsReader::new(bytes, "SCT");
    let version = r.u8()?;
    // RFC 6962 §3.2 defines only v1; a later version would have another layout, so
    // stop before reading fields that may not exist.
    if version != 0 {
        return Ok(Sct {
            version,
            log_id: r.array::<32>()?,
            timestamp_ms: 0,
            extensions: Vec::new(),
            hash_alg: 0,
            sig_alg: 0,
            signature: Vec::new(),
        });
    }
    let log_id = r.array::<32>()?;
    let timestamp_ms = r.u64()?;
    let extensions = r.vec16()?.to_vec();
    let hash_alg = r.u8()?;
    let sig_alg = r.u8()?;
    let signature = r.vec16()?.to_vec();
    r.finish()?;
    Ok(Sct {
        version,
        log_id,
        timestamp_ms,
        extensions,
        hash_alg,
        sig_alg,
        signature,
    })
}

/// Parses the TLS `SignedCertificateTimestampList` (RFC 6962 §3.3):
/// ```text
/// opaque SerializedSCT<1..2^16-1>;
/// struct { SerializedSCT sct_list <1..2^16-1>; } SignedCertificateTimestampList;
/// ```
/// At most [`MAX_SCTS`] entries; every length is checked and trailing bytes rejected.
pub(crate) fn parse_sct_list(bytes: &[u8]) -> Result<Vec<Sct>, SctError> {
    let mut outer = TlsReader::new(bytes, "SCT list");
    let list = outer.vec16()?;
    outer.finish()?;
    if list.is_empty() {
        return Err(SctError::Malformed {
            detail: "SCT list: empty (RFC 6962 §3.3 requires at least one)".into(),
        });
    }
    let mut r = TlsReader::new(list, "SCT list");
    let mut scts = Vec::new();
    while !r.is_empty() {
        if scts.len() >= MAX_SCTS {
            return Err(SctError::TooMany { max: MAX_SCTS });
        }
        let one = r.vec16()?;
        if one.is_empty() {
            return Err(SctError::Malformed {
                detail: "SCT list: empty SerializedSCT".into(),
            });
        }
        scts.push(parse_sct(one)?);
    }
    Ok(scts)
}

/// The SCT list of `leaf`, from its extension 1.3.6.1.4.1.11129.2.4.2, whose extnValue
/// OCTET STRING holds a DER OCTET STRING holding the TLS list (RFC 6962 §3.3).
/// `Ok(None)` when the extension is absent.
pub(crate) fn embedded_scts(leaf: &ParsedCertificate) -> Result<Option<Vec<Sct>>, SctError> {
    let Some((_, value)) = leaf.extension(&OID_SCT_LIST) else {
        return Ok(None);
    };
    let inner = OctetStringRef::from_der(value).map_err(|e| SctError::Malformed {
        detail: format!("SCT list extension is not a DER OCTET STRING: {e}"),
    })?;
    parse_sct_list(inner.as_bytes()).map(Some)
}

/// The TBSCertificate the CT log signed: the leaf's, re-encoded with the SCT list
/// extension removed, other extensions in order (RFC 6962 §3.2 "the
/// TBSCertificate component of the Precertificate"; `cryptography`
/// `tbs_precertificate_bytes`).
fn precert_tbs(leaf: &ParsedCertificate) -> Result<Vec<u8>, SctError> {
    let mut tbs = leaf.inner().tbs_certificate.clone();
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| e.extn_id != OID_SCT_LIST);
        // RFC 5280 §4.1: Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension.
        if exts.is_empty() {
            tbs.extensions = None;
        }
    }
    tbs.to_der().map_err(|e| SctError::TbsEncoding {
        detail: e.to_string(),
    })
}

/// The `issuer_key_hash` (RFC 6962 §3.2): SHA-256 of the issuer's SPKI. If the issuer
/// is a Precertificate Signing Certificate (EKU 1.3.6.1.4.1.11129.2.4.4), the key is
/// that of the CA above it (RFC 6962 §3.1).
fn issuer_key_hash(chain: &VerifiedChain) -> Result<[u8; 32], SctError> {
    let issuer = chain.issuer().ok_or(SctError::NoIssuer)?;
    let issuer = if issuer
        .ext_key_usage()
        .is_some_and(|e| e.contains(&OID_CT_PRECERT_SIGNING))
    {
        chain.path.get(2).ok_or(SctError::NoIssuer)?
    } else {
        issuer
    };
    Ok(sha256(&issuer.spki_der()))
}

/// The `digitally-signed` input for a precert entry (RFC 6962 §3.2):
/// ```text
/// version(0) || signature_type(0 = certificate_timestamp) || timestamp u64 ||
/// entry_type u16 (1 = precert_entry) || issuer_key_hash[32] || u24 len || TBS ||
/// u16 len || extensions
/// ```
fn signed_data(
    sct: &Sct,
    issuer_key_hash: &[u8; 32],
    tbs: &[u8],
) -> Result<Vec<u8>, SctError> {
    let tbs_len = u32::try_from(tbs.len())
        .ok()
        .filter(|l| *l < (1 << 24))
        .ok_or_else(|| SctError::TbsEncoding {
            detail: "TBSCertificate longer than 2^24-1 bytes".into(),
        })?;
    let ext_len = u16::try_from(sct.extensions.len()).map_err(|_| SctError::Malformed {
        detail: "SCT: extensions longer than 2^16-1 bytes".into(),
    })?;
    let mut out = Vec::with_capacity(tbs.len().saturating_add(sct.extensions.len()).saturating_add(64));
    out.push(sct.version);
    out.push(0); // signature_type = certificate_timestamp
    out.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // entry_type = precert_entry
    out.extend_from_slice(issuer_key_hash);
    out.extend_from_slice(tbs_len.to_be_bytes().get(1..).unwrap_or_default());
    out.extend_from_slice(tbs);
    out.extend_from_slice(&ext_len.to_be_bytes());
    out.extend_from_slice(&sct.extensions);
    Ok(out)
}

/// What [`verify_embedded_scts`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SctSummary {
    /// SCTs whose signature verified with a CT log of the trusted root.
    pub verified: usize,
    /// The distinct `log_id`s of those logs, in the order first seen.
    pub log_ids: Vec<Vec<u8>>,
}

/// Verifies the SCTs embedded in `leaf` against the trusted root's CT logs.
///
/// Every SCT whose `log_id` matches a log in `ctlogs` must verify: its timestamp must be
/// within the log's `validFor`, it must be v1, sha256+ECDSA (or Ed25519 for an Ed25519
/// log key), and the log's signature over the precertificate must verify; any failure is
/// an error, never skipped. SCTs from other logs are not counted. With a non-empty
/// `ctlogs`, a certificate without SCTs is [`SctError::NoSctExtension`] and one where
/// nothing verified is [`SctError::NoVerifiedSct`]; the caller enforces its threshold on
/// [`SctSummary::verified`].
pub fn verify_embedded_scts(
    leaf: &ParsedCertificate,
    chain: &VerifiedChain,
    ctlogs: &[TransparencyLog],
) -> Result<SctSummary, SctError> {
    if chain.path.first().map(ParsedCertificate::der) != Some(leaf.der()) {
        return Err(SctError::ChainMismatch);
    }
    let empty = SctSummary {
        verified: 0,
        log_ids: Vec::new(),
    };
    let Some(scts) = embedded_scts(leaf)? else {
        return if ctlogs.is_empty() {
            Ok(empty)
        } else {
            Err(SctError::NoSctExtension)
        };
    };
    let mut summary = empty;
    let mut unknown_logs = 0usize;
    // Computed once, and only when an SCT names a known log.
    let mut precert: Option<([u8; 32], Vec<u8>)> = None;
    for sct in &scts {
        // sigstore-go `VerifySignedCertificateTimestamp`: the log is looked up by
        // LogID = SHA-256 of its key, as the trusted root's `logId.keyId` records it.
        let Some(log) = ctlogs.iter().find(|l| l.log_id.as_slice() == sct.log_id) else {
            unknown_logs = unknown_logs.saturating_add(1);
            continue;
        };
        let name = || log.base_url.clone();
        if sct.version != 0 {
            return Err(SctError::UnsupportedVersion {
                log: name(),
                version: sct.version,
            });
        }
        // The timestamp is in milliseconds (RFC 6962 §3.2); `validFor` in seconds.
        let timestamp = UnixTime::try_from(sct.timestamp_ms / 1000).unwrap_or(UnixTime::MAX);
        if !log.valid_for.contains(timestamp) {
            return Err(SctError::LogNotValidAt {
                log: name(),
                timestamp,
                start: log.valid_for.start,
                end: log.valid_for.end,
            });
        }
        let key = log
            .public_key
            .as_ref()
            .ok_or_else(|| SctError::LogKeyUnsupported { log: name() })?;
        let fits = match key.algorithm() {
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => {
                (sct.hash_alg, sct.sig_alg) == (HASH_SHA256, SIG_ECDSA)
            }
            KeyAlgorithm::Ed25519 => (sct.hash_alg, sct.sig_alg) == (HASH_INTRINSIC, SIG_ED25519),
        };
        if !fits {
            return Err(SctError::UnsupportedAlgorithm {
                log: name(),
                hash: sct.hash_alg,
                signature: sct.sig_alg,
                key: key.algorithm().to_string(),
            });
        }
        let (key_hash, tbs) = match &precert {
            Some(p) => p,
            None => precert.insert((issuer_key_hash(chain)?, precert_tbs(leaf)?)),
        };
        let message = signed_data(sct, key_hash, tbs)?;
        key.verify(HashAlgorithm::Sha256, &message, &sct.signature)
            .map_err(|e| SctError::BadSignature {
                log: name(),
                timestamp,
                detail: e.to_string(),
            })?;
        summary.verified = summary.verified.saturating_add(1);
        if !summary.log_ids.iter().any(|id| id.as_slice() == sct.log_id) {
            summary.log_ids.push(sct.log_id.to_vec());
        }
    }
    if summary.verified == 0 && !ctlogs.is_empty() {
        return Err(SctError::NoVerifiedSct {
            present: scts.len(),
            unknown_logs,
        });
    }
    Ok(summary)
}
