//! End to end against a real registry: packs signed by the test-only virtual
//! Sigstore in cosign's new bundle format are pushed to Debian's `docker-registry`
//! (TLS with a test CA, htpasswd Basic auth, no referrers API so the `sha256-<hex>`
//! tag fallback is used), and the CLI binary runs `verify` and `pull` over them with
//! `DOCKER_CONFIG` credentials, `--ca-file` and the virtual Sigstore's trusted root
//! given through the config's `trustedRoot`.
//!
//! First-party references are `oci://ghcr.io/lithastra/…`; `rulePacks.mirrors` sends
//! `ghcr.io` to the local registry, so the tier is decided by the logical name while
//! the bytes come from the mirror.
//!
//! One registry for the whole file: every pack lives under its own repository, below a
//! per-run prefix, and is pushed (and, for the tamper cases, damaged) once by the shared
//! fixture. Start the registry with `scripts/test-registry.sh start` and
//! `set -a; . target/test-registry/env; set +a`; without it the tests are skipped with a
//! notice (a failure when `RULEPACK_REQUIRE_ALL=1`).
#![cfg(feature = "online")]

#[path = "common/e2e.rs"]
mod e2e;
#[path = "common/registry.rs"]
mod registry;
#[path = "common/vsig.rs"]
mod vsig;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use e2e::{
    gha_identity, gha_sign_options, pull_args, read_tree, run_cli, temp_dir, verify_args,
    write_docker_config, BuiltPack, Run, Signed, FIRST_PARTY_REPO, GITHUB_ISSUER, OCI_INDEX,
    OCI_MANIFEST, T0,
};
use registry::{test_registry, Pusher, TestRegistry};
use rulepack_verify::time::format_rfc3339;
use serde_json::{json, Value};
use vsig::VirtualSigstore;

/// One pack as published.
#[derive(Clone, Debug)]
struct Published {
    /// `oci://…` as written in `extras`.
    reference: String,
    /// The manifest digest the registry serves now (after any re-push).
    digest: String,
    /// The layers as pushed (before any tampering).
    layers: Vec<(String, Vec<u8>)>,
    /// The attached bundle's digest, if signed.
    bundle_digest: Option<String>,
}

struct Fixture {
    reg: TestRegistry,
    /// Temp dir holding `home/`, `docker/config.json`, `trusted_root.json`.
    dir: PathBuf,
    /// Per-run repository component (`e2e-<pid>-<nanos>`).
    run: String,
    packs: Vec<(&'static str, Published)>,
}

impl Fixture {
    fn pack(&self, name: &str) -> &Published {
        &self
            .packs
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no fixture pack {name}"))
            .1
    }

    fn mirror(&self) -> String {
        format!("https://{}", self.reg.addr)
    }

    /// A values file in the fixture dir listing `names` (in order); `extra` is added
    /// inside `rulePacks` (indented by two spaces).
    fn values(&self, file: &str, names: &[&str], extra: &str) -> PathBuf {
        let extras: String = names
            .iter()
            .map(|n| format!("    - {}\n", self.pack(n).reference))
            .collect();
        let yaml = format!(
            "# Helm-style values (other keys are ignored).\nimage: {{tag: \"1.0\"}}\nrulePacks:\n  trustedRoot: trusted_root.json\n  mirrors:\n    ghcr.io: {mirror}\n  trustedIdentities:\n    - issuer: {GITHUB_ISSUER}\n      identityRegexp: ^https://github\\.com/acme/rules/\\.github/workflows/release\\.yml@refs/tags/.+$\n    - issuer: {GITHUB_ISSUER}\n      identity: https://github.com/someone/else/.github/workflows/release.yml@refs/tags/v1\n    # unanchored on purpose: regexes must match the whole identity anyway\n    - issuer: {GITHUB_ISSUER}\n      identityRegexp: https://github\\.com/acme/tools/\\.github/workflows/release\\.yml@refs/tags/v[0-9.]+\n{extra}  extras:\n{extras}",
            mirror = self.mirror(),
        );
        let p = self.dir.join(file);
        std::fs::write(&p, yaml).unwrap();
        p
    }

    /// Runs the binary with the fixture's `HOME`, `DOCKER_CONFIG` and `--ca-file`.
    fn cli(&self, args: &[&str]) -> Run {
        self.cli_with_docker_config(&self.dir.join("docker"), args)
    }

