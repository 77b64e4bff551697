use core::fmt;

use crate::crypto::RSA_FEATURE;
use crate::time::{format_rfc3339, UnixTime};

/// The step of the TUF client workflow (TUF 1.0 "Detailed client workflow") that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Loading the trust anchor (the embedded or `--tuf-root` `root.json`).
    TrustAnchor,
    /// Fetching or verifying root version `version` (§5.3, the root rotation loop).
    Root {
        /// The root version being fetched.
        version: u64,
    },
    /// Fetching or verifying `timestamp.json` (§5.4).
    Timestamp,
    /// Fetching or verifying the snapshot (§5.5).
    Snapshot,
    /// Fetching or verifying the top-level targets metadata (§5.6).
    Targets,
    /// Fetching or verifying a delegated targets role (§5.6.7).
    Delegation {
        /// The delegated role name.
        role: String,
    },
    /// Downloading a target file (§5.7).
    Target {
        /// The target path.
        name: String,
    },
    /// Writing the local metadata cache.
    Cache,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TrustAnchor => f.write_str("trust anchor root.json"),
            Self::Root { version } => write!(f, "root version {version}"),
            Self::Timestamp => f.write_str("timestamp"),
            Self::Snapshot => f.write_str("snapshot"),
            Self::Targets => f.write_str("targets"),
            Self::Delegation { role } => write!(f, "delegated targets role {role:?}"),
            Self::Target { name } => write!(f, "target {name:?}"),
            Self::Cache => f.write_str("cache"),
        }
    }
}

