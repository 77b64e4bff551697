//! `verify` and `pull`: the main job. Before a rule pack loads, prove that the publisher
//! we trust produced its bytes (docs/verification.md, "Trust policy").

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::trust::{self, TrustArgs, TRUST_OPTIONS};
use super::{now, read_file_or_stdin, Args, Failure, UsageError};
use crate::config::{self, RulePacks};
use crate::oci::{
    self, ArtifactSource, Deadline, DeadlineKind, Digest, ImageManifest, OciLayout, Reference,
};
use crate::pack::{self, layers, PackFailure, Tier, VerifiedPack};
use crate::policy::{IdentityRule, Matcher};
use crate::time::format_rfc3339;
use crate::verify::TimeSource;
use crate::{limits, Error};

const VALUED: &[&str] = &[
    "config",
    "output",
    "layout",
    "registry-mirror",
    "insecure-registry",
    "ca-file",
    "certificate-identity",
    "certificate-identity-regexp",
    "certificate-oidc-issuer",
    "certificate-oidc-issuer-regexp",
    "out",
    "jobs",
    "connect-timeout",
    "request-timeout",
    "pack-timeout",
    "run-timeout",
];

/// What to do, after the command line and configuration are read.
pub(super) struct Plan {
    pub(super) refs: Vec<Reference>,
    pub(super) verify_signature: bool,
    third_party: Vec<IdentityRule>,
    trust: TrustArgs,
    config_root: Option<PathBuf>,
    pub(super) layout: Option<PathBuf>,
    // Registry options: only the online build talks to registries.
    #[cfg_attr(not(feature = "online"), allow(dead_code))]
    mirrors: Vec<(String, String)>,
    #[cfg_attr(not(feature = "online"), allow(dead_code))]
    insecure: Vec<String>,
    #[cfg_attr(not(feature = "online"), allow(dead_code))]
    ca_file: Option<PathBuf>,
    pub(super) json: bool,
    /// Packs verified (and, for `pull`, written) at once.
    jobs: usize,
    #[cfg_attr(not(feature = "online"), allow(dead_code))]
    connect_timeout: Duration,
    #[cfg_attr(not(feature = "online"), allow(dead_code))]
    request_timeout: Duration,
    pack_timeout: Duration,
    run_timeout: Duration,
}

pub(super) enum Outcome {
    Verified(Box<VerifiedPack>),
    /// `verifySignature: false`: resolved, not verified.
    Unverified {
        reference: Reference,
        digest: Digest,
        manifest: Box<ImageManifest>,
    },
    Failed(Box<PackFailure>),
}

impl Outcome {
    /// The reference, manifest digest and manifest of a pack that verified or resolved.
    pub(super) fn pack(&self) -> Option<(&Reference, Digest, &ImageManifest)> {
        match self {
            Self::Verified(v) => Some((&v.reference, v.digest, &v.manifest)),
            Self::Unverified {
                reference,
                digest,
                manifest,
            } => Some((reference, *digest, manifest.as_ref())),
            Self::Failed(_) => None,
        }
    }
}

/// `--registry-mirror HOST=URL` (each) and `--insecure-registry HOST` (each), hosts
/// lower-cased and URLs without a trailing `/`: the registry flags of `verify`, `pull`
/// and `inspect`.
pub(super) fn registry_flags(a: &Args) -> Result<RegistryFlags, Failure> {
    let mut mirrors = Vec::new();
    for m in a.all("registry-mirror") {
        let (host, url) = m
            .split_once('=')
            .ok_or_else(|| UsageError(format!("--registry-mirror {m:?}: expected HOST=URL")))?;
        mirrors.push((
            host.to_ascii_lowercase(),
            url.trim_end_matches('/').to_owned(),
        ));
    }
    let insecure = a
        .all("insecure-registry")
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    Ok(RegistryFlags { mirrors, insecure })
}

/// What [`registry_flags`] read.
pub(super) struct RegistryFlags {
    /// (registry host, mirror URL), in order.
    pub(super) mirrors: Vec<(String, String)>,
    /// Hosts allowed plain HTTP.
    pub(super) insecure: Vec<String>,
}

