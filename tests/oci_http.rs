//! The registry client against an in-test loopback registry: the referrers API, the
//! Bearer token flow, Basic auth, the tag fallback, and hostile behaviour.
#![cfg(feature = "online")]

#[path = "common/corpus.rs"]
#[allow(unreachable_pub)]
mod corpus;
#[path = "common/e2e.rs"]
mod e2e;
#[path = "common/http_server.rs"]
mod http_server;
#[path = "common/vsig.rs"]
mod vsig;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_server::{Request, Response, Server};
use rulepack_verify::oci::{
    find_sigstore_bundles, resolve_pack, ArtifactSource, ClientOptions, Digest, Reference,
    RegistryClient, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, SIGSTORE_BUNDLE_V03,
};
use rulepack_verify::pack::layers::fetch_all;
use serde_json::json;

/// What the fake registry stores and how it misbehaves.
#[derive(Default)]
struct State {
    /// tag or digest → (media type, bytes)
    manifests: HashMap<String, (String, Vec<u8>)>,
    blobs: HashMap<String, Vec<u8>>,
    /// Serve `/referrers/` (else 404, forcing the tag fallback).
    referrers_api: bool,
    /// Require `Authorization: Bearer <token>`; the token service is `/token`.
    bearer: Option<String>,
    /// Require `Authorization: Basic <this>`.
    basic: Option<String>,
    /// Credentials the token service demands (`Basic …`), if any.
    token_requires: Option<String>,
}

type Hook = Box<dyn Fn(&Request, &State) -> Option<Response> + Send + Sync>;

struct Fake {
    state: Arc<Mutex<State>>,
    server: Server,
}

impl Fake {
    fn start(referrers_api: bool, hook: Option<Hook>) -> Self {
        let state = Arc::new(Mutex::new(State {
            referrers_api,
            ..State::default()
        }));
        let st = state.clone();
        let addr_cell: Arc<Mutex<String>> = Arc::new(Mutex::new(String::new()));
        let addr2 = addr_cell.clone();
        let server = Server::start(move |req| {
            let s = st.lock().unwrap();
            if let Some(h) = &hook {
                if let Some(r) = h(req, &s) {
                    return r;
                }
            }
            handle(req, &s, &addr2.lock().unwrap())
        });
        *addr_cell.lock().unwrap() = server.addr().to_owned();
        Self { state, server }
    }

    fn addr(&self) -> &str {
        self.server.addr()
    }

    fn blob(&self, bytes: &[u8]) -> Digest {
        let d = Digest::of(bytes);
        self.state
            .lock()
            .unwrap()
            .blobs
            .insert(d.to_string(), bytes.to_vec());
        d
    }

    fn manifest(&self, tag: Option<&str>, media_type: &str, bytes: &[u8]) -> Digest {
        let d = Digest::of(bytes);
        let mut s = self.state.lock().unwrap();
        s.manifests
            .insert(d.to_string(), (media_type.into(), bytes.to_vec()));
        if let Some(t) = tag {
            s.manifests
                .insert(t.into(), (media_type.into(), bytes.to_vec()));
        }
        d
    }

    /// A pack (config + one Rego layer) tagged `tag`.
    fn pack(&self, tag: &str, rego: &[u8]) -> (Digest, u64) {
        let cfg = self.blob(b"{}");
        let layer = self.blob(rego);
        let m = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.lithastra.rulepack.v1",
            "config": {"mediaType": OCI_EMPTY, "digest": cfg.to_string(), "size": 2},
            "layers": [{"mediaType": "application/vnd.lithastra.rego.v1", "digest": layer.to_string(), "size": rego.len()}]
        }))
        .unwrap();
        (self.manifest(Some(tag), OCI_MANIFEST, &m), m.len() as u64)
    }

    /// A cosign-style bundle referrer (cosign v3 `pkg/oci/remote/write.go`) of `subject`; returns its digest.
    fn bundle_referrer(&self, bundle: &[u8], subject: &Digest, size: u64) -> Digest {
        self.blob(b"{}");
        let b = self.blob(bundle);
        let m = referrer_manifest(&b, bundle.len(), subject, size);
        self.manifest(None, OCI_MANIFEST, &m)
    }

    /// The `sha256-<hex>` fallback index listing `referrers`.
    fn fallback_index(&self, subject: &Digest, referrers: &[(Digest, usize)]) {
        let idx = index_of(referrers);
        self.manifest(Some(&format!("sha256-{}", subject.hex())), OCI_INDEX, &idx);
    }

    fn client(&self, opts: ClientOptions) -> RegistryClient {
        RegistryClient::new(ClientOptions {
            insecure_registries: vec![self.addr().to_owned()],
            request_timeout: Duration::from_secs(10),
            ..opts
        })
        .unwrap()
    }

    fn reference(&self, tail: &str) -> Reference {
        Reference::parse(&format!("oci://{}/{tail}", self.addr())).unwrap()
    }
}

fn referrer_manifest(bundle: &Digest, bundle_len: usize, subject: &Digest, size: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": SIGSTORE_BUNDLE_V03,
        "config": {"mediaType": OCI_EMPTY, "artifactType": SIGSTORE_BUNDLE_V03,
                   "digest": Digest::of(b"{}").to_string(), "size": 2},
        "layers": [{"mediaType": SIGSTORE_BUNDLE_V03, "digest": bundle.to_string(), "size": bundle_len}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject.to_string(), "size": size}
    }))
    .unwrap()
}

fn index_of(referrers: &[(Digest, usize)]) -> Vec<u8> {
    let list: Vec<_> = referrers
        .iter()
        .map(|(d, n)| {
            json!({"mediaType": OCI_MANIFEST, "digest": d.to_string(), "size": n,
                              "artifactType": SIGSTORE_BUNDLE_V03})
        })
        .collect();
    serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": list}))
        .unwrap()
}

