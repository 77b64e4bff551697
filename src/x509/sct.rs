//! Embedded signed certificate timestamps (RFC 6962 §3.2, §3.3;
//! sigstore-go `pkg/verify/sct.go`, sigstore-python `sigstore/_internal/sct.py`).

use der::asn1::{ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode};

use super::cert::ParsedCertificate;
use super::chain::VerifiedChain;
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
/// RFC 5246 §7.4.1.4.1 `SignatureAlgorithm.rsa` (RSASSA-PKCS1-v1_5).
const SIG_RSA: u8 = 1;
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
fn signed_data(sct: &Sct, issuer_key_hash: &[u8; 32], tbs: &[u8]) -> Result<Vec<u8>, SctError> {
    let tbs_len = u32::try_from(tbs.len())
        .ok()
        .filter(|l| *l < (1 << 24))
        .ok_or_else(|| SctError::TbsEncoding {
            detail: "TBSCertificate longer than 2^24-1 bytes".into(),
        })?;
    let ext_len = u16::try_from(sct.extensions.len()).map_err(|_| SctError::Malformed {
        detail: "SCT: extensions longer than 2^16-1 bytes".into(),
    })?;
    let mut out = Vec::with_capacity(
        tbs.len()
            .saturating_add(sct.extensions.len())
            .saturating_add(64),
    );
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
            .ok_or_else(|| SctError::LogKeyUnsupported {
                log: name(),
                key: log.key_details.clone(),
            })?;
        // An RSA log key in a build without the `rsa` cargo feature.
        key.check_usable()
            .map_err(|e| SctError::LogKeyUnsupported {
                log: name(),
                key: format!("{}; {e}", log.key_details),
            })?;
        let fits = match key.algorithm() {
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => {
                (sct.hash_alg, sct.sig_alg) == (HASH_SHA256, SIG_ECDSA)
            }
            KeyAlgorithm::Ed25519 => (sct.hash_alg, sct.sig_alg) == (HASH_INTRINSIC, SIG_ED25519),
            // RFC 6962 §2.1.4: logs sign "using either ECDSA with NIST P-256 or RSA
            // (RSASSA-PKCS1-V1_5) with SHA-256".
            KeyAlgorithm::RsaPkcs1v15 { .. } => {
                (sct.hash_alg, sct.sig_alg) == (HASH_SHA256, SIG_RSA)
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::PublicKey;
    use crate::testutil::{corpus_extra, mutate_all, vendored, PRODUCTION_ROOT};
    use crate::x509::chain::{verify_chain, EKU_CODE_SIGNING};
    use crate::x509::test_support::{
        authorities, bundle_certs, conformance_case, ctlogs, ext, happy_path_v01, integrated_time,
        json, key, mint, production_leaf_cases, MintedFulcio, SCT_EXTENSIONS,
    };
    use serde_json::Value;
    use std::path::Path;

    fn parse(der: &[u8]) -> ParsedCertificate {
        ParsedCertificate::from_der(der).unwrap()
    }

    /// (leaf, verified chain, ctlogs) of a bundle and its trusted root.
    type Verified = (ParsedCertificate, VerifiedChain, Vec<TransparencyLog>);

    fn verified_case(bundle: &Value, root: &Value) -> Verified {
        let leaf = parse(&bundle_certs(bundle)[0]);
        let chain = verify_chain(
            &leaf,
            &[],
            &authorities(root, "certificateAuthorities"),
            integrated_time(bundle).unwrap(),
            EKU_CODE_SIGNING,
        )
        .unwrap();
        (leaf, chain, ctlogs(root))
    }

    /// A conformance case of the corpus.
    fn verified(corpus: &Path, case: &str) -> Verified {
        let (bundle, root) = conformance_case(corpus, case);
        verified_case(&bundle, &root)
    }

    /// The vendored conformance beacon leaf (`happy-path-v0.1`, production), plus the
    /// corpus's `happy-path-v0.3` when `RULEPACK_CORPUS` is set.
    fn beacon_leaves(test: &str) -> Vec<Verified> {
        let (bundle, root) = happy_path_v01();
        let mut out = vec![verified_case(&bundle, &root)];
        if let Some(corpus) = corpus_extra(test) {
            out.push(verified(&corpus, "happy-path-v0.3"));
        }
        out
    }

    /// `chain` with its leaf replaced.
    fn with_leaf(chain: &VerifiedChain, leaf: &ParsedCertificate) -> VerifiedChain {
        let mut c = chain.clone();
        c.path[0] = leaf.clone();
        c
    }

    fn flip_in(der: &[u8], needle: &[u8], offset_from_end: usize) -> Vec<u8> {
        let at = der.windows(needle.len()).position(|w| w == needle).unwrap();
        let mut out = der.to_vec();
        out[at + needle.len() - 1 - offset_from_end] ^= 0x01;
        out
    }

    fn sct_list_bytes(leaf: &ParsedCertificate) -> Vec<u8> {
        let (_, v) = leaf.extension(&OID_SCT_LIST).unwrap();
        OctetStringRef::from_der(v).unwrap().as_bytes().to_vec()
    }

    #[test]
    fn real_scts_verify_with_the_production_ct_log() {
        let mut cases: Vec<(String, Verified)> = production_leaf_cases()
            .iter()
            .map(|(name, bundle, root)| (name.clone(), verified_case(bundle, root)))
            .collect();
        assert!(cases.len() >= 10, "{}", cases.len());
        if let Some(corpus) = corpus_extra("x509::sct::real_scts_verify") {
            for case in [
                "happy-path-v0.1",
                "happy-path-v0.2",
                "happy-path-v0.3",
                "happy-path-v0.3-new-mediaType",
                "happy-path-intoto-in-dsse-v3",
            ] {
                cases.push((case.to_owned(), verified(&corpus, case)));
            }
        }
        for (case, (leaf, chain, logs)) in &cases {
            let (leaf, chain) = (leaf.clone(), chain.clone());
            let summary =
                verify_embedded_scts(&leaf, &chain, logs).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert!(summary.verified >= 1, "{case}");
            // ctfe.sigstore.dev/2022 (the 2021 test log ended 2022-10-31).
            let ctfe_2022 = logs.iter().find(|l| l.base_url.ends_with("/2022")).unwrap();
            assert_eq!(summary.log_ids, vec![ctfe_2022.log_id.clone()], "{case}");
            // Without CT logs in the trusted root nothing is checked or counted.
            let none = verify_embedded_scts(&leaf, &chain, &[]).unwrap();
            assert_eq!(none.verified, 0);
            // Only an unrelated log: the SCT is from an unknown log.
            let other: Vec<_> = logs
                .iter()
                .filter(|l| !l.base_url.ends_with("/2022"))
                .cloned()
                .collect();
            assert_eq!(
                verify_embedded_scts(&leaf, &chain, &other),
                Err(SctError::NoVerifiedSct {
                    present: 1,
                    unknown_logs: 1
                })
            );
        }
    }

    /// An SCT whose `extensions` are not empty (they are part of the signed data): on
    /// a leaf minted here under a P-256 root.
    #[test]
    fn sct_with_non_empty_extensions_verifies() {
        let m = MintedFulcio::p256();
        sct_with_non_empty_extensions_verifies_on(&m.leaf, &[m.authority()], &[m.ctlog]);
    }

    /// The same under an RSA root (sha256WithRSAEncryption): minted here (RSA-2048), and
    /// the corpus's conformance case `bundle-with-sct-with-extensions` (RSA-4096).
    #[test]
    fn rsa_root_sct_with_non_empty_extensions_verifies() {
        let m = MintedFulcio::rsa();
        sct_with_non_empty_extensions_verifies_on(&m.leaf, &[m.authority()], &[m.ctlog]);
        if let Some(corpus) = corpus_extra("x509::sct::sct_with_non_empty_extensions_verifies") {
            let (bundle, root) = conformance_case(&corpus, "bundle-with-sct-with-extensions");
            sct_with_non_empty_extensions_verifies_on(
                &bundle_certs(&bundle)[0],
                &authorities(&root, "certificateAuthorities"),
                &ctlogs(&root),
            );
        }
    }

    fn sct_with_non_empty_extensions_verifies_on(
        der: &[u8],
        cas: &[crate::trust_root::CertificateAuthority],
        logs: &[TransparencyLog],
    ) {
        let leaf = parse(der);
        let chain =
            verify_chain(&leaf, &[], cas, leaf.not_before() + 60, EKU_CODE_SIGNING).unwrap();
        assert_eq!(chain.path[1].der(), &cas[0].cert_chain[0][..]);
        let scts = embedded_scts(&leaf).unwrap().unwrap();
        assert_eq!(scts.len(), 1);
        // openssl (on the corpus case): "Extensions: 00:00:05:00:00:00:00:70".
        assert_eq!(scts[0].extensions, SCT_EXTENSIONS);
        let summary = verify_embedded_scts(&leaf, &chain, logs).unwrap();
        assert_eq!(summary.verified, 1);
        assert_eq!(summary.log_ids, vec![logs[0].log_id.clone()]);
        // The extensions are signed: one flipped bit of them breaks the SCT.
        let bad = parse(&flip_in(der, &SCT_EXTENSIONS, 0));
        let e = verify_embedded_scts(&bad, &with_leaf(&chain, &bad), logs).unwrap_err();
        assert_eq!(e.code(), "sct.signature-invalid", "{e}");
    }

    /// An SCT from a CT log with an RSA key (RFC 6962 §2.1.4: RSASSA-PKCS1-v1_5 with
    /// SHA-256, `SignatureAndHashAlgorithm` {sha256(4), rsa(1)}). The real leaf's SCT
    /// list is replaced by one signed in-test with the RSA-2048 test key of
    /// `testdata/rsa/`; the precertificate TBS, which excludes that extension, is the
    /// real one.
    #[test]
    fn rsa_ct_log_sct_verifies() {
        for (leaf, chain, logs) in beacon_leaves("x509::sct::rsa_ct_log_sct_verifies") {
            rsa_ct_log_sct_verifies_on(&leaf, &chain, &logs);
        }
    }

    fn rsa_ct_log_sct_verifies_on(
        leaf: &ParsedCertificate,
        chain: &VerifiedChain,
        logs: &[TransparencyLog],
    ) {
        use der::Encode;
        use rsa::pkcs8::DecodePrivateKey;
        let real = embedded_scts(leaf).unwrap().unwrap().remove(0);
        let file = |n: &str| {
            std::fs::read(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("testdata/rsa")
                    .join(n),
            )
            .unwrap()
        };
        let key = PublicKey::from_spki_der(&file("rsa2048.spki.der")).unwrap();
        let signer =
            rsa::RsaPrivateKey::from_pkcs8_der(&file("rsa2048-test-only.pk8.der")).unwrap();
        let mut log = logs
            .iter()
            .find(|l| l.log_id == real.log_id)
            .unwrap()
            .clone();
        log.public_key = Some(key.clone());
        log.log_id = sha256(key.spki_der()).to_vec();

        // (hash, signature) bytes and whether to corrupt the signature.
        let leaf_with = |hash: u8, sig_alg: u8, corrupt: bool| {
            let sct = Sct {
                log_id: log.log_id.clone().try_into().unwrap(),
                hash_alg: hash,
                sig_alg,
                signature: Vec::new(),
                ..real.clone()
            };
            let msg = signed_data(
                &sct,
                &issuer_key_hash(chain).unwrap(),
                &precert_tbs(leaf).unwrap(),
            )
            .unwrap();
            let mut sig = signer
                .sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &sha256(&msg))
                .unwrap();
            if corrupt {
                sig[7] ^= 0x20;
            }
            let mut tls = vec![sct.version];
            tls.extend_from_slice(&sct.log_id);
            tls.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
            tls.extend_from_slice(&(sct.extensions.len() as u16).to_be_bytes());
            tls.extend_from_slice(&sct.extensions);
            tls.extend_from_slice(&[hash, sig_alg]);
            tls.extend_from_slice(&(sig.len() as u16).to_be_bytes());
            tls.extend_from_slice(&sig);
            let value = der::asn1::OctetString::new(list(&[tls])).unwrap();
            let mut c = x509_cert::Certificate::from_der(leaf.der()).unwrap();
            let ext = c
                .tbs_certificate
                .extensions
                .as_mut()
                .unwrap()
                .iter_mut()
                .find(|e| e.extn_id == OID_SCT_LIST)
                .unwrap();
            ext.extn_value = der::asn1::OctetString::new(value.to_der().unwrap()).unwrap();
            parse(&c.to_der().unwrap())
        };
        let check = |l: &ParsedCertificate| {
            verify_embedded_scts(l, &with_leaf(chain, l), std::slice::from_ref(&log))
        };
        let good = leaf_with(HASH_SHA256, SIG_RSA, false);
        assert_eq!(precert_tbs(&good).unwrap(), precert_tbs(leaf).unwrap());
        let summary = check(&good).unwrap();
        assert_eq!(summary.verified, 1);
        assert_eq!(summary.log_ids, vec![log.log_id.clone()]);
        // One flipped bit of the RSA signature.
        assert_eq!(
            check(&leaf_with(HASH_SHA256, SIG_RSA, true))
                .unwrap_err()
                .code(),
            "sct.signature-invalid"
        );
        // An SCT labelled ECDSA (or SHA-384) under the RSA log key does not fit.
        for (hash, sig_alg) in [(HASH_SHA256, SIG_ECDSA), (5, SIG_RSA)] {
            assert_eq!(
                check(&leaf_with(hash, sig_alg, false)).unwrap_err().code(),
                "sct.unsupported-algorithm"
            );
        }
        // The real ECDSA SCT does not verify under the RSA key (same log id).
        let mut l = logs.to_vec();
        let idx = l.iter().position(|x| x.log_id == real.log_id).unwrap();
        l[idx].public_key = Some(key);
        assert_eq!(
            verify_embedded_scts(leaf, chain, &l).unwrap_err().code(),
            "sct.unsupported-algorithm"
        );
    }

    #[test]
    fn one_flipped_byte_breaks_the_sct() {
        for (leaf, chain, logs) in beacon_leaves("x509::sct::one_flipped_byte_breaks_the_sct") {
            one_flipped_byte_breaks_the_sct_on(&leaf, &chain, &logs);
        }
    }

    fn one_flipped_byte_breaks_the_sct_on(
        leaf: &ParsedCertificate,
        chain: &VerifiedChain,
        logs: &[TransparencyLog],
    ) {
        let sct = embedded_scts(leaf).unwrap().unwrap().remove(0);

        // The SCT signature (last byte of the DER ECDSA signature, inside `s`).
        let bad = parse(&flip_in(leaf.der(), &sct.signature, 0));
        let e = verify_embedded_scts(&bad, &with_leaf(chain, &bad), logs).unwrap_err();
        assert_eq!(e.code(), "sct.signature-invalid", "{e}");
        assert!(e.to_string().contains("ctfe.sigstore.dev/2022"), "{e}");

        // The TBS (a Fulcio extension's text).
        let bad = parse(&flip_in(leaf.der(), b"Extremely dangerous OIDC beacon", 3));
        let e = verify_embedded_scts(&bad, &with_leaf(chain, &bad), logs).unwrap_err();
        assert_eq!(e.code(), "sct.signature-invalid", "{e}");

        // The SCT timestamp (its last byte).
        let ts = sct.timestamp_ms.to_be_bytes();
        let bad = parse(&flip_in(leaf.der(), &ts, 0));
        let e = verify_embedded_scts(&bad, &with_leaf(chain, &bad), logs).unwrap_err();
        assert_eq!(e.code(), "sct.signature-invalid", "{e}");

        // The issuer's key (last byte of the intermediate's SPKI).
        let issuer = chain.issuer().unwrap();
        let mut other = chain.clone();
        other.path[1] = parse(&flip_in(issuer.der(), &issuer.spki_der(), 0));
        let e = verify_embedded_scts(leaf, &other, logs).unwrap_err();
        assert_eq!(e.code(), "sct.signature-invalid", "{e}");
    }

    #[test]
    fn log_window_key_and_algorithm_are_enforced() {
        for (leaf, chain, logs) in beacon_leaves("x509::sct::log_window_key_and_algorithm") {
            log_window_key_and_algorithm_are_enforced_on(&leaf, &chain, &logs);
        }
    }

    fn log_window_key_and_algorithm_are_enforced_on(
        leaf: &ParsedCertificate,
        chain: &VerifiedChain,
        logs: &[TransparencyLog],
    ) {
        let (leaf, chain, logs) = (leaf.clone(), chain.clone(), logs.to_vec());
        let sct = embedded_scts(&leaf).unwrap().unwrap().remove(0);
        let ts = UnixTime::try_from(sct.timestamp_ms / 1000).unwrap();
        let idx = logs.iter().position(|l| l.log_id == sct.log_id).unwrap();

        let mut l = logs.clone();
        l[idx].valid_for.end = Some(ts - 1);
        let e = verify_embedded_scts(&leaf, &chain, &l).unwrap_err();
        assert_eq!(e.code(), "sct.log-not-valid-at-time", "{e}");
        l[idx].valid_for.end = Some(ts);
        verify_embedded_scts(&leaf, &chain, &l).unwrap();
        l[idx].valid_for.start = ts + 1;
        l[idx].valid_for.end = None;
        assert_eq!(
            verify_embedded_scts(&leaf, &chain, &l).unwrap_err().code(),
            "sct.log-not-valid-at-time"
        );

        let mut l = logs.clone();
        l[idx].public_key = None;
        assert_eq!(
            verify_embedded_scts(&leaf, &chain, &l).unwrap_err().code(),
            "sct.log-key-unsupported"
        );
        // An Ed25519 key under the same log id: sha256/ECDSA does not fit.
        l[idx].public_key = Some(PublicKey::from_ed25519_raw(&[0x11; 32]).unwrap());
        assert_eq!(
            verify_embedded_scts(&leaf, &chain, &l).unwrap_err().code(),
            "sct.unsupported-algorithm"
        );
        // A different P-256 key under the same log id.
        let k = key(4);
        let spki = p256::pkcs8::EncodePublicKey::to_public_key_der(k.verifying_key()).unwrap();
        l[idx].public_key = Some(PublicKey::from_spki_der(spki.as_bytes()).unwrap());
        assert_eq!(
            verify_embedded_scts(&leaf, &chain, &l).unwrap_err().code(),
            "sct.signature-invalid"
        );

        // A chain that belongs to another certificate, or has no issuer.
        let k = key(6);
        let stranger = parse(&mint("CN=s", &k, "CN=s", &k, (0, 10), vec![]));
        assert_eq!(
            verify_embedded_scts(&stranger, &chain, &logs),
            Err(SctError::ChainMismatch)
        );
        let lone = VerifiedChain {
            authority_index: 0,
            path: vec![leaf.clone()],
        };
        assert_eq!(
            verify_embedded_scts(&leaf, &lone, &logs),
            Err(SctError::NoIssuer)
        );
    }

    #[test]
    fn certificate_without_scts() {
        // The production CT logs (vendored trusted root).
        let logs = ctlogs(&json(&vendored(PRODUCTION_ROOT)));
        assert!(!logs.is_empty());
        let k = key(8);
        let leaf = parse(&mint("CN=l", &k, "CN=i", &k, (0, 10), vec![]));
        let ca = parse(&mint("CN=i", &k, "CN=i", &k, (0, 10), vec![]));
        let chain = VerifiedChain {
            authority_index: 0,
            path: vec![leaf.clone(), ca],
        };
        assert_eq!(
            verify_embedded_scts(&leaf, &chain, &logs),
            Err(SctError::NoSctExtension)
        );
        assert_eq!(
            verify_embedded_scts(&leaf, &chain, &[]).unwrap().verified,
            0
        );
    }

    #[test]
    fn precert_signing_issuer_defers_to_the_ca_above() {
        let k = key(10);
        let eku = x509_cert::ext::pkix::ExtendedKeyUsage(vec![OID_CT_PRECERT_SIGNING]);
        let leaf = parse(&mint("CN=l", &key(11), "CN=p", &k, (0, 10), vec![]));
        let precert_ca = parse(&mint(
            "CN=p",
            &k,
            "CN=r",
            &key(12),
            (0, 10),
            vec![ext("2.5.29.37", false, &eku)],
        ));
        let root = parse(&mint("CN=r", &key(12), "CN=r", &key(12), (0, 10), vec![]));
        let chain = VerifiedChain {
            authority_index: 0,
            path: vec![leaf.clone(), precert_ca.clone(), root.clone()],
        };
        assert_eq!(issuer_key_hash(&chain), Ok(sha256(&root.spki_der())));
        let direct = VerifiedChain {
            authority_index: 0,
            path: vec![leaf.clone(), root.clone()],
        };
        assert_eq!(issuer_key_hash(&direct), Ok(sha256(&root.spki_der())));
        let short = VerifiedChain {
            authority_index: 0,
            path: vec![leaf, precert_ca],
        };
        assert_eq!(issuer_key_hash(&short), Err(SctError::NoIssuer));
    }

    /// A v1 SCT in TLS encoding.
    fn sct_bytes(ext: &[u8], sig: &[u8]) -> Vec<u8> {
        let mut s = vec![0u8];
        s.extend_from_slice(&[0xab; 32]);
        s.extend_from_slice(&1_700_000_000_000u64.to_be_bytes());
        s.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        s.extend_from_slice(ext);
        s.extend_from_slice(&[HASH_SHA256, SIG_ECDSA]);
        s.extend_from_slice(&(sig.len() as u16).to_be_bytes());
        s.extend_from_slice(sig);
        s
    }

    fn list(scts: &[Vec<u8>]) -> Vec<u8> {
        let mut body = Vec::new();
        for s in scts {
            body.extend_from_slice(&(s.len() as u16).to_be_bytes());
            body.extend_from_slice(s);
        }
        let mut out = (body.len() as u16).to_be_bytes().to_vec();
        out.extend(body);
        out
    }

    #[test]
    fn tls_list_parser_bounds_and_lengths() {
        let one = sct_bytes(b"ext", b"sig");
        let parsed = parse_sct_list(&list(&[one.clone(), one.clone()])).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].log_id, [0xab; 32]);
        assert_eq!(parsed[0].timestamp_ms, 1_700_000_000_000);
        assert_eq!(parsed[0].extensions, b"ext");
        assert_eq!(parsed[0].signature, b"sig");
        let malformed = |b: &[u8]| parse_sct_list(b).unwrap_err().code();
        // Empty list, empty SCT, absent input.
        assert_eq!(malformed(&[0, 0]), "sct.malformed");
        assert_eq!(malformed(&[0, 2, 0, 0]), "sct.malformed");
        assert_eq!(malformed(&[]), "sct.malformed");
        // Trailing bytes after the list, and inside an SCT.
        let mut l = list(std::slice::from_ref(&one));
        l.push(0);
        assert_eq!(malformed(&l), "sct.malformed");
        let mut long = one.clone();
        long.push(0);
        assert_eq!(malformed(&list(&[long])), "sct.malformed");
        // Truncated list length and truncated SCT body.
        let l = list(std::slice::from_ref(&one));
        assert_eq!(malformed(&l[..l.len() - 1]), "sct.malformed");
        let short = &one[..one.len() - 1];
        assert_eq!(malformed(&list(&[short.to_vec()])), "sct.malformed");
        // Too many.
        let many = vec![one.clone(); MAX_SCTS + 1];
        assert_eq!(
            parse_sct_list(&list(&many)),
            Err(SctError::TooMany { max: MAX_SCTS })
        );
        assert_eq!(
            parse_sct_list(&list(&many[..MAX_SCTS])).unwrap().len(),
            MAX_SCTS
        );
        // A later version keeps its log id (so a trusted log can report it) and is
        // not parsed further.
        let mut v2 = one;
        v2[0] = 1;
        v2.push(0xff);
        let p = parse_sct_list(&list(&[v2])).unwrap();
        assert_eq!((p[0].version, p[0].log_id), (1, [0xab; 32]));
    }

    #[test]
    fn mutated_real_sct_lists_and_leaves_never_panic() {
        let (leaf, chain, logs) =
            beacon_leaves("x509::sct::mutated_real_sct_lists_never_panic").remove(0);
        // Other SCT lists: the minted one with extensions, and the corpus's.
        let mut others = vec![parse(&MintedFulcio::p256().leaf)];
        if let Some(corpus) = corpus_extra("x509::sct::mutated_real_sct_lists_never_panic") {
            let (leaf, ..) = verified(&corpus, "happy-path-v0.3");
            let (bundle, _) = conformance_case(&corpus, "bundle-with-sct-with-extensions");
            others.push(leaf);
            others.push(parse(&bundle_certs(&bundle)[0]));
        }
        let mut tried = 0;
        for l in std::iter::once(&leaf).chain(&others) {
            tried += mutate_all(&sct_list_bytes(l), parse_sct_list);
        }
        // A sample of single-bit flips of the leaf goes through SCT verification
        // (`cert.rs` runs the full `mutate_all` over certificate parsing).
        let der = leaf.der().to_vec();
        for i in (0..der.len()).step_by(5) {
            let mut d = der.clone();
            d[i] ^= 0x04;
            if let Ok(m) = ParsedCertificate::from_der(&d) {
                let _ = verify_embedded_scts(&m, &with_leaf(&chain, &m), &logs);
                tried += 1;
            }
        }
        assert!(tried > 1000, "{tried}");
    }
}

