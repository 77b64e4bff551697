//! What a build without the `rsa` cargo feature does with RSA keys, stage by stage.
//!
//! Test builds always have the feature (the crate's dev-dependency on itself enables
//! it), so these tests parse keys inside [`test_without_rsa`], which makes RSA keys on
//! the current thread behave as in such a build. `.ci/run` also checks a real build
//! without the feature through the binary.

use std::path::Path;

use serde_json::{json, Value};

use super::{test_without_rsa, CryptoError, HashAlgorithm, KeyAlgorithm, PublicKey};
use crate::bundle::Bundle;
use crate::encoding::base64_encode;
use crate::policy::{IdentityRule, Matcher, VerificationPolicy};
use crate::trust_root::{CertificateAuthority, TrustedRoot, ValidityWindow};
use crate::verify::{ArtifactDigests, Verifier};
use crate::x509::ParsedCertificate;

fn file(path: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"))
}

const RSA_2048: KeyAlgorithm = KeyAlgorithm::RsaPkcs1v15 { bits: 2048 };

/// Every message names the feature and how to enable it.
fn names_the_feature(text: &str) {
    assert!(text.contains("`rsa` cargo feature"), "{text}");
    assert!(text.contains("--features rsa"), "{text}");
}

#[test]
fn rsa_keys_parse_and_are_bounded_as_before_but_verify_nothing() {
    let (msg, sig) = (file("rsa/message.txt"), file("rsa/rsa2048.sha256.sig"));
    let spki = file("rsa/rsa2048.spki.der");
    // With the feature (this test build), the vector verifies.
    let with = PublicKey::from_spki_der(&spki).unwrap();
    with.verify(HashAlgorithm::Sha256, &msg, &sig).unwrap();
    assert_eq!(with.check_usable(), Ok(()));

    test_without_rsa(|| {
        let k = PublicKey::from_spki_der(&spki).unwrap();
        assert_eq!(k.algorithm(), RSA_2048);
        assert_eq!(k, with);
        let not_enabled = Err(CryptoError::RsaNotEnabled {
            algorithm: RSA_2048,
        });
        assert_eq!(k.check_usable(), not_enabled);
        assert_eq!(k.verify(HashAlgorithm::Sha256, &msg, &sig), not_enabled);
        let digest = HashAlgorithm::Sha256.digest(&msg);
        assert_eq!(k.verify_prehash(&digest, &sig), not_enabled);
        assert_eq!(
            k.verify_rsa_pss(HashAlgorithm::Sha256, &msg, &sig),
            not_enabled
        );
        let text = k.check_usable().unwrap_err().to_string();
        assert!(text.starts_with("RSA-2048 key: "), "{text}");
        names_the_feature(&text);
        // The same parsing and bounds as with the feature.
        let pkcs1 = PublicKey::from_pkcs1_der(&file("rsa/rsa2048.pkcs1.der")).unwrap();
        assert_eq!(pkcs1.spki_der(), &spki[..]);
        for (f, bits) in [
            ("rsa/rsa1024.spki.der", 1024),
            ("rsa/rsa8192.spki.der", 8192),
        ] {
            let e = PublicKey::from_spki_der(&file(f)).unwrap_err();
            assert!(
                matches!(e, CryptoError::UnsupportedRsaKey { bits: b, .. } if b == bits),
                "{e:?}"
            );
        }
        let mut long = spki.clone();
        long.push(0);
        assert!(PublicKey::from_spki_der(&long).is_err());
        assert!(crate::testutil::mutate_all(&spki, PublicKey::from_spki_der) > 500);
        // Other key types are unaffected.
        let ed = ed25519_dalek::SigningKey::from_bytes(&[3; 32]).verifying_key();
        let ed = PublicKey::from_ed25519_raw(ed.as_bytes()).unwrap();
        assert_eq!(ed.check_usable(), Ok(()));
        assert_eq!(
            ed.verify_rsa_pss(HashAlgorithm::Sha256, &msg, &sig),
            Err(CryptoError::SchemeMismatch {
                algorithm: KeyAlgorithm::Ed25519,
                scheme: "RSASSA-PSS"
            })
        );
    });
}

#[test]
fn rsa_certificate_key_is_an_unsupported_key() {
    let leaf = ParsedCertificate::from_der(&file("rsa/tsa-leaf.der")).unwrap();
    assert_eq!(leaf.public_key().unwrap().algorithm(), RSA_2048);
    test_without_rsa(|| {
        let e = leaf.public_key().unwrap_err();
        assert_eq!(e.code(), "certificate.unsupported-key");
        let text = e.to_string();
        assert!(text.contains("RSA-2048 key"), "{text}");
        names_the_feature(&text);
    });
}

