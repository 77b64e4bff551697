//! Where the trust root comes from, and the `trust-root update|show` command.
//!
//! docs/trust-root.md: by default the Sigstore public-good root obtained through TUF, refreshed
//! online on every run; any failure is fatal (exit 3), never a fallback to an embedded
//! snapshot. A `trusted_root.json` given explicitly (`--trusted-root`, config
//! `trustedRoot`) is used as is, with no network access for trust.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[cfg(feature = "online")]
use super::now;
use super::{read_file, Args, Failure, UsageError};
use crate::limits;
use crate::time::format_rfc3339;
use crate::trust_root::{CertificateAuthority, TransparencyLog, TrustedRoot};
use crate::Error;

/// The trust-root options every command shares.
pub(crate) const TRUST_OPTIONS: [&str; 3] = ["trusted-root", "tuf-url", "tuf-root"];

/// The network bounds of a TUF refresh: each request's timeouts and, for `verify` and
/// `pull`, the run's deadline (docs/configuration.md, "Jobs, timeouts and deadlines").
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(feature = "online"), allow(dead_code))]
pub(crate) struct TufBounds {
    pub(crate) connect: Duration,
    pub(crate) request: Duration,
    /// The run's deadline.
    pub(crate) run: Option<crate::oci::Deadline>,
}

impl Default for TufBounds {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(limits::HTTP_CONNECT_TIMEOUT_SECS),
            request: Duration::from_secs(limits::HTTP_REQUEST_TIMEOUT_SECS),
            run: None,
        }
    }
}

/// Trust-root choice from the command line (and, for `verify --config`, the config).
#[derive(Debug, Default)]
pub(crate) struct TrustArgs {
    pub(crate) trusted_root: Option<PathBuf>,
    pub(crate) tuf_url: Option<String>,
    pub(crate) tuf_root: Option<PathBuf>,
    pub(crate) staging: bool,
}

impl TrustArgs {
    pub(crate) fn from_args(a: &Args) -> Result<Self, Failure> {
        let t = Self {
            trusted_root: a.one("trusted-root")?.map(PathBuf::from),
            tuf_url: a.one("tuf-url")?.map(str::to_owned),
            tuf_root: a.one("tuf-root")?.map(PathBuf::from),
            staging: a.flag("staging"),
        };
        if t.trusted_root.is_some() && (t.tuf_url.is_some() || t.tuf_root.is_some() || t.staging) {
            return Err(UsageError(
                "--trusted-root uses a file as is; it cannot be combined with --tuf-url, --tuf-root or --staging".into(),
            )
            .into());
        }
        Ok(t)
    }
}

/// A loaded trust root and a sentence saying where it came from.
pub(crate) struct LoadedRoot {
    pub(crate) root: TrustedRoot,
    pub(crate) source: String,
    /// The TUF report, when the root came through TUF.
    pub(crate) tuf_report: Option<String>,
}

/// Loads the trust root. `config_root` is the config's `trustedRoot`, used when no flag
/// overrides it; `bounds` limits the TUF refresh in time.
pub(crate) fn load(
    t: &TrustArgs,
    config_root: Option<&Path>,
    bounds: &TufBounds,
) -> Result<LoadedRoot, Failure> {
    // A trust choice on the command line (a file, or a TUF repository) wins over the
    // config's `trustedRoot`; it is never silently ignored.
    let cli_chose_tuf = t.tuf_url.is_some() || t.tuf_root.is_some() || t.staging;
    let file = t
        .trusted_root
        .as_deref()
        .or(if cli_chose_tuf { None } else { config_root });
    if let Some(p) = file {
        let path = p.display().to_string();
        let bytes = read_file(&path, limits::MAX_TRUSTED_ROOT_BYTES)?;
        let root = TrustedRoot::from_json(&bytes).map_err(Error::from)?;
        return Ok(LoadedRoot {
            root,
            source: format!("{path} (given explicitly; no TUF, no network)"),
            tuf_report: None,
        });
    }
    load_tuf(t, bounds)
}

