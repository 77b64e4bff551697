//! Writes the offline example of the `verify` command: four rule packs in an OCI image
//! layout, the Sigstore bundles attached to three of them as OCI referrers, the trusted
//! root of the (test-only) virtual Sigstore that signed them, a Helm-style values file and
//! a README.
//!
//! ```text
//! <out>/trusted_root.json
//! <out>/layout/{oci-layout, index.json, blobs/sha256/<hex>}
//! <out>/values.yaml
//! <out>/README.md
//! ```
//!
//! Layout conventions are those of `src/oci/layout.rs`: each pack manifest is listed in
//! `index.json` with the annotation `io.rulepack.ref` (the full logical reference without
//! `oci://`) and `org.opencontainers.image.ref.name` (the tag); each bundle referrer
//! manifest is listed too, without a tag, and is found through its `subject` field. The
//! bundles are cosign ≥ v3 new-format bundles (cosign v3 `pkg/oci/remote/write.go`): a DSSE in-toto statement whose
//! subject is the pack manifest digest, a Rekor v1 `dsse` entry, an RFC 3161 timestamp and
//! an embedded SCT.
//!
//! Output is deterministic (fixed seed, fixed signing times in the past, RFC 6979
//! signatures): running it twice gives byte-identical files, which
//! `tests/offline_example.rs` checks against the committed `testdata/offline`.
//!
//! Usage: `cargo run --example make-offline-example -- testdata/offline`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/vsig.rs"]
mod vsig;

use std::collections::BTreeSet;
use std::path::Path;

use rulepack_verify::crypto::sha256;
use rulepack_verify::encoding::hex_encode;
use rulepack_verify::time::format_rfc3339;
use serde_json::{json, Value};
use vsig::{oci_digest, ContentKind, RekorMode, San, SignOptions, VirtualSigstore};

/// Seed of the virtual Sigstore (all keys derive from it).
const SEED: u64 = 20_260_301;
/// 2026-03-01T12:00:00Z: pack `i` is signed at `T0 + i` minutes.
const T0: i64 = 1_772_366_400;
/// The GitHub Actions OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// OCI image manifest media type.
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The empty config descriptor's media type (image-spec `manifest.md` "Guidance for an
/// Empty Descriptor").
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// `artifactType` of a rule pack manifest.
pub const PACK_ARTIFACT_TYPE: &str = "application/vnd.lithastra.rulepack.v1";
/// Media type of a Rego module layer.
pub const REGO_LAYER_TYPE: &str = "application/vnd.lithastra.rulepack.rego.v1";
/// `org.opencontainers.image.created` of every pack manifest.
const PACK_CREATED: &str = "2026-03-01T11:55:00Z";

/// What the `verify` command must conclude for a pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// First-party pack signed by the compiled-in identity.
    VerifiedFirstParty,
    /// Third-party pack signed by an identity in `trustedIdentities`.
    VerifiedThirdParty,
    /// No Sigstore bundle is attached.
    FailNoBundle,
    /// Validly signed, by an identity nothing trusts.
    FailIdentityNotTrusted,
}

impl Expected {
    /// One line for the values file and the README.
    pub fn describe(self) -> &'static str {
        match self {
            Self::VerifiedFirstParty => {
                "verified (first-party: the compiled-in lithastra/kubeatlas-rules release identity)"
            }
            Self::VerifiedThirdParty => {
                "verified (third-party: matches trustedIdentities[0], the acme/rules release workflow)"
            }
            Self::FailNoBundle => "fails: no Sigstore bundle is attached",
            Self::FailIdentityNotTrusted => {
                "fails: validly signed, but by mallory/rules, which no trustedIdentities entry trusts"
            }
        }
    }
}

/// The signer of a pack: a GitHub Actions release workflow run.
#[derive(Clone, Debug)]
pub struct Signer {
    /// `owner/repo` on github.com.
    pub repo: &'static str,
    /// The git tag released (`v0.1.0`).
    pub git_tag: &'static str,
    /// GitHub's numeric repository id (extension .15).
    pub repo_id: u64,
    /// GitHub's numeric owner id (extension .17).
    pub owner_id: u64,
    /// Workflow run id (extension .21).
    pub run_id: u64,
}

impl Signer {
    /// The certificate SAN: the workflow at the tag.
    pub fn identity(&self) -> String {
        format!(
            "https://github.com/{}/.github/workflows/release.yml@refs/tags/{}",
            self.repo, self.git_tag
        )
    }