pub(crate) fn verify(argv: &[String]) -> Result<(), Failure> {
    let (plan, _) = plan(argv, false)?;
    // With a layout source, every layer blob of a pack that verified must exist and
    // match its descriptor: local and cheap, and a broken mirror is caught before deploy.
    let check_layout = |p: AfterPack<'_>| {
        if plan.layout.is_some() {
            layers::check_layout_blobs(p.source, p.reference, p.digest, p.manifest)?;
        }
        Ok(())
    };
    let results = run(&plan, &check_layout)?;
    report(&plan, &results, &[]);
    finish(&results.outcomes)
}

pub(super) fn plan(argv: &[String], pull: bool) -> Result<(Plan, Option<PathBuf>), Failure> {
    let mut valued: Vec<&'static str> = VALUED.to_vec();
    valued.extend(TRUST_OPTIONS);
    let a = Args::parse(argv, &valued, &["staging"])?;
    let json = match a.one("output")? {
        None | Some("text") => false,
        Some("json") => true,
        Some(o) => {
            return Err(UsageError(format!("--output must be text or json, not {o:?}")).into())
        }
    };
    let out = a.one("out")?.map(PathBuf::from);
    if out.is_some() && !pull {
        return Err(UsageError("--out is for the pull command".into()).into());
    }
    let trust = TrustArgs::from_args(&a)?;
    let RegistryFlags {
        mut mirrors,
        insecure,
    } = registry_flags(&a)?;
    let ca_file = a.one("ca-file")?.map(PathBuf::from);
    let mut layout = a.one("layout")?.map(PathBuf::from);
    let mut jobs = a
        .one("jobs")?
        .map(|v| {
            config::parse_jobs(v)
                .ok_or_else(|| UsageError(format!("--jobs must be {}", config::JOBS_SYNTAX)))
        })
        .transpose()?;
    let duration = |name: &str| -> Result<Option<Duration>, UsageError> {
        a.one(name)?
            .map(|v| {
                config::parse_duration(v).ok_or_else(|| {
                    UsageError(format!("--{name} must be {}", config::DURATION_SYNTAX))
                })
            })
            .transpose()
    };
    let mut timeouts = config::Timeouts {
        connect: duration("connect-timeout")?,
        request: duration("request-timeout")?,
        pack: duration("pack-timeout")?,
        run: duration("run-timeout")?,
    };
    let identity_flags = [
        "certificate-identity",
        "certificate-identity-regexp",
        "certificate-oidc-issuer",
        "certificate-oidc-issuer-regexp",
    ];
    let mut config_root = None;
    let (refs, verify_signature, third_party) = match a.one("config")? {
        Some(path) => {
            if !a.positionals.is_empty() {
                return Err(UsageError(
                    "give either --config FILE or oci:// references, not both".into(),
                )
                .into());
            }
            if identity_flags.iter().any(|f| !a.all(f).is_empty()) {
                return Err(UsageError(
                    "identity options are for one-off checks; with --config, trusted identities come from rulePacks.trustedIdentities".into(),
                )
                .into());
            }
            // `-` is standard input (relative paths in it are then relative to the
            // working directory). The size limit is the config's own (config.too-large).
            let bytes = read_file_or_stdin(path, limits::MAX_CONFIG_BYTES)?;
            let dir = match path {
                "-" => Path::new("."),
                p => Path::new(p).parent().unwrap_or_else(|| Path::new(".")),
            };
            let cfg = RulePacks::from_yaml(&bytes, dir).map_err(Error::from)?;
            // Loud, once per run: a rule that trusts (nearly) everyone.
            for w in &cfg.warnings {
                eprintln!("warning: {w}");
            }
            let mut refs: Vec<Reference> = Vec::with_capacity(cfg.extras.len());
            let mut first_at: Vec<usize> = Vec::with_capacity(cfg.extras.len());
            for (index, r) in cfg.extras.iter().enumerate() {
                let parsed = Reference::parse(r).map_err(|e| {
                    Error::from(crate::config::ConfigError::Reference {
                        index,
                        reference: r.clone(),
                        reason: e.to_string(),
                    })
                })?;
                // The same pack twice (after normalization: host case, :443) is
                // verified once.
                if let Some(k) = refs.iter().position(|x| *x == parsed) {
                    eprintln!(
                        "warning: rulePacks.extras[{index}] {parsed} is listed more than once (first as extras[{}]); it is verified once",
                        first_at.get(k).copied().unwrap_or(k)
                    );
                    continue;
                }
                refs.push(parsed);
                first_at.push(index);
            }
            if refs.is_empty() {
                eprintln!("warning: rulePacks.extras lists no packs: there is nothing to verify");
            }
            config_root = cfg.trusted_root.clone();
            if layout.is_none() {
                layout = cfg.layout.clone();
            }
            for m in cfg.mirrors {
                if !mirrors.iter().any(|(h, _)| *h == m.0) {
                    mirrors.push(m);
                }
            }
            // The command line wins over the values file.
            jobs = jobs.or(cfg.jobs);
            let t = cfg.timeouts;
            timeouts = config::Timeouts {
                connect: timeouts.connect.or(t.connect),
                request: timeouts.request.or(t.request),
                pack: timeouts.pack.or(t.pack),
                run: timeouts.run.or(t.run),
            };
            (
                refs,
                cfg.verify_signature,
                cfg.trusted_identities.into_iter().map(|t| t.rule).collect(),
            )
        }
        None => {
            if a.positionals.is_empty() {
                return Err(UsageError(
                    "give --config FILE or one or more oci:// references".into(),
                )
                .into());
            }
            let mut refs: Vec<Reference> = Vec::with_capacity(a.positionals.len());
            for r in &a.positionals {
                let parsed = Reference::parse(r).map_err(Error::from)?;
                if refs.contains(&parsed) {
                    eprintln!("warning: {parsed} is listed more than once; it is verified once");
                    continue;
                }
                refs.push(parsed);
            }
            let rules = one_off_rule(&a)?;
            for w in rules.iter().flat_map(|r| r.breadth_warnings()) {
                let flag = if w.identity {
                    "--certificate-identity-regexp"
                } else {
                    "--certificate-oidc-issuer-regexp"
                };
                eprintln!("warning: {flag} /{}/ matches {}", w.pattern, w.matches);
            }
            (refs, true, rules)
        }
    };
    if refs.len() > limits::MAX_PACKS {
        return Err(UsageError(format!("more than {} packs", limits::MAX_PACKS)).into());
    }
    for (host, url) in &mirrors {
        if let Some(rest) = url.strip_prefix("http://") {
            // The mirror URL's authority: up to the first '/', '?' or '#'.
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            if !crate::oci::plain_http_mirror_allowed(authority, host, &insecure) {
                return Err(Error::from(crate::config::ConfigError::Mirror {
                    registry: host.clone(),
                    reason: format!("{url} is plain http://, allowed only for loopback or a host given with --insecure-registry"),
                })
                .into());
            }
        }
    }
    Ok((
        Plan {
            refs,
            verify_signature,
            third_party,
            trust,
            config_root,
            layout,
            mirrors,
            insecure,
            ca_file,
            json,
            jobs: jobs.unwrap_or(limits::DEFAULT_JOBS),
            connect_timeout: timeouts
                .connect
                .unwrap_or(Duration::from_secs(limits::HTTP_CONNECT_TIMEOUT_SECS)),
            request_timeout: timeouts
                .request
                .unwrap_or(Duration::from_secs(limits::HTTP_REQUEST_TIMEOUT_SECS)),
            pack_timeout: timeouts
                .pack
                .unwrap_or(Duration::from_secs(limits::DEFAULT_PACK_DEADLINE_SECS)),
            run_timeout: timeouts
                .run
                .unwrap_or(Duration::from_secs(limits::DEFAULT_RUN_DEADLINE_SECS)),
        },
        out,
    ))
}