/// Why the TUF trust-root update failed. Every variant is fatal: the verifier never falls
/// back to an older or embedded trust root (docs/verification.md, "Trust policy").
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TufError {
    /// The repository could not be reached (DNS, connect, TLS, timeout, broken body).
    Unreachable {
        /// Step that was fetching.
        step: Step,
        /// URL fetched.
        url: String,
        /// What the network layer reported.
        detail: String,
    },
    /// The run's deadline (`rulePacks.timeouts.run`, `--run-timeout`) passed before the
    /// trust root was obtained.
    DeadlineExceeded {
        /// Step that was fetching (or about to).
        step: Step,
        /// URL fetched.
        url: String,
        /// The deadline, in seconds.
        seconds: u64,
    },
    /// The repository answered with an HTTP status other than 200 (or 403/404 where a
    /// missing file is allowed).
    HttpStatus {
        /// Step that was fetching.
        step: Step,
        /// URL fetched.
        url: String,
        /// HTTP status code.
        status: u16,
    },
    /// A file that must exist is missing from the repository (HTTP 403 or 404).
    NotFound {
        /// Step that was fetching.
        step: Step,
        /// URL fetched.
        url: String,
        /// HTTP status code (403 or 404).
        status: u16,
    },
    /// The response body exceeded the size allowed for this file.
    TooLarge {
        /// Step that was fetching.
        step: Step,
        /// URL fetched.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The URL is not acceptable (not `https://`, or plain `http://` to a non-loopback host).
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why it was refused.
        detail: String,
    },
    /// The metadata is not valid JSON or does not have the TUF shape.
    Malformed {
        /// Step.
        step: Step,
        /// Where it came from (URL or cache file).
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The metadata's `_type` is not the role expected at this step.
    WrongType {
        /// Step.
        step: Step,
        /// URL.
        url: String,
        /// Expected `_type`.
        expected: &'static str,
        /// `_type` found.
        found: String,
    },
    /// Fewer distinct keys than the threshold produced a valid signature.
    ThresholdNotMet {
        /// Step.
        step: Step,
        /// URL.
        url: String,
        /// Whose keys were counted (for example "root version 16" or "the new root itself").
        signed_by: String,
        /// Distinct keys with a valid signature.
        valid: u64,
        /// Threshold required.
        threshold: u64,
    },
    /// The threshold was not met, and signatures by keys of a type this build cannot
    /// check (keytype `rsa`, scheme `rsassa-pss-sha256`, without the `rsa` cargo feature)
    /// might have met it.
    KeyTypeNotEnabled {
        /// Step.
        step: Step,
        /// URL.
        url: String,
        /// Whose keys were counted.
        signed_by: String,
        /// Distinct keys with a valid signature.
        valid: u64,
        /// Threshold required.
        threshold: u64,
        /// Distinct RSA keys whose signatures could not be checked.
        unchecked: u64,
    },
    /// The same keyid signs twice in one `signatures` list.
    DuplicateSignature {
        /// Step.
        step: Step,
        /// URL.
        url: String,
        /// The repeated keyid.
        keyid: String,
    },
    /// A role lists the same keyid twice.
    DuplicateKey {
        /// Step.
        step: Step,
        /// URL.
        url: String,
        /// The role.
        role: String,
        /// The repeated keyid.
        keyid: String,
    },
    /// The metadata version is not the one required (root must be exactly N+1; snapshot
    /// and targets must equal the version the timestamp/snapshot lists).
    VersionMismatch {
        /// Step.
        step: Step,
        /// URL.
        url: String,
        /// Version required.
        expected: u64,
        /// Version found.
        found: u64,
    },
    /// The new metadata is older than metadata already trusted (rollback attack).
    Rollback {
        /// Step.
        step: Step,
        /// URL.
        url: String,
        /// What rolled back (`timestamp.json`, `snapshot.json` listed in the timestamp, ...).
        what: String,
        /// Version trusted so far.
        trusted: u64,
        /// Older version offered.
        found: u64,
    },
    /// A file listed in the trusted snapshot is no longer listed in the new one.
    MetaEntryRemoved {
        /// Step.
        step: Step,
        /// URL.
        url: String,
        /// The file that disappeared.
        name: String,
    },
    /// A metadata file the workflow needs is not listed by its parent role.
    MissingMeta {
        /// Step.
        step: Step,
        /// The file that should be listed.
        name: String,
    },
    /// The metadata has expired (freeze attack), or a trust anchor is expired at the end.
    Expired {
        /// Step.
        step: Step,
        /// URL.
        url: String,
        /// Its `expires`.
        expires: UnixTime,
        /// The time of the check.
        now: UnixTime,
    },
    /// The downloaded length differs from the trusted length.
    LengthMismatch {
        /// Step.
        step: Step,
        /// URL.
        url: String,
        /// Trusted length.
        expected: u64,
        /// Length received.
        found: u64,
    },
    /// A digest of the downloaded file differs from the trusted one.
    HashMismatch {
        /// Step.
        step: Step,
        /// URL.
        url: String,
        /// Hash algorithm.
        algorithm: &'static str,
        /// Trusted digest (hex).
        expected: String,
        /// Digest received (hex).
        found: String,
    },
    /// The trusted metadata lists a hash algorithm this client cannot compute.
    UnknownHashAlgorithm {
        /// Step.
        step: Step,
        /// The algorithm name.
        algorithm: String,
    },
    /// The trusted metadata lists no hash for a file, so it cannot be checked.
    NoHashes {
        /// Step.
        step: Step,
    },
    /// The repository offers more root versions than one update may follow.
    TooManyRootRotations {
        /// The cap.
        limit: usize,
    },
    /// The delegation graph is larger than this client searches.
    TooManyDelegations {
        /// The cap.
        limit: usize,
    },
    /// No trusted targets metadata lists the requested target.
    TargetNotFound {
        /// The target path.
        name: String,
    },
    /// The local cache could not be written.
    CacheWrite {
        /// The file.
        path: String,
        /// The I/O error.
        detail: String,
    },
}

// A remedy never suggests turning verification off: the air-gapped way to verify is a
// reviewed trust root file.
const REMEDY: &str =
    "allow access to the TUF repository (proxy variables are honoured), or, to verify \
without the network, pass a reviewed trusted_root.json with --trusted-root FILE (or \
rulePacks.trustedRoot)";

impl TufError {
    /// Stable machine-readable code, `tuf.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreachable { .. } => "tuf.unreachable",
            Self::DeadlineExceeded { .. } => "tuf.deadline-exceeded",
            Self::HttpStatus { .. } => "tuf.http-status",
            Self::NotFound { .. } => "tuf.not-found",
            Self::TooLarge { .. } => "tuf.too-large",
            Self::InvalidUrl { .. } => "tuf.invalid-url",
            Self::Malformed { .. } => "tuf.malformed",
            Self::WrongType { .. } => "tuf.wrong-type",
            Self::ThresholdNotMet { .. } => "tuf.threshold-not-met",
            Self::KeyTypeNotEnabled { .. } => "tuf.key-type-not-enabled",
            Self::DuplicateSignature { .. } => "tuf.duplicate-signature",
            Self::DuplicateKey { .. } => "tuf.duplicate-key",
            Self::VersionMismatch { .. } => "tuf.version-mismatch",
            Self::Rollback { .. } => "tuf.rollback",
            Self::MetaEntryRemoved { .. } => "tuf.meta-entry-removed",
            Self::MissingMeta { .. } => "tuf.missing-meta",
            Self::Expired { .. } => "tuf.expired",
            Self::LengthMismatch { .. } => "tuf.length-mismatch",
            Self::HashMismatch { .. } => "tuf.hash-mismatch",
            Self::UnknownHashAlgorithm { .. } => "tuf.unknown-hash-algorithm",
            Self::NoHashes { .. } => "tuf.no-hashes",
            Self::TooManyRootRotations { .. } => "tuf.too-many-root-rotations",
            Self::TooManyDelegations { .. } => "tuf.too-many-delegations",
            Self::TargetNotFound { .. } => "tuf.target-not-found",
            Self::CacheWrite { .. } => "tuf.cache-write",
        }
    }

    /// The workflow step that failed, when there is one.
    pub fn step(&self) -> Option<&Step> {
        match self {
            Self::Unreachable { step, .. }
            | Self::DeadlineExceeded { step, .. }
            | Self::HttpStatus { step, .. }
            | Self::NotFound { step, .. }
            | Self::TooLarge { step, .. }
            | Self::Malformed { step, .. }
            | Self::WrongType { step, .. }
            | Self::ThresholdNotMet { step, .. }
            | Self::KeyTypeNotEnabled { step, .. }
            | Self::DuplicateSignature { step, .. }
            | Self::DuplicateKey { step, .. }
            | Self::VersionMismatch { step, .. }
            | Self::Rollback { step, .. }
            | Self::MetaEntryRemoved { step, .. }
            | Self::MissingMeta { step, .. }
            | Self::Expired { step, .. }
            | Self::LengthMismatch { step, .. }
            | Self::HashMismatch { step, .. }
            | Self::UnknownHashAlgorithm { step, .. }
            | Self::NoHashes { step } => Some(step),
            Self::InvalidUrl { .. }
            | Self::TooManyRootRotations { .. }
            | Self::TooManyDelegations { .. }
            | Self::TargetNotFound { .. }
            | Self::CacheWrite { .. } => None,
        }
    }
}