fn handle(req: &Request, s: &State, addr: &str) -> Response {
    if req.route() == "/token" {
        if let Some(need) = &s.token_requires {
            if req.header("authorization") != Some(need.as_str()) {
                return Response::new(401);
            }
        }
        let tok = s.bearer.clone().unwrap_or_default();
        return Response::ok(
            serde_json::to_vec(&json!({"token": tok, "expires_in": 300})).unwrap(),
        );
    }
    if let Some(tok) = &s.bearer {
        if req.header("authorization") != Some(&format!("Bearer {tok}")) {
            return Response::new(401).header(
                "WWW-Authenticate",
                format!(r#"Bearer realm="http://{addr}/token",service="{addr}",scope="repository:pack/eks:pull""#),
            );
        }
    }
    if let Some(b) = &s.basic {
        if req.header("authorization") != Some(b.as_str()) {
            return Response::new(401).header("WWW-Authenticate", r#"Basic realm="test""#);
        }
    }
    let route = req.route();
    let Some(rest) = route.strip_prefix("/v2/") else {
        return Response::new(404);
    };
    if let Some((_, r)) = rest.split_once("/manifests/") {
        return match s.manifests.get(r) {
            Some((mt, b)) => Response::ok(b.clone())
                .header("Content-Type", mt.clone())
                .header("Docker-Content-Digest", Digest::of(b).to_string()),
            None => Response::new(404),
        };
    }
    if let Some((_, d)) = rest.split_once("/blobs/") {
        return match s.blobs.get(d) {
            Some(b) => Response::ok(b.clone()),
            None => Response::new(404),
        };
    }
    if let Some((_, d)) = rest.split_once("/referrers/") {
        if !s.referrers_api {
            return Response::new(404);
        }
        let subject = Digest::parse(d).unwrap();
        let mut list = Vec::new();
        for (k, (mt, b)) in &s.manifests {
            if !k.starts_with("sha256:") || mt != OCI_MANIFEST {
                continue;
            }
            let v: serde_json::Value = serde_json::from_slice(b).unwrap();
            if v["subject"]["digest"] == json!(subject.to_string()) {
                let at = v["artifactType"].clone();
                if let Some(f) = req.query("artifactType") {
                    if at != json!(f.replace("%2B", "+").replace("%2F", "/")) {
                        continue;
                    }
                }
                list.push(
                    json!({"mediaType": mt, "digest": k, "size": b.len(), "artifactType": at}),
                );
            }
        }
        let mut r = Response::ok(
            serde_json::to_vec(
                &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": list}),
            )
            .unwrap(),
        )
        .header("Content-Type", OCI_INDEX);
        if req.query("artifactType").is_some() {
            r = r.header("OCI-Filters-Applied", "artifactType");
        }
        return r;
    }
    Response::new(404)
}

fn sample_bundle() -> Vec<u8> {
    // Verification is not this module's job, but the bytes are a real cosign bundle of
    // an OCI image (vendored from crates.io `sigstore` 0.15.0, see testdata/README.md).
    std::fs::read(corpus::vendored_real().join("bundle_v03.json")).unwrap()
}

fn docker_config(name: &str, registry: &str, user: &str, pass: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let auth = base64_encode(format!("{user}:{pass}").as_bytes());
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec(&json!({"auths": {format!("http://{registry}"): {"auth": auth}}}))
            .unwrap(),
    )
    .unwrap();
    dir
}

fn base64_encode(b: &[u8]) -> String {
    rulepack_verify::encoding::base64_encode(b)
}

#[test]
fn bearer_flow_referrers_api_and_pack_content() {
    let fake = Fake::start(true, None);
    fake.state.lock().unwrap().bearer = Some("tok-1".into());
    let (pack, size) = fake.pack("0.1.0", b"package eks\n");
    let bundle = sample_bundle();
    let referrer = fake.bundle_referrer(&bundle, &pack, size);
    // An unrelated referrer (an SBOM) must be ignored.
    let sbom = fake.blob(b"sbom");
    let m = serde_json::to_vec(
        &json!({"schemaVersion":2,"mediaType":OCI_MANIFEST,"artifactType":"application/spdx+json",
        "config":{"mediaType":OCI_EMPTY,"digest":Digest::of(b"{}").to_string(),"size":2},
        "layers":[{"mediaType":"application/spdx+json","digest":sbom.to_string(),"size":4}],
        "subject":{"mediaType":OCI_MANIFEST,"digest":pack.to_string(),"size":size}}),
    )
    .unwrap();
    fake.manifest(None, OCI_MANIFEST, &m);

    let client = fake.client(ClientOptions::default());
    let r = fake.reference("pack/eks:0.1.0");
    let (desc, manifest) = resolve_pack(&client, &r).unwrap();
    assert_eq!(desc.digest, pack);
    let layers = fetch_all(&client, &r, &manifest).unwrap();
    assert_eq!(layers[0].1, b"package eks\n");
    let found = find_sigstore_bundles(&client, &r, &pack).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].manifest_digest, referrer);
    assert_eq!(found[0].bundle_bytes, bundle);

    // Server-side artifactType filter (OCI-Filters-Applied) and client re-filtering.
    assert_eq!(
        client
            .referrers(&r, &pack, Some(SIGSTORE_BUNDLE_V03))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(client.referrers(&r, &pack, None).unwrap().len(), 2);

    let log = fake.server.log();
    // One token per scope, reused for every later request.
    assert_eq!(log.iter().filter(|q| q.route() == "/token").count(), 1);
    let tok = log.iter().find(|q| q.route() == "/token").unwrap();
    assert!(tok
        .query("scope")
        .unwrap()
        .contains("repository%3Apack%2Feks%3Apull"));
    assert!(
        tok.header("authorization").is_none(),
        "anonymous token request"
    );
    assert!(log.iter().any(|q| q.route().contains("/referrers/")));
    assert!(log
        .iter()
        .filter(|q| q.route().starts_with("/v2/") && q.header("authorization").is_some())
        .all(|q| q.header("authorization") == Some("Bearer tok-1")));
}

#[test]
fn token_with_docker_config_credentials() {
    let fake = Fake::start(true, None);
    let basic = format!("Basic {}", base64_encode(b"alice:pw"));
    {
        let mut s = fake.state.lock().unwrap();
        s.bearer = Some("tok-alice".into());
        s.token_requires = Some(basic.clone());
    }
    let (pack, _) = fake.pack("1", b"x");
    let dir = docker_config("cfg-ok", fake.addr(), "alice", "pw");
    let client = fake.client(ClientOptions {
        docker_config_dir: Some(dir),
        ..ClientOptions::default()
    });
    assert_eq!(
        client
            .resolve(&fake.reference("pack/eks:1"))
            .unwrap()
            .digest,
        pack
    );
    let log = fake.server.log();
    let tok = log.iter().find(|q| q.route() == "/token").unwrap();
    assert_eq!(tok.header("authorization"), Some(basic.as_str()));

    // Wrong password: the token service refuses, and the error names everything.
    let dir = docker_config("cfg-bad", fake.addr(), "alice", "nope");
    let client = fake.client(ClientOptions {
        docker_config_dir: Some(dir),
        ..ClientOptions::default()
    });
    let e = client.resolve(&fake.reference("pack/eks:1")).unwrap_err();
    assert_eq!(e.code(), "registry.unauthorized");
    let msg = e.to_string();
    assert!(
        msg.contains(fake.addr())
            && msg.contains("pack/eks")
            && msg.contains("repository:pack/eks:pull"),
        "{msg}"
    );
}

#[test]
fn basic_auth_and_tag_fallback() {
    let fake = Fake::start(false, None);
    let basic = format!("Basic {}", base64_encode(b"bob:secret"));
    fake.state.lock().unwrap().basic = Some(basic.clone());
    let (pack, size) = fake.pack("1", b"package x\n");
    let bundle = sample_bundle();
    let referrer = fake.bundle_referrer(&bundle, &pack, size);
    let rlen = fake.state.lock().unwrap().manifests[&referrer.to_string()]
        .1
        .len();
    fake.fallback_index(&pack, &[(referrer, rlen)]);
    let r = fake.reference("pack/eks:1");

    let anon = fake.client(ClientOptions::default());
    assert_eq!(
        anon.resolve(&r).unwrap_err().code(),
        "registry.unauthorized"
    );

    let dir = docker_config("cfg-basic", fake.addr(), "bob", "secret");
    let client = fake.client(ClientOptions {
        docker_config_dir: Some(dir),
        ..ClientOptions::default()
    });
    let found = find_sigstore_bundles(&client, &r, &pack).unwrap();
    assert_eq!(found[0].bundle_bytes, bundle);
    let log = fake.server.log();
    assert!(log.iter().any(|q| q.route().contains("/referrers/")));
    assert!(log.iter().any(|q| q
        .route()
        .ends_with(&format!("/manifests/sha256-{}", pack.hex()))));
}

#[test]
fn no_bundle_and_legacy_signature() {
    let fake = Fake::start(false, None);
    let (pack, _) = fake.pack("1", b"x");
    let client = fake.client(ClientOptions::default());
    let r = fake.reference("pack/eks:1");
    let e = find_sigstore_bundles(&client, &r, &pack).unwrap_err();
    assert_eq!(e.code(), "registry.no-bundle");
    assert!(e
        .to_string()
        .starts_with("no Sigstore bundle is attached to oci://"));

    let sig = serde_json::to_vec(&json!({"schemaVersion":2,"mediaType":OCI_MANIFEST,
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":Digest::of(b"{}").to_string(),"size":2},
        "layers":[]})).unwrap();
    fake.manifest(
        Some(&format!("sha256-{}.sig", pack.hex())),
        OCI_MANIFEST,
        &sig,
    );
    let e = find_sigstore_bundles(&client, &r, &pack).unwrap_err();
    assert_eq!(e.code(), "registry.legacy-signature-only");
}

