//! Bundle parser tests: the whole corpus, one synthetic case per rule, no-panic mutation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::*;
use crate::encoding::base64_encode;

fn testdata(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/real")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Production v0.2 bundle: messageSignature, x509CertificateChain[1], hashedrekord/0.0.1.
fn v02() -> Value {
    serde_json::from_slice(&testdata("a.txt.sigstore")).unwrap()
}

/// Production v0.3 bundle: DSSE, certificate, dsse/0.0.1, one RFC 3161 timestamp.
fn v03() -> Value {
    serde_json::from_slice(&testdata("bundle_v03.json")).unwrap()
}

fn parse(v: &Value) -> Result<Bundle, BundleError> {
    Bundle::from_json(&serde_json::to_vec(v).unwrap())
}

fn code(v: &Value) -> &'static str {
    match parse(v) {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

fn entry(v: &mut Value) -> &mut Value {
    &mut v["verificationMaterial"]["tlogEntries"][0]
}

fn remove(v: &mut Value, key: &str) {
    v.as_object_mut().unwrap().remove(key);
}

// ---------------------------------------------------------------------------------------
// Real data.

#[test]
fn parses_vendored_real_bundles() {
    let b = parse(&v02()).unwrap();
    assert_eq!(b.version, BundleVersion::V0_2);
    let SignerMaterial::X509CertificateChain(chain) = &b.verification_material.signer else {
        panic!("expected a chain")
    };
    assert_eq!(chain.len(), 1);
    assert_eq!(
        b.verification_material.signer.leaf_der(),
        chain.first().map(Vec::as_slice)
    );
    assert!(b
        .verification_material
        .signer
        .intermediates_der()
        .is_empty());
    let e = b.verification_material.tlog_entries.first().unwrap();
    assert_eq!(e.log_index, 66_794_718);
    assert_eq!(e.integrated_time, 1_706_297_730);
    assert_eq!(
        (e.kind.as_str(), e.version.as_str()),
        ("hashedrekord", "0.0.1")
    );
    assert_eq!(
        crate::encoding::base64_encode(&e.log_id),
        "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="
    );
    let p = e.inclusion_proof.as_ref().unwrap();
    assert_eq!(
        (p.log_index, p.tree_size, p.hashes.len()),
        (62_631_287, 62_631_288, 19)
    );
    assert!(p
        .checkpoint
        .as_deref()
        .unwrap()
        .starts_with("rekor.sigstore.dev - 2605736670972794746\n62631288\n"));
    let Content::MessageSignature(ms) = &b.content else {
        panic!("expected messageSignature")
    };
    let md = ms.message_digest.as_ref().unwrap();
    assert_eq!(md.algorithm, HashAlgorithm::Sha256);
    // The digest is the hint for the artifact it came with.
    assert_eq!(
        md.digest,
        crate::crypto::sha256(&testdata("a.txt")).to_vec()
    );

    let b = parse(&v03()).unwrap();
    assert_eq!(b.version, BundleVersion::V0_3);
    assert!(matches!(
        b.verification_material.signer,
        SignerMaterial::Certificate(_)
    ));
    assert_eq!(b.verification_material.rfc3161_timestamps.len(), 1);
    let Content::Dsse(d) = &b.content else {
        panic!("expected DSSE")
    };
    assert_eq!(d.payload_type, "application/vnd.in-toto+json");
    assert!(d.payload.starts_with(b"{"));

    let b = Bundle::from_json(&testdata("npm_slsa_bundle_v03.json")).unwrap();
    assert!(matches!(b.content, Content::Dsse(_)));
}

/// Parse-stage outcome of every vendored bundle of `testdata/real/index.json`, then,
/// with `RULEPACK_CORPUS`, of every corpus bundle. Only structural failures are
/// expected here (each is the index's `bundle.*` code, or matches its `why_fail` / `why`
/// in the corpus); every other bundle, including the ones that must fail verification
/// later, must parse.
#[test]
fn corpus_bundles_parse_or_fail_structurally() {
    let (mut parsed, mut failed) = (0, 0);
    for e in crate::testutil::vendored_index() {
        let file = e["file"].as_str().unwrap();
        let got = Bundle::from_json(&testdata(file));
        match (e["code"].as_str().filter(|c| c.starts_with("bundle.")), got) {
            (None, Ok(_)) => parsed += 1,
            (None, Err(err)) => panic!("{file}: unexpected parse failure {}: {err}", err.code()),
            (Some(want), Ok(_)) => panic!("{file}: parsed, expected {want}"),
            (Some(want), Err(err)) => {
                assert_eq!(err.code(), want, "{file}: {err}");
                assert_eq!(e["expect"], "fail", "{file}");
                failed += 1;
            }
        }
    }
    assert!(
        parsed >= 20 && failed >= 5,
        "{parsed} parsed, {failed} failed"
    );

    let Some(corpus) = crate::testutil::corpus_extra("corpus_bundles_parse_or_fail_structurally")
    else {
        return;
    };
    let expected_failures: BTreeMap<&str, &str> = [
        // conformance/cases.json why_fail
        (
            "conformance/bundle-verify/bundle-empty-certificate-chain_fail/bundle.sigstore.json",
            "bundle.empty-certificate-chain",
        ),
        (
            "conformance/bundle-verify/bundle-invalid-base64-signature_fail/bundle.sigstore.json",
            "bundle.invalid-base64",
        ),
        (
            "conformance/bundle-verify/bundle-negative-log-index_fail/bundle.sigstore.json",
            "bundle.negative-integer",
        ),
        (
            "conformance/bundle-verify/bundle-with-root-cert_fail/bundle.sigstore.json",
            "bundle.chain-includes-root",
        ),
        (
            "conformance/bundle-verify/invalid-inclusion-proof_fail/bundle.sigstore.json",
            "bundle.missing-checkpoint",
        ),
        (
            "conformance/bundle-verify/rekor2-no-inclusion-proof_fail/bundle.sigstore.json",
            "bundle.missing-inclusion-proof",
        ),
        // real/index.json why
        (
            "real/sigstore-go/examples/bundle-provenance.json",
            "bundle.chain-includes-root",
        ),
        (
            "real/sigstore-go/pkg/testing/data/bundles/dsse.sigstore.json",
            "bundle.chain-includes-root",
        ),
        (
            "real/sigstore-go/pkg/testing/data/bundles/dsse-2sigs.sigstore.json",
            "bundle.dsse-signature-count",
        ),
        (
            "real/sigstore-python/test/assets/integration/Python-3.12.5.tgz.sigstore",
            "bundle.missing-checkpoint",
        ),
        (
            "real/sigstore-python/test/assets/bundle_no_cert_v1.txt.sigstore",
            "bundle.empty-certificate-chain",
        ),
        (
            "real/sigstore-python/test/assets/bundle_invalid_version.txt.sigstore",
            "bundle.unsupported-media-type",
        ),
        (
            "real/sigstore-python/test/assets/bundle_no_checkpoint.txt.sigstore",
            "bundle.missing-checkpoint",
        ),
        (
            "real/sigstore-python/test/assets/tsa/bundle.many_timestamp.sigstore",
            "bundle.too-many-items",
        ),
    ]
    .into_iter()
    .collect();

    // (relative path, corpus expectation "pass"/"fail")
    let mut bundles: Vec<(String, String)> = Vec::new();
    let cases: Value =
        serde_json::from_slice(&std::fs::read(corpus.join("conformance/cases.json")).unwrap())
            .unwrap();
    for c in cases.as_array().unwrap() {
        bundles.push((
            format!("conformance/{}", c["bundle"].as_str().unwrap()),
            c["expect"].as_str().unwrap().to_owned(),
        ));
    }
    // Every case directory is listed in cases.json.
    let dirs = std::fs::read_dir(corpus.join("conformance/bundle-verify"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .join("bundle.sigstore.json")
                .is_file()
        })
        .count();
    assert_eq!(dirs, bundles.len());
    let index: Value =
        serde_json::from_slice(&std::fs::read(corpus.join("real/index.json")).unwrap()).unwrap();
    for b in index.as_array().unwrap() {
        let expect = b["expect"].as_str().unwrap();
        bundles.push((
            format!("real/{}", b["file"].as_str().unwrap()),
            if expect.starts_with("fail") {
                "fail"
            } else {
                "pass"
            }
            .to_owned(),
        ));
    }
    assert!(bundles.len() >= 80, "only {} bundles", bundles.len());

    let mut seen_failures = 0;
    for (rel, expect) in &bundles {
        let bytes = std::fs::read(corpus.join(rel)).unwrap();
        let got = Bundle::from_json(&bytes);
        match (expected_failures.get(rel.as_str()), got) {
            (None, Ok(_)) => {}
            (None, Err(e)) => panic!("{rel}: unexpected parse failure {}: {e}", e.code()),
            (Some(want), Ok(_)) => panic!("{rel}: parsed, expected {want}"),
            (Some(want), Err(e)) => {
                assert_eq!(e.code(), *want, "{rel}: {e}");
                assert_eq!(expect, "fail", "{rel}: the corpus expects it to verify");
                seen_failures += 1;
            }
        }
    }
    assert_eq!(seen_failures, expected_failures.len());
}

// ---------------------------------------------------------------------------------------
// proto3 JSON forms.

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
fn snake_case_field_names() {
    for v in [v02(), v03()] {
        let snake = to_snake(&v);
        assert!(snake.get("media_type").is_some());
        assert!(snake["verification_material"].get("tlog_entries").is_some());
        assert_eq!(parse(&snake).unwrap(), parse(&v).unwrap());
    }
}

fn url_unpadded(v: &mut Value) {
    let s = v.as_str().unwrap();
    let b = crate::encoding::base64_decode(s).unwrap();
    use base64::Engine as _;
    *v = Value::String(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b));
}

#[test]
fn url_safe_unpadded_base64() {
    let mut v = v02();
    let orig = parse(&v).unwrap();
    url_unpadded(&mut v["messageSignature"]["signature"]);
    url_unpadded(&mut v["messageSignature"]["messageDigest"]["digest"]);
    url_unpadded(
        &mut v["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"],
    );
    let e = entry(&mut v);
    url_unpadded(&mut e["canonicalizedBody"]);
    url_unpadded(&mut e["logId"]["keyId"]);
    url_unpadded(&mut e["inclusionPromise"]["signedEntryTimestamp"]);
    url_unpadded(&mut e["inclusionProof"]["rootHash"]);
    for h in e["inclusionProof"]["hashes"].as_array_mut().unwrap() {
        url_unpadded(h);
    }
    assert!(v["messageSignature"]["signature"]
        .as_str()
        .unwrap()
        .contains(['-', '_']));
    assert_eq!(parse(&v).unwrap(), orig);
}

#[test]
fn int64_as_number_and_enum_as_number() {
    let mut v = v02();
    let orig = parse(&v).unwrap();
    let e = entry(&mut v);
    e["logIndex"] = json!(66_794_718u64);
    e["integratedTime"] = json!(1_706_297_730u64);
    e["inclusionProof"]["logIndex"] = json!(62_631_287u64);
    e["inclusionProof"]["treeSize"] = json!(62_631_288u64);
    v["messageSignature"]["messageDigest"]["algorithm"] = json!(1);
    assert_eq!(parse(&v).unwrap(), orig);

    for (n, name) in [(2, HashAlgorithm::Sha384), (3, HashAlgorithm::Sha512)] {
        let mut w = v02();
        let len = name.output_len();
        w["messageSignature"]["messageDigest"] =
            json!({"algorithm": n, "digest": base64_encode(&vec![7u8; len])});
        let Content::MessageSignature(ms) = parse(&w).unwrap().content else {
            panic!()
        };
        assert_eq!(ms.message_digest.unwrap().algorithm, name);
    }
    for bad in [
        json!("SHA3_256"),
        json!(5),
        json!("HASH_ALGORITHM_UNSPECIFIED"),
    ] {
        let mut w = v02();
        w["messageSignature"]["messageDigest"]["algorithm"] = bad;
        assert_eq!(code(&w), "bundle.unsupported-hash-algorithm");
    }
    let mut w = v02();
    w["messageSignature"]["messageDigest"]["algorithm"] = json!("MD5");
    assert_eq!(code(&w), "bundle.unknown-enum-value");
    let mut w = v02();
    w["messageSignature"]["messageDigest"]["algorithm"] = json!("SHA2_512");
    assert_eq!(
        parse(&w).unwrap_err(),
        BundleError::InvalidHashLength {
            path: "messageSignature.messageDigest.digest".into(),
            expected: 64,
            found: 32
        }
    );
    for bad in [
        json!("1.5"),
        json!(1.5),
        json!("0x10"),
        json!(""),
        json!(true),
        json!("9223372036854775808"),
    ] {
        let mut w = v02();
        entry(&mut w)["logIndex"] = bad.clone();
        let c = code(&w);
        assert!(
            c == "bundle.invalid-integer" || c == "bundle.wrong-type",
            "{bad}: {c}"
        );
    }
}

#[test]
fn null_means_absent_and_unknown_fields_are_ignored() {
    let mut v = v02();
    let orig = parse(&v).unwrap();
    v["dsseEnvelope"] = Value::Null;
    v["verificationMaterial"]["publicKey"] = Value::Null;
    v["verificationMaterial"]["certificate"] = Value::Null;
    v["verificationMaterial"]["timestampVerificationData"] = Value::Null;
    v["somethingNew"] = json!({"x": [1, 2, {"y": null}]});
    entry(&mut v)["futureField"] = json!("ignored");
    assert_eq!(parse(&v).unwrap(), orig);

    // A required field set to null is missing.
    let mut w = v02();
    w["messageSignature"]["signature"] = Value::Null;
    assert_eq!(
        parse(&w).unwrap_err(),
        BundleError::MissingField {
            path: "messageSignature.signature".into()
        }
    );
}

#[test]
fn duplicate_keys_are_rejected() {
    let text = String::from_utf8(testdata("a.txt.sigstore")).unwrap();
    let dup = text.replacen(
        "\"mediaType\"",
        "\"mediaType\": \"application/vnd.dev.sigstore.bundle+json;version=0.1\", \"mediaType\"",
        1,
    );
    assert_eq!(
        Bundle::from_json(dup.as_bytes()).unwrap_err().code(),
        "bundle.duplicate-field"
    );
    let mut v = v02();
    v["media_type"] = v["mediaType"].clone();
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::DuplicateField {
            path: "mediaType".into()
        }
    );
}