    /// [`Fixture::cli`] with another `DOCKER_CONFIG` directory.
    fn cli_with_docker_config(&self, docker: &Path, args: &[&str]) -> Run {
        let ca = self.reg.ca.to_str().unwrap().to_owned();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--ca-file", &ca]);
        run_cli(&self.dir.join("home"), &all, &[("DOCKER_CONFIG", docker)])
    }
}

/// Where `scripts/test-registry.sh` keeps the registry's blobs: `$dir/data` next to the
/// CA, distribution's filesystem driver layout below it.
fn blob_file(reg: &TestRegistry, digest: &str) -> PathBuf {
    let hex = digest.strip_prefix("sha256:").unwrap();
    let data = reg.ca.parent().unwrap().join("data");
    data.join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data")
}

/// Overwrites a stored blob with same-length, different bytes (one byte changed).
fn damage_blob(reg: &TestRegistry, digest: &str, f: impl FnOnce(&mut Vec<u8>)) {
    let path = blob_file(reg, digest);
    let mut bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the registry's blob file {} ({e}): is the registry the one \
             scripts/test-registry.sh started?",
            path.display()
        )
    });
    let before = bytes.clone();
    f(&mut bytes);
    assert_eq!(bytes.len(), before.len());
    assert_ne!(bytes, before);
    std::fs::write(&path, bytes).unwrap();
}

/// Pushes the pack's blobs and its manifest under `tag`.
fn push_pack(p: &Pusher, repo: &str, tag: &str, pack: &BuiltPack) {
    p.push_blob(repo, b"{}");
    for (_, bytes) in &pack.layers {
        p.push_blob(repo, bytes);
    }
    let d = p.push_manifest(repo, tag, OCI_MANIFEST, &pack.manifest);
    assert_eq!(d.to_string(), pack.digest);
}

/// Pushes bundle referrers by digest and, because distribution 2.8 has no referrers
/// API, the `sha256-<hex>` fallback index listing them (what cosign/oras push).
fn push_referrers(p: &Pusher, repo: &str, pack: &BuiltPack, signed: &[&Signed]) {
    let mut listed = Vec::new();
    for s in signed {
        let r = &s.referrer;
        p.push_blob(repo, &r.config_blob);
        p.push_blob(repo, &r.layer);
        p.push_manifest(repo, &r.manifest_digest, OCI_MANIFEST, &r.manifest);
        listed.push(
            json!({"mediaType": OCI_MANIFEST, "digest": r.manifest_digest,
            "size": r.manifest.len(), "artifactType": vsig::BUNDLE_MEDIA_TYPE}),
        );
    }
    let idx = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": listed}),
    )
    .unwrap();
    let hex = pack.digest.strip_prefix("sha256:").unwrap();
    p.push_manifest(repo, &format!("sha256-{hex}"), OCI_INDEX, &idx);
}

/// Packs a `pull` test writes: they get two layers, one in a subdirectory.
const PULLED: &[&str] = &[
    "fp-good",
    "tp-good",
    "unsigned",
    "tp-evil-repo",
    "tampered-layer",
];

