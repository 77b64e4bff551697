//! OCI registries and image layouts: references, manifests, referrers, blobs.
//!
//! This is the only module that fetches artifacts. Every source implements
//! [`ArtifactSource`]; the registry client ([`RegistryClient`], feature `online`) and
//! the offline [`OciLayout`] are interchangeable. Digest binding (distribution-spec
//! `spec.md`, "Pulling manifests": a client pulling by digest verifies the content
//! against it): a tag is dereferenced only in [`ArtifactSource::resolve_manifest`],
//! which returns the bytes it hashed; every later fetch is by digest and every body is
//! re-hashed with SHA-256 here, whatever the registry says.

mod deadline;
mod error;
mod layout;
mod manifest;
mod reference;

#[cfg(feature = "online")]
mod auth;
#[cfg(feature = "online")]
mod http;

pub use deadline::Deadline;
pub use error::{DeadlineKind, ReferenceError, RegistryError};
#[cfg(feature = "online")]
pub use http::{BoundedClient, ClientOptions, RegistryClient};
pub use layout::OciLayout;
#[cfg(any(test, feature = "unstable-internals"))]
pub use layout::REF_ANNOTATION as LAYOUT_REF_ANNOTATION;
pub use manifest::{parse_manifest, Descriptor, ImageManifest, Manifest};
#[cfg(any(test, feature = "unstable-internals"))]
pub use manifest::{
    ImageIndex, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, SIGSTORE_BUNDLE_PREFIX, SIGSTORE_BUNDLE_V03,
};
pub use reference::{Digest, Reference};

use crate::limits::{
    MAX_BUNDLES_PER_PACK, MAX_BUNDLE_BYTES, MAX_BUNDLE_BYTES_PER_PACK, MAX_REFERRERS,
};
use manifest::{is_bundle_type, is_image_manifest_type, is_index_type};

/// Where packs and their signatures come from: a registry or a local OCI layout.
pub trait ArtifactSource {
    /// Resolves the reference's tag (or pinned digest) to the manifest descriptor and
    /// the manifest bytes, size-capped ([`crate::limits::MAX_MANIFEST_BYTES`]). The
    /// digest is computed over the exact bytes returned; a digest in the reference
    /// must equal it. One fetch: the bytes need not be fetched again by digest.
    fn resolve_manifest(&self, r: &Reference) -> Result<(Descriptor, Vec<u8>), RegistryError>;

    /// [`Self::resolve_manifest`] without the bytes.
    fn resolve(&self, r: &Reference) -> Result<Descriptor, RegistryError> {
        self.resolve_manifest(r).map(|(d, _)| d)
    }

    /// The manifest with `digest` from `r`'s repository, re-hashed and size-capped
    /// ([`crate::limits::MAX_MANIFEST_BYTES`]); its declared media type agrees with the
    /// transport's.
    fn fetch_manifest(&self, r: &Reference, digest: &Digest) -> Result<Vec<u8>, RegistryError>;

    /// The blob with `digest`, at most `max` bytes (checked while reading), re-hashed.
    fn fetch_blob(
        &self,
        r: &Reference,
        digest: &Digest,
        max: u64,
    ) -> Result<Vec<u8>, RegistryError>;

    /// The referrers of `subject` (OCI 1.1), filtered by `artifact_type` when given:
    /// the referrers API, else the `sha256-<hex>` tag fallback. At most
    /// [`MAX_REFERRERS`].
    fn referrers(
        &self,
        r: &Reference,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>, RegistryError>;

    /// Whether `tag` exists in `r`'s repository (used to detect legacy cosign tags).
    fn tag_exists(&self, r: &Reference, tag: &str) -> Result<bool, RegistryError>;
}

/// A Sigstore bundle attached to an artifact as an OCI referrer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundBundle {
    /// The referrer manifest's digest.
    pub manifest_digest: Digest,
    /// The bundle layer's digest.
    pub bundle_digest: Digest,
    /// The bundle layer's media type (`application/vnd.dev.sigstore.bundle…`).
    pub media_type: String,
    /// The bundle JSON, digest-checked, at most [`MAX_BUNDLE_BYTES`].
    pub bundle_bytes: Vec<u8>,
}

