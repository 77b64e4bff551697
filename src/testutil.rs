//! Test-only helpers shared by unit tests (compiled only under `cfg(test)`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

/// The shared corpus (`RULEPACK_CORPUS`), or `None` after printing a skip notice.
/// Fails the test when `RULEPACK_REQUIRE_ALL=1` and the corpus is missing.
pub(crate) fn corpus_dir(test: &str) -> Option<PathBuf> {
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