/// `--certificate-identity[-regexp]` + `--certificate-oidc-issuer[-regexp]` as one
/// trusted identity (third-party packs only; first-party packs stay pinned).
fn one_off_rule(a: &Args) -> Result<Vec<IdentityRule>, Failure> {
    let id = match (
        a.one("certificate-identity")?,
        a.one("certificate-identity-regexp")?,
    ) {
        (Some(s), None) => Some(Matcher::exact(s)),
        (None, Some(r)) => Some(Matcher::regex(r).map_err(Error::from)?),
        (None, None) => None,
        _ => {
            return Err(UsageError(
                "give only one of --certificate-identity and --certificate-identity-regexp".into(),
            )
            .into())
        }
    };
    let iss =
        match (
            a.one("certificate-oidc-issuer")?,
            a.one("certificate-oidc-issuer-regexp")?,
        ) {
            (Some(s), None) => Some(Matcher::exact(s)),
            (None, Some(r)) => Some(Matcher::regex(r).map_err(Error::from)?),
            (None, None) => None,
            _ => return Err(UsageError(
                "give only one of --certificate-oidc-issuer and --certificate-oidc-issuer-regexp"
                    .into(),
            )
            .into()),
        };
    match (iss, id) {
        (Some(i), Some(s)) => Ok(vec![IdentityRule::new(i, s)]),
        (None, None) => Ok(Vec::new()),
        _ => {
            Err(UsageError("an identity needs both an issuer and an identity option".into()).into())
        }
    }
}

