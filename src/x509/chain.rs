//! Certification path validation against the trusted root's certificate authorities,
//! at the signing time (SPEC §4 "Chain validation uses the signing time ... as now";
//! sigstore-go `pkg/root/certificate_authority.go`, RFC 5280 §6.1).
//!
//! No path building: the candidate path is the signing certificate followed by one
//! authority's `certChain` as the trusted root lists it.

use der::asn1::ObjectIdentifier;

use super::cert::{
    ParsedCertificate, OID_BASIC_CONSTRAINTS, OID_EXT_KEY_USAGE, OID_KEY_USAGE,
    OID_NAME_CONSTRAINTS, OID_SUBJECT_ALT_NAME,
};
use super::error::CertificateError;
use crate::crypto::{CryptoError, HashAlgorithm, KeyAlgorithm, OID_ED25519};
use crate::limits::MAX_CERT_CHAIN_LEN;
use crate::time::UnixTime;
use crate::trust_root::CertificateAuthority;

/// `id-kp-codeSigning` (RFC 5280 §4.2.1.12), required of Fulcio signing certificates.
pub const EKU_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// `id-kp-timeStamping` (RFC 5280 §4.2.1.12, RFC 3161 §2.3), required of TSA certificates.
pub const EKU_TIME_STAMPING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// `anyExtendedKeyUsage` (RFC 5280 §4.2.1.12).
const EKU_ANY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// The result of path validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedChain {
    /// Index into the `authorities` slice given to [`verify_chain`] of the authority
    /// whose chain validated the certificate.
    pub authority_index: usize,
    /// Leaf first, then the CA chain up to the anchor.
    pub path: Vec<ParsedCertificate>,
}

impl VerifiedChain {
    /// The certificate that issued the leaf (`path[1]`); `None` when the leaf is
    /// itself the authority's first certificate.
    pub fn issuer(&self) -> Option<&ParsedCertificate> {
        self.path.get(1)
    }
}

/// A readable name for an EKU OID.
fn eku_name(oid: &ObjectIdentifier) -> String {
    match *oid {
        EKU_CODE_SIGNING => "code signing (1.3.6.1.5.5.7.3.3)".into(),
        EKU_TIME_STAMPING => "time stamping (1.3.6.1.5.5.7.3.8)".into(),
        EKU_ANY => "any extended key usage (2.5.29.37.0)".into(),
        other => other.to_string(),
    }
}

/// Verifies that `issuer` signed `child` (RFC 5280 §6.1.3 (a)(1)).
fn verify_signed_by(
    child: &ParsedCertificate,
    issuer: &ParsedCertificate,
) -> Result<(), CertificateError> {
    let alg = &child.inner().signature_algorithm;
    let unsupported = |why: &str| CertificateError::UnsupportedSignatureAlgorithm {
        subject: child.subject_string(),
        algorithm: format!("{}{why}", alg.oid),
    };
    // RFC 5758 §3.2 (ECDSA) and RFC 8410 §3 (Ed25519): the parameters field MUST be
    // absent.
    if alg.parameters.is_some() {
        return Err(unsupported(" with parameters"));
    }
    let key = issuer.public_key()?;
    let sig = child
        .inner()
        .signature
        .as_bytes()
        .ok_or_else(|| CertificateError::Malformed {
            detail: "signature BIT STRING has unused bits".into(),
        })?;
    let bad = |e: CryptoError| CertificateError::BadSignature {
        subject: child.subject_string(),
        issuer: issuer.subject_string(),
        detail: e.to_string(),
    };
    if alg.oid == OID_ED25519 {
        // RFC 8410 §6: pure Ed25519 over the TBSCertificate.
        if key.algorithm() != KeyAlgorithm::Ed25519 {
            return Err(unsupported(" (issuer key is not Ed25519)"));
        }
        key.verify(HashAlgorithm::Sha256, child.tbs_der(), sig)
            .map_err(bad)
    } else if let Some(hash) = HashAlgorithm::from_ecdsa_sig_oid(&alg.oid) {
        // RFC 5758 §3.2: ecdsa-with-SHA256/384/512 over the DER TBSCertificate.
        if key.algorithm() == KeyAlgorithm::Ed25519 {
            return Err(unsupported(" (issuer key is Ed25519)"));
        }
        key.verify_prehash(&hash.digest(child.tbs_der()), sig)
            .map_err(bad)
    } else {
        Err(unsupported(""))
    }
}

/// RFC 5280 §4.1.2.5 validity, inclusive at both ends.
fn check_validity(cert: &ParsedCertificate, at: UnixTime) -> Result<(), CertificateError> {
    let (not_before, not_after) = (cert.not_before(), cert.not_after());
    if at < not_before {
        return Err(CertificateError::NotYetValid {
            subject: cert.subject_string(),
            at,
            not_before,
            not_after,
        });
    }
    if at > not_after {
        return Err(CertificateError::Expired {
            subject: cert.subject_string(),
            at,
            not_before,
            not_after,
        });
    }
    Ok(())
}

