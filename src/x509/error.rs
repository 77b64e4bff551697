use core::fmt;

use crate::time::{format_rfc3339, UnixTime};

/// Why the signing certificate or its chain was rejected.
///
/// Certificates are named by their subject DN (Fulcio leaves have an empty subject and
/// are called "the signing certificate").
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// The DER is larger than [`crate::limits::MAX_CERT_BYTES`].
    TooLarge {
        /// Size of the DER given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not a DER X.509 v3 certificate (RFC 5280 §4.1).
    Malformed {
        /// What the parser found.
        detail: String,
    },
    /// An extension occurs twice (RFC 5280 §4.2: "A certificate MUST NOT include more
    /// than one instance of a particular extension").
    DuplicateExtension {
        /// Certificate subject.
        subject: String,
        /// The extension OID.
        oid: String,
    },
    /// A known extension's value does not decode.
    MalformedExtension {
        /// Certificate subject.
        subject: String,
        /// Extension name.
        name: String,
        /// The extension OID.
        oid: String,
        /// What was wrong.
        detail: String,
    },
    /// The certificate's public key is not well-formed.
    MalformedKey {
        /// Certificate subject.
        subject: String,
        /// What was wrong.
        detail: String,
    },
    /// The certificate's public key uses an algorithm this verifier does not accept.
    UnsupportedKey {
        /// Certificate subject.
        subject: String,
        /// The algorithm found.
        algorithm: String,
    },
    /// The certificate is signed with an algorithm this verifier does not accept
    /// (only ECDSA and RSA PKCS#1 v1.5 with SHA-256/384/512 and Ed25519 are), or with
    /// parameters the algorithm forbids.
    UnsupportedSignatureAlgorithm {
        /// Certificate subject.
        subject: String,
        /// The algorithm OID (and why it is unusable).
        algorithm: String,
    },
    /// The trusted root lists no certificate authority whose `validFor` contains the
    /// signing time.
    NoTrustedAuthority {
        /// The signing time.
        at: UnixTime,
        /// How many authorities the trusted root lists.
        configured: usize,
    },
    /// A certificate in a trusted-root authority's chain does not parse.
    AuthorityMalformed {
        /// The authority's `uri`.
        uri: String,
        /// The parse failure.
        detail: String,
    },
    /// The certificate's issuer DN is not the subject of the next certificate of any
    /// trusted chain.
    IssuerNotTrusted {
        /// Certificate subject.
        subject: String,
        /// The issuer DN the certificate names.
        issuer: String,
    },
    /// The issuer's signature over the certificate does not verify (RFC 5280 §6.1.3 (a)(1)).
    BadSignature {
        /// Certificate subject.
        subject: String,
        /// Issuer subject.
        issuer: String,
        /// The crypto failure.
        detail: String,
    },
    /// The signing time is before the certificate's `notBefore` (RFC 5280 §4.1.2.5).
    NotYetValid {
        /// Certificate subject.
        subject: String,
        /// The signing time.
        at: UnixTime,
        /// `notBefore`.
        not_before: UnixTime,
        /// `notAfter`.
        not_after: UnixTime,
    },
    /// The signing time is after the certificate's `notAfter` (RFC 5280 §4.1.2.5).
    Expired {
        /// Certificate subject.
        subject: String,
        /// The signing time.
        at: UnixTime,
        /// `notBefore`.
        not_before: UnixTime,
        /// `notAfter`.
        not_after: UnixTime,
    },
    /// An issuing certificate lacks `basicConstraints` with `cA` TRUE (RFC 5280 §6.1.4 (k)).
    IssuerNotCa {
        /// The issuing certificate's subject.
        subject: String,
    },
    /// An issuing certificate's keyUsage lacks keyCertSign (RFC 5280 §6.1.4 (n)).
    IssuerKeyUsage {
        /// The issuing certificate's subject.
        subject: String,
    },
    /// A CA's pathLenConstraint is exceeded (RFC 5280 §4.2.1.9).
    PathLenExceeded {
        /// The CA's subject.
        subject: String,
        /// Its pathLenConstraint.
        path_len: u8,
        /// Intermediate CAs below it.
        intermediates: usize,
    },
    /// An issuing certificate's extendedKeyUsage does not allow the required purpose
    /// (Go `crypto/x509` EKU nesting, which sigstore-go relies on).
    IssuerEkuMismatch {
        /// The issuing certificate's subject.
        subject: String,
        /// The purpose required.
        required: String,
    },
    /// The signing (end-entity) certificate is a CA certificate.
    LeafIsCa {
        /// Certificate subject.
        subject: String,
    },
    /// The signing certificate's keyUsage lacks digitalSignature (RFC 5280 §4.2.1.3).
    KeyUsageInvalid {
        /// Certificate subject.
        subject: String,
    },
    /// The signing certificate has no extendedKeyUsage extension at all.
    EkuAbsent {
        /// Certificate subject.
        subject: String,
        /// The purpose required.
        required: String,
    },
    /// The signing certificate's extendedKeyUsage does not contain the required purpose.
    EkuMismatch {
        /// Certificate subject.
        subject: String,
        /// The purpose required.
        required: String,
        /// The purposes listed.
        found: Vec<String>,
    },
    /// A critical extension this verifier does not process (RFC 5280 §4.2: "A
    /// certificate-using system MUST reject the certificate if it encounters a critical
    /// extension it does not recognize").
    UnknownCriticalExtension {
        /// Certificate subject.
        subject: String,
        /// The extension OID.
        oid: String,
    },
    /// The certificate carries nameConstraints, which this verifier does not process.
    NameConstraintsUnsupported {
        /// Certificate subject.
        subject: String,
    },
    /// The path or a certificate list is longer than [`crate::limits::MAX_CERT_CHAIN_LEN`].
    ChainTooLong {
        /// The length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A certificate supplied by the bundle is not part of the trusted chain that
    /// validated the signing certificate (no path building from untrusted certificates).
    UntrustedIntermediate {
        /// That certificate's subject.
        subject: String,
    },
}

impl CertificateError {
    /// Stable machine-readable code, `certificate.*`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "certificate.too-large",
            Self::Malformed { .. } => "certificate.malformed",
            Self::DuplicateExtension { .. } => "certificate.duplicate-extension",
            Self::MalformedExtension { .. } => "certificate.malformed-extension",
            Self::MalformedKey { .. } => "certificate.malformed-key",
            Self::UnsupportedKey { .. } => "certificate.unsupported-key",
            Self::UnsupportedSignatureAlgorithm { .. } => {
                "certificate.unsupported-signature-algorithm"
            }
            Self::NoTrustedAuthority { .. } => "certificate.no-trusted-ca",
            Self::AuthorityMalformed { .. } => "certificate.trusted-ca-malformed",
            Self::IssuerNotTrusted { .. } => "certificate.untrusted-issuer",
            Self::BadSignature { .. } => "certificate.signature-invalid",
            Self::NotYetValid { .. } => "certificate.not-yet-valid",
            Self::Expired { .. } => "certificate.expired",
            Self::IssuerNotCa { .. } => "certificate.issuer-not-ca",
            Self::IssuerKeyUsage { .. } => "certificate.issuer-key-usage-invalid",
            Self::PathLenExceeded { .. } => "certificate.path-len-exceeded",
            Self::IssuerEkuMismatch { .. } => "certificate.issuer-eku-mismatch",
            Self::LeafIsCa { .. } => "certificate.leaf-is-ca",
            Self::KeyUsageInvalid { .. } => "certificate.key-usage-invalid",
            Self::EkuAbsent { .. } => "certificate.eku-absent",
            Self::EkuMismatch { .. } => "certificate.eku-mismatch",
            Self::UnknownCriticalExtension { .. } => "certificate.unknown-critical-extension",
            Self::NameConstraintsUnsupported { .. } => "certificate.name-constraints-unsupported",
            Self::ChainTooLong { .. } => "certificate.chain-too-long",
            Self::UntrustedIntermediate { .. } => "certificate.untrusted-intermediate",
        }
    }

    /// How informative this error is when several trusted authorities were tried and
    /// all failed (higher = more specific, webpki `Error::rank`): an error found after
    /// the chain linked up beats "this authority did not issue it".
    pub(crate) fn rank(&self) -> u32 {
        match self {
            Self::NotYetValid { .. } | Self::Expired { .. } => 90,
            Self::LeafIsCa { .. }
            | Self::KeyUsageInvalid { .. }
            | Self::EkuAbsent { .. }
            | Self::EkuMismatch { .. }
            | Self::UnknownCriticalExtension { .. }
            | Self::NameConstraintsUnsupported { .. } => 80,
            Self::UntrustedIntermediate { .. } => 75,
            Self::BadSignature { .. } => 70,
            Self::IssuerNotCa { .. }
            | Self::IssuerKeyUsage { .. }
            | Self::PathLenExceeded { .. }
            | Self::IssuerEkuMismatch { .. }
            | Self::UnsupportedSignatureAlgorithm { .. }
            | Self::MalformedKey { .. }
            | Self::UnsupportedKey { .. } => 60,
            Self::IssuerNotTrusted { .. } => 40,
            Self::ChainTooLong { .. } => 30,
            Self::AuthorityMalformed { .. } => 20,
            Self::NoTrustedAuthority { .. } => 10,
            Self::TooLarge { .. }
            | Self::Malformed { .. }
            | Self::DuplicateExtension { .. }
            | Self::MalformedExtension { .. } => 5,
        }
    }
}

