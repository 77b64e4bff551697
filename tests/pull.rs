//! `pull` as the last line of defence: its output directory must be an exact,
//! atomically switched picture of what the current run verified (docs/pull.md).
//!
//! Offline: packs live in an OCI image layout in a temp dir, signed by the test-only
//! virtual Sigstore. The concurrency and interrupted-run tests use the loopback HTTP
//! server of `tests/common/http_server.rs` as a registry.

#[path = "common/e2e.rs"]
mod e2e;
#[cfg(feature = "online")]
#[path = "common/http_server.rs"]
mod http_server;
#[path = "common/vsig.rs"]
mod vsig;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use e2e::{
    cli_command, gha_sign_options, pull_args, read_tree, run_cli, temp_dir, verify_args, BuiltPack,
    LayoutBuilder, Run, Signed, FIRST_PARTY_REPO, OCI_EMPTY, OCI_MANIFEST, PACK_ARTIFACT_TYPE,
    REGO_LAYER_TYPE, T0, TRUSTED_ACME,
};
use serde_json::{json, Value};
use vsig::{oci_digest, VirtualSigstore};

const TITLE: &str = "org.opencontainers.image.title";

/// A pack manifest whose layers may lack a title (`None`) or repeat.
fn raw_pack(version: &str, layers: &[(Option<&str>, &[u8])]) -> BuiltPack {
    let descs: Vec<Value> = layers
        .iter()
        .map(|(title, bytes)| {
            let mut d = json!({"mediaType": REGO_LAYER_TYPE, "digest": oci_digest(bytes), "size": bytes.len()});
            if let Some(t) = title {
                d["annotations"] = json!({ TITLE: t });
            }
            d
        })
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": PACK_ARTIFACT_TYPE,
        "config": { "mediaType": OCI_EMPTY, "digest": oci_digest(b"{}"), "size": 2 },
        "layers": descs, "annotations": { "org.opencontainers.image.version": version },
    }))
    .unwrap();
    BuiltPack {
        digest: oci_digest(&manifest),
        manifest,
        layers: layers
            .iter()
            .map(|(t, b)| (t.unwrap_or_default().to_owned(), b.to_vec()))
            .collect(),
    }
}

/// One pack of the world: its logical reference and what it holds.
struct Pack {
    reference: String,
    digest: String,
    /// `(title or None, bytes)` in manifest order.
    layers: Vec<(Option<String>, Vec<u8>)>,
}

struct World {
    dir: PathBuf,
    layout: PathBuf,
    packs: BTreeMap<&'static str, Pack>,
}

/// `(name, logical reference, signer, layers)` of a pack of the world.
type Spec<'a> = (&'static str, &'a str, By, Vec<(Option<&'a str>, &'a [u8])>);
/// `(relative path, bytes)` of the files under a directory.
type Files = Vec<(String, Vec<u8>)>;

