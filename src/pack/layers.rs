//! A rule pack's content: its layers, the file each becomes, and fetching them.
//!
//! A pack manifest's layers are files. image-spec `annotations.md` defines
//! `org.opencontainers.image.title` ("human-readable title of the image"); ORAS and
//! the rule-pack publisher use it as the file's path relative to the pack. Before any
//! byte of a pack is written, every layer gets its path here, and the pack is refused
//! as a whole when a title is not a safe relative path or two layers would land on the
//! same file (or on a file and a directory of the same name): a file silently renamed
//! or overwritten would change which rules load.
//!
//! Rules (all checked on the manifest, before fetching):
//! - a title is at most [`MAX_LAYER_TITLE_BYTES`] bytes of `/`-separated components;
//!   each component is 1–255 bytes of `A–Z a–z 0–9 . _ - + @`, and is neither `.`
//!   nor `..` (no absolute path, no `//`, no trailing `/`, no traversal);
//! - a layer without a title is written as `sha256-<hex of its digest>` (valid OCI:
//!   the blob has no name), and the caller says so;
//! - no two layers map to the same path, and no layer's path is a directory another
//!   layer's path needs (`a` and `a/b.rego`).

use core::fmt;
use std::collections::BTreeMap;

use crate::limits::{MAX_LAYER_BYTES, MAX_LAYER_TITLE_BYTES, MAX_PACK_BYTES};
use crate::oci::{ArtifactSource, Descriptor, Digest, ImageManifest, Reference, RegistryError};

/// image-spec `annotations.md`: the layer's file name.
pub const TITLE_ANNOTATION: &str = "org.opencontainers.image.title";

/// Longest path component on the file systems a pack is written to (`NAME_MAX`).
const MAX_COMPONENT_BYTES: usize = 255;

/// Characters shown of a hostile title in a message.
const SHOWN_TITLE_CHARS: usize = 120;

/// Why a pack's layers cannot be used as files.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayerError {
    /// A layer's title is not a safe relative path.
    UnsafeTitle {
        /// The layer's digest.
        layer: Digest,
        /// The title (shortened for display when very long).
        title: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// Two layers map to the same path, or one's path is a directory the other needs.
    PathConflict {
        /// The contested path.
        path: String,
        /// The layer written there first (manifest order).
        first: Digest,
        /// The later layer.
        second: Digest,
        /// `true`: `first` is a file at `path` and `second` needs `path` as a directory
        /// (or the other way round); `false`: both are files at `path`.
        file_and_directory: bool,
    },
    /// With an OCI image layout as the source: a layer blob is missing or does not match
    /// its descriptor (size or digest).
    LayoutBlob {
        /// The layer's digest.
        layer: Digest,
        /// The file the layer becomes.
        path: String,
        /// What reading it found.
        cause: Box<RegistryError>,
    },
}

impl LayerError {
    /// Stable code (`layers.*`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsafeTitle { .. } => "layers.unsafe-title",
            Self::PathConflict { .. } => "layers.path-conflict",
            Self::LayoutBlob { .. } => "layers.layout-blob-invalid",
        }
    }
}

impl fmt::Display for LayerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsafeTitle {
                layer,
                title,
                reason,
            } => write!(
                f,
                "layer {layer} is titled {title:?} ({TITLE_ANNOTATION}), which is not a safe relative file path: {reason}; the pack is refused rather than written with a renamed file"
            ),
            Self::PathConflict {
                path,
                first,
                second,
                file_and_directory: false,
            } => write!(
                f,
                "layers {first} and {second} would both be written to {path:?} (two layers with the same title, or the same untitled blob twice); the pack is refused rather than written with one of them lost"
            ),
            Self::PathConflict {
                path,
                first,
                second,
                file_and_directory: true,
            } => write!(
                f,
                "layers {first} and {second} conflict at {path:?}: one is a file there and the other needs it as a directory; the pack is refused"
            ),
            Self::LayoutBlob { layer, path, cause } => write!(
                f,
                "layer {layer} ({path}) is missing from the OCI image layout or does not match its descriptor: {cause}; repair the mirror before deploying"
            ),
        }
    }
}

impl std::error::Error for LayerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::LayoutBlob { cause, .. } => Some(cause.as_ref()),
            Self::UnsafeTitle { .. } | Self::PathConflict { .. } => None,
        }
    }
}

/// One layer of a pack and the file it becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerFile {
    /// The path relative to the pack's directory, `/`-separated, checked safe.
    pub path: String,
    /// The title, `None` when the layer has none (then `path` is `sha256-<hex>`).
    pub title: Option<String>,
    /// The layer's descriptor (digest and size are what the fetch checks).
    pub descriptor: Descriptor,
}

fn shown(title: &str) -> String {
    let mut s: String = title.chars().take(SHOWN_TITLE_CHARS).collect();
    if s.len() < title.len() {
        s.push('…');
    }
    s
}

