//! RFC 3161 signed timestamps (TimeStampResp / TimeStampToken, CMS SignedData, TSTInfo).
//!
//! Rekor v2 entries carry no signed entry timestamp, so the signing time comes from a
//! timestamp authority (sigstore-go `pkg/verify/tsa.go`; rekor-tiles `CLIENTS.md`): "The TSA timestamp covers the bundle signature
//! bytes ... Verify the token chain against `timestampAuthorities` and check `genTime`
//! within the TSA's `validFor`." [`verify_timestamp_with_memo`] does exactly that and
//! returns the verified `genTime` (`verify_timestamp`, the same with a fresh memo, is for
//! tests and fuzzing); [`parse_timestamp`] only decodes.
//!
//! The structures are read by hand on `der` (no `cms` crate); see `cms.rs`,
//! `tst_info.rs` and `ess.rs` for the ASN.1 they follow.

mod asn1;

mod cms;
mod error;
mod ess;
#[cfg(test)]
mod tests;
mod tst_info;

pub use error::TimestampError;

use der::asn1::OctetStringRef;
use der::{Decode, Encode};
use spki::ObjectIdentifier;
use x509_cert::Certificate;

use self::cms::{SignerId, OID_CT_TST_INFO};
use crate::crypto::{HashAlgorithm, KeyAlgorithm, PublicKey, OID_EC_PUBLIC_KEY, OID_RSA};
use crate::encoding::hex_encode;
use crate::time::UnixTime;
use crate::trust_root::CertificateAuthority;
use crate::x509::{verify_chain_with_memo, ChainMemo, ParsedCertificate, EKU_TIME_STAMPING};

/// `id-ce-subjectKeyIdentifier` (RFC 5280 §4.2.1.2).
const OID_SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

/// A timestamp whose signature, content and certificate chain verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTimestamp {
    /// `TSTInfo.genTime`, whole seconds (fractions truncated).
    pub gen_time: UnixTime,
    /// Index, in the `authorities` given, of the timestamp authority that vouched.
    pub authority_index: usize,
    /// Subject of the TSA signing certificate (RFC 4514 form).
    pub tsa_subject: String,
    /// `TSTInfo.serialNumber` (the INTEGER's contents octets, big-endian).
    pub serial: Vec<u8>,
    /// `TSTInfo.policy` (dotted OID).
    pub policy: String,
}

/// What [`parse_timestamp`] decodes, unverified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampInfo {
    /// `TSTInfo.genTime`, whole seconds (fractions truncated).
    pub gen_time: UnixTime,
    /// `messageImprint.hashAlgorithm`.
    pub imprint_algorithm: HashAlgorithm,
    /// `messageImprint.hashedMessage`.
    pub imprint: Vec<u8>,
    /// `TSTInfo.serialNumber` (the INTEGER's contents octets, big-endian).
    pub serial: Vec<u8>,
    /// `TSTInfo.policy` (dotted OID).
    pub policy: String,
    /// Number of certificates embedded in the token's `SignedData.certificates`.
    pub embedded_certificates: usize,
}

/// Parses one `signedTimestamp` (DER `TimeStampResp`, or a bare `TimeStampToken`
/// `ContentInfo`) without verifying anything: for `inspect` and fuzzing.
pub fn parse_timestamp(token_der: &[u8]) -> Result<TimestampInfo, TimestampError> {
    let token = cms::parse_token(token_der)?;
    let tst = tst_info::parse(token.e_content)?;
    if let Some(attrs) = token.signer.signed_attrs {
        cms::parse_signed_attrs(attrs)?;
    }
    Ok(TimestampInfo {
        gen_time: tst.gen_time,
        imprint_algorithm: tst.imprint_algorithm,
        imprint: tst.imprint.to_vec(),
        serial: tst.serial.to_vec(),
        policy: tst.policy.to_string(),
        embedded_certificates: token.certificates.len(),
    })
}

