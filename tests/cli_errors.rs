//! Every error a user can hit through the CLI: its exit status, its
//! `error[code]` (or the JSON `error.code` of the pack), and a message that names what
//! failed (the pack reference and digest, the config key, the file, the URL) and why.
//!
//! Offline: packs live in an OCI image layout written to a temp dir (the conventions of
//! `src/oci/layout.rs`), signed by the test-only virtual Sigstore in cosign's new
//! bundle format, with its trusted root in a temp file. The only network use is to
//! closed loopback ports (`127.0.0.1:1`) for the "unreachable" cases.

#[path = "common/e2e.rs"]
mod e2e;
#[path = "common/vsig.rs"]
mod vsig;
#[path = "common/world.rs"]
mod world;

use std::path::PathBuf;
use std::sync::OnceLock;

use e2e::{
    edit_bundle, flip_base64, flip_base64_last, gha_identity, gha_sign_options, run_cli,
    verify_args, BuiltPack, LayoutBuilder, Run, Signed, GITHUB_ISSUER, SIGSTORE_TUF_ROOT, T0,
    TRUSTED_ACME, UNREACHABLE_TUF,
};
use vsig::{ContentKind, VirtualSigstore};
use world::World;

/// The offline world: a layout with every failure class, and the trusted root.
fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let mut vs = VirtualSigstore::new(6_000_002);
        let mut other_vs = VirtualSigstore::new(6_000_003);
        let w = World::new("cli-errors", &vs);
        let mut lb = LayoutBuilder::default();
        let mut packs = Vec::new();
        let names = [
            "good",
            "first-party",
            "unsigned",
            "wrong-signer",
            "wrong-artifact",
            "tamper-set",
            "tamper-proof",
            "tamper-checkpoint",
            "tamper-body",
            "tamper-cert",
            "tamper-sig",
            "tamper-payload",
            "tamper-timestamp",
            "expired-at-signing",
            "foreign-sigstore",
            "message-signature",
            "two-bad-bundles",
            "furthest-bundle-first",
        ];
        let decoy = BuiltPack::new("decoy", &[("decoy.rego", b"package decoy\n")]);
        for (i, name) in names.into_iter().enumerate() {
            let repo = if name == "first-party" {
                "lithastra/rules/eks".to_owned()
            } else {
                format!("acme/rules/{name}")
            };
            let logical = format!("ghcr.io/{repo}:1.0.0");
            let rego = format!("package acme.{}\n", name.replace('-', "_"));
            let pack = BuiltPack::new("1.0.0", &[("rules.rego", rego.as_bytes())]);
            lb.pack(&logical, &pack);
            let at = T0 + 600 * i64::try_from(i).unwrap();
            let acme = gha_sign_options("acme/rules", "refs/tags/v1.0.0", at);
            let sign = |vs: &mut VirtualSigstore, o: &vsig::SignOptions| pack.sign(vs, o);
            let attached: Vec<Signed> = match name {
                "good" => vec![sign(&mut vs, &acme)],
                "first-party" => {
                    // Signed by acme (trusted for third-party): not the pinned identity.
                    vec![sign(&mut vs, &acme)]
                }
                "unsigned" => vec![],
                "wrong-signer" => vec![sign(
                    &mut vs,
                    &gha_sign_options("mallory/rules", "refs/tags/v1.0.0", at),
                )],
                // A valid bundle by the trusted signer, for another artifact.
                "wrong-artifact" => vec![pack.attach(decoy.sign(&mut vs, &acme).bundle)],
                "tamper-set" => vec![pack.attach(flip_base64(
                    &sign(&mut vs, &acme).bundle,
                    "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
                ))],
                "tamper-proof" => vec![pack.attach(flip_base64(
                    &sign(&mut vs, &acme).bundle,
                    "/verificationMaterial/tlogEntries/0/inclusionProof/hashes/0",
                ))],
                "tamper-checkpoint" => vec![pack.attach(edit_bundle(
                    &sign(&mut vs, &acme).bundle,
                    |v| {
                        let c = v
                            .pointer_mut(
                                "/verificationMaterial/tlogEntries/0/inclusionProof/checkpoint/envelope",
                            )
                            .unwrap();
                        // Another tree size in the signed note body.
                        let s = c.as_str().unwrap().to_owned();
                        let mut lines: Vec<String> = s.lines().map(str::to_owned).collect();
                        let n: u64 = lines[1].parse().unwrap();
                        lines[1] = (n + 1).to_string();
                        *c = serde_json::json!(format!("{}\n", lines.join("\n")));
                    },
                ))],
                "tamper-body" => vec![pack.attach(flip_base64(
                    &sign(&mut vs, &acme).bundle,
                    "/verificationMaterial/tlogEntries/0/canonicalizedBody",
                ))],
                // The last byte is inside the issuer's signature value.
                "tamper-cert" => vec![pack.attach(flip_base64_last(
                    &sign(&mut vs, &acme).bundle,
                    "/verificationMaterial/certificate/rawBytes",
                ))],
                "tamper-sig" => vec![pack.attach(flip_base64(
                    &sign(&mut vs, &acme).bundle,
                    "/dsseEnvelope/signatures/0/sig",
                ))],
                "tamper-payload" => vec![pack.attach(edit_bundle(
                    &sign(&mut vs, &acme).bundle,
                    |v| {
                        // The statement re-encoded with extra whitespace: same subject,
                        // different signed bytes.
                        let f = v.pointer_mut("/dsseEnvelope/payload").unwrap();
                        let raw =
                            rulepack_verify::encoding::base64_decode(f.as_str().unwrap()).unwrap();
                        let mut s = String::from_utf8(raw).unwrap();
                        s.push(' ');
                        *f = serde_json::json!(rulepack_verify::encoding::base64_encode(
                            s.as_bytes()
                        ));
                    },
                ))],
                "tamper-timestamp" => vec![pack.attach(flip_base64_last(
                    &sign(&mut vs, &acme).bundle,
                    "/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp",
                ))],
                "expired-at-signing" => {
                    // The certificate lived 10 s; the log and the TSA saw the signature
                    // 60 s and 30 s after it was issued.
                    let mut o = acme.clone();
                    o.cert_lifetime_secs = 10;
                    vec![sign(&mut vs, &o)]
                }
                "foreign-sigstore" => vec![sign(&mut other_vs, &acme)],
                "message-signature" => {
                    let mut o = acme.clone();
                    o.content = ContentKind::MessageSignature;
                    vec![sign(&mut vs, &o)]
                }
                "two-bad-bundles" => vec![
                    sign(
                        &mut vs,
                        &gha_sign_options("mallory/rules", "refs/tags/v1.0.0", at),
                    ),
                    pack.attach(flip_base64(
                        &sign(&mut vs, &acme).bundle,
                        "/dsseEnvelope/signatures/0/sig",
                    )),
                ],
                // A bundle whose signature is broken (step 3) and one whose certificate
                // had expired when it was logged (step 7): the second got further.
                "furthest-bundle-first" => {
                    let mut o = acme.clone();
                    o.cert_lifetime_secs = 10;
                    vec![
                        pack.attach(flip_base64(
                            &sign(&mut vs, &acme).bundle,
                            "/dsseEnvelope/signatures/0/sig",
                        )),
                        sign(&mut vs, &o),
                    ]
                }
                other => panic!("{other}"),
            };
            for s in &attached {
                lb.referrer(s);
            }
            packs.push((name, format!("oci://{logical}"), pack.digest.clone()));
        }
        w.with_layout(&lb, packs)
    })
}