/// The signer of a fixture pack.
enum By {
    /// GitHub Actions release workflow of `repo` at `git_ref`.
    Gha(&'static str, &'static str),
    /// Like `Gha`, but with another OIDC issuer.
    GhaIssuer(&'static str, &'static str, &'static str),
    /// A raw SAN (with the GitHub extensions of `repo`).
    San(&'static str, String),
    Unsigned,
}

fn setup() -> Option<&'static Fixture> {
    static FX: OnceLock<Option<Fixture>> = OnceLock::new();
    FX.get_or_init(|| {
        let reg = test_registry("e2e_registry")?;
        let dir = temp_dir("registry");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let run = format!("e2e-{}-{nanos}", std::process::id());
        // The registry's credentials under its own address and, because the client
        // currently looks mirror credentials up by the logical name (see
        // `mirror_uses_the_mirror_hosts_credentials`), under ghcr.io too.
        write_docker_config(
            &dir.join("docker"),
            &[
                (&format!("https://{}", reg.addr), &reg.user, &reg.password),
                ("ghcr.io", &reg.user, &reg.password),
            ],
        );
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let mut vs = VirtualSigstore::new(6_000_006);
        std::fs::write(dir.join("trusted_root.json"), vs.trusted_root_json()).unwrap();

        // (name, logical registry, repository, tag, signer)
        let g = "ghcr.io";
        let fp_ok = gha_identity(FIRST_PARTY_REPO, "refs/tags/v0.1.0");
        let specs: Vec<(&'static str, String, String, &str, By)> = vec![
            (
                "fp-good",
                g.into(),
                format!("lithastra/{run}/eks"),
                "0.1.0",
                By::Gha(FIRST_PARTY_REPO, "refs/tags/v0.1.0"),
            ),
            // Signed by identities trustedIdentities lists: never enough for first-party.
            (
                "fp-by-acme",
                g.into(),
                format!("lithastra/{run}/by-acme"),
                "0.2.0",
                By::Gha("acme/rules", "refs/tags/v0.2.0"),
            ),
            (
                "fp-by-listed-exact",
                g.into(),
                format!("lithastra/{run}/by-else"),
                "1.0.0",
                By::Gha("someone/else", "refs/tags/v1"),
            ),
            (
                "fp-branch",
                g.into(),
                format!("lithastra/{run}/branch"),
                "0.3.0",
                By::Gha(FIRST_PARTY_REPO, "refs/heads/main"),
            ),
            (
                "tp-good",
                g.into(),
                format!("acme/{run}/argo"),
                "0.2.0",
                By::Gha("acme/rules", "refs/tags/v0.2.0"),
            ),
            (
                "tp-exact",
                g.into(),
                format!("someone/{run}/else"),
                "1.0.0",
                By::Gha("someone/else", "refs/tags/v1"),
            ),
            (
                "tp-evil-repo",
                g.into(),
                format!("acme/{run}/evil"),
                "1.0.0",
                By::Gha("acme/rules-evil", "refs/tags/v1.0.0"),
            ),
            (
                "tp-branch",
                g.into(),
                format!("acme/{run}/branch"),
                "1.0.0",
                By::Gha("acme/rules", "refs/heads/main"),
            ),
            (
                "tp-exact-suffix",
                g.into(),
                format!("someone/{run}/suffix"),
                "1.0.0",
                By::Gha("someone/else", "refs/tags/v1-rc1"),
            ),
            (
                "tp-unanchored",
                g.into(),
                format!("acme/{run}/tools"),
                "1.0.0",
                By::Gha("acme/tools", "refs/tags/v1.0.0-evil"),
            ),
            (
                "tp-other-issuer",
                g.into(),
                format!("acme/{run}/issuer"),
                "1.0.0",
                By::GhaIssuer(
                    "acme/rules",
                    "refs/tags/v1.0.0",
                    "https://token.actions.githubusercontent.com.evil.example",
                ),
            ),
            // The first-party repository path and identity, but under the registry's
            // own address: a third-party pack (the tier is the logical name's).
            (
                "direct-fp-path",
                reg.addr.clone(),
                format!("lithastra/{run}/direct"),
                "0.1.0",
                By::San(FIRST_PARTY_REPO, fp_ok.clone()),
            ),
            (
                "unsigned",
                g.into(),
                format!("acme/{run}/unsigned"),
                "0.1.0",
                By::Unsigned,
            ),
            (
                "tampered-layer",
                g.into(),
                format!("acme/{run}/tampered-layer"),
                "1.0.0",
                By::Gha("acme/rules", "refs/tags/v1.0.0"),
            ),
            (
                "tampered-manifest",
                g.into(),
                format!("acme/{run}/tampered-manifest"),
                "1.0.0",
                By::Gha("acme/rules", "refs/tags/v1.0.0"),
            ),
            (
                "repushed",
                g.into(),
                format!("acme/{run}/repushed"),
                "1.0.0",
                By::Gha("acme/rules", "refs/tags/v1.0.0"),
            ),
        ];

        // Sign everything first (the virtual Sigstore is sequential), then push in
        // parallel: each request costs a TLS round trip and a bcrypt check.
        struct Job {
            name: &'static str,
            host: String,
            repo: String,
            tag: &'static str,
            rego: String,
            pack: BuiltPack,
            signed: Option<Signed>,
        }
        let mut jobs = Vec::new();
        for (i, (name, host, repo, tag, by)) in specs.into_iter().enumerate() {
            // Unique layer bytes per pack (blobs are shared registry-wide, and the
            // tamper cases damage theirs). Packs that `pull` writes get a second layer
            // in a subdirectory.
            let rego = format!(
                "package e2e.{}\n\n# run {run}\ndeny[msg] {{ false; msg := \"{name}\" }}\n",
                name.replace('-', "_")
            );
            let extra = format!("package e2e.{}.extra\n\n# {run}\n", name.replace('-', "_"));
            let mut layers: Vec<(&str, &[u8])> = vec![("rules/main.rego", rego.as_bytes())];
            if PULLED.contains(&name) {
                layers.push(("rules/extra/more.rego", extra.as_bytes()));
            }
            let pack = BuiltPack::new(tag, &layers);
            let signed_at = T0 + 60 * i64::try_from(i).unwrap();
            let opts = match &by {
                By::Gha(r, git_ref) => Some(gha_sign_options(r, git_ref, signed_at)),
                By::GhaIssuer(r, git_ref, iss) => {
                    let mut o = gha_sign_options(r, git_ref, signed_at);
                    o.issuer = (*iss).to_owned();
                    Some(o)
                }
                By::San(r, san) => {
                    let mut o = gha_sign_options(r, "refs/tags/v0.1.0", signed_at);
                    o.identity = vsig::San::Uri(san.clone());
                    Some(o)
                }
                By::Unsigned => None,
            };
            let signed = opts.map(|o| pack.sign(&mut vs, &o));
            jobs.push(Job {
                name,
                host,
                repo,
                tag,
                rego,
                pack,
                signed,
            });
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    let p = Pusher::new(&reg);
                    while let Some(j) =
                        jobs.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        push_pack(&p, &j.repo, j.tag, &j.pack);
                        if let Some(s) = &j.signed {
                            push_referrers(&p, &j.repo, &j.pack, &[s]);
                        }
                    }
                });
            }
        });
        let p = Pusher::new(&reg);
        let mut packs = Vec::new();
        for Job {
            name,
            host,
            repo,
            tag,
            rego,
            pack,
            signed,
        } in jobs
        {
            let mut digest = pack.digest.clone();
            match name {
                "tampered-layer" => damage_blob(&reg, &vsig::oci_digest(&pack.layers[0].1), |b| {
                    let n = b.len();
                    b[n - 2] ^= 0x20;
                }),
                "tampered-manifest" => damage_blob(&reg, &pack.digest, |b| {
                    let s = String::from_utf8(b.clone())
                        .unwrap()
                        .replace("\"1.0.0\"", "\"1.0.1\"");
                    *b = s.into_bytes();
                }),
                "repushed" => {
                    // Another manifest under the same tag: nothing signs its digest.
                    let other =
                        BuiltPack::new("1.0.0-modified", &[("rules/main.rego", rego.as_bytes())]);
                    push_pack(&p, &repo, tag, &other);
                    digest = other.digest.clone();
                }
                _ => {}
            }
            packs.push((
                name,
                Published {
                    reference: format!("oci://{host}/{repo}:{tag}"),
                    digest,
                    layers: pack.layers.clone(),
                    bundle_digest: signed.as_ref().map(Signed::bundle_digest),
                },
            ));
        }
        Some(Fixture {
            reg,
            dir,
            run,
            packs,
        })
    })
    .as_ref()
}

