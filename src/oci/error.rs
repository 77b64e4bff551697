use core::fmt;

/// Why an `oci://` reference string was rejected (stage `reference`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The reference is longer than [`crate::limits::MAX_REFERENCE_LEN`].
    TooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The reference does not start with `oci://`.
    MissingScheme {
        /// The reference as given.
        input: String,
    },
    /// The registry host (or port) is not a valid host name, IP address or port.
    InvalidRegistry {
        /// The reference as given.
        input: String,
        /// The offending `host[:port]` part.
        registry: String,
    },
    /// There is no repository path after the registry.
    MissingRepository {
        /// The reference as given.
        input: String,
    },
    /// The repository path violates the OCI name grammar.
    InvalidRepository {
        /// The reference as given.
        input: String,
        /// The offending path.
        repository: String,
    },
    /// The tag violates the OCI tag grammar.
    InvalidTag {
        /// The reference as given.
        input: String,
        /// The offending tag.
        tag: String,
    },
    /// The digest is not `sha256:` followed by 64 lowercase hex digits.
    InvalidDigest {
        /// The offending digest text.
        digest: String,
    },
    /// Neither a tag nor a digest was given.
    MissingTagOrDigest {
        /// The reference as given.
        input: String,
    },
}

impl ReferenceError {
    /// Stable machine-readable code, `reference.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "reference.too-long",
            Self::MissingScheme { .. } => "reference.missing-scheme",
            Self::InvalidRegistry { .. } => "reference.invalid-registry",
            Self::MissingRepository { .. } => "reference.missing-repository",
            Self::InvalidRepository { .. } => "reference.invalid-repository",
            Self::InvalidTag { .. } => "reference.invalid-tag",
            Self::InvalidDigest { .. } => "reference.invalid-digest",
            Self::MissingTagOrDigest { .. } => "reference.missing-tag-or-digest",
        }
    }
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong { limit } => {
                write!(f, "the rule-pack reference is longer than {limit} bytes")
            }
            Self::MissingScheme { input } => write!(
                f,
                "the rule-pack reference {input:?} must start with oci:// (for example oci://ghcr.io/org/rules:1.0.0)"
            ),
            Self::InvalidRegistry { input, registry } => write!(
                f,
                "the rule-pack reference {input:?} names the registry {registry:?}, which is not a valid host name, IP address or port"
            ),
            Self::MissingRepository { input } => write!(
                f,
                "the rule-pack reference {input:?} has no repository path after the registry host"
            ),
            Self::InvalidRepository { input, repository } => write!(
                f,
                "the rule-pack reference {input:?} has the repository path {repository:?}, which is not a valid OCI name (lowercase letters, digits and single separators . _ __ - between them, components separated by /)"
            ),
            Self::InvalidTag { input, tag } => write!(
                f,
                "the rule-pack reference {input:?} has the tag {tag:?}, which is not a valid OCI tag (at most 128 of A-Z a-z 0-9 _ . -, not starting with . or -)"
            ),
            Self::InvalidDigest { digest } => write!(
                f,
                "{digest:?} is not a valid digest: only sha256: followed by 64 lowercase hex digits is accepted"
            ),
            Self::MissingTagOrDigest { input } => write!(
                f,
                "the rule-pack reference {input:?} has neither a tag nor a digest; add :<tag> or @sha256:<digest>"
            ),
        }
    }
}

impl std::error::Error for ReferenceError {}

