//! End-to-end helpers: build rule packs, sign them with the test-only virtual Sigstore
//! in cosign's new bundle format (cosign v3 `pkg/oci/remote/write.go`: DSSE in-toto statement over the pack manifest
//! digest, attached as an OCI referrer), publish them to a real registry or to an OCI
//! image layout (the conventions of `src/oci/layout.rs`), and run the CLI binary.
//!
//! Use from an integration test next to `vsig.rs` (and `registry.rs` for pushing):
//!
//! ```ignore
//! #[path = "common/vsig.rs"] mod vsig;
//! #[path = "common/e2e.rs"] mod e2e;
//! ```
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rulepack_verify::crypto::sha256;
use rulepack_verify::encoding::{base64_encode, hex_encode};
use serde_json::{json, Value};

use super::vsig::{
    cosign_referrer_manifest, oci_digest, ContentKind, ReferrerManifest, RekorMode, San,
    SignOptions, VirtualSigstore,
};

/// The GitHub Actions OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// 2026-03-01T12:00:00Z: signing times are fixed in the past.
pub const T0: i64 = 1_772_366_400;
/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The empty config descriptor's media type.
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// `artifactType` of a rule pack manifest.
pub const PACK_ARTIFACT_TYPE: &str = "application/vnd.lithastra.rulepack.v1";
/// Media type of a Rego layer.
pub const REGO_LAYER_TYPE: &str = "application/vnd.lithastra.rulepack.rego.v1";
/// The compiled-in first-party source repository (docs/verification.md, "Trust policy").
pub const FIRST_PARTY_REPO: &str = "lithastra/kubeatlas-rules";
/// The production Sigstore TUF root (version 16) vendored in `testdata/tuf`.
pub const SIGSTORE_TUF_ROOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/tuf/sigstore-root-v16.json"
);
/// Options naming a TUF repository nobody answers for (a closed loopback port) with
/// [`SIGSTORE_TUF_ROOT`] as its root.
pub const UNREACHABLE_TUF: [&str; 4] = [
    "--tuf-url",
    "http://127.0.0.1:1",
    "--tuf-root",
    SIGSTORE_TUF_ROOT,
];
/// `trustedIdentities` (inside `rulePacks`) with one entry: acme's release workflow
/// ([`gha_identity`] of `acme/rules` at any tag).
pub const TRUSTED_ACME: &str = "  trustedIdentities:\n    - issuer: https://token.actions.githubusercontent.com\n      identityRegexp: ^https://github\\.com/acme/rules/\\.github/workflows/release\\.yml@refs/tags/.+$\n";

/// The certificate SAN of a GitHub Actions release workflow run:
/// `https://github.com/<repo>/.github/workflows/release.yml@<git_ref>`.
pub fn gha_identity(repo: &str, git_ref: &str) -> String {
    format!("https://github.com/{repo}/.github/workflows/release.yml@{git_ref}")
}

/// Signing options for a GitHub Actions release of `repo` at `git_ref`
/// (`refs/tags/v1.0.0`): SAN, the Fulcio GitHub extensions .9–.22 (so the first-party
/// source-repository and ref constraints see real values), an embedded SCT, a Rekor v1
/// `dsse` entry 60 s after signing and an RFC 3161 timestamp 30 s after, cosign DSSE
/// content.
pub fn gha_sign_options(repo: &str, git_ref: &str, signed_at: i64) -> SignOptions {
    let identity = gha_identity(repo, git_ref);
    let repo_url = format!("https://github.com/{repo}");
    let owner = repo.split('/').next().unwrap();
    let commit: String = hex_encode(&sha256(format!("{repo}@{git_ref}").as_bytes()))
        .chars()
        .take(40)
        .collect();
    let mut o = SignOptions::new(San::Uri(identity.clone()), GITHUB_ISSUER, signed_at);
    o.content = ContentKind::CosignDsse;
    o.rekor = RekorMode::V1 {
        integrated_time: signed_at + 60,
    };
    o.timestamps = vec![signed_at + 30];
    o.with_sct = true;
    o.extensions = vec![
        (9, identity.clone()),
        (10, commit.clone()),
        (11, "github-hosted".into()),
        (12, repo_url.clone()),
        (13, commit.clone()),
        (14, git_ref.to_owned()),
        (15, "812345601".into()),
        (16, format!("https://github.com/{owner}")),
        (17, "190123401".into()),
        (18, identity),
        (19, commit),
        (20, "push".into()),
        (
            21,
            format!("{repo_url}/actions/runs/13570000001/attempts/1"),
        ),
        (22, "public".into()),
    ];
    o
}