fn assert_usage(run: &Run, needle: &str) {
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(run.error_code().as_deref(), Some("usage"), "{run}");
    assert!(run.stderr.contains(needle), "expected {needle:?} in\n{run}");
    assert!(run.stdout.is_empty(), "{run}");
}

fn assert_error(run: &Run, status: i32, code: &str, needles: &[&str]) {
    assert_eq!(run.code, status, "{run}");
    assert_eq!(run.error_code().as_deref(), Some(code), "{run}");
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with(&format!("error[{code}]")))
        .unwrap();
    for n in needles {
        assert!(line.contains(n), "expected {n:?} in {line:?}\n{run}");
    }
}

#[test]
fn config_errors_exit_2_and_name_the_key() {
    let w = world();
    let layout = format!("  layout: {}\n", w.layout.display());
    let cases: &[(&str, String, &str, &[&str])] = &[
        ("null", "".into(), "config.wrong-type", &["rulePacks", "mapping"]),
        (
            "unknown-key",
            format!("{layout}  verifySignatures: true\n"),
            "config.unknown-key",
            &["verifySignatures", "rulePacks"],
        ),
        (
            "entry-unknown-key",
            "  trustedIdentities:\n    - issuer: a\n      identity: b\n      subject: c\n".into(),
            "config.unknown-key",
            &["subject", "trustedIdentities[0]"],
        ),
        (
            "both-issuers",
            "  trustedIdentities:\n    - issuer: https://a\n      issuerRegexp: ^https://a$\n      identity: x\n".into(),
            "config.identity-entry",
            &["trustedIdentities[0]", "issuer", "issuerRegexp"],
        ),
        (
            "no-identity",
            "  trustedIdentities:\n    - issuer: https://a\n".into(),
            "config.identity-entry",
            &["trustedIdentities[0]", "identity"],
        ),
        (
            "bad-regex",
            "  trustedIdentities:\n    - issuer: https://a\n      identityRegexp: ^https://(unclosed$\n".into(),
            "config.invalid-regex",
            &["trustedIdentities[0].identityRegexp"],
        ),
        (
            "no-scheme",
            "  extras:\n    - ghcr.io/acme/rules:1\n".into(),
            "config.invalid-reference",
            &["extras[0]", "ghcr.io/acme/rules:1", "oci://"],
        ),
        (
            "bad-reference",
            "  extras:\n    - oci://ghcr.io/acme/rules:1\n    - oci://ghcr.io/Acme/Rules:1\n".into(),
            "config.invalid-reference",
            &["extras[1]", "oci://ghcr.io/Acme/Rules:1", "Acme/Rules"],
        ),
        (
            "no-tag",
            "  extras:\n    - oci://ghcr.io/acme/rules\n".into(),
            "config.invalid-reference",
            &["extras[0]", "oci://ghcr.io/acme/rules", "tag"],
        ),
        (
            "mirror-scheme",
            "  mirrors:\n    ghcr.io: ftp://mirror.corp\n  extras: [oci://ghcr.io/acme/rules:1]\n".into(),
            "config.invalid-mirror",
            &["ghcr.io", "ftp://mirror.corp"],
        ),
        (
            "mirror-http",
            "  mirrors:\n    ghcr.io: http://mirror.corp:5000\n  extras: [oci://ghcr.io/acme/rules:1]\n".into(),
            "config.invalid-mirror",
            &["ghcr.io", "http://mirror.corp:5000", "loopback"],
        ),
        (
            "mirror-http-ipv6",
            "  mirrors:\n    ghcr.io: http://[2001:db8::1]:5000\n  extras: [oci://ghcr.io/acme/rules:1]\n".into(),
            "config.invalid-mirror",
            &["ghcr.io", "http://[2001:db8::1]:5000", "loopback"],
        ),
        (
            "wrong-type",
            "  verifySignature: \"false\"\n".into(),
            "config.wrong-type",
            &["rulePacks.verifySignature"],
        ),
        (
            "duplicate",
            "  extras: []\n  extras: []\n".into(),
            "config.duplicate-key",
            &["extras"],
        ),
        ("yaml", "  extras: [\n".into(), "config.yaml-syntax", &["line"]),
    ];
    for (name, body, code, needles) in cases {
        let v = w.values(&format!("cfg-{name}.yaml"), body);
        let run = w.cli(&verify_args(
            &v,
            &["--trusted-root", w.root.to_str().unwrap()],
        ));
        assert_eq!(run.code, 2, "{name}: {run}");
        assert_eq!(run.error_code().as_deref(), Some(*code), "{name}: {run}");
        for n in *needles {
            assert!(run.stderr.contains(n), "{name}: expected {n:?}\n{run}");
        }
        assert!(run.stdout.is_empty(), "{name}: {run}");
    }
    // No rulePacks section at all.
    let p = w.dir.join("cfg-no-section.yaml");
    std::fs::write(&p, "image: {tag: \"1\"}\nreplicaCount: 1\n").unwrap();
    let run = w.cli(&["verify", "--config", p.to_str().unwrap()]);
    assert_error(&run, 2, "config.missing-rulepacks", &["rulePacks"]);
    // Plain-http mirrors: only loopback or a host named exactly with --insecure-registry.
    let v = w.values("cfg-flags.yaml", "  extras: [oci://ghcr.io/acme/rules:1]\n");
    for (mirror, insecure) in [
        ("ghcr.io=http://[::ffff:8.8.8.8]:5000", None),
        ("ghcr.io=http://[2001:db8::1]:5000", None),
        (
            "ghcr.io=http://mirror.corp.evil.example:5000",
            Some("mirror.corp"),
        ),
        ("ghcr.io=http://localhost.evil.example", None),
    ] {
        let mut args = vec![
            "verify",
            "--config",
            v.to_str().unwrap(),
            "--trusted-root",
            w.root.to_str().unwrap(),
            "--registry-mirror",
            mirror,
        ];
        if let Some(i) = insecure {
            args.extend(["--insecure-registry", i]);
        }
        let run = w.cli(&args);
        let url = mirror.split_once('=').unwrap().1;
        assert_error(&run, 2, "config.invalid-mirror", &["ghcr.io", url]);
    }
    // A values file that is not UTF-8, and one that does not exist.
    let p = w.dir.join("cfg-latin1.yaml");
    std::fs::write(&p, b"rulePacks:\n  extras: [\"\xe9\"]\n").unwrap();
    let run = w.cli(&["verify", "--config", p.to_str().unwrap()]);
    assert_error(&run, 2, "config.not-utf8", &[]);
    let missing = w.dir.join("no-such-values.yaml");
    let run = w.cli(&["verify", "--config", missing.to_str().unwrap()]);
    assert_error(&run, 2, "io.read-failed", &[missing.to_str().unwrap()]);
}

