//! Every vendored real bundle of `testdata/real/index.json` gives its expected result,
//! with the expected error code; with `RULEPACK_CORPUS` set, so does every bundle of the
//! corpus's `real/index.json` (pass or fail). Through the library API (some artifacts
//! are known only by a digest).

mod common;

use std::path::Path;

#[path = "common/both.rs"]
mod both;
use both::verify_both;

use rulepack_verify::bundle::Bundle;
use rulepack_verify::crypto::PublicKey;
use rulepack_verify::policy::{IdentityRule, Matcher, VerificationPolicy};
use rulepack_verify::trust_root::TrustedRoot;
use rulepack_verify::verify::ArtifactDigests;
use serde_json::Value;

/// Verification "now": after every recorded signing (2026-11-26).
const NOW: i64 = 1_795_651_200;

fn load_root(real: &Path, spec: &str) -> TrustedRoot {
    let path = real.join(spec.split_whitespace().next().unwrap());
    let bytes = std::fs::read(&path).unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    // ClientTrustConfig (sigstore-python tsa/trust_config.json) wraps the trusted root.
    let bytes = match v.get("trustedRoot") {
        Some(inner) => serde_json::to_vec(inner).unwrap(),
        None => bytes,
    };
    TrustedRoot::from_json(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_index(real: &Path) -> Vec<Value> {
    serde_json::from_slice(&std::fs::read(real.join("index.json")).unwrap()).unwrap()
}

#[test]
fn real_bundles_give_their_expected_result() {
    let real = common::corpus::vendored_real();
    let index = read_index(&real);
    let (passed, failed) = check_index(&real, &index, &[]);
    assert!(
        passed >= 18 && failed >= 10,
        "{passed} passed, {failed} failed"
    );

    if let Some(corpus) = common::corpus::corpus_extra("real_bundles_give_their_expected_result") {
        let real = corpus.join("real");
        // Deliberate, documented divergences from the corpus index (webpki
        // `exceptions.json` style).
        let divergences: Vec<Value> =
            serde_json::from_str(include_str!("real_divergences.json")).unwrap();
        let (passed, failed) = check_index(&real, &read_index(&real), &divergences);
        assert!(
            passed >= 20 && failed >= 10,
            "{passed} passed, {failed} failed"
        );
    }
}

/// Verifies every bundle of `index` (paths relative to `real`); returns (verified,
/// failed as expected). An entry with a `code` must fail with exactly that code.
fn check_index(real: &Path, index: &[Value], divergences: &[Value]) -> (usize, usize) {
    let mut mismatches = Vec::new();
    let mut checked = 0;
    let mut failed = 0;
    for e in index {
        let file = e["file"].as_str().unwrap();
        let divergence = divergences.iter().find(|d| d["file"] == file);
        let expect = match divergence {
            Some(d) => {
                assert_eq!(
                    d["index_expect"], e["expect"],
                    "{file}: the index changed; revisit the divergence"
                );
                d["our_expect"].as_str().unwrap()
            }
            None => e["expect"].as_str().unwrap(),
        };
        let expect_pass = expect.starts_with("pass");
        assert!(
            expect_pass || expect.starts_with("fail"),
            "{file}: {expect}"
        );
        let root = load_root(real, e["trusted_root"].as_str().unwrap());
        let artifact = match e.get("artifact").and_then(Value::as_str) {
            Some(a) if real.join(a).is_file() => {
                ArtifactDigests::of_bytes(&std::fs::read(real.join(a)).unwrap())
            }
            _ => ArtifactDigests::parse(e["artifact_digest"].as_str().unwrap()).unwrap(),
        };
        let policy = match e.get("key").and_then(Value::as_str) {
            Some(k) => VerificationPolicy::PublicKey(
                PublicKey::from_pem(&std::fs::read_to_string(real.join(k)).unwrap()).unwrap(),
            ),
            None => VerificationPolicy::Identities(vec![IdentityRule::new(
                Matcher::exact(e["issuer"].as_str().unwrap_or_default()),
                Matcher::exact(e["identity"].as_str().unwrap_or_default()),
            )]),
        };
        let result = Bundle::from_json(&std::fs::read(real.join(file)).unwrap())
            .map_err(rulepack_verify::Error::from)
            // The sequential pipeline gives the same result.
            .and_then(|b| verify_both(&b, &artifact, &root, &policy, NOW));
        checked += 1;
        let code = divergence.unwrap_or(e)["code"].as_str();
        match (&result, expect_pass) {
            (Err(err), false) if code.is_some_and(|c| c != err.code()) => mismatches.push(format!(
                "{file}: expected error[{}], got error[{}]: {err}",
                code.unwrap_or_default(),
                err.code()
            )),
            (Ok(_), true) | (Err(_), false) => {
                if let Err(err) = &result {
                    failed += 1;
                    println!(
                        "ok (fails as expected) {file}: error[{}]: {err}",
                        err.code()
                    );
                }
            }
            (Ok(_), false) => {
                mismatches.push(format!("{file}: expected {expect}, but it verified"))
            }
            (Err(err), true) => mismatches.push(format!(
                "{file}: expected pass, got error[{}]: {err}",
                err.code()
            )),
        }
    }
    println!(
        "{} as expected, {} not",
        checked - mismatches.len(),
        mismatches.len()
    );
    assert_eq!(checked, index.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    (checked - failed, failed)
}
