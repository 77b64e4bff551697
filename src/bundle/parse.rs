//! `Bundle::from_json`: the bundle document → [`Bundle`], enforcing `sigstore_bundle.proto`
//! and the version rules of sigstore-go `pkg/bundle/bundle.go` `validate()`.

use der::Decode;

use super::json::{self, Field, Obj, HASH_ALGORITHMS};
use super::{
    Bundle, BundleError, BundleVersion, Content, DsseEnvelope, DsseSignature, InclusionProof,
    MessageDigest, MessageSignature, SignerMaterial, TlogEntry, VerificationMaterial,
};
use crate::limits::{
    MAX_BUNDLE_BYTES, MAX_CERT_BYTES, MAX_CERT_CHAIN_LEN, MAX_CHECKPOINT_BYTES,
    MAX_DSSE_PAYLOAD_BYTES, MAX_INCLUSION_PROOF_HASHES, MAX_KEY_ID_BYTES, MAX_RFC3161_BYTES,
    MAX_RFC3161_TIMESTAMPS, MAX_SIGNATURE_BYTES, MAX_TLOG_BODY_BYTES, MAX_TLOG_ENTRIES,
};

/// Length of a SHA-256 Merkle tree hash (RFC 6962 §2.1; every Sigstore log uses SHA-256).
const MERKLE_HASH_LEN: usize = 32;
/// Upper bound used while decoding a hash, so that a wrong length is reported as such.
const MAX_HASH_BYTES: usize = 64;

impl BundleVersion {
    /// `sigstore_bundle.proto` `Bundle.media_type`; `sigstore-go` `pkg/bundle/bundle.go`
    /// `getBundleVersion`. Readers accept the three legacy `+json;version=0.N` forms and
    /// the current `bundle.v0.3+json` form; anything else is rejected.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some(Self::V0_1),
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some(Self::V0_2),
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some(Self::V0_3),
            _ => None,
        }
    }

    /// `v0.1`, `v0.2` or `v0.3`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V0_1 => "v0.1",
            Self::V0_2 => "v0.2",
            Self::V0_3 => "v0.3",
        }
    }
}

impl Bundle {
    /// Parses and structurally validates a Sigstore bundle (`sigstore_bundle.proto`): proto3 JSON
    /// (camelCase or snake_case names, lenient base64, int64 as string or number, enums by
    /// name or number, `null` = absent, unknown fields ignored, duplicate keys rejected),
    /// the media type, the per-version rules and every size limit. No cryptography.
    pub fn from_json(bytes: &[u8]) -> Result<Bundle, BundleError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(BundleError::TooLarge {
                size: bytes.len(),
                max: MAX_BUNDLE_BYTES,
            });
        }
        let doc = json::parse(bytes)?;
        let top = Obj::new(&doc, "")?;

        let media_type = top.req_str("mediaType")?;
        let version = BundleVersion::from_media_type(media_type).ok_or_else(|| {
            BundleError::UnsupportedMediaType {
                found: media_type.to_owned(),
            }
        })?;

        let content = parse_content(&top)?;
        let verification_material = parse_verification_material(&top, version)?;

        Ok(Bundle {
            media_type: media_type.to_owned(),
            version,
            verification_material,
            content,
        })
    }
}

