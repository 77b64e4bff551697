//! The real Sigstore public-good TUF repository, served on loopback under the CDN's
//! names and walked offline.
//!
//! By default on the roots vendored from registry packages (`testdata/tuf/`, provenance in
//! `testdata/README.md`): public-good v5, v7–v10 and v12–v16, staging v14 → v15. No
//! package ships Sigstore's timestamp, snapshot or targets metadata, so these walks end at
//! the timestamp. With `RULEPACK_CORPUS`, the repository frozen in the shared corpus
//! (`tuf/sigstore-root-signing`, root-signing@60cf2ce): root v1 → v15, timestamp v762,
//! snapshot v165, targets v14, the `registry.npmjs.org` delegation, and
//! `trusted_root.json` (the tests that need all of it skip with a notice without it).
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
    FsStore, HttpFetcher, MetadataStore, NoStore, Step, TufError, Updater, EMBEDDED_SIGSTORE_ROOT,
    EMBEDDED_STAGING_ROOT,
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

/// The public-good root versions vendored in `testdata/tuf/` (v6 and v11 are in no
/// registry package).
const VENDORED_ROOTS: [u64; 10] = [5, 7, 8, 9, 10, 12, 13, 14, 15, 16];

fn testdata_tuf(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/tuf")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn vendored_root(v: u64) -> Vec<u8> {
    testdata_tuf(&format!("sigstore-root-v{v}.json"))
}

/// A loopback repository serving `files` (path → bytes); everything else is 404.
fn serve_files(files: BTreeMap<String, Vec<u8>>) -> Server {
    Server::start_with(Arc::new(move |path: &str| match files.get(path) {
        Some(b) => Reply::Body(b.clone()),
        None => Reply::Status(404),
    }))
}

/// The vendored public-good roots at `/metadata/N.root.json`, as the CDN names them.
fn serve_vendored_roots() -> Server {
    serve_files(
        VENDORED_ROOTS
            .iter()
            .map(|&v| (format!("/metadata/{v}.root.json"), vendored_root(v)))
            .collect(),
    )
}

/// The walk ended where the vendored data does: timestamp.json is not there.
/// An updater from `anchor` for the repository `server` serves.
fn updater<'a>(
    anchor: &[u8],
    server: &Server,
    fetcher: &'a HttpFetcher,
    store: &'a dyn MetadataStore,
    now: i64,
) -> Updater<'a> {
    Updater::new(
        anchor,
        &server.metadata_url(),
        &server.targets_url(),
        fetcher,
        store,
        now,
    )
}

/// `e` is a threshold failure with no valid signature of the 3 required.
fn assert_no_valid_signature(e: &TufError) {
    assert!(
        matches!(
            e,
            TufError::ThresholdNotMet {
                valid: 0,
                threshold: 3,
                ..
            }
        ),
        "{e:?}"
    );
}

