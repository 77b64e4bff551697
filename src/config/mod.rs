//! The `rulePacks` section of a Helm-style values file (SPEC §8).
//!
//! ```yaml
//! rulePacks:
//!   verifySignature: true            # default true; false = the explicit air-gapped mode
//!   trustedIdentities:               # third-party publishers only; entries are ORed
//!     - issuer: https://token.actions.githubusercontent.com    # or issuerRegexp
//!       identityRegexp: ^https://github\.com/acme/rules/...$   # or identity
//!   extras:
//!     - oci://ghcr.io/lithastra/rules/eks:0.1.0
//!   trustedRoot: trusted_root.json   # ours: a trust root file, relative to the values file
//!   layout: oci-layout               # ours: resolve every oci:// reference from this OCI layout
//!   mirrors:                         # ours: logical registry host -> mirror URL
//!     ghcr.io: https://registry.local:5000
//!   jobs: 50                         # ours: packs (and pull's layers) fetched at once
//!   timeouts:                        # ours: 90s, 2m, 500ms or plain seconds
//!     connect: 10s                   #   TCP/TLS connect, per request
//!     request: 60s                   #   one whole request
//!     pack: 120s                     #   all of one pack's network work
//!     run: 300s                      #   all the packs of the run
//! ```
//! Other top-level keys are ignored; unknown keys inside `rulePacks` are errors. No I/O
//! here: the caller reads the file and passes its directory for relative paths.

mod error;
mod yaml;

pub use error::ConfigError;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::limits;
use crate::policy::{IdentityRule, Matcher};
use yaml::Node;

/// One `trustedIdentities` entry, compiled.
#[derive(Clone, Debug)]
pub struct TrustedIdentity {
    /// Position in the list (0-based), for messages.
    pub index: usize,
    /// The compiled rule.
    pub rule: IdentityRule,
}

/// The validated `rulePacks` section.
#[derive(Clone, Debug)]
pub struct RulePacks {
    /// `verifySignature` (default `true`).
    pub verify_signature: bool,
    /// `trustedIdentities` (third-party packs only).
    pub trusted_identities: Vec<TrustedIdentity>,
    /// `extras`: the pack references, as written (each starts with `oci://`).
    pub extras: Vec<String>,
    /// `trustedRoot`, resolved against the values file's directory.
    pub trusted_root: Option<PathBuf>,
    /// `layout`, resolved against the values file's directory.
    pub layout: Option<PathBuf>,
    /// `mirrors`: logical registry host → mirror base URL.
    pub mirrors: Vec<(String, String)>,
    /// `jobs`: how many packs (and, for `pull`, layers) are fetched at once.
    pub jobs: Option<usize>,
    /// `timeouts`.
    pub timeouts: Timeouts,
}

/// `rulePacks.timeouts`: each unset value keeps its default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// `connect`: TCP and TLS connection setup, per request.
    pub connect: Option<Duration>,
    /// `request`: one whole request (connect, send, headers, body).
    pub request: Option<Duration>,
    /// `pack`: everything one pack does on the network.
    pub pack: Option<Duration>,
    /// `run`: everything the run's packs do on the network.
    pub run: Option<Duration>,
}

/// A duration setting: `500ms`, `90s`, `2m`, or a plain number of seconds; more than
/// zero and at most [`limits::MAX_TIMEOUT_SECS`].
pub fn parse_duration(s: &str) -> Option<Duration> {
    let (digits, unit_ms) = if let Some(d) = s.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = s.strip_suffix('s') {
        (d, 1000)
    } else if let Some(d) = s.strip_suffix('m') {
        (d, 60_000)
    } else {
        (s, 1000)
    };
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms = digits.parse::<u64>().ok()?.checked_mul(unit_ms)?;
    (ms > 0 && ms <= limits::MAX_TIMEOUT_SECS.saturating_mul(1000))
        .then(|| Duration::from_millis(ms))
}

/// A `jobs` setting: 1 to [`limits::MAX_JOBS`].
pub fn parse_jobs(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse()
        .ok()
        .filter(|n| (1..=limits::MAX_JOBS).contains(n))
}

/// What a duration setting must look like (for messages).
pub const DURATION_SYNTAX: &str =
    "a duration such as 500ms, 90s or 2m (plain numbers are seconds), above zero and at most 24h";
