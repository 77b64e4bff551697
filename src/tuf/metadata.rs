//! TUF 1.0 metadata: parsing of the four top-level roles and delegated targets, key
//! parsing, and signature-threshold counting. Pure: no I/O, no clock.
//!
//! Spec: TUF 1.0.34 §4 "Document formats"; python-tuf `tuf/api/metadata.py` is the
//! reference for what is strict and what is tolerated.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::canonical::canonicalize;
use super::error::{Step, TufError};
use crate::crypto::{CryptoError, HashAlgorithm, KeyAlgorithm, PublicKey};
use crate::encoding::hex_decode;
use crate::limits::{MAX_TUF_DELEGATED_ROLES, MAX_TUF_KEYS, MAX_TUF_SIGNATURES};
use crate::time::{parse_rfc3339, UnixTime};

/// Where a document came from, for error messages.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub(crate) step: &'a Step,
    pub(crate) url: &'a str,
}

impl Ctx<'_> {
    pub(crate) fn malformed(&self, detail: impl Into<String>) -> TufError {
        TufError::Malformed {
            step: self.step.clone(),
            url: self.url.to_string(),
            detail: detail.into(),
        }
    }
}

/// One `{keyid, sig}` entry. `sig` is `None` when empty or not hex: such a signature is
/// never counted, but is not a parse error (tuf-conformance `test_invalid_sig_in_valid_metadata`;
/// Sigstore roots v12–v14 carry `"sig": ""` for keyholders who did not sign).
#[derive(Clone, Debug)]
pub(crate) struct Signature {
    pub(crate) sig: Option<Vec<u8>>,
}

/// The TUF signature schemes this client counts (TUF 1.0.34 §4.2 KEYTYPE and SCHEME).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `ecdsa-sha2-nistp256`: DER ECDSA P-256 over SHA-256 of the canonical bytes.
    EcdsaSha2Nistp256,
    /// `ed25519`: pure Ed25519 over the canonical bytes.
    Ed25519,
    /// `rsassa-pss-sha256` (keytype `rsa`): RSASSA-PSS, SHA-256, MGF1-SHA-256, over the
    /// canonical bytes (needs the `rsa` cargo feature).
    RsassaPssSha256,
}

/// A key this client can count: the key and the scheme its metadata names.
#[derive(Clone, Debug)]
pub(crate) struct TufKey {
    pub(crate) key: PublicKey,
    pub(crate) scheme: Scheme,
}

impl TufKey {
    fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        match self.scheme {
            // ecdsa-sha2-nistp256: ECDSA over SHA-256, DER signature, high-S accepted;
            // ed25519: the hash argument is ignored.
            Scheme::EcdsaSha2Nistp256 | Scheme::Ed25519 => {
                self.key.verify(HashAlgorithm::Sha256, msg, sig)
            }
            Scheme::RsassaPssSha256 => self.key.verify_rsa_pss(HashAlgorithm::Sha256, msg, sig),
        }
    }
}

/// Keys by keyid. `None` = a key of a type or scheme this client does not count, or
/// whose material does not parse.
pub(crate) type KeyMap = BTreeMap<String, Option<TufKey>>;

/// `{keyids, threshold}` of a role (TUF §4.3 ROLE).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RoleKeys {
    pub(crate) keyids: Vec<String>,
    pub(crate) threshold: u64,
}

/// Fields common to every role's `signed` (TUF §4.2).
#[derive(Clone, Debug)]
pub(crate) struct Common {
    pub(crate) version: u64,
    pub(crate) expires: UnixTime,
}

/// A parsed metadata file: the role, the canonical bytes its signatures cover, the
/// signatures by keyid, and the bytes as received (what is persisted).
#[derive(Clone, Debug)]
pub(crate) struct Signed<T> {
    pub(crate) common: Common,
    pub(crate) role: T,
    pub(crate) canonical: Vec<u8>,
    pub(crate) signatures: BTreeMap<String, Signature>,
    pub(crate) raw: Vec<u8>,
}

/// `root.json` (TUF §4.3).
#[derive(Clone, Debug)]
pub(crate) struct Root {
    pub(crate) consistent_snapshot: bool,
    pub(crate) keys: KeyMap,
    pub(crate) roles: BTreeMap<String, RoleKeys>,
}

impl Root {
    /// The keyids/threshold of a top-level role (all four exist: checked at parse).
    pub(crate) fn role(&self, name: &str) -> RoleKeys {
        self.roles.get(name).cloned().unwrap_or(RoleKeys {
            keyids: Vec::new(),
            threshold: 1,
        })
    }

    /// The role's public keys as SPKI DER, for detecting key rotation.
    pub(crate) fn role_key_set(&self, name: &str) -> (BTreeSet<Vec<u8>>, u64) {
        let role = self.role(name);
        let set = role
            .keyids
            .iter()
            .filter_map(|id| self.keys.get(id).cloned().flatten())
            .map(|k| k.key.spki_der().to_vec())
            .collect();
        (set, role.threshold)
    }
}

/// `{version, length?, hashes?}` (TUF §4.4 METAFILES).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MetaFile {
    pub(crate) version: u64,
    pub(crate) length: Option<u64>,
    pub(crate) hashes: Option<BTreeMap<String, String>>,
}

/// `timestamp.json` (TUF §4.6).
#[derive(Clone, Debug)]
pub(crate) struct Timestamp {
    pub(crate) snapshot: MetaFile,
}

/// `snapshot.json` (TUF §4.4).
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    pub(crate) meta: BTreeMap<String, MetaFile>,
}

/// `{length, hashes}` of a target (TUF §4.5 TARGETS). Hashes are kept as written: an
/// unknown algorithm or an empty map is rejected when the target is downloaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TargetFile {
    pub(crate) length: u64,
    pub(crate) hashes: BTreeMap<String, String>,
}

/// One delegated role (TUF §4.5 DELEGATIONS).
#[derive(Clone, Debug)]
pub(crate) struct Delegation {
    pub(crate) name: String,
    pub(crate) keys: RoleKeys,
    pub(crate) terminating: bool,
    pub(crate) paths: Option<Vec<String>>,
    pub(crate) path_hash_prefixes: Option<Vec<String>>,
}

/// `targets.json` or a delegated targets role (TUF §4.5).
#[derive(Clone, Debug)]
pub(crate) struct Targets {
    pub(crate) targets: BTreeMap<String, TargetFile>,
    pub(crate) delegation_keys: KeyMap,
    pub(crate) delegations: Vec<Delegation>,
}

fn obj<'v>(ctx: Ctx<'_>, v: &'v Value, what: &str) -> Result<&'v Map<String, Value>, TufError> {
    v.as_object()
        .ok_or_else(|| ctx.malformed(format!("{what} is not a JSON object")))
}

fn field<'v>(ctx: Ctx<'_>, m: &'v Map<String, Value>, name: &str) -> Result<&'v Value, TufError> {
    m.get(name)
        .ok_or_else(|| ctx.malformed(format!("field {name:?} is missing")))
}

