//! The CMS envelope of an RFC 3161 token: `TimeStampResp` (RFC 3161 §2.4.2),
//! `ContentInfo` / `SignedData` / `SignerInfo` (RFC 5652 §3, §5) and the signed
//! attributes the verifier needs (RFC 5652 §11, RFC 5035 §3).
//!
//! ```text
//! TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
//! PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL,
//!                              failInfo PKIFailureInfo OPTIONAL }
//! TimeStampToken ::= ContentInfo
//! ContentInfo ::= SEQUENCE { contentType ContentType, content [0] EXPLICIT ANY }
//! SignedData ::= SEQUENCE {
//!   version CMSVersion,
//!   digestAlgorithms DigestAlgorithmIdentifiers,
//!   encapContentInfo EncapsulatedContentInfo,
//!   certificates [0] IMPLICIT CertificateSet OPTIONAL,
//!   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
//!   signerInfos SignerInfos }
//! EncapsulatedContentInfo ::= SEQUENCE {
//!   eContentType ContentType, eContent [0] EXPLICIT OCTET STRING OPTIONAL }
//! SignerInfo ::= SEQUENCE {
//!   version CMSVersion,
//!   sid SignerIdentifier,
//!   digestAlgorithm DigestAlgorithmIdentifier,
//!   signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
//!   signatureAlgorithm SignatureAlgorithmIdentifier,
//!   signature SignatureValue,
//!   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
//! SignerIdentifier ::= CHOICE {
//!   issuerAndSerialNumber IssuerAndSerialNumber,
//!   subjectKeyIdentifier [0] SubjectKeyIdentifier }
//! ```

use der::asn1::{AnyRef, IntRef};
use der::{Encode, Tag, TagNumber};
use spki::ObjectIdentifier;

use super::asn1::{algorithm_identifier, ctx, malformed, single, Der, Tlv};
use super::TimestampError;
use crate::limits::{MAX_CERT_CHAIN_LEN, MAX_RFC3161_BYTES};

/// `id-signedData` (RFC 5652 §5.1).
pub(super) const OID_SIGNED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-ct-TSTInfo` (RFC 3161 §2.4.2).
pub(super) const OID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// `id-contentType` (RFC 5652 §11.1).
const OID_ATTR_CONTENT_TYPE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest` (RFC 5652 §11.2).
const OID_ATTR_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// `id-aa-signingCertificate` (RFC 2634 §5.4).
const OID_ATTR_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// `id-aa-signingCertificateV2` (RFC 5035 §3).
const OID_ATTR_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// How the `SignerInfo` names the signer's certificate (RFC 5652 §5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SignerId<'a> {
    /// `issuerAndSerialNumber`: the full DER of the issuer `Name` and of the serial
    /// `INTEGER`.
    IssuerSerial {
        /// DER of `issuer`.
        issuer: &'a [u8],
        /// DER of `serialNumber`.
        serial: &'a [u8],
    },
    /// `subjectKeyIdentifier`: the key identifier octets.
    SubjectKeyId(&'a [u8]),
}

/// The parsed token: what the verifier needs from the `SignedData`.
#[derive(Clone, Debug)]
pub(super) struct SignedToken<'a> {
    /// `certificates`, DER, at most [`MAX_CERT_CHAIN_LEN`].
    pub(super) certificates: Vec<&'a [u8]>,
    /// `eContent`: the DER TSTInfo.
    pub(super) e_content: &'a [u8],
    /// The one `SignerInfo`.
    pub(super) signer: SignerInfo<'a>,
}

/// One `SignerInfo`.
#[derive(Clone, Debug)]
pub(super) struct SignerInfo<'a> {
    /// `sid`.
    pub(super) sid: SignerId<'a>,
    /// `digestAlgorithm`.
    pub(super) digest_algorithm: ObjectIdentifier,
    /// Contents of `signedAttrs` (without the `[0]` header), if present.
    pub(super) signed_attrs: Option<&'a [u8]>,
    /// `signatureAlgorithm`.
    pub(super) signature_algorithm: ObjectIdentifier,
    /// `signature`.
    pub(super) signature: &'a [u8],
}

