//! The TUF client against a local repository on loopback, one test per attack of
//! TUF.md §4 (python-tuf `test_updater_top_level_update.py`, tuf-conformance), each
//! rejected with its specific error.
#![cfg(feature = "online")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/tuf_repo.rs"]
mod tuf_repo;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rulepack_verify::tuf::{
    FsStore, HttpFetcher, Step, TargetReport, TufError, TufOptions, UpdateReport, Updater,
};
use serde_json::json;
use tuf_repo::{rfc3339, Key, Reply, Repo, Server, DAY, NOW};

const TRUSTED_ROOT: &[u8] =
    b"{\"mediaType\": \"application/vnd.dev.sigstore.trustedroot+json;version=0.1\"}";

struct T {
    repo: Arc<Mutex<Repo>>,
    server: Server,
    cache: PathBuf,
    anchor: Vec<u8>,
    fetcher: HttpFetcher,
}

impl T {
    fn new(name: &str) -> Self {
        let mut repo = Repo::new();
        repo.add_target("targets", "trusted_root.json", TRUSTED_ROOT);
        let anchor = repo.published_roots[0].clone();
        let repo = Arc::new(Mutex::new(repo));
        let server = Server::start(repo.clone());
        let cache = std::env::temp_dir().join(format!("rpv-tuf-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&cache);
        Self {
            repo,
            server,
            cache,
            anchor,
            fetcher: HttpFetcher::with_timeouts(Duration::from_secs(2), Duration::from_secs(3)),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Repo) -> R) -> R {
        f(&mut self.repo.lock().unwrap())
    }

    fn run<R>(
        &self,
        now: i64,
        f: impl FnOnce(&mut Updater<'_>) -> Result<R, TufError>,
    ) -> Result<R, TufError> {
        let store = FsStore::new(&self.cache);
        let mut u = Updater::new(
            &self.anchor,
            &self.server.metadata_url(),
            &self.server.targets_url(),
            &self.fetcher,
            &store,
            now,
        );
        f(&mut u)
    }

    fn refresh_at(&self, now: i64) -> Result<UpdateReport, TufError> {
        self.run(now, |u| {
            u.refresh()?;
            Ok(u.report().clone())
        })
    }

    fn refresh(&self) -> Result<UpdateReport, TufError> {
        self.refresh_at(NOW)
    }

    fn download(&self, name: &str) -> Result<(Vec<u8>, TargetReport), TufError> {
        self.run(NOW, |u| {
            u.refresh()?;
            u.download_target(name)
        })
    }

    fn cache_file(&self, name: &str) -> PathBuf {
        self.cache.join(name)
    }
}

impl Drop for T {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.cache);
    }
}

fn code(r: Result<impl std::fmt::Debug, TufError>) -> TufError {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => {
            // Every failure names the remedy (docs/verification.md, "Trust policy").
            let text = e.to_string();
            assert!(text.contains("--trusted-root FILE"), "{text}");
            e
        }
    }
}

/// `e` is `tuf.threshold-not-met` with `valid` of `threshold` signatures.
fn assert_threshold_not_met(e: &TufError, valid: u64, threshold: u64) {
    assert!(
        matches!(e, TufError::ThresholdNotMet { valid: v, threshold: t, .. } if *v == valid && *t == threshold),
        "{e:?}"
    );
}

#[test]
fn happy_path_then_cache_saves_downloads() {
    let t = T::new("happy");
    let (bytes, rep) = t.download("trusted_root.json").unwrap();
    assert_eq!(bytes, TRUSTED_ROOT);
    assert!(!rep.from_cache);
    assert_eq!(rep.length, TRUSTED_ROOT.len() as u64);
    let reqs = t.server.requests();
    assert_eq!(
        reqs,
        vec![
            "/metadata/2.root.json".to_string(),
            "/metadata/timestamp.json".into(),
            "/metadata/1.snapshot.json".into(),
            "/metadata/1.targets.json".into(),
            format!(
                "/targets/{}.trusted_root.json",
                tuf_repo::sha256_hex(TRUSTED_ROOT)
            ),
        ]
    );
    // Second run: root and timestamp are always fetched; snapshot, targets and the
    // target come from the re-verified cache.
    t.server.clear_log();
    let (bytes, rep) = t.download("trusted_root.json").unwrap();
    assert_eq!(bytes, TRUSTED_ROOT);
    assert!(rep.from_cache);
    assert_eq!(
        t.server.requests(),
        vec!["/metadata/2.root.json", "/metadata/timestamp.json"]
    );
}

