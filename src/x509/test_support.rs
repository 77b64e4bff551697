//! Test-only helpers: reading bundles and trusted roots with serde_json (the
//! trusted-root parser lives in another module), the vendored real cases of
//! `testdata/real`, and minting synthetic certificates and SCTs (including an
//! RSA-signed Fulcio-style leaf whose SCT carries extensions, a case no vendored file
//! covers).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use der::asn1::{BitString, GeneralizedTime, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use p256::ecdsa::signature::Signer as _;
use serde_json::Value;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

use crate::crypto::{HashAlgorithm, PublicKey, OID_ECDSA_SHA256};
use crate::encoding::base64_decode;
use crate::time::{parse_rfc3339, UnixTime};
use crate::trust_root::{CertificateAuthority, TransparencyLog, ValidityWindow};

pub(crate) fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
        .unwrap()
}

pub(crate) fn b64(v: &Value) -> Vec<u8> {
    base64_decode(v.as_str().expect("base64 string")).unwrap()
}

fn window(v: &Value) -> ValidityWindow {
    ValidityWindow {
        start: parse_rfc3339(v["start"].as_str().unwrap()).unwrap(),
        end: v
            .get("end")
            .map(|e| parse_rfc3339(e.as_str().unwrap()).unwrap()),
    }
}

/// `certificateAuthorities` (or `timestampAuthorities`) of a trusted_root.json.
pub(crate) fn authorities(root: &Value, list: &str) -> Vec<CertificateAuthority> {
    root[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|ca| CertificateAuthority {
            organization: ca["subject"]["organization"].as_str().map(str::to_owned),
            common_name: ca["subject"]["commonName"].as_str().map(str::to_owned),
            uri: ca["uri"].as_str().unwrap_or_default().to_owned(),
            cert_chain: ca["certChain"]["certificates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| b64(&c["rawBytes"]))
                .collect(),
            valid_for: window(&ca["validFor"]),
            operator: None,
        })
        .collect()
}

/// `ctlogs` of a trusted_root.json.
pub(crate) fn ctlogs(root: &Value) -> Vec<TransparencyLog> {
    root["ctlogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| TransparencyLog {
            base_url: l["baseUrl"].as_str().unwrap().to_owned(),
            hash_algorithm: HashAlgorithm::Sha256,
            public_key: PublicKey::from_spki_der(&b64(&l["publicKey"]["rawBytes"])).ok(),
            key_details: l["publicKey"]["keyDetails"].as_str().unwrap().to_owned(),
            valid_for: window(&l["publicKey"]["validFor"]),
            log_id: b64(&l["logId"]["keyId"]),
            checkpoint_key_id: None,
            operator: None,
        })
        .collect()
}