#[test]
fn json_level_errors() {
    assert_eq!(
        Bundle::from_json(b"").unwrap_err().code(),
        "bundle.invalid-json"
    );
    assert_eq!(
        Bundle::from_json(b"{}{}").unwrap_err().code(),
        "bundle.invalid-json"
    );
    let mut with_trailer = testdata("a.txt.sigstore");
    with_trailer.extend_from_slice(b" x");
    assert_eq!(
        Bundle::from_json(&with_trailer).unwrap_err().code(),
        "bundle.invalid-json"
    );
    assert_eq!(
        Bundle::from_json(b"[]").unwrap_err(),
        BundleError::WrongType {
            path: "(document)".into(),
            expected: "an object",
            found: "an array"
        }
    );
    assert_eq!(
        Bundle::from_json(b"{}").unwrap_err(),
        BundleError::MissingField {
            path: "mediaType".into()
        }
    );
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(100), "]".repeat(100));
    assert_eq!(
        Bundle::from_json(deep.as_bytes()).unwrap_err().code(),
        "bundle.too-deeply-nested"
    );
    let big = vec![b' '; crate::limits::MAX_BUNDLE_BYTES + 1];
    assert_eq!(
        Bundle::from_json(&big).unwrap_err(),
        BundleError::TooLarge {
            size: crate::limits::MAX_BUNDLE_BYTES + 1,
            max: crate::limits::MAX_BUNDLE_BYTES
        }
    );
}