#[test]
fn usage_errors_exit_2() {
    let w = world();
    let root = w.root.to_str().unwrap();
    let v = w.values("usage.yaml", "  extras: []\n");
    let v = v.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&[], "usage: rulepack-verify"),
        (&["frobnicate"], "unknown command \"frobnicate\""),
        (
            &["verify"],
            "give --config FILE or one or more oci:// references",
        ),
        (
            &["verify", "--config", v, "--bogus"],
            "unknown option --bogus",
        ),
        (
            &["verify", "--config", v, "--output", "xml"],
            "--output must be text or json",
        ),
        (
            &["verify", "--config", v, "--output"],
            "--output needs a value",
        ),
        (
            &["verify", "--config", v, "--config", v],
            "--config given more than once",
        ),
        (
            &["verify", "--config", v, "oci://ghcr.io/a/b:1"],
            "not both",
        ),
        (
            &["verify", "--config", v, "--certificate-identity", "x"],
            "identity options are for one-off checks",
        ),
        (
            &[
                "verify",
                "oci://ghcr.io/a/b:1",
                "--certificate-identity",
                "x",
            ],
            "needs both an issuer and an identity",
        ),
        (
            &[
                "verify",
                "oci://ghcr.io/a/b:1",
                "--certificate-identity",
                "x",
                "--certificate-identity-regexp",
                "y",
            ],
            "only one of --certificate-identity and --certificate-identity-regexp",
        ),
        (
            &["verify", "--config", v, "--out", "/tmp/x"],
            "--out is for the pull command",
        ),
        (&["pull", "--config", v], "pull needs --out DIR"),
        (
            &[
                "verify",
                "--config",
                v,
                "--trusted-root",
                root,
                "--tuf-url",
                "https://x",
            ],
            "--trusted-root uses a file as is",
        ),
        (
            &["verify", "--config", v, "--registry-mirror", "ghcr.io"],
            "expected HOST=URL",
        ),
        (
            &["verify", "--config", v, "--staging=yes"],
            "--staging takes no value",
        ),
        (&["trust-root"], "usage: trust-root update|show"),
        (
            &["trust-root", "delete"],
            "unknown trust-root subcommand \"delete\"",
        ),
        (
            &["trust-root", "update", "--trusted-root", root],
            "trust-root update refreshes through TUF",
        ),
    ];
    for (args, needle) in cases {
        let run = w.cli(args);
        if args.is_empty() {
            // No command at all: the usage text, exit 2.
            assert_eq!(run.code, 2, "{run}");
            assert!(run.stderr.contains(needle), "{run}");
            continue;
        }
        assert_usage(&run, needle);
    }
    // A --tuf-url needs its own root; an offline build needs a trust root file.
    #[cfg(feature = "online")]
    assert_usage(
        &w.cli(&["verify", "--config", v, "--tuf-url", "https://tuf.example"]),
        "--tuf-url needs --tuf-root",
    );
    #[cfg(not(feature = "online"))]
    assert_usage(
        &w.cli(&["verify", "--config", v]),
        "built without the `online` feature",
    );
    // help is not an error.
    let run = w.cli(&["help"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("exit status:"), "{run}");
}