fn string<'v>(ctx: Ctx<'_>, m: &'v Map<String, Value>, name: &str) -> Result<&'v str, TufError> {
    field(ctx, m, name)?
        .as_str()
        .ok_or_else(|| ctx.malformed(format!("field {name:?} is not a string")))
}

fn uint(ctx: Ctx<'_>, v: &Value, name: &str) -> Result<u64, TufError> {
    v.as_u64()
        .ok_or_else(|| ctx.malformed(format!("{name} is not a non-negative integer")))
}

fn positive(ctx: Ctx<'_>, v: &Value, name: &str) -> Result<u64, TufError> {
    // python-tuf: version, threshold and length must be > 0.
    match uint(ctx, v, name)? {
        0 => Err(ctx.malformed(format!("{name} must be at least 1"))),
        n => Ok(n),
    }
}

/// TUF §4.2: `spec_version` is "1.0" (Sigstore) or "1.0.x"; python-tuf accepts 2 or 3
/// numeric parts with major version 1 (`tuf/api/_payload.py`).
fn check_spec_version(ctx: Ctx<'_>, s: &str) -> Result<(), TufError> {
    let parts: Vec<&str> = s.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    if !(2..=3).contains(&parts.len()) || !numeric || parts.first() != Some(&"1") {
        return Err(ctx.malformed(format!("unsupported spec_version {s:?}")));
    }
    Ok(())
}

/// Parses a key object (TUF §4.2 KEY). Keys of a supported type whose material does not
/// parse, and keys of other types, are kept as `None`: present, never counted.
fn parse_key(ctx: Ctx<'_>, v: &Value) -> Result<Option<TufKey>, TufError> {
    let m = obj(ctx, v, "key")?;
    let keytype = string(ctx, m, "keytype")?;
    let scheme = string(ctx, m, "scheme")?;
    let keyval = obj(ctx, field(ctx, m, "keyval")?, "keyval")?;
    let public = string(ctx, keyval, "public")?;
    let (key, scheme) = match (keytype, scheme) {
        // Roots v1–v8 use keytype `ecdsa-sha2-nistp256`, v10+ `ecdsa` (PEM); v9 mixes both.
        ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
            let key = if public.trim_start().starts_with("-----BEGIN") {
                PublicKey::from_pem(public).ok()
            } else {
                hex_decode(public).and_then(|p| p256_from_sec1(&p))
            };
            (
                key.filter(|k| k.algorithm() == KeyAlgorithm::EcdsaP256),
                Scheme::EcdsaSha2Nistp256,
            )
        }
        ("ed25519", "ed25519") => (
            hex_decode(public).and_then(|raw| {
                PublicKey::from_ed25519_raw(&raw)
                    .ok()
                    .filter(|k| k.algorithm() == KeyAlgorithm::Ed25519)
            }),
            Scheme::Ed25519,
        ),
        // TUF §4.2: keytype "rsa", scheme "rsassa-pss-sha256", "PUBLIC is in PEM format
        // and a string. All RSA keys must be at least 2048 bits." (SubjectPublicKeyInfo,
        // as securesystemslib writes it). The crate's RSA bounds apply: 2048 to 4096 bits.
        // Without the `rsa` feature the key parses but no signature counts, and a threshold
        // it might have met is `tuf.key-type-not-enabled`.
        ("rsa", "rsassa-pss-sha256") => (
            PublicKey::from_pem(public)
                .ok()
                .filter(|k| matches!(k.algorithm(), KeyAlgorithm::RsaPkcs1v15 { .. })),
            Scheme::RsassaPssSha256,
        ),
        _ => return Ok(None),
    };
    Ok(key.map(|key| TufKey { key, scheme }))
}

/// A P-256 key from a SEC1 point (uncompressed or compressed), wrapped in the fixed
/// SubjectPublicKeyInfo prefix of RFC 5480 §2 (id-ecPublicKey, secp256r1).
fn p256_from_sec1(point: &[u8]) -> Option<PublicKey> {
    const UNCOMPRESSED: [u8; 26] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    const COMPRESSED: [u8; 26] = [
        0x30, 0x39, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x22, 0x00,
    ];
    let prefix = match point.len() {
        65 => UNCOMPRESSED,
        33 => COMPRESSED,
        _ => return None,
    };
    let mut der = prefix.to_vec();
    der.extend_from_slice(point);
    PublicKey::from_spki_der(&der).ok()
}

fn parse_keys(ctx: Ctx<'_>, v: &Value) -> Result<KeyMap, TufError> {
    let m = obj(ctx, v, "keys")?;
    if m.len() > MAX_TUF_KEYS {
        return Err(ctx.malformed(format!(
            "{} keys, more than the {MAX_TUF_KEYS} allowed",
            m.len()
        )));
    }
    // Keyids are opaque: a keyid that is not the hash of its key is NOT rejected
    // (one key of Sigstore root v11 mismatches; sigstore-rs #429/#431, python-tuf, go-tuf).
    m.iter()
        .map(|(id, k)| Ok((id.clone(), parse_key(ctx, k)?)))
        .collect()
}

fn parse_role_keys(ctx: Ctx<'_>, m: &Map<String, Value>, role: &str) -> Result<RoleKeys, TufError> {
    let ids = field(ctx, m, "keyids")?
        .as_array()
        .ok_or_else(|| ctx.malformed(format!("keyids of role {role:?} is not an array")))?;
    if ids.len() > MAX_TUF_KEYS {
        return Err(ctx.malformed(format!("role {role:?} lists too many keyids")));
    }
    let mut keyids = Vec::with_capacity(ids.len());
    for id in ids {
        let id = id
            .as_str()
            .ok_or_else(|| ctx.malformed(format!("a keyid of role {role:?} is not a string")))?;
        // python-tuf `Role.__init__`: "keyids should be a list of unique strings".
        if keyids.iter().any(|k: &String| k == id) {
            return Err(TufError::DuplicateKey {
                step: ctx.step.clone(),
                url: ctx.url.to_string(),
                role: role.to_string(),
                keyid: id.to_string(),
            });
        }
        keyids.push(id.to_string());
    }
    let threshold = positive(ctx, field(ctx, m, "threshold")?, "threshold")?;
    Ok(RoleKeys { keyids, threshold })
}

fn parse_meta_file(ctx: Ctx<'_>, name: &str, v: &Value) -> Result<MetaFile, TufError> {
    let m = obj(ctx, v, name)?;
    let version = positive(ctx, field(ctx, m, "version")?, "meta version")?;
    let length = m
        .get("length")
        .map(|l| positive(ctx, l, "meta length"))
        .transpose()?;
    let hashes = m.get("hashes").map(|h| parse_hashes(ctx, h)).transpose()?;
    Ok(MetaFile {
        version,
        length,
        hashes,
    })
}

