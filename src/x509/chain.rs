//! Certification path validation against the trusted root's certificate authorities,
//! at the signing time (client spec: "perform certification path validation ... with a fake current time";
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
pub const EKU_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
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

/// Certificate signatures already verified within ONE path-validation call
/// ([`verify_chain`] or [`verify_chain_at_times`]), as (certificate DER, issuer DER)
/// pairs. A signature depends only on those two byte strings, never on the validation
/// time, so re-verifying a pair within the call can only give the same answer. Only
/// successes are recorded, with the full DER of both certificates as the key (no
/// hashing); the memo is created per call and dropped with it, so nothing about the
/// bundle's certificates is cached across inputs: no check is skipped or cached
/// across different inputs. Links between two certificates of the trusted
/// root's own chain go to the caller's [`ChainMemo`] instead.
#[derive(Default)]
struct VerifiedSignatures(Vec<(Vec<u8>, Vec<u8>)>);

/// Whether (`child`, `issuer`) is recorded in `links`, compared byte for byte.
fn has_link(links: &[(Vec<u8>, Vec<u8>)], child: &[u8], issuer: &[u8]) -> bool {
    links
        .iter()
        .any(|(c, i)| c.as_slice() == child && i.as_slice() == issuer)
}

impl VerifiedSignatures {
    /// Verifies that `issuer` signed `child` unless this call already did, or, when the
    /// link lies inside a trusted-root authority's own chain (`memo` given), unless the
    /// memo already holds it.
    fn check(
        &mut self,
        child: &ParsedCertificate,
        issuer: &ParsedCertificate,
        memo: Option<&ChainMemo>,
    ) -> Result<(), CertificateError> {
        if let Some(memo) = memo {
            return memo.check_link(child, issuer);
        }
        if !has_link(&self.0, child.der(), issuer.der()) {
            verify_signed_by(child, issuer)?;
            self.0.push((child.der().to_vec(), issuer.der().to_vec()));
        }
        Ok(())
    }
}

/// What has been shown about trusted-root authorities' own certificates, kept by the
/// caller for as long as it uses one trusted root (the verifier keeps one per loaded
/// root, so the root's own CA chains are verified once per load): each authority's
/// `certChain` parsed, and which links of those chains (certificate DER, issuer DER)
/// carry a valid signature. It is this module's cache and lives beside the algorithm;
/// the trusted root itself stays plain data.
///
/// Only trusted-root material is kept, never a bundle's certificate. Every entry is
/// keyed by the full DER it was computed from and compared byte for byte before use, so
/// the memo can only answer for exactly the bytes it saw: an authority whose
/// `cert_chain` differs is parsed and verified afresh. Failures are not recorded (a
/// failing link is re-verified and fails again). Every other step of path validation
/// (names, validity at the signing time, extensions, key usages, `validFor`) still runs
/// on every call. Filled lazily, so a one-shot process verifies only the links its
/// bundle uses, once. Bounded: at most [`MEMO_CHAINS`] parsed chains and
/// [`MEMO_LINKS`] links; when full, it starts over.
#[derive(Default)]
pub struct ChainMemo(std::sync::Mutex<MemoInner>);

/// Parsed authority chains a [`ChainMemo`] holds at most (Fulcio CAs and TSAs of one
/// trusted root).
const MEMO_CHAINS: usize = 2 * crate::limits::MAX_TRUST_ROOT_ENTRIES;
/// Verified links a [`ChainMemo`] holds at most.
const MEMO_LINKS: usize = MEMO_CHAINS * MAX_CERT_CHAIN_LEN;

#[derive(Clone, Default)]
struct MemoInner {
    /// Authorities' `certChain`s parsed, in order; one is used only when every DER
    /// matches.
    parsed: Vec<Vec<ParsedCertificate>>,
    /// Links whose signature verified.
    links: Vec<(Vec<u8>, Vec<u8>)>,
}

impl ChainMemo {
    /// Runs `f` on the memo; `None` when the lock is poisoned (the memo is then
    /// bypassed, never trusted).
    fn with<T>(&self, f: impl FnOnce(&mut MemoInner) -> T) -> Option<T> {
        self.0.lock().ok().map(|mut m| f(&mut m))
    }

    /// `authority.cert_chain` parsed, from the memo when it holds exactly these DERs.
    fn parsed_chain(
        &self,
        authority: &CertificateAuthority,
    ) -> Result<Vec<ParsedCertificate>, CertificateError> {
        let same = |parsed: &Vec<ParsedCertificate>| {
            parsed.len() == authority.cert_chain.len()
                && parsed
                    .iter()
                    .zip(&authority.cert_chain)
                    .all(|(p, d)| p.der() == d.as_slice())
        };
        if let Some(hit) = self
            .with(|m| m.parsed.iter().find(|p| same(p)).cloned())
            .flatten()
        {
            return Ok(hit);
        }
        let mut chain = Vec::with_capacity(authority.cert_chain.len());
        for der in &authority.cert_chain {
            chain.push(ParsedCertificate::from_der(der).map_err(|e| {
                CertificateError::AuthorityMalformed {
                    uri: authority.uri.clone(),
                    detail: e.to_string(),
                }
            })?);
        }
        self.with(|m| {
            if m.parsed.len() >= MEMO_CHAINS {
                m.parsed.clear();
            }
            m.parsed.push(chain.clone());
        });
        Ok(chain)
    }

    /// Verifies that `issuer` signed `child` (both from an authority's chain) unless
    /// this memo already holds that exact pair.
    fn check_link(
        &self,
        child: &ParsedCertificate,
        issuer: &ParsedCertificate,
    ) -> Result<(), CertificateError> {
        let (c, i) = (child.der(), issuer.der());
        if self.with(|m| has_link(&m.links, c, i)) == Some(true) {
            return Ok(());
        }
        verify_signed_by(child, issuer)?;
        self.with(|m| {
            if m.links.len() >= MEMO_LINKS {
                m.links.clear();
            }
            m.links.push((c.to_vec(), i.to_vec()));
        });
        Ok(())
    }

    /// Number of chain links recorded as verified (for tests and benchmarks).
    pub fn verified_links(&self) -> usize {
        self.with(|m| m.links.len()).unwrap_or(0)
    }
}

impl std::fmt::Debug for ChainMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ChainMemo {{ verified_links: {} }}",
            self.verified_links()
        )
    }
}

/// Certificate signatures verified ahead of path validation, for ONE
/// [`verify_chain_at_times_with`] call on the same leaf and authorities. Made by
/// [`precheck_chain_signatures`], typically on another thread while the caller runs
/// other checks (a bundle's independent signature checks run on scoped threads). It
/// holds only successes, keyed by the full DER of both certificates, so
/// it can only spare re-verifying exactly a signature that verified.
#[derive(Default)]
pub struct ChainSignatures(VerifiedSignatures);

