//! ECDSA signature verification (FIPS 186-5 §6.4.2) for P-256 and P-384, with the
//! double-scalar multiplication `u1·G + u2·Q` computed in variable time.
//!
//! The `p256`/`p384` crates (0.13) compute it as two separate constant-time scalar
//! multiplications with complete projective formulas (`primeorder`
//! `LinearCombination` default: 2 × (bits doublings + bits/4 additions)), then invert Z
//! for the affine x. Verification involves only public values (the key, the signature,
//! the digest), so constant time buys nothing here, which allows variable-time
//! verification for that reason. This module keeps the crates' field arithmetic
//! (`FieldElement`, exposed by their `expose-field` feature, and `Scalar`) and replaces
//! the rest with textbook methods:
//! - interleaved width-w NAF (Straus/Shamir; Hankerson-Menezes-Vanstone, *Guide to
//!   Elliptic Curve Cryptography*, Alg. 3.51): one shared doubling per bit and an
//!   addition per non-zero digit, with the generator's odd multiples (w = 7) built once
//!   per process in affine form and the key's (w = 5) per call;
//! - Jacobian coordinates with the a = -3 formulas of the Explicit-Formulas Database
//!   (dbl-2001-b, madd-2007-bl, add-2007-bl); they are incomplete, so the exceptional
//!   cases (infinity, P + P, P + (-P)) are tested for and handled before the formulas;
//! - for a key verified again and again (the trusted root's Rekor, CT log, Fulcio and
//!   TSA keys in a long-running verifier), fixed-base tables of 8 multiples per
//!   radix-16 window for the key and the generator (HMV Alg. 3.41 with signed digits),
//!   so no doubling is left: built on the key's
//!   [`FIXED_BASE_TABLE_AFTER_USES`](crate::limits::FIXED_BASE_TABLE_AFTER_USES)-th use,
//!   kept process-wide for at most
//!   [`MAX_FIXED_BASE_TABLES`](crate::limits::MAX_FIXED_BASE_TABLES) keys, keyed by the
//!   key's exact bytes (a table is public precomputation, not a verification result);
//! - the final comparison made without inverting Z (x = X/Z², so compare X with r·Z²,
//!   and with (r + n)·Z² when r + n < p, because x mod n = r also for x = r + n).
//!
//! The check itself is the `ecdsa` crate's (`ecdsa` 0.16 `hazmat::verify_prehashed`)
//! step for step: `z = bits2field(prehash)` reduced mod n, `u1 = z·s⁻¹`,
//! `u2 = r·s⁻¹`, and accept iff `r == x(u1·G + u2·Q) mod n`, the point at infinity never
//! accepted. The tests compare every outcome with the `ecdsa` crate's own
//! `verify_prehash` (valid, high-S, tampered, wrong key, every digest length, x in
//! [n, p) and its converse) and every `u1·G + u2·Q` with the crates' arithmetic,
//! including the exceptional additions, and the fixed-base sums with the wNAF ones.
//! Wycheproof's ECDSA vectors (`wycheproof_tests.rs`) and constructed exceptional cases
//! (`exceptional_tests.rs`: P + P, P + (-P) and ∞ forced inside each path) run through
//! [`PublicKey`](super::PublicKey) on both paths, the path and the branches taken
//! recorded by a `cfg(test)`-only probe.

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
    // 2 <= w <= 8 (asserted at compile time for the widths used), so a window (below
    // 2^w) and a digit (below 2^(w-1) in absolute value) fit the i16 / i8 casts below.
    let width = 1u64 << w;
    let mask = width - 1;
    let mut digits = vec![0i8; bits.saturating_add(1)];
    let mut carry = 0u64;
    let mut pos = 0;
    while pos <= bits {
        let (idx, bit) = (pos / 64, pos % 64);
        // Limbs past the end are zero (the integer has no more bits).
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
            window as i16
        } else {
            carry = 1;
            window as i16 - width as i16
        };
        if let Some(d) = digits.get_mut(pos) {
            *d = digit as i8;
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

/// Signed radix-16 digits of the big-endian unsigned integer `be`, least significant
/// first: `Σ digits[j]·16^j` equals the integer, each digit in [-8, 8), plus a final
/// carry digit (0 or 1). Used with the fixed-base tables ([`FIXED_WINDOW_ENTRIES`]
/// multiples per window, for |digit| = 1..8).
fn radix16(be: &[u8]) -> Vec<i8> {
    let mut out = Vec::with_capacity(be.len().saturating_mul(2).saturating_add(1));
    let mut carry = 0i8;
    for b in be.iter().rev() {
        for nibble in [b & 0x0f, b >> 4] {
            // nibble <= 15 and carry <= 1: v <= 16 fits an i8.
            let v = nibble as i8 + carry;
            if v >= 8 {
                out.push(v - 16);
                carry = 1;
            } else {
                out.push(v);
                carry = 0;
            }
        }
    }
    out.push(carry);
    out
}

/// Multiples per window in a fixed-base table: m·16^j·P for m = 1..8.
const FIXED_WINDOW_ENTRIES: usize = 8;

/// Window width for the generator's table (2^(7-2) = 32 odd multiples, built once).
const W_GENERATOR: usize = 7;
/// Window width for the key's table (2^(5-2) = 8 odd multiples, built per call).
const W_KEY: usize = 5;
// The wNAF digits are i8 and the windows fit i16 only for these widths.
const _: () = assert!(W_GENERATOR >= 2 && W_GENERATOR <= 8 && W_KEY >= 2 && W_KEY <= 8);

macro_rules! curve {
    ($module:ident, $krate:ident, $curve:ident) => {
        pub(super) mod $module {
            use std::sync::OnceLock;

            use $krate::elliptic_curve::ff::PrimeField;
            use $krate::elliptic_curve::ops::Invert as _;
            use $krate::elliptic_curve::sec1::ToEncodedPoint as _;
            use $krate::elliptic_curve::FieldBytesEncoding;
            use $krate::{AffinePoint, FieldBytes, FieldElement as Fe, Scalar};

            use std::sync::{Arc, Mutex};

            use super::{radix16, table_index, wnaf, FIXED_WINDOW_ENTRIES, W_GENERATOR, W_KEY};
            use crate::limits::{
                FIXED_BASE_TABLE_AFTER_USES, MAX_FIXED_BASE_TABLES, MAX_KEYS_COUNTED_FOR_TABLES,
            };

            /// A point in Jacobian coordinates: (X/Z², Y/Z³); Z = 0 is the point at
            /// infinity.
            #[derive(Clone, Copy, Debug)]
            pub(crate) struct Jacobian {
                x: Fe,
                y: Fe,
                z: Fe,
            }

            /// A finite point in affine coordinates.
            #[derive(Clone, Copy, Debug)]
            struct Affine {
                x: Fe,
                y: Fe,
            }

            impl Affine {
                /// The coordinates of a finite `AffinePoint` (`None` for infinity).
                fn from_point(p: &AffinePoint) -> Option<Self> {
                    let e = p.to_encoded_point(false);
                    let x = Option::from(Fe::from_repr(*e.x()?))?;
                    let y = Option::from(Fe::from_repr(*e.y()?))?;
                    Some(Self { x, y })
                }
            }

            impl Jacobian {
                const INFINITY: Self = Self {
                    x: Fe::ONE,
                    y: Fe::ONE,
                    z: Fe::ZERO,
                };

                fn from_affine(a: &Affine) -> Self {
                    Self {
                        x: a.x,
                        y: a.y,
                        z: Fe::ONE,
                    }
                }

                fn is_infinity(&self) -> bool {
                    bool::from(self.z.is_zero())
                }

                fn neg(&self) -> Self {
                    Self {
                        y: -self.y,
                        ..*self
                    }
                }

                /// 2P, "dbl-2001-b" for a = -3 (Bernstein-Lange, Explicit-Formulas
                /// Database, Jacobian coordinates; both curves have a = -3, FIPS 186-5
                /// / SP 800-186 §3.2.1). Infinity doubles to infinity (Z3 = 0); no
                /// point of order 2 exists on these prime-order curves.
                fn double(&self) -> Self {
                    let delta = self.z.square();
                    let gamma = self.y.square();
                    let beta = self.x * gamma;
                    let t = (self.x - delta) * (self.x + delta);
                    let alpha = t.double() + t;
                    let beta4 = beta.double().double();
                    let x3 = alpha.square() - beta4.double();
                    let z3 = (self.y + self.z).square() - gamma - delta;
                    let y3 = alpha * (beta4 - x3) - gamma.square().double().double().double();
                    Self {
                        x: x3,
                        y: y3,
                        z: z3,
                    }
                }

                /// P + Q for affine Q, "madd-2007-bl"; the exceptional cases (P at
                /// infinity, P = Q, P = -Q) are handled first.
                fn add_affine(&self, q: &Affine) -> Self {
                    if self.is_infinity() {
                        #[cfg(test)]
                        super::probe::hit(super::probe::Branch::MixedFromInfinity);
                        return Self::from_affine(q);
                    }
                    let z1z1 = self.z.square();
                    let u2 = q.x * z1z1;
                    let s2 = q.y * self.z * z1z1;
                    let h = u2 - self.x;
                    let r = (s2 - self.y).double();
                    if bool::from(h.is_zero()) {
                        #[cfg(test)]
                        super::probe::hit(match bool::from(r.is_zero()) {
                            true => super::probe::Branch::MixedDoubling,
                            false => super::probe::Branch::MixedToInfinity,
                        });
                        return if bool::from(r.is_zero()) {
                            Self::from_affine(q).double()
                        } else {
                            Self::INFINITY
                        };
                    }
                    let hh = h.square();
                    let i = hh.double().double();
                    let j = h * i;
                    let v = self.x * i;
                    let x3 = r.square() - j - v.double();
                    let y3 = r * (v - x3) - (self.y * j).double();
                    let z3 = (self.z + h).square() - z1z1 - hh;
                    Self {
                        x: x3,
                        y: y3,
                        z: z3,
                    }
                }

                /// P + Q, "add-2007-bl"; exceptional cases handled first.
                fn add(&self, q: &Self) -> Self {
                    if self.is_infinity() {
                        #[cfg(test)]
                        super::probe::hit(super::probe::Branch::FromInfinity);
                        return *q;
                    }
                    if q.is_infinity() {
                        #[cfg(test)]
                        super::probe::hit(super::probe::Branch::AddendInfinity);
                        return *self;
                    }
                    let z1z1 = self.z.square();
                    let z2z2 = q.z.square();
                    let u1 = self.x * z2z2;
                    let u2 = q.x * z1z1;
                    let s1 = self.y * q.z * z2z2;
                    let s2 = q.y * self.z * z1z1;
                    let h = u2 - u1;
                    let r = (s2 - s1).double();
                    if bool::from(h.is_zero()) {
                        #[cfg(test)]
                        super::probe::hit(match bool::from(r.is_zero()) {
                            true => super::probe::Branch::Doubling,
                            false => super::probe::Branch::ToInfinity,
                        });
                        return if bool::from(r.is_zero()) {
                            self.double()
                        } else {
                            Self::INFINITY
                        };
                    }
                    let i = h.double().square();
                    let j = h * i;
                    let v = u1 * i;
                    let x3 = r.square() - j - v.double();
                    let y3 = r * (v - x3) - (s1 * j).double();
                    let z3 = ((self.z + q.z).square() - z1z1 - z2z2) * h;
                    Self {
                        x: x3,
                        y: y3,
                        z: z3,
                    }
                }

                /// Affine coordinates as big-endian bytes; `None` at infinity.
                #[cfg(test)]
                pub(crate) fn to_affine_bytes(self) -> Option<(FieldBytes, FieldBytes)> {
                    let zinv: Fe = Option::from(self.z.invert())?;
                    let zinv2 = zinv.square();
                    Some((
                        (self.x * zinv2).to_repr(),
                        (self.y * zinv2 * zinv).to_repr(),
                    ))
                }
            }

            /// `[1P, 3P, ..., (2^(w-1) - 1)P]`.
            fn odd_multiples(p: &Affine, w: usize) -> Vec<Jacobian> {
                let n = 1usize << (w - 2);
                let twice = Jacobian::from_affine(p).double();
                let mut out = Vec::with_capacity(n);
                let mut cur = Jacobian::from_affine(p);
                for _ in 0..n {
                    out.push(cur);
                    cur = twice.add(&cur);
                }
                out
            }

            /// Jacobian points to affine with one inversion (Montgomery's trick);
            /// `None` if any is at infinity.
            fn batch_to_affine(points: &[Jacobian]) -> Option<Vec<Affine>> {
                let mut prefix = Vec::with_capacity(points.len());
                let mut acc = Fe::ONE;
                for p in points {
                    if p.is_infinity() {
                        return None;
                    }
                    prefix.push(acc);
                    acc *= p.z;
                }
                let mut inv: Fe = Option::from(acc.invert())?;
                let mut out = vec![
                    Affine {
                        x: Fe::ZERO,
                        y: Fe::ZERO
                    };
                    points.len()
                ];
                for ((p, before), slot) in points.iter().zip(&prefix).zip(&mut out).rev() {
                    let zinv = inv * before;
                    inv *= p.z;
                    let zinv2 = zinv.square();
                    *slot = Affine {
                        x: p.x * zinv2,
                        y: p.y * zinv2 * zinv,
                    };
                }
                Some(out)
            }

            /// The generator's odd multiples in affine form, computed on first use.
            fn generator_table() -> Option<&'static [Affine]> {
                static TABLE: OnceLock<Option<Vec<Affine>>> = OnceLock::new();
                TABLE
                    .get_or_init(|| {
                        let g = Affine::from_point(&AffinePoint::GENERATOR)?;
                        batch_to_affine(&odd_multiples(&g, W_GENERATOR))
                    })
                    .as_deref()
            }

            /// `u1·G + u2·Q`, variable time (interleaved wNAF); `None` only if Q is the
            /// point at infinity, the generator's table could not be built, or a digit
            /// fell outside its table (the wNAF bounds rule the last two out).
            pub(crate) fn lincomb(u1: &Scalar, u2: &Scalar, q: &AffinePoint) -> Option<Jacobian> {
                let g_table = generator_table()?;
                let q_table = odd_multiples(&Affine::from_point(q)?, W_KEY);
                let n1 = wnaf(&u1.to_repr(), W_GENERATOR);
                let n2 = wnaf(&u2.to_repr(), W_KEY);
                let top = n1.iter().zip(&n2).rposition(|(a, b)| *a != 0 || *b != 0);
                let Some(top) = top else {
                    return Some(Jacobian::INFINITY);
                };
                let mut acc = Jacobian::INFINITY;
                for i in (0..=top).rev() {
                    acc = acc.double();
                    let d1 = n1.get(i).copied().unwrap_or(0);
                    if d1 != 0 {
                        let (k, neg) = table_index(d1);
                        let p = g_table.get(k)?;
                        let p = if neg { Affine { x: p.x, y: -p.y } } else { *p };
                        acc = acc.add_affine(&p);
                    }
                    let d2 = n2.get(i).copied().unwrap_or(0);
                    if d2 != 0 {
                        let (k, neg) = table_index(d2);
                        let p = q_table.get(k)?;
                        acc = acc.add(&if neg { p.neg() } else { *p });
                    }
                }
                Some(acc)
            }

            /// Whether the affine x-coordinate of `p`, reduced mod n, equals `r`,
            /// without inverting Z: x = X/Z² and p < 2n, so x mod n = r iff X = r·Z²,
            /// or X = (r + n)·Z² when r + n < p. The point at infinity never matches
            /// (the `ecdsa` crate reduces its x = 0, never equal to a non-zero r).
            fn x_matches(p: &Jacobian, r: &Scalar) -> bool {
                if p.is_infinity() {
                    #[cfg(test)]
                    super::probe::hit(super::probe::Branch::ResultInfinity);
                    return false;
                }
                // r < n < p: a canonical field element.
                let Some(r_fe) = Option::<Fe>::from(Fe::from_repr(r.to_repr())) else {
                    return false;
                };
                let z2 = p.z.square();
                if r_fe * z2 == p.x {
                    return true;
                }
                let n_bytes: FieldBytes = FieldBytesEncoding::<$krate::$curve>::encode_field_bytes(
                    &<$krate::$curve as $krate::elliptic_curve::Curve>::ORDER,
                );
                let Some(n_fe) = Option::<Fe>::from(Fe::from_repr(n_bytes)) else {
                    return false;
                };
                // r + n mod p is at least n exactly when r + n did not wrap (r < n < p).
                let sum = r_fe + n_fe;
                let matched = sum.to_repr()[..] >= n_bytes[..] && sum * z2 == p.x;
                #[cfg(test)]
                if matched {
                    super::probe::hit(super::probe::Branch::MatchedRPlusN);
                }
                matched
            }

            /// A fixed-base table of a point P: entry `j·8 + (m - 1)` is m·16^j·P, for
            /// every radix-16 window of a scalar (HMV Alg. 3.41 with signed digits). No
            /// doubling is left at verification time: one mixed addition per non-zero
            /// digit.
            pub(crate) struct FixedTable(Vec<Affine>);

            impl FixedTable {
                /// `None` if an entry were the point at infinity (impossible for a point
                /// of prime order n > 16, so only a guard).
                fn build(p: &Affine) -> Option<Self> {
                    let windows = Scalar::ZERO.to_repr().len() * 2 + 1;
                    let mut points = Vec::with_capacity(windows * FIXED_WINDOW_ENTRIES);
                    let mut base = Jacobian::from_affine(p);
                    for _ in 0..windows {
                        let mut cur = base;
                        for m in 1..=FIXED_WINDOW_ENTRIES {
                            points.push(cur);
                            if m < FIXED_WINDOW_ENTRIES {
                                cur = cur.add(&base);
                            }
                        }
                        base = base.double().double().double().double();
                    }
                    batch_to_affine(&points).map(Self)
                }

                /// `acc + k·P`; `None` only if a digit fell outside the table.
                fn add_multiple(&self, mut acc: Jacobian, k: &Scalar) -> Option<Jacobian> {
                    for (j, d) in radix16(&k.to_repr()).into_iter().enumerate() {
                        if d == 0 {
                            continue;
                        }
                        let m = usize::from(d.unsigned_abs());
                        let p = self.0.get(j * FIXED_WINDOW_ENTRIES + m - 1)?;
                        acc = acc.add_affine(&if d < 0 {
                            Affine { x: p.x, y: -p.y }
                        } else {
                            *p
                        });
                    }
                    Some(acc)
                }
            }

            /// The generator's fixed-base table, built the first time a key's table is
            /// used (never in a process that verifies each key only a few times).
            fn generator_fixed() -> Option<&'static FixedTable> {
                static TABLE: OnceLock<Option<FixedTable>> = OnceLock::new();
                TABLE
                    .get_or_init(|| {
                        FixedTable::build(&Affine::from_point(&AffinePoint::GENERATOR)?)
                    })
                    .as_ref()
            }

            /// How often each public key (uncompressed SEC1 bytes) was used, when last,
            /// and its table once it has one.
            struct Counted {
                key: Vec<u8>,
                uses: u32,
                last: u64,
                table: Option<Arc<FixedTable>>,
            }

            /// Process-wide, bounded by [`MAX_KEYS_COUNTED_FOR_TABLES`] keys and
            /// [`MAX_FIXED_BASE_TABLES`] tables (the least recently used table goes
            /// first). Holds public points only: a table is a precomputation from the
            /// key's exact bytes, never a verification result.
            static KEYS: Mutex<(u64, Vec<Counted>)> = Mutex::new((0, Vec::new()));

            /// The fixed-base table of `key` once it has been used
            /// [`FIXED_BASE_TABLE_AFTER_USES`] times (the trusted root's keys in a
            /// long-running verifier: Rekor, CT log, Fulcio intermediate, TSA), building
            /// it on that use; `None` before, or if the lock is poisoned.
            fn fixed_table(key_bytes: &[u8], key: &Affine) -> Option<Arc<FixedTable>> {
                {
                    let mut guard = KEYS.lock().ok()?;
                    let (clock, keys) = &mut *guard;
                    *clock = clock.saturating_add(1);
                    let now = *clock;
                    match keys.iter_mut().find(|c| c.key == key_bytes) {
                        Some(c) => {
                            c.last = now;
                            if let Some(t) = &c.table {
                                return Some(Arc::clone(t));
                            }
                            c.uses = c.uses.saturating_add(1);
                            if c.uses < FIXED_BASE_TABLE_AFTER_USES {
                                return None;
                            }
                        }
                        None => {
                            if keys.len() >= MAX_KEYS_COUNTED_FOR_TABLES {
                                // Forget the least recently used key without a table
                                // (one-off keys, such as Fulcio leaf keys, pass through).
                                let i = keys
                                    .iter()
                                    .enumerate()
                                    .filter(|(_, c)| c.table.is_none())
                                    .min_by_key(|(_, c)| c.last)
                                    .map(|(i, _)| i)?;
                                keys.remove(i);
                            }
                            keys.push(Counted {
                                key: key_bytes.to_vec(),
                                uses: 1,
                                last: now,
                                table: None,
                            });
                            return None;
                        }
                    }
                }
                // Built without holding the lock; a concurrent builder of the same key
                // makes an identical table, and the first stored wins.
                let built = Arc::new(FixedTable::build(key)?);
                let mut guard = KEYS.lock().ok()?;
                let keys = &mut guard.1;
                let stored = keys.iter().any(|c| c.key == key_bytes && c.table.is_some());
                if !stored
                    && keys.iter().filter(|c| c.table.is_some()).count() >= MAX_FIXED_BASE_TABLES
                {
                    if let Some(oldest) = keys
                        .iter_mut()
                        .filter(|c| c.table.is_some() && c.key != key_bytes)
                        .min_by_key(|c| c.last)
                    {
                        oldest.table = None;
                        oldest.uses = 0;
                    }
                }
                let c = keys.iter_mut().find(|c| c.key == key_bytes)?;
                Some(Arc::clone(c.table.get_or_insert(built)))
            }

            /// `u1·G + u2·Q` with fixed-base tables for both points.
            pub(crate) fn lincomb_fixed(
                u1: &Scalar,
                u2: &Scalar,
                q: &FixedTable,
            ) -> Option<Jacobian> {
                let acc = generator_fixed()?.add_multiple(Jacobian::INFINITY, u1)?;
                q.add_multiple(acc, u2)
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
                let encoded = key.as_affine().to_encoded_point(false);
                let point = match Affine::from_point(key.as_affine())
                    .and_then(|q| fixed_table(encoded.as_bytes(), &q))
                {
                    Some(table) => {
                        #[cfg(test)]
                        super::probe::record_path(super::probe::Path::FixedBase);
                        lincomb_fixed(&u1, &u2, &table)
                    }
                    None => {
                        #[cfg(test)]
                        super::probe::record_path(super::probe::Path::Wnaf);
                        lincomb(&u1, &u2, key.as_affine())
                    }
                };
                match point {
                    Some(point) => x_matches(&point, &r),
                    None => false,
                }
            }

            /// Whether `q` has a fixed-base table in the process-wide cache (tests).
            #[cfg(test)]
            pub(crate) fn has_fixed_table(q: &AffinePoint) -> bool {
                let encoded = q.to_encoded_point(false);
                KEYS.lock()
                    .map(|k| {
                        k.1.iter()
                            .any(|c| c.key == encoded.as_bytes() && c.table.is_some())
                    })
                    .unwrap_or(false)
            }

            /// Builds `q`'s fixed-base table directly (tests).
            #[cfg(test)]
            pub(crate) fn fixed_table_of(q: &AffinePoint) -> Option<FixedTable> {
                FixedTable::build(&Affine::from_point(q)?)
            }

            /// Forgets `q` in the process-wide cache, its use count and table (tests): its
            /// next verification is a first use, on the wNAF path.
            #[cfg(test)]
            pub(crate) fn forget_key(q: &AffinePoint) {
                let encoded = q.to_encoded_point(false);
                if let Ok(mut k) = KEYS.lock() {
                    k.1.retain(|c| c.key != encoded.as_bytes());
                }
            }

            /// Counts `q` as used `FIXED_BASE_TABLE_AFTER_USES - 1` times (tests), as if
            /// verified that often: its next verification builds its table and uses it.
            #[cfg(test)]
            pub(crate) fn prime_key(q: &AffinePoint) {
                let encoded = q.to_encoded_point(false);
                let Ok(mut guard) = KEYS.lock() else {
                    return;
                };
                let (clock, keys) = &mut *guard;
                *clock += 1;
                if let Some(c) = keys.iter_mut().find(|c| c.key == encoded.as_bytes()) {
                    c.uses = c.uses.max(FIXED_BASE_TABLE_AFTER_USES - 1);
                    c.last = *clock;
                    return;
                }
                // As a first use does: make room by forgetting the least recently used
                // key without a table.
                if keys.len() >= MAX_KEYS_COUNTED_FOR_TABLES {
                    if let Some(i) = keys
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c.table.is_none())
                        .min_by_key(|(_, c)| c.last)
                        .map(|(i, _)| i)
                    {
                        keys.remove(i);
                    }
                }
                keys.push(Counted {
                    key: encoded.as_bytes().to_vec(),
                    uses: FIXED_BASE_TABLE_AFTER_USES - 1,
                    last: *clock,
                    table: None,
                });
            }
        }
    };
}

