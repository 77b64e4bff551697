//! A parsed X.509 certificate (RFC 5280 §4.1) with the fields the verifier needs cached.

use der::asn1::ObjectIdentifier;
use der::{Decode, Reader, SliceReader};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use x509_cert::Certificate;

use super::error::CertificateError;
use crate::crypto::{CryptoError, PublicKey};
use crate::encoding::hex_encode;
use crate::limits::MAX_CERT_BYTES;
use crate::time::UnixTime;

/// `id-ce-basicConstraints` (RFC 5280 §4.2.1.9).
pub(crate) const OID_BASIC_CONSTRAINTS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.19");
/// `id-ce-keyUsage` (RFC 5280 §4.2.1.3).
pub(crate) const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
/// `id-ce-extKeyUsage` (RFC 5280 §4.2.1.12).
pub(crate) const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
/// `id-ce-subjectAltName` (RFC 5280 §4.2.1.6).
pub(crate) const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
/// `id-ce-nameConstraints` (RFC 5280 §4.2.1.10).
pub(crate) const OID_NAME_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.30");

/// The raw DER of the parts of a certificate that are signed or hashed, sliced out of
/// the original bytes (never re-encoded, so a signature is checked over exactly the
/// bytes the issuer signed).
#[derive(Clone, Debug, PartialEq, Eq)]
struct RawParts {
    tbs: Vec<u8>,
    issuer: Vec<u8>,
    subject: Vec<u8>,
    spki: Vec<u8>,
}

/// Walks `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }`
/// and `TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature,
/// issuer, validity, subject, subjectPublicKeyInfo, ... }` (RFC 5280 §4.1), keeping
/// each field's complete TLV.
fn raw_parts(der: &[u8]) -> der::Result<RawParts> {
    let mut outer = SliceReader::new(der)?;
    let parts = outer.sequence(|cert| {
        let tbs = cert.tlv_bytes()?;
        let _signature_algorithm = cert.tlv_bytes()?;
        let _signature_value = cert.tlv_bytes()?;
        let mut tbs_reader = SliceReader::new(tbs)?;
        let (issuer, subject, spki) = tbs_reader.sequence(|t| {
            // version [0] EXPLICIT, present in every v3 certificate.
            if t.peek_byte() == Some(0xa0) {
                let _version = t.tlv_bytes()?;
            }
            let _serial = t.tlv_bytes()?;
            let _signature = t.tlv_bytes()?;
            let issuer = t.tlv_bytes()?;
            let _validity = t.tlv_bytes()?;
            let subject = t.tlv_bytes()?;
            let spki = t.tlv_bytes()?;
            let rest = t.remaining_len();
            let _optional_fields = t.read_slice(rest)?;
            Ok((issuer, subject, spki))
        })?;
        tbs_reader.finish(())?;
        Ok(RawParts {
            tbs: tbs.to_vec(),
            issuer: issuer.to_vec(),
            subject: subject.to_vec(),
            spki: spki.to_vec(),
        })
    })?;
    outer.finish(parts)
}

fn unix(t: x509_cert::time::Time) -> Result<UnixTime, CertificateError> {
    UnixTime::try_from(t.to_unix_duration().as_secs()).map_err(|_| CertificateError::Malformed {
        detail: "validity time out of range".into(),
    })
}

/// A parsed certificate, any role (leaf, intermediate, TSA).
///
/// Parsing checks the DER structure (x509-cert, RFC 5280 profile), rejects trailing
/// bytes, duplicate extensions and a `signature` field that differs from
/// `signatureAlgorithm`, and decodes basicConstraints, keyUsage and extendedKeyUsage
/// when present. Whether the certificate is trusted is [`super::verify_chain`]'s job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedCertificate {
    cert: Certificate,
    der: Vec<u8>,
    raw: RawParts,
    not_before: UnixTime,
    not_after: UnixTime,
    basic_constraints: Option<(bool, BasicConstraints)>,
    key_usage: Option<(bool, KeyUsage)>,
    ext_key_usage: Option<(bool, Vec<ObjectIdentifier>)>,
}

