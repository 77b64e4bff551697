//! The one place where verification steps are ordered.
//!
//! [`Verifier::verify`] is a pure function of (bundle, artifact digest, trusted root,
//! policy, now).
//! It follows the Sigstore client specification ("Verification" section of
//! `sigstore/architecture-docs` client-spec, as sigstore-go `pkg/verify` implements it)
//! with the thresholds of docs/verification.md ("Thresholds"): at least one verified transparency-log entry, at least
//! one verified signing time, and at least one valid SCT for certificates when the
//! trusted root lists CT logs. Every log entry, timestamp and SCT present must verify.

pub use crate::policy::StatementRequirement;
pub use crate::signature::ArtifactDigests;
#[cfg(any(test, feature = "unstable-internals"))]
pub use crate::signature::{COSIGN_SIGN_PREDICATE, INTOTO_PAYLOAD_TYPE, STATEMENT_V1};

use crate::bundle::{Bundle, Content, SignerMaterial};
use crate::crypto::PublicKey;
use crate::policy::{check_identity, Policy, PolicyError, SignerClaims, VerificationPolicy};
use crate::rekor::{self, LogVerifier, TlogError, VerifiedEntry};
use crate::signature;
use crate::time::UnixTime;
use crate::timestamp::{self, TimestampError, VerifiedTimestamp};
use crate::trust_root::TrustedRoot;
use crate::x509::{self, ChainMemo, FulcioExtensions, SanIdentity, SigningCertificate};
use crate::Error;

/// How a [`Verifier`] schedules its independent signature checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Concurrency {
    /// The RFC 3161 timestamps and the Fulcio chain signatures are verified on two
    /// scoped threads while the calling thread checks the content signature and the
    /// transparency log entries. Errors are then reported in the sequential
    /// order, so the result equals [`Concurrency::Sequential`]'s.
    #[default]
    Threads,
    /// Everything on the calling thread, in pipeline order.
    Sequential,
}

/// Where a verified signing time came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeSource {
    /// A verified Rekor v1 SET (integrated time).
    TransparencyLog {
        /// The log's base URL.
        log: String,
        /// The entry's log index.
        log_index: u64,
    },
    /// A verified RFC 3161 timestamp.
    Timestamp {
        /// The TSA certificate subject.
        authority: String,
    },
}

/// A signing time proven by a log or a timestamp authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTime {
    /// The time.
    pub time: UnixTime,
    /// Its source.
    pub source: TimeSource,
}

/// What a successful verification established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The certificate's SAN identity (`None` for key bundles).
    pub identity: Option<SanIdentity>,
    /// The OIDC issuer (`None` for key bundles).
    pub issuer: Option<String>,
    /// All Fulcio extensions of the leaf (`None` for key bundles).
    pub extensions: Option<FulcioExtensions>,
    /// Every verified signing time, in bundle order (log entries first).
    pub times: Vec<VerifiedTime>,
    /// Every verified log entry.
    pub tlog_entries: Vec<VerifiedEntry>,
    /// Every verified RFC 3161 timestamp.
    pub timestamps: Vec<VerifiedTimestamp>,
    /// Number of verified embedded SCTs.
    pub sct_count: usize,
    /// Index of the policy rule that matched (keyless bundles).
    pub matched_rule: Option<usize>,
}

impl Verified {
    /// The earliest verified signing time.
    pub fn signing_time(&self) -> Option<&VerifiedTime> {
        self.times.iter().min_by_key(|t| t.time)
    }
}

