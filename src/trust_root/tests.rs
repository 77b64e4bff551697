//! Trusted-root parser tests: the embedded production root, every root in the corpus,
//! one synthetic case per rule, and no-panic mutation.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::*;
use crate::crypto::KeyAlgorithm;
use crate::encoding::{base64_decode, base64_encode};
use crate::time::parse_rfc3339;

fn prod_json() -> Value {
    serde_json::from_slice(EMBEDDED_PUBLIC_GOOD).unwrap()
}

fn parse(v: &Value) -> Result<TrustedRoot, TrustRootError> {
    TrustedRoot::from_json(&serde_json::to_vec(v).unwrap())
}

fn code(v: &Value) -> &'static str {
    match parse(v) {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

fn t(s: &str) -> i64 {
    parse_rfc3339(s).unwrap()
}

fn b64(s: &str) -> Vec<u8> {
    base64_decode(s).unwrap()
}

#[test]
fn embedded_root_digest_matches_the_recorded_one() {
    assert_eq!(
        crate::encoding::hex_encode(&crate::crypto::sha256(EMBEDDED_PUBLIC_GOOD)),
        EMBEDDED_PUBLIC_GOOD_SHA256
    );
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/README.md"))
            .unwrap();
    let row = readme
        .lines()
        .find(|l| l.starts_with("| `trust/sigstore_trusted_root.json`"))
        .expect("provenance row in testdata/README.md");
    assert!(row.contains(EMBEDDED_PUBLIC_GOOD_SHA256), "{row}");
    assert!(row.contains("`sigstore` 0.15.0"), "{row}");
}

/// The production public-good contents (`sigstore_trustroot.proto` `TrustedRoot`).
#[test]
fn embedded_production_root_contents() {
    let r = TrustedRoot::embedded_public_good().unwrap();
    assert_eq!(
        r.media_type,
        "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
    );

    assert_eq!(r.tlogs.len(), 2);
    let [v1, v2] = [&r.tlogs[0], &r.tlogs[1]];
    assert_eq!(v1.base_url, "https://rekor.sigstore.dev");
    assert_eq!(v1.hostname(), "rekor.sigstore.dev");
    assert_eq!(v1.hash_algorithm, HashAlgorithm::Sha256);
    assert_eq!(v1.key_details, "PKIX_ECDSA_P256_SHA_256");
    let k1 = v1.public_key.as_ref().unwrap();
    assert_eq!(k1.algorithm(), KeyAlgorithm::EcdsaP256);
    assert_eq!(
        v1.log_id,
        b64("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=")
    );
    // An ECDSA log's ID is SHA-256 of its SPKI DER (rekor `pkg/sharding/ranges.go`, as RFC 6962 §3.2).
    assert_eq!(v1.log_id, crate::crypto::sha256(k1.spki_der()).to_vec());
    assert_eq!(
        v1.valid_for,
        ValidityWindow {
            start: t("2021-01-12T11:53:27Z"),
            end: None
        }
    );
    assert_eq!(v1.checkpoint_key_id, None);

    assert_eq!(v2.base_url, "https://log2025-1.rekor.sigstore.dev");
    assert_eq!(v2.key_details, "PKIX_ED25519");
    let k2 = v2.public_key.as_ref().unwrap();
    assert_eq!(k2.algorithm(), KeyAlgorithm::Ed25519);
    assert_eq!(
        v2.log_id,
        b64("zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A=")
    );
    // The Rekor v2 log ID is the C2SP signed-note key ID, in full (rekor-tiles `CLIENTS.md`).
    let raw = k2.ed25519_raw().unwrap();
    assert_eq!(
        v2.log_id,
        crate::crypto::sha256_parts(&[v2.hostname().as_bytes(), b"\n\x01", &raw]).to_vec()
    );
    assert_eq!(v2.valid_for.start, t("2025-09-23T00:00:00Z"));

    assert_eq!(r.ctlogs.len(), 2);
    assert_eq!(r.ctlogs[0].base_url, "https://ctfe.sigstore.dev/test");
    assert_eq!(
        r.ctlogs[0].valid_for,
        ValidityWindow {
            start: t("2021-03-14T00:00:00Z"),
            end: Some(t("2022-10-31T23:59:59Z"))
        }
    );
    assert_eq!(r.ctlogs[1].base_url, "https://ctfe.sigstore.dev/2022");
    assert_eq!(
        r.ctlogs[1].log_id,
        b64("3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4=")
    );
    for c in &r.ctlogs {
        let k = c.public_key.as_ref().unwrap();
        assert_eq!(k.algorithm(), KeyAlgorithm::EcdsaP256);
        assert_eq!(c.log_id, crate::crypto::sha256(k.spki_der()).to_vec());
    }

    assert_eq!(r.certificate_authorities.len(), 2);
    let [ca1, ca2] = [&r.certificate_authorities[0], &r.certificate_authorities[1]];
    for ca in [ca1, ca2] {
        assert_eq!(ca.uri, "https://fulcio.sigstore.dev");
        assert_eq!(ca.organization.as_deref(), Some("sigstore.dev"));
        assert_eq!(ca.common_name.as_deref(), Some("sigstore"));
    }
    assert_eq!(ca1.cert_chain.len(), 1);
    assert_eq!(
        ca1.valid_for,
        ValidityWindow {
            start: t("2021-03-07T03:20:29Z"),
            end: Some(t("2022-12-31T23:59:59Z"))
        }
    );
    assert_eq!(ca2.cert_chain.len(), 2);
    assert_eq!(ca2.valid_for.start, t("2022-04-13T20:06:15Z"));
    assert_eq!(ca2.valid_for.end, None);

    assert_eq!(r.timestamp_authorities.len(), 1);
    let tsa = &r.timestamp_authorities[0];
    assert_eq!(tsa.uri, "https://timestamp.sigstore.dev/api/v1/timestamp");
    assert_eq!(tsa.cert_chain.len(), 2);
    assert_eq!(tsa.common_name.as_deref(), Some("sigstore-tsa-selfsigned"));
    assert_eq!(tsa.valid_for.start, t("2025-07-04T00:00:00Z"));

    // Lookups.
    assert_eq!(
        r.tlog_by_log_id(&v2.log_id).map(|l| l.base_url.as_str()),
        Some("https://log2025-1.rekor.sigstore.dev")
    );
    assert_eq!(
        r.ctlog_by_log_id(&r.ctlogs[1].log_id)
            .map(|l| l.base_url.as_str()),
        Some("https://ctfe.sigstore.dev/2022")
    );
    assert!(r.tlog_by_log_id(&r.ctlogs[1].log_id).is_none());
    assert!(r.ctlog_by_log_id(&v1.log_id).is_none());
    assert!(r.tlog_by_log_id(&[]).is_none());
}

#[test]
fn lookup_by_checkpoint_key_id() {
    let mut v = prod_json();
    v["mediaType"] = json!("application/vnd.dev.sigstore.trustedroot.v0.2+json");
    v["tlogs"][1]["checkpointKeyId"] = json!({"keyId": base64_encode(&[0xab; 4])});
    v["tlogs"][1]["operator"] = json!("sigstore.dev");
    let r = parse(&v).unwrap();
    let l = r.tlog_by_log_id(&[0xab; 4]).unwrap();
    assert_eq!(l.base_url, "https://log2025-1.rekor.sigstore.dev");
    assert_eq!(l.operator.as_deref(), Some("sigstore.dev"));
    v["tlogs"][1]["checkpointKeyId"] = json!({});
    assert_eq!(
        parse(&v).unwrap_err(),
        TrustRootError::MissingField {
            path: "tlogs[1].checkpointKeyId.keyId".into()
        }
    );
}

fn corpus_roots(corpus: &Path) -> Vec<PathBuf> {
    let mut files = vec![corpus.join("conformance/production_trusted_root.json")];
    let mut walk = vec![corpus.join("conformance"), corpus.join("real")];
    while let Some(dir) = walk.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk.push(p);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("trusted_root") && n.ends_with(".json"))
            {
                files.push(p);
            }
        }
    }
    for dir in [
        "real/sigstore-go/pkg/testing/data/trusted-roots",
        "real/sigstore-python/test/assets/trusted_root",
    ] {
        for e in std::fs::read_dir(corpus.join(dir)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    files.push(corpus.join("tuf/sigstore-root-signing/targets/trusted_root.json"));
    files.sort();
    files.dedup();
    files
}

/// Every key of a parsed root is usable and its type agrees with its keyDetails (the
/// legacy PKCS1_RSA_PKCS1V5 name covers RSA keys of any accepted size).
fn keys_are_usable(r: &TrustedRoot, rel: &str) {
    for l in r.tlogs.iter().chain(&r.ctlogs) {
        let k = l.public_key.as_ref().unwrap_or_else(|| panic!("{rel}"));
        match k.algorithm() {
            KeyAlgorithm::RsaPkcs1v15 { .. } if l.key_details == "PKCS1_RSA_PKCS1V5" => {}
            a => assert_eq!(a.key_details(), l.key_details, "{rel}"),
        }
    }
}

/// The staging root's RSA CT log (PKCS#1 rawBytes) is usable; its log ID is the
/// SHA-256 of the key's SPKI (RFC 6962 §3.2), which checks the SPKI built around it.
fn staging_rsa_ct_log(staging: &[u8]) {
    let staging = TrustedRoot::from_json(staging).unwrap();
    let rsa = staging.ctlogs.first().unwrap();
    assert_eq!(rsa.key_details, "PKCS1_RSA_PKCS1V5");
    let key = rsa.public_key.as_ref().unwrap();
    assert_eq!(key.algorithm(), KeyAlgorithm::RsaPkcs1v15 { bits: 4096 });
    assert_eq!(crate::crypto::sha256(key.spki_der()).to_vec(), rsa.log_id);
    assert_eq!(staging.tlogs.len(), 4);
}

/// Every trusted root vendored in `testdata/` parses with usable keys (production,
/// staging, a private scaffolding deployment, test roots); then, with `RULEPACK_CORPUS`,
/// every trusted root of the corpus parses or fails as expected.
#[test]
fn corpus_trusted_roots_parse_or_fail_as_expected() {
    use crate::testutil::{vendored, vendored_index, STAGING_ROOT};
    let mut roots: Vec<String> = vendored_index()
        .iter()
        .map(|e| e["trusted_root"].as_str().unwrap().to_owned())
        .collect();
    roots.push("crates.io/sigstore-verify-0.15.1/test_data/trusted_roots/public-good.json".into());
    roots.sort();
    roots.dedup();
    assert!(roots.len() >= 7, "{roots:?}");
    for rel in &roots {
        let r = TrustedRoot::from_json(&std::fs::read(vendored(rel)).unwrap())
            .unwrap_or_else(|e| panic!("{rel}: {}: {e}", e.code()));
        keys_are_usable(&r, rel);
    }
    staging_rsa_ct_log(&std::fs::read(vendored(STAGING_ROOT)).unwrap());

    let Some(corpus) =
        crate::testutil::corpus_extra("corpus_trusted_roots_parse_or_fail_as_expected")
    else {
        return;
    };
    let files = corpus_roots(&corpus);
    assert!(files.len() >= 40, "only {} roots", files.len());
    let mut failures = 0;
    for f in &files {
        let rel = f.strip_prefix(&corpus).unwrap().to_str().unwrap();
        let got = TrustedRoot::from_json(&std::fs::read(f).unwrap());
        let name = f.file_name().unwrap().to_str().unwrap();
        let want: Option<TrustRootError> = if rel
            == "conformance/bundle-verify/trust-root-tlog-missing-validity-start_fail/trusted_root.json"
        {
            Some(TrustRootError::MissingValidityStart {
                path: "tlogs[1].publicKey.validFor.start".into(),
            })
        } else if name == "trustedroot.badtype.json" {
            Some(TrustRootError::UnsupportedMediaType {
                found: "bad-media-type".into(),
            })
        } else if name.starts_with("certificate_authority") {
            // sigstore-python CA fragments, not trusted roots (tested below as CAs).
            Some(TrustRootError::MissingField {
                path: "mediaType".into(),
            })
        } else {
            None
        };
        match (want, got) {
            (None, Ok(r)) => keys_are_usable(&r, rel),
            (None, Err(e)) => panic!("{rel}: {}: {e}", e.code()),
            (Some(w), Ok(_)) => panic!("{rel}: parsed, expected {}", w.code()),
            (Some(w), Err(e)) => {
                assert_eq!(e, w, "{rel}");
                failures += 1;
            }
        }
    }
    assert_eq!(failures, 5);

    staging_rsa_ct_log(
        &std::fs::read(corpus.join(
            "real/sigstore-python/sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstage.dev/trusted_root.json",
        ))
        .unwrap(),
    );

    // The sigstore-python CA fragments, parsed as certificate authorities.
    let ca_dir = corpus.join("real/sigstore-python/test/assets/trusted_root");
    let ca = |n: &str| parse::parse_ca_fragment(&std::fs::read(ca_dir.join(n)).unwrap());
    assert_eq!(
        ca("certificate_authority.json").unwrap().cert_chain.len(),
        3
    );
    assert_eq!(
        ca("certificate_authority.missingroot.json")
            .unwrap()
            .cert_chain
            .len(),
        2
    );
    assert_eq!(
        ca("certificate_authority.empty.json").unwrap_err(),
        TrustRootError::EmptyCertificateChain {
            path: "certificateAuthority.certChain.certificates".into()
        }
    );
}

#[test]
fn media_types() {
    for mt in [
        "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "application/vnd.dev.sigstore.trustedroot.v0.1+json",
        "application/vnd.dev.sigstore.trustedroot.v0.2+json",
    ] {
        let mut v = prod_json();
        v["mediaType"] = json!(mt);
        assert_eq!(parse(&v).unwrap().media_type, mt);
    }
    for bad in [
        "application/vnd.dev.sigstore.trustedroot.v0.3+json",
        "application/vnd.dev.sigstore.trustedroot+json;version=0.2",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        "bad-media-type",
    ] {
        let mut v = prod_json();
        v["mediaType"] = json!(bad);
        assert_eq!(
            parse(&v).unwrap_err(),
            TrustRootError::UnsupportedMediaType { found: bad.into() }
        );
    }
}

#[test]
fn lists_may_be_absent_and_are_bounded() {
    let r =
        parse(&json!({"mediaType": "application/vnd.dev.sigstore.trustedroot.v0.2+json"})).unwrap();
    assert!(r.tlogs.is_empty() && r.ctlogs.is_empty());
    assert!(r.certificate_authorities.is_empty() && r.timestamp_authorities.is_empty());
    let mut v = prod_json();
    let one = v["tlogs"][0].clone();
    v["tlogs"] = Value::Array(vec![one; crate::limits::MAX_TRUST_ROOT_ENTRIES + 1]);
    assert_eq!(
        parse(&v).unwrap_err(),
        TrustRootError::TooManyEntries {
            path: "tlogs".into(),
            count: crate::limits::MAX_TRUST_ROOT_ENTRIES + 1,
            max: crate::limits::MAX_TRUST_ROOT_ENTRIES
        }
    );
    let mut v = prod_json();
    v["certificateAuthorities"] = json!(null);
    assert!(parse(&v).unwrap().certificate_authorities.is_empty());
}

#[test]
fn validity_windows() {
    for (list, idx, path) in [
        ("tlogs", 0, "tlogs[0].publicKey.validFor.start"),
        ("ctlogs", 1, "ctlogs[1].publicKey.validFor.start"),
        (
            "certificateAuthorities",
            1,
            "certificateAuthorities[1].validFor.start",
        ),
        (
            "timestampAuthorities",
            0,
            "timestampAuthorities[0].validFor.start",
        ),
    ] {
        let mut v = prod_json();
        let e = &mut v[list][idx];
        let vf = if list.ends_with("logs") {
            &mut e["publicKey"]["validFor"]
        } else {
            &mut e["validFor"]
        };
        vf.as_object_mut().unwrap().remove("start");
        let err = parse(&v).unwrap_err();
        assert_eq!(
            err,
            TrustRootError::MissingValidityStart { path: path.into() }
        );
        assert!(err.to_string().contains(path), "{err}");
    }
    // validFor itself missing.
    let mut v = prod_json();
    v["tlogs"][0]["publicKey"]
        .as_object_mut()
        .unwrap()
        .remove("validFor");
    assert_eq!(
        parse(&v).unwrap_err(),
        TrustRootError::MissingField {
            path: "tlogs[0].publicKey.validFor".into()
        }
    );
    // End before start; end == start is fine (inclusive).
    let mut v = prod_json();
    v["ctlogs"][0]["publicKey"]["validFor"] =
        json!({"start": "2022-01-01T00:00:00Z", "end": "2021-12-31T23:59:59Z"});
    assert_eq!(
        parse(&v).unwrap_err(),
        TrustRootError::InvalidValidity {
            path: "ctlogs[0].publicKey.validFor".into(),
            start: t("2022-01-01T00:00:00Z"),
            end: t("2021-12-31T23:59:59Z")
        }
    );
    v["ctlogs"][0]["publicKey"]["validFor"] =
        json!({"start": "2022-01-01T00:00:00Z", "end": "2022-01-01T00:00:00Z"});
    let w = parse(&v).unwrap().ctlogs[0].valid_for;
    assert!(w.contains(t("2022-01-01T00:00:00Z")));
    assert!(!w.contains(t("2022-01-01T00:00:01Z")));
    // Not RFC 3339.
    for bad in [json!("2022-01-01"), json!("yesterday")] {
        let mut v = prod_json();
        v["certificateAuthorities"][0]["validFor"]["end"] = bad;
        assert_eq!(code(&v), "trust-root.invalid-timestamp");
    }
    let mut v = prod_json();
    v["certificateAuthorities"][0]["validFor"]["end"] = json!(1_700_000_000);
    assert_eq!(code(&v), "trust-root.wrong-type");
}

fn p256_spki() -> Vec<u8> {
    let r = TrustedRoot::embedded_public_good().unwrap();
    r.tlogs[0].public_key.as_ref().unwrap().spki_der().to_vec()
}

fn ed25519_spki() -> Vec<u8> {
    let r = TrustedRoot::embedded_public_good().unwrap();
    r.tlogs[1].public_key.as_ref().unwrap().spki_der().to_vec()
}

#[test]
fn key_details_and_key_types() {
    let set = |details: Value, raw: &[u8]| {
        let mut v = prod_json();
        v["tlogs"][0]["publicKey"]["keyDetails"] = details;
        v["tlogs"][0]["publicKey"]["rawBytes"] = json!(base64_encode(raw));
        parse(&v)
    };
    // By name or number.
    let r = set(json!(5), &p256_spki()).unwrap();
    assert_eq!(r.tlogs[0].key_details, "PKIX_ECDSA_P256_SHA_256");
    let r = set(json!(7), &ed25519_spki()).unwrap();
    assert_eq!(
        r.tlogs[0].public_key.as_ref().unwrap().algorithm(),
        KeyAlgorithm::Ed25519
    );
    // Contradictions.
    assert_eq!(
        set(json!("PKIX_ED25519"), &p256_spki()).unwrap_err(),
        TrustRootError::KeyDetailsMismatch {
            path: "tlogs[0].publicKey".into(),
            key_details: "PKIX_ED25519".into(),
            actual: "ECDSA P-256".into()
        }
    );
    assert_eq!(
        set(json!("PKIX_ECDSA_P384_SHA_384"), &p256_spki())
            .unwrap_err()
            .code(),
        "trust-root.key-details-mismatch"
    );
    assert_eq!(
        set(json!("PKIX_RSA_PKCS1V15_2048_SHA256"), &p256_spki())
            .unwrap_err()
            .code(),
        "trust-root.key-details-mismatch"
    );
    // Same key type, unsupported scheme: kept, unusable.
    let r = set(json!("PKIX_ECDSA_P256_HMAC_SHA_256"), &p256_spki()).unwrap();
    assert!(r.tlogs[0].public_key.is_none());
    let r = set(json!("PKIX_ED25519_PH"), &ed25519_spki()).unwrap();
    assert!(r.tlogs[0].public_key.is_none());
    // Unsupported scheme with bytes we do not parse (PKCS#1 RSA-PSS): kept, unusable.
    let r = set(json!("PKCS1_RSA_PSS"), b"\x30\x03\x02\x01\x01").unwrap();
    assert!(r.tlogs[0].public_key.is_none());
    assert_eq!(r.tlogs[0].key_details, "PKCS1_RSA_PSS");
    // A supported legacy RSA scheme whose PKCS#1 bytes do not parse.
    assert_eq!(
        set(json!("PKCS1_RSA_PKCS1V5"), b"\x30\x03\x02\x01\x01")
            .unwrap_err()
            .code(),
        "trust-root.invalid-public-key"
    );
    // A supported scheme whose bytes do not parse.
    assert_eq!(
        set(json!("PKIX_ECDSA_P256_SHA_256"), b"garbage")
            .unwrap_err()
            .code(),
        "trust-root.invalid-public-key"
    );
    // Trailing bytes after the SPKI.
    let mut long = p256_spki();
    long.push(0);
    assert_eq!(
        set(json!("PKIX_ECDSA_P256_SHA_256"), &long)
            .unwrap_err()
            .code(),
        "trust-root.invalid-public-key"
    );
    // Unknown enum value.
    assert_eq!(
        set(json!("PKIX_FANCY"), &p256_spki()).unwrap_err().code(),
        "trust-root.unknown-enum-value"
    );
    // No keyDetails: the SPKI decides.
    let mut v = prod_json();
    v["tlogs"][1]["publicKey"]
        .as_object_mut()
        .unwrap()
        .remove("keyDetails");
    let r = parse(&v).unwrap();
    assert_eq!(
        r.tlogs[1].public_key.as_ref().unwrap().algorithm(),
        KeyAlgorithm::Ed25519
    );
    assert_eq!(r.tlogs[1].key_details, "PUBLIC_KEY_DETAILS_UNSPECIFIED");
}

#[test]
fn log_fields() {
    for (field, path) in [
        ("logId", "tlogs[0].logId"),
        ("baseUrl", "tlogs[0].baseUrl"),
        ("hashAlgorithm", "tlogs[0].hashAlgorithm"),
        ("publicKey", "tlogs[0].publicKey"),
    ] {
        let mut v = prod_json();
        v["tlogs"][0].as_object_mut().unwrap().remove(field);
        assert_eq!(
            parse(&v).unwrap_err(),
            TrustRootError::MissingField { path: path.into() }
        );
    }
    let mut v = prod_json();
    v["tlogs"][0]["logId"] = json!({"keyId": "%%%"});
    assert_eq!(
        parse(&v).unwrap_err(),
        TrustRootError::InvalidBase64 {
            path: "tlogs[0].logId.keyId".into()
        }
    );
    let mut v = prod_json();
    v["ctlogs"][0]["hashAlgorithm"] = json!("SHA3_256");
    assert_eq!(
        parse(&v).unwrap_err(),
        TrustRootError::UnsupportedHashAlgorithm {
            path: "ctlogs[0].hashAlgorithm".into(),
            found: "SHA3_256".into()
        }
    );
    v["ctlogs"][0]["hashAlgorithm"] = json!(1);
    assert!(parse(&v).is_ok());
}

#[test]
fn certificate_authorities() {
    let mut v = prod_json();
    v["certificateAuthorities"][1]["certChain"]["certificates"] = json!([]);
    assert_eq!(
        parse(&v).unwrap_err(),
        TrustRootError::EmptyCertificateChain {
            path: "certificateAuthorities[1].certChain.certificates".into()
        }
    );
    let mut v = prod_json();
    let c = v["timestampAuthorities"][0]["certChain"]["certificates"][1]["rawBytes"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut der = b64(&c);
    der.push(0);
    v["timestampAuthorities"][0]["certChain"]["certificates"][1]["rawBytes"] =
        json!(base64_encode(&der));
    assert_eq!(code(&v), "trust-root.invalid-certificate");
    // Too long a chain.
    let mut v = prod_json();
    let one = v["certificateAuthorities"][0]["certChain"]["certificates"][0].clone();
    v["certificateAuthorities"][0]["certChain"]["certificates"] =
        Value::Array(vec![one; crate::limits::MAX_CERT_CHAIN_LEN + 1]);
    assert_eq!(code(&v), "trust-root.too-many-entries");
    // uri and subject are optional (the older public-good TSA entry has no uri).
    let mut v = prod_json();
    let tsa = v["timestampAuthorities"][0].as_object_mut().unwrap();
    tsa.remove("uri");
    tsa.remove("subject");
    let r = parse(&v).unwrap();
    assert_eq!(r.timestamp_authorities[0].uri, "");
    assert_eq!(r.timestamp_authorities[0].common_name, None);
}

fn to_snake(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let mut s = String::new();
                    for c in k.chars() {
                        if c.is_ascii_uppercase() {
                            s.push('_');
                            s.push(c.to_ascii_lowercase());
                        } else {
                            s.push(c);
                        }
                    }
                    (s, to_snake(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(to_snake).collect()),
        other => other.clone(),
    }
}

#[test]
fn proto3_json_forms() {
    let v = prod_json();
    let snake = to_snake(&v);
    assert!(snake.get("certificate_authorities").is_some());
    assert_eq!(
        format!("{:?}", parse(&snake).unwrap()),
        format!("{:?}", parse(&v).unwrap())
    );
    // Duplicate keys, including camel + snake spellings of one field.
    let mut w = prod_json();
    w["tlogs"][0]["base_url"] = json!("https://evil.example");
    assert_eq!(
        parse(&w).unwrap_err(),
        TrustRootError::DuplicateField {
            path: "tlogs[0].baseUrl".into()
        }
    );
    let text = String::from_utf8(EMBEDDED_PUBLIC_GOOD.to_vec()).unwrap();
    let dup = text.replacen("\"tlogs\"", "\"tlogs\": [], \"tlogs\"", 1);
    assert_eq!(
        TrustedRoot::from_json(dup.as_bytes()).unwrap_err().code(),
        "trust-root.duplicate-field"
    );
    assert_eq!(
        TrustedRoot::from_json(b"{").unwrap_err().code(),
        "trust-root.invalid-json"
    );
    let big = vec![b' '; crate::limits::MAX_TRUSTED_ROOT_BYTES + 1];
    assert_eq!(
        TrustedRoot::from_json(&big).unwrap_err().code(),
        "trust-root.too-large"
    );
}

#[test]
fn every_error_has_a_stage_code_and_a_sentence() {
    let all = [
        TrustRootError::TooLarge { size: 2, max: 1 },
        TrustRootError::InvalidJson { detail: "x".into() },
        TrustRootError::TooDeep { max: 1 },
        TrustRootError::DuplicateField { path: "a".into() },
        TrustRootError::MissingField { path: "a".into() },
        TrustRootError::MissingValidityStart { path: "a".into() },
        TrustRootError::WrongType {
            path: "a".into(),
            expected: "a string",
            found: "a number",
        },
        TrustRootError::InvalidBase64 { path: "a".into() },
        TrustRootError::InvalidInteger {
            path: "a".into(),
            value: "x".into(),
        },
        TrustRootError::UnknownEnumValue {
            path: "a".into(),
            value: "x".into(),
        },
        TrustRootError::FieldTooLarge {
            path: "a".into(),
            size: 2,
            max: 1,
        },
        TrustRootError::TooManyEntries {
            path: "a".into(),
            count: 2,
            max: 1,
        },
        TrustRootError::UnsupportedMediaType { found: "x".into() },
        TrustRootError::InvalidTimestamp {
            path: "a".into(),
            value: "x".into(),
        },
        TrustRootError::InvalidValidity {
            path: "a".into(),
            start: 10,
            end: 0,
        },
        TrustRootError::UnsupportedHashAlgorithm {
            path: "a".into(),
            found: "x".into(),
        },
        TrustRootError::InvalidPublicKey {
            path: "a".into(),
            detail: "d".into(),
        },
        TrustRootError::KeyDetailsMismatch {
            path: "a".into(),
            key_details: "PKIX_ED25519".into(),
            actual: "ECDSA P-256".into(),
        },
        TrustRootError::EmptyCertificateChain { path: "a".into() },
        TrustRootError::InvalidCertificate {
            path: "a".into(),
            detail: "d".into(),
        },
    ];
    let mut codes = std::collections::BTreeSet::new();
    for e in &all {
        let code = e.code();
        assert!(code.starts_with("trust-root."), "{code}");
        assert!(codes.insert(code), "duplicate code {code}");
        let s = e.to_string();
        assert!(!s.is_empty() && !s.starts_with(char::is_uppercase), "{s}");
        assert!(!s.contains("Some(") && !s.contains("{ "), "{s}");
        assert_eq!(crate::Error::from(e.clone()).stage(), "trust-root");
    }
    assert!(all
        .iter()
        .any(|e| e.to_string().contains("1970-01-01T00:00:10Z")));
}

#[test]
fn trusted_root_mutations_do_not_panic() {
    use crate::testutil::{vendored, STAGING_ROOT};
    // The embedded production root, the vendored staging root (RSA CT log, four tlogs)
    // and a private deployment's root; the corpus adds a conformance case's.
    let mut inputs = vec![
        EMBEDDED_PUBLIC_GOOD.to_vec(),
        std::fs::read(vendored(STAGING_ROOT)).unwrap(),
        std::fs::read(vendored(
            "crates.io/sigstore-verify-0.15.1/test_data/trusted_roots/scaffolding.json",
        ))
        .unwrap(),
    ];
    if let Some(c) = crate::testutil::corpus_extra("trusted_root_mutations_do_not_panic") {
        inputs.push(
            std::fs::read(c.join(
                "conformance/bundle-verify/trust-root-tlog-validity-end-inclusive/trusted_root.json",
            ))
            .unwrap(),
        );
    }
    let mut total = 0;
    for bytes in &inputs {
        assert!(TrustedRoot::from_json(bytes).is_ok());
        total += crate::testutil::mutate_all(bytes, TrustedRoot::from_json);
    }
    assert!(total > 2_000, "{total}");
}
