//! The example binaries `cargo test` builds (`target/<profile>/examples/<name>`), for tests
//! that run them as programs.
//!
//! `cargo test` builds the examples before it runs any test, so each binary is beside the
//! test's own. A run limited to one test target (`cargo test --test NAME`) does not build
//! them: the caller then skips with a notice when the binary is missing or older than the
//! sources, and fails under `RULEPACK_REQUIRE_ALL=1`.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The newest modification time of the files under `dir` (recursively).
fn newest(dir: &Path) -> SystemTime {
    let mut t = SystemTime::UNIX_EPOCH;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let m = if p.is_dir() {
            newest(&p)
        } else {
            e.metadata().unwrap().modified().unwrap()
        };
        t = t.max(m);
    }
    t
}

/// The binary of `examples/<name>.rs`, if it is at least as new as every source; `None`
/// (after a printed notice) otherwise.
pub fn example_bin(name: &str, test: &str) -> Option<PathBuf> {
    // target/<profile>/deps/<this test> → target/<profile>/examples/<example>
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let bin = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = newest(&root.join("src")).max(
        std::fs::metadata(root.join(format!("examples/{name}.rs")))
            .unwrap()
            .modified()
            .unwrap(),
    );
    let fresh = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= sources);
    if fresh {
        return Some(bin);
    }
    let why = format!(
        "{test}: {} is missing or older than the sources; `cargo test` (all targets) or \
         `cargo build --example {name}` builds it",
        bin.display()
    );
    assert!(
        std::env::var("RULEPACK_REQUIRE_ALL").as_deref() != Ok("1"),
        "{why}, and RULEPACK_REQUIRE_ALL=1"
    );
    eprintln!("SKIP {why}");
    None
}