/// Parses a DER `TimeStampResp` or a bare `TimeStampToken` (`ContentInfo`); both are
/// found in Sigstore bundles.
pub(super) fn parse_token(der: &[u8]) -> Result<SignedToken<'_>, TimestampError> {
    if der.len() > MAX_RFC3161_BYTES {
        return Err(TimestampError::TooLarge {
            len: der.len(),
            max: MAX_RFC3161_BYTES,
        });
    }
    let outer = single(der, "timestamp")?;
    if outer.tag != Tag::Sequence {
        return Err(malformed(
            "timestamp",
            format!("expected SEQUENCE, found {}", outer.tag),
        ));
    }
    let mut r = outer.contents("TimeStampResp")?;
    let content_info = match r.peek_tag()? {
        // A TimeStampResp starts with PKIStatusInfo (a SEQUENCE); a ContentInfo with
        // its contentType (an OID).
        Some(Tag::Sequence) => {
            let status_info = r.expect(Tag::Sequence, "status")?;
            check_status(&status_info)?;
            // RFC 3161 §2.4.2: "When the status contains the value zero or one, a
            // TimeStampToken MUST be present."
            let token = r
                .optional(Tag::Sequence)?
                .ok_or(TimestampError::TokenMissing)?;
            r.finish()?;
            token
        }
        _ => outer,
    };
    parse_content_info(&content_info)
}

/// RFC 3161 §2.4.2: "PKIStatus ::= INTEGER { granted (0), grantedWithMods (1),
/// rejection (2), waiting (3), revocationWarning (4), revocationNotification (5) }".
/// Only 0 and 1 carry a token.
fn check_status(status_info: &Tlv<'_>) -> Result<(), TimestampError> {
    let mut r = status_info.contents("PKIStatusInfo")?;
    let status = r.small_int("status")?;
    // statusString PKIFreeText (SEQUENCE OF UTF8String) and failInfo (BIT STRING) are
    // informational; they are checked for shape only.
    r.optional(Tag::Sequence)?;
    r.optional(Tag::BitString)?;
    r.finish()?;
    if status == 0 || status == 1 {
        Ok(())
    } else {
        Err(TimestampError::NotGranted { status })
    }
}

fn parse_content_info<'a>(ci: &Tlv<'a>) -> Result<SignedToken<'a>, TimestampError> {
    let mut r = ci.contents("ContentInfo")?;
    // RFC 3161 §2.4.2: "The time-stamp token MUST NOT contain any signatures other
    // than the signature of the TSA. The certificate identifier (ESSCertID) of the TSA
    // certificate MUST be included as a signerInfo attribute"; the token is a
    // ContentInfo of type id-signedData (RFC 5652 §5.1).
    let content_type = r.oid("contentType")?;
    if content_type != OID_SIGNED_DATA {
        return Err(TimestampError::WrongContentType {
            field: "ContentInfo contentType",
            expected: format!("id-signedData ({OID_SIGNED_DATA})"),
            actual: content_type.to_string(),
        });
    }
    let explicit = r.expect(ctx(TagNumber::N0, true), "content")?;
    r.finish()?;
    let mut e = explicit.contents("ContentInfo content")?;
    let signed_data = e.expect(Tag::Sequence, "SignedData")?;
    e.finish()?;
    parse_signed_data(&signed_data)
}

