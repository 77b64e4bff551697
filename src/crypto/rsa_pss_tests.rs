//! RSASSA-PSS ([`PublicKey::verify_rsa_pss`], TUF's `rsassa-pss-sha256`): OpenSSL vectors
//! (`testdata/rsa/make-pss.sh`), signatures made here with the `rsa` crate at every kind
//! of salt length, and tampering.

use std::path::Path;

use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding};

use super::{pss_salt_len, CryptoError, HashAlgorithm, KeyAlgorithm, PublicKey};

fn file(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/rsa")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"))
}

fn key() -> PublicKey {
    PublicKey::from_spki_der(&file("rsa2048.spki.der")).unwrap()
}

fn private() -> rsa::RsaPrivateKey {
    rsa::RsaPrivateKey::from_pkcs8_der(&file("rsa2048-test-only.pk8.der")).unwrap()
}

const ALG: KeyAlgorithm = KeyAlgorithm::RsaPkcs1v15 { bits: 2048 };
const BAD: Result<(), CryptoError> = Err(CryptoError::BadSignature { algorithm: ALG });

/// A PSS signature made with the `rsa` crate: `hash`, MGF1-`hash`, `salt` bytes of salt.
fn sign(hash: HashAlgorithm, salt: usize, msg: &[u8]) -> Vec<u8> {
    let sk = private();
    let mut rng = rand_core::OsRng;
    match hash {
        HashAlgorithm::Sha256 => rsa::pss::SigningKey::<sha2::Sha256>::new_with_salt_len(sk, salt)
            .sign_with_rng(&mut rng, msg)
            .to_vec(),
        HashAlgorithm::Sha384 => rsa::pss::SigningKey::<sha2::Sha384>::new_with_salt_len(sk, salt)
            .sign_with_rng(&mut rng, msg)
            .to_vec(),
        HashAlgorithm::Sha512 => rsa::pss::SigningKey::<sha2::Sha512>::new_with_salt_len(sk, salt)
            .sign_with_rng(&mut rng, msg)
            .to_vec(),
    }
}

#[test]
fn openssl_signatures_verify_whatever_the_salt_length() {
    let (k, msg) = (key(), file("message.txt"));
    for name in ["salt32", "salt0", "saltmax"] {
        let sig = file(&format!("rsa2048.pss-sha256-{name}.sig"));
        assert_eq!(sig.len(), 256);
        k.verify_rsa_pss(HashAlgorithm::Sha256, &msg, &sig)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Not a PKCS#1 v1.5 signature, nor a PSS signature over another message.
        assert_eq!(k.verify(HashAlgorithm::Sha256, &msg, &sig), BAD, "{name}");
        let mut other = msg.clone();
        other[0] ^= 1;
        assert_eq!(
            k.verify_rsa_pss(HashAlgorithm::Sha256, &other, &sig),
            BAD,
            "{name}"
        );
        // SHA-256 names the hash and MGF1 function: under SHA-384 it does not verify.
        assert_eq!(k.verify_rsa_pss(HashAlgorithm::Sha384, &msg, &sig), BAD);
    }
    // A PKCS#1 v1.5 signature is not a PSS signature.
    let pkcs1 = file("rsa2048.sha256.sig");
    assert_eq!(k.verify_rsa_pss(HashAlgorithm::Sha256, &msg, &pkcs1), BAD);
}

#[test]
fn rsa_crate_signatures_verify_for_each_salt_length_and_hash() {
    let (k, msg) = (key(), b"canonical TUF bytes".as_slice());
    // emLen - hLen - 2 = 256 - 32 - 2 = 222 is the largest SHA-256 salt for RSA-2048.
    for salt in [0, 1, 20, 32, 64, 221, 222] {
        let sig = sign(HashAlgorithm::Sha256, salt, msg);
        k.verify_rsa_pss(HashAlgorithm::Sha256, msg, &sig)
            .unwrap_or_else(|e| panic!("salt {salt}: {e}"));
    }
    for hash in [HashAlgorithm::Sha384, HashAlgorithm::Sha512] {
        let sig = sign(hash, hash.output_len(), msg);
        k.verify_rsa_pss(hash, msg, &sig).unwrap();
        assert_eq!(k.verify_rsa_pss(HashAlgorithm::Sha256, msg, &sig), BAD);
    }
}