/// `oci://registry/repository[:tag]`, without any digest (for messages that add one).
fn display_name(r: &Reference) -> String {
    match r.tag() {
        Some(t) => format!("oci://{}/{}:{t}", r.registry(), r.repository()),
        None => format!("oci://{}/{}", r.registry(), r.repository()),
    }
}

/// Removes credentials from every URL in `text`: the userinfo of
/// `scheme://user:password@host/…` (RFC 3986 §3.2.1: "Use of the format
/// "user:password" in the userinfo field is deprecated") becomes `***`, so
/// `https://bob:s3cret@mirror.corp/v2` is printed as `https://***@mirror.corp/v2`. The one
/// helper every message that may quote a URL goes through (mirror URLs, TUF URLs,
/// token realms, transport errors that echo a URL).
pub fn redact_credentials(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i.saturating_add(3));
        out.push_str(head);
        // RFC 3986 §3.2: the authority ends at "/", "?", "#" or the end; in a sentence
        // also at whitespace and quoting characters.
        let end = tail
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '<' | '>' | '\\' | '`')
            })
            .unwrap_or(tail.len());
        let (authority, after) = tail.split_at(end);
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(authority.get(at..).unwrap_or_default());
            }
            None => out.push_str(authority),
        }
        rest = after;
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// distribution-spec "Referrers tag schema": `<alg>-<ref>`, e.g. `sha256-<64 hex>`.
/// The one rule for a plain-`http://` registry mirror, used by the command line when it
/// reads the configuration and by the HTTP client when it is built: allowed only when the
/// mirror's host is loopback (`localhost`, 127.0.0.0/8, `[::1]`), or when
/// `--insecure-registry` named the logical `registry` or the mirror's exact `host[:port]`
/// (`authority`). Names are compared whole, never by prefix.
pub fn plain_http_mirror_allowed(authority: &str, registry: &str, insecure: &[String]) -> bool {
    let authority = authority.to_ascii_lowercase();
    // RFC 3986 §3.2.2: an IPv6 literal is bracketed; otherwise the port follows a colon.
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    is_loopback_host(host) || insecure.iter().any(|i| *i == authority || i == registry)
}

/// `localhost`, 127.0.0.0/8 or `::1` (brackets allowed).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(crate) fn fallback_tag(d: &Digest) -> String {
    format!("sha256-{}", d.hex())
}

/// Resolves `r` to a single image manifest (rule packs are never indexes).
pub fn resolve_pack(
    src: &dyn ArtifactSource,
    r: &Reference,
) -> Result<(Descriptor, ImageManifest), RegistryError> {
    // The bytes that were hashed to `desc.digest` (a pinned digest included) are the
    // ones parsed: no second fetch by digest.
    let (desc, bytes) = src.resolve_manifest(r)?;
    let index_err = || RegistryError::IndexNotSupported {
        reference: display_name(r),
        digest: desc.digest.to_string(),
    };
    if is_index_type(&desc.media_type) {
        return Err(index_err());
    }
    match parse_manifest(&bytes, Some(&desc.media_type), "the rule-pack manifest")? {
        Manifest::Image(m) => Ok((desc, *m)),
        Manifest::Index(_) => Err(index_err()),
    }
}

/// `bytes` has the size its descriptor `d` gives (image-spec `descriptor.md`: "size ...
/// MUST match the size of the content").
pub(crate) fn check_size(bytes: &[u8], d: &Descriptor, what: &str) -> Result<(), RegistryError> {
    let actual = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if actual != d.size {
        return Err(RegistryError::SizeMismatch {
            what: what.to_owned(),
            expected: d.size,
            actual,
        });
    }
    Ok(())
}

