//! Tamper suite for Rekor v2 + RFC 3161 bundles (the fields `tests/tamper.rs` cannot
//! reach with the real v1 bundles): a virtual-Sigstore (`tests/common/vsig.rs`) bundle
//! logged as `hashedrekord 0.0.2` with an Ed25519 checkpoint and one RFC 3161 timestamp,
//! as a message signature and as a cosign DSSE statement. The unmutated bundle must
//! verify; each mutation of one field must be rejected **by the stage that should catch
//! it** (`Error::stage()`), or, where a case names a full code, with exactly that code.
//!
//! Body mutations are made twice: re-encoded in place (the Merkle leaf changes, so the
//! inclusion proof catches them) and *logged* (appended to the virtual log with a valid
//! proof and checkpoint, so only the body binding can catch them).

#[path = "common/vsig.rs"]
mod vsig;

#[path = "common/both.rs"]
mod both;
use both::verify_both;

use rulepack_verify::bundle::Bundle;
use rulepack_verify::crypto::sha256;
use rulepack_verify::encoding::{base64_decode, base64_encode};
use rulepack_verify::policy::{IdentityRule, Matcher, VerificationPolicy};
use rulepack_verify::trust_root::TrustedRoot;
use rulepack_verify::verify::{ArtifactDigests, Verified};
use rulepack_verify::Error;
use serde_json::Value;
use vsig::{ContentKind, RekorMode, San, SignOptions, VirtualSigstore};

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const IDENTITY: &str =
    "https://github.com/lithastra/kubeatlas-rules/.github/workflows/release.yml@refs/tags/v1.0.0";
/// 2025-06-01T12:00:00Z: signing instant (leaf notBefore).
const T0: i64 = 1_748_779_200;
/// The timestamp's genTime.
const GEN_TIME: i64 = T0 + 5;
/// Verification time: one day later.
const NOW: i64 = T0 + 86_400;
const ARTIFACT: &[u8] = b"rule pack payload\n";

const TLOG: &str = "/verificationMaterial/tlogEntries/0";
const BODY: &str = "/verificationMaterial/tlogEntries/0/canonicalizedBody";
const ENVELOPE: &str = "/verificationMaterial/tlogEntries/0/inclusionProof/checkpoint/envelope";
const TS: &str =
    "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp";
const LEAF: &str = "/verificationMaterial/certificate/rawBytes";
/// The `hashedrekord 0.0.2` spec object inside the decoded body.
const SPEC: &str = "/spec/hashedRekordV002";

struct Fixture {
    name: String,
    bundle: Value,
    root: Value,
    artifact: ArtifactDigests,
    /// The deployment that minted it (to log mutated bodies).
    vs: VirtualSigstore,
    content: ContentKind,
}

fn fixture(seed: u64, content: ContentKind, embed_tsa_certs: bool) -> Fixture {
    let mut vs = VirtualSigstore::new(seed);
    let mut o = SignOptions::new(San::Uri(IDENTITY.into()), ISSUER, T0);
    o.rekor = RekorMode::V2;
    o.content = content;
    o.timestamps = vec![GEN_TIME];
    o.embed_tsa_certs = embed_tsa_certs;
    let bundle = vs.sign(sha256(ARTIFACT), &o);
    Fixture {
        name: format!("v2 {content:?} (TSA certs embedded: {embed_tsa_certs})"),
        bundle: serde_json::from_slice(&bundle).unwrap(),
        root: serde_json::from_slice(&vs.trusted_root_json()).unwrap(),
        artifact: ArtifactDigests::of_bytes(ARTIFACT),
        vs,
        content,
    }
}

fn run(bundle: &Value, root: &Value, artifact: &ArtifactDigests) -> Result<Verified, Error> {
    let root = TrustedRoot::from_json(&serde_json::to_vec(root).unwrap())?;
    let bundle = Bundle::from_json(&serde_json::to_vec(bundle).unwrap())?;
    let policy = VerificationPolicy::Identities(vec![IdentityRule::new(
        Matcher::exact(ISSUER),
        Matcher::exact(IDENTITY),
    )]);
    verify_both(&bundle, artifact, &root, &policy, NOW)
}

type Mutation = Box<dyn Fn(&mut Value, &mut Value, &mut ArtifactDigests)>;

