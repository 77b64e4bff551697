//! Every size and count the crate accepts from untrusted input, in one place.
//!
//! Values are this crate's own (docs/verification.md; sigstore-go `internal/limits` for
//! the bundle caps). Each is checked **before** the corresponding allocation
//! or read, so hostile input cannot make the verifier allocate or loop without bound.

/// Maximum size of a Sigstore bundle JSON document (4 MiB).
pub const MAX_BUNDLE_BYTES: usize = 4 * 1024 * 1024;
/// Maximum size of a `trusted_root.json` document (4 MiB).
pub const MAX_TRUSTED_ROOT_BYTES: usize = 4 * 1024 * 1024;
/// Maximum size of an OCI manifest or index (4 MiB).
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;
/// Maximum size of one TUF metadata file (1 MiB).
pub const MAX_TUF_METADATA_BYTES: usize = 1024 * 1024;
/// Maximum size of TUF `timestamp.json` (16 KiB).
pub const MAX_TUF_TIMESTAMP_BYTES: usize = 16 * 1024;
/// Maximum size of one TUF target file (the trusted root, 4 MiB).
pub const MAX_TUF_TARGET_BYTES: usize = 4 * 1024 * 1024;
/// Maximum number of root rotations followed in one TUF update.
pub const MAX_TUF_ROOT_ROTATIONS: usize = 256;
/// Maximum number of TUF delegations visited while searching for a target.
pub const MAX_TUF_DELEGATIONS: usize = 32;
/// Maximum size of one pack layer (64 MiB).
pub const MAX_LAYER_BYTES: u64 = 64 * 1024 * 1024;
/// Maximum total size of the layers of one pack (256 MiB).
pub const MAX_PACK_BYTES: u64 = 256 * 1024 * 1024;
/// Maximum number of layers in one pack manifest.
pub const MAX_PACK_LAYERS: usize = 256;
/// Maximum length of a layer's `org.opencontainers.image.title`, the file path it is
/// pulled to (1 KiB; each path component at most 255 bytes).
pub const MAX_LAYER_TITLE_BYTES: usize = 1024;
/// Maximum number of certificates in a bundle's or CA's certificate chain.
pub const MAX_CERT_CHAIN_LEN: usize = 10;
/// Maximum DER size of one certificate (64 KiB).
pub const MAX_CERT_BYTES: usize = 64 * 1024;
/// Maximum number of transparency-log entries in one bundle.
pub const MAX_TLOG_ENTRIES: usize = 32;
/// Maximum number of RFC 3161 timestamps in one bundle.
pub const MAX_RFC3161_TIMESTAMPS: usize = 32;
/// Maximum DER size of one RFC 3161 timestamp response (64 KiB).
pub const MAX_RFC3161_BYTES: usize = 64 * 1024;
/// Maximum number of signature lines in a checkpoint (more: reject).
pub const MAX_CHECKPOINT_SIGNATURES: usize = 16;
/// Maximum size of a checkpoint signed note (64 KiB).
pub const MAX_CHECKPOINT_BYTES: usize = 64 * 1024;
/// Maximum number of hashes in an inclusion proof.
pub const MAX_INCLUSION_PROOF_HASHES: usize = 64;
/// Maximum size of a decoded `canonicalizedBody` (1 MiB).
pub const MAX_TLOG_BODY_BYTES: usize = 1024 * 1024;
/// Maximum number of embedded SCTs in one certificate.
pub const MAX_SCTS: usize = 16;
/// Maximum DSSE payload size (2 MiB).
pub const MAX_DSSE_PAYLOAD_BYTES: usize = 2 * 1024 * 1024;
/// Maximum number of in-toto statement subjects examined.
pub const MAX_INTOTO_SUBJECTS: usize = 1024;
/// Maximum number of entries in each list of a trusted root.
pub const MAX_TRUST_ROOT_ENTRIES: usize = 64;
/// Maximum number of referrers considered per artifact.
pub const MAX_REFERRERS: usize = 64;
/// Maximum number of referrers-API pages followed.
pub const MAX_REFERRER_PAGES: usize = 8;
/// Maximum number of Sigstore bundle candidates examined for one pack: every
/// referrer that may be listed ([`MAX_REFERRERS`]), so junk bundles in front of a valid
/// one cannot hide it.
pub const MAX_BUNDLES_PER_PACK: usize = MAX_REFERRERS;
/// Maximum bytes of Sigstore bundles fetched for one pack, all candidates together
/// (64 MiB: 16 bundles of the largest size, thousands of real ones).
pub const MAX_BUNDLE_BYTES_PER_PACK: u64 = 64 * 1024 * 1024;
/// Maximum number of HTTP redirects followed per request.
pub const MAX_HTTP_REDIRECTS: u32 = 5;
/// TCP connect timeout, seconds.
pub const HTTP_CONNECT_TIMEOUT_SECS: u64 = 10;
/// Whole-request timeout, seconds.
pub const HTTP_REQUEST_TIMEOUT_SECS: u64 = 60;
/// Maximum size of a registry token response or error body (64 KiB).
pub const MAX_SMALL_HTTP_BODY_BYTES: usize = 64 * 1024;
/// Maximum length of an `oci://` reference string.
pub const MAX_REFERENCE_LEN: usize = 4096;
/// Maximum size of a values/config file (1 MiB).
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;
/// Maximum number of packs in one configuration.
pub const MAX_PACKS: usize = 256;
/// Maximum number of `trustedIdentities` entries.
pub const MAX_TRUSTED_IDENTITIES: usize = 256;
/// Maximum length of one identity regular expression (bytes).
pub const MAX_REGEX_LEN: usize = 4096;
/// Maximum nesting depth accepted in JSON documents.
pub const MAX_JSON_DEPTH: usize = 64;
/// ECDSA fixed-base tables (`crypto`): a public key gets a precomputed table
/// on its this-many-th verification in the process (trusted-root keys in a
/// long-running verifier; a one-shot run uses each key once or twice).
pub const FIXED_BASE_TABLE_AFTER_USES: u32 = 4;
/// Most fixed-base tables kept per curve (about 33 KiB per P-256 key, 75 KiB per
/// P-384 key).
pub const MAX_FIXED_BASE_TABLES: usize = 8;
/// Most distinct public keys whose uses are counted per curve.
pub const MAX_KEYS_COUNTED_FOR_TABLES: usize = 64;
/// Default number of jobs (`--jobs`, `rulePacks.jobs`): packs verified, and layers
/// fetched by `pull`, at the same time. Each job has at most one request in flight, so
/// this also bounds the connections one run opens to one registry. Up to 50 packs are
/// then fetched in one wave, within a few round trips of one pack (docs/benchmarks.md).
pub const DEFAULT_JOBS: usize = 50;
/// Largest accepted number of jobs.
pub const MAX_JOBS: usize = 64;
/// Default deadline for everything one pack does on the network (token, manifest,
/// referrers, bundle, retries and their waits, layers for `pull`), seconds.
pub const DEFAULT_PACK_DEADLINE_SECS: u64 = 120;
/// Default deadline for all the packs of one run, seconds.
pub const DEFAULT_RUN_DEADLINE_SECS: u64 = 300;
/// Largest accepted timeout or deadline setting, seconds (one day).
pub const MAX_TIMEOUT_SECS: u64 = 24 * 60 * 60;
/// Retries of an idempotent request answered 429 or 503 (so at most 1 + this many
/// attempts), each within the deadline.
pub const MAX_HTTP_RETRIES: u32 = 2;
/// Longest `Retry-After` honoured, seconds; a registry asking for a longer wait gets
/// no retry (the pack fails with its answer).
pub const MAX_RETRY_AFTER_SECS: u64 = 5;
/// Wait before a retry when the 429/503 answer has no `Retry-After`, milliseconds
/// (doubled for each further retry).
pub const HTTP_RETRY_BACKOFF_MS: u64 = 500;
/// How long requests wait for a registry's first answer (which tells how it
/// authenticates) before each goes ahead on its own, milliseconds.
pub const FIRST_CONTACT_WAIT_MS: u64 = 2000;
/// Maximum nesting depth of a values (YAML) file.
pub const MAX_YAML_DEPTH: usize = 64;
/// Maximum number of YAML nodes in a values file.
pub const MAX_YAML_NODES: usize = 100_000;
/// Maximum number of registry mirrors configured.
pub const MAX_MIRRORS: usize = 64;
/// Maximum decoded size of one signature in a bundle (message, DSSE or SET), 16 KiB.
pub const MAX_SIGNATURE_BYTES: usize = 16 * 1024;
/// Maximum decoded size of a public key (`rawBytes`) in a trusted root, 16 KiB.
pub const MAX_PUBLIC_KEY_BYTES: usize = 16 * 1024;
/// Maximum decoded size of a log or key ID (`logId.keyId`, `checkpointKeyId.keyId`).
pub const MAX_KEY_ID_BYTES: usize = 64;
/// Maximum number of entries in an OCI image layout's `index.json` (packs plus their
/// referrers, for air-gapped mirrors holding several packs).
pub const MAX_LAYOUT_INDEX_ENTRIES: usize = 1024;
/// Most bytes of verified blobs an OCI image layout keeps in memory during one run, so
/// each is read and hashed once however many packs need it (64 MiB).
pub const MAX_LAYOUT_CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Most blobs an OCI image layout keeps in memory during one run.
pub const MAX_LAYOUT_CACHE_ENTRIES: usize = 4096;
/// Maximum number of keys in one TUF `keys` map (root or delegations).
pub const MAX_TUF_KEYS: usize = 256;
/// Maximum number of signatures on one TUF metadata file.
pub const MAX_TUF_SIGNATURES: usize = 256;
/// Maximum number of roles in one TUF `delegations.roles` list.
pub const MAX_TUF_DELEGATED_ROLES: usize = 256;
/// Smallest accepted RSA modulus, in bits (NIST SP 800-131A Rev. 2 §3: 2048 minimum;
/// the smallest Sigstore `PKIX_RSA_PKCS1V15_*` size).
pub const MIN_RSA_MODULUS_BITS: usize = 2048;
/// Largest accepted RSA modulus, in bits (the largest Sigstore `PKIX_RSA_PKCS1V15_*`
/// size; bounds the work of one verification).
pub const MAX_RSA_MODULUS_BITS: usize = 4096;
/// Smallest accepted RSA public exponent (RFC 8017 §3.1: 3 ≤ e ≤ n - 1, e odd).
pub const MIN_RSA_PUBLIC_EXPONENT: u64 = 3;
/// Largest accepted RSA public exponent, 2^32 - 1 (bounds the work of one verification;
/// real keys use 65537).
pub const MAX_RSA_PUBLIC_EXPONENT: u64 = 0xFFFF_FFFF;
