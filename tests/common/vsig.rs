//! A test-only "virtual Sigstore": an in-process Fulcio, CT log, Rekor v1, Rekor v2 and
//! RFC 3161 TSA that mint real, cryptographically valid Sigstore bundles and the matching
//! `trusted_root.json` from deterministic keys.
//!
//! Modelled on sigstore-go `pkg/testing/ca/ca.go` (`VirtualSigstore`). Everything here is
//! written from the upstream formats (protobuf-specs, rekor, C2SP, Fulcio, RFC 3161, cosign;
//! see docs/verification.md) and never calls the crate's parsers or
//! verifiers (so a bug there cannot cancel out a bug here); only hashing, base64/hex/PEM
//! and RFC 3339 helpers of `rulepack_verify` are used. DER is produced by the small
//! writer in [`der_w`], so every byte is under the test's control.
//!
//! Determinism: all keys are derived from the `seed` given to [`VirtualSigstore::new`],
//! ECDSA signatures are RFC 6979 (deterministic) and Ed25519 is deterministic by design,
//! so the same sequence of calls yields byte-identical output.
//!
//! Use from an integration test with `#[path = "common/vsig.rs"] mod vsig;`.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use p256::ecdsa::signature::hazmat::PrehashSigner as _;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::EncodePublicKey as _;
use rulepack_verify::crypto::{sha256, HashAlgorithm};
use rulepack_verify::encoding::{base64_encode, hex_encode, pem_encode};
use rulepack_verify::time::format_rfc3339;
use serde_json::{json, Value};

/// 2020-01-01T00:00:00Z, the default start of every validity window.
pub const DEFAULT_START: i64 = 1_577_836_800;
/// 2040-01-01T00:00:00Z, the default `notAfter` of the CA and TSA certificates.
pub const DEFAULT_CERT_END: i64 = 2_208_988_800;
/// Bundle media type every bundle is written with (`sigstore_bundle.proto`: writers MUST use it).
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Trusted-root media type (sigstore-go `pkg/root/trusted_root.go`: the only form it accepts).
pub const TRUSTED_ROOT_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
/// Rekor v1 log base URL; its checkpoint key name is the host name.
pub const REKOR_V1_URL: &str = "https://rekor.vsig.test";
/// Rekor v1 checkpoint key name (hostname of [`REKOR_V1_URL`]).
pub const REKOR_V1_NAME: &str = "rekor.vsig.test";
/// Rekor v1 checkpoint origin (`<host> - <tree id>`, C2SP `tlog-checkpoint`).
pub const REKOR_V1_ORIGIN: &str = "rekor.vsig.test - 1234";
/// Rekor v2 log base URL.
pub const REKOR_V2_URL: &str = "https://log.vsig.test";
/// Rekor v2 checkpoint origin and key name (hostname of [`REKOR_V2_URL`]).
pub const REKOR_V2_NAME: &str = "log.vsig.test";
/// CT log base URL.
pub const CTLOG_URL: &str = "https://ctfe.vsig.test/2020";
/// Fulcio URI in the trusted root.
pub const FULCIO_URL: &str = "https://fulcio.vsig.test";
/// TSA URI in the trusted root.
pub const TSA_URL: &str = "https://tsa.vsig.test/api/v1/timestamp";
/// Entries appended to the Rekor v1 log by [`VirtualSigstore::new`] so that the first real
/// entry has a non-trivial inclusion proof.
pub const REKOR_V1_FILLER: usize = 5;
/// Same for the Rekor v2 log.
pub const REKOR_V2_FILLER: usize = 3;
/// `org.opencontainers.image.created` written into referrer manifests (fixed for determinism).
pub const MANIFEST_CREATED: &str = "2025-01-01T00:00:00Z";
/// SHA-256 of the empty-JSON config blob `{}` (cosign v3 `pkg/oci/remote/write.go`).
pub const EMPTY_CONFIG_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

/// Object identifiers used below (dotted form).
pub mod oid {
    /// `ecdsa-with-SHA256` (RFC 5758 §3.2).
    pub const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
    /// `ecdsa-with-SHA384` (RFC 5758 §3.2).
    pub const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
    /// `id-sha256` (RFC 5754 §2).
    pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
    /// `id-at-organizationName`.
    pub const ORG: &str = "2.5.4.10";
    /// `id-at-commonName`.
    pub const CN: &str = "2.5.4.3";
    /// `id-ce-subjectKeyIdentifier`.
    pub const SKI: &str = "2.5.29.14";
    /// `id-ce-keyUsage`.
    pub const KEY_USAGE: &str = "2.5.29.15";
    /// `id-ce-subjectAltName`.
    pub const SAN: &str = "2.5.29.17";
    /// `id-ce-basicConstraints`.
    pub const BASIC_CONSTRAINTS: &str = "2.5.29.19";
    /// `id-ce-authorityKeyIdentifier`.
    pub const AKI: &str = "2.5.29.35";
    /// `id-ce-extKeyUsage`.
    pub const EKU: &str = "2.5.29.37";
    /// `id-kp-codeSigning`.
    pub const KP_CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
    /// `id-kp-timeStamping`.
    pub const KP_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";
    /// RFC 6962 §3.3 embedded SCT list.
    pub const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
    /// Fulcio extension arc (`1.3.6.1.4.1.57264.1.N`).
    pub const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1";
    /// Sigstore TSA policy OID.
    pub const TSA_POLICY: &str = "1.3.6.1.4.1.57264.2";
    /// `id-signedData` (RFC 5652 §5.1).
    pub const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
    /// `id-ct-TSTInfo` (RFC 3161 §2.4.2).
    pub const CT_TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
    /// `id-contentType` (RFC 5652 §11.1).
    pub const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
    /// `id-messageDigest` (RFC 5652 §11.2).
    pub const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
    /// `id-aa-signingCertificateV2` (RFC 5035 §3).
    pub const SIGNING_CERT_V2: &str = "1.2.840.113549.1.9.16.2.47";
}

/// A minimal DER writer (X.690): enough to build certificates, CMS and TSTInfo by hand.
pub mod der_w {
    use rulepack_verify::time::format_rfc3339;

