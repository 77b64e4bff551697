//! The real Sigstore public-good TUF repository, frozen in the shared corpus
//! (`tuf/sigstore-root-signing`, root-signing@60cf2ce), served on loopback under the
//! CDN's names and walked offline: root v1 → v15, timestamp v762, snapshot v165,
//! targets v14, the `registry.npmjs.org` delegation, and `trusted_root.json`.
//! Skipped with a notice when `RULEPACK_CORPUS` is unset.
#![cfg(feature = "online")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(unreachable_pub)]
#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/tuf_repo.rs"]
mod tuf_repo;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rulepack_verify::tuf::{
    FsStore, HttpFetcher, NoStore, Step, TufError, Updater, EMBEDDED_SIGSTORE_ROOT,
};
use tuf_repo::{sha256_hex, Reply, Server};

/// 2026-08-22T12:00:00Z: inside timestamp v762's validity (expires 2026-08-28T19:25:56Z)
/// and root v15's (2026-11-20).
const NOW: i64 = 1_787_400_000;

fn version_of(path: &Path) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["signed"]["version"].as_u64().unwrap()
}

fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().to_string();
        if e.file_type().unwrap().is_dir() {
            walk(&e.path(), &format!("{rel}{name}/"), out);
        } else {
            let h = sha256_hex(&std::fs::read(e.path()).unwrap());
            out.insert(format!("/targets/{rel}{h}.{name}"), e.path());
        }
    }
}

/// The corpus repository served the way tuf-repo-cdn.sigstore.dev serves it.
fn serve(corpus: &Path) -> (Server, PathBuf) {
    let base = corpus.join("tuf/sigstore-root-signing");
    let md = base.join("metadata");
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    for v in 1..=15 {
        files.insert(
            format!("/metadata/{v}.root.json"),
            md.join(format!("root_history/{v}.root.json")),
        );
    }
    files.insert("/metadata/timestamp.json".into(), md.join("timestamp.json"));
    for role in ["snapshot", "targets", "registry.npmjs.org"] {
        let p = md.join(format!("{role}.json"));
        files.insert(format!("/metadata/{}.{role}.json", version_of(&p)), p);
    }
    walk(&base.join("targets"), "", &mut files);
    let server = Server::start_with(Arc::new(move |path: &str| match files.get(path) {
        Some(p) => Reply::Body(std::fs::read(p).unwrap()),
        None => Reply::Status(404),
    }));
    (server, base)
}

#[test]
fn real_chain_from_root_v1_to_trusted_root() {
    let Some(corpus) = corpus::corpus_dir("real_chain_from_root_v1_to_trusted_root") else {
        return;
    };
    let (server, base) = serve(&corpus);
    let anchor = std::fs::read(base.join("metadata/root_history/1.root.json")).unwrap();
    let fetcher = HttpFetcher::new();
    let cache = std::env::temp_dir().join(format!("rpv-tuf-real-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let store = FsStore::new(&cache);
    let mut u = Updater::new(
        &anchor,
        &server.metadata_url(),
        &server.targets_url(),
        &fetcher,
        &store,
        NOW,
    );
    u.refresh().unwrap();
    let (bytes, target) = u.download_target("trusted_root.json").unwrap();
    assert_eq!(
        bytes,
        std::fs::read(base.join("targets/trusted_root.json")).unwrap()
    );
    assert_eq!(
        target.sha256.as_deref(),
        Some("6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66")
    );
    let r = u.report().clone();
    assert_eq!(r.anchor_version, 1);
    assert_eq!(r.roots_fetched, (2..=15).collect::<Vec<u64>>());
    assert_eq!(
        (
            r.root_version,
            r.timestamp_version,
            r.snapshot_version,
            r.targets_version
        ),
        (15, 762, 165, 14)
    );
    assert!(r.cache_rejected.is_empty(), "{:?}", r.cache_rejected);

    // The npm delegation (terminating, 1-of-1 Azure-KMS ECDSA key).
    let (keys, _) = u.download_target("registry.npmjs.org/keys.json").unwrap();
    assert_eq!(
        keys,
        std::fs::read(base.join("targets/registry.npmjs.org/keys.json")).unwrap()
    );
    // Only listed paths exist.
    assert!(matches!(
        u.download_target("registry.npmjs.org/nope.json"),
        Err(TufError::TargetNotFound { .. })
    ));

    // A second run replays the cached roots (re-verified) and reuses the cache.
    server.clear_log();
    let mut u = Updater::new(
        &anchor,
        &server.metadata_url(),
        &server.targets_url(),
        &fetcher,
        &store,
        NOW,
    );
    u.refresh().unwrap();
    let (again, t) = u.download_target("trusted_root.json").unwrap();
    assert_eq!(again, bytes);
    assert!(t.from_cache);
    assert_eq!(
        server.requests(),
        vec!["/metadata/16.root.json", "/metadata/timestamp.json"]
    );
    std::fs::remove_dir_all(&cache).unwrap();
}

#[test]
fn embedded_root_v16_verifies_itself_and_the_real_top_level_metadata() {
    let Some(corpus) = corpus::corpus_dir("embedded_root_v16_verifies_itself") else {
        return;
    };
    let (server, base) = serve(&corpus);
    let fetcher = HttpFetcher::new();
    let mut u = Updater::new(
        EMBEDDED_SIGSTORE_ROOT,
        &server.metadata_url(),
        &server.targets_url(),
        &fetcher,
        &NoStore,
        NOW,
    );
    u.refresh().unwrap();
    let r = u.report();
    assert_eq!((r.anchor_version, r.root_version), (16, 16));
    assert!(r.roots_fetched.is_empty());
    let (bytes, _) = u.download_target("trusted_root.json").unwrap();
    assert_eq!(
        bytes,
        std::fs::read(base.join("targets/trusted_root.json")).unwrap()
    );
}

#[test]
fn real_timestamp_is_rejected_once_expired() {
    let Some(corpus) = corpus::corpus_dir("real_timestamp_is_rejected_once_expired") else {
        return;
    };
    let (server, base) = serve(&corpus);
    let anchor = std::fs::read(base.join("metadata/root_history/15.root.json")).unwrap();
    let fetcher = HttpFetcher::new();
    // 2026-08-28T19:25:56Z is the timestamp's expiry: one second later it is frozen data.
    let now = rulepack_verify::time::parse_rfc3339("2026-08-28T19:25:57Z").unwrap();
    let mut u = Updater::new(
        &anchor,
        &server.metadata_url(),
        &server.targets_url(),
        &fetcher,
        &NoStore,
        now,
    );
    let e = u.refresh().unwrap_err();
    assert_eq!(e.step(), Some(&Step::Timestamp));
    assert!(matches!(e, TufError::Expired { .. }), "{e:?}");
    assert!(e.to_string().contains("2026-08-28T19:25:56Z"), "{e}");
}
