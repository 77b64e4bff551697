//! The one place where verification steps are ordered.
//!
//! [`verify`] is a pure function of (bundle, artifact digest, trusted root, policy, now).
//! It follows the Sigstore client specification ("Verification" section of
//! `sigstore/architecture-docs` client-spec, as sigstore-go `pkg/verify` implements it)
//! with the thresholds of docs/verification.md ("Thresholds"): at least one verified transparency-log entry, at least
//! one verified signing time, and at least one valid SCT for certificates when the
//! trusted root lists CT logs. Every log entry, timestamp and SCT present must verify.

mod error;
mod intoto;

pub use crate::policy::StatementRequirement;
pub use error::SignatureError;
pub use intoto::{COSIGN_SIGN_PREDICATE, INTOTO_PAYLOAD_TYPE, STATEMENT_V1};

use crate::bundle::{pae, Bundle, Content, SignerMaterial};
use crate::crypto::{HashAlgorithm, PublicKey};
use crate::encoding::hex_encode;
use crate::policy::{Policy, PolicyError, SignerClaims, VerificationPolicy};
use crate::rekor::{self, LogVerifier, TlogError, VerifiedEntry};
use crate::time::UnixTime;
use crate::timestamp::{self, TimestampError, VerifiedTimestamp};
use crate::trust_root::TrustedRoot;
use crate::x509::{self, ChainMemo, FulcioExtensions, SanIdentity, SigningCertificate};
use crate::Error;

/// The digests of the artifact being verified, in whichever algorithms are known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArtifactDigests {
    sha256: Option<Vec<u8>>,
    sha384: Option<Vec<u8>>,
    sha512: Option<Vec<u8>>,
}

impl ArtifactDigests {
    /// All three digests of the artifact bytes.
    pub fn of_bytes(data: &[u8]) -> Self {
        Self {
            sha256: Some(HashAlgorithm::Sha256.digest(data)),
            sha384: Some(HashAlgorithm::Sha384.digest(data)),
            sha512: Some(HashAlgorithm::Sha512.digest(data)),
        }
    }

    /// The SHA-256 digest of an artifact known only by it (an OCI manifest digest).
    pub fn sha256(digest: [u8; 32]) -> Self {
        Self {
            sha256: Some(digest.to_vec()),
            ..Self::default()
        }
    }

    /// A single known digest (the artifact itself is not available).
    pub fn from_digest(alg: HashAlgorithm, digest: Vec<u8>) -> Option<Self> {
        if digest.len() != alg.output_len() {
            return None;
        }
        let mut d = Self::default();
        match alg {
            HashAlgorithm::Sha256 => d.sha256 = Some(digest),
            HashAlgorithm::Sha384 => d.sha384 = Some(digest),
            HashAlgorithm::Sha512 => d.sha512 = Some(digest),
        }
        Some(d)
    }

    /// Parses `sha256:<hex>` (also `sha384:`/`sha512:`), lowercase hex only.
    pub fn parse(s: &str) -> Option<Self> {
        let (alg, hex) = s.split_once(':')?;
        let alg = HashAlgorithm::from_name(alg)?;
        Self::from_digest(alg, crate::encoding::hex_decode_lower(hex)?)
    }

    /// The digest in `alg`, if known.
    pub fn get(&self, alg: HashAlgorithm) -> Option<&[u8]> {
        match alg {
            HashAlgorithm::Sha256 => self.sha256.as_deref(),
            HashAlgorithm::Sha384 => self.sha384.as_deref(),
            HashAlgorithm::Sha512 => self.sha512.as_deref(),
        }
    }

    /// `alg:hex` of the strongest-preference known digest (sha256 first).
    pub fn describe(&self) -> String {
        [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ]
        .into_iter()
        .find_map(|a| {
            self.get(a)
                .map(|d| format!("{}:{}", a.name(), hex_encode(d)))
        })
        .unwrap_or_default()
    }
}

/// Per-check options. The defaults are the strict ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyOptions {
    /// What a DSSE payload must be.
    pub statement: StatementRequirement,
    /// Whether independent signature checks run on scoped threads. Either way every
    /// check runs and the result (value or error) is the same.
    pub concurrency: Concurrency,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            statement: StatementRequirement::AnySubjectMatch,
            concurrency: Concurrency::Threads,
        }
    }
}