/// RFC 5280 §4.2: reject critical extensions this verifier does not process, and
/// nameConstraints in any form (not implemented, so never silently ignored).
fn check_extensions(cert: &ParsedCertificate) -> Result<(), CertificateError> {
    for ext in cert.extensions() {
        match ext.extn_id {
            OID_NAME_CONSTRAINTS => {
                return Err(CertificateError::NameConstraintsUnsupported {
                    subject: cert.subject_string(),
                })
            }
            OID_BASIC_CONSTRAINTS | OID_KEY_USAGE | OID_EXT_KEY_USAGE | OID_SUBJECT_ALT_NAME => {}
            other if ext.critical => {
                return Err(CertificateError::UnknownCriticalExtension {
                    subject: cert.subject_string(),
                    oid: other.to_string(),
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// The end-entity rules: not a CA, keyUsage digitalSignature when keyUsage is
/// present, extendedKeyUsage containing `required_eku`.
fn check_leaf(
    leaf: &ParsedCertificate,
    required_eku: &ObjectIdentifier,
) -> Result<(), CertificateError> {
    let subject = || leaf.subject_string();
    // A CA certificate is never a signing certificate (webpki `CaUsedAsEndEntity`).
    if leaf.basic_constraints().is_some_and(|(_, bc)| bc.ca) {
        return Err(CertificateError::LeafIsCa { subject: subject() });
    }
    // RFC 5280 §4.2.1.3; fulcio:docs/certificate-specification.md: "Key Usage ...
    // critical ... digitalSignature".
    if let Some((_, ku)) = leaf.key_usage() {
        if !ku.digital_signature() {
            return Err(CertificateError::KeyUsageInvalid { subject: subject() });
        }
    }
    // RFC 5280 §4.2.1.12; sigstore-go requires ExtKeyUsageCodeSigning for Fulcio
    // leaves (`pkg/root/certificate_authority.go`) and TimeStamping for TSA leaves.
    match leaf.ext_key_usage() {
        None => Err(CertificateError::EkuAbsent {
            subject: subject(),
            required: eku_name(required_eku),
        }),
        Some(ekus) if ekus.contains(required_eku) => Ok(()),
        Some(ekus) => Err(CertificateError::EkuMismatch {
            subject: subject(),
            required: eku_name(required_eku),
            found: ekus.iter().map(eku_name).collect(),
        }),
    }
}

/// The CA rules for `ca`, which has `intermediates_below` intermediate CA certificates
/// between it and the leaf.
fn check_ca(
    ca: &ParsedCertificate,
    intermediates_below: usize,
    required_eku: &ObjectIdentifier,
) -> Result<(), CertificateError> {
    let subject = || ca.subject_string();
    // RFC 5280 §6.1.4 (k): basicConstraints present with cA TRUE.
    let Some((_, bc)) = ca.basic_constraints().filter(|(_, bc)| bc.ca) else {
        return Err(CertificateError::IssuerNotCa { subject: subject() });
    };
    // RFC 5280 §4.2.1.9: pathLenConstraint "gives the maximum number of non-self-issued
    // intermediate certificates that may follow this certificate in a valid
    // certification path". Self-issued intermediates are counted too (stricter).
    if let Some(path_len) = bc.path_len_constraint {
        if intermediates_below > usize::from(path_len) {
            return Err(CertificateError::PathLenExceeded {
                subject: subject(),
                path_len,
                intermediates: intermediates_below,
            });
        }
    }
    // RFC 5280 §6.1.4 (n): keyUsage, if present, must assert keyCertSign.
    if let Some((_, ku)) = ca.key_usage() {
        if !ku.key_cert_sign() {
            return Err(CertificateError::IssuerKeyUsage { subject: subject() });
        }
    }
    // Go crypto/x509 (which sigstore-go uses) requires every CA's extendedKeyUsage, when
    // present, to allow the leaf's purpose; the Fulcio intermediate lists codeSigning.
    if let Some(ekus) = ca.ext_key_usage() {
        if !ekus.contains(required_eku) && !ekus.contains(&EKU_ANY) {
            return Err(CertificateError::IssuerEkuMismatch {
                subject: subject(),
                required: eku_name(required_eku),
            });
        }
    }
    Ok(())
}

/// Validates `path` (leaf first, anchor last) at `at`.
fn check_path(
    path: &[ParsedCertificate],
    at: UnixTime,
    required_eku: &ObjectIdentifier,
) -> Result<(), CertificateError> {
    if path.len() > MAX_CERT_CHAIN_LEN {
        return Err(CertificateError::ChainTooLong {
            len: path.len(),
            max: MAX_CERT_CHAIN_LEN,
        });
    }
    // RFC 5280 §6.1.3 (a)(4) and (a)(1): each certificate names the next as issuer and
    // carries its signature. The anchor (last) is trusted as-is, its self-signature is
    // not checked (RFC 5280 §6.1.1 (d): trust anchor information is an input).
    for pair in path.windows(2) {
        let [child, issuer] = pair else { continue };
        if child.issuer_der() != issuer.subject_der() {
            return Err(CertificateError::IssuerNotTrusted {
                subject: child.subject_string(),
                issuer: child.issuer_string(),
            });
        }
        verify_signed_by(child, issuer)?;
    }
    // SPEC §2: "Clients MUST check times against both the CA's validFor and every
    // certificate in the chain."
    for cert in path {
        check_validity(cert, at)?;
    }
    let Some((leaf, cas)) = path.split_first() else {
        return Ok(());
    };
    check_extensions(leaf)?;
    check_leaf(leaf, required_eku)?;
    for (i, ca) in cas.iter().enumerate() {
        check_extensions(ca)?;
        check_ca(ca, i, required_eku)?;
    }
    Ok(())
}

/// Tries one authority: builds the path, validates it, checks the untrusted certs.
fn try_authority(
    leaf: &ParsedCertificate,
    untrusted: &[ParsedCertificate],
    authority: &CertificateAuthority,
    at: UnixTime,
    required_eku: &ObjectIdentifier,
) -> Result<Vec<ParsedCertificate>, CertificateError> {
    if authority.cert_chain.len() > MAX_CERT_CHAIN_LEN {
        return Err(CertificateError::ChainTooLong {
            len: authority.cert_chain.len(),
            max: MAX_CERT_CHAIN_LEN,
        });
    }
    let mut chain = Vec::with_capacity(authority.cert_chain.len().saturating_add(1));
    for der in &authority.cert_chain {
        chain.push(ParsedCertificate::from_der(der).map_err(|e| {
            CertificateError::AuthorityMalformed {
                uri: authority.uri.clone(),
                detail: e.to_string(),
            }
        })?);
    }
    // Special case (TSA): the leaf is the authority's own first certificate.
    let path = if authority.cert_chain.first().map(Vec::as_slice) == Some(leaf.der()) {
        chain
    } else {
        let mut path = Vec::with_capacity(chain.len().saturating_add(1));
        path.push(leaf.clone());
        path.extend(chain);
        path
    };
    check_path(&path, at, required_eku)?;
    // No path building from bundle-supplied certificates: each must be one the trusted
    // root already lists for this authority (sigstore-go uses only the trusted root's
    // intermediates; SPEC §1: the bundle chain "MUST NOT" be needed for trust).
    for cert in untrusted {
        if !authority.cert_chain.iter().any(|c| c.as_slice() == cert.der()) {
            return Err(CertificateError::UntrustedIntermediate {
                subject: cert.subject_string(),
            });
        }
    }
    Ok(path)
}

/// Path validation at time `at` against trusted-root authorities (Fulcio CAs or TSAs).
///
/// Every authority whose `validFor` contains `at` (inclusive, `sigstore_common.proto`
/// `TimeRange`) is tried in order; the first that validates wins. The path is `leaf`
/// followed by the authority's `certChain` (or just the chain, when `leaf` is its first
/// certificate). Each certificate must be issued and signed by the next and valid at
/// `at`; CAs need basicConstraints cA, keyCertSign and a respected pathLenConstraint;
/// the leaf needs digitalSignature (if keyUsage is present) and `required_eku`; unknown
/// critical extensions and nameConstraints are rejected. `untrusted` certificates (from
/// the bundle) are never used to build the path and must each be byte-identical to a
/// certificate of the chosen authority's chain.
///
/// When every authority fails, the most specific failure is returned.
pub fn verify_chain(
    leaf: &ParsedCertificate,
    untrusted: &[ParsedCertificate],
    authorities: &[CertificateAuthority],
    at: UnixTime,
    required_eku: ObjectIdentifier,
) -> Result<VerifiedChain, CertificateError> {
    if untrusted.len() >= MAX_CERT_CHAIN_LEN {
        return Err(CertificateError::ChainTooLong {
            len: untrusted.len().saturating_add(1),
            max: MAX_CERT_CHAIN_LEN,
        });
    }
    let mut best: Option<CertificateError> = None;
    for (authority_index, authority) in authorities.iter().enumerate() {
        // sigstore-go `CertificateAuthority.Verify`: the CA must have been valid at the
        // signing time (`validFor`, inclusive).
        if !authority.valid_for.contains(at) {
            continue;
        }
        match try_authority(leaf, untrusted, authority, at, &required_eku) {
            Ok(path) => {
                return Ok(VerifiedChain {
                    authority_index,
                    path,
                })
            }
            Err(e) => {
                if best.as_ref().is_none_or(|b| e.rank() > b.rank()) {
                    best = Some(e);
                }
            }
        }
    }
    Err(best.unwrap_or(CertificateError::NoTrustedAuthority {
        at,
        configured: authorities.len(),
    }))
}