/// Every key of the documented `--output json` pack object.
const JSON_KEYS: [&str; 11] = [
    "reference",
    "digest",
    "tier",
    "status",
    "identity",
    "issuer",
    "signedAt",
    "source",
    "bundleDigest",
    "error",
    "path",
];

fn check_schema(run: &Run) {
    for p in run.packs() {
        let o = p.as_object().unwrap();
        for k in JSON_KEYS {
            assert!(o.contains_key(k), "pack object without {k}: {p}\n{run}");
        }
        match o["status"].as_str().unwrap() {
            "verified" | "unverified" => assert!(o["error"].is_null(), "{p}"),
            "failed" => {
                let e = &o["error"];
                assert!(e["code"].is_string() && e["message"].is_string(), "{p}");
                for k in ["identity", "issuer", "signedAt", "bundleDigest"] {
                    assert!(o[k].is_null(), "failed pack with {k}: {p}");
                }
            }
            s => panic!("unknown status {s}: {p}"),
        }
        assert!(
            ["first-party", "third-party"].contains(&o["tier"].as_str().unwrap()),
            "{p}"
        );
    }
}

fn assert_verified(fx: &Fixture, run: &Run, name: &str, tier: &str, identity: &str, source: &str) {
    let pk = fx.pack(name);
    let j = run.pack(&pk.reference);
    assert_eq!(j["status"], "verified", "{name}: {j}\n{run}");
    assert_eq!(j["tier"], tier, "{name}: {j}");
    assert_eq!(j["digest"], pk.digest.as_str(), "{name}: {j}");
    assert_eq!(j["identity"], identity, "{name}: {j}");
    assert_eq!(j["issuer"], GITHUB_ISSUER, "{name}: {j}");
    assert_eq!(j["source"], source, "{name}: {j}");
    assert_eq!(
        j["bundleDigest"].as_str(),
        pk.bundle_digest.as_deref(),
        "{name}: {j}"
    );
    // signedAt is documented as the earliest verified signing time: here the RFC 3161
    // timestamp (+30 s), earlier than the Rekor integrated time (+60 s).
    let i = i64::try_from(fx.packs.iter().position(|(n, _)| *n == name).unwrap()).unwrap();
    assert_eq!(
        j["signedAt"],
        format_rfc3339(T0 + 60 * i + 30),
        "{name}: {j}"
    );
}

