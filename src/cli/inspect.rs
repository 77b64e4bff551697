//! `inspect BUNDLE_OR_REF`: what a bundle claims, so an operator can write
//! `trustedIdentities`. Nothing here is verified, and the output says so.

use std::fmt::Write as _;

use super::{read_file, Args, Failure, UsageError};
use crate::bundle::{Bundle, Content, SignerMaterial};
use crate::encoding::hex_encode;
use crate::oci::{self, Candidate, Reference};
use crate::pack::{self, Tier};
use crate::time::format_rfc3339;
use crate::x509::SigningCertificate;
use crate::{limits, timestamp, Error};

pub(crate) fn run(argv: &[String]) -> Result<(), Failure> {
    let a = Args::parse(
        argv,
        &["layout", "registry-mirror", "insecure-registry", "ca-file"],
        &[],
    )?;
    let [target] = a.positionals.as_slice() else {
        return Err(UsageError(
            "usage: inspect BUNDLE_FILE | oci://REFERENCE [--layout DIR | --registry-mirror HOST=URL ...]".into(),
        )
        .into());
    };
    if !target.starts_with("oci://") {
        if a.one("layout")?.is_some() || !a.all("registry-mirror").is_empty() {
            return Err(UsageError(
                "--layout and --registry-mirror are for inspecting oci:// references, not a bundle file".into(),
            )
            .into());
        }
        let bytes = read_file(target, limits::MAX_BUNDLE_BYTES)?;
        let bundle = Bundle::from_json(&bytes).map_err(Error::from)?;
        print!("{}", describe(&bundle, None));
        return Ok(());
    }
    let r = Reference::parse(target).map_err(Error::from)?;
    let src: Box<dyn oci::ArtifactSource> = match a.one("layout")? {
        Some(dir) => Box::new(oci::OciLayout::open(dir).map_err(Error::from)?),
        None => registry(&a)?,
    };
    let (desc, _) = oci::resolve_pack(src.as_ref(), &r).map_err(Error::from)?;
    println!("pack:     {}", pack::pinned_name(&r, &desc.digest));
    // Every candidate is shown, as `verify` examines every one: a malformed bundle
    // does not hide the ones after it.
    let mut described = 0usize;
    let mut first_error: Option<Error> = None;
    oci::examine_sigstore_bundles(src.as_ref(), &r, &desc.digest, |c| {
        match c {
            Candidate::Bundle(b) => {
                println!(
                    "\nbundle {} (referrer manifest {})",
                    b.bundle_digest, b.manifest_digest
                );
                match Bundle::from_json(&b.bundle_bytes) {
                    Ok(bundle) => {
                        described = described.saturating_add(1);
                        print!("{}", describe(&bundle, Some(&r)));
                    }
                    Err(e) => {
                        println!("unreadable: error[{}]: {e}", e.code());
                        first_error.get_or_insert(e.into());
                    }
                }
            }
            Candidate::Rejected { referrer, error } => {
                println!(
                    "\nreferrer manifest {referrer}: rejected: error[{}]: {error}",
                    error.code()
                );
                first_error.get_or_insert(error.into());
            }
        }
        None::<()>
    })
    .map_err(Error::from)?;
    match (described, first_error) {
        // Nothing could be shown: fail with the first reason.
        (0, Some(e)) => Err(e.into()),
        _ => Ok(()),
    }
}

#[cfg(feature = "online")]
fn registry(a: &Args) -> Result<Box<dyn oci::ArtifactSource>, Failure> {
    let mut opts = oci::ClientOptions::from_env();
    if let Some(ca) = a.one("ca-file")? {
        opts.ca_file = Some(ca.into());
    }
    let flags = super::packs::registry_flags(a)?;
    opts.insecure_registries = flags.insecure;
    opts.mirrors = flags.mirrors.into_iter().collect();
    Ok(Box::new(
        oci::RegistryClient::new(opts).map_err(Error::from)?,
    ))
}

#[cfg(not(feature = "online"))]
fn registry(_a: &Args) -> Result<Box<dyn oci::ArtifactSource>, Failure> {
    Err(UsageError("this build has no network support; use --layout DIR".into()).into())
}

/// `s` as a regular expression that matches exactly `s`. Unlike `regex_lite::escape`,
/// it leaves `-`, `#`, `&` and `~` alone (they are literal outside a character class),
/// so the suggested `identityRegexp` reads like the identity it matches.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `trustedIdentities` entry for this signer. A GitHub Actions identity pinned to one
/// release tag (`…/release.yml@refs/tags/v1.2.0`) would stop matching at the next
/// release, so the suggestion keeps the workflow and allows every tag.
fn suggested_entry(issuer: &str, identity: &str) -> String {
    match identity.split_once("@refs/tags/") {
        Some((workflow, _)) => format!(
            "suggested trustedIdentities entry (this workflow, any release tag; narrow it to what you trust):
  - issuer: {issuer}
    identityRegexp: ^{}@refs/tags/.+$",
            regex_escape(workflow)
        ),
        None => format!(
            "suggested trustedIdentities entry (narrow it to what you trust):
  - issuer: {issuer}
    identity: {identity}"
        ),
    }
}

