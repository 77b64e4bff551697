//! Tests on real RFC 3161 tokens from the shared corpus (conformance cases, real
//! bundles from sigstore-python, sigstore-go and the production TSA).
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

/// SPEC §3e: the timestamp covers `messageSignature.signature` or the DSSE signature.
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
    crate::testutil::corpus_dir(test)
}

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

#[test]
fn conformance_timestamps_verify_or_fail_with_the_expected_code() {
    let Some(corpus) = corpus("conformance_timestamps_verify_or_fail_with_the_expected_code")
    else {
        return;
    };
    let cases = conformance_cases(&corpus);
    let (mut ok, mut failed) = (0, 0);
    for c in &cases {
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
    assert_eq!(failed, TIMESTAMP_FAILURES.len());
    assert!(ok >= 20, "only {ok} conformance timestamps verified");
}

#[test]
fn real_bundle_timestamps_verify() {
    let Some(corpus) = corpus("real_bundle_timestamps_verify") else {
        return;
    };
    let cases = real_cases(&corpus);
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
    let Some(corpus) = corpus("fields_match_openssl") else {
        return;
    };
    let conf = conformance_cases(&corpus);
    let real = real_cases(&corpus);

    // rekor2-happy-path: "Time stamp: Jun 12 12:02:20 2025 GMT", "Serial number:
    // 0x559742C71EDAE5B645233A7AC43A8D033142A5AC", "Policy OID: 1.3.6.1.4.1.57264.2".
    let c = case(&conf, "rekor2-happy-path");
    let v = verify_timestamp(&c.tokens[0], &c.signature, &c.authorities).unwrap();
    assert_eq!(v.gen_time, utc("2025-06-12T12:02:20Z"));
    assert_eq!(
        hex_encode(&v.serial),
        "559742c71edae5b645233a7ac43a8d033142a5ac"
    );
    assert_eq!(v.policy, "1.3.6.1.4.1.57264.2");
    assert_eq!(v.tsa_subject, "CN=sigstore-tsa,O=sigstore.dev");
    let info = parse_timestamp(&c.tokens[0]).unwrap();
    assert_eq!(info.gen_time, v.gen_time);
    assert_eq!(info.embedded_certificates, 1);
    assert_eq!(info.imprint_algorithm, HashAlgorithm::Sha256);
    // "Message data: 6d df 31 60 9e 2a 6c 81 ..."
    assert!(hex_encode(&info.imprint).starts_with("6ddf31609e2a6c81"));

    // Production TSA, bundle_v03.json: "Time stamp: Apr  9 07:23:29 2026 GMT",
    // "Serial number: 0xDB3E11CDB04DDC7040B4FDA10CECFBAA9D0C99BA", no embedded cert.
    let c = real
        .iter()
        .find(|c| c.name.ends_with("bundle_v03.json"))
        .unwrap();
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
