//! Input hardening at the edges of the verifier: the values file, OCI image layouts,
//! referrers and the command line, tried as a demanding user and as an attacker would.
//! Each test drives the CLI binary (or the public API) and fails on a verifier that
//! lets the mistake or the crafted input through, hangs, or prints the wrong thing.
//!
//! Offline: packs live in an OCI image layout written to a temp dir, signed by the
//! test-only virtual Sigstore in cosign's new bundle format. The only network use is
//! closed loopback ports (`127.0.0.1:1`) for "unreachable" cases.

#[path = "common/e2e.rs"]
mod e2e;
#[path = "common/vsig.rs"]
mod vsig;
#[path = "common/world.rs"]
mod world;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use e2e::{
    cli_command, copy_tree, gha_identity, gha_sign_options, temp_dir, verify_args, BuiltPack,
    LayoutBuilder, Run, GITHUB_ISSUER, T0, UNREACHABLE_TUF,
};
use serde_json::Value;
use vsig::VirtualSigstore;
use world::World;

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let mut vs = VirtualSigstore::new(7_000_001);
        let w = World::new("input-hardening", &vs);
        let mut lb = LayoutBuilder::default();
        let mut packs = Vec::new();
        // (name, logical reference below ghcr.io/, junk bundles attached first, signer)
        let specs: [(&'static str, &str, usize, Option<&str>); 8] = [
            ("good", "acme/rules/good:1.0.0", 0, Some("acme/rules")),
            ("unsigned", "acme/rules/unsigned:1.0.0", 0, None),
            (
                "mallory",
                "acme/rules/mallory:1.0.0",
                0,
                Some("mallory/rules"),
            ),
            // 16 junk bundles attached in front of the valid one.
            (
                "junk-first",
                "acme/rules/junk:1.0.0",
                16,
                Some("acme/rules"),
            ),
            // Only junk, more than the old cap of 16.
            ("junk-only", "acme/rules/junk-only:1.0.0", 20, None),
            // Two releases: tag 1.0.0 is A; B (signed) lives at tag 2.0.0.
            ("moved-a", "acme/rules/moved:1.0.0", 0, Some("acme/rules")),
            ("moved-b", "acme/rules/moved:2.0.0", 0, Some("acme/rules")),
            // A first-party pack (signed by acme: inspect must not suggest widening).
            (
                "first-party",
                "lithastra/rules/eks:1.0.0",
                0,
                Some("acme/rules"),
            ),
        ];
        for (name, path, junk, signer) in specs {
            let logical = format!("ghcr.io/{path}");
            let pack = BuiltPack::new(
                name,
                &[(
                    "rules.rego",
                    format!("package {}\n", name.replace('-', "_")).as_bytes(),
                )],
            );
            lb.pack(&logical, &pack);
            for i in 0..junk {
                lb.referrer(&pack.attach(format!("{{\"junk\":{i}}}").into_bytes()));
            }
            if let Some(repo) = signer {
                lb.referrer(&pack.sign(&mut vs, &gha_sign_options(repo, "refs/tags/v1.0.0", T0)));
            }
            packs.push((name, format!("oci://{logical}"), pack.digest.clone()));
        }
        w.with_layout(&lb, packs)
    })
}

fn json(run: &Run) -> Value {
    serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{run}"))
}

/// Runs the CLI with `stdin` as standard input, killed after 60 s (a hang is a failure).
fn cli_with_stdin(home: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut c = cli_command(home, args);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    out.into()
}