/// `(what, expected, mutation)`: `expected` is a stage (`tlog`) or a full code
/// (`tlog.unknown-log`).
type Case = (String, &'static str, Mutation);

fn case(
    what: impl Into<String>,
    expected: &'static str,
    f: impl Fn(&mut Value, &mut Value, &mut ArtifactDigests) + 'static,
) -> Case {
    (what.into(), expected, Box::new(f))
}

fn matches(e: &Error, expected: &str) -> bool {
    if expected.contains('.') {
        e.code() == expected
    } else {
        e.stage() == expected
    }
}

/// The unmutated bundle verifies; every case is rejected as expected; every benign
/// mutation (unsigned data a verifier must ignore) still verifies.
fn check(fx: &Fixture, cases: Vec<Case>, benign: Vec<Case>) {
    let baseline = run(&fx.bundle, &fx.root, &fx.artifact).unwrap_or_else(|e| {
        panic!(
            "{}: unmutated bundle must verify: error[{}]: {e}",
            fx.name,
            e.code()
        )
    });
    assert_eq!(baseline.times.len(), 1);
    assert_eq!(baseline.times[0].time, GEN_TIME);
    assert_eq!(baseline.tlog_entries[0].rekor_version, 2);
    let mut wrong = Vec::new();
    for (what, expected, mutate) in &cases {
        let (mut b, mut r, mut a) = (fx.bundle.clone(), fx.root.clone(), fx.artifact.clone());
        mutate(&mut b, &mut r, &mut a);
        assert!(
            b != fx.bundle || r != fx.root || a != fx.artifact,
            "{what}: the mutation changed nothing"
        );
        match run(&b, &r, &a) {
            Ok(_) => wrong.push(format!("{what}: ACCEPTED (expected {expected})")),
            Err(e) if matches(&e, expected) => {
                println!("ok {}: {what}: error[{}]: {e}", fx.name, e.code())
            }
            Err(e) => wrong.push(format!(
                "{what}: expected {expected}, got error[{}]: {e}",
                e.code()
            )),
        }
    }
    for (what, _, mutate) in &benign {
        let (mut b, mut r, mut a) = (fx.bundle.clone(), fx.root.clone(), fx.artifact.clone());
        mutate(&mut b, &mut r, &mut a);
        assert!(b != fx.bundle, "{what}: the mutation changed nothing");
        match run(&b, &r, &a) {
            Ok(v) if v.times.iter().map(|t| t.time).eq([GEN_TIME]) => {
                println!("ok {}: {what}: still verifies", fx.name)
            }
            Ok(_) => wrong.push(format!("{what}: verified with other times")),
            Err(e) => wrong.push(format!(
                "{what}: must still verify, got error[{}]: {e}",
                e.code()
            )),
        }
    }
    println!(
        "{}: {} mutations, {} benign, {} wrong",
        fx.name,
        cases.len(),
        benign.len(),
        wrong.len()
    );
    assert!(wrong.is_empty(), "{}:\n{}", fx.name, wrong.join("\n"));
}

fn field<'a>(v: &'a mut Value, ptr: &str) -> &'a mut Value {
    v.pointer_mut(ptr)
        .unwrap_or_else(|| panic!("no field {ptr}"))
}

fn b64_field(v: &Value, ptr: &str) -> Vec<u8> {
    base64_decode(v.pointer(ptr).unwrap().as_str().unwrap()).unwrap()
}

/// Applies `edit` to the bytes of a base64 field.
fn edit_b64(v: &mut Value, ptr: &str, edit: impl FnOnce(&mut Vec<u8>)) {
    let f = field(v, ptr);
    let mut bytes = base64_decode(f.as_str().unwrap()).unwrap();
    edit(&mut bytes);
    *f = Value::String(base64_encode(&bytes));
}

/// XORs bit 0 of one byte (negative index: from the end) of a base64 field.
fn flip_b64(v: &mut Value, ptr: &str, idx: isize) {
    edit_b64(v, ptr, |bytes| {
        let len = isize::try_from(bytes.len()).unwrap();
        let i = usize::try_from(idx.rem_euclid(len)).unwrap();
        bytes[i] ^= 0x01;
    });
}

fn add_to_int(v: &mut Value, ptr: &str, delta: i64) {
    let f = field(v, ptr);
    let n: i64 = match f {
        Value::String(s) => s.parse().unwrap(),
        Value::Number(n) => n.as_i64().unwrap(),
        _ => panic!("not an integer"),
    };
    *f = Value::String((n + delta).to_string());
}

fn edit_str(v: &mut Value, ptr: &str, edit: impl FnOnce(&str) -> String) {
    let f = field(v, ptr);
    *f = Value::String(edit(f.as_str().unwrap()));
}

// ---------------------------------------------------------------------------------------
// canonicalizedBody (hashedrekord 0.0.2)

type BodyEdit = fn(&mut Value);

