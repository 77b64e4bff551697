//! Rule-pack verification: what the product exists for. Before a pack loads, prove
//! that the publisher we trust produced its bytes (docs/verification.md, "Trust policy").
//!
//! Pure orchestration over an [`ArtifactSource`] (registry or OCI layout): resolve the
//! pack to its manifest digest, find the Sigstore bundles attached to that digest,
//! verify each with the tier's identity policy and cosign's statement rules, and accept
//! the pack if at least one bundle passes every check.

pub mod layers;

use core::fmt;

use crate::bundle::Bundle;
use crate::oci::{self, ArtifactSource, Candidate, Digest, FoundBundle, ImageManifest, Reference};
use crate::policy::{first_party_rule, IdentityRule, Policy, StatementRequirement};
use crate::time::UnixTime;
use crate::verify::{ArtifactDigests, Rejection, Step, Verified, Verifier};
use crate::Error;

/// The two trust tiers (docs/verification.md, "Trust policy").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// `ghcr.io/lithastra/…`: only the compiled-in identity is accepted.
    FirstParty,
    /// Everything else: a configured `trustedIdentities` entry must match.
    ThirdParty,
}

impl Tier {
    /// The tier of a reference, decided by its normalized logical name alone (never by
    /// the mirror that serves it).
    pub fn of(r: &Reference) -> Self {
        if r.is_first_party() {
            Self::FirstParty
        } else {
            Self::ThirdParty
        }
    }

    /// `first-party` / `third-party` (the JSON output's values).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstParty => "first-party",
            Self::ThirdParty => "third-party",
        }
    }
}

/// The identity rules that apply to a pack: the compiled-in rule for first-party packs
/// (configuration cannot widen it), the configured ones for third-party packs.
pub fn rules_for(tier: Tier, third_party: &[IdentityRule]) -> Result<Vec<IdentityRule>, Error> {
    match tier {
        Tier::FirstParty => Ok(vec![first_party_rule()?]),
        Tier::ThirdParty => Ok(third_party.to_vec()),
    }
}

/// A pack that verified.
#[derive(Clone, Debug)]
pub struct VerifiedPack {
    /// The reference as configured.
    pub reference: Reference,
    /// The manifest digest that was verified (everything later is fetched by it).
    pub digest: Digest,
    /// The manifest itself (its layers are the pack content).
    pub manifest: ImageManifest,
    /// The tier.
    pub tier: Tier,
    /// Digest of the bundle layer that verified.
    pub bundle_digest: Digest,
    /// What the verification established.
    pub verified: Verified,
}

/// Why one bundle candidate attached to a pack did not verify.
#[derive(Clone, Debug)]
pub struct BundleFailure {
    /// The referrer manifest that attached it.
    pub referrer: Digest,
    /// The bundle layer's digest, when the referrer got that far.
    pub bundle: Option<Digest>,
    /// Why it failed.
    pub error: Error,
}

/// A pack that failed, with every bundle's reason.
#[derive(Clone, Debug)]
pub struct PackFailure {
    /// The reference as configured.
    pub reference: Reference,
    /// The resolved manifest digest, when resolution got that far.
    pub digest: Option<Digest>,
    /// The tier.
    pub tier: Tier,
    /// The most specific failure, reported first: that of the bundle which got
    /// furthest through the verification pipeline ([`Step`]).
    pub error: Error,
    /// Each examined bundle candidate's failure, furthest through the verification
    /// pipeline first (bundle order among equals; a referrer rejected before its
    /// bundle was parsed comes last).
    pub bundles: Vec<BundleFailure>,
}

/// `oci://registry/repository[:tag]@digest`: the reference with the digest written
/// once (a pinned reference already carries it).
pub fn pinned_name(reference: &Reference, digest: &Digest) -> String {
    match reference.tag() {
        Some(t) => format!(
            "oci://{}/{}:{t}@{digest}",
            reference.registry(),
            reference.repository()
        ),
        None => format!(
            "oci://{}/{}@{digest}",
            reference.registry(),
            reference.repository()
        ),
    }
}

impl PackFailure {
    /// `rule pack oci://…@sha256:…` (the digest once).
    fn name(&self) -> String {
        match &self.digest {
            Some(d) => format!("rule pack {}", pinned_name(&self.reference, d)),
            None => format!("rule pack {}", self.reference),
        }
    }