fn window(f: &mut fmt::Formatter<'_>, not_before: UnixTime, not_after: UnixTime) -> fmt::Result {
    write!(
        f,
        "certificate valid {} to {}",
        format_rfc3339(not_before),
        format_rfc3339(not_after)
    )
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len, max } => write!(
                f,
                "certificate is {len} bytes, more than the {max}-byte limit"
            ),
            Self::Malformed { detail } => {
                write!(f, "certificate is not a valid DER X.509 certificate: {detail}")
            }
            Self::DuplicateExtension { subject, oid } => write!(
                f,
                "certificate {subject} contains extension {oid} more than once"
            ),
            Self::MalformedExtension {
                subject,
                name,
                oid,
                detail,
            } => write!(
                f,
                "certificate {subject} has a malformed {name} extension ({oid}): {detail}"
            ),
            Self::MalformedKey { subject, detail } => {
                write!(f, "certificate {subject} has a malformed public key: {detail}")
            }
            Self::UnsupportedKey { subject, algorithm } => write!(
                f,
                "certificate {subject} has an unsupported public key ({algorithm}; accepted: {})",
                crate::crypto::accepted_keys()
            ),
            Self::UnsupportedSignatureAlgorithm { subject, algorithm } => write!(
                f,
                "certificate {subject} is signed with an unsupported algorithm {algorithm} (accepted: ECDSA with SHA-256/384/512, {}Ed25519)",
                if cfg!(feature = "rsa") {
                    "RSA PKCS#1 v1.5 with SHA-256/384/512, "
                } else {
                    ""
                }
            ),
            Self::NoTrustedAuthority { at, configured } => write!(
                f,
                "no trusted CA was valid at signing time {} ({configured} certificate authorities in the trusted root)",
                format_rfc3339(*at)
            ),
            Self::AuthorityMalformed { uri, detail } => write!(
                f,
                "a certificate of trusted CA {uri} in the trusted root is malformed: {detail}"
            ),
            Self::IssuerNotTrusted { subject, issuer } => write!(
                f,
                "issuer {issuer} of certificate {subject} is not in the trusted root"
            ),
            Self::BadSignature {
                subject,
                issuer,
                detail,
            } => write!(
                f,
                "signature by issuer {issuer} on certificate {subject} does not verify: {detail}"
            ),
            Self::NotYetValid {
                subject,
                at,
                not_before,
                not_after,
            } => {
                write!(
                    f,
                    "certificate {subject} is not valid at signing time {} (not yet valid): ",
                    format_rfc3339(*at)
                )?;
                window(f, *not_before, *not_after)
            }
            Self::Expired {
                subject,
                at,
                not_before,
                not_after,
            } => {
                write!(
                    f,
                    "certificate {subject} is not valid at signing time {} (expired): ",
                    format_rfc3339(*at)
                )?;
                window(f, *not_before, *not_after)
            }
            Self::IssuerNotCa { subject } => write!(
                f,
                "issuing certificate {subject} is not a CA certificate (basicConstraints cA is not true)"
            ),
            Self::IssuerKeyUsage { subject } => write!(
                f,
                "issuing certificate {subject} is not allowed to sign certificates (keyUsage lacks keyCertSign)"
            ),
            Self::PathLenExceeded {
                subject,
                path_len,
                intermediates,
            } => write!(
                f,
                "issuing certificate {subject} allows at most {path_len} intermediate CAs below it but the chain has {intermediates}"
            ),
            Self::IssuerEkuMismatch { subject, required } => write!(
                f,
                "issuing certificate {subject} restricts extended key usage and does not allow {required}"
            ),
            Self::LeafIsCa { subject } => write!(
                f,
                "certificate {subject} is a CA certificate and cannot be used as the signing certificate"
            ),
            Self::KeyUsageInvalid { subject } => write!(
                f,
                "certificate {subject} is not allowed to make digital signatures (keyUsage lacks digitalSignature)"
            ),
            Self::EkuAbsent { subject, required } => write!(
                f,
                "certificate {subject} has no extended key usage extension; {required} is required"
            ),
            Self::EkuMismatch {
                subject,
                required,
                found,
            } => write!(
                f,
                "certificate {subject} is not valid for {required} (extended key usage: {})",
                found.join(", ")
            ),
            Self::UnknownCriticalExtension { subject, oid } => write!(
                f,
                "certificate {subject} has a critical extension {oid} this verifier does not understand"
            ),
            Self::NameConstraintsUnsupported { subject } => write!(
                f,
                "certificate {subject} has name constraints, which this verifier does not support"
            ),
            Self::ChainTooLong { len, max } => write!(
                f,
                "certificate chain has {len} certificates, more than the limit of {max}"
            ),
            Self::UntrustedIntermediate { subject } => write!(
                f,
                "the bundle carries certificate {subject}, which is not part of the trusted CA chain"
            ),
        }
    }
}