/// Edits to the decoded body JSON, one field each.
fn body_edits() -> Vec<(&'static str, BodyEdit)> {
    fn flip(v: &mut Value, ptr: &str) {
        flip_b64(v, &format!("{SPEC}{ptr}"), -1);
    }
    vec![
        ("data.digest", |b| flip(b, "/data/digest")),
        ("data.algorithm", |b| {
            *field(b, &format!("{SPEC}/data/algorithm")) = "SHA2_384".into()
        }),
        ("signature.content", |b| flip(b, "/signature/content")),
        ("verifier x509Certificate.rawBytes", |b| {
            flip(b, "/signature/verifier/x509Certificate/rawBytes")
        }),
        ("verifier keyDetails", |b| {
            *field(b, &format!("{SPEC}/signature/verifier/keyDetails")) =
                "PKIX_ECDSA_P384_SHA_384".into()
        }),
        ("verifier replaced by a public key", |b| {
            let v = field(b, &format!("{SPEC}/signature/verifier"));
            let cert = v["x509Certificate"]["rawBytes"].clone();
            v.as_object_mut().unwrap().remove("x509Certificate");
            v["publicKey"] = serde_json::json!({ "rawBytes": cert });
        }),
        ("apiVersion", |b| b["apiVersion"] = "0.0.1".into()),
        ("kind", |b| b["kind"] = "dsse".into()),
    ]
}

fn decode_body(bundle: &Value) -> Value {
    serde_json::from_slice(&b64_field(bundle, BODY)).unwrap()
}

/// The body re-encoded (JCS) after `edit`.
fn edited_body(bundle: &Value, edit: BodyEdit) -> Vec<u8> {
    let mut body = decode_body(bundle);
    edit(&mut body);
    vsig::jcs(&body).into_bytes()
}

fn body_cases(fx: &mut Fixture) -> Vec<Case> {
    let mut v = Vec::new();
    for (what, edit) in body_edits() {
        // Re-encoded in place: the log never saw this body.
        v.push(case(
            format!("body {what} (in place)"),
            "tlog",
            move |b, _, _| {
                let body = edited_body(b, edit);
                *field(b, BODY) = Value::String(base64_encode(&body));
            },
        ));
        // Logged: a valid inclusion proof and checkpoint for a body that does not
        // describe this bundle; only the body binding (rekor `pkg/types/*/entry.go`) can reject it.
        let entry = fx.vs.rekor_v2_entry(&edited_body(&fx.bundle, edit));
        v.push(case(
            format!("body {what} (logged)"),
            "tlog",
            move |b, _, _| {
                *field(b, TLOG) = entry.clone();
            },
        ));
    }
    // Extra fields and a non-canonical encoding of the same body.
    let mut extra = decode_body(&fx.bundle);
    extra["spec"]["hashedRekordV002"]["extra"] = "x".into();
    let extra = vsig::jcs(&extra).into_bytes();
    let entry = fx.vs.rekor_v2_entry(&extra);
    v.push(case(
        "body with an unknown field (logged)",
        "tlog",
        move |b, _, _| {
            *field(b, TLOG) = entry.clone();
        },
    ));
    let pretty = serde_json::to_vec_pretty(&decode_body(&fx.bundle)).unwrap();
    v.push(case(
        "body pretty-printed (in place)",
        "tlog.inclusion-proof-invalid",
        move |b, _, _| *field(b, BODY) = Value::String(base64_encode(&pretty)),
    ));
    // The whole entry of another bundle (same deployment, same artifact).
    let mut o = SignOptions::new(San::Uri(IDENTITY.into()), ISSUER, T0);
    o.rekor = RekorMode::V2;
    o.content = fx.content;
    o.timestamps = vec![GEN_TIME];
    let other: Value = serde_json::from_slice(&fx.vs.sign(sha256(ARTIFACT), &o)).unwrap();
    let other_entry = other.pointer(TLOG).unwrap().clone();
    v.push(case(
        "the log entry of another signature of the same artifact",
        "tlog.body-mismatch",
        move |b, _, _| *field(b, TLOG) = other_entry.clone(),
    ));
    v
}

// ---------------------------------------------------------------------------------------
// Checkpoint, proof and entry fields

/// Edits line `i` (0-based) of the checkpoint note.
fn edit_line(s: &str, i: usize, f: impl FnOnce(&str) -> String) -> String {
    let mut lines: Vec<String> = s.split('\n').map(str::to_owned).collect();
    lines[i] = f(&lines[i]);
    lines.join("\n")
}

/// Edits the decoded signature (4-byte key hint || Ed25519 signature) of the first
/// signature line.
fn edit_note_sig(s: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
    let sig_line = s
        .split('\n')
        .position(|l| l.starts_with('\u{2014}'))
        .unwrap();
    edit_line(s, sig_line, |l| {
        let (head, b64) = l.rsplit_once(' ').unwrap();
        let mut sig = base64_decode(b64).unwrap();
        f(&mut sig);
        format!("{head} {}", base64_encode(&sig))
    })
}