    /// `tag || length || content` with a definite, minimal length (X.690 §8.1.3, §10.1).
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(u8::try_from(n).unwrap());
        } else {
            let be = n.to_be_bytes();
            let skip = be.iter().take_while(|b| **b == 0).count();
            let len_bytes = &be[skip..];
            out.push(0x80 | u8::try_from(len_bytes.len()).unwrap());
            out.extend_from_slice(len_bytes);
        }
        out.extend_from_slice(content);
        out
    }

    /// SEQUENCE of the given encodings, in order.
    pub fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }

    /// SET OF: DER sorts the element encodings (X.690 §11.6).
    pub fn set_of(parts: &[Vec<u8>]) -> Vec<u8> {
        let mut sorted = parts.to_vec();
        sorted.sort();
        tlv(0x31, &sorted.concat())
    }

    /// OBJECT IDENTIFIER from dotted form.
    pub fn oid(dotted: &str) -> Vec<u8> {
        let o = der::asn1::ObjectIdentifier::new(dotted).unwrap();
        tlv(0x06, o.as_bytes())
    }

    /// INTEGER from unsigned big-endian bytes (minimal two's complement, X.690 §8.3).
    pub fn int_bytes(be: &[u8]) -> Vec<u8> {
        let skip = be.iter().take_while(|b| **b == 0).count();
        let mut v: Vec<u8> = be[skip..].to_vec();
        if v.first().is_none_or(|b| b & 0x80 != 0) {
            v.insert(0, 0);
        }
        tlv(0x02, &v)
    }

    /// INTEGER from a `u64`.
    pub fn int(v: u64) -> Vec<u8> {
        int_bytes(&v.to_be_bytes())
    }

    /// BOOLEAN TRUE.
    pub fn true_() -> Vec<u8> {
        vec![0x01, 0x01, 0xff]
    }

    /// NULL.
    pub fn null() -> Vec<u8> {
        vec![0x05, 0x00]
    }

    /// OCTET STRING.
    pub fn octets(b: &[u8]) -> Vec<u8> {
        tlv(0x04, b)
    }

    /// BIT STRING with no unused bits.
    pub fn bits(b: &[u8]) -> Vec<u8> {
        let mut c = vec![0u8];
        c.extend_from_slice(b);
        tlv(0x03, &c)
    }

    /// UTF8String.
    pub fn utf8(s: &str) -> Vec<u8> {
        tlv(0x0c, s.as_bytes())
    }

    /// Context-specific constructed tag `[n]` (EXPLICIT, or IMPLICIT of a constructed type).
    pub fn ctx(n: u8, content: &[u8]) -> Vec<u8> {
        tlv(0xa0 | n, content)
    }

    /// `YYYYMMDDHHMMSS` of a Unix time.
    fn digits(t: i64) -> String {
        format_rfc3339(t)
            .chars()
            .filter(char::is_ascii_digit)
            .collect()
    }

    /// GeneralizedTime `YYYYMMDDHHMMSSZ` (X.690 §11.7; RFC 3161 genTime).
    pub fn gen_time(t: i64) -> Vec<u8> {
        tlv(0x18, format!("{}Z", digits(t)).as_bytes())
    }

    /// RFC 5280 §4.1.2.5 `Time`: UTCTime through 2049, GeneralizedTime from 2050.
    pub fn x509_time(t: i64) -> Vec<u8> {
        let d = digits(t);
        let year: i64 = d[..4].parse().unwrap();
        if (1950..2050).contains(&year) {
            tlv(0x17, format!("{}Z", &d[2..]).as_bytes())
        } else {
            gen_time(t)
        }
    }

    /// `AlgorithmIdentifier` with absent parameters (ECDSA, RFC 5758 §3.2).
    pub fn alg(oid_dotted: &str) -> Vec<u8> {
        seq(&[oid(oid_dotted)])
    }

    /// X.501 `Name` of single-valued RDNs, each a PrintableString.
    pub fn name(rdns: &[(&str, &str)]) -> Vec<u8> {
        let parts: Vec<Vec<u8>> = rdns
            .iter()
            .map(|(o, v)| set_of(&[seq(&[oid(o), tlv(0x13, v.as_bytes())])]))
            .collect();
        seq(&parts)
    }

    /// `Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }`.
    pub fn ext(oid_dotted: &str, critical: bool, value: &[u8]) -> Vec<u8> {
        let mut parts = vec![oid(oid_dotted)];
        if critical {
            parts.push(true_());
        }
        parts.push(octets(value));
        seq(&parts)
    }
}

use der_w::{alg, bits, ctx, ext, gen_time, int, int_bytes, name, octets, oid, seq, set_of, tlv};

/// A trust-root entry whose `validFor` window can be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authority {
    /// The Fulcio certificate authority (`certificateAuthorities[0]`).
    Ca,
    /// The Rekor v1 log (`tlogs[0]`).
    TlogV1,
    /// The Rekor v2 log (`tlogs[1]`).
    TlogV2,
    /// The CT log (`ctlogs[0]`).
    Ctlog,
    /// The timestamp authority (`timestampAuthorities[0]`).
    Tsa,
}

/// A CA or TSA certificate whose X.509 validity can be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertRole {
    /// Self-signed Fulcio root (P-384).
    FulcioRoot,
    /// Fulcio intermediate (P-384, pathlen 0), issuer of every leaf.
    FulcioIntermediate,
    /// Self-signed TSA root (P-384).
    TsaRoot,
    /// TSA signing certificate (P-256, EKU timeStamping critical).
    TsaLeaf,
}

/// The signer identity placed in the leaf certificate's critical SAN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum San {
    /// `uniformResourceIdentifier` (GitHub Actions, GitLab, SPIFFE…).
    Uri(String),
    /// `rfc822Name` (email identity providers).
    Email(String),
    /// `otherName` of type 1.3.6.1.4.1.57264.1.7 with a UTF8String value (Fulcio
    /// "username" identities, `fulcio:docs/certificate-specification.md`).
    OtherName(String),
}

/// Which transparency log, if any, records the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RekorMode {
    /// Rekor v1: SET over `integrated_time`, inclusion proof and checkpoint.
    V1 {
        /// `integratedTime` of the entry (Unix seconds).
        integrated_time: i64,
    },
    /// Rekor v2: `hashedrekord/0.0.2`, inclusion proof and Ed25519 checkpoint, no SET.
    V2,
    /// No transparency log entry.
    None,
}

/// What the bundle signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentKind {
    /// `messageSignature` over the artifact digest (`cosign sign-blob`).
    MessageSignature,
    /// `dsseEnvelope` with an in-toto Statement v1 whose subject is the artifact digest and
    /// whose predicateType is `https://sigstore.dev/cosign/sign/v1` (`cosign sign` ≥ v3).
    CosignDsse,
}

/// How to sign in [`VirtualSigstore::sign`].
#[derive(Clone, Debug)]
pub struct SignOptions {
    /// SAN of the leaf certificate.
    pub identity: San,
    /// OIDC issuer (extensions 1.3.6.1.4.1.57264.1.1 and .8).
    pub issuer: String,
    /// Further Fulcio extensions `(N, value)` for OID 1.3.6.1.4.1.57264.1.N: N 2–6 are
    /// written as raw bytes, N ≥ 9 as a DER UTF8String (`fulcio:docs/certificate-specification.md`).
    pub extensions: Vec<(u32, String)>,
    /// Leaf `notBefore` (Unix seconds); also the SCT timestamp.
    pub signed_at: i64,
    /// Leaf lifetime: `notAfter = signed_at + cert_lifetime_secs` (Fulcio: 600).
    pub cert_lifetime_secs: i64,
    /// Transparency log.
    pub rekor: RekorMode,
    /// `genTime` of each RFC 3161 token over the signature bytes, in order.
    pub timestamps: Vec<i64>,
    /// Put the TSA leaf and root certificates into each token.
    pub embed_tsa_certs: bool,
    /// Embed an SCT from the virtual CT log in the leaf.
    pub with_sct: bool,
    /// Message signature or cosign DSSE.
    pub content: ContentKind,
}

