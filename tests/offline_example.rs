//! Checks `testdata/offline` (the offline example of the `verify` command) against its
//! generator, `examples/make-offline-example.rs`, and reads it back with the crate's own
//! OCI layout, bundle, trusted-root, configuration and policy code.
//!
//! Expectations come from the generator's pack table (who signs what, which pack carries
//! no bundle), never from constants copied out of the generated files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../examples/make-offline-example.rs"]
#[allow(dead_code, unreachable_pub)]
mod example;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use der::{Decode, Encode};
use rulepack_verify::bundle::{pae, Bundle, BundleVersion, Content};
use rulepack_verify::config::RulePacks;
use rulepack_verify::crypto::{HashAlgorithm, PublicKey};
use rulepack_verify::oci::{
    find_sigstore_bundles, resolve_pack, Digest, OciLayout, Reference, SIGSTORE_BUNDLE_V03,
};
use rulepack_verify::pack::layers::fetch_all;
use rulepack_verify::policy::{check_identity, first_party_rule, SignerClaims};
use rulepack_verify::trust_root::TrustedRoot;
use serde_json::Value;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/offline")
}

/// Every file under `root`, relative path → bytes.
fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, at: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(at).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn regenerating_gives_the_committed_files_byte_for_byte() {
    let a = example::generate();
    let b = example::generate();
    assert_eq!(a.files, b.files, "the generator is not deterministic");

    let generated: BTreeMap<String, Vec<u8>> = a.files.into_iter().collect();
    let committed = read_tree(&dir());
    let gen_names: Vec<&String> = generated.keys().collect();
    let disk_names: Vec<&String> = committed.keys().collect();
    assert_eq!(
        gen_names, disk_names,
        "testdata/offline has other files than the generator writes; rerun \
         `cargo run --example make-offline-example -- testdata/offline`"
    );
    for (name, bytes) in &generated {
        assert!(
            committed.get(name) == Some(bytes),
            "testdata/offline/{name} differs from the generator's output"
        );
    }
    // The layout stays small: a few packs and three bundles.
    let layout_bytes: usize = generated
        .iter()
        .filter(|(n, _)| n.starts_with("layout/"))
        .map(|(_, b)| b.len())
        .sum();
    assert!(layout_bytes < 64 * 1024, "layout is {layout_bytes} bytes");
}

/// The leaf certificate's SAN URI and Fulcio extension `.n` values.
struct Leaf {
    san_uri: String,
    ext: BTreeMap<u32, String>,
    cert: Certificate,
}

fn leaf(der_bytes: &[u8]) -> Leaf {
    let cert = Certificate::from_der(der_bytes).unwrap();
    let mut san_uri = None;
    let mut ext = BTreeMap::new();
    for e in cert.tbs_certificate.extensions.as_deref().unwrap_or(&[]) {
        let oid = e.extn_id.to_string();
        if oid == "2.5.29.17" {
            let san = SubjectAltName::from_der(e.extn_value.as_bytes()).unwrap();
            for n in san.0 {
                if let GeneralName::UniformResourceIdentifier(u) = n {
                    san_uri = Some(u.to_string());
                }
            }
        } else if let Some(n) = oid.strip_prefix("1.3.6.1.4.1.57264.1.") {
            let n: u32 = n.parse().unwrap();
            let value = if n >= 8 {
                der::asn1::Utf8StringRef::from_der(e.extn_value.as_bytes())
                    .unwrap()
                    .as_str()
                    .to_owned()
            } else {
                String::from_utf8(e.extn_value.as_bytes().to_vec()).unwrap()
            };
            ext.insert(n, value);
        }
    }
    Leaf {
        san_uri: san_uri.expect("the leaf has a SAN URI"),
        ext,
        cert,
    }
}