/// Runs the CLI and kills it after `limit` (returns `None` on a hang).
fn cli_or_hang(home: &Path, args: &[&str], limit: Duration) -> Option<Run> {
    let mut child = cli_command(home, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap().into());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---- configuration ----

#[test]
fn duplicate_top_level_section_is_refused() {
    let w = world();
    let (good, _) = w.pack("good");
    // A second section turning verification off after the real one (and the reverse).
    let p = w.dir.join("dup-section.yaml");
    std::fs::write(
        &p,
        format!(
            "rulePacks:\n  verifySignature: true\n{}  extras: [{good}]\nreplicaCount: 1\nrulePacks:\n  verifySignature: false\n  extras: [{good}]\n",
            w.section("")
        ),
    )
    .unwrap();
    let run = w.cli(&["verify", "--config", p.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(
        run.error_code().as_deref(),
        Some("config.duplicate-key"),
        "{run}"
    );
    assert!(
        run.stderr.contains("\"rulePacks\" appears twice")
            && run.stderr.contains("again at line 10"),
        "{run}"
    );
    assert!(!run.stdout.contains("verified"), "{run}");
}

#[test]
fn tagged_string_does_not_turn_verification_off() {
    let w = world();
    let (good, _) = w.pack("good");
    for value in ["!!str false", "!custom false", "!!binary ZmFsc2U="] {
        let run = w.verify_config(
            "tagged.yaml",
            &w.section(&format!("  verifySignature: {value}\n  extras: [{good}]\n")),
            &[],
        );
        assert_eq!(run.code, 2, "{value}: {run}");
        assert_eq!(
            run.error_code().as_deref(),
            Some("config.wrong-type"),
            "{value}: {run}"
        );
        assert!(!run.stdout.contains("UNVERIFIED"), "{value}: {run}");
    }
    // An explicit !!bool is a boolean.
    let run = w.verify_config(
        "tagged-bool.yaml",
        &w.section(&format!(
            "  verifySignature: !!bool true\n  extras: [{good}]\n"
        )),
        &[],
    );
    assert_eq!(run.code, 0, "{run}");
}

#[test]
fn byte_order_mark_is_accepted() {
    let w = world();
    let (good, _) = w.pack("good");
    let p = w.dir.join("bom.yaml");
    std::fs::write(
        &p,
        format!("\u{feff}rulePacks:\n{}  extras: [{good}]\n", w.section("")),
    )
    .unwrap();
    let run = w.cli(&["verify", "--config", p.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.starts_with("verified"), "{run}");
}

#[test]
fn meaningless_policies_are_refused_and_broad_ones_warned_about_once() {
    let w = world();
    let (good, _) = w.pack("good");
    let base = format!(
        "  trustedRoot: {}\n  layout: {}\n  extras: [{good}]\n",
        w.root.display(),
        w.layout.display()
    );
    for (entry, needle) in [
        (
            "    - issuer: ''\n      identity: x\n",
            "issuer (line 7) must be a non-empty string",
        ),
        (
            "    - issuer: https://a\n      identityRegexp: \"\"\n",
            "identityRegexp (line 8) must be a non-empty string",
        ),
        (
            "    - issuer: https://a\n      identity: \"x \"\n",
            "without leading or trailing whitespace",
        ),
    ] {
        let run = w.verify_config(
            "empty.yaml",
            &format!("{base}  trustedIdentities:\n{entry}"),
            &[],
        );
        assert_eq!(run.code, 2, "{entry}: {run}");
        assert_eq!(
            run.error_code().as_deref(),
            Some("config.wrong-type"),
            "{run}"
        );
        assert!(run.stderr.contains(needle), "{needle}: {run}");
    }
    // A rule that trusts every workflow of every repository: loud, once, and it still
    // means what it says (the pack verifies).
    let run = w.verify_config("broad.yaml",
        &format!("{base}  trustedIdentities:\n    - issuer: https://token.actions.githubusercontent.com\n      identityRegexp: '.*'\n"),
        &[],
    );
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stderr.matches("warning: rulePacks.trustedIdentities[0].identityRegexp /.*/ matches every identity").count(), 1, "{run}");
    // The same on the command line.
    let run = w.cli(&[
        "verify",
        good,
        "--layout",
        w.layout.to_str().unwrap(),
        "--trusted-root",
        w.root.to_str().unwrap(),
        "--certificate-identity-regexp",
        "https://github\\.com/.*",
        "--certificate-oidc-issuer",
        GITHUB_ISSUER,
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(
        run.stderr
            .matches("warning: --certificate-identity-regexp")
            .count(),
        1,
        "{run}"
    );
    assert!(run.stderr.contains("every GitHub repository"), "{run}");
}

#[test]
fn duplicate_extras_are_verified_once() {
    let w = world();
    let (good, _) = w.pack("good");
    let again = good.replace("ghcr.io", "GHCR.io:443");
    let run = w.verify_config(
        "dup-extras.yaml",
        &w.section(&format!(
            "  extras:\n    - {good}\n    - {again}\n    - {good}\n"
        )),
        &["--output", "json"],
    );
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(json(&run)["packs"].as_array().unwrap().len(), 1, "{run}");
    assert!(
        run.stderr.contains("rulePacks.extras[1]")
            && run
                .stderr
                .contains("listed more than once (first as extras[0])"),
        "{run}"
    );
    assert!(run.stderr.contains("rulePacks.extras[2]"), "{run}");
}

#[test]
fn config_messages_say_exactly_what_is_wrong() {
    let w = world();
    let cases: &[(&str, &str, &str)] = &[
        // Not "a scalar".
        (
            "  verifySignature: \"false\"\n",
            "config.wrong-type",
            "not the quoted string \"false\"",
        ),
        // The empty value's own line (2), not the next one.
        (
            "  verifySignature:\n  extras: []\n",
            "config.wrong-type",
            "rulePacks.verifySignature (line 3)",
        ),
        // Not "every issuer of an issuer".
        (
            "  trustedIdentities:\n    - identity: x\n",
            "config.identity-entry",
            "needs issuer or issuerRegexp: the OIDC provider",
        ),
    ];
    for (body, code, needle) in cases {
        let run = w.verify_config(
            "msg.yaml",
            body,
            &["--trusted-root", w.root.to_str().unwrap()],
        );
        assert_eq!(run.code, 2, "{body}: {run}");
        assert_eq!(run.error_code().as_deref(), Some(*code), "{body}: {run}");
        assert!(run.stderr.contains(needle), "{needle}: {run}");
        assert!(!run.stderr.contains("issuer of an issuer"), "{run}");
    }
    // A list over its limit names the list.
    let ids: String = (0..=256)
        .map(|i| format!("    - issuer: https://i{i}\n      identity: x\n"))
        .collect();
    let run = w.verify_config("many.yaml", &format!("  trustedIdentities:\n{ids}"), &[]);
    assert_eq!(
        run.error_code().as_deref(),
        Some("config.too-large"),
        "{run}"
    );
    assert!(run.stderr.contains("rulePacks.trustedIdentities"), "{run}");
    // A values file over the limit is config.too-large, as documented.
    let p = w.dir.join("huge.yaml");
    let mut big = b"rulePacks:\n  extras: []\n".to_vec();
    big.resize(1024 * 1024 + 10, b'#');
    std::fs::write(&p, big).unwrap();
    let run = w.cli(&["verify", "--config", p.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(
        run.error_code().as_deref(),
        Some("config.too-large"),
        "{run}"
    );
}

#[test]
fn config_from_standard_input() {
    let w = world();
    let (good, _) = w.pack("good");
    let body = format!("rulePacks:\n{}  extras: [{good}]\n", w.section(""));
    let run = cli_with_stdin(&w.home(), &["verify", "--config", "-"], body.as_bytes());
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.starts_with("verified"), "{run}");
    // The same size limit as a file.
    let mut big = body.into_bytes();
    big.resize(1024 * 1024 + 1, b'#');
    let run = cli_with_stdin(&w.home(), &["verify", "--config", "-"], &big);
    assert_eq!(
        run.error_code().as_deref(),
        Some("config.too-large"),
        "{run}"
    );
}

// ---- OCI image layouts ----

/// A FIFO in place of a blob is refused at once; reading it would block forever.
#[cfg(unix)]
#[test]
fn fifo_in_the_layout_does_not_hang() {
    let w = world();
    let dir = temp_dir("fifo-layout");
    let mut vs = VirtualSigstore::new(7_000_002);
    let root = dir.join("root.json");
    std::fs::write(&root, vs.trusted_root_json()).unwrap();
    let pack = BuiltPack::new("fifo", &[("rules.rego", b"package fifo\n")]);
    let signed = pack.sign(
        &mut vs,
        &gha_sign_options("acme/rules", "refs/tags/v1.0.0", T0),
    );
    let mut lb = LayoutBuilder::default();
    lb.pack("ghcr.io/acme/rules/fifo:1.0.0", &pack)
        .referrer(&signed);
    let layout = dir.join("layout");
    lb.write(&layout);
    let blob = blob_path(&layout, &signed.bundle_digest());
    std::fs::remove_file(&blob).unwrap();
    match Command::new("mkfifo").arg(&blob).status() {
        Ok(s) if s.success() => {}
        other => {
            eprintln!("NOTICE: skipping: mkfifo unavailable ({other:?})");
            assert!(std::env::var_os("RULEPACK_REQUIRE_ALL").is_none());
            return;
        }
    }
    let run = cli_or_hang(
        &w.home(),
        &[
            "verify",
            "oci://ghcr.io/acme/rules/fifo:1.0.0",
            "--layout",
            layout.to_str().unwrap(),
            "--trusted-root",
            root.to_str().unwrap(),
            "--certificate-identity",
            &gha_identity("acme/rules", "refs/tags/v1.0.0"),
            "--certificate-oidc-issuer",
            GITHUB_ISSUER,
            "--output",
            "json",
        ],
        Duration::from_secs(60),
    )
    .expect("a FIFO in place of a blob hangs the verifier");
    assert_eq!(run.code, 1, "{run}");
    let msg = json(&run)["packs"][0]["error"]["message"].to_string();
    assert!(msg.contains("FIFO"), "{run}");
}

/// One broken entry in `index.json` (missing, corrupt or not a manifest) fails no
/// unrelated pack.
#[test]
fn broken_index_entry_affects_no_unrelated_pack() {
    let w = world();
    let junk = b"{\"not\":\"a manifest\"}";
    let junk_digest = vsig::oci_digest(junk);
    let corrupt_digest = vsig::oci_digest(b"corrupt");
    let layout = edited_layout(w, "broken-entry", |layout, entries| {
        std::fs::write(blob_path(layout, &junk_digest), junk).unwrap();
        std::fs::write(blob_path(layout, &corrupt_digest), b"tampered").unwrap();
        for (d, size) in [
            (vsig::oci_digest(b"missing"), 7),
            (corrupt_digest.clone(), 7),
            (junk_digest.clone(), junk.len()),
        ] {
            entries.insert(
                0,
                serde_json::json!({"mediaType": e2e::OCI_MANIFEST, "digest": d, "size": size}),
            );
        }
    });
    let (good, _) = w.pack("good");
    let (junk_first, _) = w.pack("junk-first");
    let v = w.values(
        "broken-entry.yaml",
        &w.section_with_layout(&layout, &format!("  extras: [{good}, {junk_first}]\n")),
    );
    let run = w.cli(&["verify", "--config", v.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout.matches("verified    ").count(), 2, "{run}");
}

/// A copy of the world's layout in a fresh directory `name`, changed by `edit`: given
/// the copy's directory and the entries (`manifests`) of its `index.json`.
fn edited_layout(w: &World, name: &str, edit: impl FnOnce(&Path, &mut Vec<Value>)) -> PathBuf {
    let layout = temp_dir(name).join("layout");
    copy_tree(&w.layout, &layout);
    let index_path = layout.join("index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    edit(&layout, index["manifests"].as_array_mut().unwrap());
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    layout
}

/// Where `layout` keeps the blob `digest` (`sha256:<hex>`).
fn blob_path(layout: &Path, digest: &str) -> PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.strip_prefix("sha256:").unwrap())
}

/// Bytes this process has read from files so far (Linux `/proc/self/io` `rchar`).
fn bytes_read() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .and_then(|v| v.trim().parse().ok())
}

/// A layout whose `index.json` lists one valid large manifest hundreds of times: the
/// work for several packs is linear in the layout's size (each blob read once), not
/// packs × entries × manifest size.
#[test]
fn layout_work_is_linear_in_its_size() {
    use rulepack_verify::oci::{find_sigstore_bundles, resolve_pack, OciLayout, Reference};
    if bytes_read().is_none() {
        eprintln!("NOTICE: skipping: /proc/self/io is unavailable");
        assert!(std::env::var_os("RULEPACK_REQUIRE_ALL").is_none());
        return;
    }
    let w = world();
    let big = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": e2e::OCI_MANIFEST,
        "config": {"mediaType": e2e::OCI_EMPTY, "digest": vsig::EMPTY_CONFIG_DIGEST, "size": 2},
        "layers": [], "annotations": {"padding": "x".repeat(1 << 20)}
    }))
    .unwrap();
    let big_digest = vsig::oci_digest(&big);
    let layout = edited_layout(w, "big-index", |layout, entries| {
        std::fs::write(blob_path(layout, &big_digest), &big).unwrap();
        for _ in 0..400 {
            entries.push(serde_json::json!({"mediaType": e2e::OCI_MANIFEST, "digest": big_digest, "size": big.len()}));
        }
    });
    let layout_bytes: u64 = e2e::read_tree(&layout)
        .iter()
        .map(|(_, b)| b.len() as u64)
        .sum();

    let before = bytes_read().unwrap();
    let l = OciLayout::open(&layout).unwrap();
    for name in ["good", "mallory", "junk-first", "moved-a"] {
        let (r, d) = w.pack(name);
        let r = Reference::parse(r).unwrap();
        let (desc, _) = resolve_pack(&l, &r).unwrap();
        assert_eq!(desc.digest.to_string(), d);
        find_sigstore_bundles(&l, &r, &desc.digest).unwrap();
    }
    let read = bytes_read().unwrap() - before;
    // Each blob once (plus slack for index.json and the test's own reads): far below
    // 4 packs × 400 entries × 1 MiB.
    assert!(
        read < 2 * layout_bytes,
        "read {read} bytes for a layout of {layout_bytes} bytes"
    );
}

// ---- referrers ----

#[test]
fn junk_bundles_do_not_hide_a_valid_one() {
    let w = world();
    let (r, d) = w.pack("junk-first");
    let (only, _) = w.pack("junk-only");
    let run = w.verify_config(
        "junk.yaml",
        &w.section(&format!("  extras: [{r}, {only}]\n")),
        &["--output", "json"],
    );
    assert_eq!(run.code, 1, "{run}");
    let doc = json(&run);
    let packs = doc["packs"].as_array().unwrap();
    let first = packs.iter().find(|p| p["reference"] == r).unwrap();
    assert_eq!(first["status"], "verified", "{run}");
    assert_eq!(first["digest"], d);
    // Every candidate's error is reported when none verifies.
    let junk = packs.iter().find(|p| p["reference"] == only).unwrap();
    assert_eq!(junk["status"], "failed");
    let bundles = junk["error"]["bundles"].as_array().unwrap();
    assert_eq!(bundles.len(), 20, "{run}");
    for b in bundles {
        assert!(b["code"].as_str().unwrap().starts_with("bundle."), "{b}");
        assert!(
            b["referrerDigest"].as_str().unwrap().starts_with("sha256:"),
            "{b}"
        );
    }
    // The text line counts them instead of listing 20 sentences.
    let run = w.verify_config(
        "junk-text.yaml",
        &w.section(&format!("  extras: [{only}]\n")),
        &[],
    );
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("FAILED"))
        .unwrap();
    assert!(
        line.contains("20 bundles attached, none verified"),
        "{line}"
    );
    assert!(line.contains("19× error[bundle."), "{line}");
}

// ---- command line ----

#[test]
fn json_output_is_one_document_for_every_outcome() {
    let w = world();
    let root = w.root.to_str().unwrap();
    let bad = w.values("json-bad.yaml", "  verifySignature: \"false\"\n");
    let (good, _) = w.pack("good");
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (
            vec![
                "verify".into(),
                "--bogus".into(),
                "--output".into(),
                "json".into(),
            ],
            2,
            "usage",
        ),
        (vec!["verify".into(), "--output=json".into()], 2, "usage"),
        (
            vec![
                "verify".into(),
                "--config".into(),
                bad.to_str().unwrap().into(),
                "--output".into(),
                "json".into(),
            ],
            2,
            "config.wrong-type",
        ),
        (
            vec![
                "pull".into(),
                "--config".into(),
                bad.to_str().unwrap().into(),
                "--out".into(),
                w.dir.join("out").to_str().unwrap().into(),
                "--output".into(),
                "json".into(),
            ],
            2,
            "config.wrong-type",
        ),
        (
            vec![
                "verify".into(),
                good.into(),
                "--trusted-root".into(),
                w.dir.join("nope.json").to_str().unwrap().into(),
                "--certificate-identity".into(),
                "x".into(),
                "--certificate-oidc-issuer".into(),
                "y".into(),
                "--output".into(),
                "json".into(),
            ],
            2,
            "io.read-failed",
        ),
    ];
    for (args, status, code) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = w.cli(&args);
        assert_eq!(run.code, *status, "{args:?}: {run}");
        let doc = json(&run);
        assert_eq!(doc["error"]["code"], *code, "{run}");
        assert_eq!(doc["error"]["exitStatus"], *status, "{run}");
        assert_eq!(doc["packs"], serde_json::json!([]), "{run}");
        // Still the one error line on stderr.
        assert_eq!(run.error_code().as_deref(), Some(*code), "{run}");
    }
    // Pack failures and success: the document carries the run's outcome too.
    let (mallory, _) = w.pack("mallory");
    let v = w.values(
        "json-packs.yaml",
        &w.section(&format!("  extras: [{good}, {mallory}]\n")),
    );
    let run = w.cli(&verify_args(&v, &["--output", "json"]));
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(json(&run)["error"]["code"], "packs.failed", "{run}");
    assert_eq!(json(&run)["packs"].as_array().unwrap().len(), 2);
    let v = w.values("json-ok.yaml", &w.section(&format!("  extras: [{good}]\n")));
    let run = w.cli(&verify_args(&v, &["--output", "json"]));
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(json(&run)["error"], Value::Null, "{run}");
    let _ = root;
}

