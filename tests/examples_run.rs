//! `examples/verify_bundle.rs`, the public-API example, run as a program: it verifies the
//! vendored real bundle and rejects it for another artifact or signer, with the error
//! code. (See `tests/common/example_bin.rs` for when the binary is available.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/example_bin.rs"]
mod example_bin;

use std::process::Command;

const DIGEST: &str = "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
const IDENTITY: &str = r"https://github\.com/kubewarden/kubewarden-controller/\.github/workflows/release\.yml@refs/tags/v.+";

fn run(artifact: &str, identity: &str) -> Option<(i32, String, String)> {
    let bin = example_bin::example_bin("verify_bundle", "verify_bundle_example")?;
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(bin)
        .args([
            &format!("{root}/testdata/trust/sigstore_trusted_root.json"),
            &format!("{root}/testdata/real/bundle_v03.json"),
            artifact,
            ISSUER,
            identity,
        ])
        .output()
        .unwrap();
    Some((
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    ))
}

#[test]
fn verify_bundle_example() {
    let Some((code, stdout, stderr)) = run(DIGEST, IDENTITY) else {
        return;
    };
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("verified: signed by https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0"),
        "{stdout}"
    );
    assert!(stdout.contains("RFC 3161 timestamp by"), "{stdout}");
    assert!(
        stdout.contains("transparency log https://rekor.sigstore.dev"),
        "{stdout}"
    );

    // Another artifact: the statement does not name it.
    let other = format!("sha256:{}", "0".repeat(64));
    let (code, _, stderr) = run(&other, IDENTITY).unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("error[signature.subject-mismatch]: "),
        "{stderr}"
    );

    // Another signer: everything verifies but the identity.
    let (code, _, stderr) = run(DIGEST, r"https://github\.com/acme/.+").unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with("error[policy.identity-mismatch]: "),
        "{stderr}"
    );
}