#[test]
fn fallback_tag_pointing_at_the_subject() {
    let fake = Fake::start(false, None);
    let (pack, _) = fake.pack("1", b"x");
    let bytes = fake.state.lock().unwrap().manifests["1"].1.clone();
    // oras-go#1396: the registry resolves sha256-<hex> to the subject itself.
    fake.manifest(
        Some(&format!("sha256-{}", pack.hex())),
        OCI_MANIFEST,
        &bytes,
    );
    let client = fake.client(ClientOptions::default());
    let e = find_sigstore_bundles(&client, &fake.reference("pack/eks:1"), &pack).unwrap_err();
    assert_eq!(e.code(), "registry.fallback-is-subject");

    // A fallback tag holding some other image manifest: not an index.
    let (_, _) = fake.pack("other", b"y");
    let other = fake.state.lock().unwrap().manifests["other"].1.clone();
    fake.manifest(
        Some(&format!("sha256-{}", pack.hex())),
        OCI_MANIFEST,
        &other,
    );
    let e = find_sigstore_bundles(&client, &fake.reference("pack/eks:1"), &pack).unwrap_err();
    assert_eq!(e.code(), "registry.fallback-not-index");
}

#[test]
fn referrer_with_another_subject() {
    let fake = Fake::start(false, None);
    let (pack, _) = fake.pack("1", b"x");
    let elsewhere = Digest::of(b"another artifact");
    let referrer = fake.bundle_referrer(&sample_bundle(), &elsewhere, 10);
    let rlen = fake.state.lock().unwrap().manifests[&referrer.to_string()]
        .1
        .len();
    fake.fallback_index(&pack, &[(referrer, rlen)]);
    let client = fake.client(ClientOptions::default());
    let e = find_sigstore_bundles(&client, &fake.reference("pack/eks:1"), &pack).unwrap_err();
    assert_eq!(e.code(), "registry.subject-mismatch");
    assert!(e.to_string().contains(&elsewhere.to_string()));
}

