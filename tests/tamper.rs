//! Tamper suite: real, registry-sourced bundles (vendored in `testdata/real/`, see
//! `testdata/README.md`) with one verified field mutated at a time. Each mutation must
//! be rejected **by the stage that should catch it** (`Error::stage()`), and the
//! unmutated bundle must verify. Runs offline with no environment needed.

#[path = "common/both.rs"]
mod both;
use both::verify_both;

use rulepack_verify::bundle::Bundle;
use rulepack_verify::encoding::{base64_decode, base64_encode};
use rulepack_verify::policy::{IdentityRule, Matcher, VerificationPolicy};
use rulepack_verify::trust_root::TrustedRoot;
use rulepack_verify::verify::{ArtifactDigests, Verified};
use rulepack_verify::Error;
use serde_json::Value;

/// After every signing in the fixtures (2026-11-26).
const NOW: i64 = 1_795_651_200;
const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");

struct Fixture {
    name: &'static str,
    bundle: Value,
    root: Value,
    artifact: ArtifactDigests,
    identity: &'static str,
    issuer: &'static str,
}

fn read_json(rel: &str) -> Value {
    serde_json::from_slice(&std::fs::read(format!("{TESTDATA}/{rel}")).unwrap()).unwrap()
}

fn message_fixture() -> Fixture {
    // sigstore_protobuf_specs 0.5.2 assets/a.txt.sigstore: v0.2, messageSignature,
    // hashedrekord 0.0.1 with SET + inclusion proof + checkpoint, SCT.
    Fixture {
        name: "a.txt.sigstore",
        bundle: read_json("real/a.txt.sigstore"),
        root: read_json("trust/sigstore_trusted_root.json"),
        artifact: ArtifactDigests::of_bytes(
            &std::fs::read(format!("{TESTDATA}/real/a.txt")).unwrap(),
        ),
        identity: "a@tny.town",
        issuer: "https://github.com/login/oauth",
    }
}

fn dsse_fixture() -> Fixture {
    // sigstore 0.15.0 tests/data/bundle_v03.json: cosign v3 signature of an OCI image:
    // DSSE in-toto statement, dsse 0.0.1 with SET + proof + checkpoint, SCT, RFC 3161.
    Fixture {
        name: "bundle_v03.json",
        bundle: read_json("real/bundle_v03.json"),
        root: read_json("trust/sigstore_trusted_root.json"),
        artifact: ArtifactDigests::parse(
            "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172",
        )
        .unwrap(),
        identity: "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0",
        issuer: "https://token.actions.githubusercontent.com",
    }
}

fn run(
    fx: &Fixture,
    bundle: &Value,
    root: &Value,
    artifact: &ArtifactDigests,
) -> Result<Verified, Error> {
    let root = TrustedRoot::from_json(&serde_json::to_vec(root).unwrap())?;
    let bundle = Bundle::from_json(&serde_json::to_vec(bundle).unwrap())?;
    let policy = VerificationPolicy::Identities(vec![IdentityRule::new(
        Matcher::exact(fx.issuer),
        Matcher::exact(fx.identity),
    )]);
    verify_both(&bundle, artifact, &root, &policy, NOW)
}

fn field<'a>(v: &'a mut Value, ptr: &str) -> &'a mut Value {
    v.pointer_mut(ptr)
        .unwrap_or_else(|| panic!("no field {ptr}"))
}

/// XORs one byte (index taken modulo the length, negative from the end) of a base64 field.
fn flip_b64(v: &mut Value, ptr: &str, idx: isize) {
    let f = field(v, ptr);
    let mut bytes = base64_decode(f.as_str().unwrap()).unwrap();
    let len = isize::try_from(bytes.len()).unwrap();
    let i = usize::try_from(idx.rem_euclid(len)).unwrap();
    bytes[i] ^= 0x01;
    *f = Value::String(base64_encode(&bytes));
}

/// Replaces the first occurrence of `from` with `to` inside a base64 field's bytes.
fn replace_in_b64(v: &mut Value, ptr: &str, from: &[u8], to: &[u8]) {
    let f = field(v, ptr);
    let mut bytes = base64_decode(f.as_str().unwrap()).unwrap();
    let pos = bytes
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{ptr}: pattern not found"));
    bytes.splice(pos..pos + from.len(), to.iter().copied());
    *f = Value::String(base64_encode(&bytes));
}

fn add_to_int(v: &mut Value, ptr: &str, delta: i64) {
    let f = field(v, ptr);
    let n: i64 = match f {
        Value::String(s) => s.parse().unwrap(),
        Value::Number(n) => n.as_i64().unwrap(),
        _ => panic!("{ptr} not an integer"),
    };
    *f = Value::String((n + delta).to_string());
}

