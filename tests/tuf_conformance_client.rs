//! `examples/tuf-conformance-client.rs` run as a program (the tuf-conformance
//! `CLIENT-CLI.md` protocol) against a local repository on loopback.
//!
//! `cargo test` builds the examples before it runs any test, so the binary is beside this
//! test's own. A run limited to this test (`cargo test --test tuf_conformance_client`)
//! does not build it: the tests then skip with a notice when the binary is missing or
//! older than the sources, and fail under `RULEPACK_REQUIRE_ALL=1`.
#![cfg(feature = "online")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/example_bin.rs"]
mod example_bin;
#[path = "common/tuf_repo.rs"]
mod tuf_repo;

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tuf_repo::{rfc3339, Repo, Server};

/// 2100-01-01T00:00:00Z: the example reads the real clock, so nothing may expire.
const FAR: i64 = 4_102_444_800;

/// The example binary `cargo test` built, if it is at least as new as every source.
fn client(test: &str) -> Option<PathBuf> {
    example_bin::example_bin("tuf-conformance-client", test)
}

struct Run {
    ok: bool,
    stderr: String,
}

/// A repository whose metadata expires in 2100, served on loopback, with the client's
/// metadata dir initialised from root v1 and an empty target dir.
struct World {
    bin: PathBuf,
    server: Server,
    dir: PathBuf,
}

impl World {
    fn new(test: &str, setup: impl FnOnce(&mut Repo)) -> Option<Self> {
        let bin = client(test)?;
        let mut repo = Repo::new();
        let far = json!(rfc3339(FAR));
        repo.root["expires"] = far.clone();
        // Root v1 again, now expiring in 2100: the anchor.
        repo.publish_root();
        repo.timestamp["expires"] = far.clone();
        repo.snapshot["expires"] = far.clone();
        repo.targets["expires"] = far.clone();
        setup(&mut repo);
        for doc in repo.delegated.values_mut() {
            doc["expires"] = far.clone();
        }
        repo.targets["version"] = json!(2);
        repo.update_snapshot();
        let anchor = repo.published_roots[0].clone();
        let server = Server::start(Arc::new(Mutex::new(repo)));
        let dir =
            std::env::temp_dir().join(format!("rpv-tuf-client-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("targets")).unwrap();
        std::fs::write(dir.join("anchor.json"), anchor).unwrap();
        let w = Self { bin, server, dir };
        let init = w.run(&["init", &w.path("anchor.json")]);
        assert!(init.ok, "init: {}", init.stderr);
        Some(w)
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    fn run(&self, args: &[&str]) -> Run {
        let metadata_dir = self.path("metadata");
        let out = Command::new(&self.bin)
            .args(["--metadata-dir", &metadata_dir])
            .args(args)
            .output()
            .unwrap();
        Run {
            ok: out.status.success(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `download` with one `--target-name` per name, in order.
    fn download(&self, names: &[&str]) -> Run {
        let metadata_url = self.server.metadata_url();
        let targets_url = self.server.targets_url();
        let target_dir = self.path("targets");
        let mut args = vec!["--metadata-url", &metadata_url, "download"];
        for n in names {
            args.extend(["--target-name", n]);
        }
        args.extend([
            "--target-base-url",
            &targets_url,
            "--target-dir",
            &target_dir,
        ]);
        self.run(&args)
    }

    /// A downloaded target, by its file name in the target dir.
    fn target(&self, file: &str) -> Option<Vec<u8>> {
        std::fs::read(self.dir.join("targets").join(file)).ok()
    }

    /// The target files the server was asked for, in order.
    fn target_requests(&self) -> Vec<String> {
        self.server
            .requests()
            .into_iter()
            .filter(|p| p.starts_with("/targets/"))
            .collect()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn served_name(name: &str, content: &[u8]) -> String {
    let (dir, base) = name
        .rsplit_once('/')
        .map_or((String::new(), name), |(d, b)| (format!("{d}/"), b));
    format!("/targets/{dir}{}.{base}", tuf_repo::sha256_hex(content))
}

#[test]
fn every_target_name_is_downloaded_in_order_by_one_updater() {
    let Some(w) = World::new("in-order", |r| {
        r.add_target("targets", "first.txt", b"one");
        r.add_target("targets", "dir/second.txt", b"two");
        r.add_target("targets", "third.txt", b"three");
    }) else {
        return;
    };
    let run = w.download(&["dir/second.txt", "first.txt", "third.txt"]);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(w.target("dir%2Fsecond.txt").as_deref(), Some(&b"two"[..]));
    assert_eq!(w.target("first.txt").as_deref(), Some(&b"one"[..]));
    assert_eq!(w.target("third.txt").as_deref(), Some(&b"three"[..]));
    assert_eq!(
        w.target_requests(),
        [
            served_name("dir/second.txt", b"two"),
            served_name("first.txt", b"one"),
            served_name("third.txt", b"three"),
        ]
    );
    // One refresh for all three: the timestamp is fetched once.
    let timestamps = w
        .server
        .requests()
        .iter()
        .filter(|p| p.ends_with("/timestamp.json"))
        .count();
    assert_eq!(timestamps, 1);
}

/// With one updater for both names, the second target, reached through a delegator whose
/// key never signed the shared role, is refused after the first was written.
#[test]
fn a_role_trusted_under_one_delegator_is_refused_under_another() {
    let Some(w) = World::new("two-delegators", |r| {
        r.add_delegation("parent-a", &["a/*"], false);
        r.add_delegation("parent-b", &["b/*"], false);
        let ka = r.add_delegation_from("parent-a", "release", &["a/*"], false);
        r.add_delegation_from("parent-b", "release", &["b/*"], false);
        r.signers.insert("release".into(), vec![ka]);
        r.add_target("release", "a/app", b"app for a");
        r.add_target("release", "b/app", b"app for b");
    }) else {
        return;
    };
    let run = w.download(&["a/app", "b/app"]);
    assert!(!run.ok, "the second target was accepted");
    assert!(
        run.stderr.contains("b/app: tuf.threshold-not-met"),
        "{}",
        run.stderr
    );
    assert_eq!(w.target("a%2Fapp").as_deref(), Some(&b"app for a"[..]));
    assert_eq!(w.target("b%2Fapp"), None);
    assert_eq!(w.target_requests(), [served_name("a/app", b"app for a")]);
}

#[test]
fn options_other_than_target_name_must_not_repeat() {
    let Some(w) = World::new("repeat", |r| r.add_target("targets", "x", b"x")) else {
        return;
    };
    let url = w.server.metadata_url();
    let run = w.run(&["--metadata-url", &url, "--metadata-url", &url, "refresh"]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("--metadata-url given more than once"),
        "{}",
        run.stderr
    );
    // Without the repetition the same command works.
    let run = w.run(&["--metadata-url", &url, "refresh"]);
    assert!(run.ok, "{}", run.stderr);
}