fn parse_signed_data<'a>(sd: &Tlv<'a>) -> Result<SignedToken<'a>, TimestampError> {
    const S: &str = "SignedData";
    let mut r = sd.contents(S)?;
    // RFC 5652 §5.1: version is 3 when eContentType is not id-data (and 4 or 5 only
    // when other certificate or CRL formats are present). TSTInfo is not id-data.
    let version = r.small_int("version")?;
    if !(3..=5).contains(&version) {
        return Err(TimestampError::UnsupportedVersion {
            structure: S,
            version,
        });
    }
    // digestAlgorithms: informational (RFC 5652 §5.1 "a collection of message digest
    // algorithm identifiers"); the SignerInfo's own digestAlgorithm is what counts.
    // Its DER is still checked, as for every other field: RFC 5652 §10.1.1
    // `DigestAlgorithmIdentifiers ::= SET OF DigestAlgorithmIdentifier` (an
    // AlgorithmIdentifier); the algorithms themselves are not restricted.
    let digest_algorithms = r.expect(Tag::Set, "digestAlgorithms")?;
    let mut d = digest_algorithms.contents("digestAlgorithms")?;
    while !d.is_finished() {
        algorithm_identifier(&d.any()?, "digestAlgorithms")?;
    }
    let encap = r.expect(Tag::Sequence, "encapContentInfo")?;

    let mut certificates = Vec::new();
    if let Some(certs) = r.optional(ctx(TagNumber::N0, true))? {
        let mut c = certs.contents("SignedData certificates")?;
        while !c.is_finished() {
            // CertificateChoices: only the plain `certificate` (a SEQUENCE) alternative;
            // attribute and "other" certificates are not accepted.
            let cert = c.expect(Tag::Sequence, "certificate")?;
            if certificates.len() >= MAX_CERT_CHAIN_LEN {
                return Err(TimestampError::TooManyCertificates {
                    max: MAX_CERT_CHAIN_LEN,
                });
            }
            certificates.push(cert.whole);
        }
    }
    // crls: revocation is not checked (as in sigstore-go); accepted for shape only.
    r.optional(ctx(TagNumber::N1, true))?;
    let signer_infos = r.expect(Tag::Set, "signerInfos")?;
    r.finish()?;

    // RFC 3161 §2.4.2: "The time-stamp token MUST NOT contain any signatures other
    // than the signature of the TSA": exactly one SignerInfo.
    let mut s = signer_infos.contents("SignerInfos")?;
    let mut count = 0usize;
    let mut first = None;
    while !s.is_finished() {
        let si = s.expect(Tag::Sequence, "SignerInfo")?;
        count = count.saturating_add(1);
        first.get_or_insert(si);
    }
    let si = match (count, first) {
        (1, Some(si)) => si,
        _ => return Err(TimestampError::SignerCount { count }),
    };

    // RFC 3161 §2.4.2: "The content type ... id-ct-TSTInfo"; the eContent is present
    // (a detached TSTInfo would carry no time).
    let mut ec = encap.contents("EncapsulatedContentInfo")?;
    let e_content_type = ec.oid("eContentType")?;
    if e_content_type != OID_CT_TST_INFO {
        return Err(TimestampError::WrongContentType {
            field: "eContentType",
            expected: format!("id-ct-TSTInfo ({OID_CT_TST_INFO})"),
            actual: e_content_type.to_string(),
        });
    }
    let e_content = match ec.optional(ctx(TagNumber::N0, true))? {
        None => return Err(TimestampError::ContentMissing),
        Some(explicit) => {
            let mut o = explicit.contents("eContent")?;
            // DER: the OCTET STRING is primitive (a constructed one is BER only).
            let octets = o.expect(Tag::OctetString, "eContent")?;
            o.finish()?;
            octets.value
        }
    };
    ec.finish()?;

    let signer = parse_signer_info(&si)?;
    Ok(SignedToken {
        certificates,
        e_content,
        signer,
    })
}

fn parse_signer_info<'a>(si: &Tlv<'a>) -> Result<SignerInfo<'a>, TimestampError> {
    const S: &str = "SignerInfo";
    let mut r = si.contents(S)?;
    let version = r.small_int("version")?;
    let sid_tlv = r.any()?;
    // RFC 5652 §5.3: "If the SignerIdentifier is issuerAndSerialNumber, then the
    // version MUST be 1. If the SignerIdentifier is subjectKeyIdentifier, then the
    // version MUST be 3."
    let sid = match sid_tlv.tag {
        Tag::Sequence if version == 1 => {
            let mut ias = sid_tlv.contents("SignerInfo issuerAndSerialNumber")?;
            let issuer = ias.expect(Tag::Sequence, "issuer")?.whole;
            let serial = ias.expect(Tag::Integer, "serialNumber")?;
            serial.decode::<IntRef<'_>>(S)?;
            ias.finish()?;
            SignerId::IssuerSerial {
                issuer,
                serial: serial.whole,
            }
        }
        tag if version == 3 && tag == ctx(TagNumber::N0, false) => {
            SignerId::SubjectKeyId(sid_tlv.value)
        }
        Tag::Sequence | Tag::ContextSpecific { .. } if version != 1 && version != 3 => {
            return Err(TimestampError::UnsupportedVersion {
                structure: S,
                version,
            })
        }
        tag => {
            return Err(malformed(
                S,
                format!("sid {tag} does not match SignerInfo version {version}"),
            ))
        }
    };
    let digest_algorithm = algorithm_identifier(&r.expect(Tag::Sequence, "digestAlgorithm")?, S)?;
    let signed_attrs = r.optional(ctx(TagNumber::N0, true))?.map(|t| t.value);
    let signature_algorithm =
        algorithm_identifier(&r.expect(Tag::Sequence, "signatureAlgorithm")?, S)?;
    let signature = r.expect(Tag::OctetString, "signature")?.value;
    r.optional(ctx(TagNumber::N1, true))?;
    r.finish()?;
    Ok(SignerInfo {
        sid,
        digest_algorithm,
        signed_attrs,
        signature_algorithm,
        signature,
    })
}