fn edit_str(v: &mut Value, ptr: &str, edit: impl Fn(&str) -> String) {
    let f = field(v, ptr);
    *f = Value::String(edit(f.as_str().unwrap()));
}

type Mutation = Box<dyn Fn(&mut Value, &mut Value, &mut ArtifactDigests)>;

fn check(fx: &Fixture, cases: Vec<(&str, &str, Mutation)>) {
    let baseline = run(fx, &fx.bundle, &fx.root, &fx.artifact).unwrap_or_else(|e| {
        panic!(
            "{}: unmutated bundle must verify: error[{}]: {e}",
            fx.name,
            e.code()
        )
    });
    assert!(!baseline.times.is_empty());
    let mut wrong = Vec::new();
    for (what, stage, mutate) in &cases {
        let (mut b, mut r, mut a) = (fx.bundle.clone(), fx.root.clone(), fx.artifact.clone());
        mutate(&mut b, &mut r, &mut a);
        match run(fx, &b, &r, &a) {
            Ok(_) => wrong.push(format!("{what}: ACCEPTED (expected {stage}.*)")),
            Err(e) if e.stage() == *stage => {
                println!("ok {}: {what}: error[{}]: {e}", fx.name, e.code())
            }
            Err(e) => wrong.push(format!(
                "{what}: expected {stage}.*, got error[{}]: {e}",
                e.code()
            )),
        }
    }
    println!(
        "{}: {} mutations, {} wrong",
        fx.name,
        cases.len(),
        wrong.len()
    );
    assert!(wrong.is_empty(), "{}:\n{}", fx.name, wrong.join("\n"));
}

const TLOG: &str = "/verificationMaterial/tlogEntries/0";

macro_rules! m {
    ($what:expr, $stage:expr, |$b:ident, $r:ident, $a:ident| $body:expr) => {
        (
            $what,
            $stage,
            Box::new(|$b: &mut Value, $r: &mut Value, $a: &mut ArtifactDigests| {
                let _ = (&$b, &$r, &$a);
                $body;
            }) as Mutation,
        )
    };
}