/// The sentence as built, before credentials are taken out of any URL in it.
struct Unredacted<'a>(&'a TufError);

impl fmt::Display for Unredacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            TufError::Unreachable { step, url, detail } => write!(
                f,
                "trust root unreachable: fetching the {step} from {url} failed ({detail}); {REMEDY}"
            ),
            TufError::DeadlineExceeded { step, url, seconds } => write!(
                f,
                "trust root not obtained in time: the run's deadline of {seconds} s passed while fetching the {step} from {url} (rulePacks.timeouts.run, --run-timeout); {REMEDY}"
            ),
            TufError::HttpStatus { step, url, status } => write!(
                f,
                "trust root unreachable: the TUF repository answered HTTP {status} for the {step} at {url}; {REMEDY}"
            ),
            TufError::NotFound { step, url, status } => write!(
                f,
                "the TUF repository has no {step} at {url} (HTTP {status}); {REMEDY}"
            ),
            TufError::TooLarge { step, url, limit } => write!(
                f,
                "the {step} at {url} is larger than the {limit} bytes allowed (endless-data attack?); {REMEDY}"
            ),
            TufError::InvalidUrl { url, detail } => {
                write!(f, "refusing TUF repository URL {url}: {detail}")
            }
            TufError::Malformed { step, url, detail } => write!(
                f,
                "the {step} metadata from {url} is malformed: {detail}; {REMEDY}"
            ),
            TufError::WrongType {
                step,
                url,
                expected,
                found,
            } => write!(
                f,
                "the {step} metadata from {url} has _type {found:?}, expected {expected:?}; {REMEDY}"
            ),
            TufError::ThresholdNotMet {
                step,
                url,
                signed_by,
                valid,
                threshold,
            } => write!(
                f,
                "the {step} metadata from {url} is not signed by enough keys of {signed_by}: \
                 {valid} valid of the {threshold} required; {REMEDY}"
            ),
            TufError::KeyTypeNotEnabled {
                step,
                url,
                signed_by,
                valid,
                threshold,
                unchecked,
            } => write!(
                f,
                "the {step} metadata from {url} is not signed by enough keys of {signed_by}: \
                 {valid} valid of the {threshold} required, and the signatures of {unchecked} \
                 rsa (rsassa-pss-sha256) key(s) could not be checked because this build lacks the \
                 `{RSA_FEATURE}` cargo feature (rebuild with `--features {RSA_FEATURE}`); \
                 {REMEDY}"
            ),
            TufError::DuplicateSignature { step, url, keyid } => write!(
                f,
                "the {step} metadata from {url} carries two signatures by key {keyid}; {REMEDY}"
            ),
            TufError::DuplicateKey {
                step,
                url,
                role,
                keyid,
            } => write!(
                f,
                "the {step} metadata from {url} lists key {keyid} twice for role {role}; {REMEDY}"
            ),
            TufError::VersionMismatch {
                step,
                url,
                expected,
                found,
            } => write!(
                f,
                "the {step} metadata from {url} has version {found}, expected {expected}; {REMEDY}"
            ),
            TufError::Rollback {
                step,
                url,
                what,
                trusted,
                found,
            } => write!(
                f,
                "rollback refused: the {step} metadata from {url} offers {what} version {found}, \
                 older than the trusted version {trusted}; {REMEDY}"
            ),
            TufError::MetaEntryRemoved { step, url, name } => write!(
                f,
                "the {step} metadata from {url} no longer lists {name}, which the trusted snapshot lists; {REMEDY}"
            ),
            TufError::MissingMeta { step, name } => write!(
                f,
                "the {step} cannot be checked: its parent metadata does not list {name}; {REMEDY}"
            ),
            TufError::Expired {
                step,
                url,
                expires,
                now,
            } => write!(
                f,
                "the {step} metadata from {url} expired at {} (now {}): the repository is stale or frozen; {REMEDY}",
                format_rfc3339(*expires),
                format_rfc3339(*now)
            ),
            TufError::LengthMismatch {
                step,
                url,
                expected,
                found,
            } => write!(
                f,
                "the {step} from {url} is {found} bytes, the trusted metadata says {expected}; {REMEDY}"
            ),
            TufError::HashMismatch {
                step,
                url,
                algorithm,
                expected,
                found,
            } => write!(
                f,
                "the {step} from {url} has {algorithm} {found}, the trusted metadata says {expected}; {REMEDY}"
            ),
            TufError::UnknownHashAlgorithm { step, algorithm } => write!(
                f,
                "the {step} cannot be checked: the trusted metadata uses unknown hash algorithm {algorithm:?}; {REMEDY}"
            ),
            TufError::NoHashes { step } => write!(
                f,
                "the {step} cannot be checked: the trusted metadata lists no hashes for it; {REMEDY}"
            ),
            TufError::TooManyRootRotations { limit } => write!(
                f,
                "the TUF repository offers more than {limit} new root versions in one update; {REMEDY}"
            ),
            TufError::TooManyDelegations { limit } => write!(
                f,
                "the TUF delegation graph has more than {limit} roles to search; {REMEDY}"
            ),
            TufError::TargetNotFound { name } => write!(
                f,
                "the TUF repository does not list target {name:?} in its signed targets metadata; {REMEDY}"
            ),
            TufError::CacheWrite { path, detail } => write!(
                f,
                "cannot write the TUF cache file {path}: {detail}; point the cache at a writable directory"
            ),
        }
    }
}

