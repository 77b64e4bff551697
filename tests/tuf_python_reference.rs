//! The TUF client workflow end to end on real metadata made by another implementation:
//! the python-tuf reference repository of crates.io `sigstore-tuf` 0.15.1 (from AWS
//! `tough`'s test data; provenance in `testdata/README.md`), vendored in
//! `testdata/tuf/python-tuf-reference/` and served on loopback. No registry package
//! ships Sigstore's own timestamp, snapshot and targets metadata; this is the one
//! complete repository one does ship: an RSA-PSS root key (securesystemslib's
//! `rsassa-pss-sha256`), Ed25519 timestamp, snapshot and targets keys,
//! `consistent_snapshot: false` (plain file names), a delegation `targets` → `role1`
//! → `role2`, SHA-256 and SHA-512 target hashes, python-tuf's canonical JSON.
//! The RSA key needs the `rsa` feature, which every test build has (Cargo.toml's
//! dev-dependency on the crate itself).
#![cfg(feature = "online")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/tuf_repo.rs"]
mod tuf_repo;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use rulepack_verify::tuf::{HttpFetcher, NoStore, Step, TufError, Updater};
use tuf_repo::{sha256_hex, Reply, Server};

/// 2026-08-22T12:00:00Z; everything in the repository expires 2030-01-01T00:00:00Z.
const NOW: i64 = 1_787_400_000;

const METADATA: [&str; 6] = [
    "1.root.json",
    "timestamp.json",
    "snapshot.json",
    "targets.json",
    "role1.json",
    "role2.json",
];
const TARGETS: [&str; 3] = ["file1.txt", "file2.txt", "file3.txt"];

fn file(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/tuf/python-tuf-reference")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The repository as python-tuf lays it out, with `change` applied to the served files.
fn serve(change: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Server {
    let mut files = BTreeMap::new();
    for name in METADATA {
        let path = format!("/metadata/{name}");
        let body = change(&path, file(&format!("metadata/{name}")));
        files.insert(path, body);
    }
    for name in TARGETS {
        let path = format!("/targets/{name}");
        let body = change(&path, file(&format!("targets/{name}")));
        files.insert(path, body);
    }
    Server::start_with(Arc::new(move |path: &str| match files.get(path) {
        Some(b) => Reply::Body(b.clone()),
        None => Reply::Status(404),
    }))
}

fn updater<'a>(server: &Server, fetcher: &'a HttpFetcher, now: i64) -> Updater<'a> {
    Updater::new(
        &file("metadata/1.root.json"),
        &server.metadata_url(),
        &server.targets_url(),
        fetcher,
        &NoStore,
        now,
    )
}

#[test]
fn python_tuf_reference_repository_end_to_end() {
    let server = serve(|_, b| b);
    let fetcher = HttpFetcher::new();
    let mut u = updater(&server, &fetcher, NOW);
    u.refresh().unwrap();
    let r = u.report().clone();
    assert_eq!(
        (
            r.anchor_version,
            r.root_version,
            r.timestamp_version,
            r.snapshot_version,
            r.targets_version
        ),
        (1, 1, 1, 1, 1)
    );
    assert!(r.roots_fetched.is_empty());
    // Not a consistent snapshot: plain names, and the snapshot's hashes and length come
    // from the timestamp.
    assert_eq!(
        server.requests(),
        vec![
            "/metadata/2.root.json",
            "/metadata/timestamp.json",
            "/metadata/snapshot.json",
            "/metadata/targets.json"
        ]
    );

    for name in TARGETS {
        let (bytes, t) = u.download_target(name).unwrap();
        let want = file(&format!("targets/{name}"));
        assert_eq!(bytes, want, "{name}");
        assert_eq!(t.length, u64::try_from(want.len()).unwrap());
        assert_eq!(t.sha256.as_deref(), Some(sha256_hex(&want).as_str()));
        assert!(!t.from_cache);
    }
    // file3.txt is listed only by role1, which `targets` delegates "file3.txt" to;
    // role1 delegates nothing (`paths: []`) to role2, which is never fetched.
    let asked = server.requests();
    assert_eq!(
        asked[4..],
        [
            "/targets/file1.txt",
            "/targets/file2.txt",
            "/metadata/role1.json",
            "/targets/file3.txt"
        ]
    );
    assert!(matches!(
        u.download_target("file4.txt"),
        Err(TufError::TargetNotFound { .. })
    ));
    assert!(!server
        .requests()
        .iter()
        .any(|p| p == "/metadata/role2.json"));
}

