//! ECDSA signature verification (FIPS 186-5 §6.4.2) for P-256 and P-384, with the
//! double-scalar multiplication `u1·G + u2·Q` computed in variable time.
//!
//! The `p256`/`p384` crates (0.13) compute it as two separate constant-time scalar
//! multiplications (`primeorder` `LinearCombination` default: 2 × (bits doublings +
//! bits/4 additions)). Verification involves only public values (the key, the
//! signature, the digest), so constant time buys nothing here; issue 7 allows
//! variable-time verification for that reason. This module keeps the crates' field and
//! group arithmetic (`ProjectivePoint` addition and doubling, complete formulas) and
//! replaces only the scalar multiplication by the textbook interleaved width-w NAF
//! method (Straus/Shamir; Hankerson-Menezes-Vanstone, *Guide to Elliptic Curve
//! Cryptography*, Alg. 3.51): one shared doubling per bit and an addition per non-zero
//! digit, with a table of odd multiples of G built once per process (w = 7) and one of
//! Q built per call (w = 5), both kept in projective coordinates. About half the group
//! operations.
//!
//! The check itself is the `ecdsa` crate's (`ecdsa` 0.16 `hazmat::verify_prehashed`)
//! step for step: `z = bits2field(prehash)` reduced mod n, `u1 = z·s⁻¹`,
//! `u2 = r·s⁻¹`, and accept iff `r == x(u1·G + u2·Q) mod n` (the point at infinity has
//! x = 0 in `primeorder`, which never equals a non-zero r). The tests compare every
//! outcome with the `ecdsa` crate's own `verify_prehash`.

/// Width-`w` non-adjacent form of the big-endian unsigned integer `be` (HMV Alg. 3.35):
/// `Σ digits[i]·2^i` equals the integer, each non-zero digit is odd and below 2^(w-1) in
/// absolute value, and at most one of any `w` consecutive digits is non-zero. One more
/// digit than the integer has bits (a final carry).
fn wnaf(be: &[u8], w: usize) -> Vec<i8> {
    let bits = be.len().saturating_mul(8);
    // Little-endian 64-bit limbs, plus one zero limb read past the end.
    let mut limbs = vec![0u64; be.len().div_ceil(8).saturating_add(1)];
    for (i, b) in be.iter().rev().enumerate() {
        if let Some(l) = limbs.get_mut(i / 8) {
            *l |= u64::from(*b) << (8 * (i % 8));
        }
    }
    let width = 1u64 << w;
    let mask = width - 1;
    let mut digits = vec![0i8; bits.saturating_add(1)];
    let mut carry = 0u64;
    let mut pos = 0;
    while pos <= bits {
        let (idx, bit) = (pos / 64, pos % 64);
        let lo = limbs.get(idx).copied().unwrap_or(0) >> bit;
        let hi = match bit {
            0 => 0,
            _ => limbs.get(idx + 1).copied().unwrap_or(0) << (64 - bit),
        };
        let window = carry + ((lo | hi) & mask);
        if window & 1 == 0 {
            pos += 1;
            continue;
        }
        // window is odd and below 2^w: a digit in (-2^(w-1), 2^(w-1)).
        let digit = if window < width / 2 {
            carry = 0;
            i64::try_from(window).unwrap_or(0)
        } else {
            carry = 1;
            i64::try_from(window).unwrap_or(0) - i64::try_from(width).unwrap_or(0)
        };
        if let Some(d) = digits.get_mut(pos) {
            *d = i8::try_from(digit).unwrap_or(0);
        }
        pos += w;
    }
    digits
}

/// Index into a table of odd multiples `[1P, 3P, 5P, ...]` for the odd digit `d`, and
/// whether the entry is to be subtracted.
fn table_index(d: i8) -> (usize, bool) {
    let m = usize::from(d.unsigned_abs());
    (m.saturating_sub(1) / 2, d < 0)
}

/// Window width for the generator's table (2^(7-2) = 32 odd multiples, built once).
const W_GENERATOR: usize = 7;
/// Window width for the key's table (2^(5-2) = 8 odd multiples, built per call).
const W_KEY: usize = 5;