/// Verifies the certificate signatures that path validation of `leaf` against
/// `authorities` can need, without any other check: the leaf by the first certificate
/// of each authority whose subject is the leaf's issuer, and each such authority's own
/// chain links (those go to `memo`). Nothing fails here: a signature that does not
/// verify is simply not recorded, and path validation verifies it again and reports it.
pub fn precheck_chain_signatures(
    leaf: &ParsedCertificate,
    authorities: &[CertificateAuthority],
    memo: &ChainMemo,
) -> ChainSignatures {
    let mut out = VerifiedSignatures::default();
    for authority in authorities
        .iter()
        .take(crate::limits::MAX_TRUST_ROOT_ENTRIES)
    {
        let Ok(chain) = memo.parsed_chain(authority) else {
            continue;
        };
        let Some(first) = chain.first() else { continue };
        let is_leaf = first.der() == leaf.der();
        if !is_leaf && first.subject_der() != leaf.issuer_der() {
            continue;
        }
        if !is_leaf && verify_signed_by(leaf, first).is_ok() {
            out.0.push((leaf.der().to_vec(), first.der().to_vec()));
        }
        for pair in chain.windows(2) {
            if let [child, issuer] = pair {
                if child.issuer_der() == issuer.subject_der() {
                    let _ = memo.check_link(child, issuer);
                }
            }
        }
    }
    ChainSignatures(out)
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

/// `pkcs-1` (RFC 8017 Appendix C): RSA signature algorithms, named in messages only.
const OID_PKCS1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1");

/// The certificate signature algorithms this verifier implements.
#[derive(Clone, Copy)]
enum SignatureScheme {
    /// RFC 5758 §3.2 `ecdsa-with-SHA256/384/512`.
    Ecdsa(HashAlgorithm),
    /// RFC 8410 §3 `id-Ed25519` (pure).
    Ed25519,
    /// RFC 8017 Appendix C / RFC 4055 §5 `sha256/384/512WithRSAEncryption`
    /// (RSASSA-PKCS1-v1_5).
    RsaPkcs1v15(HashAlgorithm),
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
    let scheme = if alg.oid == OID_ED25519 {
        SignatureScheme::Ed25519
    } else if let Some(hash) = HashAlgorithm::from_ecdsa_sig_oid(&alg.oid) {
        SignatureScheme::Ecdsa(hash)
    } else if let Some(hash) = HashAlgorithm::from_rsa_sig_oid(&alg.oid) {
        SignatureScheme::RsaPkcs1v15(hash)
    } else {
        // SHA-1 and MD5 with RSA, RSA-PSS (RFC 4055 §3.1), ...
        let rsa = alg.oid.parent() == Some(OID_PKCS1);
        return Err(unsupported(if rsa { " (RSA)" } else { "" }));
    };
    match scheme {
        // RFC 4055 §5: for sha256/384/512WithRSAEncryption "the parameters MUST be
        // NULL. Implementations MUST accept the parameters being absent as well as
        // present."
        SignatureScheme::RsaPkcs1v15(_) => {
            if alg
                .parameters
                .as_ref()
                .is_some_and(|p| *p != der::asn1::Any::null())
            {
                return Err(unsupported(" with parameters other than NULL"));
            }
        }
        // RFC 5758 §3.2 (ECDSA) and RFC 8410 §3 (Ed25519): the parameters field MUST be
        // absent.
        SignatureScheme::Ecdsa(_) | SignatureScheme::Ed25519 => {
            if alg.parameters.is_some() {
                return Err(unsupported(" with parameters"));
            }
        }
    }
    let sig = child
        .inner()
        .signature
        .as_bytes()
        .ok_or_else(|| CertificateError::Malformed {
            detail: "signature BIT STRING has unused bits".into(),
        })?;
    let key = issuer.public_key()?;
    let bad = |e: CryptoError| CertificateError::BadSignature {
        subject: child.subject_string(),
        issuer: issuer.subject_string(),
        detail: e.to_string(),
    };
    match (scheme, key.algorithm()) {
        // RFC 8410 §6: pure Ed25519 over the TBSCertificate DER.
        (SignatureScheme::Ed25519, KeyAlgorithm::Ed25519) => key
            .verify(HashAlgorithm::Sha256, child.tbs_der(), sig)
            .map_err(bad),
        // RFC 5758 §3.2: ecdsa-with-SHA256/384/512 over the TBSCertificate DER.
        (SignatureScheme::Ecdsa(hash), KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384) => key
            .verify_prehash(&hash.digest(child.tbs_der()), sig)
            .map_err(bad),
        // RFC 4055 §5 / RFC 8017 §8.2.2: RSASSA-PKCS1-v1_5 with SHA-256/384/512 over the
        // TBSCertificate DER.
        (SignatureScheme::RsaPkcs1v15(hash), KeyAlgorithm::RsaPkcs1v15 { .. }) => {
            key.verify(hash, child.tbs_der(), sig).map_err(bad)
        }
        (_, other) => Err(unsupported(&format!(" with a {other} issuer key"))),
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
/// `path[trusted_from..]` is `authority`'s own chain (trusted-root material).
fn check_path(
    path: &[ParsedCertificate],
    at: UnixTime,
    required_eku: &ObjectIdentifier,
    signatures: &mut VerifiedSignatures,
    memo: &ChainMemo,
    trusted_from: usize,
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
    for (i, pair) in path.windows(2).enumerate() {
        let [child, issuer] = pair else { continue };
        if child.issuer_der() != issuer.subject_der() {
            return Err(CertificateError::IssuerNotTrusted {
                subject: child.subject_string(),
                issuer: child.issuer_string(),
            });
        }
        signatures.check(child, issuer, (i >= trusted_from).then_some(memo))?;
    }
    // sigstore_trustroot.proto: "Clients MUST check times against both the CA's validFor and every
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
    signatures: &mut VerifiedSignatures,
    memo: &ChainMemo,
) -> Result<Vec<ParsedCertificate>, CertificateError> {
    if authority.cert_chain.len() > MAX_CERT_CHAIN_LEN {
        return Err(CertificateError::ChainTooLong {
            len: authority.cert_chain.len(),
            max: MAX_CERT_CHAIN_LEN,
        });
    }
    let chain = memo.parsed_chain(authority)?;
    // Special case (TSA): the leaf is the authority's own first certificate.
    let (path, trusted_from) =
        if authority.cert_chain.first().map(Vec::as_slice) == Some(leaf.der()) {
            (chain, 0)
        } else {
            let mut path = Vec::with_capacity(chain.len().saturating_add(1));
            path.push(leaf.clone());
            path.extend(chain);
            (path, 1)
        };
    check_path(&path, at, required_eku, signatures, memo, trusted_from)?;
    // No path building from bundle-supplied certificates: each must be one the trusted
    // root already lists for this authority (sigstore-go uses only the trusted root's
    // intermediates; sigstore_bundle.proto: the bundle chain "MUST NOT" be needed for trust).
    for cert in untrusted {
        if !authority
            .cert_chain
            .iter()
            .any(|c| c.as_slice() == cert.der())
        {
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
#[cfg(any(test, feature = "unstable-internals"))]
pub fn verify_chain(
    leaf: &ParsedCertificate,
    untrusted: &[ParsedCertificate],
    authorities: &[CertificateAuthority],
    at: UnixTime,
    required_eku: ObjectIdentifier,
) -> Result<VerifiedChain, CertificateError> {
    verify_chain_with_memo(
        leaf,
        untrusted,
        authorities,
        at,
        required_eku,
        &ChainMemo::default(),
    )
}

/// [`verify_chain`], with the authorities' own chain links taken from (and recorded in)
/// `memo`, which the caller keeps for as long as it uses these authorities. Same result.
pub fn verify_chain_with_memo(
    leaf: &ParsedCertificate,
    untrusted: &[ParsedCertificate],
    authorities: &[CertificateAuthority],
    at: UnixTime,
    required_eku: ObjectIdentifier,
    memo: &ChainMemo,
) -> Result<VerifiedChain, CertificateError> {
    verify_chain_memo(
        leaf,
        untrusted,
        authorities,
        at,
        &required_eku,
        &mut VerifiedSignatures::default(),
        memo,
    )
}

/// [`verify_chain`] at each of `times` in order, stopping at the first failure (the
/// error [`verify_chain`] gives at that time); returns the chain validated at the last
/// time, or `None` when `times` is empty.
///
/// The result is exactly that of calling [`verify_chain`] once per time. Every step of
/// path validation runs at every time (authority `validFor`, issuer names, validity of
/// each certificate, extensions, key usages, membership of `untrusted`), except that a
/// certificate signature this call has already verified (same certificate DER, same
/// issuer DER) is not verified again: it does not depend on the time. Nothing is kept
/// after the call returns.
#[cfg(any(test, feature = "unstable-internals"))]
pub fn verify_chain_at_times(
    leaf: &ParsedCertificate,
    untrusted: &[ParsedCertificate],
    authorities: &[CertificateAuthority],
    times: &[UnixTime],
    required_eku: ObjectIdentifier,
) -> Result<Option<VerifiedChain>, CertificateError> {
    verify_chain_at_times_with(
        leaf,
        untrusted,
        authorities,
        times,
        required_eku,
        ChainSignatures::default(),
        &ChainMemo::default(),
    )
}

/// [`verify_chain_at_times`], starting from the signatures `precheck` already verified
/// for this same leaf (see [`precheck_chain_signatures`]), with the authorities' own
/// chain links from `memo` (see [`verify_chain_with_memo`]). Same result.
pub fn verify_chain_at_times_with(
    leaf: &ParsedCertificate,
    untrusted: &[ParsedCertificate],
    authorities: &[CertificateAuthority],
    times: &[UnixTime],
    required_eku: ObjectIdentifier,
    precheck: ChainSignatures,
    memo: &ChainMemo,
) -> Result<Option<VerifiedChain>, CertificateError> {
    let mut signatures = precheck.0;
    let mut chain = None;
    for &at in times {
        chain = Some(verify_chain_memo(
            leaf,
            untrusted,
            authorities,
            at,
            &required_eku,
            &mut signatures,
            memo,
        )?);
    }
    Ok(chain)
}

fn verify_chain_memo(
    leaf: &ParsedCertificate,
    untrusted: &[ParsedCertificate],
    authorities: &[CertificateAuthority],
    at: UnixTime,
    required_eku: &ObjectIdentifier,
    signatures: &mut VerifiedSignatures,
    memo: &ChainMemo,
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
        match try_authority(
            leaf,
            untrusted,
            authority,
            at,
            required_eku,
            signatures,
            memo,
        ) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{corpus_extra, vendored, PRODUCTION_ROOT, SIGSTORE_VERIFY};
    use crate::time::parse_rfc3339;
    use crate::trust_root::ValidityWindow;
    use crate::x509::test_support::{
        authorities, bundle_certs, ca_extensions, conformance_case, ext, happy_path_v01, integrated_time, json,
        key, mint, production_leaf_cases, vendored_case, MintedFulcio,
    };
    use serde_json::Value;
    use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};

    const YEAR: i64 = 365 * 86_400;

    fn parse_all(ders: &[Vec<u8>]) -> Vec<ParsedCertificate> {
        ders.iter()
            .map(|d| ParsedCertificate::from_der(d).unwrap())
            .collect()
    }

    /// Conformance happy paths of the corpus: signed under the production intermediate.
    const CONFORMANCE_HAPPY_PATHS: [&str; 5] = [
        "happy-path-v0.1",
        "happy-path-v0.2",
        "happy-path-v0.3",
        "happy-path-v0.3-new-mediaType",
        "happy-path-intoto-in-dsse-v3",
    ];

    /// The vendored production leaves, plus the corpus's conformance happy paths when
    /// `RULEPACK_CORPUS` is set: (name, bundle, trusted root).
    fn production_leaves(test: &str) -> Vec<(String, Value, Value)> {
        let mut cases = production_leaf_cases();
        if let Some(corpus) = corpus_extra(test) {
            for case in CONFORMANCE_HAPPY_PATHS {
                let (bundle, root) = conformance_case(&corpus, case);
                cases.push((case.to_owned(), bundle, root));
            }
        }
        cases
    }

    /// One vendored production case (the conformance beacon's `happy-path-v0.1`, which
    /// also names its chain's needles), plus the corpus's `happy-path-v0.3` if present.
    fn one_production_leaf(test: &str) -> Vec<(String, Value, Value)> {
        let (bundle, root) = happy_path_v01();
        let mut cases = vec![("happy-path-v0.1".to_owned(), bundle, root)];
        if let Some(corpus) = corpus_extra(test) {
            let (bundle, root) = conformance_case(&corpus, "happy-path-v0.3");
            cases.push(("happy-path-v0.3".to_owned(), bundle, root));
        }
        cases
    }

    /// Real leaves signed under the production Fulcio intermediate.
    #[test]
    fn real_leaves_verify_at_integrated_time_and_not_around_it() {
        let cases = production_leaves("x509::chain::real_leaves_verify_at_integrated_time");
        let mut checked = 0;
        for (case, bundle, root) in &cases {
            let cas = authorities(root, "certificateAuthorities");
            let certs = parse_all(&bundle_certs(bundle));
            let (leaf, rest) = certs.split_first().unwrap();
            let t = integrated_time(bundle).unwrap();
            let v = verify_chain(leaf, rest, &cas, t, EKU_CODE_SIGNING)
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            // The second production CA (intermediate + root) issued it.
            assert_eq!(v.authority_index, 1, "{case}");
            assert_eq!(v.path.len(), 3, "{case}");
            assert_eq!(v.path[0].der(), leaf.der());
            assert!(v
                .issuer()
                .unwrap()
                .subject_string()
                .contains("sigstore-intermediate"));
            assert_eq!(v.path[2].der(), cas[1].cert_chain[1].as_slice());

            // The leaf lives 10 minutes: one hour later it has expired.
            let e = verify_chain(leaf, rest, &cas, t + 3600, EKU_CODE_SIGNING).unwrap_err();
            assert_eq!(e.code(), "certificate.expired", "{case}: {e}");
            assert!(
                e.to_string()
                    .contains(&crate::time::format_rfc3339(t + 3600)),
                "{e}"
            );
            assert!(
                e.to_string()
                    .contains(&crate::time::format_rfc3339(leaf.not_after())),
                "{e}"
            );
            // A year earlier it was not yet valid (the most specific of both CAs' errors).
            let e = verify_chain(leaf, rest, &cas, t - YEAR, EKU_CODE_SIGNING).unwrap_err();
            assert_eq!(e.code(), "certificate.not-yet-valid", "{case}: {e}");
            // The wrong purpose.
            let e = verify_chain(leaf, rest, &cas, t, EKU_TIME_STAMPING).unwrap_err();
            assert_eq!(e.code(), "certificate.eku-mismatch", "{case}: {e}");
            checked += 1;
        }
        assert_eq!(checked, cases.len());
        assert!(checked >= 10, "{checked}");
    }

    #[test]
    fn validity_edges_are_inclusive() {
        for (_, bundle, root) in one_production_leaf("x509::chain::validity_edges_are_inclusive") {
            validity_edges_are_inclusive_on(&bundle, &root);
        }
    }

    fn validity_edges_are_inclusive_on(bundle: &Value, root: &Value) {
        let cas = authorities(root, "certificateAuthorities");
        let leaf = ParsedCertificate::from_der(&bundle_certs(bundle)[0]).unwrap();
        for t in [leaf.not_before(), leaf.not_after()] {
            verify_chain(&leaf, &[], &cas, t, EKU_CODE_SIGNING).unwrap();
        }
        let e = verify_chain(&leaf, &[], &cas, leaf.not_before() - 1, EKU_CODE_SIGNING);
        assert_eq!(e.unwrap_err().code(), "certificate.not-yet-valid");
        let e = verify_chain(&leaf, &[], &cas, leaf.not_after() + 1, EKU_CODE_SIGNING);
        assert_eq!(e.unwrap_err().code(), "certificate.expired");
    }

    #[test]
    fn authority_validity_window_and_membership() {
        for (_, bundle, root) in
            one_production_leaf("x509::chain::authority_validity_window_and_membership")
        {
            authority_validity_window_and_membership_on(&bundle, &root);
        }
    }

    fn authority_validity_window_and_membership_on(bundle: &Value, root: &Value) {
        let mut cas = authorities(root, "certificateAuthorities");
        let leaf = ParsedCertificate::from_der(&bundle_certs(bundle)[0]).unwrap();
        let t = integrated_time(bundle).unwrap();

        // No authority at all, or none valid at t.
        let e = verify_chain(&leaf, &[], &[], t, EKU_CODE_SIGNING).unwrap_err();
        assert_eq!(e.code(), "certificate.no-trusted-ca");
        let e = verify_chain(
            &leaf,
            &[],
            &cas,
            parse_rfc3339("2020-01-01T00:00:00Z").unwrap(),
            EKU_CODE_SIGNING,
        )
        .unwrap_err();
        assert_eq!(e.code(), "certificate.no-trusted-ca");
        assert!(e.to_string().contains("2020-01-01T00:00:00Z"), "{e}");

        // Only the 2021 CA (root only): the leaf's issuer is not there.
        let e = verify_chain(
            &leaf,
            &[],
            &cas[..1],
            parse_rfc3339("2022-06-01T00:00:00Z").unwrap(),
            EKU_CODE_SIGNING,
        )
        .unwrap_err();
        assert_eq!(e.code(), "certificate.untrusted-issuer");
        let old = vec![ValidityWindow {
            start: 0,
            end: None,
        }]
        .into_iter()
        .map(|w| CertificateAuthority {
            valid_for: w,
            ..cas[0].clone()
        })
        .collect::<Vec<_>>();
        let e = verify_chain(&leaf, &[], &old, t, EKU_CODE_SIGNING).unwrap_err();
        assert_eq!(e.code(), "certificate.untrusted-issuer");
        assert!(e.to_string().contains("sigstore-intermediate"), "{e}");

        // The CA's validFor ends (inclusive) one second before / exactly at t.
        cas[1].valid_for.end = Some(t - 1);
        assert_eq!(
            verify_chain(&leaf, &[], &cas, t, EKU_CODE_SIGNING)
                .unwrap_err()
                .code(),
            "certificate.no-trusted-ca"
        );
        cas[1].valid_for.end = Some(t);
        verify_chain(&leaf, &[], &cas, t, EKU_CODE_SIGNING).unwrap();
    }

    #[test]
    fn untrusted_certificates_must_be_in_the_trusted_chain() {
        for (_, bundle, root) in one_production_leaf("x509::chain::untrusted_certificates") {
            untrusted_certificates_on(&bundle, &root);
        }
    }

    fn untrusted_certificates_on(bundle: &Value, root: &Value) {
        let cas = authorities(root, "certificateAuthorities");
        let leaf = ParsedCertificate::from_der(&bundle_certs(bundle)[0]).unwrap();
        let t = integrated_time(bundle).unwrap();
        let intermediate = ParsedCertificate::from_der(&cas[1].cert_chain[0]).unwrap();
        verify_chain(
            &leaf,
            std::slice::from_ref(&intermediate),
            &cas,
            t,
            EKU_CODE_SIGNING,
        )
        .unwrap();
        // The 2021 root is a trusted certificate, but not of the chain that validated.
        let other_root = ParsedCertificate::from_der(&cas[0].cert_chain[0]).unwrap();
        let e = verify_chain(
            &leaf,
            &[intermediate, other_root],
            &cas,
            t,
            EKU_CODE_SIGNING,
        )
        .unwrap_err();
        assert_eq!(e.code(), "certificate.untrusted-intermediate");
        let k = key(9);
        let stranger =
            ParsedCertificate::from_der(&mint("CN=x", &k, "CN=x", &k, (0, t + YEAR), vec![]))
                .unwrap();
        let e = verify_chain(
            &leaf,
            std::slice::from_ref(&stranger),
            &cas,
            t,
            EKU_CODE_SIGNING,
        )
        .unwrap_err();
        assert_eq!(e.code(), "certificate.untrusted-intermediate");
        assert!(e.to_string().contains("CN=x"), "{e}");
        let many = vec![stranger; MAX_CERT_CHAIN_LEN];
        let e = verify_chain(&leaf, &many, &cas, t, EKU_CODE_SIGNING).unwrap_err();
        assert_eq!(e.code(), "certificate.chain-too-long");
    }

    #[test]
    fn tampered_real_leaf_fails_the_issuer_signature() {
        // Both leaves are the conformance beacon's, which names its workflow so.
        for (_, bundle, root) in one_production_leaf("x509::chain::tampered_real_leaf") {
            tampered_real_leaf_on(&bundle, &root);
        }
    }

    fn tampered_real_leaf_on(bundle: &Value, root: &Value) {
        let cas = authorities(root, "certificateAuthorities");
        let der = bundle_certs(bundle).remove(0);
        let t = integrated_time(bundle).unwrap();
        // Flip one letter inside the deprecated workflow-name extension (.4).
        let needle = b"Extremely dangerous OIDC beacon";
        let at = der.windows(needle.len()).position(|w| w == needle).unwrap();
        let mut bad = der.clone();
        bad[at] ^= 0x20;
        let leaf = ParsedCertificate::from_der(&bad).unwrap();
        let e = verify_chain(&leaf, &[], &cas, t, EKU_CODE_SIGNING).unwrap_err();
        assert_eq!(e.code(), "certificate.signature-invalid");
        assert!(e.to_string().contains("sigstore-intermediate"), "{e}");
    }

    #[test]
    fn production_tsa_leaf_is_its_own_chain_start() {
        // The vendored production trusted root (byte-identical to the corpus copy).
        let root = json(&vendored(PRODUCTION_ROOT));
        let tsas = authorities(&root, "timestampAuthorities");
        let leaf = ParsedCertificate::from_der(&tsas[0].cert_chain[0]).unwrap();
        let t = parse_rfc3339("2025-08-01T00:00:00Z").unwrap();
        let v = verify_chain(
            &leaf,
            std::slice::from_ref(&leaf),
            &tsas,
            t,
            EKU_TIME_STAMPING,
        )
        .unwrap();
        assert_eq!(v.path.len(), 2);
        assert_eq!(v.path[0].der(), leaf.der());
        assert!(v
            .issuer()
            .unwrap()
            .subject_string()
            .contains("sigstore-tsa-selfsigned"));
        let e = verify_chain(&leaf, &[], &tsas, t, EKU_CODE_SIGNING).unwrap_err();
        assert_eq!(e.code(), "certificate.eku-mismatch");
        // Before the TSA's validFor start (2025-07-04).
        let e = verify_chain(&leaf, &[], &tsas, t - 60 * 86_400, EKU_TIME_STAMPING).unwrap_err();
        assert_eq!(e.code(), "certificate.no-trusted-ca");
        // A Fulcio CA chain start is a CA, never a signing certificate.
        let cas = authorities(&root, "certificateAuthorities");
        let intermediate = ParsedCertificate::from_der(&cas[1].cert_chain[0]).unwrap();
        let e = verify_chain(&intermediate, &[], &cas, t, EKU_CODE_SIGNING).unwrap_err();
        assert_eq!(e.code(), "certificate.leaf-is-ca");
    }

    /// Re-encodes `der` after `edit`, without re-signing.
    fn edited(der: &[u8], edit: impl FnOnce(&mut x509_cert::Certificate)) -> ParsedCertificate {
        use der::{Decode, Encode};
        let mut c = x509_cert::Certificate::from_der(der).unwrap();
        edit(&mut c);
        ParsedCertificate::from_der(&c.to_der().unwrap()).unwrap()
    }

    /// A private Fulcio whose self-signed RSA root signs the ECDSA leaf with
    /// sha256WithRSAEncryption (NULL parameters): minted here (RSA-2048), and the
    /// corpus's conformance case `bundle-with-sct-with-extensions` (RSA-4096) when
    /// `RULEPACK_CORPUS` is set.
    #[test]
    fn rsa_signed_leaf_verifies() {
        let minted = MintedFulcio::rsa();
        rsa_signed_leaf_verifies_on(&minted.leaf, &[minted.authority()], 2048);
        if let Some(corpus) = corpus_extra("x509::chain::rsa_signed_leaf_verifies") {
            let (bundle, root) = conformance_case(&corpus, "bundle-with-sct-with-extensions");
            let cas = authorities(&root, "certificateAuthorities");
            rsa_signed_leaf_verifies_on(&bundle_certs(&bundle)[0], &cas, 4096);
        }
    }

    fn rsa_signed_leaf_verifies_on(der: &[u8], cas: &[CertificateAuthority], bits: usize) {
        let leaf = ParsedCertificate::from_der(der).unwrap();
        let t = leaf.not_before() + 60;
        let chain = verify_chain(&leaf, &[], cas, t, EKU_CODE_SIGNING).unwrap();
        assert_eq!(chain.path.len(), 2);
        assert_eq!(
            chain.issuer().unwrap().public_key().unwrap().algorithm(),
            KeyAlgorithm::RsaPkcs1v15 { bits }
        );
        let check = |c: &ParsedCertificate| verify_chain(c, &[], cas, t, EKU_CODE_SIGNING);

        // One flipped bit of the RSA signature.
        let flipped = edited(der, |c| {
            let mut sig = c.signature.raw_bytes().to_vec();
            sig[100] ^= 0x01;
            c.signature = der::asn1::BitString::from_bytes(&sig).unwrap();
        });
        assert_eq!(
            check(&flipped).unwrap_err().code(),
            "certificate.signature-invalid"
        );
        // Algorithm edits (both AlgorithmIdentifier fields, so the certificate parses).
        let with_alg = |oid: &str, params: Option<der::asn1::Any>| {
            edited(der, |c| {
                c.signature_algorithm.oid = ObjectIdentifier::new_unwrap(oid);
                c.signature_algorithm.parameters = params;
                c.tbs_certificate.signature = c.signature_algorithm.clone();
            })
        };
        // sha1WithRSAEncryption: an RSA algorithm this verifier refuses.
        let e = check(&with_alg(
            "1.2.840.113549.1.1.5",
            Some(der::asn1::Any::null()),
        ))
        .unwrap_err();
        assert_eq!(e.code(), "certificate.unsupported-signature-algorithm");
        assert!(e.to_string().contains("(RSA)"), "{e}");
        // RFC 4055 §5: absent parameters are accepted (then the edited TBS no longer
        // matches the signature); anything but NULL is not.
        let absent = with_alg("1.2.840.113549.1.1.11", None);
        assert_eq!(
            check(&absent).unwrap_err().code(),
            "certificate.signature-invalid"
        );
        let int = der::asn1::Any::encode_from(&1u8).unwrap();
        let e = check(&with_alg("1.2.840.113549.1.1.11", Some(int))).unwrap_err();
        assert_eq!(e.code(), "certificate.unsupported-signature-algorithm");
        assert!(e.to_string().contains("other than NULL"), "{e}");
        // sha384WithRSAEncryption over the same TBS bytes: the hash differs.
        let sha384 = with_alg("1.2.840.113549.1.1.12", Some(der::asn1::Any::null()));
        assert_eq!(
            check(&sha384).unwrap_err().code(),
            "certificate.signature-invalid"
        );
        // An ECDSA algorithm with the RSA issuer key.
        let e = check(&with_alg("1.2.840.10045.4.3.2", None)).unwrap_err();
        assert_eq!(e.code(), "certificate.unsupported-signature-algorithm");
        assert!(
            e.to_string()
                .contains(&format!("with a RSA-{bits} issuer key")),
            "{e}"
        );
    }

    /// An RSA-2048 leaf under an RSA-4096 root (OpenSSL, `testdata/rsa/make.sh`): the
    /// chain verifies and the leaf's RSA key is returned.
    #[test]
    fn rsa_leaf_key_and_generated_rsa_chain() {
        let file = |n: &str| {
            std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("testdata/rsa")
                    .join(n),
            )
            .unwrap()
        };
        let leaf = ParsedCertificate::from_der(&file("tsa-leaf.der")).unwrap();
        assert_eq!(
            leaf.public_key().unwrap().algorithm(),
            KeyAlgorithm::RsaPkcs1v15 { bits: 2048 }
        );
        let ca = CertificateAuthority {
            organization: None,
            common_name: None,
            uri: "test-rsa-tsa".into(),
            cert_chain: vec![file("tsa-leaf.der"), file("tsa-root.der")],
            valid_for: ValidityWindow {
                start: 0,
                end: None,
            },
            operator: None,
        };
        let t = leaf.not_before() + 60;
        let chain =
            verify_chain(&leaf, &[], std::slice::from_ref(&ca), t, EKU_TIME_STAMPING).unwrap();
        assert_eq!(chain.path.len(), 2);
        // A certificate with an out-of-bounds RSA key reports it as unsupported.
        let weak = edited(&file("tsa-leaf.der"), |c| {
            c.tbs_certificate.subject_public_key_info =
                der::Decode::from_der(&file("rsa1024.spki.der")).unwrap();
        });
        let e = weak.public_key().unwrap_err();
        assert_eq!(e.code(), "certificate.unsupported-key");
        assert!(e.to_string().contains("RSA-1024"), "{e}");
    }

    #[test]
    fn bit_flipped_real_leaf_never_validates_or_panics() {
        // The vendored happy-path-v0.1 is the corpus's, byte for byte.
        let (bundle, root) = happy_path_v01();
        let cas = authorities(&root, "certificateAuthorities");
        let t = integrated_time(&bundle).unwrap();
        let der = bundle_certs(&bundle).remove(0);
        // Full `mutate_all` parsing coverage is in `cert.rs`; here a sample of flips
        // goes all the way through path validation (P-384 in debug builds is slow).
        let mut tried = 0;
        for i in (0..der.len()).step_by(13) {
            let mut d = der.clone();
            d[i] ^= 0x10;
            if let Ok(leaf) = ParsedCertificate::from_der(&d) {
                let r = verify_chain(&leaf, &[], &cas, t, EKU_CODE_SIGNING);
                // Every byte of a certificate is signed or is the signature.
                assert!(r.is_err(), "flip at {i} still validates");
                tried += 1;
            }
        }
        assert!(tried > 50, "{tried}");
    }

    /// `verify_chain` once per time, as `verify::verify` did before
    /// `verify_chain_at_times` existed.
    fn per_time(
        leaf: &ParsedCertificate,
        rest: &[ParsedCertificate],
        cas: &[CertificateAuthority],
        times: &[UnixTime],
    ) -> Result<Option<VerifiedChain>, CertificateError> {
        let mut chain = None;
        for &t in times {
            chain = Some(verify_chain(leaf, rest, cas, t, EKU_CODE_SIGNING)?);
        }
        Ok(chain)
    }

    /// Same outcome: equal chains, or errors with equal code and sentence.
    fn same_outcome(
        a: &Result<Option<VerifiedChain>, CertificateError>,
        b: &Result<Option<VerifiedChain>, CertificateError>,
    ) -> bool {
        match (a, b) {
            (Ok(x), Ok(y)) => x == y,
            (Err(x), Err(y)) => x.code() == y.code() && x.to_string() == y.to_string(),
            _ => false,
        }
    }

    /// The signature memo of `verify_chain_at_times` changes no outcome: on real leaves
    /// (production and staging, with and without bundle intermediates), at sets of times
    /// that pass, expire, come too early or repeat, in several orders, and on
    /// bit-flipped leaves, it equals `verify_chain` called at each time in turn.
    #[test]
    fn chain_at_times_equals_verify_chain_at_each_time() {
        // Vendored: production v0.1 (chain in x509CertificateChain) and v0.3, and a
        // staging-signed Rekor v2 bundle with its own trusted root; the corpus adds its
        // conformance cases.
        let mut cases = vec![
            ("happy-path-v0.1".to_owned(), happy_path_v01()),
            (
                "bundle_v03.json".to_owned(),
                vendored_case("bundle_v03.json", PRODUCTION_ROOT),
            ),
            (
                "rekor2-timestamp-with-embedded-cert".to_owned(),
                vendored_case(
                    &format!("{SIGSTORE_VERIFY}timestamps/valid_bundle.json"),
                    &format!("{SIGSTORE_VERIFY}timestamps/valid_trusted_root.json"),
                ),
            ),
        ];
        let mut flip_cases = vec![vendored_case("a.txt.sigstore", PRODUCTION_ROOT)];
        if let Some(corpus) = corpus_extra("x509::chain::chain_at_times_equals_verify_chain") {
            for case in ["happy-path-v0.1", "happy-path-v0.3", "rekor2-happy-path"] {
                cases.push((case.to_owned(), conformance_case(&corpus, case)));
            }
            flip_cases.push(conformance_case(&corpus, "happy-path-v0.2"));
        }
        let (mut passed, mut failed) = (0, 0);
        let mut compare = |leaf: &ParsedCertificate,
                           rest: &[ParsedCertificate],
                           cas: &[CertificateAuthority],
                           times: &[UnixTime],
                           what: &str| {
            let expected = per_time(leaf, rest, cas, times);
            let got = verify_chain_at_times(leaf, rest, cas, times, EKU_CODE_SIGNING);
            assert!(
                same_outcome(&expected, &got),
                "{what} at {times:?}: per time {expected:?}, at_times {got:?}"
            );
            match got {
                Ok(Some(_)) => passed += 1,
                Err(_) => failed += 1,
                Ok(None) => {}
            }
        };
        for (case, (bundle, root)) in &cases {
            let case = case.as_str();
            let cas = authorities(root, "certificateAuthorities");
            let certs = parse_all(&bundle_certs(bundle));
            let (leaf, rest) = certs.split_first().unwrap();
            let (nb, na) = (leaf.not_before(), leaf.not_after());
            // The bundle may carry no intermediate: also pass the one that issued it.
            let issued_by = verify_chain(leaf, &[], &cas, nb, EKU_CODE_SIGNING).unwrap();
            let intermediate = issued_by.path[1..issued_by.path.len() - 1].to_vec();
            let time_sets: [&[UnixTime]; 7] = [
                &[],
                &[nb],
                &[nb, na, nb + 1],
                &[na, nb],
                &[nb, na + 1],
                &[nb - YEAR, nb],
                &[nb, nb],
            ];
            for times in time_sets {
                compare(leaf, rest, &cas, times, case);
                compare(leaf, &[], &cas, times, case);
                compare(leaf, &intermediate, &cas, times, case);
            }
        }
        // Tampered leaves: the memo must never turn a failed signature into a pass.
        let mut flipped = 0;
        for (bundle, root) in &flip_cases {
            let cas = authorities(root, "certificateAuthorities");
            let der = bundle_certs(bundle).remove(0);
            let t = ParsedCertificate::from_der(&der).unwrap().not_before();
            for i in (0..der.len()).step_by(97) {
                let mut d = der.clone();
                d[i] ^= 0x01;
                if let Ok(leaf) = ParsedCertificate::from_der(&d) {
                    compare(&leaf, &[], &cas, &[t, t + 1], "bit-flipped leaf");
                    flipped += 1;
                }
            }
        }
        assert!(flipped > 3, "{flipped}");
        assert!(
            passed >= 6 && failed >= 6 + flipped,
            "{passed} passed, {failed} failed"
        );
    }

    // ---- synthetic chains for the RFC 5280 rules ----

    const T: i64 = 1_700_000_000;

    struct Pki {
        root: Vec<u8>,
        intermediate: Vec<u8>,
    }

    fn bc(ca: bool, path_len: Option<u8>) -> x509_cert::ext::Extension {
        ext(
            "2.5.29.19",
            true,
            &BasicConstraints {
                ca,
                path_len_constraint: path_len,
            },
        )
    }

    fn ku(flags: impl Into<der::flagset::FlagSet<KeyUsages>>) -> x509_cert::ext::Extension {
        ext("2.5.29.15", true, &KeyUsage(flags.into()))
    }

    fn eku(oids: &[ObjectIdentifier]) -> x509_cert::ext::Extension {
        ext("2.5.29.37", false, &ExtendedKeyUsage(oids.to_vec()))
    }

    fn pki(
        root_exts: Vec<x509_cert::ext::Extension>,
        int_exts: Vec<x509_cert::ext::Extension>,
    ) -> Pki {
        let window = (T - YEAR, T + YEAR);
        Pki {
            root: mint("CN=root", &key(1), "CN=root", &key(1), window, root_exts),
            intermediate: mint("CN=int", &key(2), "CN=root", &key(1), window, int_exts),
        }
    }

    fn leaf(exts: Vec<x509_cert::ext::Extension>) -> ParsedCertificate {
        ParsedCertificate::from_der(&mint(
            "",
            &key(3),
            "CN=int",
            &key(2),
            (T - 300, T + 300),
            exts,
        ))
        .unwrap()
    }

    fn good_leaf_exts() -> Vec<x509_cert::ext::Extension> {
        vec![ku(KeyUsages::DigitalSignature), eku(&[EKU_CODE_SIGNING])]
    }

    fn check(p: &Pki, leaf: &ParsedCertificate) -> Result<VerifiedChain, CertificateError> {
        let ca = authority(vec![p.intermediate.clone(), p.root.clone()]);
        verify_chain(leaf, &[], &[ca], T, EKU_CODE_SIGNING)
    }

    fn code(r: Result<VerifiedChain, CertificateError>) -> &'static str {
        r.map_or_else(|e| e.code(), |_| "ok")
    }

    fn authority(chain: Vec<Vec<u8>>) -> CertificateAuthority {
        CertificateAuthority {
            organization: None,
            common_name: None,
            uri: "https://ca.test".into(),
            cert_chain: chain,
            valid_for: ValidityWindow {
                start: 0,
                end: None,
            },
            operator: None,
        }
    }

    /// The trusted root's own CA chains are verified once per load: with one
    /// [`ChainMemo`] kept across calls (as the verifier keeps one per trusted root), the
    /// intermediate-by-root link is verified on first use and then remembered, while the
    /// leaf-by-intermediate link is verified on every call; the outcomes equal those of
    /// a fresh memo each time.
    #[test]
    fn chain_memo_keeps_only_trusted_links_and_gives_the_same_results() {
        let p = pki(ca_extensions(), ca_extensions());
        let ca = authority(vec![p.intermediate.clone(), p.root.clone()]);
        let memo = ChainMemo::default();
        assert_eq!(memo.verified_links(), 0);
        let with_memo = |leaf: &ParsedCertificate, at| {
            verify_chain_with_memo(
                leaf,
                &[],
                std::slice::from_ref(&ca),
                at,
                EKU_CODE_SIGNING,
                &memo,
            )
        };
        let good = leaf(good_leaf_exts());
        for _ in 0..3 {
            let v = with_memo(&good, T);
            assert_eq!(v, check(&p, &good));
            assert_eq!(v.map(|c| c.path.len()), Ok(3));
            // Only the intermediate -> root link (trusted-root material) is kept.
            assert_eq!(memo.verified_links(), 1);
        }
        // A leaf with a bad signature fails on every call, memo or not: bundle links
        // are never remembered.
        let forged = ParsedCertificate::from_der(&mint(
            "",
            &key(3),
            "CN=int",
            &key(9),
            (T - 300, T + 300),
            good_leaf_exts(),
        ))
        .unwrap();
        for _ in 0..2 {
            assert_eq!(code(with_memo(&forged, T)), "certificate.signature-invalid");
            assert_eq!(memo.verified_links(), 1);
        }
        // Every other check still runs on a memo hit: the time is still checked.
        assert_eq!(code(with_memo(&good, T + 2 * YEAR)), "certificate.expired");
        // The memo-free entry point gives the same answers.
        assert_eq!(
            with_memo(&good, T),
            verify_chain(&good, &[], std::slice::from_ref(&ca), T, EKU_CODE_SIGNING)
        );
    }

    #[test]
    fn chain_memo_never_answers_for_other_bytes() {
        let p = pki(ca_extensions(), ca_extensions());
        let good = leaf(good_leaf_exts());
        // An intermediate with the same names and key that the root did NOT sign.
        let bad_int = mint(
            "CN=int",
            &key(2),
            "CN=root",
            &key(7),
            (T - YEAR, T + YEAR),
            ca_extensions(),
        );
        let memo = ChainMemo::default();
        let run = |a: &CertificateAuthority| {
            verify_chain_with_memo(
                &good,
                &[],
                std::slice::from_ref(a),
                T,
                EKU_CODE_SIGNING,
                &memo,
            )
        };
        // Failures are not remembered: a bad trusted chain fails every time.
        let bad = authority(vec![bad_int.clone(), p.root.clone()]);
        for _ in 0..2 {
            assert_eq!(code(run(&bad)), "certificate.signature-invalid");
            assert_eq!(memo.verified_links(), 0);
        }
        // A warmed-up memo asked about an authority whose chain differs (the same names,
        // another intermediate) re-parses and re-verifies; back to the real chain, it
        // verifies again from the memo.
        let mut ca = authority(vec![p.intermediate.clone(), p.root.clone()]);
        assert_eq!(code(run(&ca)), "ok");
        assert_eq!(memo.verified_links(), 1);
        ca.cert_chain = vec![bad_int.clone(), p.root.clone()];
        assert_eq!(code(run(&ca)), "certificate.signature-invalid");
        ca.cert_chain = vec![p.intermediate.clone(), p.root.clone()];
        assert_eq!(code(run(&ca)), "ok");
        assert_eq!(memo.verified_links(), 1);
        // Two authorities are equal exactly when their trusted-root fields are: the
        // trust-root data carries no cache.
        assert_eq!(ca.clone(), ca);
        assert_ne!(ca, bad);
    }

    #[test]
    fn synthetic_good_chain_verifies() {
        let p = pki(ca_extensions(), ca_extensions());
        let v = check(&p, &leaf(good_leaf_exts())).unwrap();
        assert_eq!(v.path.len(), 3);
        // keyUsage is optional on the leaf; the EKU is not.
        assert_eq!(code(check(&p, &leaf(vec![eku(&[EKU_CODE_SIGNING])]))), "ok");
        assert_eq!(
            code(check(&p, &leaf(vec![ku(KeyUsages::DigitalSignature)]))),
            "certificate.eku-absent"
        );
    }

    #[test]
    fn synthetic_leaf_rules() {
        let p = pki(ca_extensions(), ca_extensions());
        let with = |extra: x509_cert::ext::Extension| {
            let mut e = good_leaf_exts();
            e.push(extra);
            leaf(e)
        };
        assert_eq!(
            code(check(&p, &with(bc(true, None)))),
            "certificate.leaf-is-ca"
        );
        assert_eq!(code(check(&p, &with(bc(false, None)))), "ok");
        assert_eq!(
            code(check(
                &p,
                &leaf(vec![ku(KeyUsages::KeyCertSign), eku(&[EKU_CODE_SIGNING])])
            )),
            "certificate.key-usage-invalid"
        );
        assert_eq!(
            code(check(&p, &leaf(vec![eku(&[EKU_TIME_STAMPING])]))),
            "certificate.eku-mismatch"
        );
        // Critical unknown extension: rejected; non-critical: ignored.
        let unknown = |critical| ext("1.2.3.4.5", critical, &der::asn1::Null);
        assert_eq!(
            code(check(&p, &with(unknown(true)))),
            "certificate.unknown-critical-extension"
        );
        assert_eq!(code(check(&p, &with(unknown(false)))), "ok");
        // Fulcio's own extensions are non-critical; a critical one is unknown to us.
        let fulcio_critical = ext(
            "1.3.6.1.4.1.57264.1.8",
            true,
            &der::asn1::Utf8StringRef::new("x").unwrap(),
        );
        assert_eq!(
            code(check(&p, &with(fulcio_critical))),
            "certificate.unknown-critical-extension"
        );
    }

    #[test]
    fn synthetic_ca_rules() {
        let lf = leaf(good_leaf_exts());
        // Intermediate without basicConstraints / with cA false.
        let no_bc = vec![ku(KeyUsages::KeyCertSign)];
        assert_eq!(
            code(check(&pki(ca_extensions(), no_bc), &lf)),
            "certificate.issuer-not-ca"
        );
        let not_ca = vec![bc(false, None), ku(KeyUsages::KeyCertSign)];
        assert_eq!(
            code(check(&pki(ca_extensions(), not_ca), &lf)),
            "certificate.issuer-not-ca"
        );
        // keyUsage without keyCertSign.
        let no_sign = vec![bc(true, None), ku(KeyUsages::DigitalSignature)];
        assert_eq!(
            code(check(&pki(ca_extensions(), no_sign), &lf)),
            "certificate.issuer-key-usage-invalid"
        );
        // keyUsage absent on a CA is allowed.
        assert_eq!(
            code(check(&pki(ca_extensions(), vec![bc(true, None)]), &lf)),
            "ok"
        );
        // Root pathLen 0 with an intermediate below it; intermediate pathLen 0 is fine.
        let root_pl0 = vec![bc(true, Some(0)), ku(KeyUsages::KeyCertSign)];
        assert_eq!(
            code(check(&pki(root_pl0, ca_extensions()), &lf)),
            "certificate.path-len-exceeded"
        );
        let root_pl1 = vec![bc(true, Some(1)), ku(KeyUsages::KeyCertSign)];
        let int_pl0 = vec![bc(true, Some(0)), ku(KeyUsages::KeyCertSign)];
        assert_eq!(code(check(&pki(root_pl1, int_pl0), &lf)), "ok");
        // Name constraints in any form.
        let mut nc = ca_extensions();
        nc.push(ext("2.5.29.30", false, &der::asn1::Null));
        assert_eq!(
            code(check(&pki(ca_extensions(), nc), &lf)),
            "certificate.name-constraints-unsupported"
        );
        // CA EKU must allow the leaf's purpose (as the Fulcio intermediate's codeSigning does).
        let mut ts_only = ca_extensions();
        ts_only.push(eku(&[EKU_TIME_STAMPING]));
        assert_eq!(
            code(check(&pki(ca_extensions(), ts_only), &lf)),
            "certificate.issuer-eku-mismatch"
        );
        let mut cs = ca_extensions();
        cs.push(eku(&[EKU_CODE_SIGNING]));
        assert_eq!(code(check(&pki(ca_extensions(), cs), &lf)), "ok");
    }

    #[test]
    fn synthetic_wrong_issuer_and_expired_ca() {
        let p = pki(ca_extensions(), ca_extensions());
        // Right issuer name, wrong key.
        let forged = ParsedCertificate::from_der(&mint(
            "",
            &key(3),
            "CN=int",
            &key(7),
            (T - 300, T + 300),
            good_leaf_exts(),
        ))
        .unwrap();
        assert_eq!(code(check(&p, &forged)), "certificate.signature-invalid");
        // An intermediate that expired before T.
        let old = Pki {
            root: p.root.clone(),
            intermediate: mint(
                "CN=int",
                &key(2),
                "CN=root",
                &key(1),
                (T - YEAR, T - 1),
                ca_extensions(),
            ),
        };
        let e = check(&old, &leaf(good_leaf_exts())).unwrap_err();
        assert_eq!(e.code(), "certificate.expired");
        assert!(e.to_string().contains("CN=int"), "{e}");
    }
}