#[cfg(test)]
mod real_corpus {
    use super::*;
    use crate::testutil::{corpus_extra, vendored, vendored_index};
    use crate::trust_root::TrustedRoot;
    use crate::x509::chain::{verify_chain, EKU_CODE_SIGNING};
    use crate::x509::test_support::{authorities, bundle_certs, ctlogs, integrated_time, json};
    use serde_json::Value;
    use std::path::Path;

    /// Real bundles of the corpus whose certificate is expected to be rejected here,
    /// with the code and the reason.
    const EXPECTED_FAILURES: [(&str, &str, &str); 1] = [(
        "sigstore-python/test/assets/tsa/bundle.txt.late_timestamp.sigstore",
        "certificate.signature-invalid",
        "issued by production Fulcio but paired with a staging trust root (openssl and \
             sigstore-python agree: the signature does not match)",
    )];

    /// Every vendored real bundle of `testdata/real/index.json` that carries a signing
    /// certificate and a Rekor v1 `integratedTime`: the chain verifies at that time
    /// against the bundle's trusted root, and so do the embedded SCTs, unless the
    /// index expects a `certificate.*` or `sct.*` failure; then with that code. With
    /// `RULEPACK_CORPUS` set, the same over the corpus's `real/index.json`.
    #[test]
    fn real_bundles_chain_and_sct_verify() {
        let index = vendored_index();
        let expected: Vec<(String, String)> = index
            .iter()
            .filter_map(|e| {
                let code = e["code"].as_str()?;
                (code.starts_with("certificate.") || code.starts_with("sct."))
                    .then(|| (key_of(e), code.to_owned()))
            })
            .collect();
        let (verified, failed) = check_index(&vendored(""), &index, &expected);
        assert_eq!(failed, expected.len());
        assert!(verified >= 18, "{verified}");

        if let Some(corpus) = corpus_extra("x509::sct::real_bundles_chain_and_sct_verify") {
            let real = corpus.join("real");
            let index = json(&real.join("index.json"));
            let expected: Vec<_> = EXPECTED_FAILURES
                .iter()
                .map(|(f, code, _)| (f.to_string(), code.to_string()))
                .collect();
            let (verified, failed) = check_index(&real, index.as_array().unwrap(), &expected);
            assert_eq!(failed, EXPECTED_FAILURES.len());
            assert!(verified >= 25, "{verified}");
        }
    }

