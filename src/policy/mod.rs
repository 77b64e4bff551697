//! Identity policy: which signer identities are trusted.
//!
//! docs/verification.md, "Trust policy": `identity`/`issuer` are exact, case-sensitive comparisons; regular expressions
//! use RE2-style syntax and always match the **whole** value (compiled as `^(?:…)$`),
//! whether or not the user wrote anchors. The identity compared is the certificate's SAN
//! (URI, else email, else Fulcio OtherName); the issuer is extension
//! 1.3.6.1.4.1.57264.1.8, falling back to .1.

mod error;
pub use error::{PolicyError, RuleMismatch};

use crate::crypto::PublicKey;
use crate::limits;

/// How one certificate field is compared: exactly ([`Matcher::exact`]) or by a regular
/// expression that must match the whole value ([`Matcher::regex`]).
#[derive(Clone, Debug)]
pub struct Matcher(MatcherKind);

#[derive(Clone, Debug)]
enum MatcherKind {
    /// Exact, case-sensitive equality.
    Exact(String),
    /// Full-match regular expression.
    Regex {
        /// The pattern as the user wrote it.
        pattern: String,
        /// The compiled, anchored form `^(?:pattern)$`.
        compiled: regex_lite::Regex,
    },
    /// Prefix match (used only by the compiled-in first-party policy).
    Prefix(String),
}

impl Matcher {
    /// An exact matcher.
    pub fn exact(s: impl Into<String>) -> Self {
        Self(MatcherKind::Exact(s.into()))
    }

    /// A prefix matcher (only the compiled-in first-party policy uses one).
    fn prefix(s: impl Into<String>) -> Self {
        Self(MatcherKind::Prefix(s.into()))
    }

    /// The regular expression as written, for a regex matcher.
    fn pattern(&self) -> Option<&str> {
        match &self.0 {
            MatcherKind::Regex { pattern, .. } => Some(pattern),
            MatcherKind::Exact(_) | MatcherKind::Prefix(_) => None,
        }
    }

    /// A full-match regular expression. The pattern is wrapped as `^(?:pattern)$`, so
    /// `acme/rules` never matches `acme/rules-evil` (docs/verification.md, "Trust policy").
    pub fn regex(pattern: &str) -> Result<Self, PolicyError> {
        if pattern.len() > limits::MAX_REGEX_LEN {
            return Err(PolicyError::InvalidRegex {
                pattern: pattern.chars().take(64).collect(),
                reason: format!("longer than {} bytes", limits::MAX_REGEX_LEN),
            });
        }
        let compiled = regex_lite::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            PolicyError::InvalidRegex {
                pattern: pattern.to_owned(),
                reason: e.to_string(),
            }
        })?;
        Ok(Self(MatcherKind::Regex {
            pattern: pattern.to_owned(),
            compiled,
        }))
    }

    /// Whether `value` satisfies this matcher.
    pub fn matches(&self, value: &str) -> bool {
        match &self.0 {
            MatcherKind::Exact(s) => s == value,
            MatcherKind::Regex { compiled, .. } => compiled.is_match(value),
            MatcherKind::Prefix(p) => value.starts_with(p.as_str()),
        }
    }

    /// The literal text every match starts with (for "closest rule" ranking only):
    /// the exact or prefix string, or a pattern's leading literal characters.
    fn literal_prefix(&self) -> String {
        match &self.0 {
            MatcherKind::Exact(s) | MatcherKind::Prefix(s) => s.clone(),
            MatcherKind::Regex { pattern, .. } => {
                let mut out = String::new();
                let mut chars = pattern.strip_prefix('^').unwrap_or(pattern).chars();
                while let Some(ch) = chars.next() {
                    match ch {
                        '\\' => match chars.next() {
                            Some(e) if e.is_ascii_punctuation() => out.push(e),
                            _ => break,
                        },
                        '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^'
                        | '$' => break,
                        other => out.push(other),
                    }
                }
                out
            }
        }
    }

    fn describe(&self) -> String {
        match &self.0 {
            MatcherKind::Exact(s) => format!("exactly {s:?}"),
            MatcherKind::Regex { pattern, .. } => format!("matching /{pattern}/ (whole value)"),
            MatcherKind::Prefix(p) => format!("starting with {p:?}"),
        }
    }
}

