//! Tests on real RFC 3161 tokens: the vendored bundles of `testdata/real` (production
//! and staging TSAs, with and without an embedded certificate), and, when
//! `RULEPACK_CORPUS` is set, the shared corpus (conformance cases, real bundles from
//! sigstore-python and sigstore-go).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::*;
use crate::encoding::base64_decode;
use crate::time::{parse_rfc3339, UnixTime};
use crate::trust_root::ValidityWindow;

// ---------------------------------------------------------------- corpus helpers

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

fn b64(v: &Value) -> Vec<u8> {
    base64_decode(v.as_str().unwrap()).unwrap()
}

/// The `timestampAuthorities` of a trusted root (or of a ClientTrustConfig's
/// `trustedRoot`, or a lone CertificateAuthority), read directly: the trust_root
/// parser lives in another branch.
fn authorities(doc: &Value) -> Vec<CertificateAuthority> {
    let root = doc.get("trustedRoot").unwrap_or(doc);
    let list = match root.get("timestampAuthorities") {
        Some(l) => l.as_array().unwrap().clone(),
        // A single CertificateAuthority document (sigstore-python's tsa/ca.json).
        None if root.get("certChain").is_some() => vec![root.clone()],
        None => Vec::new(),
    };
    list.iter()
        .map(|a| CertificateAuthority {
            organization: a["subject"]["organization"].as_str().map(String::from),
            common_name: a["subject"]["commonName"].as_str().map(String::from),
            uri: a["uri"].as_str().unwrap_or_default().to_string(),
            cert_chain: a["certChain"]["certificates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| b64(&c["rawBytes"]))
                .collect(),
            valid_for: ValidityWindow {
                start: parse_rfc3339(a["validFor"]["start"].as_str().unwrap()).unwrap(),
                end: a["validFor"]["end"]
                    .as_str()
                    .map(|s| parse_rfc3339(s).unwrap()),
            },
            operator: a["operator"].as_str().map(String::from),
        })
        .collect()
}

/// sigstore-go `pkg/verify/tsa.go`: the timestamp covers `messageSignature.signature` or the DSSE signature.
fn signature_bytes(bundle: &Value) -> Vec<u8> {
    if let Some(ms) = bundle.get("messageSignature") {
        b64(&ms["signature"])
    } else {
        b64(&bundle["dsseEnvelope"]["signatures"][0]["sig"])
    }
}

fn timestamps(bundle: &Value) -> Vec<Vec<u8>> {
    bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()
        .map(|a| a.iter().map(|t| b64(&t["signedTimestamp"])).collect())
        .unwrap_or_default()
}

/// One bundle's timestamps with what they must verify against.
struct Case {
    name: String,
    tokens: Vec<Vec<u8>>,
    signature: Vec<u8>,
    authorities: Vec<CertificateAuthority>,
}

fn conformance_cases(corpus: &Path) -> Vec<Case> {
    let dir = corpus.join("conformance");
    let cases = read_json(&dir.join("cases.json"));
    cases
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            let bundle = read_json(&dir.join(c["bundle"].as_str().unwrap()));
            let tokens = timestamps(&bundle);
            if tokens.is_empty() {
                return None;
            }
            let root = match c["trusted_root"].as_str() {
                Some(p) => dir.join(p),
                None => dir.join("production_trusted_root.json"),
            };
            Some(Case {
                name: c["name"].as_str().unwrap().to_string(),
                tokens,
                signature: signature_bytes(&bundle),
                authorities: authorities(&read_json(&root)),
            })
        })
        .collect()
}

/// sigstore-python's TSA test assets (relative to `real/`).
const TSA_DIR: &str = "sigstore-python/test/assets/tsa/";
/// sigstore-python's embedded staging trusted root (relative to `real/`).
const STAGING_ROOT: &str =
    "sigstore-python/sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstage.dev/trusted_root.json";

fn real_cases(corpus: &Path) -> Vec<Case> {
    let dir = corpus.join("real");
    let index = read_json(&dir.join("index.json"));
    index
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["bundle_summary"]["rfc3161"].as_u64().unwrap_or(0) > 0)
        .map(|e| {
            let file = e["file"].as_str().unwrap();
            let bundle = read_json(&dir.join(file));
            // "path (comment)": the path is the first word.
            let root = e["trusted_root"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap();
            let mut auths = authorities(&read_json(&dir.join(root)));
            if file.starts_with(TSA_DIR) {
                // The index names trust_config.json, whose "Test TSA" is a different CA
                // (same names, other keys, issued 2024-11-07) from the one that signed
                // these tokens (2024-10-31): sigstore-python's tests substitute
                // tsa/ca.json. The late_timestamp bundle's token is from the staging
                // sigstore-tsa. See `trust_config_tsa_is_not_the_signer`.
                auths = authorities(&read_json(&dir.join(TSA_DIR).join("ca.json")));
                auths.extend(authorities(&read_json(&dir.join(STAGING_ROOT))));
            }
            Case {
                name: file.to_string(),
                tokens: timestamps(&bundle),
                signature: signature_bytes(&bundle),
                authorities: auths,
            }
        })
        .collect()
}

fn case<'a>(cases: &'a [Case], name: &str) -> &'a Case {
    cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn corpus(test: &str) -> Option<PathBuf> {
    crate::testutil::corpus_extra(test)
}

/// The vendored bundles of `testdata/real/index.json` that carry RFC 3161 timestamps,
/// named by their sigstore-conformance case when they are one, else by file; with the
/// index's expected error code when it is a `timestamp.*` one, and whether the bundle
/// is a sigstore-conformance case.
fn vendored_cases() -> Vec<(Case, Option<String>, bool)> {
    crate::testutil::vendored_index()
        .iter()
        .filter_map(|e| {
            let file = e["file"].as_str().unwrap();
            let bundle = read_json(&crate::testutil::vendored(file));
            let tokens = timestamps(&bundle);
            if tokens.is_empty() {
                return None;
            }
            let root = crate::testutil::vendored(e["trusted_root"].as_str().unwrap());
            let name = e["conformance_case"].as_str().unwrap_or(file).to_string();
            let code = e["code"]
                .as_str()
                .filter(|c| c.starts_with("timestamp."))
                .map(String::from);
            Some((
                Case {
                    name,
                    tokens,
                    signature: signature_bytes(&bundle),
                    authorities: authorities(&read_json(&root)),
                },
                code,
                e.get("conformance_case").is_some(),
            ))
        })
        .collect()
}

/// The vendored cases only.
fn vendored() -> Vec<Case> {
    vendored_cases().into_iter().map(|(c, ..)| c).collect()
}

/// Vendored: the sigstore-conformance case `rekor2-timestamp-with-embedded-cert`
/// (staging TSA, its certificate embedded in the token).
const WITH_CERT: &str = "rekor2-timestamp-with-embedded-cert";
/// Vendored: cosign v3 blob bundle (crates.io `sigstore-verify` 0.15.1), production
/// TSA, no certificate in the token.
const WITHOUT_CERT: &str =
    "crates.io/sigstore-verify-0.15.1/test_data/bundles/cosign-v3-blob.sigstore.json";

fn utc(s: &str) -> UnixTime {
    parse_rfc3339(s).unwrap()
}

// ---------------------------------------------------------------- real data verifies