/// A certificate candidate for the signer, with the parts `SignerIdentifier` and the
/// ESS attributes refer to.
struct CandidateCert<'a> {
    der: &'a [u8],
    cert: Certificate,
    issuer: Vec<u8>,
    serial: Vec<u8>,
}

impl<'a> CandidateCert<'a> {
    fn parse(der: &'a [u8]) -> Result<Self, TimestampError> {
        let invalid = |e: der::Error| TimestampError::InvalidCertificate {
            detail: e.to_string(),
        };
        let cert = Certificate::from_der(der).map_err(invalid)?;
        let issuer = cert.tbs_certificate.issuer.to_der().map_err(invalid)?;
        let serial = cert
            .tbs_certificate
            .serial_number
            .to_der()
            .map_err(invalid)?;
        Ok(Self {
            der,
            cert,
            issuer,
            serial,
        })
    }

    /// The `subjectKeyIdentifier` extension value, if any.
    fn subject_key_id(&self) -> Option<Vec<u8>> {
        self.cert
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == OID_SUBJECT_KEY_IDENTIFIER)
            .and_then(|e| OctetStringRef::from_der(e.extn_value.as_bytes()).ok())
            .map(|o| o.as_bytes().to_vec())
    }

    /// RFC 5652 §5.3 `sid`: "Specifies the signer's certificate (and thereby the
    /// signer's public key)."
    fn matches(&self, sid: &SignerId<'_>) -> bool {
        match sid {
            SignerId::IssuerSerial { issuer, serial } => {
                self.issuer.as_slice() == *issuer && self.serial.as_slice() == *serial
            }
            SignerId::SubjectKeyId(id) => self.subject_key_id().as_deref() == Some(*id),
        }
    }
}

/// Describes a `SignerIdentifier` for an error message.
fn describe_sid(sid: &SignerId<'_>) -> String {
    match sid {
        SignerId::IssuerSerial { issuer, serial } => {
            let issuer = x509_cert::name::Name::from_der(issuer)
                .map_or_else(|_| hex_encode(issuer), |n| n.to_string());
            let serial = asn1::single(serial, "serial").map_or(*serial, |t| t.value);
            format!("issuer \"{issuer}\", serial {}", hex_encode(serial))
        }
        SignerId::SubjectKeyId(id) => format!("subject key identifier {}", hex_encode(id)),
    }
}

/// Parses and verifies one `signedTimestamp` (DER `TimeStampResp`, or a bare
/// `TimeStampToken` `ContentInfo`; both occur) over `signed_bytes` (the bundle's
/// signature bytes, sigstore-go `pkg/verify/tsa.go`) against the trusted root's `timestampAuthorities`.
///
/// Checks, in order: structure (RFC 3161 §2.4.2, RFC 5652 §5); TSTInfo; the message
/// imprint equals the hash of `signed_bytes`; the signer certificate (embedded, else a
/// trusted TSA's leaf) matches the `SignerIdentifier`; the signed attributes
/// (`contentType`, `messageDigest`, ESS signing certificate) and the ECDSA or RSA
/// signature;
/// finally the certificate chain to a trusted authority at `genTime`.
#[cfg(any(test, feature = "unstable-internals"))]
pub fn verify_timestamp(
    token_der: &[u8],
    signed_bytes: &[u8],
    authorities: &[CertificateAuthority],
) -> Result<VerifiedTimestamp, TimestampError> {
    verify_timestamp_with_memo(token_der, signed_bytes, authorities, &ChainMemo::default())
}