/// The identity claims of a verified signing certificate, as the policy sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignerClaims<'a> {
    /// SAN identity (URI, else email, else Fulcio OtherName).
    pub identity: &'a str,
    /// OIDC issuer (extension .8, else .1).
    pub issuer: &'a str,
    /// Source Repository URI (1.3.6.1.4.1.57264.1.12), when present.
    pub source_repository_uri: Option<&'a str>,
    /// Source Repository Ref (1.3.6.1.4.1.57264.1.14), when present.
    pub source_repository_ref: Option<&'a str>,
}

/// One trusted identity: issuer and SAN, plus optional constraints on Fulcio extensions
/// that apply **when the extension is present** (docs/verification.md, "Trust policy": the first-party rule).
#[derive(Clone, Debug)]
pub struct IdentityRule {
    /// The OIDC issuer.
    pub issuer: Matcher,
    /// The SAN identity.
    pub identity: Matcher,
    /// Source Repository URI constraint (checked when the certificate has the extension).
    pub source_repository_uri: Option<Matcher>,
    /// Source Repository Ref constraint (checked when the certificate has the extension).
    pub source_repository_ref: Option<Matcher>,
}

impl IdentityRule {
    /// A rule on issuer and identity only.
    pub fn new(issuer: Matcher, identity: Matcher) -> Self {
        Self {
            issuer,
            identity,
            source_repository_uri: None,
            source_repository_ref: None,
        }
    }

    /// How close `c` came to this rule (see [`RuleMismatch::closeness`]).
    fn closeness(&self, c: &SignerClaims<'_>) -> usize {
        let common =
            |a: &str, b: &str| a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        let issuer = if self.issuer.matches(c.issuer) {
            1 << 20
        } else {
            0
        };
        issuer + common(&self.identity.literal_prefix(), c.identity)
    }

    /// `None` when the claims satisfy the rule, else the reason they do not.
    fn mismatch(&self, c: &SignerClaims<'_>) -> Option<String> {
        if !self.issuer.matches(c.issuer) {
            return Some(format!("issuer must be {}", self.issuer.describe()));
        }
        if !self.identity.matches(c.identity) {
            return Some(format!("identity must be {}", self.identity.describe()));
        }
        let ext_checks = [
            (
                "Source Repository URI",
                &self.source_repository_uri,
                c.source_repository_uri,
            ),
            (
                "Source Repository Ref",
                &self.source_repository_ref,
                c.source_repository_ref,
            ),
        ];
        for (name, want, got) in ext_checks {
            if let (Some(want), Some(got)) = (want, got) {
                if !want.matches(got) {
                    return Some(format!("{name} {got:?} must be {}", want.describe()));
                }
            }
        }
        None
    }
}

/// A part of an [`IdentityRule`] that matches identities or issuers nobody can have
/// meant: it loads (the rule is valid), but the caller should warn, once and loudly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BroadRule {
    /// `true` for the identity (SAN) matcher, `false` for the issuer matcher.
    pub identity: bool,
    /// The pattern as written.
    pub pattern: String,
    /// What it lets through, as a sentence fragment ("every identity …").
    pub matches: &'static str,
}

impl core::fmt::Display for BroadRule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (key, hint) = if self.identity {
            (
                "identityRegexp",
                r"pin the repository and workflow, e.g. ^https://github\.com/OWNER/REPO/\.github/workflows/release\.yml@refs/tags/.+$",
            )
        } else {
            (
                "issuerRegexp",
                "name the one OIDC issuer, e.g. issuer: https://token.actions.githubusercontent.com",
            )
        };
        write!(
            f,
            "{key} /{}/ matches {}; {hint}",
            self.pattern, self.matches
        )
    }
}

/// Values no one configures on purpose. A rule that accepts them accepts (nearly)
/// anything of its kind. `.invalid` is reserved (RFC 2606 §2), so no real issuer or
/// mailbox has these names.
const IDENTITY_PROBES: [(&str, &str, &str); 2] = [
    (
        "rulepack-verify-probe",
        "probe@rulepack-verify-probe.invalid",
        "every identity (any repository's workflow, any e-mail address)",
    ),
    (
        "https://github.com/rulepack-verify-probe/rulepack-verify-probe/.github/workflows/probe.yml@refs/heads/probe",
        "https://github.com/rulepack-verify-probe/probe/.github/workflows/release.yml@refs/tags/v0.0.0-probe",
        "the workflows of every GitHub repository",
    ),
];
const ISSUER_PROBES: [(&str, &str, &str); 1] = [(
    "https://rulepack-verify-probe.invalid",
    "rulepack-verify-probe",
    "every OIDC issuer",
)];