/// The conformance cases whose failure is the timestamp's, with the code expected.
const TIMESTAMP_FAILURES: &[(&str, &str)] = &[
    (
        "rekor2-timestamp-payload-mismatch_fail",
        "timestamp.imprint-mismatch",
    ),
    (
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
        "timestamp.chain-invalid",
    ),
    // No certificate in the token and FreeTSA is not a trusted authority: the signer
    // certificate cannot be found at all.
    (
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
        "timestamp.signer-cert-not-found",
    ),
];

/// The vendored sigstore-conformance cases, then the corpus's.
#[test]
fn conformance_timestamps_verify_or_fail_with_the_expected_code() {
    let vendored: Vec<Case> = vendored_cases()
        .into_iter()
        .filter(|(.., conformance)| *conformance)
        .map(|(c, ..)| c)
        .collect();
    let (ok, failed) = conformance_timestamps(&vendored);
    assert_eq!(failed, 1, "rekor2-timestamp-payload-mismatch_fail");
    assert!(
        ok >= 3,
        "only {ok} vendored conformance timestamps verified"
    );
    if let Some(corpus) = corpus("conformance_timestamps_verify_or_fail_with_the_expected_code") {
        let (ok, failed) = conformance_timestamps(&conformance_cases(&corpus));
        assert_eq!(failed, TIMESTAMP_FAILURES.len());
        assert!(ok >= 20, "only {ok} conformance timestamps verified");
    }
}

/// (verified, failed as expected) over conformance `cases`.
fn conformance_timestamps(cases: &[Case]) -> (usize, usize) {
    let (mut ok, mut failed) = (0, 0);
    for c in cases {
        let expected = TIMESTAMP_FAILURES
            .iter()
            .find(|(n, _)| *n == c.name)
            .map(|(_, code)| *code);
        for token in &c.tokens {
            let r = verify_timestamp(token, &c.signature, &c.authorities);
            match (expected, r) {
                (None, Ok(v)) => {
                    assert!(c.authorities.get(v.authority_index).is_some());
                    assert!(c.authorities[v.authority_index]
                        .valid_for
                        .contains(v.gen_time));
                    ok += 1;
                }
                (Some(code), Err(e)) => {
                    assert_eq!(e.code(), code, "{}: {e}", c.name);
                    failed += 1;
                }
                (None, Err(e)) => panic!("{}: {e}", c.name),
                (Some(code), Ok(_)) => panic!("{}: verified, expected {code}", c.name),
            }
        }
    }
    (ok, failed)
}

#[test]
fn real_bundle_timestamps_verify() {
    // Every vendored token verifies over its bundle's signature, within its TSA's
    // window, or fails with the index's expected `timestamp.*` code.
    let cases = vendored_cases();
    let (mut n, mut failed) = (0, 0);
    for (c, code, _) in &cases {
        for (i, token) in c.tokens.iter().enumerate() {
            match (verify_timestamp(token, &c.signature, &c.authorities), code) {
                (Ok(v), None) => {
                    assert!(c.authorities[v.authority_index]
                        .valid_for
                        .contains(v.gen_time));
                    n += 1;
                }
                (Err(e), Some(code)) => {
                    assert_eq!(e.code(), code, "{} #{i}: {e}", c.name);
                    failed += 1;
                }
                (Err(e), None) => panic!("{} #{i}: {e} ({})", c.name, e.code()),
                (Ok(_), Some(code)) => panic!("{} #{i}: verified, expected {code}", c.name),
            }
        }
    }
    assert!(cases.iter().any(|(c, ..)| c.name == "bundle_v03.json"));
    assert!(cases.iter().any(|(c, ..)| c.name == WITH_CERT));
    assert!(
        n >= 6 && failed == 1,
        "{n} vendored timestamps verified, {failed} failed"
    );

    if let Some(corpus) = corpus("real_bundle_timestamps_verify") {
        real_bundle_timestamps_verify_in_corpus(&corpus);
    }
}

fn real_bundle_timestamps_verify_in_corpus(corpus: &Path) {
    let cases = real_cases(corpus);
    let (mut n, mut over_hello) = (0, 0);
    for c in &cases {
        assert!(!c.tokens.is_empty());
        let mut over_signature = 0;
        for (i, token) in c.tokens.iter().enumerate() {
            let v = match verify_timestamp(token, &c.signature, &c.authorities) {
                Ok(v) => {
                    over_signature += 1;
                    v
                }
                // Some of sigstore-python's test TSA tokens were taken over b"hello"
                // (messageImprint = SHA-512("hello")), not over the bundle signature:
                // they must fail here, and be entirely valid over "hello".
                Err(e @ TimestampError::ImprintMismatch { .. }) if c.name.starts_with(TSA_DIR) => {
                    over_hello += 1;
                    verify_timestamp(token, b"hello", &c.authorities)
                        .unwrap_or_else(|e2| panic!("{} #{i}: {e}; over hello: {e2}", c.name))
                }
                Err(e) => panic!("{} #{i}: {e} ({})", c.name, e.code()),
            };
            assert!(c.authorities[v.authority_index]
                .valid_for
                .contains(v.gen_time));
            n += 1;
        }
        // The "duplicate" and "many timestamps" fixtures hold only "hello" tokens.
        let hello_only = c.name.contains("duplicate") || c.name.contains("many_timestamp");
        assert_eq!(over_signature > 0, !hello_only, "{}", c.name);
    }
    assert!(over_hello > 0);
    // staging rekor v2, the sigstore-python TSA bundles (1+2+1+3+33), the production
    // TSA in bundle_v03.json, and sigstore-go's public-key-validity bundle.
    assert!(cases.iter().any(|c| c.name.ends_with("bundle_v03.json")));
    assert!(cases
        .iter()
        .any(|c| c.name.contains("tsa/bundle.txt.sigstore")));
    assert!(n >= 40, "only {n} real timestamps verified");
}

/// Values read with `openssl ts -reply -in <token> -text` (OpenSSL 3).
#[test]
fn fields_match_openssl() {
    let cases = vendored();
    // rekor2-timestamp-with-embedded-cert (staging TSA): "Time stamp: Aug  6 18:51:36
    // 2025 GMT", "Serial number: 0x75066F8056D5F464BFA1EE8E134F7D169F0356F2", "Policy
    // OID: 1.3.6.1.4.1.57264.2", "Message data: 68 17 ad 42 ed ee ca c0 ...".
    fields_of_sigstore_tsa(
        case(&cases, WITH_CERT),
        "2025-08-06T18:51:36Z",
        "75066f8056d5f464bfa1ee8e134f7d169f0356f2",
        "6817ad42edeecac0",
    );
    // Production TSA, bundle_v03.json (vendored): "Time stamp: Apr  9 07:23:29 2026
    // GMT", "Serial number: 0xDB3E11CDB04DDC7040B4FDA10CECFBAA9D0C99BA", no embedded
    // certificate.
    fields_of_bundle_v03(case(&cases, "bundle_v03.json"));

    if let Some(corpus) = corpus("fields_match_openssl") {
        fields_match_openssl_in_corpus(&corpus);
    }
}