fn log_cases(fx: &Fixture) -> Vec<Case> {
    let proof = format!("{TLOG}/inclusionProof");
    let n_hashes = fx
        .bundle
        .pointer(&format!("{proof}/hashes"))
        .unwrap()
        .as_array()
        .unwrap()
        .len();
    assert!(
        n_hashes >= 2,
        "the fixture's proof should have several hashes"
    );
    let v1_log_id = fx.root["tlogs"][0]["logId"]["keyId"].clone();
    // Another deployment's (valid) Ed25519 key under this log's ID.
    let other_key = base64_encode(&VirtualSigstore::new(499).rekor_v2_spki());
    let p = proof.clone();
    let mut v = vec![
        // Checkpoint (C2SP signed note).
        case("checkpoint origin", "tlog", |b, _, _| {
            edit_str(b, ENVELOPE, |s| edit_line(s, 0, |l| format!("{l}x")))
        }),
        case("checkpoint origin missing", "tlog", |b, _, _| {
            edit_str(b, ENVELOPE, |s| s.split_once('\n').unwrap().1.to_owned())
        }),
        case("checkpoint size", "tlog", |b, _, _| {
            edit_str(b, ENVELOPE, |s| {
                edit_line(s, 1, |l| (l.parse::<u64>().unwrap() + 1).to_string())
            })
        }),
        case("checkpoint root hash", "tlog", |b, _, _| {
            edit_str(b, ENVELOPE, |s| {
                edit_line(s, 2, |l| {
                    let mut h = base64_decode(l).unwrap();
                    h[0] ^= 1;
                    base64_encode(&h)
                })
            })
        }),
        case(
            "checkpoint extra body line (unsigned)",
            "tlog",
            |b, _, _| {
                edit_str(b, ENVELOPE, |s| {
                    edit_line(s, 2, |l| format!("{l}\nextension"))
                })
            },
        ),
        case("checkpoint signer name", "tlog", |b, _, _| {
            edit_str(b, ENVELOPE, |s| {
                s.replacen(
                    &format!("\u{2014} {} ", vsig::REKOR_V2_NAME),
                    "\u{2014} log.vsig.tesu ",
                    1,
                )
            })
        }),
        case("checkpoint key hint", "tlog", |b, _, _| {
            edit_str(b, ENVELOPE, |s| edit_note_sig(s, |sig| sig[0] ^= 1))
        }),
        case("checkpoint key hint (last byte)", "tlog", |b, _, _| {
            edit_str(b, ENVELOPE, |s| edit_note_sig(s, |sig| sig[3] ^= 1))
        }),
        case("checkpoint signature bytes", "tlog", |b, _, _| {
            edit_str(b, ENVELOPE, |s| edit_note_sig(s, |sig| sig[10] ^= 1))
        }),
        case("checkpoint signature last byte", "tlog", |b, _, _| {
            edit_str(b, ENVELOPE, |s| {
                edit_note_sig(s, |sig| *sig.last_mut().unwrap() ^= 1)
            })
        }),
        case("checkpoint signature truncated", "tlog", |b, _, _| {
            edit_str(b, ENVELOPE, |s| {
                edit_note_sig(s, |sig| sig.truncate(sig.len() - 1))
            })
        }),
        case("checkpoint without signature", "tlog", |b, _, _| {
            edit_str(b, ENVELOPE, |s| {
                s.split("\n\n").next().unwrap().to_owned() + "\n\n"
            })
        }),
        // Entry and proof.
        case("top-level logIndex + 1", "tlog", |b, _, _| {
            add_to_int(b, &format!("{TLOG}/logIndex"), 1)
        }),
        case("top-level logIndex - 1", "tlog", |b, _, _| {
            add_to_int(b, &format!("{TLOG}/logIndex"), -1)
        }),
        case(
            "proof logIndex - 1",
            "tlog.inclusion-proof-inconsistent",
            move |b, _, _| add_to_int(b, &format!("{p}/logIndex"), -1),
        ),
    ];
    let p = proof.clone();
    v.push(case(
        "proof treeSize + 1",
        "tlog.inclusion-proof-inconsistent",
        move |b, _, _| add_to_int(b, &format!("{p}/treeSize"), 1),
    ));
    let p = proof.clone();
    v.push(case(
        "proof rootHash",
        "tlog.inclusion-proof-inconsistent",
        move |b, _, _| flip_b64(b, &format!("{p}/rootHash"), 3),
    ));
    let p = proof.clone();
    v.push(case(
        "both logIndex fields - 1",
        "tlog.inclusion-proof-invalid",
        move |b, _, _| {
            add_to_int(b, &format!("{TLOG}/logIndex"), -1);
            add_to_int(b, &format!("{p}/logIndex"), -1);
        },
    ));
    for i in 0..n_hashes {
        let p = proof.clone();
        v.push(case(
            format!("proof hash {i}"),
            "tlog.inclusion-proof-invalid",
            move |b, _, _| flip_b64(b, &format!("{p}/hashes/{i}"), 7),
        ));
    }
    let p = proof.clone();
    v.push(case("proof hash removed", "tlog", move |b, _, _| {
        field(b, &format!("{p}/hashes"))
            .as_array_mut()
            .unwrap()
            .pop();
    }));
    let p = proof.clone();
    v.push(case("proof hash added", "tlog", move |b, _, _| {
        let h = field(b, &format!("{p}/hashes"));
        let first = h[0].clone();
        h.as_array_mut().unwrap().push(first);
    }));
    let p = proof.clone();
    v.push(case("proof hashes swapped", "tlog", move |b, _, _| {
        field(b, &format!("{p}/hashes"))
            .as_array_mut()
            .unwrap()
            .swap(0, 1);
    }));
    v.extend([
        case("logId", "tlog.unknown-log", |b, _, _| {
            flip_b64(b, &format!("{TLOG}/logId/keyId"), 0)
        }),
        case("logId of the Rekor v1 log", "tlog", move |b, _, _| {
            *field(b, &format!("{TLOG}/logId/keyId")) = v1_log_id.clone()
        }),
        case(
            "Rekor v2 log removed from the trusted root",
            "tlog.unknown-log",
            |_, r, _| {
                r["tlogs"].as_array_mut().unwrap().remove(1);
            },
        ),
        case(
            "Rekor v2 log key replaced in the trusted root",
            "tlog",
            move |_, r, _| r["tlogs"][1]["publicKey"]["rawBytes"] = other_key.clone().into(),
        ),
        case("kindVersion.version 0.0.1", "tlog", |b, _, _| {
            *field(b, &format!("{TLOG}/kindVersion/version")) = "0.0.1".into()
        }),
        case("kindVersion.kind dsse", "tlog", |b, _, _| {
            *field(b, &format!("{TLOG}/kindVersion/kind")) = "dsse".into()
        }),
        case(
            "an inclusion promise (SET) added",
            "tlog.set-on-rekor-v2",
            |b, _, _| {
                field(b, TLOG)["inclusionPromise"] =
                    serde_json::json!({ "signedEntryTimestamp": base64_encode(&[0x30, 0x00]) })
            },
        ),
    ]);
    v
}