/// Who signs a pack.
enum By {
    FirstParty,
    Acme,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let dir = temp_dir("pull");
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let mut vs = VirtualSigstore::new(6_000_011);
        std::fs::write(dir.join("trusted_root.json"), vs.trusted_root_json()).unwrap();
        let fp_rego: &[u8] = b"package lithastra.eks\n\n# first-party rules\ndeny[msg] { input.privileged; msg := \"privileged\" }\n";
        let specs: Vec<Spec<'_>> = vec![
            ("fp", "ghcr.io/lithastra/rules/eks:0.1.0", By::FirstParty,
                vec![(Some("eks/pod_security.rego"), fp_rego)]),
            // A tag posing as the repository components of the first-party pack, with a
            // title posing as its tag and file: old layouts put both at one path.
            ("tag-as-repo", "ghcr.io/lithastra:rules", By::Acme,
                vec![(Some("eks/0.1.0/eks/pod_security.rego"), b"package lithastra.eks\n\ndeny := set()\n")]),
            ("argo", "ghcr.io/acme/rules/argo:0.2.0", By::Acme,
                vec![(Some("argo/app_project.rego"), b"package acme.argo\n")]),
            ("argo-tag", "ghcr.io/acme/rules:argo", By::Acme,
                vec![(Some("0.2.0/argo/app_project.rego"), b"package acme.argo.impostor\n")]),
            ("json-tag", "ghcr.io/acme/rules/argo:0.2.0.json", By::Acme,
                vec![(Some("x.rego"), b"package acme.json_tag\n")]),
            ("dup-title", "ghcr.io/acme/rules/dup-title:1.0.0", By::Acme,
                vec![(Some("a.rego"), b"package dup.one\n"), (Some("a.rego"), b"package dup.two\n")]),
            ("dup-untitled", "ghcr.io/acme/rules/dup-untitled:1.0.0", By::Acme,
                vec![(None, b"package dup.untitled\n"), (None, b"package dup.untitled\n")]),
            ("file-dir", "ghcr.io/acme/rules/file-dir:1.0.0", By::Acme,
                vec![(Some("a"), b"package fd.file\n"), (Some("a/b.rego"), b"package fd.nested\n")]),
            ("case-only", "ghcr.io/acme/rules/case-only:1.0.0", By::Acme,
                vec![(Some("A.rego"), b"package case.upper\n"), (Some("a.rego"), b"package case.lower\n")]),
            ("traversal", "ghcr.io/acme/rules/traversal:1.0.0", By::Acme,
                vec![(Some("ok.rego"), b"package trav.ok\n"), (Some("../../escape.rego"), b"package trav.escape\n")]),
            ("provenance-title", "ghcr.io/acme/rules/provenance:1.0.0", By::Acme,
                vec![(Some(".rulepack-verify.json"), b"{\"status\":\"forged by the publisher\"}"),
                     (None, b"package prov.untitled\n"),
                     (Some("rules/main.rego"), b"package prov.main\n")]),
            ("missing-blob", "ghcr.io/acme/rules/missing-blob:1.0.0", By::Acme,
                vec![(Some("m.rego"), b"package missing.blob\n")]),
            ("damaged-blob", "ghcr.io/acme/rules/damaged-blob:1.0.0", By::Acme,
                vec![(Some("d.rego"), b"package damaged.blob\n")]),
        ];
        let mut lb = LayoutBuilder::default();
        let mut packs = BTreeMap::new();
        for (i, (name, logical, by, layers)) in specs.into_iter().enumerate() {
            let pack = raw_pack("1", &layers);
            let at = T0 + 600 * i64::try_from(i).unwrap();
            let opts = match by {
                By::FirstParty => gha_sign_options(FIRST_PARTY_REPO, "refs/tags/v0.1.0", at),
                By::Acme => gha_sign_options("acme/rules", "refs/tags/v1.0.0", at),
            };
            let signed: Signed = pack.sign(&mut vs, &opts);
            lb.pack(logical, &pack);
            lb.referrer(&signed);
            packs.insert(
                name,
                Pack {
                    reference: format!("oci://{logical}"),
                    digest: pack.digest.clone(),
                    layers: layers
                        .iter()
                        .map(|(t, b)| (t.map(str::to_owned), b.to_vec()))
                        .collect(),
                },
            );
        }
        let layout = dir.join("layout");
        lb.write(&layout);
        // A mirror that lost one blob and corrupted another (same length).
        let blob = |b: &[u8]| layout.join("blobs/sha256").join(oci_digest(b).strip_prefix("sha256:").unwrap());
        std::fs::remove_file(blob(b"package missing.blob\n")).unwrap();
        std::fs::write(blob(b"package damaged.blob\n"), b"package damaged.BLOB\n").unwrap();
        World { dir, layout, packs }
    })
}

impl World {
    fn pack(&self, name: &str) -> &Pack {
        self.packs
            .get(name)
            .unwrap_or_else(|| panic!("no pack {name}"))
    }

    /// A values file listing `names`; `acme`: whether acme's release workflow is trusted.
    fn values(&self, file: &str, names: &[&str], acme: bool) -> PathBuf {
        let extras: String = names
            .iter()
            .map(|n| format!("    - {}\n", self.pack(n).reference))
            .collect();
        let trusted = if acme {
            TRUSTED_ACME
        } else {
            "  trustedIdentities: []\n"
        };
        let p = self.dir.join(file);
        std::fs::write(
            &p,
            format!(
                "rulePacks:\n  trustedRoot: trusted_root.json\n  layout: {}\n{trusted}  extras:\n{extras}",
                self.layout.display()
            ),
        )
        .unwrap();
        p
    }

    fn cli(&self, args: &[&str]) -> Run {
        run_cli(&self.dir.join("home"), args, &[])
    }

    fn pull(&self, values: &Path, out: &Path) -> Run {
        self.cli(&pull_args(values, out, &["--output", "json"]))
    }

    fn out(&self, name: &str) -> PathBuf {
        let d = self.dir.join(name);
        let _ = std::fs::remove_dir_all(&d);
        d
    }
}

