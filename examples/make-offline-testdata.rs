//! Writes offline verification cases minted by the virtual Sigstore, in the layout of the
//! sigstore-conformance suite (sigstore-conformance `test/assets/bundle-verify`):
//!
//! ```text
//! <out>/<case>[_fail]/{bundle.sigstore.json, trusted_root.json, artifact, identity, issuer, README}
//! ```
//!
//! A case whose name ends in `_fail` must be rejected; every other case must verify with
//! `identity`/`issuer` as the expected signer (docs/verification.md "Thresholds" and "Time"). The
//! README says what each case exercises. Output is deterministic.
//!
//! Usage: `cargo run --example make-offline-testdata -- <out-dir>`
//!
//! Cross-check (2026, sigstore-python 4.5.1 `Verifier` with each case's trusted root and
//! identity): it agrees on 24 of the 28 cases. It accepts `ca-validfor-ended_fail`,
//! `tlog-validfor-ended_fail` and `ctlog-validfor-not-started_fail` (it does not check
//! those `validFor` windows at the signing time, which docs/verification.md "Time" requires) and rejects
//! `v2-timestamp-at-tsa-validfor-end` (it treats the TSA `validFor.end` as exclusive;
//! `sigstore_common.proto` `TimeRange` says inclusive, conformance `trust-root-tsa-validity-end-inclusive`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/vsig.rs"]
mod vsig;

use std::path::Path;

use rulepack_verify::crypto::sha256;
use rulepack_verify::encoding::{base64_decode, base64_encode};
use serde_json::Value;
use vsig::{Authority, CertRole, ContentKind, RekorMode, San, SignOptions, VirtualSigstore};

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const IDENTITY: &str =
    "https://github.com/lithastra/kubeatlas-rules/.github/workflows/release.yml@refs/tags/v1.0.0";
const OTHER_IDENTITY: &str =
    "https://github.com/lithastra-evil/kubeatlas-rules/.github/workflows/release.yml@refs/tags/v1.0.0";
/// 2025-06-01T12:00:00Z.
const T0: i64 = 1_748_779_200;
/// 2020-06-01T00:00:00Z.
const T2020: i64 = 1_590_969_600;
/// 2021-01-01T00:00:00Z.
const T2021: i64 = 1_609_459_200;
const ARTIFACT: &[u8] = b"rule pack payload\n";

/// First-party signing options: identity, issuer and the GitHub extensions docs/verification.md, "Trust policy" checks.
fn opts(rekor: RekorMode, content: ContentKind, timestamps: Vec<i64>) -> SignOptions {
    let mut o = SignOptions::new(San::Uri(IDENTITY.into()), ISSUER, T0);
    o.rekor = rekor;
    o.content = content;
    o.timestamps = timestamps;
    o.extensions = vec![
        (12, "https://github.com/lithastra/kubeatlas-rules".into()),
        (14, "refs/tags/v1.0.0".into()),
    ];
    o
}

fn v1_at(t: i64) -> RekorMode {
    RekorMode::V1 { integrated_time: t }
}

struct Case {
    name: &'static str,
    readme: &'static str,
    bundle: Vec<u8>,
    root: Vec<u8>,
    artifact: &'static [u8],
}

/// Flips the last bit of the base64 bytes field at `path` (JSON pointer) of a bundle.
fn tamper(bundle: &[u8], pointer: &str) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(bundle).unwrap();
    let field = v.pointer_mut(pointer).expect("pointer into the bundle");
    let mut raw = base64_decode(field.as_str().unwrap()).unwrap();
    *raw.last_mut().unwrap() ^= 1;
    *field = Value::String(base64_encode(&raw));
    serde_json::to_vec_pretty(&v).unwrap()
}

/// Replaces the string field at `pointer`.
fn replace(bundle: &[u8], pointer: &str, value: Value) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(bundle).unwrap();
    *v.pointer_mut(pointer).expect("pointer into the bundle") = value;
    serde_json::to_vec_pretty(&v).unwrap()
}