// ---------------------------------------------------------------------------------------
// Media types and version rules.

#[test]
fn media_types() {
    for (mt, ver) in [
        (
            "application/vnd.dev.sigstore.bundle+json;version=0.1",
            BundleVersion::V0_1,
        ),
        (
            "application/vnd.dev.sigstore.bundle+json;version=0.2",
            BundleVersion::V0_2,
        ),
        (
            "application/vnd.dev.sigstore.bundle+json;version=0.3",
            BundleVersion::V0_3,
        ),
        (
            "application/vnd.dev.sigstore.bundle.v0.3+json",
            BundleVersion::V0_3,
        ),
    ] {
        assert_eq!(BundleVersion::from_media_type(mt), Some(ver));
        let mut v = v03();
        v["mediaType"] = json!(mt);
        if ver == BundleVersion::V0_1 {
            // v0.3's bundle lacks nothing v0.1 needs except that v0.1 requires a SET,
            // which it has.
            assert!(entry(&mut v).get("inclusionPromise").is_some());
        }
        let b = parse(&v).unwrap();
        assert_eq!((b.version, b.media_type.as_str()), (ver, mt));
    }
    for bad in [
        "application/vnd.dev.sigstore.bundle.v99.9+json",
        "application/vnd.dev.sigstore.bundle+json;version=99.9",
        "application/vnd.dev.sigstore.bundle.v0.2+json",
        "application/vnd.dev.sigstore.bundle+json",
        "APPLICATION/VND.DEV.SIGSTORE.BUNDLE.V0.3+JSON",
        "this is completely wrong",
    ] {
        let mut v = v03();
        v["mediaType"] = json!(bad);
        assert_eq!(
            parse(&v).unwrap_err(),
            BundleError::UnsupportedMediaType { found: bad.into() }
        );
    }
    let mut v = v03();
    v["mediaType"] = json!(3);
    assert_eq!(code(&v), "bundle.wrong-type");
}