impl SignOptions {
    /// Fulcio-like defaults: 600 s lifetime, SCT, Rekor v1 integrated 60 s after
    /// `signed_at`, no timestamps (embedding TSA certs when some are added), message signature.
    pub fn new(identity: San, issuer: &str, signed_at: i64) -> Self {
        Self {
            identity,
            issuer: issuer.to_owned(),
            extensions: Vec::new(),
            signed_at,
            cert_lifetime_secs: 600,
            rekor: RekorMode::V1 {
                integrated_time: signed_at + 60,
            },
            timestamps: Vec::new(),
            embed_tsa_certs: true,
            with_sct: true,
            content: ContentKind::MessageSignature,
        }
    }
}

/// An RFC 6962 Merkle tree of leaf hashes.
#[derive(Clone, Debug, Default)]
struct MerkleLog {
    leaves: Vec<[u8; 32]>,
}

/// RFC 6962 §2.1: leaf hash = SHA-256(0x00 || leaf).
pub fn leaf_hash(leaf: &[u8]) -> [u8; 32] {
    let mut m = vec![0u8];
    m.extend_from_slice(leaf);
    sha256(&m)
}

/// RFC 6962 §2.1: node hash = SHA-256(0x01 || left || right).
pub fn node_hash(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut m = vec![1u8];
    m.extend_from_slice(l);
    m.extend_from_slice(r);
    sha256(&m)
}

/// Largest power of two strictly less than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

impl MerkleLog {
    /// Appends a leaf; returns its index.
    fn append(&mut self, leaf: &[u8]) -> u64 {
        self.leaves.push(leaf_hash(leaf));
        u64::try_from(self.leaves.len() - 1).unwrap()
    }

    /// RFC 6962 §2.1 MTH over a non-empty range of leaf hashes.
    fn mth(hs: &[[u8; 32]]) -> [u8; 32] {
        match hs.len() {
            0 => sha256(b""),
            1 => hs[0],
            n => {
                let k = split(n);
                node_hash(&Self::mth(&hs[..k]), &Self::mth(&hs[k..]))
            }
        }
    }

    /// RFC 6962 §2.1.1 PATH(m, D[n]), leaf-to-root order.
    fn path(m: usize, hs: &[[u8; 32]]) -> Vec<[u8; 32]> {
        if hs.len() <= 1 {
            return Vec::new();
        }
        let k = split(hs.len());
        if m < k {
            let mut p = Self::path(m, &hs[..k]);
            p.push(Self::mth(&hs[k..]));
            p
        } else {
            let mut p = Self::path(m - k, &hs[k..]);
            p.push(Self::mth(&hs[..k]));
            p
        }
    }

    fn root(&self) -> [u8; 32] {
        Self::mth(&self.leaves)
    }

    fn size(&self) -> u64 {
        u64::try_from(self.leaves.len()).unwrap()
    }

    fn proof(&self, index: u64) -> Vec<[u8; 32]> {
        Self::path(usize::try_from(index).unwrap(), &self.leaves)
    }
}

/// RFC 8785 (JCS) serialisation of a JSON value built from strings, integers, arrays and
/// objects: keys sorted (all keys here are ASCII, so byte order = UTF-16 order), no
/// whitespace; serde_json's string escaping matches JCS for these inputs.
pub fn jcs(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", serde_json::to_string(k).unwrap(), jcs(&m[*k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(jcs).collect();
            format!("[{}]", items.join(","))
        }
        other => serde_json::to_string(other).unwrap(),
    }
}

/// rekor `VerifySignedEntryTimestamp`: the bytes a Rekor v1 SET signs, i.e. JCS of
/// `{"body": b64(body), "integratedTime": t, "logID": hex(log id), "logIndex": i}`.
pub fn set_message(body: &[u8], integrated_time: i64, log_id: &[u8], log_index: u64) -> Vec<u8> {
    jcs(&json!({
        "body": base64_encode(body),
        "integratedTime": integrated_time,
        "logID": hex_encode(log_id),
        "logIndex": log_index,
    }))
    .into_bytes()
}

/// DSSE PAE (`envelope.proto`): `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    m.extend_from_slice(payload);
    m
}

/// The C2SP signed-note key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key).
pub fn c2sp_ed25519_key_id(name: &str, key: &[u8; 32]) -> [u8; 32] {
    let mut m = name.as_bytes().to_vec();
    m.push(0x0a);
    m.push(0x01);
    m.extend_from_slice(key);
    sha256(&m)
}

/// Derives deterministic key material: SHA-256/384 of the seed, a label and a counter.
fn derive(seed: u64, label: &str, counter: u64, hash: HashAlgorithm) -> Vec<u8> {
    let mut m = b"vsig\0".to_vec();
    m.extend_from_slice(&seed.to_be_bytes());
    m.extend_from_slice(label.as_bytes());
    m.push(0);
    m.extend_from_slice(&counter.to_be_bytes());
    hash.digest(&m)
}

fn p256_key(seed: u64, label: &str) -> p256::ecdsa::SigningKey {
    (0..)
        .find_map(|c| {
            p256::ecdsa::SigningKey::from_slice(&derive(seed, label, c, HashAlgorithm::Sha256)).ok()
        })
        .unwrap()
}

fn p384_key(seed: u64, label: &str) -> p384::ecdsa::SigningKey {
    (0..)
        .find_map(|c| {
            p384::ecdsa::SigningKey::from_slice(&derive(seed, label, c, HashAlgorithm::Sha384)).ok()
        })
        .unwrap()
}