/// Checks a failure: status, code, tier, and that the message names the pack
/// (reference, and digest when resolution got that far).
fn assert_failed(fx: &Fixture, run: &Run, name: &str, tier: &str, code: &str) -> String {
    let pk = fx.pack(name);
    let j = run.pack(&pk.reference);
    assert_eq!(j["status"], "failed", "{name}: {j}\n{run}");
    assert_eq!(j["error"]["code"], code, "{name}: {j}");
    assert_eq!(j["tier"], tier, "{name}: {j}");
    let msg = j["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        msg.contains(&pk.reference),
        "{name}: message without the reference: {msg}"
    );
    if code != "registry.digest-mismatch" {
        assert_eq!(j["digest"], pk.digest.as_str(), "{name}: {j}");
        assert!(
            msg.contains(&pk.digest),
            "{name}: message without the digest: {msg}"
        );
    }
    msg
}

const VERIFY_SET: &[&str] = &[
    "fp-good",
    "fp-by-acme",
    "fp-by-listed-exact",
    "fp-branch",
    "tp-good",
    "tp-exact",
    "tp-evil-repo",
    "tp-branch",
    "tp-exact-suffix",
    "tp-unanchored",
    "tp-other-issuer",
    "direct-fp-path",
    "unsigned",
    "tampered-manifest",
    "repushed",
];

#[test]
fn verify_json_tiers_identities_and_failures() {
    let Some(fx) = setup() else { return };
    let values = fx.values("verify-all.yaml", VERIFY_SET, "");
    let run = fx.cli(&verify_args(&values, &["--output", "json"]));
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.error_code().as_deref(), Some("packs.failed"), "{run}");
    check_schema(&run);
    assert_eq!(run.packs().len(), VERIFY_SET.len());
    // Output order is extras order.
    let refs: Vec<String> = run
        .packs()
        .iter()
        .map(|p| p["reference"].as_str().unwrap().to_owned())
        .collect();
    let want: Vec<String> = VERIFY_SET
        .iter()
        .map(|n| fx.pack(n).reference.clone())
        .collect();
    assert_eq!(refs, want);

    let mirror = format!("mirror {}", fx.mirror());
    // First-party: only the pinned identity, although trustedIdentities lists others;
    // served by the mirror, named by the logical reference.
    assert_verified(
        fx,
        &run,
        "fp-good",
        "first-party",
        &gha_identity(FIRST_PARTY_REPO, "refs/tags/v0.1.0"),
        &mirror,
    );
    for n in ["fp-by-acme", "fp-by-listed-exact", "fp-branch"] {
        let msg = assert_failed(fx, &run, n, "first-party", "policy.identity-mismatch");
        assert!(
            msg.contains("kubeatlas-rules"),
            "{n}: the pinned identity is not named: {msg}"
        );
        assert_eq!(run.pack(&fx.pack(n).reference)["source"], mirror.as_str());
    }
    // The signer's identity is quoted in the reason.
    let m = assert_failed(
        fx,
        &run,
        "fp-by-acme",
        "first-party",
        "policy.identity-mismatch",
    );
    assert!(
        m.contains(&gha_identity("acme/rules", "refs/tags/v0.2.0")),
        "{m}"
    );

    // Third-party: a matching entry is required.
    assert_verified(
        fx,
        &run,
        "tp-good",
        "third-party",
        &gha_identity("acme/rules", "refs/tags/v0.2.0"),
        &mirror,
    );
    assert_verified(
        fx,
        &run,
        "tp-exact",
        "third-party",
        &gha_identity("someone/else", "refs/tags/v1"),
        &mirror,
    );
    for (n, signer) in [
        (
            "tp-evil-repo",
            gha_identity("acme/rules-evil", "refs/tags/v1.0.0"),
        ),
        ("tp-branch", gha_identity("acme/rules", "refs/heads/main")),
        (
            "tp-exact-suffix",
            gha_identity("someone/else", "refs/tags/v1-rc1"),
        ),
        (
            "tp-unanchored",
            gha_identity("acme/tools", "refs/tags/v1.0.0-evil"),
        ),
        (
            "tp-other-issuer",
            gha_identity("acme/rules", "refs/tags/v1.0.0"),
        ),
    ] {
        let msg = assert_failed(fx, &run, n, "third-party", "policy.identity-mismatch");
        assert!(msg.contains(&signer), "{n}: {msg}");
    }
    // Same repository path and the first-party identity, but the logical name is the
    // registry's address: third-party, and no entry trusts that identity.
    let direct = assert_failed(
        fx,
        &run,
        "direct-fp-path",
        "third-party",
        "policy.identity-mismatch",
    );
    assert!(
        direct.contains(&gha_identity(FIRST_PARTY_REPO, "refs/tags/v0.1.0")),
        "{direct}"
    );
    assert_eq!(
        run.pack(&fx.pack("direct-fp-path").reference)["source"],
        format!("registry {}", fx.reg.addr)
    );

    // No signature, tampered manifest bytes, and a re-pushed tag.
    let m = assert_failed(fx, &run, "unsigned", "third-party", "registry.no-bundle");
    assert!(m.contains("no Sigstore bundle"), "{m}");
    let m = assert_failed(
        fx,
        &run,
        "tampered-manifest",
        "third-party",
        "registry.digest-mismatch",
    );
    assert!(
        m.contains(&fx.pack("tampered-manifest").digest),
        "expected digest not named: {m}"
    );
    let m = assert_failed(fx, &run, "repushed", "third-party", "registry.no-bundle");
    assert!(m.contains(&fx.pack("repushed").digest), "{m}");
}