#[test]
fn one_off_reference_errors_exit_2() {
    let w = world();
    let cases: &[(&str, &str)] = &[
        ("ghcr.io/acme/rules:1", "reference.missing-scheme"),
        (
            "oci://ghcr.io/acme/rules",
            "reference.missing-tag-or-digest",
        ),
        ("oci://ghcr.io/Acme/rules:1", "reference.invalid-repository"),
        ("oci://ghcr.io/acme/rules:-bad", "reference.invalid-tag"),
        (
            "oci://ghcr.io/acme/rules@sha256:abc",
            "reference.invalid-digest",
        ),
        ("oci://bad host/acme/rules:1", "reference.invalid-registry"),
        ("oci://ghcr.io:1", "reference.missing-repository"),
    ];
    for (r, code) in cases {
        let run = w.cli(&["verify", r, "--trusted-root", w.root.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{r}: {run}");
        assert_eq!(run.error_code().as_deref(), Some(*code), "{r}: {run}");
    }
    // The message quotes the reference.
    let run = w.cli(&[
        "verify",
        "oci://ghcr.io/Acme/rules:1",
        "--trusted-root",
        w.root.to_str().unwrap(),
    ]);
    assert!(run.stderr.contains("oci://ghcr.io/Acme/rules:1"), "{run}");
}

#[test]
fn trust_root_file_errors() {
    let w = world();
    let (r, _) = w.pack("good");
    let layout = w.layout.to_str().unwrap();
    let missing = w.dir.join("no-such-root.json");
    let run = w.cli(&[
        "verify",
        r,
        "--layout",
        layout,
        "--trusted-root",
        missing.to_str().unwrap(),
    ]);
    assert_error(&run, 2, "io.read-failed", &[missing.to_str().unwrap()]);
    // The same through the config's trustedRoot (relative to the values file).
    let v = w.values(
        "root-missing.yaml",
        &format!(
            "  trustedRoot: no-such-root.json\n  layout: {layout}\n  extras: [{r}]\n{TRUSTED_ACME}"
        ),
    );
    let run = w.cli(&["verify", "--config", v.to_str().unwrap()]);
    assert_error(&run, 2, "io.read-failed", &[missing.to_str().unwrap()]);

    let cases: &[(&str, &[u8], &str)] = &[
        (
            "not-json.json",
            b"this is not json",
            "trust-root.invalid-json",
        ),
        (
            "wrong-media-type.json",
            br#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=9.9"}"#,
            "trust-root.unsupported-media-type",
        ),
    ];
    for (file, bytes, code) in cases {
        let p = w.dir.join(file);
        std::fs::write(&p, bytes).unwrap();
        let run = w.cli(&[
            "verify",
            r,
            "--layout",
            layout,
            "--trusted-root",
            p.to_str().unwrap(),
        ]);
        // A malformed trust root is a configuration problem: nothing was verified.
        assert_error(&run, 2, code, &[]);
        assert!(run.stdout.is_empty(), "{run}");
        let run = w.cli(&["trust-root", "show", "--trusted-root", p.to_str().unwrap()]);
        assert_error(&run, 2, code, &[]);
    }
    let run = w.cli(&[
        "trust-root",
        "show",
        "--trusted-root",
        missing.to_str().unwrap(),
    ]);
    assert_error(&run, 2, "io.read-failed", &[missing.to_str().unwrap()]);
}

#[cfg(feature = "online")]
#[test]
fn tuf_unreachable_exit_3() {
    let w = world();
    let (r, _) = w.pack("good");
    let run = w.verify_config(
        "tuf.yaml",
        &w.tuf_section(&format!("  extras: [{r}]\n")),
        &UNREACHABLE_TUF,
    );
    // Fail closed: no fallback to an embedded root, and no pack is reported verified.
    assert_error(
        &run,
        3,
        "tuf.unreachable",
        &["http://127.0.0.1:1", "--trusted-root"],
    );
    assert!(!run.stdout.contains("verified"), "{run}");
    let run = w.cli(&[&["trust-root", "update"][..], &UNREACHABLE_TUF].concat());
    assert_error(&run, 3, "tuf.unreachable", &["http://127.0.0.1:1"]);
}

/// The run's deadline bounds the TUF refresh of the trust root too: a TUF repository that
/// accepts connections and never answers ends the run when the deadline passes, with its
/// own code, instead of after the 60 s request timeout (`tuf.unreachable`).
#[cfg(feature = "online")]
#[test]
fn run_deadline_bounds_the_tuf_refresh() {
    use std::io::Read as _;
    let w = world();
    let (r, _) = w.pack("good");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = requests.clone();
    // Read each request, answer nothing; the connections are held until the test ends.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 512];
            if conn.read(&mut buf).unwrap_or(0) > 0 {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            held.push(conn);
        }
    });
    let run = w.verify_config(
        "tuf-deadline.yaml",
        &w.tuf_section(&format!("  extras: [{r}]\n")),
        &[
            "--tuf-url",
            &url,
            "--tuf-root",
            SIGSTORE_TUF_ROOT,
            "--run-timeout",
            "1s",
        ],
    );
    assert_error(
        &run,
        3,
        "tuf.deadline-exceeded",
        &[
            &url,
            "run's deadline of 1 s",
            "--run-timeout",
            "--trusted-root",
        ],
    );
    assert!(!run.stdout.contains("verified"), "{run}");
    // The first request was sent and cut short; nothing was sent after the deadline.
    assert_eq!(
        requests.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "{run}"
    );
}