/// What a jobs setting must look like (for messages).
pub const JOBS_SYNTAX: &str = "a whole number from 1 to 64";

const TOP_KEYS: &[&str] = &[
    "verifySignature",
    "trustedIdentities",
    "extras",
    "trustedRoot",
    "layout",
    "mirrors",
    "jobs",
    "timeouts",
];
const TIMEOUT_KEYS: &[&str] = &["connect", "request", "pack", "run"];
const ENTRY_KEYS: &[&str] = &["issuer", "issuerRegexp", "identity", "identityRegexp"];

impl RulePacks {
    /// Parses a values file. `base_dir` is the directory relative paths are resolved
    /// against (the values file's own directory).
    pub fn from_yaml(bytes: &[u8], base_dir: &Path) -> Result<Self, ConfigError> {
        if bytes.len() > limits::MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge {
                limit: limits::MAX_CONFIG_BYTES,
                what: "bytes in the values file",
            });
        }
        let text = core::str::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8)?;
        let doc = yaml::parse(text)?;
        let Node::Map(top, _) = &doc else {
            return Err(ConfigError::MissingSection);
        };
        let section = top
            .iter()
            .find(|(k, _)| k == "rulePacks")
            .map(|(_, v)| v)
            .ok_or(ConfigError::MissingSection)?;
        let path = "rulePacks";
        let items = mapping(section, path, TOP_KEYS)?;
        let mut cfg = RulePacks {
            verify_signature: true,
            trusted_identities: Vec::new(),
            extras: Vec::new(),
            trusted_root: None,
            layout: None,
            mirrors: Vec::new(),
            jobs: None,
            timeouts: Timeouts::default(),
        };
        for (key, value) in items {
            let p = format!("{path}.{key}");
            match key.as_str() {
                "verifySignature" => cfg.verify_signature = boolean(value, &p)?,
                "trustedIdentities" => cfg.trusted_identities = identities(value, &p)?,
                "extras" => cfg.extras = extras(value, &p)?,
                "trustedRoot" => cfg.trusted_root = opt_path(value, &p, base_dir)?,
                "layout" => cfg.layout = opt_path(value, &p, base_dir)?,
                "mirrors" => cfg.mirrors = mirrors(value, &p)?,
                "jobs" => cfg.jobs = Some(jobs(value, &p)?),
                "timeouts" => cfg.timeouts = timeouts(value, &p)?,
                _ => {}
            }
        }
        Ok(cfg)
    }
}

fn wrong(node: &Node, path: &str, expected: &'static str) -> ConfigError {
    match node {
        Node::Alias(_) => ConfigError::Alias {
            path: path.to_owned(),
        },
        _ => ConfigError::WrongType {
            path: path.to_owned(),
            expected,
            found: node.kind(),
            line: node.pos().line,
        },
    }
}

/// A mapping whose keys are all in `allowed`, each at most once.
fn mapping<'a>(
    node: &'a Node,
    path: &str,
    allowed: &'static [&'static str],
) -> Result<&'a [(String, Node)], ConfigError> {
    let Node::Map(items, _) = node else {
        return Err(wrong(node, path, "a mapping"));
    };
    for (i, (k, _)) in items.iter().enumerate() {
        if !allowed.contains(&k.as_str()) {
            return Err(ConfigError::UnknownKey {
                path: path.to_owned(),
                key: k.clone(),
                allowed,
            });
        }
        if items.iter().take(i).any(|(k2, _)| k2 == k) {
            return Err(ConfigError::DuplicateKey {
                path: path.to_owned(),
                key: k.clone(),
            });
        }
    }
    Ok(items)
}

fn string<'a>(node: &'a Node, path: &str) -> Result<&'a str, ConfigError> {
    match node {
        Node::Scalar { value, .. } if !node.is_null() => Ok(value),
        _ => Err(wrong(node, path, "a string")),
    }
}

/// YAML 1.2 core schema booleans; quoted strings are not booleans.
fn boolean(node: &Node, path: &str) -> Result<bool, ConfigError> {
    match node {
        Node::Scalar {
            value, plain: true, ..
        } => match value.as_str() {
            "true" | "True" | "TRUE" => Ok(true),
            "false" | "False" | "FALSE" => Ok(false),
            _ => Err(wrong(node, path, "true or false")),
        },
        _ => Err(wrong(node, path, "true or false")),
    }
}