/// The RSA TSA of `testdata/rsa/` (RSA-4096 root, RSA-2048 TSA certificate).
#[test]
fn rsa_timestamp_authority_fails_with_the_feature_named() {
    let (token, msg) = (file("rsa/tsa-response.tsr"), file("rsa/message.txt"));
    let ca = CertificateAuthority {
        organization: None,
        common_name: None,
        uri: "test-rsa-tsa".into(),
        cert_chain: vec![file("rsa/tsa-leaf.der"), file("rsa/tsa-root.der")],
        valid_for: ValidityWindow {
            start: 0,
            end: None,
        },
        operator: None,
    };
    let auth = std::slice::from_ref(&ca);
    crate::timestamp::verify_timestamp(&token, &msg, auth).unwrap();
    test_without_rsa(|| {
        let e = crate::timestamp::verify_timestamp(&token, &msg, auth).unwrap_err();
        assert_eq!(e.code(), "timestamp.signer-key-unsupported");
        names_the_feature(&e.to_string());
    });
}

/// The public-good trusted root with every CT log's (or every Rekor log's) key replaced
/// by the RSA-2048 test key; `logId`s are kept, so the real bundle's SCT and entry still
/// name these logs.
fn root_with_rsa_logs(list: &str) -> TrustedRoot {
    let mut v: Value = serde_json::from_slice(&file("trust/sigstore_trusted_root.json")).unwrap();
    for log in v[list].as_array_mut().unwrap() {
        log["publicKey"]["keyDetails"] = json!("PKIX_RSA_PKCS1V15_2048_SHA256");
        log["publicKey"]["rawBytes"] = json!(base64_encode(&file("rsa/rsa2048.spki.der")));
    }
    TrustedRoot::from_json(&serde_json::to_vec(&v).unwrap()).unwrap()
}

/// `testdata/real/a.txt.sigstore` (production, hashedrekord) against `root`.
fn verify_real(root: &TrustedRoot, policy: &VerificationPolicy) -> crate::Error {
    verify_bundle(&file("real/a.txt.sigstore"), root, policy)
}

fn verify_bundle(json: &[u8], root: &TrustedRoot, policy: &VerificationPolicy) -> crate::Error {
    let bundle = Bundle::from_json(json).unwrap();
    let artifact = ArtifactDigests::of_bytes(&file("real/a.txt"));
    Verifier::new(root.clone())
        .verify(&bundle, &artifact, &policy.clone().into(), 1_795_651_200)
        .unwrap_err()
}

fn any_identity() -> VerificationPolicy {
    VerificationPolicy::Identities(vec![IdentityRule::new(
        Matcher::regex(".*").unwrap(),
        Matcher::regex(".*").unwrap(),
    )])
}

/// A trusted root that merely lists RSA logs loads; only a bundle that needs one of them
/// fails, with the log's stage code and the feature named.
#[test]
fn trusted_root_with_rsa_logs_loads_and_fails_only_where_used() {
    test_without_rsa(|| {
        let ct = root_with_rsa_logs("ctlogs");
        assert!(ct
            .ctlogs
            .iter()
            .all(|l| l.public_key.as_ref().map(PublicKey::algorithm) == Some(RSA_2048)));
        let e = verify_real(&ct, &any_identity());
        assert_eq!(e.code(), "sct.log-key-unsupported", "{e}");
        names_the_feature(&e.to_string());

        let tlog = root_with_rsa_logs("tlogs");
        let e = verify_real(&tlog, &any_identity());
        assert_eq!(e.code(), "tlog.log-key-unsupported", "{e}");
        names_the_feature(&e.to_string());
    });
}

/// A policy key (`verify-bundle --key`) of RSA fails where the key is used: the
/// signature, step 3 (`a.txt.sigstore` turned into a key bundle: its message signature
/// and log entry, a public-key hint instead of the certificate).
#[test]
fn rsa_policy_key_is_an_unsupported_signature_key() {
    let mut v: Value = serde_json::from_slice(&file("real/a.txt.sigstore")).unwrap();
    let entries = v["verificationMaterial"]["tlogEntries"].clone();
    v["verificationMaterial"] = json!({"publicKey": {"hint": "rsa-test"}, "tlogEntries": entries});
    let key_bundle = serde_json::to_vec(&v).unwrap();
    let root = TrustedRoot::embedded_public_good().unwrap();
    let spki = file("rsa/rsa2048.spki.der");
    test_without_rsa(|| {
        let key = PublicKey::from_spki_der(&spki).unwrap();
        let e = verify_bundle(&key_bundle, &root, &VerificationPolicy::PublicKey(key));
        assert_eq!(e.code(), "signature.unsupported-key", "{e}");
        names_the_feature(&e.to_string());
    });
    // With the feature the key is usable, and the bundle's signature is not by it.
    let key = PublicKey::from_spki_der(&spki).unwrap();
    let e = verify_bundle(&key_bundle, &root, &VerificationPolicy::PublicKey(key));
    assert_eq!(e.code(), "signature.invalid", "{e}");
}