/// A TUF repository chosen on the command line wins over the config's `trustedRoot`: the
/// explicit choice is used (here: unreachable, so exit 3), never silently ignored.
#[cfg(feature = "online")]
#[test]
fn command_line_tuf_choice_wins_over_config_trusted_root() {
    let w = world();
    let (r, _) = w.pack("good");
    let run = w.verify_config(
        "tuf-over-config.yaml",
        &w.section(&format!("  extras: [{r}]\n")),
        &UNREACHABLE_TUF,
    );
    assert_error(&run, 3, "tuf.unreachable", &["http://127.0.0.1:1"]);
}

#[cfg(feature = "online")]
#[test]
fn registry_unreachable_exit_3() {
    let w = world();
    let r = "oci://127.0.0.1:1/acme/rules:1.0.0";
    let root = w.root.to_str().unwrap();
    let run = w.cli(&[
        "verify",
        r,
        "--trusted-root",
        root,
        "--certificate-identity",
        "x",
        "--certificate-oidc-issuer",
        "y",
        "--output",
        "json",
    ]);
    assert_eq!(run.code, 3, "{run}");
    let j = run.pack(r);
    assert_eq!(j["status"], "failed");
    assert_eq!(j["error"]["code"], "registry.network", "{run}");
    let msg = j["error"]["message"].as_str().unwrap();
    assert!(msg.contains(r) && msg.contains("127.0.0.1:1"), "{msg}");

    // Through a mirror in the config: the logical name is reported, the mirror named.
    let v = w.values(
        "mirror-down.yaml",
        &format!("  trustedRoot: {root}\n  mirrors:\n    ghcr.io: https://127.0.0.1:1\n  extras: [oci://ghcr.io/lithastra/rules/eks:1.0.0]\n"),
    );
    let run = w.cli(&["verify", "--config", v.to_str().unwrap()]);
    assert_eq!(run.code, 3, "{run}");
    assert_eq!(run.error_code().as_deref(), Some("packs.failed"), "{run}");
    assert!(
        run.stdout
            .contains("oci://ghcr.io/lithastra/rules/eks:1.0.0"),
        "{run}"
    );
    assert!(run.stdout.contains("error[registry.network]"), "{run}");
    assert!(run.stdout.contains("127.0.0.1:1"), "{run}");
}