fn assert_stops_at_timestamp(e: &TufError) {
    assert_eq!(e.step(), Some(&Step::Timestamp), "{e:?}");
    assert_eq!(e.code(), "tuf.not-found", "{e:?}");
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

/// Needs the corpus: no registry package ships Sigstore's timestamp, snapshot or targets
/// metadata. In-repo counterpart: `real_root_chain_v12_to_v16_over_loopback_with_cache`.
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
    let mut u = updater(&anchor, &server, &fetcher, &store, NOW);
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
    let mut u = updater(&anchor, &server, &fetcher, &store, NOW);
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

/// The embedded root v16 verifies itself through the Updater, is the final root, and is
/// exactly the real successor of v15; with the corpus, it also verifies the real
/// timestamp, snapshot and targets down to `trusted_root.json`.
#[test]
fn embedded_root_v16_verifies_itself_and_the_real_top_level_metadata() {
    let server = serve_vendored_roots();
    let fetcher = HttpFetcher::new();
    let mut u = updater(EMBEDDED_SIGSTORE_ROOT, &server, &fetcher, &NoStore, NOW);
    assert_stops_at_timestamp(&u.refresh().unwrap_err());
    let r = u.report();
    assert_eq!((r.anchor_version, r.root_version), (16, 16));
    assert!(r.roots_fetched.is_empty());
    assert_eq!(
        server.requests(),
        vec!["/metadata/17.root.json", "/metadata/timestamp.json"]
    );
    // From v15, the server's 16.root.json (the embedded bytes) is the next root.
    assert_eq!(vendored_root(16), EMBEDDED_SIGSTORE_ROOT);
    let mut u = updater(&vendored_root(15), &server, &fetcher, &NoStore, NOW);
    assert_stops_at_timestamp(&u.refresh().unwrap_err());
    assert_eq!(u.report().roots_fetched, vec![16]);
    // One changed character in its signed part and v15's keys no longer sign it.
    let forged = String::from_utf8(EMBEDDED_SIGSTORE_ROOT.to_vec())
        .unwrap()
        .replacen("2027-04-22T19:27:31Z", "2029-04-22T19:27:31Z", 1)
        .into_bytes();
    assert_ne!(forged, EMBEDDED_SIGSTORE_ROOT);
    let server = serve_files(BTreeMap::from([("/metadata/16.root.json".into(), forged)]));
    let mut u = updater(&vendored_root(15), &server, &fetcher, &NoStore, NOW);
    let e = u.refresh().unwrap_err();
    assert_eq!(e.step(), Some(&Step::Root { version: 16 }));
    assert_no_valid_signature(&e);

    let Some(corpus) = corpus::corpus_extra("embedded_root_v16_verifies_itself") else {
        return;
    };
    let (server, base) = serve(&corpus);
    let mut u = updater(EMBEDDED_SIGSTORE_ROOT, &server, &fetcher, &NoStore, NOW);
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

/// In-repo counterpart of `real_chain_from_root_v1_to_trusted_root`: the real rotations
/// v12 → v16 over loopback HTTP into a file cache, then a second run that replays the
/// cache (verifying each root again), and a third with a tampered cache entry.
#[test]
fn real_root_chain_v12_to_v16_over_loopback_with_cache() {
    let server = serve_vendored_roots();
    let anchor = vendored_root(12);
    let fetcher = HttpFetcher::new();
    let cache = std::env::temp_dir().join(format!("rpv-tuf-vendored-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let store = FsStore::new(&cache);
    let run = || {
        let mut u = updater(&anchor, &server, &fetcher, &store, NOW);
        assert_stops_at_timestamp(&u.refresh().unwrap_err());
        u.report().clone()
    };
    let r = run();
    assert_eq!((r.anchor_version, r.root_version), (12, 16));
    assert_eq!(r.roots_fetched, vec![13, 14, 15, 16]);
    assert_eq!(
        server.requests(),
        [13, 14, 15, 16, 17]
            .iter()
            .map(|v| format!("/metadata/{v}.root.json"))
            .chain(["/metadata/timestamp.json".to_string()])
            .collect::<Vec<_>>()
    );
    for v in 13..=16 {
        let cached = std::fs::read(cache.join(format!("{v}.root.json"))).unwrap();
        assert_eq!(cached, vendored_root(v), "v{v}");
    }
    assert_eq!(
        std::fs::read(cache.join("root.json")).unwrap(),
        EMBEDDED_SIGSTORE_ROOT
    );

    // Second run: the cached v13–v16 are verified again, only v17 is asked for.
    server.clear_log();
    let r = run();
    assert_eq!(r.root_version, 16);
    assert!(r.roots_fetched.is_empty());
    assert!(r.cache_rejected.is_empty(), "{:?}", r.cache_rejected);
    assert_eq!(
        server.requests(),
        vec!["/metadata/17.root.json", "/metadata/timestamp.json"]
    );

    // A cached v15 with another expiry: rejected, removed, and v15 and v16 downloaded again.
    let p = cache.join("15.root.json");
    let tampered = String::from_utf8(std::fs::read(&p).unwrap())
        .unwrap()
        .replacen("2026-11-20T13:58:18Z", "2036-11-20T13:58:18Z", 1);
    std::fs::write(&p, tampered).unwrap();
    server.clear_log();
    let r = run();
    assert_eq!(
        r.cache_rejected,
        vec!["15.root.json: tuf.threshold-not-met"]
    );
    assert_eq!(r.roots_fetched, vec![15, 16]);
    assert_eq!(r.root_version, 16);
    assert_eq!(std::fs::read(&p).unwrap(), vendored_root(15));
    std::fs::remove_dir_all(&cache).unwrap();
}

/// The embedded staging root v14 (expired 2026-10-16) rotates to the real staging v15
/// (crates.io `sigstore-trust-root` 0.15.1), which is valid until 2027-03-13.
#[test]
fn embedded_staging_root_v14_rotates_to_the_real_v15() {
    let server = serve_files(BTreeMap::from([(
        "/metadata/15.root.json".into(),
        testdata_tuf("sigstage-root-v15.json"),
    )]));
    let fetcher = HttpFetcher::new();
    // 2026-12-01T00:00:00Z: v14 has expired, v15 has not.
    let now = rulepack_verify::time::parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
    let mut u = updater(EMBEDDED_STAGING_ROOT, &server, &fetcher, &NoStore, now);
    assert_stops_at_timestamp(&u.refresh().unwrap_err());
    let r = u.report();
    assert_eq!((r.anchor_version, r.root_version), (14, 15));
    assert_eq!(r.roots_fetched, vec![15]);
    // Without v15 the expired v14 is the final root: refused.
    let empty = serve_files(BTreeMap::new());
    let mut u = updater(EMBEDDED_STAGING_ROOT, &empty, &fetcher, &NoStore, now);
    let e = u.refresh().unwrap_err();
    assert_eq!(e.step(), Some(&Step::Root { version: 14 }));
    assert_eq!(e.code(), "tuf.expired");
}

/// In-repo counterpart of `real_timestamp_is_rejected_once_expired`: a real final root is
/// refused from its `expires` on (TUF §5.3.10), and a newer root rescues the walk.
#[test]
fn real_final_root_is_rejected_once_expired() {
    let server = serve_vendored_roots();
    let fetcher = HttpFetcher::new();
    let refresh = |anchor: &[u8], now: i64| {
        let mut u = updater(anchor, &server, &fetcher, &NoStore, now);
        u.refresh().unwrap_err()
    };
    // v16 expires 2027-04-22T19:27:31Z: valid one second before, expired from then on.
    let v16_expires = rulepack_verify::time::parse_rfc3339("2027-04-22T19:27:31Z").unwrap();
    assert_stops_at_timestamp(&refresh(EMBEDDED_SIGSTORE_ROOT, v16_expires - 1));
    let e = refresh(EMBEDDED_SIGSTORE_ROOT, v16_expires);
    assert_eq!(e.step(), Some(&Step::Root { version: 16 }));
    assert!(matches!(e, TufError::Expired { .. }), "{e:?}");
    assert!(e.to_string().contains("2027-04-22T19:27:31Z"), "{e}");
    // After v15 expired (2026-11-20T13:58:18Z), starting from v12: the walk reaches v16
    // and goes on. Without v16 on the server the same start ends at an expired v15.
    let after_v15 = rulepack_verify::time::parse_rfc3339("2026-11-20T13:58:18Z").unwrap();
    assert_stops_at_timestamp(&refresh(&vendored_root(12), after_v15));
    let up_to_15 = serve_files(
        (13..=15)
            .map(|v| (format!("/metadata/{v}.root.json"), vendored_root(v)))
            .collect(),
    );
    let mut u = updater(&vendored_root(12), &up_to_15, &fetcher, &NoStore, after_v15);
    let e = u.refresh().unwrap_err();
    assert_eq!(e.step(), Some(&Step::Root { version: 15 }));
    assert!(e.to_string().contains("2026-11-20T13:58:18Z"), "{e}");
}

/// Needs the corpus (Sigstore's real timestamp). In-repo counterpart:
/// `real_final_root_is_rejected_once_expired`.
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
    let mut u = updater(&anchor, &server, &fetcher, &NoStore, now);
    let e = u.refresh().unwrap_err();
    assert_eq!(e.step(), Some(&Step::Timestamp));
    assert!(matches!(e, TufError::Expired { .. }), "{e:?}");
    assert!(e.to_string().contains("2026-08-28T19:25:56Z"), "{e}");
}