#[test]
fn verify_text_names_mirror_and_summary() {
    let Some(fx) = setup() else { return };
    let values = fx.values("verify-text.yaml", &["fp-good", "tp-good", "unsigned"], "");
    let run = fx.cli(&verify_args(&values, &[]));
    assert_eq!(run.code, 1, "{run}");
    let line = |n: &str| {
        let r = &fx.pack(n).reference;
        run.stdout
            .lines()
            .find(|l| l.contains(r.as_str()))
            .unwrap_or_else(|| panic!("no line for {r}\n{run}"))
            .to_owned()
    };
    let fp = line("fp-good");
    assert!(fp.starts_with("verified"), "{fp}");
    assert!(fp.contains("tier=first-party"), "{fp}");
    assert!(fp.contains(&format!("from mirror {}", fx.mirror())), "{fp}");
    assert!(fp.contains(&fx.pack("fp-good").digest), "{fp}");
    assert!(line("tp-good").contains("tier=third-party"), "{run}");
    let u = line("unsigned");
    assert!(
        u.starts_with("FAILED") && u.contains("error[registry.no-bundle]"),
        "{u}"
    );
    assert!(
        run.stdout.contains("3 packs: 2 verified, 1 failed"),
        "{run}"
    );
    assert!(run.stderr.contains("trust root: "), "{run}");
    assert!(!run.stderr.contains("DISABLED"), "{run}");

    // Everything verified: exit 0.
    let ok = fx.values("verify-ok.yaml", &["fp-good", "tp-good", "tp-exact"], "");
    let run = fx.cli(&verify_args(&ok, &[]));
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains("3 packs: 3 verified, 0 failed"),
        "{run}"
    );
    assert_eq!(run.error_code(), None, "{run}");
}

/// The index of the current generation `pull` wrote (docs/pull.md).
fn index(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("current/index.json")).unwrap()).unwrap()
}