/// Where packs come from.
enum Source {
    Layout(OciLayout),
    #[cfg(feature = "online")]
    Registry(Box<crate::oci::RegistryClient>),
}

pub(super) struct Results {
    pub(super) outcomes: Vec<Outcome>,
    /// By position: where a pinned tag points when that is not the pinned digest.
    notes: Vec<Option<TagNote>>,
    pub(super) source: SourceInfo,
}

/// Where a `tag@digest` reference's tag points now (`None`: it could not be resolved),
/// and the sentence that says so.
type TagNote = (Option<Digest>, String);

/// The artifact source and how to describe where a pack came from.
pub(super) struct SourceInfo {
    source: Source,
    layout: Option<PathBuf>,
    #[cfg(feature = "online")]
    endpoints: std::collections::HashMap<String, String>,
}

impl SourceInfo {
    /// Runs `f` with the source one pack fetches through: a registry's requests all end
    /// by `deadline` (a local layout has nothing to wait for).
    fn with_deadline<T>(
        &self,
        deadline: Deadline,
        f: impl FnOnce(&(dyn ArtifactSource + Sync)) -> T,
    ) -> T {
        match &self.source {
            Source::Layout(l) => {
                let _ = deadline;
                f(l)
            }
            #[cfg(feature = "online")]
            Source::Registry(c) => f(&c.until(deadline)),
        }
    }

    fn served_by(&self, r: &Reference) -> String {
        if let Some(l) = &self.layout {
            return format!("layout {}", l.display());
        }
        #[cfg(feature = "online")]
        if let Some(e) = self.endpoints.get(r.registry()) {
            return format!("mirror {e}");
        }
        format!("registry {}", r.registry())
    }
}

fn open_source(plan: &Plan) -> Result<SourceInfo, Failure> {
    if let Some(dir) = &plan.layout {
        let l = OciLayout::open(dir).map_err(Error::from)?;
        return Ok(SourceInfo {
            source: Source::Layout(l),
            layout: Some(dir.clone()),
            #[cfg(feature = "online")]
            endpoints: Default::default(),
        });
    }
    open_registry(plan)
}

