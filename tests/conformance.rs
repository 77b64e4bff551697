//! Runs every case of the shared sigstore-conformance corpus through the CLI's
//! `verify-bundle`, in both modes (artifact path and `sha256:` digest), as
//! `../shared/tools/run-conformance` does, and checks the exit status and the shape of
//! the error line. Needs `RULEPACK_CORPUS`.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn sha256_hex(data: &[u8]) -> String {
    rulepack_verify::encoding::hex_encode(&rulepack_verify::crypto::sha256(data))
}

#[test]
fn conformance_cases_through_cli() {
    let Some(corpus) = common::corpus::corpus_dir("conformance_cases_through_cli") else {
        return;
    };
    let base = corpus.join("conformance");
    let cases: Vec<Value> =
        serde_json::from_slice(&std::fs::read(base.join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let prod = base.join("production_trusted_root.json");
    let mut failures = Vec::new();
    let mut runs = 0;
    for c in &cases {
        let name = c["name"].as_str().unwrap();
        let expect_pass = c["expect"] == "pass";
        let get = |k: &str| c.get(k).and_then(Value::as_str).map(|s| base.join(s));
        let artifact = get("artifact").unwrap_or_else(|| base.join("bundle-verify/a.txt"));
        let digest = format!("sha256:{}", sha256_hex(&std::fs::read(&artifact).unwrap()));
        for target in [artifact.to_str().unwrap().to_owned(), digest] {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_rulepack-verify"));
            cmd.arg("verify-bundle")
                .arg("--bundle")
                .arg(get("bundle").unwrap());
            match get("key") {
                Some(k) => {
                    cmd.arg("--key").arg(k);
                }
                None => {
                    let id = c
                        .get("identity")
                        .and_then(Value::as_str)
                        .unwrap_or(DEFAULT_IDENTITY);
                    let iss = c
                        .get("issuer")
                        .and_then(Value::as_str)
                        .unwrap_or(DEFAULT_ISSUER);
                    cmd.args([
                        "--certificate-identity",
                        id,
                        "--certificate-oidc-issuer",
                        iss,
                    ]);
                }
            }
            cmd.arg("--trusted-root")
                .arg(get("trusted_root").unwrap_or_else(|| prod.clone()));
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
                // One line `error[<stage>.<reason>]: <sentence>` on stderr (SPEC §7 + our CLI contract).
                let line = stderr.lines().last().unwrap_or_default();
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
    assert!(Path::new(&base).is_dir());
}
