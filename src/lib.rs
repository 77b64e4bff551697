//! # rulepack-verify
//!
//! A from-scratch verifier for Sigstore-signed OCI artifacts (rule packs): before a pack
//! loads, did the publisher we trust really produce these bytes? Keyless verification of
//! a Sigstore bundle (Fulcio certificate chain at the signing time, SCTs, Rekor v1/v2
//! entries with inclusion proofs and signed checkpoints, RFC 3161 timestamps, DSSE or
//! message signature, identity policy); the steps and their spec sources are in
//! `docs/verification.md`.
//!
//! Two objects with two lifetimes, as in sigstore-go: a [`Verifier`] built once from a
//! [`TrustedRoot`], and a [`Policy`] per check.
//!
//! ```
//! use rulepack_verify::{ArtifactDigests, Bundle, Matcher, Policy, TrustedRoot, Verifier};
//!
//! let root = TrustedRoot::from_json(include_bytes!("../testdata/trust/sigstore_trusted_root.json"))?;
//! let verifier = Verifier::new(root);
//!
//! let bundle = Bundle::from_json(include_bytes!("../testdata/real/bundle_v03.json"))?;
//! let artifact = ArtifactDigests::parse(
//!     "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172",
//! )
//! .expect("a sha256 digest");
//! let policy = Policy::identity(
//!     Matcher::exact("https://token.actions.githubusercontent.com"),
//!     Matcher::regex(r"https://github\.com/kubewarden/kubewarden-controller/\.github/workflows/release\.yml@refs/tags/v.+")?,
//! );
//! let now = 1_795_651_200; // seconds since the Unix epoch: the caller reads the clock
//!
//! let verified = verifier.verify(&bundle, &artifact, &policy, now)?;
//! println!("signed by {:?} at {:?}", verified.identity, verified.signing_time());
//! # Ok::<(), rulepack_verify::Error>(())
//! ```
//!
//! Rule packs: [`PackVerifier`] resolves an `oci://` [`Reference`] through an
//! [`ArtifactSource`] (an [`OciLayout`], or with the `online` feature a
//! `RegistryClient`), finds the bundles attached to its manifest digest as OCI 1.1
//! referrers and applies the trust tiers; [`RulePacks`] reads a values file. The trust
//! root comes from a file ([`TrustedRoot::from_json`]) or through TUF
//! (`update_trusted_root_online`, or [`update_trusted_root`] with your own [`Fetcher`]).
//!
//! Every failure is an [`Error`] with a stable [`Error::code`] (`docs/errors.md`) and a
//! sentence an operator can act on; [`Verifier::verify_traced`] also says at which
//! [`Step`] a bundle was rejected.
//!
//! ## Guarantees
//!
//! - `#![forbid(unsafe_code)]`; no `unwrap`/`expect`/`panic!`/indexing on untrusted data.
//!   Every parser returns `Result`, rejects trailing bytes, and checks the sizes in
//!   [`limits`] before allocating.
//! - Verification does no I/O and reads no clock: `now` is an argument. Only the OCI
//!   registry client and the TUF HTTPS fetcher touch the network, behind the default
//!   `online` feature; without it no HTTP or TLS crate is compiled.
//! - Features: `online` (default) registries and TUF over HTTPS; `rsa` RSA keys
//!   (RSASSA-PKCS1-v1_5 CAs, TSAs and CT logs, RSASSA-PSS TUF keys), which Sigstore's
//!   public-good instance does not use; without it an RSA key is an error naming the
//!   feature. `unstable-internals` is for this crate's own tests and fuzzing only.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![deny(missing_docs)]
#![warn(unnameable_types)]

// The modules are private: the API is the `pub use` list below. The
// `unstable-internals` feature (off by default, not part of the API, no compatibility
// promise) makes them public and hidden from the docs, for this crate's own tests,
// benches and fuzz targets only: `cargo test` enables it through the self
// dev-dependency in Cargo.toml; the fuzz crate enables it explicitly.
macro_rules! internal_modules {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {$(
        $(#[$attr])*
        #[cfg(feature = "unstable-internals")]
        #[doc(hidden)]
        pub mod $name;
        $(#[$attr])*
        #[cfg(not(feature = "unstable-internals"))]
        #[allow(unreachable_pub)]
        mod $name;
    )*};
}

internal_modules!(
    config, crypto, encoding, oci, output, pack, policy, rekor, signature, time, timestamp,
    trust_root, tuf, verify, x509,
);
pub mod bundle;
mod cli;
pub mod error;
pub mod limits;

#[cfg(test)]
mod testutil;

pub use error::Error;

// --- Verifying a Sigstore bundle.
pub use bundle::Bundle;
pub use crypto::{HashAlgorithm, KeyAlgorithm, PublicKey};
pub use policy::{IdentityRule, Matcher, Policy, StatementRequirement, VerificationPolicy};
pub use signature::ArtifactDigests;
pub use time::UnixTime;
pub use trust_root::{CertificateAuthority, TransparencyLog, TrustedRoot, ValidityWindow};
pub use verify::{Rejection, Step, TimeSource, Verified, VerifiedTime, Verifier};
// What a verification established.
pub use rekor::{Checkpoint, VerifiedEntry};
pub use timestamp::VerifiedTimestamp;
pub use x509::{FulcioExtensions, SanIdentity};

// --- Verifying rule packs.
pub use config::{RulePacks, Timeouts, TrustedIdentity};
pub use oci::{ArtifactSource, Descriptor, Digest, ImageManifest, OciLayout, Reference};
#[cfg(feature = "online")]
pub use oci::{BoundedClient, ClientOptions, Deadline, RegistryClient};
pub use pack::{BundleFailure, PackFailure, PackVerifier, Tier, VerifiedPack};

// --- Obtaining the trust root through TUF.
#[cfg(feature = "online")]
pub use tuf::update_trusted_root_online;
pub use tuf::{
    update_trusted_root, CacheLocation, FetchError, Fetched, Fetcher, TargetReport,
    TrustedRootUpdate, TufOptions, UpdateReport,
};

/// The `rulepack-verify` command line (`docs/cli.md`), as the binary runs it: `argv`
/// without the program name; prints to stdout and stderr and returns the exit status
/// (0 verified, 1 a verification failed, 2 usage or configuration error, 3 trust root or
/// registry unreachable). It reads the wall clock, the environment and the files the
/// arguments name.
pub fn run_cli(argv: &[String]) -> std::process::ExitCode {
    cli::run(argv)
}