// Messages may quote URLs with credentials in them (mirrors, token realms, redirects,
// a `--tuf-url`): they are never printed, whoever prints the error.
impl fmt::Display for TufError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::oci::redact_credentials(&Unredacted(self).to_string()))
    }
}

impl std::error::Error for TufError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_tuf_code_and_a_sentence() {
        let s = || Step::Root { version: 17 };
        let u = || "https://example.test/17.root.json".to_string();
        let all = [
            TufError::Unreachable {
                step: s(),
                url: u(),
                detail: "dns".into(),
            },
            TufError::DeadlineExceeded {
                step: s(),
                url: u(),
                seconds: 300,
            },
            TufError::HttpStatus {
                step: s(),
                url: u(),
                status: 500,
            },
            TufError::ThresholdNotMet {
                step: s(),
                url: u(),
                signed_by: "root version 16".into(),
                valid: 1,
                threshold: 3,
            },
            TufError::KeyTypeNotEnabled {
                step: s(),
                url: u(),
                signed_by: "root version 16".into(),
                valid: 0,
                threshold: 1,
                unchecked: 1,
            },
            TufError::Expired {
                step: Step::Timestamp,
                url: u(),
                expires: 0,
                now: 1,
            },
            TufError::TargetNotFound { name: "x".into() },
        ];
        for e in all {
            assert!(e.code().starts_with("tuf."));
            let text = e.to_string();
            assert!(!text.contains("{"), "{text}");
            assert!(text.contains("--trusted-root FILE"), "{text}");
        }
    }
}