/// Verifies Sigstore bundles against one trusted root. Build it once per trusted root
/// (it keeps what it has shown about the root's own CA chains) and call
/// [`Verifier::verify`] per bundle, with a [`Policy`] per check (sigstore-go's
/// `NewVerifier(trustedMaterial)` / `Verify(entity, policy)`). It is `Sync`: one verifier
/// serves many threads.
///
/// ```
/// use rulepack_verify::{ArtifactDigests, Bundle, Matcher, Policy, TrustedRoot, Verifier};
///
/// // A real production bundle (crates.io `sigstore` 0.15.0, tests/data/bundle_v03.json):
/// // cosign's signature over an OCI image manifest, verified against the Sigstore
/// // public-good trusted root of the same package.
/// let bundle = Bundle::from_json(include_bytes!("../../testdata/real/bundle_v03.json"))?;
/// let root = TrustedRoot::from_json(include_bytes!("../../testdata/trust/sigstore_trusted_root.json"))?;
/// let verifier = Verifier::new(root);
/// // The signed artifact is known by its digest (an OCI manifest digest here); for a file,
/// // use `ArtifactDigests::of_bytes(&bytes)`.
/// let artifact = ArtifactDigests::parse(
///     "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172",
/// )
/// .expect("a sha256 digest");
/// let policy = Policy::identity(
///     Matcher::exact("https://token.actions.githubusercontent.com"),
///     Matcher::regex(r"https://github\.com/kubewarden/kubewarden-controller/\.github/workflows/release\.yml@refs/tags/v.+")?,
/// );
/// let now = 1_795_651_200; // 2026-11-26T00:00:00Z: the caller reads the clock
/// let verified = verifier.verify(&bundle, &artifact, &policy, now)?;
/// assert_eq!(
///     verified.identity.as_ref().map(|i| i.value()),
///     Some("https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0"),
/// );
/// // A different artifact, or a policy naming another repository, is rejected.
/// let other = ArtifactDigests::of_bytes(b"another artifact");
/// assert_eq!(
///     verifier.verify(&bundle, &other, &policy, now).unwrap_err().code(),
///     "signature.subject-mismatch",
/// );
/// # Ok::<(), rulepack_verify::Error>(())
/// ```
#[derive(Debug)]
pub struct Verifier {
    root: TrustedRoot,
    memo: ChainMemo,
    concurrency: Concurrency,
}

impl Verifier {
    /// A verifier for bundles signed under `root`.
    pub fn new(root: TrustedRoot) -> Self {
        Self {
            root,
            memo: ChainMemo::default(),
            concurrency: Concurrency::default(),
        }
    }

    /// The trusted root this verifier checks against.
    pub fn trusted_root(&self) -> &TrustedRoot {
        &self.root
    }

    /// Runs every check on the calling thread instead of scoped threads (same results;
    /// for tests that compare the two schedules, and for callers that must not spawn).
    #[must_use]
    pub fn sequential(mut self) -> Self {
        self.concurrency = Concurrency::Sequential;
        self
    }

    /// Verifies `bundle` for `artifact` under `policy`, at wall-clock `now` (seconds
    /// since the Unix epoch, read by the caller: the verifier never reads a clock; `now`
    /// only rejects signing times in the future). Every step of
    /// `docs/verification.md` runs, in order; the first failure is returned.
    pub fn verify(
        &self,
        bundle: &Bundle,
        artifact: &ArtifactDigests,
        policy: &Policy,
        now: UnixTime,
    ) -> Result<Verified, Error> {
        self.verify_traced(bundle, artifact, policy, now)
            .map_err(|r| r.error)
    }

    /// [`Verifier::verify`], telling also at which [`Step`] a bundle was rejected (to
    /// pick the most informative of several failures).
    pub fn verify_traced(
        &self,
        bundle: &Bundle,
        artifact: &ArtifactDigests,
        policy: &Policy,
        now: UnixTime,
    ) -> Result<Verified, Box<Rejection>> {
        verify_inner(self, bundle, artifact, policy, now)
    }
}

enum Signer {
    Certificate(Box<SigningCertificate>),
    Key(Box<PublicKey>),
}

