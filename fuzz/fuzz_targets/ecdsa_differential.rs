//! Differential target for the variable-time ECDSA verification (`crypto`):
//! every outcome of `crypto::PublicKey::verify_prehash` (interleaved wNAF, or fixed-base
//! tables once a key has been used often, in Jacobian coordinates) must equal the
//! `ecdsa` crate's own `verify_prehash` for P-256 and P-384.
//!
//! Input: byte 0 picks the curve (bit 0) and the mode (bit 1); then
//! - mode "signed": a key seed (one byte repeated, so keys recur and reach the table
//!   path), a digest length byte and digest, and a mask XORed into the raw r‖s of a
//!   valid signature (an empty or zero mask keeps it valid);
//! - mode "raw": a compressed SEC1 point, then raw r‖s, then the digest (any key on the
//!   curve, any signature).
#![no_main]

use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use libfuzzer_sys::fuzz_target;
use rulepack_verify::crypto::PublicKey;

/// DER SubjectPublicKeyInfo prefixes (RFC 5480 §2): id-ecPublicKey with the named
/// curve, then a BIT STRING holding the uncompressed point.
const SPKI_P256: &str = "3059301306072a8648ce3d020106082a8648ce3d030107034200";
const SPKI_P384: &str = "3076301006072a8648ce3d020106052b81040022036200";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

macro_rules! differential {
    ($krate:ident, $n:expr, $spki:expr, $data:expr) => {{
        let data: &[u8] = $data;
        let (mode, rest) = data.split_first().unwrap_or((&0, &[]));
        let (vk, sig_raw, digest): ($krate::ecdsa::VerifyingKey, Vec<u8>, Vec<u8>) = if mode & 2 == 0 {
            let Some((&seed, rest)) = rest.split_first() else { return };
            let Ok(sk) = $krate::ecdsa::SigningKey::from_slice(&[seed | 1; $n]) else { return };
            let Some((&len, rest)) = rest.split_first() else { return };
            let len = usize::from(len) % 80;
            if rest.len() < len {
                return;
            }
            let (digest, mask) = rest.split_at(len);
            let Ok(sig) = PrehashSigner::<$krate::ecdsa::Signature>::sign_prehash(&sk, digest) else {
                return;
            };
            let mut raw = sig.to_bytes().to_vec();
            for (b, m) in raw.iter_mut().zip(mask) {
                *b ^= m;
            }
            (*sk.verifying_key(), raw, digest.to_vec())
        } else {
            if rest.len() < 1 + $n + 2 * $n {
                return;
            }
            let (point, rest) = rest.split_at(1 + $n);
            let mut sec1 = point.to_vec();
            sec1[0] = 2 | (sec1[0] & 1);
            let Ok(vk) = $krate::ecdsa::VerifyingKey::from_sec1_bytes(&sec1) else { return };
            let (raw, digest) = rest.split_at(2 * $n);
            (vk, raw.to_vec(), digest.to_vec())
        };
        // Only well-formed signatures (0 < r, s < n) reach the comparison.
        let Ok(sig) = $krate::ecdsa::Signature::from_slice(&sig_raw) else { return };
        let reference = vk.verify_prehash(&digest, &sig).is_ok();
        let mut spki = hex($spki);
        spki.extend_from_slice(vk.to_encoded_point(false).as_bytes());
        let ours = PublicKey::from_spki_der(&spki)
            .unwrap()
            .verify_prehash(&digest, sig.to_der().as_bytes())
            .is_ok();
        assert_eq!(ours, reference, "crypto::PublicKey and the ecdsa crate disagree");
    }};
}

fuzz_target!(|data: &[u8]| {
    match data.first() {
        Some(b) if b & 1 == 1 => differential!(p384, 48, SPKI_P384, data),
        _ => differential!(p256, 32, SPKI_P256, data),
    }
});