/// Why a registry or OCI layout operation failed (stage `registry`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry could not be reached (DNS, connection, TLS, proxy, I/O).
    Network {
        /// The registry endpoint (`host[:port]`).
        registry: String,
        /// What the transport reported.
        detail: String,
    },
    /// The request did not complete within the configured timeout.
    Timeout {
        /// The registry endpoint (`host[:port]`).
        registry: String,
        /// The whole-request timeout, in seconds.
        seconds: u64,
    },
    /// The pack's or the run's deadline passed before the registry's work was done.
    DeadlineExceeded {
        /// The registry endpoint (`host[:port]`) being waited for.
        registry: String,
        /// Which deadline: the pack's or the run's.
        kind: DeadlineKind,
        /// The deadline, in seconds.
        seconds: u64,
    },
    /// The client configuration is unusable (CA file, proxy, endpoint override).
    ClientConfig {
        /// What is wrong.
        detail: String,
    },
    /// Plain HTTP was requested for a registry the user did not mark as insecure.
    InsecureNotAllowed {
        /// The URL that would have used plain HTTP.
        url: String,
    },
    /// The registry answered 401 even after the authentication flow.
    Unauthorized {
        /// The registry (`host[:port]`).
        registry: String,
        /// The repository.
        repository: String,
        /// The token scope requested.
        scope: String,
    },
    /// The registry answered 403 Forbidden.
    Forbidden {
        /// The registry (`host[:port]`).
        registry: String,
        /// The repository.
        repository: String,
        /// The token scope requested.
        scope: String,
    },
    /// The registry answered 429 Too Many Requests.
    RateLimited {
        /// The registry (`host[:port]`).
        registry: String,
        /// The repository.
        repository: String,
        /// The `Retry-After` header, if any.
        retry_after: Option<String>,
    },
    /// The token service or challenge could not be used.
    AuthFailed {
        /// The registry (`host[:port]`).
        registry: String,
        /// What went wrong.
        detail: String,
    },
    /// The Docker config file with credentials is unreadable or malformed.
    InvalidCredentialsFile {
        /// Its path.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// The manifest, tag or blob does not exist.
    NotFound {
        /// The registry (`host[:port]`) or layout directory.
        registry: String,
        /// The repository.
        repository: String,
        /// What was asked for (tag or digest).
        what: String,
    },
    /// The registry answered with an unexpected HTTP status.
    HttpStatus {
        /// The registry (`host[:port]`).
        registry: String,
        /// The request path.
        path: String,
        /// The status code.
        status: u16,
    },
    /// Too many redirects, or a redirect that cannot be followed.
    BadRedirect {
        /// The URL that answered with the redirect.
        from: String,
        /// Why it was not followed.
        detail: String,
    },
    /// A body is larger than allowed.
    TooLarge {
        /// What was being read.
        what: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// Content does not hash to the digest it was fetched or pinned by.
    DigestMismatch {
        /// What was being checked.
        what: String,
        /// The digest required.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// Content length differs from its descriptor's `size`.
    SizeMismatch {
        /// What was being checked.
        what: String,
        /// The size in the descriptor.
        expected: u64,
        /// The size received.
        actual: u64,
    },
    /// A digest in a header, descriptor or index is not `sha256:<64 lowercase hex>`.
    InvalidDigest {
        /// Where it was found.
        what: String,
        /// The offending value.
        value: String,
    },
    /// A manifest or index is not valid JSON of the expected shape.
    InvalidManifest {
        /// What was being parsed.
        what: String,
        /// What is wrong.
        detail: String,
    },
    /// The `Content-Type` header and the body's `mediaType` disagree.
    MediaTypeMismatch {
        /// What was fetched.
        what: String,
        /// The `Content-Type` header.
        header: String,
        /// The body's `mediaType`.
        body: String,
    },
    /// The media type is not one this verifier handles.
    UnsupportedMediaType {
        /// What was fetched.
        what: String,
        /// The media type.
        media_type: String,
    },
    /// The reference resolves to an image index, but rule packs are single manifests.
    IndexNotSupported {
        /// The reference.
        reference: String,
        /// The index digest.
        digest: String,
    },
    /// The referrers fallback tag does not hold an image index.
    FallbackNotIndex {
        /// The fallback tag.
        tag: String,
        /// What it holds instead.
        media_type: String,
    },
    /// The referrers fallback tag resolves to the subject itself (oras-go#1396).
    FallbackIsSubject {
        /// The fallback tag.
        tag: String,
    },
    /// A referrer manifest's `subject.digest` is not the artifact it was listed for.
    SubjectMismatch {
        /// The referrer manifest digest.
        referrer: String,
        /// The artifact digest.
        expected: String,
        /// The referrer's subject digest, or `none`.
        actual: String,
    },
    /// A Sigstore bundle referrer does not have exactly one bundle layer.
    InvalidBundleReferrer {
        /// The referrer manifest digest.
        referrer: String,
        /// The number of bundle layers found.
        bundle_layers: usize,
    },
    /// More referrers than [`crate::limits::MAX_REFERRERS`].
    TooManyReferrers {
        /// The limit.
        limit: usize,
    },
    /// More referrers pages than [`crate::limits::MAX_REFERRER_PAGES`].
    TooManyReferrerPages {
        /// The limit.
        limit: usize,
    },
    /// More pack layers than [`crate::limits::MAX_PACK_LAYERS`].
    TooManyLayers {
        /// The limit.
        limit: usize,
    },
    /// No Sigstore bundle is attached to the artifact.
    NoBundle {
        /// The reference.
        reference: String,
        /// The artifact digest.
        digest: String,
    },
    /// Only a legacy cosign `.sig` signature tag exists, which is not accepted.
    LegacySignatureOnly {
        /// The reference.
        reference: String,
        /// The legacy tag found.
        tag: String,
    },
    /// The OCI image layout directory is missing or malformed.
    InvalidLayout {
        /// The layout directory.
        path: String,
        /// What is wrong.
        detail: String,
    },
}

/// Which deadline passed (see `docs/` on `rulePacks.timeouts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadlineKind {
    /// One pack's deadline (`rulePacks.timeouts.pack`, `--pack-timeout`).
    Pack,
    /// The whole run's deadline (`rulePacks.timeouts.run`, `--run-timeout`).
    Run,
}

impl RegistryError {
    /// Whether the registry could not be reached at all (network failure, timeout, or
    /// a deadline that passed while waiting for it), as opposed to answering with
    /// something wrong. The CLI exits 3 for these.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Network { .. } | Self::Timeout { .. } | Self::DeadlineExceeded { .. }
        )
    }

    /// Stable machine-readable code, `registry.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Network { .. } => "registry.network",
            Self::Timeout { .. } => "registry.timeout",
            Self::DeadlineExceeded { .. } => "registry.deadline-exceeded",
            Self::ClientConfig { .. } => "registry.client-config",
            Self::InsecureNotAllowed { .. } => "registry.insecure-not-allowed",
            Self::Unauthorized { .. } => "registry.unauthorized",
            Self::Forbidden { .. } => "registry.forbidden",
            Self::RateLimited { .. } => "registry.rate-limited",
            Self::AuthFailed { .. } => "registry.auth-failed",
            Self::InvalidCredentialsFile { .. } => "registry.invalid-credentials-file",
            Self::NotFound { .. } => "registry.not-found",
            Self::HttpStatus { .. } => "registry.http-status",
            Self::BadRedirect { .. } => "registry.bad-redirect",
            Self::TooLarge { .. } => "registry.too-large",
            Self::DigestMismatch { .. } => "registry.digest-mismatch",
            Self::SizeMismatch { .. } => "registry.size-mismatch",
            Self::InvalidDigest { .. } => "registry.invalid-digest",
            Self::InvalidManifest { .. } => "registry.invalid-manifest",
            Self::MediaTypeMismatch { .. } => "registry.media-type-mismatch",
            Self::UnsupportedMediaType { .. } => "registry.unsupported-media-type",
            Self::IndexNotSupported { .. } => "registry.index-not-supported",
            Self::FallbackNotIndex { .. } => "registry.fallback-not-index",
            Self::FallbackIsSubject { .. } => "registry.fallback-is-subject",
            Self::SubjectMismatch { .. } => "registry.subject-mismatch",
            Self::InvalidBundleReferrer { .. } => "registry.invalid-bundle-referrer",
            Self::TooManyReferrers { .. } => "registry.too-many-referrers",
            Self::TooManyReferrerPages { .. } => "registry.too-many-referrer-pages",
            Self::TooManyLayers { .. } => "registry.too-many-layers",
            Self::NoBundle { .. } => "registry.no-bundle",
            Self::LegacySignatureOnly { .. } => "registry.legacy-signature-only",
            Self::InvalidLayout { .. } => "registry.invalid-layout",
        }
    }
}