/// The certificates of a bundle's verification material, leaf first.
pub(crate) fn bundle_certs(bundle: &Value) -> Vec<Vec<u8>> {
    let vm = &bundle["verificationMaterial"];
    if let Some(c) = vm.get("certificate") {
        return vec![b64(&c["rawBytes"])];
    }
    vm["x509CertificateChain"]["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| b64(&c["rawBytes"]))
        .collect()
}

/// The first tlog entry's `integratedTime` (int64 as string or number).
pub(crate) fn integrated_time(bundle: &Value) -> Option<UnixTime> {
    let t = &bundle["verificationMaterial"]["tlogEntries"][0]["integratedTime"];
    t.as_str()
        .map(|s| s.parse().unwrap())
        .or_else(|| t.as_i64())
}

/// A conformance case: (bundle, trusted root: the case's own or production).
pub(crate) fn conformance_case(corpus: &Path, case: &str) -> (Value, Value) {
    let dir = corpus.join("conformance/bundle-verify").join(case);
    let root = if dir.join("trusted_root.json").is_file() {
        dir.join("trusted_root.json")
    } else {
        corpus.join("conformance/production_trusted_root.json")
    };
    (json(&dir.join("bundle.sigstore.json")), json(&root))
}

/// A vendored case: (bundle, trusted root), both relative to `testdata/real`.
pub(crate) fn vendored_case(bundle: &str, root: &str) -> (Value, Value) {
    (
        json(&crate::testutil::vendored(bundle)),
        json(&crate::testutil::vendored(root)),
    )
}

/// Vendored production bundles whose leaf chains to the production Fulcio intermediate
/// and carries one SCT from `ctfe.sigstore.dev/2022`, and whose first log entry has a
/// Rekor v1 `integratedTime`: (name, bundle, production trusted root).
pub(crate) fn production_leaf_cases() -> Vec<(String, Value, Value)> {
    use crate::testutil::{PRODUCTION_ROOT, SIGSTORE_VERIFY};
    let sv = |f: &str| format!("{SIGSTORE_VERIFY}{f}");
    [
        "bundle_v03.json".to_owned(),
        "npm_slsa_bundle_v03.json".to_owned(),
        "a.txt.sigstore".to_owned(),
        sv(HAPPY_PATH_V01),
        "crates.io/sigstore-bundle-0.15.1/tests/fixtures/happy-path.json".to_owned(),
        sv("bundles/bundle_v3_github.whl.sigstore"),
        sv("bundles/sigstore.js@2.0.0-provenance.sigstore.json"),
        sv("bundles/cosign-v3-blob.sigstore.json"),
        sv("bundles/conda-attestation.sigstore.json"),
        "pypi/pypi_attestations-0.0.30/test/assets/pypi_attestation_models-0.0.4a2.tar.gz.sigstore"
            .to_owned(),
    ]
    .into_iter()
    .map(|f| {
        let (bundle, root) = vendored_case(&f, PRODUCTION_ROOT);
        (f, bundle, root)
    })
    .collect()
}

/// The sigstore-conformance `happy-path-v0.1` bundle (production, signed by the
/// conformance beacon workflow), as vendored by crates.io `sigstore-verify` 0.15.1.
pub(crate) const HAPPY_PATH_V01: &str = "invalid-ct-key_fail/bundle.sigstore.json";

/// [`HAPPY_PATH_V01`] with the production trusted root.
pub(crate) fn happy_path_v01() -> (Value, Value) {
    vendored_case(
        &format!("{}{HAPPY_PATH_V01}", crate::testutil::SIGSTORE_VERIFY),
        crate::testutil::PRODUCTION_ROOT,
    )
}

/// An X.509 extension with a DER value.
pub(crate) fn ext(oid: &str, critical: bool, value: &impl Encode) -> Extension {
    Extension {
        extn_id: ObjectIdentifier::new_unwrap(oid),
        critical,
        extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

/// The extensions of a CA certificate (RFC 5280 §4.2.1.9, §4.2.1.3): basicConstraints
/// cA with no path length, keyUsage keyCertSign and cRLSign, both critical.
pub(crate) fn ca_extensions() -> Vec<Extension> {
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
    vec![
        ext(
            "2.5.29.19",
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: None,
            },
        ),
        ext(
            "2.5.29.15",
            true,
            &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        ),
    ]
}

/// A deterministic P-256 key.
pub(crate) fn key(seed: u8) -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn gt(t: UnixTime) -> Time {
    Time::GeneralTime(
        GeneralizedTime::from_unix_duration(Duration::from_secs(t.try_into().unwrap())).unwrap(),
    )
}

/// Mints a certificate for `subject_key` signed (ecdsa-with-SHA256) by `issuer_key`.
pub(crate) fn mint(
    subject: &str,
    subject_key: &p256::ecdsa::SigningKey,
    issuer: &str,
    issuer_key: &p256::ecdsa::SigningKey,
    validity: (UnixTime, UnixTime),
    extensions: Vec<Extension>,
) -> Vec<u8> {
    let spki =
        p256::pkcs8::EncodePublicKey::to_public_key_der(subject_key.verifying_key()).unwrap();
    mint_signed(
        subject,
        spki.as_bytes(),
        issuer,
        &Signer::P256(issuer_key),
        validity,
        extensions,
    )
}

/// The key that signs a minted certificate.
pub(crate) enum Signer<'a> {
    /// ecdsa-with-SHA256.
    P256(&'a p256::ecdsa::SigningKey),
    /// sha256WithRSAEncryption (RFC 4055 §5: NULL parameters).
    Rsa(&'a rsa::RsaPrivateKey),
}

impl Signer<'_> {
    fn algorithm(&self) -> AlgorithmIdentifierOwned {
        match self {
            Signer::P256(_) => AlgorithmIdentifierOwned {
                oid: OID_ECDSA_SHA256,
                parameters: None,
            },
            Signer::Rsa(_) => AlgorithmIdentifierOwned {
                oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"),
                parameters: Some(der::asn1::Any::null()),
            },
        }
    }

    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            Signer::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
            Signer::Rsa(k) => k
                .sign(
                    rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    &crate::crypto::sha256(msg),
                )
                .unwrap(),
        }
    }
}

