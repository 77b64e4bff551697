//! Test-only helpers shared by unit tests (compiled only under `cfg(test)`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

/// The shared corpus (`RULEPACK_CORPUS`), or `None` after printing a skip notice.
/// Fails the test when `RULEPACK_REQUIRE_ALL=1` and the corpus is missing.
///
/// Only for tests whose whole point is the external corpus; a test that checks a
/// property runs on the vendored fixtures (`testdata/`) and takes the corpus as an
/// extra through [`corpus_extra`].
pub(crate) fn corpus_dir(test: &str) -> Option<PathBuf> {
    let dir = corpus_extra(test);
    if dir.is_none() {
        // Written to the stderr handle directly: libtest captures `eprintln!`, and a
        // skip must be visible in a normal `cargo test` run.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("SKIPPED {test}: set RULEPACK_CORPUS=../shared/corpus to run it\n").as_bytes(),
        );
    }
    dir
}

/// The shared corpus as an extra for a test that already ran on the vendored fixtures:
/// `Some` when `RULEPACK_CORPUS` is set, `None` (silently: nothing was skipped) when it
/// is not. With `RULEPACK_REQUIRE_ALL=1` a missing corpus fails the test, so CI cannot
/// pass without running the corpus part.
pub(crate) fn corpus_extra(test: &str) -> Option<PathBuf> {
    match std::env::var_os("RULEPACK_CORPUS") {
        Some(p) => {
            let mut p = PathBuf::from(p);
            if p.is_relative() {
                p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(p);
            }
            assert!(
                p.join("README.md").is_file(),
                "bad RULEPACK_CORPUS {}",
                p.display()
            );
            Some(p)
        }
        None => {
            assert!(
                std::env::var("RULEPACK_REQUIRE_ALL").as_deref() != Ok("1"),
                "{test}: RULEPACK_CORPUS is unset but RULEPACK_REQUIRE_ALL=1"
            );
            None
        }
    }
}

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