/// The verification steps, in pipeline order: the numbered steps of
/// `docs/verification.md` (which `tests/docs.rs` keeps in agreement), preceded by
/// parsing. A failure at a later step means every earlier step passed, so when several
/// bundles fail, the one that got furthest is the most informative
/// ([`Rejection::step`]; webpki's `rank()`, derived from the pipeline instead of a
/// hand-kept table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Before step 1: the bundle document is parsed (`bundle.*` errors).
    Parse = 0,
    /// Step 1 of `docs/verification.md`.
    SignerVersusPolicy = 1,
    /// Step 2 of `docs/verification.md`.
    ContentBinding = 2,
    /// Step 3 of `docs/verification.md`.
    Signature = 3,
    /// Step 4 of `docs/verification.md`.
    Timestamps = 4,
    /// Step 5 of `docs/verification.md`.
    TransparencyLog = 5,
    /// Step 6 of `docs/verification.md`.
    SigningTimes = 6,
    /// Step 7 of `docs/verification.md`.
    CertificatePath = 7,
    /// Step 8 of `docs/verification.md`.
    EmbeddedScts = 8,
    /// Step 9 of `docs/verification.md`.
    LogEntryBodies = 9,
    /// Step 10 of `docs/verification.md`.
    IdentityPolicy = 10,
}

impl Step {
    /// Every step, in pipeline order.
    pub const ALL: [Step; 11] = [
        Step::Parse,
        Step::SignerVersusPolicy,
        Step::ContentBinding,
        Step::Signature,
        Step::Timestamps,
        Step::TransparencyLog,
        Step::SigningTimes,
        Step::CertificatePath,
        Step::EmbeddedScts,
        Step::LogEntryBodies,
        Step::IdentityPolicy,
    ];

    /// The step's number in `docs/verification.md` (0 for parsing).
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The step's title, as `docs/verification.md` writes it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Parse => "Parsing the bundle",
            Self::SignerVersusPolicy => "Signer versus policy",
            Self::ContentBinding => "Content bound to the artifact",
            Self::Signature => "Signature",
            Self::Timestamps => "RFC 3161 timestamps",
            Self::TransparencyLog => "Transparency log",
            Self::SigningTimes => "Verified signing times",
            Self::CertificatePath => "Certificate path",
            Self::EmbeddedScts => "Embedded SCTs",
            Self::LogEntryBodies => "Log entry bodies",
            Self::IdentityPolicy => "Identity policy",
        }
    }
}

/// A failed verification: the error and the step of the pipeline that caught it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Where in the pipeline the bundle was rejected.
    pub step: Step,
    /// Why.
    pub error: Error,
}

impl Rejection {
    fn at<E: Into<Error>>(step: Step) -> impl FnOnce(E) -> Box<Self> {
        move |e| {
            Box::new(Self {
                step,
                error: e.into(),
            })
        }
    }
}