#[cfg(feature = "online")]
fn load_tuf(t: &TrustArgs, bounds: &TufBounds) -> Result<LoadedRoot, Failure> {
    use crate::tuf::{self, CacheLocation, HttpFetcher, TufOptions};
    let repository_url = match (&t.tuf_url, t.staging) {
        (Some(u), _) => u.clone(),
        (None, true) => tuf::SIGSTORE_STAGING_URL.to_owned(),
        (None, false) => tuf::SIGSTORE_PUBLIC_GOOD_URL.to_owned(),
    };
    let root = match (&t.tuf_root, t.staging) {
        (Some(p), _) => Some(read_file(&p.display().to_string(), limits::MAX_TUF_METADATA_BYTES)?),
        (None, true) if t.tuf_url.is_none() => Some(tuf::EMBEDDED_STAGING_ROOT.to_vec()),
        (None, _) if t.tuf_url.is_some() => {
            return Err(UsageError(
                "--tuf-url needs --tuf-root FILE: the embedded root only anchors the public-good repository".into(),
            )
            .into())
        }
        (None, _) => None,
    };
    let opts = TufOptions {
        repository_url: repository_url.clone(),
        targets_url: None,
        root,
        cache: CacheLocation::Default,
    };
    let mut fetcher = HttpFetcher::with_timeouts(bounds.connect, bounds.request);
    if let Some(d) = bounds.run {
        fetcher = fetcher.until(d);
    }
    let update = tuf::update_trusted_root(&opts, &fetcher, now()).map_err(Error::from)?;
    let root = TrustedRoot::from_json(&update.trusted_root_json).map_err(Error::from)?;
    Ok(LoadedRoot {
        root,
        source: format!(
            "{} via TUF (root v{}, trusted_root.json {} bytes)",
            crate::oci::redact_credentials(&repository_url),
            update.report.root_version,
            update.target.length
        ),
        tuf_report: Some(crate::oci::redact_credentials(&update.describe()).into_owned()),
    })
}

#[cfg(not(feature = "online"))]
fn load_tuf(_t: &TrustArgs, _bounds: &TufBounds) -> Result<LoadedRoot, Failure> {
    Err(UsageError(
        "this build has no network support (built without the `online` feature), so the public-good trust root cannot be fetched through TUF; pass --trusted-root FILE".into(),
    )
    .into())
}

/// `trust-root update|show`.
pub(crate) fn run(argv: &[String]) -> Result<(), Failure> {
    let a = Args::parse(argv, &TRUST_OPTIONS, &["staging"])?;
    let [sub] = a.positionals.as_slice() else {
        return Err(UsageError("usage: trust-root update|show [--trusted-root FILE | --tuf-url URL --tuf-root FILE | --staging]".into()).into());
    };
    if sub != "update" && sub != "show" {
        return Err(UsageError(format!(
            "unknown trust-root subcommand {sub:?} (update or show)"
        ))
        .into());
    }
    let t = TrustArgs::from_args(&a)?;
    if sub == "update" && t.trusted_root.is_some() {
        return Err(UsageError(
            "trust-root update refreshes through TUF; --trusted-root makes no sense here".into(),
        )
        .into());
    }
    let loaded = load(&t, None, &TufBounds::default()).map_err(Failure::setup)?;
    print!("{}", describe_root(&loaded));
    Ok(())
}

fn window(w: &crate::trust_root::ValidityWindow) -> String {
    match w.end {
        Some(e) => format!("{} .. {}", format_rfc3339(w.start), format_rfc3339(e)),
        None => format!("{} .. (open)", format_rfc3339(w.start)),
    }
}

fn logs(out: &mut String, title: &str, logs: &[TransparencyLog]) {
    let _ = writeln!(out, "{title} ({}):", logs.len());
    for l in logs {
        let key = l.public_key.as_ref().map_or_else(
            || format!("{} (unsupported, never used)", l.key_details),
            |k| match k.check_usable() {
                Ok(()) => k.algorithm().to_string(),
                // An RSA key in a build without the `rsa` cargo feature.
                Err(_) => format!(
                    "{} (unusable: this build lacks the `rsa` feature)",
                    k.algorithm()
                ),
            },
        );
        let _ = writeln!(
            out,
            "  {}  key {}  logId {}  valid {}",
            l.base_url,
            key,
            crate::encoding::hex_encode(&l.log_id),
            window(&l.valid_for)
        );
    }
}

fn cas(out: &mut String, title: &str, cas: &[CertificateAuthority]) {
    let _ = writeln!(out, "{title} ({}):", cas.len());
    for c in cas {
        let name = [c.organization.as_deref(), c.common_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "  {}  [{}]  {} certificate(s)  valid {}",
            if c.uri.is_empty() { "(no uri)" } else { &c.uri },
            name,
            c.cert_chain.len(),
            window(&c.valid_for)
        );
    }
}

/// The root's CAs, logs, CT logs and TSAs with their validity windows, and the TUF
/// versions and expiries when it came through TUF.
pub(crate) fn describe_root(l: &LoadedRoot) -> String {
    let mut out = format!("trust root: {}\n", l.source);
    if let Some(r) = &l.tuf_report {
        out.push_str(r);
        if !r.ends_with('\n') {
            out.push('\n');
        }
    }
    let _ = writeln!(out, "media type: {}", l.root.media_type);
    cas(
        &mut out,
        "certificate authorities (Fulcio)",
        &l.root.certificate_authorities,
    );
    logs(&mut out, "transparency logs (Rekor)", &l.root.tlogs);
    logs(&mut out, "certificate transparency logs", &l.root.ctlogs);
    cas(
        &mut out,
        "timestamp authorities",
        &l.root.timestamp_authorities,
    );
    out
}