/// RFC 5652 §5.4: "the DER encoding of the SignedAttributes value ... is digested ...
/// A separate encoding of the signedAttrs field is performed for message digest
/// calculation. The IMPLICIT [0] tag in the signedAttrs is not used for the DER
/// encoding, rather an EXPLICIT SET OF tag is used."
pub(super) fn signed_attrs_der(contents: &[u8]) -> Result<Vec<u8>, TimestampError> {
    AnyRef::new(Tag::Set, contents)
        .and_then(|a| a.to_der())
        .map_err(|e| malformed("SignerInfo signedAttrs", e))
}

/// The signed attributes the verifier needs, each present at most once.
#[derive(Clone, Debug, Default)]
pub(super) struct SignedAttrs<'a> {
    /// `contentType` value.
    pub(super) content_type: Option<ObjectIdentifier>,
    /// `messageDigest` value (the octets).
    pub(super) message_digest: Option<&'a [u8]>,
    /// `signingCertificate` value (`SigningCertificate` SEQUENCE).
    pub(super) signing_certificate: Option<Tlv<'a>>,
    /// `signingCertificateV2` value (`SigningCertificateV2` SEQUENCE).
    pub(super) signing_certificate_v2: Option<Tlv<'a>>,
}

/// Parses `SignedAttributes ::= SET SIZE (1..MAX) OF Attribute` with
/// `Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue }`
/// (RFC 5652 §5.3). Unknown attributes (signingTime, ...) are skipped.
pub(super) fn parse_signed_attrs(contents: &[u8]) -> Result<SignedAttrs<'_>, TimestampError> {
    const S: &str = "SignerInfo signedAttrs";
    let mut r = Der::new(contents, S)?;
    if r.is_finished() {
        return Err(malformed(S, "SignedAttributes is empty (SIZE (1..MAX))"));
    }
    let mut out = SignedAttrs::default();
    while !r.is_finished() {
        let attr = r.expect(Tag::Sequence, "Attribute")?;
        let mut a = attr.contents(S)?;
        let attr_type = a.oid("attrType")?;
        let values = a.expect(Tag::Set, "attrValues")?;
        a.finish()?;
        let name = match attr_type {
            OID_ATTR_CONTENT_TYPE => "contentType",
            OID_ATTR_MESSAGE_DIGEST => "messageDigest",
            OID_ATTR_SIGNING_CERTIFICATE => "signingCertificate",
            OID_ATTR_SIGNING_CERTIFICATE_V2 => "signingCertificateV2",
            _ => continue,
        };
        // RFC 5652 §11.1/§11.2: contentType and messageDigest "MUST have a single
        // attribute value" and "MUST NOT include multiple instances"; RFC 5035 §3 /
        // RFC 2634 §5.4 define the signing-certificate attributes with a single value.
        let mut v = values.contents(S)?;
        let value = v.any()?;
        if !v.is_finished() {
            return Err(TimestampError::AttributeInvalid {
                attribute: name,
                detail: "it has more than one value".into(),
            });
        }
        let duplicate = || TimestampError::AttributeInvalid {
            attribute: name,
            detail: "it appears more than once".into(),
        };
        let invalid = |e: TimestampError| TimestampError::AttributeInvalid {
            attribute: name,
            detail: e.to_string(),
        };
        match attr_type {
            OID_ATTR_CONTENT_TYPE => {
                if out.content_type.is_some() {
                    return Err(duplicate());
                }
                if value.tag != Tag::ObjectIdentifier {
                    return Err(invalid(malformed(S, "value is not an OID")));
                }
                out.content_type = Some(value.decode(S).map_err(invalid)?);
            }
            OID_ATTR_MESSAGE_DIGEST => {
                if out.message_digest.is_some() {
                    return Err(duplicate());
                }
                if value.tag != Tag::OctetString {
                    return Err(invalid(malformed(S, "value is not an OCTET STRING")));
                }
                out.message_digest = Some(value.value);
            }
            OID_ATTR_SIGNING_CERTIFICATE => {
                if out.signing_certificate.is_some() {
                    return Err(duplicate());
                }
                out.signing_certificate = Some(value);
            }
            _ => {
                if out.signing_certificate_v2.is_some() {
                    return Err(duplicate());
                }
                out.signing_certificate_v2 = Some(value);
            }
        }
    }
    r.finish()?;
    Ok(out)
}