fn cases() -> Vec<Case> {
    let digest = sha256(ARTIFACT);
    let mut out = Vec::new();
    let mut add = |name, readme, vs: &mut VirtualSigstore, o: &SignOptions| {
        let bundle = vs.sign(digest, o);
        out.push(Case {
            name,
            readme,
            bundle,
            root: vs.trusted_root_json(),
            artifact: ARTIFACT,
        });
    };
    let v1 = || v1_at(T0 + 30);

    // Passing cases.
    let mut vs = VirtualSigstore::new(100);
    add("v1-happy-path", "Rekor v1 hashedrekord 0.0.1 (SET, inclusion proof, checkpoint), embedded SCT, message signature.",
        &mut vs, &opts(v1(), ContentKind::MessageSignature, vec![]));
    add("v1-dsse-with-timestamp", "cosign v3 DSSE in-toto statement, Rekor v1 dsse 0.0.1, one RFC 3161 timestamp with embedded TSA certs.",
        &mut vs, &opts(v1(), ContentKind::CosignDsse, vec![T0 + 31]));
    add("v2-happy-path", "Rekor v2 hashedrekord 0.0.2 (Ed25519 checkpoint, no SET), time from one RFC 3161 timestamp.",
        &mut vs, &opts(RekorMode::V2, ContentKind::MessageSignature, vec![T0 + 5]));
    add("v2-dsse-happy-path", "cosign v3 DSSE logged in Rekor v2 as hashedrekord 0.0.2 over SHA-256(PAE); RFC 3161 timestamp.",
        &mut vs, &opts(RekorMode::V2, ContentKind::CosignDsse, vec![T0 + 5]));
    let mut o = opts(RekorMode::V2, ContentKind::MessageSignature, vec![T0 + 5]);
    o.embed_tsa_certs = false;
    add(
        "v2-timestamp-without-embedded-certs",
        "The RFC 3161 token carries no certificates; the TSA chain comes from the trusted root.",
        &mut vs,
        &o,
    );
    let o = opts(v1_at(T0 + 600), ContentKind::MessageSignature, vec![]);
    add(
        "v1-integrated-time-at-cert-not-after",
        "integratedTime equals the leaf notAfter (validity is inclusive).",
        &mut vs,
        &o,
    );

    let mut vs = VirtualSigstore::new(101);
    vs.set_cert_validity(CertRole::TsaLeaf, vsig::DEFAULT_START, T2021);
    let mut o = opts(
        RekorMode::V2,
        ContentKind::MessageSignature,
        vec![T2020 + 5],
    );
    o.signed_at = T2020;
    add("v2-tsa-cert-expired-now-valid-at-gentime", "The TSA signing certificate expired in 2021; the token's genTime (2020) is inside its validity, which is what counts.",
        &mut vs, &o);

    // Failing cases: time and validity windows.
    let mut vs = VirtualSigstore::new(102);
    add(
        "v1-integrated-time-after-cert-expiry_fail",
        "integratedTime is 1 s after the leaf notAfter.",
        &mut vs,
        &opts(v1_at(T0 + 601), ContentKind::MessageSignature, vec![]),
    );
    add(
        "v2-timestamp-after-cert-expiry_fail",
        "The only RFC 3161 genTime is 1 s after the leaf notAfter.",
        &mut vs,
        &opts(RekorMode::V2, ContentKind::MessageSignature, vec![T0 + 601]),
    );
    add(
        "v2-no-timestamp_fail",
        "Rekor v2 has no SET, and there is no RFC 3161 timestamp: no verified signing time.",
        &mut vs,
        &opts(RekorMode::V2, ContentKind::MessageSignature, vec![]),
    );
    add(
        "no-tlog-entry_fail",
        "A valid RFC 3161 timestamp but no transparency-log entry.",
        &mut vs,
        &opts(RekorMode::None, ContentKind::MessageSignature, vec![T0 + 5]),
    );
    let mut o = opts(v1(), ContentKind::MessageSignature, vec![]);
    o.with_sct = false;
    add(
        "no-sct_fail",
        "The leaf has no embedded SCT while the trusted root lists a CT log.",
        &mut vs,
        &o,
    );
    let mut o = opts(v1(), ContentKind::MessageSignature, vec![]);
    o.identity = San::Uri(OTHER_IDENTITY.into());
    add("first-party-identity-mismatch_fail", "Signed by ghcr.io/lithastra-evil's workflow; the expected identity is the first-party one.",
        &mut vs, &o);
    let mut o = opts(v1(), ContentKind::MessageSignature, vec![]);
    o.issuer = "https://accounts.vsig.test".into();
    add(
        "issuer-mismatch_fail",
        "Right SAN, wrong OIDC issuer.",
        &mut vs,
        &o,
    );

    for (name, readme, which, start, end) in [
        (
            "ca-validfor-ended_fail",
            "The Fulcio CA's validFor ended before the signing time.",
            Authority::Ca,
            vsig::DEFAULT_START,
            Some(T0 - 1),
        ),
        (
            "tlog-validfor-ended_fail",
            "The Rekor v1 log's validFor ended before integratedTime.",
            Authority::TlogV1,
            vsig::DEFAULT_START,
            Some(T0 + 29),
        ),
        (
            "ctlog-validfor-not-started_fail",
            "The CT log's validFor starts after the SCT timestamp.",
            Authority::Ctlog,
            T0 + 1,
            None,
        ),
    ] {
        let mut vs = VirtualSigstore::new(103);
        vs.set_validity(which, start, end);
        add(
            name,
            readme,
            &mut vs,
            &opts(v1(), ContentKind::MessageSignature, vec![]),
        );
    }
    for (name, readme, end) in [
        (
            "v2-timestamp-at-tsa-validfor-end",
            "The genTime equals the TSA's validFor end (inclusive).",
            T0 + 5,
        ),
        (
            "v2-timestamp-after-tsa-validfor-end_fail",
            "The genTime is 1 s after the TSA's validFor end.",
            T0 + 4,
        ),
    ] {
        let mut vs = VirtualSigstore::new(104);
        vs.set_validity(Authority::Tsa, vsig::DEFAULT_START, Some(end));
        add(
            name,
            readme,
            &mut vs,
            &opts(RekorMode::V2, ContentKind::MessageSignature, vec![T0 + 5]),
        );
    }

    // Failing cases: the artifact and tampered bytes.
    let mut vs = VirtualSigstore::new(105);
    let good_v1 = vs.sign(digest, &opts(v1(), ContentKind::MessageSignature, vec![]));
    let good_v2 = vs.sign(
        digest,
        &opts(RekorMode::V2, ContentKind::CosignDsse, vec![T0 + 5]),
    );
    let root = vs.trusted_root_json();
    let e = "/verificationMaterial/tlogEntries/0";
    for (name, readme, bundle, artifact) in [
        ("wrong-artifact_fail", "A valid bundle for a different artifact.", good_v1.clone(), &b"another payload\n"[..]),
        ("tampered-signature_fail", "The message signature's last byte is flipped (the Rekor body no longer matches either).", tamper(&good_v1, "/messageSignature/signature"), ARTIFACT),
        ("tampered-set_fail", "The SET's last byte is flipped.", tamper(&good_v1, &format!("{e}/inclusionPromise/signedEntryTimestamp")), ARTIFACT),
        ("tampered-inclusion-proof-hash_fail", "One inclusion-proof hash is altered.", tamper(&good_v1, &format!("{e}/inclusionProof/hashes/0")), ARTIFACT),
        ("tampered-root-hash_fail", "inclusionProof.rootHash differs from the checkpoint's root.", tamper(&good_v1, &format!("{e}/inclusionProof/rootHash")), ARTIFACT),
        ("tampered-certificate_fail", "The leaf certificate's signature is altered.", tamper(&good_v1, "/verificationMaterial/certificate/rawBytes"), ARTIFACT),
        ("v2-tampered-dsse-payload_fail", "The DSSE payload's last byte is altered after signing.", tamper(&good_v2, "/dsseEnvelope/payload"), ARTIFACT),
        ("v2-tampered-timestamp_fail", "The RFC 3161 token's last byte (inside its signature) is altered.", tamper(&good_v2, "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp"), ARTIFACT),
    ] {
        out.push(Case { name, readme, bundle, root: root.clone(), artifact });
    }
    // A token over other bytes than the signature (sigstore-go `pkg/verify/tsa.go`: it covers the signature).
    let foreign = vs.timestamp(b"not the signature", T0 + 5, true);
    out.push(Case {
        name: "v2-timestamp-over-other-bytes_fail",
        readme: "The RFC 3161 token is valid but stamps bytes other than the bundle's signature.",
        bundle: replace(
            &good_v2,
            "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp",
            Value::String(base64_encode(&foreign)),
        ),
        root: vs.trusted_root_json(),
        artifact: ARTIFACT,
    });
    out
}

fn write(out: &Path, c: &Case) {
    let dir = out.join(c.name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bundle.sigstore.json"), &c.bundle).unwrap();
    std::fs::write(dir.join("trusted_root.json"), &c.root).unwrap();
    std::fs::write(dir.join("artifact"), c.artifact).unwrap();
    std::fs::write(dir.join("identity"), IDENTITY).unwrap();
    std::fs::write(dir.join("issuer"), ISSUER).unwrap();
    let expect = if c.name.ends_with("_fail") {
        "must be rejected"
    } else {
        "must verify"
    };
    std::fs::write(
        dir.join("README"),
        format!(
            "{}\n\nMinted by examples/make-offline-testdata.rs (virtual Sigstore); {expect}.\n",
            c.readme
        ),
    )
    .unwrap();
}

fn main() {
    let Some(out) = std::env::args_os().nth(1) else {
        eprintln!("usage: make-offline-testdata <out-dir>");
        std::process::exit(2);
    };
    let out = Path::new(&out);
    let cases = cases();
    for c in &cases {
        write(out, c);
    }
    println!("wrote {} cases to {}", cases.len(), out.display());
}
