//! `verify-bundle`: the sigstore-conformance client protocol (sigstore-conformance
//! `docs/cli_protocol.md`).

use super::trust::{self, TrustArgs, TRUST_OPTIONS};
use super::{now, read_file, Args, Failure, UsageError};
use crate::bundle::Bundle;
use crate::crypto::PublicKey;
use crate::limits;
use crate::policy::{IdentityRule, Matcher, VerificationPolicy};
use crate::time::format_rfc3339;
use crate::verify::{self, ArtifactDigests, TimeSource, Verified};

/// Largest artifact file hashed by `verify-bundle` (1 GiB).
const MAX_ARTIFACT_BYTES: u64 = 1024 * 1024 * 1024;

pub(crate) fn run(argv: &[String]) -> Result<(), Failure> {
    let mut valued = vec![
        "bundle",
        "certificate-identity",
        "certificate-identity-regexp",
        "certificate-oidc-issuer",
        "certificate-oidc-issuer-regexp",
        "key",
    ];
    valued.extend(TRUST_OPTIONS);
    let a = Args::parse(argv, &valued, &["staging"])?;
    let [target] = a.positionals.as_slice() else {
        return Err(UsageError("expected exactly one FILE_OR_DIGEST argument".into()).into());
    };
    let bundle_path = a
        .one("bundle")?
        .ok_or_else(|| UsageError("--bundle FILE is required".into()))?;
    let policy = policy_from_args(&a)?;
    let root = trust::load(
        &TrustArgs::from_args(&a)?,
        None,
        &trust::TufBounds::default(),
    )?
    .root;
    let bundle_bytes = read_file(bundle_path, limits::MAX_BUNDLE_BYTES)?;
    let bundle = Bundle::from_json(&bundle_bytes).map_err(crate::Error::from)?;
    let artifact = artifact_digests(target)?;
    let v = verify::Verifier::new(root).verify(&bundle, &artifact, &policy.into(), now())?;
    print_verified(target, &v);
    Ok(())
}

fn policy_from_args(a: &Args) -> Result<VerificationPolicy, Failure> {
    let key = a.one("key")?;
    let id = a.one("certificate-identity")?;
    let id_re = a.one("certificate-identity-regexp")?;
    let iss = a.one("certificate-oidc-issuer")?;
    let iss_re = a.one("certificate-oidc-issuer-regexp")?;
    if let Some(path) = key {
        if id.is_some() || id_re.is_some() || iss.is_some() || iss_re.is_some() {
            return Err(UsageError(
                "--key cannot be combined with certificate identity options".into(),
            )
            .into());
        }
        let pem = read_file(path, 64 * 1024)?;
        let pem = String::from_utf8(pem)
            .map_err(|_| UsageError(format!("{path} is not a PEM text file")))?;
        let k = PublicKey::from_pem(&pem).map_err(|e| UsageError(format!("--key {path}: {e}")))?;
        return Ok(VerificationPolicy::PublicKey(k));
    }
    let identity = match (id, id_re) {
        (Some(s), None) => Matcher::exact(s),
        (None, Some(r)) => Matcher::regex(r).map_err(crate::Error::from)?,
        _ => {
            return Err(UsageError(
                "give exactly one of --certificate-identity or --certificate-identity-regexp (or --key)".into(),
            )
            .into())
        }
    };
    let issuer =
        match (iss, iss_re) {
            (Some(s), None) => Matcher::exact(s),
            (None, Some(r)) => Matcher::regex(r).map_err(crate::Error::from)?,
            _ => return Err(UsageError(
                "give exactly one of --certificate-oidc-issuer or --certificate-oidc-issuer-regexp"
                    .into(),
            )
            .into()),
        };
    Ok(VerificationPolicy::Identities(vec![IdentityRule::new(
        issuer, identity,
    )]))
}

/// `sha256:<hex>` is a digest (sigstore-conformance `docs/cli_protocol.md`: "FILE_OR_DIGEST");
/// anything else is a path to the artifact.
fn artifact_digests(target: &str) -> Result<ArtifactDigests, Failure> {
    if let Some(hex) = target.strip_prefix("sha256:") {
        return ArtifactDigests::parse(target).ok_or_else(|| {
            UsageError(format!(
                "{target:?} is not sha256: followed by 64 lowercase hex digits (got {} characters)",
                hex.len()
            ))
            .into()
        });
    }
    let bytes = read_file(
        target,
        usize::try_from(MAX_ARTIFACT_BYTES).unwrap_or(usize::MAX),
    )?;
    Ok(ArtifactDigests::of_bytes(&bytes))
}

fn print_verified(target: &str, v: &Verified) {
    println!("verified: {target}");
    match (&v.identity, &v.issuer) {
        (Some(id), Some(iss)) => {
            println!("  identity:  {} ({})", id.value(), id.kind());
            println!("  issuer:    {iss}");
        }
        _ => println!("  signer:    the given public key"),
    }
    if let Some(t) = v.signing_time() {
        let src = match &t.source {
            TimeSource::TransparencyLog { log, log_index } => {
                format!("transparency log SET, {log} index {log_index}")
            }
            TimeSource::Timestamp { authority } => format!("RFC 3161 timestamp by {authority}"),
        };
        println!("  signed at: {} ({src})", format_rfc3339(t.time));
    }
    for e in &v.tlog_entries {
        println!(
            "  tlog:      {} index {} (Rekor v{}{})",
            e.log_base_url,
            e.log_index,
            e.rekor_version,
            if e.checkpoint.is_some() {
                ", inclusion proof + signed checkpoint"
            } else {
                ", SET only"
            }
        );
    }
    for t in &v.timestamps {
        println!(
            "  timestamp: {} by {}",
            format_rfc3339(t.gen_time),
            t.tsa_subject
        );
    }
    if v.sct_count > 0 {
        println!("  scts:      {} verified", v.sct_count);
    }
}
