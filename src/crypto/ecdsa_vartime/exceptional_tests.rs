//! Constructed signatures that drive the incomplete addition formulas into their
//! exceptional cases (P + P, P + (-P), a point at infinity in the middle of the sum and
//! at its end) and the final comparison into x(R) in [n, p), on both ways `u1·G + u2·Q`
//! is computed, each outcome checked against the `ecdsa` crate's `verify_prehash`.
//! Wycheproof reaches these branches only by chance (its vectors come with unknown
//! private keys), so they are built here.
//!
//! Construction: with Q = d·G for a chosen d, pick u1 and u2 and compute
//! R = u1·G + u2·Q with the `p256`/`p384` crates' own (complete, constant-time)
//! arithmetic. Then r = x(R) mod n (or r + 1, which must fail), s = r·u2⁻¹ and the
//! digest e = u1·s, so that verification recomputes exactly u1 = e·s⁻¹ and u2 = r·s⁻¹.
//! When R is the point at infinity any r is used: nothing may accept it.
//!
//! Which branch a case forces follows from the digits of u1 and u2, worked out in each
//! case's comment:
//! - wNAF path (`lincomb`): from the top digit down, `acc = 2·acc`, then `acc + d1·G`
//!   (`add_affine`, the generator's w = 7 digits) and `acc + d2·Q` (`add`, the key's
//!   w = 5 digits, odd and below 16 in absolute value).
//! - fixed-base path (`lincomb_fixed`): `acc = ∞`, then one `add_affine` per non-zero
//!   signed radix-16 digit, of u1 with G's table (m·16^j·G), then of u2 with Q's.
//!
//! How we know: [`probe`] counts every exceptional branch taken on the thread, and each
//! case asserts the exact set it met on each path, and the path itself (the fixed-base
//! case with the key's table already built: building one meets `add`'s doubling once
//! per window, asserted separately). Each branch was also broken on purpose once, and
//! these tests failed for every one of them: the doubling in `add_affine` or `add`
//! returning the addend, their P + (-P) returning the accumulator, either "from
//! infinity" branch returning the addend doubled, R = ∞ accepted, the (r + n)·Z²
//! comparison dropped, and its r + n < p guard dropped; the P + (-P) breaks also with the
//! branch assertions removed, through the cases whose sum recovers from ∞ and must
//! still verify. The Wycheproof vectors
//! (`wycheproof_tests.rs`) caught neither `add_affine` break, on either curve, although
//! `add_affine` is the only addition of the fixed-base sums. The branch of `add` for an
//! addend at infinity is not reachable (every table entry is a non-zero multiple of a
//! point of prime order), so no case meets it and breaking it changes nothing.

use ecdsa::signature::hazmat::PrehashVerifier;

use super::probe::{self, Branch, Path};
use crate::crypto::PublicKey;

/// Which r the signature carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RChoice {
    /// x(R) mod n: verifies unless R is the point at infinity.
    Honest,
    /// x(R) mod n + 1: never verifies, and meets the same branches in the sum.
    Off,
    /// x(R) + p - n, for a small x(R): then r + n ≡ x(R) (mod p), so only the check
    /// that r + n did not wrap past p keeps the (r + n)·Z² comparison from accepting
    /// it (x(R) mod n = x(R) ≠ r).
    Wrapped,
}

/// One constructed case: the key Q = d·G, u1 and u2, and the exceptional branches each
/// path must meet (exactly these, each at least once).
struct Case<S> {
    name: &'static str,
    d: S,
    u1: u64,
    u2: u64,
    wnaf: &'static [Branch],
    fixed: &'static [Branch],
}

use Branch::{
    Doubling, FromInfinity, MatchedRPlusN, MixedDoubling, MixedFromInfinity, MixedToInfinity,
    ResultInfinity, ToInfinity,
};