#[test]
fn version_rules_for_tlog_entries() {
    // v0.1: every entry needs the inclusion promise.
    let mut v = v02();
    v["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.1");
    assert!(parse(&v).is_ok());
    remove(entry(&mut v), "inclusionPromise");
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::MissingInclusionPromise { entry: 0 }
    );
    // ... but not the proof.
    let mut v = v02();
    v["mediaType"] = json!("application/vnd.dev.sigstore.bundle+json;version=0.1");
    remove(entry(&mut v), "inclusionProof");
    assert!(parse(&v).is_ok());

    // v0.2 and v0.3: every entry needs the inclusion proof (the promise is optional).
    let mut v = v02();
    remove(entry(&mut v), "inclusionPromise");
    assert!(parse(&v).is_ok());
    remove(entry(&mut v), "inclusionProof");
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::MissingInclusionProof {
            entry: 0,
            version: "v0.2"
        }
    );
    // The second entry is checked too.
    let mut v = v03();
    let first = entry(&mut v).clone();
    let mut second = first.clone();
    remove(&mut second, "inclusionProof");
    v["verificationMaterial"]["tlogEntries"] = json!([first, second]);
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::MissingInclusionProof {
            entry: 1,
            version: "v0.3"
        }
    );

    // Any version: an inclusion proof needs its checkpoint.
    for mt in [
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
    ] {
        let mut v = v02();
        v["mediaType"] = json!(mt);
        remove(&mut entry(&mut v)["inclusionProof"], "checkpoint");
        assert_eq!(
            parse(&v).unwrap_err(),
            BundleError::MissingCheckpoint { entry: 0 }
        );
    }
    let mut v = v02();
    entry(&mut v)["inclusionProof"]["checkpoint"]["envelope"] = json!("");
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::MissingCheckpoint { entry: 0 }
    );

    // No tlog entries and no timestamps is a verifier threshold, not a parse error.
    let mut v = v02();
    remove(&mut v["verificationMaterial"], "tlogEntries");
    let b = parse(&v).unwrap();
    assert!(b.verification_material.tlog_entries.is_empty());
    assert!(b.verification_material.rfc3161_timestamps.is_empty());
}

