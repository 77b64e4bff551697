//! TEMPORARY stand-in for `crate::x509::verify_chain`, which is being written in the
//! `x509` branch. Same signature and contract; replace every use with the real API
//! once `x509` is merged into `main` (then delete this file).
//!
//! Contract (from the x509 API note): every certificate of the path is valid at `at`,
//! the authority's `validFor` contains `at`, each signature verifies with its issuer's
//! key, the leaf carries `required_eku`, and a leaf identical to the authority's
//! `chain[0]` is handled. Errors carry no detail here (the placeholder
//! `CertificateError` has a single variant).

use der::{Decode, Encode};
use spki::ObjectIdentifier;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::Certificate;

use crate::crypto::{HashAlgorithm, PublicKey};
use crate::time::UnixTime;
use crate::trust_root::CertificateAuthority;
use crate::x509::CertificateError;

/// `id-kp-timeStamping` (RFC 5280 §4.2.1.12).
pub(super) const EKU_TIME_STAMPING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

/// A parsed certificate with its DER.
#[derive(Clone, Debug)]
pub(super) struct ParsedCertificate {
    der: Vec<u8>,
    cert: Certificate,
}

impl ParsedCertificate {
    /// Parses one DER certificate (trailing bytes rejected).
    pub(super) fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        let cert = Certificate::from_der(der).map_err(|_| CertificateError::NotImplemented)?;
        Ok(Self {
            der: der.to_vec(),
            cert,
        })
    }
}

/// A verified path to a trusted authority.
#[derive(Clone, Debug)]
pub(super) struct VerifiedChain {
    /// Index of the authority in the slice given to [`verify_chain`].
    pub(super) authority_index: usize,
    /// Leaf first, anchor last.
    #[allow(dead_code)]
    pub(super) path: Vec<ParsedCertificate>,
}

fn valid_at(c: &Certificate, at: UnixTime) -> bool {
    let v = &c.tbs_certificate.validity;
    let nb = i64::try_from(v.not_before.to_unix_duration().as_secs());
    let na = i64::try_from(v.not_after.to_unix_duration().as_secs());
    matches!((nb, na), (Ok(nb), Ok(na)) if nb <= at && at <= na)
}

fn signed_by(child: &Certificate, issuer: &Certificate) -> bool {
    let Some(hash) = HashAlgorithm::from_ecdsa_sig_oid(&child.signature_algorithm.oid) else {
        return false;
    };
    let Ok(spki) = issuer.tbs_certificate.subject_public_key_info.to_der() else {
        return false;
    };
    let Ok(key) = PublicKey::from_spki_der(&spki) else {
        return false;
    };
    let Ok(tbs) = child.tbs_certificate.to_der() else {
        return false;
    };
    let Some(sig) = child.signature.as_bytes() else {
        return false;
    };
    child.tbs_certificate.issuer == issuer.tbs_certificate.subject
        && key.verify(hash, &tbs, sig).is_ok()
}

fn has_eku(c: &Certificate, eku: ObjectIdentifier) -> bool {
    c.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == OID_EXT_KEY_USAGE)
        .filter_map(|e| ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok())
        .any(|u| u.0.contains(&eku))
}

fn path_ok(path: &[&ParsedCertificate], at: UnixTime, eku: ObjectIdentifier) -> bool {
    let Some(leaf) = path.first() else {
        return false;
    };
    has_eku(&leaf.cert, eku)
        && path.iter().all(|c| valid_at(&c.cert, at))
        && path
            .windows(2)
            .all(|w| matches!(w, [c, i] if signed_by(&c.cert, &i.cert)))
}

/// Shim of `crate::x509::verify_chain`.
pub(super) fn verify_chain(
    leaf: &ParsedCertificate,
    _untrusted: &[ParsedCertificate],
    authorities: &[CertificateAuthority],
    at: UnixTime,
    required_eku: ObjectIdentifier,
) -> Result<VerifiedChain, CertificateError> {
    for (authority_index, a) in authorities.iter().enumerate() {
        if !a.valid_for.contains(at) {
            continue;
        }
        let Ok(chain) = a
            .cert_chain
            .iter()
            .map(|d| ParsedCertificate::from_der(d))
            .collect::<Result<Vec<_>, _>>()
        else {
            continue;
        };
        // The leaf is one of the authority's certificates, or is issued by one.
        let candidates: Vec<Vec<&ParsedCertificate>> =
            match chain.iter().position(|c| c.der == leaf.der) {
                Some(k) => vec![chain.iter().skip(k).collect()],
                None => (0..chain.len())
                    .map(|j| core::iter::once(leaf).chain(chain.iter().skip(j)).collect())
                    .collect(),
            };
        if let Some(path) = candidates
            .into_iter()
            .find(|p| path_ok(p, at, required_eku))
        {
            return Ok(VerifiedChain {
                authority_index,
                path: path.into_iter().cloned().collect(),
            });
        }
    }
    Err(CertificateError::NotImplemented)
}