/// A token of the Sigstore TSA (policy 1.3.6.1.4.1.57264.2, its certificate embedded,
/// a SHA-256 imprint) with the given genTime, serial and start of the imprint.
fn fields_of_sigstore_tsa(c: &Case, gen_time: &str, serial: &str, imprint: &str) {
    let v = verify_timestamp(&c.tokens[0], &c.signature, &c.authorities).unwrap();
    assert_eq!(v.gen_time, utc(gen_time));
    assert_eq!(hex_encode(&v.serial), serial);
    assert_eq!(v.policy, "1.3.6.1.4.1.57264.2");
    assert_eq!(v.tsa_subject, "CN=sigstore-tsa,O=sigstore.dev");
    let info = parse_timestamp(&c.tokens[0]).unwrap();
    assert_eq!(info.gen_time, v.gen_time);
    assert_eq!(info.embedded_certificates, 1);
    assert_eq!(info.imprint_algorithm, HashAlgorithm::Sha256);
    assert!(hex_encode(&info.imprint).starts_with(imprint));
}

fn fields_of_bundle_v03(c: &Case) {
    let v = verify_timestamp(&c.tokens[0], &c.signature, &c.authorities).unwrap();
    assert_eq!(v.gen_time, utc("2026-04-09T07:23:29Z"));
    assert_eq!(
        hex_encode(&v.serial),
        "00db3e11cdb04ddc7040b4fda10cecfbaa9d0c99ba"
    );
    assert_eq!(
        parse_timestamp(&c.tokens[0]).unwrap().embedded_certificates,
        0
    );
}

fn fields_match_openssl_in_corpus(corpus: &Path) {
    let conf = conformance_cases(corpus);
    let real = real_cases(corpus);

    // rekor2-happy-path: "Time stamp: Jun 12 12:02:20 2025 GMT", "Serial number:
    // 0x559742C71EDAE5B645233A7AC43A8D033142A5AC", "Policy OID: 1.3.6.1.4.1.57264.2",
    // "Message data: 6d df 31 60 9e 2a 6c 81 ...".
    fields_of_sigstore_tsa(
        case(&conf, "rekor2-happy-path"),
        "2025-06-12T12:02:20Z",
        "559742c71edae5b645233a7ac43a8d033142a5ac",
        "6ddf31609e2a6c81",
    );

    // Production TSA, bundle_v03.json: "Time stamp: Apr  9 07:23:29 2026 GMT",
    // "Serial number: 0xDB3E11CDB04DDC7040B4FDA10CECFBAA9D0C99BA", no embedded cert.
    fields_of_bundle_v03(
        real.iter()
            .find(|c| c.name.ends_with("bundle_v03.json"))
            .unwrap(),
    );

    // sigstore-python tsa/bundle.txt.sigstore #1: "Hash Algorithm: sha512",
    // "Time stamp: Oct 31 13:31:44 2024 GMT".
    let c = real
        .iter()
        .find(|c| c.name.ends_with("tsa/bundle.txt.sigstore"))
        .unwrap();
    let info = parse_timestamp(&c.tokens[1]).unwrap();
    assert_eq!(info.imprint_algorithm, HashAlgorithm::Sha512);
    assert_eq!(info.gen_time, utc("2024-10-31T13:31:44Z"));
    // "Message data: 9b 71 d2 24 ..." is SHA-512("hello"), not of the signature.
    assert_eq!(info.imprint, HashAlgorithm::Sha512.digest(b"hello"));
    let v = verify_timestamp(&c.tokens[1], b"hello", &c.authorities).unwrap();
    assert_eq!(v.gen_time, info.gen_time);
    assert_eq!(v.tsa_subject, "CN=Test TSA Timestamping,O=local");
}

// ---------------------------------------------------------------- conformance failures

/// Payload mismatch: the token is over other bytes; its imprint is what it is.
fn payload_mismatch_is_an_imprint_mismatch(c: &Case) {
    let e = verify_timestamp(&c.tokens[0], &c.signature, &c.authorities).unwrap_err();
    let info = parse_timestamp(&c.tokens[0]).unwrap();
    assert_eq!(
        e,
        TimestampError::ImprintMismatch {
            algorithm: HashAlgorithm::Sha256,
            expected: hex_encode(&HashAlgorithm::Sha256.digest(&c.signature)),
            actual: hex_encode(&info.imprint),
        }
    );
}

/// On vendored tokens, the same rules as the corpus's failing conformance cases (the
/// payload mismatch is the vendored case itself; the TSA windows are set here).
#[test]
fn failing_conformance_cases_fail_for_the_right_reason() {
    let cases = vendored();
    payload_mismatch_is_an_imprint_mismatch(case(&cases, "rekor2-timestamp-payload-mismatch_fail"));

    // The TSA's validFor ends (inclusively) at genTime, or one second before; or is
    // open-ended.
    let c = case(&cases, WITH_CERT);
    let v = verify_timestamp(&c.tokens[0], &c.signature, &c.authorities).unwrap();
    let ix = v.authority_index;
    let mut auths = c.authorities.clone();
    auths[ix].valid_for.end = Some(v.gen_time);
    assert_eq!(
        verify_timestamp(&c.tokens[0], &c.signature, &auths).unwrap(),
        v
    );
    auths[ix].valid_for.end = Some(v.gen_time - 1);
    assert_eq!(
        verify_timestamp(&c.tokens[0], &c.signature, &auths)
            .unwrap_err()
            .code(),
        "timestamp.chain-invalid"
    );
    auths[ix].valid_for.end = None;
    verify_timestamp(&c.tokens[0], &c.signature, &auths).unwrap();

    // A production token without a certificate, checked against the staging TSA only:
    // the signer certificate cannot be found at all.
    let production = case(&cases, "bundle_v03.json");
    assert_eq!(
        parse_timestamp(&production.tokens[0])
            .unwrap()
            .embedded_certificates,
        0
    );
    let e =
        verify_timestamp(&production.tokens[0], &production.signature, &c.authorities).unwrap_err();
    assert_eq!(e.code(), "timestamp.signer-cert-not-found");
    // Without an embedded certificate the signer is the trusted TSA's leaf.
    let v = verify_timestamp(
        &production.tokens[0],
        &production.signature,
        &production.authorities,
    )
    .unwrap();
    assert_eq!(v.tsa_subject, "CN=sigstore-tsa,O=sigstore.dev");

    if let Some(corpus) = corpus("failing_conformance_cases_fail_for_the_right_reason") {
        failing_conformance_cases_in_corpus(&corpus);
    }
}