fn p256_spki(k: &p256::ecdsa::SigningKey) -> Vec<u8> {
    k.verifying_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn p384_spki(k: &p384::ecdsa::SigningKey) -> Vec<u8> {
    k.verifying_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// ECDSA P-256 / SHA-256, ASN.1 DER signature.
fn sign_p256(k: &p256::ecdsa::SigningKey, msg: &[u8]) -> Vec<u8> {
    let s: p256::ecdsa::Signature = k.sign(msg);
    s.to_der().as_bytes().to_vec()
}

/// ECDSA P-384 / SHA-384, ASN.1 DER signature.
fn sign_p384(k: &p384::ecdsa::SigningKey, msg: &[u8]) -> Vec<u8> {
    let s: p384::ecdsa::Signature = k.sign(msg);
    s.to_der().as_bytes().to_vec()
}

/// RFC 7093 §2 method 1-style key identifier: leftmost 160 bits of SHA-256 of the
/// subjectPublicKey BIT STRING contents (taken here over the whole SPKI, which is as
/// unique; only its stability matters).
fn key_id(spki: &[u8]) -> Vec<u8> {
    sha256(spki)[..20].to_vec()
}

/// A positive 16-byte serial number derived from a label.
fn serial(seed: u64, label: &str, counter: u64) -> Vec<u8> {
    let mut s = derive(seed, label, counter, HashAlgorithm::Sha256)[..16].to_vec();
    s[0] = (s[0] & 0x7f) | 0x40;
    s
}

/// Everything that differs between the certificates minted here.
struct CertSpec<'a> {
    serial: &'a [u8],
    sig_alg: &'static str,
    issuer: &'a [u8],
    not_before: i64,
    not_after: i64,
    subject: &'a [u8],
    spki: &'a [u8],
    extensions: &'a [Vec<u8>],
}

/// RFC 5280 §4.1 `TBSCertificate` (v3).
fn tbs_certificate(c: &CertSpec<'_>) -> Vec<u8> {
    seq(&[
        ctx(0, &int(2)),
        int_bytes(c.serial),
        alg(c.sig_alg),
        c.issuer.to_vec(),
        seq(&[
            der_w::x509_time(c.not_before),
            der_w::x509_time(c.not_after),
        ]),
        c.subject.to_vec(),
        c.spki.to_vec(),
        ctx(3, &seq(c.extensions)),
    ])
}

/// RFC 5280 §4.1 `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }`.
fn certificate(tbs: Vec<u8>, sig_alg: &str, sig: &[u8]) -> Vec<u8> {
    seq(&[tbs, alg(sig_alg), bits(sig)])
}

/// Validity window of a trust-root entry.
#[derive(Clone, Copy, Debug)]
struct Window {
    start: i64,
    end: Option<i64>,
}

/// The virtual Sigstore deployment. See the module docs.
pub struct VirtualSigstore {
    seed: u64,
    fulcio_root_key: p384::ecdsa::SigningKey,
    fulcio_inter_key: p384::ecdsa::SigningKey,
    ctlog_key: p256::ecdsa::SigningKey,
    rekor_v1_key: p256::ecdsa::SigningKey,
    rekor_v2_key: ed25519_dalek::SigningKey,
    tsa_root_key: p384::ecdsa::SigningKey,
    tsa_leaf_key: p256::ecdsa::SigningKey,
    /// X.509 validity of the four CA/TSA certificates, indexed by [`CertRole`].
    cert_validity: [(i64, i64); 4],
    fulcio_root_der: Vec<u8>,
    fulcio_inter_der: Vec<u8>,
    tsa_root_der: Vec<u8>,
    tsa_leaf_der: Vec<u8>,
    /// `validFor` of each trust-root entry, indexed by [`Authority`].
    windows: [Window; 5],
    rekor_v1: MerkleLog,
    rekor_v2: MerkleLog,
    /// Number of signatures minted (leaf keys, serials and TSA serials derive from it).
    counter: u64,
}

fn role_index(r: CertRole) -> usize {
    match r {
        CertRole::FulcioRoot => 0,
        CertRole::FulcioIntermediate => 1,
        CertRole::TsaRoot => 2,
        CertRole::TsaLeaf => 3,
    }
}

fn authority_index(a: Authority) -> usize {
    match a {
        Authority::Ca => 0,
        Authority::TlogV1 => 1,
        Authority::TlogV2 => 2,
        Authority::Ctlog => 3,
        Authority::Tsa => 4,
    }
}

/// `Name` of the Fulcio root (`O=vsig.test, CN=vsig-root`).
fn fulcio_root_name() -> Vec<u8> {
    name(&[(oid::ORG, "vsig.test"), (oid::CN, "vsig-root")])
}
/// `Name` of the Fulcio intermediate.
fn fulcio_inter_name() -> Vec<u8> {
    name(&[(oid::ORG, "vsig.test"), (oid::CN, "vsig-intermediate")])
}
/// `Name` of the TSA root.
fn tsa_root_name() -> Vec<u8> {
    name(&[(oid::ORG, "vsig.test"), (oid::CN, "vsig-tsa-selfsigned")])
}
/// `Name` of the TSA leaf.
fn tsa_leaf_name() -> Vec<u8> {
    name(&[(oid::ORG, "vsig.test"), (oid::CN, "vsig-tsa")])
}

impl VirtualSigstore {
    /// A deployment whose keys all derive from `seed`. Certificates are valid from
    /// [`DEFAULT_START`] to [`DEFAULT_CERT_END`], every trust-root `validFor` starts at
    /// [`DEFAULT_START`] with no end, and each log already holds a few filler entries.
    pub fn new(seed: u64) -> Self {
        let mut v = Self {
            seed,
            fulcio_root_key: p384_key(seed, "fulcio-root"),
            fulcio_inter_key: p384_key(seed, "fulcio-intermediate"),
            ctlog_key: p256_key(seed, "ctlog"),
            rekor_v1_key: p256_key(seed, "rekor-v1"),
            rekor_v2_key: ed25519_dalek::SigningKey::from_bytes(
                &derive(seed, "rekor-v2", 0, HashAlgorithm::Sha256)
                    .try_into()
                    .unwrap(),
            ),
            tsa_root_key: p384_key(seed, "tsa-root"),
            tsa_leaf_key: p256_key(seed, "tsa-leaf"),
            cert_validity: [(DEFAULT_START, DEFAULT_CERT_END); 4],
            fulcio_root_der: Vec::new(),
            fulcio_inter_der: Vec::new(),
            tsa_root_der: Vec::new(),
            tsa_leaf_der: Vec::new(),
            windows: [Window {
                start: DEFAULT_START,
                end: None,
            }; 5],
            rekor_v1: MerkleLog::default(),
            rekor_v2: MerkleLog::default(),
            counter: 0,
        };
        for i in 0..REKOR_V1_FILLER {
            v.rekor_v1
                .append(format!("vsig rekor v1 filler {i}").as_bytes());
        }
        for i in 0..REKOR_V2_FILLER {
            v.rekor_v2
                .append(format!("vsig rekor v2 filler {i}").as_bytes());
        }
        v.mint_ca_certs();
        v
    }

    /// Sets the `validFor` window of a trust-root entry (`end = None`: open-ended).
    pub fn set_validity(&mut self, which: Authority, start: i64, end: Option<i64>) {
        self.windows[authority_index(which)] = Window { start, end };
    }

    /// Sets a CA or TSA certificate's X.509 validity and re-issues the certificates.
    /// Bundles minted earlier keep their old chains.
    pub fn set_cert_validity(&mut self, which: CertRole, not_before: i64, not_after: i64) {
        self.cert_validity[role_index(which)] = (not_before, not_after);
        self.mint_ca_certs();
    }

    /// (Re-)issues the Fulcio root and intermediate and the TSA root and leaf.
    fn mint_ca_certs(&mut self) {
        let ca_ku = ext(oid::KEY_USAGE, true, &[0x03, 0x02, 0x01, 0x06]); // keyCertSign | cRLSign
                                                                          // Fulcio root: self-signed P-384, CA without path length limit.
        let root_spki = p384_spki(&self.fulcio_root_key);
        let (nb, na) = self.cert_validity[0];
        let tbs = tbs_certificate(&CertSpec {
            serial: &serial(self.seed, "fulcio-root-serial", 0),
            sig_alg: oid::ECDSA_SHA384,
            issuer: &fulcio_root_name(),
            not_before: nb,
            not_after: na,
            subject: &fulcio_root_name(),
            spki: &root_spki,
            extensions: &[
                ca_ku.clone(),
                ext(oid::BASIC_CONSTRAINTS, true, &seq(&[der_w::true_()])),
                ext(oid::SKI, false, &octets(&key_id(&root_spki))),
            ],
        });
        let sig = sign_p384(&self.fulcio_root_key, &tbs);
        self.fulcio_root_der = certificate(tbs, oid::ECDSA_SHA384, &sig);

        // Fulcio intermediate: P-384, pathlen 0, EKU codeSigning (as sigstore-intermediate).
        let inter_spki = p384_spki(&self.fulcio_inter_key);
        let (nb, na) = self.cert_validity[1];
        let tbs = tbs_certificate(&CertSpec {
            serial: &serial(self.seed, "fulcio-intermediate-serial", 0),
            sig_alg: oid::ECDSA_SHA384,
            issuer: &fulcio_root_name(),
            not_before: nb,
            not_after: na,
            subject: &fulcio_inter_name(),
            spki: &inter_spki,
            extensions: &[
                ca_ku.clone(),
                ext(oid::EKU, false, &seq(&[oid(oid::KP_CODE_SIGNING)])),
                ext(
                    oid::BASIC_CONSTRAINTS,
                    true,
                    &seq(&[der_w::true_(), int(0)]),
                ),
                ext(oid::SKI, false, &octets(&key_id(&inter_spki))),
                ext(oid::AKI, false, &seq(&[tlv(0x80, &key_id(&root_spki))])),
            ],
        });
        let sig = sign_p384(&self.fulcio_root_key, &tbs);
        self.fulcio_inter_der = certificate(tbs, oid::ECDSA_SHA384, &sig);

        // TSA root: self-signed P-384.
        let tsa_root_spki = p384_spki(&self.tsa_root_key);
        let (nb, na) = self.cert_validity[2];
        let tbs = tbs_certificate(&CertSpec {
            serial: &serial(self.seed, "tsa-root-serial", 0),
            sig_alg: oid::ECDSA_SHA384,
            issuer: &tsa_root_name(),
            not_before: nb,
            not_after: na,
            subject: &tsa_root_name(),
            spki: &tsa_root_spki,
            extensions: &[
                ca_ku,
                ext(oid::BASIC_CONSTRAINTS, true, &seq(&[der_w::true_()])),
                ext(oid::SKI, false, &octets(&key_id(&tsa_root_spki))),
            ],
        });
        let sig = sign_p384(&self.tsa_root_key, &tbs);
        self.tsa_root_der = certificate(tbs, oid::ECDSA_SHA384, &sig);

        // TSA leaf: P-256, KeyUsage digitalSignature, EKU timeStamping critical (RFC 3161 §2.3).
        let tsa_leaf_spki = p256_spki(&self.tsa_leaf_key);
        let (nb, na) = self.cert_validity[3];
        let tbs = tbs_certificate(&CertSpec {
            serial: &serial(self.seed, "tsa-leaf-serial", 0),
            sig_alg: oid::ECDSA_SHA384,
            issuer: &tsa_root_name(),
            not_before: nb,
            not_after: na,
            subject: &tsa_leaf_name(),
            spki: &tsa_leaf_spki,
            extensions: &[
                ext(oid::KEY_USAGE, true, &[0x03, 0x02, 0x07, 0x80]),
                ext(oid::SKI, false, &octets(&key_id(&tsa_leaf_spki))),
                ext(oid::AKI, false, &seq(&[tlv(0x80, &key_id(&tsa_root_spki))])),
                ext(oid::EKU, true, &seq(&[oid(oid::KP_TIME_STAMPING)])),
            ],
        });
        let sig = sign_p384(&self.tsa_root_key, &tbs);
        self.tsa_leaf_der = certificate(tbs, oid::ECDSA_SHA384, &sig);
    }

    /// DER of the Fulcio root certificate.
    pub fn fulcio_root_der(&self) -> &[u8] {
        &self.fulcio_root_der
    }
    /// DER of the Fulcio intermediate certificate.
    pub fn fulcio_intermediate_der(&self) -> &[u8] {
        &self.fulcio_inter_der
    }
    /// DER of the TSA root certificate.
    pub fn tsa_root_der(&self) -> &[u8] {
        &self.tsa_root_der
    }
    /// DER of the TSA signing certificate.
    pub fn tsa_leaf_der(&self) -> &[u8] {
        &self.tsa_leaf_der
    }
    /// SPKI DER of the Rekor v1 key (P-256).
    pub fn rekor_v1_spki(&self) -> Vec<u8> {
        p256_spki(&self.rekor_v1_key)
    }
    /// Raw Ed25519 key of the Rekor v2 log.
    pub fn rekor_v2_key(&self) -> [u8; 32] {
        self.rekor_v2_key.verifying_key().to_bytes()
    }
    /// SPKI DER of the Rekor v2 key (RFC 8410).
    pub fn rekor_v2_spki(&self) -> Vec<u8> {
        let mut s = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        s.extend_from_slice(&self.rekor_v2_key());
        s
    }
    /// SPKI DER of the CT log key (P-256).
    pub fn ctlog_spki(&self) -> Vec<u8> {
        p256_spki(&self.ctlog_key)
    }
    /// SPKI DER of the Fulcio intermediate (the SCT issuer key).
    pub fn fulcio_intermediate_spki(&self) -> Vec<u8> {
        p384_spki(&self.fulcio_inter_key)
    }
    /// Rekor v1 log ID: SHA-256(SPKI) (rekor `VerifySignedEntryTimestamp`).
    pub fn rekor_v1_log_id(&self) -> [u8; 32] {
        sha256(&self.rekor_v1_spki())
    }
    /// Rekor v2 log ID: the full C2SP key ID (`sigstore_trustroot.proto`; rekor-tiles `CLIENTS.md`).
    pub fn rekor_v2_log_id(&self) -> [u8; 32] {
        c2sp_ed25519_key_id(REKOR_V2_NAME, &self.rekor_v2_key())
    }
    /// CT log ID: SHA-256(SPKI) (RFC 6962 §3.2).
    pub fn ctlog_log_id(&self) -> [u8; 32] {
        sha256(&self.ctlog_spki())
    }
    /// Current size of the Rekor v1 log.
    pub fn rekor_v1_size(&self) -> u64 {
        self.rekor_v1.size()
    }
    /// Current size of the Rekor v2 log.
    pub fn rekor_v2_size(&self) -> u64 {
        self.rekor_v2.size()
    }

    fn valid_for(&self, a: Authority) -> Value {
        let w = self.windows[authority_index(a)];
        let mut v = json!({ "start": format_rfc3339(w.start) });
        if let Some(end) = w.end {
            v["end"] = json!(format_rfc3339(end));
        }
        v
    }

    /// `trusted_root.json` (`sigstore_trustroot.proto`) for this deployment: CA chain [intermediate, root],
    /// tlogs [Rekor v1 (ECDSA P-256), Rekor v2 (Ed25519, with `checkpointKeyId`)], the CT
    /// log and the TSA chain [leaf, root], each with its configured `validFor`.
    pub fn trusted_root_json(&self) -> Vec<u8> {
        let v2_id = base64_encode(&self.rekor_v2_log_id());
        let root = json!({
            "mediaType": TRUSTED_ROOT_MEDIA_TYPE,
            "tlogs": [
                {
                    "baseUrl": REKOR_V1_URL,
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": base64_encode(&self.rekor_v1_spki()),
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": self.valid_for(Authority::TlogV1),
                    },
                    "logId": { "keyId": base64_encode(&self.rekor_v1_log_id()) },
                },
                {
                    "baseUrl": REKOR_V2_URL,
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": base64_encode(&self.rekor_v2_spki()),
                        "keyDetails": "PKIX_ED25519",
                        "validFor": self.valid_for(Authority::TlogV2),
                    },
                    "logId": { "keyId": v2_id },
                    "checkpointKeyId": { "keyId": v2_id },
                },
            ],
            "certificateAuthorities": [{
                "subject": { "organization": "vsig.test", "commonName": "vsig-root" },
                "uri": FULCIO_URL,
                "certChain": { "certificates": [
                    { "rawBytes": base64_encode(&self.fulcio_inter_der) },
                    { "rawBytes": base64_encode(&self.fulcio_root_der) },
                ]},
                "validFor": self.valid_for(Authority::Ca),
            }],
            "ctlogs": [{
                "baseUrl": CTLOG_URL,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64_encode(&self.ctlog_spki()),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": self.valid_for(Authority::Ctlog),
                },
                "logId": { "keyId": base64_encode(&self.ctlog_log_id()) },
            }],
            "timestampAuthorities": [{
                "subject": { "organization": "vsig.test", "commonName": "vsig-tsa-selfsigned" },
                "uri": TSA_URL,
                "certChain": { "certificates": [
                    { "rawBytes": base64_encode(&self.tsa_leaf_der) },
                    { "rawBytes": base64_encode(&self.tsa_root_der) },
                ]},
                "validFor": self.valid_for(Authority::Tsa),
            }],
        });
        serde_json::to_vec_pretty(&root).unwrap()
    }

    /// The leaf certificate's extensions in Fulcio's order, without the SCT list.
    fn leaf_extensions(&self, leaf_spki: &[u8], opts: &SignOptions) -> Vec<Vec<u8>> {
        let san = match &opts.identity {
            San::Uri(u) => tlv(0x86, u.as_bytes()),   // [6] IA5String
            San::Email(e) => tlv(0x81, e.as_bytes()), // [1] IA5String
            // otherName [0] IMPLICIT SEQUENCE { type-id, value [0] EXPLICIT UTF8String }.
            San::OtherName(n) => ctx(
                0,
                &[
                    oid(&format!("{}.7", oid::FULCIO_ARC)),
                    ctx(0, &der_w::utf8(n)),
                ]
                .concat(),
            ),
        };
        let inter_spki = self.fulcio_intermediate_spki();
        let mut exts = vec![
            // `fulcio:docs/certificate-specification.md`: KeyUsage critical digitalSignature only; EKU codeSigning only.
            ext(oid::KEY_USAGE, true, &[0x03, 0x02, 0x07, 0x80]),
            ext(oid::EKU, false, &seq(&[oid(oid::KP_CODE_SIGNING)])),
            ext(oid::SKI, false, &octets(&key_id(leaf_spki))),
            ext(oid::AKI, false, &seq(&[tlv(0x80, &key_id(&inter_spki))])),
            // Exactly one critical SAN (empty subject).
            ext(oid::SAN, true, &seq(&[san])),
            // .1: raw issuer bytes (deprecated); .8: DER UTF8String issuer.
            ext(
                &format!("{}.1", oid::FULCIO_ARC),
                false,
                opts.issuer.as_bytes(),
            ),
            ext(
                &format!("{}.8", oid::FULCIO_ARC),
                false,
                &der_w::utf8(&opts.issuer),
            ),
        ];
        for (n, value) in &opts.extensions {
            let o = format!("{}.{n}", oid::FULCIO_ARC);
            let v = if (2..=6).contains(n) {
                value.as_bytes().to_vec()
            } else {
                der_w::utf8(value)
            };
            exts.push(ext(&o, false, &v));
        }
        exts
    }

    /// RFC 6962 §3.2 SCT over the precertificate TBS, as a TLS `SignedCertificateTimestamp`.
    fn sct(&self, precert_tbs: &[u8], timestamp_ms: u64) -> Vec<u8> {
        let issuer_key_hash = sha256(&self.fulcio_intermediate_spki());
        // digitally-signed struct: version 0, signature_type certificate_timestamp (0),
        // timestamp, entry_type precert_entry (1), PreCert {issuer_key_hash, u24 TBS},
        // CtExtensions (u16 length 0).
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&timestamp_ms.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes());
        signed.extend_from_slice(&issuer_key_hash);
        let len = u32::try_from(precert_tbs.len()).unwrap();
        signed.extend_from_slice(&len.to_be_bytes()[1..]);
        signed.extend_from_slice(precert_tbs);
        signed.extend_from_slice(&0u16.to_be_bytes());
        let sig = sign_p256(&self.ctlog_key, &signed);
        // SCT: version, log_id, timestamp, extensions, hash_alg sha256 (4), sig_alg ecdsa (3), sig.
        let mut sct = vec![0u8];
        sct.extend_from_slice(&self.ctlog_log_id());
        sct.extend_from_slice(&timestamp_ms.to_be_bytes());
        sct.extend_from_slice(&0u16.to_be_bytes());
        sct.extend_from_slice(&[4, 3]);
        sct.extend_from_slice(&u16::try_from(sig.len()).unwrap().to_be_bytes());
        sct.extend_from_slice(&sig);
        sct
    }

    /// Issues the leaf for `leaf_spki` (with an embedded SCT when asked).
    fn issue_leaf(&self, leaf_spki: &[u8], opts: &SignOptions) -> Vec<u8> {
        let mut exts = self.leaf_extensions(leaf_spki, opts);
        let issuer = fulcio_inter_name();
        let subject = seq(&[]);
        let serial_bytes = serial(self.seed, "leaf-serial", self.counter);
        let spec = |exts: &[Vec<u8>]| {
            tbs_certificate(&CertSpec {
                serial: &serial_bytes,
                sig_alg: oid::ECDSA_SHA384,
                issuer: &issuer,
                not_before: opts.signed_at,
                not_after: opts.signed_at + opts.cert_lifetime_secs,
                subject: &subject,
                spki: leaf_spki,
                extensions: exts,
            })
        };
        if opts.with_sct {
            // The precertificate TBS is the final TBS without the SCT extension, which is
            // last, so removing it from the final certificate gives back these bytes.
            let precert_tbs = spec(&exts);
            let ms = u64::try_from(opts.signed_at).unwrap() * 1000;
            let sct = self.sct(&precert_tbs, ms);
            let mut list = u16::try_from(sct.len()).unwrap().to_be_bytes().to_vec();
            list.extend_from_slice(&sct);
            let mut tls = u16::try_from(list.len()).unwrap().to_be_bytes().to_vec();
            tls.extend_from_slice(&list);
            // extnValue = OCTET STRING( OCTET STRING( SignedCertificateTimestampList ) ).
            exts.push(ext(oid::SCT_LIST, false, &octets(&tls)));
        }
        let tbs = spec(&exts);
        let sig = sign_p384(&self.fulcio_inter_key, &tbs);
        certificate(tbs, oid::ECDSA_SHA384, &sig)
    }

    /// RFC 3161 `TimeStampResp` whose token stamps `signature` at `at` (genTime).
    pub fn timestamp(&mut self, signature: &[u8], at: i64, embed_certs: bool) -> Vec<u8> {
        self.counter += 1;
        let tst_serial = serial(self.seed, "tst-serial", self.counter);
        // RFC 3161 §2.4.2 TSTInfo.
        let tst_info = seq(&[
            int(1),
            oid(oid::TSA_POLICY),
            seq(&[
                seq(&[oid(oid::SHA256), der_w::null()]),
                octets(&sha256(signature)),
            ]),
            int_bytes(&tst_serial),
            // RFC 3161 §2.4.2: genTime is a GeneralizedTime ending in Z.
            gen_time(at),
        ]);
        // RFC 5035 §5.4 ESSCertIDv2 { certHash, issuerSerial } (hashAlgorithm sha256 = default).
        let tsa_serial = serial(self.seed, "tsa-leaf-serial", 0);
        let ess = seq(&[
            octets(&sha256(&self.tsa_leaf_der)),
            seq(&[seq(&[ctx(4, &tsa_root_name())]), int_bytes(&tsa_serial)]),
        ]);
        // RFC 5652 §5.3 signed attributes.
        let attrs = vec![
            seq(&[oid(oid::CONTENT_TYPE), set_of(&[oid(oid::CT_TST_INFO)])]),
            seq(&[
                oid(oid::MESSAGE_DIGEST),
                set_of(&[octets(&sha256(&tst_info))]),
            ]),
            seq(&[oid(oid::SIGNING_CERT_V2), set_of(&[seq(&[seq(&[ess])])])]),
        ];
        // The signature covers the DER of the SET OF attributes (RFC 5652 §5.4) ...
        let signed_attrs = set_of(&attrs);
        let sig = sign_p256(&self.tsa_leaf_key, &signed_attrs);
        // ... which is written as [0] IMPLICIT in SignerInfo.
        let mut implicit = signed_attrs.clone();
        implicit[0] = 0xa0;
        let signer_info = seq(&[
            int(1),
            seq(&[tsa_root_name(), int_bytes(&tsa_serial)]),
            alg(oid::SHA256),
            implicit,
            alg(oid::ECDSA_SHA256),
            octets(&sig),
        ]);
        let mut signed_data = vec![
            int(3),
            set_of(&[alg(oid::SHA256)]),
            seq(&[oid(oid::CT_TST_INFO), ctx(0, &octets(&tst_info))]),
        ];
        if embed_certs {
            // certificates [0] IMPLICIT CertificateSet (a SET OF: DER-sorted).
            let mut certs = [self.tsa_leaf_der.clone(), self.tsa_root_der.clone()];
            certs.sort();
            signed_data.push(ctx(0, &certs.concat()));
        }
        signed_data.push(set_of(&[signer_info]));
        let content_info = seq(&[oid(oid::SIGNED_DATA), ctx(0, &seq(&signed_data))]);
        // TimeStampResp { status PKIStatusInfo { granted (0) }, timeStampToken }.
        seq(&[seq(&[int(0)]), content_info])
    }

    /// Appends `body` to the Rekor v1 log and returns the bundle's tlog entry (`sigstore_bundle.proto`; rekor `VerifySignedEntryTimestamp`; RFC 6962 §2.1.1).
    fn rekor_v1_entry(&mut self, body: &[u8], kind: &str, integrated_time: i64) -> Value {
        let index = self.rekor_v1.append(body);
        let log_id = self.rekor_v1_log_id();
        let set = sign_p256(
            &self.rekor_v1_key,
            &set_message(body, integrated_time, &log_id, index),
        );
        let root = self.rekor_v1.root();
        let size = self.rekor_v1.size();
        let note = format!("{REKOR_V1_ORIGIN}\n{size}\n{}\n", base64_encode(&root));
        let mut sig = log_id[..4].to_vec();
        sig.extend_from_slice(&sign_p256(&self.rekor_v1_key, note.as_bytes()));
        let envelope = format!("{note}\n\u{2014} {REKOR_V1_NAME} {}\n", base64_encode(&sig));
        let mut proof = json!({
            "logIndex": index.to_string(),
            "rootHash": base64_encode(&root),
            "treeSize": size.to_string(),
            "checkpoint": { "envelope": envelope },
        });
        let hashes: Vec<String> = self
            .rekor_v1
            .proof(index)
            .iter()
            .map(|h| base64_encode(h))
            .collect();
        if !hashes.is_empty() {
            proof["hashes"] = json!(hashes);
        }
        json!({
            "logIndex": index.to_string(),
            "logId": { "keyId": base64_encode(&log_id) },
            "kindVersion": { "kind": kind, "version": "0.0.1" },
            "integratedTime": integrated_time.to_string(),
            "inclusionPromise": { "signedEntryTimestamp": base64_encode(&set) },
            "inclusionProof": proof,
            "canonicalizedBody": base64_encode(body),
        })
    }

    /// Appends `body` to the Rekor v2 log and returns the bundle's tlog entry (C2SP `tlog-checkpoint`; rekor-tiles `CLIENTS.md`).
    /// Public so that tests can log a body that does not describe the bundle (a correctly
    /// included, correctly checkpointed entry whose body must still be rejected).
    pub fn rekor_v2_entry(&mut self, body: &[u8]) -> Value {
        use ed25519_dalek::Signer as _;
        let index = self.rekor_v2.append(body);
        let root = self.rekor_v2.root();
        let size = self.rekor_v2.size();
        let key_id = self.rekor_v2_log_id();
        let note = format!("{REKOR_V2_NAME}\n{size}\n{}\n", base64_encode(&root));
        let mut sig = key_id[..4].to_vec();
        sig.extend_from_slice(&self.rekor_v2_key.sign(note.as_bytes()).to_bytes());
        let envelope = format!("{note}\n\u{2014} {REKOR_V2_NAME} {}\n", base64_encode(&sig));
        let mut proof = json!({
            "logIndex": index.to_string(),
            "rootHash": base64_encode(&root),
            "treeSize": size.to_string(),
            "checkpoint": { "envelope": envelope },
        });
        let hashes: Vec<String> = self
            .rekor_v2
            .proof(index)
            .iter()
            .map(|h| base64_encode(h))
            .collect();
        if !hashes.is_empty() {
            proof["hashes"] = json!(hashes);
        }
        json!({
            "logIndex": index.to_string(),
            "logId": { "keyId": base64_encode(&key_id) },
            "kindVersion": { "kind": "hashedrekord", "version": "0.0.2" },
            "inclusionProof": proof,
            "canonicalizedBody": base64_encode(body),
        })
    }

    /// Signs the artifact with SHA-256 digest `artifact_sha256` and returns the bundle JSON
    /// (v0.3 media type, `certificate`), logging it and timestamping it as `opts` says.
    pub fn sign(&mut self, artifact_sha256: [u8; 32], opts: &SignOptions) -> Vec<u8> {
        self.counter += 1;
        let leaf_key = p256_key(self.seed, &format!("leaf-{}", self.counter));
        let leaf_spki = p256_spki(&leaf_key);

        // The signature, and the digest Rekor v2 logs for it.
        let (signature, content, signed_digest, dsse_payload) = match opts.content {
            ContentKind::MessageSignature => {
                // ECDSA P-256 over SHA-256(artifact): sign the prehash.
                let s: p256::ecdsa::Signature = leaf_key.sign_prehash(&artifact_sha256).unwrap();
                let sig = s.to_der().as_bytes().to_vec();
                let content = json!({ "messageSignature": {
                    "messageDigest": { "algorithm": "SHA2_256", "digest": base64_encode(&artifact_sha256) },
                    "signature": base64_encode(&sig),
                }});
                (sig, content, artifact_sha256, None)
            }
            ContentKind::CosignDsse => {
                // cosign v3 `signDigestBundle` payload, as in real cosign bundles.
                let payload = format!(
                    "{{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{{\"digest\":{{\"sha256\":\"{}\"}},\"annotations\":{{}}}}],\"predicateType\":\"https://sigstore.dev/cosign/sign/v1\"}}",
                    hex_encode(&artifact_sha256)
                );
                let payload_type = "application/vnd.in-toto+json";
                let msg = pae(payload_type, payload.as_bytes());
                let sig = sign_p256(&leaf_key, &msg);
                let content = json!({ "dsseEnvelope": {
                    "payload": base64_encode(payload.as_bytes()),
                    "payloadType": payload_type,
                    "signatures": [{ "sig": base64_encode(&sig) }],
                }});
                (sig, content, sha256(&msg), Some(payload.into_bytes()))
            }
        };

        let cert = self.issue_leaf(&leaf_spki, opts);
        let cert_pem_b64 = base64_encode(pem_encode("CERTIFICATE", &cert).as_bytes());

        let mut tlog_entries = Vec::new();
        match opts.rekor {
            RekorMode::V1 { integrated_time } => {
                let (kind, body) = match &dsse_payload {
                    None => (
                        "hashedrekord",
                        json!({
                            "apiVersion": "0.0.1", "kind": "hashedrekord",
                            "spec": {
                                "data": { "hash": { "algorithm": "sha256", "value": hex_encode(&artifact_sha256) } },
                                "signature": { "content": base64_encode(&signature),
                                               "publicKey": { "content": cert_pem_b64 } },
                            },
                        }),
                    ),
                    Some(payload) => {
                        // envelopeHash: SHA-256 of the envelope JSON as submitted (here its JCS).
                        let envelope = jcs(&content["dsseEnvelope"]);
                        (
                            "dsse",
                            json!({
                                "apiVersion": "0.0.1", "kind": "dsse",
                                "spec": {
                                    "envelopeHash": { "algorithm": "sha256", "value": hex_encode(&sha256(envelope.as_bytes())) },
                                    "payloadHash": { "algorithm": "sha256", "value": hex_encode(&sha256(payload)) },
                                    "signatures": [{ "signature": base64_encode(&signature), "verifier": cert_pem_b64 }],
                                },
                            }),
                        )
                    }
                };
                let body = jcs(&body);
                tlog_entries.push(self.rekor_v1_entry(body.as_bytes(), kind, integrated_time));
            }
            RekorMode::V2 => {
                // hashedrekord 0.0.2; for DSSE the digest is SHA-256(PAE) (rekor `pkg/types/*/entry.go`).
                let body = jcs(&json!({
                    "apiVersion": "0.0.2", "kind": "hashedrekord",
                    "spec": { "hashedRekordV002": {
                        "data": { "algorithm": "SHA2_256", "digest": base64_encode(&signed_digest) },
                        "signature": {
                            "content": base64_encode(&signature),
                            "verifier": {
                                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                "x509Certificate": { "rawBytes": base64_encode(&cert) },
                            },
                        },
                    }},
                }));
                tlog_entries.push(self.rekor_v2_entry(body.as_bytes()));
            }
            RekorMode::None => {}
        }

        let timestamps: Vec<Value> = opts
            .timestamps
            .iter()
            .map(|t| {
                let resp = self.timestamp(&signature, *t, opts.embed_tsa_certs);
                json!({ "signedTimestamp": base64_encode(&resp) })
            })
            .collect();

        let mut material = json!({ "certificate": { "rawBytes": base64_encode(&cert) } });
        if !tlog_entries.is_empty() {
            material["tlogEntries"] = json!(tlog_entries);
        }
        if !timestamps.is_empty() {
            material["timestampVerificationData"] = json!({ "rfc3161Timestamps": timestamps });
        }
        let mut bundle = json!({
            "mediaType": BUNDLE_MEDIA_TYPE,
            "verificationMaterial": material,
        });
        for (k, v) in content.as_object().unwrap() {
            bundle[k] = v.clone();
        }
        serde_json::to_vec_pretty(&bundle).unwrap()
    }
}

