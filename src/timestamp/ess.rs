//! The ESS signing-certificate attributes that bind the TSA certificate into the
//! signature (RFC 3161 §2.4.2: "The certificate identifier (ESSCertID) of the TSA
//! certificate MUST be included as a signerInfo attribute inside a
//! SigningCertificate attribute"; RFC 5816 allows `SigningCertificateV2`).
//!
//! ```text
//! SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2,
//!                                     policies SEQUENCE OF PolicyInformation OPTIONAL }
//! ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
//!                            certHash Hash, issuerSerial IssuerSerial OPTIONAL }
//! SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID,
//!                                   policies SEQUENCE OF PolicyInformation OPTIONAL }
//! ESSCertID ::= SEQUENCE { certHash Hash (SHA-1), issuerSerial IssuerSerial OPTIONAL }
//! IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
//! ```

use der::{Tag, TagNumber};

use super::asn1::{algorithm_identifier, ctx, Der, Tlv};
use super::cms::SignedAttrs;
use super::TimestampError;
use crate::crypto::HashAlgorithm;
use crate::encoding::hex_encode;

const V1: &str = "signingCertificate";
const V2: &str = "signingCertificateV2";

/// The parts of the signer certificate the ESS attributes refer to.
pub(super) struct CertIds<'a> {
    /// The certificate's DER.
    pub(super) der: &'a [u8],
    /// DER of its `issuer` Name.
    pub(super) issuer: &'a [u8],
    /// DER of its `serialNumber` INTEGER.
    pub(super) serial: &'a [u8],
}

/// Requires the signing-certificate attribute to name `cert`.
///
/// `signingCertificateV2` is checked by hash (and by `issuerSerial` when present). The
/// v1 `signingCertificate` holds a SHA-1 hash, which this verifier does not compute: it
/// is accepted only through its `issuerSerial`, and without one `signingCertificateV2`
/// is required.
pub(super) fn check(attrs: &SignedAttrs<'_>, cert: &CertIds<'_>) -> Result<(), TimestampError> {
    match (&attrs.signing_certificate_v2, &attrs.signing_certificate) {
        (Some(v2), v1) => {
            check_v2(v2, cert)?;
            if let Some(v1) = v1 {
                // Both present: v2 has bound the signer. A v1 `issuerSerial`, when it has
                // one, must not name another certificate; its SHA-1 hash is not checked.
                if let Some(issuer_serial) = first_cert_id_v1(v1)? {
                    check_issuer_serial(V1, &issuer_serial, cert)?;
                }
            }
            Ok(())
        }
        (None, Some(v1)) => match first_cert_id_v1(v1)? {
            Some(issuer_serial) => check_issuer_serial(V1, &issuer_serial, cert),
            None => Err(TimestampError::AttributeInvalid {
                attribute: V1,
                detail: "its ESSCertID has no issuerSerial, and its SHA-1 certificate hash is not accepted; a signingCertificateV2 attribute is required".into(),
            }),
        },
        (None, None) => Err(TimestampError::AttributeMissing { attribute: V2 }),
    }
}

fn invalid(attribute: &'static str, e: TimestampError) -> TimestampError {
    TimestampError::AttributeInvalid {
        attribute,
        detail: e.to_string(),
    }
}

/// The first ESSCertID of a `SEQUENCE OF`: RFC 5035 §3 / RFC 2634 §5.4: "The first
/// certificate identified in the sequence of certificate identifiers MUST be the
/// certificate used to verify the signature." The others are checked for shape only.
fn first_cert_id<'a>(attr: &Tlv<'a>, name: &'static str) -> Result<Tlv<'a>, TimestampError> {
    let run = || -> Result<Tlv<'a>, TimestampError> {
        if attr.tag != Tag::Sequence {
            return Err(super::asn1::malformed(name, "value is not a SEQUENCE"));
        }
        let mut r = attr.contents(name)?;
        let certs = r.expect(Tag::Sequence, "certs")?;
        r.optional(Tag::Sequence)?; // policies
        r.finish()?;
        let mut c = certs.contents(name)?;
        let first = c.expect(Tag::Sequence, "ESSCertID")?;
        while !c.is_finished() {
            c.expect(Tag::Sequence, "ESSCertID")?;
        }
        Ok(first)
    };
    run().map_err(|e| invalid(name, e))
}

