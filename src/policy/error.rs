use core::fmt;

/// One identity rule that did not match, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMismatch {
    /// The rule's position in the policy (0-based).
    pub rule: usize,
    /// Why it did not match ("identity must be matching /…/ (whole value)").
    pub reason: String,
    /// How close the rule came: rules whose issuer matched come first, then the longer
    /// the common prefix of the identity and the rule's literal text, the closer.
    pub closeness: usize,
}

/// At most `max` characters of `s`, with `…` when shortened.
fn shorten(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Why the signer's identity was not accepted, or a policy could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// No rule of the policy matched the certificate's identity and issuer.
    IdentityMismatch {
        /// The SAN identity found in the certificate.
        found_identity: String,
        /// The OIDC issuer found in the certificate.
        found_issuer: String,
        /// Each rule tried, and why it did not match.
        tried: Vec<RuleMismatch>,
    },
    /// The certificate has no SAN identity (URI, email or Fulcio OtherName).
    MissingIdentity,
    /// The certificate has no OIDC issuer extension (1.3.6.1.4.1.57264.1.8 or .1).
    MissingIssuer,
    /// A regular expression in the policy does not compile or is too long.
    InvalidRegex {
        /// The pattern as written.
        pattern: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The policy has no rules: nothing could ever be trusted.
    EmptyPolicy,
    /// The bundle is signed with a bare public key but the policy expects a certificate identity.
    KeyBundleWithoutKey,
    /// The bundle carries a certificate but the policy is a public key.
    CertificateBundleWithKeyPolicy,
}

impl PolicyError {
    /// Stable machine-readable code, `policy.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::IdentityMismatch { .. } => "policy.identity-mismatch",
            Self::MissingIdentity => "policy.missing-identity",
            Self::MissingIssuer => "policy.missing-issuer",
            Self::InvalidRegex { .. } => "policy.invalid-regex",
            Self::EmptyPolicy => "policy.empty",
            Self::KeyBundleWithoutKey => "policy.key-bundle-without-key",
            Self::CertificateBundleWithKeyPolicy => "policy.certificate-bundle-with-key",
        }
    }
}

impl PolicyError {
    /// [`Display`](fmt::Display) kept to one readable line: for an identity mismatch,
    /// the found values shortened and every rule named when there are at most
    /// `max_rules`; otherwise only the closest `max_rules - 1` (at least one), the others
    /// counted. Other errors are their full sentence.
    pub fn summary(&self, max_rules: usize) -> String {
        let Self::IdentityMismatch {
            found_identity,
            found_issuer,
            tried,
        } = self
        else {
            return self.to_string();
        };
        let mut s = format!(
            "certificate identity {:?} issued by {:?} matches no trusted identity",
            shorten(found_identity, 160),
            shorten(found_issuer, 100)
        );
        let mut closest: Vec<&RuleMismatch> = tried.iter().collect();
        closest.sort_by_key(|t| core::cmp::Reverse(t.closeness));
        // A short list is shown whole; a long one is cut to the closest rule(s).
        let shown = if closest.len() <= max_rules {
            closest.len()
        } else {
            max_rules.saturating_sub(1).max(1)
        };
        let label = if shown < tried.len() {
            "; closest: "
        } else {
            "; "
        };
        for (i, t) in closest.iter().take(shown).enumerate() {
            s.push_str(if i == 0 { label } else { "; " });
            s.push_str(&format!(
                "rule {}: {}",
                t.rule.saturating_add(1),
                shorten(&t.reason, 200)
            ));
        }
        if shown < tried.len() {
            s.push_str(&format!(
                "; {} more rule{} tried",
                tried.len() - shown,
                if tried.len() - shown == 1 { "" } else { "s" }
            ));
        }
        s
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IdentityMismatch {
                found_identity,
                found_issuer,
                tried,
            } => {
                write!(
                    f,
                    "certificate identity {found_identity:?} issued by {found_issuer:?} matches no trusted identity"
                )?;
                for t in tried {
                    write!(f, "; rule {}: {}", t.rule.saturating_add(1), t.reason)?;
                }
                Ok(())
            }
            Self::MissingIdentity => f.write_str(
                "the signing certificate has no subject alternative name identity (URI, email or Fulcio username)",
            ),
            Self::MissingIssuer => f.write_str(
                "the signing certificate has no OIDC issuer extension (OID 1.3.6.1.4.1.57264.1.8 or .1)",
            ),
            Self::InvalidRegex { pattern, reason } => {
                write!(f, "regular expression {pattern:?} is invalid: {reason}")
            }
            Self::EmptyPolicy => f.write_str("the identity policy lists no trusted identities"),
            Self::KeyBundleWithoutKey => f.write_str(
                "the bundle is signed with a public key, not a certificate; verify it with --key",
            ),
            Self::CertificateBundleWithKeyPolicy => f.write_str(
                "the bundle carries a signing certificate but a public key was given to verify it",
            ),
        }
    }
}

impl std::error::Error for PolicyError {}
