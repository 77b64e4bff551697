//! OCI image manifests, image indexes and descriptors (image-spec `manifest.md`,
//! `image-index.md`, `descriptor.md`), parsed from bytes whose digest the caller has
//! already checked.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::RegistryError;
use super::reference::Digest;
use crate::limits::{MAX_JSON_DEPTH, MAX_MANIFEST_BYTES, MAX_REFERRERS};

/// `application/vnd.oci.image.manifest.v1+json`
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// `application/vnd.oci.image.index.v1+json`
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// `application/vnd.docker.distribution.manifest.v2+json`
pub(crate) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// `application/vnd.docker.distribution.manifest.list.v2+json`
pub(crate) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// `application/vnd.oci.empty.v1+json`, the `{}` config of artifacts.
#[cfg(any(test, feature = "unstable-internals"))]
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// The prefix of every Sigstore bundle media type (cosign `pkg/oci/remote/signatures.go`).
pub const SIGSTORE_BUNDLE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
/// The bundle media type cosign v3 writes (cosign v3 `pkg/oci/remote/write.go`).
#[cfg(any(test, feature = "unstable-internals"))]
pub const SIGSTORE_BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// The `Accept` header for manifest requests (OCI distribution-spec "Pulling manifests").
#[cfg_attr(not(feature = "online"), allow(dead_code))]
pub(crate) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

/// An OCI content descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor {
    /// `mediaType`.
    pub media_type: String,
    /// `digest`.
    pub digest: Digest,
    /// `size` in bytes.
    pub size: u64,
    /// `artifactType`, if present.
    pub artifact_type: Option<String>,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
}

/// A parsed image manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageManifest {
    /// `mediaType` from the body, or the served media type when absent.
    pub media_type: String,
    /// `artifactType`, if present.
    pub artifact_type: Option<String>,
    /// `config`.
    pub config: Descriptor,
    /// `layers`.
    pub layers: Vec<Descriptor>,
    /// `subject`, if present.
    pub subject: Option<Descriptor>,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
}

/// A parsed image index (or Docker manifest list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageIndex {
    /// `mediaType`.
    pub media_type: String,
    /// `manifests`, at most [`MAX_REFERRERS`] (a layout's `index.json`: at most
    /// [`crate::limits::MAX_LAYOUT_INDEX_ENTRIES`]).
    pub manifests: Vec<Descriptor>,
}

/// Either kind of manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Manifest {
    /// An image manifest.
    Image(Box<ImageManifest>),
    /// An image index.
    Index(ImageIndex),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    schema_version: u32,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    config: Option<RawDescriptor>,
    #[serde(default)]
    layers: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    manifests: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    subject: Option<RawDescriptor>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

fn descriptor(raw: RawDescriptor, what: &str) -> Result<Descriptor, RegistryError> {
    let digest = Digest::parse(&raw.digest).map_err(|_| RegistryError::InvalidDigest {
        what: what.to_owned(),
        value: raw.digest.chars().take(100).collect(),
    })?;
    Ok(Descriptor {
        media_type: raw.media_type,
        digest,
        size: raw.size,
        artifact_type: raw.artifact_type,
        annotations: raw.annotations.unwrap_or_default(),
    })
}

/// Strips parameters and whitespace from a `Content-Type` value.
pub(crate) fn bare_media_type(ct: &str) -> &str {
    ct.split(';').next().unwrap_or(ct).trim()
}

