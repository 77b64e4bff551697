//! `verify` with scoped threads (the default) and with `Concurrency::Sequential`: the
//! two must give the same result, value or error (issue 7: each optimization "verifies
//! exactly what it did before"). Used by the tamper, edge-case and real-bundle suites.
#![allow(unreachable_pub)]

use rulepack_verify::bundle::Bundle;
use rulepack_verify::policy::VerificationPolicy;
use rulepack_verify::trust_root::TrustedRoot;
use rulepack_verify::verify::{
    verify, verify_with, ArtifactDigests, Concurrency, Verified, VerifyOptions,
};
use rulepack_verify::Error;

/// Both schedules; panics when they differ; returns the (common) result.
pub fn verify_both(
    bundle: &Bundle,
    artifact: &ArtifactDigests,
    root: &TrustedRoot,
    policy: &VerificationPolicy,
    now: i64,
) -> Result<Verified, Error> {
    let threads = verify(bundle, artifact, root, policy, now);
    let sequential = verify_with(
        bundle,
        artifact,
        root,
        policy,
        now,
        VerifyOptions {
            concurrency: Concurrency::Sequential,
            ..Default::default()
        },
    );
    assert_eq!(
        threads, sequential,
        "threaded and sequential verification differ"
    );
    threads
}