impl ParsedCertificate {
    /// Parses one DER certificate of at most [`MAX_CERT_BYTES`], with no trailing bytes.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        if der.len() > MAX_CERT_BYTES {
            return Err(CertificateError::TooLarge {
                len: der.len(),
                max: MAX_CERT_BYTES,
            });
        }
        let malformed = |e: der::Error| CertificateError::Malformed {
            detail: e.to_string(),
        };
        // `Decode::from_der` fails on trailing data (der `Reader::finish`).
        let cert = Certificate::from_der(der).map_err(malformed)?;
        let raw = raw_parts(der).map_err(malformed)?;
        // RFC 5280 §4.1.1.2: signatureAlgorithm "MUST contain the same algorithm
        // identifier as the signature field in the sequence tbsCertificate".
        if cert.signature_algorithm != cert.tbs_certificate.signature {
            return Err(CertificateError::Malformed {
                detail: "signatureAlgorithm differs from the TBSCertificate signature field".into(),
            });
        }
        let validity = cert.tbs_certificate.validity;
        let mut parsed = Self {
            not_before: unix(validity.not_before)?,
            not_after: unix(validity.not_after)?,
            cert,
            der: der.to_vec(),
            raw,
            basic_constraints: None,
            key_usage: None,
            ext_key_usage: None,
        };
        parsed.decode_extensions()?;
        Ok(parsed)
    }

    fn decode_extensions(&mut self) -> Result<(), CertificateError> {
        let subject = self.subject_string();
        let exts = self
            .cert
            .tbs_certificate
            .extensions
            .as_deref()
            .unwrap_or_default();
        // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a
        // particular extension." The list is bounded by MAX_CERT_BYTES.
        for (i, e) in exts.iter().enumerate() {
            if exts.iter().skip(i + 1).any(|o| o.extn_id == e.extn_id) {
                return Err(CertificateError::DuplicateExtension {
                    subject,
                    oid: e.extn_id.to_string(),
                });
            }
        }
        let bad = |name: &str, oid: ObjectIdentifier, e: der::Error| {
            CertificateError::MalformedExtension {
                subject: subject.clone(),
                name: name.into(),
                oid: oid.to_string(),
                detail: e.to_string(),
            }
        };
        for e in exts {
            let value = e.extn_value.as_bytes();
            match e.extn_id {
                OID_BASIC_CONSTRAINTS => {
                    let v = BasicConstraints::from_der(value)
                        .map_err(|x| bad("basicConstraints", e.extn_id, x))?;
                    self.basic_constraints = Some((e.critical, v));
                }
                OID_KEY_USAGE => {
                    let v = KeyUsage::from_der(value).map_err(|x| bad("keyUsage", e.extn_id, x))?;
                    self.key_usage = Some((e.critical, v));
                }
                OID_EXT_KEY_USAGE => {
                    let v = ExtendedKeyUsage::from_der(value)
                        .map_err(|x| bad("extendedKeyUsage", e.extn_id, x))?;
                    // RFC 5280 §4.2.1.12: KeyPurposeId SEQUENCE SIZE (1..MAX).
                    if v.0.is_empty() {
                        return Err(CertificateError::MalformedExtension {
                            subject,
                            name: "extendedKeyUsage".into(),
                            oid: e.extn_id.to_string(),
                            detail: "empty list of key purposes".into(),
                        });
                    }
                    self.ext_key_usage = Some((e.critical, v.0));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The DER the certificate was parsed from.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// `validity.notBefore`, Unix seconds.
    pub fn not_before(&self) -> UnixTime {
        self.not_before
    }

    /// `validity.notAfter`, Unix seconds.
    pub fn not_after(&self) -> UnixTime {
        self.not_after
    }

    /// RFC 5280 §4.1.2.5: "The validity period for a certificate is the period of time
    /// from notBefore through notAfter, inclusive."
    #[cfg(any(test, feature = "unstable-internals"))]
    pub fn is_valid_at(&self, t: UnixTime) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    /// The subject public key (ECDSA P-256/P-384, Ed25519, or RSA of 2048 to 4096 bits),
    /// usable for verification: an RSA key in a build without the `rsa` cargo feature is
    /// an unsupported key that names the feature.
    pub fn public_key(&self) -> Result<PublicKey, CertificateError> {
        let key = PublicKey::from_spki_der(&self.raw.spki).and_then(|k| {
            k.check_usable()?;
            Ok(k)
        });
        key.map_err(|e| match e {
            CryptoError::UnsupportedKey { algorithm } => CertificateError::UnsupportedKey {
                subject: self.subject_string(),
                algorithm,
            },
            CryptoError::UnsupportedRsaKey { bits, detail } => CertificateError::UnsupportedKey {
                subject: self.subject_string(),
                algorithm: format!("RSA-{bits}, {detail}"),
            },
            e @ CryptoError::RsaNotEnabled { .. } => CertificateError::UnsupportedKey {
                subject: self.subject_string(),
                algorithm: e.to_string(),
            },
            other => CertificateError::MalformedKey {
                subject: self.subject_string(),
                detail: other.to_string(),
            },
        })
    }

    /// The SubjectPublicKeyInfo DER, exactly as in the certificate.
    pub fn spki_der(&self) -> Vec<u8> {
        self.raw.spki.clone()
    }

    /// The subject Name DER, exactly as in the certificate.
    pub fn subject_der(&self) -> Vec<u8> {
        self.raw.subject.clone()
    }

    /// The issuer Name DER, exactly as in the certificate.
    pub fn issuer_der(&self) -> Vec<u8> {
        self.raw.issuer.clone()
    }

    /// The serial number's content octets (two's complement, as encoded).
    pub fn serial(&self) -> &[u8] {
        self.cert.tbs_certificate.serial_number.as_bytes()
    }

    /// The subject DN in RFC 4514 form, for messages; an empty subject (every Fulcio
    /// leaf) is shown as `serial <hex>`.
    pub fn subject_string(&self) -> String {
        let subject = &self.cert.tbs_certificate.subject;
        if subject.is_empty() {
            format!("serial {}", hex_encode(self.serial()))
        } else {
            subject.to_string()
        }
    }

    /// The issuer DN in RFC 4514 form, for messages.
    pub(crate) fn issuer_string(&self) -> String {
        self.cert.tbs_certificate.issuer.to_string()
    }

    /// The decoded certificate.
    pub fn inner(&self) -> &x509_cert::Certificate {
        &self.cert
    }

    /// The TBSCertificate DER, exactly as signed.
    pub(crate) fn tbs_der(&self) -> &[u8] {
        &self.raw.tbs
    }

    /// basicConstraints `(critical, value)` when present.
    pub(crate) fn basic_constraints(&self) -> Option<&(bool, BasicConstraints)> {
        self.basic_constraints.as_ref()
    }

    /// keyUsage `(critical, value)` when present.
    pub(crate) fn key_usage(&self) -> Option<&(bool, KeyUsage)> {
        self.key_usage.as_ref()
    }

    /// extendedKeyUsage purposes when present.
    pub(crate) fn ext_key_usage(&self) -> Option<&[ObjectIdentifier]> {
        self.ext_key_usage.as_ref().map(|(_, v)| v.as_slice())
    }

    /// All extensions (empty when the certificate has none).
    pub(crate) fn extensions(&self) -> &[x509_cert::ext::Extension] {
        self.cert
            .tbs_certificate
            .extensions
            .as_deref()
            .unwrap_or_default()
    }

    /// The value of the extension `oid`, with its criticality.
    pub(crate) fn extension(&self, oid: &ObjectIdentifier) -> Option<(bool, &[u8])> {
        self.extensions()
            .iter()
            .find(|e| e.extn_id == *oid)
            .map(|e| (e.critical, e.extn_value.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{corpus_extra, mutate_all};
    use crate::time::parse_rfc3339;
    use crate::x509::test_support::{
        authorities, bundle_certs, conformance_case, ext, happy_path_v01, key, mint,
    };
    use der::Encode;
    use serde_json::Value;

    /// The vendored `happy-path-v0.1` leaf, then the corpus's `happy-path-v0.3`, with
    /// `notBefore`, `notAfter` and serial read with `openssl x509 -text`.
    #[test]
    fn parses_real_leaf_and_ca_certificates() {
        let (bundle, root) = happy_path_v01();
        // Jul 12 15:56:35 2023 GMT to 16:06:35.
        parses_real_leaf_and_ca_certificates_on(
            &bundle,
            &root,
            ("2023-07-12T15:56:35Z", "2023-07-12T16:06:35Z"),
            "04f5ace0e3cdd64b5ed2650c199ad9ea8ccc5519",
        );
        if let Some(corpus) = corpus_extra("x509::cert::parses_real_leaf_and_ca_certificates") {
            let (bundle, root) = conformance_case(&corpus, "happy-path-v0.3");
            // Mar 19 17:26:26 2024 GMT to 17:36:26.
            parses_real_leaf_and_ca_certificates_on(
                &bundle,
                &root,
                ("2024-03-19T17:26:26Z", "2024-03-19T17:36:26Z"),
                "68bfedb264131e4db59add54ba4fb0edabc3073e",
            );
        }
    }

    fn parses_real_leaf_and_ca_certificates_on(
        bundle: &Value,
        root: &Value,
        (not_before, not_after): (&str, &str),
        serial: &str,
    ) {
        let der = bundle_certs(bundle).remove(0);
        let leaf = ParsedCertificate::from_der(&der).unwrap();
        assert_eq!(leaf.der(), der.as_slice());
        assert_eq!(Some(leaf.not_before()), parse_rfc3339(not_before));
        assert_eq!(Some(leaf.not_after()), parse_rfc3339(not_after));
        assert_eq!(
            leaf.serial(),
            crate::encoding::hex_decode(serial).unwrap().as_slice()
        );
        assert!(leaf
            .subject_string()
            .starts_with(&format!("serial {}", &serial[..8])));
        let key = leaf.public_key().unwrap();
        assert_eq!(key.algorithm(), crate::crypto::KeyAlgorithm::EcdsaP256);
        assert_eq!(key.spki_der(), leaf.spki_der().as_slice());
        assert!(leaf.issuer_string().contains("sigstore-intermediate"));
        // Fulcio profile: KU critical digitalSignature, EKU codeSigning, no BC.
        let (ku_critical, ku) = leaf.key_usage().unwrap();
        assert!(*ku_critical && ku.digital_signature() && !ku.key_cert_sign());
        assert_eq!(
            leaf.ext_key_usage(),
            Some([crate::x509::EKU_CODE_SIGNING].as_slice())
        );
        assert!(leaf.basic_constraints().is_none());

        let cas = authorities(root, "certificateAuthorities");
        let intermediate = ParsedCertificate::from_der(&cas[1].cert_chain[0]).unwrap();
        assert_eq!(intermediate.subject_der(), leaf.issuer_der());
        assert!(intermediate
            .subject_string()
            .contains("CN=sigstore-intermediate"));
        let (bc_critical, bc) = intermediate.basic_constraints().unwrap();
        assert!(*bc_critical && bc.ca && bc.path_len_constraint == Some(0));
        assert_eq!(
            intermediate.public_key().unwrap().algorithm(),
            crate::crypto::KeyAlgorithm::EcdsaP384
        );
        // The TBS slice is the start of the DER after the outer header.
        assert!(der
            .windows(leaf.tbs_der().len())
            .any(|w| w == leaf.tbs_der()));
        assert_eq!(
            leaf.tbs_der(),
            leaf.inner().tbs_certificate.to_der().unwrap().as_slice()
        );
    }

    #[test]
    fn validity_is_inclusive_at_both_ends() {
        let k = key(1);
        let der = mint("CN=a", &k, "CN=a", &k, (1000, 2000), vec![]);
        let c = ParsedCertificate::from_der(&der).unwrap();
        assert!(!c.is_valid_at(999));
        assert!(c.is_valid_at(1000));
        assert!(c.is_valid_at(2000));
        assert!(!c.is_valid_at(2001));
    }

    #[test]
    fn rejects_trailing_bytes_oversize_and_duplicates() {
        let k = key(2);
        let der = mint("CN=a", &k, "CN=a", &k, (0, 10), vec![]);
        let mut long = der.clone();
        long.push(0);
        assert_eq!(
            ParsedCertificate::from_der(&long).unwrap_err().code(),
            "certificate.malformed"
        );
        let huge = vec![0u8; MAX_CERT_BYTES + 1];
        assert_eq!(
            ParsedCertificate::from_der(&huge).unwrap_err().code(),
            "certificate.too-large"
        );
        let eku = x509_cert::ext::pkix::ExtendedKeyUsage(vec![crate::x509::EKU_CODE_SIGNING]);
        let dup = mint(
            "CN=a",
            &k,
            "CN=a",
            &k,
            (0, 10),
            vec![ext("2.5.29.37", false, &eku), ext("2.5.29.37", false, &eku)],
        );
        assert_eq!(
            ParsedCertificate::from_der(&dup).unwrap_err().code(),
            "certificate.duplicate-extension"
        );
        // A keyUsage whose value is not a BIT STRING.
        let bad_ku = mint(
            "CN=a",
            &k,
            "CN=a",
            &k,
            (0, 10),
            vec![ext("2.5.29.15", true, &der::asn1::Null)],
        );
        let e = ParsedCertificate::from_der(&bad_ku).unwrap_err();
        assert_eq!(e.code(), "certificate.malformed-extension");
        assert!(e.to_string().contains("keyUsage"), "{e}");
    }

    #[test]
    fn mismatched_signature_algorithm_fields_are_rejected() {
        let k = key(3);
        let der = mint("CN=a", &k, "CN=a", &k, (0, 10), vec![]);
        let mut cert = Certificate::from_der(&der).unwrap();
        cert.signature_algorithm.oid = crate::crypto::OID_ECDSA_SHA384;
        let e = ParsedCertificate::from_der(&cert.to_der().unwrap()).unwrap_err();
        assert_eq!(e.code(), "certificate.malformed");
        assert!(e.to_string().contains("signatureAlgorithm"), "{e}");
    }

    #[test]
    fn mutated_real_certificates_never_panic() {
        // The vendored happy-path-v0.1 leaf and the production Fulcio chain.
        let (bundle, root) = happy_path_v01();
        let mut inputs = bundle_certs(&bundle);
        inputs.extend(
            authorities(&root, "certificateAuthorities")
                .remove(1)
                .cert_chain,
        );
        let mut tried = 0;
        for der in &inputs {
            tried += mutate_all(der, |d| {
                let c = ParsedCertificate::from_der(d)?;
                let _ = c.public_key();
                let _ = c.subject_string();
                Ok::<_, CertificateError>(())
            });
        }
        assert!(tried > 1000, "{tried}");
    }
}