fn check_v2(attr: &Tlv<'_>, cert: &CertIds<'_>) -> Result<(), TimestampError> {
    let id = first_cert_id(attr, V2)?;
    let parsed = (|| -> Result<_, TimestampError> {
        let mut r = id.contents(V2)?;
        // hashAlgorithm DEFAULT id-sha256 (RFC 5035 §4).
        let alg = match r.optional(Tag::Sequence)? {
            None => Ok(HashAlgorithm::Sha256),
            Some(t) => {
                let oid = algorithm_identifier(&t, V2)?;
                HashAlgorithm::from_digest_oid(&oid).ok_or_else(|| {
                    TimestampError::UnsupportedHashAlgorithm {
                        field: "signingCertificateV2 hashAlgorithm",
                        oid: oid.to_string(),
                    }
                })
            }
        };
        let cert_hash = r.expect(Tag::OctetString, "certHash")?.value;
        let issuer_serial = r.optional(Tag::Sequence)?;
        r.finish()?;
        Ok((alg, cert_hash, issuer_serial))
    })();
    let (alg, cert_hash, issuer_serial) = match parsed {
        Ok((alg, h, is)) => (alg?, h, is),
        Err(e) => return Err(invalid(V2, e)),
    };
    let actual = alg.digest(cert.der);
    if actual.as_slice() != cert_hash {
        return Err(TimestampError::SigningCertificateMismatch {
            attribute: V2,
            detail: format!(
                "its certHash is {}, the {} of the signer certificate is {}",
                hex_encode(cert_hash),
                alg.name(),
                hex_encode(&actual)
            ),
        });
    }
    if let Some(is) = issuer_serial {
        check_issuer_serial(V2, &is, cert)?;
    }
    Ok(())
}

/// Returns the `issuerSerial` of the first v1 ESSCertID, if it has one.
fn first_cert_id_v1<'a>(attr: &Tlv<'a>) -> Result<Option<Tlv<'a>>, TimestampError> {
    let id = first_cert_id(attr, V1)?;
    let run = || -> Result<Option<Tlv<'a>>, TimestampError> {
        let mut r = id.contents(V1)?;
        let hash = r.expect(Tag::OctetString, "certHash")?;
        if hash.value.len() != 20 {
            return Err(super::asn1::malformed(
                V1,
                format!("certHash is {} bytes, a SHA-1 hash is 20", hash.value.len()),
            ));
        }
        let issuer_serial = r.optional(Tag::Sequence)?;
        r.finish()?;
        Ok(issuer_serial)
    };
    run().map_err(|e| invalid(V1, e))
}

/// `IssuerSerial` (RFC 2634 §5.4.1, RFC 5035 §4) holds the issuer and serial number of
/// the certificate: one `directoryName` of `issuer` must equal the certificate's issuer
/// and `serialNumber` its serial.
fn check_issuer_serial(
    attribute: &'static str,
    issuer_serial: &Tlv<'_>,
    cert: &CertIds<'_>,
) -> Result<(), TimestampError> {
    let parsed = (|| -> Result<(bool, Tlv<'_>), TimestampError> {
        let mut r = issuer_serial.contents(attribute)?;
        let names = r.expect(Tag::Sequence, "issuer")?;
        let serial = r.expect(Tag::Integer, "serialNumber")?;
        r.finish()?;
        let mut n = names.contents(attribute)?;
        let mut issuer_matches = false;
        while !n.is_finished() {
            let gn = n.any()?;
            // GeneralName directoryName [4] Name (EXPLICIT, Name being a CHOICE).
            if gn.tag == ctx(TagNumber::N4, true) {
                let mut d = Der::new(gn.value, attribute)?;
                let name = d.expect(Tag::Sequence, "directoryName")?;
                d.finish()?;
                issuer_matches |= name.whole == cert.issuer;
            }
        }
        Ok((issuer_matches, serial))
    })();
    let (issuer_matches, serial) = parsed.map_err(|e| invalid(attribute, e))?;
    if !issuer_matches {
        return Err(TimestampError::SigningCertificateMismatch {
            attribute,
            detail: "its issuerSerial names a different issuer".into(),
        });
    }
    if serial.whole != cert.serial {
        let cert_serial =
            super::asn1::single(cert.serial, attribute).map_or(cert.serial, |t| t.value);
        return Err(TimestampError::SigningCertificateMismatch {
            attribute,
            detail: format!(
                "its issuerSerial names serial {}, the signer certificate's is {}",
                hex_encode(serial.value),
                hex_encode(cert_serial)
            ),
        });
    }
    Ok(())
}
