//! Runs bundles through the CLI's `verify-bundle` (the sigstore-conformance client
//! protocol), in both modes (artifact path and `sha256:` digest) as
//! `../shared/tools/run-conformance` does, and checks the exit status and the shape of
//! the error line: every vendored real bundle of `testdata/real/index.json` (with its
//! expected error code), and, with `RULEPACK_CORPUS`, every case of the shared
//! sigstore-conformance corpus.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn sha256_hex(data: &[u8]) -> String {
    rulepack_verify::encoding::hex_encode(&rulepack_verify::crypto::sha256(data))
}

/// One bundle to run through the CLI.
struct CliCase {
    name: String,
    bundle: PathBuf,
    trusted_root: PathBuf,
    /// The artifact file, if there is one; else only `digest` is tried.
    artifact: Option<PathBuf>,
    digest: String,
    key: Option<PathBuf>,
    identity: String,
    issuer: String,
    expect_pass: bool,
    /// The error code the CLI must print, when known.
    code: Option<String>,
}

/// The vendored index entries the CLI can take: a key or an identity, and a sha256
/// artifact (the CLI's digest form is sha256 only).
fn vendored_cases() -> Vec<CliCase> {
    let real = common::corpus::vendored_real();
    let index: Vec<Value> =
        serde_json::from_slice(&std::fs::read(real.join("index.json")).unwrap()).unwrap();
    index
        .iter()
        .filter_map(|e| {
            let get = |k: &str| e.get(k).and_then(Value::as_str);
            let artifact = get("artifact").map(|a| real.join(a));
            let digest = match &artifact {
                Some(a) => format!("sha256:{}", sha256_hex(&std::fs::read(a).unwrap())),
                None => get("artifact_digest")
                    .filter(|d| d.starts_with("sha256:"))?
                    .to_owned(),
            };
            if get("key").is_none() && get("identity").is_none() {
                return None;
            }
            Some(CliCase {
                name: format!("{} ({})", get("file")?, get("trusted_root")?),
                bundle: real.join(get("file")?),
                trusted_root: real.join(get("trusted_root")?),
                artifact,
                digest,
                key: get("key").map(|k| real.join(k)),
                identity: get("identity").unwrap_or_default().to_owned(),
                issuer: get("issuer").unwrap_or_default().to_owned(),
                expect_pass: get("expect") == Some("pass"),
                code: get("code").map(String::from),
            })
        })
        .collect()
}

fn corpus_cases(corpus: &Path) -> Vec<CliCase> {
    let base = corpus.join("conformance");
    let cases: Vec<Value> =
        serde_json::from_slice(&std::fs::read(base.join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let prod = base.join("production_trusted_root.json");
    cases
        .iter()
        .map(|c| {
            let get = |k: &str| c.get(k).and_then(Value::as_str).map(|s| base.join(s));
            let artifact = get("artifact").unwrap_or_else(|| base.join("bundle-verify/a.txt"));
            let digest = format!("sha256:{}", sha256_hex(&std::fs::read(&artifact).unwrap()));
            CliCase {
                name: c["name"].as_str().unwrap().to_owned(),
                bundle: get("bundle").unwrap(),
                trusted_root: get("trusted_root").unwrap_or_else(|| prod.clone()),
                artifact: Some(artifact),
                digest,
                key: get("key"),
                identity: c
                    .get("identity")
                    .and_then(Value::as_str)
                    .unwrap_or(DEFAULT_IDENTITY)
                    .to_owned(),
                issuer: c
                    .get("issuer")
                    .and_then(Value::as_str)
                    .unwrap_or(DEFAULT_ISSUER)
                    .to_owned(),
                expect_pass: c["expect"] == "pass",
                code: None,
            }
        })
        .collect()
}

#[test]
fn conformance_cases_through_cli() {
    let vendored = vendored_cases();
    assert!(
        vendored.len() >= 20,
        "only {} vendored cases",
        vendored.len()
    );
    let runs = run_through_cli(&vendored);
    assert!(runs >= 30, "{runs}");
    if let Some(corpus) = common::corpus::corpus_extra("conformance_cases_through_cli") {
        run_through_cli(&corpus_cases(&corpus));
    }
}

/// Runs every case in both modes; returns the number of runs.
fn run_through_cli(cases: &[CliCase]) -> usize {
    let mut failures = Vec::new();
    let mut runs = 0;
    for c in cases {
        let name = c.name.as_str();
        let expect_pass = c.expect_pass;
        let targets = c
            .artifact
            .iter()
            .map(|a| a.to_str().unwrap().to_owned())
            .chain([c.digest.clone()]);
        for target in targets {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_rulepack-verify"));
            cmd.arg("verify-bundle").arg("--bundle").arg(&c.bundle);
            match &c.key {
                Some(k) => {
                    cmd.arg("--key").arg(k);
                }
                None => {
                    cmd.args([
                        "--certificate-identity",
                        &c.identity,
                        "--certificate-oidc-issuer",
                        &c.issuer,
                    ]);
                }
            }
            cmd.arg("--trusted-root").arg(&c.trusted_root);
            cmd.arg(&target);
            let out = cmd.output().unwrap();
            runs += 1;
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{name}: panic: {stderr}");
            let passed = out.status.success();
            if passed != expect_pass {
                failures.push(format!(
                    "{name} [{}]: expected {}, got {}: {}",
                    if target.starts_with("sha256:") {
                        "DIGEST"
                    } else {
                        "PATH"
                    },
                    if expect_pass { "pass" } else { "fail" },
                    if passed { "pass" } else { "fail" },
                    stderr.trim()
                ));
            }
            if !passed {
                // One line `error[<stage>.<reason>]: <sentence>` on stderr (docs/cli.md).
                let line = stderr.lines().last().unwrap_or_default();
                if let Some(code) = &c.code {
                    if !line.starts_with(&format!("error[{code}]: ")) {
                        failures.push(format!("{name}: expected error[{code}], got {line}"));
                    }
                }
                assert!(
                    line.starts_with("error[") && line.contains("]: "),
                    "{name}: bad error line {line:?}"
                );
                // 1 = verification failed; 2 = unusable input (e.g. a malformed key.pub in
                // managed-key-wrong-key_fail). Never a crash or another status.
                let code = out.status.code();
                assert!(
                    code == Some(1) || (code == Some(2) && line.starts_with("error[usage]")),
                    "{name}: exit {code:?}: {line}"
                );
            }
        }
    }
    println!(
        "{} passed, {} failed",
        runs - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    runs
}