/// Everything the bundle claims, marked as unverified. `pack` is the reference the
/// bundle is attached to, when known (it decides the tier).
fn describe(b: &Bundle, pack: Option<&Reference>) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "NOTE: nothing below is verified; run `verify` for that.");
    let _ = writeln!(
        o,
        "media type: {} (bundle {})",
        b.media_type,
        b.version.as_str()
    );
    match &b.content {
        Content::MessageSignature(m) => {
            let _ = writeln!(
                o,
                "content:    message signature ({} bytes)",
                m.signature.len()
            );
            if let Some(d) = &m.message_digest {
                let _ = writeln!(
                    o,
                    "  digest:   {}:{}",
                    d.algorithm.name(),
                    hex_encode(&d.digest)
                );
            }
        }
        Content::Dsse(e) => {
            let _ = writeln!(
                o,
                "content:    DSSE envelope, payloadType {}",
                e.payload_type
            );
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&e.payload) {
                let _ = writeln!(
                    o,
                    "  _type:          {}",
                    v.get("_type").and_then(|t| t.as_str()).unwrap_or("?")
                );
                let _ = writeln!(
                    o,
                    "  predicateType:  {}",
                    v.get("predicateType")
                        .and_then(|t| t.as_str())
                        .unwrap_or("?")
                );
                for s in v
                    .get("subject")
                    .and_then(|s| s.as_array())
                    .into_iter()
                    .flatten()
                    .take(8)
                {
                    let _ = writeln!(
                        o,
                        "  subject:        {} {}",
                        s.get("name").and_then(|n| n.as_str()).unwrap_or(""),
                        s.get("digest").unwrap_or(&serde_json::Value::Null)
                    );
                }
            }
        }
    }
    match &b.verification_material.signer {
        SignerMaterial::PublicKey { hint } => {
            let _ = writeln!(
                o,
                "signer:     public key (hint {:?}); verify with --key",
                hint.as_deref().unwrap_or("")
            );
        }
        m => match m.leaf_der().map(SigningCertificate::from_der) {
            Some(Ok(c)) => {
                let _ = writeln!(o, "certificate:");
                if let Some(id) = &c.identity {
                    let _ = writeln!(o, "  identity:  {} ({})", id.value(), id.kind());
                }
                let _ = writeln!(
                    o,
                    "  issuer:    {}",
                    c.extensions.issuer().unwrap_or("(none)")
                );
                let _ = writeln!(
                    o,
                    "  valid:     {} .. {}",
                    format_rfc3339(c.cert.not_before()),
                    format_rfc3339(c.cert.not_after())
                );
                for (oid, name, value) in c.extensions.entries() {
                    let _ = writeln!(o, "  {oid:<28} {name}: {value}");
                }
                match (pack.map(Tier::of), &c.identity, c.extensions.issuer()) {
                    (Some(Tier::FirstParty), _, _) => {
                        let _ = writeln!(
                            o,
                            "first-party pack (ghcr.io/lithastra/…): only the compiled-in identity is accepted,\n  issuer {} and {}; trustedIdentities does not apply and cannot widen it",
                            crate::policy::FIRST_PARTY_ISSUER,
                            crate::policy::FIRST_PARTY_IDENTITY_REGEX
                        );
                    }
                    (_, Some(id), Some(iss)) => {
                        let _ = writeln!(o, "{}", suggested_entry(iss, id.value()));
                    }
                    _ => {}
                }
            }
            Some(Err(e)) => {
                let _ = writeln!(o, "certificate: unreadable: error[{}]: {e}", e.code());
            }
            None => {}
        },
    }
    for (i, e) in b.verification_material.tlog_entries.iter().enumerate() {
        let _ = writeln!(
            o,
            "tlog entry {i}: {} {} logIndex {} logId {}{}{}{}",
            e.kind,
            e.version,
            e.log_index,
            hex_encode(&e.log_id),
            if e.integrated_time > 0 {
                format!(" integrated {}", format_rfc3339(e.integrated_time))
            } else {
                String::new()
            },
            if e.inclusion_promise.is_some() {
                " +SET"
            } else {
                ""
            },
            match &e.inclusion_proof {
                Some(p) => format!(
                    " +inclusion proof (tree size {}, checkpoint origin {:?})",
                    p.tree_size,
                    p.checkpoint
                        .as_deref()
                        .and_then(|c| c.lines().next())
                        .unwrap_or("")
                ),
                None => String::new(),
            }
        );
    }
    for (i, t) in b
        .verification_material
        .rfc3161_timestamps
        .iter()
        .enumerate()
    {
        match timestamp::parse_timestamp(t) {
            Ok(info) => {
                let _ = writeln!(
                    o,
                    "timestamp {i}: {} (policy {}, {} embedded certificate(s))",
                    format_rfc3339(info.gen_time),
                    info.policy,
                    info.embedded_certificates
                );
            }
            Err(e) => {
                let _ = writeln!(o, "timestamp {i}: unreadable: error[{}]: {e}", e.code());
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestion_allows_every_release_tag_of_the_workflow() {
        let s = suggested_entry(
            "https://token.actions.githubusercontent.com",
            "https://github.com/acme/rules/.github/workflows/release.yml@refs/tags/v1.2.0",
        );
        let re = s
            .lines()
            .last()
            .unwrap()
            .trim()
            .strip_prefix("identityRegexp: ")
            .unwrap();
        assert_eq!(
            re,
            r"^https://github\.com/acme/rules/\.github/workflows/release\.yml@refs/tags/.+$"
        );
        let m = crate::policy::Matcher::regex(re).unwrap();
        assert!(m.matches(
            "https://github.com/acme/rules/.github/workflows/release.yml@refs/tags/v2.0.0"
        ));
        assert!(!m.matches(
            "https://github.com/acme/rules/.github/workflows/release.yml@refs/heads/main"
        ));
        assert!(
            !m.matches("https://github.com/acme/rulesX/.github/workflows/release.yml@refs/tags/v2")
        );
        // Not a tag: the exact identity.
        let s = suggested_entry("https://i", "someone@example.com");
        assert!(s.ends_with("identity: someone@example.com"), "{s}");
    }
}