/// Unsigned additions a verifier must ignore (C2SP signed-note: unknown signature lines,
/// e.g. witness cosignatures, are skipped).
fn benign_log_cases() -> Vec<Case> {
    vec![case("witness cosignature line appended", "", |b, _, _| {
        edit_str(b, ENVELOPE, |s| {
            let mut sig = vec![0xde, 0xad, 0xbe, 0xef];
            sig.extend_from_slice(&[7u8; 72]);
            format!("{s}\u{2014} witness.example {}\n", base64_encode(&sig))
        })
    })]
}

// ---------------------------------------------------------------------------------------
// RFC 3161 token: a minimal DER walker to find each field's offset

/// One DER TLV at `off`: single-byte tag, `hdr` header bytes, `len` content bytes.
#[derive(Clone, Copy, Debug)]
struct Tlv {
    off: usize,
    hdr: usize,
    len: usize,
}

impl Tlv {
    fn at(buf: &[u8], off: usize) -> Self {
        let first = buf[off + 1];
        let (hdr, len) = if first < 0x80 {
            (2, usize::from(first))
        } else {
            let n = usize::from(first & 0x7f);
            let len = buf[off + 2..off + 2 + n]
                .iter()
                .fold(0usize, |a, b| (a << 8) | usize::from(*b));
            (2 + n, len)
        };
        Self { off, hdr, len }
    }
    fn start(&self) -> usize {
        self.off + self.hdr
    }
    fn end(&self) -> usize {
        self.start() + self.len
    }
    fn last(&self) -> usize {
        self.end() - 1
    }
    fn kids(&self, buf: &[u8]) -> Vec<Tlv> {
        let mut out = Vec::new();
        let mut o = self.start();
        while o < self.end() {
            let t = Tlv::at(buf, o);
            o = t.end();
            out.push(t);
        }
        out
    }
    fn content<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[self.start()..self.end()]
    }
}