impl IdentityRule {
    /// The parts of this rule that match (nearly) everything: a regular expression that
    /// accepts identities or issuers from owners nobody configured (`.*`, `.+`,
    /// `https://github\.com/.*`). Probed with made-up values, so any pattern that admits
    /// them is reported, however it is spelled.
    pub(crate) fn breadth_warnings(&self) -> Vec<BroadRule> {
        let mut out = Vec::new();
        for (matcher, identity, probes) in [
            (&self.identity, true, &IDENTITY_PROBES[..]),
            (&self.issuer, false, &ISSUER_PROBES[..]),
        ] {
            let Some(pattern) = matcher.pattern() else {
                continue;
            };
            if let Some((_, _, what)) = probes
                .iter()
                .find(|(a, b, _)| matcher.matches(a) && matcher.matches(b))
            {
                out.push(BroadRule {
                    identity,
                    pattern: pattern.to_owned(),
                    matches: what,
                });
            }
        }
        out
    }
}

/// The issuer of every first-party pack (docs/verification.md, "Trust policy").
pub const FIRST_PARTY_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The workflow identity of every first-party pack (docs/verification.md, "Trust policy"), matched in full.
pub const FIRST_PARTY_IDENTITY_REGEX: &str =
    r"https://github\.com/lithastra/kubeatlas-rules/\.github/workflows/release\.yml@refs/tags/.+";
/// The source repository of every first-party pack (docs/verification.md, "Trust policy").
pub const FIRST_PARTY_SOURCE_REPOSITORY: &str = "https://github.com/lithastra/kubeatlas-rules";

/// The compiled-in first-party rule. Configuration cannot widen it.
pub fn first_party_rule() -> Result<IdentityRule, PolicyError> {
    Ok(IdentityRule {
        issuer: Matcher::exact(FIRST_PARTY_ISSUER),
        identity: Matcher::regex(FIRST_PARTY_IDENTITY_REGEX)?,
        source_repository_uri: Some(Matcher::exact(FIRST_PARTY_SOURCE_REPOSITORY)),
        source_repository_ref: Some(Matcher::prefix("refs/tags/")),
    })
}

/// What a bundle's signer must be.
#[derive(Clone, Debug)]
pub enum VerificationPolicy {
    /// Keyless: the Fulcio certificate identity must satisfy at least one rule.
    Identities(Vec<IdentityRule>),
    /// A known public key (`--key`); identity policies never apply to key bundles.
    PublicKey(PublicKey),
}

/// Checks certificate claims against an identity policy. Every rule is tried and
/// each rejection is reported (sigstore-go reports only the last one).
pub fn check_identity(
    rules: &[IdentityRule],
    c: &SignerClaims<'_>,
) -> Result<usize, PolicyError> {
    if rules.is_empty() {
        return Err(PolicyError::EmptyPolicy);
    }
    let mut tried = Vec::with_capacity(rules.len());
    for (i, r) in rules.iter().enumerate() {
        match r.mismatch(c) {
            None => return Ok(i),
            Some(why) => tried.push(RuleMismatch {
                rule: i,
                reason: why,
                closeness: r.closeness(c),
            }),
        }
    }
    Err(PolicyError::IdentityMismatch {
        found_identity: c.identity.to_owned(),
        found_issuer: c.issuer.to_owned(),
        tried,
    })
}

/// What a DSSE statement must be, beyond naming the artifact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatementRequirement {
    /// Any in-toto statement (v0.1 or v1) whose subject has the artifact digest.
    #[default]
    AnySubjectMatch,
    /// cosign's new bundle format (cosign v3 `cmd/cosign/cli/sign/sign.go`
    /// `signDigestBundle`): Statement v1 with predicate type
    /// `https://sigstore.dev/cosign/sign/v1`.
    CosignSign,
}