curve!(p256_vt, p256, NistP256);
curve!(p384_vt, p384, NistP384);

pub(super) use p256_vt::verify_prehash as verify_p256;
pub(super) use p384_vt::verify_prehash as verify_p384;

/// Test instrumentation, compiled only under `cfg(test)` (a normal build has none of it):
/// which multiplication path the last verification on this thread took, and which
/// exceptional branches of the addition formulas and of the final comparison it met.
/// Thread-local, so tests running in parallel do not see each other's records.
#[cfg(test)]
pub(crate) mod probe {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use std::cell::Cell;
    use std::sync::{Mutex, MutexGuard};

    use crate::crypto::{Inner, PublicKey};

    /// How `u1·G + u2·Q` was computed.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum Path {
        /// Interleaved wNAF with the key's odd multiples built for the call (a key's
        /// first uses).
        Wnaf,
        /// The fixed-base radix-16 tables of G and of the key (a key used
        /// `FIXED_BASE_TABLE_AFTER_USES` times or more).
        FixedBase,
    }

    /// The branches taken before (instead of) the incomplete addition formulas, and the
    /// special outcomes of the final comparison.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum Branch {
        /// `add_affine` (madd-2007-bl): the accumulator is at infinity, the sum is Q.
        MixedFromInfinity,
        /// `add_affine`: P + P (H = 0, R = 0), computed as a doubling.
        MixedDoubling,
        /// `add_affine`: P + (-P) (H = 0, R != 0), the point at infinity.
        MixedToInfinity,
        /// `add` (add-2007-bl): the accumulator is at infinity, the sum is Q.
        FromInfinity,
        /// `add`: the addend is at infinity, the sum is P (no caller passes one).
        AddendInfinity,
        /// `add`: P + P, computed as a doubling.
        Doubling,
        /// `add`: P + (-P), the point at infinity.
        ToInfinity,
        /// `x_matches`: R is the point at infinity, never accepted.
        ResultInfinity,
        /// `x_matches`: accepted through X = (r + n)·Z², that is x(R) in [n, p).
        MatchedRPlusN,
    }

    const BRANCHES: [Branch; 9] = [
        Branch::MixedFromInfinity,
        Branch::MixedDoubling,
        Branch::MixedToInfinity,
        Branch::FromInfinity,
        Branch::AddendInfinity,
        Branch::Doubling,
        Branch::ToInfinity,
        Branch::ResultInfinity,
        Branch::MatchedRPlusN,
    ];

    /// How often each [`Branch`] was taken.
    #[derive(Clone, Copy, Default, PartialEq, Eq)]
    pub(crate) struct Hits([u32; BRANCHES.len()]);

    impl Hits {
        /// How often `b` was taken.
        pub(crate) fn get(&self, b: Branch) -> u32 {
            self.0[b as usize]
        }
    }

    impl std::fmt::Debug for Hits {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_map()
                .entries(
                    BRANCHES
                        .iter()
                        .filter(|b| self.get(**b) > 0)
                        .map(|b| (b, self.get(*b))),
                )
                .finish()
        }
    }

    thread_local! {
        static PATH: Cell<Option<Path>> = const { Cell::new(None) };
        static HITS: Cell<Hits> = const { Cell::new(Hits([0; BRANCHES.len()])) };
    }

    pub(super) fn record_path(p: Path) {
        PATH.with(|c| c.set(Some(p)));
    }

    pub(super) fn hit(b: Branch) {
        HITS.with(|c| {
            let mut h = c.get();
            h.0[b as usize] += 1;
            c.set(h);
        });
    }

    /// The path and branches recorded on this thread since the last call, and resets
    /// them. The path is `None` when no verification reached the arithmetic (a malformed
    /// signature, or a digest too short for the curve).
    pub(crate) fn take() -> (Option<Path>, Hits) {
        (PATH.with(|c| c.take()), HITS.with(|c| c.take()))
    }

    /// Serialises the tests that depend on the process-wide table cache (building many
    /// tables evicts others, and forgetting a key resets its count).
    pub(crate) fn cache_lock() -> MutexGuard<'static, ()> {
        static LOCK: Mutex<()> = Mutex::new(());
        LOCK.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn forget(key: &PublicKey) {
        match &key.inner {
            Inner::P256(k) => super::p256_vt::forget_key(k.as_affine()),
            Inner::P384(k) => super::p384_vt::forget_key(k.as_affine()),
            _ => {}
        }
    }

    fn prime(key: &PublicKey) {
        match &key.inner {
            Inner::P256(k) => super::p256_vt::prime_key(k.as_affine()),
            Inner::P384(k) => super::p384_vt::prime_key(k.as_affine()),
            _ => {}
        }
    }

    fn has_table(key: &PublicKey) -> bool {
        match &key.inner {
            Inner::P256(k) => super::p256_vt::has_fixed_table(k.as_affine()),
            Inner::P384(k) => super::p384_vt::has_fixed_table(k.as_affine()),
            _ => false,
        }
    }

    /// Runs `verify`, a verification by `key` through the production API, so that its
    /// arithmetic runs on `path`, and returns its result with the path it took (`None`
    /// if it never reached the arithmetic) and the branches it met. Callers hold
    /// [`cache_lock`].
    /// - [`Path::Wnaf`]: the key is forgotten first, so the call is its first use.
    /// - [`Path::FixedBase`]: unless the key has a table, it is counted as used
    ///   `FIXED_BASE_TABLE_AFTER_USES - 1` times (saving as many wNAF verifications)
    ///   and `verify` is called once, unrecorded: that use builds the table, as in
    ///   production. The recorded call then finds the table, so its branches are the
    ///   sum's alone (building a table meets `add`'s doubling once per window). A test
    ///   outside the lock (another module's) may evict the table in between: then the
    ///   record says wNAF, and it is tried again.
    pub(crate) fn verify_on<T>(
        path: Path,
        key: &PublicKey,
        verify: impl Fn() -> T,
    ) -> (T, Option<Path>, Hits) {
        match path {
            Path::Wnaf => {
                forget(key);
                take();
                let out = verify();
                let (p, hits) = take();
                (out, p, hits)
            }
            Path::FixedBase => {
                for _ in 0..16 {
                    if !has_table(key) {
                        prime(key);
                        verify();
                    }
                    take();
                    let out = verify();
                    let (p, hits) = take();
                    if p != Some(Path::Wnaf) {
                        return (out, p, hits);
                    }
                }
                panic!("the key's fixed-base table was evicted 16 times in a row");
            }
        }
    }
}

