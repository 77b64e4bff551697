//! An OCI image layout directory (image-spec `image-layout.md`) as an
//! [`ArtifactSource`], for air-gapped mirrors and offline tests.
//!
//! Layout: `oci-layout` (`{"imageLayoutVersion":"1.0.0"}`), `index.json` (an image
//! index), and `blobs/sha256/<hex>`. Every blob is size-capped before it is read and
//! re-hashed after.
//!
//! **Tag convention.** One layout may hold packs from several registries, so each
//! `index.json` entry may carry the annotation `io.rulepack.ref` with the full logical
//! reference without scheme (`ghcr.io/lithastra/rules/eks:0.1.0`). An entry that has
//! it matches only that exact `registry/repository:tag`. An entry without it matches
//! by the standard `org.opencontainers.image.ref.name` annotation only when that holds
//! the same full form; a bare tag (`0.1.0`) names no repository and matches nothing.
//! Two entries matching one reference with different digests make the layout
//! ambiguous, which is an error.
//!
//! **Referrers.** A manifest listed in `index.json` whose `subject.digest` is the
//! target is a referrer of it (the layout has no referrers API). Reported descriptors
//! carry `artifactType` = the manifest's `artifactType`, else its config media type,
//! as the distribution-spec referrers response does.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::error::RegistryError;
use super::manifest::{is_image_manifest_type, parse_manifest_limited, Descriptor, Manifest};
use super::reference::{Digest, Reference};
use super::{filter_artifact_type, ArtifactSource};
use crate::limits::{MAX_LAYOUT_INDEX_ENTRIES, MAX_MANIFEST_BYTES, MAX_REFERRERS};

/// Annotation carrying the full logical reference of a layout entry (this crate's
/// convention, see the module documentation).
pub const REF_ANNOTATION: &str = "io.rulepack.ref";
/// The standard tag annotation (image-spec `annotations.md`).
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A local OCI image layout, opened and its `index.json` read once.
#[derive(Clone, Debug)]
pub struct OciLayout {
    root: PathBuf,
    entries: Vec<Descriptor>,
}

fn manifest_limit() -> u64 {
    u64::try_from(MAX_MANIFEST_BYTES).unwrap_or(u64::MAX)
}

impl OciLayout {
    /// Opens the layout at `root`: checks `oci-layout` and reads `index.json`.
    pub fn open(root: impl AsRef<Path>) -> Result<Self, RegistryError> {
        let root = root.as_ref().to_path_buf();
        let invalid = |detail: String| RegistryError::InvalidLayout {
            path: root.display().to_string(),
            detail,
        };
        // image-layout.md: "The oci-layout file MUST be a JSON object" with
        // "imageLayoutVersion".
        let marker = read_capped(&root.join("oci-layout"), 4096)
            .map_err(|e| invalid(format!("oci-layout: {e}")))?;
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Marker {
            image_layout_version: String,
        }
        let m: Marker = serde_json::from_slice(&marker)
            .map_err(|e| invalid(format!("oci-layout is not valid: {e}")))?;
        if m.image_layout_version != "1.0.0" {
            return Err(invalid(format!(
                "unsupported imageLayoutVersion {:?}",
                m.image_layout_version
            )));
        }
        let index = read_capped(&root.join("index.json"), manifest_limit())
            .map_err(|e| invalid(format!("index.json: {e}")))?;
        let entries = match parse_manifest_limited(
            &index,
            None,
            "the layout's index.json",
            MAX_LAYOUT_INDEX_ENTRIES,
        )? {
            Manifest::Index(i) => i.manifests,
            Manifest::Image(_) => return Err(invalid("index.json is not an image index".into())),
        };
        Ok(Self { root, entries })
    }

    fn name(&self) -> String {
        self.root.display().to_string()
    }

    fn entry_matches(e: &Descriptor, r: &Reference, tag: &str) -> bool {
        let full = format!("{}/{}:{tag}", r.registry(), r.repository());
        match e.annotations.get(REF_ANNOTATION) {
            Some(v) => reference_text_matches(v, &full),
            None => e
                .annotations
                .get(REF_NAME)
                // Never the bare tag: a signature binds only a digest, so the name lookup
                // is what ties a pack to its repository; `1.0` of one repository must not
                // answer for `1.0` of another.
                .is_some_and(|v| reference_text_matches(v, &full)),
        }
    }