/// How [`verify_with`] schedules its independent signature checks.
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
/// use rulepack_verify::bundle::Bundle;
/// use rulepack_verify::policy::{Matcher, Policy};
/// use rulepack_verify::trust_root::TrustedRoot;
/// use rulepack_verify::verify::{ArtifactDigests, Verifier};
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
        verify_inner(
            bundle,
            artifact,
            &self.root,
            &self.memo,
            policy.signer(),
            now,
            VerifyOptions {
                statement: policy.statement(),
                concurrency: self.concurrency,
            },
        )
    }
}

/// Verifies `bundle` for `artifact` against `root` and `policy` at wall-clock `now`, with
/// the default (strict) options.
pub fn verify(
    bundle: &Bundle,
    artifact: &ArtifactDigests,
    root: &TrustedRoot,
    policy: &VerificationPolicy,
    now: UnixTime,
) -> Result<Verified, Error> {
    verify_with(
        bundle,
        artifact,
        root,
        policy,
        now,
        VerifyOptions::default(),
    )
}

enum Signer {
    Certificate(Box<SigningCertificate>),
    Key(Box<PublicKey>),
}

/// [`verify`] with explicit options.
pub fn verify_with(
    bundle: &Bundle,
    artifact: &ArtifactDigests,
    root: &TrustedRoot,
    policy: &VerificationPolicy,
    now: UnixTime,
    opts: VerifyOptions,
) -> Result<Verified, Error> {
    verify_inner(
        bundle,
        artifact,
        root,
        &ChainMemo::default(),
        policy,
        now,
        opts,
    )
}