/// Each verification failure class, through `verify --output json` over the layout.
#[test]
fn verification_failures_name_pack_digest_and_reason() {
    let w = world();
    let names: Vec<&str> = w.packs.iter().map(|(n, _, _)| *n).collect();
    let extras: String = w
        .packs
        .iter()
        .map(|(_, r, _)| format!("    - {r}\n"))
        .collect();
    let v = w.values("all.yaml", &w.section(&format!("  extras:\n{extras}")));
    let run = w.cli(&verify_args(&v, &["--output", "json"]));
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.error_code().as_deref(), Some("packs.failed"), "{run}");
    assert_eq!(run.packs().len(), names.len());

    let (good, _) = w.pack("good");
    assert_eq!(run.pack(good)["status"], "verified", "{run}");
    // (pack, expected code, words the reason must contain)
    let expect: &[(&str, &str, &[&str])] = &[
        (
            "first-party",
            "policy.identity-mismatch",
            &["acme/rules", "kubeatlas-rules"],
        ),
        ("unsigned", "registry.no-bundle", &["no Sigstore bundle"]),
        (
            "wrong-signer",
            "policy.identity-mismatch",
            &["mallory/rules"],
        ),
        ("wrong-artifact", "signature.subject-mismatch", &[]),
        ("tamper-set", "tlog.set-invalid", &[]),
        ("tamper-proof", "tlog.inclusion-proof-invalid", &[]),
        (
            "tamper-checkpoint",
            "tlog.checkpoint-signature-invalid",
            &[],
        ),
        // The SET signs the body: a changed body fails there first.
        (
            "tamper-body",
            "tlog.set-invalid",
            &["signed entry timestamp"],
        ),
        ("tamper-cert", "certificate.signature-invalid", &[]),
        ("tamper-sig", "signature.invalid", &[]),
        ("tamper-payload", "signature.invalid", &[]),
        ("tamper-timestamp", "timestamp.signature-invalid", &[]),
        ("expired-at-signing", "certificate.expired", &[]),
        // Another Sigstore deployment: its timestamp authority is checked first.
        (
            "foreign-sigstore",
            "timestamp.chain-invalid",
            &["not in the trusted root"],
        ),
        ("message-signature", "signature.not-cosign-statement", &[]),
        // Both bundles' reasons, the one that got furthest through the pipeline first.
        (
            "two-bad-bundles",
            "policy.identity-mismatch",
            &[
                "2 bundles attached",
                "mallory/rules",
                "error[signature.invalid]",
            ],
        ),
        // Certificate path (step 7) beats signature (step 3), whatever the bundle order.
        (
            "furthest-bundle-first",
            "certificate.expired",
            &["2 bundles attached", "error[signature.invalid]"],
        ),
    ];
    let mut wrong = Vec::new();
    for (name, code, words) in expect {
        let (r, d) = w.pack(name);
        let j = run.pack(r);
        assert_eq!(j["status"], "failed", "{name}: {j}");
        assert_eq!(j["digest"], *d, "{name}: {j}");
        let got = j["error"]["code"].as_str().unwrap();
        let msg = j["error"]["message"].as_str().unwrap();
        if got != *code {
            wrong.push(format!("{name}: expected {code}, got {got}: {msg}"));
            continue;
        }
        assert!(
            msg.contains(&format!("{r}@{d}")),
            "{name}: the pack is not named: {msg}"
        );
        for word in *words {
            assert!(msg.contains(word), "{name}: expected {word:?} in {msg}");
        }
        // The reason is a sentence after the pack name, not only a code.
        let reason = msg.split_once(": ").map(|x| x.1).unwrap_or("");
        assert!(reason.len() > 20, "{name}: {msg}");
    }
    assert!(wrong.is_empty(), "wrong codes:\n{}", wrong.join("\n"));

    // The text output names the code, tier and pack on the same line.
    let run = w.cli(&["verify", "--config", v.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run}");
    for (name, code, _) in expect {
        let (r, d) = w.pack(name);
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains(&format!("{r}@{d}")))
            .unwrap_or_else(|| panic!("{name}: no line\n{run}"));
        assert!(
            line.starts_with("FAILED") && line.contains(&format!("error[{code}]")),
            "{line}"
        );
    }
}