macro_rules! curve {
    ($module:ident, $krate:ident, $curve:ident) => {
        pub(super) mod $module {
            use std::sync::OnceLock;

            use $krate::elliptic_curve::ff::PrimeField;
            use $krate::elliptic_curve::group::Group as _;
            use $krate::elliptic_curve::ops::Invert as _;
            use $krate::elliptic_curve::point::AffineCoordinates as _;
            use $krate::{AffinePoint, ProjectivePoint, Scalar};

            use super::{table_index, wnaf, W_GENERATOR, W_KEY};

            /// `[1P, 3P, ..., (2^(w-1) - 1)P]`.
            fn odd_multiples(p: ProjectivePoint, w: usize) -> Vec<ProjectivePoint> {
                let n = 1usize << (w - 2);
                let twice = p.double();
                let mut out = Vec::with_capacity(n);
                let mut cur = p;
                for _ in 0..n {
                    out.push(cur);
                    cur += twice;
                }
                out
            }

            /// The generator's odd multiples, computed on first use. Kept projective:
            /// these crates expose no batch inversion, and one inversion per entry
            /// would cost more than the mixed additions save.
            fn generator_table() -> &'static [ProjectivePoint] {
                static TABLE: OnceLock<Vec<ProjectivePoint>> = OnceLock::new();
                TABLE.get_or_init(|| odd_multiples(ProjectivePoint::GENERATOR, W_GENERATOR))
            }

            /// `u1·G + u2·Q`, variable time (interleaved wNAF); `None` only if a digit
            /// fell outside its table, which the wNAF bounds rule out.
            pub(crate) fn lincomb(
                u1: &Scalar,
                u2: &Scalar,
                q: &AffinePoint,
            ) -> Option<ProjectivePoint> {
                let g_table = generator_table();
                let q_table = odd_multiples(ProjectivePoint::from(*q), W_KEY);
                let n1 = wnaf(&u1.to_repr(), W_GENERATOR);
                let n2 = wnaf(&u2.to_repr(), W_KEY);
                let top = n1.iter().zip(&n2).rposition(|(a, b)| *a != 0 || *b != 0);
                let Some(top) = top else {
                    return Some(ProjectivePoint::IDENTITY);
                };
                let mut acc = ProjectivePoint::IDENTITY;
                for i in (0..=top).rev() {
                    acc = acc.double();
                    let d1 = n1.get(i).copied().unwrap_or(0);
                    if d1 != 0 {
                        let (k, neg) = table_index(d1);
                        let p = g_table.get(k)?;
                        acc = if neg { acc - p } else { acc + p };
                    }
                    let d2 = n2.get(i).copied().unwrap_or(0);
                    if d2 != 0 {
                        let (k, neg) = table_index(d2);
                        let p = q_table.get(k)?;
                        acc = if neg { acc - p } else { acc + p };
                    }
                }
                Some(acc)
            }

            /// FIPS 186-5 §6.4.2 verification of `sig` over `prehash` by `key`, with the
            /// `ecdsa` crate's semantics (see the module documentation).
            pub(crate) fn verify_prehash(
                key: &$krate::ecdsa::VerifyingKey,
                prehash: &[u8],
                sig: &$krate::ecdsa::Signature,
            ) -> bool {
                // bits2field: digests shorter than half the field size are refused,
                // longer ones truncated to the leftmost bits (FIPS 186-5 §6.4.2 step 3).
                let Ok(field) = ecdsa::hazmat::bits2field::<$krate::$curve>(prehash) else {
                    return false;
                };
                let z = <Scalar as $krate::elliptic_curve::ops::Reduce<_>>::reduce_bytes(&field);
                let (r, s) = sig.split_scalars();
                let s_inv = *s.invert_vartime();
                let u1 = z * s_inv;
                let u2 = *r * s_inv;
                let Some(point) = lincomb(&u1, &u2, key.as_affine()) else {
                    return false;
                };
                let x = point.to_affine().x();
                *r == <Scalar as $krate::elliptic_curve::ops::Reduce<_>>::reduce_bytes(&x)
            }
        }
    };
}

curve!(p256_vt, p256, NistP256);
curve!(p384_vt, p384, NistP384);

pub(super) use p256_vt::verify_prehash as verify_p256;
pub(super) use p384_vt::verify_prehash as verify_p384;

#[cfg(test)]
mod tests {
    use super::*;
    use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use sha2::{Digest, Sha512};

    /// Deterministic pseudo-random bytes.
    fn bytes(seed: &[u8], n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut ctr = 0u32;
        while out.len() < n {
            out.extend(
                Sha512::new()
                    .chain_update(seed)
                    .chain_update(ctr.to_be_bytes())
                    .finalize(),
            );
            ctr += 1;
        }
        out.truncate(n);
        out
    }