impl core::fmt::Display for Rejection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// The pipeline. `memo` holds what is known about `root`'s own CA chains. Each step's
/// failure is tagged with that step.
fn verify_inner(
    verifier: &Verifier,
    bundle: &Bundle,
    artifact: &ArtifactDigests,
    required: &Policy,
    now: UnixTime,
) -> Result<Verified, Box<Rejection>> {
    let (root, memo, concurrency) = (&verifier.root, &verifier.memo, verifier.concurrency);
    let (policy, statement) = (required.signer(), required.statement());
    let vm = &bundle.verification_material;

    // Step 1. Signer versus policy: a Fulcio certificate (keyless) or a key known out of
    // band. Identity policies never apply to key bundles, and a key never verifies a
    // certificate bundle.
    let step1 = Rejection::at::<Error>(Step::SignerVersusPolicy);
    let signer = match (&vm.signer, policy) {
        (SignerMaterial::PublicKey { .. }, VerificationPolicy::PublicKey(k)) => {
            Signer::Key(Box::new(k.clone()))
        }
        (SignerMaterial::PublicKey { .. }, VerificationPolicy::Identities(_)) => {
            return Err(step1(PolicyError::KeyBundleWithoutKey.into()))
        }
        (_, VerificationPolicy::PublicKey(_)) => {
            return Err(step1(PolicyError::CertificateBundleWithKeyPolicy.into()))
        }
        (m, VerificationPolicy::Identities(_)) => {
            // The bundle parser guarantees a leaf for these variants.
            let leaf = m.leaf_der().unwrap_or_default();
            match SigningCertificate::from_der(leaf) {
                Ok(c) => Signer::Certificate(Box::new(c)),
                Err(e) => return Err(step1(e.into())),
            }
        }
    };
    let signer_key = match &signer {
        Signer::Certificate(c) => c
            .cert
            .public_key()
            .map_err(Rejection::at(Step::SignerVersusPolicy))?,
        Signer::Key(k) => (**k).clone(),
    };

    // Step 2. Content bound to the artifact, then
    // Step 3. Signature: over the digest or the DSSE PAE (client spec: "Verify the
    // signature ... over the artifact / PAE"); both in `check_content`.
    // Steps 2-3, 4 and 5 are independent of each other; with `Concurrency::Threads`
    // the timestamps (4) and the Fulcio chain signatures (needed by 7) are verified on
    // scoped threads while this thread does 2-3 and 5. Errors are taken in step order,
    // so the outcome is the sequential one.
    let cert_leaf = match &signer {
        Signer::Certificate(c) => Some(&c.cert),
        Signer::Key(_) => None,
    };
    let (content, timestamps, entries, chain_signatures) = match concurrency {
        // In step order, each stage only after the previous one passed.
        Concurrency::Sequential => {
            check_content(&bundle.content, artifact, &signer_key, statement)?;
            let timestamps = timestamp_stage(bundle, root, memo, now)
                .map_err(Rejection::at(Step::Timestamps))?;
            let entries =
                tlog_stage(bundle, root, now).map_err(Rejection::at(Step::TransparencyLog))?;
            (
                Ok(()),
                Ok(timestamps),
                Ok(entries),
                x509::ChainSignatures::default(),
            )
        }
        Concurrency::Threads => std::thread::scope(|s| {
            let ts = beside(s, || timestamp_stage(bundle, root, memo, now));
            let pre = cert_leaf.and_then(|leaf| {
                beside(s, move || {
                    x509::precheck_chain_signatures(leaf, &root.certificate_authorities, memo)
                })
            });
            let content = check_content(&bundle.content, artifact, &signer_key, statement);
            let entries = tlog_stage(bundle, root, now);
            // A thread that could not start or did not finish: its stage runs here.
            let timestamps = ts
                .and_then(|h| h.join().ok())
                .unwrap_or_else(|| timestamp_stage(bundle, root, memo, now));
            let pre = pre.and_then(|h| h.join().ok()).unwrap_or_default();
            (content, timestamps, entries, pre)
        }),
    };
    content?;
    let timestamps = timestamps.map_err(Rejection::at(Step::Timestamps))?;
    let entries = entries.map_err(Rejection::at(Step::TransparencyLog))?;

    // Step 6. Verified signing times: SET integrated times and RFC 3161 genTimes; at
    // least one.
    let step6 = Rejection::at::<Error>(Step::SigningTimes);
    let mut times: Vec<VerifiedTime> = entries
        .iter()
        .filter_map(|e| {
            e.integrated_time.map(|t| VerifiedTime {
                time: t,
                source: TimeSource::TransparencyLog {
                    log: e.log_base_url.clone(),
                    log_index: e.log_index,
                },
            })
        })
        .collect();
    times.extend(timestamps.iter().map(|t| VerifiedTime {
        time: t.gen_time,
        source: TimeSource::Timestamp {
            authority: t.tsa_subject.clone(),
        },
    }));
    if times.is_empty() {
        return Err(step6(TimestampError::NoVerifiedTime.into()));
    }
    // An entry without a verified integrated time (every Rekor v2 entry, and a v1 entry
    // without a SET, allowed from bundle v0.2 on) was checked against no time yet: its
    // log must have been valid at every verified signing time (rekor-tiles CLIENTS.md;
    // docs/verification.md "Time": a CA, log, CT log or TSA must have been valid when it
    // acted). Entries with a SET were checked at their integrated time by rekor.
    for e in entries.iter().filter(|e| e.integrated_time.is_none()) {
        for t in &times {
            if !e.log_valid_for.contains(t.time) {
                return Err(Rejection::at::<TlogError>(Step::SigningTimes)(
                    TlogError::LogNotValidAt {
                        log: e.log_base_url.clone(),
                        time: t.time,
                    },
                ));
            }
        }
    }

    let Signer::Certificate(cert) = signer else {
        // Key bundles: no chain, no SCT; bind every log entry's body to the bundle
        // (step 9).
        let spki = signer_key.spki_der();
        for e in &vm.tlog_entries {
            rekor::verify_entry_body(e, &bundle.content, LogVerifier::PublicKey(spki))
                .map_err(Rejection::at(Step::LogEntryBodies))?;
        }
        return Ok(Verified {
            identity: None,
            issuer: None,
            extensions: None,
            times,
            tlog_entries: entries,
            timestamps,
            sct_count: 0,
            matched_rule: None,
        });
    };

    // Step 7. Certificate path: validated at every verified signing time, never the wall
    // clock (client spec: "perform certification path validation ... with a fake current
    // time"). Same result as `x509::verify_chain` at each time in turn; a certificate
    // signature verified at one time is not verified again at the next (it is
    // time-independent).
    let signing_times: Vec<UnixTime> = times.iter().map(|t| t.time).collect();
    let intermediates = bundle_intermediates(&vm.signer)
        .map_err(Rejection::at::<Error>(Step::CertificatePath))?;
    let chain = x509::verify_chain_at_times_with(
        &cert.cert,
        &intermediates,
        &root.certificate_authorities,
        &signing_times,
        x509::EKU_CODE_SIGNING,
        chain_signatures,
        memo,
    )
    .map_err(Rejection::at(Step::CertificatePath))?
    .ok_or_else(|| step6(TimestampError::NoVerifiedTime.into()))?;

    // Step 8. Embedded SCTs: at least one valid when the trusted root lists CT logs
    // (RFC 6962 §3.2).
    let sct_count = if root.ctlogs.is_empty() {
        0
    } else {
        // With a non-empty `ctlogs`, verify_embedded_scts returns Err unless at least one
        // SCT verified (`sct.absent` / `sct.none-verified`; tests/edge_cases.rs).
        x509::verify_embedded_scts(&cert.cert, &chain, &root.ctlogs)
            .map_err(Rejection::at(Step::EmbeddedScts))?
            .verified
    };

    // Step 9. Log entry bodies: every one describes this bundle (sigstore_rekor.proto:
    // "clients MUST check that the signature in it matches the bundle content"; rekor
    // `pkg/types/*/entry.go` Canonicalize, sigstore-go `pkg/verify/tlog.go`).
    for e in &vm.tlog_entries {
        rekor::verify_entry_body(
            e,
            &bundle.content,
            LogVerifier::Certificate(cert.cert.der()),
        )
        .map_err(Rejection::at(Step::LogEntryBodies))?;
    }

    // Step 10. Identity policy (docs/verification.md, "Trust policy").
    let VerificationPolicy::Identities(rules) = policy else {
        return Err(step1(PolicyError::CertificateBundleWithKeyPolicy.into()));
    };
    let identity = cert
        .identity
        .as_ref()
        .ok_or(PolicyError::MissingIdentity)
        .map_err(Rejection::at(Step::IdentityPolicy))?;
    let issuer = cert
        .extensions
        .issuer()
        .ok_or(PolicyError::MissingIssuer)
        .map_err(Rejection::at(Step::IdentityPolicy))?;
    let claims = SignerClaims {
        identity: identity.value(),
        issuer,
        source_repository_uri: cert.extensions.source_repository_uri.as_deref(),
        source_repository_ref: cert.extensions.source_repository_ref.as_deref(),
    };
    let matched = check_identity(rules, &claims)
        .map_err(Rejection::at(Step::IdentityPolicy))?;

    Ok(Verified {
        identity: Some(identity.clone()),
        issuer: Some(issuer.to_owned()),
        extensions: Some(cert.extensions.clone()),
        times,
        tlog_entries: entries,
        timestamps,
        sct_count,
        matched_rule: Some(matched),
    })
}

