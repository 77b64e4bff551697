//! Verifies one Sigstore bundle with the library's public API, as a program that depends on
//! `rulepack-verify` would.
//!
//! ```sh
//! cargo run --example verify_bundle -- \
//!   testdata/trust/sigstore_trusted_root.json testdata/real/bundle_v03.json \
//!   sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172 \
//!   https://token.actions.githubusercontent.com \
//!   'https://github\.com/kubewarden/kubewarden-controller/\.github/workflows/release\.yml@refs/tags/v.+'
//! ```
//!
//! Arguments: a `trusted_root.json`, a bundle, the artifact (a file, or `sha256:<hex>` of
//! it), the OIDC issuer (exact) and the signer identity (a regular expression that must
//! match the whole SAN). Prints what was verified, or the error code and sentence, and
//! exits 0 or 1.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use rulepack_verify::{
    ArtifactDigests, Bundle, Error, Matcher, Policy, TimeSource, TrustedRoot, Verifier,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, bundle, artifact, issuer, identity] = args.as_slice() else {
        eprintln!(
            "usage: verify_bundle TRUSTED_ROOT BUNDLE ARTIFACT_OR_SHA256 ISSUER IDENTITY_REGEX"
        );
        return ExitCode::from(2);
    };
    match run(root, bundle, artifact, issuer, identity) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Io(what)) => {
            eprintln!("error: {what}");
            ExitCode::from(2)
        }
        Err(Failure::Verify(e)) => {
            eprintln!("error[{}]: {e}", e.code());
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Io(String),
    Verify(Error),
}

impl<E: Into<Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Verify(e.into())
    }
}

fn read(path: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Io(format!("{path}: {e}")))
}

fn run(
    root: &str,
    bundle: &str,
    artifact: &str,
    issuer: &str,
    identity: &str,
) -> Result<(), Failure> {
    // Once per trusted root: the verifier keeps what it learns about the root's own CA
    // chains, and serves any number of bundles (and threads).
    let verifier = Verifier::new(TrustedRoot::from_json(&read(root)?)?);

    // Per check: the bundle, what it must be about, and who must have signed it.
    let bundle = Bundle::from_json(&read(bundle)?)?;
    let artifact = match artifact.strip_prefix("sha256:") {
        Some(_) => ArtifactDigests::parse(artifact)
            .ok_or_else(|| Failure::Io(format!("{artifact:?} is not sha256:<64 hex digits>")))?,
        None => ArtifactDigests::of_bytes(&read(artifact)?),
    };
    let policy = Policy::identity(Matcher::exact(issuer), Matcher::regex(identity)?);

    // The library never reads the clock: the caller passes "now".
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let verified = verifier.verify(&bundle, &artifact, &policy, now)?;

    let who = verified.identity.as_ref().map_or("?", |i| i.value());
    println!("verified: signed by {who}");
    for t in &verified.times {
        let source = match &t.source {
            TimeSource::TransparencyLog { log, log_index } => {
                format!("transparency log {log}, entry {log_index}")
            }
            TimeSource::Timestamp { authority } => format!("RFC 3161 timestamp by {authority}"),
            _ => "another source".to_owned(),
        };
        println!("  signing time {} (Unix seconds), from {source}", t.time);
    }
    println!(
        "  {} log entries, {} timestamps, {} SCTs verified",
        verified.tlog_entries.len(),
        verified.timestamps.len(),
        verified.sct_count
    );
    Ok(())
}
