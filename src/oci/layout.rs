//! An OCI image layout directory (image-spec `image-layout.md`) as an
//! [`ArtifactSource`], for air-gapped mirrors and offline tests.
//!
//! Layout: `oci-layout` (`{"imageLayoutVersion":"1.0.0"}`), `index.json` (an image
//! index), and `blobs/sha256/<hex>`. Every blob is size-capped before it is read and
//! re-hashed after; only regular files are read (a FIFO, device or directory in place
//! of a blob is refused without opening it for reading, so it cannot block the run).
//!
//! **Cost.** Each blob is read and hashed once per run: verified blobs are kept in a
//! per-layout cache bounded by [`MAX_LAYOUT_CACHE_BYTES`] and
//! [`MAX_LAYOUT_CACHE_ENTRIES`] (beyond that they are read again, never kept), and
//! the scan of `index.json` for referrers runs once, over each distinct digest once.
//! The work is linear in the layout's size, whatever the number of packs.
//!
//! **Broken entries.** `index.json` entries are checked when a pack needs them: an
//! entry whose blob is missing, corrupt or not a manifest affects only a pack that
//! resolves to it, or a pack that found no referrer at all (its signature might be the
//! unreadable entry, so the error names it).
//!
//! **Tag convention.** One layout may hold packs from several registries, so each
//! `index.json` entry may carry the annotation `io.rulepack.ref` with the full logical
//! reference without scheme (`ghcr.io/lithastra/rules/eks:0.1.0`). An entry that has
//! it matches only that exact `registry/repository:tag`. An entry without it matches
//! by the standard `org.opencontainers.image.ref.name` annotation only when that holds
//! the same full form; a bare tag (`0.1.0`) names no repository and matches nothing.
//! Two entries matching one reference with different digests make the layout
//! ambiguous for that reference: the pack fails, the others are unaffected.
//!
//! **Referrers.** A manifest listed in `index.json` whose `subject.digest` is the
//! target is a referrer of it (the layout has no referrers API). Reported descriptors
//! carry `artifactType` = the manifest's `artifactType`, else its config media type,
//! as the distribution-spec referrers response does.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::error::RegistryError;
use super::manifest::{is_image_manifest_type, parse_manifest_limited, Descriptor, Manifest};
use super::reference::{Digest, Reference};
use super::{filter_artifact_type, ArtifactSource};
use crate::limits::{
    MAX_LAYOUT_CACHE_BYTES, MAX_LAYOUT_CACHE_ENTRIES, MAX_LAYOUT_INDEX_ENTRIES, MAX_MANIFEST_BYTES,
    MAX_REFERRERS,
};

/// Annotation carrying the full logical reference of a layout entry (this crate's
/// convention, see the module documentation).
pub const REF_ANNOTATION: &str = "io.rulepack.ref";
/// The standard tag annotation (image-spec `annotations.md`).
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A local OCI image layout, opened and its `index.json` read once. Clones share the
/// blob cache and the referrer scan.
#[derive(Clone, Debug)]
pub struct OciLayout {
    root: PathBuf,
    entries: Vec<Descriptor>,
    cache: Arc<Mutex<BlobCache>>,
    scan: Arc<OnceLock<ReferrerScan>>,
}

/// Blobs already read and re-hashed in this run, by digest.
#[derive(Debug, Default)]
struct BlobCache {
    blobs: HashMap<Digest, Arc<Vec<u8>>>,
    bytes: usize,
    /// Blob files opened and read (for tests: each blob once).
    #[cfg(test)]
    reads: usize,
}