#[cfg(feature = "online")]
fn open_registry(plan: &Plan) -> Result<SourceInfo, Failure> {
    use crate::oci::{ClientOptions, RegistryClient};
    let mut opts = ClientOptions::from_env();
    opts.insecure_registries = plan.insecure.clone();
    if plan.ca_file.is_some() {
        opts.ca_file = plan.ca_file.clone();
    }
    opts.mirrors = plan.mirrors.iter().cloned().collect();
    opts.connect_timeout = plan.connect_timeout;
    opts.request_timeout = plan.request_timeout;
    // Each job has one request in flight: keep that many connections for reuse.
    opts.idle_connections_per_host = plan.jobs;
    let client = RegistryClient::new(opts).map_err(Error::from)?;
    Ok(SourceInfo {
        source: Source::Registry(Box::new(client)),
        layout: None,
        endpoints: plan.mirrors.iter().cloned().collect(),
    })
}

#[cfg(not(feature = "online"))]
fn open_registry(_plan: &Plan) -> Result<SourceInfo, Failure> {
    Err(UsageError(
        "this build has no network support (built without the `online` feature); use an OCI image layout (--layout DIR or rulePacks.layout)".into(),
    )
    .into())
}

/// A pack that verified (or, with `verifySignature: false`, resolved), handed to the
/// per-pack step that runs after verification on the same worker.
#[derive(Clone, Copy)]
pub(super) struct AfterPack<'a> {
    /// Its position in `plan.refs`.
    pub(super) index: usize,
    pub(super) source: &'a (dyn ArtifactSource + Sync),
    pub(super) reference: &'a Reference,
    pub(super) digest: Digest,
    pub(super) manifest: &'a ImageManifest,
    /// The file each layer becomes, checked (`layers::layer_files`, `check_sizes`).
    pub(super) files: &'a [layers::LayerFile],
}

/// Runs after a pack verified, on the same worker (so its I/O has the verification's
/// bounded concurrency, and its source the pack's deadline); an error fails the pack.
pub(super) type After<'a> = dyn Fn(AfterPack<'_>) -> Result<(), Error> + Sync + 'a;

pub(super) fn run(plan: &Plan, after: &After<'_>) -> Result<Results, Failure> {
    let started = Instant::now();
    let run_deadline = Deadline::new(started, DeadlineKind::Run, plan.run_timeout);
    let root = if plan.verify_signature {
        // The TUF refresh is network work of this run: the run's deadline bounds it too.
        let bounds = trust::TufBounds {
            connect: plan.connect_timeout,
            request: plan.request_timeout,
            run: Some(run_deadline),
        };
        let r = trust::load(&plan.trust, plan.config_root.as_deref(), &bounds)
            .map_err(Failure::setup)?;
        eprintln!("trust root: {}", r.source);
        Some(crate::verify::Verifier::new(r.root))
    } else {
        // docs/verification.md, "Trust policy": the explicit air-gapped mode, said once per run (and once per pack below).
        eprintln!(
            "warning: signature verification is DISABLED by configuration (rulePacks.verifySignature: false); packs are resolved but NOT verified"
        );
        None
    };
    let source = open_source(plan).map_err(Failure::setup)?;
    let n = plan.refs.len();
    let next = AtomicUsize::new(0);
    // By position: each pack's outcome and tag note, once a worker has it.
    type Slot = Option<(Outcome, Option<TagNote>)>;
    let slots: Mutex<Vec<Slot>> = Mutex::new((0..n).map(|_| None).collect());
    let workers = n.clamp(1, plan.jobs.max(1));
    let progress = n > 1;
    if progress {
        eprintln!("verifying {n} rule packs ({workers} at a time)");
    }
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(r) = plan.refs.get(i) else { break };
                let t0 = Instant::now();
                // The pack's own deadline, within the run's; a pack not started when the
                // run's deadline passes fails without a request.
                let deadline =
                    Deadline::new(t0, DeadlineKind::Pack, plan.pack_timeout).earlier(run_deadline);
                let (outcome, note) = if run_deadline.passed() {
                    let f = Outcome::Failed(Box::new(PackFailure {
                        reference: r.clone(),
                        digest: None,
                        tier: Tier::of(r),
                        error: Error::from(run_deadline.exceeded(r.registry())),
                        bundles: Vec::new(),
                    }));
                    (f, None)
                } else {
                    // The tag note's request is the pack's work too, under its deadline.
                    source.with_deadline(deadline, |src| {
                        let o = one_pack(src, i, r, root.as_ref(), plan, after);
                        let note = tag_note(src, &o);
                        (o, note)
                    })
                };
                let took = t0.elapsed();
                if progress || took > Duration::from_secs(2) {
                    let what = match &outcome {
                        Outcome::Verified(_) => "verified",
                        Outcome::Unverified { .. } => "resolved (unverified)",
                        Outcome::Failed(_) => "FAILED",
                    };
                    eprintln!(
                        "  [{}/{n}] {r}: {what} in {:.2}s",
                        i + 1,
                        took.as_secs_f64()
                    );
                }
                if let Ok(mut v) = slots.lock() {
                    if let Some(slot) = v.get_mut(i) {
                        *slot = Some((outcome, note));
                    }
                }
            });
        }
    });
    if progress {
        eprintln!("done in {:.2}s", started.elapsed().as_secs_f64());
    }
    let (outcomes, notes) = slots
        .into_inner()
        .map_err(|_| UsageError("internal error: a worker thread panicked".into()))?
        .into_iter()
        .zip(&plan.refs)
        .map(|(o, r)| {
            o.unwrap_or_else(|| {
                let f = Outcome::Failed(Box::new(PackFailure {
                    reference: r.clone(),
                    digest: None,
                    tier: Tier::of(r),
                    error: Error::from(crate::oci::RegistryError::NoBundle {
                        reference: r.to_string(),
                        digest: String::new(),
                    }),
                    bundles: Vec::new(),
                }));
                (f, None)
            })
        })
        .unzip();
    Ok(Results {
        outcomes,
        notes,
        source,
    })
}