#[test]
fn signer_material_rules() {
    // v0.3 must not use x509CertificateChain.
    let mut v = v02();
    v["mediaType"] = json!("application/vnd.dev.sigstore.bundle.v0.3+json");
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::CertificateChainNotAllowed { version: "v0.3" }
    );
    // No signer at all.
    let mut v = v02();
    remove(&mut v["verificationMaterial"], "x509CertificateChain");
    assert_eq!(parse(&v).unwrap_err(), BundleError::MissingSignerMaterial);
    // Two signers.
    let mut v = v02();
    v["verificationMaterial"]["publicKey"] = json!({"hint": "k"});
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::ConflictingFields {
            path: "verificationMaterial".into(),
            first: "publicKey",
            second: "x509CertificateChain"
        }
    );
    // Public key hint (managed keys).
    let mut v = v02();
    remove(&mut v["verificationMaterial"], "x509CertificateChain");
    v["verificationMaterial"]["publicKey"] = json!({"hint": "my-key"});
    assert_eq!(
        parse(&v).unwrap().verification_material.signer,
        SignerMaterial::PublicKey {
            hint: Some("my-key".into())
        }
    );
    v["verificationMaterial"]["publicKey"] = json!({});
    assert_eq!(
        parse(&v).unwrap().verification_material.signer,
        SignerMaterial::PublicKey { hint: None }
    );
    // Empty chain.
    let mut v = v02();
    v["verificationMaterial"]["x509CertificateChain"]["certificates"] = json!([]);
    assert_eq!(parse(&v).unwrap_err(), BundleError::EmptyCertificateChain);
    v["verificationMaterial"]["x509CertificateChain"] = json!({});
    assert_eq!(parse(&v).unwrap_err(), BundleError::EmptyCertificateChain);
    // Too long a chain.
    let mut v = v02();
    let leaf = v["verificationMaterial"]["x509CertificateChain"]["certificates"][0].clone();
    v["verificationMaterial"]["x509CertificateChain"]["certificates"] =
        Value::Array(vec![leaf; crate::limits::MAX_CERT_CHAIN_LEN + 1]);
    assert_eq!(code(&v), "bundle.too-many-items");
}

fn cert_path(v: &mut Value) -> &mut Value {
    &mut v["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"]
}

#[test]
fn certificates_must_be_exact_der() {
    let mut v = v02();
    let mut der = crate::encoding::base64_decode(cert_path(&mut v).as_str().unwrap()).unwrap();
    der.push(0);
    *cert_path(&mut v) = json!(base64_encode(&der));
    let e = parse(&v).unwrap_err();
    assert_eq!(e.code(), "bundle.invalid-certificate");
    assert!(e.to_string().contains("certificates[0].rawBytes"), "{e}");

    let mut v = v03();
    v["verificationMaterial"]["certificate"]["rawBytes"] = json!(base64_encode(b"not a cert"));
    assert_eq!(code(&v), "bundle.invalid-certificate");
}

