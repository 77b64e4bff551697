//! The TUF 1.0 client workflow (TUF spec 1.0.34 §5 "Detailed client workflow"), as a
//! state machine over a [`Fetcher`] and a [`MetadataStore`]. No clock: `now` is fixed
//! once for the whole update (§5.1) and passed in.

use std::collections::{BTreeMap, BTreeSet};

use super::error::{Step, TufError};
use super::fetch::{FetchError, Fetcher};
use super::metadata::{
    delegation_covers, parse, verify_threshold, Ctx, KeyMap, MetaFile, RoleKeys, Root, Signed,
    Snapshot, TargetFile, Targets, Timestamp,
};
use super::store::{quote, MetadataStore};
use crate::crypto::HashAlgorithm;
use crate::encoding::hex_encode;
use crate::limits::{
    MAX_TUF_DELEGATIONS, MAX_TUF_METADATA_BYTES, MAX_TUF_ROOT_ROTATIONS, MAX_TUF_TARGET_BYTES,
    MAX_TUF_TIMESTAMP_BYTES,
};
use crate::time::{format_rfc3339, UnixTime};

fn as_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// What an update trusted, for `trust-root show` and logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdateReport {
    /// Metadata base URL.
    pub metadata_url: String,
    /// Version of the trust anchor the update started from.
    pub anchor_version: u64,
    /// Final root version.
    pub root_version: u64,
    /// Final root expiry.
    pub root_expires: UnixTime,
    /// Root versions downloaded in this run (each verified by old and new root keys).
    pub roots_fetched: Vec<u64>,
    /// Timestamp version.
    pub timestamp_version: u64,
    /// Timestamp expiry.
    pub timestamp_expires: UnixTime,
    /// Snapshot version.
    pub snapshot_version: u64,
    /// Snapshot expiry.
    pub snapshot_expires: UnixTime,
    /// Top-level targets version.
    pub targets_version: u64,
    /// Top-level targets expiry.
    pub targets_expires: UnixTime,
    /// Cached files that failed re-verification and were ignored, as `file: code`.
    pub cache_rejected: Vec<String>,
}

impl UpdateReport {
    /// A multi-line, human-readable summary.
    pub fn describe(&self) -> String {
        let t = format_rfc3339;
        let fetched = if self.roots_fetched.is_empty() {
            "none".to_string()
        } else {
            self.roots_fetched
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut s = format!(
            "TUF repository {}\n  root       v{} expires {} (anchor v{}, fetched: {fetched})\n  \
             timestamp  v{} expires {}\n  snapshot   v{} expires {}\n  targets    v{} expires {}\n",
            self.metadata_url,
            self.root_version,
            t(self.root_expires),
            self.anchor_version,
            self.timestamp_version,
            t(self.timestamp_expires),
            self.snapshot_version,
            t(self.snapshot_expires),
            self.targets_version,
            t(self.targets_expires),
        );
        for r in &self.cache_rejected {
            s.push_str(&format!("  ignored cached {r}\n"));
        }
        s
    }
}

/// A verified target file and its trusted description.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetReport {
    /// Target path.
    pub name: String,
    /// Length in bytes.
    pub length: u64,
    /// SHA-256 (hex), when the targets metadata lists it.
    pub sha256: Option<String>,
    /// Whether the bytes came from the (re-verified) cache rather than the network.
    pub from_cache: bool,
}

/// A targets role as reached from the top-level `targets`: the role names along the
/// delegation path, `["targets", "parent", …, "role"]`.
type DelegationPath = Vec<String>;

struct State {
    root: Signed<Root>,
    snapshot: Signed<Snapshot>,
    /// Top-level `targets` and every delegated role loaded so far, each under the
    /// delegation path it was verified through. A role delegated by two roles is
    /// verified (and held) once per path, never trusted under a delegator whose keys
    /// were not checked (TUF §5.6.3).
    targets: BTreeMap<DelegationPath, Signed<Targets>>,
}

/// A TUF client for one repository, starting from a trusted `root.json`.
pub struct Updater<'a> {
    metadata_base: String,
    targets_base: String,
    anchor: Vec<u8>,
    fetcher: &'a dyn Fetcher,
    store: &'a dyn MetadataStore,
    now: UnixTime,
    state: Option<State>,
    report: UpdateReport,
}

fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