    /// A stable fake 40-hex commit id for this release.
    fn commit(&self) -> String {
        hex_encode(&sha256(
            format!("{}@{}", self.repo, self.git_tag).as_bytes(),
        ))
        .chars()
        .take(40)
        .collect()
    }

    /// The Fulcio extensions GitHub Actions tokens produce (Fulcio `docs/oid-info.md`,
    /// 1.3.6.1.4.1.57264.1.9–.22; .1 and .8, the issuer, are added by the virtual Fulcio).
    fn extensions(&self) -> Vec<(u32, String)> {
        let repo_url = format!("https://github.com/{}", self.repo);
        let owner = self.repo.split('/').next().unwrap();
        let commit = self.commit();
        vec![
            (9, self.identity()),                        // Build Signer URI
            (10, commit.clone()),                        // Build Signer Digest
            (11, "github-hosted".into()),                // Runner Environment
            (12, repo_url.clone()),                      // Source Repository URI
            (13, commit.clone()),                        // Source Repository Digest
            (14, format!("refs/tags/{}", self.git_tag)), // Source Repository Ref
            (15, self.repo_id.to_string()),              // Source Repository Identifier
            (16, format!("https://github.com/{owner}")), // Source Repository Owner URI
            (17, self.owner_id.to_string()),             // Source Repository Owner Identifier
            (18, self.identity()),                       // Build Config URI
            (19, commit),                                // Build Config Digest
            (20, "push".into()),                         // Build Trigger
            (
                21,
                format!("{repo_url}/actions/runs/{}/attempts/1", self.run_id),
            ), // Run Invocation URI
            (22, "public".into()),                       // Source Repository Visibility At Signing
        ]
    }
}

/// One rule pack of the example.
#[derive(Clone, Debug)]
pub struct Pack {
    /// Registry host.
    pub registry: &'static str,
    /// Repository path.
    pub repository: &'static str,
    /// Tag.
    pub tag: &'static str,
    /// `(org.opencontainers.image.title, Rego source)` of each layer.
    pub layers: Vec<(&'static str, &'static str)>,
    /// Who signs it; `None`: no bundle is attached.
    pub signer: Option<Signer>,
    /// What `verify` must conclude.
    pub expected: Expected,
}

impl Pack {
    /// `registry/repository:tag` (the `io.rulepack.ref` annotation).
    pub fn logical_ref(&self) -> String {
        format!("{}/{}:{}", self.registry, self.repository, self.tag)
    }

    /// `oci://registry/repository:tag` (the `extras` entry).
    pub fn oci_ref(&self) -> String {
        format!("oci://{}", self.logical_ref())
    }
}

const EKS_POD_SECURITY: &str = r#"package lithastra.eks.pod_security

import rego.v1

# Containers must not run privileged.
deny contains msg if {
	some c in input.spec.containers
	c.securityContext.privileged
	msg := sprintf("container %q runs privileged", [c.name])
}
"#;

const EKS_IRSA: &str = r#"package lithastra.eks.irsa

import rego.v1

# Service accounts that assume an IAM role must name it with a full ARN.
deny contains msg if {
	input.kind == "ServiceAccount"
	arn := input.metadata.annotations["eks.amazonaws.com/role-arn"]
	not startswith(arn, "arn:aws:iam::")
	msg := sprintf("service account %q: role-arn %q is not an IAM role ARN", [input.metadata.name, arn])
}
"#;

const ARGO_APP_PROJECT: &str = r#"package acme.argo.app_project

import rego.v1

# Argo CD Applications must not deploy through the default project.
deny contains msg if {
	input.kind == "Application"
	input.spec.project == "default"
	msg := sprintf("application %q uses the default project", [input.metadata.name])
}
"#;

const ACME_LABELS: &str = r#"package acme.labels

import rego.v1

# Every workload carries an owner label.
deny contains msg if {
	not input.metadata.labels.owner
	msg := sprintf("%s %q has no owner label", [input.kind, input.metadata.name])
}
"#;

const BACKDOOR: &str = r#"package lithastra.eks.pod_security

import rego.v1

# Shadows the first-party package and allows everything.
deny := set()
"#;