macro_rules! exceptional {
    ($name:ident, $krate:ident, $vt:ident, $curve:ident) => {
        #[test]
        fn $name() {
            use $krate::elliptic_curve::point::AffineCoordinates as _;
            use $krate::elliptic_curve::sec1::ToEncodedPoint as _;
            use $krate::pkcs8::EncodePublicKey as _;
            use $krate::{AffinePoint, ProjectivePoint, Scalar};
            type Sig = $krate::ecdsa::Signature;
            type Vk = $krate::ecdsa::VerifyingKey;

            let reduce = |x: &$krate::FieldBytes| {
                <Scalar as $krate::elliptic_curve::ops::Reduce<_>>::reduce_bytes(x)
            };
            let one = Scalar::ONE;
            let half = Scalar::from(2u64).invert().unwrap();
            let cases: Vec<Case<Scalar>> = vec![
                // Q = G, u1 = u2 = 1. wNAF: one step; acc = ∞ + G (mixed from infinity),
                // then G + Q = G + G: `add` doubles. Fixed: G, then + 1·Q = G:
                // `add_affine` doubles. R = 2G.
                Case {
                    name: "Q = G, R = G + G",
                    d: one,
                    u1: 1,
                    u2: 1,
                    wnaf: &[MixedFromInfinity, Doubling],
                    fixed: &[MixedFromInfinity, MixedDoubling],
                },
                // Q = -G, u1 = u2 = 1: G + (-G) in the same single step (`add` on the
                // wNAF path, `add_affine` on the fixed one) gives ∞, which the final
                // comparison rejects.
                Case {
                    name: "Q = -G, R = G + (-G) = ∞",
                    d: -one,
                    u1: 1,
                    u2: 1,
                    wnaf: &[MixedFromInfinity, ToInfinity, ResultInfinity],
                    fixed: &[MixedFromInfinity, MixedToInfinity, ResultInfinity],
                },
                // Q = 2G, u1 = 2, u2 = 1. wNAF: u1's digit is at bit 1, so acc = G, is
                // doubled to 2G, and meets Q = 2G in `add`. Fixed: 2G (u1's digit 2),
                // then + Q = 2G. R = 4G.
                Case {
                    name: "Q = 2G, R = 2G + 2G",
                    d: Scalar::from(2u64),
                    u1: 2,
                    u2: 1,
                    wnaf: &[MixedFromInfinity, Doubling],
                    fixed: &[MixedFromInfinity, MixedDoubling],
                },
                // Q = G, u1 = u2 = 3: both digits are 3, so the sums use the third
                // table entries (3G, 3Q of the key's odd multiples; 3·Q of its fixed
                // table): 3G + 3G doubles on both paths. R = 6G.
                Case {
                    name: "Q = G, R = 3G + 3Q (table entry 3)",
                    d: one,
                    u1: 3,
                    u2: 3,
                    wnaf: &[MixedFromInfinity, Doubling],
                    fixed: &[MixedFromInfinity, MixedDoubling],
                },
                // Q = -3G, u1 = 3, u2 = 1: 3G + (-3G) = ∞ on both paths.
                Case {
                    name: "Q = -3G, R = 3G - 3G = ∞",
                    d: -Scalar::from(3u64),
                    u1: 3,
                    u2: 1,
                    wnaf: &[MixedFromInfinity, ToInfinity, ResultInfinity],
                    fixed: &[MixedFromInfinity, MixedToInfinity, ResultInfinity],
                },
                // Q = G/2 (d = 2⁻¹ mod n), u1 = 1, u2 = 2. wNAF: u2's digit is at bit 1,
                // so acc = ∞ + Q (`add` from infinity), doubled to 2Q = G, and then the
                // generator's digit adds G: `add_affine` doubles. Fixed: G, then
                // + 2·Q = G (u2's digit 2): `add_affine` doubles. R = 2G.
                Case {
                    name: "Q = G/2, R = 2Q + G = G + G (mixed)",
                    d: half,
                    u1: 1,
                    u2: 2,
                    wnaf: &[FromInfinity, MixedDoubling],
                    fixed: &[MixedFromInfinity, MixedDoubling],
                },
                // Q = -G/2, u1 = 1, u2 = 2: as above with 2Q = -G, so the generator's
                // digit gives -G + G = ∞ in `add_affine` on both paths.
                Case {
                    name: "Q = -G/2, R = 2Q + G = ∞ (mixed)",
                    d: -half,
                    u1: 1,
                    u2: 2,
                    wnaf: &[FromInfinity, MixedToInfinity, ResultInfinity],
                    fixed: &[MixedFromInfinity, MixedToInfinity, ResultInfinity],
                },
                // Q = G/2, u1 = 2^8, u2 = 2^9: the doubling of the G/2 case happens at
                // bit 8 and is followed by eight more doublings (wNAF); on the fixed
                // path both digits sit in window 2 (256G, then 2·256·Q = 256G).
                // R = 512G.
                Case {
                    name: "Q = G/2, mixed doubling mid-sum",
                    d: half,
                    u1: 1 << 8,
                    u2: 1 << 9,
                    wnaf: &[FromInfinity, MixedDoubling],
                    fixed: &[MixedFromInfinity, MixedDoubling],
                },
                // Q = -G/2, u1 = 2^8 + 1, u2 = 2^9. wNAF: acc = Q at bit 9, doubled to
                // -G at bit 8, where the generator's digit gives -G + G = ∞
                // (`add_affine`); seven doublings of ∞; at bit 0 the generator's digit
                // adds G to ∞. R = G, accepted. Fixed: G + 256G + (-256G), nothing
                // exceptional.
                Case {
                    name: "Q = -G/2, mixed ∞ at bit 8 then G",
                    d: -half,
                    u1: (1 << 8) + 1,
                    u2: 1 << 9,
                    wnaf: &[FromInfinity, MixedToInfinity, MixedFromInfinity],
                    fixed: &[MixedFromInfinity],
                },
                // Q = G, u1 = u2 = 2^8: `add` doubles at bit 8, then eight doublings
                // (wNAF); window 2 on the fixed path. R = 512G.
                Case {
                    name: "Q = G, doubling mid-sum",
                    d: one,
                    u1: 1 << 8,
                    u2: 1 << 8,
                    wnaf: &[MixedFromInfinity, Doubling],
                    fixed: &[MixedFromInfinity, MixedDoubling],
                },
                // Q = -G, u1 = 2^10 + 1, u2 = 2^10. wNAF: at bit 10, G + (-G) = ∞ in
                // `add`; nine doublings of ∞; at bit 0 the generator's digit adds G to ∞
                // (mixed from infinity). R = G, accepted: the sum recovers from ∞. Fixed:
                // G + 1024G + (-1024G), nothing exceptional.
                Case {
                    name: "Q = -G, ∞ at bit 10 then G",
                    d: -one,
                    u1: (1 << 10) + 1,
                    u2: 1 << 10,
                    wnaf: &[MixedFromInfinity, ToInfinity],
                    fixed: &[MixedFromInfinity],
                },
                // Q = -G, u1 = 1, u2 = 17 = 0x11. Fixed: G + 1·Q = ∞, then + 16·Q from ∞
                // (mixed from infinity). R = -16G, accepted. wNAF: u2 = 32 - 15 has digits
                // -15 (bit 0) and 1 (bit 5): nothing exceptional.
                Case {
                    name: "Q = -G, ∞ in window 0 then 16Q",
                    d: -one,
                    u1: 1,
                    u2: 17,
                    wnaf: &[FromInfinity],
                    fixed: &[MixedFromInfinity, MixedToInfinity],
                },
                // Q = G, u1 = 1, u2 = 15 = 0xF: radix-16 digits -1 and 1. Fixed: G + (-Q)
                // = ∞ (a negative digit), then + 16Q from ∞. R = 16G. wNAF: the digit 15:
                // G + 15G, nothing exceptional.
                Case {
                    name: "Q = G, negative radix-16 digit to ∞",
                    d: one,
                    u1: 1,
                    u2: 15,
                    wnaf: &[MixedFromInfinity],
                    fixed: &[MixedFromInfinity, MixedToInfinity],
                },
                // Q = -G, u1 = 17, u2 = 17 (wNAF digits of u2: -15 at bit 0, 1 at bit 5).
                // wNAF: acc = Q = -G at bit 5, doubled to -32G, + 17G = -15G, then the
                // negative digit adds -15·Q = 15G: ∞ in `add`. Fixed: 17G + (-G) = 16G,
                // then + 16·Q = -16G: ∞. R = ∞.
                Case {
                    name: "Q = -G, negative wNAF digit to ∞",
                    d: -one,
                    u1: 17,
                    u2: 17,
                    wnaf: &[FromInfinity, ToInfinity, ResultInfinity],
                    fixed: &[MixedFromInfinity, MixedToInfinity, ResultInfinity],
                },
                // Q = -G, u1 = 47, u2 = 17: as above, -32G + 47G = 15G meets 15G:
                // `add` doubles on a negative digit. R = 30G. Fixed: nothing exceptional.
                Case {
                    name: "Q = -G, negative wNAF digit doubles",
                    d: -one,
                    u1: 47,
                    u2: 17,
                    wnaf: &[FromInfinity, Doubling],
                    fixed: &[MixedFromInfinity],
                },
                // Q = 2G, u1 = 0 (a zero digest), u2 = 1: only Q's digits; the sum
                // starts from ∞ with `add` (wNAF) or `add_affine` (fixed). R = 2G.
                Case {
                    name: "Q = 2G, u1 = 0",
                    d: Scalar::from(2u64),
                    u1: 0,
                    u2: 1,
                    wnaf: &[FromInfinity],
                    fixed: &[MixedFromInfinity],
                },
            ];

            // Keys whose x is in [n, p): with u1 = 0 and u2 = 1, R = Q and
            // x(R) mod n = x - n = k is accepted only through the (r + n)·Z²
            // comparison. Found by trying x = n + k for small k.
            let order =
                $krate::elliptic_curve::FieldBytesEncoding::<$krate::$curve>::encode_field_bytes(
                    &<$krate::$curve as $krate::elliptic_curve::Curve>::ORDER,
                );
            let add_small = |be: &[u8], k: u8| {
                let mut x = be.to_vec();
                let mut carry = u16::from(k);
                for b in x.iter_mut().rev() {
                    let v = u16::from(*b) + carry;
                    *b = (v & 0xff) as u8;
                    carry = v >> 8;
                }
                x
            };
            let big_x: Vec<AffinePoint> = (1u8..=64)
                .filter_map(|k| {
                    Vk::from_sec1_bytes(&[&[2u8][..], &add_small(&order, k)].concat())
                        .ok()
                        .map(|v| *v.as_affine())
                })
                .take(3)
                .collect();
            assert_eq!(big_x.len(), 3, "keys with x in [n, p)");

            // p - n (n < p < 2n, so p reduced mod n).
            let p_minus_n = {
                let hex = <$krate::FieldElement as $krate::elliptic_curve::ff::PrimeField>::MODULUS;
                let hex = hex.trim_start_matches("0x");
                let mut p = $krate::FieldBytes::default();
                for (i, b) in p.iter_mut().enumerate() {
                    *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
                }
                reduce(&p)
            };
            // Keys whose x is small (t < 64): R = Q as above, with the r of
            // `RChoice::Wrapped`.
            let small_x: Vec<AffinePoint> = (1u8..=64)
                .filter_map(|t| {
                    let mut x = vec![0u8; order.len()];
                    *x.last_mut().unwrap() = t;
                    Vk::from_sec1_bytes(&[&[2u8][..], &x].concat())
                        .ok()
                        .map(|v| *v.as_affine())
                })
                .take(3)
                .collect();
            assert_eq!(small_x.len(), 3, "keys with a small x");

            // (name, key, digest, DER signature, accepted (by construction and by the
            // ecdsa crate), expected branches on the wNAF and fixed paths).
            type Built = (
                String,
                AffinePoint,
                Vec<u8>,
                Vec<u8>,
                bool,
                Vec<Branch>,
                Vec<Branch>,
            );
            let mut built: Vec<Built> = Vec::new();
            let mut build = |name: &str,
                             q: AffinePoint,
                             u1: Scalar,
                             u2: Scalar,
                             choice: RChoice,
                             wnaf: &[Branch],
                             fixed: &[Branch]| {
                let r_point =
                    (ProjectivePoint::GENERATOR * u1 + ProjectivePoint::from(q) * u2).to_affine();
                let at_infinity = r_point.to_encoded_point(false).x().is_none();
                let honest = if at_infinity {
                    Scalar::from(0x1234u64)
                } else {
                    reduce(&r_point.x())
                };
                let r = match choice {
                    RChoice::Honest => honest,
                    RChoice::Off => honest + Scalar::ONE,
                    RChoice::Wrapped => honest + p_minus_n,
                };
                let s = r * u2.invert().unwrap();
                let e = u1 * s;
                let sig = Sig::from_scalars(r.to_bytes(), s.to_bytes()).unwrap();
                let accept = choice == RChoice::Honest && !at_infinity;
                // The ecdsa crate agrees.
                let theirs = Vk::from_affine(q)
                    .unwrap()
                    .verify_prehash(&e.to_bytes(), &sig);
                assert_eq!(theirs.is_ok(), accept, "{name} {choice:?}: the ecdsa crate");
                // An r that does not match never gets as far as the r + n comparison.
                let drop_rn = |b: &[Branch]| {
                    b.iter()
                        .copied()
                        .filter(|b| accept || *b != MatchedRPlusN)
                        .collect::<Vec<_>>()
                };
                built.push((
                    format!("{name} ({choice:?} r)"),
                    q,
                    e.to_bytes().to_vec(),
                    sig.to_der().as_bytes().to_vec(),
                    accept,
                    drop_rn(wnaf),
                    drop_rn(fixed),
                ));
                at_infinity
            };
            for c in &cases {
                let q = (ProjectivePoint::GENERATOR * c.d).to_affine();
                let (u1, u2) = (Scalar::from(c.u1), Scalar::from(c.u2));
                let infinity = build(c.name, q, u1, u2, RChoice::Honest, c.wnaf, c.fixed);
                assert_eq!(infinity, c.wnaf.contains(&ResultInfinity), "{}", c.name);
                if !infinity {
                    build(c.name, q, u1, u2, RChoice::Off, c.wnaf, c.fixed);
                }
            }
            for q in &big_x {
                build(
                    "x(Q) in [n, p), R = Q",
                    *q,
                    Scalar::ZERO,
                    Scalar::ONE,
                    RChoice::Honest,
                    &[FromInfinity, MatchedRPlusN],
                    &[MixedFromInfinity, MatchedRPlusN],
                );
                build(
                    "x(Q) in [n, p), R = Q",
                    *q,
                    Scalar::ZERO,
                    Scalar::ONE,
                    RChoice::Off,
                    &[FromInfinity, MatchedRPlusN],
                    &[MixedFromInfinity, MatchedRPlusN],
                );
            }

            for q in &small_x {
                build(
                    "small x(Q), R = Q, r = x + p - n",
                    *q,
                    Scalar::ZERO,
                    Scalar::ONE,
                    RChoice::Wrapped,
                    &[FromInfinity],
                    &[MixedFromInfinity],
                );
            }

            // Building a fixed-base table forms 2·16^j·P as 16^j·P + 16^j·P, through
            // `add`'s doubling branch, once per radix-16 window: the fixed-base path
            // depends on that branch even when its sums meet no exceptional case.
            probe::take();
            let g = ProjectivePoint::GENERATOR.to_affine();
            assert!(super::$vt::fixed_table_of(&g).is_some());
            let windows = $krate::FieldBytes::default().len() * 2 + 1;
            let (_, hits) = probe::take();
            assert_eq!(hits.get(Doubling), windows as u32, "{hits:?}");

            let _cache = probe::cache_lock();
            let mut seen = [Vec::new(), Vec::new()];
            // All cases on the wNAF path first, then all on the fixed path, so that each
            // key's table is built once.
            for (i, path) in [Path::Wnaf, Path::FixedBase].into_iter().enumerate() {
                for (name, q, digest, sig, accept, wnaf, fixed) in &built {
                    let spki = $krate::PublicKey::from_affine(*q)
                        .unwrap()
                        .to_public_key_der()
                        .unwrap();
                    let key = PublicKey::from_spki_der(spki.as_bytes()).unwrap();
                    let (result, took, hits) =
                        probe::verify_on(path, &key, || key.verify_prehash(digest, sig));
                    assert_eq!(took, Some(path), "{name}");
                    assert_eq!(result.is_ok(), *accept, "{name} on {path:?}: {result:?}");
                    let want = if path == Path::Wnaf { wnaf } else { fixed };
                    let mut met: Vec<Branch> = [
                        MixedFromInfinity,
                        MixedDoubling,
                        MixedToInfinity,
                        FromInfinity,
                        Branch::AddendInfinity,
                        Doubling,
                        ToInfinity,
                        ResultInfinity,
                        MatchedRPlusN,
                    ]
                    .into_iter()
                    .filter(|b| hits.get(*b) > 0)
                    .collect();
                    let mut want = want.clone();
                    want.sort_by_key(|b| *b as usize);
                    met.sort_by_key(|b| *b as usize);
                    assert_eq!(met, want, "{name} on {path:?}: {hits:?}");
                    seen[i].extend(met);
                }
            }
            // Together the cases reach every exceptional branch each path has.
            for (i, all) in [
                &[
                    MixedFromInfinity,
                    MixedDoubling,
                    MixedToInfinity,
                    FromInfinity,
                    Doubling,
                    ToInfinity,
                    ResultInfinity,
                    MatchedRPlusN,
                ][..],
                &[
                    MixedFromInfinity,
                    MixedDoubling,
                    MixedToInfinity,
                    ResultInfinity,
                    MatchedRPlusN,
                ][..],
            ]
            .into_iter()
            .enumerate()
            {
                for b in all {
                    assert!(seen[i].contains(b), "no case reaches {b:?} on path {i}");
                }
            }
        }
    };
}

exceptional!(exceptional_cases_p256, p256, p256_vt, NistP256);
exceptional!(exceptional_cases_p384, p384, p384_vt, NistP384);