#[test]
fn layout_bundles_root_and_values_read_back_with_the_crate() {
    let out = example::generate();
    let dir = dir();
    let layout = OciLayout::open(dir.join("layout")).unwrap();
    let root =
        TrustedRoot::from_json(&std::fs::read(dir.join("trusted_root.json")).unwrap()).unwrap();
    let intermediate = Certificate::from_der(
        root.certificate_authorities
            .first()
            .and_then(|ca| ca.cert_chain.first())
            .expect("a Fulcio CA with a chain"),
    )
    .unwrap();
    let fp = first_party_rule().unwrap();

    let values = std::fs::read(dir.join("values.yaml")).unwrap();
    let cfg = RulePacks::from_yaml(&values, &dir).unwrap();
    assert!(cfg.verify_signature);
    assert_eq!(cfg.trusted_root, Some(dir.join("trusted_root.json")));
    assert_eq!(cfg.layout, Some(dir.join("layout")));
    let refs: Vec<String> = out.packs.iter().map(|p| p.pack.oci_ref()).collect();
    assert_eq!(cfg.extras, refs);
    let third_party: Vec<_> = cfg
        .trusted_identities
        .iter()
        .map(|t| t.rule.clone())
        .collect();
    assert_eq!(third_party.len(), 2);

    let (mut signed, mut unsigned) = (0, 0);
    for p in &out.packs {
        let r = Reference::parse(&p.pack.oci_ref()).unwrap();
        let (desc, manifest) = resolve_pack(&layout, &r).unwrap();
        assert_eq!(
            desc.digest.to_string(),
            p.manifest_digest,
            "{}",
            p.pack.oci_ref()
        );
        assert_eq!(
            manifest.artifact_type.as_deref(),
            Some(example::PACK_ARTIFACT_TYPE)
        );
        // The layers are the pack's Rego modules, with their titles.
        let layers = fetch_all(&layout, &r, &manifest).unwrap();
        assert_eq!(layers.len(), p.pack.layers.len());
        for ((d, bytes), (title, src)) in layers.iter().zip(&p.pack.layers) {
            assert_eq!(d.media_type, example::REGO_LAYER_TYPE);
            assert_eq!(
                d.annotations
                    .get("org.opencontainers.image.title")
                    .map(String::as_str),
                Some(*title)
            );
            assert_eq!(bytes.as_slice(), src.as_bytes());
        }

        let found = find_sigstore_bundles(&layout, &r, &desc.digest);
        let Some(signer) = &p.pack.signer else {
            let e = found.expect_err("an unsigned pack has no bundle");
            assert_eq!(e.code(), "registry.no-bundle", "{e}");
            unsigned += 1;
            continue;
        };
        signed += 1;
        let found = found.unwrap();
        assert_eq!(found.len(), 1, "{}: exactly one bundle", p.pack.oci_ref());
        let fb = found.first().unwrap();
        assert_eq!(Some(fb.manifest_digest.to_string()), p.referrer_digest);
        assert_eq!(fb.media_type, SIGSTORE_BUNDLE_V03);

        // The bundle: v0.3, cosign DSSE over the pack MANIFEST digest, one Rekor v1
        // dsse entry from a log of the root, one RFC 3161 timestamp.
        let bundle = Bundle::from_json(&fb.bundle_bytes).unwrap();
        assert_eq!(bundle.version, BundleVersion::V0_3);
        let Content::Dsse(env) = &bundle.content else {
            panic!("{}: expected a DSSE envelope", p.pack.oci_ref())
        };
        assert_eq!(env.payload_type, "application/vnd.in-toto+json");
        let stmt: Value = serde_json::from_slice(&env.payload).unwrap();
        assert_eq!(stmt["predicateType"], "https://sigstore.dev/cosign/sign/v1");
        let subject = stmt["subject"][0]["digest"]["sha256"].as_str().unwrap();
        assert_eq!(
            Digest::parse(&format!("sha256:{subject}")).unwrap(),
            desc.digest
        );
        let vm = &bundle.verification_material;
        assert_eq!(vm.tlog_entries.len(), 1);
        let entry = vm.tlog_entries.first().unwrap();
        assert_eq!(
            (entry.kind.as_str(), entry.version.as_str()),
            ("dsse", "0.0.1")
        );
        assert!(entry.inclusion_promise.is_some() && entry.inclusion_proof.is_some());
        assert!(root.tlog_by_log_id(&entry.log_id).is_some());
        assert_eq!(vm.rfc3161_timestamps.len(), 1);

        // The leaf: issued by the root's Fulcio intermediate, for the signer, with the
        // GitHub extensions; its key made the DSSE signature.
        let l = leaf(vm.signer.leaf_der().unwrap());
        assert_eq!(l.san_uri, signer.identity());
        assert_eq!(
            l.ext.get(&8).map(String::as_str),
            Some(example::GITHUB_ISSUER)
        );
        assert_eq!(
            l.ext.get(&12),
            Some(&format!("https://github.com/{}", signer.repo))
        );
        assert_eq!(
            l.ext.get(&14),
            Some(&format!("refs/tags/{}", signer.git_tag))
        );
        assert!(
            (9..=22).all(|n| l.ext.contains_key(&n)),
            "{:?}",
            l.ext.keys()
        );
        assert_eq!(
            l.cert.tbs_certificate.issuer,
            intermediate.tbs_certificate.subject
        );
        let ca_key = PublicKey::from_spki_der(
            &intermediate
                .tbs_certificate
                .subject_public_key_info
                .to_der()
                .unwrap(),
        )
        .unwrap();
        let hash = HashAlgorithm::from_ecdsa_sig_oid(&l.cert.signature_algorithm.oid).unwrap();
        ca_key
            .verify(
                hash,
                &l.cert.tbs_certificate.to_der().unwrap(),
                l.cert.signature.raw_bytes(),
            )
            .unwrap();
        let leaf_key = PublicKey::from_spki_der(
            &l.cert
                .tbs_certificate
                .subject_public_key_info
                .to_der()
                .unwrap(),
        )
        .unwrap();
        leaf_key
            .verify(
                HashAlgorithm::Sha256,
                &pae(&env.payload_type, &env.payload),
                &env.signature.sig,
            )
            .unwrap();

        // The trust tiers the example demonstrates, at the policy level.
        let claims = SignerClaims {
            identity: &l.san_uri,
            issuer: l.ext.get(&8).unwrap(),
            source_repository_uri: l.ext.get(&12).map(String::as_str),
            source_repository_ref: l.ext.get(&14).map(String::as_str),
        };
        let fp_ok = check_identity(std::slice::from_ref(&fp), &claims).is_ok();
        let tp = check_identity(&third_party, &claims);
        match p.pack.expected {
            example::Expected::VerifiedFirstParty => {
                assert!(fp_ok, "first-party pack must satisfy the compiled-in rule");
                assert!(
                    tp.is_err(),
                    "no trustedIdentities entry names the first party"
                );
            }
            example::Expected::VerifiedThirdParty => {
                assert!(!fp_ok);
                assert_eq!(tp.unwrap(), 0, "matched by trustedIdentities[0]");
            }
            example::Expected::FailIdentityNotTrusted => {
                assert!(!fp_ok);
                let e = tp.expect_err("mallory is trusted by nothing");
                assert_eq!(e.code(), "policy.identity-mismatch", "{e}");
            }
            example::Expected::FailNoBundle => panic!("a signed pack expects no bundle"),
        }
        // The leaf was issued at the pack's fixed signing time.
        assert_eq!(
            l.cert
                .tbs_certificate
                .validity
                .not_before
                .to_unix_duration()
                .as_secs(),
            u64::try_from(p.signed_at.unwrap()).unwrap()
        );
    }
    assert_eq!((signed, unsigned), (3, 1));
}