#[test]
fn chain_must_not_include_a_self_signed_root() {
    // The production Fulcio root (self-signed) and intermediate, from the vendored root.
    let root: Value = serde_json::from_slice(include_bytes!(
        "../../testdata/trust/sigstore_trusted_root.json"
    ))
    .unwrap();
    let ca_chain = root["certificateAuthorities"][1]["certChain"]["certificates"].clone();
    let (intermediate, fulcio_root) = (ca_chain[0].clone(), ca_chain[1].clone());
    let mut v = v02();
    let leaf = v["verificationMaterial"]["x509CertificateChain"]["certificates"][0].clone();
    v["verificationMaterial"]["x509CertificateChain"]["certificates"] =
        json!([leaf.clone(), intermediate.clone()]);
    assert!(parse(&v).is_ok());
    v["verificationMaterial"]["x509CertificateChain"]["certificates"] =
        json!([leaf, intermediate, fulcio_root.clone()]);
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::ChainIncludesRoot { index: 2 }
    );
    v["verificationMaterial"]["x509CertificateChain"]["certificates"] = json!([fulcio_root]);
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::ChainIncludesRoot { index: 0 }
    );
}

#[test]
fn content_rules() {
    // Both contents.
    let mut v = v02();
    v["dsseEnvelope"] = v03()["dsseEnvelope"].clone();
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::ConflictingFields {
            path: "the bundle".into(),
            first: "messageSignature",
            second: "dsseEnvelope"
        }
    );
    // No content.
    let mut v = v02();
    remove(&mut v, "messageSignature");
    assert_eq!(parse(&v).unwrap_err(), BundleError::MissingContent);
    // messageDigest is optional; the signature is not.
    let mut v = v02();
    remove(&mut v["messageSignature"], "messageDigest");
    let Content::MessageSignature(ms) = parse(&v).unwrap().content else {
        panic!()
    };
    assert!(ms.message_digest.is_none() && !ms.signature.is_empty());
    v["messageSignature"]["signature"] = json!("");
    assert_eq!(code(&v), "bundle.missing-field");
    // Invalid base64 names the field.
    let mut v = v02();
    v["messageSignature"]["signature"] = json!("MEUC!!!");
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::InvalidBase64 {
            path: "messageSignature.signature".into()
        }
    );
}

#[test]
fn dsse_needs_exactly_one_signature() {
    let mut v = v03();
    let sig = v["dsseEnvelope"]["signatures"][0].clone();
    v["dsseEnvelope"]["signatures"] = json!([sig.clone(), sig.clone()]);
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::DsseSignatureCount { count: 2 }
    );
    v["dsseEnvelope"]["signatures"] = json!([]);
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::DsseSignatureCount { count: 0 }
    );
    remove(&mut v["dsseEnvelope"], "signatures");
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::DsseSignatureCount { count: 0 }
    );
    // keyid is optional.
    let mut v = v03();
    v["dsseEnvelope"]["signatures"] = json!([{"sig": sig["sig"]}]);
    let Content::Dsse(d) = parse(&v).unwrap().content else {
        panic!()
    };
    assert_eq!(d.signature.keyid, "");
    // payloadType is required.
    remove(&mut v["dsseEnvelope"], "payloadType");
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::MissingField {
            path: "dsseEnvelope.payloadType".into()
        }
    );
}

#[test]
fn tlog_entry_fields() {
    for (field, path) in [
        ("logIndex", "verificationMaterial.tlogEntries[0].logIndex"),
        ("logId", "verificationMaterial.tlogEntries[0].logId"),
        (
            "kindVersion",
            "verificationMaterial.tlogEntries[0].kindVersion",
        ),
        (
            "canonicalizedBody",
            "verificationMaterial.tlogEntries[0].canonicalizedBody",
        ),
    ] {
        let mut v = v02();
        remove(entry(&mut v), field);
        assert_eq!(
            parse(&v).unwrap_err(),
            BundleError::MissingField { path: path.into() }
        );
    }
    let mut v = v02();
    entry(&mut v)["logId"] = json!({});
    assert_eq!(code(&v), "bundle.missing-field");
    let mut v = v02();
    entry(&mut v)["kindVersion"] = json!({"kind": "hashedrekord"});
    assert_eq!(code(&v), "bundle.missing-field");

    // Negative values.
    let mut v = v02();
    entry(&mut v)["logIndex"] = json!("-1");
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::NegativeInteger {
            path: "verificationMaterial.tlogEntries[0].logIndex".into(),
            value: -1
        }
    );
    let mut v = v02();
    entry(&mut v)["integratedTime"] = json!(-5);
    assert_eq!(code(&v), "bundle.negative-integer");
    // integratedTime absent = 0 (Rekor v2).
    let mut v = v02();
    remove(entry(&mut v), "integratedTime");
    assert_eq!(
        parse(&v).unwrap().verification_material.tlog_entries[0].integrated_time,
        0
    );

    // Too many entries.
    let mut v = v02();
    let e = entry(&mut v).clone();
    v["verificationMaterial"]["tlogEntries"] =
        Value::Array(vec![e; crate::limits::MAX_TLOG_ENTRIES + 1]);
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::TooManyItems {
            path: "verificationMaterial.tlogEntries".into(),
            count: crate::limits::MAX_TLOG_ENTRIES + 1,
            max: crate::limits::MAX_TLOG_ENTRIES
        }
    );
    // Body size limit.
    let mut v = v02();
    entry(&mut v)["canonicalizedBody"] = json!(base64_encode(&vec![
        b'x';
        crate::limits::MAX_TLOG_BODY_BYTES
            + 1
    ]));
    assert_eq!(code(&v), "bundle.field-too-large");
}

