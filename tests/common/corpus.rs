//! Locating the shared Sigstore corpus (`RULEPACK_CORPUS`) and the vendored real
//! material of `testdata/real`.
//!
//! A test that needs the corpus runs on the vendored material and takes the corpus as
//! an extra ([`corpus_extra`]); only a test whose whole point is the corpus skips with a
//! printed notice when the variable is unset ([`corpus_dir`]). With
//! `RULEPACK_REQUIRE_ALL=1` (set by `.ci/run`) a missing corpus is a failure, so CI can
//! never pass without it.
#![allow(dead_code)]

use std::path::PathBuf;

/// True when `.ci/run` demands every optional test resource.
pub fn require_all() -> bool {
    std::env::var("RULEPACK_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// The corpus directory, or `None` after printing a skip notice.
///
/// Panics (failing the test) when the corpus is required but missing. Only for tests
/// whose whole point is the external corpus; a test that checks a property runs on the
/// vendored fixtures of `testdata/` and takes the corpus through [`corpus_extra`].
pub fn corpus_dir(test: &str) -> Option<PathBuf> {
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

/// The corpus as an extra for a test that already ran on the vendored fixtures: `Some`
/// when `RULEPACK_CORPUS` is set, `None` (silently: nothing was skipped) otherwise.
/// With `RULEPACK_REQUIRE_ALL=1` a missing corpus fails the test.
pub fn corpus_extra(test: &str) -> Option<PathBuf> {
    match std::env::var_os("RULEPACK_CORPUS") {
        Some(p) => {
            let mut p = PathBuf::from(p);
            if p.is_relative() {
                p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(p);
            }
            assert!(
                p.join("README.md").is_file(),
                "RULEPACK_CORPUS={} does not point at the shared corpus",
                p.display()
            );
            Some(p)
        }
        None => {
            assert!(
                !require_all(),
                "{test}: RULEPACK_CORPUS is unset but RULEPACK_REQUIRE_ALL=1"
            );
            None
        }
    }
}

/// `testdata/real`: real Sigstore material vendored from registry packages, with
/// `index.json` (origin and sha256 of each file in `testdata/README.md`).
pub fn vendored_real() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/real")
}