/// The result of reading every distinct image-manifest entry of `index.json` once.
#[derive(Debug, Default)]
struct ReferrerScan {
    /// `(subject, referrer descriptor)` for every entry that names a subject.
    referrers: Vec<(Digest, Descriptor)>,
    /// Entries that could not be read or parsed, with why.
    unreadable: Vec<(Digest, String)>,
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
        Ok(Self {
            root,
            entries,
            cache: Arc::default(),
            scan: Arc::default(),
        })
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
                            "tag {tag} of {} names both {} and {}; remove one of the two index.json entries",
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
        let too_large = || RegistryError::TooLarge {
            what: format!("{what} {d}"),
            limit: max,
        };
        let cached = self.cache.lock().ok().and_then(|c| c.blobs.get(d).cloned());
        if let Some(bytes) = cached {
            if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max {
                return Err(too_large());
            }
            return Ok(bytes.as_ref().clone());
        }
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
            Err(ReadError::TooLarge) => return Err(too_large()),
            Err(e) => {
                return Err(RegistryError::InvalidLayout {
                    path: self.name(),
                    detail: format!("{}: {e}", path.display()),
                })
            }
        };
        // image-layout.md: blobs are content-addressed; re-hash what was read.
        let actual = Digest::of(&bytes);
        if &actual != d {
            return Err(RegistryError::DigestMismatch {
                what: format!("{what} in the layout"),
                expected: d.to_string(),
                actual: actual.to_string(),
            });
        }
        if let Ok(mut c) = self.cache.lock() {
            #[cfg(test)]
            {
                c.reads = c.reads.saturating_add(1);
            }
            let fits = c.blobs.len() < MAX_LAYOUT_CACHE_ENTRIES
                && c.bytes.saturating_add(bytes.len()) <= MAX_LAYOUT_CACHE_BYTES;
            if fits {
                c.bytes = c.bytes.saturating_add(bytes.len());
                c.blobs.insert(*d, Arc::new(bytes.clone()));
            }
        }
        Ok(bytes)
    }

    /// Reads every distinct image-manifest entry of `index.json` once and records its
    /// subject; an entry that cannot be read is recorded, not fatal.
    fn scan(&self, r: &Reference) -> &ReferrerScan {
        self.scan.get_or_init(|| {
            let mut scan = ReferrerScan::default();
            let mut seen = HashSet::new();
            for e in self
                .entries
                .iter()
                .filter(|e| is_image_manifest_type(&e.media_type))
            {
                if !seen.insert(e.digest) {
                    continue;
                }
                match self.read_entry(r, e) {
                    Ok(Some((subject, desc))) => scan.referrers.push((subject, desc)),
                    Ok(None) => {}
                    // The reason must not name the pack that happened to start the
                    // scan: a missing blob is described by its path in the layout.
                    Err(RegistryError::NotFound { .. }) => scan.unreadable.push((
                        e.digest,
                        format!("its blob blobs/sha256/{} is missing", e.digest.hex()),
                    )),
                    Err(err) => scan.unreadable.push((e.digest, err.to_string())),
                }
            }
            scan
        })
    }

    /// One `index.json` entry → `(subject, referrer descriptor)` when it names a subject.
    fn read_entry(
        &self,
        r: &Reference,
        e: &Descriptor,
    ) -> Result<Option<(Digest, Descriptor)>, RegistryError> {
        let bytes = self.read_blob(r, &e.digest, manifest_limit(), "index.json entry")?;
        // image-spec descriptor.md: "size ... MUST match the size of the content".
        let actual = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if actual != e.size {
            return Err(RegistryError::SizeMismatch {
                what: format!("index.json entry {}", e.digest),
                expected: e.size,
                actual,
            });
        }
        let Manifest::Image(m) = parse_manifest_limited(
            &bytes,
            Some(&e.media_type),
            &format!("index.json entry {}", e.digest),
            MAX_REFERRERS,
        )?
        else {
            return Ok(None);
        };
        let Some(subject) = m.subject.as_ref().map(|s| s.digest) else {
            return Ok(None);
        };
        Ok(Some((
            subject,
            Descriptor {
                media_type: m.media_type,
                digest: e.digest,
                size: e.size,
                artifact_type: m
                    .artifact_type
                    .or_else(|| Some(m.config.media_type.clone())),
                annotations: m.annotations,
            },
        )))
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
        let scan = self.scan(r);
        let out: Vec<Descriptor> = scan
            .referrers
            .iter()
            .filter(|(s, d)| s == subject && d.digest != *subject)
            .map(|(_, d)| d.clone())
            .collect();
        if out.len() > MAX_REFERRERS {
            return Err(RegistryError::TooManyReferrers {
                limit: MAX_REFERRERS,
            });
        }
        // Nothing refers to `subject`, but some entries could not be read: one of them
        // may be its signature. Say so instead of "no bundle attached".
        if out.is_empty() {
            if let Some((d, e)) = scan.unreadable.first() {
                return Err(RegistryError::InvalidLayout {
                    path: self.name(),
                    detail: format!(
                        "no referrer of {subject} was found, and {} index.json entr{} could not be read, so its signature may be among them; the first, {d}: {e}",
                        scan.unreadable.len(),
                        if scan.unreadable.len() == 1 { "y" } else { "ies" },
                    ),
                });
            }
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
    NotRegular(&'static str),
    Io(std::io::Error),
}

impl core::fmt::Display for ReadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotFound => f.write_str("file not found"),
            Self::TooLarge => f.write_str("file too large"),
            Self::NotRegular(kind) => write!(
                f,
                "is {kind}, not a regular file; a layout holds only regular files"
            ),
            Self::Io(e) => write!(f, "{e}"),
        }
    }
}

