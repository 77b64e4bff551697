//! TUF client for the Sigstore public-good trust root.
//!
//! By default the verifier obtains `trusted_root.json` from
//! `https://tuf-repo-cdn.sigstore.dev` through the TUF 1.0 client workflow, starting
//! from an embedded `root.json` (v16, from npm `@sigstore/tuf@5.0.1`). Every run refreshes
//! online; any failure is fatal (docs/verification.md, "Outcomes"): there is no fallback to an embedded or cached
//! trusted root. The local cache only saves downloads and keeps a rollback baseline,
//! and is re-verified from the embedded root on every load.
//!
//! Layout: `canonical` (OLPC canonical JSON), `metadata` (role parsing, keys, threshold
//! counting) and `updater` (the state machine) are pure and take `now` as a parameter;
//! `store` is the file cache; `http` (feature `online`) is the only network code.

mod canonical;
mod error;
mod fetch;
#[cfg(feature = "online")]
mod http;
mod metadata;
mod store;
mod updater;

use std::path::PathBuf;

pub use error::{Step, TufError};
pub use fetch::{FetchError, Fetched, Fetcher};
#[cfg(feature = "online")]
pub use http::HttpFetcher;
pub use store::{default_cache_dir, FsStore, MetadataStore, NoStore};
pub use updater::{TargetReport, UpdateReport, Updater};

use crate::time::UnixTime;

/// The Sigstore public-good TUF repository (metadata at the root, targets under
/// `/targets/`).
pub const SIGSTORE_PUBLIC_GOOD_URL: &str = "https://tuf-repo-cdn.sigstore.dev";

/// The embedded trust anchor: Sigstore public-good `root.json` version 16, from npm
/// `@sigstore/tuf@5.0.1` `seeds.json` (sha256
/// `27aea7e372aa7864065174f0661784fcf8b0e28b1dbfebeada31a0f1fb19167f`; provenance in
/// `testdata/README.md`).
pub const EMBEDDED_SIGSTORE_ROOT: &[u8] =
    include_bytes!("../../testdata/tuf/sigstore-root-v16.json");

/// The Sigstore staging TUF repository (`--staging`).
pub const SIGSTORE_STAGING_URL: &str = "https://tuf-repo-cdn.sigstage.dev";

/// Trust anchor for the staging repository: staging `root.json` version 14, from PyPI
/// `sigstore` 4.5.1 (sha256
/// `353d172f05f9e73b4a647b1a464f16726d929cbfd030cc42bffb86cd742fb61f`; provenance in
/// `testdata/README.md`). It has expired, which TUF allows for every root but the final one.
pub const EMBEDDED_STAGING_ROOT: &[u8] =
    include_bytes!("../../testdata/tuf/sigstage-root-v14.json");

/// The target holding the Sigstore trusted root.
pub const TRUSTED_ROOT_TARGET: &str = "trusted_root.json";

/// Where the update keeps its cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheLocation {
    /// `$XDG_CACHE_HOME/rulepack-verify/tuf/<host>/` (else `~/.cache/…`) for the
    /// repository; no cache if neither can be determined.
    Default,
    /// This directory.
    Dir(PathBuf),
    /// No cache: everything is downloaded on every run.
    Disabled,
}

/// Which TUF repository to use and how (`--tuf-url`, `--tuf-root`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TufOptions {
    /// Metadata base URL (default `https://tuf-repo-cdn.sigstore.dev`, Sigstore
    /// public-good).
    pub repository_url: String,
    /// Targets base URL; `None` = `<repository_url>/targets/`.
    pub targets_url: Option<String>,
    /// The trusted `root.json` to start from; `None` = the embedded public-good root v16
    /// (npm `@sigstore/tuf@5.0.1` `seeds.json`).
    pub root: Option<Vec<u8>>,
    /// The cache.
    pub cache: CacheLocation,
}

impl TufOptions {
    /// The Sigstore public-good repository from the embedded root v16, with the default
    /// cache (the same as `TufOptions::default()`).
    pub fn public_good() -> Self {
        Self::default()
    }

    /// The Sigstore staging repository from its embedded root v14, with the default
    /// cache.
    pub fn staging() -> Self {
        Self {
            repository_url: SIGSTORE_STAGING_URL.to_string(),
            targets_url: None,
            root: Some(EMBEDDED_STAGING_ROOT.to_vec()),
            cache: CacheLocation::Default,
        }
    }
}

impl Default for TufOptions {
    fn default() -> Self {
        Self {
            repository_url: SIGSTORE_PUBLIC_GOOD_URL.to_string(),
            targets_url: None,
            root: None,
            cache: CacheLocation::Default,
        }
    }
}

/// A verified `trusted_root.json` and what the update trusted to get it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustedRootUpdate {
    /// The target bytes, verified against the signed targets metadata (parse them with
    /// the trust-root module).
    pub trusted_root_json: Vec<u8>,
    /// TUF versions and expiries.
    pub report: UpdateReport,
    /// The target's length and digest.
    pub target: TargetReport,
}