/// Where `pull` wrote a pack: `OUT/current/<path from index.json>`, `None` when the
/// current generation does not hold it.
fn pack_dir(out: &Path, pk: &Published) -> Option<PathBuf> {
    if !out.join("current/index.json").exists() {
        return None;
    }
    index(out)["packs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["reference"] == pk.reference.as_str())
        .map(|p| out.join("current").join(p["path"].as_str().unwrap()))
}

/// The layers written for a pack, and its provenance record (its `index.json` entry).
fn written(out: &Path, pk: &Published) -> (Vec<(String, Vec<u8>)>, Value) {
    let dir = pack_dir(out, pk).unwrap_or_else(|| panic!("{} was not written", pk.reference));
    let prov = index(out)["packs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["reference"] == pk.reference.as_str())
        .cloned()
        .unwrap();
    (read_tree(&dir), prov)
}

fn expected_layers(pk: &Published) -> Vec<(String, Vec<u8>)> {
    let mut l = pk.layers.clone();
    l.sort();
    l
}

#[test]
fn pull_writes_verified_packs_only() {
    let Some(fx) = setup() else { return };
    let names = [
        "fp-good",
        "tp-good",
        "unsigned",
        "fp-by-acme",
        "tp-evil-repo",
        "repushed",
    ];
    let values = fx.values("pull.yaml", &names, "");
    let out = fx.dir.join("pull-out");
    let run = fx.cli(&pull_args(&values, &out, &["--output", "json"]));
    assert_eq!(run.code, 1, "{run}");
    check_schema(&run);
    for n in ["fp-good", "tp-good"] {
        let pk = fx.pack(n);
        assert_eq!(run.pack(&pk.reference)["status"], "verified", "{run}");
        let (layers, prov) = written(&out, pk);
        assert_eq!(
            layers,
            expected_layers(pk),
            "{n}: written layers differ from pushed"
        );
        assert_eq!(prov["status"], "verified", "{prov}");
        assert_eq!(prov["digest"], pk.digest.as_str(), "{prov}");
        assert_eq!(
            prov["bundleDigest"].as_str(),
            pk.bundle_digest.as_deref(),
            "{prov}"
        );
        assert!(
            run.stderr
                .contains(&format!("wrote {}", pack_dir(&out, pk).unwrap().display())),
            "{run}"
        );
        assert_eq!(
            run.pack(&pk.reference)["path"],
            pack_dir(&out, pk).unwrap().display().to_string(),
            "{run}"
        );
    }
    for n in ["unsigned", "fp-by-acme", "tp-evil-repo", "repushed"] {
        let pk = fx.pack(n);
        assert_eq!(run.pack(&pk.reference)["status"], "failed", "{run}");
        assert!(run.pack(&pk.reference)["path"].is_null(), "{run}");
        assert!(
            pack_dir(&out, pk).is_none(),
            "{n}: it was written for a failed pack"
        );
    }
    // No temporary leftovers, one generation.
    let mut entries: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [".rulepack-verify-output", "current", "gen-000001"]
    );
    // Exactly the two verified packs' files are under OUT/current/packs.
    let all = read_tree(&out.join("current/packs"));
    assert_eq!(
        all.len(),
        2 * 2,
        "{:?}",
        all.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(index(&out)["packs"].as_array().unwrap().len(), 2);

    // Pulling again writes a new generation with the same packs.
    let again = fx.cli(&pull_args(&values, &out, &[]));
    assert_eq!(again.code, 1, "{again}");
    assert_eq!(read_tree(&out.join("current/packs")), all);
    assert_eq!(index(&out)["generation"], 2);
}

/// The registry's copy of a layer was damaged after signing: `verify` does not fetch
/// layers, `pull` does and must reject the pack (digest check), write nothing for it,
/// still write the others, and report it in the JSON output like any failed pack.
#[test]
fn pull_rejects_a_tampered_layer() {
    let Some(fx) = setup() else { return };
    let values = fx.values(
        "pull-tampered.yaml",
        &["tp-good", "tampered-layer", "fp-good"],
        "",
    );
    let out = fx.dir.join("pull-tampered-out");
    let run = fx.cli(&pull_args(&values, &out, &["--output", "json"]));
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.error_code().as_deref(), Some("packs.failed"), "{run}");
    check_schema(&run);
    let pk = fx.pack("tampered-layer");
    assert!(pack_dir(&out, pk).is_none(), "tampered pack written\n{run}");
    let j = run.pack(&pk.reference);
    assert_eq!(j["status"], "failed", "{run}");
    assert_eq!(j["error"]["code"], "registry.digest-mismatch", "{run}");
    let msg = j["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(&pk.reference) && msg.contains(&pk.digest),
        "{msg}"
    );
    let layer_digest = vsig::oci_digest(&pk.layers[0].1);
    assert!(
        msg.contains(&layer_digest),
        "the damaged layer is not named: {msg}"
    );
    for n in ["tp-good", "fp-good"] {
        let good = fx.pack(n);
        assert_eq!(run.pack(&good.reference)["status"], "verified", "{run}");
        assert_eq!(written(&out, good).0, expected_layers(good), "{n}");
    }
}

#[test]
fn verify_signature_false_loads_and_says_so() {
    let Some(fx) = setup() else { return };
    let names = ["fp-good", "unsigned", "tp-evil-repo"];
    let values = fx.values("unverified.yaml", &names, "  verifySignature: false\n");
    let out = fx.dir.join("unverified-out");
    let run = fx.cli(&pull_args(&values, &out, &["--output", "json"]));
    assert_eq!(run.code, 0, "{run}");
    check_schema(&run);
    assert_eq!(
        run.stderr
            .matches("signature verification is DISABLED")
            .count(),
        1,
        "one run-level warning expected\n{run}"
    );
    for n in names {
        let pk = fx.pack(n);
        let j = run.pack(&pk.reference);
        assert_eq!(j["status"], "unverified", "{j}");
        assert_eq!(j["digest"], pk.digest.as_str(), "{j}");
        assert!(
            j["identity"].is_null() && j["bundleDigest"].is_null(),
            "{j}"
        );
        let warn = format!(
            "warning: {}@{} is loaded WITHOUT signature verification",
            pk.reference, pk.digest
        );
        assert_eq!(
            run.stderr.matches(&warn).count(),
            1,
            "one warning per pack: {warn}\n{run}"
        );
        let (layers, prov) = written(&out, pk);
        assert_eq!(layers, expected_layers(pk), "{n}");
        assert_eq!(prov["status"], "unverified", "{prov}");
    }
    // No trust root is needed or loaded.
    assert!(!run.stderr.contains("trust root: "), "{run}");

    // Text output says UNVERIFIED for each pack and in the summary.
    let run = fx.cli(&verify_args(&values, &[]));
    assert_eq!(run.code, 0, "{run}");
    for n in names {
        let r = &fx.pack(n).reference;
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with("UNVERIFIED") && l.contains(r.as_str())),
            "{r}\n{run}"
        );
    }
    assert!(
        run.stdout.contains("3 unverified (verification disabled)"),
        "{run}"
    );
}