#[test]
fn high_level_api_uses_embedded_defaults_and_reports() {
    let t = T::new("api");
    let opts = TufOptions {
        repository_url: t.server.metadata_url(),
        targets_url: Some(t.server.targets_url()),
        root: Some(t.anchor.clone()),
        cache: rulepack_verify::tuf::CacheLocation::Dir(t.cache.clone()),
    };
    let up = rulepack_verify::tuf::update_trusted_root(&opts, &t.fetcher, NOW).unwrap();
    assert_eq!(up.trusted_root_json, TRUSTED_ROOT);
    assert_eq!(up.report.root_version, 1);
    assert_eq!(up.report.timestamp_version, 1);
    let text = up.describe();
    assert!(text.contains("timestamp  v1 expires"), "{text}");
    assert!(text.contains(&tuf_repo::sha256_hex(TRUSTED_ROOT)), "{text}");
}

// ---- arbitrary software / threshold not met ----

#[test]
fn timestamp_signed_by_wrong_key_is_rejected() {
    let t = T::new("ts-unsigned");
    t.with(|r| {
        r.signers.insert("timestamp".into(), vec![Key::ed25519(99)]);
    });
    let e = code(t.refresh());
    assert_eq!(e.code(), "tuf.threshold-not-met");
    assert_eq!(e.step(), Some(&Step::Timestamp));
    assert_threshold_not_met(&e, 0, 1);
}

#[test]
fn snapshot_does_not_meet_threshold() {
    let t = T::new("sn-threshold");
    t.with(|r| {
        let k2 = r.new_key("snapshot");
        r.root["keys"][k2.id.as_str()] = k2.public.clone();
        let mut ids = r.root["roles"]["snapshot"]["keyids"]
            .as_array()
            .unwrap()
            .clone();
        ids.push(json!(k2.id));
        r.root["roles"]["snapshot"] = json!({"keyids": ids, "threshold": 2});
        r.bump_root(&[]);
    });
    let e = code(t.refresh());
    assert_eq!(e.step(), Some(&Step::Snapshot));
    assert_threshold_not_met(&e, 1, 2);
}