/// A rule pack: an OCI artifact manifest with an empty config and one Rego layer per
/// file (`org.opencontainers.image.title` = the file's relative path).
#[derive(Clone, Debug)]
pub struct BuiltPack {
    /// The manifest bytes (what the bundle signs).
    pub manifest: Vec<u8>,
    /// `sha256:<hex>` of `manifest`.
    pub digest: String,
    /// `(title, bytes)` of each layer.
    pub layers: Vec<(String, Vec<u8>)>,
}

impl BuiltPack {
    /// Builds a pack; `version` goes into an annotation, so two packs with the same
    /// layers but different versions have different digests.
    pub fn new(version: &str, layers: &[(&str, &[u8])]) -> Self {
        let descs: Vec<Value> = layers
            .iter()
            .map(|(title, bytes)| {
                json!({
                    "mediaType": REGO_LAYER_TYPE,
                    "digest": oci_digest(bytes),
                    "size": bytes.len(),
                    "annotations": { "org.opencontainers.image.title": title },
                })
            })
            .collect();
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": PACK_ARTIFACT_TYPE,
            "config": { "mediaType": OCI_EMPTY, "digest": oci_digest(b"{}"), "size": 2 },
            "layers": descs,
            "annotations": { "org.opencontainers.image.version": version },
        }))
        .unwrap();
        Self {
            digest: oci_digest(&manifest),
            manifest,
            layers: layers
                .iter()
                .map(|(t, b)| ((*t).to_owned(), b.to_vec()))
                .collect(),
        }
    }

    /// The manifest's SHA-256 (the in-toto subject digest).
    pub fn sha256(&self) -> [u8; 32] {
        sha256(&self.manifest)
    }

    /// Signs the pack manifest and returns the compact bundle JSON and the cosign
    /// referrer manifest that attaches it.
    pub fn sign(&self, vs: &mut VirtualSigstore, opts: &SignOptions) -> Signed {
        let pretty = vs.sign(self.sha256(), opts);
        // Compact JSON, as cosign's protojson writer stores it in the layer.
        let v: Value = serde_json::from_slice(&pretty).unwrap();
        self.attach(serde_json::to_vec(&v).unwrap())
    }

    /// The referrer for arbitrary bundle bytes (tampered bundles, other artifacts' bundles).
    pub fn attach(&self, bundle: Vec<u8>) -> Signed {
        let referrer = cosign_referrer_manifest(
            &self.digest,
            OCI_MANIFEST,
            u64::try_from(self.manifest.len()).unwrap(),
            &bundle,
        );
        Signed { bundle, referrer }
    }
}

/// A bundle and its referrer manifest.
#[derive(Clone, Debug)]
pub struct Signed {
    /// Bundle JSON bytes (the referrer's single layer).
    pub bundle: Vec<u8>,
    /// The referrer manifest and its blobs.
    pub referrer: ReferrerManifest,
}

impl Signed {
    /// `sha256:<hex>` of the bundle layer (the JSON output's `bundleDigest`).
    pub fn bundle_digest(&self) -> String {
        self.referrer.layer_digest.clone()
    }
}