/// The packs of `DIR/current`, read the documented way: `current/index.json` lists each
/// pack and its `path`; every file under `current/packs/` belongs to exactly one listed
/// pack. Returns reference → (entry, files).
fn current(out: &Path) -> BTreeMap<String, (Value, Files)> {
    let cur = out.join("current");
    let index: Value =
        serde_json::from_slice(&std::fs::read(cur.join("index.json")).unwrap()).unwrap();
    let mut packs = BTreeMap::new();
    let mut claimed = 0;
    for p in index["packs"].as_array().unwrap() {
        let dir = cur.join(p["path"].as_str().unwrap());
        assert_eq!(dir.parent().unwrap(), cur.join("packs"), "{p}");
        let files = read_tree(&dir);
        claimed += files.len();
        packs.insert(
            p["reference"].as_str().unwrap().to_owned(),
            (p.clone(), files),
        );
    }
    assert_eq!(
        read_tree(&cur.join("packs")).len(),
        claimed,
        "files under current/packs/ that no index entry claims"
    );
    packs
}

/// The files a pack must have been written as: its titled layers at their titles,
/// untitled ones as `sha256-<hex>`.
fn expected_files(p: &Pack) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = p
        .layers
        .iter()
        .map(|(t, b)| {
            let path = t.clone().unwrap_or_else(|| {
                format!("sha256-{}", oci_digest(b).strip_prefix("sha256:").unwrap())
            });
            (path, b.clone())
        })
        .collect();
    v.sort();
    v
}

/// Every regular file under `dir` (any layout), as content.
fn all_contents(dir: &Path) -> Vec<Vec<u8>> {
    read_tree(dir).into_iter().map(|(_, b)| b).collect()
}

/// Output paths: a tag posing as repository components, a title posing as a tag and a
/// file, and a tag ending in `.json` all get their own directory, and the first-party
/// pack keeps its content and provenance.
#[test]
fn hostile_names_and_titles_never_share_a_path() {
    let w = world();
    let names = ["fp", "tag-as-repo", "argo", "argo-tag", "json-tag"];
    let values = w.values("names.yaml", &names, true);
    let out = w.out("names-out");
    let run = w.pull(&values, &out);
    assert_eq!(run.code, 0, "{run}");
    // Whatever the layout, every verified layer's bytes are somewhere in the output:
    // nothing was replaced by another pack's file.
    let contents = all_contents(&out);
    for n in names {
        for (t, b) in &w.pack(n).layers {
            assert!(
                contents.contains(b),
                "{n}: layer {t:?} is missing from the output (overwritten?)\n{run}"
            );
        }
    }
    let cur = current(&out);
    assert_eq!(cur.len(), names.len(), "{cur:?}");
    let mut dirs = Vec::new();
    for n in names {
        let p = w.pack(n);
        let (entry, files) = cur
            .get(&p.reference)
            .unwrap_or_else(|| panic!("{n} not in index"));
        assert_eq!(files, &expected_files(p), "{n}");
        assert_eq!(entry["digest"], p.digest.as_str(), "{n}");
        assert_eq!(entry["status"], "verified", "{n}");
        // --output json names the same directory through current/.
        let j = run.pack(&p.reference);
        let path = PathBuf::from(j["path"].as_str().unwrap());
        assert_eq!(
            path,
            out.join("current").join(entry["path"].as_str().unwrap())
        );
        assert_eq!(read_tree(&path), expected_files(p));
        dirs.push(entry["path"].as_str().unwrap().to_owned());
    }
    // One component each, pairwise unrelated.
    for (i, a) in dirs.iter().enumerate() {
        assert_eq!(a.matches('/').count(), 1, "{a}");
        for b in dirs.iter().skip(i + 1) {
            assert!(a != b && !a.starts_with(&format!("{b}/")) && !b.starts_with(&format!("{a}/")));
        }
    }
    let fp = &cur[&w.pack("fp").reference].0;
    assert_eq!(fp["tier"], "first-party");
    assert_eq!(
        fp["identity"],
        e2e::gha_identity(FIRST_PARTY_REPO, "refs/tags/v0.1.0")
    );
    assert_eq!(
        cur[&w.pack("tag-as-repo").reference].0["tier"],
        "third-party"
    );
}