/// One pack: verified (or, with `verifySignature: false`, only resolved), then the
/// `after` step, all through `src`.
fn one_pack(
    src: &(dyn ArtifactSource + Sync),
    index: usize,
    r: &Reference,
    verifier: Option<&crate::verify::Verifier>,
    plan: &Plan,
    after: &After<'_>,
) -> Outcome {
    let outcome = match verifier {
        Some(verifier) => match pack::verify_pack(src, r, verifier, &plan.third_party, now()) {
            Ok(v) => Outcome::Verified(Box::new(v)),
            Err(f) => Outcome::Failed(f),
        },
        None => match oci::resolve_pack(src, r) {
            Ok((d, manifest)) => {
                eprintln!(
                    "warning: {} is loaded WITHOUT signature verification (verifySignature: false)",
                    pack::pinned_name(r, &d.digest)
                );
                Outcome::Unverified {
                    reference: r.clone(),
                    digest: d.digest,
                    manifest: Box::new(manifest),
                }
            }
            Err(e) => Outcome::Failed(Box::new(PackFailure {
                reference: r.clone(),
                digest: None,
                tier: Tier::of(r),
                error: e.into(),
                bundles: Vec::new(),
            })),
        },
    };
    let Some((reference, digest, manifest)) = outcome.pack() else {
        return outcome;
    };
    // `verify` refuses what `pull` could not write: every layer's file and size are
    // checked on the manifest (docs/pull.md), before anything is fetched.
    let files = layers::layer_files(manifest)
        .map_err(Error::from)
        .and_then(|f| {
            layers::check_sizes(manifest)
                .map(|()| f)
                .map_err(Error::from)
        });
    let checked = files.and_then(|files| {
        after(AfterPack {
            index,
            source: src,
            reference,
            digest,
            manifest,
            files: &files,
        })
    });
    match checked {
        Ok(()) => outcome,
        Err(error) => Outcome::Failed(Box::new(PackFailure {
            reference: reference.clone(),
            digest: Some(digest),
            tier: Tier::of(reference),
            error,
            bundles: Vec::new(),
        })),
    }
}

fn signer(v: &VerifiedPack) -> (String, String, String) {
    let vv = &v.verified;
    let id = vv
        .identity
        .as_ref()
        .map(|i| i.value().to_owned())
        .unwrap_or_default();
    let iss = vv.issuer.clone().unwrap_or_default();
    let at = vv
        .signing_time()
        .map(|t| format_rfc3339(t.time))
        .unwrap_or_default();
    (id, iss, at)
}

