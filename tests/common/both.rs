//! Verification with scoped threads (the default) by a long-lived verifier, and
//! sequentially by a fresh one: the two must give the same result, value or error (each
//! optimization, the threads and the verifier's chain memo, verifies exactly what it did
//! before). Used by the tamper, edge-case and real-bundle suites, which also check here
//! that every rejection is tagged with the pipeline step its error belongs to.
#![allow(unreachable_pub)]

use rulepack_verify::bundle::Bundle;
use rulepack_verify::policy::{Policy, VerificationPolicy};
use rulepack_verify::trust_root::TrustedRoot;
use rulepack_verify::verify::{ArtifactDigests, Step, Verified, Verifier};
use rulepack_verify::Error;

/// The error codes a rejection at `step` may carry (docs/verification.md).
fn step_allows(step: Step, code: &str) -> bool {
    let stage = code.split('.').next().unwrap_or_default();
    match step {
        Step::Parse => stage == "bundle",
        Step::SignerVersusPolicy => matches!(stage, "policy" | "certificate"),
        Step::ContentBinding | Step::Signature => stage == "signature",
        Step::Timestamps => stage == "timestamp",
        Step::TransparencyLog | Step::LogEntryBodies => stage == "tlog",
        Step::SigningTimes => matches!(
            code,
            "timestamp.no-verified-time" | "tlog.log-not-valid-at-signing-time"
        ),
        Step::CertificatePath => stage == "certificate",
        Step::EmbeddedScts => stage == "sct",
        Step::IdentityPolicy => stage == "policy",
        _ => false,
    }
}

/// The verifier this test thread keeps for `root` (built on first use).
fn warm_verifier(root: &TrustedRoot) -> std::rc::Rc<Verifier> {
    thread_local! {
        // Keyed by the root's full `Debug` form: equal roots share a verifier.
        static KEPT: std::cell::RefCell<Vec<(String, std::rc::Rc<Verifier>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let key = format!("{root:?}");
    KEPT.with(|k| {
        let mut k = k.borrow_mut();
        if let Some((_, v)) = k.iter().find(|(r, _)| *r == key) {
            return v.clone();
        }
        let v = std::rc::Rc::new(Verifier::new(root.clone()));
        k.push((key, v.clone()));
        v
    })
}

/// Both schedules; panics when they differ, or when a rejection's step does not match
/// its error; returns the (common) result.
pub fn verify_both(
    bundle: &Bundle,
    artifact: &ArtifactDigests,
    root: &TrustedRoot,
    policy: &VerificationPolicy,
    now: i64,
) -> Result<Verified, Error> {
    let policy = Policy::from(policy.clone());
    // The threaded run uses one verifier per trusted root for the whole test thread, so
    // its chain memo is warm with every earlier case (good and tampered); the sequential
    // run starts cold. Both must give the same result.
    let threads = warm_verifier(root).verify_traced(bundle, artifact, &policy, now);
    let sequential = Verifier::new(root.clone())
        .sequential()
        .verify_traced(bundle, artifact, &policy, now);
    assert_eq!(
        threads, sequential,
        "threaded (warm verifier) and sequential (fresh verifier) verification differ"
    );
    if let Err(r) = &threads {
        assert!(
            step_allows(r.step, r.error.code()),
            "rejected at step {} ({}) with error[{}]: {}",
            r.step.number(),
            r.step.title(),
            r.error.code(),
            r.error
        );
    }
    threads.map_err(|r| r.error)
}