#[test]
fn inclusion_proof_fields() {
    let mut v = v02();
    with_proof(&mut v, |p| p["rootHash"] = json!(base64_encode(&[1u8; 31])));
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::InvalidHashLength {
            path: "verificationMaterial.tlogEntries[0].inclusionProof.rootHash".into(),
            expected: 32,
            found: 31
        }
    );
    let mut v = v02();
    with_proof(&mut v, |p| {
        p["hashes"][3] = json!(base64_encode(&[1u8; 33]))
    });
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::InvalidHashLength {
            path: "verificationMaterial.tlogEntries[0].inclusionProof.hashes[3]".into(),
            expected: 32,
            found: 33
        }
    );
    let mut v = v02();
    with_proof(&mut v, |p| {
        p["hashes"] = Value::Array(vec![
            json!(base64_encode(&[0u8; 32]));
            crate::limits::MAX_INCLUSION_PROOF_HASHES + 1
        ])
    });
    assert_eq!(code(&v), "bundle.too-many-items");
    let mut v = v02();
    with_proof(&mut v, |p| {
        p["treeSize"] = json!("0");
        p["logIndex"] = json!("0");
    });
    assert_eq!(code(&v), "bundle.invalid-tree-size");
    let mut v = v02();
    with_proof(&mut v, |p| p["logIndex"] = json!("62631288"));
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::ProofIndexOutOfRange {
            path: "verificationMaterial.tlogEntries[0].inclusionProof".into(),
            log_index: 62_631_288,
            tree_size: 62_631_288
        }
    );
    // logIndex 0 is omitted by proto3 writers.
    let mut v = v02();
    with_proof(&mut v, |p| {
        p.as_object_mut().unwrap().remove("logIndex");
    });
    assert_eq!(
        parse(&v).unwrap().verification_material.tlog_entries[0]
            .inclusion_proof
            .as_ref()
            .unwrap()
            .log_index,
        0
    );
    let mut v = v02();
    with_proof(&mut v, |p| {
        p["checkpoint"]["envelope"] = json!("x".repeat(crate::limits::MAX_CHECKPOINT_BYTES + 1))
    });
    assert_eq!(code(&v), "bundle.field-too-large");
}

/// Applies `f` to the first entry's inclusion proof.
fn with_proof(v: &mut Value, f: impl FnOnce(&mut Value)) {
    f(&mut entry(v)["inclusionProof"]);
}

#[test]
fn timestamps() {
    let mut v = v03();
    let ts = v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0].clone();
    v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] =
        Value::Array(vec![ts.clone(); crate::limits::MAX_RFC3161_TIMESTAMPS]);
    assert_eq!(
        parse(&v)
            .unwrap()
            .verification_material
            .rfc3161_timestamps
            .len(),
        crate::limits::MAX_RFC3161_TIMESTAMPS
    );
    v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] =
        Value::Array(vec![ts; crate::limits::MAX_RFC3161_TIMESTAMPS + 1]);
    assert_eq!(code(&v), "bundle.too-many-items");
    let mut v = v03();
    v["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] = json!([{}]);
    assert_eq!(
        parse(&v).unwrap_err(),
        BundleError::MissingField {
            path: "verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp".into()
        }
    );
}

// ---------------------------------------------------------------------------------------
// DSSE PAE.

#[test]
fn pae_known_answers() {
    // DSSE protocol.md example.
    assert_eq!(
        pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
    );
    assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    // Lengths count bytes, not characters.
    assert_eq!(
        pae("é", b"\x00\xff"),
        b"DSSEv1 2 \xc3\xa9 2 \x00\xff".to_vec()
    );
    let body = vec![b'a'; 1000];
    let mut want = b"DSSEv1 28 application/vnd.in-toto+json 1000 ".to_vec();
    want.extend_from_slice(&body);
    assert_eq!(pae("application/vnd.in-toto+json", &body), want);
}