#[test]
fn malformed_and_tampered_signatures_fail() {
    let (k, msg) = (key(), file("message.txt"));
    let sig = file("rsa2048.pss-sha256-salt32.sig");
    // RFC 8017 §8.1.2 step 1: exactly k bytes.
    for bad_len in [&sig[..255], &[&[0u8][..], &sig[..]].concat()[..], &[][..]] {
        assert_eq!(
            k.verify_rsa_pss(HashAlgorithm::Sha256, &msg, bad_len),
            Err(CryptoError::MalformedSignature {
                algorithm: ALG,
                len: bad_len.len()
            })
        );
    }
    // RSAVP1: s < n. All-ones is above every 2048-bit modulus; s + n, when it still fits
    // in 256 bytes, is the same value mod n and must not verify.
    assert_eq!(
        k.verify_rsa_pss(HashAlgorithm::Sha256, &msg, &[0xff; 256]),
        BAD
    );
    assert_eq!(
        k.verify_rsa_pss(HashAlgorithm::Sha256, &msg, &[0; 256]),
        BAD
    );
    let rsa_pk = rsa::RsaPublicKey::from(&private());
    let n = rsa::traits::PublicKeyParts::n(&rsa_pk);
    let s_plus_n = (rsa::BigUint::from_bytes_be(&sig) + n).to_bytes_be();
    if s_plus_n.len() == 256 {
        assert_eq!(
            k.verify_rsa_pss(HashAlgorithm::Sha256, &msg, &s_plus_n),
            BAD
        );
    }
    // No mutation of the signature verifies, and none panics.
    let mut accepted = 0;
    let n = crate::testutil::mutate_all(&sig, |s| {
        let r = k.verify_rsa_pss(HashAlgorithm::Sha256, &msg, s);
        accepted += usize::from(r.is_ok());
        r
    });
    assert!(n > 500);
    assert_eq!(accepted, 0);
    // Another key's valid signature does not verify.
    let other = PublicKey::from_spki_der(&file("rsa2048-e3.spki.der")).unwrap();
    assert_eq!(
        other.verify_rsa_pss(HashAlgorithm::Sha256, &msg, &sig),
        Err(CryptoError::BadSignature { algorithm: ALG })
    );
    // Non-RSA keys cannot verify PSS.
    let p256 = p256::ecdsa::SigningKey::from_slice(&[5; 32]).unwrap();
    let p256 = PublicKey::from_spki_der(
        p256::pkcs8::EncodePublicKey::to_public_key_der(p256.verifying_key())
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let e = p256
        .verify_rsa_pss(HashAlgorithm::Sha256, &msg, &sig)
        .unwrap_err();
    assert_eq!(
        e,
        CryptoError::SchemeMismatch {
            algorithm: KeyAlgorithm::EcdsaP256,
            scheme: "RSASSA-PSS"
        }
    );
    assert_eq!(
        e.to_string(),
        "a ECDSA P-256 key cannot verify RSASSA-PSS signatures"
    );
}

/// The salt-length reading of RFC 8017 §9.1.2 steps 4-10, on encodings recovered from
/// real signatures (EM = s^e mod n) and on broken ones.
#[test]
fn salt_length_is_read_from_the_encoding() {
    let rsa_pk = rsa::RsaPublicKey::from(&private());
    let (n, e) = (
        rsa::traits::PublicKeyParts::n(&rsa_pk).clone(),
        rsa::traits::PublicKeyParts::e(&rsa_pk).clone(),
    );
    let em = |sig: &[u8]| {
        let m = rsa::BigUint::from_bytes_be(sig)
            .modpow(&e, &n)
            .to_bytes_be();
        let mut em = vec![0u8; 256 - m.len()];
        em.extend_from_slice(&m);
        em
    };
    let sha256 = HashAlgorithm::Sha256;
    for salt in [0, 32, 222] {
        let good = em(&sign(sha256, salt, b"m"));
        assert_eq!(pss_salt_len(&good, 2047, sha256), Some(salt));
        // Step 4: the trailer byte is 0xbc.
        let mut bad = good.clone();
        *bad.last_mut().unwrap() = 0xbd;
        assert_eq!(pss_salt_len(&bad, 2047, sha256), None);
        // Step 6: the bit above emBits is zero.
        let mut bad = good.clone();
        bad[0] |= 0x80;
        assert_eq!(pss_salt_len(&bad, 2047, sha256), None);
    }
    // Too short for a hash and the trailer; empty.
    assert_eq!(pss_salt_len(&[0xbc; 33], 263, sha256), None);
    assert_eq!(pss_salt_len(&[], 0, sha256), None);
    // A DB without its 0x01 separator.
    let mut no_one = vec![0u8; 256];
    no_one[255] = 0xbc;
    assert_eq!(pss_salt_len(&no_one, 2047, sha256), None);
}