/// Runs `f` on a new scoped thread; `None` when the thread cannot be started.
fn beside<'scope, T: Send + 'scope>(
    s: &'scope std::thread::Scope<'scope, '_>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> Option<std::thread::ScopedJoinHandle<'scope, T>> {
    std::thread::Builder::new().spawn_scoped(s, f).ok()
}

/// The bytes RFC 3161 timestamps cover: the message signature, or the DSSE envelope's
/// signature (RFC 3161 §2.4.2 / sigstore-go `pkg/verify/tsa.go`).
fn signature_bytes(content: &Content) -> &[u8] {
    match content {
        Content::MessageSignature(ms) => &ms.signature,
        Content::Dsse(env) => &env.signature.sig,
    }
}

/// Step 4. RFC 3161 timestamps: every one present must verify (never skipped), no
/// duplicates, none after `now`.
fn timestamp_stage(
    bundle: &Bundle,
    root: &TrustedRoot,
    memo: &ChainMemo,
    now: UnixTime,
) -> Result<Vec<VerifiedTimestamp>, Error> {
    let vm = &bundle.verification_material;
    let signed = signature_bytes(&bundle.content);
    // Duplicates first (sigstore-python: "duplicate timestamp found"), before any crypto.
    for (i, der) in vm.rfc3161_timestamps.iter().enumerate() {
        if vm.rfc3161_timestamps.iter().take(i).any(|d| d == der) {
            return Err(TimestampError::Duplicate { index: i }.into());
        }
    }
    let mut timestamps = Vec::with_capacity(vm.rfc3161_timestamps.len());
    for der in &vm.rfc3161_timestamps {
        let ts =
            timestamp::verify_timestamp_with_memo(der, signed, &root.timestamp_authorities, memo)?;
        if ts.gen_time > now {
            return Err(TimestampError::InFuture {
                gen_time: ts.gen_time,
                now,
            }
            .into());
        }
        timestamps.push(ts);
    }
    Ok(timestamps)
}

/// Step 5. Transparency log: every entry, the log half only (SET, inclusion proof,
/// checkpoint); the body is bound to the bundle after the certificate has been
/// validated (step 9). At least one entry, no entry twice.
fn tlog_stage(
    bundle: &Bundle,
    root: &TrustedRoot,
    now: UnixTime,
) -> Result<Vec<VerifiedEntry>, Error> {
    let vm = &bundle.verification_material;
    if vm.tlog_entries.is_empty() {
        return Err(TlogError::MissingEntry.into());
    }
    // One log entry counted twice would inflate the evidence; reject repeats like
    // duplicate timestamps.
    for (i, e) in vm.tlog_entries.iter().enumerate() {
        let same =
            |o: &crate::bundle::TlogEntry| o.log_id == e.log_id && o.log_index == e.log_index;
        if vm.tlog_entries.iter().take(i).any(same) {
            return Err(TlogError::DuplicateEntry { index: i }.into());
        }
    }
    let mut entries = Vec::with_capacity(vm.tlog_entries.len());
    for e in &vm.tlog_entries {
        entries.push(rekor::verify_entry_log(e, bundle.version, root, now)?);
    }
    Ok(entries)
}

fn bundle_intermediates(m: &SignerMaterial) -> Result<Vec<x509::ParsedCertificate>, Error> {
    m.intermediates_der()
        .iter()
        .map(|d| x509::ParsedCertificate::from_der(d).map_err(Error::from))
        .collect()
}

/// Steps 2 and 3. Binds the content to the artifact (step 2), then verifies the
/// signature (step 3); the checks themselves are in [`crate::signature`].
fn check_content(
    content: &Content,
    artifact: &ArtifactDigests,
    key: &PublicKey,
    statement: StatementRequirement,
) -> Result<(), Box<Rejection>> {
    let signed = signature::bind_content(content, artifact, key, statement)
        .map_err(Rejection::at(Step::ContentBinding))?;
    signature::verify_signature(&signed, key).map_err(Rejection::at(Step::Signature))
}