/// Percent-encodes a target path for a URL, keeping `/` (RFC 3986 unreserved kept).
fn url_path(path: &str) -> String {
    let mut s = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

fn expired_check(ctx: Ctx<'_>, expires: UnixTime, now: UnixTime) -> Result<(), TufError> {
    // TUF §5.3.10/§5.4.4/§5.5.6/§5.6.5: metadata is valid only while expires > now.
    if expires <= now {
        return Err(TufError::Expired {
            step: ctx.step.clone(),
            url: ctx.url.to_string(),
            expires,
            now,
        });
    }
    Ok(())
}

/// TUF §5.5.2/§5.6.2/§5.7.3: the length and every listed hash must match.
fn check_length_and_hashes(
    ctx: Ctx<'_>,
    bytes: &[u8],
    length: Option<u64>,
    hashes: Option<&BTreeMap<String, String>>,
) -> Result<(), TufError> {
    if let Some(expected) = length {
        let found = as_u64(bytes.len());
        if found != expected {
            return Err(TufError::LengthMismatch {
                step: ctx.step.clone(),
                url: ctx.url.to_string(),
                expected,
                found,
            });
        }
    }
    let Some(hashes) = hashes else {
        return Ok(());
    };
    // go-tuf #721: an empty hash map must not mean "nothing to check".
    if hashes.is_empty() {
        return Err(TufError::NoHashes {
            step: ctx.step.clone(),
        });
    }
    for (alg, expected) in hashes {
        // tuf-conformance `test_download_with_unknown_hash_algorithm`: fail, don't skip.
        let h = HashAlgorithm::from_name(alg).ok_or_else(|| TufError::UnknownHashAlgorithm {
            step: ctx.step.clone(),
            algorithm: alg.clone(),
        })?;
        let found = hex_encode(&h.digest(bytes));
        if !found.eq_ignore_ascii_case(expected) {
            return Err(TufError::HashMismatch {
                step: ctx.step.clone(),
                url: ctx.url.to_string(),
                algorithm: h.name(),
                expected: expected.clone(),
                found,
            });
        }
    }
    Ok(())
}

impl<'a> Updater<'a> {
    /// A client for the repository whose metadata is under `metadata_url` and targets
    /// under `targets_url`, trusting `anchor_root` (a `root.json`). Nothing is fetched
    /// until [`Updater::refresh`].
    pub fn new(
        anchor_root: &[u8],
        metadata_url: &str,
        targets_url: &str,
        fetcher: &'a dyn Fetcher,
        store: &'a dyn MetadataStore,
        now: UnixTime,
    ) -> Self {
        Self {
            metadata_base: with_slash(metadata_url),
            targets_base: with_slash(targets_url),
            anchor: anchor_root.to_vec(),
            fetcher,
            store,
            now,
            state: None,
            report: UpdateReport {
                metadata_url: metadata_url.to_string(),
                ..UpdateReport::default()
            },
        }
    }

    /// What the last [`Updater::refresh`] trusted.
    pub fn report(&self) -> &UpdateReport {
        &self.report
    }

    fn reject_cached(&mut self, name: &str, e: &TufError) {
        self.report
            .cache_rejected
            .push(format!("{name}: {}", e.code()));
    }

    fn fetch_raw(&self, url: &str, max_len: u64) -> Result<Vec<u8>, FetchError> {
        let f = self.fetcher.fetch(url, max_len)?;
        if as_u64(f.bytes.len()) > max_len {
            return Err(FetchError::TooLarge { limit: max_len });
        }
        Ok(f.bytes)
    }

    fn fetch(&self, step: &Step, url: &str, max_len: u64) -> Result<Vec<u8>, TufError> {
        self.fetch_raw(url, max_len)
            .map_err(|e| fetch_error(step, url, e))
    }

    /// Runs the whole top-level workflow: root rotation, timestamp, snapshot, targets
    /// (TUF §5.2–§5.6). On success the trusted metadata is persisted to the store.
    pub fn refresh(&mut self) -> Result<(), TufError> {
        self.state = None;
        self.report.cache_rejected.clear();
        self.report.roots_fetched.clear();
        let root = self.update_root()?;
        let timestamp = self.update_timestamp(&root)?;
        let snapshot = self.update_snapshot(&root, &timestamp)?;
        self.report.timestamp_version = timestamp.common.version;
        self.report.timestamp_expires = timestamp.common.expires;
        self.report.snapshot_version = snapshot.common.version;
        self.report.snapshot_expires = snapshot.common.expires;
        let targets_meta = snapshot
            .role
            .meta
            .get("targets.json")
            .cloned()
            .ok_or_else(|| TufError::MissingMeta {
                step: Step::Targets,
                name: "targets.json".into(),
            })?;
        let role = root.role.role("targets");
        let root_v = root.common.version;
        let targets = self.load_targets_role(
            "targets",
            Step::Targets,
            &targets_meta,
            &root.role.keys,
            &role,
            root.role.consistent_snapshot,
            &format!("the targets role of root version {root_v}"),
        )?;
        self.report.targets_version = targets.common.version;
        self.report.targets_expires = targets.common.expires;
        let mut all = BTreeMap::new();
        all.insert(vec!["targets".to_string()], targets);
        self.state = Some(State {
            root,
            snapshot,
            targets: all,
        });
        Ok(())
    }

    /// TUF §5.2/§5.3: trust anchor, then the root rotation loop.
    fn update_root(&mut self) -> Result<Signed<Root>, TufError> {
        let step = Step::TrustAnchor;
        let ctx = Ctx {
            step: &step,
            url: "trust anchor",
        };
        let mut root: Signed<Root> = parse(ctx, &self.anchor)?;
        // §5.2: "the trusted root metadata file MUST be signed by a threshold of its own
        // root keys"; its expiry does not matter yet.
        verify_threshold(ctx, &root, &root.role.keys, &root.role.role("root"), || {
            "the trust anchor itself".into()
        })?;
        self.report.anchor_version = root.common.version;
        let mut rotations = 0usize;

        // Replay cached newer roots (untrusted: each is verified exactly like a download).
        while rotations < MAX_TUF_ROOT_ROTATIONS {
            let next = root.common.version.saturating_add(1);
            let name = format!("{next}.root.json");
            let Some(bytes) = self.store.load(&name, as_u64(MAX_TUF_METADATA_BYTES)) else {
                break;
            };
            match verify_next_root(&root, &bytes, next, &format!("cached {name}")) {
                Ok(r) => {
                    root = r;
                    rotations += 1;
                }
                Err(e) => {
                    self.reject_cached(&name, &e);
                    self.store.remove(&name);
                    break;
                }
            }
        }
        let before_network = root.role.clone();

        // §5.3.2–§5.3.9: fetch N+1 until "not found".
        loop {
            let next = root.common.version.saturating_add(1);
            let step = Step::Root { version: next };
            let url = format!("{}{next}.root.json", self.metadata_base);
            let bytes = match self.fetch_raw(&url, as_u64(MAX_TUF_METADATA_BYTES)) {
                Ok(b) => b,
                // §5.3.3 and TUF.md §1: stop only on 404/403; every other status or
                // network error is fatal, never "no newer root".
                Err(FetchError::NotFound { .. }) => break,
                Err(e) => return Err(fetch_error(&step, &url, e)),
            };
            if rotations >= MAX_TUF_ROOT_ROTATIONS {
                return Err(TufError::TooManyRootRotations {
                    limit: MAX_TUF_ROOT_ROTATIONS,
                });
            }
            let new = verify_next_root(&root, &bytes, next, &url)?;
            // §5.3.8: persist each verified root.
            self.store.store(&format!("{next}.root.json"), &bytes)?;
            self.store.store("root.json", &bytes)?;
            self.report.roots_fetched.push(next);
            root = new;
            rotations += 1;
        }

        // §5.3.10: the final root must not be expired.
        let step = Step::Root {
            version: root.common.version,
        };
        let url = format!("{}{}.root.json", self.metadata_base, root.common.version);
        expired_check(
            Ctx {
                step: &step,
                url: &url,
            },
            root.common.expires,
            self.now,
        )?;
        // §5.3.11 fast-forward recovery: if the timestamp or snapshot keys rotated,
        // delete the trusted timestamp and snapshot so a rolled-back version can follow.
        if before_network.role_key_set("timestamp") != root.role.role_key_set("timestamp")
            || before_network.role_key_set("snapshot") != root.role.role_key_set("snapshot")
        {
            self.store.remove("timestamp.json");
            self.store.remove("snapshot.json");
        }
        self.report.root_version = root.common.version;
        self.report.root_expires = root.common.expires;
        Ok(root)
    }

    /// TUF §5.4: timestamp.
    fn update_timestamp(&mut self, root: &Signed<Root>) -> Result<Signed<Timestamp>, TufError> {
        let step = Step::Timestamp;
        let role = root.role.role("timestamp");
        let signed_by = || format!("the timestamp role of root version {}", root.common.version);
        let max = as_u64(MAX_TUF_TIMESTAMP_BYTES);

        // The cached copy is only a rollback baseline: signature checked, expiry not
        // (an expired local copy must not block an update).
        let mut trusted: Option<Signed<Timestamp>> = None;
        if let Some(bytes) = self.store.load("timestamp.json", max) {
            let ctx = Ctx {
                step: &step,
                url: "cached timestamp.json",
            };
            match parse::<Timestamp>(ctx, &bytes).and_then(|t| {
                verify_threshold(ctx, &t, &root.role.keys, &role, signed_by).map(|()| t)
            }) {
                Ok(t) => trusted = Some(t),
                Err(e) => self.reject_cached("timestamp.json", &e),
            }
        }

        let url = format!("{}timestamp.json", self.metadata_base);
        let ctx = Ctx {
            step: &step,
            url: &url,
        };
        let bytes = self.fetch(&step, &url, max)?;
        let new: Signed<Timestamp> = parse(ctx, &bytes)?;
        // §5.4.2: threshold of the root's timestamp keys.
        verify_threshold(ctx, &new, &root.role.keys, &role, signed_by)?;
        let (ts, is_new) = match trusted {
            Some(old) => {
                // §5.4.3.1: version must not decrease.
                if new.common.version < old.common.version {
                    return Err(TufError::Rollback {
                        step,
                        url,
                        what: "timestamp.json".into(),
                        trusted: old.common.version,
                        found: new.common.version,
                    });
                }
                // §5.4.3.2: the snapshot version it lists must not decrease.
                if new.role.snapshot.version < old.role.snapshot.version {
                    return Err(TufError::Rollback {
                        step,
                        url,
                        what: "snapshot.json (as listed in the timestamp)".into(),
                        trusted: old.role.snapshot.version,
                        found: new.role.snapshot.version,
                    });
                }
                // python-tuf: an equal version keeps the trusted copy, no error.
                if new.common.version == old.common.version {
                    (old, false)
                } else {
                    (new, true)
                }
            }
            None => (new, true),
        };
        // §5.4.4: freeze attack.
        expired_check(ctx, ts.common.expires, self.now)?;
        if is_new {
            self.store.store("timestamp.json", &ts.raw)?;
        }
        Ok(ts)
    }

    /// TUF §5.5: snapshot.
    fn update_snapshot(
        &mut self,
        root: &Signed<Root>,
        ts: &Signed<Timestamp>,
    ) -> Result<Signed<Snapshot>, TufError> {
        let step = Step::Snapshot;
        let role = root.role.role("snapshot");
        let signed_by = || format!("the snapshot role of root version {}", root.common.version);
        let meta = &ts.role.snapshot;
        let max = as_u64(MAX_TUF_METADATA_BYTES);

        let mut baseline: Option<Signed<Snapshot>> = None;
        if let Some(bytes) = self.store.load("snapshot.json", max) {
            let ctx = Ctx {
                step: &step,
                url: "cached snapshot.json",
            };
            match parse::<Snapshot>(ctx, &bytes).and_then(|t| {
                verify_threshold(ctx, &t, &root.role.keys, &role, signed_by).map(|()| t)
            }) {
                // The cached copy is current: use it without downloading.
                Ok(s) if s.common.version == meta.version && s.common.expires > self.now => {
                    return Ok(s)
                }
                Ok(s) => baseline = Some(s),
                Err(e) => self.reject_cached("snapshot.json", &e),
            }
        }

        let file = if root.role.consistent_snapshot {
            format!("{}.snapshot.json", meta.version)
        } else {
            "snapshot.json".to_string()
        };
        let url = format!("{}{file}", self.metadata_base);
        let ctx = Ctx {
            step: &step,
            url: &url,
        };
        let limit = meta.length.unwrap_or(max).min(max);
        let bytes = self.fetch(&step, &url, limit)?;
        // §5.5.2: length and hashes from the timestamp, if listed (Sigstore lists only
        // the version, so our own size limit applies).
        check_length_and_hashes(ctx, &bytes, meta.length, meta.hashes.as_ref())?;
        let new: Signed<Snapshot> = parse(ctx, &bytes)?;
        // §5.5.3: threshold of the root's snapshot keys.
        verify_threshold(ctx, &new, &root.role.keys, &role, signed_by)?;
        // §5.5.4: version must equal the timestamp's (mix-and-match).
        if new.common.version != meta.version {
            return Err(TufError::VersionMismatch {
                step,
                url,
                expected: meta.version,
                found: new.common.version,
            });
        }
        // §5.5.5: no rollback of the snapshot or of any file it lists.
        if let Some(old) = &baseline {
            if new.common.version < old.common.version {
                return Err(TufError::Rollback {
                    step,
                    url,
                    what: "snapshot.json".into(),
                    trusted: old.common.version,
                    found: new.common.version,
                });
            }
            for (name, old_meta) in &old.role.meta {
                let Some(new_meta) = new.role.meta.get(name) else {
                    return Err(TufError::MetaEntryRemoved {
                        step,
                        url,
                        name: name.clone(),
                    });
                };
                if new_meta.version < old_meta.version {
                    return Err(TufError::Rollback {
                        step,
                        url,
                        what: format!("{name} (as listed in the snapshot)"),
                        trusted: old_meta.version,
                        found: new_meta.version,
                    });
                }
            }
        }
        // §5.5.6: freeze attack.
        expired_check(ctx, new.common.expires, self.now)?;
        self.store.store("snapshot.json", &new.raw)?;
        Ok(new)
    }

    /// TUF §5.6 for the top-level targets role or a delegated role.
    #[allow(clippy::too_many_arguments)]
    fn load_targets_role(
        &mut self,
        role_name: &str,
        step: Step,
        meta: &MetaFile,
        keys: &KeyMap,
        role: &RoleKeys,
        consistent_snapshot: bool,
        signed_by: &str,
    ) -> Result<Signed<Targets>, TufError> {
        let file = format!("{}.json", quote(role_name));
        let max = as_u64(MAX_TUF_METADATA_BYTES);
        if let Some(bytes) = self.store.load(&file, max) {
            let cached = format!("cached {file}");
            let ctx = Ctx {
                step: &step,
                url: &cached,
            };
            // The cached copy must be what the snapshot lists (§5.6.2, length and hashes,
            // as python-tuf checks a local file), signed (§5.6.3), of the listed version
            // and unexpired.
            let r = check_length_and_hashes(ctx, &bytes, meta.length, meta.hashes.as_ref())
                .and_then(|()| parse::<Targets>(ctx, &bytes))
                .and_then(|t| {
                    verify_threshold(ctx, &t, keys, role, || signed_by.to_string()).map(|()| t)
                });
            match r {
                Ok(t) if t.common.version == meta.version && t.common.expires > self.now => {
                    return Ok(t)
                }
                Ok(_) => {}
                Err(e) => self.reject_cached(&file, &e),
            }
        }
        let remote = if consistent_snapshot {
            format!("{}.{file}", meta.version)
        } else {
            file.clone()
        };
        let url = format!("{}{remote}", self.metadata_base);
        let ctx = Ctx {
            step: &step,
            url: &url,
        };
        let limit = meta.length.unwrap_or(max).min(max);
        let bytes = self.fetch(&step, &url, limit)?;
        // §5.6.2: length and hashes from the snapshot, if listed.
        check_length_and_hashes(ctx, &bytes, meta.length, meta.hashes.as_ref())?;
        let new: Signed<Targets> = parse(ctx, &bytes)?;
        // §5.6.3: threshold of the delegating role's keys.
        verify_threshold(ctx, &new, keys, role, || signed_by.to_string())?;
        // §5.6.4: version must equal the snapshot's (mix-and-match).
        if new.common.version != meta.version {
            return Err(TufError::VersionMismatch {
                step,
                url,
                expected: meta.version,
                found: new.common.version,
            });
        }
        // §5.6.5: freeze attack.
        expired_check(ctx, new.common.expires, self.now)?;
        self.store.store(&file, &new.raw)?;
        Ok(new)
    }

    /// TUF §5.6.7: pre-order depth-first search of the delegation graph for `name`.
    fn find_target(&mut self, name: &str) -> Result<TargetFile, TufError> {
        let mut stack: Vec<DelegationPath> = vec![vec!["targets".into()]];
        // python-tuf `_preorder_depth_first_walk`: each role name is visited once per
        // search, which also bounds the length of every path.
        let mut visited: BTreeSet<String> = BTreeSet::new();
        while let Some(path) = stack.pop() {
            let Some(role) = path.last() else {
                continue;
            };
            if visited.contains(role) {
                continue;
            }
            if visited.len() >= MAX_TUF_DELEGATIONS {
                return Err(TufError::TooManyDelegations {
                    limit: MAX_TUF_DELEGATIONS,
                });
            }
            self.ensure_delegated_role(&path)?;
            visited.insert(role.clone());
            let state = self.state.as_ref().ok_or(TufError::TargetNotFound {
                name: name.to_string(),
            })?;
            let Some(targets) = state.targets.get(&path) else {
                continue;
            };
            if let Some(tf) = targets.role.targets.get(name) {
                return Ok(tf.clone());
            }
            let mut children = Vec::new();
            for d in &targets.role.delegations {
                if delegation_covers(d, name) {
                    let mut child = path.clone();
                    child.push(d.name.clone());
                    children.push(child);
                    // §5.6.7.2.1: a terminating delegation ends the search after it.
                    if d.terminating {
                        stack.clear();
                        break;
                    }
                }
            }
            stack.extend(children.into_iter().rev());
        }
        Err(TufError::TargetNotFound {
            name: name.to_string(),
        })
    }

    /// Loads the last role of `path` and verifies it with the keys and threshold its
    /// parent (the role before it in `path`) delegates to it, unless that was already
    /// done for this very path. From the cache or the network alike, the role is checked
    /// against this delegation: having been verified under another delegator counts for
    /// nothing (TUF §5.6.3: a threshold of the keys the delegating role lists).
    fn ensure_delegated_role(&mut self, path: &[String]) -> Result<(), TufError> {
        let Some(state) = self.state.as_ref() else {
            return Ok(());
        };
        if state.targets.contains_key(path) {
            return Ok(());
        }
        // The top-level `targets` (a path of one) is loaded by `refresh`.
        let Some((role, parent_path)) = path.split_last().filter(|(_, p)| !p.is_empty()) else {
            return Ok(());
        };
        let parent = parent_path.last().map_or("", String::as_str);
        let step = Step::Delegation {
            role: role.to_string(),
        };
        let Some(parent_md) = state.targets.get(parent_path) else {
            return Ok(());
        };
        let Some(delegation) = parent_md.role.delegations.iter().find(|d| &d.name == role) else {
            return Ok(());
        };
        let keys = parent_md.role.delegation_keys.clone();
        let role_keys = delegation.keys.clone();
        let meta_name = format!("{role}.json");
        let meta = state
            .snapshot
            .role
            .meta
            .get(&meta_name)
            .cloned()
            .ok_or_else(|| TufError::MissingMeta {
                step: step.clone(),
                name: meta_name,
            })?;
        let consistent = state.root.role.consistent_snapshot;
        let signed_by = format!("the delegation from {parent:?}");
        let loaded =
            self.load_targets_role(role, step, &meta, &keys, &role_keys, consistent, &signed_by)?;
        if let Some(state) = self.state.as_mut() {
            state.targets.insert(path.to_vec(), loaded);
        }
        Ok(())
    }

    /// TUF §5.7: finds `name` in the trusted targets metadata and returns its bytes,
    /// from the cache if they still match, else downloaded by consistent-snapshot name
    /// (`<dir>/<sha256>.<basename>`), checking the length and every listed hash.
    /// Call [`Updater::refresh`] first.
    pub fn download_target(&mut self, name: &str) -> Result<(Vec<u8>, TargetReport), TufError> {
        if self.state.is_none() {
            self.refresh()?;
        }
        let tf = self.find_target(name)?;
        let step = Step::Target {
            name: name.to_string(),
        };
        if tf.hashes.is_empty() {
            return Err(TufError::NoHashes { step });
        }
        for alg in tf.hashes.keys() {
            if HashAlgorithm::from_name(alg).is_none() {
                return Err(TufError::UnknownHashAlgorithm {
                    step,
                    algorithm: alg.clone(),
                });
            }
        }
        let consistent = self
            .state
            .as_ref()
            .is_some_and(|s| s.root.role.consistent_snapshot);
        let remote = if consistent {
            let (dir, base) = match name.rsplit_once('/') {
                Some((d, b)) => (format!("{d}/"), b),
                None => (String::new(), name),
            };
            let prefix = tf
                .hashes
                .get("sha256")
                .or_else(|| tf.hashes.values().next())
                .map(|h| h.to_ascii_lowercase())
                .unwrap_or_default();
            format!("{dir}{prefix}.{base}")
        } else {
            name.to_string()
        };
        let url = format!("{}{}", self.targets_base, url_path(&remote));
        if tf.length > as_u64(MAX_TUF_TARGET_BYTES) {
            return Err(TufError::TooLarge {
                step,
                url,
                limit: as_u64(MAX_TUF_TARGET_BYTES),
            });
        }
        let report = |from_cache| TargetReport {
            name: name.to_string(),
            length: tf.length,
            sha256: tf.hashes.get("sha256").map(|h| h.to_ascii_lowercase()),
            from_cache,
        };
        let cache_name = format!("targets/{}", quote(name));
        if let Some(bytes) = self.store.load(&cache_name, tf.length) {
            let ctx = Ctx {
                step: &step,
                url: "cache",
            };
            match check_length_and_hashes(ctx, &bytes, Some(tf.length), Some(&tf.hashes)) {
                Ok(()) => return Ok((bytes, report(true))),
                Err(e) => self.reject_cached(&cache_name, &e),
            }
        }
        let ctx = Ctx {
            step: &step,
            url: &url,
        };
        let bytes = self.fetch(&step, &url, tf.length)?;
        check_length_and_hashes(ctx, &bytes, Some(tf.length), Some(&tf.hashes))?;
        self.store.store(&cache_name, &bytes)?;
        Ok((bytes, report(false)))
    }
}

fn fetch_error(step: &Step, url: &str, e: FetchError) -> TufError {
    let step = step.clone();
    let url = url.to_string();
    match e {
        FetchError::NotFound { status } => TufError::NotFound { step, url, status },
        FetchError::Status { status } => TufError::HttpStatus { step, url, status },
        FetchError::TooLarge { limit } => TufError::TooLarge { step, url, limit },
        FetchError::InvalidUrl { detail } => TufError::InvalidUrl { url, detail },
        FetchError::Unreachable { detail } => TufError::Unreachable { step, url, detail },
        FetchError::DeadlineExceeded { seconds } => TufError::DeadlineExceeded { step, url, seconds },
        #[allow(unreachable_patterns)]
        other => TufError::Unreachable {
            step,
            url,
            detail: other.to_string(),
        },
    }
}

/// TUF §5.3.4–§5.3.6: `bytes` must be root version `expected`, signed by a threshold of
/// the trusted root's root keys AND of its own root keys. Intermediate roots may be
/// expired.
fn verify_next_root(
    trusted: &Signed<Root>,
    bytes: &[u8],
    expected: u64,
    url: &str,
) -> Result<Signed<Root>, TufError> {
    let step = Step::Root { version: expected };
    let ctx = Ctx { step: &step, url };
    let new: Signed<Root> = parse(ctx, bytes)?;
    let old_role = trusted.role.role("root");
    verify_threshold(ctx, &new, &trusted.role.keys, &old_role, || {
        format!("the trusted root version {}", trusted.common.version)
    })?;
    let new_role = new.role.role("root");
    verify_threshold(ctx, &new, &new.role.keys, &new_role, || {
        format!("the new root version {} itself", new.common.version)
    })?;
    // §5.3.5: the version must be exactly N+1.
    if new.common.version <= trusted.common.version {
        return Err(TufError::Rollback {
            step,
            url: url.to_string(),
            what: "root.json".into(),
            trusted: trusted.common.version,
            found: new.common.version,
        });
    }
    if new.common.version != expected {
        return Err(TufError::VersionMismatch {
            step,
            url: url.to_string(),
            expected,
            found: new.common.version,
        });
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuf::fetch::Fetched;
    use crate::tuf::store::NoStore;

    /// Serves files from a map; everything else is 404.
    struct MapFetcher(BTreeMap<String, Vec<u8>>);

    impl Fetcher for MapFetcher {
        fn fetch(&self, url: &str, max_len: u64) -> Result<Fetched, FetchError> {
            match self.0.get(url) {
                Some(b) if as_u64(b.len()) > max_len => {
                    Err(FetchError::TooLarge { limit: max_len })
                }
                Some(b) => Ok(Fetched { bytes: b.clone() }),
                None => Err(FetchError::NotFound { status: 404 }),
            }
        }
    }

    /// The real public-good repository through the pure state machine (no HTTP):
    /// root v1 → v15, timestamp, snapshot, targets, `trusted_root.json`. Needs the corpus:
    /// no registry package ships Sigstore's timestamp, snapshot or targets metadata;
    /// `real_root_rotations_without_network_code` runs what packages do ship.
    #[test]
    fn real_sigstore_chain_without_network_code() {
        let Some(corpus) = crate::testutil::corpus_dir("real_sigstore_chain_without_network_code")
        else {
            return;
        };
        let base = corpus.join("tuf/sigstore-root-signing");
        let md = base.join("metadata");
        let read = |p: std::path::PathBuf| std::fs::read(p).unwrap();
        let mut files = BTreeMap::new();
        for v in 1..=15 {
            files.insert(
                format!("m/{v}.root.json"),
                read(md.join(format!("root_history/{v}.root.json"))),
            );
        }
        files.insert("m/timestamp.json".into(), read(md.join("timestamp.json")));
        files.insert("m/165.snapshot.json".into(), read(md.join("snapshot.json")));
        files.insert("m/14.targets.json".into(), read(md.join("targets.json")));
        let tr = read(base.join("targets/trusted_root.json"));
        files.insert(
            format!(
                "t/{}.trusted_root.json",
                hex_encode(&crate::crypto::sha256(&tr))
            ),
            tr.clone(),
        );
        let fetcher = MapFetcher(files);
        let anchor = read(md.join("root_history/1.root.json"));
        // 2026-08-22T12:00:00Z, inside the timestamp's validity.
        let now = 1_787_400_000;
        let mut u = Updater::new(&anchor, "m", "t", &fetcher, &NoStore, now);
        u.refresh().unwrap();
        let (bytes, rep) = u.download_target("trusted_root.json").unwrap();
        assert_eq!(bytes, tr);
        assert_eq!(rep.length, 6787);
        assert_eq!(u.report().root_version, 15);
        assert_eq!(u.report().timestamp_version, 762);
        // The same data a week later is a freeze attack.
        let mut u = Updater::new(&anchor, "m", "t", &fetcher, &NoStore, now + 7 * 86_400);
        assert_eq!(u.refresh().unwrap_err().code(), "tuf.expired");
    }

    /// A store in memory, to see what the updater persisted.
    #[derive(Default)]
    struct MemStore(std::cell::RefCell<BTreeMap<String, Vec<u8>>>);

    impl MetadataStore for MemStore {
        fn load(&self, name: &str, max_len: u64) -> Option<Vec<u8>> {
            self.0
                .borrow()
                .get(name)
                .filter(|b| as_u64(b.len()) <= max_len)
                .cloned()
        }
        fn store(&self, name: &str, bytes: &[u8]) -> Result<(), TufError> {
            self.0.borrow_mut().insert(name.to_string(), bytes.to_vec());
            Ok(())
        }
        fn remove(&self, name: &str) {
            self.0.borrow_mut().remove(name);
        }
    }

    /// The vendored public-good roots as the CDN names them (`m/N.root.json`).
    fn vendored_root_files() -> BTreeMap<String, Vec<u8>> {
        use crate::tuf::vendored::{public_good_root, PUBLIC_GOOD_ROOTS};
        PUBLIC_GOOD_ROOTS
            .iter()
            .map(|&v| (format!("m/{v}.root.json"), public_good_root(v)))
            .collect()
    }

    /// In-repo counterpart of `real_sigstore_chain_without_network_code`: the real root
    /// rotations that registry packages ship (v7 → v10, v12 → v16), through the pure
    /// state machine. No package ships Sigstore's timestamp, snapshot or targets, so
    /// each walk ends at the timestamp (not found) or at an expired final root.
    #[test]
    fn real_root_rotations_without_network_code() {
        use crate::tuf::vendored::public_good_root;
        // 2026-08-22T12:00:00Z: v16 is valid (until 2027-04-22), v15 too (2026-11-20).
        let now = 1_787_400_000;
        let fetcher = MapFetcher(vendored_root_files());

        // v12 → v13 → v14 → v15 → v16, each persisted; then timestamp.json is not there.
        let store = MemStore::default();
        let anchor = public_good_root(12);
        let mut u = Updater::new(&anchor, "m", "t", &fetcher, &store, now);
        let e = u.refresh().unwrap_err();
        assert_eq!((e.step(), e.code()), (Some(&Step::Timestamp), "tuf.not-found"));
        let r = u.report();
        assert_eq!((r.anchor_version, r.root_version), (12, 16));
        assert_eq!(r.roots_fetched, vec![13, 14, 15, 16]);
        let saved = store.0.borrow().clone();
        for v in 13..=16 {
            assert_eq!(saved[&format!("{v}.root.json")], public_good_root(v), "v{v}");
        }
        // The last verified root is the embedded one, byte for byte.
        assert_eq!(saved["root.json"], crate::tuf::EMBEDDED_SIGSTORE_ROOT);
        assert!(!saved.contains_key("12.root.json"));

        // A second run replays the cache (each root verified again) and asks only for v17.
        let mut u = Updater::new(&anchor, "m", "t", &fetcher, &store, now);
        assert_eq!(u.refresh().unwrap_err().code(), "tuf.not-found");
        assert_eq!(u.report().root_version, 16);
        assert!(u.report().roots_fetched.is_empty());
        assert!(u.report().cache_rejected.is_empty());

        // v7 → v8 → v9 → v10 (v7 and v9 re-indented by npm: they verify all the same);
        // v11 is in no package, so v10 is the final root, long expired (2025-02-19).
        let mut u = Updater::new(&public_good_root(7), "m", "t", &fetcher, &NoStore, now);
        let e = u.refresh().unwrap_err();
        assert_eq!(e.step(), Some(&Step::Root { version: 10 }));
        assert!(matches!(e, TufError::Expired { .. }), "{e:?}");
        assert_eq!(u.report().roots_fetched, vec![8, 9, 10]);
        // One second before v10 expires the same walk gets to the timestamp; at its
        // `expires` it is expired (TUF §5.3.10: valid only while expires > now).
        let v10_expires = crate::time::parse_rfc3339("2025-02-19T08:04:32Z").unwrap();
        for (now, step) in [
            (v10_expires - 1, Step::Timestamp),
            (v10_expires, Step::Root { version: 10 }),
        ] {
            let mut u = Updater::new(&public_good_root(7), "m", "t", &fetcher, &NoStore, now);
            assert_eq!(u.refresh().unwrap_err().step(), Some(&step));
        }

        // The same data after v16 expires (2027-04-22T19:27:31Z) is a freeze attack.
        let later = crate::time::parse_rfc3339("2027-04-22T19:27:32Z").unwrap();
        let mut u = Updater::new(&anchor, "m", "t", &fetcher, &NoStore, later);
        let e = u.refresh().unwrap_err();
        assert_eq!(e.step(), Some(&Step::Root { version: 16 }));
        assert_eq!(e.code(), "tuf.expired");
    }

    /// Real roots served under the wrong names: TUF §5.3.4–§5.3.5 catch each.
    #[test]
    fn real_roots_out_of_order_are_rejected() {
        use crate::tuf::vendored::public_good_root;
        let now = 1_787_400_000;
        let run = |anchor: u64, files: &[(u64, u64)]| {
            let fetcher = MapFetcher(
                files
                    .iter()
                    .map(|(name, v)| (format!("m/{name}.root.json"), public_good_root(*v)))
                    .collect(),
            );
            let mut u = Updater::new(&public_good_root(anchor), "m", "t", &fetcher, &NoStore, now);
            let e = u.refresh().unwrap_err();
            (e, u.report().roots_fetched.clone())
        };
        // v12 as 11.root.json: v10's keys do sign it (3 of 3), but it skips v11.
        let (e, fetched) = run(10, &[(11, 12)]);
        assert!(
            matches!(
                e,
                TufError::VersionMismatch {
                    expected: 11,
                    found: 12,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(fetched.is_empty());
        // v13 again as 14.root.json: a replay of an older root.
        let (e, fetched) = run(12, &[(13, 13), (14, 13)]);
        assert!(
            matches!(
                e,
                TufError::Rollback {
                    trusted: 13,
                    found: 13,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(fetched, vec![13]);
        // From v8, v10 as 9.root.json: no key of v8 signed v10 (new keyids since v9).
        let (e, _) = run(8, &[(9, 10)]);
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
        assert_eq!(e.step(), Some(&Step::Root { version: 9 }));
    }

    #[test]
    fn length_and_hash_checks() {
        let step = Step::Snapshot;
        let ctx = Ctx {
            step: &step,
            url: "u",
        };
        let data = b"abc";
        let good = hex_encode(&crate::crypto::sha256(data));
        let mut h = BTreeMap::new();
        h.insert("sha256".to_string(), good.to_uppercase());
        assert!(check_length_and_hashes(ctx, data, Some(3), Some(&h)).is_ok());
        let e = check_length_and_hashes(ctx, data, Some(4), Some(&h)).unwrap_err();
        assert_eq!(e.code(), "tuf.length-mismatch");
        h.insert("sha512".to_string(), "00".into());
        let e = check_length_and_hashes(ctx, data, None, Some(&h)).unwrap_err();
        assert_eq!(e.code(), "tuf.hash-mismatch");
        h.insert("md5".to_string(), "00".into());
        let e = check_length_and_hashes(ctx, data, None, Some(&h)).unwrap_err();
        assert_eq!(e.code(), "tuf.unknown-hash-algorithm");
        let e = check_length_and_hashes(ctx, data, None, Some(&BTreeMap::new())).unwrap_err();
        assert_eq!(e.code(), "tuf.no-hashes");
        assert_eq!(url_path("a b/c.json"), "a%20b/c.json");
    }
}