/// Rejects JSON nested deeper than [`MAX_JSON_DEPTH`] before handing it to serde.
pub(crate) fn check_json_depth(bytes: &[u8], what: &str) -> Result<(), RegistryError> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut esc = false;
    for &b in bytes {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth = depth.saturating_add(1);
                if depth > MAX_JSON_DEPTH {
                    return Err(RegistryError::InvalidManifest {
                        what: what.to_owned(),
                        detail: format!("JSON nested deeper than {MAX_JSON_DEPTH} levels"),
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses a manifest or index. `served_as` is the `Content-Type` (or the descriptor's
/// media type in a layout); OCI distribution-spec: "Reject the response unless the body's
/// `mediaType` matches `Content-Type`".
pub fn parse_manifest(
    bytes: &[u8],
    served_as: Option<&str>,
    what: &str,
) -> Result<Manifest, RegistryError> {
    parse_manifest_limited(bytes, served_as, what, MAX_REFERRERS)
}

/// [`parse_manifest`] with an explicit bound on index entries (a layout's
/// `index.json` may list more than [`MAX_REFERRERS`]).
pub(crate) fn parse_manifest_limited(
    bytes: &[u8],
    served_as: Option<&str>,
    what: &str,
    max_entries: usize,
) -> Result<Manifest, RegistryError> {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(RegistryError::TooLarge {
            what: what.to_owned(),
            limit: u64::try_from(MAX_MANIFEST_BYTES).unwrap_or(u64::MAX),
        });
    }
    check_json_depth(bytes, what)?;
    let invalid = |detail: String| RegistryError::InvalidManifest {
        what: what.to_owned(),
        detail,
    };
    // serde_json::from_slice rejects trailing non-whitespace bytes.
    let raw: RawManifest =
        serde_json::from_slice(bytes).map_err(|e| invalid(format!("not a manifest: {e}")))?;
    // image-spec manifest.md: "schemaVersion ... MUST be 2".
    if raw.schema_version != 2 {
        return Err(invalid(format!(
            "schemaVersion is {}, expected 2",
            raw.schema_version
        )));
    }
    let served = served_as.map(bare_media_type).filter(|s| !s.is_empty());
    let media_type = match (raw.media_type.as_deref(), served) {
        (Some(body), Some(header)) if body != header => {
            return Err(RegistryError::MediaTypeMismatch {
                what: what.to_owned(),
                header: header.to_owned(),
                body: body.to_owned(),
            })
        }
        (Some(body), _) => body.to_owned(),
        (None, Some(header)) => header.to_owned(),
        // Without either, infer from shape (image-spec allows an absent mediaType).
        (None, None) if raw.manifests.is_some() => OCI_INDEX.to_owned(),
        (None, None) => OCI_MANIFEST.to_owned(),
    };
    let annotations = raw.annotations.unwrap_or_default();
    match media_type.as_str() {
        OCI_MANIFEST | DOCKER_MANIFEST => {
            if raw.manifests.is_some() {
                return Err(invalid("an image manifest must not have manifests".into()));
            }
            let config = raw
                .config
                .ok_or_else(|| invalid("the manifest has no config".into()))?;
            let raw_layers = raw.layers.unwrap_or_default();
            if raw_layers.len() > crate::limits::MAX_PACK_LAYERS {
                return Err(RegistryError::TooManyLayers {
                    limit: crate::limits::MAX_PACK_LAYERS,
                });
            }
            let layers = raw_layers
                .into_iter()
                .map(|l| descriptor(l, &format!("a layer of {what}")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Manifest::Image(Box::new(ImageManifest {
                media_type,
                artifact_type: raw.artifact_type,
                config: descriptor(config, &format!("the config of {what}"))?,
                layers,
                subject: raw
                    .subject
                    .map(|s| descriptor(s, &format!("the subject of {what}")))
                    .transpose()?,
                annotations,
            })))
        }
        OCI_INDEX | DOCKER_LIST => {
            if raw.config.is_some() || raw.layers.is_some() {
                return Err(invalid(
                    "an image index must not have config or layers".into(),
                ));
            }
            let raw_m = raw.manifests.unwrap_or_default();
            if raw_m.len() > max_entries {
                return Err(RegistryError::TooManyReferrers { limit: max_entries });
            }
            let manifests = raw_m
                .into_iter()
                .map(|m| descriptor(m, &format!("an entry of {what}")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Manifest::Index(ImageIndex {
                media_type,
                manifests,
            }))
        }
        other => Err(RegistryError::UnsupportedMediaType {
            what: what.to_owned(),
            media_type: other.to_owned(),
        }),
    }
}

/// True for a Sigstore bundle media type or artifact type.
pub(crate) fn is_bundle_type(t: &str) -> bool {
    t.starts_with(SIGSTORE_BUNDLE_PREFIX)
}

/// True for the image-manifest media types.
pub(crate) fn is_image_manifest_type(t: &str) -> bool {
    matches!(t, OCI_MANIFEST | DOCKER_MANIFEST)
}

/// True for the index media types.
pub(crate) fn is_index_type(t: &str) -> bool {
    matches!(t, OCI_INDEX | DOCKER_LIST)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A cosign-style bundle referrer manifest (cosign v3 `pkg/oci/remote/write.go`) for `subject`.
    pub(crate) fn bundle_referrer(bundle: &[u8], subject: &Digest, subject_size: u64) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": SIGSTORE_BUNDLE_V03,
            "config": {"mediaType": OCI_EMPTY, "artifactType": SIGSTORE_BUNDLE_V03,
                       "digest": Digest::of(b"{}").to_string(), "size": 2},
            "layers": [{"mediaType": SIGSTORE_BUNDLE_V03,
                        "digest": Digest::of(bundle).to_string(), "size": bundle.len()}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": subject.to_string(), "size": subject_size},
            "annotations": {"dev.sigstore.bundle.content": "dsse-envelope",
                            "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1"}
        }))
        .unwrap()
    }

    /// The real cosign bundle of an OCI image (vendored from crates.io `sigstore`
    /// 0.15.0, see `testdata/README.md`).
    fn real_bundle() -> Vec<u8> {
        std::fs::read(crate::testutil::vendored("bundle_v03.json")).unwrap()
    }

    #[test]
    fn parses_bundle_referrer() {
        let bundle = real_bundle();
        let subject = Digest::of(b"pack manifest");
        let bytes = bundle_referrer(&bundle, &subject, 13);
        let Manifest::Image(m) = parse_manifest(&bytes, Some(OCI_MANIFEST), "m").unwrap() else {
            panic!("not an image manifest")
        };
        assert_eq!(m.artifact_type.as_deref(), Some(SIGSTORE_BUNDLE_V03));
        assert_eq!(m.subject.unwrap().digest, subject);
        assert_eq!(m.layers.len(), 1);
        assert_eq!(m.layers[0].digest, Digest::of(&bundle));
        assert_eq!(m.layers[0].size, u64::try_from(bundle.len()).unwrap());
        assert_eq!(m.config.media_type, OCI_EMPTY);
    }

    #[test]
    fn rejects_bad_manifests() {
        let subject = Digest::of(b"s");
        let good = bundle_referrer(b"{}", &subject, 1);
        // Content-Type disagrees with the body.
        let e = parse_manifest(&good, Some(OCI_INDEX), "m").unwrap_err();
        assert_eq!(e.code(), "registry.media-type-mismatch");
        // Parameters in Content-Type are ignored.
        assert!(parse_manifest(
            &good,
            Some("application/vnd.oci.image.manifest.v1+json; charset=utf-8"),
            "m"
        )
        .is_ok());
        // Trailing bytes.
        let mut t = good.clone();
        t.extend_from_slice(b" x");
        assert_eq!(
            parse_manifest(&t, None, "m").unwrap_err().code(),
            "registry.invalid-manifest"
        );
        let cases: &[(&str, &str)] = &[
            (
                r#"{"schemaVersion":1,"config":{"mediaType":"a","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}}"#,
                "registry.invalid-manifest",
            ),
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
                "registry.invalid-manifest",
            ),
            (
                r#"{"schemaVersion":2,"mediaType":"text/plain"}"#,
                "registry.unsupported-media-type",
            ),
            (
                r#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:AB","size":2}}"#,
                "registry.invalid-digest",
            ),
            (
                r#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":-1}}"#,
                "registry.invalid-manifest",
            ),
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"layers":[]}"#,
                "registry.invalid-manifest",
            ),
            (r#"[]"#, "registry.invalid-manifest"),
        ];
        for (body, code) in cases {
            assert_eq!(
                parse_manifest(body.as_bytes(), None, "m")
                    .unwrap_err()
                    .code(),
                *code,
                "{body}"
            );
        }
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_JSON_DEPTH + 1),
            "]".repeat(MAX_JSON_DEPTH + 1)
        );
        assert_eq!(
            parse_manifest(deep.as_bytes(), None, "m")
                .unwrap_err()
                .code(),
            "registry.invalid-manifest"
        );
        let big = vec![b' '; MAX_MANIFEST_BYTES + 1];
        assert_eq!(
            parse_manifest(&big, None, "m").unwrap_err().code(),
            "registry.too-large"
        );
        let d = Digest::of(b"x").to_string();
        let many: Vec<_> = (0..=MAX_REFERRERS)
            .map(|_| serde_json::json!({"mediaType": OCI_MANIFEST, "digest": d, "size": 1}))
            .collect();
        let idx = serde_json::to_vec(
            &serde_json::json!({"schemaVersion":2,"mediaType":OCI_INDEX,"manifests":many}),
        )
        .unwrap();
        assert_eq!(
            parse_manifest(&idx, None, "m").unwrap_err().code(),
            "registry.too-many-referrers"
        );
    }

    #[test]
    fn parses_index() {
        let d = Digest::of(b"x");
        let idx = serde_json::to_vec(&serde_json::json!({"schemaVersion":2,"manifests":[
            {"mediaType": OCI_MANIFEST, "digest": d.to_string(), "size": 1, "artifactType": SIGSTORE_BUNDLE_V03,
             "annotations": {"k": "v"}}]})).unwrap();
        let Manifest::Index(i) = parse_manifest(&idx, None, "i").unwrap() else {
            panic!()
        };
        assert_eq!(i.media_type, OCI_INDEX);
        assert_eq!(i.manifests[0].digest, d);
        assert_eq!(
            i.manifests[0].annotations.get("k").map(String::as_str),
            Some("v")
        );
        assert!(is_bundle_type(
            i.manifests[0].artifact_type.as_deref().unwrap()
        ));
    }

    #[test]
    fn no_panic_on_mutations() {
        let bundle = real_bundle();
        let bytes = bundle_referrer(&bundle, &Digest::of(b"s"), 1);
        let n = crate::testutil::mutate_all(&bytes, |b| parse_manifest(b, None, "m"));
        assert!(n > 100);
    }
}