/// One bundle candidate among a pack's referrers, as [`examine_sigstore_bundles`]
/// hands it to its visitor.
#[derive(Clone, Debug)]
pub enum Candidate {
    /// A Sigstore bundle referrer whose bundle was fetched intact (not yet verified).
    Bundle(FoundBundle),
    /// A referrer that claims to carry a Sigstore bundle but was rejected before
    /// verification (wrong subject, several bundle layers, missing or corrupt blob,
    /// over the per-pack budget, ...).
    Rejected {
        /// The referrer manifest's digest.
        referrer: Digest,
        /// Why it was rejected.
        error: RegistryError,
    },
}

/// Whether a problem with one referrer concerns only that candidate (the others are
/// still examined), as opposed to the registry as a whole (unreachable, credentials,
/// client setup), which ends the search.
fn candidate_only(e: &RegistryError) -> bool {
    matches!(
        e,
        RegistryError::NotFound { .. }
            | RegistryError::HttpStatus { .. }
            | RegistryError::TooLarge { .. }
            | RegistryError::DigestMismatch { .. }
            | RegistryError::SizeMismatch { .. }
            | RegistryError::InvalidDigest { .. }
            | RegistryError::InvalidManifest { .. }
            | RegistryError::MediaTypeMismatch { .. }
            | RegistryError::UnsupportedMediaType { .. }
            | RegistryError::IndexNotSupported { .. }
            | RegistryError::SubjectMismatch { .. }
            | RegistryError::InvalidBundleReferrer { .. }
            | RegistryError::TooManyLayers { .. }
            | RegistryError::InvalidLayout { .. }
    )
}

/// Examines the Sigstore bundles attached to `subject` (cosign
/// `pkg/cosign/verify.go` `GetBundles`), one candidate at a time: lists referrers with
/// no filter, fetches each referrer manifest by digest, keeps those whose descriptor or
/// manifest `artifactType`, config media type or a layer media type is a Sigstore
/// bundle type, requires `subject.digest == subject` and exactly one bundle layer, and
/// fetches that layer by digest. Each candidate goes to `visit`, in order; the search
/// stops when `visit` returns `Some` (that value is returned).
///
/// **Every candidate within the bounds is examined**: a junk referrer never hides a
/// valid one behind it. The work is bounded by count ([`MAX_REFERRERS`] listed,
/// [`MAX_BUNDLES_PER_PACK`] bundle candidates) and bytes
/// ([`MAX_BUNDLE_BYTES_PER_PACK`] of bundles fetched); a candidate beyond a bound is
/// handed to `visit` as [`Candidate::Rejected`] with [`RegistryError::TooLarge`], so
/// nothing is skipped silently.
///
/// Returns `Ok(None)` when candidates were examined and none was accepted. Errors:
/// [`RegistryError::NoBundle`] when nothing is attached;
/// [`RegistryError::LegacySignatureOnly`] when only a cosign `sha256-<hex>.sig` tag
/// exists; a registry-wide error (unreachable, credentials) ends the search.
pub fn examine_sigstore_bundles<T>(
    src: &dyn ArtifactSource,
    r: &Reference,
    subject: &Digest,
    mut visit: impl FnMut(Candidate) -> Option<T>,
) -> Result<Option<T>, RegistryError> {
    let listed = src.referrers(r, subject, None)?;
    if listed.len() > MAX_REFERRERS {
        return Err(RegistryError::TooManyReferrers {
            limit: MAX_REFERRERS,
        });
    }
    let mut budget = Budget {
        bundles: MAX_BUNDLES_PER_PACK,
        bytes: MAX_BUNDLE_BYTES_PER_PACK,
    };
    let mut examined = 0usize;
    for d in &listed {
        // Bundles are image manifests; nested indexes are not followed.
        if !is_image_manifest_type(&d.media_type) {
            continue;
        }
        let candidate = match bundle_from_referrer(src, r, subject, d, &mut budget) {
            Ok(None) => continue,
            Ok(Some(b)) => Candidate::Bundle(b),
            Err(e) if candidate_only(&e) => Candidate::Rejected {
                referrer: d.digest,
                error: e,
            },
            Err(e) => return Err(e),
        };
        examined = examined.saturating_add(1);
        if let Some(t) = visit(candidate) {
            return Ok(Some(t));
        }
    }
    if examined > 0 {
        return Ok(None);
    }
    // cosign `pkg/oci/remote/remote.go` `SignatureTag`: legacy signatures live at
    // `sha256-<hex>.sig`. Their presence gets its own message.
    let legacy = format!("{}.sig", fallback_tag(subject));
    if src.tag_exists(r, &legacy)? {
        return Err(RegistryError::LegacySignatureOnly {
            reference: display_name(r),
            tag: legacy,
        });
    }
    Err(RegistryError::NoBundle {
        reference: display_name(r),
        digest: subject.to_string(),
    })
}