/// 2026-03-02T12:00:00Z, a fixed "now" one day after the signatures.
const NOW: i64 = 1_772_452_800;

/// Before the `verify` pipeline lands: each signed pack passes every stage verifier on
/// main (Rekor entry, RFC 3161 timestamp, Fulcio chain at both proven signing times,
/// embedded SCT, identity claims) against the example's trusted root.
#[test]
fn each_signed_pack_passes_every_stage_against_the_example_root() {
    use rulepack_verify::rekor::{verify_entry, LogVerifier};
    use rulepack_verify::timestamp::verify_timestamp;
    use rulepack_verify::x509::{
        verify_chain, verify_embedded_scts, SigningCertificate, EKU_CODE_SIGNING,
    };

    let out = example::generate();
    let dir = dir();
    let layout = OciLayout::open(dir.join("layout")).unwrap();
    let root =
        TrustedRoot::from_json(&std::fs::read(dir.join("trusted_root.json")).unwrap()).unwrap();
    let mut checked = 0;
    for p in &out.packs {
        let Some(signer) = &p.pack.signer else {
            continue;
        };
        let r = Reference::parse(&p.pack.oci_ref()).unwrap();
        let (desc, _) = resolve_pack(&layout, &r).unwrap();
        let found = find_sigstore_bundles(&layout, &r, &desc.digest).unwrap();
        let bundle = Bundle::from_json(&found.first().unwrap().bundle_bytes).unwrap();
        let Content::Dsse(env) = &bundle.content else {
            panic!("expected DSSE")
        };
        let leaf_der = bundle.verification_material.signer.leaf_der().unwrap();
        let leaf = SigningCertificate::from_der(leaf_der).unwrap();
        assert_eq!(
            leaf.identity.as_ref().map(|i| i.value()),
            Some(signer.identity().as_str())
        );
        assert_eq!(leaf.extensions.issuer(), Some(example::GITHUB_ISSUER));
        assert_eq!(
            leaf.extensions.source_repository_ref.as_deref(),
            Some(format!("refs/tags/{}", signer.git_tag).as_str())
        );

        let entry = bundle.verification_material.tlog_entries.first().unwrap();
        let logged = verify_entry(
            entry,
            bundle.version,
            &bundle.content,
            LogVerifier::Certificate(leaf_der),
            &root,
            NOW,
        )
        .unwrap();
        let integrated = logged.integrated_time.expect("a verified SET");
        assert!(
            logged.checkpoint.is_some(),
            "inclusion proof with checkpoint"
        );

        let token = bundle
            .verification_material
            .rfc3161_timestamps
            .first()
            .unwrap();
        let ts = verify_timestamp(token, &env.signature.sig, &root.timestamp_authorities).unwrap();

        let signed_at = p.signed_at.unwrap();
        for t in [integrated, ts.gen_time] {
            assert!(t > signed_at && t <= NOW, "signing time {t}");
            let chain = verify_chain(
                &leaf.cert,
                &[],
                &root.certificate_authorities,
                t,
                EKU_CODE_SIGNING,
            )
            .unwrap();
            let scts = verify_embedded_scts(&leaf.cert, &chain, &root.ctlogs).unwrap();
            assert!(scts.verified >= 1);
        }
        checked += 1;
    }
    assert_eq!(
        checked,
        out.packs.iter().filter(|p| p.pack.signer.is_some()).count()
    );
    assert_eq!(checked, 3);
}