/// Mints a certificate for the key `subject_spki` (DER), signed by `signer`.
pub(crate) fn mint_signed(
    subject: &str,
    subject_spki: &[u8],
    issuer: &str,
    signer: &Signer<'_>,
    validity: (UnixTime, UnixTime),
    extensions: Vec<Extension>,
) -> Vec<u8> {
    let tbs = tbs(subject, subject_spki, issuer, signer, validity, extensions);
    let sig = signer.sign(&tbs.to_der().unwrap());
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: signer.algorithm(),
        signature: BitString::from_bytes(&sig).unwrap(),
    }
    .to_der()
    .unwrap()
}

fn tbs(
    subject: &str,
    subject_spki: &[u8],
    issuer: &str,
    signer: &Signer<'_>,
    validity: (UnixTime, UnixTime),
    extensions: Vec<Extension>,
) -> TbsCertificate {
    TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&[0x01, subject.len() as u8]).unwrap(),
        signature: signer.algorithm(),
        issuer: Name::from_str(issuer).unwrap(),
        validity: Validity {
            not_before: gt(validity.0),
            not_after: gt(validity.1),
        },
        subject: if subject.is_empty() {
            Name::default()
        } else {
            Name::from_str(subject).unwrap()
        },
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(subject_spki).unwrap(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: (!extensions.is_empty()).then_some(extensions),
    }
}

/// A file of `testdata/rsa` (OpenSSL-made RSA vectors, see `testdata/rsa/make.sh`).
pub(crate) fn rsa_file(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/rsa")
            .join(name),
    )
    .unwrap()
}

/// The test-only RSA-2048 private key of `testdata/rsa` (public half `rsa2048.spki.der`).
pub(crate) fn rsa_test_key() -> rsa::RsaPrivateKey {
    rsa::pkcs8::DecodePrivateKey::from_pkcs8_der(&rsa_file("rsa2048-test-only.pk8.der")).unwrap()
}

/// A private Fulcio-like deployment minted here for what no vendored file covers: a
/// root (P-256, or RSA-2048 with sha256WithRSAEncryption) that directly issues an
/// ECDSA P-256 leaf (email SAN, Fulcio issuer, codeSigning), whose one embedded SCT,
/// from a P-256 CT log minted here too, carries non-empty `extensions`
/// (`00 00 05 00 00 00 00 70`; with the RSA root this is the shape of the
/// sigstore-conformance case `bundle-with-sct-with-extensions`).
///
/// The SCT is signed over the RFC 6962 §3.2 `digitally-signed` struct written out
/// below, independently of the verifier's own code.
pub(crate) struct MintedFulcio {
    /// The root (the only certificate of the authority).
    pub(crate) root: Vec<u8>,
    /// The leaf, with its SCT list extension.
    pub(crate) leaf: Vec<u8>,
    /// The CT log that signed the SCT.
    pub(crate) ctlog: TransparencyLog,
    /// `notBefore` of the leaf.
    pub(crate) signed_at: UnixTime,
}

/// The SCT `extensions` of [`MintedFulcio`].
pub(crate) const SCT_EXTENSIONS: [u8; 8] = [0, 0, 5, 0, 0, 0, 0, 0x70];

/// SCT list extension (RFC 6962 §3.3).
const OID_SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";

impl MintedFulcio {
    /// With a P-256 root (ecdsa-with-SHA256).
    pub(crate) fn p256() -> Self {
        let root_key = key(29);
        let spki =
            p256::pkcs8::EncodePublicKey::to_public_key_der(root_key.verifying_key()).unwrap();
        Self::new(spki.as_bytes(), &Signer::P256(&root_key))
    }

    /// With an RSA-2048 root (sha256WithRSAEncryption): the test-only key of
    /// `testdata/rsa`.
    pub(crate) fn rsa() -> Self {
        let ca_key = rsa_test_key();
        Self::new(&rsa_file("rsa2048.spki.der"), &Signer::Rsa(&ca_key))
    }