/// How a served file is altered.
type Change = dyn Fn(Vec<u8>) -> Vec<u8>;

/// Each real file altered on the way: the check that guards it fires, at its step.
#[test]
fn python_tuf_reference_repository_tampered() {
    let fetcher = HttpFetcher::new();
    let flip_last_letter = |b: Vec<u8>| {
        let s = String::from_utf8(b).unwrap();
        let i = s.rfind(|c: char| c.is_ascii_lowercase()).unwrap();
        let mut s = s.into_bytes();
        s[i] = if s[i] == b'a' { b'b' } else { b'a' };
        s
    };
    let expired_at = |b: Vec<u8>| {
        String::from_utf8(b)
            .unwrap()
            .replace("2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z")
            .into_bytes()
    };
    let run = |path: &'static str, change: &Change, target: Option<&str>| {
        let server = serve(|p, b| if p == path { change(b) } else { b });
        let mut u = updater(&server, &fetcher, NOW);
        match target {
            None => u.refresh().unwrap_err(),
            Some(t) => {
                u.refresh().unwrap();
                u.download_target(t).unwrap_err()
            }
        }
    };
    let cases: [(&str, &Change, Option<&str>, Step, &str); 5] = [
        // A target's content (same length): its SHA-256/SHA-512 from `targets.json`.
        (
            "/targets/file1.txt",
            &flip_last_letter,
            Some("file1.txt"),
            Step::Target {
                name: "file1.txt".into(),
            },
            "tuf.hash-mismatch",
        ),
        // A delegated target: hashes from role1.
        (
            "/targets/file3.txt",
            &flip_last_letter,
            Some("file3.txt"),
            Step::Target {
                name: "file3.txt".into(),
            },
            "tuf.hash-mismatch",
        ),
        // The snapshot: length and hash listed in the timestamp.
        (
            "/metadata/snapshot.json",
            &expired_at,
            None,
            Step::Snapshot,
            "tuf.hash-mismatch",
        ),
        // targets.json (no hash in the snapshot): its Ed25519 signature.
        (
            "/metadata/targets.json",
            &expired_at,
            None,
            Step::Targets,
            "tuf.threshold-not-met",
        ),
        // role1 (no hash in the snapshot): the key `targets` delegates it to.
        (
            "/metadata/role1.json",
            &expired_at,
            Some("file3.txt"),
            Step::Delegation {
                role: "role1".into(),
            },
            "tuf.threshold-not-met",
        ),
    ];
    for (path, change, target, step, code) in cases {
        let e = run(path, change, target);
        assert_eq!((e.step(), e.code()), (Some(&step), code), "{path}: {e:?}");
    }
    // The timestamp's Ed25519 signature.
    let e = run("/metadata/timestamp.json", &expired_at, None);
    assert_eq!(
        (e.step(), e.code()),
        (Some(&Step::Timestamp), "tuf.threshold-not-met")
    );
}

/// The root's RSA-PSS signature counts; at 2030-01-01T00:00:00Z everything has expired,
/// the root first (TUF §5.3.10).
#[test]
fn python_tuf_reference_root_and_expiry() {
    let server = serve(|_, b| b);
    let fetcher = HttpFetcher::new();
    let end = rulepack_verify::time::parse_rfc3339("2030-01-01T00:00:00Z").unwrap();
    updater(&server, &fetcher, end - 1).refresh().unwrap();
    let e = updater(&server, &fetcher, end).refresh().unwrap_err();
    assert_eq!(e.step(), Some(&Step::Root { version: 1 }));
    assert_eq!(e.code(), "tuf.expired");
    // The root with its RSA signature altered does not verify itself.
    let mut root = file("metadata/1.root.json");
    let at = String::from_utf8(root.clone())
        .unwrap()
        .find("\"sig\": \"")
        .unwrap()
        + 9;
    root[at] = if root[at] == b'0' { b'1' } else { b'0' };
    let mut u = Updater::new(
        &root,
        &server.metadata_url(),
        &server.targets_url(),
        &fetcher,
        &NoStore,
        NOW,
    );
    let e = u.refresh().unwrap_err();
    assert_eq!(e.step(), Some(&Step::TrustAnchor));
    assert_eq!(e.code(), "tuf.threshold-not-met");
}
