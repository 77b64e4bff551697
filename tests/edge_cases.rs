//! Edge cases the corpus lacks, minted by the test-only virtual Sigstore
//! (`tests/common/vsig.rs`: our own Fulcio CA, CT log, Rekor v1 and v2 keys and RFC 3161
//! TSA), each verified through the library (`verify::verify`) and, for a few, through the
//! `rulepack-verify verify-bundle` binary.
//!
//! Every case states its expected outcome: pass, or failure with an exact
//! `Error::code()`. Validity windows are inclusive at both ends (RFC 5280 §4.1.2.5 for
//! certificates; `sigstore_common.proto` `TimeRange` for trusted-root `validFor`), so
//! each boundary is tested at the last instant inside and the first instant outside.
//! `now` is a parameter of the library, so every case uses fixed instants; the CLI reads
//! the wall clock, so its cases only use times in the past.
//!
//! Public-key bundles are not covered here: the virtual Sigstore mints only keyless
//! (certificate) bundles.

#[path = "common/vsig.rs"]
mod vsig;

use std::path::PathBuf;
use std::process::Command;

#[path = "common/both.rs"]
mod both;
use both::verify_both;

use rulepack_verify::bundle::Bundle;
use rulepack_verify::crypto::sha256;
use rulepack_verify::encoding::{base64_decode, base64_encode, hex_encode};
use rulepack_verify::limits::MAX_RFC3161_TIMESTAMPS;
use rulepack_verify::policy::{IdentityRule, Matcher, VerificationPolicy};
use rulepack_verify::trust_root::TrustedRoot;
use rulepack_verify::verify::{ArtifactDigests, TimeSource, Verified};
use rulepack_verify::Error;
use serde_json::Value;
use vsig::{Authority, CertRole, ContentKind, RekorMode, San, SignOptions, VirtualSigstore};

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const IDENTITY: &str =
    "https://github.com/lithastra/kubeatlas-rules/.github/workflows/release.yml@refs/tags/v1.0.0";
const OTHER_IDENTITY: &str =
    "https://github.com/lithastra-evil/kubeatlas-rules/.github/workflows/release.yml@refs/tags/v1.0.0";
const OTHER_ISSUER: &str = "https://accounts.vsig.test";
/// 2025-06-01T12:00:00Z: every leaf certificate's notBefore (Fulcio: the signing instant).
const T0: i64 = 1_748_779_200;
/// The leaf lifetime (Fulcio: 10 minutes): notAfter = T0 + 600.
const LIFETIME: i64 = 600;
/// Verification time for the library cases: one day after signing.
const NOW: i64 = T0 + 86_400;
/// 2020-06-01T00:00:00Z and 2021-01-01T00:00:00Z, for the expired-TSA cases.
const T2020: i64 = 1_590_969_600;
const T2021: i64 = 1_609_459_200;
const ARTIFACT: &[u8] = b"rule pack payload\n";
const TS_PTR: &str = "/verificationMaterial/timestampVerificationData/rfc3161Timestamps";

/// First-party signing options at `T0`.
fn opts(rekor: RekorMode, content: ContentKind, timestamps: Vec<i64>) -> SignOptions {
    let mut o = SignOptions::new(San::Uri(IDENTITY.into()), ISSUER, T0);
    o.cert_lifetime_secs = LIFETIME;
    o.rekor = rekor;
    o.content = content;
    o.timestamps = timestamps;
    o.extensions = vec![
        (12, "https://github.com/lithastra/kubeatlas-rules".into()),
        (14, "refs/tags/v1.0.0".into()),
    ];
    o
}

fn v1(integrated_time: i64) -> RekorMode {
    RekorMode::V1 { integrated_time }
}

/// Rekor v2 + one timestamp at `gen_time`, message signature.
fn v2_at(gen_time: i64) -> SignOptions {
    opts(RekorMode::V2, ContentKind::MessageSignature, vec![gen_time])
}

/// Rekor v1 at `integrated_time`, no timestamp, message signature.
fn v1_at(integrated_time: i64) -> SignOptions {
    opts(v1(integrated_time), ContentKind::MessageSignature, vec![])
}

/// What a case must produce.
#[derive(Clone, Debug)]
enum Expect {
    /// Verifies, with exactly these verified signing times (log entries first, then
    /// timestamps, in bundle order).
    Pass(Vec<i64>),
    /// Fails with this exact `Error::code()`.
    Fail(&'static str),
}

/// The times a bundle minted with `o` must verify with.
fn pass(o: &SignOptions) -> Expect {
    let mut times = Vec::new();
    if let RekorMode::V1 { integrated_time } = o.rekor {
        times.push(integrated_time);
    }
    times.extend(&o.timestamps);
    Expect::Pass(times)
}

struct Case {
    name: String,
    bundle: Vec<u8>,
    root: Vec<u8>,
    artifact: ArtifactDigests,
    identity: &'static str,
    issuer: &'static str,
    now: i64,
    expect: Expect,
}

impl Case {
    /// A case verified for `ARTIFACT` by the first-party identity at `NOW`.
    fn new(name: impl Into<String>, bundle: Vec<u8>, root: Vec<u8>, expect: Expect) -> Self {
        Self {
            name: name.into(),
            bundle,
            root,
            artifact: ArtifactDigests::of_bytes(ARTIFACT),
            identity: IDENTITY,
            issuer: ISSUER,
            now: NOW,
            expect,
        }
    }