/// The four packs of the example, in `extras` order.
pub fn packs() -> Vec<Pack> {
    vec![
        Pack {
            registry: "ghcr.io",
            repository: "lithastra/rules/eks",
            tag: "0.1.0",
            layers: vec![
                ("eks/pod_security.rego", EKS_POD_SECURITY),
                ("eks/irsa.rego", EKS_IRSA),
            ],
            signer: Some(Signer {
                repo: "lithastra/kubeatlas-rules",
                git_tag: "v0.1.0",
                repo_id: 812_345_601,
                owner_id: 190_123_401,
                run_id: 13_570_000_001,
            }),
            expected: Expected::VerifiedFirstParty,
        },
        Pack {
            registry: "ghcr.io",
            repository: "acme/rules/argo",
            tag: "0.2.0",
            layers: vec![("argo/app_project.rego", ARGO_APP_PROJECT)],
            signer: Some(Signer {
                repo: "acme/rules",
                git_tag: "v0.2.0",
                repo_id: 712_345_602,
                owner_id: 90_123_402,
                run_id: 13_570_000_002,
            }),
            expected: Expected::VerifiedThirdParty,
        },
        Pack {
            registry: "ghcr.io",
            repository: "acme/rules/unsigned",
            tag: "0.1.0",
            layers: vec![("acme/labels.rego", ACME_LABELS)],
            signer: None,
            expected: Expected::FailNoBundle,
        },
        Pack {
            registry: "ghcr.io",
            repository: "mallory/rules/backdoor",
            tag: "1.0.0",
            layers: vec![("backdoor/allow_all.rego", BACKDOOR)],
            signer: Some(Signer {
                repo: "mallory/rules",
                git_tag: "v1.0.0",
                repo_id: 612_345_604,
                owner_id: 80_123_404,
                run_id: 13_570_000_004,
            }),
            expected: Expected::FailIdentityNotTrusted,
        },
    ]
}

/// What was generated for one pack.
#[derive(Clone, Debug)]
pub struct PackOut {
    /// The pack.
    pub pack: Pack,
    /// `sha256:<hex>` of its manifest (the digest the bundle signs).
    pub manifest_digest: String,
    /// `sha256:<hex>` of its bundle referrer manifest, when signed.
    pub referrer_digest: Option<String>,
    /// When signed: the leaf `notBefore` (Unix seconds).
    pub signed_at: Option<i64>,
}

/// Everything the generator writes.
#[derive(Clone, Debug)]
pub struct Output {
    /// `(path relative to the output directory, bytes)`, sorted by path.
    pub files: Vec<(String, Vec<u8>)>,
    /// Per pack, in `extras` order.
    pub packs: Vec<PackOut>,
}

/// Signing options for a pack signed at `signed_at`: Rekor v1 entry integrated 60 s
/// later, one RFC 3161 timestamp 30 s later, SCT embedded, cosign DSSE content.
fn sign_options(s: &Signer, signed_at: i64) -> SignOptions {
    let mut o = SignOptions::new(San::Uri(s.identity()), GITHUB_ISSUER, signed_at);
    o.content = ContentKind::CosignDsse;
    o.rekor = RekorMode::V1 {
        integrated_time: signed_at + 60,
    };
    o.timestamps = vec![signed_at + 30];
    o.with_sct = true;
    o.extensions = s.extensions();
    o
}

fn blob_path(digest: &str) -> String {
    format!(
        "layout/blobs/sha256/{}",
        digest.strip_prefix("sha256:").unwrap()
    )
}

/// Adds a blob (once) and returns its digest.
fn blob(files: &mut Vec<(String, Vec<u8>)>, bytes: &[u8]) -> String {
    let d = oci_digest(bytes);
    let path = blob_path(&d);
    if !files.iter().any(|(p, _)| *p == path) {
        files.push((path, bytes.to_vec()));
    }
    d
}