fn failing_conformance_cases_in_corpus(corpus: &Path) {
    let conf = conformance_cases(corpus);
    payload_mismatch_is_an_imprint_mismatch(case(&conf, "rekor2-timestamp-payload-mismatch_fail"));

    // TSA validFor ends before genTime: the same token verifies once the window is
    // open-ended, so the window (and nothing else) is what rejects it.
    let c = case(
        &conf,
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
    );
    let e = verify_timestamp(&c.tokens[0], &c.signature, &c.authorities).unwrap_err();
    assert_eq!(e.code(), "timestamp.chain-invalid");
    let end = c.authorities[0].valid_for.end.unwrap();
    let gen_time = parse_timestamp(&c.tokens[0]).unwrap().gen_time;
    assert!(end < gen_time);
    let mut open = c.authorities.clone();
    open[0].valid_for.end = None;
    verify_timestamp(&c.tokens[0], &c.signature, &open).unwrap();

    // validFor.end == genTime is inside the window (inclusive); one second less is not.
    let c = case(&conf, "trust-root-tsa-validity-end-inclusive");
    let v = verify_timestamp(&c.tokens[0], &c.signature, &c.authorities).unwrap();
    assert_eq!(c.authorities[0].valid_for.end, Some(v.gen_time));
    let mut short = c.authorities.clone();
    short[0].valid_for.end = Some(v.gen_time - 1);
    assert_eq!(
        verify_timestamp(&c.tokens[0], &c.signature, &short)
            .unwrap_err()
            .code(),
        "timestamp.chain-invalid"
    );

    // FreeTSA token, no certificate inside, FreeTSA not trusted.
    let c = case(
        &conf,
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
    );
    let e = verify_timestamp(&c.tokens[0], &c.signature, &c.authorities).unwrap_err();
    assert_eq!(e.code(), "timestamp.signer-cert-not-found");
    assert!(e.to_string().contains("www.freetsa.org"), "{e}");
    assert_eq!(
        parse_timestamp(&c.tokens[0]).unwrap().embedded_certificates,
        0
    );

    // Expired chain: every TSA certificate expired minutes after the timestamp
    // (2025-08-07T15:37:08Z), yet it verifies because validity is judged at genTime.
    let c = case(&conf, "rekor2-timestamp-with-expired-cert-chain");
    let v = verify_timestamp(&c.tokens[0], &c.signature, &c.authorities).unwrap();
    assert!(v.gen_time < utc("2025-08-07T15:37:08Z"));
    assert!(v.gen_time >= utc("2025-08-07T15:29:08Z"));

    // Without an embedded certificate the signer is the trusted TSA's leaf.
    let c = case(&conf, "rekor2-timestamp-without-embedded-cert");
    assert_eq!(
        parse_timestamp(&c.tokens[0]).unwrap().embedded_certificates,
        0
    );
    let v = verify_timestamp(&c.tokens[0], &c.signature, &c.authorities).unwrap();
    assert_eq!(v.tsa_subject, "CN=sigstore-tsa,O=sigstore.dev");
}

/// A copy of `chain` (leaf first, root last) with the same names, validity and
/// extensions but new P-256 keys, each certificate signed by the next one's new key.
fn same_names_other_keys(chain: &[Vec<u8>]) -> Vec<Vec<u8>> {
    use der::Encode;
    use p256::ecdsa::signature::Signer as _;
    let keys: Vec<_> = (0..chain.len())
        .map(|i| crate::x509::test_support::key(0x70 + i as u8))
        .collect();
    chain
        .iter()
        .enumerate()
        .map(|(i, der)| {
            let mut c = x509_cert::Certificate::from_der(der).unwrap();
            let spki =
                p256::pkcs8::EncodePublicKey::to_public_key_der(keys[i].verifying_key()).unwrap();
            c.tbs_certificate.subject_public_key_info =
                spki::SubjectPublicKeyInfoOwned::from_der(spki.as_bytes()).unwrap();
            let alg = spki::AlgorithmIdentifierOwned {
                oid: crate::crypto::OID_ECDSA_SHA256,
                parameters: None,
            };
            c.tbs_certificate.signature = alg.clone();
            c.signature_algorithm = alg;
            let signer = &keys[(i + 1).min(chain.len() - 1)];
            let sig: p256::ecdsa::Signature = signer.sign(&c.tbs_certificate.to_der().unwrap());
            c.signature = der::asn1::BitString::from_bytes(sig.to_der().as_bytes()).unwrap();
            c.to_der().unwrap()
        })
        .collect()
}

#[test]
fn a_different_ca_with_the_same_names_is_not_trusted() {
    // The vendored staging token with its certificate embedded, against a TSA whose
    // chain has the same names as the real one but other keys.
    let cases = vendored();
    let c = case(&cases, WITH_CERT);
    let v = verify_timestamp(&c.tokens[0], &c.signature, &c.authorities).unwrap();
    let right = vec![c.authorities[v.authority_index].clone()];
    let mut fake = right[0].clone();
    fake.cert_chain = same_names_other_keys(&right[0].cert_chain);
    let wrong = vec![fake];
    assert_eq!(
        verify_timestamp(&c.tokens[0], &c.signature, &wrong)
            .unwrap_err()
            .code(),
        "timestamp.chain-invalid"
    );
    assert_eq!(
        verify_timestamp(&c.tokens[0], &c.signature, &right)
            .unwrap()
            .authority_index,
        0
    );
    // With both, the right one is found whatever the order.
    let both: Vec<_> = wrong.iter().chain(&right).cloned().collect();
    assert_eq!(
        verify_timestamp(&c.tokens[0], &c.signature, &both)
            .unwrap()
            .authority_index,
        1
    );
    if let Some(corpus) = corpus("a_different_ca_with_the_same_names_is_not_trusted") {
        a_different_ca_with_the_same_names_in_corpus(&corpus);
    }
}

fn a_different_ca_with_the_same_names_in_corpus(corpus: &Path) {
    // sigstore-python's trust_config.json "Test TSA" (issued 2024-11-07) has the same
    // subject names as the CA that signed tsa/bundle.txt.sigstore's tokens
    // (2024-10-31, tsa/ca.json) but other keys.
    let dir = corpus.join("real");
    let bundle = read_json(&dir.join(TSA_DIR).join("bundle.txt.sigstore"));
    let token = &timestamps(&bundle)[0];
    let sig = signature_bytes(&bundle);
    let wrong = authorities(&read_json(&dir.join(TSA_DIR).join("trust_config.json")));
    assert_eq!(wrong.len(), 1);
    assert_eq!(
        verify_timestamp(token, &sig, &wrong).unwrap_err().code(),
        "timestamp.chain-invalid"
    );
    let right = authorities(&read_json(&dir.join(TSA_DIR).join("ca.json")));
    assert_eq!(
        verify_timestamp(token, &sig, &right)
            .unwrap()
            .authority_index,
        0
    );
    // With both, the right one is found whatever the order.
    let both: Vec<_> = wrong.iter().chain(&right).cloned().collect();
    assert_eq!(
        verify_timestamp(token, &sig, &both)
            .unwrap()
            .authority_index,
        1
    );
}

// ---------------------------------------------------------------- tampering

/// Position of the only occurrence of `needle` in `hay`.
fn find_unique(hay: &[u8], needle: &[u8]) -> usize {
    let hits: Vec<usize> = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "needle found {} times", hits.len());
    hits[0]
}

fn flipped(token: &[u8], at: usize) -> Vec<u8> {
    let mut t = token.to_vec();
    t[at] ^= 0x01;
    t
}

fn tamper_code(token: &[u8], c: &Case) -> &'static str {
    verify_timestamp(token, &c.signature, &c.authorities)
        .map(|_| "verified")
        .unwrap_or_else(|e| e.code())
}

#[test]
fn tampered_tokens_are_rejected() {
    let cases = vendored();
    tampered_tokens_are_rejected_on(
        case(&cases, WITH_CERT),
        case(&cases, WITHOUT_CERT),
        case(&cases, "bundle_v03.json"),
        // The signingTime attribute: UTCTime 250806185136Z.
        b"\x17\x0d250806185136Z",
    );
    if let Some(corpus) = corpus("tampered_tokens_are_rejected") {
        let conf = conformance_cases(&corpus);
        let real = real_cases(&corpus);
        tampered_tokens_are_rejected_on(
            case(&conf, "rekor2-happy-path"),
            case(&conf, "rekor2-timestamp-without-embedded-cert"),
            real.iter()
                .find(|c| c.name.ends_with("bundle_v03.json"))
                .unwrap(),
            // UTCTime 250612120220Z.
            b"\x17\x0d250612120220Z",
        );
    }
}