/// Applies `f` to the bundle JSON and re-serializes it (tamper helper).
pub fn edit_bundle(bundle: &[u8], f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(bundle).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

/// Flips one bit in the middle of a base64 field of the bundle (at JSON pointer `ptr`).
pub fn flip_base64(bundle: &[u8], ptr: &str) -> Vec<u8> {
    flip_base64_at(bundle, ptr, |len| len / 2)
}

/// Flips one bit in the last byte of a base64 field (for DER structures that end with
/// a signature value: the byte is inside the signature, the encoding stays valid).
pub fn flip_base64_last(bundle: &[u8], ptr: &str) -> Vec<u8> {
    flip_base64_at(bundle, ptr, |len| len - 1)
}

fn flip_base64_at(bundle: &[u8], ptr: &str, at: impl FnOnce(usize) -> usize) -> Vec<u8> {
    edit_bundle(bundle, |v| {
        let field = v.pointer_mut(ptr).unwrap_or_else(|| panic!("no {ptr}"));
        let mut raw = rulepack_verify::encoding::base64_decode(field.as_str().unwrap()).unwrap();
        let i = at(raw.len());
        raw[i] ^= 0x01;
        *field = json!(base64_encode(&raw));
    })
}

/// Writes an OCI image layout (image-spec `image-layout.md`) with this crate's
/// conventions: each pack's `index.json` entry has `io.rulepack.ref` (the logical
/// reference without `oci://`) and `org.opencontainers.image.ref.name` (its tag); each
/// bundle referrer is listed without a tag and found through its `subject`.
#[derive(Debug, Default)]
pub struct LayoutBuilder {
    blobs: Vec<(String, Vec<u8>)>,
    entries: Vec<Value>,
}

impl LayoutBuilder {
    fn blob(&mut self, bytes: &[u8]) -> String {
        let d = oci_digest(bytes);
        if !self.blobs.iter().any(|(x, _)| *x == d) {
            self.blobs.push((d.clone(), bytes.to_vec()));
        }
        d
    }

    /// Adds a pack under its logical reference `registry/repository:tag`.
    pub fn pack(&mut self, logical_ref: &str, p: &BuiltPack) -> &mut Self {
        self.blob(b"{}");
        for (_, bytes) in &p.layers {
            self.blob(bytes);
        }
        let d = self.blob(&p.manifest);
        let tag = logical_ref.rsplit_once(':').unwrap().1;
        self.entries.push(json!({
            "mediaType": OCI_MANIFEST,
            "artifactType": PACK_ARTIFACT_TYPE,
            "digest": d,
            "size": p.manifest.len(),
            "annotations": {
                "io.rulepack.ref": logical_ref,
                "org.opencontainers.image.ref.name": tag,
            },
        }));
        self
    }

    /// Attaches a bundle referrer.
    pub fn referrer(&mut self, s: &Signed) -> &mut Self {
        let r = &s.referrer;
        self.blob(&r.config_blob);
        self.blob(&r.layer);
        let d = self.blob(&r.manifest);
        self.entries.push(json!({
            "mediaType": OCI_MANIFEST,
            "artifactType": super::vsig::BUNDLE_MEDIA_TYPE,
            "digest": d,
            "size": r.manifest.len(),
        }));
        self
    }

    /// Writes the layout to `dir`.
    pub fn write(&self, dir: &Path) {
        let blobs = dir.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        let index =
            json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.entries });
        std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
        for (d, bytes) in &self.blobs {
            std::fs::write(blobs.join(d.strip_prefix("sha256:").unwrap()), bytes).unwrap();
        }
    }
}

/// A fresh, empty directory under the cargo test temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("e2e-{name}-{}-{nanos}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `dir/config.json` with Basic credentials for each `(auths key, user, password)`.
pub fn write_docker_config(dir: &Path, entries: &[(&str, &str, &str)]) {
    let mut auths = serde_json::Map::new();
    for (key, user, password) in entries {
        auths.insert(
            (*key).to_owned(),
            json!({ "auth": base64_encode(format!("{user}:{password}").as_bytes()) }),
        );
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec(&json!({ "auths": auths })).unwrap(),
    )
    .unwrap();
}

/// One run of the CLI binary.
#[derive(Debug)]
pub struct Run {
    /// Exit status (`-1` if killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// `{"packs": [...]}` of `--output json`.
    pub fn packs(&self) -> Vec<Value> {
        let v: Value = serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"));
        v["packs"]
            .as_array()
            .unwrap_or_else(|| panic!("no packs array:\n{self}"))
            .clone()
    }

    /// The pack whose `reference` is `r`.
    pub fn pack(&self, r: &str) -> Value {
        self.packs()
            .into_iter()
            .find(|p| p["reference"] == r)
            .unwrap_or_else(|| panic!("no pack {r} in the output:\n{self}"))
    }

    /// The `error[code]` of the last stderr line that has one.
    pub fn error_code(&self) -> Option<String> {
        self.stderr.lines().rev().find_map(|l| {
            let rest = l.strip_prefix("error[")?;
            Some(rest.split(']').next()?.to_owned())
        })
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Self {
        Self {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// `rulepack-verify args…` with an empty environment but `HOME` = `home`.
pub fn cli_command(home: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rulepack-verify"));
    c.env_clear().env("HOME", home).args(args);
    c
}

/// Runs `rulepack-verify args…` with a clean environment (no proxies, no
/// `SSL_CERT_FILE`, `HOME` = `home`, so nothing from the machine leaks in) plus `env`.
pub fn run_cli(home: &Path, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut c = cli_command(home, args);
    if let Some(p) = std::env::var_os("PATH") {
        c.env("PATH", p);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run rulepack-verify").into()
}

/// The arguments `verify --config VALUES EXTRA…`.
pub fn verify_args<'a>(values: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["verify", "--config", values.to_str().unwrap()];
    args.extend_from_slice(extra);
    args
}

/// The arguments `pull --config VALUES --out OUT EXTRA…`.
pub fn pull_args<'a>(values: &'a Path, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "pull",
        "--config",
        values.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

/// Copies the directory `from` to `to`, recursively (a link to a file is copied as that
/// file).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Reads every regular file under `dir` as `(relative path, bytes)`, sorted.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}