/// Run-level setup problems other than the config file: exit 2, and the file named.
#[test]
fn missing_layout_exit_2() {
    let w = world();
    let (r, _) = w.pack("good");
    let root = w.root.to_str().unwrap();
    let no_layout = w.dir.join("no-such-layout");
    let run = w.cli(&[
        "verify",
        r,
        "--trusted-root",
        root,
        "--layout",
        no_layout.to_str().unwrap(),
    ]);
    assert_error(
        &run,
        2,
        "registry.invalid-layout",
        &[no_layout.to_str().unwrap()],
    );
}

#[cfg(feature = "online")]
#[test]
fn setup_errors_exit_2() {
    let w = world();
    let (r, _) = w.pack("good");
    let root = w.root.to_str().unwrap();
    let missing = w.dir.join("no-such-ca.pem");
    let run = w.cli(&[
        "verify",
        r,
        "--trusted-root",
        root,
        "--ca-file",
        missing.to_str().unwrap(),
        "--certificate-identity",
        "x",
        "--certificate-oidc-issuer",
        "y",
    ]);
    assert_error(
        &run,
        2,
        "registry.client-config",
        &[missing.to_str().unwrap()],
    );
    let not_pem = w.dir.join("not-a-ca.pem");
    std::fs::write(&not_pem, "no certificates here\n").unwrap();
    let run = w.cli(&[
        "verify",
        r,
        "--trusted-root",
        root,
        "--ca-file",
        not_pem.to_str().unwrap(),
        "--certificate-identity",
        "x",
        "--certificate-oidc-issuer",
        "y",
    ]);
    assert_error(
        &run,
        2,
        "registry.client-config",
        &[not_pem.to_str().unwrap()],
    );

    let docker = w.dir.join("bad-docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(
        docker.join("config.json"),
        "{\"auths\": {\"ghcr.io\": {\"auth\": \"!!!\"}}}",
    )
    .unwrap();
    let run = run_cli(
        &w.home(),
        &[
            "verify",
            r,
            "--trusted-root",
            root,
            "--certificate-identity",
            "x",
            "--certificate-oidc-issuer",
            "y",
        ],
        &[("DOCKER_CONFIG", &docker)],
    );
    assert_error(
        &run,
        2,
        "registry.invalid-credentials-file",
        &["config.json"],
    );
}

