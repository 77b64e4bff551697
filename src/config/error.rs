use core::fmt;

use crate::policy::PolicyError;

/// Why the configuration (the `rulePacks` section of a values file) was rejected.
/// Every variant names the key path or entry index, so the operator can find it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file is not valid YAML.
    Yaml {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// The parser's message.
        message: String,
    },
    /// The file is not UTF-8.
    NotUtf8,
    /// The file or one of its lists is larger than allowed.
    TooLarge {
        /// The limit.
        limit: usize,
        /// What was counted (names the list, e.g. `entries in rulePacks.extras`).
        what: String,
    },
    /// The document nests deeper than allowed.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The file has no top-level `rulePacks` mapping.
    MissingSection,
    /// A key inside `rulePacks` is not one this tool knows.
    UnknownKey {
        /// Where (e.g. `rulePacks.trustedIdentities[1]`).
        path: String,
        /// The key.
        key: String,
        /// The keys allowed there.
        allowed: &'static [&'static str],
    },
    /// A key appears twice in one mapping.
    DuplicateKey {
        /// Where.
        path: String,
        /// The key.
        key: String,
        /// 1-based line of the second occurrence.
        line: usize,
    },
    /// A value has the wrong type.
    WrongType {
        /// Key path.
        path: String,
        /// What it must be.
        expected: &'static str,
        /// What it is (with a short quote of a scalar's value).
        found: String,
        /// 1-based line.
        line: usize,
    },
    /// YAML aliases are not accepted inside `rulePacks`.
    Alias {
        /// Key path.
        path: String,
    },
    /// A `trustedIdentities` entry has both or neither of a pair of keys.
    IdentityEntry {
        /// Index of the entry (0-based).
        index: usize,
        /// What is wrong, e.g. "has both issuer and issuerRegexp".
        problem: String,
    },
    /// A `trustedIdentities` regular expression is invalid.
    Regex {
        /// Key path.
        path: String,
        /// The underlying error.
        source: PolicyError,
    },
    /// An `extras` entry is not a valid `oci://` reference.
    Reference {
        /// Index of the entry.
        index: usize,
        /// The entry.
        reference: String,
        /// Why.
        reason: String,
    },
    /// A `mirrors` entry is invalid.
    Mirror {
        /// The logical registry host.
        registry: String,
        /// Why.
        reason: String,
    },
    /// A path option (`trustedRoot`, `layout`) is empty or unusable.
    Path {
        /// Key path.
        path: String,
        /// Why.
        reason: String,
    },
}

impl ConfigError {
    /// Stable machine-readable code, `config.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Yaml { .. } => "config.yaml-syntax",
            Self::NotUtf8 => "config.not-utf8",
            Self::TooLarge { .. } => "config.too-large",
            Self::TooDeep { .. } => "config.too-deep",
            Self::MissingSection => "config.missing-rulepacks",
            Self::UnknownKey { .. } => "config.unknown-key",
            Self::DuplicateKey { .. } => "config.duplicate-key",
            Self::WrongType { .. } => "config.wrong-type",
            Self::Alias { .. } => "config.alias",
            Self::IdentityEntry { .. } => "config.identity-entry",
            Self::Regex { .. } => "config.invalid-regex",
            Self::Reference { .. } => "config.invalid-reference",
            Self::Mirror { .. } => "config.invalid-mirror",
            Self::Path { .. } => "config.invalid-path",
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Yaml { line, col, message } => write!(
                f,
                "YAML syntax error at line {line}, column {col}: {message}"
            ),
            Self::NotUtf8 => f.write_str("the values file is not UTF-8 text"),
            Self::TooLarge { limit, what } => write!(f, "more than {limit} {what}"),
            Self::TooDeep { limit } => {
                write!(f, "the values file nests more than {limit} levels deep")
            }
            Self::MissingSection => {
                f.write_str("the values file has no top-level rulePacks section")
            }
            Self::UnknownKey { path, key, allowed } => {
                write!(
                    f,
                    "unknown key {key:?} in {path} (allowed: {})",
                    allowed.join(", ")
                )
            }
            Self::DuplicateKey { path, key, line } => write!(
                f,
                "key {key:?} appears twice in {path} (again at line {line}); a YAML mapping's keys must be unique"
            ),
            Self::WrongType {
                path,
                expected,
                found,
                line,
            } => {
                write!(f, "{path} (line {line}) must be {expected}, not {found}")
            }
            Self::Alias { path } => write!(
                f,
                "{path} uses a YAML alias, which is not accepted in rulePacks"
            ),
            Self::IdentityEntry { index, problem } => {
                write!(f, "rulePacks.trustedIdentities[{index}] {problem}")
            }
            Self::Regex { path, source } => write!(f, "{path}: {source}"),
            Self::Reference {
                index,
                reference,
                reason,
            } => {
                write!(f, "rulePacks.extras[{index}] {reference:?} is not a valid oci:// reference: {reason}")
            }
            Self::Mirror { registry, reason } => {
                // A mirror URL may carry credentials (`https://user:password@host`).
                let reason = crate::oci::redact_credentials(reason);
                write!(f, "rulePacks.mirrors.{registry}: {reason}")
            }
            Self::Path { path, reason } => write!(f, "{path}: {reason}"),
        }
    }
}

/// The typed cause, where there is one (`Display` already quotes it).
impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Regex { source, .. } => Some(source),
            _ => None,
        }
    }
}