#[cfg(feature = "online")]
#[test]
fn json_output_for_an_unreachable_trust_root() {
    let w = world();
    let (good, _) = w.pack("good");
    let run = w.verify_config(
        "json-tuf.yaml",
        &w.tuf_section(&format!("  extras: [{good}]\n")),
        &[&UNREACHABLE_TUF[..], &["--output", "json"]].concat(),
    );
    assert_eq!(run.code, 3, "{run}");
    let doc = json(&run);
    assert_eq!(doc["error"]["code"], "tuf.unreachable", "{run}");
    // A remedy is never "turn verification off".
    assert!(!run.stderr.contains("verifySignature"), "{run}");
}

#[test]
fn version_and_help_of_every_command() {
    let w = world();
    let run = w.cli(&["--version"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(
        run.stdout.trim(),
        format!("rulepack-verify {}", env!("CARGO_PKG_VERSION"))
    );
    for cmd in ["verify", "pull", "inspect", "trust-root", "verify-bundle"] {
        for flag in ["--help", "-h"] {
            let run = w.cli(&[cmd, flag]);
            assert_eq!(run.code, 0, "{cmd} {flag}: {run}");
            assert!(
                run.stdout
                    .starts_with(&format!("usage: rulepack-verify {cmd}")),
                "{run}"
            );
        }
    }
    // Each command's help lists exactly the option groups it takes.
    let help = w.cli(&["inspect", "--help"]).stdout;
    assert!(
        help.contains("--registry-mirror") && !help.contains("--trusted-root"),
        "{help}"
    );
    let help = w.cli(&["trust-root", "--help"]).stdout;
    assert!(
        help.contains("--trusted-root") && !help.contains("--layout"),
        "{help}"
    );
}

#[test]
fn invalid_command_line_regex_is_a_usage_error() {
    let w = world();
    let (good, _) = w.pack("good");
    let run = w.cli(&[
        "verify",
        good,
        "--trusted-root",
        w.root.to_str().unwrap(),
        "--layout",
        w.layout.to_str().unwrap(),
        "--certificate-identity-regexp",
        "(",
        "--certificate-oidc-issuer",
        GITHUB_ISSUER,
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(
        run.error_code().as_deref(),
        Some("policy.invalid-regex"),
        "{run}"
    );
    let bundle = w.dir.join("any-bundle.json");
    std::fs::write(&bundle, "{}").unwrap();
    let run = w.cli(&[
        "verify-bundle",
        "--bundle",
        bundle.to_str().unwrap(),
        "--certificate-identity-regexp",
        "(",
        "--certificate-oidc-issuer",
        GITHUB_ISSUER,
        "--trusted-root",
        w.root.to_str().unwrap(),
        &format!("sha256:{}", "0".repeat(64)),
    ]);
    assert_eq!(run.code, 2, "{run}");
}

#[test]
fn tag_and_digest_say_which_governs_and_print_the_digest_once() {
    let w = world();
    let (_, a) = w.pack("moved-a");
    let (_, b) = w.pack("moved-b");
    // Tag 1.0.0 is A; the reference pins B under that tag.
    let pinned = format!("oci://ghcr.io/acme/rules/moved:1.0.0@{b}");
    let by_digest = format!("oci://ghcr.io/acme/rules/moved@{a}");
    let v = w.values(
        "moved.yaml",
        &w.section(&format!("  extras: [\"{pinned}\", \"{by_digest}\"]\n")),
    );
    let run = w.cli(&["verify", "--config", v.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run}");
    let line = run.stdout.lines().find(|l| l.contains(b)).unwrap();
    assert!(
        line.contains(&format!("tag 1.0.0 now points to {a}")),
        "{line}"
    );
    assert_eq!(
        line.matches(b).count(),
        2,
        "the digest, then the note: {line}"
    );
    assert!(
        line.starts_with(&format!("verified    {pinned}  ")),
        "{line}"
    );
    let line = run.stdout.lines().find(|l| l.contains(&by_digest)).unwrap();
    assert_eq!(line.matches(a).count(), 1, "{line}");
    let run = w.cli(&verify_args(&v, &["--output", "json"]));
    let doc = json(&run);
    let p = doc["packs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["reference"] == pinned.as_str())
        .unwrap();
    assert_eq!(p["digest"], b);
    assert_eq!(p["tagDigest"], a, "{run}");
    assert!(
        p["note"].as_str().unwrap().contains("pinned digest"),
        "{run}"
    );
}

#[test]
fn options_that_look_like_flags_are_usage_errors() {
    let w = world();
    let v = w.values("flags.yaml", "  extras: []\n");
    for args in [
        vec!["verify", "-q", "--config", v.to_str().unwrap()],
        vec!["verify", "-c", v.to_str().unwrap()],
        vec!["inspect", "-v", "oci://ghcr.io/a/b:1"],
    ] {
        let run = w.cli(&args);
        assert_eq!(run.code, 2, "{args:?}: {run}");
        assert_eq!(run.error_code().as_deref(), Some("usage"), "{run}");
        assert!(run.stderr.contains("unknown option -"), "{run}");
    }
    // The README's shared options are taken by the commands that document them.
    let (good, _) = w.pack("good");
    let run = w.cli(&[
        "inspect",
        good,
        "--layout",
        w.layout.to_str().unwrap(),
        "--registry-mirror",
        "ghcr.io=https://mirror.example",
    ]);
    assert_eq!(run.code, 0, "{run}");
}

#[test]
fn credentials_in_urls_are_never_printed() {
    let w = world();
    let v = w.values("cred.yaml", "  extras: [oci://ghcr.io/acme/rules:1]\n");
    for mirror in [
        "ghcr.io=http://bob:s3cret@mirror.corp.example:5000",
        "ghcr.io=ftp://bob:s3cret@mirror.corp.example",
    ] {
        let run = w.cli(&verify_args(
            &v,
            &[
                "--trusted-root",
                w.root.to_str().unwrap(),
                "--registry-mirror",
                mirror,
            ],
        ));
        assert_eq!(run.code, 2, "{run}");
        assert!(
            !run.stderr.contains("s3cret") && !run.stdout.contains("s3cret"),
            "{run}"
        );
        assert!(run.stderr.contains("***@mirror.corp.example"), "{run}");
    }
    let v = w.values("cred2.yaml", "  mirrors:\n    ghcr.io: ftp://bob:s3cret@mirror.corp.example\n  extras: [oci://ghcr.io/acme/rules:1]\n");
    let run = w.cli(&verify_args(
        &v,
        &["--trusted-root", w.root.to_str().unwrap()],
    ));
    assert_eq!(
        run.error_code().as_deref(),
        Some("config.invalid-mirror"),
        "{run}"
    );
    assert!(!run.stderr.contains("s3cret"), "{run}");
}

#[cfg(feature = "online")]
#[test]
fn credentials_in_an_unreachable_mirror_url_are_never_printed() {
    let w = world();
    let v = w.values(
        "cred-online.yaml",
        &format!("  trustedRoot: {}\n  mirrors:\n    ghcr.io: https://bob:s3cret@127.0.0.1:1\n  extras: [oci://ghcr.io/lithastra/rules/eks:1.0.0]\n", w.root.display()),
    );
    for output in ["text", "json"] {
        let run = w.cli(&verify_args(&v, &["--output", output]));
        // The client refuses credentials in a mirror URL (or cannot reach it); either
        // way the URL is named without them.
        assert!(run.code == 2 || run.code == 3, "{run}");
        assert!(run.stderr.contains("***@127.0.0.1:1"), "{run}");
        assert!(
            !run.stderr.contains("s3cret") && !run.stdout.contains("s3cret"),
            "{run}"
        );
    }
}

#[test]
fn inspect_shows_every_bundle_and_suggests_a_tag_pattern() {
    let w = world();
    let (r, _) = w.pack("junk-first");
    let run = w.cli(&["inspect", r, "--layout", w.layout.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(
        run.stdout.matches("unreadable: error[bundle.").count(),
        16,
        "{run}"
    );
    assert!(
        run.stdout
            .contains(&gha_identity("acme/rules", "refs/tags/v1.0.0")),
        "{run}"
    );
    assert!(
        run.stdout.contains("identityRegexp: ^https://github\\.com/acme/rules/\\.github/workflows/release\\.yml@refs/tags/.+$"),
        "{run}"
    );
    assert!(!run.stdout.contains("    identity: https://"), "{run}");
    // First-party: no entry to suggest; say why.
    let (fp, _) = w.pack("first-party");
    let run = w.cli(&["inspect", fp, "--layout", w.layout.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run}");
    assert!(!run.stdout.contains("suggested trustedIdentities"), "{run}");
    assert!(
        run.stdout.contains("first-party pack") && run.stdout.contains("cannot widen"),
        "{run}"
    );
}

#[test]
fn failure_lines_stay_readable_with_many_identities() {
    let w = world();
    let (mallory, d) = w.pack("mallory");
    let ids: String = (0..255)
        .map(|i| format!("    - issuer: https://token.actions.githubusercontent.com\n      identity: https://github.com/org{i}/rules/.github/workflows/release.yml@refs/tags/v1.0.0\n"))
        .collect();
    let body = format!(
        "  trustedRoot: {}\n  layout: {}\n  extras: [{mallory}]\n  trustedIdentities:\n{ids}    - issuer: https://token.actions.githubusercontent.com\n      identityRegexp: ^https://github\\.com/mallory/rules/\\.github/workflows/other\\.yml@refs/tags/.+$\n",
        w.root.display(),
        w.layout.display()
    );
    let run = w.verify_config("many-ids.yaml", &body, &[]);
    assert_eq!(run.code, 1, "{run}");
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("FAILED"))
        .unwrap();
    assert!(line.len() < 1200, "{} chars: {line}", line.len());
    assert!(line.contains(&format!("{mallory}@{d}")), "{line}");
    // The closest rule (same repository, other workflow) is named; the rest counted.
    assert!(
        line.contains(
            "closest: rule 256: identity must be matching /^https://github\\.com/mallory/rules/"
        ),
        "{line}"
    );
    assert!(line.contains("255 more rules tried"), "{line}");
    assert!(line.contains("--output json"), "{line}");
    // Everything is in the JSON message.
    let run = w.verify_config("many-ids.yaml", &body, &["--output", "json"]);
    let msg = json(&run)["packs"][0]["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(msg.contains("rule 1:") && msg.contains("rule 255:") && msg.contains("rule 256:"));
}

#[test]
fn verification_off_and_zero_packs_say_what_happened() {
    let w = world();
    let (good, _) = w.pack("good");
    let v = w.values(
        "off.yaml",
        &format!("  verifySignature: false\n  layout: {}\n  extras: [{good}, oci://ghcr.io/acme/rules/absent:1.0.0]\n", w.layout.display()),
    );
    let run = w.cli(&["verify", "--config", v.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        !run.stderr.contains("failed verification") && !run.stdout.contains("failed verification"),
        "{run}"
    );
    assert!(
        run.stdout.contains("1 failed to resolve, 1 unverified"),
        "{run}"
    );
    // Zero packs: exit 0, and said on both streams.
    let v = w.values("zero.yaml", &w.section("  extras: []\n"));
    let run = w.cli(&["verify", "--config", v.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("nothing to verify"), "{run}");
    assert!(run.stdout.contains("nothing to verify"), "{run}");
}

/// A tag that two `index.json` entries give different digests fails the pack that asks
/// for it (status 1, `registry.invalid-layout`), the others are verified, and the error
/// table says exactly that; a layout that cannot be opened at all is status 2.
#[test]
fn ambiguous_tag_fails_only_its_pack_as_documented() {
    let w = world();
    let (_, b) = w.pack("moved-b");
    let layout = edited_layout(w, "ambiguous-tag", |_, entries| {
        let mut dup = entries.iter().find(|e| e["digest"] == b).unwrap().clone();
        dup["annotations"]["io.rulepack.ref"] = "ghcr.io/acme/rules/moved:1.0.0".into();
        entries.push(dup);
    });
    let (good, _) = w.pack("good");
    let (moved, _) = w.pack("moved-a");
    let v = w.values(
        "ambiguous.yaml",
        &w.section_with_layout(&layout, &format!("  extras: [{good}, {moved}]\n")),
    );
    let run = w.cli(&verify_args(&v, &["--output", "json"]));
    assert_eq!(run.code, 1, "{run}");
    let doc = json(&run);
    let packs = doc["packs"].as_array().unwrap();
    assert_eq!(
        packs.iter().find(|p| p["reference"] == good).unwrap()["status"],
        "verified"
    );
    let failed = packs.iter().find(|p| p["reference"] == moved).unwrap();
    assert_eq!(failed["error"]["code"], "registry.invalid-layout", "{run}");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("names both"),
        "{run}"
    );
    // The documentation says the same.
    let errors =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md")).unwrap();
    let section = errors.split("## Registry and OCI layout").nth(1).unwrap();
    let intro = section.split("| code |").next().unwrap().replace('\n', " ");
    assert!(intro.contains("the setup errors give 2"), "{intro}");
    assert!(
        intro.contains("`registry.invalid-layout` (the layout directory"),
        "{intro}"
    );
    assert!(intro.contains("ambiguous tag"), "{intro}");
    assert!(intro.contains("fails that pack (1)"), "{intro}");
}