#[cfg(test)]
mod exceptional_tests;
#[cfg(test)]
mod wycheproof_tests;

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

    #[test]
    fn radix16_represents_the_integer() {
        let mut cases: Vec<Vec<u8>> =
            vec![vec![0; 48], vec![0xff; 48], vec![0x88; 32], vec![0x77; 32]];
        for i in 0..200u32 {
            cases.push(bytes(&i.to_le_bytes(), if i % 2 == 0 { 32 } else { 48 }));
        }
        for be in &cases {
            let d = radix16(be);
            assert_eq!(d.len(), be.len() * 2 + 1);
            assert!(d.iter().all(|x| (-8..8).contains(x)));
            // Σ d_j 16^j, normalised digit by digit, gives back the nibbles.
            let mut acc: Vec<i32> = d.iter().map(|&x| i32::from(x)).collect();
            for j in 0..acc.len() - 1 {
                let c = acc[j].div_euclid(16);
                acc[j] = acc[j].rem_euclid(16);
                acc[j + 1] += c;
            }
            for (j, nibble) in be.iter().rev().flat_map(|b| [b & 0xf, b >> 4]).enumerate() {
                assert_eq!(acc[j], i32::from(nibble), "nibble {j}");
            }
            assert_eq!(*acc.last().unwrap(), 0);
        }
    }

    macro_rules! equivalence {
        ($name:ident, $krate:ident, $vt:ident, $hash_len:expr, $curve:ident) => {
            #[test]
            fn $name() {
                use $krate::elliptic_curve::sec1::ToEncodedPoint as _;
                use $krate::{ProjectivePoint, Scalar};
                type Sig = $krate::ecdsa::Signature;
                let fb = |b: &[u8]| {
                    let mut f = $krate::FieldBytes::default();
                    f.copy_from_slice(b);
                    f
                };
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
                        let want = (ProjectivePoint::GENERATOR * a + ProjectivePoint::from(q) * b)
                            .to_affine()
                            .to_encoded_point(false);
                        let got = $vt::lincomb(a, b, &q).unwrap().to_affine_bytes();
                        match (want.x(), want.y()) {
                            (Some(x), Some(y)) => assert_eq!(got, Some((*x, *y))),
                            _ => assert_eq!(got, None, "the sum is the point at infinity"),
                        }
                    }
                }
                // Q = G: the two tables hold the same points, so the additions meet
                // P + P (doubling) and P + (-P) (infinity).
                let g = ProjectivePoint::GENERATOR.to_affine();
                for a in &scalars {
                    for b in [*a, -*a, *a + Scalar::ONE, Scalar::ONE, -Scalar::ONE] {
                        let want = (ProjectivePoint::GENERATOR * (*a + b))
                            .to_affine()
                            .to_encoded_point(false);
                        let got = $vt::lincomb(a, &b, &g).unwrap().to_affine_bytes();
                        match (want.x(), want.y()) {
                            (Some(x), Some(y)) => assert_eq!(got, Some((*x, *y))),
                            _ => assert_eq!(got, None, "the sum is the point at infinity"),
                        }
                    }
                }
                // Fixed-base tables: the same sums as the wNAF path.
                let q_fixed = $vt::fixed_table_of(&q).unwrap();
                let g_fixed = $vt::fixed_table_of(&g).unwrap();
                for a in &scalars {
                    for b in scalars.iter().step_by(2) {
                        let want = $vt::lincomb(a, b, &q).unwrap().to_affine_bytes();
                        assert_eq!(
                            $vt::lincomb_fixed(a, b, &q_fixed)
                                .unwrap()
                                .to_affine_bytes(),
                            want
                        );
                        let want_g = $vt::lincomb(a, b, &g).unwrap().to_affine_bytes();
                        assert_eq!(
                            $vt::lincomb_fixed(a, b, &g_fixed)
                                .unwrap()
                                .to_affine_bytes(),
                            want_g
                        );
                        let neg = -*a;
                        assert_eq!(
                            $vt::lincomb_fixed(a, &neg, &g_fixed)
                                .unwrap()
                                .to_affine_bytes(),
                            None,
                            "a·G - a·G is the point at infinity"
                        );
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

                // From here on the process-wide table cache matters: other tests that
                // build many tables (Wycheproof) wait until this one is done.
                let _cache = super::probe::cache_lock();

                // u1·G + u2·Q at infinity: with the private key d, the digest
                // z = -r·d makes u1 + u2·d = 0. Never accepted, on either path (the
                // fixed-table one from the FIXED_BASE_TABLE_AFTER_USES-th use on).
                let sk = $krate::ecdsa::SigningKey::from_slice(&bytes(b"infinity", n)).unwrap();
                let vk = *sk.verifying_key();
                let d = *sk.as_nonzero_scalar().as_ref();
                for i in 1..(crate::limits::FIXED_BASE_TABLE_AFTER_USES as u64 + 4) {
                    let r = Scalar::from(1000 + i);
                    let s_ = Scalar::from(7 * i + 3);
                    let z = -(r * d);
                    let digest = z.to_bytes();
                    let sig = Sig::from_scalars(r.to_bytes(), s_.to_bytes()).unwrap();
                    assert!(vk.verify_prehash(&digest, &sig).is_err());
                    let point = $vt::lincomb(
                        &(z * s_.invert().unwrap()),
                        &(r * s_.invert().unwrap()),
                        vk.as_affine(),
                    )
                    .unwrap();
                    assert_eq!(
                        point.to_affine_bytes(),
                        None,
                        "the sum is the point at infinity"
                    );
                    assert!(!$vt::verify_prehash(&vk, &digest, &sig), "use {i}");
                }
                assert!(
                    $vt::has_fixed_table(vk.as_affine()),
                    "the infinity key got a table"
                );

                // One key verified many times: past FIXED_BASE_TABLE_AFTER_USES it gets a
                // fixed-base table, and every outcome still equals the ecdsa crate's.
                let sk = $krate::ecdsa::SigningKey::from_slice(&bytes(b"fixed", n)).unwrap();
                let vk = *sk.verifying_key();
                let uses = crate::limits::FIXED_BASE_TABLE_AFTER_USES as usize;
                for i in 0..uses + 6 {
                    let digest = bytes(&(i as u32).to_be_bytes(), n);
                    let sig: Sig = sk.sign_prehash(&digest).unwrap();
                    let mut tampered = digest.clone();
                    tampered[n - 1] ^= 0x80;
                    let high = Sig::from_scalars(sig.r(), -*sig.s().as_ref()).unwrap();
                    for (d, s) in [(&digest, &sig), (&tampered, &sig), (&digest, &high)] {
                        assert_eq!(
                            $vt::verify_prehash(&vk, d, s),
                            vk.verify_prehash(d, s).is_ok(),
                            "use {i}"
                        );
                    }
                }
                assert!($vt::has_fixed_table(vk.as_affine()), "the key got a table");

                // x(R) in [n, p): x mod n = x - n. A key Q whose x is n + k, digest 0
                // (u1 = 0) and s = r = k (u2 = 1) make R = Q, so (k, k) verifies, and
                // only through the r + n comparison.
                let order: $krate::FieldBytes = $krate::elliptic_curve::FieldBytesEncoding::<
                    $krate::$curve,
                >::encode_field_bytes(
                    &<$krate::$curve as $krate::elliptic_curve::Curve>::ORDER,
                );
                let mut found = 0;
                for k in 1u8..=64 {
                    let mut x = order.to_vec();
                    let mut carry = u16::from(k);
                    for byte in x.iter_mut().rev() {
                        let v = u16::from(*byte) + carry;
                        *byte = (v & 0xff) as u8;
                        carry = v >> 8;
                    }
                    let Ok(q) =
                        $krate::ecdsa::VerifyingKey::from_sec1_bytes(&[&[2u8][..], &x].concat())
                    else {
                        continue;
                    };
                    let mut r = vec![0u8; n];
                    r[n - 1] = k;
                    let zero = vec![0u8; n];
                    let sig = Sig::from_scalars(fb(&r), fb(&r)).unwrap();
                    assert!(
                        q.verify_prehash(&zero, &sig).is_ok(),
                        "ecdsa crate, k = {k}"
                    );
                    assert!($vt::verify_prehash(&q, &zero, &sig), "k = {k}");
                    r[n - 1] = k + 1;
                    let off = Sig::from_scalars(fb(&r), fb(&r)).unwrap();
                    assert!(q.verify_prehash(&zero, &off).is_err());
                    assert!(!$vt::verify_prehash(&q, &zero, &off));
                    found += 1;
                }
                assert!(found >= 8, "{found} keys with x in [n, p)");

                // The converse: x(R) = t small and r = t + p - n (< n). Then r + n wraps
                // mod p to t, but x mod n = t != r: both must reject.
                let hex = <$krate::FieldElement as $krate::elliptic_curve::ff::PrimeField>::MODULUS;
                let modulus: Vec<u8> = (0..n)
                    .map(|i| {
                        u8::from_str_radix(&hex.trim_start_matches("0x")[2 * i..2 * i + 2], 16)
                            .unwrap()
                    })
                    .collect();
                // p - n, big-endian.
                let mut p_minus_n = vec![0u8; n];
                let mut borrow = 0i16;
                for i in (0..n).rev() {
                    let v = i16::from(modulus[i]) - i16::from(order[i]) - borrow;
                    p_minus_n[i] = v.rem_euclid(256) as u8;
                    borrow = i16::from(v < 0);
                }
                let mut wrapped = 0;
                for t in 1u8..=64 {
                    let mut x = vec![0u8; n];
                    x[n - 1] = t;
                    let Ok(q) =
                        $krate::ecdsa::VerifyingKey::from_sec1_bytes(&[&[2u8][..], &x].concat())
                    else {
                        continue;
                    };
                    let mut r = p_minus_n.clone();
                    let mut carry = u16::from(t);
                    for byte in r.iter_mut().rev() {
                        let v = u16::from(*byte) + carry;
                        *byte = (v & 0xff) as u8;
                        carry = v >> 8;
                    }
                    let zero = vec![0u8; n];
                    let sig = Sig::from_scalars(fb(&r), fb(&r)).unwrap();
                    assert!(q.verify_prehash(&zero, &sig).is_err());
                    assert!(!$vt::verify_prehash(&q, &zero, &sig), "t = {t}");
                    wrapped += 1;
                }
                assert!(wrapped >= 8, "{wrapped} keys with a small x");
            }
        };
    }

    equivalence!(
        p256_agrees_with_the_ecdsa_crate,
        p256,
        p256_vt,
        32,
        NistP256
    );
    equivalence!(
        p384_agrees_with_the_ecdsa_crate,
        p384,
        p384_vt,
        48,
        NistP384
    );
}