fn list<'a>(node: &'a Node, path: &str, limit: usize) -> Result<&'a [Node], ConfigError> {
    if node.is_null() {
        return Ok(&[]);
    }
    let Node::Seq(items, _) = node else {
        return Err(wrong(node, path, "a list"));
    };
    if items.len() > limit {
        return Err(ConfigError::TooLarge {
            limit,
            what: "entries in a rulePacks list",
        });
    }
    Ok(items)
}

fn identities(node: &Node, path: &str) -> Result<Vec<TrustedIdentity>, ConfigError> {
    let mut out = Vec::new();
    for (index, entry) in list(node, path, limits::MAX_TRUSTED_IDENTITIES)?
        .iter()
        .enumerate()
    {
        let p = format!("{path}[{index}]");
        let items = mapping(entry, &p, ENTRY_KEYS)?;
        let get = |k: &str| -> Result<Option<&str>, ConfigError> {
            items
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| string(v, &format!("{p}.{k}")))
                .transpose()
        };
        let pair = |exact: &'static str, re: &'static str| -> Result<Matcher, ConfigError> {
            match (get(exact)?, get(re)?) {
                (Some(s), None) => Ok(Matcher::exact(s)),
                (None, Some(r)) => Matcher::regex(r).map_err(|source| ConfigError::Regex {
                    path: format!("{p}.{re}"),
                    source,
                }),
                (Some(_), Some(_)) => Err(ConfigError::IdentityEntry {
                    index,
                    problem: format!("has both {exact} and {re}; give exactly one"),
                }),
                (None, None) => Err(ConfigError::IdentityEntry {
                    index,
                    problem: format!(
                        "needs {exact} or {re} (an entry without {exact} would trust every {} of an issuer)",
                        if exact == "identity" { "repository and user" } else { "issuer" }
                    ),
                }),
            }
        };
        let issuer = pair("issuer", "issuerRegexp")?;
        let identity = pair("identity", "identityRegexp")?;
        out.push(TrustedIdentity {
            index,
            rule: IdentityRule::new(issuer, identity),
        });
    }
    Ok(out)
}

fn extras(node: &Node, path: &str) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for (index, entry) in list(node, path, limits::MAX_PACKS)?.iter().enumerate() {
        let s = string(entry, &format!("{path}[{index}]"))?;
        if !s.starts_with("oci://") {
            return Err(ConfigError::Reference {
                index,
                reference: s.to_owned(),
                reason: "it must start with oci://".into(),
            });
        }
        out.push(s.to_owned());
    }
    Ok(out)
}

fn opt_path(node: &Node, path: &str, base: &Path) -> Result<Option<PathBuf>, ConfigError> {
    if node.is_null() {
        return Ok(None);
    }
    let s = string(node, path)?;
    if s.trim().is_empty() {
        return Err(ConfigError::Path {
            path: path.to_owned(),
            reason: "must not be empty".into(),
        });
    }
    Ok(Some(base.join(s)))
}

fn jobs(node: &Node, path: &str) -> Result<usize, ConfigError> {
    match node {
        Node::Scalar {
            value, plain: true, ..
        } => parse_jobs(value).ok_or_else(|| wrong(node, path, JOBS_SYNTAX)),
        _ => Err(wrong(node, path, JOBS_SYNTAX)),
    }
}

fn timeouts(node: &Node, path: &str) -> Result<Timeouts, ConfigError> {
    let mut t = Timeouts::default();
    if node.is_null() {
        return Ok(t);
    }
    for (key, value) in mapping(node, path, TIMEOUT_KEYS)? {
        let p = format!("{path}.{key}");
        let d = match value {
            Node::Scalar { value: v, .. } if !value.is_null() => parse_duration(v),
            _ => None,
        }
        .ok_or_else(|| wrong(value, &p, DURATION_SYNTAX))?;
        match key.as_str() {
            "connect" => t.connect = Some(d),
            "request" => t.request = Some(d),
            "pack" => t.pack = Some(d),
            _ => t.run = Some(d),
        }
    }
    Ok(t)
}

