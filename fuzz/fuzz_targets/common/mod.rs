//! Fixed inputs shared by the fuzz targets: the embedded public-good trusted root, the
//! real cosign v3 bundle (`testdata/real/bundle_v03.json`) with its artifact digest and
//! signer identity, and a fixed verification time.
#![allow(dead_code)]

use std::sync::OnceLock;

use rulepack_verify::bundle::{Bundle, Content};
use rulepack_verify::policy::{Matcher, Policy};
use rulepack_verify::time::UnixTime;
use rulepack_verify::trust_root::{CertificateAuthority, TrustedRoot};
use rulepack_verify::verify::{ArtifactDigests, Verifier};

/// crates.io `sigstore` 0.15.0 `tests/data/bundle_v03.json` (provenance in testdata/README.md).
pub const BUNDLE_V03: &[u8] = include_bytes!("../../../testdata/real/bundle_v03.json");
/// The OCI image digest `BUNDLE_V03` signs.
pub const DIGEST: &str = "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172";
/// The Fulcio SAN of `BUNDLE_V03`'s leaf.
pub const IDENTITY: &str =
    "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0";
/// The OIDC issuer of `BUNDLE_V03`'s leaf.
pub const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// 2026-11-26T00:00:00Z: inside the validity of every key of the embedded root.
pub const NOW: UnixTime = 1_795_651_200;

/// Other signed bundles in the repository whose signatures RFC 3161 tokens may cover.
const OTHER_BUNDLES: &[&[u8]] = &[
    include_bytes!("../../../testdata/real/npm_slsa_bundle_v03.json"),
    include_bytes!("../../../testdata/real/a.txt.sigstore"),
];
/// The offline example's (virtual Sigstore) trusted root: a second set of TSAs.
const OFFLINE_ROOT: &[u8] = include_bytes!("../../../testdata/offline/trusted_root.json");

/// `TrustedRoot::embedded_public_good()`, parsed once.
pub fn root() -> &'static TrustedRoot {
    static ROOT: OnceLock<TrustedRoot> = OnceLock::new();
    ROOT.get_or_init(|| TrustedRoot::embedded_public_good().expect("embedded root parses"))
}

/// The artifact digest of `BUNDLE_V03`.
pub fn digest() -> &'static ArtifactDigests {
    static D: OnceLock<ArtifactDigests> = OnceLock::new();
    D.get_or_init(|| ArtifactDigests::parse(DIGEST).expect("fixed digest parses"))
}

/// Exactly the identity and issuer of `BUNDLE_V03`.
pub fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| Policy::identity(Matcher::exact(ISSUER), Matcher::exact(IDENTITY)))
}

/// One verifier for the embedded root, kept across inputs as a long-running user keeps
/// it (its chain memo holds only the trusted root's own links).
pub fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| Verifier::new(root().clone()))
}

/// The bytes a bundle's signature covers for RFC 3161 (sigstore-go `pkg/verify/tsa.go`:
/// the signature bytes).
fn signature_bytes(b: &Bundle) -> Option<Vec<u8>> {
    match &b.content {
        Content::MessageSignature(m) => Some(m.signature.clone()),
        Content::Dsse(d) => Some(d.signature.sig.clone()),
    }
}

/// (signed bytes, authorities) pairs an RFC 3161 token may be checked against: the
/// signatures of the real bundles with the public-good TSAs, and those of the offline
/// example's bundles (read at start-up from `testdata/offline/layout`) with its TSAs.
pub fn timestamp_subjects() -> &'static [(Vec<u8>, &'static [CertificateAuthority])] {
    static S: OnceLock<Vec<(Vec<u8>, &'static [CertificateAuthority])>> = OnceLock::new();
    S.get_or_init(|| {
        static OFFLINE: OnceLock<TrustedRoot> = OnceLock::new();
        let offline =
            OFFLINE.get_or_init(|| TrustedRoot::from_json(OFFLINE_ROOT).expect("offline root"));
        let mut out = Vec::new();
        for raw in std::iter::once(BUNDLE_V03).chain(OTHER_BUNDLES.iter().copied()) {
            let b = Bundle::from_json(raw).expect("real bundle parses");
            if let Some(sig) = signature_bytes(&b) {
                out.push((sig, root().timestamp_authorities.as_slice()));
            }
        }
        let blobs = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/offline/layout/blobs/sha256"
        );
        if let Ok(dir) = std::fs::read_dir(blobs) {
            for e in dir.flatten() {
                let Ok(raw) = std::fs::read(e.path()) else {
                    continue;
                };
                if let Ok(b) = Bundle::from_json(&raw) {
                    if let Some(sig) = signature_bytes(&b) {
                        out.push((sig, offline.timestamp_authorities.as_slice()));
                    }
                }
            }
        }
        out
    })
}