/// Named byte offsets in a vsig `TimeStampResp` (see `VirtualSigstore::timestamp`).
fn token_offsets(tok: &[u8], tsa_leaf: &[u8]) -> Vec<(String, usize, &'static str)> {
    let resp = Tlv::at(tok, 0);
    assert_eq!(resp.end(), tok.len());
    let [status, ci] = resp.kids(tok)[..] else {
        panic!("TimeStampResp")
    };
    let [oid, explicit] = ci.kids(tok)[..] else {
        panic!("ContentInfo")
    };
    let sd = explicit.kids(tok)[0];
    let sd_kids = sd.kids(tok);
    let (version, encap, signer_infos) = (sd_kids[0], sd_kids[2], *sd_kids.last().unwrap());
    let certs = (sd_kids.len() == 5).then(|| sd_kids[3]);
    let [econtent_type, econtent] = encap.kids(tok)[..] else {
        panic!("EncapsulatedContentInfo")
    };
    let octets = econtent.kids(tok)[0];
    let tst = Tlv::at(tok, octets.start());
    let tk = tst.kids(tok);
    let (tst_version, policy, imprint, serial, gen_time) = (tk[0], tk[1], tk[2], tk[3], tk[4]);
    let [imprint_alg, imprint_hash] = imprint.kids(tok)[..] else {
        panic!("MessageImprint")
    };
    let si = signer_infos.kids(tok)[0];
    let sk = si.kids(tok);
    let (si_version, sid, digest_alg, attrs, sig_alg, sig) =
        (sk[0], sk[1], sk[2], sk[3], sk[4], sk[5]);
    let sid_serial = sid.kids(tok)[1];

    let mut v = vec![
        // Unsigned envelope: each must still be checked.
        (
            "PKIStatus granted -> rejection".to_owned(),
            status.kids(tok)[0].last(),
            "timestamp.not-granted",
        ),
        ("ContentInfo contentType".into(), oid.last(), "timestamp"),
        ("SignedData version".into(), version.last(), "timestamp"),
        ("eContentType".into(), econtent_type.last(), "timestamp"),
        // TSTInfo (covered by messageDigest).
        ("TSTInfo version".into(), tst_version.last(), "timestamp"),
        ("TSTInfo policy".into(), policy.last(), "timestamp"),
        (
            "message imprint hash algorithm".into(),
            imprint_alg.kids(tok)[0].last(),
            "timestamp",
        ),
        (
            "message imprint first byte".into(),
            imprint_hash.start(),
            "timestamp.imprint-mismatch",
        ),
        (
            "message imprint last byte".into(),
            imprint_hash.last(),
            "timestamp.imprint-mismatch",
        ),
        (
            "TSTInfo serialNumber".into(),
            serial.last(),
            "timestamp.message-digest-mismatch",
        ),
        // genTime YYYYMMDDHHMMSSZ: the year's last digit, the seconds' last digit.
        (
            "genTime year digit".into(),
            gen_time.start() + 3,
            "timestamp.message-digest-mismatch",
        ),
        (
            "genTime seconds digit".into(),
            gen_time.last() - 1,
            "timestamp.message-digest-mismatch",
        ),
        ("genTime 'Z'".into(), gen_time.last(), "timestamp"),
        // SignerInfo.
        ("SignerInfo version".into(), si_version.last(), "timestamp"),
        (
            "SignerInfo sid serial".into(),
            sid_serial.last(),
            "timestamp",
        ),
        (
            "SignerInfo digestAlgorithm".into(),
            digest_alg.kids(tok)[0].last(),
            "timestamp",
        ),
        (
            "SignerInfo signatureAlgorithm".into(),
            sig_alg.kids(tok)[0].last(),
            "timestamp",
        ),
        (
            "signature first byte of r".into(),
            sig.start() + 5,
            "timestamp.signature-invalid",
        ),
        (
            "signature last byte".into(),
            sig.last(),
            "timestamp.signature-invalid",
        ),
        ("token first byte".into(), 0, "timestamp"),
        ("token last byte".into(), tok.len() - 1, "timestamp"),
        ("token middle byte".into(), tok.len() / 2, "timestamp"),
    ];
    // Each signed attribute's value (contentType, messageDigest, signingCertificateV2).
    for a in attrs.kids(tok) {
        let [attr_oid, values] = a.kids(tok)[..] else {
            panic!("Attribute")
        };
        v.push((
            format!("signed attribute {:02x?} value", attr_oid.content(tok)),
            values.last(),
            "timestamp",
        ));
    }
    if let Some(certs) = certs {
        for c in certs.kids(tok) {
            let which = if c.content(tok) == Tlv::at(tsa_leaf, 0).content(tsa_leaf) {
                "TSA leaf"
            } else {
                "TSA root"
            };
            let [tbs, _, cert_sig] = c.kids(tok)[..] else {
                panic!("Certificate")
            };
            let tk = tbs.kids(tok);
            let (cert_serial, subject, spki) = (tk[1], tk[5], tk[6]);
            for (part, off) in [
                ("serial", cert_serial.last()),
                ("subject", subject.last()),
                ("public key", spki.last()),
                ("signature", cert_sig.last()),
            ] {
                v.push((
                    format!("embedded {which} certificate {part}"),
                    off,
                    "timestamp",
                ));
            }
        }
    }
    v
}