/// `signing_time`: the DER of `with_cert`'s signingTime attribute value.
fn tampered_tokens_are_rejected_on(
    with_cert: &Case,
    without_cert: &Case,
    production: &Case,
    signing_time: &[u8],
) {
    for c in [with_cert, without_cert, production] {
        let token = &c.tokens[0];
        assert_eq!(tamper_code(token, c), "verified", "{}", c.name);
        let info = parse_timestamp(token).unwrap();
        let parsed = cms::parse_token(token).unwrap();

        // A byte of the TSTInfo (its serial number): the signed messageDigest no
        // longer matches the content.
        let at = find_unique(token, &info.serial);
        assert_eq!(
            tamper_code(&flipped(token, at + 3), c),
            "timestamp.message-digest-mismatch",
            "{}",
            c.name
        );
        // A byte of the imprint: the timestamp is over other data.
        let at = find_unique(token, &info.imprint);
        assert_eq!(
            tamper_code(&flipped(token, at + 5), c),
            "timestamp.imprint-mismatch"
        );
        // Verifying against other signature bytes.
        let mut other = c.signature.clone();
        other[0] ^= 1;
        assert_eq!(
            verify_timestamp(token, &other, &c.authorities)
                .unwrap_err()
                .code(),
            "timestamp.imprint-mismatch"
        );
        // The last byte of the token is the last byte of the ECDSA signature.
        assert_eq!(
            tamper_code(&flipped(token, token.len() - 1), c),
            "timestamp.signature-invalid"
        );
        // A byte of a signed attribute (the messageDigest value itself).
        let attrs = cms::parse_signed_attrs(parsed.signer.signed_attrs.unwrap()).unwrap();
        let at = find_unique(token, attrs.message_digest.unwrap());
        assert_eq!(
            tamper_code(&flipped(token, at + 1), c),
            "timestamp.message-digest-mismatch"
        );
        // A trailing byte after the response.
        let mut long = token.clone();
        long.push(0);
        assert_eq!(tamper_code(&long, c), "timestamp.trailing-data");
        // No trusted authorities at all.
        let code = verify_timestamp(token, &c.signature, &[])
            .unwrap_err()
            .code();
        if info.embedded_certificates == 0 {
            assert_eq!(code, "timestamp.signer-cert-not-found");
        } else {
            assert_eq!(code, "timestamp.chain-invalid");
        }
    }

    // The signingTime attribute: covered by the signature.
    let token = &with_cert.tokens[0];
    let at = find_unique(token, signing_time);
    assert_eq!(
        tamper_code(&flipped(token, at + 3), with_cert),
        "timestamp.signature-invalid"
    );

    // A byte of the embedded signer certificate (inside its own signature): the ESS
    // certHash no longer names it.
    let cert = cms::parse_token(token).unwrap().certificates[0].to_vec();
    let at = find_unique(token, &cert) + cert.len() - 2;
    assert_eq!(
        tamper_code(&flipped(token, at), with_cert),
        "timestamp.signing-certificate-mismatch"
    );
    // A byte of its public key: the ESS hash catches it first as well.
    let x509 = x509_cert::Certificate::from_der(&cert).unwrap();
    let key = x509
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes()
        .to_vec();
    let at = find_unique(token, &key) + 10;
    assert_eq!(
        tamper_code(&flipped(token, at), with_cert),
        "timestamp.signing-certificate-mismatch"
    );
}

#[test]
fn response_status_and_bare_token() {
    response_status_and_bare_token_on(case(&vendored(), WITH_CERT));
    if let Some(corpus) = corpus("response_status_and_bare_token") {
        response_status_and_bare_token_on(case(&conformance_cases(&corpus), "rekor2-happy-path"));
    }
}

fn response_status_and_bare_token_on(c: &Case) {
    let resp = &c.tokens[0];
    let expected = verify_timestamp(resp, &c.signature, &c.authorities).unwrap();

    // TimeStampResp ::= SEQUENCE { status SEQUENCE { INTEGER 0 }, token ContentInfo }
    let outer = asn1::single(resp, "t").unwrap();
    let mut r = outer.contents("t").unwrap();
    let status = r.any().unwrap();
    assert_eq!(status.whole, [0x30, 0x03, 0x02, 0x01, 0x00]);
    let bare = r.any().unwrap().whole.to_vec();
    r.finish().unwrap();
    assert_eq!(
        verify_timestamp(&bare, &c.signature, &c.authorities).unwrap(),
        expected
    );

    // status 1 (grantedWithMods) is accepted, 2 (rejection) is not.
    let status_at = find_unique(resp, status.whole) + 4;
    let mut mods = resp.clone();
    mods[status_at] = 1;
    assert_eq!(
        verify_timestamp(&mods, &c.signature, &c.authorities).unwrap(),
        expected
    );
    let mut rejected = resp.clone();
    rejected[status_at] = 2;
    assert_eq!(
        verify_timestamp(&rejected, &c.signature, &c.authorities).unwrap_err(),
        TimestampError::NotGranted { status: 2 }
    );

    // A granted response without a token: SEQUENCE { SEQUENCE { INTEGER 0 } }.
    assert_eq!(
        parse_timestamp(&[0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00]).unwrap_err(),
        TimestampError::TokenMissing
    );
    // A rejection without a token reports the status.
    assert_eq!(
        parse_timestamp(&[0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02]).unwrap_err(),
        TimestampError::NotGranted { status: 2 }
    );

    // Over the size limit, before any parsing.
    let big = vec![0u8; crate::limits::MAX_RFC3161_BYTES + 1];
    assert_eq!(
        parse_timestamp(&big).unwrap_err().code(),
        "timestamp.too-large"
    );
}

// ---------------------------------------------------------------- no panics

#[test]
fn no_panic_on_mutated_real_tokens() {
    let cases = vendored();
    let mut n = 0;
    for c in &cases {
        n += crate::testutil::mutate_all(&c.tokens[0], parse_timestamp);
    }
    // Full verification (signatures) on one token with and one without a certificate;
    // ECDSA is slow in debug builds.
    for c in [case(&cases, WITH_CERT), case(&cases, "bundle_v03.json")] {
        n += crate::testutil::mutate_all(&c.tokens[0], |t| {
            verify_timestamp(t, &c.signature, &c.authorities)
        });
    }
    assert!(cases.len() >= 6 && n > 10_000, "{} {n}", cases.len());
    if let Some(corpus) = corpus("no_panic_on_mutated_real_tokens") {
        no_panic_on_mutated_corpus_tokens(&corpus);
    }
}