    /// An index entry's key for expectations: its file, and its trusted root when the
    /// same file is listed with several roots.
    fn key_of(entry: &Value) -> String {
        format!(
            "{} {}",
            entry["file"].as_str().unwrap(),
            entry["trusted_root"].as_str().unwrap()
        )
    }

    /// (verified, expected failures) over `index`; `expected` holds (file or
    /// [`key_of`], code).
    fn check_index(real: &Path, index: &[Value], expected: &[(String, String)]) -> (usize, usize) {
        let mut verified = 0;
        let mut expected_failures = 0;
        let mut failures = Vec::new();
        for entry in index {
            let file = entry["file"].as_str().unwrap();
            let bundle = json(&real.join(file));
            let certs = bundle_certs_or_none(&bundle);
            // proto3 JSON: an integratedTime of 0 is the default, i.e. absent (Rekor v2).
            let t = integrated_time(&bundle).filter(|t| *t > 0);
            let (Some(certs), Some(t)) = (certs, t) else {
                continue;
            };
            let Some((leaf, rest)) = certs.split_first() else {
                continue;
            };
            let root_path = entry["trusted_root"]
                .as_str()
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            let mut root = json(&real.join(root_path));
            if let Some(inner) = root.get("trustedRoot") {
                root = inner.clone();
            }
            let leaf = ParsedCertificate::from_der(leaf).unwrap();
            let rest: Vec<_> = rest
                .iter()
                .map(|d| ParsedCertificate::from_der(d).unwrap())
                .collect();
            // Both the crate's trusted-root parser and the test's own JSON reading.
            let parsed = TrustedRoot::from_json(&serde_json::to_vec(&root).unwrap())
                .unwrap_or_else(|e| panic!("{root_path}: {e}"));
            let cas = authorities(&root, "certificateAuthorities");
            assert_eq!(parsed.certificate_authorities, cas, "{root_path}");
            let outcome = verify_chain(
                &leaf,
                &rest,
                &parsed.certificate_authorities,
                t,
                EKU_CODE_SIGNING,
            )
            .map_err(|e| (e.code(), e.to_string()))
            .and_then(|chain| {
                let own = verify_embedded_scts(&leaf, &chain, &ctlogs(&root));
                let shared = verify_embedded_scts(&leaf, &chain, &parsed.ctlogs);
                assert_eq!(own, shared, "{file}");
                shared.map_err(|e| (e.code(), e.to_string()))
            });
            let expected = expected
                .iter()
                .find(|(f, _)| *f == file || *f == key_of(entry));
            match (outcome, expected) {
                (Ok(s), None) if s.verified >= 1 => verified += 1,
                (Err((code, _)), Some((_, want))) if code == *want => expected_failures += 1,
                (Ok(s), _) => failures.push(format!("{file}: {} SCTs verified", s.verified)),
                (Err((_, msg)), _) => failures.push(format!("{file}: {msg}")),
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        eprintln!("{verified} real bundles verified, {expected_failures} expected failures");
        (verified, expected_failures)
    }

    fn bundle_certs_or_none(bundle: &serde_json::Value) -> Option<Vec<Vec<u8>>> {
        let vm = &bundle["verificationMaterial"];
        (vm.get("certificate").is_some() || vm.get("x509CertificateChain").is_some())
            .then(|| bundle_certs(bundle))
    }
}