// ---------------------------------------------------------------------------------------
// Errors and robustness.

#[test]
fn every_error_has_a_stage_code_and_a_sentence() {
    let all = [
        BundleError::TooLarge { size: 2, max: 1 },
        BundleError::InvalidJson { detail: "x".into() },
        BundleError::TooDeep { max: 1 },
        BundleError::DuplicateField { path: "a".into() },
        BundleError::MissingField { path: "a".into() },
        BundleError::WrongType {
            path: "a".into(),
            expected: "a string",
            found: "a number",
        },
        BundleError::InvalidBase64 { path: "a".into() },
        BundleError::InvalidInteger {
            path: "a".into(),
            value: "x".into(),
        },
        BundleError::NegativeInteger {
            path: "a".into(),
            value: -1,
        },
        BundleError::UnknownEnumValue {
            path: "a".into(),
            value: "x".into(),
        },
        BundleError::FieldTooLarge {
            path: "a".into(),
            size: 2,
            max: 1,
        },
        BundleError::TooManyItems {
            path: "a".into(),
            count: 2,
            max: 1,
        },
        BundleError::UnsupportedMediaType { found: "x".into() },
        BundleError::UnsupportedHashAlgorithm {
            path: "a".into(),
            found: "SHA3_256".into(),
        },
        BundleError::ConflictingFields {
            path: "a".into(),
            first: "b",
            second: "c",
        },
        BundleError::MissingSignerMaterial,
        BundleError::MissingContent,
        BundleError::CertificateChainNotAllowed { version: "v0.3" },
        BundleError::EmptyCertificateChain,
        BundleError::ChainIncludesRoot { index: 2 },
        BundleError::InvalidCertificate {
            path: "a".into(),
            detail: "d".into(),
        },
        BundleError::DsseSignatureCount { count: 2 },
        BundleError::MissingInclusionPromise { entry: 0 },
        BundleError::MissingInclusionProof {
            entry: 0,
            version: "v0.2",
        },
        BundleError::MissingCheckpoint { entry: 0 },
        BundleError::InvalidHashLength {
            path: "a".into(),
            expected: 32,
            found: 1,
        },
        BundleError::InvalidTreeSize { path: "a".into() },
        BundleError::ProofIndexOutOfRange {
            path: "a".into(),
            log_index: 1,
            tree_size: 1,
        },
    ];
    let mut codes = std::collections::BTreeSet::new();
    for e in &all {
        let code = e.code();
        assert!(code.starts_with("bundle."), "{code}");
        assert!(codes.insert(code), "duplicate code {code}");
        let s = e.to_string();
        assert!(!s.is_empty() && !s.starts_with(char::is_uppercase), "{s}");
        assert!(!s.contains("Some(") && !s.contains("{ "), "{s}");
        assert_eq!(crate::Error::from(e.clone()).stage(), "bundle");
    }
}

fn real_bundle_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = [
        "a.txt.sigstore",
        "bundle_v03.json",
        "npm_slsa_bundle_v03.json",
        // happy-path-v0.1, Rekor v2 with a TSA token, DSSE in-toto, staging Rekor v2.
        "crates.io/sigstore-verify-0.15.1/test_data/invalid-ct-key_fail/bundle.sigstore.json",
        "crates.io/sigstore-verify-0.15.1/test_data/timestamps/valid_bundle.json",
        "crates.io/sigstore-bundle-0.15.1/tests/fixtures/happy-path.json",
        "crates.io/sigstore-verify-0.15.1/test_data/upstream/sigstore-python/staging-rekor-v2.txt.sigstore.json",
    ]
    .iter()
    .map(|n| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/real")
            .join(n)
    })
    .collect();
    if let Some(c) = crate::testutil::corpus_extra("bundle_mutations_do_not_panic") {
        for case in [
            "happy-path-v0.1",
            "rekor2-happy-path",
            "happy-path-intoto-in-dsse-v3",
        ] {
            files.push(
                c.join("conformance/bundle-verify")
                    .join(case)
                    .join("bundle.sigstore.json"),
            );
        }
        files.push(c.join("real/sigstore-python/test/assets/staging-rekor-v2.txt.sigstore.json"));
    }
    files
}

#[test]
fn bundle_mutations_do_not_panic() {
    let mut total = 0;
    for f in real_bundle_files() {
        let bytes = std::fs::read(&f).unwrap();
        assert!(Bundle::from_json(&bytes).is_ok(), "{}", f.display());
        total += crate::testutil::mutate_all(&bytes, Bundle::from_json);
    }
    assert!(total > 5_000, "{total}");
}
