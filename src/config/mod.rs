//! The `rulePacks` section of a Helm-style values file (docs/configuration.md).
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
use yaml::{Node, Scalar};

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
    /// Things that load but are almost certainly not what was meant (a
    /// `trustedIdentities` rule that matches every identity or every issuer). The
    /// caller shows each once, loudly; nothing here weakens or changes the checks.
    pub warnings: Vec<String>,
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
    /// Parses a values file (the `rulePacks` section of a Helm-style `values.yaml`,
    /// `docs/configuration.md`). `base_dir` is the directory relative paths are resolved
    /// against (the values file's own directory). Everything is validated here: keys,
    /// types, references, regular expressions (compiled, whole-value matching).
    ///
    /// ```
    /// use rulepack_verify::RulePacks;
    ///
    /// let yaml = br#"
    /// rulePacks:
    ///   trustedIdentities:
    ///     - issuer: https://token.actions.githubusercontent.com
    ///       identityRegexp: https://github\.com/acme/rules/\.github/workflows/release\.yml@refs/tags/v.+
    ///   extras:
    ///     - oci://ghcr.io/acme/rules/argo:0.2.0
    /// "#;
    /// let config = RulePacks::from_yaml(yaml, std::path::Path::new("."))?;
    /// assert!(config.verify_signature, "verification is on unless switched off");
    /// assert_eq!(config.extras, ["oci://ghcr.io/acme/rules/argo:0.2.0"]);
    /// assert_eq!(config.trusted_identities.len(), 1);
    ///
    /// // A rule that names an issuer but no identity would trust every repository of
    /// // that issuer: refused, naming the entry.
    /// let open = b"rulePacks:\n  trustedIdentities:\n    - issuer: https://token.actions.githubusercontent.com\n";
    /// let err = RulePacks::from_yaml(open, std::path::Path::new(".")).unwrap_err();
    /// assert_eq!(err.code(), "config.identity-entry");
    /// # Ok::<(), rulepack_verify::error::ConfigError>(())
    /// ```
    pub fn from_yaml(bytes: &[u8], base_dir: &Path) -> Result<Self, ConfigError> {
        if bytes.len() > limits::MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge {
                limit: limits::MAX_CONFIG_BYTES,
                what: "bytes in the values file".into(),
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
            warnings: Vec::new(),
            jobs: None,
            timeouts: Timeouts::default(),
        };
        for (key, value) in items {
            let p = format!("{path}.{key}");
            match key.as_str() {
                "verifySignature" => cfg.verify_signature = boolean(value, &p)?,
                "trustedIdentities" => {
                    cfg.trusted_identities = identities(value, &p)?;
                    for t in &cfg.trusted_identities {
                        for w in t.rule.breadth_warnings() {
                            cfg.warnings.push(format!("{p}[{}].{w}", t.index));
                        }
                    }
                }
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
            found: node.describe(),
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
    // Keys are unique: the YAML reader refuses a repeated key in any mapping.
    for (k, _) in items {
        if !allowed.contains(&k.as_str()) {
            return Err(ConfigError::UnknownKey {
                path: path.to_owned(),
                key: k.clone(),
                allowed,
            });
        }
    }
    Ok(items)
}

/// A string: a plain scalar that is neither null nor a boolean, a quoted or block
/// scalar, or one tagged `!!str`. A boolean is not a string (`identity: true` is a
/// mistake, not the identity "true"), and a scalar with any other tag is refused.
fn string<'a>(node: &'a Node, path: &str) -> Result<&'a str, ConfigError> {
    match node {
        Node::Scalar {
            value,
            kind: Scalar::Plain | Scalar::Quoted { .. },
            ..
        } => Ok(value),
        _ => Err(wrong(node, path, "a string")),
    }
}

/// A string that means something: not empty, no leading or trailing whitespace (no
/// issuer URL, certificate identity or reference has either, so such a value could
/// never match and is certainly a mistake).
fn meaningful<'a>(node: &'a Node, path: &str) -> Result<&'a str, ConfigError> {
    let s = string(node, path)?;
    if s.trim().is_empty() {
        return Err(ConfigError::WrongType {
            path: path.to_owned(),
            expected: "a non-empty string",
            found: node.describe(),
            line: node.pos().line,
        });
    }
    if s.trim() != s {
        return Err(ConfigError::WrongType {
            path: path.to_owned(),
            expected: "a string without leading or trailing whitespace",
            found: node.describe(),
            line: node.pos().line,
        });
    }
    Ok(s)
}