/// The pipeline. `memo` holds what is known about `root`'s own CA chains.
fn verify_inner(
    bundle: &Bundle,
    artifact: &ArtifactDigests,
    root: &TrustedRoot,
    memo: &ChainMemo,
    policy: &VerificationPolicy,
    now: UnixTime,
    opts: VerifyOptions,
) -> Result<Verified, Error> {
    let vm = &bundle.verification_material;

    // Step 1. Signer versus policy: a Fulcio certificate (keyless) or a key known out of
    // band. Identity policies never apply to key bundles, and a key never verifies a
    // certificate bundle.
    let signer = match (&vm.signer, policy) {
        (SignerMaterial::PublicKey { .. }, VerificationPolicy::PublicKey(k)) => {
            Signer::Key(Box::new(k.clone()))
        }
        (SignerMaterial::PublicKey { .. }, VerificationPolicy::Identities(_)) => {
            return Err(PolicyError::KeyBundleWithoutKey.into())
        }
        (_, VerificationPolicy::PublicKey(_)) => {
            return Err(PolicyError::CertificateBundleWithKeyPolicy.into())
        }
        (m, VerificationPolicy::Identities(_)) => {
            // The bundle parser guarantees a leaf for these variants.
            let leaf = m.leaf_der().unwrap_or_default();
            Signer::Certificate(Box::new(SigningCertificate::from_der(leaf)?))
        }
    };
    let signer_key = match &signer {
        Signer::Certificate(c) => c.cert.public_key()?,
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
    let (content, timestamps, entries, chain_signatures) = match opts.concurrency {
        // In step order, each stage only after the previous one passed.
        Concurrency::Sequential => {
            check_content(&bundle.content, artifact, &signer_key, opts)?;
            let timestamps = timestamp_stage(bundle, root, memo, now)?;
            let entries = tlog_stage(bundle, root, now)?;
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
            let content = check_content(&bundle.content, artifact, &signer_key, opts);
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
    let timestamps = timestamps?;
    let entries = entries?;

    // Step 6. Verified signing times: SET integrated times and RFC 3161 genTimes; at
    // least one.
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
        return Err(TimestampError::NoVerifiedTime.into());
    }
    // An entry without a verified integrated time (every Rekor v2 entry, and a v1 entry
    // without a SET, allowed from bundle v0.2 on) was checked against no time yet: its
    // log must have been valid at every verified signing time (rekor-tiles CLIENTS.md;
    // docs/verification.md "Time": a CA, log, CT log or TSA must have been valid when it
    // acted). Entries with
    // a SET were checked at their integrated time by rekor.
    for e in entries.iter().filter(|e| e.integrated_time.is_none()) {
        for t in &times {
            if !e.log_valid_for.contains(t.time) {
                return Err(TlogError::LogNotValidAt {
                    log: e.log_base_url.clone(),
                    time: t.time,
                }
                .into());
            }
        }
    }

    let Signer::Certificate(cert) = signer else {
        // Key bundles: no chain, no SCT; bind every log entry's body to the bundle.
        let spki = signer_key.spki_der();
        for e in &vm.tlog_entries {
            rekor::verify_entry_body(e, &bundle.content, LogVerifier::PublicKey(spki))?;
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
    // clock (client spec: "perform certification path validation ... with a fake current time").
    //    Same result as `x509::verify_chain` at each time in turn; a certificate signature
    //    verified at one time is not verified again at the next (it is time-independent).
    let signing_times: Vec<UnixTime> = times.iter().map(|t| t.time).collect();
    let chain = x509::verify_chain_at_times_with(
        &cert.cert,
        &bundle_intermediates(&vm.signer)?,
        &root.certificate_authorities,
        &signing_times,
        x509::EKU_CODE_SIGNING,
        chain_signatures,
        memo,
    )?
    .ok_or(TimestampError::NoVerifiedTime)?;

    // Step 8. Embedded SCTs: at least one valid when the trusted root lists CT logs
    // (RFC 6962 §3.2).
    let sct_count = if root.ctlogs.is_empty() {
        0
    } else {
        // With a non-empty `ctlogs`, verify_embedded_scts returns Err unless at least one
        // SCT verified (`sct.absent` / `sct.none-verified`; tests/edge_cases.rs).
        x509::verify_embedded_scts(&cert.cert, &chain, &root.ctlogs)?.verified
    };

    // Step 9. Log entry bodies: every one describes this bundle (sigstore_rekor.proto:
    // "clients MUST check that the signature in it matches the bundle content"; rekor
    // `pkg/types/*/entry.go` Canonicalize, sigstore-go `pkg/verify/tlog.go`).
    for e in &vm.tlog_entries {
        rekor::verify_entry_body(
            e,
            &bundle.content,
            LogVerifier::Certificate(cert.cert.der()),
        )?;
    }

    // Step 10. Identity policy (docs/verification.md, "Trust policy").
    let VerificationPolicy::Identities(rules) = policy else {
        return Err(PolicyError::CertificateBundleWithKeyPolicy.into());
    };
    let identity = cert.identity.as_ref().ok_or(PolicyError::MissingIdentity)?;
    let issuer = cert.extensions.issuer().ok_or(PolicyError::MissingIssuer)?;
    let claims = SignerClaims {
        identity: identity.value(),
        issuer,
        source_repository_uri: cert.extensions.source_repository_uri.as_deref(),
        source_repository_ref: cert.extensions.source_repository_ref.as_deref(),
    };
    let matched = VerificationPolicy::check_identity(rules, &claims)?;

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

/// Steps 2 and 3. Binds the content to the artifact and verifies the signature.
fn check_content(
    content: &Content,
    artifact: &ArtifactDigests,
    key: &PublicKey,
    opts: VerifyOptions,
) -> Result<(), SignatureError> {
    match content {
        Content::MessageSignature(ms) => {
            // sigstore_common.proto: messageDigest is a hint, but sigstore-go and
            // sigstore-python require it to equal the artifact digest
            // (conformance message-digest-mismatch / wrong-material).
            let alg = ms
                .message_digest
                .as_ref()
                .map_or(key.algorithm().default_hash(), |d| d.algorithm);
            let digest = artifact
                .get(alg)
                .ok_or(SignatureError::DigestUnavailable { needed: alg })?;
            if let Some(md) = &ms.message_digest {
                if md.digest != digest {
                    return Err(SignatureError::MessageDigestMismatch {
                        algorithm: alg,
                        expected: hex_encode(digest),
                        found: hex_encode(&md.digest),
                    });
                }
            }
            key.verify_prehash(digest, &ms.signature)
                .map_err(|e| match e {
                    crate::crypto::CryptoError::PrehashUnsupported { .. } => {
                        SignatureError::UnsupportedKey { source: e }
                    }
                    e => SignatureError::Invalid {
                        what: "artifact digest",
                        source: e,
                    },
                })?;
            Ok(())
        }
        Content::Dsse(env) => {
            intoto::check_statement(&env.payload_type, &env.payload, artifact, opts.statement)?;
            // DSSE v1: the signature is over PAE(payloadType, payload).
            let msg = pae(&env.payload_type, &env.payload);
            key.verify(key.algorithm().default_hash(), &msg, &env.signature.sig)
                .map_err(|e| SignatureError::Invalid {
                    what: "DSSE envelope",
                    source: e,
                })?;
            Ok(())
        }
    }
}