/// Builds every output file in memory.
pub fn generate() -> Output {
    let mut vs = VirtualSigstore::new(SEED);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut index_entries: Vec<Value> = Vec::new();
    let mut outs = Vec::new();

    for (i, pack) in packs().into_iter().enumerate() {
        // image-spec manifest.md: an artifact with an empty config (`{}`, the empty
        // descriptor) and its type in `artifactType`.
        let config_digest = blob(&mut files, b"{}");
        let layers: Vec<Value> = pack
            .layers
            .iter()
            .map(|(title, src)| {
                let d = blob(&mut files, src.as_bytes());
                json!({
                    "mediaType": REGO_LAYER_TYPE,
                    "digest": d,
                    "size": src.len(),
                    "annotations": { "org.opencontainers.image.title": title },
                })
            })
            .collect();
        let mut annotations = json!({
            "org.opencontainers.image.created": PACK_CREATED,
            "org.opencontainers.image.version": pack.tag,
        });
        if let Some(s) = &pack.signer {
            annotations["org.opencontainers.image.source"] =
                json!(format!("https://github.com/{}", s.repo));
        }
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": PACK_ARTIFACT_TYPE,
            "config": { "mediaType": OCI_EMPTY, "digest": config_digest, "size": 2 },
            "layers": layers,
            "annotations": annotations,
        }))
        .unwrap();
        let manifest_digest = blob(&mut files, &manifest);
        index_entries.push(json!({
            "mediaType": OCI_MANIFEST,
            "artifactType": PACK_ARTIFACT_TYPE,
            "digest": manifest_digest,
            "size": manifest.len(),
            "annotations": {
                "io.rulepack.ref": pack.logical_ref(),
                "org.opencontainers.image.ref.name": pack.tag,
            },
        }));

        let (referrer_digest, signed_at) = match &pack.signer {
            None => (None, None),
            Some(s) => {
                let signed_at = T0 + 60 * i64::try_from(i).unwrap();
                let subject: [u8; 32] = sha256(&manifest);
                let pretty = vs.sign(subject, &sign_options(s, signed_at));
                // Compact JSON, as cosign's protojson writer stores it in the layer.
                let v: Value = serde_json::from_slice(&pretty).unwrap();
                let bundle = serde_json::to_vec(&v).unwrap();
                let r = vsig::cosign_referrer_manifest(
                    &manifest_digest,
                    OCI_MANIFEST,
                    u64::try_from(manifest.len()).unwrap(),
                    &bundle,
                );
                blob(&mut files, &r.config_blob);
                blob(&mut files, &r.layer);
                blob(&mut files, &r.manifest);
                // Listed without a tag: found only through its `subject`.
                index_entries.push(json!({
                    "mediaType": OCI_MANIFEST,
                    "artifactType": vsig::BUNDLE_MEDIA_TYPE,
                    "digest": r.manifest_digest,
                    "size": r.manifest.len(),
                }));
                (Some(r.manifest_digest), Some(signed_at))
            }
        };
        outs.push(PackOut {
            pack,
            manifest_digest,
            referrer_digest,
            signed_at,
        });
    }

    files.push((
        "layout/oci-layout".into(),
        b"{\"imageLayoutVersion\":\"1.0.0\"}".to_vec(),
    ));
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": index_entries,
    });
    let mut index = serde_json::to_vec_pretty(&index).unwrap();
    index.push(b'\n');
    files.push(("layout/index.json".into(), index));
    files.push(("trusted_root.json".into(), vs.trusted_root_json()));
    files.push(("values.yaml".into(), values_yaml(&outs).into_bytes()));
    files.push(("README.md".into(), readme(&outs).into_bytes()));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Output { files, packs: outs }
}

fn values_yaml(packs: &[PackOut]) -> String {
    let mut extras = String::new();
    for (i, p) in packs.iter().enumerate() {
        extras.push_str(&format!(
            "    # {}. {}\n    - {}\n",
            i + 1,
            p.pack.expected.describe(),
            p.pack.oci_ref()
        ));
    }
    format!(
        r#"# Helm-style values for the offline example of `rulepack-verify verify`.
# Generated by examples/make-offline-example.rs; see README.md next to this file.
# Only the `rulePacks` section is read; the other keys stand for the rest of a chart.

replicaCount: 1

image:
  repository: ghcr.io/lithastra/kubeatlas
  tag: "1.4.2"
  pullPolicy: IfNotPresent

resources:
  requests:
    cpu: 100m
    memory: 128Mi

rulePacks:
  verifySignature: true
  # The virtual Sigstore's trusted root, used as is (no TUF, no network).
  trustedRoot: trusted_root.json
  # Resolve every oci:// reference from this OCI image layout instead of a registry.
  layout: layout
  # Third-party publishers only: packs under ghcr.io/lithastra/ are accepted only with the
  # compiled-in identity, whatever is listed here.
  trustedIdentities:
    - issuer: {issuer}
      identityRegexp: ^https://github\.com/acme/rules/\.github/workflows/release\.yml@refs/tags/.+$
    # a deliberately broad-looking entry that must NOT widen first-party: shows the pin
    # (it is an exact identity of another publisher; no entry here applies to lithastra packs)
    - issuer: {issuer}
      identity: https://github.com/someone/else/.github/workflows/release.yml@refs/tags/v1
  # Expected outcome of each pack with the trusted root above. Packs 3 and 4 fail and
  # verifySignature is true, so the run as a whole fails (non-zero exit).
  extras:
{extras}"#,
        issuer = GITHUB_ISSUER,
    )
}