/// The trust root's Fulcio CA is not the one that issued the signing certificate:
/// another CA with the same names (an impersonation) or no CA at all.
#[test]
fn fulcio_ca_not_trusted() {
    let w = world();
    let (r, d) = w.pack("good");
    let base: serde_json::Value = serde_json::from_slice(&std::fs::read(&w.root).unwrap()).unwrap();
    let other: serde_json::Value =
        serde_json::from_slice(&VirtualSigstore::new(6_000_099).trusted_root_json()).unwrap();
    let identity = gha_identity("acme/rules", "refs/tags/v1.0.0");
    let check = |file: &str, cas: serde_json::Value, code: &str| {
        let mut root = base.clone();
        root["certificateAuthorities"] = cas;
        let p = w.dir.join(file);
        std::fs::write(&p, serde_json::to_vec(&root).unwrap()).unwrap();
        let run = w.cli(&[
            "verify",
            r,
            "--layout",
            w.layout.to_str().unwrap(),
            "--trusted-root",
            p.to_str().unwrap(),
            "--certificate-identity",
            &identity,
            "--certificate-oidc-issuer",
            GITHUB_ISSUER,
            "--output",
            "json",
        ]);
        assert_eq!(run.code, 1, "{file}: {run}");
        let j = run.pack(r);
        assert_eq!(j["error"]["code"], code, "{file}: {run}");
        let msg = j["error"]["message"].as_str().unwrap();
        assert!(msg.contains(&format!("{r}@{d}")), "{msg}");
    };
    check(
        "root-other-ca.json",
        other["certificateAuthorities"].clone(),
        "certificate.signature-invalid",
    );
    check(
        "root-no-ca.json",
        serde_json::json!([]),
        "certificate.no-trusted-ca",
    );
    // With the real root the same one-off check passes.
    let run = w.cli(&[
        "verify",
        r,
        "--layout",
        w.layout.to_str().unwrap(),
        "--trusted-root",
        w.root.to_str().unwrap(),
        "--certificate-identity",
        &identity,
        "--certificate-oidc-issuer",
        GITHUB_ISSUER,
    ]);
    assert_eq!(run.code, 0, "{run}");
}

/// README's error-code table lists every code the crate can report, and no code that does
/// not exist: the `"<stage>.<reason>"` strings returned by the `code()` functions
/// (match arms `… => "stage.reason"`) plus the CLI's own codes.
#[test]
fn error_codes_doc_is_complete() {
    const STAGES: [&str; 15] = [
        "config",
        "reference",
        "registry",
        "tuf",
        "trust-root",
        "bundle",
        "certificate",
        "sct",
        "tlog",
        "timestamp",
        "signature",
        "policy",
        "io",
        "packs",
        "layers",
    ];
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    let mut codes = std::collections::BTreeSet::from(["usage".to_owned()]);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // Only non-test code: stop at the unit-test module.
        let text = text.split("#[cfg(test)]").next().unwrap();
        // Every string literal of the form "<stage>.<kebab-reason>".
        for lit in text.split('"').skip(1).step_by(2) {
            let Some((stage, reason)) = lit.split_once('.') else {
                continue;
            };
            if STAGES.contains(&stage)
                && !reason.is_empty()
                && reason != "json" // file names such as config.json
                && reason
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                codes.insert(lit.to_owned());
            }
        }
    }
    assert!(
        codes.len() > 200,
        "scanner found only {} codes",
        codes.len()
    );
    // The table is docs/errors.md (every `| `code` | … |` row).
    let section = std::fs::read_to_string(root.join("docs/errors.md")).unwrap();
    let documented: std::collections::BTreeSet<String> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect();
    let missing: Vec<_> = codes.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&codes).collect();
    assert!(
        missing.is_empty(),
        "codes missing from docs/errors.md: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "docs/errors.md lists unknown codes: {stale:?}"
    );
}