/// Checks a title against the rules of the module documentation.
fn check_title(title: &str) -> Result<(), &'static str> {
    if title.is_empty() {
        return Err("it is empty");
    }
    if title.len() > MAX_LAYER_TITLE_BYTES {
        return Err("it is longer than the limit (limits::MAX_LAYER_TITLE_BYTES)");
    }
    if title.starts_with('/') {
        return Err("it is an absolute path");
    }
    for c in title.split('/') {
        if c.is_empty() {
            return Err("it has an empty path component (`//` or a trailing `/`)");
        }
        if c == "." || c == ".." {
            return Err("it has a `.` or `..` component");
        }
        if c.len() > MAX_COMPONENT_BYTES {
            return Err("a path component is longer than 255 bytes");
        }
        if !c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'@'))
        {
            return Err("it has a character outside `A-Z a-z 0-9 . _ - + @` and `/`");
        }
    }
    Ok(())
}

/// The file each layer of `manifest` becomes, in manifest order, or why the pack's
/// layers cannot be written as files (see the module documentation).
pub fn layer_files(manifest: &ImageManifest) -> Result<Vec<LayerFile>, LayerError> {
    let mut files = Vec::with_capacity(manifest.layers.len());
    for d in &manifest.layers {
        let title = d.annotations.get(TITLE_ANNOTATION);
        let path = match title {
            Some(t) => {
                check_title(t).map_err(|reason| LayerError::UnsafeTitle {
                    layer: d.digest,
                    title: shown(t),
                    reason,
                })?;
                t.clone()
            }
            None => format!("sha256-{}", d.digest.hex()),
        };
        files.push(LayerFile {
            path,
            title: title.cloned(),
            descriptor: d.clone(),
        });
    }
    // Every path as a file, and every proper prefix of one as a directory: a path may
    // be one or the other, once. Compared without case (titles are ASCII): `A.rego` and
    // `a.rego` are one file on a case-insensitive file system (macOS, Windows).
    let mut as_file: BTreeMap<String, Digest> = BTreeMap::new();
    for f in &files {
        if let Some(first) = as_file.insert(f.path.to_ascii_lowercase(), f.descriptor.digest) {
            return Err(LayerError::PathConflict {
                path: f.path.clone(),
                first,
                second: f.descriptor.digest,
                file_and_directory: false,
            });
        }
    }
    for f in &files {
        let mut end = 0;
        while let Some(i) = f.path.get(end..).and_then(|rest| rest.find('/')) {
            end += i;
            let dir = f.path.get(..end).unwrap_or_default();
            if let Some(first) = as_file.get(&dir.to_ascii_lowercase()) {
                return Err(LayerError::PathConflict {
                    path: dir.to_owned(),
                    first: *first,
                    second: f.descriptor.digest,
                    file_and_directory: true,
                });
            }
            end += 1;
        }
    }
    Ok(files)
}

/// The pack's size bounds, checked on the descriptors before anything is fetched: each
/// layer at most [`MAX_LAYER_BYTES`], all together at most [`MAX_PACK_BYTES`].
pub fn check_sizes(manifest: &ImageManifest) -> Result<(), RegistryError> {
    let mut total: u64 = 0;
    for l in &manifest.layers {
        check_layer_size(l)?;
        total = total.saturating_add(l.size);
        if total > MAX_PACK_BYTES {
            return Err(RegistryError::TooLarge {
                what: "the rule pack's layers together".into(),
                limit: MAX_PACK_BYTES,
            });
        }
    }
    Ok(())
}

/// Fetches one layer by digest from the pack's repository (`pinned` is the reference
/// pinned to the verified manifest digest): at most its descriptor's size, re-hashed
/// by the source, and its length compared with the descriptor (image-spec
/// `descriptor.md`: "size ... MUST match the size of the content").
pub fn fetch_layer(
    src: &dyn ArtifactSource,
    pinned: &Reference,
    layer: &Descriptor,
) -> Result<Vec<u8>, RegistryError> {
    let bytes = src.fetch_blob(pinned, &layer.digest, layer.size)?;
    crate::oci::check_size(&bytes, layer, &format!("pack layer {}", layer.digest))?;
    Ok(bytes)
}

/// Every layer of `manifest`, fetched by digest after [`check_sizes`], in manifest
/// order (`pull` fetches them one by one into files; this is for tests and audits).
#[cfg(any(test, feature = "unstable-internals"))]
pub fn fetch_all(
    src: &dyn ArtifactSource,
    pinned: &Reference,
    manifest: &ImageManifest,
) -> Result<Vec<(Descriptor, Vec<u8>)>, RegistryError> {
    check_sizes(manifest)?;
    manifest
        .layers
        .iter()
        .map(|l| Ok((l.clone(), fetch_layer(src, pinned, l)?)))
        .collect()
}