/// What one verification requires of a bundle: who must have signed it, and what a DSSE
/// statement must be. Built per check, beside the long-lived
/// [`Verifier`](crate::verify::Verifier) (sigstore-go's `NewPolicy` beside
/// `NewVerifier`).
///
/// ```
/// use rulepack_verify::{Matcher, Policy};
///
/// let policy = Policy::identity(
///     Matcher::exact("https://token.actions.githubusercontent.com"),
///     Matcher::regex(r"https://github\.com/acme/rules/\.github/workflows/release\.yml@refs/tags/v.+")?,
/// );
/// # Ok::<(), rulepack_verify::error::PolicyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    signer: VerificationPolicy,
    statement: StatementRequirement,
}

impl Policy {
    /// Keyless: the Fulcio certificate must be issued by `issuer` to `identity`.
    pub fn identity(issuer: Matcher, identity: Matcher) -> Self {
        Self::identities(vec![IdentityRule::new(issuer, identity)])
    }

    /// Keyless: the Fulcio certificate identity must satisfy at least one rule. An empty
    /// list trusts nobody (every verification fails with `policy.empty`).
    pub fn identities(rules: Vec<IdentityRule>) -> Self {
        Self {
            signer: VerificationPolicy::Identities(rules),
            statement: StatementRequirement::default(),
        }
    }

    /// A bundle signed with a known public key; identity rules never apply to it.
    pub fn public_key(key: PublicKey) -> Self {
        Self {
            signer: VerificationPolicy::PublicKey(key),
            statement: StatementRequirement::default(),
        }
    }

    /// Requires a DSSE statement of this kind (default: any in-toto statement naming the
    /// artifact).
    #[must_use]
    pub fn with_statement(mut self, statement: StatementRequirement) -> Self {
        self.statement = statement;
        self
    }

    /// Who must have signed.
    pub fn signer(&self) -> &VerificationPolicy {
        &self.signer
    }

    /// What a DSSE statement must be.
    pub fn statement(&self) -> StatementRequirement {
        self.statement
    }
}

