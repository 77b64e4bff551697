//! Test-only helpers shared by unit tests (compiled only under `cfg(test)`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

/// Locating the shared corpus (`RULEPACK_CORPUS`): the integration tests' file, so that
/// unit and integration tests skip, or fail under `RULEPACK_REQUIRE_ALL=1`, alike.
#[path = "../tests/common/corpus.rs"]
#[allow(unreachable_pub)]
mod corpus;

pub(crate) use corpus::{corpus_dir, corpus_extra};

/// `testdata/real/<rel>`: real Sigstore material vendored from registry packages
/// (origin and sha256 of each file in `testdata/README.md`).
pub(crate) fn vendored(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/real")
        .join(rel)
}

/// The vendored production trusted root (byte-identical to the corpus's
/// `conformance/production_trusted_root.json`).
pub(crate) const PRODUCTION_ROOT: &str = "../trust/sigstore_trusted_root.json";

/// The vendored staging trusted root (PyPI `sigstore` 4.5.1).
pub(crate) const STAGING_ROOT: &str =
    "pypi/sigstore-4.5.1/sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstage.dev/trusted_root.json";

/// Vendored files from crates.io `sigstore-verify` 0.15.1 (`test_data/`).
pub(crate) const SIGSTORE_VERIFY: &str = "crates.io/sigstore-verify-0.15.1/test_data/";

/// The entries of `testdata/real/index.json`: every vendored real bundle with its
/// trusted root, signer, artifact and expected result.
pub(crate) fn vendored_index() -> Vec<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(vendored("index.json")).unwrap()).unwrap()
}

/// Feeds every prefix and a spread of single-bit flips of `input` to `parse`, which
/// must return (Ok or Err) without panicking. Returns how many inputs were tried.
pub(crate) fn mutate_all<T, E>(
    input: &[u8],
    mut parse: impl FnMut(&[u8]) -> Result<T, E>,
) -> usize {
    let mut n = 0;
    let step = (input.len() / 512).max(1);
    for len in (0..input.len()).step_by(step) {
        let _ = parse(&input[..len]);
        n += 1;
    }
    let mut buf = input.to_vec();
    for i in (0..buf.len()).step_by(step) {
        for bit in [0u8, 3, 7] {
            buf[i] ^= 1 << bit;
            let _ = parse(&buf);
            buf[i] ^= 1 << bit;
            n += 1;
        }
    }
    n
}