/// The longest reason printed on a text result line; the rest is in `--output json`.
const MAX_REASON_CHARS: usize = 600;

/// For a reference that pins both a tag and a digest: where the tag points now, when
/// that is not the pinned digest (the digest governs; the tag is only a name). `None`
/// when the reference pins only one of them, or the tag agrees.
fn tag_note(src: &(dyn ArtifactSource + Sync), o: &Outcome) -> Option<TagNote> {
    let (r, digest) = match o {
        Outcome::Verified(v) => (&v.reference, v.digest),
        Outcome::Unverified {
            reference, digest, ..
        } => (reference, *digest),
        Outcome::Failed(f) => (&f.reference, f.digest?),
    };
    let tag = r.tag()?;
    r.digest()?;
    let by_tag =
        Reference::parse(&format!("oci://{}/{}:{tag}", r.registry(), r.repository())).ok()?;
    match src.resolve(&by_tag) {
        Ok(d) if d.digest == digest => None,
        Ok(d) => Some((
            Some(d.digest),
            format!(
                "tag {tag} now points to {}, not to the pinned digest; the pinned digest {digest} is what was checked",
                d.digest
            ),
        )),
        Err(e) => Some((
            None,
            format!(
                "tag {tag} could not be resolved (error[{}]); the pinned digest {digest} is what was checked",
                e.code()
            ),
        )),
    }
}

/// Prints the per-pack results and the summary. `paths`: where `pull` wrote each pack
/// (by position; missing or `None`: not written). With `--output json` nothing is
/// printed here: the packs go into the run's one JSON document, which the CLI prints
/// with the run's final outcome.
pub(super) fn report(plan: &Plan, results: &Results, paths: &[Option<PathBuf>]) {
    let (outcomes, notes, src) = (&results.outcomes, &results.notes, &results.source);
    if plan.json {
        let packs: Vec<serde_json::Value> = outcomes
            .iter()
            .zip(notes)
            .enumerate()
            .map(|(i, (o, n))| {
                let mut v = json_pack(o, src, paths.get(i).and_then(Option::as_deref));
                if let (Some((d, note)), Some(obj)) = (n, v.as_object_mut()) {
                    obj.insert(
                        "tagDigest".into(),
                        serde_json::json!(d.map(|d| d.to_string())),
                    );
                    obj.insert("note".into(), serde_json::json!(note));
                }
                v
            })
            .collect();
        super::json_packs(packs);
        return;
    }
    let redact = |s: String| crate::oci::redact_credentials(&s).into_owned();
    let (mut ok, mut unverified, mut failed) = (0, 0, 0);
    for (o, note) in outcomes.iter().zip(notes) {
        let note = note
            .as_ref()
            .map(|(_, n)| format!("  note: {n}"))
            .unwrap_or_default();
        match o {
            Outcome::Verified(v) => {
                ok += 1;
                let (id, iss, at) = signer(v);
                let how = match v.verified.signing_time().map(|t| &t.source) {
                    Some(TimeSource::TransparencyLog { .. }) => "Rekor SET",
                    Some(TimeSource::Timestamp { .. }) => "RFC 3161 timestamp",
                    None => "",
                };
                println!(
                    "{}",
                    redact(format!(
                        "verified    {}  tier={}  signer={id}  issuer={iss}  signed={at} ({how})  from {}{note}",
                        pack::pinned_name(&v.reference, &v.digest),
                        v.tier.as_str(),
                        src.served_by(&v.reference)
                    ))
                );
            }
            Outcome::Unverified {
                reference, digest, ..
            } => {
                unverified += 1;
                println!(
                    "{}",
                    redact(format!(
                        "UNVERIFIED  {}  tier={}  signature verification disabled by configuration  from {}{note}",
                        pack::pinned_name(reference, digest),
                        Tier::of(reference).as_str(),
                        src.served_by(reference)
                    ))
                );
            }
            Outcome::Failed(f) => {
                failed += 1;
                let full = f.to_string();
                let mut reason = f.summary();
                if reason.chars().count() > MAX_REASON_CHARS {
                    reason = reason.chars().take(MAX_REASON_CHARS).collect();
                    reason.push('…');
                }
                if reason != full {
                    reason.push_str(" (full detail: --output json)");
                }
                println!(
                    "{}",
                    redact(format!(
                        "FAILED      {reason}  [error[{}], tier={}]{note}",
                        f.error.code(),
                        f.tier.as_str()
                    ))
                );
            }
        }
    }
    if outcomes.is_empty() {
        println!("0 packs: nothing to verify (rulePacks.extras is empty)");
        return;
    }
    let failed_word = if plan.verify_signature {
        "failed"
    } else {
        // With verification off, a pack fails only when it cannot be resolved.
        "failed to resolve"
    };
    println!(
        "{} packs: {ok} verified, {failed} {failed_word}{}",
        outcomes.len(),
        if unverified > 0 {
            format!(", {unverified} unverified (verification disabled)")
        } else {
            String::new()
        }
    );
}

