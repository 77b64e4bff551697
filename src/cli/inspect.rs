//! `inspect BUNDLE_OR_REF`: what a bundle claims, so an operator can write
//! `trustedIdentities`. Nothing here is verified, and the output says so.

use std::fmt::Write as _;

use super::{read_file, Args, Failure, UsageError};
use rulepack_verify::bundle::{Bundle, Content, SignerMaterial};
use rulepack_verify::encoding::hex_encode;
use rulepack_verify::oci::{self, Reference};
use rulepack_verify::time::format_rfc3339;
use rulepack_verify::x509::SigningCertificate;
use rulepack_verify::{limits, timestamp, Error};

pub(crate) fn run(argv: &[String]) -> Result<(), Failure> {
    let a = Args::parse(argv, &["layout", "ca-file", "insecure-registry"], &[])?;
    let [target] = a.positionals.as_slice() else {
        return Err(UsageError(
            "usage: inspect BUNDLE_FILE | oci://REFERENCE [--layout DIR]".into(),
        )
        .into());
    };
    if target.starts_with("oci://") {
        let r = Reference::parse(target).map_err(Error::from)?;
        let src: Box<dyn oci::ArtifactSource> = match a.one("layout")? {
            Some(dir) => Box::new(oci::OciLayout::open(dir).map_err(Error::from)?),
            None => registry(&a)?,
        };
        let (desc, _) = oci::resolve_pack(src.as_ref(), &r).map_err(Error::from)?;
        println!("pack:     {r}@{}", desc.digest);
        let found =
            oci::find_sigstore_bundles(src.as_ref(), &r, &desc.digest).map_err(Error::from)?;
        for b in found {
            println!(
                "\nbundle {} (referrer manifest {})",
                b.bundle_digest, b.manifest_digest
            );
            let bundle = Bundle::from_json(&b.bundle_bytes).map_err(Error::from)?;
            print!("{}", describe(&bundle));
        }
    } else {
        let bytes = read_file(target, limits::MAX_BUNDLE_BYTES)?;
        let bundle = Bundle::from_json(&bytes).map_err(Error::from)?;
        print!("{}", describe(&bundle));
    }
    Ok(())
}

#[cfg(feature = "online")]
fn registry(a: &Args) -> Result<Box<dyn oci::ArtifactSource>, Failure> {
    let mut opts = oci::ClientOptions::from_env();
    if let Some(ca) = a.one("ca-file")? {
        opts.ca_file = Some(ca.into());
    }
    opts.insecure_registries = a.all("insecure-registry").to_vec();
    Ok(Box::new(
        oci::RegistryClient::new(opts).map_err(Error::from)?,
    ))
}

#[cfg(not(feature = "online"))]
fn registry(_a: &Args) -> Result<Box<dyn oci::ArtifactSource>, Failure> {
    Err(UsageError("this build has no network support; use --layout DIR".into()).into())
}

/// Everything the bundle claims, marked as unverified.
fn describe(b: &Bundle) -> String {
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
                    v["_type"].as_str().unwrap_or("?")
                );
                let _ = writeln!(
                    o,
                    "  predicateType:  {}",
                    v["predicateType"].as_str().unwrap_or("?")
                );
                for s in v["subject"].as_array().into_iter().flatten().take(8) {
                    let _ = writeln!(
                        o,
                        "  subject:        {} {}",
                        s["name"].as_str().unwrap_or(""),
                        s["digest"]
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
                if let (Some(id), Some(iss)) = (&c.identity, c.extensions.issuer()) {
                    let _ = writeln!(
                        o,
                        "suggested trustedIdentities entry (narrow it to what you trust):\n  - issuer: {iss}\n    identity: {}",
                        id.value()
                    );
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