    fn find_tag(&self, r: &Reference, tag: &str) -> Result<Option<&Descriptor>, RegistryError> {
        let mut hit: Option<&Descriptor> = None;
        for e in self
            .entries
            .iter()
            .filter(|e| Self::entry_matches(e, r, tag))
        {
            match hit {
                Some(h) if h.digest != e.digest => {
                    return Err(RegistryError::InvalidLayout {
                        path: self.name(),
                        detail: format!(
                            "tag {tag} of {} names both {} and {}",
                            r.repository(),
                            h.digest,
                            e.digest
                        ),
                    })
                }
                _ => hit = Some(e),
            }
        }
        Ok(hit)
    }

    fn blob_path(&self, d: &Digest) -> PathBuf {
        self.root.join("blobs").join("sha256").join(d.hex())
    }

    fn read_blob(
        &self,
        r: &Reference,
        d: &Digest,
        max: u64,
        what: &str,
    ) -> Result<Vec<u8>, RegistryError> {
        let path = self.blob_path(d);
        let bytes = match read_capped(&path, max) {
            Ok(b) => b,
            Err(ReadError::NotFound) => {
                return Err(RegistryError::NotFound {
                    registry: self.name(),
                    repository: r.repository().to_owned(),
                    what: format!("{what} {d}"),
                })
            }
            Err(ReadError::TooLarge) => {
                return Err(RegistryError::TooLarge {
                    what: format!("{what} {d}"),
                    limit: max,
                })
            }
            Err(e) => {
                return Err(RegistryError::InvalidLayout {
                    path: self.name(),
                    detail: format!("{}: {e}", path.display()),
                })
            }
        };
        // image-layout.md: blobs are content-addressed; re-hash on every read.
        let actual = Digest::of(&bytes);
        if &actual != d {
            return Err(RegistryError::DigestMismatch {
                what: format!("{what} in the layout"),
                expected: d.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(bytes)
    }
}

/// `value` (with or without `oci://`, with `:443` or any host case) names `full`.
fn reference_text_matches(value: &str, full: &str) -> bool {
    let v = value.strip_prefix("oci://").unwrap_or(value);
    match Reference::parse(&format!("oci://{v}")) {
        Ok(a) => {
            let tag = a.tag().unwrap_or_default();
            format!("{}/{}:{tag}", a.registry(), a.repository()) == full
        }
        Err(_) => false,
    }
}

impl ArtifactSource for OciLayout {
    fn resolve_manifest(&self, r: &Reference) -> Result<(Descriptor, Vec<u8>), RegistryError> {
        // A digest in the reference wins over its tag (as in docker, and as the
        // registry client does); the blob read below re-hashes it.
        let digest = match (r.digest(), r.tag()) {
            (Some(d), _) => *d,
            (None, Some(tag)) => {
                self.find_tag(r, tag)?
                    .ok_or_else(|| RegistryError::NotFound {
                        registry: self.name(),
                        repository: r.repository().to_owned(),
                        what: format!("tag {tag}"),
                    })?
                    .digest
            }
            (None, None) => {
                return Err(RegistryError::NotFound {
                    registry: self.name(),
                    repository: r.repository().to_owned(),
                    what: "an untagged, undigested reference".into(),
                })
            }
        };
        let bytes = self.read_blob(r, &digest, manifest_limit(), "manifest")?;
        let listed = self.entries.iter().find(|e| e.digest == digest);
        let m = parse_manifest_limited(
            &bytes,
            listed.map(|e| e.media_type.as_str()),
            "the manifest",
            MAX_REFERRERS,
        )?;
        let media_type = match m {
            Manifest::Image(i) => i.media_type,
            Manifest::Index(i) => i.media_type,
        };
        let desc = Descriptor {
            media_type,
            digest,
            size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            artifact_type: None,
            annotations: Default::default(),
        };
        Ok((desc, bytes))
    }

    fn fetch_manifest(&self, r: &Reference, digest: &Digest) -> Result<Vec<u8>, RegistryError> {
        self.read_blob(r, digest, manifest_limit(), "manifest")
    }

    fn fetch_blob(
        &self,
        r: &Reference,
        digest: &Digest,
        max: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        self.read_blob(r, digest, max, "blob")
    }

    fn referrers(
        &self,
        r: &Reference,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>, RegistryError> {
        let mut out = Vec::new();
        for e in self
            .entries
            .iter()
            .filter(|e| is_image_manifest_type(&e.media_type))
        {
            if &e.digest == subject {
                continue;
            }
            let bytes = self.read_blob(r, &e.digest, manifest_limit(), "manifest")?;
            let Manifest::Image(m) = parse_manifest_limited(
                &bytes,
                Some(&e.media_type),
                "a layout manifest",
                MAX_REFERRERS,
            )?
            else {
                continue;
            };
            if m.subject.as_ref().map(|s| &s.digest) != Some(subject) {
                continue;
            }
            if out.len() >= MAX_REFERRERS {
                return Err(RegistryError::TooManyReferrers {
                    limit: MAX_REFERRERS,
                });
            }
            out.push(Descriptor {
                media_type: m.media_type,
                digest: e.digest,
                size: e.size,
                artifact_type: m
                    .artifact_type
                    .or_else(|| Some(m.config.media_type.clone())),
                annotations: m.annotations,
            });
        }
        Ok(filter_artifact_type(out, artifact_type))
    }

    fn tag_exists(&self, r: &Reference, tag: &str) -> Result<bool, RegistryError> {
        Ok(self.find_tag(r, tag)?.is_some())
    }
}

#[derive(Debug)]
enum ReadError {
    NotFound,
    TooLarge,
    Io(std::io::Error),
}

impl core::fmt::Display for ReadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotFound => f.write_str("file not found"),
            Self::TooLarge => f.write_str("file too large"),
            Self::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Reads at most `max` bytes of `path`; more is an error (checked before and while
/// reading, so a growing file cannot exceed it).
fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let f = fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e),
    })?;
    let len = f.metadata().map_err(ReadError::Io)?.len();
    if len > max {
        return Err(ReadError::TooLarge);
    }
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    f.take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if u64::try_from(buf.len()).unwrap_or(u64::MAX) > max {
        return Err(ReadError::TooLarge);
    }
    Ok(buf)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::oci::manifest::tests::bundle_referrer;
    use crate::oci::manifest::{OCI_EMPTY, OCI_INDEX, OCI_MANIFEST};
    use crate::oci::{fetch_layers, find_sigstore_bundles, resolve_pack};

    /// A throwaway layout directory under the target dir, removed on drop.
    pub(crate) struct TempLayout {
        pub(crate) dir: PathBuf,
        entries: Vec<serde_json::Value>,
    }

    impl TempLayout {
        pub(crate) fn new(name: &str) -> Self {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/test-layouts")
                .join(format!("{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
            fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
            let t = Self {
                dir,
                entries: vec![],
            };
            t.write_index();
            t
        }
        pub(crate) fn blob(&self, bytes: &[u8]) -> Digest {
            let d = Digest::of(bytes);
            fs::write(self.dir.join("blobs/sha256").join(d.hex()), bytes).unwrap();
            d
        }
        pub(crate) fn list(
            &mut self,
            media_type: &str,
            bytes: &[u8],
            annotations: serde_json::Value,
        ) -> Digest {
            let d = self.blob(bytes);
            self.entries.push(serde_json::json!({
                "mediaType": media_type, "digest": d.to_string(), "size": bytes.len(),
                "annotations": annotations}));
            self.write_index();
            d
        }
        fn write_index(&self) {
            let idx = serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.entries});
            fs::write(
                self.dir.join("index.json"),
                serde_json::to_vec(&idx).unwrap(),
            )
            .unwrap();
        }
        /// A pack: config + one Rego layer. Returns (manifest bytes, digest).
        pub(crate) fn pack(&mut self, logical: &str, rego: &[u8]) -> (Vec<u8>, Digest) {
            let cfg = self.blob(b"{}");
            let layer = self.blob(rego);
            let m = serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "artifactType": "application/vnd.lithastra.rulepack.v1",
                "config": {"mediaType": OCI_EMPTY, "digest": cfg.to_string(), "size": 2},
                "layers": [{"mediaType": "application/vnd.lithastra.rego.v1", "digest": layer.to_string(), "size": rego.len()}]
            })).unwrap();
            let d = self.list(
                OCI_MANIFEST,
                &m,
                serde_json::json!({REF_ANNOTATION: logical}),
            );
            (m, d)
        }
    }

    impl Drop for TempLayout {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }

    /// The real cosign bundle of an OCI image (vendored from crates.io `sigstore`
    /// 0.15.0, see `testdata/README.md`).
    fn bundle_bytes() -> Vec<u8> {
        fs::read(crate::testutil::vendored("bundle_v03.json")).unwrap()
    }

    #[test]
    fn resolves_pack_and_finds_bundle() {
        let mut t = TempLayout::new("resolve");
        let (m, pack) = t.pack("ghcr.io/lithastra/rules/eks:0.1.0", b"package eks\n");
        // A second pack with the same tag in another registry must not be confused.
        let (_, other) = t.pack("ghcr.io/acme/rules/eks:0.1.0", b"package other\n");
        assert_ne!(pack, other);
        let bundle = bundle_bytes();
        t.blob(&bundle);
        t.blob(b"{}");
        let referrer = bundle_referrer(&bundle, &pack, u64::try_from(m.len()).unwrap());
        let rd = t.list(OCI_MANIFEST, &referrer, serde_json::json!({}));
        let l = OciLayout::open(&t.dir).unwrap();

        let r = Reference::parse("oci://GHCR.io:443/lithastra/rules/eks:0.1.0").unwrap();
        let (desc, manifest) = resolve_pack(&l, &r).unwrap();
        assert_eq!(desc.digest, pack);
        assert_eq!(desc.digest, Digest::of(&m));
        // The bytes that were hashed come back with the descriptor.
        assert_eq!(l.resolve_manifest(&r).unwrap(), (desc.clone(), m.clone()));
        let layers = fetch_layers(&l, &r, &manifest).unwrap();
        assert_eq!(layers[0].1, b"package eks\n");

        let found = find_sigstore_bundles(&l, &r, &pack).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].manifest_digest, rd);
        assert_eq!(found[0].bundle_bytes, bundle);
        assert_eq!(found[0].bundle_digest, Digest::of(&bundle));

        // Filtered referrers: only the matching artifactType.
        assert_eq!(
            l.referrers(&r, &pack, Some(crate::oci::SIGSTORE_BUNDLE_V03))
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            l.referrers(&r, &pack, Some("application/x-other"))
                .unwrap()
                .len(),
            0
        );

        // The other pack has no bundle.
        let r2 = Reference::parse("oci://ghcr.io/acme/rules/eks:0.1.0").unwrap();
        let (d2, _) = resolve_pack(&l, &r2).unwrap();
        assert_eq!(d2.digest, other);
        let e = find_sigstore_bundles(&l, &r2, &other).unwrap_err();
        assert_eq!(e.code(), "registry.no-bundle");
        assert!(
            e.to_string().contains(
                "no Sigstore bundle is attached to oci://ghcr.io/acme/rules/eks:0.1.0@sha256:"
            ),
            "{e}"
        );

        // Pinned digest: right and wrong.
        let pinned =
            Reference::parse(&format!("oci://ghcr.io/lithastra/rules/eks:0.1.0@{pack}")).unwrap();
        assert_eq!(l.resolve(&pinned).unwrap().digest, pack);
        let absent = Digest::of(b"not in the layout");
        let wrong =
            Reference::parse(&format!("oci://ghcr.io/lithastra/rules/eks:0.1.0@{absent}")).unwrap();
        assert_eq!(l.resolve(&wrong).unwrap_err().code(), "registry.not-found");
        let by_digest =
            Reference::parse(&format!("oci://ghcr.io/lithastra/rules/eks@{pack}")).unwrap();
        assert_eq!(l.resolve(&by_digest).unwrap().digest, pack);
        let missing = Reference::parse("oci://ghcr.io/lithastra/rules/eks:9.9.9").unwrap();
        assert_eq!(
            l.resolve(&missing).unwrap_err().code(),
            "registry.not-found"
        );
    }

    #[test]
    fn hostile_layouts() {
        let mut t = TempLayout::new("hostile");
        let (m, pack) = t.pack("r.io/a/b:1", b"package a\n");
        let r = Reference::parse("oci://r.io/a/b:1").unwrap();
        // Referrer whose subject is another digest.
        let bundle = b"{\"x\":1}".to_vec();
        t.blob(&bundle);
        let other = Digest::of(b"someone else");
        let bad = bundle_referrer(&bundle, &other, 1);
        t.list(OCI_MANIFEST, &bad, serde_json::json!({}));
        let l = OciLayout::open(&t.dir).unwrap();
        assert_eq!(
            find_sigstore_bundles(&l, &r, &pack).unwrap_err().code(),
            "registry.no-bundle"
        );

        // Corrupted blob: the manifest no longer matches its digest.
        fs::write(
            t.dir.join("blobs/sha256").join(pack.hex()),
            [m.as_slice(), b" "].concat(),
        )
        .unwrap();
        assert_eq!(
            l.resolve(&r).unwrap_err().code(),
            "registry.digest-mismatch"
        );

        // Legacy cosign tag only.
        let mut t2 = TempLayout::new("legacy");
        let (_, p2) = t2.pack("r.io/a/b:1", b"x");
        let sig = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        t2.list(
            OCI_MANIFEST,
            sig,
            serde_json::json!({REF_ANNOTATION: format!("r.io/a/b:sha256-{}.sig", p2.hex())}),
        );
        let l2 = OciLayout::open(&t2.dir).unwrap();
        let e = find_sigstore_bundles(&l2, &r, &p2).unwrap_err();
        assert_eq!(e.code(), "registry.legacy-signature-only");
        assert!(e.to_string().contains("legacy"));

        // Ambiguous tag.
        let mut t3 = TempLayout::new("ambiguous");
        t3.pack("r.io/a/b:1", b"one");
        t3.pack("r.io/a/b:1", b"two");
        assert_eq!(
            OciLayout::open(&t3.dir)
                .unwrap()
                .resolve(&r)
                .unwrap_err()
                .code(),
            "registry.invalid-layout"
        );

        // Not a layout.
        fs::write(
            t3.dir.join("oci-layout"),
            br#"{"imageLayoutVersion":"2.0.0"}"#,
        )
        .unwrap();
        assert_eq!(
            OciLayout::open(&t3.dir).unwrap_err().code(),
            "registry.invalid-layout"
        );
        fs::remove_file(t3.dir.join("oci-layout")).unwrap();
        assert_eq!(
            OciLayout::open(&t3.dir).unwrap_err().code(),
            "registry.invalid-layout"
        );
    }

    #[test]
    fn index_points_at_image_index_pack() {
        let mut t = TempLayout::new("index");
        let (_, inner) = t.pack("r.io/a/inner:1", b"x");
        let idx = serde_json::to_vec(&serde_json::json!({"schemaVersion":2,"mediaType":OCI_INDEX,
            "manifests":[{"mediaType":OCI_MANIFEST,"digest":inner.to_string(),"size":1}]}))
        .unwrap();
        t.list(
            OCI_INDEX,
            &idx,
            serde_json::json!({"org.opencontainers.image.ref.name": "r.io/a/b:2"}),
        );
        let l = OciLayout::open(&t.dir).unwrap();
        let r = Reference::parse("oci://r.io/a/b:2").unwrap();
        let e = resolve_pack(&l, &r).unwrap_err();
        assert_eq!(e.code(), "registry.index-not-supported");
        assert!(e.to_string().contains("single image manifest"));
    }

    #[test]
    fn bare_tag_does_not_stand_in_for_another_repository() {
        let mut t = TempLayout::new("bare-tag");
        let (manifest, _) = t.pack("r.io/a/other:1.0", b"package other\n");
        // Re-list that manifest under a bare tag only: it names no repository.
        t.list(
            OCI_MANIFEST,
            &manifest,
            serde_json::json!({"org.opencontainers.image.ref.name": "1.0"}),
        );
        let l = OciLayout::open(&t.dir).unwrap();
        let asked = Reference::parse("oci://r.io/a/argo:1.0").unwrap();
        assert_eq!(
            resolve_pack(&l, &asked).unwrap_err().code(),
            "registry.not-found"
        );
        // The full form still resolves its own repository.
        resolve_pack(&l, &Reference::parse("oci://r.io/a/other:1.0").unwrap()).unwrap();
    }

    #[test]
    fn layer_caps() {
        let mut t = TempLayout::new("caps");
        let (_, _) = t.pack("r.io/a/b:1", b"package a\n");
        let l = OciLayout::open(&t.dir).unwrap();
        let r = Reference::parse("oci://r.io/a/b:1").unwrap();
        let (_, mut m) = resolve_pack(&l, &r).unwrap();
        // A descriptor claiming a smaller size than the blob: the read cap catches it.
        m.layers[0].size = 3;
        assert_eq!(
            fetch_layers(&l, &r, &m).unwrap_err().code(),
            "registry.too-large"
        );
        m.layers[0].size = crate::limits::MAX_LAYER_BYTES + 1;
        assert_eq!(
            fetch_layers(&l, &r, &m).unwrap_err().code(),
            "registry.too-large"
        );
    }
}