    /// A one-line account that stays readable however many rules and bundles there are:
    /// the most specific error with only the closest identity rules
    /// ([`Error::summary`]), and the other bundles counted by code. The full account
    /// is [`Display`](fmt::Display) (`--output json`).
    pub fn summary(&self) -> String {
        let mut s = format!("{}: {}", self.name(), self.error.summary());
        if self.bundles.len() > 1 {
            let mut codes: Vec<(&str, usize)> = Vec::new();
            for b in self.bundles.iter().skip(1) {
                match codes.iter_mut().find(|(c, _)| *c == b.error.code()) {
                    Some((_, n)) => *n = n.saturating_add(1),
                    None => codes.push((b.error.code(), 1)),
                }
            }
            let list: Vec<String> = codes
                .iter()
                .map(|(c, n)| {
                    if *n > 1 {
                        format!("{n}× error[{c}]")
                    } else {
                        format!("error[{c}]")
                    }
                })
                .collect();
            s.push_str(&format!(
                " ({} bundles attached, none verified; the others: {})",
                self.bundles.len(),
                list.join(", ")
            ));
        }
        s
    }
}

impl fmt::Display for PackFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.error)?;
        if self.bundles.len() > 1 {
            write!(
                f,
                " ({} bundles attached, none verified",
                self.bundles.len()
            )?;
            for b in self.bundles.iter().skip(1) {
                match &b.bundle {
                    Some(d) => write!(f, "; bundle {d}")?,
                    None => write!(f, "; referrer {}", b.referrer)?,
                }
                write!(f, ": error[{}]: {}", b.error.code(), b.error)?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Verifies rule packs: the tiers' identity rules (the compiled-in first-party rule, the
/// configured third-party ones) over one [`Verifier`]. Build it once per configuration.
///
/// ```
/// use rulepack_verify::{OciLayout, PackVerifier, Reference, RulePacks, TrustedRoot, Verifier};
///
/// // The vendored offline example: an OCI image layout with four packs, the test-only
/// // Sigstore's trusted root, and a values file that trusts one third-party publisher.
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/offline");
/// let config = RulePacks::from_yaml(&std::fs::read(dir.join("values.yaml"))?, &dir)?;
/// let root = TrustedRoot::from_json(&std::fs::read(dir.join("trusted_root.json"))?)?;
/// let verifier = Verifier::new(root);
/// let rules = config.trusted_identities.iter().map(|t| t.rule.clone()).collect();
/// let packs = PackVerifier::new(&verifier, rules);
/// let layout = OciLayout::open(&dir.join("layout"))?;
/// let now = 1_795_651_200; // 2026-11-26T00:00:00Z: the caller reads the clock
///
/// let eks = Reference::parse("oci://ghcr.io/lithastra/rules/eks:0.1.0")?;
/// let verified = packs.verify(&layout, &eks, now).map_err(|f| f.error)?;
/// println!("{} verified as {}", verified.reference, verified.digest);
///
/// // Signed by an identity nobody trusts: rejected, and the error says why.
/// let backdoor = Reference::parse("oci://ghcr.io/mallory/rules/backdoor:1.0.0")?;
/// let failure = packs.verify(&layout, &backdoor, now).unwrap_err();
/// assert_eq!(failure.error.code(), "policy.identity-mismatch");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct PackVerifier<'v> {
    verifier: &'v Verifier,
    third_party: Vec<IdentityRule>,
}

impl<'v> PackVerifier<'v> {
    /// Packs are verified with `verifier`'s trusted root; third-party packs against
    /// `third_party` (an empty list trusts no third-party pack; first-party packs are
    /// pinned to the compiled-in identity whatever the list says).
    pub fn new(verifier: &'v Verifier, third_party: Vec<IdentityRule>) -> Self {
        Self {
            verifier,
            third_party,
        }
    }

    /// Resolves `reference` through `source`, finds the Sigstore bundles attached to its
    /// manifest digest and accepts the pack when one of them verifies, at wall-clock
    /// `now` (seconds since the Unix epoch).
    pub fn verify(
        &self,
        source: &dyn ArtifactSource,
        reference: &Reference,
        now: UnixTime,
    ) -> Result<VerifiedPack, Box<PackFailure>> {
        verify_pack(source, reference, self.verifier, &self.third_party, now)
    }
}

/// Resolves and verifies one pack at wall-clock `now`, with `verifier`'s trusted root.
pub fn verify_pack(
    src: &dyn ArtifactSource,
    reference: &Reference,
    verifier: &Verifier,
    third_party: &[IdentityRule],
    now: UnixTime,
) -> Result<VerifiedPack, Box<PackFailure>> {
    let tier = Tier::of(reference);
    let fail = |digest: Option<Digest>, error: Error| {
        Box::new(PackFailure {
            reference: reference.clone(),
            digest,
            tier,
            error,
            bundles: Vec::new(),
        })
    };
    let rules = rules_for(tier, third_party).map_err(|e| fail(None, e))?;
    let (desc, manifest) = oci::resolve_pack(src, reference).map_err(|e| fail(None, e.into()))?;
    let digest = desc.digest;
    // cosign's new bundle format: a DSSE in-toto Statement v1 with predicate
    // `https://sigstore.dev/cosign/sign/v1` whose subject is the manifest digest.
    let policy = Policy::identities(rules).with_statement(StatementRequirement::CosignSign);
    let artifact = ArtifactDigests::sha256(*digest.as_bytes());
    // `(step reached, failure)`: `None` for a referrer rejected before its bundle
    // was parsed, which orders it before every `Some(step)`.
    let mut failures: Vec<(Option<Step>, BundleFailure)> = Vec::new();
    // Every candidate is examined until one verifies; each failure is kept.
    // "No signature found" is its own error, distinct from "signature invalid".
    let accepted = oci::examine_sigstore_bundles(src, reference, &digest, |c| match c {
        Candidate::Bundle(b) => match verify_one(&b, &artifact, verifier, &policy, now) {
            Ok(verified) => Some((b.bundle_digest, verified)),
            Err(rejection) => {
                failures.push((
                    Some(rejection.step),
                    BundleFailure {
                        referrer: b.manifest_digest,
                        bundle: Some(b.bundle_digest),
                        error: rejection.error,
                    },
                ));
                None
            }
        },
        Candidate::Rejected { referrer, error } => {
            failures.push((
                None,
                BundleFailure {
                    referrer,
                    bundle: None,
                    error: error.into(),
                },
            ));
            None
        }
    })
    .map_err(|e| fail(Some(digest), e.into()))?;
    if let Some((bundle_digest, verified)) = accepted {
        return Ok(VerifiedPack {
            reference: reference.clone(),
            digest,
            manifest,
            tier,
            bundle_digest,
            verified,
        });
    }
    // The bundle that got furthest through the pipeline is the most informative
    // (webpki's `rank()`, derived from the pipeline order); the sort is stable.
    failures.sort_by_key(|(step, _)| core::cmp::Reverse(*step));
    let failures: Vec<BundleFailure> = failures.into_iter().map(|(_, f)| f).collect();
    // examine_sigstore_bundles returns NoBundle rather than an empty examination; keep
    // that meaning if the list were ever empty.
    let error = failures
        .first()
        .map(|b| b.error.clone())
        .unwrap_or_else(|| {
            crate::oci::RegistryError::NoBundle {
                reference: reference.to_string(),
                digest: digest.to_string(),
            }
            .into()
        });
    Err(Box::new(PackFailure {
        reference: reference.clone(),
        digest: Some(digest),
        tier,
        error,
        bundles: failures,
    }))
}

/// Verifies one attached bundle as cosign's new bundle format (cosign v3 `cmd/cosign/cli/sign/sign.go`): a DSSE
/// in-toto Statement v1 with predicate `https://sigstore.dev/cosign/sign/v1` whose
/// subject is the pack's manifest digest.
fn verify_one(
    b: &FoundBundle,
    artifact: &ArtifactDigests,
    verifier: &Verifier,
    policy: &Policy,
    now: UnixTime,
) -> Result<Verified, Box<Rejection>> {
    let bundle = Bundle::from_json(&b.bundle_bytes).map_err(|e| {
        Box::new(Rejection {
            step: Step::Parse,
            error: e.into(),
        })
    })?;
    verifier.verify_traced(&bundle, artifact, policy, now)
}
