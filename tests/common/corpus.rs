//! Locating the shared Sigstore corpus (`RULEPACK_CORPUS`).
//!
//! When the variable is unset the calling test prints a notice and returns (skips);
//! with `RULEPACK_REQUIRE_ALL=1` (set by `.ci/run`) a missing corpus is a failure, so CI
//! can never pass by skipping.
#![allow(dead_code)]

use std::path::PathBuf;

/// True when `.ci/run` demands every optional test resource.
pub fn require_all() -> bool {
    std::env::var("RULEPACK_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// The corpus directory, or `None` after printing a skip notice.
///
/// Panics (failing the test) when the corpus is required but missing.
pub fn corpus_dir(test: &str) -> Option<PathBuf> {
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
            // Written to the stderr handle directly: libtest captures `eprintln!`, and a
            // skip must be visible in a normal `cargo test` run.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("SKIPPED {test}: set RULEPACK_CORPUS=../shared/corpus to run it\n")
                    .as_bytes(),
            );
            None
        }
    }
}
