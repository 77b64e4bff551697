//! A client for the tuf-conformance suite (`theupdateframework/tuf-conformance`,
//! `CLIENT-CLI.md`), driving `rulepack_verify::tuf`:
//!
//! ```text
//! tuf-conformance-client --metadata-dir DIR init ROOT
//! tuf-conformance-client --metadata-dir DIR --metadata-url URL refresh
//! tuf-conformance-client --metadata-dir DIR --metadata-url URL download \
//!     --target-name NAME [--target-name NAME …] --target-base-url URL --target-dir DIR
//! ```
//!
//! `--target-name` may repeat (`CLIENT-CLI.md`): every target is downloaded, in the order
//! given, by one updater (one refresh, one set of trusted metadata); the first failure
//! stops the run. Every other option must appear at most once.
//!
//! Run with `cargo run --example tuf-conformance-client -- …`. Exit status 0 on success,
//! 1 on any failure (the error goes to stderr). Here, unlike the verifier, the trust
//! anchor is `DIR/root.json` (what `init` installed, then the latest verified root), as
//! the protocol requires; plain `http://` is accepted for loopback repositories only.
#![allow(clippy::print_stderr)]

#[cfg(feature = "online")]
mod client {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use rulepack_verify::tuf::{FsStore, HttpFetcher, MetadataStore, TufError, Updater};

    /// Metadata files in the metadata dir (only the role files the suite inspects:
    /// intermediate `N.root.json` are not kept), targets in the target dir.
    struct ConformanceStore {
        metadata: FsStore,
        targets: Option<FsStore>,
    }

    fn is_versioned_root(name: &str) -> bool {
        name != "root.json" && name.ends_with(".root.json")
    }

    impl MetadataStore for ConformanceStore {
        fn load(&self, name: &str, max_len: u64) -> Option<Vec<u8>> {
            if let Some(t) = name.strip_prefix("targets/") {
                return self.targets.as_ref()?.load(t, max_len);
            }
            if is_versioned_root(name) {
                return None;
            }
            self.metadata.load(name, max_len)
        }
        fn store(&self, name: &str, bytes: &[u8]) -> Result<(), TufError> {
            if let Some(t) = name.strip_prefix("targets/") {
                return match &self.targets {
                    Some(s) => s.store(t, bytes),
                    None => Ok(()),
                };
            }
            if is_versioned_root(name) {
                return Ok(());
            }
            self.metadata.store(name, bytes)
        }
        fn remove(&self, name: &str) {
            if !name.starts_with("targets/") && !is_versioned_root(name) {
                self.metadata.remove(name);
            }
        }
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }

    fn usage() -> String {
        "usage: tuf-conformance-client --metadata-dir DIR init ROOT\n       \
         tuf-conformance-client --metadata-dir DIR --metadata-url URL refresh\n       \
         tuf-conformance-client --metadata-dir DIR --metadata-url URL download \
         --target-name NAME [--target-name NAME ...] --target-base-url URL --target-dir DIR"
            .to_string()
    }

    /// The only option that may be given more than once.
    const REPEATABLE: &str = "target-name";

    pub(crate) fn run(args: Vec<String>) -> Result<(), String> {
        // Every value of every option, in command-line order.
        let mut flags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut positional: Vec<String> = Vec::new();
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            if let Some(flag) = a.strip_prefix("--") {
                let v = it.next().ok_or_else(|| format!("--{flag} needs a value"))?;
                let values = flags.entry(flag.to_string()).or_default();
                if flag != REPEATABLE && !values.is_empty() {
                    return Err(format!("--{flag} given more than once\n{}", usage()));
                }
                values.push(v);
            } else {
                positional.push(a);
            }
        }
        let all = |name: &str| {
            flags
                .get(name)
                .cloned()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("missing --{name}\n{}", usage()))
        };
        // Options other than REPEATABLE have exactly one value here.
        let flag = |name: &str| all(name).map(|v| v.into_iter().next().unwrap_or_default());
        let metadata_dir = PathBuf::from(flag("metadata-dir")?);
        let command = positional.first().cloned().unwrap_or_default();
        match command.as_str() {
            "init" => {
                let root = positional.get(1).ok_or_else(usage)?;
                let bytes = std::fs::read(root).map_err(|e| format!("{root}: {e}"))?;
                FsStore::new(&metadata_dir)
                    .store("root.json", &bytes)
                    .map_err(|e| e.to_string())
            }
            "refresh" | "download" => {
                let metadata_url = flag("metadata-url")?;
                let anchor = std::fs::read(metadata_dir.join("root.json"))
                    .map_err(|e| format!("{}: {e}", metadata_dir.join("root.json").display()))?;
                let (target_base, target_dir, target_names) = if command == "download" {
                    (
                        flag("target-base-url")?,
                        Some(flag("target-dir")?),
                        all(REPEATABLE)?,
                    )
                } else {
                    (metadata_url.clone(), None, Vec::new())
                };
                let store = ConformanceStore {
                    metadata: FsStore::new(&metadata_dir),
                    targets: target_dir.map(FsStore::new),
                };
                let fetcher = HttpFetcher::new();
                let mut u = Updater::new(
                    &anchor,
                    &metadata_url,
                    &target_base,
                    &fetcher,
                    &store,
                    now(),
                );
                u.refresh().map_err(|e| format!("{}: {e}", e.code()))?;
                // One updater for all targets, in the order given.
                for name in target_names {
                    u.download_target(&name)
                        .map_err(|e| format!("{name}: {}: {e}", e.code()))?;
                }
                Ok(())
            }
            other => Err(format!("unknown command {other:?}\n{}", usage())),
        }
    }
}

#[cfg(feature = "online")]
fn main() {
    match client::run(std::env::args().skip(1).collect()) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

#[cfg(not(feature = "online"))]
fn main() {
    eprintln!("tuf-conformance-client needs the `online` feature");
    std::process::exit(1);
}