#[test]
fn one_off_verify_with_flags() {
    let Some(fx) = setup() else { return };
    let root = fx.dir.join("trusted_root.json");
    let mirror = format!("ghcr.io={}", fx.mirror());
    let acme = gha_identity("acme/rules", "refs/tags/v0.2.0");
    let tp = &fx.pack("tp-good").reference;
    let fp_by_acme = &fx.pack("fp-by-acme").reference;
    let run = fx.cli(&[
        "verify",
        tp,
        fp_by_acme,
        "--registry-mirror",
        &mirror,
        "--trusted-root",
        root.to_str().unwrap(),
        "--certificate-identity",
        &acme,
        "--certificate-oidc-issuer",
        GITHUB_ISSUER,
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.pack(tp)["status"], "verified", "{run}");
    // The identity flag does not widen the first-party pin.
    let j = run.pack(fp_by_acme);
    assert_eq!(j["status"], "failed", "{run}");
    assert_eq!(j["error"]["code"], "policy.identity-mismatch", "{run}");

    // Without an identity, a third-party pack has nothing to match.
    let run = fx.cli(&[
        "verify",
        tp,
        "--registry-mirror",
        &mirror,
        "--trusted-root",
        root.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run}");
    let j = run.pack(tp);
    assert_eq!(j["status"], "failed", "{run}");
    assert!(
        j["error"]["message"]
            .as_str()
            .unwrap()
            .contains(tp.as_str()),
        "{run}"
    );
}

#[test]
fn registry_credentials_are_required() {
    let Some(fx) = setup() else { return };
    let values = fx.values("anon.yaml", &["tp-good"], "");
    let empty = fx.dir.join("docker-empty");
    write_docker_config(&empty, &[]);
    let run = fx.cli_with_docker_config(&empty, &verify_args(&values, &["--output", "json"]));
    assert_eq!(run.code, 1, "{run}");
    let pk = fx.pack("tp-good");
    let j = run.pack(&pk.reference);
    assert_eq!(j["error"]["code"], "registry.unauthorized", "{run}");
    let msg = j["error"]["message"].as_str().unwrap();
    assert!(msg.contains(&pk.reference), "{msg}");
    let _ = &fx.run;
}

/// A mirror is another host: the client must authenticate to it with the mirror host's
/// own credentials (as containerd's `hosts.toml` and containers-image mirrors do), and
/// must not send it the credentials stored for the logical registry (`ghcr.io`), which
/// belong to another host (credentials only go to the host they are for).
#[test]
fn mirror_uses_the_mirror_hosts_credentials() {
    let Some(fx) = setup() else { return };
    let values = fx.values("mirror-creds.yaml", &["fp-good", "tp-good"], "");
    let docker = fx.dir.join("docker-mirror-only");
    write_docker_config(
        &docker,
        &[
            (
                &format!("https://{}", fx.reg.addr),
                &fx.reg.user,
                &fx.reg.password,
            ),
            ("ghcr.io", "ghcr-user", "ghcr-secret-not-for-the-mirror"),
        ],
    );
    let run = fx.cli_with_docker_config(&docker, &verify_args(&values, &["--output", "json"]));
    for n in ["fp-good", "tp-good"] {
        let j = run.pack(&fx.pack(n).reference);
        assert_eq!(j["status"], "verified", "{n}: {j}\n{run}");
    }
    assert_eq!(run.code, 0, "{run}");
}