/// For a pack read from an OCI image layout: every layer blob exists and matches its
/// descriptor (size and SHA-256), read through the source like any other fetch. Local
/// and cheap, so `verify` catches a broken mirror before it is deployed.
pub fn check_layout_blobs(
    src: &dyn ArtifactSource,
    reference: &Reference,
    digest: Digest,
    manifest: &ImageManifest,
) -> Result<(), LayerError> {
    let pinned = reference.with_digest(digest);
    let path_of = |d: &Descriptor| {
        d.annotations
            .get(TITLE_ANNOTATION)
            .map_or_else(|| format!("untitled, {}", d.digest), |t| shown(t))
    };
    let wrap = |d: &Descriptor, cause: RegistryError| LayerError::LayoutBlob {
        layer: d.digest,
        path: path_of(d),
        cause: Box::new(cause),
    };
    for l in &manifest.layers {
        check_layer_size(l).map_err(|e| wrap(l, e))?;
        fetch_layer(src, &pinned, l).map_err(|e| wrap(l, e))?;
    }
    Ok(())
}

/// A layer's declared size is within [`MAX_LAYER_BYTES`] (checked before fetching).
fn check_layer_size(l: &Descriptor) -> Result<(), RegistryError> {
    if l.size > MAX_LAYER_BYTES {
        return Err(RegistryError::TooLarge {
            what: format!("pack layer {}", l.digest),
            limit: MAX_LAYER_BYTES,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::{parse_manifest, Manifest};
    use serde_json::json;

    fn manifest(layers: &[(Option<&str>, &[u8])]) -> ImageManifest {
        let descs: Vec<_> = layers
            .iter()
            .map(|(t, b)| {
                let mut d = json!({"mediaType": "application/vnd.lithastra.rulepack.rego.v1",
                    "digest": Digest::of(b).to_string(), "size": b.len()});
                if let Some(t) = t {
                    d["annotations"] = json!({ TITLE_ANNOTATION: t });
                }
                d
            })
            .collect();
        let m = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                "digest": Digest::of(b"{}").to_string(), "size": 2},
            "layers": descs});
        match parse_manifest(&serde_json::to_vec(&m).unwrap(), None, "test").unwrap() {
            Manifest::Image(m) => *m,
            Manifest::Index(_) => panic!("index"),
        }
    }

    #[test]
    fn safe_titles_and_untitled_layers() {
        let m = manifest(&[
            (Some("eks/pod_security.rego"), b"a"),
            (Some("eks/lib/util.rego"), b"b"),
            (Some(".rulepack-verify.json"), b"c"),
            (None, b"d"),
        ]);
        let f = layer_files(&m).unwrap();
        let paths: Vec<_> = f.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths[..3],
            [
                "eks/pod_security.rego",
                "eks/lib/util.rego",
                ".rulepack-verify.json"
            ]
        );
        assert_eq!(paths[3], format!("sha256-{}", Digest::of(b"d").hex()));
        assert_eq!(f[3].title, None);
    }

    #[test]
    fn unsafe_titles_are_refused() {
        let long_component = "a".repeat(256);
        let long_title = "a/".repeat(MAX_LAYER_TITLE_BYTES / 2) + "a";
        for t in [
            "",
            "/etc/passwd",
            "../x.rego",
            "a/../../x.rego",
            "a/./b",
            ".",
            "..",
            "a//b",
            "a/",
            "a\\b",
            "a b.rego",
            "a\u{0}b",
            "a\nb",
            "é.rego",
            long_component.as_str(),
            long_title.as_str(),
        ] {
            let e = layer_files(&manifest(&[(Some(t), b"x")])).unwrap_err();
            assert_eq!(e.code(), "layers.unsafe-title", "{t:?}: {e}");
            assert!(e.to_string().contains(&Digest::of(b"x").to_string()));
        }
    }

    #[test]
    fn conflicts_are_refused() {
        let untitled = format!("sha256-{}", Digest::of(b"x").hex());
        for (layers, file_and_dir) in [
            (
                vec![(Some("a.rego"), &b"x"[..]), (Some("a.rego"), b"y")],
                false,
            ),
            (
                vec![(Some("a.rego"), &b"x"[..]), (Some("a.rego"), b"x")],
                false,
            ),
            (vec![(None, &b"x"[..]), (None, b"x")], false),
            (
                vec![(Some(untitled.as_str()), &b"y"[..]), (None, b"x")],
                false,
            ),
            (vec![(Some("a"), &b"x"[..]), (Some("a/b.rego"), b"y")], true),
            (
                vec![(Some("a/b/c.rego"), &b"x"[..]), (Some("a/b"), b"y")],
                true,
            ),
        ] {
            let e = layer_files(&manifest(&layers)).unwrap_err();
            assert!(
                matches!(e, LayerError::PathConflict { file_and_directory, .. } if file_and_directory == file_and_dir),
                "{layers:?}: {e}"
            );
            assert_eq!(e.code(), "layers.path-conflict");
        }
        // Siblings and a shared directory are fine.
        assert!(layer_files(&manifest(&[
            (Some("a/b.rego"), b"x"),
            (Some("a/c.rego"), b"y"),
            (Some("ab"), b"z"),
            (Some("a.b/c"), b"w"),
        ]))
        .is_ok());
    }
}