/// Finds the Sigstore bundles attached to `subject`: every candidate of
/// [`examine_sigstore_bundles`] whose bundle was fetched intact, in order. When there
/// are candidates but every one was rejected, the first rejection is returned (for
/// example [`RegistryError::SubjectMismatch`]).
#[cfg(any(test, feature = "unstable-internals"))]
pub fn find_sigstore_bundles(
    src: &dyn ArtifactSource,
    r: &Reference,
    subject: &Digest,
) -> Result<Vec<FoundBundle>, RegistryError> {
    let mut found = Vec::new();
    let mut rejected: Option<RegistryError> = None;
    examine_sigstore_bundles(src, r, subject, |c| {
        match c {
            Candidate::Bundle(b) => found.push(b),
            Candidate::Rejected { error, .. } => {
                rejected.get_or_insert(error);
            }
        }
        None::<()>
    })?;
    match (found.is_empty(), rejected) {
        (true, Some(e)) => Err(e),
        _ => Ok(found),
    }
}

/// What is left of one pack's bundle budget.
struct Budget {
    bundles: usize,
    bytes: u64,
}

/// One referrer → its bundle, `None` when it is not a Sigstore bundle referrer.
fn bundle_from_referrer(
    src: &dyn ArtifactSource,
    r: &Reference,
    subject: &Digest,
    d: &Descriptor,
    budget: &mut Budget,
) -> Result<Option<FoundBundle>, RegistryError> {
    let what = format!("the referrer manifest {}", d.digest);
    let bytes = src.fetch_manifest(r, &d.digest)?;
    let Manifest::Image(m) = parse_manifest(&bytes, Some(&d.media_type), &what)? else {
        return Ok(None);
    };
    // Selection: descriptor or manifest artifactType, config media type, or a layer
    // media type starting with `application/vnd.dev.sigstore.bundle` (cosign
    // `pkg/oci/remote/signatures.go` `Bundle`).
    let typed = d.artifact_type.as_deref().is_some_and(is_bundle_type)
        || m.artifact_type.as_deref().is_some_and(is_bundle_type)
        || is_bundle_type(&m.config.media_type)
        || m.layers.iter().any(|l| is_bundle_type(&l.media_type));
    if !typed {
        return Ok(None);
    }
    // distribution-spec `spec.md`, "Listing Referrers": a referrer is a manifest whose
    // `subject` is the target; check it, since some registries answer the fallback tag
    // with unrelated content (oras-go#1396).
    let actual = m.subject.as_ref().map(|s| s.digest);
    if actual.as_ref() != Some(subject) {
        return Err(RegistryError::SubjectMismatch {
            referrer: d.digest.to_string(),
            expected: subject.to_string(),
            actual: actual.map_or_else(|| "no subject".to_owned(), |a| a.to_string()),
        });
    }
    // cosign: exactly one layer whose mediaType starts with the bundle prefix.
    let mut bundle_layers = m.layers.iter().filter(|l| is_bundle_type(&l.media_type));
    let (Some(layer), None) = (bundle_layers.next(), bundle_layers.next()) else {
        return Err(RegistryError::InvalidBundleReferrer {
            referrer: d.digest.to_string(),
            bundle_layers: m
                .layers
                .iter()
                .filter(|l| is_bundle_type(&l.media_type))
                .count(),
        });
    };
    let limit = u64::try_from(MAX_BUNDLE_BYTES).unwrap_or(u64::MAX);
    let what = format!("the Sigstore bundle {}", layer.digest);
    if layer.size > limit {
        return Err(RegistryError::TooLarge { what, limit });
    }
    // The per-pack bounds: this candidate is not fetched (and says why).
    budget.bundles = budget
        .bundles
        .checked_sub(1)
        .ok_or_else(|| RegistryError::TooLarge {
            what: format!(
                "{what} (not examined: the {MAX_BUNDLES_PER_PACK} bundles before it were)"
            ),
            limit: u64::try_from(MAX_BUNDLES_PER_PACK).unwrap_or(u64::MAX),
        })?;
    budget.bytes = budget.bytes.checked_sub(layer.size).ok_or_else(|| RegistryError::TooLarge {
        what: format!("{what} (not examined: the bundles attached to this pack together exceed the per-pack budget)"),
        limit: MAX_BUNDLE_BYTES_PER_PACK,
    })?;
    let bundle_bytes = src.fetch_blob(r, &layer.digest, layer.size)?;
    check_size(&bundle_bytes, layer, &what)?;
    Ok(Some(FoundBundle {
        manifest_digest: d.digest,
        bundle_digest: layer.digest,
        media_type: layer.media_type.clone(),
        bundle_bytes,
    }))
}