/// Mutations every fixture with a Rekor v1 entry (SET + proof + checkpoint) shares.
fn tlog_cases(n_hashes: usize) -> Vec<(&'static str, &'static str, Mutation)> {
    let mut v = vec![
        m!("duplicated tlog entry", "tlog", |b, r, a| {
            let entries = b["verificationMaterial"]["tlogEntries"]
                .as_array_mut()
                .unwrap();
            let first = entries[0].clone();
            entries.push(first);
        }),
        m!("SET signature byte", "tlog", |b, r, a| flip_b64(
            b,
            &format!("{TLOG}/inclusionPromise/signedEntryTimestamp"),
            20
        )),
        m!("SET last byte", "tlog", |b, r, a| flip_b64(
            b,
            &format!("{TLOG}/inclusionPromise/signedEntryTimestamp"),
            -1
        )),
        m!("integrated time +1", "tlog", |b, r, a| add_to_int(
            b,
            &format!("{TLOG}/integratedTime"),
            1
        )),
        m!("log index +1", "tlog", |b, r, a| add_to_int(
            b,
            &format!("{TLOG}/logIndex"),
            1
        )),
        m!("log id", "tlog", |b, r, a| flip_b64(
            b,
            &format!("{TLOG}/logId/keyId"),
            0
        )),
        m!("root hash", "tlog", |b, r, a| flip_b64(
            b,
            &format!("{TLOG}/inclusionProof/rootHash"),
            5
        )),
        m!("tree size +1", "tlog", |b, r, a| add_to_int(
            b,
            &format!("{TLOG}/inclusionProof/treeSize"),
            1
        )),
        m!("proof log index -1", "tlog", |b, r, a| add_to_int(
            b,
            &format!("{TLOG}/inclusionProof/logIndex"),
            -1
        )),
        m!("checkpoint tree size", "tlog", |b, r, a| edit_str(
            b,
            &format!("{TLOG}/inclusionProof/checkpoint/envelope"),
            |s| {
                let mut lines: Vec<String> = s.split('\n').map(str::to_owned).collect();
                lines[1] = (lines[1].parse::<u64>().unwrap() + 1).to_string();
                lines.join("\n")
            }
        )),
        m!("checkpoint origin", "tlog", |b, r, a| edit_str(
            b,
            &format!("{TLOG}/inclusionProof/checkpoint/envelope"),
            |s| s.replacen("rekor.sigstore.dev - ", "rekor.sigstore.dev - 9", 1)
        )),
        m!("checkpoint signature", "tlog", |b, r, a| edit_str(
            b,
            &format!("{TLOG}/inclusionProof/checkpoint/envelope"),
            |s| {
                // Change one base64 character of the signature line (after the key hint).
                let (head, sig) = s.trim_end().rsplit_once(' ').unwrap();
                let mut sig: Vec<char> = sig.chars().collect();
                let i = sig.len() - 10;
                sig[i] = if sig[i] == 'A' { 'B' } else { 'A' };
                format!("{head} {}\n", sig.into_iter().collect::<String>())
            }
        )),
        m!("checkpoint signer name", "tlog", |b, r, a| edit_str(
            b,
            &format!("{TLOG}/inclusionProof/checkpoint/envelope"),
            |s| s.replacen("— rekor.sigstore.dev ", "— rekor.example.dev ", 1)
        )),
        m!("body kind", "tlog", |b, r, a| edit_str(
            b,
            &format!("{TLOG}/kindVersion/version"),
            |_| "0.0.9".into()
        )),
        m!("canonicalized body byte", "tlog", |b, r, a| flip_b64(
            b,
            &format!("{TLOG}/canonicalizedBody"),
            40
        )),
        m!("log key not valid at integrated time", "tlog", |b, r, a| {
            for t in r["tlogs"].as_array_mut().unwrap() {
                if t["baseUrl"] == "https://rekor.sigstore.dev" {
                    t["publicKey"]["validFor"]["end"] =
                        Value::String("2021-01-13T00:00:00Z".into());
                }
            }
        }),
        m!("CT log unknown", "sct", |b, r, a| {
            for c in r["ctlogs"].as_array_mut().unwrap() {
                flip_b64(c, "/logId/keyId", 3);
            }
        }),
        m!("CT log key replaced by the Rekor key", "sct", |b, r, a| {
            let rekor_key = r["tlogs"][0]["publicKey"].clone();
            for c in r["ctlogs"].as_array_mut().unwrap() {
                c["publicKey"]["rawBytes"] = rekor_key["rawBytes"].clone();
            }
        }),
        m!(
            "Fulcio CA not valid at signing time",
            "certificate",
            |b, r, a| {
                // Each CA's window shrinks to its first second.
                for ca in r["certificateAuthorities"].as_array_mut().unwrap() {
                    ca["validFor"]["end"] = ca["validFor"]["start"].clone();
                }
            }
        ),
    ];
    for i in 0..n_hashes {
        v.push((
            "inclusion proof hash",
            "tlog",
            Box::new(
                move |b: &mut Value, _: &mut Value, _: &mut ArtifactDigests| {
                    flip_b64(b, &format!("{TLOG}/inclusionProof/hashes/{i}"), 7)
                },
            ) as Mutation,
        ));
    }
    v
}

#[test]
fn message_signature_bundle_tampering() {
    let fx = message_fixture();
    let leaf = "/verificationMaterial/x509CertificateChain/certificates/0/rawBytes";
    let n = fx
        .bundle
        .pointer(&format!("{TLOG}/inclusionProof/hashes"))
        .unwrap()
        .as_array()
        .unwrap()
        .len();
    let mut cases = tlog_cases(n);
    cases.extend(vec![
        m!("signature byte", "signature", |b, r, a| flip_b64(
            b,
            "/messageSignature/signature",
            12
        )),
        m!("signature last byte", "signature", |b, r, a| flip_b64(
            b,
            "/messageSignature/signature",
            -1
        )),
        m!("message digest", "signature", |b, r, a| flip_b64(
            b,
            "/messageSignature/messageDigest/digest",
            0
        )),
        m!("other artifact", "signature", |b, r, a| *a =
            ArtifactDigests::of_bytes(b"not a.txt")),
        m!("certificate signature value", "certificate", |b, r, a| {
            flip_b64(b, leaf, -1)
        }),
        m!("certificate SAN", "certificate", |b, r, a| replace_in_b64(
            b,
            leaf,
            b"a@tny.town",
            b"b@tny.town"
        )),
        m!("certificate issuer extension", "certificate", |b, r, a| {
            replace_in_b64(
                b,
                leaf,
                b"https://github.com/login/oauth",
                b"https://github.com/login/oautH",
            )
        }),
        m!("certificate serial", "certificate", |b, r, a| flip_b64(
            b, leaf, 16
        )),
    ]);
    check(&fx, cases);
}

