//! The registry client against a real registry: Debian's `docker-registry`
//! (distribution 2.8, no referrers API, so the `sha256-<hex>` tag fallback is used),
//! over TLS with a test CA passed through the client's CA option, and htpasswd Basic
//! auth with credentials from a Docker config file. Start it with
//! `scripts/test-registry.sh start` and source `target/test-registry/env`.
#![cfg(feature = "online")]

#[path = "common/corpus.rs"]
#[allow(unreachable_pub)]
mod corpus;
#[path = "common/registry.rs"]
mod registry;

use std::path::PathBuf;
use std::time::Duration;

use registry::{test_registry, Pusher, TestRegistry};
use rulepack_verify::oci::{
    find_sigstore_bundles, resolve_pack, ArtifactSource, ClientOptions, Digest, Reference,
    RegistryClient, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, SIGSTORE_BUNDLE_V03,
};
use rulepack_verify::pack::layers::fetch_all;
use serde_json::json;

fn unique_repo(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("rulepack-test/{name}-{}-{nanos}", std::process::id())
}

fn docker_config(reg: &TestRegistry, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("real-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let auth = rulepack_verify::encoding::base64_encode(
        format!("{}:{}", reg.user, reg.password).as_bytes(),
    );
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec(&json!({"auths": {format!("https://{}", reg.addr): {"auth": auth}}}))
            .unwrap(),
    )
    .unwrap();
    dir
}

fn client(reg: &TestRegistry, name: &str) -> RegistryClient {
    RegistryClient::new(ClientOptions {
        ca_file: Some(reg.ca.clone()),
        docker_config_dir: Some(docker_config(reg, name)),
        request_timeout: Duration::from_secs(20),
        ..ClientOptions::default()
    })
    .unwrap()
}

/// A real cosign bundle of an OCI image (vendored from crates.io `sigstore` 0.15.0, see
/// testdata/README.md).
fn bundle_bytes() -> Vec<u8> {
    std::fs::read(corpus::vendored_real().join("bundle_v03.json")).unwrap()
}

/// Pushes a pack (empty config + one Rego layer) tagged `tag`; returns (digest, size).
fn push_pack(p: &Pusher, repo: &str, tag: &str, rego: &[u8]) -> (Digest, usize) {
    let cfg = p.push_blob(repo, b"{}");
    let layer = p.push_blob(repo, rego);
    let m = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.lithastra.rulepack.v1",
        "config": {"mediaType": OCI_EMPTY, "digest": cfg.to_string(), "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer.to_string(), "size": rego.len(),
                    "annotations": {"org.opencontainers.image.title": "rules.rego"}}]
    }))
    .unwrap();
    (p.push_manifest(repo, tag, OCI_MANIFEST, &m), m.len())
}

/// Pushes a cosign-style bundle referrer (cosign v3 `pkg/oci/remote/write.go`) by digest, and the fallback index
/// at `sha256-<hex>` the way cosign/oras do for registries without the API.
fn push_bundle_referrer(
    p: &Pusher,
    repo: &str,
    subject: &Digest,
    subject_size: usize,
    bundle: &[u8],
) -> Digest {
    let empty = p.push_blob(repo, b"{}");
    let b = p.push_blob(repo, bundle);
    let m = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": SIGSTORE_BUNDLE_V03,
        "config": {"mediaType": OCI_EMPTY, "artifactType": SIGSTORE_BUNDLE_V03, "digest": empty.to_string(), "size": 2},
        "layers": [{"mediaType": SIGSTORE_BUNDLE_V03, "digest": b.to_string(), "size": bundle.len()}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject.to_string(), "size": subject_size},
        "annotations": {"dev.sigstore.bundle.content": "dsse-envelope",
                        "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1"}
    }))
    .unwrap();
    let d = Digest::of(&m);
    p.push_manifest(repo, &d.to_string(), OCI_MANIFEST, &m);
    let idx = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": d.to_string(), "size": m.len(), "artifactType": SIGSTORE_BUNDLE_V03}]}))
    .unwrap();
    p.push_manifest(repo, &format!("sha256-{}", subject.hex()), OCI_INDEX, &idx);
    d
}