impl TrustedRootUpdate {
    /// A human-readable summary of the TUF side (the CLI adds the root's contents).
    pub fn describe(&self) -> String {
        let mut s = self.report.describe();
        s.push_str(&format!(
            "  target     {} ({} bytes, sha256 {}){}\n",
            self.target.name,
            self.target.length,
            self.target.sha256.as_deref().unwrap_or("not listed"),
            if self.target.from_cache {
                ", from cache"
            } else {
                ""
            }
        ));
        s
    }
}

/// Obtains and verifies `trusted_root.json` through TUF with `fetcher`, at time `now`.
pub fn update_trusted_root(
    opts: &TufOptions,
    fetcher: &dyn Fetcher,
    now: UnixTime,
) -> Result<TrustedRootUpdate, TufError> {
    let anchor = opts.root.as_deref().unwrap_or(EMBEDDED_SIGSTORE_ROOT);
    let targets_url = opts
        .targets_url
        .clone()
        .unwrap_or_else(|| format!("{}/targets/", opts.repository_url.trim_end_matches('/')));
    let dir = match &opts.cache {
        CacheLocation::Default => default_cache_dir(&opts.repository_url),
        CacheLocation::Dir(d) => Some(d.clone()),
        CacheLocation::Disabled => None,
    };
    let fs;
    let store: &dyn MetadataStore = match dir {
        Some(d) => {
            fs = FsStore::new(d);
            &fs
        }
        None => &NoStore,
    };
    let mut updater = Updater::new(
        anchor,
        &opts.repository_url,
        &targets_url,
        fetcher,
        store,
        now,
    );
    updater.refresh()?;
    let (bytes, target) = updater.download_target(TRUSTED_ROOT_TARGET)?;
    Ok(TrustedRootUpdate {
        trusted_root_json: bytes,
        report: updater.report().clone(),
        target,
    })
}

/// [`update_trusted_root`] over HTTPS with the built-in fetcher: ureq + rustls with the
/// compiled-in Mozilla roots, bodies capped while reading, bounded redirects that may
/// not leave HTTPS, timeouts from [`crate::limits`].
#[cfg(feature = "online")]
pub fn update_trusted_root_online(
    opts: &TufOptions,
    now: UnixTime,
) -> Result<TrustedRootUpdate, TufError> {
    update_trusted_root(opts, &HttpFetcher::new(), now)
}

/// Parse-only entry to the TUF metadata parser, for the fuzz targets
/// (`fuzz/fuzz_targets/tuf_metadata.rs`): parses `bytes` as each top-level role
/// (root, timestamp, snapshot, targets) and, for a root, counts its valid self-signatures.
/// Returns how many role types accepted the bytes. Not part of the supported API.
#[doc(hidden)]
#[cfg(any(test, feature = "unstable-internals"))]
pub fn fuzz_parse_metadata(bytes: &[u8]) -> usize {
    use metadata::{count_valid, parse, Ctx, Root, Snapshot, Targets, Timestamp};
    let step = Step::TrustAnchor;
    let ctx = Ctx {
        step: &step,
        url: "fuzz",
    };
    let mut ok = 0;
    if let Ok(root) = parse::<Root>(ctx, bytes) {
        ok += 1;
        if let Some(role) = root.role.roles.get("root") {
            let _ = count_valid(&root, &root.role.keys, role);
        }
    }
    ok += usize::from(parse::<Timestamp>(ctx, bytes).is_ok());
    ok += usize::from(parse::<Snapshot>(ctx, bytes).is_ok());
    ok += usize::from(parse::<Targets>(ctx, bytes).is_ok());
    ok
}

/// Real TUF metadata vendored from registry packages into `testdata/tuf/` (package,
/// version, file and sha256 of each in `testdata/README.md`), for the unit tests.
#[cfg(test)]
pub(crate) mod vendored {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    /// Sigstore public-good `root.json` versions from npm `@sigstore/tuf` and PyPI
    /// `sigstore`: every version a package ships (v6, v11 and v1–v4 are in none).
    pub(crate) const PUBLIC_GOOD_ROOTS: &[u64] = &[5, 7, 8, 9, 10, 12, 13, 14, 15, 16];

    /// Sigstore staging `root.json` versions (PyPI `sigstore` 4.5.1, crates.io
    /// `sigstore-trust-root` 0.15.1).
    pub(crate) const STAGING_ROOTS: &[u64] = &[14, 15];

    /// The python-tuf reference repository (crates.io `sigstore-tuf` 0.15.1): metadata
    /// file names under `testdata/tuf/python-tuf-reference/metadata/`.
    pub(crate) const PYTHON_TUF_METADATA: &[&str] = &[
        "1.root.json",
        "timestamp.json",
        "snapshot.json",
        "targets.json",
        "role1.json",
        "role2.json",
    ];

    /// `testdata/tuf/<rel>`.
    pub(crate) fn read(rel: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/tuf")
            .join(rel);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// Public-good root version `v`.
    pub(crate) fn public_good_root(v: u64) -> Vec<u8> {
        read(&format!("sigstore-root-v{v}.json"))
    }

    /// Staging root version `v`.
    pub(crate) fn staging_root(v: u64) -> Vec<u8> {
        read(&format!("sigstage-root-v{v}.json"))
    }
}