fn parse_hashes(ctx: Ctx<'_>, v: &Value) -> Result<BTreeMap<String, String>, TufError> {
    let m = obj(ctx, v, "hashes")?;
    if m.len() > MAX_TUF_KEYS {
        return Err(ctx.malformed("too many hashes"));
    }
    m.iter()
        .map(|(alg, h)| {
            let h = h
                .as_str()
                .ok_or_else(|| ctx.malformed(format!("hash {alg:?} is not a string")))?;
            Ok((alg.clone(), h.to_string()))
        })
        .collect()
}

/// The role names, in the `_type` field.
pub(crate) trait RoleType: Sized {
    /// `_type` value.
    const TYPE: &'static str;
    /// Parses the role-specific fields of `signed`.
    fn parse(ctx: Ctx<'_>, signed: &Map<String, Value>) -> Result<Self, TufError>;
}

impl RoleType for Root {
    const TYPE: &'static str = "root";
    fn parse(ctx: Ctx<'_>, s: &Map<String, Value>) -> Result<Self, TufError> {
        let consistent_snapshot = match s.get("consistent_snapshot") {
            None => false,
            Some(v) => v
                .as_bool()
                .ok_or_else(|| ctx.malformed("consistent_snapshot is not a boolean"))?,
        };
        let keys = parse_keys(ctx, field(ctx, s, "keys")?)?;
        let roles_obj = obj(ctx, field(ctx, s, "roles")?, "roles")?;
        // python-tuf `Root.__init__`: roles must be exactly the four top-level roles.
        let mut roles = BTreeMap::new();
        for name in ["root", "timestamp", "snapshot", "targets"] {
            let r = obj(ctx, field(ctx, roles_obj, name)?, "role")?;
            roles.insert(name.to_string(), parse_role_keys(ctx, r, name)?);
        }
        if roles_obj.len() != 4 {
            return Err(ctx.malformed("roles must list exactly root, timestamp, snapshot, targets"));
        }
        Ok(Self {
            consistent_snapshot,
            keys,
            roles,
        })
    }
}

impl RoleType for Timestamp {
    const TYPE: &'static str = "timestamp";
    fn parse(ctx: Ctx<'_>, s: &Map<String, Value>) -> Result<Self, TufError> {
        let meta = obj(ctx, field(ctx, s, "meta")?, "meta")?;
        let snapshot = parse_meta_file(ctx, "snapshot.json", field(ctx, meta, "snapshot.json")?)?;
        Ok(Self { snapshot })
    }
}

impl RoleType for Snapshot {
    const TYPE: &'static str = "snapshot";
    fn parse(ctx: Ctx<'_>, s: &Map<String, Value>) -> Result<Self, TufError> {
        let meta = obj(ctx, field(ctx, s, "meta")?, "meta")?
            .iter()
            .map(|(k, v)| Ok((k.clone(), parse_meta_file(ctx, k, v)?)))
            .collect::<Result<_, TufError>>()?;
        Ok(Self { meta })
    }
}

impl RoleType for Targets {
    const TYPE: &'static str = "targets";
    fn parse(ctx: Ctx<'_>, s: &Map<String, Value>) -> Result<Self, TufError> {
        let mut targets = BTreeMap::new();
        for (name, t) in obj(ctx, field(ctx, s, "targets")?, "targets")? {
            let m = obj(ctx, t, "target")?;
            let length = uint(ctx, field(ctx, m, "length")?, "target length")?;
            let hashes = parse_hashes(ctx, field(ctx, m, "hashes")?)?;
            targets.insert(name.clone(), TargetFile { length, hashes });
        }
        let (delegation_keys, delegations) = match s.get("delegations") {
            None => (KeyMap::new(), Vec::new()),
            Some(d) => parse_delegations(ctx, obj(ctx, d, "delegations")?)?,
        };
        Ok(Self {
            targets,
            delegation_keys,
            delegations,
        })
    }
}

fn string_list(ctx: Ctx<'_>, v: &Value, name: &str) -> Result<Vec<String>, TufError> {
    let a = v
        .as_array()
        .ok_or_else(|| ctx.malformed(format!("{name} is not an array")))?;
    if a.len() > MAX_TUF_DELEGATED_ROLES {
        return Err(ctx.malformed(format!("{name} has too many entries")));
    }
    a.iter()
        .map(|p| {
            p.as_str()
                .map(str::to_string)
                .ok_or_else(|| ctx.malformed(format!("an entry of {name} is not a string")))
        })
        .collect()
}

fn parse_delegations(
    ctx: Ctx<'_>,
    d: &Map<String, Value>,
) -> Result<(KeyMap, Vec<Delegation>), TufError> {
    let keys = parse_keys(ctx, field(ctx, d, "keys")?)?;
    // TAP 15 `succinct_roles` is not supported: such delegations are not followed, so
    // targets behind them are "not found" (fails closed).
    let roles = match d.get("roles") {
        None => return Ok((keys, Vec::new())),
        Some(r) => r
            .as_array()
            .ok_or_else(|| ctx.malformed("delegations.roles is not an array"))?,
    };
    if roles.len() > MAX_TUF_DELEGATED_ROLES {
        return Err(ctx.malformed(format!(
            "{} delegated roles, more than the {MAX_TUF_DELEGATED_ROLES} allowed",
            roles.len()
        )));
    }
    let mut out: Vec<Delegation> = Vec::with_capacity(roles.len());
    for r in roles {
        let m = obj(ctx, r, "delegated role")?;
        let name = string(ctx, m, "name")?.to_string();
        // python-tuf `Delegations.__init__`: "Delegated roles cannot be empty or use
        // top-level role names".
        if name.is_empty() || ["root", "timestamp", "snapshot", "targets"].contains(&name.as_str())
        {
            return Err(ctx.malformed(format!("delegated role name {name:?} is not allowed")));
        }
        if out.iter().any(|d| d.name == name) {
            return Err(ctx.malformed(format!("delegated role {name:?} is listed twice")));
        }
        let role_keys = parse_role_keys(ctx, m, &name)?;
        let terminating = match m.get("terminating") {
            None => false,
            Some(t) => t
                .as_bool()
                .ok_or_else(|| ctx.malformed("terminating is not a boolean"))?,
        };
        let paths = m
            .get("paths")
            .map(|p| string_list(ctx, p, "paths"))
            .transpose()?;
        let path_hash_prefixes = m
            .get("path_hash_prefixes")
            .map(|p| string_list(ctx, p, "path_hash_prefixes"))
            .transpose()?;
        // TUF §4.5: "Either paths or path_hash_prefixes MUST be specified", not both.
        if paths.is_some() == path_hash_prefixes.is_some() {
            return Err(ctx.malformed(format!(
                "delegated role {name:?} must have exactly one of paths and path_hash_prefixes"
            )));
        }
        out.push(Delegation {
            name,
            keys: role_keys,
            terminating,
            paths,
            path_hash_prefixes,
        });
    }
    Ok((keys, out))
}

/// Parses a metadata file of role `T` (TUF §4.2 `{"signed": …, "signatures": […]}`).
/// Checks structure only: signatures are counted by [`verify_threshold`].
pub(crate) fn parse<T: RoleType>(ctx: Ctx<'_>, bytes: &[u8]) -> Result<Signed<T>, TufError> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| ctx.malformed(format!("not valid JSON: {e}")))?;
    let top = obj(ctx, &doc, "metadata")?;
    let signed_v = field(ctx, top, "signed")?;
    let signed = obj(ctx, signed_v, "signed")?;
    let sigs = field(ctx, top, "signatures")?
        .as_array()
        .ok_or_else(|| ctx.malformed("signatures is not an array"))?;
    if sigs.len() > MAX_TUF_SIGNATURES {
        return Err(ctx.malformed(format!(
            "{} signatures, more than the {MAX_TUF_SIGNATURES} allowed",
            sigs.len()
        )));
    }
    let mut signatures = BTreeMap::new();
    for s in sigs {
        let m = obj(ctx, s, "signature")?;
        let keyid = string(ctx, m, "keyid")?;
        let sig = string(ctx, m, "sig")?;
        let sig = Signature {
            sig: hex_decode(sig).filter(|b| !b.is_empty()),
        };
        // python-tuf `Metadata.from_dict`: "Multiple signatures found for keyid".
        if signatures.insert(keyid.to_string(), sig).is_some() {
            return Err(TufError::DuplicateSignature {
                step: ctx.step.clone(),
                url: ctx.url.to_string(),
                keyid: keyid.to_string(),
            });
        }
    }
    let ty = string(ctx, signed, "_type")?;
    if ty != T::TYPE {
        return Err(TufError::WrongType {
            step: ctx.step.clone(),
            url: ctx.url.to_string(),
            expected: T::TYPE,
            found: ty.to_string(),
        });
    }
    check_spec_version(ctx, string(ctx, signed, "spec_version")?)?;
    let version = positive(ctx, field(ctx, signed, "version")?, "version")?;
    // TUF §4.2: expires is "YYYY-MM-DDTHH:MM:SSZ". Root v1 of Sigstore has fractional
    // seconds and an offset, so full RFC 3339 is accepted.
    let expires_s = string(ctx, signed, "expires")?;
    let expires = parse_rfc3339(expires_s)
        .ok_or_else(|| ctx.malformed(format!("expires {expires_s:?} is not a date")))?;
    let canonical = canonicalize(signed_v).map_err(|e| ctx.malformed(e.to_string()))?;
    let role = T::parse(ctx, signed)?;
    Ok(Signed {
        common: Common { version, expires },
        role,
        canonical,
        signatures,
        raw: bytes.to_vec(),
    })
}

/// The distinct keys of a role with a valid signature, and those whose signature this
/// build cannot check (RSA without the `rsa` feature).
struct Tally {
    valid: BTreeSet<Vec<u8>>,
    not_enabled: BTreeSet<Vec<u8>>,
}

fn tally<T>(doc: &Signed<T>, keys: &KeyMap, role: &RoleKeys) -> Tally {
    let mut t = Tally {
        valid: BTreeSet::new(),
        not_enabled: BTreeSet::new(),
    };
    for keyid in &role.keyids {
        let (Some(Some(key)), Some(Signature { sig: Some(sig) })) =
            (keys.get(keyid), doc.signatures.get(keyid))
        else {
            continue;
        };
        // A key counts once however it is encoded (a compressed and an uncompressed P-256
        // point are one key).
        match key.verify(&doc.canonical, sig) {
            Ok(()) => {
                t.valid.insert(key.key.identity());
            }
            Err(CryptoError::RsaNotEnabled { .. }) => {
                t.not_enabled.insert(key.key.identity());
            }
            Err(_) => {}
        }
    }
    t
}

fn len_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Counts the distinct keys of `role` (looked up in `keys`) with a valid signature.
///
/// go-tuf `VerifyDelegate` (#733): each distinct public key counts once, however many
/// keyids name it; undecodable, empty and invalid signatures are not counted.
#[cfg(any(test, feature = "unstable-internals"))]
pub(crate) fn count_valid<T>(doc: &Signed<T>, keys: &KeyMap, role: &RoleKeys) -> u64 {
    len_u64(tally(doc, keys, role).valid.len())
}

/// TUF §5.3.4/§5.4.2/…: a threshold of the role's keys must have signed.
pub(crate) fn verify_threshold<T>(
    ctx: Ctx<'_>,
    doc: &Signed<T>,
    keys: &KeyMap,
    role: &RoleKeys,
    signed_by: impl FnOnce() -> String,
) -> Result<(), TufError> {
    let t = tally(doc, keys, role);
    let valid = len_u64(t.valid.len());
    let unchecked = len_u64(t.not_enabled.len());
    if valid < role.threshold && valid.saturating_add(unchecked) >= role.threshold {
        // Only RSA keys can be unavailable in a build (the `rsa` cargo feature); this
        // error only when their signatures could have made up the threshold.
        return Err(TufError::KeyTypeNotEnabled {
            step: ctx.step.clone(),
            url: ctx.url.to_string(),
            signed_by: signed_by(),
            valid,
            threshold: role.threshold,
            unchecked,
        });
    }
    if valid < role.threshold {
        return Err(TufError::ThresholdNotMet {
            step: ctx.step.clone(),
            url: ctx.url.to_string(),
            signed_by: signed_by(),
            valid,
            threshold: role.threshold,
        });
    }
    Ok(())
}

/// Shell-style match of one path against a delegation pattern (TUF §4.5 PATHPATTERN,
/// python-tuf `_is_target_in_pathpattern`): both are split on `/`, must have the same
/// number of components, and each component matches with `*` (any run) and `?` (one
/// character). `*` never crosses a `/`.
pub(crate) fn path_matches(pattern: &str, target: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let t: Vec<&str> = target.split('/').collect();
    p.len() == t.len() && p.iter().zip(&t).all(|(p, t)| glob(p, t))
}

fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some('*'), _) => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some(pc), Some(tc)) if *pc == '?' || pc == tc => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// TUF §5.6.7.1: does `delegation` cover `target`?
pub(crate) fn delegation_covers(delegation: &Delegation, target: &str) -> bool {
    if let Some(paths) = &delegation.paths {
        return paths.iter().any(|p| path_matches(p, target));
    }
    if let Some(prefixes) = &delegation.path_hash_prefixes {
        let h = crate::encoding::hex_encode(&crate::crypto::sha256(target.as_bytes()));
        return prefixes.iter().any(|p| h.starts_with(p.as_str()));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx_step() -> Step {
        Step::TrustAnchor
    }

    #[test]
    fn embedded_root_v16_parses_and_signs_itself() {
        let step = ctx_step();
        let ctx = Ctx {
            step: &step,
            url: "embedded",
        };
        let root: Signed<Root> = parse(ctx, super::super::EMBEDDED_SIGSTORE_ROOT).unwrap();
        assert_eq!(root.common.version, 16);
        assert!(root.role.consistent_snapshot);
        assert_eq!(root.role.keys.len(), 6);
        assert!(root.role.keys.values().all(Option::is_some));
        let r = root.role.role("root");
        assert_eq!((r.keyids.len(), r.threshold), (5, 3));
        // TUF.md §2: all 5 of 5 self-signatures verify.
        assert_eq!(count_valid(&root, &root.role.keys, &r), 5);
    }

    /// Valid signatures by distinct keys that the root role of the public-good root in
    /// row `i` (version `PUBLIC_GOOD_ROOTS[i]`) finds on the root in column `j`, for every
    /// vendored pair. Computed independently of this crate (Python `cryptography` over
    /// securesystemslib canonical JSON, `scripts/tuf-root-signature-matrix.py`). The
    /// diagonal is each root's own count; the first superdiagonal the rotations
    /// v7→v8→v9→v10 and v12→…→v16 (v11 is in no package); 0 = keys no longer in use.
    const ROOT_SIGNATURE_MATRIX: [[u64; 10]; 10] = [
        // on: 5  7  8  9 10 12 13 14 15 16
        [4, 4, 4, 5, 0, 0, 0, 0, 0, 0], // keys of v5
        [4, 4, 4, 5, 0, 0, 0, 0, 0, 0], // v7
        [4, 4, 4, 5, 0, 0, 0, 0, 0, 0], // v8
        [0, 0, 0, 5, 5, 0, 0, 0, 0, 0], // v9 (the same keys under new keyids)
        [0, 0, 0, 0, 5, 3, 4, 3, 4, 4], // v10
        [0, 0, 0, 0, 5, 3, 4, 3, 4, 4], // v12
        [0, 0, 0, 0, 4, 3, 5, 4, 5, 5], // v13 (one key replaced)
        [0, 0, 0, 0, 4, 3, 5, 4, 5, 5], // v14
        [0, 0, 0, 0, 4, 3, 5, 4, 5, 5], // v15
        [0, 0, 0, 0, 4, 3, 5, 4, 5, 5], // v16
    ];

    fn keytypes(bytes: &[u8]) -> BTreeSet<String> {
        let v: Value = serde_json::from_slice(bytes).unwrap();
        v["signed"]["keys"]
            .as_object()
            .unwrap()
            .values()
            .map(|k| k["keytype"].as_str().unwrap().to_string())
            .collect()
    }

    /// Every real root vendored from registry packages (public-good v5–v16 but v6 and
    /// v11, staging v14 and v15) parses, every key is usable, and each meets its own root
    /// threshold and that of its predecessor; the signature counts match an independent
    /// check exactly. With `RULEPACK_CORPUS`, also the whole public-good history v1–v15.
    #[test]
    fn real_root_history_parses_every_key_format() {
        use crate::tuf::vendored::{
            public_good_root, staging_root, PUBLIC_GOOD_ROOTS, STAGING_ROOTS,
        };
        let step = ctx_step();
        let ctx = Ctx {
            step: &step,
            url: "testdata/tuf",
        };
        let roots: Vec<(Vec<u8>, Signed<Root>)> = PUBLIC_GOOD_ROOTS
            .iter()
            .map(|&v| {
                let bytes = public_good_root(v);
                let root: Signed<Root> = parse(ctx, &bytes).unwrap_or_else(|e| panic!("v{v}: {e}"));
                assert_eq!(root.common.version, v);
                assert!(root.role.consistent_snapshot, "v{v}");
                // v5–v8 keytype `ecdsa-sha2-nistp256`, v9+ `ecdsa` (PEM in both).
                assert!(root.role.keys.values().all(Option::is_some), "v{v}");
                (bytes, root)
            })
            .collect();
        let types: BTreeSet<String> = roots.iter().flat_map(|(b, _)| keytypes(b)).collect();
        assert_eq!(
            types,
            BTreeSet::from(["ecdsa".to_string(), "ecdsa-sha2-nistp256".to_string()])
        );
        let mut rotations = 0;
        for (i, (_, by)) in roots.iter().enumerate() {
            let role = by.role.role("root");
            assert_eq!((role.keyids.len(), role.threshold), (5, 3));
            for (j, (_, on)) in roots.iter().enumerate() {
                let (vi, vj) = (by.common.version, on.common.version);
                let expected = ROOT_SIGNATURE_MATRIX[i][j];
                assert_eq!(
                    count_valid(on, &by.role.keys, &role),
                    expected,
                    "keys of v{vi} on v{vj}"
                );
                // TUF §5.3.4/§5.3.5: each rotation is signed by a threshold of the old
                // root's keys and of its own.
                if vj == vi + 1 || vj == vi {
                    rotations += usize::from(vj == vi + 1);
                    let r = verify_threshold(ctx, on, &by.role.keys, &role, || format!("v{vi}"));
                    assert!(r.is_ok(), "v{vi} on v{vj}: {r:?}");
                }
            }
        }
        assert_eq!(rotations, 7);
        // Each root's signatures grafted onto its successor's `signed`: where the keyids
        // are the successor's own root keyids, none of the signatures is valid for it.
        let mut grafts = 0;
        for pair in roots.windows(2) {
            let [(old_bytes, old), (_, new)] = pair else {
                continue;
            };
            let mut doc: Value = serde_json::from_slice(old_bytes).unwrap();
            let on_new: Value = serde_json::from_slice(&new.raw).unwrap();
            doc["signed"] = on_new["signed"].clone();
            let graft: Signed<Root> = parse(ctx, &serde_json::to_vec(&doc).unwrap()).unwrap();
            let role = new.role.role("root");
            let named = role
                .keyids
                .iter()
                .filter(|id| graft.signatures.get(*id).is_some_and(|s| s.sig.is_some()))
                .count();
            grafts += usize::from(len_u64(named) >= role.threshold);
            assert_eq!(
                count_valid(&graft, &new.role.keys, &role),
                0,
                "signatures of v{} on v{}",
                old.common.version,
                new.common.version
            );
        }
        assert_eq!(grafts, 7);
        // The keys of v9 and later do not sign v5–v8: a threshold error, not a pass.
        let (v9, v8) = (&roots[3].1, &roots[2].1);
        let e = verify_threshold(ctx, v8, &v9.role.keys, &v9.role.role("root"), || {
            "v9".into()
        })
        .unwrap_err();
        assert!(
            matches!(
                e,
                TufError::ThresholdNotMet {
                    valid: 0,
                    threshold: 3,
                    ..
                }
            ),
            "{e:?}"
        );

        // Staging: v14 (2 of 4 signed, two empty `sig`s) → v15.
        let st: Vec<Signed<Root>> = STAGING_ROOTS
            .iter()
            .map(|&v| parse(ctx, &staging_root(v)).unwrap())
            .collect();
        for (v, r) in STAGING_ROOTS.iter().zip(&st) {
            assert_eq!(r.common.version, *v);
            assert!(r.role.keys.values().all(Option::is_some), "staging v{v}");
            assert_eq!(r.signatures.len(), 4);
            assert_eq!(count_valid(r, &r.role.keys, &r.role.role("root")), 2);
        }
        let old = st[0].role.role("root");
        assert_eq!(old.threshold, 2);
        assert_eq!(count_valid(&st[1], &st[0].role.keys, &old), 2);

        if let Some(corpus) =
            crate::testutil::corpus_extra("real_root_history_parses_every_key_format")
        {
            real_root_history_in_the_corpus(&corpus);
        }
    }

    /// The signatures cover the canonical form of `signed`: one changed field and no
    /// real signature counts; formatting, key order and whitespace do not matter (npm
    /// `@sigstore/tuf` 1.0.0 ships v7 re-indented, 2.3.4 ships v9 re-indented with
    /// another key order, and both verify).
    #[test]
    fn real_root_signatures_cover_the_canonical_signed_part() {
        use crate::tuf::vendored::public_good_root;
        let step = ctx_step();
        let ctx = Ctx {
            step: &step,
            url: "testdata/tuf",
        };
        for v in [7u64, 9, 16] {
            let bytes = public_good_root(v);
            let root: Signed<Root> = parse(ctx, &bytes).unwrap();
            let role = root.role.role("root");
            assert!(count_valid(&root, &root.role.keys, &role) >= 3, "v{v}");
            // Re-serialized compactly with sorted keys: the same canonical bytes.
            let doc: Value = serde_json::from_slice(&bytes).unwrap();
            let compact = serde_json::to_vec(&doc).unwrap();
            assert_ne!(compact, bytes);
            let again: Signed<Root> = parse(ctx, &compact).unwrap();
            assert_eq!(again.canonical, root.canonical);
            assert_eq!(
                count_valid(&again, &again.role.keys, &role),
                count_valid(&root, &root.role.keys, &role)
            );
            for (field, value) in [
                ("expires", Value::String("2099-01-01T00:00:00Z".into())),
                ("version", Value::from(v + 1)),
                ("consistent_snapshot", Value::Bool(false)),
            ] {
                let mut d = doc.clone();
                d["signed"][field] = value;
                let changed: Signed<Root> = parse(ctx, &serde_json::to_vec(&d).unwrap()).unwrap();
                assert_eq!(
                    count_valid(&changed, &root.role.keys, &role),
                    0,
                    "v{v} with {field} changed"
                );
            }
        }
    }

    /// The full public-good root history of the shared corpus (v1–v15).
    fn real_root_history_in_the_corpus(corpus: &std::path::Path) {
        let dir = corpus.join("tuf/sigstore-root-signing/metadata/root_history");
        let step = ctx_step();
        let ctx = Ctx {
            step: &step,
            url: "corpus",
        };
        let mut prev: Option<Signed<Root>> = None;
        for v in 1..=15u64 {
            let bytes = std::fs::read(dir.join(format!("{v}.root.json"))).unwrap();
            let root: Signed<Root> = parse(ctx, &bytes).unwrap();
            assert_eq!(root.common.version, v);
            // v1–v4 hex SEC1 points, v9 mixed, v10+ PEM: every key must be usable.
            assert!(root.role.keys.values().all(Option::is_some), "v{v}");
            let own = root.role.role("root");
            assert!(
                count_valid(&root, &root.role.keys, &own) >= own.threshold,
                "v{v}"
            );
            if let Some(p) = &prev {
                let old = p.role.role("root");
                assert!(
                    count_valid(&root, &p.role.keys, &old) >= old.threshold,
                    "v{v}"
                );
            }
            prev = Some(root);
        }
    }

    #[test]
    fn undecodable_and_empty_signatures_are_not_counted() {
        let step = ctx_step();
        let ctx = Ctx {
            step: &step,
            url: "x",
        };
        let mut doc: Value = serde_json::from_slice(super::super::EMBEDDED_SIGSTORE_ROOT).unwrap();
        let sigs = doc["signatures"].as_array_mut().unwrap();
        sigs[0]["sig"] = Value::String(String::new());
        sigs[1]["sig"] = Value::String("zz".into());
        sigs[2]["sig"] = Value::String("3006020101020101".into());
        let bytes = serde_json::to_vec(&doc).unwrap();
        let root: Signed<Root> = parse(ctx, &bytes).unwrap();
        assert_eq!(
            count_valid(&root, &root.role.keys, &root.role.role("root")),
            2
        );
    }

    #[test]
    fn duplicate_signature_keyids_and_role_keyids_are_rejected() {
        let step = ctx_step();
        let ctx = Ctx {
            step: &step,
            url: "x",
        };
        let mut doc: Value = serde_json::from_slice(super::super::EMBEDDED_SIGSTORE_ROOT).unwrap();
        let first = doc["signatures"][0].clone();
        doc["signatures"].as_array_mut().unwrap().push(first);
        let bytes = serde_json::to_vec(&doc).unwrap();
        let e = parse::<Root>(ctx, &bytes).unwrap_err();
        assert_eq!(e.code(), "tuf.duplicate-signature");

        let mut doc: Value = serde_json::from_slice(super::super::EMBEDDED_SIGSTORE_ROOT).unwrap();
        let ids = doc["signed"]["roles"]["root"]["keyids"]
            .as_array_mut()
            .unwrap();
        let id = ids[0].clone();
        ids.push(id);
        let bytes = serde_json::to_vec(&doc).unwrap();
        let e = parse::<Root>(ctx, &bytes).unwrap_err();
        assert_eq!(e.code(), "tuf.duplicate-key");
    }

    #[test]
    fn wrong_type_and_bad_spec_version_are_rejected() {
        let step = ctx_step();
        let ctx = Ctx {
            step: &step,
            url: "x",
        };
        let e = parse::<Timestamp>(ctx, super::super::EMBEDDED_SIGSTORE_ROOT).unwrap_err();
        assert_eq!(e.code(), "tuf.wrong-type");
        for (v, ok) in [
            ("1.0", true),
            ("1.0.31", true),
            ("2.0", false),
            ("1", false),
            ("1.x", false),
        ] {
            assert_eq!(check_spec_version(ctx, v).is_ok(), ok, "{v}");
        }
    }

    #[test]
    fn path_patterns_match_per_component() {
        assert!(path_matches(
            "registry.npmjs.org/*",
            "registry.npmjs.org/keys.json"
        ));
        assert!(!path_matches(
            "registry.npmjs.org/*",
            "registry.npmjs.org/a/keys.json"
        ));
        assert!(!path_matches("registry.npmjs.org/*", "trusted_root.json"));
        assert!(path_matches("*.json", "trusted_root.json"));
        assert!(path_matches("a?c/*x*", "abc/yxz"));
        assert!(!path_matches("a?c", "ac"));
        assert!(path_matches("*", "anything"));
        assert!(!path_matches("*", "a/b"));
    }

    #[test]
    fn no_panic_on_mutated_root() {
        let step = ctx_step();
        let ctx = Ctx {
            step: &step,
            url: "x",
        };
        let n = crate::testutil::mutate_all(super::super::EMBEDDED_SIGSTORE_ROOT, |b| {
            parse::<Root>(ctx, b)
        });
        assert!(n > 100);
    }

    /// RSA-PSS keys (TUF §4.2 keytype `rsa`, scheme `rsassa-pss-sha256`), with the
    /// test-only RSA-2048 key of `testdata/rsa/`.
    #[cfg(feature = "rsa")]
    mod rsa_pss {
        use super::*;
        use crate::encoding::{base64_encode, hex_encode};
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::signature::{RandomizedSigner, SignatureEncoding};
        use serde_json::json;

        fn file(name: &str) -> Vec<u8> {
            let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("testdata/rsa")
                .join(name);
            std::fs::read(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"))
        }

        fn pem(der: &[u8]) -> String {
            let b64 = base64_encode(der);
            let lines: Vec<&str> = b64
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            format!(
                "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
                lines.join("\n")
            )
        }

        fn rsa_key_object() -> Value {
            json!({"keytype": "rsa", "scheme": "rsassa-pss-sha256",
                   "keyval": {"public": pem(&file("rsa2048.spki.der"))}})
        }

        /// securesystemslib's signer: PSS with a digest-length salt.
        fn pss_sign(msg: &[u8]) -> String {
            let sk =
                rsa::RsaPrivateKey::from_pkcs8_der(&file("rsa2048-test-only.pk8.der")).unwrap();
            let sig = rsa::pss::SigningKey::<sha2::Sha256>::new(sk)
                .sign_with_rng(&mut rand_core::OsRng, msg)
                .to_vec();
            hex_encode(&sig)
        }

        /// A root whose every role is `keys` (by keyid) with `threshold`, signed by
        /// `sign(keyid, canonical bytes)` for each keyid.
        fn root(
            keys: &[(&str, Value)],
            threshold: u64,
            sign: impl Fn(&str, &[u8]) -> String,
        ) -> Vec<u8> {
            let ids: Vec<&str> = keys.iter().map(|(id, _)| *id).collect();
            let role = json!({"keyids": ids, "threshold": threshold});
            let key_map: serde_json::Map<String, Value> = keys
                .iter()
                .map(|(id, k)| ((*id).to_string(), k.clone()))
                .collect();
            let signed = json!({"_type": "root", "spec_version": "1.0", "version": 1,
                "expires": "2030-01-01T00:00:00Z", "consistent_snapshot": true,
                "keys": key_map, "roles": {"root": role, "timestamp": role,
                "snapshot": role, "targets": role}});
            let canonical = canonicalize(&signed).unwrap();
            let sigs: Vec<Value> = ids
                .iter()
                .map(|id| json!({"keyid": id, "sig": sign(id, &canonical)}))
                .collect();
            serde_json::to_vec(&json!({"signed": signed, "signatures": sigs})).unwrap()
        }

        fn check(bytes: &[u8]) -> Result<(), TufError> {
            let step = Step::TrustAnchor;
            let ctx = Ctx {
                step: &step,
                url: "test root",
            };
            let r: Signed<Root> = parse(ctx, bytes)?;
            verify_threshold(ctx, &r, &r.role.keys, &r.role.role("root"), || {
                "the test root itself".into()
            })
        }

        /// `testdata/tuf/rsa-root.json`: made by Python (its own canonical JSON) and
        /// OpenSSL (`make-rsa-root.py`), an interoperability check of both.
        #[test]
        fn openssl_signed_rsa_root_verifies() {
            let path =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/tuf/rsa-root.json");
            let bytes = std::fs::read(path).unwrap();
            check(&bytes).unwrap();
            crate::crypto::test_without_rsa(|| {
                assert_eq!(
                    check(&bytes).unwrap_err().code(),
                    "tuf.key-type-not-enabled"
                );
            });
        }

        #[test]
        fn valid_rsa_pss_signature_counts() {
            let bytes = root(&[("rsa", rsa_key_object())], 1, |_, m| pss_sign(m));
            check(&bytes).unwrap();
            let step = Step::TrustAnchor;
            let ctx = Ctx {
                step: &step,
                url: "x",
            };
            let r: Signed<Root> = parse(ctx, &bytes).unwrap();
            let k = r.role.keys["rsa"].as_ref().unwrap();
            assert_eq!(k.scheme, Scheme::RsassaPssSha256);
            assert_eq!(k.key.spki_der(), file("rsa2048.spki.der"));
            // Next to an ECDSA key, both count towards a threshold of 2.
            let p256 = p256::ecdsa::SigningKey::from_slice(&[4; 32]).unwrap();
            let p256_pem = p256::pkcs8::EncodePublicKey::to_public_key_der(p256.verifying_key())
                .map(|d| pem(d.as_bytes()))
                .unwrap();
            let ec = json!({"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256",
                            "keyval": {"public": p256_pem}});
            let sign = |id: &str, m: &[u8]| {
                if id == "rsa" {
                    pss_sign(m)
                } else {
                    use p256::ecdsa::signature::Signer as _;
                    let s: p256::ecdsa::Signature = p256.sign(m);
                    hex_encode(s.to_der().as_bytes())
                }
            };
            let both = root(&[("rsa", rsa_key_object()), ("ec", ec.clone())], 2, sign);
            check(&both).unwrap();
            // Without the RSA signature the threshold of 2 is not met.
            let one = root(&[("rsa", rsa_key_object()), ("ec", ec)], 2, |id, m| {
                if id == "rsa" {
                    String::new()
                } else {
                    sign(id, m)
                }
            });
            let e = check(&one).unwrap_err();
            assert!(
                matches!(
                    e,
                    TufError::ThresholdNotMet {
                        valid: 1,
                        threshold: 2,
                        ..
                    }
                ),
                "{e:?}"
            );
        }

        #[test]
        fn wrong_rsa_signatures_do_not_count() {
            let not_met = |bytes: &[u8]| {
                let e = check(bytes).unwrap_err();
                assert!(
                    matches!(e, TufError::ThresholdNotMet { valid: 0, .. }),
                    "{e:?}"
                );
            };
            // Over other bytes.
            not_met(&root(&[("rsa", rsa_key_object())], 1, |_, m| {
                pss_sign(&[m, b" "].concat())
            }));
            // RSASSA-PKCS1-v1_5 over the right bytes: another scheme.
            not_met(&root(&[("rsa", rsa_key_object())], 1, |_, m| {
                let sk =
                    rsa::RsaPrivateKey::from_pkcs8_der(&file("rsa2048-test-only.pk8.der")).unwrap();
                let digest = crate::crypto::sha256(m);
                hex_encode(
                    &sk.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest)
                        .unwrap(),
                )
            }));
            // A valid signature with one bit flipped.
            not_met(&root(&[("rsa", rsa_key_object())], 1, |_, m| {
                let mut h = pss_sign(m);
                let flipped = if h.ends_with('0') { "1" } else { "0" };
                h.pop();
                h.push_str(flipped);
                h
            }));
        }

        #[test]
        fn malformed_or_unsupported_rsa_keys_are_kept_but_never_counted() {
            let with_public = |public: String| {
                json!({"keytype": "rsa", "scheme": "rsassa-pss-sha256",
                       "keyval": {"public": public}})
            };
            let p256 = p256::ecdsa::SigningKey::from_slice(&[4; 32]).unwrap();
            let p256_pem = p256::pkcs8::EncodePublicKey::to_public_key_der(p256.verifying_key())
                .map(|d| pem(d.as_bytes()))
                .unwrap();
            let mut wrong_scheme = rsa_key_object();
            wrong_scheme["scheme"] = json!("rsa-pkcs1v15-sha256");
            for (what, key) in [
                ("not PEM", with_public("not a key".into())),
                (
                    "truncated",
                    with_public(pem(&file("rsa2048.spki.der")[..200])),
                ),
                ("1024 bits", with_public(pem(&file("rsa1024.spki.der")))),
                ("an ECDSA key", with_public(p256_pem)),
                ("PKCS#1 v1.5 scheme", wrong_scheme),
            ] {
                let bytes = root(&[("rsa", key)], 1, |_, m| pss_sign(m));
                let step = Step::TrustAnchor;
                let ctx = Ctx {
                    step: &step,
                    url: "x",
                };
                let r: Signed<Root> = parse(ctx, &bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
                assert!(r.role.keys["rsa"].is_none(), "{what}");
                let e = check(&bytes).unwrap_err();
                assert_eq!(e.code(), "tuf.threshold-not-met", "{what}");
            }
        }

        /// Without the `rsa` feature the key parses but its signature cannot be checked:
        /// a threshold it might have met is a clear error naming the feature.
        #[test]
        fn without_the_feature_the_error_names_it() {
            let bytes = root(&[("rsa", rsa_key_object())], 1, |_, m| pss_sign(m));
            crate::crypto::test_without_rsa(|| {
                let e = check(&bytes).unwrap_err();
                assert_eq!(e.code(), "tuf.key-type-not-enabled");
                assert!(
                    matches!(
                        &e,
                        TufError::KeyTypeNotEnabled {
                            valid: 0,
                            threshold: 1,
                            unchecked: 1,
                            ..
                        }
                    ),
                    "{e:?}"
                );
                let text = e.to_string();
                assert!(text.contains("rsa (rsassa-pss-sha256) key"), "{text}");
                assert!(text.contains("`rsa` cargo feature"), "{text}");
                assert!(text.contains("--features rsa"), "{text}");
                // An RSA key that did not sign is no excuse: the plain threshold error.
                let unsigned = root(&[("rsa", rsa_key_object())], 1, |_, _| String::new());
                assert_eq!(
                    check(&unsigned).unwrap_err().code(),
                    "tuf.threshold-not-met"
                );
                // Nor is one whose signature could not have made up the threshold.
                let short = root(&[("rsa", rsa_key_object())], 2, |_, m| pss_sign(m));
                assert_eq!(check(&short).unwrap_err().code(), "tuf.threshold-not-met");
            });
        }
    }

    /// Every real metadata file vendored from registry packages, cut short and
    /// bit-flipped: the parsers return, never panic. The Sigstore roots, and the
    /// python-tuf reference repository (crates.io `sigstore-tuf` 0.15.1), the only
    /// registry-shipped timestamp, snapshot and (delegated) targets metadata. With
    /// `RULEPACK_CORPUS`, also Sigstore's real timestamp, snapshot and targets.
    #[test]
    fn no_panic_on_mutated_real_metadata() {
        use crate::tuf::vendored::{
            public_good_root, read, staging_root, PUBLIC_GOOD_ROOTS, PYTHON_TUF_METADATA,
            STAGING_ROOTS,
        };
        let step = ctx_step();
        let ctx = Ctx {
            step: &step,
            url: "x",
        };
        let mut roots: Vec<Vec<u8>> = PUBLIC_GOOD_ROOTS.iter().map(|&v| public_good_root(v)).collect();
        roots.extend(STAGING_ROOTS.iter().map(|&v| staging_root(v)));
        let mut tried = 0;
        for bytes in &roots {
            assert!(parse::<Root>(ctx, bytes).is_ok());
            tried += crate::testutil::mutate_all(bytes, |b| parse::<Root>(ctx, b));
        }
        let py = |name: &str| read(&format!("python-tuf-reference/metadata/{name}"));
        for name in PYTHON_TUF_METADATA {
            let bytes = py(name);
            let n = match *name {
                "1.root.json" => {
                    let r = parse::<Root>(ctx, &bytes).unwrap();
                    // Keytypes `rsa` (rsassa-pss-sha256, the root role) and `ed25519`.
                    assert!(r.role.keys.values().all(Option::is_some));
                    crate::testutil::mutate_all(&bytes, |b| parse::<Root>(ctx, b))
                }
                "timestamp.json" => {
                    let t = parse::<Timestamp>(ctx, &bytes).unwrap();
                    assert_eq!(t.role.snapshot.length, Some(556));
                    crate::testutil::mutate_all(&bytes, |b| parse::<Timestamp>(ctx, b))
                }
                "snapshot.json" => {
                    let s = parse::<Snapshot>(ctx, &bytes).unwrap();
                    assert_eq!(s.role.meta.len(), 4);
                    crate::testutil::mutate_all(&bytes, |b| parse::<Snapshot>(ctx, b))
                }
                _ => {
                    let t = parse::<Targets>(ctx, &bytes).unwrap();
                    assert_eq!(t.role.delegations.len(), usize::from(*name != "role2.json"));
                    crate::testutil::mutate_all(&bytes, |b| parse::<Targets>(ctx, b))
                }
            };
            assert!(n > 100, "{name}");
            tried += n;
        }
        assert!(tried > 20_000, "{tried}");

        let Some(corpus) = crate::testutil::corpus_extra("no_panic_on_mutated_real_metadata")
        else {
            return;
        };
        let dir = corpus.join("tuf/sigstore-root-signing/metadata");
        let step = ctx_step();
        let ctx = Ctx {
            step: &step,
            url: "x",
        };
        let ts = std::fs::read(dir.join("timestamp.json")).unwrap();
        let sn = std::fs::read(dir.join("snapshot.json")).unwrap();
        let tg = std::fs::read(dir.join("targets.json")).unwrap();
        let npm = std::fs::read(dir.join("registry.npmjs.org.json")).unwrap();
        assert!(parse::<Timestamp>(ctx, &ts).is_ok());
        assert!(parse::<Snapshot>(ctx, &sn).is_ok());
        let t = parse::<Targets>(ctx, &tg).unwrap();
        assert_eq!(t.role.delegations.len(), 1);
        assert!(t.role.targets.contains_key("trusted_root.json"));
        assert!(parse::<Targets>(ctx, &npm).is_ok());
        crate::testutil::mutate_all(&ts, |b| parse::<Timestamp>(ctx, b));
        crate::testutil::mutate_all(&sn, |b| parse::<Snapshot>(ctx, b));
        crate::testutil::mutate_all(&tg, |b| parse::<Targets>(ctx, b));
    }
}