/// A pack whose trust is revoked, or that is removed from `extras`, is gone after the
/// next run, with its provenance; so is everything of a run whose packs all fail.
#[test]
fn revoked_and_removed_packs_leave_the_output() {
    let w = world();
    let out = w.out("revoke-out");
    let both = w.values("revoke-1.yaml", &["fp", "argo"], true);
    let run = w.pull(&both, &out);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(current(&out).len(), 2);
    let gen1 = std::fs::read_link(out.join("current")).unwrap();

    // acme no longer trusted: argo fails and disappears.
    let revoked = w.values("revoke-2.yaml", &["fp", "argo"], false);
    let run = w.pull(&revoked, &out);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.pack(&w.pack("argo").reference)["status"], "failed");
    assert!(run.pack(&w.pack("argo").reference)["path"].is_null());
    let cur = current(&out);
    assert_eq!(cur.keys().collect::<Vec<_>>(), [&w.pack("fp").reference]);
    assert!(
        !all_contents(&out).contains(&w.pack("argo").layers[0].1),
        "the revoked pack's layer is still in the output"
    );
    // One generation only: the previous one was removed after the switch.
    let gen2 = std::fs::read_link(out.join("current")).unwrap();
    assert_ne!(gen1, gen2);
    assert!(!out.join(&gen1).exists());

    // Trusted again, then removed from extras.
    assert_eq!(w.pull(&both, &out).code, 0);
    assert_eq!(current(&out).len(), 2);
    let fewer = w.values("revoke-3.yaml", &["fp"], true);
    let run = w.pull(&fewer, &out);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(
        current(&out).keys().collect::<Vec<_>>(),
        [&w.pack("fp").reference]
    );

    // Nothing verifies: the output holds nothing (and the run fails).
    let none = w.values("revoke-4.yaml", &["argo"], false);
    let run = w.pull(&none, &out);
    assert_eq!(run.code, 1, "{run}");
    assert!(current(&out).is_empty());
    assert!(read_tree(&out.join("current/packs")).is_empty());
}