#[test]
fn push_then_resolve_and_discover() {
    let Some(reg) = test_registry("push_then_resolve_and_discover") else {
        return;
    };
    let p = Pusher::new(&reg);
    let repo = unique_repo("eks");
    let rego = b"package lithastra.eks\n\ndeny[msg] { false; msg := \"never\" }\n";
    let (pack, size) = push_pack(&p, &repo, "0.1.0", rego);
    let bundle = bundle_bytes();
    let referrer = push_bundle_referrer(&p, &repo, &pack, size, &bundle);

    let c = client(&reg, "ok");
    let r = Reference::parse(&format!("oci://{}/{repo}:0.1.0", reg.addr)).unwrap();
    let (desc, manifest) = resolve_pack(&c, &r).unwrap();
    assert_eq!(desc.digest, pack);
    assert_eq!(desc.media_type, OCI_MANIFEST);
    let layers = fetch_all(&c, &r, &manifest).unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].1, rego);

    let found = find_sigstore_bundles(&c, &r, &pack).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].manifest_digest, referrer);
    assert_eq!(found[0].bundle_digest, Digest::of(&bundle));
    assert_eq!(found[0].bundle_bytes, bundle);
    assert_eq!(found[0].media_type, SIGSTORE_BUNDLE_V03);

    // A reference pinned by digest resolves to the same manifest.
    let pinned = Reference::parse(&format!("oci://{}/{repo}@{pack}", reg.addr)).unwrap();
    assert_eq!(c.resolve(&pinned).unwrap().digest, pack);
    // The artifactType filter is re-applied on the fallback list.
    assert_eq!(
        c.referrers(&r, &pack, Some("application/x-none"))
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        c.referrers(&r, &pack, Some(SIGSTORE_BUNDLE_V03))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn unsigned_and_legacy_packs() {
    let Some(reg) = test_registry("unsigned_and_legacy_packs") else {
        return;
    };
    let p = Pusher::new(&reg);
    let repo = unique_repo("unsigned");
    let (pack, _) = push_pack(&p, &repo, "1.0.0", b"package unsigned\n");
    let c = client(&reg, "unsigned");
    let r = Reference::parse(&format!("oci://{}/{repo}:1.0.0", reg.addr)).unwrap();
    let e = find_sigstore_bundles(&c, &r, &pack).unwrap_err();
    assert_eq!(e.code(), "registry.no-bundle", "{e}");

    // A legacy cosign signature manifest at sha256-<hex>.sig.
    let cfg = p.push_blob(&repo, b"{}");
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{}/{repo}"}},"image":{{"docker-manifest-digest":"{pack}"}},"type":"cosign container image signature"}},"optional":null}}"#,
        reg.addr
    );
    let layer = p.push_blob(&repo, payload.as_bytes());
    let sig = serde_json::to_vec(&json!({"schemaVersion":2,"mediaType":OCI_MANIFEST,
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":cfg.to_string(),"size":2},
        "layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":layer.to_string(),"size":payload.len(),
                   "annotations":{"dev.cosignproject.cosign/signature":"MEUCIQ=="}}]}))
    .unwrap();
    p.push_manifest(
        &repo,
        &format!("sha256-{}.sig", pack.hex()),
        OCI_MANIFEST,
        &sig,
    );
    let e = find_sigstore_bundles(&c, &r, &pack).unwrap_err();
    assert_eq!(e.code(), "registry.legacy-signature-only", "{e}");
}

#[test]
fn credentials_and_ca_are_required() {
    let Some(reg) = test_registry("credentials_and_ca_are_required") else {
        return;
    };
    let p = Pusher::new(&reg);
    let repo = unique_repo("auth");
    push_pack(&p, &repo, "1", b"package auth\n");
    let r = Reference::parse(&format!("oci://{}/{repo}:1", reg.addr)).unwrap();

    // Anonymous: 401 naming the registry, repository and scope.
    let anon = RegistryClient::new(ClientOptions {
        ca_file: Some(reg.ca.clone()),
        ..ClientOptions::default()
    })
    .unwrap();
    let e = anon.resolve(&r).unwrap_err();
    assert_eq!(e.code(), "registry.unauthorized");
    let msg = e.to_string();
    assert!(
        msg.contains(&reg.addr)
            && msg.contains(&repo)
            && msg.contains(&format!("repository:{repo}:pull")),
        "{msg}"
    );

    // Without the test CA the compiled-in roots do not trust the registry.
    let no_ca = RegistryClient::new(ClientOptions {
        docker_config_dir: Some(docker_config(&reg, "no-ca")),
        ..ClientOptions::default()
    })
    .unwrap();
    assert_eq!(no_ca.resolve(&r).unwrap_err().code(), "registry.network");
}