fn mirrors(node: &Node, path: &str) -> Result<Vec<(String, String)>, ConfigError> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    let Node::Map(items, _) = node else {
        return Err(wrong(
            node,
            path,
            "a mapping of registry host to mirror URL",
        ));
    };
    if items.len() > limits::MAX_MIRRORS {
        return Err(ConfigError::TooLarge {
            limit: limits::MAX_MIRRORS,
            what: "mirrors",
        });
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (host, url) in items {
        let url = string(url, &format!("{path}.{host}"))?;
        let registry = host.to_ascii_lowercase();
        if out.iter().any(|(h, _)| *h == registry) {
            return Err(ConfigError::DuplicateKey {
                path: path.to_owned(),
                key: host.clone(),
            });
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ConfigError::Mirror {
                registry,
                reason: format!(
                    "mirror URL {url:?} must start with https:// (or http:// for loopback)"
                ),
            });
        }
        out.push((registry, url.trim_end_matches('/').to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<RulePacks, ConfigError> {
        RulePacks::from_yaml(s.as_bytes(), Path::new("/etc/ka"))
    }

    #[test]
    fn full_example() {
        let c = parse(
            "image: {tag: 1}\nrulePacks:\n  verifySignature: true\n  trustedIdentities:\n    - issuer: https://token.actions.githubusercontent.com\n      identityRegexp: ^https://github\\.com/acme/rules/\\.github/workflows/release\\.yml@refs/tags/.+$\n  extras:\n    - oci://ghcr.io/lithastra/rules/eks:0.1.0\n    - oci://ghcr.io/acme/rules/argo:0.2.0\n  trustedRoot: root.json\n  layout: ./layout\n  mirrors:\n    GHCR.io: https://registry.local:5000/\n",
        )
        .unwrap();
        assert!(c.verify_signature);
        assert_eq!(c.extras.len(), 2);
        assert_eq!(c.trusted_identities.len(), 1);
        assert_eq!(
            c.trusted_root.as_deref(),
            Some(Path::new("/etc/ka/root.json"))
        );
        assert_eq!(c.layout.as_deref(), Some(Path::new("/etc/ka/./layout")));
        assert_eq!(
            c.mirrors,
            vec![(
                "ghcr.io".to_owned(),
                "https://registry.local:5000".to_owned()
            )]
        );
        let r = &c.trusted_identities[0].rule;
        assert!(r
            .identity
            .matches("https://github.com/acme/rules/.github/workflows/release.yml@refs/tags/v1"));
        assert!(!r.identity.matches(
            "https://github.com/acme/rules-evil/.github/workflows/release.yml@refs/tags/v1"
        ));
    }

    #[test]
    fn defaults_and_disabled_mode() {
        let c = parse("rulePacks:\n  extras: [oci://a.io/b:c]\n").unwrap();
        assert!(c.verify_signature);
        assert!(c.trusted_identities.is_empty());
        assert!(
            !parse("rulePacks:\n  verifySignature: false\n")
                .unwrap()
                .verify_signature
        );
    }

    #[test]
    fn errors_name_the_key_or_entry() {
        let cases: &[(&str, &str, &str)] = &[
            ("other: 1\n", "config.missing-rulepacks", "rulePacks"),
            ("rulePacks:\n  verifySignatures: true\n", "config.unknown-key", "verifySignatures"),
            ("rulePacks:\n  verifySignature: \"false\"\n", "config.wrong-type", "rulePacks.verifySignature"),
            ("rulePacks:\n  verifySignature: yes\n", "config.wrong-type", "true or false"),
            ("rulePacks:\n  trustedIdentities:\n    - issuer: a\n      issuerRegexp: b\n      identity: c\n", "config.identity-entry", "trustedIdentities[0] has both issuer and issuerRegexp"),
            ("rulePacks:\n  trustedIdentities:\n    - issuer: a\n      identity: c\n    - issuer: a\n", "config.identity-entry", "trustedIdentities[1] needs identity or identityRegexp"),
            ("rulePacks:\n  trustedIdentities:\n    - identity: c\n", "config.identity-entry", "needs issuer or issuerRegexp"),
            ("rulePacks:\n  trustedIdentities:\n    - issuer: a\n      identityRegexp: '('\n", "config.invalid-regex", "trustedIdentities[0].identityRegexp"),
            ("rulePacks:\n  trustedIdentities:\n    - issuer: a\n      identity: c\n      subject: d\n", "config.unknown-key", "trustedIdentities[0]"),
            ("rulePacks:\n  extras:\n    - ghcr.io/a/b:1\n", "config.invalid-reference", "extras[0]"),
            ("rulePacks:\n  extras: oci://a/b\n", "config.wrong-type", "must be a list"),
            ("rulePacks:\n  extras: []\n  extras: []\n", "config.duplicate-key", "extras"),
            ("x: &a [1]\nrulePacks:\n  extras: *a\n", "config.alias", "rulePacks.extras"),
            ("rulePacks:\n  mirrors:\n    ghcr.io: ftp://x\n", "config.invalid-mirror", "ghcr.io"),
            ("rulePacks: [\n", "config.yaml-syntax", "line"),
        ];
        for (doc, code, needle) in cases {
            let e = parse(doc).unwrap_err();
            assert_eq!(e.code(), *code, "{doc}: {e}");
            assert!(e.to_string().contains(needle), "{doc}: {e}");
        }
        assert_eq!(
            RulePacks::from_yaml(&[0xff, 0xfe], Path::new("/"))
                .unwrap_err()
                .code(),
            "config.not-utf8"
        );
    }

    #[test]
    fn jobs_and_timeouts() {
        let c = parse("rulePacks:\n  jobs: 8\n  timeouts:\n    connect: 500ms\n    request: 20s\n    pack: 2m\n    run: 600\n").unwrap();
        assert_eq!(c.jobs, Some(8));
        assert_eq!(
            c.timeouts,
            Timeouts {
                connect: Some(Duration::from_millis(500)),
                request: Some(Duration::from_secs(20)),
                pack: Some(Duration::from_secs(120)),
                run: Some(Duration::from_secs(600)),
            }
        );
        let d = parse("rulePacks:\n  extras: []\n").unwrap();
        assert_eq!((d.jobs, d.timeouts), (None, Timeouts::default()));
        for (doc, needle) in [
            ("rulePacks:\n  jobs: 0\n", "rulePacks.jobs"),
            ("rulePacks:\n  jobs: 65\n", "from 1 to 64"),
            ("rulePacks:\n  jobs: '8'\n", "rulePacks.jobs"),
            ("rulePacks:\n  jobs: -1\n", "rulePacks.jobs"),
            (
                "rulePacks:\n  timeouts:\n    pack: 0s\n",
                "rulePacks.timeouts.pack",
            ),
            (
                "rulePacks:\n  timeouts:\n    run: 25h\n",
                "rulePacks.timeouts.run",
            ),
            ("rulePacks:\n  timeouts:\n    run: 86401\n", "at most 24h"),
            ("rulePacks:\n  timeouts:\n    request: 1.5s\n", "500ms"),
            (
                "rulePacks:\n  timeouts:\n    request:\n",
                "rulePacks.timeouts.request",
            ),
        ] {
            let e = parse(doc).unwrap_err();
            assert_eq!(e.code(), "config.wrong-type", "{doc}: {e}");
            assert!(e.to_string().contains(needle), "{doc}: {e}");
        }
        let e = parse("rulePacks:\n  timeouts:\n    total: 1s\n").unwrap_err();
        assert_eq!(e.code(), "config.unknown-key");
        assert_eq!(parse_duration("86400"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1440m"), Some(Duration::from_secs(86_400)));
        for bad in [
            "",
            "s",
            "ms",
            "1h",
            " 1s",
            "1 s",
            "+1",
            "99999999999999",
            "0ms",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
        assert_eq!(parse_jobs("64"), Some(64));
        assert_eq!(parse_jobs("065"), None);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        let doc = b"rulePacks:\n  trustedIdentities:\n    - issuer: https://x\n      identityRegexp: ^a.*$\n  extras: [oci://ghcr.io/a/b:1]\n  mirrors: {ghcr.io: https://m}\n";
        let n = crate::testutil::mutate_all(doc, |b| RulePacks::from_yaml(b, Path::new("/")));
        assert!(n > 100);
    }
}