/// A cosign referrer manifest (cosign v3 `pkg/oci/remote/write.go`) and the blobs it points to.
#[derive(Clone, Debug)]
pub struct ReferrerManifest {
    /// Manifest JSON bytes (`application/vnd.oci.image.manifest.v1+json`).
    pub manifest: Vec<u8>,
    /// `sha256:<hex>` of `manifest`.
    pub manifest_digest: String,
    /// The config blob, `{}`.
    pub config_blob: Vec<u8>,
    /// `sha256:<hex>` of `config_blob` ([`EMPTY_CONFIG_DIGEST`]).
    pub config_digest: String,
    /// The single layer: the bundle bytes.
    pub layer: Vec<u8>,
    /// `sha256:<hex>` of `layer`.
    pub layer_digest: String,
}

/// `sha256:<hex>` of `data`.
pub fn oci_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex_encode(&sha256(data)))
}

/// Builds the referrer manifest cosign ≥ v3 pushes for a bundle (cosign v3 `pkg/oci/remote/write.go`,
/// `WriteAttestationNewBundleFormat`): empty config, one bundle layer, `subject` = the
/// signed manifest. `dev.sigstore.bundle.content` is `dsse-envelope` (with the statement's
/// predicateType) when the bundle holds a DSSE envelope, else `message-signature`.
pub fn cosign_referrer_manifest(
    subject_digest: &str,
    subject_media_type: &str,
    subject_size: u64,
    bundle_bytes: &[u8],
) -> ReferrerManifest {
    let bundle: Value = serde_json::from_slice(bundle_bytes).unwrap();
    let mut annotations = json!({ "org.opencontainers.image.created": MANIFEST_CREATED });
    if let Some(env) = bundle.get("dsseEnvelope") {
        annotations["dev.sigstore.bundle.content"] = json!("dsse-envelope");
        let payload =
            rulepack_verify::encoding::base64_decode(env["payload"].as_str().unwrap()).unwrap();
        let stmt: Value = serde_json::from_slice(&payload).unwrap();
        if let Some(pt) = stmt.get("predicateType") {
            annotations["dev.sigstore.bundle.predicateType"] = pt.clone();
        }
    } else {
        annotations["dev.sigstore.bundle.content"] = json!("message-signature");
    }
    let config_blob = b"{}".to_vec();
    let layer = bundle_bytes.to_vec();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": BUNDLE_MEDIA_TYPE,
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "artifactType": BUNDLE_MEDIA_TYPE,
            "digest": oci_digest(&config_blob),
            "size": config_blob.len(),
        },
        "layers": [{
            "mediaType": BUNDLE_MEDIA_TYPE,
            "digest": oci_digest(&layer),
            "size": layer.len(),
        }],
        "subject": {
            "mediaType": subject_media_type,
            "digest": subject_digest,
            "size": subject_size,
        },
        "annotations": annotations,
    });
    let manifest = serde_json::to_vec(&manifest).unwrap();
    ReferrerManifest {
        manifest_digest: oci_digest(&manifest),
        config_digest: oci_digest(&config_blob),
        layer_digest: oci_digest(&layer),
        manifest,
        config_blob,
        layer,
    }
}
