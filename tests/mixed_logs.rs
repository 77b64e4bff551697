//! A bundle logged in both a Rekor v1 log (with a SET) and a Rekor v2 log, and no RFC 3161
//! timestamp: the v2 log's `validFor` must cover the SET's verified signing time too
//! (docs/verification.md, "Time": a CA, log, CT log or TSA must have been valid when it
//! acted).

#[path = "common/vsig.rs"]
mod vsig;

use rulepack_verify::bundle::Bundle;
use rulepack_verify::encoding::base64_encode;
use rulepack_verify::policy::{Matcher, Policy};
use rulepack_verify::trust_root::TrustedRoot;
use rulepack_verify::verify::{ArtifactDigests, Verifier};
use serde_json::{json, Value};
use vsig::{Authority, San, SignOptions, VirtualSigstore};

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const IDENTITY: &str = "https://github.com/acme/rules/.github/workflows/release.yml@refs/tags/v1";
/// 2025-06-01T12:00:00Z.
const T0: i64 = 1_748_779_200;

/// Signs once (Rekor v1 + SET, no timestamps), then logs the same signature in the v2
/// log too (hashedrekord 0.0.2 body built from the bundle, rekor-tiles format) and adds
/// that entry to the bundle.
fn bundle_in_both_logs(vs: &mut VirtualSigstore, artifact: [u8; 32]) -> Vec<u8> {
    let opts = SignOptions::new(San::Uri(IDENTITY.into()), ISSUER, T0);
    let mut b: Value = serde_json::from_slice(&vs.sign(artifact, &opts)).unwrap();
    let body = json!({
        "apiVersion": "0.0.2", "kind": "hashedrekord",
        "spec": {"hashedRekordV002": {
            "data": {"algorithm": "SHA2_256", "digest": base64_encode(&artifact)},
            "signature": {
                "content": b["messageSignature"]["signature"],
                "verifier": {"keyDetails": "PKIX_ECDSA_P256_SHA_256",
                             "x509Certificate": {"rawBytes": b["verificationMaterial"]["certificate"]["rawBytes"]}}
            }
        }}
    });
    let entry = vs.rekor_v2_entry(vsig::jcs(&body).as_bytes());
    b["verificationMaterial"]["tlogEntries"]
        .as_array_mut()
        .unwrap()
        .push(entry);
    serde_json::to_vec(&b).unwrap()
}

fn check(
    vs: &VirtualSigstore,
    bundle: &[u8],
    artifact: [u8; 32],
) -> Result<(), rulepack_verify::Error> {
    let root = TrustedRoot::from_json(&vs.trusted_root_json())?;
    let bundle = Bundle::from_json(bundle)?;
    let policy = Policy::identity(Matcher::exact(ISSUER), Matcher::exact(IDENTITY));
    Verifier::new(root)
        .verify(
            &bundle,
            &ArtifactDigests::sha256(artifact),
            &policy,
            T0 + 3600,
        )
        .map(|v| {
            assert_eq!(v.tlog_entries.len(), 2);
            assert_eq!(
                v.tlog_entries
                    .iter()
                    .map(|e| e.rekor_version)
                    .collect::<Vec<_>>(),
                [1, 2]
            );
        })
}

#[test]
fn rekor_v2_log_must_be_valid_at_the_set_time() {
    let artifact = rulepack_verify::crypto::sha256(b"pack manifest");
    let mut vs = VirtualSigstore::new(77);
    let bundle = bundle_in_both_logs(&mut vs, artifact);
    let set_time = T0 + 60;

    // Control: both logs valid at the SET time.
    check(&vs, &bundle, artifact).unwrap();
    // Inclusive end: the v2 log's window ends exactly at the SET time.
    vs.set_validity(Authority::TlogV2, T0 - 86_400, Some(set_time));
    check(&vs, &bundle, artifact).unwrap();
    // The v2 log's window ends one second before the only verified time.
    vs.set_validity(Authority::TlogV2, T0 - 86_400, Some(set_time - 1));
    let e = check(&vs, &bundle, artifact).unwrap_err();
    assert_eq!(e.code(), "tlog.log-not-valid-at-signing-time", "{e}");
    // ... or starts after it.
    vs.set_validity(Authority::TlogV2, set_time + 1, None);
    let e = check(&vs, &bundle, artifact).unwrap_err();
    assert_eq!(e.code(), "tlog.log-not-valid-at-signing-time", "{e}");
}

/// A Rekor v1 entry without a SET (allowed from bundle v0.2 on: the time comes from an
/// RFC 3161 timestamp) must still come from a log that was valid at that time.
#[test]
fn rekor_v1_log_without_set_must_be_valid_at_the_timestamp() {
    let artifact = rulepack_verify::crypto::sha256(b"another manifest");
    let mut vs = VirtualSigstore::new(78);
    let ts_time = T0 + 30;
    let mut opts = SignOptions::new(San::Uri(IDENTITY.into()), ISSUER, T0);
    opts.timestamps = vec![ts_time];
    let mut b: Value = serde_json::from_slice(&vs.sign(artifact, &opts)).unwrap();
    // Drop the SET: the inclusion proof and checkpoint remain; the only verified time is
    // the timestamp's.
    b["verificationMaterial"]["tlogEntries"][0]
        .as_object_mut()
        .unwrap()
        .remove("inclusionPromise");
    let bundle = serde_json::to_vec(&b).unwrap();
    let verify_one = |vs: &VirtualSigstore| {
        let root = TrustedRoot::from_json(&vs.trusted_root_json()).unwrap();
        let policy = Policy::identity(Matcher::exact(ISSUER), Matcher::exact(IDENTITY));
        Verifier::new(root).verify(
            &Bundle::from_json(&bundle).unwrap(),
            &ArtifactDigests::sha256(artifact),
            &policy,
            T0 + 3600,
        )
    };
    // Control: verifies, with the timestamp as the only signing time.
    let v = verify_one(&vs).unwrap();
    assert_eq!(v.times.len(), 1);
    assert_eq!(v.tlog_entries[0].integrated_time, None);
    // Inclusive end at the timestamp's time still verifies.
    vs.set_validity(Authority::TlogV1, T0 - 86_400, Some(ts_time));
    verify_one(&vs).unwrap();
    // The v1 log key was retired before the timestamp: rejected.
    vs.set_validity(Authority::TlogV1, T0 - 86_400, Some(ts_time - 1));
    let e = verify_one(&vs).unwrap_err();
    assert_eq!(e.code(), "tlog.log-not-valid-at-signing-time", "{e}");
}