fn timestamp_cases(fx: &Fixture) -> Vec<Case> {
    let tok = b64_field(&fx.bundle, TS);
    let leaf = base64_decode(
        fx.root["timestampAuthorities"][0]["certChain"]["certificates"][0]["rawBytes"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let mut v: Vec<Case> = token_offsets(&tok, &leaf)
        .into_iter()
        .map(|(what, off, expected)| {
            let flip = if what.starts_with("PKIStatus") { 2 } else { 1 };
            case(
                format!("token: {what} (offset {off})"),
                expected,
                move |b, _, _| edit_b64(b, TS, |t| t[off] ^= flip),
            )
        })
        .collect();
    v.extend([
        case(
            "token: trailing byte",
            "timestamp.trailing-data",
            |b, _, _| edit_b64(b, TS, |t| t.push(0)),
        ),
        case("token: truncated", "timestamp", |b, _, _| {
            edit_b64(b, TS, |t| t.truncate(t.len() - 1))
        }),
        case("token: empty", "bundle", |b, _, _| {
            *field(b, TS) = Value::String(String::new())
        }),
    ]);
    // The TSA in the trusted root.
    let chain = "/certChain/certificates";
    v.extend([
        case(
            "trusted root: TSA leaf signature byte",
            "timestamp",
            move |_, r, _| {
                flip_b64(
                    &mut r["timestampAuthorities"][0],
                    &format!("{chain}/0/rawBytes"),
                    -1,
                )
            },
        ),
        case(
            "trusted root: TSA leaf subject byte",
            "timestamp",
            move |_, r, _| {
                let c = &mut r["timestampAuthorities"][0];
                let der = b64_field(c, &format!("{chain}/0/rawBytes"));
                let subject = Tlv::at(&der, 0).kids(&der)[0].kids(&der)[5];
                edit_b64(c, &format!("{chain}/0/rawBytes"), |d| {
                    d[subject.last()] ^= 1
                })
            },
        ),
        case(
            "trusted root: TSA root public key byte",
            "timestamp.chain-invalid",
            move |_, r, _| {
                let c = &mut r["timestampAuthorities"][0];
                let der = b64_field(c, &format!("{chain}/1/rawBytes"));
                let spki = Tlv::at(&der, 0).kids(&der)[0].kids(&der)[6];
                // The last byte of the EC point (a coordinate byte, not the encoding).
                edit_b64(c, &format!("{chain}/1/rawBytes"), |d| d[spki.last()] ^= 1)
            },
        ),
        case(
            "trusted root: TSA replaced by the Fulcio CA",
            "timestamp",
            |_, r, _| {
                r["timestampAuthorities"][0]["certChain"] =
                    r["certificateAuthorities"][0]["certChain"].clone()
            },
        ),
        case("trusted root: no TSA", "timestamp", |_, r, _| {
            r["timestampAuthorities"] = Value::Array(vec![])
        }),
    ]);
    v
}

/// Unsigned token fields whose change is not an error: the status `grantedWithMods` is
/// a success (RFC 3161 §2.4.2), and `SignedData.digestAlgorithms` is only a hint "to
/// facilitate one-pass signature verification" (RFC 5652 §5.1): the digest is the
/// `SignerInfo.digestAlgorithm`'s, which the `messageDigest` attribute binds.
fn benign_timestamp_cases(fx: &Fixture) -> Vec<Case> {
    let tok = b64_field(&fx.bundle, TS);
    let resp = Tlv::at(&tok, 0);
    let [status, ci] = resp.kids(&tok)[..] else {
        panic!("TimeStampResp")
    };
    let status = status.kids(&tok)[0].last();
    let signed_data = ci.kids(&tok)[1].kids(&tok)[0];
    let digest_algs = signed_data.kids(&tok)[1].last();
    vec![
        case(
            "token: PKIStatus granted -> grantedWithMods",
            "",
            move |b, _, _| edit_b64(b, TS, |t| t[status] ^= 1),
        ),
        case(
            "token: SignedData.digestAlgorithms OID",
            "",
            move |b, _, _| edit_b64(b, TS, |t| t[digest_algs] ^= 1),
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Signature and certificate

fn signature_cases(fx: &Fixture) -> Vec<Case> {
    let sig = match fx.content {
        ContentKind::MessageSignature => "/messageSignature/signature",
        ContentKind::CosignDsse => "/dsseEnvelope/signatures/0/sig",
    };
    let mut v = vec![
        case("signature byte", "signature", move |b, _, _| {
            flip_b64(b, sig, 8)
        }),
        case("signature last byte", "signature", move |b, _, _| {
            flip_b64(b, sig, -1)
        }),
        case("other artifact", "signature", |_, _, a| {
            *a = ArtifactDigests::of_bytes(b"another rule pack\n")
        }),
        case("certificate signature byte", "certificate", |b, _, _| {
            flip_b64(b, LEAF, -1)
        }),
        case("certificate SAN byte", "certificate", |b, _, _| {
            edit_b64(b, LEAF, |d| {
                let pos = d
                    .windows(IDENTITY.len())
                    .position(|w| w == IDENTITY.as_bytes())
                    .unwrap();
                d[pos + IDENTITY.len() - 1] ^= 1;
            })
        }),
        case("certificate serial byte", "certificate", |b, _, _| {
            edit_b64(b, LEAF, |d| {
                let serial = Tlv::at(d, 0).kids(d)[0].kids(d)[1];
                d[serial.last()] ^= 1;
            })
        }),
        case(
            "Fulcio CA removed from the trusted root",
            "certificate",
            |_, r, _| r["certificateAuthorities"] = Value::Array(vec![]),
        ),
    ];
    match fx.content {
        ContentKind::MessageSignature => v.push(case(
            "message digest",
            "signature.message-digest-mismatch",
            |b, _, _| flip_b64(b, "/messageSignature/messageDigest/digest", 0),
        )),
        ContentKind::CosignDsse => v.extend([
            case("DSSE payload byte", "signature", |b, _, _| {
                flip_b64(b, "/dsseEnvelope/payload", -3)
            }),
            case("DSSE payloadType", "signature", |b, _, _| {
                edit_str(b, "/dsseEnvelope/payloadType", |s| format!("{s}x"))
            }),
        ]),
    }
    v
}

fn all_cases(fx: &mut Fixture) -> (Vec<Case>, Vec<Case>) {
    let mut cases = body_cases(fx);
    cases.extend(log_cases(fx));
    cases.extend(timestamp_cases(fx));
    cases.extend(signature_cases(fx));
    let mut benign = benign_log_cases();
    benign.extend(benign_timestamp_cases(fx));
    (cases, benign)
}

#[test]
fn v2_message_signature_tampering() {
    let mut fx = fixture(400, ContentKind::MessageSignature, true);
    let (cases, benign) = all_cases(&mut fx);
    check(&fx, cases, benign);
}

#[test]
fn v2_dsse_tampering() {
    let mut fx = fixture(401, ContentKind::CosignDsse, true);
    let (cases, benign) = all_cases(&mut fx);
    check(&fx, cases, benign);
}

/// The token carries no certificates: the signer is the trusted root's TSA leaf.
#[test]
fn v2_timestamp_without_embedded_certs_tampering() {
    let fx = fixture(402, ContentKind::MessageSignature, false);
    let cases = timestamp_cases(&fx);
    let benign = benign_timestamp_cases(&fx);
    check(&fx, cases, benign);
}

/// Every single-bit flip of the token is rejected by the timestamp stage, except where
/// the changed bytes are unsigned and harmless: the PKIStatus (0 → 1 grantedWithMods),
/// the contents of the informational `SignedData.digestAlgorithms` OID (RFC 5652 §5.1),
/// and the `certificates [0]` tag (→ `crls [1]`, which is not used: the token then has
/// no embedded certificates and the signer comes from the trusted root). Inside the
/// embedded certificates every 4th byte is flipped (each flip there costs a chain
/// validation); the named cases above cover their fields.
///
/// Regression: a malformed `digestAlgorithms` (e.g. an AlgorithmIdentifier whose tag or
/// length is wrong) was accepted because its contents were never parsed.
#[test]
fn every_token_bit_flip_is_rejected_unless_unsigned_and_harmless() {
    let mut vs = VirtualSigstore::new(403);
    let signature = b"the bundle's signature bytes";
    let tok = vs.timestamp(signature, GEN_TIME, true);
    let root = TrustedRoot::from_json(&vs.trusted_root_json()).unwrap();
    let authorities = &root.timestamp_authorities;
    let verify = |t: &[u8]| rulepack_verify::timestamp::verify_timestamp(t, signature, authorities);
    assert_eq!(verify(&tok).unwrap().gen_time, GEN_TIME);

    let resp = Tlv::at(&tok, 0);
    let [status, ci] = resp.kids(&tok)[..] else {
        panic!("TimeStampResp")
    };
    let sd = ci.kids(&tok)[1].kids(&tok)[0];
    let sd_kids = sd.kids(&tok);
    let [_, digest_algs, _, certs, _] = sd_kids[..] else {
        panic!("SignedData with certificates")
    };
    let digest_oid = digest_algs.kids(&tok)[0].kids(&tok)[0];
    let mut allowed = vec![status.kids(&tok)[0].last(), certs.off];
    allowed.extend(digest_oid.start()..digest_oid.end());

    let mut tried = 0;
    let mut wrong = Vec::new();
    for off in 0..tok.len() {
        if (certs.start()..certs.end()).contains(&off) && off % 4 != 0 {
            continue;
        }
        tried += 1;
        let mut t = tok.clone();
        t[off] ^= 1;
        match verify(&t) {
            Ok(_) if allowed.contains(&off) => {}
            Ok(_) => wrong.push(format!("offset {off} (byte {:#04x}): ACCEPTED", tok[off])),
            Err(e) => assert_eq!(Error::from(e).stage(), "timestamp"),
        }
    }
    println!(
        "{tried} flips of a {}-byte token, {} wrong",
        tok.len(),
        wrong.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
