//! Test-only helpers: reading corpus bundles and trusted roots with serde_json (the
//! trusted-root parser lives in another module), and minting synthetic certificates.
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
use p256::ecdsa::signature::Signer;
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

/// An X.509 extension with a DER value.
pub(crate) fn ext(oid: &str, critical: bool, value: &impl Encode) -> Extension {
    Extension {
        extn_id: ObjectIdentifier::new_unwrap(oid),
        critical,
        extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
    }
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
    let alg = AlgorithmIdentifierOwned {
        oid: OID_ECDSA_SHA256,
        parameters: None,
    };
    let spki =
        p256::pkcs8::EncodePublicKey::to_public_key_der(subject_key.verifying_key()).unwrap();
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&[0x01, subject.len() as u8]).unwrap(),
        signature: alg.clone(),
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
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(spki.as_bytes()).unwrap(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: (!extensions.is_empty()).then_some(extensions),
    };
    let sig: p256::ecdsa::Signature = issuer_key.sign(&tbs.to_der().unwrap());
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: alg,
        signature: BitString::from_bytes(sig.to_der().as_bytes()).unwrap(),
    }
    .to_der()
    .unwrap()
}