fn file_kind(m: &fs::Metadata) -> Option<&'static str> {
    let t = m.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Reads at most `max` bytes of the regular file `path`; more is an error (checked
/// before and while reading, so a growing file cannot exceed it). A FIFO, device,
/// socket or directory is refused **before** it is opened: opening a FIFO for reading
/// blocks until a writer appears. The opened file is checked again, so what is read is
/// a regular file. A FIFO swapped in between the check and the open still blocks that
/// open: guarding against it needs `O_NONBLOCK` (not in `std`), and whoever can swap
/// files in the layout during a run can also stop the run; digests are checked either
/// way.
fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let not_found = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e),
    };
    let before = fs::metadata(path).map_err(not_found)?;
    if let Some(kind) = file_kind(&before) {
        return Err(ReadError::NotRegular(kind));
    }
    let f = fs::File::open(path).map_err(not_found)?;
    let meta = f.metadata().map_err(ReadError::Io)?;
    if let Some(kind) = file_kind(&meta) {
        return Err(ReadError::NotRegular(kind));
    }
    let len = meta.len();
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
    use crate::oci::{find_sigstore_bundles, resolve_pack};
    use crate::pack::layers::fetch_all as fetch_layers;

    /// A throwaway layout directory under the target dir, removed on drop.
    pub(crate) struct TempLayout {
        pub(crate) dir: PathBuf,
        pub(crate) entries: Vec<serde_json::Value>,
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
        pub(crate) fn write_index(&self) {
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

        // Corrupted blob: the manifest no longer matches its digest. (A layout that
        // already read it keeps the verified bytes for the run; a fresh one re-reads.)
        fs::write(
            t.dir.join("blobs/sha256").join(pack.hex()),
            [m.as_slice(), b" "].concat(),
        )
        .unwrap();
        assert_eq!(l.resolve(&r).unwrap().digest, pack);
        let l = OciLayout::open(&t.dir).unwrap();
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

    /// A layout whose `index.json` lists one large manifest many times: every blob is
    /// read (and hashed) once per run, however many packs and entries need it.
    #[test]
    fn each_blob_is_read_once_per_run() {
        let mut t = TempLayout::new("read-once");
        let mut packs = Vec::new();
        for i in 0..4 {
            let (m, d) = t.pack(
                &format!("r.io/a/p{i}:1"),
                format!("package p{i}\n").as_bytes(),
            );
            let bundle = format!("{{\"bundle\":{i}}}").into_bytes();
            t.blob(&bundle);
            t.list(
                OCI_MANIFEST,
                &bundle_referrer(&bundle, &d, u64::try_from(m.len()).unwrap()),
                serde_json::json!({}),
            );
            packs.push(d);
        }
        // A valid 1 MiB manifest (a referrer of nothing here), listed 500 times.
        let big = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_EMPTY, "digest": Digest::of(b"{}").to_string(), "size": 2},
            "layers": [], "annotations": {"padding": "x".repeat(1 << 20)}
        }))
        .unwrap();
        let big_digest = t.blob(&big);
        let entry = serde_json::json!({"mediaType": OCI_MANIFEST, "digest": big_digest.to_string(), "size": big.len()});
        t.entries.extend(std::iter::repeat_n(entry, 500));
        t.write_index();
        let l = OciLayout::open(&t.dir).unwrap();
        for (i, d) in packs.iter().enumerate() {
            let r = Reference::parse(&format!("oci://r.io/a/p{i}:1")).unwrap();
            let (desc, m) = resolve_pack(&l, &r).unwrap();
            assert_eq!(desc.digest, *d);
            assert_eq!(find_sigstore_bundles(&l, &r, d).unwrap().len(), 1);
            fetch_layers(&l, &r, &m).unwrap();
        }
        // 4 packs × (manifest, referrer, bundle, layer) + the shared config blob is
        // never read + the big manifest once.
        let reads = l.cache.lock().unwrap().reads;
        assert_eq!(reads, 4 * 4 + 1, "blob reads");
    }

    /// A FIFO in place of a blob is refused at once (opening it would block forever).
    #[cfg(unix)]
    #[test]
    fn fifo_blob_is_refused_without_blocking() {
        let mut t = TempLayout::new("fifo");
        let (m, pack) = t.pack("r.io/a/b:1", b"package a\n");
        let bundle = b"{\"fifo\":1}".to_vec();
        let referrer = bundle_referrer(&bundle, &pack, u64::try_from(m.len()).unwrap());
        t.list(OCI_MANIFEST, &referrer, serde_json::json!({}));
        let fifo = t.dir.join("blobs/sha256").join(Digest::of(&bundle).hex());
        match std::process::Command::new("mkfifo").arg(&fifo).status() {
            Ok(s) if s.success() => {}
            other => {
                eprintln!("NOTICE: skipping: mkfifo unavailable ({other:?})");
                assert!(std::env::var_os("RULEPACK_REQUIRE_ALL").is_none());
                return;
            }
        }
        let dir = t.dir.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let l = OciLayout::open(&dir).unwrap();
            let r = Reference::parse("oci://r.io/a/b:1").unwrap();
            let _ = tx.send(find_sigstore_bundles(&l, &r, &pack).map(|_| ()));
        });
        let e = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("reading a FIFO blob hangs")
            .unwrap_err();
        assert_eq!(e.code(), "registry.invalid-layout");
        assert!(e.to_string().contains("FIFO"), "{e}");
    }

    /// One broken `index.json` entry (missing, corrupt, or not a manifest) affects no
    /// unrelated pack, and is named where it may matter.
    #[test]
    fn broken_entries_affect_only_packs_that_need_them() {
        let mut t = TempLayout::new("broken-entry");
        // Broken entries first, so a scan that stops at the first one would fail.
        let missing = Digest::of(b"never written");
        t.entries.push(
            serde_json::json!({"mediaType": OCI_MANIFEST, "digest": missing.to_string(), "size": 13,
            "annotations": {REF_ANNOTATION: "r.io/a/missing:1"}}),
        );
        let corrupt = t.blob(b"{\"schemaVersion\":2}");
        fs::write(t.dir.join("blobs/sha256").join(corrupt.hex()), b"tampered").unwrap();
        t.entries.push(serde_json::json!({"mediaType": OCI_MANIFEST, "digest": corrupt.to_string(), "size": 19}));
        t.list(OCI_MANIFEST, b"not json at all", serde_json::json!({}));
        let (m, good) = t.pack("r.io/a/good:1", b"package good\n");
        let bundle = b"{\"good\":1}".to_vec();
        t.blob(&bundle);
        t.list(
            OCI_MANIFEST,
            &bundle_referrer(&bundle, &good, u64::try_from(m.len()).unwrap()),
            serde_json::json!({}),
        );
        let (_, unsigned) = t.pack("r.io/a/unsigned:1", b"package unsigned\n");
        let l = OciLayout::open(&t.dir).unwrap();

        let r = Reference::parse("oci://r.io/a/good:1").unwrap();
        let (d, _) = resolve_pack(&l, &r).unwrap();
        let found = find_sigstore_bundles(&l, &r, &d.digest).unwrap();
        assert_eq!(found[0].bundle_bytes, bundle);

        // No referrer: the error says that unreadable entries might hold its signature,
        // and names neither another pack nor its repository.
        let r = Reference::parse("oci://r.io/a/unsigned:1").unwrap();
        let e = find_sigstore_bundles(&l, &r, &unsigned).unwrap_err();
        assert_eq!(e.code(), "registry.invalid-layout");
        let msg = e.to_string();
        assert!(
            msg.contains("3 index.json entries could not be read"),
            "{msg}"
        );
        assert!(
            msg.contains(&missing.to_string()) && msg.contains("missing"),
            "{msg}"
        );
        assert!(!msg.contains("a/good"), "{msg}");

        // The pack that is the missing entry fails on its own.
        let r = Reference::parse("oci://r.io/a/missing:1").unwrap();
        assert_eq!(
            resolve_pack(&l, &r).unwrap_err().code(),
            "registry.not-found"
        );
    }
}
