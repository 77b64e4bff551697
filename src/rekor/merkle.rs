//! RFC 6962 Merkle tree hashing and inclusion proofs (transparency-dev/merkle
//! `rfc6962/rfc6962.go`, `proof/verify.go`).

use super::TlogError;
use crate::crypto::sha256_parts;
use crate::encoding::hex_encode;
use crate::limits::MAX_INCLUSION_PROOF_HASHES;

/// RFC 6962 §2.1: leaf hash = SHA-256(0x00 || leaf).
pub fn leaf_hash(leaf: &[u8]) -> [u8; 32] {
    sha256_parts(&[&[0x00], leaf])
}

/// RFC 6962 §2.1: interior node hash = SHA-256(0x01 || left || right).
fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    sha256_parts(&[&[0x01], left, right])
}

fn to_hash(bytes: &[u8], which: impl FnOnce() -> String) -> Result<[u8; 32], TlogError> {
    bytes
        .try_into()
        .map_err(|_| TlogError::InclusionProofBadHashLength {
            which: which(),
            len: bytes.len(),
        })
}

/// Verifies an RFC 6962 §2.1.1 inclusion proof (audit path) of the leaf with hash
/// `leaf_hash` at `index` in a tree of `tree_size` leaves whose root is `root`.
///
/// Follows transparency-dev/merkle `proof.VerifyInclusion`: `index < tree_size`, the
/// path length must be exactly `inner + border`, every hash 32 bytes.
pub fn verify_inclusion(
    leaf_hash: &[u8; 32],
    index: u64,
    tree_size: u64,
    proof: &[Vec<u8>],
    root: &[u8],
) -> Result<(), TlogError> {
    // merkle proof/verify.go: "index is beyond size".
    if index >= tree_size {
        return Err(TlogError::InclusionProofIndexOutOfRange { index, tree_size });
    }
    if proof.len() > MAX_INCLUSION_PROOF_HASHES {
        return Err(TlogError::InclusionProofTooManyHashes {
            count: proof.len(),
            max: MAX_INCLUSION_PROOF_HASHES,
        });
    }
    let root = to_hash(root, || "root".to_owned())?;
    // merkle proof/verify.go decompInclProof: inner = bits.Len64(index ^ (size-1)),
    // border = bits.OnesCount64(index >> inner).
    let last = tree_size.saturating_sub(1);
    let inner = u64::BITS.saturating_sub((index ^ last).leading_zeros());
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    let expected = usize::try_from(inner.saturating_add(border)).unwrap_or(usize::MAX);
    if proof.len() != expected {
        return Err(TlogError::InclusionProofWrongLength {
            expected,
            found: proof.len(),
        });
    }
    let mut hashes = Vec::with_capacity(proof.len());
    for (i, h) in proof.iter().enumerate() {
        hashes.push(to_hash(h, || format!("hashes[{i}]"))?);
    }
    let inner_len = usize::try_from(inner).unwrap_or(usize::MAX);
    let (inner_path, border_path) = hashes.split_at(inner_len.min(hashes.len()));
    // chainInner: at level i, the sibling is on the right when bit i of index is 0.
    let mut h = *leaf_hash;
    for (i, p) in (0u32..).zip(inner_path) {
        h = if index.checked_shr(i).unwrap_or(0) & 1 == 0 {
            node_hash(&h, p)
        } else {
            node_hash(p, &h)
        };
    }
    // chainBorderRight: the remaining siblings are all on the left.
    for p in border_path {
        h = node_hash(p, &h);
    }
    if h != root {
        return Err(TlogError::InclusionProofInvalid {
            computed: hex_encode(&h),
            expected: hex_encode(&root),
        });
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// RFC 6962 §2.1 MTH over leaves[lo..hi], recursively (split at the largest power
    /// of two smaller than n).
    pub(crate) fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves.len() {
            0 => crate::crypto::sha256(b""),
            1 => leaves[0],
            n => {
                let k = largest_pow2_below(n);
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn largest_pow2_below(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// RFC 6962 §2.1.1 PATH(m, D[n]).
    pub(crate) fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<Vec<u8>> {
        let n = leaves.len();
        if n <= 1 {
            return vec![];
        }
        let k = largest_pow2_below(n);
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]).to_vec());
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]).to_vec());
            p
        }
    }

    fn tree(n: usize) -> Vec<[u8; 32]> {
        (0..n)
            .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn every_index_of_every_size_up_to_16() {
        let mut checked = 0;
        for n in 1..=16usize {
            let leaves = tree(n);
            let root = mth(&leaves);
            for m in 0..n {
                let p = path(m, &leaves);
                let (m64, n64) = (m as u64, n as u64);
                verify_inclusion(&leaves[m], m64, n64, &p, &root).unwrap();
                checked += 1;
                // Wrong leaf, wrong index, wrong root all fail.
                let other = leaf_hash(b"other");
                assert_eq!(
                    verify_inclusion(&other, m64, n64, &p, &root)
                        .unwrap_err()
                        .code(),
                    "tlog.inclusion-proof-invalid"
                );
                if n > 1 {
                    let wrong_idx = (m + 1) % n;
                    assert!(
                        verify_inclusion(&leaves[m], wrong_idx as u64, n64, &p, &root).is_err()
                    );
                }
                let mut bad_root = root;
                bad_root[0] ^= 1;
                assert!(verify_inclusion(&leaves[m], m64, n64, &p, &bad_root).is_err());
                // Every flipped bit in every proof hash is caught.
                for j in 0..p.len() {
                    let mut q = p.clone();
                    q[j][31] ^= 0x80;
                    assert_eq!(
                        verify_inclusion(&leaves[m], m64, n64, &q, &root)
                            .unwrap_err()
                            .code(),
                        "tlog.inclusion-proof-invalid"
                    );
                }
                // One hash too many or too few.
                let mut longer = p.clone();
                longer.push(vec![0; 32]);
                assert_eq!(
                    verify_inclusion(&leaves[m], m64, n64, &longer, &root)
                        .unwrap_err()
                        .code(),
                    "tlog.inclusion-proof-wrong-length"
                );
                if !p.is_empty() {
                    assert_eq!(
                        verify_inclusion(&leaves[m], m64, n64, &p[..p.len() - 1], &root)
                            .unwrap_err()
                            .code(),
                        "tlog.inclusion-proof-wrong-length"
                    );
                }
                // Index at or beyond the size.
                assert_eq!(
                    verify_inclusion(&leaves[m], n64, n64, &p, &root)
                        .unwrap_err()
                        .code(),
                    "tlog.inclusion-proof-index-out-of-range"
                );
            }
        }
        assert_eq!(checked, (1..=16).sum::<usize>());
    }

    #[test]
    fn size_one_tree_is_its_leaf() {
        let l = leaf_hash(b"x");
        verify_inclusion(&l, 0, 1, &[], &l).unwrap();
        assert_eq!(
            verify_inclusion(&l, 0, 0, &[], &l).unwrap_err().code(),
            "tlog.inclusion-proof-index-out-of-range"
        );
    }

    #[test]
    fn bad_hash_lengths_and_limits() {
        let leaves = tree(5);
        let root = mth(&leaves);
        let mut p = path(2, &leaves);
        p[1].pop();
        assert_eq!(
            verify_inclusion(&leaves[2], 2, 5, &p, &root)
                .unwrap_err()
                .code(),
            "tlog.inclusion-proof-bad-hash-length"
        );
        assert_eq!(
            verify_inclusion(&leaves[2], 2, 5, &path(2, &leaves), &root[..31])
                .unwrap_err()
                .code(),
            "tlog.inclusion-proof-bad-hash-length"
        );
        let huge = vec![vec![0u8; 32]; MAX_INCLUSION_PROOF_HASHES + 1];
        assert_eq!(
            verify_inclusion(&leaves[0], 0, u64::MAX, &huge, &root)
                .unwrap_err()
                .code(),
            "tlog.inclusion-proof-too-many-hashes"
        );
        // The largest possible tree: the length rule still applies without overflow.
        assert_eq!(
            verify_inclusion(&leaves[0], u64::MAX - 1, u64::MAX, &[], &root)
                .unwrap_err()
                .code(),
            "tlog.inclusion-proof-wrong-length"
        );
    }

    #[test]
    fn leaf_hash_known_answer() {
        // RFC 6962 empty-leaf hash: SHA-256(0x00) (transparency-dev/merkle testdata).
        assert_eq!(
            hex_encode(&leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }
}