    #[test]
    fn wnaf_represents_the_integer_with_its_properties() {
        let mut cases: Vec<Vec<u8>> =
            vec![vec![0; 48], vec![0xff; 48], vec![0xff; 32], vec![0x80; 48]];
        for i in 0..200u32 {
            cases.push(bytes(&i.to_be_bytes(), if i % 2 == 0 { 32 } else { 48 }));
        }
        for be in &cases {
            for w in [2usize, 4, 5, 7] {
                let d = wnaf(be, w);
                // Σ d_i 2^i, as a little-endian i128-limbed sum with carries.
                let mut acc = vec![0i128; be.len() * 8 + 2];
                for (i, &di) in d.iter().enumerate() {
                    acc[i] += i128::from(di);
                    assert!(
                        di == 0 || (di % 2 != 0 && i32::from(di).abs() < 1 << (w - 1)),
                        "{di} w={w}"
                    );
                    if di != 0 {
                        assert!(
                            d[i + 1..].iter().take(w - 1).all(|&x| x == 0),
                            "adjacent digits"
                        );
                    }
                }
                for i in 0..acc.len() - 1 {
                    let c = acc[i].div_euclid(2);
                    acc[i] = acc[i].rem_euclid(2);
                    acc[i + 1] += c;
                }
                let bits: Vec<u8> = (0..be.len() * 8)
                    .map(|i| (be[be.len() - 1 - i / 8] >> (i % 8)) & 1)
                    .collect();
                for (i, b) in bits.iter().enumerate() {
                    assert_eq!(acc[i], i128::from(*b), "bit {i} w={w}");
                }
                assert!(acc[bits.len()..].iter().all(|&x| x == 0));
            }
        }
    }

    macro_rules! equivalence {
        ($name:ident, $krate:ident, $vt:ident, $hash_len:expr) => {
            #[test]
            fn $name() {
                use $krate::{ProjectivePoint, Scalar};
                type Sig = $krate::ecdsa::Signature;
                let scalar = |b: &[u8]| {
                    let mut fb = $krate::FieldBytes::default();
                    fb.copy_from_slice(b);
                    <Scalar as $krate::elliptic_curve::ops::Reduce<_>>::reduce_bytes(&fb)
                };
                let n = $hash_len;
                // lincomb against the crate's constant-time arithmetic, including edges.
                let q = (ProjectivePoint::GENERATOR * scalar(&bytes(b"q", n))).to_affine();
                let mut scalars = vec![
                    Scalar::ZERO,
                    Scalar::ONE,
                    -Scalar::ONE,
                    Scalar::from(2u64),
                    -Scalar::from(2u64),
                ];
                for i in 0..24u32 {
                    scalars.push(scalar(&bytes(&i.to_le_bytes(), n)));
                }
                for a in &scalars {
                    for b in scalars.iter().step_by(3) {
                        let want = ProjectivePoint::GENERATOR * a + ProjectivePoint::from(q) * b;
                        assert_eq!($vt::lincomb(a, b, &q), Some(want));
                    }
                }
                // Verification outcomes equal the ecdsa crate's, valid and invalid.
                let mut agreed = [0usize; 2];
                for i in 0..16u8 {
                    let sk = $krate::ecdsa::SigningKey::from_slice(&bytes(&[i, 1], n)).unwrap();
                    let vk = *sk.verifying_key();
                    let other = *$krate::ecdsa::SigningKey::from_slice(&bytes(&[i, 2], n))
                        .unwrap()
                        .verifying_key();
                    // Digests of every length the API sees, including too short and zero.
                    for len in [n, 32, 48, 64, 20, 8, 0] {
                        let mut digest = bytes(&[i, 3, len as u8], len);
                        if i == 0 {
                            digest.iter_mut().for_each(|b| *b = 0);
                        }
                        let sig: Sig = match sk.sign_prehash(&digest) {
                            Ok(s) => s,
                            Err(_) => {
                                // Too short to sign: any signature must fail both ways.
                                let s: Sig = sk.sign_prehash(&bytes(b"x", n)).unwrap();
                                assert!(!$vt::verify_prehash(&vk, &digest, &s));
                                assert!(vk.verify_prehash(&digest, &s).is_err());
                                continue;
                            }
                        };
                        let high = Sig::from_scalars(sig.r(), -*sig.s().as_ref()).unwrap();
                        let mut tampered = digest.clone();
                        tampered[0] ^= 1;
                        let swapped = Sig::from_scalars(sig.s(), sig.r()).unwrap();
                        for (key, d, s) in [
                            (&vk, &digest, &sig),
                            (&vk, &digest, &high),
                            (&vk, &tampered, &sig),
                            (&other, &digest, &sig),
                            (&vk, &digest, &swapped),
                        ] {
                            let want = key.verify_prehash(d, s).is_ok();
                            assert_eq!($vt::verify_prehash(key, d, s), want, "key {i} len {len}");
                            agreed[usize::from(want)] += 1;
                        }
                    }
                }
                assert!(agreed[0] >= 150 && agreed[1] >= 60, "{agreed:?}");
            }
        };
    }

    equivalence!(p256_agrees_with_the_ecdsa_crate, p256, p256_vt, 32);
    equivalence!(p384_agrees_with_the_ecdsa_crate, p384, p384_vt, 48);
}