    fn new(root_spki: &[u8], signer: &Signer<'_>) -> Self {
        use x509_cert::ext::pkix::name::GeneralName;
        use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName};
        let t: UnixTime = 1_720_000_000; // 2024-07-03T09:46:40Z
        let root_name = "CN=minted-fulcio-test-root,O=rulepack-verify test";
        let root = mint_signed(
            root_name,
            root_spki,
            root_name,
            signer,
            (t - 86_400, t + 365 * 86_400),
            ca_extensions(),
        );
        let leaf_key = key(30);
        let leaf_spki =
            p256::pkcs8::EncodePublicKey::to_public_key_der(leaf_key.verifying_key()).unwrap();
        let email =
            GeneralName::Rfc822Name(der::asn1::Ia5String::new("signer@fulcio.test").unwrap());
        let mut exts = vec![
            ext(
                "2.5.29.15",
                true,
                &KeyUsage(KeyUsages::DigitalSignature.into()),
            ),
            ext(
                "2.5.29.37",
                false,
                &ExtendedKeyUsage(vec![crate::x509::EKU_CODE_SIGNING]),
            ),
            ext("2.5.29.17", true, &SubjectAltName(vec![email])),
            ext(
                "1.3.6.1.4.1.57264.1.8",
                false,
                &der::asn1::Utf8StringRef::new("https://issuer.test").unwrap(),
            ),
        ];
        let validity = (t, t + 600);
        // The precertificate TBS: the final TBS without the SCT list (RFC 6962 §3.2).
        let precert = tbs(
            "",
            leaf_spki.as_bytes(),
            root_name,
            signer,
            validity,
            exts.clone(),
        )
        .to_der()
        .unwrap();
        let log_key = key(31);
        let log_spki =
            p256::pkcs8::EncodePublicKey::to_public_key_der(log_key.verifying_key()).unwrap();
        let log_id = crate::crypto::sha256(log_spki.as_bytes());
        let root_spki = x509_cert::Certificate::from_der(&root)
            .unwrap()
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap();
        let timestamp_ms = u64::try_from(t).unwrap() * 1000 + 123;
        let mut signed = vec![0u8, 0]; // v1, certificate_timestamp
        signed.extend_from_slice(&timestamp_ms.to_be_bytes());
        signed.extend_from_slice(&[0, 1]); // precert_entry
        signed.extend_from_slice(&crate::crypto::sha256(&root_spki));
        signed.extend_from_slice(&u32::try_from(precert.len()).unwrap().to_be_bytes()[1..]);
        signed.extend_from_slice(&precert);
        signed.extend_from_slice(&(SCT_EXTENSIONS.len() as u16).to_be_bytes());
        signed.extend_from_slice(&SCT_EXTENSIONS);
        let sig: p256::ecdsa::Signature = log_key.sign(&signed);
        let sig = sig.to_der().as_bytes().to_vec();
        let mut sct = vec![0u8];
        sct.extend_from_slice(&log_id);
        sct.extend_from_slice(&timestamp_ms.to_be_bytes());
        sct.extend_from_slice(&(SCT_EXTENSIONS.len() as u16).to_be_bytes());
        sct.extend_from_slice(&SCT_EXTENSIONS);
        sct.extend_from_slice(&[4, 3]); // sha256, ecdsa
        sct.extend_from_slice(&(sig.len() as u16).to_be_bytes());
        sct.extend_from_slice(&sig);
        let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
        exts.push(ext(OID_SCT_LIST, false, &OctetString::new(list).unwrap()));
        let leaf = mint_signed("", leaf_spki.as_bytes(), root_name, signer, validity, exts);
        let ctlog = TransparencyLog {
            base_url: "https://ct.minted-fulcio.test".into(),
            hash_algorithm: HashAlgorithm::Sha256,
            public_key: Some(PublicKey::from_spki_der(log_spki.as_bytes()).unwrap()),
            key_details: "PKIX_ECDSA_P256_SHA_256".into(),
            valid_for: ValidityWindow {
                start: t - 86_400,
                end: None,
            },
            log_id: log_id.to_vec(),
            checkpoint_key_id: None,
            operator: None,
        };
        MintedFulcio {
            root,
            leaf,
            ctlog,
            signed_at: t,
        }
    }

    /// The authority: the root alone, valid from a day before the leaf.
    pub(crate) fn authority(&self) -> CertificateAuthority {
        CertificateAuthority {
            organization: Some("rulepack-verify test".into()),
            common_name: Some("minted-fulcio-test-root".into()),
            uri: "https://minted-fulcio.test".into(),
            cert_chain: vec![self.root.clone()],
            valid_for: ValidityWindow {
                start: self.signed_at - 86_400,
                end: None,
            },
            operator: None,
        }
    }
}