/// Layers that cannot all be written as they are fail their own pack (exit 1, every
/// pack reported, the others written): the same title twice, the same untitled blob
/// twice, a file where another layer needs a directory, a title that climbs out.
#[test]
fn bad_layers_fail_only_their_pack() {
    let w = world();
    let names = [
        "fp",
        "dup-title",
        "dup-untitled",
        "file-dir",
        "case-only",
        "traversal",
        "argo",
    ];
    let values = w.values("bad-layers.yaml", &names, true);
    let out = w.out("bad-layers-out");
    let run = w.pull(&values, &out);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.error_code().as_deref(), Some("packs.failed"), "{run}");
    assert_eq!(run.packs().len(), names.len(), "{run}");
    let bad = [
        ("dup-title", "layers.path-conflict", "\"a.rego\""),
        ("dup-untitled", "layers.path-conflict", "same untitled blob"),
        ("file-dir", "layers.path-conflict", "directory"),
        // One file on a case-insensitive file system (macOS, Windows).
        ("case-only", "layers.path-conflict", "\"a.rego\""),
        ("traversal", "layers.unsafe-title", "../../escape.rego"),
    ];
    for (n, code, words) in bad {
        let p = w.pack(n);
        let j = run.pack(&p.reference);
        assert_eq!(j["status"], "failed", "{n}: {j}");
        assert_eq!(j["error"]["code"], code, "{n}: {j}");
        let msg = j["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains(&p.reference) && msg.contains(&p.digest),
            "{msg}"
        );
        assert!(msg.contains(words), "{n}: {msg}");
        assert!(j["path"].is_null());
    }
    let cur = current(&out);
    assert_eq!(cur.len(), 2, "{cur:?}");
    for n in ["fp", "argo"] {
        assert_eq!(
            cur[&w.pack(n).reference].1,
            expected_files(w.pack(n)),
            "{n}"
        );
    }
    // Nothing escaped the output directory.
    assert!(!w.dir.join("escape.rego").exists() && !out.join("escape.rego").exists());
    // The text output reports each failure on its own line too.
    let text = w.cli(&pull_args(&values, &out, &[]));
    assert_eq!(text.code, 1, "{text}");
    assert_eq!(
        text.stdout
            .lines()
            .filter(|l| l.starts_with("FAILED"))
            .count(),
        bad.len(),
        "{text}"
    );
    // `verify`, the gate before deploy, refuses the same packs for the same reasons.
    let v = w.cli(&[
        "verify",
        "--config",
        values.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_eq!(v.code, 1, "{v}");
    for (n, code, _) in bad {
        assert_eq!(
            v.pack(&w.pack(n).reference)["error"]["code"],
            code,
            "{n}: {v}"
        );
    }
    for n in ["fp", "argo"] {
        assert_eq!(
            v.pack(&w.pack(n).reference)["status"],
            "verified",
            "{n}: {v}"
        );
    }
}

/// A layer titled like the old provenance file is written as it is (provenance lives in
/// `index.json`, outside the pack directories); an untitled layer is written as
/// `sha256-<hex>` and the run says so.
#[test]
fn provenance_and_untitled_layers() {
    let w = world();
    let values = w.values("prov.yaml", &["provenance-title"], true);
    let out = w.out("prov-out");
    let run = w.pull(&values, &out);
    assert_eq!(run.code, 0, "{run}");
    let p = w.pack("provenance-title");
    let cur = current(&out);
    let (entry, files) = &cur[&p.reference];
    assert_eq!(files, &expected_files(p));
    assert_eq!(entry["status"], "verified");
    assert_eq!(entry["digest"], p.digest.as_str());
    let layers = entry["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    assert!(layers[1]["title"].is_null());
    let untitled = oci_digest(&p.layers[1].1);
    assert!(
        run.stderr.contains(&format!("layer {untitled}")) && run.stderr.contains("has no title"),
        "{run}"
    );
}

/// `--out` that cannot be written: the results are still printed and the failure has
/// its own code; a directory pull did not create is never written into.
#[test]
fn output_errors_keep_the_report() {
    let w = world();
    let values = w.values("out-errors.yaml", &["fp", "argo"], true);
    let file = w.dir.join("out-is-a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let foreign = w.out("foreign-out");
    std::fs::create_dir_all(foreign.join("ghcr.io/lithastra/rules/eks/0.1.0")).unwrap();
    std::fs::write(
        foreign.join("ghcr.io/lithastra/rules/eks/0.1.0/old.rego"),
        b"old",
    )
    .unwrap();
    for out in [file.clone(), file.join("below"), foreign.clone()] {
        let run = w.pull(&values, &out);
        assert_eq!(run.code, 2, "{}: {run}", out.display());
        assert_eq!(
            run.error_code().as_deref(),
            Some("io.write-failed"),
            "{run}"
        );
        let packs = run.packs();
        assert_eq!(packs.len(), 2, "{run}");
        assert!(
            packs
                .iter()
                .all(|p| p["status"] == "verified" && p["path"].is_null()),
            "{run}"
        );
        assert!(run.stderr.contains(&out.display().to_string()), "{run}");
        // Text output: one line per pack and the summary, then the error.
        let text = w.cli(&pull_args(&values, &out, &[]));
        assert_eq!(text.code, 2, "{text}");
        assert_eq!(
            text.stdout
                .lines()
                .filter(|l| l.starts_with("verified"))
                .count(),
            2,
            "{text}"
        );
        assert!(
            text.stdout.contains("2 packs: 2 verified, 0 failed"),
            "{text}"
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");
    assert_eq!(
        read_tree(&foreign).len(),
        1,
        "the foreign directory was changed"
    );

    // A verification failure as well: exit 1, both errors said.
    let mixed = w.values("out-errors-mixed.yaml", &["fp", "argo"], false);
    let run = w.pull(&mixed, &file);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("error[io.write-failed]"), "{run}");
    assert_eq!(run.error_code().as_deref(), Some("packs.failed"), "{run}");
}

/// Another pull holding the directory: this one writes nothing and the current
/// generation stays as it was.
#[test]
fn a_locked_directory_is_left_unchanged() {
    let w = world();
    let values = w.values("locked.yaml", &["fp"], true);
    let out = w.out("locked-out");
    assert_eq!(w.pull(&values, &out).code, 0);
    let before = read_tree(&out);
    let gen = std::fs::read_link(out.join("current")).unwrap();
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(out.join(".rulepack-verify-output"))
        .unwrap();
    lock.try_lock().unwrap();
    let other = w.values("locked-2.yaml", &["fp", "argo"], true);
    let run = w.pull(&other, &out);
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(
        run.error_code().as_deref(),
        Some("io.write-failed"),
        "{run}"
    );
    assert!(run.stderr.contains("another rulepack-verify pull"), "{run}");
    assert_eq!(run.packs().len(), 2);
    assert_eq!(read_tree(&out), before);
    assert_eq!(std::fs::read_link(out.join("current")).unwrap(), gen);
    drop(lock);
    assert_eq!(w.pull(&other, &out).code, 0);
    assert_eq!(current(&out).len(), 2);
}

/// What killed runs leave (a staging directory, a generation `current` never named, a
/// half-made link) is removed by the next run; `current` is never touched until a
/// complete generation exists.
#[test]
fn leftovers_of_killed_runs_are_cleaned() {
    let w = world();
    let values = w.values("stale.yaml", &["fp"], true);
    let out = w.out("stale-out");
    assert_eq!(w.pull(&values, &out).code, 0);
    let staging = out.join(".staging-4242-1");
    std::fs::create_dir_all(staging.join("packs/x")).unwrap();
    std::fs::write(staging.join("packs/x/evil.rego"), b"package evil").unwrap();
    std::fs::create_dir_all(out.join("gen-000007/packs")).unwrap();
    std::os::unix::fs::symlink("gen-000007", out.join(".current-4242")).unwrap();
    let run = w.pull(&values, &out);
    assert_eq!(run.code, 0, "{run}");
    for stale in [".staging-4242-1", "gen-000007", ".current-4242"] {
        assert!(
            !out.join(stale).exists() && std::fs::symlink_metadata(out.join(stale)).is_err(),
            "{stale} left\n{run}"
        );
        assert!(run.stderr.contains(stale), "{run}");
    }
    // Generation numbers never go back: a stale gen-000007 was seen.
    assert_eq!(
        std::fs::read_link(out.join("current")).unwrap(),
        Path::new("gen-000008")
    );
    let entries: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut entries = entries;
    entries.sort();
    assert_eq!(
        entries,
        [".rulepack-verify-output", "current", "gen-000008"]
    );
}

/// A reference listed twice is pulled once.
#[test]
fn a_repeated_reference_is_pulled_once() {
    let w = world();
    let values = w.values("twice.yaml", &["fp", "argo", "fp"], true);
    let out = w.out("twice-out");
    let run = w.pull(&values, &out);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.packs().len(), 2, "{run}");
    assert!(run.stderr.contains("listed more than once"), "{run}");
    assert_eq!(current(&out).len(), 2);
}

/// With a layout source, `verify` reads every layer blob of a pack that verified: a
/// missing or damaged blob fails that pack with its own code.
#[test]
fn verify_checks_layer_blobs_in_a_layout() {
    let w = world();
    let values = w.values(
        "layout-check.yaml",
        &["fp", "missing-blob", "damaged-blob"],
        true,
    );
    let run = w.cli(&verify_args(&values, &["--output", "json"]));
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.pack(&w.pack("fp").reference)["status"], "verified");
    for (n, cause) in [
        ("missing-blob", "was not found"),
        ("damaged-blob", "does not match its digest"),
    ] {
        let p = w.pack(n);
        let j = run.pack(&p.reference);
        assert_eq!(j["status"], "failed", "{n}: {j}");
        assert_eq!(j["error"]["code"], "layers.layout-blob-invalid", "{n}: {j}");
        let msg = j["error"]["message"].as_str().unwrap();
        let layer = oci_digest(&p.layers[0].1);
        assert!(msg.contains(&p.reference) && msg.contains(&layer), "{msg}");
        assert!(msg.contains(cause), "{n}: {msg}");
    }
    // pull reports the same, and writes only the good pack.
    let out = w.out("layout-check-out");
    let run = w.pull(&values, &out);
    assert_eq!(run.code, 1, "{run}");
    for n in ["missing-blob", "damaged-blob"] {
        assert_eq!(
            run.pack(&w.pack(n).reference)["error"]["code"],
            "layers.layout-blob-invalid"
        );
    }
    assert_eq!(current(&out).len(), 1);
}

/// A loopback registry (no auth, referrers API) for the tests below, counting the
/// layer-blob requests in flight and able to hold one layer's answer.
#[cfg(feature = "online")]
mod registry {
    use std::collections::{HashMap, HashSet};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use super::http_server::{Response, Server};
    use super::vsig::oci_digest;
    use serde_json::{json, Value};

    #[derive(Default)]
    pub(super) struct State {
        pub(super) manifests: Mutex<HashMap<String, (String, Vec<u8>)>>,
        pub(super) blobs: Mutex<HashMap<String, Vec<u8>>>,
        /// Digests of pack layers (what the counters count).
        pub(super) layers: Mutex<HashSet<String>>,
        /// Each layer answer takes this long (held inside the handler, so it counts as
        /// in flight).
        pub(super) layer_delay: Mutex<Duration>,
        pub(super) in_flight: AtomicUsize,
        pub(super) peak: AtomicUsize,
        pub(super) layer_requests: AtomicUsize,
        /// A layer whose answer is held while `hold` is set.
        pub(super) held: Mutex<Option<String>>,
        pub(super) hold: AtomicBool,
        /// Set when the held layer was asked for.
        pub(super) held_hit: AtomicBool,
    }

    pub(super) struct Registry {
        pub(super) state: Arc<State>,
        pub(super) server: Server,
    }

    impl Registry {
        pub(super) fn start() -> Self {
            let state = Arc::new(State::default());
            let st = state.clone();
            let server = Server::start(move |req| handle(req, &st));
            Self { state, server }
        }

        pub(super) fn addr(&self) -> &str {
            self.server.addr()
        }

        pub(super) fn blob(&self, b: &[u8]) {
            self.state
                .blobs
                .lock()
                .unwrap()
                .insert(oci_digest(b), b.to_vec());
        }

        pub(super) fn manifest(&self, tag: Option<&str>, mt: &str, b: &[u8]) {
            let mut m = self.state.manifests.lock().unwrap();
            m.insert(oci_digest(b), (mt.to_owned(), b.to_vec()));
            if let Some(t) = tag {
                m.insert(t.to_owned(), (mt.to_owned(), b.to_vec()));
            }
        }
    }

    fn handle(req: &super::http_server::Request, s: &State) -> Response {
        let route = req.route().to_owned();
        let Some(rest) = route.strip_prefix("/v2/") else {
            return Response::new(404);
        };
        if let Some((repo, r)) = rest.split_once("/manifests/") {
            // Tags are per repository; digests are global here.
            let key = if r.starts_with("sha256:") {
                r.to_owned()
            } else {
                format!("{repo}:{r}")
            };
            return match s.manifests.lock().unwrap().get(&key) {
                Some((mt, b)) => Response::ok(b.clone()).header("Content-Type", mt.clone()),
                None => Response::new(404),
            };
        }
        if let Some((_, d)) = rest.split_once("/blobs/") {
            let Some(b) = s.blobs.lock().unwrap().get(d).cloned() else {
                return Response::new(404);
            };
            if s.layers.lock().unwrap().contains(d) {
                s.layer_requests.fetch_add(1, Ordering::SeqCst);
                let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                s.peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(*s.layer_delay.lock().unwrap());
                if s.held.lock().unwrap().as_deref() == Some(d) {
                    s.held_hit.store(true, Ordering::SeqCst);
                    let t0 = Instant::now();
                    while s.hold.load(Ordering::SeqCst) && t0.elapsed() < Duration::from_secs(60) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
                s.in_flight.fetch_sub(1, Ordering::SeqCst);
            }
            return Response::ok(b);
        }
        if let Some((_, d)) = rest.split_once("/referrers/") {
            let list: Vec<Value> = s
                .manifests
                .lock()
                .unwrap()
                .iter()
                .filter(|(k, _)| k.starts_with("sha256:"))
                .filter_map(|(k, (mt, b))| {
                    let v: Value = serde_json::from_slice(b).ok()?;
                    (v["subject"]["digest"] == json!(d)).then(|| {
                        json!({"mediaType": mt, "digest": k, "size": b.len(), "artifactType": v["artifactType"]})
                    })
                })
                .collect();
            let idx =
                json!({"schemaVersion": 2, "mediaType": super::e2e::OCI_INDEX, "manifests": list});
            return Response::ok(serde_json::to_vec(&idx).unwrap())
                .header("Content-Type", super::e2e::OCI_INDEX);
        }
        Response::new(404)
    }
}

/// Publishes signed packs `name → rego` on the registry (repository `acme/rules/<name>`,
/// tag `1.0.0`, one layer `<name>.rego`); returns the directory with the trusted root.
#[cfg(feature = "online")]
fn publish(
    reg: &registry::Registry,
    names: &[&str],
    seed: u64,
) -> (PathBuf, Vec<(String, Vec<u8>)>) {
    let dir = temp_dir("pull-registry");
    std::fs::create_dir_all(dir.join("home")).unwrap();
    let mut vs = VirtualSigstore::new(seed);
    std::fs::write(dir.join("trusted_root.json"), vs.trusted_root_json()).unwrap();
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let rego = format!("package acme.{}\n# {seed}\n", name.replace('-', "_"));
        let title = format!("{name}.rego");
        let pack = BuiltPack::new("1.0.0", &[(title.as_str(), rego.as_bytes())]);
        let at = T0 + 60 * i64::try_from(i).unwrap();
        let signed = pack.sign(
            &mut vs,
            &gha_sign_options("acme/rules", "refs/tags/v1.0.0", at),
        );
        reg.blob(b"{}");
        reg.blob(rego.as_bytes());
        reg.state
            .layers
            .lock()
            .unwrap()
            .insert(oci_digest(rego.as_bytes()));
        reg.manifest(
            Some(&format!("acme/rules/{name}:1.0.0")),
            OCI_MANIFEST,
            &pack.manifest,
        );
        let r = &signed.referrer;
        reg.blob(&r.config_blob);
        reg.blob(&r.layer);
        reg.manifest(None, OCI_MANIFEST, &r.manifest);
        out.push((
            format!("oci://{}/acme/rules/{name}:1.0.0", reg.addr()),
            rego.into_bytes(),
        ));
    }
    (dir, out)
}

#[cfg(feature = "online")]
fn registry_values(dir: &Path, refs: &[&str]) -> PathBuf {
    let extras: String = refs.iter().map(|r| format!("    - {r}\n")).collect();
    let p = dir.join(format!("values-{}.yaml", refs.len()));
    std::fs::write(
        &p,
        format!("rulePacks:\n  trustedRoot: trusted_root.json\n{TRUSTED_ACME}  extras:\n{extras}"),
    )
    .unwrap();
    p
}

/// Layers are fetched on the verification workers: layer requests of different packs
/// overlap (peak concurrency above one), where they used to be fetched one pack at a
/// time after every pack had verified.
#[cfg(feature = "online")]
#[test]
fn layers_are_fetched_concurrently() {
    use std::sync::atomic::Ordering;
    let reg = registry::Registry::start();
    let names: Vec<String> = (0..8).map(|i| format!("p{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (dir, packs) = publish(&reg, &names, 6_000_012);
    *reg.state.layer_delay.lock().unwrap() = std::time::Duration::from_millis(300);
    let refs: Vec<&str> = packs.iter().map(|(r, _)| r.as_str()).collect();
    let values = registry_values(&dir, &refs);
    let out = dir.join("out");
    let run = run_cli(
        &dir.join("home"),
        &pull_args(
            &values,
            &out,
            &["--insecure-registry", reg.addr(), "--output", "json"],
        ),
        &[],
    );
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(reg.state.layer_requests.load(Ordering::SeqCst), names.len());
    let peak = reg.state.peak.load(Ordering::SeqCst);
    eprintln!("peak concurrent layer requests: {peak}");
    assert!(
        peak > 1,
        "layer fetches never overlapped (peak {peak})\n{run}"
    );
    let cur = current(&out);
    assert_eq!(cur.len(), names.len());
    for (r, rego) in &packs {
        assert_eq!(cur[r].1[0].1, *rego);
    }
}

/// A pull killed while fetching layers leaves the previous generation current and
/// complete; the next run removes its staging directory.
#[cfg(feature = "online")]
#[test]
fn a_killed_pull_leaves_the_previous_generation() {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};
    let reg = registry::Registry::start();
    let (dir, packs) = publish(&reg, &["a", "b", "c"], 6_000_013);
    let (a, b, c) = (&packs[0], &packs[1], &packs[2]);
    let out = dir.join("out");
    let pull = |values: &Path| {
        let mut cmd = cli_command(
            &dir.join("home"),
            &pull_args(values, &out, &["--insecure-registry", reg.addr()]),
        );
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    let first = registry_values(&dir, &[&a.0, &b.0]);
    assert!(pull(&first).status().unwrap().success());
    let before = read_tree(&out.join("current"));
    let gen = std::fs::read_link(out.join("current")).unwrap();

    // The next run needs c's layer, which the registry holds until the run is killed.
    *reg.state.held.lock().unwrap() = Some(oci_digest(&c.1));
    reg.state.hold.store(true, Ordering::SeqCst);
    let second = registry_values(&dir, &[&a.0, &b.0, &c.0]);
    let mut child = pull(&second).spawn().unwrap();
    let t0 = Instant::now();
    while !reg.state.held_hit.load(Ordering::SeqCst) {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the run never asked for the held layer"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    reg.state.hold.store(false, Ordering::SeqCst);
    assert_eq!(std::fs::read_link(out.join("current")).unwrap(), gen);
    assert_eq!(read_tree(&out.join("current")), before);
    let staging: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.starts_with(".staging-").then_some(n)
        })
        .collect();
    assert_eq!(staging.len(), 1, "the killed run's staging directory");

    let run = run_cli(
        &dir.join("home"),
        &pull_args(&second, &out, &["--insecure-registry", reg.addr()]),
        &[],
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains(&staging[0]), "{run}");
    assert!(!out.join(&staging[0]).exists());
    let cur = current(&out);
    assert_eq!(cur.len(), 3);
    assert_eq!(cur[&c.0].1[0].1, c.1);
}