impl From<VerificationPolicy> for Policy {
    /// The policy for this signer with the default statement requirement.
    fn from(signer: VerificationPolicy) -> Self {
        Self {
            signer,
            statement: StatementRequirement::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims<'a>(id: &'a str, iss: &'a str) -> SignerClaims<'a> {
        SignerClaims {
            identity: id,
            issuer: iss,
            source_repository_uri: None,
            source_repository_ref: None,
        }
    }

    const GOOD: &str = "https://github.com/lithastra/kubeatlas-rules/.github/workflows/release.yml@refs/tags/v1.2.0";

    #[test]
    fn regex_is_always_full_match() {
        let m = Matcher::regex(r"https://github\.com/acme/rules/.*").unwrap();
        assert!(m.matches("https://github.com/acme/rules/x"));
        assert!(!m.matches("https://github.com/acme/rules-evil/x"));
        assert!(!m.matches("xhttps://github.com/acme/rules/x"));
        // User-written anchors are harmless.
        let m = Matcher::regex(r"^a|b$").unwrap();
        assert!(m.matches("a") && m.matches("b"));
        assert!(!m.matches("ab") && !m.matches("ax") && !m.matches("xb"));
        // An alternation cannot escape the anchors.
        let m = Matcher::regex("release.yml@refs/heads/main|x").unwrap();
        assert!(!m.matches("release.yml@refs/heads/main-evil"));
    }

    #[test]
    fn bad_and_huge_regexes_are_errors() {
        assert_eq!(
            Matcher::regex("(").unwrap_err().code(),
            "policy.invalid-regex"
        );
        let huge = "a".repeat(limits::MAX_REGEX_LEN + 1);
        assert_eq!(
            Matcher::regex(&huge).unwrap_err().code(),
            "policy.invalid-regex"
        );
    }

    #[test]
    fn first_party_rule_pins_workflow_repo_and_tag() {
        let rules = [first_party_rule().unwrap()];
        assert_eq!(
            check_identity(&rules, &claims(GOOD, FIRST_PARTY_ISSUER)),
            Ok(0)
        );
        for bad in [
            "https://github.com/lithastra/kubeatlas-rules/.github/workflows/release.yml@refs/heads/main",
            "https://github.com/lithastra/kubeatlas-rules-evil/.github/workflows/release.yml@refs/tags/v1",
            "https://github.com/lithastra/kubeatlas-rules/.github/workflows/other.yml@refs/tags/v1",
            "https://github.com/lithastra/kubeatlas-rules/.github/workflows/release.yml@refs/tags/",
        ] {
            let e = check_identity(&rules, &claims(bad, FIRST_PARTY_ISSUER)).unwrap_err();
            assert_eq!(e.code(), "policy.identity-mismatch", "{bad}");
        }
        let e = check_identity(&rules, &claims(GOOD, "https://gitlab.com"))
            .unwrap_err();
        assert!(e.to_string().contains("issuer must be exactly"), "{e}");
        // Extension constraints apply when present.
        let mut c = claims(GOOD, FIRST_PARTY_ISSUER);
        c.source_repository_uri = Some("https://github.com/lithastra/kubeatlas-rules-evil");
        assert!(check_identity(&rules, &c).is_err());
        c.source_repository_uri = Some(FIRST_PARTY_SOURCE_REPOSITORY);
        c.source_repository_ref = Some("refs/heads/main");
        assert!(check_identity(&rules, &c).is_err());
        c.source_repository_ref = Some("refs/tags/v1.2.0");
        assert_eq!(check_identity(&rules, &c), Ok(0));
    }

    #[test]
    fn every_rule_is_reported() {
        let rules = [
            IdentityRule::new(Matcher::exact("https://a"), Matcher::exact("x")),
            IdentityRule::new(Matcher::exact("https://b"), Matcher::regex("y.*").unwrap()),
        ];
        let e = check_identity(&rules, &claims("z", "https://b")).unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("rule 1: issuer must be exactly \"https://a\""),
            "{s}"
        );
        assert!(s.contains("rule 2: identity must be matching /y.*/"), "{s}");
        assert_eq!(
            check_identity(&[], &claims("z", "https://b")),
            Err(PolicyError::EmptyPolicy)
        );
    }

    #[test]
    fn summary_names_the_closest_rules_and_counts_the_rest() {
        let mut rules: Vec<IdentityRule> = (0..256)
            .map(|i| {
                IdentityRule::new(
                    Matcher::exact(format!("https://issuer{i}.example")),
                    Matcher::regex(&format!(r"^https://github\.com/org{i}/rules/\.github/workflows/release\.yml@refs/tags/.+$")).unwrap(),
                )
            })
            .collect();
        rules.push(IdentityRule::new(
            Matcher::exact("https://token.actions.githubusercontent.com"),
            Matcher::regex(
                r"^https://github\.com/acme/rules/\.github/workflows/release\.yml@refs/tags/.+$",
            )
            .unwrap(),
        ));
        rules.push(IdentityRule::new(
            Matcher::exact("https://token.actions.githubusercontent.com"),
            Matcher::exact(
                "https://github.com/acme/other/.github/workflows/release.yml@refs/tags/v1",
            ),
        ));
        let found = "https://github.com/acme/rules/.github/workflows/release.yml@refs/heads/main";
        let e = check_identity(
            &rules,
            &claims(found, "https://token.actions.githubusercontent.com"),
        )
        .unwrap_err();
        let full = e.to_string();
        assert!(full.len() > 10_000, "{}", full.len());
        assert!(full.contains("rule 256:"));
        let short = e.summary(3);
        assert!(short.len() < 600, "{} chars: {short}", short.len());
        assert!(
            short.contains("closest: rule 257: identity must be matching"),
            "{short}"
        );
        assert!(
            short.contains("; rule 258: identity must be exactly"),
            "{short}"
        );
        assert!(short.ends_with("; 256 more rules tried"), "{short}");
        let one = e.summary(2);
        assert!(
            one.contains("closest: rule 257:") && !one.contains("rule 258"),
            "{one}"
        );
        assert!(one.ends_with("; 257 more rules tried"), "{one}");
        // With few rules, nothing is left out.
        let e = check_identity(&rules[256..], &claims(found, "https://x"))
            .unwrap_err();
        assert_eq!(e.summary(2).matches("rule ").count(), 2);
        assert!(!e.summary(2).contains("more rule"));
    }
}