/// The sentence as built, before credentials are taken out of any URL in it.
struct Unredacted<'a>(&'a RegistryError);

impl fmt::Display for Unredacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            RegistryError::Network { registry, detail } => {
                write!(f, "could not reach registry {registry}: {detail}")
            }
            RegistryError::Timeout { registry, seconds } => write!(
                f,
                "registry {registry} did not answer within {seconds} s"
            ),
            RegistryError::DeadlineExceeded { registry, kind: DeadlineKind::Pack, seconds } => write!(
                f,
                "the rule pack's deadline of {seconds} s passed while waiting for registry {registry} (rulePacks.timeouts.pack, --pack-timeout)"
            ),
            RegistryError::DeadlineExceeded { registry, kind: DeadlineKind::Run, seconds } => write!(
                f,
                "the run's deadline of {seconds} s passed before this pack's work with registry {registry} was done (rulePacks.timeouts.run, --run-timeout)"
            ),
            RegistryError::ClientConfig { detail } => {
                write!(f, "the registry client configuration is unusable: {detail}")
            }
            RegistryError::InsecureNotAllowed { url } => write!(
                f,
                "refusing plain HTTP for {url}: mark the registry as insecure explicitly if that is intended"
            ),
            RegistryError::Unauthorized { registry, repository, scope } => write!(
                f,
                "registry {registry} refused access to repository {repository} (401 unauthorized, scope {scope}); check the credentials in the Docker config file"
            ),
            RegistryError::Forbidden { registry, repository, scope } => write!(
                f,
                "registry {registry} forbids access to repository {repository} (403 forbidden, scope {scope})"
            ),
            RegistryError::RateLimited { registry, repository, retry_after } => {
                write!(
                    f,
                    "registry {registry} is rate-limiting requests for repository {repository} (429 too many requests)"
                )?;
                match retry_after {
                    Some(r) => write!(f, "; it asks to retry after {r}"),
                    None => Ok(()),
                }
            }
            RegistryError::AuthFailed { registry, detail } => {
                write!(f, "authentication with registry {registry} failed: {detail}")
            }
            RegistryError::InvalidCredentialsFile { path, detail } => {
                write!(f, "the Docker config file {path} cannot be used: {detail}")
            }
            RegistryError::NotFound { registry, repository, what } => write!(
                f,
                "{what} was not found in repository {repository} on {registry}"
            ),
            RegistryError::HttpStatus { registry, path, status } => write!(
                f,
                "registry {registry} answered {path} with unexpected HTTP status {status}"
            ),
            RegistryError::BadRedirect { from, detail } => {
                write!(f, "redirect from {from} not followed: {detail}")
            }
            RegistryError::TooLarge { what, limit } => {
                write!(f, "{what} is larger than the limit of {limit} bytes")
            }
            RegistryError::DigestMismatch { what, expected, actual } => write!(
                f,
                "{what} does not match its digest: expected {expected}, got {actual}"
            ),
            RegistryError::SizeMismatch { what, expected, actual } => write!(
                f,
                "{what} has {actual} bytes but its descriptor says {expected}"
            ),
            RegistryError::InvalidDigest { what, value } => write!(
                f,
                "{what} has the digest {value:?}, which is not sha256: followed by 64 lowercase hex digits"
            ),
            RegistryError::InvalidManifest { what, detail } => write!(f, "{what} is malformed: {detail}"),
            RegistryError::MediaTypeMismatch { what, header, body } => write!(
                f,
                "{what} was served as {header} but declares media type {body}"
            ),
            RegistryError::UnsupportedMediaType { what, media_type } => {
                write!(f, "{what} has the unsupported media type {media_type}")
            }
            RegistryError::IndexNotSupported { reference, digest } => write!(
                f,
                "{reference} resolves to an image index ({digest}), but a rule pack must be a single image manifest"
            ),
            RegistryError::FallbackNotIndex { tag, media_type } => write!(
                f,
                "the referrers fallback tag {tag} holds {media_type}, not an image index, so no signatures can be listed through it"
            ),
            RegistryError::FallbackIsSubject { tag } => write!(
                f,
                "the referrers fallback tag {tag} resolves to the signed artifact itself, not to a list of its referrers"
            ),
            RegistryError::SubjectMismatch { referrer, expected, actual } => write!(
                f,
                "the referrer {referrer} is attached to {actual}, not to {expected}"
            ),
            RegistryError::InvalidBundleReferrer { referrer, bundle_layers } => write!(
                f,
                "the Sigstore bundle referrer {referrer} has {bundle_layers} bundle layers; exactly one is required"
            ),
            RegistryError::TooManyReferrers { limit } => {
                write!(f, "the artifact has more than {limit} referrers")
            }
            RegistryError::TooManyReferrerPages { limit } => write!(
                f,
                "the registry's referrers list continues past {limit} pages"
            ),
            RegistryError::TooManyLayers { limit } => {
                write!(f, "the rule pack has more than {limit} layers")
            }
            RegistryError::NoBundle { reference, digest } => write!(
                f,
                "no Sigstore bundle is attached to {reference}@{digest}"
            ),
            RegistryError::LegacySignatureOnly { reference, tag } => write!(
                f,
                "{reference} has only a legacy cosign signature (tag {tag}); legacy signatures are not accepted, re-sign with cosign v3 (Sigstore bundle format)"
            ),
            RegistryError::InvalidLayout { path, detail } => {
                write!(f, "the OCI image layout at {path} is invalid: {detail}")
            }
        }
    }
}

// Messages may quote URLs with credentials in them (mirrors, token realms, redirects,
// a `--tuf-url`): they are never printed, whoever prints the error.
impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::oci::redact_credentials(&Unredacted(self).to_string()))
    }
}

impl std::error::Error for RegistryError {}