#[test]
fn dsse_bundle_tampering() {
    let fx = dsse_fixture();
    let leaf = "/verificationMaterial/certificate/rawBytes";
    let ts = "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp";
    let n = fx
        .bundle
        .pointer(&format!("{TLOG}/inclusionProof/hashes"))
        .unwrap()
        .as_array()
        .unwrap()
        .len();
    let mut cases = tlog_cases(n);
    cases.extend(vec![
        m!("DSSE signature", "signature", |b, r, a| flip_b64(
            b,
            "/dsseEnvelope/signatures/0/sig",
            10
        )),
        m!("DSSE payload type", "signature", |b, r, a| edit_str(
            b,
            "/dsseEnvelope/payloadType",
            |s| format!("{s}x")
        )),
        m!("DSSE payload subject digest", "signature", |b, r, a| {
            replace_in_b64(b, "/dsseEnvelope/payload", b"c811d58d", b"c811d58e")
        }),
        m!("DSSE payload predicate type", "signature", |b, r, a| {
            replace_in_b64(b, "/dsseEnvelope/payload", b"sign/v1", b"sign/v2")
        }),
        m!("other artifact digest", "signature", |b, r, a| {
            *a = ArtifactDigests::parse(
                "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            )
            .unwrap()
        }),
        m!("certificate signature value", "certificate", |b, r, a| {
            flip_b64(b, leaf, -1)
        }),
        m!("certificate SAN", "certificate", |b, r, a| replace_in_b64(
            b,
            leaf,
            b"kubewarden-controller",
            b"kubewarden-controllex"
        )),
        m!(
            "timestamp token: last byte (signature)",
            "timestamp",
            |b, r, a| flip_b64(b, ts, -1)
        ),
        m!("timestamp token: genTime", "timestamp", |b, r, a| {
            replace_in_b64(b, ts, b"2026", b"2027")
        }),
        m!(
            "timestamp token: message imprint",
            "timestamp",
            |b, r, a| {
                // The imprint is SHA-256 of the DSSE signature bytes.
                let sig = base64_decode(
                    b.pointer("/dsseEnvelope/signatures/0/sig")
                        .unwrap()
                        .as_str()
                        .unwrap(),
                )
                .unwrap();
                let h = rulepack_verify::crypto::sha256(&sig);
                let mut g = h;
                g[31] ^= 1;
                replace_in_b64(b, ts, &h, &g)
            }
        ),
        m!("TSA certificate in trusted root", "timestamp", |b, r, a| {
            flip_b64(
                &mut r["timestampAuthorities"][0],
                "/certChain/certificates/0/rawBytes",
                -1,
            )
        }),
        m!("TSA not valid at genTime", "timestamp", |b, r, a| {
            r["timestampAuthorities"][0]["validFor"]["end"] =
                Value::String("2025-07-05T00:00:00Z".into())
        }),
    ]);
    check(&fx, cases);
}

/// Several stages broken at once: the scoped-thread pipeline must report the same
/// (first-in-step-order) error as the sequential one. `verify_both` asserts the two
/// agree; this pins the expected stage for each combination too.
#[test]
fn several_failures_report_the_first_stage_in_both_modes() {
    let fx = dsse_fixture();
    let sig = |b: &mut Value| flip_b64(b, "/dsseEnvelope/signatures/0/sig", 10);
    let ts = |b: &mut Value| {
        flip_b64(
            b,
            "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp",
            -20,
        )
    };
    let set = |b: &mut Value| {
        flip_b64(
            b,
            &format!("{TLOG}/inclusionPromise/signedEntryTimestamp"),
            20,
        )
    };
    let leaf = |b: &mut Value| flip_b64(b, "/verificationMaterial/certificate/rawBytes", -10);
    type Edit<'a> = &'a dyn Fn(&mut Value);
    let combos: Vec<(&str, Vec<Edit>, &str)> = vec![
        ("timestamp + SET", vec![&ts, &set], "timestamp"),
        ("SET + certificate", vec![&set, &leaf], "tlog"),
        ("timestamp + certificate", vec![&ts, &leaf], "timestamp"),
        (
            "signature + timestamp + SET",
            vec![&sig, &ts, &set],
            "signature",
        ),
        ("all four", vec![&sig, &ts, &set, &leaf], "signature"),
    ];
    for (what, edits, stage) in combos {
        let mut b = fx.bundle.clone();
        for e in edits {
            e(&mut b);
        }
        let err = run(&fx, &b, &fx.root, &fx.artifact).expect_err(what);
        assert_eq!(err.stage(), stage, "{what}: {err}");
    }
}