#[test]
fn wrong_digests() {
    let fake = Fake::start(
        true,
        Some(Box::new(|req, _| {
            // The blob for the layer "right" is served with other bytes.
            let right = Digest::of(b"right").to_string();
            if req.route().ends_with(&format!("/blobs/{right}")) {
                return Some(Response::ok(&b"wrong"[..]));
            }
            if req.route().ends_with("/manifests/lying") {
                return Some(
                    Response::ok(&br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"a","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#[..])
                        .header("Content-Type", OCI_MANIFEST)
                        .header("Docker-Content-Digest", Digest::of(b"something else").to_string()),
                );
            }
            None
        })),
    );
    let (pack, _) = fake.pack("1", b"x");
    let client = fake.client(ClientOptions::default());
    let r = fake.reference("pack/eks:1");
    let right = Digest::of(b"right");
    let e = client.fetch_blob(&r, &right, 100).unwrap_err();
    assert_eq!(e.code(), "registry.digest-mismatch");
    assert!(
        e.to_string().contains(&right.to_string())
            && e.to_string().contains(&Digest::of(b"wrong").to_string())
    );

    let e = client
        .resolve(&fake.reference("pack/eks:lying"))
        .unwrap_err();
    assert_eq!(e.code(), "registry.digest-mismatch");

    // Pinned reference whose manifest hashes to something else: the registry serves
    // the tag's bytes under any digest path.
    let other = Digest::of(b"not the pack");
    let bytes = fake.state.lock().unwrap().manifests["1"].clone();
    fake.state
        .lock()
        .unwrap()
        .manifests
        .insert(other.to_string(), bytes);
    let pinned = fake.reference(&format!("pack/eks:1@{other}"));
    assert_eq!(
        client.resolve(&pinned).unwrap_err().code(),
        "registry.digest-mismatch"
    );
    assert_eq!(
        client.fetch_manifest(&r, &other).unwrap_err().code(),
        "registry.digest-mismatch"
    );
    let good = fake.reference(&format!("pack/eks@{pack}"));
    assert_eq!(client.resolve(&good).unwrap().digest, pack);
}

#[test]
fn oversized_bodies_are_cut_while_reading() {
    let limit = rulepack_verify::limits::MAX_MANIFEST_BYTES;
    let fake = Fake::start(
        true,
        Some(Box::new(move |req, _| {
            if req.route().ends_with("/manifests/huge") {
                // No Content-Length: the cap must come from reading, not the header.
                let mut body = br#"{"schemaVersion":2,"x":""#.to_vec();
                body.resize(limit + 10, b'a');
                return Some(
                    Response::ok(body)
                        .header("Content-Type", OCI_MANIFEST)
                        .no_length(),
                );
            }
            if req.route().ends_with("/manifests/liar") {
                return Some(
                    Response::ok(vec![b' '; limit + 10])
                        .header("Content-Type", OCI_MANIFEST)
                        .header("Content-Length", "10")
                        .no_length(),
                );
            }
            None
        })),
    );
    let client = fake.client(ClientOptions::default());
    let e = client
        .resolve(&fake.reference("pack/eks:huge"))
        .unwrap_err();
    assert_eq!(e.code(), "registry.too-large");
    // A small Content-Length with a large body: at most the declared bytes are read,
    // and they are not a manifest.
    let e = client
        .resolve(&fake.reference("pack/eks:liar"))
        .unwrap_err();
    assert_eq!(e.code(), "registry.invalid-manifest", "{e}");

    // A blob larger than its descriptor says.
    let big = fake.blob(&vec![7u8; 1000]);
    let e = client
        .fetch_blob(&fake.reference("pack/eks:1"), &big, 999)
        .unwrap_err();
    assert_eq!(e.code(), "registry.too-large");
}

#[test]
fn endless_pagination() {
    let fake = Fake::start(
        true,
        Some(Box::new(|req, _| {
            if req.route().contains("/referrers/") {
                let n: u32 = req.query("page").and_then(|p| p.parse().ok()).unwrap_or(0);
                let body = serde_json::to_vec(
                    &json!({"schemaVersion":2,"mediaType":OCI_INDEX,"manifests":[]}),
                )
                .unwrap();
                return Some(Response::ok(body).header("Content-Type", OCI_INDEX).header(
                    "Link",
                    format!(r#"<{}?page={}>; rel="next""#, req.route(), n + 1),
                ));
            }
            None
        })),
    );
    let client = fake.client(ClientOptions::default());
    let subject = Digest::of(b"s");
    let e = client
        .referrers(&fake.reference("pack/eks:1"), &subject, None)
        .unwrap_err();
    assert_eq!(e.code(), "registry.too-many-referrer-pages");
    let pages = fake
        .server
        .log()
        .iter()
        .filter(|q| q.route().contains("/referrers/"))
        .count();
    assert_eq!(pages, rulepack_verify::limits::MAX_REFERRER_PAGES);
}

#[test]
fn two_pages_of_referrers() {
    let fake = Fake::start(
        true,
        Some(Box::new(|req, s| {
            if req.route().contains("/referrers/") {
                let list: Vec<_> = s
                    .manifests
                    .iter()
                    .filter(|(k, (mt, _))| k.starts_with("sha256:") && mt == OCI_MANIFEST)
                    .filter(|(_, (_, b))| String::from_utf8_lossy(b).contains("subject"))
                    .map(|(k, (mt, b))| json!({"mediaType": mt, "digest": k, "size": b.len(), "artifactType": SIGSTORE_BUNDLE_V03}))
                    .collect();
                let (page, link) = if req.query("page").is_none() {
                    (
                        vec![],
                        Some(format!("<{}?page=2>; rel=\"next\"", req.route())),
                    )
                } else {
                    (list, None)
                };
                let mut r = Response::ok(
                    serde_json::to_vec(
                        &json!({"schemaVersion":2,"mediaType":OCI_INDEX,"manifests":page}),
                    )
                    .unwrap(),
                )
                .header("Content-Type", OCI_INDEX);
                if let Some(l) = link {
                    r = r.header("Link", l);
                }
                return Some(r);
            }
            None
        })),
    );
    let (pack, size) = fake.pack("1", b"x");
    fake.bundle_referrer(&sample_bundle(), &pack, size);
    let client = fake.client(ClientOptions::default());
    let found = find_sigstore_bundles(&client, &fake.reference("pack/eks:1"), &pack).unwrap();
    assert_eq!(found.len(), 1);
}

/// A registry that takes Basic auth as `carol:pw` and answers the authenticated request
/// for the blob `layer bytes` with a redirect to `http://<target>/blob`; returns it and
/// its `Authorization` value.
fn redirecting_to(target: &str) -> (Fake, String) {
    let target = target.to_owned();
    let basic = format!("Basic {}", base64_encode(b"carol:pw"));
    let b2 = basic.clone();
    let fake = Fake::start(
        true,
        Some(Box::new(move |req, _| {
            let d = Digest::of(b"layer bytes").to_string();
            // Only authenticated requests are redirected (else the 401 challenge).
            if req.route().ends_with(&format!("/blobs/{d}"))
                && req.header("authorization") == Some(b2.as_str())
            {
                return Some(
                    Response::new(307).header("Location", format!("http://{target}/blob")),
                );
            }
            None
        })),
    );
    fake.state.lock().unwrap().basic = Some(basic.clone());
    (fake, basic)
}

/// A redirect target (another host) that answers 401 with its own token realm must not
/// receive the registry's credentials at that realm: only the registry may challenge.
#[test]
fn challenge_from_a_redirect_target_gets_no_credentials() {
    let realm = Server::start(|_| Response::ok(&br#"{"token":"stolen"}"#[..]));
    let realm_addr = realm.addr().to_owned();
    let storage = Server::start(move |_| {
        Response::new(401).header(
            "WWW-Authenticate",
            format!(r#"Bearer realm="http://{realm_addr}/token",service="x""#),
        )
    });
    let (fake, _) = redirecting_to(storage.addr());
    let dir = docker_config("cfg-redirect-401", fake.addr(), "carol", "pw");
    let client = RegistryClient::new(ClientOptions {
        insecure_registries: vec![
            fake.addr().to_owned(),
            storage.addr().to_owned(),
            realm.addr().to_owned(),
        ],
        docker_config_dir: Some(dir),
        ..ClientOptions::default()
    })
    .unwrap();
    let r = fake.reference("pack/eks:1");
    // Twice: the second request starts with the registry's cached credentials, so the
    // redirect target's 401 is the first challenge of that request.
    for _ in 0..2 {
        let e = client
            .fetch_blob(&r, &Digest::of(b"layer bytes"), 100)
            .unwrap_err();
        assert_eq!(e.code(), "registry.unauthorized", "{e}");
    }
    // The foreign realm was never asked, so it never saw the credentials.
    assert!(realm.log().is_empty(), "the realm was contacted");
    assert!(storage
        .log()
        .iter()
        .all(|q| q.header("authorization").is_none()));
}

#[test]
fn cross_host_redirect_drops_credentials() {
    let storage = Server::start(|req| {
        if req.route() == "/blob" {
            Response::ok(&b"layer bytes"[..])
        } else {
            Response::new(404)
        }
    });
    let (fake, basic) = redirecting_to(storage.addr());
    let dir = docker_config("cfg-redirect", fake.addr(), "carol", "pw");
    let client = RegistryClient::new(ClientOptions {
        insecure_registries: vec![fake.addr().to_owned(), storage.addr().to_owned()],
        docker_config_dir: Some(dir),
        ..ClientOptions::default()
    })
    .unwrap();
    let r = fake.reference("pack/eks:1");
    let bytes = client
        .fetch_blob(&r, &Digest::of(b"layer bytes"), 100)
        .unwrap();
    assert_eq!(bytes, b"layer bytes");
    // The registry saw the credentials; the storage host never did.
    assert!(fake
        .server
        .log()
        .iter()
        .any(|q| q.header("authorization") == Some(basic.as_str())));
    let slog = storage.log();
    assert_eq!(slog.len(), 1);
    assert!(slog[0].header("authorization").is_none());

    // A redirect to a plain-HTTP host nobody marked insecure is refused.
    let strict = RegistryClient::new(ClientOptions {
        insecure_registries: vec![fake.addr().to_owned()],
        docker_config_dir: Some(docker_config("cfg-redirect2", fake.addr(), "carol", "pw")),
        ..ClientOptions::default()
    })
    .unwrap();
    let e = strict
        .fetch_blob(&r, &Digest::of(b"layer bytes"), 100)
        .unwrap_err();
    assert_eq!(e.code(), "registry.insecure-not-allowed");
}

#[test]
fn redirect_loop_is_bounded() {
    let fake = Fake::start(
        true,
        Some(Box::new(|req, _| {
            if req.route().contains("/blobs/") {
                return Some(Response::new(302).header("Location", req.path.clone()));
            }
            None
        })),
    );
    let client = fake.client(ClientOptions::default());
    let e = client
        .fetch_blob(&fake.reference("pack/eks:1"), &Digest::of(b"x"), 10)
        .unwrap_err();
    assert_eq!(e.code(), "registry.bad-redirect");
    let hops = fake.server.log().len() as u32;
    assert_eq!(hops, rulepack_verify::limits::MAX_HTTP_REDIRECTS + 1);
}

#[test]
fn slow_response_times_out() {
    let fake = Fake::start(
        true,
        Some(Box::new(|_, _| {
            Some(Response::ok(&b"{}"[..]).delay(Duration::from_secs(4)))
        })),
    );
    let client = RegistryClient::new(ClientOptions {
        insecure_registries: vec![fake.addr().to_owned()],
        request_timeout: Duration::from_secs(1),
        ..ClientOptions::default()
    })
    .unwrap();
    // Answered after 4 s with a body that is no manifest: only the 1 s timeout gives
    // this code.
    let e = client.resolve(&fake.reference("pack/eks:1")).unwrap_err();
    assert_eq!(e.code(), "registry.timeout", "{e}");
}

#[test]
fn forbidden_and_rate_limited() {
    let fake = Fake::start(
        true,
        Some(Box::new(|req, _| {
            if req.route().ends_with("/manifests/forbidden") {
                return Some(Response::new(403));
            }
            if req.route().ends_with("/manifests/busy") {
                return Some(Response::new(429).header("Retry-After", "120"));
            }
            None
        })),
    );
    let client = fake.client(ClientOptions::default());
    let e = client
        .resolve(&fake.reference("pack/eks:forbidden"))
        .unwrap_err();
    assert_eq!(e.code(), "registry.forbidden");
    assert!(e.to_string().contains("repository:pack/eks:pull"));
    let e = client
        .resolve(&fake.reference("pack/eks:busy"))
        .unwrap_err();
    assert_eq!(e.code(), "registry.rate-limited");
    assert!(e.to_string().contains("retry after 120"), "{e}");
    assert_eq!(
        client
            .resolve(&fake.reference("pack/eks:absent"))
            .unwrap_err()
            .code(),
        "registry.not-found"
    );
}

#[test]
fn plain_http_needs_explicit_marking() {
    let fake = Fake::start(true, None);
    fake.pack("1", b"x");
    // Not marked insecure: the client speaks TLS to a plain-HTTP server and fails.
    let client = RegistryClient::new(ClientOptions {
        request_timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    })
    .unwrap();
    let e = client.resolve(&fake.reference("pack/eks:1")).unwrap_err();
    assert_eq!(e.code(), "registry.network", "{e}");
    assert!(
        fake.server.log().is_empty(),
        "no plain HTTP request was made"
    );

    // A loopback mirror may be plain HTTP; the reference keeps its logical name.
    let mut mirrors = HashMap::new();
    mirrors.insert("ghcr.io".to_owned(), format!("http://{}", fake.addr()));
    let client = RegistryClient::new(ClientOptions {
        mirrors,
        ..ClientOptions::default()
    })
    .unwrap();
    let r = Reference::parse("oci://ghcr.io/pack/eks:1").unwrap();
    assert!(client.resolve(&r).is_ok());
    assert_eq!(
        client.endpoint("ghcr.io"),
        format!("http://{}", fake.addr())
    );
}

/// HTTP requests `verify --config` made, by kind. `challenges` are the unauthenticated
/// `/v2/` requests (each answered 401 with a Bearer challenge); the other `/v2/` kinds
/// count authorized requests only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    challenges: usize,
    tokens: usize,
    manifest_get: usize,
    manifest_head: usize,
    referrers: usize,
    blobs: usize,
    other: usize,
}

impl Counts {
    fn of(log: &[Request]) -> Self {
        let mut c = Self::default();
        for q in log {
            let r = q.route();
            if r == "/token" {
                c.tokens += 1;
            } else if r.starts_with("/v2/") && q.header("authorization").is_none() {
                c.challenges += 1;
            } else if r.contains("/manifests/") && q.method == "HEAD" {
                c.manifest_head += 1;
            } else if r.contains("/manifests/") {
                c.manifest_get += 1;
            } else if r.contains("/referrers/") {
                c.referrers += 1;
            } else if r.contains("/blobs/") {
                c.blobs += 1;
            } else {
                c.other += 1;
            }
        }
        c
    }

    fn total(&self) -> usize {
        self.challenges
            + self.tokens
            + self.manifest_get
            + self.manifest_head
            + self.referrers
            + self.blobs
            + self.other
    }
}

/// Bearer auth with one token per repository scope, as ghcr.io does: `/v2/<repo>/…`
/// needs the token the realm issues for `repository:<repo>:pull`, else 401 with a
/// challenge naming that scope.
fn scoped_bearer() -> Hook {
    Box::new(|req, _| {
        let token_for = |scope: &str| format!("t-{}", scope.replace('%', "."));
        if req.route() == "/token" {
            let scope = req.query("scope").unwrap_or_default();
            return Some(Response::ok(
                serde_json::to_vec(&json!({"token": token_for(scope), "expires_in": 300})).unwrap(),
            ));
        }
        let rest = req.route().strip_prefix("/v2/")?;
        let repo = ["/manifests/", "/blobs/", "/referrers/"]
            .iter()
            .find_map(|sep| rest.split_once(sep).map(|(repo, _)| repo))?;
        // The client's query escaping of `repository:<repo>:pull`.
        let want = token_for(&format!("repository%3A{}%3Apull", repo.replace('/', "%2F")));
        if req.header("authorization") == Some(format!("Bearer {want}").as_str()) {
            return None;
        }
        let host = req.header("host").unwrap_or_default();
        Some(Response::new(401).header(
            "WWW-Authenticate",
            format!(r#"Bearer realm="http://{host}/token",service="{host}",scope="repository:{repo}:pull""#),
        ))
    })
}

/// Publishes `n` packs signed by the virtual Sigstore on `fake` and writes a values
/// file (plus `extra` lines under `rulePacks:`) trusting their signer; returns the
/// directory (with `home/`) and the values file. `shared_repo`: all packs are tags of
/// one repository (one token scope), else each pack has its own repository
/// (`acme/rules/p<i>`). `referrers_api`: whether the fake serves the referrers API;
/// without it the packs carry the `sha256-<hex>` fallback index.
fn publish_signed(
    fake: &Fake,
    n: usize,
    referrers_api: bool,
    shared_repo: bool,
    extra: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut vs = vsig::VirtualSigstore::new(7_000_007);
    let dir = e2e::temp_dir("requests");
    std::fs::write(dir.join("trusted_root.json"), vs.trusted_root_json()).unwrap();
    let opts = e2e::gha_sign_options("acme/rules", "refs/tags/v1.0.0", e2e::T0);
    let mut extras = String::new();
    for i in 0..n {
        let version = format!("1.0.{i}");
        let rego = format!("package p{i}\n");
        let pack = e2e::BuiltPack::new(&version, &[("p.rego", rego.as_bytes())]);
        let signed = pack.sign(&mut vs, &opts);
        fake.blob(b"{}");
        fake.blob(rego.as_bytes());
        let digest = fake.manifest(Some(&version), OCI_MANIFEST, &pack.manifest);
        assert_eq!(digest.to_string(), pack.digest);
        let r = &signed.referrer;
        fake.blob(&r.layer);
        let rd = fake.manifest(None, OCI_MANIFEST, &r.manifest);
        if !referrers_api {
            fake.fallback_index(&digest, &[(rd, r.manifest.len())]);
        }
        let repo = if shared_repo {
            "acme/rules".to_owned()
        } else {
            format!("acme/rules/p{i}")
        };
        extras.push_str(&format!("    - oci://{}/{repo}:{version}\n", fake.addr()));
    }
    let values = dir.join("values.yaml");
    std::fs::write(
        &values,
        format!(
            "rulePacks:\n  trustedRoot: trusted_root.json\n{}{extra}  extras:\n{extras}",
            e2e::TRUSTED_ACME
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("home")).unwrap();
    (dir, values)
}

/// `rulepack-verify verify --config values.yaml --insecure-registry FAKE --output json
/// ARGS…` (the CLI binary).
fn verify_config(
    fake: &Fake,
    dir: &std::path::Path,
    values: &std::path::Path,
    args: &[&str],
) -> e2e::Run {
    let mut argv = e2e::verify_args(
        values,
        &["--insecure-registry", fake.addr(), "--output", "json"],
    );
    argv.extend_from_slice(args);
    e2e::run_cli(&dir.join("home"), &argv, &[])
}

/// `rulepack-verify verify --config` (the CLI binary, default jobs) over `n` packs
/// signed by the virtual Sigstore on one loopback registry with scoped Bearer auth;
/// every pack must verify (see [`publish_signed`] for the layouts).
fn verify_config_requests(n: usize, referrers_api: bool, shared_repo: bool) -> Counts {
    let fake = Fake::start(referrers_api, Some(scoped_bearer()));
    let (dir, values) = publish_signed(&fake, n, referrers_api, shared_repo, "");
    let run = verify_config(&fake, &dir, &values, &[]);
    assert_eq!(run.code, 0, "{run}");
    let packs = run.packs();
    assert_eq!(packs.len(), n, "{run}");
    assert!(packs.iter().all(|p| p["status"] == "verified"), "{run}");
    let c = Counts::of(&fake.server.log());
    eprintln!(
        "verify --config, {n} pack(s), {}, {}: {c:?}, total {}",
        if referrers_api {
            "referrers API"
        } else {
            "tag fallback"
        },
        if shared_repo {
            "one repository"
        } else {
            "one repository per pack"
        },
        c.total()
    );
    c
}

/// The counts `verify --config` must make over `n` packs: per pack one manifest GET
/// (the tag, whose bytes are kept), one referrers request, one referrer manifest GET and
/// one bundle blob GET, plus the `sha256-<hex>` fallback tag GET when the referrers API
/// answers 404; one 401 challenge per registry; one token per repository scope.
fn expected(n: usize, referrers_api: bool, shared_repo: bool) -> Counts {
    Counts {
        challenges: 1,
        tokens: if shared_repo { 1 } else { n },
        manifest_get: if referrers_api { 2 * n } else { 3 * n },
        manifest_head: 0,
        referrers: n,
        blobs: n,
        other: 0,
    }
}

/// `verify --config` over N packs on one registry makes at most 5 requests per
/// pack after the first token (its 401 challenge and token request), and N = 10 costs
/// exactly 10 times one pack: nothing is fetched twice and concurrent workers share the
/// challenge and each scope's token.
#[test]
fn verify_config_requests_per_pack_referrers_api() {
    for shared_repo in [false, true] {
        let one = verify_config_requests(1, true, shared_repo);
        let ten = verify_config_requests(10, true, shared_repo);
        assert_eq!(one, expected(1, true, shared_repo));
        assert_eq!(ten, expected(10, true, shared_repo));
        // After the first token: 4 per pack in one repository; 4 + its own token (5) per
        // further pack with one repository per pack (49 for N = 10).
        let after_first_token = |c: Counts| c.total() - 2;
        assert_eq!(after_first_token(one), 4);
        assert!(after_first_token(ten) <= 5 * 10, "{ten:?}");
        assert_eq!(
            after_first_token(ten),
            if shared_repo { 40 } else { 49 },
            "{ten:?}"
        );
        // Exactly 10 times the per-pack requests: the registry's one challenge (and,
        // in one repository, its one token) is the only shared cost.
        let shared = if shared_repo { 2 } else { 1 };
        assert_eq!(ten.total() - shared, 10 * (one.total() - shared));
    }
}

/// The same without the referrers API: each pack's referrers request is answered 404
/// and the `sha256-<hex>` tag is fetched instead, one request more per pack (5 after
/// the first token in one repository, 6 with a token per repository).
#[test]
fn verify_config_requests_per_pack_tag_fallback() {
    for shared_repo in [false, true] {
        let one = verify_config_requests(1, false, shared_repo);
        let ten = verify_config_requests(10, false, shared_repo);
        assert_eq!(one, expected(1, false, shared_repo));
        assert_eq!(ten, expected(10, false, shared_repo));
        assert_eq!(one.total() - 2, 5);
        assert_eq!(ten.total() - 2, if shared_repo { 50 } else { 59 });
        let shared = if shared_repo { 2 } else { 1 };
        assert_eq!(ten.total() - shared, 10 * (one.total() - shared));
    }
}

/// Once the registry has challenged, a token for another repository is asked of the
/// same realm directly (no second 401), with that repository's scope; a realm that
/// refuses the scope leaves the decision to the registry's own challenge.
#[test]
fn known_realm_serves_further_scopes_without_a_challenge() {
    let fake = Fake::start(
        true,
        Some(Box::new(|req, s| {
            // The realm refuses anonymous tokens for acme/secret.
            if req.route() == "/token"
                && req.query("scope") == Some("repository%3Aacme%2Fsecret%3Apull")
            {
                return Some(Response::new(401));
            }
            scoped_bearer()(req, s)
        })),
    );
    fake.pack("1", b"x");
    let client = fake.client(ClientOptions::default());
    client.resolve(&fake.reference("acme/a:1")).unwrap();
    client.resolve(&fake.reference("acme/b:1")).unwrap();
    client.resolve(&fake.reference("acme/b:1")).unwrap();
    let c = Counts::of(&fake.server.log());
    assert_eq!((c.challenges, c.tokens, c.manifest_get), (1, 2, 3), "{c:?}");
    let scopes: Vec<_> = fake
        .server
        .log()
        .iter()
        .filter(|q| q.route() == "/token")
        .map(|q| q.query("scope").unwrap().to_owned())
        .collect();
    assert_eq!(
        scopes,
        [
            "repository%3Aacme%2Fa%3Apull",
            "repository%3Aacme%2Fb%3Apull"
        ]
    );

    let e = client
        .resolve(&fake.reference("acme/secret:1"))
        .unwrap_err();
    assert_eq!(e.code(), "registry.unauthorized", "{e}");
    let c = Counts::of(&fake.server.log());
    // Refused token, the registry's challenge, refused token again.
    assert_eq!((c.challenges, c.tokens, c.manifest_get), (2, 4, 3), "{c:?}");
}

// ---------------------------------------------------------------------------------
// Time: dead and slow registries, deadlines, retries.
// ---------------------------------------------------------------------------------

/// A registry that accepts TCP connections and reads requests but never answers. It
/// records when each request arrived; connections stay open until the server drops.
struct Silent {
    addr: String,
    arrivals: Arc<Mutex<Vec<(Instant, String)>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Silent {
    fn start() -> Self {
        use std::io::{BufRead, BufReader};
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let arrivals: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (a2, s2) = (arrivals.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (a3, s3) = (a2.clone(), s2.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn);
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) > 0 {
                        let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                        a3.lock().unwrap().push((Instant::now(), path));
                    }
                    // Hold the connection open, silent.
                    while !s3.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                });
            }
        });
        Self {
            addr,
            arrivals,
            stop,
        }
    }

    fn arrivals(&self) -> Vec<(Instant, String)> {
        self.arrivals.lock().unwrap().clone()
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(&self.addr);
    }
}

/// Resolves `oci://ADDR/acme/p<i>:1` for i in 0..n at the same time, each on its own
/// thread; returns each result's error code (or "ok") and the instant it finished.
fn resolve_concurrently(client: &RegistryClient, addr: &str, n: usize) -> Vec<(String, Instant)> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let r = Reference::parse(&format!("oci://{addr}/acme/p{i}:1")).unwrap();
                s.spawn(move || {
                    let res = client.resolve(&r);
                    let code = res.map_or_else(|e| e.code().to_owned(), |_| "ok".to_owned());
                    (code, Instant::now())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// A registry that accepts TCP and never answers costs one request timeout for all the
/// packs on it, not one per pack: the first request's failure marks it down and every
/// pack waiting behind that first contact fails at once. (Before: the per-origin gate
/// passed from pack to pack and each waited a full timeout again, 4 packs failing at
/// 1, 2, 3 and 4 timeouts.)
#[test]
fn dead_registry_costs_one_timeout_not_one_per_pack() {
    let silent = Silent::start();
    let timeout = Duration::from_secs(1);
    let client = RegistryClient::new(ClientOptions {
        insecure_registries: vec![silent.addr.clone()],
        request_timeout: timeout,
        ..ClientOptions::default()
    })
    .unwrap();
    let results = resolve_concurrently(&client, &silent.addr, 4);
    for (code, _) in &results {
        assert_eq!(code, "registry.timeout");
    }
    // One request waited out the timeout; the others learned that the registry is down
    // and sent nothing (the old code sent 4, one after the other, each waiting out the
    // timeout).
    assert_eq!(silent.arrivals().len(), 1, "{:?}", silent.arrivals());
}

/// When the first contact with a registry takes longer than `first_contact_wait`, the
/// other packs stop waiting for it and send their own requests: with a silent registry
/// all of them are in flight before the first one times out, so they fail together.
/// (Before: each waited for the previous one's timeout before sending anything.)
#[test]
fn packs_stop_waiting_for_a_stalled_first_contact() {
    let silent = Silent::start();
    let client = RegistryClient::new(ClientOptions {
        insecure_registries: vec![silent.addr.clone()],
        request_timeout: Duration::from_millis(1500),
        first_contact_wait: Duration::from_millis(200),
        ..ClientOptions::default()
    })
    .unwrap();
    let results = resolve_concurrently(&client, &silent.addr, 4);
    let first_failure = results.iter().map(|(_, t)| *t).min().unwrap();
    let arrivals = silent.arrivals();
    assert!(
        results.iter().all(|(c, _)| c == "registry.timeout"),
        "{results:?}"
    );
    assert_eq!(arrivals.len(), 4, "{arrivals:?}");
    assert!(
        arrivals.iter().all(|(t, _)| *t < first_failure),
        "every pack's request was sent before the first one timed out"
    );
}

/// One request that stalls (here the very first request to the registry, which would
/// have told the others how it authenticates) holds up no other pack: the other packs
/// get their own challenge and token and finish while it is still pending, and its
/// timeout does not mark a registry that answers everything else as down. (Before: no
/// other pack sent anything until the stalled request timed out.)
#[test]
fn one_stalled_request_holds_up_no_other_pack() {
    let fake = Fake::start(
        true,
        Some(Box::new(|req, s| {
            if req.route().starts_with("/v2/acme/stall/") {
                return Some(Response::new(404).delay(Duration::from_secs(8)));
            }
            scoped_bearer()(req, s)
        })),
    );
    fake.pack("1", b"x");
    let client = RegistryClient::new(ClientOptions {
        insecure_registries: vec![fake.addr().to_owned()],
        request_timeout: Duration::from_secs(3),
        first_contact_wait: Duration::from_millis(300),
        ..ClientOptions::default()
    })
    .unwrap();
    let client = &client;
    let stall = fake.reference("acme/stall:1");
    std::thread::scope(|s| {
        let stalled = s.spawn(move || {
            let e = client.resolve(&stall).unwrap_err();
            (e.code().to_owned(), Instant::now())
        });
        // The stalled request is the registry's first contact.
        while fake.server.log().is_empty() {
            std::thread::sleep(Duration::from_millis(10));
        }
        let others: Vec<_> = (0..9)
            .map(|i| {
                let r = fake.reference(&format!("acme/p{i}:1"));
                s.spawn(move || (client.resolve(&r).map(|d| d.digest), Instant::now()))
            })
            .collect();
        let others: Vec<_> = others.into_iter().map(|h| h.join().unwrap()).collect();
        let (code, stalled_at) = stalled.join().unwrap();
        assert_eq!(code, "registry.timeout");
        for (res, done) in &others {
            assert!(res.is_ok(), "{res:?}");
            assert!(
                *done < stalled_at,
                "a pack finished only after the stalled request timed out"
            );
        }
    });
    // The registry kept answering: it is not marked down.
    assert!(client.resolve(&fake.reference("acme/after:1")).is_ok());
}

/// A deadline cuts a request short: a registry that would answer in 5 s (within the
/// 10 s request timeout) fails the request at the 1 s deadline, as the deadline.
#[test]
fn a_deadline_cuts_a_slow_request_short() {
    use rulepack_verify::oci::{Deadline, DeadlineKind};
    let fake = Fake::start(
        true,
        Some(Box::new(|_, _| {
            Some(Response::new(404).delay(Duration::from_secs(5)))
        })),
    );
    let client = fake.client(ClientOptions::default());
    let deadline = Deadline::after(DeadlineKind::Pack, Duration::from_secs(1));
    let e = client
        .until(deadline)
        .resolve(&fake.reference("acme/a:1"))
        .unwrap_err();
    // The registry answers 404 after 5 s, well inside the 60 s request timeout: only the
    // deadline cutting the request short gives this code.
    assert_eq!(e.code(), "registry.deadline-exceeded", "{e}");
    assert!(e.to_string().contains("pack's deadline of 1 s"), "{e}");
    // Once passed, nothing more is sent.
    let n = fake.server.log().len();
    let e = client
        .until(deadline)
        .resolve(&fake.reference("acme/b:1"))
        .unwrap_err();
    assert_eq!(e.code(), "registry.deadline-exceeded");
    assert_eq!(fake.server.log().len(), n);
}

/// A registry that answers every request slowly, but within the request timeout: the
/// pack's deadline (command line, or `rulePacks.timeouts` in the values file) fails the
/// pack as `registry.deadline-exceeded`, exit 3, instead of letting it take as long as
/// its requests add up to. (Before: no deadline; the options did not exist.)
#[test]
fn pack_deadline_bounds_a_registry_that_answers_slowly() {
    let fake = slow_scoped_bearer(|_| Some(Duration::from_millis(900)));
    // One pack costs 6 requests (challenge, token, manifest, referrers, referrer
    // manifest, bundle), about 5.4 s here; the deadline is 2.5 s. The request timeout
    // (4 s) is longer than the deadline, so the deadline is what ends the pack.
    let (dir, values) = publish_signed(&fake, 1, true, false, "");
    let cases: [(&[&str], Option<&str>); 2] = [
        (
            &["--pack-timeout", "2500ms", "--request-timeout", "4s"],
            None,
        ),
        (
            &[],
            Some("  timeouts:\n    pack: 2500ms\n    request: 4s\n"),
        ),
    ];
    for (args, yaml) in cases {
        let values = match yaml {
            Some(y) => {
                let text = std::fs::read_to_string(&values).unwrap().replacen(
                    "  extras:\n",
                    &format!("{y}  extras:\n"),
                    1,
                );
                let p = dir.join("values-timeouts.yaml");
                std::fs::write(&p, text).unwrap();
                p
            }
            None => values.clone(),
        };
        let before = fake.server.log().len();
        let run = verify_config(&fake, &dir, &values, args);
        assert_eq!(run.code, 3, "{run}");
        let p = &run.packs()[0];
        assert_eq!(p["error"]["code"], "registry.deadline-exceeded", "{run}");
        let msg = p["error"]["message"].as_str().unwrap();
        assert!(msg.contains("pack's deadline of 2 s"), "{msg}");
        let sent = fake.server.log().len() - before;
        assert!(
            sent < 6,
            "the pack went on after its deadline: {sent} requests"
        );
    }
    // Bad settings are usage or configuration errors.
    for (args, code) in [
        (&["--jobs", "0"][..], 2),
        (&["--pack-timeout", "0s"][..], 2),
        (&["--run-timeout", "1h"][..], 2),
    ] {
        let run = verify_config(&fake, &dir, &values, args);
        assert_eq!(run.code, code, "{args:?}: {run}");
        assert_eq!(run.error_code().as_deref(), Some("usage"), "{run}");
    }
}

/// The run's deadline: with one job and a slow registry, the first pack uses up the
/// run's time, and the packs after it fail without sending a request.
#[test]
fn run_deadline_fails_the_packs_it_leaves_no_time_for() {
    let fake = slow_scoped_bearer(|_| Some(Duration::from_millis(700)));
    let (dir, values) = publish_signed(&fake, 3, true, false, "");
    let run = verify_config(
        &fake,
        &dir,
        &values,
        &[
            "--jobs",
            "1",
            "--run-timeout",
            "2s",
            "--pack-timeout",
            "60s",
        ],
    );
    assert_eq!(run.code, 3, "{run}");
    for p in run.packs() {
        assert_eq!(p["error"]["code"], "registry.deadline-exceeded", "{run}");
        assert!(
            p["error"]["message"]
                .as_str()
                .unwrap()
                .contains("run's deadline of 2 s"),
            "{run}"
        );
    }
    let log = fake.server.log();
    for later in ["/acme/rules/p1/", "/acme/rules/p2/"] {
        assert!(
            !log.iter().any(|q| q.path.contains(later)),
            "a pack started after the run's deadline sent a request"
        );
    }
}

/// The look-up behind a `tag@digest` note (where the tag points now) is the pack's
/// network work too: a registry that never answers for the tag holds the run only until
/// its deadline, and the note says so, instead of one more request timeout per pack after
/// the run.
#[test]
fn tag_note_lookup_ends_with_the_run_deadline() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stall = Arc::new(AtomicBool::new(false));
    let stalling = stall.clone();
    let fake = slow_scoped_bearer(move |q| {
        (stalling.load(Ordering::SeqCst) && q.route().ends_with("/manifests/1.0.0"))
            .then_some(Duration::from_secs(30))
    });
    let (dir, values) = publish_signed(&fake, 1, true, false, "");
    // Pin the digest the tag points to.
    let run = verify_config(&fake, &dir, &values, &[]);
    let digest = run.packs()[0]["digest"].as_str().unwrap().to_owned();
    let r = format!("oci://{}/acme/rules/p0:1.0.0", fake.addr());
    let text = std::fs::read_to_string(&values).unwrap();
    assert!(text.contains(&r), "{text}");
    let pinned = dir.join("values-pinned.yaml");
    std::fs::write(&pinned, text.replace(&r, &format!("{r}@{digest}"))).unwrap();
    // Now the tag goes unanswered.
    stall.store(true, Ordering::SeqCst);
    let run = verify_config(
        &fake,
        &dir,
        &pinned,
        &["--run-timeout", "3s", "--request-timeout", "20s"],
    );
    assert_eq!(run.code, 0, "{run}");
    let p = &run.packs()[0];
    assert_eq!(p["status"], "verified", "{run}");
    let note = p["note"].as_str().unwrap();
    assert!(
        note.contains("could not be resolved (error[registry.deadline-exceeded])"),
        "{note}"
    );
}

/// A registry with [`scoped_bearer`] auth that holds each answer back for `delay` of
/// its request (`None`: answered at once).
fn slow_scoped_bearer(
    delay: impl Fn(&Request) -> Option<Duration> + Send + Sync + 'static,
) -> Fake {
    Fake::start(
        true,
        Some(Box::new(move |req, s| {
            let r = scoped_bearer()(req, s).unwrap_or_else(|| handle(req, s, ""));
            Some(match delay(req) {
                Some(d) => r.delay(d),
                None => r,
            })
        })),
    )
}

/// A token with a CR/LF (or anything else RFC 6750 does not allow in a Bearer
/// credential) is a bad answer from the token service: `registry.auth-failed`, exit 1,
/// not a network failure (exit 3) from a header that could not be sent.
#[test]
fn token_with_a_line_break_is_a_bad_answer_from_the_token_service() {
    let fake = Fake::start(
        true,
        Some(Box::new(|req, _| {
            if req.route() == "/token" {
                return Some(Response::ok(
                    &br#"{"token":"abc\r\nX-Injected: 1","expires_in":300}"#[..],
                ));
            }
            if req.header("authorization").is_none() {
                let host = req.header("host").unwrap_or_default();
                return Some(Response::new(401).header(
                    "WWW-Authenticate",
                    format!(r#"Bearer realm="http://{host}/token",service="{host}""#),
                ));
            }
            None
        })),
    );
    fake.pack("1", b"x");
    let client = fake.client(ClientOptions::default());
    let e = client.resolve(&fake.reference("acme/a:1")).unwrap_err();
    assert_eq!(e.code(), "registry.auth-failed", "{e}");
    assert!(e.to_string().contains("line break"), "{e}");
    assert!(
        !e.to_string().contains("Injected"),
        "the token is not echoed: {e}"
    );
    // No request carried the token.
    assert!(fake
        .server
        .log()
        .iter()
        .all(|q| q.header("authorization").is_none()));

    let dir = e2e::temp_dir("crlf-token");
    let vs = vsig::VirtualSigstore::new(7);
    std::fs::write(dir.join("root.json"), vs.trusted_root_json()).unwrap();
    let r = format!("oci://{}/acme/a:1", fake.addr());
    let run = e2e::run_cli(
        &dir,
        &[
            "verify",
            &r,
            "--trusted-root",
            dir.join("root.json").to_str().unwrap(),
            "--certificate-identity",
            "x",
            "--certificate-oidc-issuer",
            "https://y",
            "--insecure-registry",
            fake.addr(),
            "--output",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        run.pack(&r)["error"]["code"],
        "registry.auth-failed",
        "{run}"
    );
}

/// 429 and 503 are retried (GET and HEAD are idempotent), after `Retry-After` when it
/// asks for at most `MAX_RETRY_AFTER_SECS`, a bounded number of times, and never past
/// the deadline. (Before: the pack failed at the first 429.)
#[test]
fn rate_limited_and_unavailable_answers_are_retried() {
    use rulepack_verify::limits::MAX_HTTP_RETRIES;
    use rulepack_verify::oci::{Deadline, DeadlineKind};
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let seen2 = seen.clone();
    let fake = Fake::start(
        true,
        Some(Box::new(move |req, _| {
            let tag = req
                .route()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            let n = {
                let mut m = seen2.lock().unwrap();
                let c = m.entry(tag.clone()).or_default();
                *c += 1;
                *c
            };
            match (tag.as_str(), n) {
                // Twice 429 with a short Retry-After, then the manifest.
                ("busy", 1 | 2) => Some(Response::new(429).header("Retry-After", "1")),
                // Once 503 without Retry-After (a short backoff), then the manifest.
                ("flaky", 1) => Some(Response::new(503)),
                // Always busy, asking for more than the cap: no retry.
                ("later", _) => Some(Response::new(429).header("Retry-After", "120")),
                // Always unavailable: 1 + MAX_HTTP_RETRIES attempts.
                ("down", _) => Some(Response::new(503)),
                // A short Retry-After that ends after the deadline: no retry.
                ("deadline", _) => Some(Response::new(429).header("Retry-After", "3")),
                _ => None,
            }
        })),
    );
    for tag in ["busy", "flaky", "later", "down", "deadline"] {
        fake.pack(tag, b"x");
    }
    let client = fake.client(ClientOptions::default());
    let count = |tag: &str| seen.lock().unwrap().get(tag).copied().unwrap_or(0);

    assert!(client.resolve(&fake.reference("acme/a:busy")).is_ok());
    assert_eq!(count("busy"), 3);
    assert!(client.resolve(&fake.reference("acme/a:flaky")).is_ok());
    assert_eq!(count("flaky"), 2);

    let e = client.resolve(&fake.reference("acme/a:later")).unwrap_err();
    assert_eq!(e.code(), "registry.rate-limited");
    assert!(e.to_string().contains("retry after 120"), "{e}");
    assert_eq!(count("later"), 1);

    let e = client.resolve(&fake.reference("acme/a:down")).unwrap_err();
    assert_eq!(e.code(), "registry.http-status", "{e}");
    assert_eq!(count("down"), 1 + MAX_HTTP_RETRIES as usize);

    let t0 = Instant::now();
    let deadline = Deadline::after(DeadlineKind::Pack, Duration::from_secs(2));
    let e = client
        .until(deadline)
        .resolve(&fake.reference("acme/a:deadline"))
        .unwrap_err();
    assert_eq!(e.code(), "registry.rate-limited", "{e}");
    assert_eq!(count("deadline"), 1);
    // A behavioural bound, not a timing measurement: failing at once takes
    // milliseconds, waiting for the retry would take the whole 2 s deadline.
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "it waited for a retry the deadline left no time for"
    );
}

/// `pull` fetches a pack's layers under the pack's deadline too: a layer the registry
/// is slow to serve fails the pack as `registry.deadline-exceeded` (exit 3), and the
/// pack is not written.
#[test]
fn pull_fetches_layers_under_the_pack_deadline() {
    let layer = Digest::of(b"package p0\n").to_string();
    let fake = slow_scoped_bearer(move |req| {
        req.route()
            .ends_with(&layer)
            .then_some(Duration::from_secs(6))
    });
    let (dir, values) = publish_signed(&fake, 1, true, false, "");
    let out = dir.join("out");
    let run = e2e::run_cli(
        &dir.join("home"),
        &e2e::pull_args(
            &values,
            &out,
            &[
                "--insecure-registry",
                fake.addr(),
                "--output",
                "json",
                "--pack-timeout",
                "2s",
            ],
        ),
        &[],
    );
    assert_eq!(run.code, 3, "{run}");
    let p = &run.packs()[0];
    assert_eq!(p["error"]["code"], "registry.deadline-exceeded", "{run}");
    assert!(p["path"].is_null(), "{run}");
    // The layer was asked for: the deadline cut that request, not verification.
    assert!(fake
        .server
        .log()
        .iter()
        .any(|q| q.route().contains("/blobs/")
            && q.route()
                .ends_with(&Digest::of(b"package p0\n").to_string())));
}