/// DSSE v1 pre-authentication encoding (`envelope.proto`; DSSE `protocol.md`):
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal with
/// no leading zeros. This is what a DSSE signature signs.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let type_len = payload_type.len().to_string();
    let body_len = payload.len().to_string();
    let mut out = Vec::with_capacity(
        10usize
            .saturating_add(type_len.len())
            .saturating_add(payload_type.len())
            .saturating_add(body_len.len())
            .saturating_add(payload.len()),
    );
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(type_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(body_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// Exactly one alternative of a protobuf `oneof` (protojson rejects two).
fn one_of<'a>(
    o: &Obj<'a>,
    alternatives: &[&'static str],
    what: &str,
) -> Result<Option<(&'static str, Field<'a>)>, BundleError> {
    let mut found: Option<(&'static str, Field<'a>)> = None;
    for name in alternatives {
        if let Some(f) = o.get(name)? {
            if let Some((first, _)) = &found {
                return Err(BundleError::ConflictingFields {
                    path: what.to_owned(),
                    first,
                    second: name,
                });
            }
            found = Some((name, f));
        }
    }
    Ok(found)
}

fn non_negative(value: i64, path: String) -> Result<u64, BundleError> {
    u64::try_from(value).map_err(|_| BundleError::NegativeInteger { path, value })
}

/// A DER X.509 certificate, fully consumed (`Decode::from_der` rejects trailing bytes).
fn parse_certificate(der: &[u8], path: &str) -> Result<x509_cert::Certificate, BundleError> {
    x509_cert::Certificate::from_der(der).map_err(|e| BundleError::InvalidCertificate {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

/// `Bundle.content` oneof (`sigstore_bundle.proto`): `message_signature` | `dsse_envelope`.
fn parse_content(top: &Obj<'_>) -> Result<Content, BundleError> {
    let (name, field) = one_of(top, &["messageSignature", "dsseEnvelope"], "the bundle")?
        .ok_or(BundleError::MissingContent)?;
    let o = field.as_obj()?;
    if name == "messageSignature" {
        // `sigstore_common.proto` MessageSignature: `message_digest` is optional ("a hint");
        // `signature` is REQUIRED.
        let message_digest = match o.opt_obj("messageDigest")? {
            None => None,
            Some(md) => {
                let alg_field = md.req("algorithm")?;
                let alg_name = alg_field.as_enum(HASH_ALGORITHMS)?;
                let algorithm = json::hash_algorithm(alg_name).ok_or_else(|| {
                    BundleError::UnsupportedHashAlgorithm {
                        path: alg_field.path.clone(),
                        found: alg_name.to_owned(),
                    }
                })?;
                let digest = md.req_bytes("digest", MAX_HASH_BYTES)?;
                if digest.len() != algorithm.output_len() {
                    return Err(BundleError::InvalidHashLength {
                        path: format!("{}.digest", md.path()),
                        expected: algorithm.output_len(),
                        found: digest.len(),
                    });
                }
                Some(MessageDigest { algorithm, digest })
            }
        };
        let signature = o.req_bytes("signature", MAX_SIGNATURE_BYTES)?;
        Ok(Content::MessageSignature(MessageSignature {
            message_digest,
            signature,
        }))
    } else {
        let payload = o.req_bytes("payload", MAX_DSSE_PAYLOAD_BYTES)?;
        let payload_type = o.req_str("payloadType")?.to_owned();
        // `sigstore_bundle.proto`: "the DSSE envelope MUST contain exactly one signature"
        // (sigstore-go `ErrDSSEInvalidSignatureCount`).
        let (sigs, _) = o.opt_arr("signatures", 1).map_err(|e| match e {
            json::JsonError::TooMany { count, .. } => BundleError::DsseSignatureCount { count },
            other => other.into(),
        })?;
        let sig_field = sigs
            .first()
            .ok_or(BundleError::DsseSignatureCount { count: 0 })?;
        let so = sig_field.as_obj()?;
        let signature = DsseSignature {
            sig: so.req_bytes("sig", MAX_SIGNATURE_BYTES)?,
            keyid: so.opt_str("keyid")?.unwrap_or_default().to_owned(),
        };
        Ok(Content::Dsse(DsseEnvelope {
            payload,
            payload_type,
            signature,
        }))
    }
}

/// `VerificationMaterial` (`sigstore_bundle.proto`).
fn parse_verification_material(
    top: &Obj<'_>,
    version: BundleVersion,
) -> Result<VerificationMaterial, BundleError> {
    let vm = top.req_obj("verificationMaterial")?;
    let signer = parse_signer(&vm, version)?;

    let (entries, _) = vm.opt_arr("tlogEntries", MAX_TLOG_ENTRIES)?;
    let mut tlog_entries = Vec::with_capacity(entries.len());
    for (i, f) in entries.iter().enumerate() {
        let entry = parse_tlog_entry(f, i)?;
        // sigstore-go `pkg/bundle/bundle.go` `validate()`: v0.1 needs the inclusion
        // promise; v0.2 and later need the inclusion proof.
        if version == BundleVersion::V0_1 && entry.inclusion_promise.is_none() {
            return Err(BundleError::MissingInclusionPromise { entry: i });
        }
        if version >= BundleVersion::V0_2 && entry.inclusion_proof.is_none() {
            return Err(BundleError::MissingInclusionProof {
                entry: i,
                version: version.as_str(),
            });
        }
        tlog_entries.push(entry);
    }

    let mut rfc3161_timestamps = Vec::new();
    if let Some(tvd) = vm.opt_obj("timestampVerificationData")? {
        let (items, _) = tvd.opt_arr("rfc3161Timestamps", MAX_RFC3161_TIMESTAMPS)?;
        rfc3161_timestamps.reserve(items.len());
        for f in &items {
            rfc3161_timestamps.push(
                f.as_obj()?
                    .req_bytes("signedTimestamp", MAX_RFC3161_BYTES)?,
            );
        }
    }

    Ok(VerificationMaterial {
        signer,
        tlog_entries,
        rfc3161_timestamps,
    })
}

/// `VerificationMaterial.content` oneof: `public_key` | `x509_certificate_chain` |
/// `certificate`.
fn parse_signer(vm: &Obj<'_>, version: BundleVersion) -> Result<SignerMaterial, BundleError> {
    let (name, field) = one_of(
        vm,
        &["publicKey", "x509CertificateChain", "certificate"],
        "verificationMaterial",
    )?
    .ok_or(BundleError::MissingSignerMaterial)?;
    let o = field.as_obj()?;
    match name {
        "publicKey" => Ok(SignerMaterial::PublicKey {
            hint: o.opt_str("hint")?.map(str::to_owned),
        }),
        "x509CertificateChain" => {
            // sigstore-go `validate()`: "x509CertificateChain is not supported in v0.3";
            // `sigstore_bundle.proto`: v0.3 bundles MUST use `certificate`.
            if version >= BundleVersion::V0_3 {
                return Err(BundleError::CertificateChainNotAllowed {
                    version: version.as_str(),
                });
            }
            let (certs, _) = o.opt_arr("certificates", MAX_CERT_CHAIN_LEN)?;
            if certs.is_empty() {
                return Err(BundleError::EmptyCertificateChain);
            }
            let mut chain = Vec::with_capacity(certs.len());
            for (index, f) in certs.iter().enumerate() {
                let co = f.as_obj()?;
                let der = co.req_bytes("rawBytes", MAX_CERT_BYTES)?;
                let cert = parse_certificate(&der, &format!("{}.rawBytes", co.path()))?;
                // `sigstore_bundle.proto` X509CertificateChain: "the root certificate MUST
                // NOT be included" (conformance `bundle-with-root-cert_fail`). A root is
                // self-issued: subject == issuer (RFC 5280 §3.2).
                if cert.tbs_certificate.subject == cert.tbs_certificate.issuer {
                    return Err(BundleError::ChainIncludesRoot { index });
                }
                chain.push(der);
            }
            Ok(SignerMaterial::X509CertificateChain(chain))
        }
        _ => {
            let der = o.req_bytes("rawBytes", MAX_CERT_BYTES)?;
            parse_certificate(&der, &format!("{}.rawBytes", o.path()))?;
            Ok(SignerMaterial::Certificate(der))
        }
    }
}

/// `TransparencyLogEntry` (`sigstore_rekor.proto`).
fn parse_tlog_entry(f: &Field<'_>, index: usize) -> Result<TlogEntry, BundleError> {
    let o = f.as_obj()?;
    let (raw_index, path) = o.req_i64("logIndex")?;
    let log_index = non_negative(raw_index, path)?;
    let log_id = o.req_obj("logId")?.req_bytes("keyId", MAX_KEY_ID_BYTES)?;
    let kv = o.req_obj("kindVersion")?;
    let kind = kv.req_str("kind")?.to_owned();
    let version = kv.req_str("version")?.to_owned();
    // `integratedTime` is 0/absent for Rekor v2; never trusted without a verified SET.
    let integrated_time = match o.get("integratedTime")? {
        None => 0,
        Some(f) => {
            let t = f.as_i64()?;
            if t < 0 {
                return Err(BundleError::NegativeInteger {
                    path: f.path,
                    value: t,
                });
            }
            t
        }
    };
    let inclusion_promise = match o.opt_obj("inclusionPromise")? {
        None => None,
        Some(p) => Some(p.req_bytes("signedEntryTimestamp", MAX_SIGNATURE_BYTES)?),
    };
    let inclusion_proof = match o.opt_obj("inclusionProof")? {
        None => None,
        Some(p) => Some(parse_inclusion_proof(&p, index)?),
    };
    // `sigstore_rekor.proto`: canonicalized_body is REQUIRED for offline verification.
    let canonicalized_body = o.req_bytes("canonicalizedBody", MAX_TLOG_BODY_BYTES)?;
    Ok(TlogEntry {
        log_index,
        log_id,
        kind,
        version,
        integrated_time,
        inclusion_promise,
        inclusion_proof,
        canonicalized_body,
    })
}

fn merkle_hash(f: &Field<'_>) -> Result<Vec<u8>, BundleError> {
    let h = f.as_bytes(MAX_HASH_BYTES)?;
    // RFC 6962 §2.1: SHA-256 tree hashes are 32 bytes.
    if h.len() != MERKLE_HASH_LEN {
        return Err(BundleError::InvalidHashLength {
            path: f.path.clone(),
            expected: MERKLE_HASH_LEN,
            found: h.len(),
        });
    }
    Ok(h)
}

/// `InclusionProof` (`sigstore_rekor.proto`).
fn parse_inclusion_proof(p: &Obj<'_>, entry: usize) -> Result<InclusionProof, BundleError> {
    // `logIndex` 0 is the proto3 default and is omitted by writers: absent = 0.
    let log_index = match p.get("logIndex")? {
        None => 0,
        Some(f) => {
            let v = f.as_i64()?;
            non_negative(v, f.path)?
        }
    };
    let root_hash = merkle_hash(&p.req("rootHash")?)?;
    let (raw_size, size_path) = p.req_i64("treeSize")?;
    let tree_size = non_negative(raw_size, size_path.clone())?;
    if tree_size == 0 {
        return Err(BundleError::InvalidTreeSize { path: size_path });
    }
    // RFC 9162 §2.1.3.2 / transparency-dev `proof.VerifyInclusion`: index < size.
    if log_index >= tree_size {
        return Err(BundleError::ProofIndexOutOfRange {
            path: p.path().to_owned(),
            log_index,
            tree_size,
        });
    }
    let (items, _) = p.opt_arr("hashes", MAX_INCLUSION_PROOF_HASHES)?;
    let hashes = items
        .iter()
        .map(merkle_hash)
        .collect::<Result<Vec<_>, _>>()?;
    // sigstore-python "entry must contain inclusion proof, with checkpoint"; the
    // checkpoint is what binds the root hash to the log's key (C2SP `tlog-checkpoint`).
    let cp = p
        .opt_obj("checkpoint")?
        .ok_or(BundleError::MissingCheckpoint { entry })?;
    let envelope_field = cp.req("envelope")?;
    let envelope = envelope_field.as_str()?;
    if envelope.is_empty() {
        return Err(BundleError::MissingCheckpoint { entry });
    }
    if envelope.len() > MAX_CHECKPOINT_BYTES {
        return Err(BundleError::FieldTooLarge {
            path: envelope_field.path,
            size: envelope.len(),
            max: MAX_CHECKPOINT_BYTES,
        });
    }
    Ok(InclusionProof {
        log_index,
        root_hash,
        tree_size,
        hashes,
        checkpoint: Some(envelope.to_owned()),
    })
}