    /// Mints a bundle with `o` from `vs` and takes `vs`'s current trusted root.
    fn mint(name: impl Into<String>, vs: &mut VirtualSigstore, o: &SignOptions, e: Expect) -> Self {
        let bundle = vs.sign(sha256(ARTIFACT), o);
        Self::new(name, bundle, vs.trusted_root_json(), e)
    }

    fn at(mut self, now: i64) -> Self {
        self.now = now;
        self
    }
}

fn policy(identity: &str, issuer: &str) -> VerificationPolicy {
    VerificationPolicy::Identities(vec![IdentityRule::new(
        Matcher::exact(issuer),
        Matcher::exact(identity),
    )])
}

fn run(c: &Case) -> Result<Verified, Error> {
    let root = TrustedRoot::from_json(&c.root)?;
    let bundle = Bundle::from_json(&c.bundle)?;
    verify_both(
        &bundle,
        &c.artifact,
        &root,
        &policy(c.identity, c.issuer),
        c.now,
    )
}

/// Runs every case; collects every wrong outcome and fails once with all of them.
fn check(group: &str, cases: &[Case]) {
    assert!(!cases.is_empty());
    let mut wrong = Vec::new();
    for c in cases {
        match (run(c), &c.expect) {
            (Ok(v), Expect::Pass(times)) => {
                let got: Vec<i64> = v.times.iter().map(|t| t.time).collect();
                let id = v.identity.as_ref().map(|i| i.value().to_owned());
                if &got != times || id.as_deref() != Some(c.identity) {
                    wrong.push(format!(
                        "{}: verified, but with times {got:?} (expected {times:?}) and identity {id:?}",
                        c.name
                    ));
                } else {
                    println!("ok {group}: {}: verified at {got:?}", c.name);
                }
            }
            (Ok(_), Expect::Fail(code)) => {
                wrong.push(format!("{}: ACCEPTED (expected error[{code}])", c.name))
            }
            (Err(e), Expect::Fail(code)) if e.code() == *code => {
                println!("ok {group}: {}: error[{}]: {e}", c.name, e.code())
            }
            (Err(e), expect) => wrong.push(format!(
                "{}: expected {expect:?}, got error[{}]: {e}",
                c.name,
                e.code()
            )),
        }
    }
    println!("{group}: {} cases, {} wrong", cases.len(), wrong.len());
    assert!(wrong.is_empty(), "{group}:\n{}", wrong.join("\n"));
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap()
}

/// Applies `edit` to the JSON document `bytes`.
fn edit(bytes: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = json(bytes);
    edit(&mut v);
    to_bytes(&v)
}

/// Flips the last bit of the base64 field at `ptr`.
fn flip_last(v: &mut Value, ptr: &str) {
    let f = v.pointer_mut(ptr).unwrap();
    let mut raw = base64_decode(f.as_str().unwrap()).unwrap();
    *raw.last_mut().unwrap() ^= 1;
    *f = Value::String(base64_encode(&raw));
}

// ---------------------------------------------------------------------------------------
// Leaf certificate validity vs the verified signing times

#[test]
fn signing_time_at_the_leaf_validity_bounds() {
    let not_before = T0;
    let not_after = T0 + LIFETIME;
    let mut vs = VirtualSigstore::new(200);
    let mut cases = Vec::new();
    for (name, t, expect_code) in [
        ("at notBefore", not_before, None),
        ("at notAfter", not_after, None),
        (
            "1 s after notAfter",
            not_after + 1,
            Some("certificate.expired"),
        ),
        (
            "1 s before notBefore",
            not_before - 1,
            Some("certificate.not-yet-valid"),
        ),
    ] {
        // Rekor v2: the only time is the RFC 3161 genTime.
        let o = v2_at(t);
        let e = expect_code.map_or_else(|| pass(&o), Expect::Fail);
        cases.push(Case::mint(format!("v2 genTime {name}"), &mut vs, &o, e));
        // Rekor v1: the only time is the SET's integrated time.
        let o = v1_at(t);
        let e = expect_code.map_or_else(|| pass(&o), Expect::Fail);
        cases.push(Case::mint(
            format!("v1 integratedTime {name}"),
            &mut vs,
            &o,
            e,
        ));
    }
    check("leaf validity", &cases);
}

#[test]
fn every_verified_time_must_lie_within_the_leaf_validity() {
    let mut vs = VirtualSigstore::new(201);
    let inside = T0 + 5;
    let outside = T0 + LIFETIME + 1;
    let o1 = opts(
        RekorMode::V2,
        ContentKind::MessageSignature,
        vec![inside, T0 + 6],
    );
    let cases = vec![
        Case::mint("v2, two timestamps inside", &mut vs, &o1, pass(&o1)),
        // conformance rekor2-multiple-timestamps-one-outside-cert-validity_fail.
        Case::mint(
            "v2, one timestamp inside and one after notAfter",
            &mut vs,
            &opts(
                RekorMode::V2,
                ContentKind::MessageSignature,
                vec![inside, outside],
            ),
            Expect::Fail("certificate.expired"),
        ),
        Case::mint(
            "v2, one timestamp before notBefore and one inside",
            &mut vs,
            &opts(
                RekorMode::V2,
                ContentKind::MessageSignature,
                vec![T0 - 1, inside],
            ),
            Expect::Fail("certificate.not-yet-valid"),
        ),
        // A good SET does not excuse a timestamp outside the validity, nor the reverse.
        Case::mint(
            "v1 SET inside, timestamp after notAfter",
            &mut vs,
            &opts(v1(inside), ContentKind::MessageSignature, vec![outside]),
            Expect::Fail("certificate.expired"),
        ),
        Case::mint(
            "v1 SET after notAfter, timestamp inside",
            &mut vs,
            &opts(v1(outside), ContentKind::MessageSignature, vec![inside]),
            Expect::Fail("certificate.expired"),
        ),
    ];
    check("all times in leaf validity", &cases);
}

// ---------------------------------------------------------------------------------------
// Trusted-root validFor windows (inclusive at both ends)

/// For each authority, the four boundary cases of its `validFor` against the time `t`
/// the verifier checks it at: `end == t` and `start == t` pass, `end == t - 1` and
/// `start == t + 1` fail with `code`.
fn valid_for_cases(
    label: &str,
    which: Authority,
    seed: u64,
    o: &SignOptions,
    t: i64,
    code: &'static str,
) -> Vec<Case> {
    let start = vsig::DEFAULT_START;
    [
        ("validFor.end == t", start, Some(t), None),
        ("validFor.end == t - 1", start, Some(t - 1), Some(code)),
        ("validFor.start == t", t, None, None),
        ("validFor.start == t + 1", t + 1, None, Some(code)),
    ]
    .into_iter()
    .map(|(name, s, e, fail)| {
        let mut vs = VirtualSigstore::new(seed);
        vs.set_validity(which, s, e);
        let expect = fail.map_or_else(|| pass(o), Expect::Fail);
        Case::mint(format!("{label}: {name}"), &mut vs, o, expect)
    })
    .collect()
}

#[test]
fn tsa_valid_for_is_inclusive_at_gen_time() {
    let g = T0 + 5;
    let mut cases = valid_for_cases(
        "TSA (certs embedded)",
        Authority::Tsa,
        210,
        &v2_at(g),
        g,
        "timestamp.chain-invalid",
    );
    let mut o = v2_at(g);
    o.embed_tsa_certs = false;
    cases.extend(valid_for_cases(
        "TSA (certs from the trusted root)",
        Authority::Tsa,
        211,
        &o,
        g,
        "timestamp.chain-invalid",
    ));
    // Rekor v1 with a timestamp: the TSA window is checked even though the SET gives a time.
    cases.extend(valid_for_cases(
        "TSA with a Rekor v1 SET",
        Authority::Tsa,
        212,
        &opts(v1(T0 + 30), ContentKind::MessageSignature, vec![g]),
        g,
        "timestamp.chain-invalid",
    ));
    check("TSA validFor", &cases);
}

#[test]
fn fulcio_ca_valid_for_is_inclusive_at_each_signing_time() {
    let g = T0 + 5;
    let it = T0 + 30;
    let mut cases = valid_for_cases(
        "CA vs v2 genTime",
        Authority::Ca,
        220,
        &v2_at(g),
        g,
        "certificate.no-trusted-ca",
    );
    cases.extend(valid_for_cases(
        "CA vs v1 integratedTime",
        Authority::Ca,
        221,
        &v1_at(it),
        it,
        "certificate.no-trusted-ca",
    ));
    // With a SET and a timestamp the CA must be valid at both: the window ends at the
    // earlier one (genTime) and starts at the later one (integratedTime).
    let both = opts(v1(it), ContentKind::MessageSignature, vec![g]);
    let mut vs = VirtualSigstore::new(222);
    vs.set_validity(Authority::Ca, vsig::DEFAULT_START, Some(it - 1));
    cases.push(Case::mint(
        "CA ends between genTime and integratedTime",
        &mut vs,
        &both,
        Expect::Fail("certificate.no-trusted-ca"),
    ));
    let mut vs = VirtualSigstore::new(223);
    vs.set_validity(Authority::Ca, g + 1, None);
    cases.push(Case::mint(
        "CA starts between genTime and integratedTime",
        &mut vs,
        &both,
        Expect::Fail("certificate.no-trusted-ca"),
    ));
    let mut vs = VirtualSigstore::new(224);
    vs.set_validity(Authority::Ca, g, Some(it));
    cases.push(Case::mint(
        "CA window is exactly [genTime, integratedTime]",
        &mut vs,
        &both,
        pass(&both),
    ));
    check("CA validFor", &cases);
}

#[test]
fn log_valid_for_is_inclusive_at_the_signing_time() {
    let g = T0 + 5;
    let it = T0 + 30;
    // Rekor v2 has no integrated time: its key must be valid at each timestamp's genTime.
    let mut cases = valid_for_cases(
        "Rekor v2 vs genTime",
        Authority::TlogV2,
        230,
        &v2_at(g),
        g,
        "tlog.log-not-valid-at-signing-time",
    );
    cases.extend(valid_for_cases(
        "Rekor v2 (DSSE) vs genTime",
        Authority::TlogV2,
        231,
        &opts(RekorMode::V2, ContentKind::CosignDsse, vec![g]),
        g,
        "tlog.log-not-valid-at-signing-time",
    ));
    // Rekor v1: its key must be valid at the SET's integrated time.
    cases.extend(valid_for_cases(
        "Rekor v1 vs integratedTime",
        Authority::TlogV1,
        232,
        &v1_at(it),
        it,
        "tlog.integrated-time-outside-log-validity",
    ));
    // The CT log: valid at the SCT timestamp (= the leaf's notBefore, T0).
    cases.extend(valid_for_cases(
        "CT log vs SCT timestamp",
        Authority::Ctlog,
        233,
        &v1_at(it),
        T0,
        "sct.log-not-valid-at-time",
    ));
    // Two timestamps: the Rekor v2 key must be valid at both.
    let two = opts(
        RekorMode::V2,
        ContentKind::MessageSignature,
        vec![g, g + 10],
    );
    let mut vs = VirtualSigstore::new(234);
    vs.set_validity(Authority::TlogV2, vsig::DEFAULT_START, Some(g + 9));
    cases.push(Case::mint(
        "Rekor v2 key ends between the two genTimes",
        &mut vs,
        &two,
        Expect::Fail("tlog.log-not-valid-at-signing-time"),
    ));
    check("log validFor", &cases);
}

// ---------------------------------------------------------------------------------------
// TSA certificates: valid at genTime is what counts, not at `now`

#[test]
fn tsa_certificates_are_checked_at_gen_time_not_now() {
    let g = T0 + 5;
    let mut cases = Vec::new();
    // The TSA leaf expired in 2021, long before NOW; genTime (2020) is inside it.
    let mut o = v2_at(T2020 + 5);
    o.signed_at = T2020;
    for embed in [true, false] {
        let mut o = o.clone();
        o.embed_tsa_certs = embed;
        let mut vs = VirtualSigstore::new(240);
        vs.set_cert_validity(CertRole::TsaLeaf, vsig::DEFAULT_START, T2021);
        cases.push(Case::mint(
            format!("TSA leaf expired at now, valid at genTime (embedded certs: {embed})"),
            &mut vs,
            &o,
            pass(&o),
        ));
        let mut vs = VirtualSigstore::new(241);
        vs.set_cert_validity(CertRole::TsaRoot, vsig::DEFAULT_START, T2021);
        vs.set_cert_validity(CertRole::TsaLeaf, vsig::DEFAULT_START, T2021);
        cases.push(Case::mint(
            format!("whole TSA chain expired at now, valid at genTime (embedded certs: {embed})"),
            &mut vs,
            &o,
            pass(&o),
        ));
    }
    for (name, role, nb, na, fail) in [
        (
            "TSA leaf notAfter == genTime",
            CertRole::TsaLeaf,
            vsig::DEFAULT_START,
            g,
            None,
        ),
        (
            "TSA leaf notAfter == genTime - 1",
            CertRole::TsaLeaf,
            vsig::DEFAULT_START,
            g - 1,
            Some("timestamp.chain-invalid"),
        ),
        (
            "TSA leaf notBefore == genTime",
            CertRole::TsaLeaf,
            g,
            vsig::DEFAULT_CERT_END,
            None,
        ),
        (
            "TSA leaf not yet valid at genTime",
            CertRole::TsaLeaf,
            g + 1,
            vsig::DEFAULT_CERT_END,
            Some("timestamp.chain-invalid"),
        ),
        (
            "TSA root expired before genTime",
            CertRole::TsaRoot,
            vsig::DEFAULT_START,
            g - 1,
            Some("timestamp.chain-invalid"),
        ),
        (
            "TSA root not yet valid at genTime",
            CertRole::TsaRoot,
            g + 1,
            vsig::DEFAULT_CERT_END,
            Some("timestamp.chain-invalid"),
        ),
    ] {
        let o = v2_at(g);
        let mut vs = VirtualSigstore::new(242);
        vs.set_cert_validity(role, nb, na);
        let expect = fail.map_or_else(|| pass(&o), Expect::Fail);
        cases.push(Case::mint(name, &mut vs, &o, expect));
    }
    // The Fulcio chain likewise: an intermediate and root long expired at NOW.
    let mut vs = VirtualSigstore::new(243);
    vs.set_cert_validity(CertRole::FulcioRoot, vsig::DEFAULT_START, T2021);
    vs.set_cert_validity(CertRole::FulcioIntermediate, vsig::DEFAULT_START, T2021);
    cases.push(Case::mint(
        "Fulcio chain expired at now, valid at genTime",
        &mut vs,
        &o,
        pass(&o),
    ));
    check("TSA certificates", &cases);
}

// ---------------------------------------------------------------------------------------
// Time sources: at least one, every one verified, no duplicates, bounded

#[test]
fn verified_time_sources() {
    let g = T0 + 5;
    let it = T0 + 30;
    let mut vs = VirtualSigstore::new(250);
    let mut cases = vec![Case::mint(
        "Rekor v2 without a timestamp",
        &mut vs,
        &opts(RekorMode::V2, ContentKind::MessageSignature, vec![]),
        Expect::Fail("timestamp.no-verified-time"),
    )];
    let mut o = opts(RekorMode::V2, ContentKind::CosignDsse, vec![]);
    o.embed_tsa_certs = false;
    cases.push(Case::mint(
        "Rekor v2 DSSE without a timestamp",
        &mut vs,
        &o,
        Expect::Fail("timestamp.no-verified-time"),
    ));
    cases.push(Case::mint(
        "timestamp but no transparency-log entry",
        &mut vs,
        &opts(RekorMode::None, ContentKind::MessageSignature, vec![g]),
        Expect::Fail("tlog.missing-entry"),
    ));

    // Rekor v1 + timestamps: both sources verified and reported.
    for content in [ContentKind::MessageSignature, ContentKind::CosignDsse] {
        let o = opts(v1(it), content, vec![g]);
        cases.push(Case::mint(
            format!("Rekor v1 SET + timestamp ({content:?})"),
            &mut vs,
            &o,
            pass(&o),
        ));
    }
    let o = opts(v1(it), ContentKind::MessageSignature, vec![g, g + 1, g + 2]);
    cases.push(Case::mint(
        "Rekor v1 SET + three timestamps",
        &mut vs,
        &o,
        pass(&o),
    ));

    // ... and a bad timestamp fails the bundle even though the SET is good.
    let good = vs.sign(
        sha256(ARTIFACT),
        &opts(v1(it), ContentKind::MessageSignature, vec![g]),
    );
    let root = vs.trusted_root_json();
    let first = format!("{TS_PTR}/0/signedTimestamp");
    cases.push(Case::new(
        "Rekor v1 SET + timestamp with a flipped signature byte",
        edit(&good, |b| flip_last(b, &first)),
        root.clone(),
        Expect::Fail("timestamp.signature-invalid"),
    ));
    let foreign = base64_encode(&vs.timestamp(b"not the signature", g, true));
    cases.push(Case::new(
        "Rekor v1 SET + timestamp over other bytes",
        edit(&good, |b| {
            *b.pointer_mut(&first).unwrap() = Value::String(foreign)
        }),
        root.clone(),
        Expect::Fail("timestamp.imprint-mismatch"),
    ));
    let mut vs2 = VirtualSigstore::new(250);
    vs2.set_validity(Authority::Tsa, vsig::DEFAULT_START, Some(g - 1));
    cases.push(Case::mint(
        "Rekor v1 SET + timestamp after the TSA's validFor",
        &mut vs2,
        &opts(v1(it), ContentKind::MessageSignature, vec![g]),
        Expect::Fail("timestamp.chain-invalid"),
    ));
    let two = vs.sign(
        sha256(ARTIFACT),
        &opts(v1(it), ContentKind::MessageSignature, vec![g, g + 1]),
    );
    // The second of two timestamps replaced by: DER that is no timestamp; a
    // TimeStampResp granted (0) without a token; one rejected (2) (RFC 3161 §2.4.2).
    for (what, der, code) in [
        (
            "garbage",
            &b"\x30\x03\x02\x01\x00"[..],
            "timestamp.malformed",
        ),
        (
            "a granted response without a token",
            &b"\x30\x05\x30\x03\x02\x01\x00"[..],
            "timestamp.token-missing",
        ),
        (
            "a rejected response",
            &b"\x30\x05\x30\x03\x02\x01\x02"[..],
            "timestamp.not-granted",
        ),
    ] {
        cases.push(Case::new(
            format!("Rekor v1 SET + a good timestamp and {what}"),
            edit(&two, |b| {
                *b.pointer_mut(&format!("{TS_PTR}/1/signedTimestamp"))
                    .unwrap() = Value::String(base64_encode(der))
            }),
            vs.trusted_root_json(),
            Expect::Fail(code),
        ));
    }
    check("time sources", &cases);
}

#[test]
fn duplicate_and_too_many_timestamps() {
    let g = T0 + 5;
    let mut vs = VirtualSigstore::new(260);
    let mut cases = Vec::new();
    for (label, rekor) in [("v2", RekorMode::V2), ("v1", v1(T0 + 30))] {
        let b = vs.sign(
            sha256(ARTIFACT),
            &opts(rekor, ContentKind::MessageSignature, vec![g]),
        );
        // The same token twice (sigstore-go tsa.go: "duplicate timestamps found").
        cases.push(Case::new(
            format!("{label}: the same timestamp twice"),
            edit(&b, |v| {
                let arr = v.pointer_mut(TS_PTR).unwrap().as_array_mut().unwrap();
                let first = arr[0].clone();
                arr.push(first);
            }),
            vs.trusted_root_json(),
            Expect::Fail("timestamp.duplicate"),
        ));
    }
    // Two distinct tokens for the same genTime are not duplicates.
    let o = opts(RekorMode::V2, ContentKind::MessageSignature, vec![g, g]);
    cases.push(Case::mint(
        "two distinct tokens with the same genTime",
        &mut vs,
        &o,
        pass(&o),
    ));
    // The bundle parser's limit (sigstore-go maxAllowedTimestamps = 32).
    let o = opts(
        RekorMode::V2,
        ContentKind::MessageSignature,
        (0..MAX_RFC3161_TIMESTAMPS)
            .map(|i| g + i64::try_from(i).unwrap())
            .collect(),
    );
    cases.push(Case::mint(
        format!("{MAX_RFC3161_TIMESTAMPS} distinct timestamps"),
        &mut vs,
        &o,
        pass(&o),
    ));
    let o = opts(
        RekorMode::V2,
        ContentKind::MessageSignature,
        (0..=MAX_RFC3161_TIMESTAMPS)
            .map(|i| g + i64::try_from(i).unwrap())
            .collect(),
    );
    cases.push(Case::mint(
        format!("{} distinct timestamps", MAX_RFC3161_TIMESTAMPS + 1),
        &mut vs,
        &o,
        Expect::Fail("bundle.too-many-items"),
    ));
    check("duplicate and too many timestamps", &cases);
}

#[test]
fn times_in_the_future_of_now() {
    let g = T0 + 5;
    let it = T0 + 30;
    let mut vs = VirtualSigstore::new(270);
    let o = v2_at(g);
    let ts = Case::mint("v2", &mut vs, &o, pass(&o));
    let o1 = v1_at(it);
    let set = Case::mint("v1", &mut vs, &o1, pass(&o1));
    let both_o = opts(v1(it), ContentKind::MessageSignature, vec![g]);
    let both = Case::mint("v1+ts", &mut vs, &both_o, pass(&both_o));
    let root = vs.trusted_root_json();
    let re = |c: &Case, name: &str, now: i64, e: Expect| {
        Case::new(name, c.bundle.clone(), root.clone(), e).at(now)
    };
    let cases = vec![
        re(&ts, "genTime == now", g, pass(&o)),
        re(
            &ts,
            "genTime == now + 1",
            g - 1,
            Expect::Fail("timestamp.in-future"),
        ),
        re(&set, "integratedTime == now", it, pass(&o1)),
        re(
            &set,
            "integratedTime == now + 1",
            it - 1,
            Expect::Fail("tlog.integrated-time-in-future"),
        ),
        // genTime < integratedTime: now between them is in the SET's future.
        re(
            &both,
            "v1 + timestamp, now between genTime and integratedTime",
            it - 1,
            Expect::Fail("tlog.integrated-time-in-future"),
        ),
        re(
            &both,
            "v1 + timestamp, now == integratedTime",
            it,
            pass(&both_o),
        ),
        // Far past both (the leaf and every chain long expired): still valid.
        re(
            &ts,
            "now = 2039",
            vsig::DEFAULT_CERT_END - 86_400 * 365,
            pass(&o),
        ),
    ];
    check("times in the future", &cases);
}

// ---------------------------------------------------------------------------------------
// Certificate transparency

#[test]
fn sct_threshold_follows_the_trusted_root() {
    let mut vs = VirtualSigstore::new(280);
    let with = v1_at(T0 + 30);
    let mut without = with.clone();
    without.with_sct = false;
    let no_ctlogs = |root: Vec<u8>| edit(&root, |r| r["ctlogs"] = Value::Array(vec![]));
    let a = Case::mint("x", &mut vs, &without, pass(&without));
    let b = Case::mint("x", &mut vs, &with, pass(&with));
    let mut v2_without = v2_at(T0 + 5);
    v2_without.with_sct = false;
    let c = Case::mint("x", &mut vs, &v2_without, pass(&v2_without));
    let root = vs.trusted_root_json();
    let cases = vec![
        Case::new(
            "no SCT, the trusted root lists a CT log",
            a.bundle.clone(),
            root.clone(),
            Expect::Fail("sct.absent"),
        ),
        Case::new(
            "no SCT, Rekor v2, the trusted root lists a CT log",
            c.bundle.clone(),
            root.clone(),
            Expect::Fail("sct.absent"),
        ),
        Case::new(
            "no SCT, no CT log in the trusted root",
            a.bundle,
            no_ctlogs(root.clone()),
            pass(&without),
        ),
        Case::new(
            "no SCT, Rekor v2, no CT log in the trusted root",
            c.bundle,
            no_ctlogs(root.clone()),
            pass(&v2_without),
        ),
        Case::new(
            "SCT present, no CT log in the trusted root",
            b.bundle.clone(),
            no_ctlogs(root.clone()),
            pass(&with),
        ),
        Case::new(
            "SCT from a CT log the trusted root does not list",
            b.bundle,
            edit(&root, |r| flip_last(r, "/ctlogs/0/logId/keyId")),
            Expect::Fail("sct.none-verified"),
        ),
    ];
    check("SCT", &cases);
}

// ---------------------------------------------------------------------------------------
// Identity policy and content binding

#[test]
fn identity_and_content() {
    let it = T0 + 30;
    let mut vs = VirtualSigstore::new(290);
    let mut cases = Vec::new();
    let mut o = v1_at(it);
    o.identity = San::Uri(OTHER_IDENTITY.into());
    cases.push(Case::mint(
        "signed by another workflow",
        &mut vs,
        &o,
        Expect::Fail("policy.identity-mismatch"),
    ));
    let mut o = v2_at(T0 + 5);
    o.issuer = OTHER_ISSUER.into();
    cases.push(Case::mint(
        "right SAN, other OIDC issuer",
        &mut vs,
        &o,
        Expect::Fail("policy.identity-mismatch"),
    ));
    // The policy side: expecting a prefix or a case variant of the real identity.
    let o = v2_at(T0 + 5);
    let mut c = Case::mint(
        "policy expects a prefix of the SAN",
        &mut vs,
        &o,
        Expect::Fail("policy.identity-mismatch"),
    );
    c.identity = "https://github.com/lithastra/kubeatlas-rules/";
    cases.push(c);
    let mut c = Case::mint(
        "policy expects the issuer in upper case",
        &mut vs,
        &o,
        Expect::Fail("policy.identity-mismatch"),
    );
    c.issuer = "HTTPS://TOKEN.ACTIONS.GITHUBUSERCONTENT.COM";
    cases.push(c);
    // Email and Fulcio username SANs are identities too.
    for (san, id) in [
        (San::Email("signer@vsig.test".into()), "signer@vsig.test"),
        (San::OtherName("vsig-user".into()), "vsig-user"),
    ] {
        let mut o = v2_at(T0 + 5);
        o.identity = san;
        let mut c = Case::mint(format!("SAN {id}"), &mut vs, &o, pass(&o));
        c.identity = id;
        cases.push(c);
    }

    // DSSE cosign statement: the subject must carry the artifact's digest.
    for (label, rekor, ts) in [("v1", v1(it), vec![]), ("v2", RekorMode::V2, vec![T0 + 5])] {
        let o = opts(rekor, ContentKind::CosignDsse, ts);
        cases.push(Case::mint(
            format!("{label} DSSE, right subject"),
            &mut vs,
            &o,
            pass(&o),
        ));
        let mut c = Case::mint(
            format!("{label} DSSE, verified for another artifact"),
            &mut vs,
            &o,
            Expect::Fail("signature.subject-mismatch"),
        );
        c.artifact = ArtifactDigests::of_bytes(b"another rule pack\n");
        cases.push(c);
        let mut c = Case::mint(
            format!("{label} message signature, verified for another artifact"),
            &mut vs,
            &opts(rekor, ContentKind::MessageSignature, o.timestamps.clone()),
            Expect::Fail("signature.message-digest-mismatch"),
        );
        c.artifact = ArtifactDigests::of_bytes(b"another rule pack\n");
        cases.push(c);
    }
    check("identity and content", &cases);
}

// ---------------------------------------------------------------------------------------
// The same through the CLI (`verify-bundle`, sigstore-conformance protocol)

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("edge-cases-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `rulepack-verify verify-bundle` on the case with its digest as `sha256:<hex>`;
/// returns (exit status, stderr).
fn cli(c: &Case, dir: &Scratch, i: usize) -> (i32, String) {
    let bundle = dir.0.join(format!("{i}.bundle.json"));
    let root = dir.0.join(format!("{i}.trusted_root.json"));
    std::fs::write(&bundle, &c.bundle).unwrap();
    std::fs::write(&root, &c.root).unwrap();
    let digest = format!(
        "sha256:{}",
        hex_encode(
            c.artifact
                .get(rulepack_verify::crypto::HashAlgorithm::Sha256)
                .unwrap()
        )
    );
    let out = Command::new(env!("CARGO_BIN_EXE_rulepack-verify"))
        .arg("verify-bundle")
        .arg("--bundle")
        .arg(&bundle)
        .args(["--certificate-identity", c.identity])
        .args(["--certificate-oidc-issuer", c.issuer])
        .arg("--trusted-root")
        .arg(&root)
        .arg(digest)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_agrees_on_edge_cases() {
    // The CLI reads the wall clock: every time here is in the past.
    let g = T0 + 5;
    let mut cases = Vec::new();
    let mut vs = VirtualSigstore::new(300);
    let o = v2_at(g);
    let at_end = v2_at(T0 + LIFETIME);
    cases.push(Case::mint(
        "v2 genTime at leaf notAfter",
        &mut vs,
        &at_end,
        pass(&at_end),
    ));
    cases.push(Case::mint(
        "v2 genTime 1 s after leaf notAfter",
        &mut vs,
        &v2_at(T0 + LIFETIME + 1),
        Expect::Fail("certificate.expired"),
    ));
    cases.push(Case::mint(
        "v2 without a timestamp",
        &mut vs,
        &opts(RekorMode::V2, ContentKind::CosignDsse, vec![]),
        Expect::Fail("timestamp.no-verified-time"),
    ));
    let mut other = v2_at(g);
    other.identity = San::Uri(OTHER_IDENTITY.into());
    cases.push(Case::mint(
        "signed by another workflow",
        &mut vs,
        &other,
        Expect::Fail("policy.identity-mismatch"),
    ));
    let mut c = Case::mint(
        "DSSE for another artifact",
        &mut vs,
        &opts(RekorMode::V2, ContentKind::CosignDsse, vec![g]),
        Expect::Fail("signature.subject-mismatch"),
    );
    c.artifact = ArtifactDigests::of_bytes(b"another rule pack\n");
    cases.push(c);
    let mut vs = VirtualSigstore::new(301);
    vs.set_validity(Authority::Tsa, vsig::DEFAULT_START, Some(g));
    cases.push(Case::mint(
        "TSA validFor.end == genTime",
        &mut vs,
        &o,
        pass(&o),
    ));
    let mut vs = VirtualSigstore::new(302);
    vs.set_validity(Authority::Tsa, vsig::DEFAULT_START, Some(g - 1));
    cases.push(Case::mint(
        "TSA validFor.end == genTime - 1",
        &mut vs,
        &o,
        Expect::Fail("timestamp.chain-invalid"),
    ));
    let mut expired = v2_at(T2020 + 5);
    expired.signed_at = T2020;
    let mut vs = VirtualSigstore::new(303);
    vs.set_cert_validity(CertRole::TsaRoot, vsig::DEFAULT_START, T2021);
    vs.set_cert_validity(CertRole::TsaLeaf, vsig::DEFAULT_START, T2021);
    cases.push(Case::mint(
        "TSA chain expired now, valid at genTime",
        &mut vs,
        &expired,
        pass(&expired),
    ));

    // The library must agree (at the CLI's kind of `now`: after every time here).
    check("CLI cases through the library", &cases);

    let dir = Scratch::new("cli");
    let mut wrong = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let (status, stderr) = cli(c, &dir, i);
        match &c.expect {
            Expect::Pass(_) if status == 0 => println!("ok CLI: {}: exit 0", c.name),
            Expect::Fail(code)
                if status == 1 && stderr.starts_with(&format!("error[{code}]: ")) =>
            {
                println!("ok CLI: {}: exit 1, {}", c.name, stderr.trim_end())
            }
            e => wrong.push(format!(
                "{}: expected {e:?}, got exit {status}, stderr {stderr:?}",
                c.name
            )),
        }
    }
    assert!(wrong.is_empty(), "CLI:\n{}", wrong.join("\n"));
}

/// The verified time sources are reported as such (log vs TSA).
#[test]
fn time_sources_are_reported() {
    let mut vs = VirtualSigstore::new(310);
    let o = opts(v1(T0 + 30), ContentKind::CosignDsse, vec![T0 + 5]);
    let c = Case::mint("v1 + ts", &mut vs, &o, pass(&o));
    let v = run(&c).unwrap();
    assert_eq!(v.times.len(), 2);
    assert!(matches!(
        &v.times[0].source,
        TimeSource::TransparencyLog { log, .. } if log == vsig::REKOR_V1_URL
    ));
    assert!(
        matches!(&v.times[1].source, TimeSource::Timestamp { authority } if authority.contains("vsig-tsa"))
    );
    assert_eq!(v.signing_time().unwrap().time, T0 + 5);
    assert_eq!(v.tlog_entries.len(), 1);
    assert_eq!(v.tlog_entries[0].rekor_version, 1);
    assert_eq!(v.timestamps.len(), 1);
    assert_eq!(v.sct_count, 1);
    let o = v2_at(T0 + 5);
    let c = Case::mint("v2", &mut vs, &o, pass(&o));
    let v = run(&c).unwrap();
    assert_eq!(v.tlog_entries[0].rekor_version, 2);
    assert_eq!(v.tlog_entries[0].log_base_url, vsig::REKOR_V2_URL);
    assert!(v.tlog_entries[0].integrated_time.is_none());
    assert!(v.tlog_entries[0].checkpoint.is_some());
}

/// A policy that requires a `cosign sign` statement refuses a bare message signature by
/// the trusted signer at step 2 (content binding), through the library as through the
/// pack verifier; the same bundle verifies under the default statement requirement, and a
/// `cosign sign` DSSE bundle verifies under both.
#[test]
fn cosign_statement_policy_refuses_a_message_signature() {
    use rulepack_verify::policy::{Policy, StatementRequirement};
    use rulepack_verify::verify::{Step, Verifier};
    let mut vs = VirtualSigstore::new(230);
    let root = TrustedRoot::from_json(&vs.trusted_root_json()).unwrap();
    let artifact = ArtifactDigests::of_bytes(ARTIFACT);
    let verifier = Verifier::new(root);
    let any = Policy::from(policy(IDENTITY, ISSUER));
    let cosign = any.clone().with_statement(StatementRequirement::CosignSign);
    for (content, cosign_ok) in [
        (ContentKind::MessageSignature, false),
        (ContentKind::CosignDsse, true),
    ] {
        let bundle = vs.sign(sha256(ARTIFACT), &opts(v1(T0 + 30), content, vec![]));
        let bundle = Bundle::from_json(&bundle).unwrap();
        assert!(
            verifier.verify(&bundle, &artifact, &any, NOW).is_ok(),
            "{content:?} under the default requirement"
        );
        match verifier.verify_traced(&bundle, &artifact, &cosign, NOW) {
            Ok(_) => assert!(cosign_ok, "{content:?} passed a cosign-sign policy"),
            Err(r) => {
                assert!(!cosign_ok, "{content:?}: {}", r.error);
                assert_eq!(r.step, Step::ContentBinding);
                assert_eq!(r.error.code(), "signature.not-cosign-statement");
            }
        }
    }
}