fn readme(packs: &[PackOut]) -> String {
    let mut table = String::from(
        "| # | reference | manifest digest | signer (SAN) | signed at | expected |\n|---|---|---|---|---|---|\n",
    );
    for (i, p) in packs.iter().enumerate() {
        let signer = p
            .pack
            .signer
            .as_ref()
            .map_or_else(|| "(none)".to_owned(), |s| format!("`{}`", s.identity()));
        let at = p.signed_at.map_or_else(|| "-".to_owned(), format_rfc3339);
        table.push_str(&format!(
            "| {} | `{}` | `{}` | {} | {} | {} |\n",
            i + 1,
            p.pack.oci_ref(),
            p.manifest_digest,
            signer,
            at,
            p.pack.expected.describe()
        ));
    }
    format!(
        r#"# Offline example

Everything `rulepack-verify verify` needs, with no network:

```sh
cargo run --release -- verify --config testdata/offline/values.yaml
```

- `values.yaml`: a Helm-style values file; its `rulePacks` section lists four packs and
  points at the two files below (paths are relative to the values file).
- `layout/`: an OCI image layout (image-spec `image-layout.md`) holding the four pack
  manifests, their Rego layers, and the Sigstore bundles attached to three of them as OCI
  referrers. Each pack manifest is listed in `index.json` with `io.rulepack.ref` (its
  full reference without `oci://`) and `org.opencontainers.image.ref.name` (its tag); each
  bundle referrer manifest is listed without a tag and points at its pack through
  `subject` (the conventions of `src/oci/layout.rs`).
- `trusted_root.json`: the trusted root of the **test-only virtual Sigstore**
  (`tests/common/vsig.rs`: in-process Fulcio, CT log, Rekor v1 and RFC 3161 TSA with keys
  derived from a fixed seed). It is *not* the Sigstore public-good root: these bundles
  verify against this root only, and real Sigstore bundles do not verify against it.

Each bundle is what `cosign sign` (v3, new bundle format) attaches: a DSSE envelope with
an in-toto statement whose subject is the pack **manifest** digest (predicate type
`https://sigstore.dev/cosign/sign/v1`), a Fulcio certificate with the GitHub Actions
extensions (.9–.22) and an embedded SCT, a Rekor v1 `dsse` entry (SET, inclusion proof,
checkpoint) and an RFC 3161 timestamp. The signing times are fixed in the past.

## Expected outcomes

{table}
The run as a whole fails (non-zero exit), because `verifySignature` is `true` and packs 3
and 4 do not verify. The `trustedIdentities` entry for `someone/else` illustrates that
configuration never applies to `ghcr.io/lithastra/…` packs (docs/verification.md, "Trust policy"): pack 1 is checked
against the compiled-in identity alone.

## How it was generated

```sh
cargo run --example make-offline-example -- testdata/offline
```

The generator (`examples/make-offline-example.rs`) is deterministic: running it again
writes byte-identical files. `tests/offline_example.rs` regenerates the data in memory,
compares it with these files, and checks them with the crate's OCI layout, bundle,
trusted-root and configuration parsers.
"#
    )
}

/// Writes `out` under `dir`, and removes blobs under `layout/blobs/sha256` that are no
/// longer generated (so a regenerated layout holds no stale content).
fn write(dir: &Path, out: &Output) {
    let wanted: BTreeSet<&str> = out.files.iter().map(|(p, _)| p.as_str()).collect();
    let blobs = dir.join("layout/blobs/sha256");
    if let Ok(rd) = std::fs::read_dir(&blobs) {
        for e in rd {
            let e = e.unwrap();
            let rel = format!("layout/blobs/sha256/{}", e.file_name().to_string_lossy());
            if !wanted.contains(rel.as_str()) {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
    }
    for (rel, bytes) in &out.files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
    }
}

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: make-offline-example <out-dir>");
        std::process::exit(2);
    };
    let dir = Path::new(&dir);
    let out = generate();
    write(dir, &out);
    let total: usize = out.files.iter().map(|(_, b)| b.len()).sum();
    println!(
        "wrote {} files ({total} bytes) to {}",
        out.files.len(),
        dir.display()
    );
}