/// YAML 1.2 core schema booleans (plain, or tagged `!!bool`); quoted strings and
/// `!!str` values are not booleans.
fn boolean(node: &Node, path: &str) -> Result<bool, ConfigError> {
    match node {
        Node::Scalar {
            kind: Scalar::Bool(b),
            ..
        } => Ok(*b),
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
            what: format!("entries in {path} ({} given)", items.len()),
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
                .map(|(_, v)| meaningful(v, &format!("{p}.{k}")))
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
                    problem: if exact == "identity" {
                        format!("needs {exact} or {re}: without one, the entry would trust every repository and user the issuer vouches for")
                    } else {
                        format!("needs {exact} or {re}: the OIDC provider that must have issued the signer's certificate")
                    },
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
            value,
            kind: Scalar::Plain,
            ..
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
            Node::Scalar {
                value: v,
                kind: Scalar::Plain | Scalar::Quoted { .. },
                ..
            } => parse_duration(v),
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
            what: format!("entries in {path} ({} given)", items.len()),
        });
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (host, url_node) in items {
        let url = meaningful(url_node, &format!("{path}.{host}"))?;
        let registry = host.to_ascii_lowercase();
        if out.iter().any(|(h, _)| *h == registry) {
            return Err(ConfigError::DuplicateKey {
                path: path.to_owned(),
                key: host.clone(),
                line: url_node.pos().line,
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
            ("rulePacks:\n  trustedIdentities:\n    - identity: c\n", "config.identity-entry", "needs issuer or issuerRegexp: the OIDC provider"),
            ("rulePacks:\n  trustedIdentities:\n    - issuer: a\n      identityRegexp: '('\n", "config.invalid-regex", "trustedIdentities[0].identityRegexp"),
            ("rulePacks:\n  trustedIdentities:\n    - issuer: a\n      identity: c\n      subject: d\n", "config.unknown-key", "trustedIdentities[0]"),
            ("rulePacks:\n  extras:\n    - ghcr.io/a/b:1\n", "config.invalid-reference", "extras[0]"),
            ("rulePacks:\n  extras: oci://a/b\n", "config.wrong-type", "must be a list"),
            ("rulePacks:\n  extras: []\n  extras: []\n", "config.duplicate-key", "extras"),
            ("rulePacks:\n  verifySignature: true\nother: 1\nrulePacks:\n  verifySignature: false\n", "config.duplicate-key", "\"rulePacks\" appears twice in the top level of the values file (again at line 4)"),
            ("rulePacks:\n  verifySignature: !!str false\n", "config.wrong-type", "not the string \"false\" (tagged !!str)"),
            ("rulePacks:\n  verifySignature: !custom false\n", "config.wrong-type", "tagged !custom"),
            ("rulePacks:\n  extras: !!set {oci://a.io/b:c: null}\n", "config.wrong-type", "tagged !!set"),
            ("rulePacks:\n  verifySignature: \"false\"\n", "config.wrong-type", "must be true or false, not the quoted string \"false\""),
            ("rulePacks:\n  verifySignature:\n  extras: []\n", "config.wrong-type", "rulePacks.verifySignature (line 2)"),
            ("rulePacks:\n  trustedIdentities:\n    - issuer: ''\n      identity: c\n", "config.wrong-type", "rulePacks.trustedIdentities[0].issuer (line 3) must be a non-empty string"),
            ("rulePacks:\n  trustedIdentities:\n    - issuer: https://a\n      identityRegexp: \"\"\n", "config.wrong-type", "identityRegexp (line 4) must be a non-empty string"),
            ("rulePacks:\n  trustedIdentities:\n    - issuer: https://a\n      identity: ' x'\n", "config.wrong-type", "without leading or trailing whitespace"),
            ("rulePacks:\n  trustedIdentities:\n    - issuer: https://a\n      identity: true\n", "config.wrong-type", "not the boolean true"),
            ("rulePacks:\n  mirrors:\n    ghcr.io: https://bob:s3cret@mirror.corp\n    GHCR.io: https://m\n", "config.duplicate-key", "GHCR.io"),
            ("rulePacks:\n  mirrors:\n    ghcr.io: ftp://bob:s3cret@mirror.corp\n", "config.invalid-mirror", "ftp://***@mirror.corp"),
            ("x: &a [1]\nrulePacks:\n  extras: *a\n", "config.alias", "rulePacks.extras"),
            ("rulePacks:\n  mirrors:\n    ghcr.io: ftp://x\n", "config.invalid-mirror", "ghcr.io"),
            ("rulePacks: [\n", "config.yaml-syntax", "line"),
        ];
        for (doc, code, needle) in cases {
            let e = parse(doc).unwrap_err();
            assert_eq!(e.code(), *code, "{doc}: {e}");
            assert!(e.to_string().contains(needle), "{doc}: {e}");
            assert!(!e.to_string().contains("s3cret"), "{doc}: {e}");
            assert!(!e.to_string().contains("issuer of an issuer"), "{doc}: {e}");
        }
        assert_eq!(
            RulePacks::from_yaml(&[0xff, 0xfe], Path::new("/"))
                .unwrap_err()
                .code(),
            "config.not-utf8"
        );
    }

    #[test]
    fn byte_order_mark_is_accepted() {
        let c = parse("\u{feff}rulePacks:\n  verifySignature: false\n").unwrap();
        assert!(!c.verify_signature);
    }

    #[test]
    fn tagged_booleans_are_read_with_their_tag() {
        assert!(
            !parse("rulePacks:\n  verifySignature: !!bool false\n")
                .unwrap()
                .verify_signature
        );
        // A string, explicitly: never a boolean, so never "verification off".
        assert_eq!(
            parse("rulePacks:\n  verifySignature: !!str false\n")
                .unwrap_err()
                .code(),
            "config.wrong-type"
        );
        assert_eq!(
            parse("rulePacks:\n  extras:\n    - !!binary b2NpOi8vYS5pby9iOmM=\n")
                .unwrap_err()
                .code(),
            "config.wrong-type"
        );
    }

    #[test]
    fn lists_over_their_limit_are_named() {
        let extras: String = (0..=limits::MAX_PACKS)
            .map(|i| format!("    - oci://a.io/b:{i}\n"))
            .collect();
        let e = parse(&format!("rulePacks:\n  extras:\n{extras}")).unwrap_err();
        assert_eq!(e.code(), "config.too-large");
        assert!(e.to_string().contains("rulePacks.extras"), "{e}");
        let e = RulePacks::from_yaml(&vec![b'#'; limits::MAX_CONFIG_BYTES + 1], Path::new("/"))
            .unwrap_err();
        assert_eq!(e.code(), "config.too-large");
    }

    #[test]
    fn rules_that_match_everything_load_with_one_warning_each() {
        let c = parse(
            "rulePacks:\n  trustedIdentities:\n    - issuer: https://token.actions.githubusercontent.com\n      identityRegexp: '.*'\n    - issuerRegexp: '^.+$'\n      identityRegexp: https://github\\.com/.*\n    - issuerRegexp: https://token\\.actions\\.githubusercontent\\.com\n      identityRegexp: ^https://github\\.com/acme/rules/\\.github/workflows/release\\.yml@refs/tags/.+$\n",
        )
        .unwrap();
        assert_eq!(c.trusted_identities.len(), 3);
        assert_eq!(c.warnings.len(), 3, "{:?}", c.warnings);
        assert!(
            c.warnings[0].starts_with(
                "rulePacks.trustedIdentities[0].identityRegexp /.*/ matches every identity"
            ),
            "{:?}",
            c.warnings
        );
        assert!(
            c.warnings[1].contains("trustedIdentities[1].identityRegexp")
                && c.warnings[1].contains("every GitHub repository"),
            "{:?}",
            c.warnings
        );
        assert!(
            c.warnings[2]
                .contains("trustedIdentities[1].issuerRegexp /^.+$/ matches every OIDC issuer"),
            "{:?}",
            c.warnings
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