fn no_panic_on_mutated_corpus_tokens(corpus: &Path) {
    let conf = conformance_cases(corpus);
    let real = real_cases(corpus);
    let picks = [
        case(&conf, "rekor2-happy-path"),
        case(&conf, "rekor2-timestamp-without-embedded-cert"),
        case(
            &conf,
            "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
        ),
        case(&conf, "rekor2-timestamp-with-expired-cert-chain"),
        real.iter()
            .find(|c| c.name.ends_with("bundle_v03.json"))
            .unwrap(),
    ];
    let mut n = 0;
    for c in picks {
        n += crate::testutil::mutate_all(&c.tokens[0], parse_timestamp);
    }
    // Full verification (signatures) on one token with and one without a certificate;
    // ECDSA is slow in debug builds.
    for c in [picks[0], picks[4]] {
        n += crate::testutil::mutate_all(&c.tokens[0], |t| {
            verify_timestamp(t, &c.signature, &c.authorities)
        });
    }
    assert!(n > 10_000, "{n}");
}

// ---------------------------------------------------------------- errors

#[test]
fn every_error_has_a_stage_code_and_a_sentence() {
    let crypto = crate::crypto::CryptoError::BadSignature {
        algorithm: crate::crypto::KeyAlgorithm::EcdsaP256,
    };
    let all = [
        TimestampError::TooLarge { len: 2, max: 1 },
        TimestampError::Malformed {
            structure: "TSTInfo",
            detail: "x".into(),
        },
        TimestampError::TrailingData {
            structure: "TSTInfo",
        },
        TimestampError::NotGranted { status: 2 },
        TimestampError::TokenMissing,
        TimestampError::WrongContentType {
            field: "eContentType",
            expected: "a".into(),
            actual: "b".into(),
        },
        TimestampError::UnsupportedVersion {
            structure: "TSTInfo",
            version: 2,
        },
        TimestampError::SignerCount { count: 2 },
        TimestampError::ContentMissing,
        TimestampError::TooManyCertificates { max: 10 },
        TimestampError::UnsupportedHashAlgorithm {
            field: "message imprint",
            oid: "1.3.14.3.2.26".into(),
        },
        TimestampError::UnsupportedSignatureAlgorithm {
            algorithm: "1.2.840.113549.1.1.11".into(),
        },
        TimestampError::InvalidGenTime { value: "x".into() },
        TimestampError::ImprintMismatch {
            algorithm: HashAlgorithm::Sha256,
            expected: "00".into(),
            actual: "01".into(),
        },
        TimestampError::InvalidCertificate { detail: "x".into() },
        TimestampError::SignerCertNotFound { signer: "x".into() },
        TimestampError::SignedAttributesMissing,
        TimestampError::AttributeMissing {
            attribute: "messageDigest",
        },
        TimestampError::AttributeInvalid {
            attribute: "contentType",
            detail: "x".into(),
        },
        TimestampError::MessageDigestMismatch {
            expected: "00".into(),
            actual: "01".into(),
        },
        TimestampError::SigningCertificateMismatch {
            attribute: "signingCertificateV2",
            detail: "x".into(),
        },
        TimestampError::SignerKey {
            source: crypto.clone(),
        },
        TimestampError::BadSignature { source: crypto },
        TimestampError::Chain {
            source: crate::x509::CertificateError::NoTrustedAuthority {
                at: 0,
                configured: 1,
            },
        },
    ];
    let mut codes = std::collections::HashSet::new();
    for e in &all {
        let code = e.code();
        assert!(code.starts_with("timestamp."), "{code}");
        assert!(code[10..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-'));
        assert!(codes.insert(code), "duplicate code {code}");
        let text = e.to_string();
        assert!(text.starts_with(|c: char| c.is_ascii_lowercase()), "{text}");
        assert!(!text.contains("{"), "{text}");
        assert_eq!(crate::Error::from(e.clone()).stage(), "timestamp");
    }
}

// ---------------------------------------------------------------- synthetic tokens
//
// Paths the real corpus does not exercise (subjectKeyIdentifier signer ids, the v1
// ESSCertID, missing or repeated attributes, several signers, fractional genTime ...)
// are covered with tokens minted here by a test TSA (P-256 leaf under a P-256 root).

mod mint {
    use der::asn1::OctetString;
    use der::{Decode, Encode};
    use p256::ecdsa::signature::Signer;
    use spki::ObjectIdentifier;
    use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages};
    use x509_cert::Certificate;

    use crate::crypto::{HashAlgorithm, OID_SHA256};
    use crate::time::UnixTime;
    use crate::trust_root::{CertificateAuthority, ValidityWindow};
    use crate::x509::test_support::{ca_extensions, ext, key, mint};

    pub(super) const NOT_BEFORE: UnixTime = 1_700_000_000; // 2023-11-14
    pub(super) const NOT_AFTER: UnixTime = 1_900_000_000; // 2030-03-17
    pub(super) const SKI: [u8; 20] = [0x5a; 20];

    /// DER TLV with a one-byte tag.
    pub(super) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let len = content.len();
        let mut out = vec![tag];
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }
    pub(super) fn seq(parts: &[&[u8]]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }
    pub(super) fn set(parts: &[&[u8]]) -> Vec<u8> {
        tlv(0x31, &parts.concat())
    }
    pub(super) fn oid(s: &str) -> Vec<u8> {
        ObjectIdentifier::new_unwrap(s).to_der().unwrap()
    }
    pub(super) fn int(v: &[u8]) -> Vec<u8> {
        tlv(0x02, v)
    }
    pub(super) fn octets(v: &[u8]) -> Vec<u8> {
        tlv(0x04, v)
    }
    pub(super) fn alg(o: &str) -> Vec<u8> {
        seq(&[&oid(o)])
    }

    /// A test TSA: root CA and timestamping leaf, and the authority trusting them.
    pub(super) struct Tsa {
        pub(super) leaf: Vec<u8>,
        pub(super) leaf_key: p256::ecdsa::SigningKey,
        pub(super) authority: CertificateAuthority,
    }

    pub(super) fn tsa() -> Tsa {
        let root_key = key(1);
        let leaf_key = key(2);
        let root = mint(
            "CN=Test Root,O=rulepack",
            &root_key,
            "CN=Test Root,O=rulepack",
            &root_key,
            (NOT_BEFORE, NOT_AFTER),
            ca_extensions(),
        );
        let leaf = mint(
            "CN=Test TSA,O=rulepack",
            &leaf_key,
            "CN=Test Root,O=rulepack",
            &root_key,
            (NOT_BEFORE, NOT_AFTER),
            vec![
                ext(
                    "2.5.29.15",
                    true,
                    &KeyUsage(KeyUsages::DigitalSignature.into()),
                ),
                ext(
                    "2.5.29.37",
                    true,
                    &ExtendedKeyUsage(vec![ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8")]),
                ),
                ext("2.5.29.14", false, &OctetString::new(SKI.to_vec()).unwrap()),
            ],
        );
        Tsa {
            authority: CertificateAuthority {
                organization: Some("rulepack".into()),
                common_name: Some("Test TSA".into()),
                uri: String::new(),
                cert_chain: vec![leaf.clone(), root],
                valid_for: ValidityWindow {
                    start: NOT_BEFORE,
                    end: None,
                },
                operator: None,
            },
            leaf,
            leaf_key,
        }
    }

    /// The ESS attribute to include.
    #[derive(Clone, Copy, PartialEq)]
    pub(super) enum Ess {
        V2,
        V2WithIssuerSerial,
        V1WithIssuerSerial,
        V1WithoutIssuerSerial,
        None,
    }

    /// What to mint; `Default` is a valid token over `MESSAGE`.
    #[derive(Clone)]
    pub(super) struct Spec {
        pub(super) sid_ski: bool,
        pub(super) ess: Ess,
        pub(super) gen_time: &'static str,
        pub(super) content_type: Option<&'static str>,
        pub(super) message_digest: bool,
        pub(super) duplicate_message_digest: bool,
        pub(super) signed_attrs: bool,
        pub(super) signature_alg: &'static str,
        pub(super) digest_alg: &'static str,
        pub(super) signers: usize,
        pub(super) e_content_type: &'static str,
        pub(super) e_content: bool,
        pub(super) embedded: usize,
        pub(super) tst_version: u8,
    }

    pub(super) const MESSAGE: &[u8] = b"bundle signature bytes";

    impl Default for Spec {
        fn default() -> Self {
            Self {
                sid_ski: false,
                ess: Ess::V2,
                gen_time: "20250101120000.25Z",
                content_type: Some("1.2.840.113549.1.9.16.1.4"),
                message_digest: true,
                duplicate_message_digest: false,
                signed_attrs: true,
                signature_alg: "1.2.840.10045.4.3.2",
                digest_alg: "2.16.840.1.101.3.4.2.1",
                signers: 1,
                e_content_type: "1.2.840.113549.1.9.16.1.4",
                e_content: true,
                embedded: 1,
                tst_version: 1,
            }
        }
    }

    fn issuer_serial(cert: &Certificate) -> Vec<u8> {
        let issuer = cert.tbs_certificate.issuer.to_der().unwrap();
        let serial = cert.tbs_certificate.serial_number.to_der().unwrap();
        seq(&[&seq(&[&tlv(0xa4, &issuer)]), &serial])
    }

    /// Mints a DER TimeStampResp.
    pub(super) fn token(t: &Tsa, s: &Spec) -> Vec<u8> {
        let cert = Certificate::from_der(&t.leaf).unwrap();
        let imprint = HashAlgorithm::Sha256.digest(MESSAGE);
        let tst = seq(&[
            &int(&[s.tst_version]),
            &oid("1.3.6.1.4.1.57264.2"),
            &seq(&[&alg("2.16.840.1.101.3.4.2.1"), &octets(&imprint)]),
            &int(&[0x42, 0x43]),
            &tlv(0x18, s.gen_time.as_bytes()),
            &seq(&[&int(&[1])]), // accuracy
            &tlv(0x01, &[0xff]), // ordering
            &int(&[0x12, 0x34]), // nonce
        ]);
        let mut attrs: Vec<Vec<u8>> = Vec::new();
        if let Some(ct) = s.content_type {
            attrs.push(seq(&[&oid("1.2.840.113549.1.9.3"), &set(&[&oid(ct)])]));
        }
        if s.message_digest {
            let d = HashAlgorithm::Sha256.digest(&tst);
            let a = seq(&[&oid("1.2.840.113549.1.9.4"), &set(&[&octets(&d)])]);
            if s.duplicate_message_digest {
                attrs.push(a.clone());
            }
            attrs.push(a);
        }
        let cert_hash = HashAlgorithm::Sha256.digest(&t.leaf);
        match s.ess {
            Ess::V2 | Ess::V2WithIssuerSerial => {
                let is = issuer_serial(&cert);
                let id = if s.ess == Ess::V2 {
                    seq(&[&octets(&cert_hash)])
                } else {
                    seq(&[&octets(&cert_hash), &is])
                };
                attrs.push(seq(&[
                    &oid("1.2.840.113549.1.9.16.2.47"),
                    &set(&[&seq(&[&seq(&[&id])])]),
                ]));
            }
            Ess::V1WithIssuerSerial | Ess::V1WithoutIssuerSerial => {
                let sha1_placeholder = [0u8; 20];
                let id = if s.ess == Ess::V1WithIssuerSerial {
                    seq(&[&octets(&sha1_placeholder), &issuer_serial(&cert)])
                } else {
                    seq(&[&octets(&sha1_placeholder)])
                };
                attrs.push(seq(&[
                    &oid("1.2.840.113549.1.9.16.2.12"),
                    &set(&[&seq(&[&seq(&[&id])])]),
                ]));
            }
            Ess::None => {}
        }
        let attr_refs: Vec<&[u8]> = attrs.iter().map(Vec::as_slice).collect();
        let signed = set(&attr_refs);
        let sig: p256::ecdsa::Signature = t.leaf_key.sign(&signed);
        let sid = if s.sid_ski {
            tlv(0x80, &SKI)
        } else {
            seq(&[
                &cert.tbs_certificate.issuer.to_der().unwrap(),
                &cert.tbs_certificate.serial_number.to_der().unwrap(),
            ])
        };
        let signed_attrs = if s.signed_attrs {
            tlv(0xa0, &attr_refs.concat())
        } else {
            Vec::new()
        };
        let signer_info = seq(&[
            &int(&[if s.sid_ski { 3 } else { 1 }]),
            &sid,
            &alg(s.digest_alg),
            &signed_attrs,
            &alg(s.signature_alg),
            &octets(sig.to_der().as_bytes()),
        ]);
        let signer_infos: Vec<&[u8]> = (0..s.signers).map(|_| signer_info.as_slice()).collect();
        let e_content = if s.e_content {
            tlv(0xa0, &octets(&tst))
        } else {
            Vec::new()
        };
        let certs: Vec<&[u8]> = (0..s.embedded).map(|_| t.leaf.as_slice()).collect();
        let certificates = if s.embedded > 0 {
            tlv(0xa0, &certs.concat())
        } else {
            Vec::new()
        };
        let signed_data = seq(&[
            &int(&[3]),
            &set(&[&alg(OID_SHA256.to_string().as_str())]),
            &seq(&[&oid(s.e_content_type), &e_content]),
            &certificates,
            &set(&signer_infos),
        ]);
        let content_info = seq(&[&oid("1.2.840.113549.1.7.2"), &tlv(0xa0, &signed_data)]);
        seq(&[&seq(&[&int(&[0])]), &content_info])
    }
}

#[test]
fn synthetic_tokens_cover_the_remaining_rules() {
    use mint::{token, tsa, Ess, Spec, MESSAGE};
    let t = tsa();
    let auth = std::slice::from_ref(&t.authority);
    let run = |s: &Spec| verify_timestamp(&token(&t, s), MESSAGE, auth);
    let code = |s: &Spec| run(s).map(|_| "verified").unwrap_or_else(|e| e.code());

    // The default token verifies; its genTime fraction is truncated.
    let v = run(&Spec::default()).unwrap();
    assert_eq!(v.gen_time, utc("2025-01-01T12:00:00Z"));
    assert_eq!(v.tsa_subject, "CN=Test TSA,O=rulepack");
    assert_eq!(v.serial, [0x42, 0x43]);
    assert_eq!(v.authority_index, 0);

    let ok = |s: Spec| assert_eq!(code(&s), "verified");
    // subjectKeyIdentifier signer id, embedded or from the trust root.
    ok(Spec {
        sid_ski: true,
        ..Spec::default()
    });
    ok(Spec {
        sid_ski: true,
        embedded: 0,
        ..Spec::default()
    });
    ok(Spec {
        embedded: 0,
        ..Spec::default()
    });
    ok(Spec {
        ess: Ess::V2WithIssuerSerial,
        ..Spec::default()
    });
    // v1 ESSCertID: accepted through its issuerSerial only.
    ok(Spec {
        ess: Ess::V1WithIssuerSerial,
        ..Spec::default()
    });
    // id-ecPublicKey as signatureAlgorithm: the hash is digestAlgorithm's.
    ok(Spec {
        signature_alg: "1.2.840.10045.2.1",
        ..Spec::default()
    });
    ok(Spec {
        gen_time: "20250101120000Z",
        ..Spec::default()
    });

    let fails = |s: Spec, expected: &str| assert_eq!(code(&s), expected);
    fails(
        Spec {
            ess: Ess::V1WithoutIssuerSerial,
            ..Spec::default()
        },
        "timestamp.attribute-invalid",
    );
    fails(
        Spec {
            ess: Ess::None,
            ..Spec::default()
        },
        "timestamp.attribute-missing",
    );
    fails(
        Spec {
            content_type: None,
            ..Spec::default()
        },
        "timestamp.attribute-missing",
    );
    fails(
        Spec {
            content_type: Some("1.2.840.113549.1.7.1"),
            ..Spec::default()
        },
        "timestamp.attribute-invalid",
    );
    fails(
        Spec {
            message_digest: false,
            ..Spec::default()
        },
        "timestamp.attribute-missing",
    );
    fails(
        Spec {
            duplicate_message_digest: true,
            ..Spec::default()
        },
        "timestamp.attribute-invalid",
    );
    fails(
        Spec {
            signed_attrs: false,
            ..Spec::default()
        },
        "timestamp.signed-attributes-missing",
    );
    fails(
        Spec {
            signers: 2,
            ..Spec::default()
        },
        "timestamp.signer-count",
    );
    fails(
        Spec {
            signers: 0,
            ..Spec::default()
        },
        "timestamp.signer-count",
    );
    fails(
        Spec {
            e_content_type: "1.2.840.113549.1.7.1",
            ..Spec::default()
        },
        "timestamp.wrong-content-type",
    );
    fails(
        Spec {
            e_content: false,
            ..Spec::default()
        },
        "timestamp.content-missing",
    );
    fails(
        Spec {
            embedded: crate::limits::MAX_CERT_CHAIN_LEN + 1,
            ..Spec::default()
        },
        "timestamp.too-many-certificates",
    );
    fails(
        Spec {
            tst_version: 2,
            ..Spec::default()
        },
        "timestamp.unsupported-version",
    );
    fails(
        Spec {
            gen_time: "20250101120000.250Z",
            ..Spec::default()
        },
        "timestamp.gen-time-invalid",
    );
    // sha256WithRSAEncryption with the ECDSA TSA key, and ECDSA whose hash differs from
    // digestAlgorithm.
    fails(
        Spec {
            signature_alg: "1.2.840.113549.1.1.11",
            ..Spec::default()
        },
        "timestamp.unsupported-signature-algorithm",
    );
    fails(
        Spec {
            signature_alg: "1.2.840.10045.4.3.3",
            ..Spec::default()
        },
        "timestamp.unsupported-signature-algorithm",
    );
    // SHA-1 as digestAlgorithm.
    fails(
        Spec {
            digest_alg: "1.3.14.3.2.26",
            ..Spec::default()
        },
        "timestamp.unsupported-hash-algorithm",
    );

    // No panics on mutations of the synthetic shapes (SKI signer id, v1 ESSCertID).
    for s in [
        Spec {
            sid_ski: true,
            embedded: 0,
            ..Spec::default()
        },
        Spec {
            ess: Ess::V1WithIssuerSerial,
            ..Spec::default()
        },
    ] {
        let tok = token(&t, &s);
        assert!(crate::testutil::mutate_all(&tok, |x| verify_timestamp(x, MESSAGE, auth)) > 1000);
    }

    // A token from another key with the same names and serial is not the TSA's.
    let mut other = tsa();
    other.leaf_key = crate::x509::test_support::key(9);
    let forged = token(&other, &Spec::default());
    assert_eq!(
        verify_timestamp(&forged, MESSAGE, auth).unwrap_err().code(),
        "timestamp.signature-invalid"
    );
    // The authority's window must contain genTime.
    let mut late = t.authority.clone();
    late.valid_for.start = utc("2025-01-02T00:00:00Z");
    assert_eq!(
        verify_timestamp(&token(&t, &Spec::default()), MESSAGE, &[late])
            .unwrap_err()
            .code(),
        "timestamp.chain-invalid"
    );
}

// ---------------------------------------------------------------- RSA TSA

/// An RSA time-stamping authority made by OpenSSL (`testdata/rsa/make.sh`): `openssl ts
/// -reply` signs with CMS signatureAlgorithm rsaEncryption and SHA-256 (RFC 3370 §3.2),
/// an RSA-2048 TSA certificate issued (sha256WithRSAEncryption) by an RSA-4096 root.
#[test]
fn rsa_tsa_token_verifies() {
    let file = |n: &str| {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("testdata/rsa")
                .join(n),
        )
        .unwrap()
    };
    let (token, msg) = (file("tsa-response.tsr"), file("message.txt"));
    let ca = CertificateAuthority {
        organization: None,
        common_name: None,
        uri: "test-rsa-tsa".into(),
        cert_chain: vec![file("tsa-leaf.der"), file("tsa-root.der")],
        valid_for: ValidityWindow {
            start: 0,
            end: None,
        },
        operator: None,
    };
    let auth = std::slice::from_ref(&ca);
    let v = verify_timestamp(&token, &msg, auth).unwrap();
    assert_eq!(v.tsa_subject, "CN=rulepack-verify test RSA TSA");
    assert_eq!(v.policy, "1.2.3.4.1");
    assert_eq!(v.authority_index, 0);
    let leaf = crate::x509::ParsedCertificate::from_der(&ca.cert_chain[0]).unwrap();
    assert!(leaf.is_valid_at(v.gen_time));

    let code = |t: &[u8]| verify_timestamp(t, &msg, auth).unwrap_err().code();
    // One flipped bit in the RSA signature (the token's last 256 bytes).
    let mut t = token.clone();
    let at = t.len() - 10;
    t[at] ^= 0x01;
    assert_eq!(code(&t), "timestamp.signature-invalid");
    // signatureAlgorithm: rsaEncryption (the last one, after the certificate's SPKI)
    // may also be spelled sha256WithRSAEncryption; sha384WithRSAEncryption names
    // another hash than digestAlgorithm.
    let rsa_oid = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    let pos = token
        .windows(rsa_oid.len())
        .rposition(|w| w == rsa_oid)
        .unwrap();
    let with_last = |b: u8| {
        let mut t = token.clone();
        t[pos + rsa_oid.len() - 1] = b;
        t
    };
    verify_timestamp(&with_last(0x0b), &msg, auth).unwrap();
    assert_eq!(
        code(&with_last(0x0c)),
        "timestamp.unsupported-signature-algorithm"
    );
    // Another message.
    assert_eq!(
        code_for(&token, b"other", auth),
        "timestamp.imprint-mismatch"
    );
    // No panics on mutations.
    assert!(crate::testutil::mutate_all(&token, |x| verify_timestamp(x, &msg, auth)) > 1000);
}

fn code_for(token: &[u8], msg: &[u8], auth: &[CertificateAuthority]) -> &'static str {
    verify_timestamp(token, msg, auth).unwrap_err().code()
}