/// [`verify_timestamp`], with the TSAs' own chain links taken from (and recorded in)
/// `memo` (see [`crate::x509::ChainMemo`]). Same result.
pub fn verify_timestamp_with_memo(
    token_der: &[u8],
    signed_bytes: &[u8],
    authorities: &[CertificateAuthority],
    memo: &ChainMemo,
) -> Result<VerifiedTimestamp, TimestampError> {
    // 1. Structure (size limit first, inside parse_token).
    let token = cms::parse_token(token_der)?;
    // 2. TSTInfo.
    let tst = tst_info::parse(token.e_content)?;

    // 3. RFC 3161 §2.4.2 messageImprint; sigstore-go `pkg/verify/tsa.go`: the timestamp
    //    is over the bundle's signature bytes (conformance
    //    `rekor2-timestamp-payload-mismatch_fail`).
    let expected = tst.imprint_algorithm.digest(signed_bytes);
    if expected.as_slice() != tst.imprint {
        return Err(TimestampError::ImprintMismatch {
            algorithm: tst.imprint_algorithm,
            expected: hex_encode(&expected),
            actual: hex_encode(tst.imprint),
        });
    }

    // 4. The signer's certificate: RFC 3161 §2.4.1 puts the TSA certificate in
    //    `certificates` only when the request set certReq; when it is absent, it must
    //    be a trusted TSA's leaf (conformance `rekor2-timestamp-without-embedded-cert`).
    let sid = token.signer.sid;
    let embedded = token
        .certificates
        .iter()
        .map(|d| CandidateCert::parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let signer_pos = embedded.iter().position(|c| c.matches(&sid));
    let from_root;
    let signer = match signer_pos.and_then(|i| embedded.get(i)) {
        Some(c) => c,
        None => {
            from_root = authorities
                .iter()
                .filter_map(|a| a.cert_chain.first())
                .filter_map(|d| CandidateCert::parse(d).ok())
                .find(|c| c.matches(&sid))
                .ok_or_else(|| TimestampError::SignerCertNotFound {
                    signer: describe_sid(&sid),
                })?;
            &from_root
        }
    };

    // 5. Signed attributes and signature.
    verify_signer_info(&token, signer)?;

    // 6. Chain at genTime: sigstore-go `pkg/verify/tsa.go` "Verify the token chain against
    //    `timestampAuthorities` and check `genTime` within the TSA's `validFor`", then
    //    each certificate valid at genTime (not now: conformance
    //    `rekor2-timestamp-with-expired-cert-chain`).
    let chain_err = |source| TimestampError::Chain { source };
    let leaf = ParsedCertificate::from_der(signer.der).map_err(chain_err)?;
    let untrusted = embedded
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != signer_pos)
        .map(|(_, c)| ParsedCertificate::from_der(c.der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(chain_err)?;
    let chain = verify_chain_with_memo(
        &leaf,
        &untrusted,
        authorities,
        tst.gen_time,
        EKU_TIME_STAMPING,
        memo,
    )
    .map_err(chain_err)?;

    Ok(VerifiedTimestamp {
        gen_time: tst.gen_time,
        authority_index: chain.authority_index,
        tsa_subject: signer.cert.tbs_certificate.subject.to_string(),
        serial: tst.serial.to_vec(),
        policy: tst.policy.to_string(),
    })
}

/// Step 5: signed attributes (RFC 5652 §5.3, §5.4, §11; RFC 3161 §2.4.2; RFC 5035)
/// and the ECDSA or RSA PKCS#1 v1.5 signature over them.
fn verify_signer_info(
    token: &cms::SignedToken<'_>,
    signer: &CandidateCert<'_>,
) -> Result<(), TimestampError> {
    let si = &token.signer;
    // RFC 3161 §2.4.2 requires the ESS signing-certificate attribute, so signedAttrs
    // must be present (RFC 5652 §5.3: "If the field is present, it MUST contain, at a
    // minimum, ... content-type ... message-digest").
    let attrs_contents = si
        .signed_attrs
        .ok_or(TimestampError::SignedAttributesMissing)?;
    let attrs = cms::parse_signed_attrs(attrs_contents)?;

    // RFC 5652 §11.1: "the content-type attribute value MUST match the
    // SignedData encapContentInfo eContentType value" (id-ct-TSTInfo).
    let content_type = attrs.content_type.ok_or(TimestampError::AttributeMissing {
        attribute: "contentType",
    })?;
    if content_type != OID_CT_TST_INFO {
        return Err(TimestampError::AttributeInvalid {
            attribute: "contentType",
            detail: format!("it is {content_type}, expected id-ct-TSTInfo ({OID_CT_TST_INFO})"),
        });
    }

    // RFC 5652 §5.4 / §11.2: messageDigest = digest of the eContent octets with the
    // SignerInfo's digestAlgorithm.
    let digest_alg = HashAlgorithm::from_digest_oid(&si.digest_algorithm).ok_or_else(|| {
        TimestampError::UnsupportedHashAlgorithm {
            field: "SignerInfo digestAlgorithm",
            oid: si.digest_algorithm.to_string(),
        }
    })?;
    let message_digest = attrs
        .message_digest
        .ok_or(TimestampError::AttributeMissing {
            attribute: "messageDigest",
        })?;
    let content_digest = digest_alg.digest(token.e_content);
    if content_digest.as_slice() != message_digest {
        return Err(TimestampError::MessageDigestMismatch {
            expected: hex_encode(&content_digest),
            actual: hex_encode(message_digest),
        });
    }

    // RFC 3161 §2.4.2 / RFC 5035 §3: the ESS attribute binds the signer certificate.
    ess::check(
        &attrs,
        &ess::CertIds {
            der: signer.der,
            issuer: &signer.issuer,
            serial: &signer.serial,
        },
    )?;

    // RFC 5753 §2.1.1 (ECDSA in CMS): signatureAlgorithm is ecdsa-with-SHA* (or
    // id-ecPublicKey, the hash then being digestAlgorithm). RFC 3370 §3.2 / RFC 4056
    // (RSA in CMS): rsaEncryption (hash = digestAlgorithm) or shaXXXWithRSAEncryption.
    // We require the hash named by signatureAlgorithm to be digestAlgorithm's.
    let sig_alg = si.signature_algorithm;
    let (sig_hash, wants_rsa) = if sig_alg == OID_EC_PUBLIC_KEY {
        (digest_alg, false)
    } else if sig_alg == OID_RSA {
        (digest_alg, true)
    } else if let Some(h) = HashAlgorithm::from_rsa_sig_oid(&sig_alg) {
        (h, true)
    } else {
        let h = HashAlgorithm::from_ecdsa_sig_oid(&sig_alg).ok_or_else(|| {
            TimestampError::UnsupportedSignatureAlgorithm {
                algorithm: sig_alg.to_string(),
            }
        })?;
        (h, false)
    };
    if sig_hash != digest_alg {
        return Err(TimestampError::UnsupportedSignatureAlgorithm {
            algorithm: format!(
                "{sig_alg} (its hash {} differs from digestAlgorithm {})",
                sig_hash.name(),
                digest_alg.name()
            ),
        });
    }
    let spki = signer
        .cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| TimestampError::InvalidCertificate {
            detail: e.to_string(),
        })?;
    // An RSA key without the `rsa` cargo feature is an unusable signer key.
    let key = PublicKey::from_spki_der(&spki)
        .and_then(|k| k.check_usable().map(|()| k))
        .map_err(|source| TimestampError::SignerKey { source })?;
    let key_fits = match key.algorithm() {
        KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => !wants_rsa,
        KeyAlgorithm::RsaPkcs1v15 { .. } => wants_rsa,
        KeyAlgorithm::Ed25519 => false,
    };
    if !key_fits {
        return Err(TimestampError::UnsupportedSignatureAlgorithm {
            algorithm: format!("{sig_alg} with a {} key", key.algorithm()),
        });
    }
    // RFC 5652 §5.4: the signature is over the DER of signedAttrs re-tagged as SET OF.
    let signed = cms::signed_attrs_der(attrs_contents)?;
    key.verify(sig_hash, &signed, si.signature)
        .map_err(|source| TimestampError::BadSignature { source })
}