impl std::error::Error for CertificateError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant: a `certificate.` code, a lowercase sentence, no debug output.
    #[test]
    fn every_variant_has_a_code_and_a_readable_sentence() {
        let s = || "CN=x".to_owned();
        let all = vec![
            CertificateError::TooLarge { len: 2, max: 1 },
            CertificateError::Malformed { detail: "d".into() },
            CertificateError::DuplicateExtension {
                subject: s(),
                oid: "1.2".into(),
            },
            CertificateError::MalformedExtension {
                subject: s(),
                name: "n".into(),
                oid: "1.2".into(),
                detail: "d".into(),
            },
            CertificateError::MalformedKey {
                subject: s(),
                detail: "d".into(),
            },
            CertificateError::UnsupportedKey {
                subject: s(),
                algorithm: "RSA".into(),
            },
            CertificateError::UnsupportedSignatureAlgorithm {
                subject: s(),
                algorithm: "1.2".into(),
            },
            CertificateError::NoTrustedAuthority {
                at: 0,
                configured: 2,
            },
            CertificateError::AuthorityMalformed {
                uri: "u".into(),
                detail: "d".into(),
            },
            CertificateError::IssuerNotTrusted {
                subject: s(),
                issuer: s(),
            },
            CertificateError::BadSignature {
                subject: s(),
                issuer: s(),
                detail: "d".into(),
            },
            CertificateError::NotYetValid {
                subject: s(),
                at: 0,
                not_before: 1,
                not_after: 2,
            },
            CertificateError::Expired {
                subject: s(),
                at: 3,
                not_before: 1,
                not_after: 2,
            },
            CertificateError::IssuerNotCa { subject: s() },
            CertificateError::IssuerKeyUsage { subject: s() },
            CertificateError::PathLenExceeded {
                subject: s(),
                path_len: 0,
                intermediates: 1,
            },
            CertificateError::IssuerEkuMismatch {
                subject: s(),
                required: "r".into(),
            },
            CertificateError::LeafIsCa { subject: s() },
            CertificateError::KeyUsageInvalid { subject: s() },
            CertificateError::EkuAbsent {
                subject: s(),
                required: "r".into(),
            },
            CertificateError::EkuMismatch {
                subject: s(),
                required: "r".into(),
                found: vec!["f".into()],
            },
            CertificateError::UnknownCriticalExtension {
                subject: s(),
                oid: "1.2".into(),
            },
            CertificateError::NameConstraintsUnsupported { subject: s() },
            CertificateError::ChainTooLong { len: 11, max: 10 },
            CertificateError::UntrustedIntermediate { subject: s() },
        ];
        let mut codes: Vec<_> = all.iter().map(CertificateError::code).collect();
        for e in &all {
            let msg = e.to_string();
            assert!(e.code().starts_with("certificate."), "{}", e.code());
            assert!(msg.starts_with(|c: char| !c.is_uppercase()), "{msg}");
            assert!(!msg.contains('{') && !msg.contains("::"), "{msg}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "codes are distinct");
        let e = CertificateError::Expired {
            subject: s(),
            at: 3,
            not_before: 1,
            not_after: 2,
        };
        assert_eq!(
            e.to_string(),
            "certificate CN=x is not valid at signing time 1970-01-01T00:00:03Z (expired): \
             certificate valid 1970-01-01T00:00:01Z to 1970-01-01T00:00:02Z"
        );
    }
}