pub(super) fn json_pack(o: &Outcome, src: &SourceInfo, path: Option<&Path>) -> serde_json::Value {
    use serde_json::{json, Value};
    let redact = |s: String| crate::oci::redact_credentials(&s).into_owned();
    let path = path.map_or(Value::Null, |p| Value::from(p.display().to_string()));
    let mut v = match o {
        Outcome::Verified(v) => {
            let (id, iss, at) = signer(v);
            json!({
                "reference": v.reference.to_string(), "digest": v.digest.to_string(),
                "tier": v.tier.as_str(), "status": "verified", "identity": id, "issuer": iss,
                "signedAt": at, "source": redact(src.served_by(&v.reference)),
                "bundleDigest": v.bundle_digest.to_string(), "error": Value::Null, "path": path,
            })
        }
        Outcome::Unverified {
            reference, digest, ..
        } => json!({
            "reference": reference.to_string(), "digest": digest.to_string(),
            "tier": Tier::of(reference).as_str(), "status": "unverified", "identity": Value::Null,
            "issuer": Value::Null, "signedAt": Value::Null, "source": redact(src.served_by(reference)),
            "bundleDigest": Value::Null, "error": Value::Null, "path": path,
        }),
        Outcome::Failed(f) => json!({
            "reference": f.reference.to_string(), "digest": f.digest.map(|d| d.to_string()),
            "tier": f.tier.as_str(), "status": "failed", "identity": Value::Null, "issuer": Value::Null,
            "signedAt": Value::Null, "source": redact(src.served_by(&f.reference)), "bundleDigest": Value::Null,
            "error": { "code": f.error.code(), "message": redact(f.to_string()),
                       "bundles": f.bundles.iter().map(|b| json!({
                           "referrerDigest": b.referrer.to_string(),
                           "bundleDigest": b.bundle.map(|d| d.to_string()),
                           "code": b.error.code(), "message": redact(b.error.to_string())})).collect::<Vec<_>>() },
            "path": Value::Null,
        }),
    };
    // Set by the report for tag@digest references whose tag points elsewhere.
    if let Some(m) = v.as_object_mut() {
        m.insert("tagDigest".into(), Value::Null);
        m.insert("note".into(), Value::Null);
    }
    v
}

/// 0 all verified (or unverified by explicit choice); 1 a verification failed;
/// 3 only unreachable registry failures.
pub(super) fn finish(outcomes: &[Outcome]) -> Result<(), Failure> {
    let failures: Vec<&PackFailure> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Failed(f) => Some(f.as_ref()),
            _ => None,
        })
        .collect();
    if failures.is_empty() {
        return Ok(());
    }
    let unreachable = |e: &Error| matches!(e, Error::Registry(r) if r.is_unreachable());
    Err(Failure::Packs {
        failed: failures.len(),
        all_unreachable: failures.iter().all(|f| unreachable(&f.error)),
    })
}