#[test]
fn intermediate_root_not_signed_by_trusted_root_is_rejected() {
    let t = T::new("root-unsigned-old");
    t.with(|r| {
        r.rotate_keys("root");
        r.bump_root(&[]); // signed only by the new key
    });
    let e = code(t.refresh());
    assert_eq!(e.step(), Some(&Step::Root { version: 2 }));
    match e {
        TufError::ThresholdNotMet {
            signed_by,
            valid: 0,
            ..
        } => {
            assert!(signed_by.contains("trusted root version 1"), "{signed_by}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn new_root_not_signed_by_its_own_keys_is_rejected() {
    let t = T::new("root-unsigned-new");
    t.with(|r| {
        let old = r.signers["root"].clone();
        r.rotate_keys("root");
        r.root["version"] = json!(2);
        r.publish_root_signed_by(&old); // old keys only
    });
    match code(t.refresh()) {
        TufError::ThresholdNotMet { signed_by, .. } => {
            assert!(
                signed_by.contains("new root version 2 itself"),
                "{signed_by}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_and_empty_signatures_in_valid_metadata_are_ignored() {
    let t = T::new("invalid-sig");
    t.with(|r| {
        let id = r.signers["timestamp"][0].id.clone();
        r.extra_signatures.insert(
            "timestamp".into(),
            vec![
                json!({"keyid": "ab".repeat(32), "sig": "00"}),
                json!({"keyid": "cd".repeat(32), "sig": ""}),
            ],
        );
        assert!(!id.is_empty());
    });
    t.refresh().unwrap();
}

// ---- duplicate keys and signatures ----

#[test]
fn one_key_under_many_keyids_counts_once() {
    // tuf-conformance test_keys.py test_duplicate_keys: one key 9×, threshold 6.
    let t = T::new("dup-keys");
    t.with(|r| {
        let k = r.signers["snapshot"][0].clone();
        let aliases: Vec<Key> = (0..9).map(|i| k.alias(&format!("{i:064x}"))).collect();
        for a in &aliases {
            r.root["keys"][a.id.as_str()] = a.public.clone();
        }
        r.root["roles"]["snapshot"] =
            json!({"keyids": aliases.iter().map(|a| a.id.clone()).collect::<Vec<_>>(), "threshold": 6});
        r.bump_root(&[]);
        r.signers.insert("snapshot".into(), aliases);
    });
    let e = code(t.refresh());
    assert_threshold_not_met(&e, 1, 6);
}

/// One P-256 key listed twice, its point once uncompressed and once compressed (two
/// keyids, two SPKIs): it is still one key, and one signature toward the threshold.
#[test]
fn one_key_in_two_point_encodings_counts_once() {
    let t = T::new("dup-key-encodings");
    t.with(|r| {
        let keys = [Key::p256_hex(91), Key::p256_hex_compressed(91)];
        assert_ne!(keys[0].id, keys[1].id);
        for k in &keys {
            r.root["keys"][k.id.as_str()] = k.public.clone();
        }
        r.root["roles"]["snapshot"] =
            json!({"keyids": keys.iter().map(|k| k.id.clone()).collect::<Vec<_>>(), "threshold": 2});
        r.bump_root(&[]);
        r.signers.insert("snapshot".into(), keys.to_vec());
    });
    let e = code(t.refresh());
    assert_threshold_not_met(&e, 1, 2);
}

#[test]
fn repeated_signature_keyid_is_rejected() {
    let t = T::new("dup-sig");
    t.with(|r| {
        let k = r.signers["timestamp"][0].clone();
        r.signers.insert("timestamp".into(), vec![k.clone(), k]);
    });
    let e = code(t.refresh());
    assert_eq!(e.code(), "tuf.duplicate-signature");
    assert_eq!(e.step(), Some(&Step::Timestamp));
}

#[test]
fn repeated_keyid_in_a_role_is_rejected() {
    let t = T::new("dup-keyid");
    t.with(|r| {
        let id = r.signers["targets"][0].id.clone();
        r.root["roles"]["targets"] = json!({"keyids": [id.clone(), id], "threshold": 1});
        r.bump_root(&[]);
    });
    let e = code(t.refresh());
    assert_eq!(e.code(), "tuf.duplicate-key");
    assert_eq!(e.step(), Some(&Step::Root { version: 2 }));
}

// ---- rollback ----

#[test]
fn root_must_be_exactly_n_plus_one() {
    let t = T::new("root-same-version");
    t.with(|r| {
        // 2.root.json that says version 1 (test_new_root_same_version).
        let b = r.signed_bytes("root");
        r.overrides
            .insert("/metadata/2.root.json".into(), Reply::Body(b));
    });
    let e = code(t.refresh());
    assert!(
        matches!(
            e,
            TufError::Rollback {
                trusted: 1,
                found: 1,
                ..
            }
        ),
        "{e:?}"
    );

    let t = T::new("root-nonconsecutive");
    t.with(|r| {
        r.root["version"] = json!(3);
        let b = r.signed_bytes("root");
        r.overrides
            .insert("/metadata/2.root.json".into(), Reply::Body(b));
    });
    let e = code(t.refresh());
    assert!(
        matches!(
            e,
            TufError::VersionMismatch {
                expected: 2,
                found: 3,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn timestamp_rollback_is_rejected() {
    let t = T::new("ts-rollback");
    t.with(|r| r.update_timestamp()); // v2
    t.refresh().unwrap();
    t.with(|r| r.timestamp["version"] = json!(1));
    let e = code(t.refresh());
    assert_eq!(e.step(), Some(&Step::Timestamp));
    assert!(
        matches!(
            e,
            TufError::Rollback {
                trusted: 2,
                found: 1,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn snapshot_version_in_timestamp_rollback_is_rejected() {
    let t = T::new("ts-snapshot-rollback");
    t.with(|r| r.update_snapshot()); // snapshot v2, timestamp v2
    t.refresh().unwrap();
    t.with(|r| {
        r.snapshot["version"] = json!(1);
        r.update_timestamp(); // timestamp v3 listing snapshot v1
    });
    match code(t.refresh()) {
        TufError::Rollback {
            what,
            trusted: 2,
            found: 1,
            ..
        } => assert!(what.contains("snapshot"), "{what}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn targets_version_in_snapshot_rollback_is_rejected() {
    let t = T::new("sn-targets-rollback");
    t.with(|r| {
        r.targets["version"] = json!(2);
        r.update_snapshot(); // snapshot v2 lists targets v2
    });
    t.refresh().unwrap();
    t.with(|r| {
        r.targets["version"] = json!(1);
        r.update_snapshot(); // snapshot v3 lists targets v1
    });
    let e = code(t.refresh());
    assert_eq!(e.step(), Some(&Step::Snapshot));
    match e {
        TufError::Rollback {
            what,
            trusted: 2,
            found: 1,
            ..
        } => assert!(what.contains("targets.json"), "{what}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn snapshot_dropping_a_listed_file_is_rejected() {
    let t = T::new("sn-removed");
    t.with(|r| {
        r.snapshot["meta"]["extra.json"] = json!({"version": 1});
        r.update_snapshot();
    });
    t.refresh().unwrap();
    t.with(|r| {
        r.snapshot["meta"]
            .as_object_mut()
            .unwrap()
            .remove("extra.json");
        r.update_snapshot();
    });
    let e = code(t.refresh());
    assert!(
        matches!(&e, TufError::MetaEntryRemoved { name, .. } if name == "extra.json"),
        "{e:?}"
    );
}

// ---- freeze / expiry ----

#[test]
fn expired_timestamp_snapshot_targets_are_rejected() {
    for role in ["timestamp", "snapshot", "targets"] {
        let t = T::new(&format!("expired-{role}"));
        t.with(|r| {
            let past = json!(rfc3339(NOW - DAY));
            match role {
                "timestamp" => r.timestamp["expires"] = past,
                "snapshot" => {
                    r.snapshot["expires"] = past;
                    r.update_timestamp();
                }
                _ => {
                    r.targets["expires"] = past;
                    r.update_snapshot();
                }
            }
        });
        let e = code(t.refresh());
        assert_eq!(e.code(), "tuf.expired", "{role}");
        let want = match role {
            "timestamp" => Step::Timestamp,
            "snapshot" => Step::Snapshot,
            _ => Step::Targets,
        };
        assert_eq!(e.step(), Some(&want));
        assert!(e.to_string().contains(&rfc3339(NOW - DAY)), "{e}");
    }
}

#[test]
fn expired_intermediate_root_is_fine_but_expired_final_root_is_not() {
    let t = T::new("root-expiry");
    t.with(|r| {
        r.root["expires"] = json!(rfc3339(NOW - DAY));
        r.bump_root(&[]); // v2 expired
        r.root["expires"] = json!(rfc3339(NOW + DAY));
        r.bump_root(&[]); // v3 fine
    });
    assert_eq!(t.refresh().unwrap().root_version, 3);

    let t = T::new("final-root-expired");
    t.with(|r| {
        r.root["expires"] = json!(rfc3339(NOW - DAY));
        r.bump_root(&[]);
    });
    let e = code(t.refresh());
    assert_eq!(e.step(), Some(&Step::Root { version: 2 }));
    assert_eq!(e.code(), "tuf.expired");
}

#[test]
fn expired_local_timestamp_does_not_block_an_update() {
    let t = T::new("expired-local");
    t.with(|r| r.timestamp["expires"] = json!(rfc3339(NOW + DAY)));
    t.refresh().unwrap();
    // Two days later the cached timestamp is expired; the repository has a new one.
    t.with(|r| {
        r.timestamp["expires"] = json!(rfc3339(NOW + 10 * DAY));
        r.update_timestamp();
    });
    let rep = t.refresh_at(NOW + 2 * DAY).unwrap();
    assert_eq!(rep.timestamp_version, 2);
    assert!(rep.cache_rejected.is_empty(), "{:?}", rep.cache_rejected);
}

// ---- mix-and-match ----

#[test]
fn snapshot_hash_mismatch_is_rejected() {
    let t = T::new("sn-hash");
    t.with(|r| {
        r.hashes_in_meta = true;
        r.update_snapshot();
        // Re-sign the snapshot with different content but the same version.
        r.snapshot["expires"] = json!(rfc3339(NOW + 300 * DAY));
    });
    let e = code(t.refresh());
    assert_eq!(e.step(), Some(&Step::Snapshot));
    assert!(
        matches!(
            e,
            TufError::LengthMismatch { .. } | TufError::HashMismatch { .. }
        ),
        "{e:?}"
    );
    // Same length, different bytes: the hash must catch it.
    t.with(|r| {
        r.snapshot["expires"] = json!(rfc3339(NOW + 301 * DAY));
        let good = r.signed_bytes("snapshot");
        r.update_timestamp();
        r.snapshot["expires"] = json!(rfc3339(NOW + 302 * DAY));
        assert_eq!(good.len(), r.signed_bytes("snapshot").len());
    });
    let e = code(t.refresh());
    assert!(
        matches!(
            e,
            TufError::HashMismatch {
                algorithm: "sha256",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn snapshot_and_targets_version_mismatch_is_rejected() {
    let t = T::new("sn-version");
    t.with(|r| {
        // The timestamp names snapshot v2, the file served as 2.snapshot.json says v1.
        let old = r.signed_bytes("snapshot");
        r.update_snapshot();
        r.overrides
            .insert("/metadata/2.snapshot.json".into(), Reply::Body(old));
    });
    let e = code(t.refresh());
    assert!(
        matches!(
            e,
            TufError::VersionMismatch {
                expected: 2,
                found: 1,
                ..
            }
        ),
        "{e:?}"
    );

    let t = T::new("tg-version");
    t.with(|r| {
        let old = r.signed_bytes("targets");
        r.targets["version"] = json!(2);
        r.update_snapshot();
        r.overrides
            .insert("/metadata/2.targets.json".into(), Reply::Body(old));
    });
    let e = code(t.refresh());
    assert_eq!(e.step(), Some(&Step::Targets));
    assert!(
        matches!(
            e,
            TufError::VersionMismatch {
                expected: 2,
                found: 1,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn targets_hash_mismatch_is_rejected() {
    let t = T::new("tg-hash");
    t.with(|r| {
        r.hashes_in_meta = true;
        r.update_snapshot();
        r.targets["expires"] = json!(rfc3339(NOW + 200 * DAY));
    });
    let e = code(t.refresh());
    assert_eq!(e.step(), Some(&Step::Targets));
    assert!(
        matches!(
            e,
            TufError::LengthMismatch { .. } | TufError::HashMismatch { .. }
        ),
        "{e:?}"
    );
}

/// A cached targets file is held to the snapshot's length and hashes like a fetched one
/// (TUF §5.6.2; python-tuf checks local files too): a validly signed targets of the
/// listed version but other bytes in the cache is not used, the listed one is fetched.
#[test]
fn cached_targets_must_match_the_snapshot_hashes() {
    let t = T::new("tg-cache-hash");
    t.with(|r| {
        r.hashes_in_meta = true;
        r.update_snapshot();
    });
    t.refresh().unwrap();
    let listed = std::fs::read(t.cache_file("targets.json")).unwrap();
    // The same version, signed by the targets key, with other content.
    let other = t.with(|r| {
        let keep = r.targets["expires"].clone();
        r.targets["expires"] = json!(rfc3339(NOW + 250 * DAY));
        let b = r.signed_bytes("targets");
        r.targets["expires"] = keep;
        b
    });
    assert_ne!(other, listed);
    std::fs::write(t.cache_file("targets.json"), &other).unwrap();
    t.server.clear_log();
    t.refresh().unwrap();
    assert!(
        t.server
            .requests()
            .contains(&"/metadata/1.targets.json".to_string()),
        "{:?}",
        t.server.requests()
    );
    assert_eq!(std::fs::read(t.cache_file("targets.json")).unwrap(), listed);
}

#[test]
fn wrong_role_type_is_rejected() {
    let t = T::new("wrong-type");
    t.with(|r| {
        let b = r.signed_bytes("snapshot");
        r.overrides
            .insert("/metadata/timestamp.json".into(), Reply::Body(b));
    });
    let e = code(t.refresh());
    assert!(
        matches!(
            e,
            TufError::WrongType {
                expected: "timestamp",
                ..
            }
        ),
        "{e:?}"
    );
}

// ---- endless data, network failures ----

#[test]
fn endless_metadata_and_targets_are_cut_off() {
    for path in [
        "/metadata/2.root.json",
        "/metadata/timestamp.json",
        "/metadata/1.snapshot.json",
    ] {
        let t = T::new("endless");
        t.with(|r| r.overrides.insert(path.to_string(), Reply::Endless));
        let e = code(t.refresh());
        assert_eq!(e.code(), "tuf.too-large", "{path}");
    }
    let t = T::new("endless-target");
    let target_path = format!(
        "/targets/{}.trusted_root.json",
        tuf_repo::sha256_hex(TRUSTED_ROOT)
    );
    t.with(|r| r.overrides.insert(target_path, Reply::Endless));
    let e = code(t.download("trusted_root.json"));
    assert!(
        matches!(e, TufError::TooLarge { limit, .. } if limit == TRUSTED_ROOT.len() as u64),
        "{e:?}"
    );
}

#[test]
fn too_many_root_rotations_fail_closed() {
    let t = T::new("max-rotations");
    t.with(|r| {
        for _ in 0..=rulepack_verify::limits::MAX_TUF_ROOT_ROTATIONS {
            r.bump_root(&[]);
        }
    });
    let e = code(t.refresh());
    assert_eq!(e.code(), "tuf.too-many-root-rotations");
}

#[test]
fn server_error_on_root_is_fatal_but_403_means_no_newer_root() {
    let t = T::new("root-500");
    t.with(|r| {
        r.overrides
            .insert("/metadata/2.root.json".into(), Reply::Status(500))
    });
    let e = code(t.refresh());
    assert!(
        matches!(e, TufError::HttpStatus { status: 500, .. }),
        "{e:?}"
    );

    let t = T::new("root-403");
    t.with(|r| {
        r.overrides
            .insert("/metadata/2.root.json".into(), Reply::Status(403))
    });
    assert_eq!(t.refresh().unwrap().root_version, 1);

    let t = T::new("ts-404");
    t.with(|r| {
        r.overrides
            .insert("/metadata/timestamp.json".into(), Reply::Status(404))
    });
    let e = code(t.refresh());
    assert!(matches!(e, TufError::NotFound { status: 404, .. }), "{e:?}");
}

#[test]
fn slow_server_times_out() {
    let t = T::new("slow");
    t.with(|r| {
        let b = r.signed_bytes("timestamp");
        r.overrides.insert(
            "/metadata/timestamp.json".into(),
            Reply::Slow(Duration::from_secs(6), b),
        );
    });
    let e = code(t.refresh());
    assert_eq!(e.code(), "tuf.unreachable");
}

#[test]
fn offline_is_a_clear_trust_root_unreachable_error() {
    // Nothing listens on this port once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opts = TufOptions {
        repository_url: format!("http://127.0.0.1:{port}"),
        cache: rulepack_verify::tuf::CacheLocation::Disabled,
        ..TufOptions::default()
    };
    let f = HttpFetcher::with_timeouts(Duration::from_secs(2), Duration::from_secs(3));
    let e = rulepack_verify::tuf::update_trusted_root(&opts, &f, NOW).unwrap_err();
    assert_eq!(e.code(), "tuf.unreachable");
    assert_eq!(e.step(), Some(&Step::Root { version: 17 }));
    let text = rulepack_verify::Error::from(e).to_string();
    assert!(text.contains("trust root unreachable"), "{text}");
    assert!(text.contains("17.root.json"), "{text}");
    assert!(text.contains("--trusted-root FILE"), "{text}");
    // A remedy never suggests turning verification off.
    assert!(!text.contains("verifySignature"), "{text}");
}

// ---- fast-forward recovery and key rotation ----

#[test]
fn timestamp_fast_forward_recovery() {
    let t = T::new("ff-timestamp");
    t.with(|r| {
        r.timestamp["version"] = json!(99_998);
        r.update_timestamp();
    });
    assert_eq!(t.refresh().unwrap().timestamp_version, 99_999);
    t.with(|r| {
        r.rotate_keys("timestamp");
        r.bump_root(&[]);
        r.timestamp["version"] = json!(0);
        r.update_timestamp();
    });
    let rep = t.refresh().unwrap();
    assert_eq!((rep.root_version, rep.timestamp_version), (2, 1));
}

#[test]
fn snapshot_fast_forward_recovery() {
    let t = T::new("ff-snapshot");
    t.with(|r| {
        r.snapshot["version"] = json!(99_998);
        r.update_snapshot();
    });
    assert_eq!(t.refresh().unwrap().snapshot_version, 99_999);
    t.with(|r| {
        r.rotate_keys("snapshot");
        r.bump_root(&[]);
        r.snapshot["version"] = json!(0);
        r.update_snapshot();
    });
    let rep = t.refresh().unwrap();
    assert_eq!((rep.root_version, rep.snapshot_version), (2, 1));
}

#[test]
fn root_key_rotation_chain_is_followed() {
    // test_updater_key_rotations.py: each new root signed by old and new keys, with
    // a threshold change and a key in hex SEC1 form along the way.
    let t = T::new("key-rotation");
    t.with(|r| {
        let old = r.signers["root"].clone();
        r.rotate_keys("root");
        r.bump_root(&old); // v2: old (v1 threshold) + new (v2 threshold)
        let k_a = Key::p256_hex(50);
        let k_b = Key::ed25519(51);
        let old = r.signers["root"].clone();
        r.root["keys"][k_a.id.as_str()] = k_a.public.clone();
        r.root["keys"][k_b.id.as_str()] = k_b.public.clone();
        r.root["roles"]["root"] =
            json!({"keyids": [k_a.id.clone(), k_b.id.clone()], "threshold": 2});
        r.signers.insert("root".into(), vec![k_a, k_b]);
        r.bump_root(&old); // v3: 2-of-2 new keys + old
        r.rotate_keys("targets");
        r.bump_root(&[]); // v4: targets key rotated
        r.targets["version"] = json!(2);
        r.update_snapshot();
    });
    let rep = t.refresh().unwrap();
    assert_eq!(rep.root_version, 4);
    assert_eq!(rep.roots_fetched, vec![2, 3, 4]);
    assert_eq!(rep.targets_version, 2);
    // Cached roots are replayed (and re-verified) on the next run.
    t.server.clear_log();
    assert_eq!(t.refresh().unwrap().root_version, 4);
    assert_eq!(t.server.requests()[0], "/metadata/5.root.json");
}

// ---- cache tampering ----

#[test]
fn tampered_cache_is_reverified_and_ignored() {
    let t = T::new("tampered-cache");
    t.with(|r| r.bump_root(&[]));
    t.download("trusted_root.json").unwrap();
    // An attacker with write access to the cache: a root signed by their key, a
    // timestamp with a huge version and a broken signature, and a modified target.
    let mut evil = Repo::new();
    evil.signers.insert("root".into(), vec![Key::p256(77)]);
    evil.root["version"] = json!(3);
    let evil_root = evil.signed_bytes("root");
    std::fs::write(t.cache_file("3.root.json"), evil_root).unwrap();
    let ts = std::fs::read_to_string(t.cache_file("timestamp.json")).unwrap();
    std::fs::write(
        t.cache_file("timestamp.json"),
        ts.replace("\"version\": 1", "\"version\": 99999"),
    )
    .unwrap();
    std::fs::write(t.cache_file("targets/trusted_root.json"), b"{\"evil\": 1}").unwrap();

    let (bytes, rep) = t.download("trusted_root.json").unwrap();
    assert_eq!(bytes, TRUSTED_ROOT);
    assert!(!rep.from_cache);
    let report = t.refresh().unwrap();
    assert_eq!(report.root_version, 2);
    // And the evidence of what was ignored, from the first run after tampering.
    let t2 = t.run(NOW, |u| {
        std::fs::write(t.cache_file("3.root.json"), b"not json").unwrap();
        u.refresh()?;
        Ok(u.report().clone())
    });
    let rejected = t2.unwrap().cache_rejected;
    assert!(
        rejected.iter().any(|r| r == "3.root.json: tuf.malformed"),
        "{rejected:?}"
    );
}

#[test]
fn tampered_cache_reports_each_rejection() {
    let t = T::new("tampered-report");
    t.download("trusted_root.json").unwrap();
    let ts = std::fs::read_to_string(t.cache_file("timestamp.json")).unwrap();
    std::fs::write(
        t.cache_file("timestamp.json"),
        ts.replace("\"version\": 1", "\"version\": 99999"),
    )
    .unwrap();
    std::fs::write(
        t.cache_file("targets/trusted_root.json"),
        vec![b'x'; TRUSTED_ROOT.len()],
    )
    .unwrap();
    let (bytes, rep) = t
        .run(NOW, |u| {
            u.refresh()?;
            let r = u.download_target("trusted_root.json")?;
            let rejected = u.report().cache_rejected.clone();
            assert!(
                rejected.contains(&"timestamp.json: tuf.threshold-not-met".to_string()),
                "{rejected:?}"
            );
            assert!(
                rejected.contains(&"targets/trusted_root.json: tuf.hash-mismatch".to_string()),
                "{rejected:?}"
            );
            Ok(r)
        })
        .unwrap();
    assert_eq!(bytes, TRUSTED_ROOT);
    assert!(!rep.from_cache);
}

// ---- target checks ----

#[test]
fn unknown_hash_algorithm_and_empty_hashes_are_rejected() {
    let t = T::new("unknown-hash");
    t.with(|r| {
        r.targets["targets"]["trusted_root.json"]["hashes"]["sha3-999"] = json!("abcdef");
        r.targets["version"] = json!(2);
        r.update_snapshot();
    });
    t.refresh().unwrap(); // metadata itself is fine
    let e = code(t.download("trusted_root.json"));
    assert!(
        matches!(&e, TufError::UnknownHashAlgorithm { algorithm, .. } if algorithm == "sha3-999"),
        "{e:?}"
    );

    let t = T::new("empty-hashes");
    t.with(|r| {
        r.targets["targets"]["trusted_root.json"]["hashes"] = json!({});
        r.targets["version"] = json!(2);
        r.update_snapshot();
    });
    let e = code(t.download("trusted_root.json"));
    assert_eq!(e.code(), "tuf.no-hashes");
}

#[test]
fn tampered_target_on_server_is_rejected() {
    let t = T::new("target-tampered");
    let path = format!(
        "targets/{}.trusted_root.json",
        tuf_repo::sha256_hex(TRUSTED_ROOT)
    );
    t.with(|r| {
        let mut evil = TRUSTED_ROOT.to_vec();
        evil[0] = b'[';
        r.target_files.insert(path.clone(), evil);
    });
    let e = code(t.download("trusted_root.json"));
    assert!(matches!(e, TufError::HashMismatch { .. }), "{e:?}");
    t.with(|r| r.target_files.insert(path, b"short".to_vec()));
    let e = code(t.download("trusted_root.json"));
    assert!(
        matches!(e, TufError::LengthMismatch { expected, found: 5, .. } if expected == TRUSTED_ROOT.len() as u64),
        "{e:?}"
    );
}

#[test]
fn delegations_are_searched_in_order_and_terminate() {
    let t = T::new("delegations");
    t.with(|r| {
        r.add_delegation("npm", &["registry.npmjs.org/*"], true);
        r.add_delegation("other", &["registry.npmjs.org/*"], false);
        r.add_target("npm", "registry.npmjs.org/keys.json", b"npm keys");
        r.add_target("other", "registry.npmjs.org/other.json", b"shadowed");
        r.targets["version"] = json!(2);
        r.update_snapshot();
    });
    let (bytes, _) = t.download("registry.npmjs.org/keys.json").unwrap();
    assert_eq!(bytes, b"npm keys");
    assert!(t
        .server
        .requests()
        .iter()
        .any(|p| p.starts_with("/targets/registry.npmjs.org/") && p.ends_with(".keys.json")));
    // "npm" is terminating: "other" is never consulted.
    let e = code(t.download("registry.npmjs.org/other.json"));
    assert_eq!(e.code(), "tuf.target-not-found");
    assert!(!t
        .server
        .requests()
        .iter()
        .any(|p| p.contains(".other.json")));
    let e = code(t.download("no-such-target"));
    assert!(
        matches!(&e, TufError::TargetNotFound { name } if name == "no-such-target"),
        "{e:?}"
    );
}

#[test]
fn delegated_role_signed_by_wrong_key_is_rejected() {
    let t = T::new("delegation-unsigned");
    t.with(|r| {
        r.add_delegation("npm", &["registry.npmjs.org/*"], true);
        r.add_target("npm", "registry.npmjs.org/keys.json", b"npm keys");
        r.signers.insert("npm".into(), vec![Key::p256(88)]);
        r.targets["version"] = json!(2);
        r.update_snapshot();
    });
    let e = code(t.download("registry.npmjs.org/keys.json"));
    assert_eq!(e.step(), Some(&Step::Delegation { role: "npm".into() }));
    assert_eq!(e.code(), "tuf.threshold-not-met");
}

/// Role `release` is delegated from both `parent-a` (key A, paths `a/*`) and `parent-b`
/// (key B, paths `b/*`), and signed with key A only (`release_signers`).
fn two_delegators(name: &str, release_signers: impl FnOnce(&Key, &Key) -> Vec<Key>) -> T {
    let t = T::new(name);
    t.with(|r| {
        r.add_delegation("parent-a", &["a/*"], false);
        r.add_delegation("parent-b", &["b/*"], false);
        let ka = r.add_delegation_from("parent-a", "release", &["a/*"], false);
        let kb = r.add_delegation_from("parent-b", "release", &["b/*"], false);
        let signers = release_signers(&ka, &kb);
        r.signers.insert("release".into(), signers);
        r.add_target("release", "a/app", b"app for a");
        r.add_target("release", "b/app", b"app for b");
        r.targets["version"] = json!(2);
        r.update_snapshot();
    });
    t
}

/// TUF §5.6.3: a delegated role is verified with the keys of the delegation that leads
/// to it. One updater that trusted `release` under `parent-a` must not reuse that for a
/// target reached through `parent-b`, whose key never signed it (python-tuf and go-tuf
/// cache delegated roles by name and accept it).
#[test]
fn role_verified_under_one_delegator_is_not_trusted_under_another() {
    let t = two_delegators("delegator-switch", |a, _| vec![a.clone()]);
    let (first, second) = t
        .run(NOW, |u| {
            u.refresh()?;
            let first = u.download_target("a/app")?;
            Ok((first, u.download_target("b/app")))
        })
        .unwrap();
    assert_eq!(first.0, b"app for a");
    let e = code(second);
    assert_eq!(e.code(), "tuf.threshold-not-met");
    assert_eq!(
        e.step(),
        Some(&Step::Delegation {
            role: "release".into()
        })
    );
    assert!(e.to_string().contains("\"parent-b\""), "{e}");
    // The content behind parent-b was never fetched.
    assert!(!t
        .server
        .requests()
        .iter()
        .any(|p| p.ends_with(".app") && p.contains(&tuf_repo::sha256_hex(b"app for b"))));
    // On disk too: a new updater finds release.json cached (verified under parent-a)
    // and must re-verify it under parent-b.
    assert!(t.cache_file("release.json").exists());
    let e = code(t.download("b/app"));
    assert_eq!(e.code(), "tuf.threshold-not-met");
    // And the other order, from an empty cache.
    let _ = std::fs::remove_dir_all(&t.cache);
    let e = code(t.download("b/app"));
    assert_eq!(e.code(), "tuf.threshold-not-met");
}

/// The same repository with `release` signed by both delegators' keys: both targets
/// come through one updater.
#[test]
fn role_signed_for_both_delegators_serves_both() {
    let t = two_delegators("delegator-both", |a, b| vec![a.clone(), b.clone()]);
    let (a, b) = t
        .run(NOW, |u| {
            u.refresh()?;
            Ok((u.download_target("a/app")?, u.download_target("b/app")?))
        })
        .unwrap();
    assert_eq!(a.0, b"app for a");
    assert_eq!(b.0, b"app for b");
}

/// TUF §4.2 RSA keys (`rsa`, `rsassa-pss-sha256`): the root rotates its root and targets
/// roles to an RSA key; root v2 must count the RSA self-signature, and the targets
/// metadata its RSA signature.
#[test]
fn rsa_pss_keys_sign_root_and_targets() {
    let t = T::new("rsa-pss");
    t.with(|r| {
        let old_root = r.signers["root"].clone();
        let rsa = Key::rsa();
        r.root["keys"][rsa.id.as_str()] = rsa.public.clone();
        for role in ["root", "targets"] {
            r.root["roles"][role] = json!({"keyids": [rsa.id.clone()], "threshold": 1});
            r.signers.insert(role.into(), vec![rsa.clone()]);
        }
        r.bump_root(&old_root);
        r.targets["version"] = json!(2);
        r.update_snapshot();
    });
    let report = t.refresh().unwrap();
    assert_eq!(report.root_version, 2);
    assert_eq!(report.roots_fetched, [2]);
    assert_eq!(report.targets_version, 2);
    let (bytes, _) = t.download("trusted_root.json").unwrap();
    assert_eq!(bytes, TRUSTED_ROOT);
    // Targets signed by another (ECDSA) key than the RSA key the root names: refused.
    t.with(|r| {
        r.signers.insert("targets".into(), vec![Key::p256(77)]);
        r.targets["version"] = json!(3);
        r.update_snapshot();
    });
    let e = code(t.refresh());
    assert_eq!(e.code(), "tuf.threshold-not-met");
    assert_eq!(e.step(), Some(&Step::Targets));
}