/// Filters referrer descriptors by `artifactType` on the client (distribution-spec:
/// without `OCI-Filters-Applied: artifactType` the client must filter itself; doing it
/// always is harmless).
pub(crate) fn filter_artifact_type(list: Vec<Descriptor>, at: Option<&str>) -> Vec<Descriptor> {
    match at {
        None => list,
        Some(t) => list
            .into_iter()
            .filter(|d| d.artifact_type.as_deref() == Some(t))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::{plain_http_mirror_allowed, redact_credentials};

    #[test]
    fn credentials_are_redacted_from_every_url() {
        for (text, want) in [
            (
                "mirror https://bob:s3cret@mirror.corp:5000/v2 failed",
                "mirror https://***@mirror.corp:5000/v2 failed",
            ),
            (
                "\"http://u@h\" and https://a:b@c?x",
                "\"http://***@h\" and https://***@c?x",
            ),
            ("https://p%40ss:w@rd@host/", "https://***@host/"),
            ("no url user@example.com", "no url user@example.com"),
            (
                "https://host/path@v1 keeps the path",
                "https://host/path@v1 keeps the path",
            ),
            ("https://a:b@c", "https://***@c"),
            ("", ""),
        ] {
            assert_eq!(redact_credentials(text), want, "{text}");
        }
    }

    #[test]
    fn plain_http_mirror_rule() {
        let none: Vec<String> = Vec::new();
        for loopback in [
            "localhost:5000",
            "127.0.0.1",
            "127.9.9.9:80",
            "[::1]:5000",
            "LOCALHOST",
        ] {
            assert!(
                plain_http_mirror_allowed(loopback, "ghcr.io", &none),
                "{loopback}"
            );
        }
        for remote in [
            "mirror.corp:5000",
            "[::ffff:8.8.8.8]:5000",
            "[2001:db8::1]:5000",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
        ] {
            assert!(
                !plain_http_mirror_allowed(remote, "ghcr.io", &none),
                "{remote}"
            );
        }
        // --insecure-registry names the logical registry or the mirror's exact host:port,
        // never a bare host or a prefix.
        let named = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(plain_http_mirror_allowed(
            "mirror.corp:5000",
            "ghcr.io",
            &named(&["ghcr.io"])
        ));
        assert!(plain_http_mirror_allowed(
            "Mirror.Corp:5000",
            "ghcr.io",
            &named(&["mirror.corp:5000"])
        ));
        assert!(!plain_http_mirror_allowed(
            "mirror.corp:5000",
            "ghcr.io",
            &named(&["mirror.corp"])
        ));
        assert!(!plain_http_mirror_allowed(
            "mirror.corp.evil.example:5000",
            "ghcr.io",
            &named(&["mirror.corp"])
        ));
    }
}
