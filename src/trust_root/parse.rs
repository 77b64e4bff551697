//! `TrustedRoot::from_json`: `trusted_root.json` → [`TrustedRoot`] (protobuf-specs
//! `sigstore_trustroot.proto` `TrustedRoot`).

use der::Decode;

use super::{CertificateAuthority, TransparencyLog, TrustRootError, TrustedRoot, ValidityWindow};
use crate::bundle::json::{self, Field, Obj, HASH_ALGORITHMS};
use crate::crypto::{CryptoError, KeyAlgorithm, PublicKey};
use crate::limits::{
    MAX_CERT_BYTES, MAX_CERT_CHAIN_LEN, MAX_KEY_ID_BYTES, MAX_PUBLIC_KEY_BYTES,
    MAX_TRUSTED_ROOT_BYTES, MAX_TRUST_ROOT_ENTRIES,
};

/// `PublicKeyDetails` (`protobuf-specs` `sigstore_common.proto`), name and number.
const PUBLIC_KEY_DETAILS: &[(i64, &str)] = &[
    (0, "PUBLIC_KEY_DETAILS_UNSPECIFIED"),
    (1, "PKCS1_RSA_PKCS1V5"),
    (2, "PKCS1_RSA_PSS"),
    (3, "PKIX_RSA_PKCS1V5"),
    (4, "PKIX_RSA_PSS"),
    (5, "PKIX_ECDSA_P256_SHA_256"),
    (6, "PKIX_ECDSA_P256_HMAC_SHA_256"),
    (7, "PKIX_ED25519"),
    (8, "PKIX_ED25519_PH"),
    (9, "PKIX_RSA_PKCS1V15_2048_SHA256"),
    (10, "PKIX_RSA_PKCS1V15_3072_SHA256"),
    (11, "PKIX_RSA_PKCS1V15_4096_SHA256"),
    (12, "PKIX_ECDSA_P384_SHA_384"),
    (13, "PKIX_ECDSA_P521_SHA_512"),
    (14, "LMS_SHA256"),
    (15, "LMOTS_SHA256"),
    (16, "PKIX_RSA_PSS_2048_SHA256"),
    (17, "PKIX_RSA_PSS_3072_SHA256"),
    (18, "PKIX_RSA_PSS_4096_SHA256"),
    (19, "PKIX_ECDSA_P384_SHA_256"),
    (20, "PKIX_ECDSA_P521_SHA_256"),
    (21, "ML_DSA_65"),
    (22, "ML_DSA_87"),
];

/// What a `keyDetails` value says about the key in `rawBytes`.
enum Expected {
    /// `PUBLIC_KEY_DETAILS_UNSPECIFIED` or absent: the SPKI alone decides.
    Unspecified,
    /// A scheme this verifier implements, for exactly this key type (and RSA size).
    Supported(KeyAlgorithm),
    /// RSASSA-PKCS1-v1_5 of any accepted size, from the deprecated size-less names:
    /// `PKIX_RSA_PKCS1V5` (rawBytes SPKI) or `PKCS1_RSA_PKCS1V5` (rawBytes a PKCS#1
    /// `RSAPublicKey`, RFC 8017 Appendix A.1.1, as the staging CT log ships it).
    AnyRsa {
        /// The bytes are PKCS#1, not SPKI.
        pkcs1: bool,
    },
    /// A scheme it does not implement, whose keys look like those `family` accepts (if
    /// one of ours).
    Unsupported(Option<fn(KeyAlgorithm) -> bool>),
}

fn is_rsa(k: KeyAlgorithm) -> bool {
    matches!(k, KeyAlgorithm::RsaPkcs1v15 { .. })
}

fn expected_key(details: &str) -> Expected {
    let rsa = |bits| Expected::Supported(KeyAlgorithm::RsaPkcs1v15 { bits });
    match details {
        "PUBLIC_KEY_DETAILS_UNSPECIFIED" => Expected::Unspecified,
        "PKIX_ECDSA_P256_SHA_256" => Expected::Supported(KeyAlgorithm::EcdsaP256),
        "PKIX_ECDSA_P384_SHA_384" => Expected::Supported(KeyAlgorithm::EcdsaP384),
        "PKIX_ED25519" => Expected::Supported(KeyAlgorithm::Ed25519),
        // sigstore_common.proto: "RSASSA-PKCS1-v1_5 with SHA-256" and a key of the
        // named size, rawBytes being SPKI (PKIX).
        "PKIX_RSA_PKCS1V15_2048_SHA256" => rsa(2048),
        "PKIX_RSA_PKCS1V15_3072_SHA256" => rsa(3072),
        "PKIX_RSA_PKCS1V15_4096_SHA256" => rsa(4096),
        // Deprecated in sigstore_common.proto, still in real roots (staging CT log);
        // sigstore-go reads PKCS1_ keys with ParsePKCS1PublicKey.
        "PKIX_RSA_PKCS1V5" => Expected::AnyRsa { pkcs1: false },
        "PKCS1_RSA_PKCS1V5" => Expected::AnyRsa { pkcs1: true },
        // Same key types, other signing schemes (HMAC, pre-hashed, other digests, PSS).
        "PKIX_ECDSA_P256_HMAC_SHA_256" => {
            Expected::Unsupported(Some(|k| k == KeyAlgorithm::EcdsaP256))
        }
        "PKIX_ECDSA_P384_SHA_256" => Expected::Unsupported(Some(|k| k == KeyAlgorithm::EcdsaP384)),
        "PKIX_ED25519_PH" => Expected::Unsupported(Some(|k| k == KeyAlgorithm::Ed25519)),
        "PKIX_RSA_PSS"
        | "PKIX_RSA_PSS_2048_SHA256"
        | "PKIX_RSA_PSS_3072_SHA256"
        | "PKIX_RSA_PSS_4096_SHA256" => Expected::Unsupported(Some(is_rsa)),
        _ => Expected::Unsupported(None),
    }
}

/// The media types of `sigstore_trustroot.proto` `TrustedRoot.media_type`: new roots use
/// `...trustedroot.v0.2+json`; clients MAY accept `...v0.1+json` and the legacy
/// `...trustedroot+json;version=0.1` (which the production root still uses).
fn supported_media_type(mt: &str) -> bool {
    matches!(
        mt,
        "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
            | "application/vnd.dev.sigstore.trustedroot.v0.1+json"
            | "application/vnd.dev.sigstore.trustedroot.v0.2+json"
    )
}

impl TrustedRoot {
    /// Parses and validates a `trusted_root.json` (`sigstore_trustroot.proto`): the media type, every
    /// `validFor` window (start required, end optional and not before start), log keys
    /// (P-256, P-384, Ed25519, RSA PKCS#1 v1.5 of 2048 to 4096 bits; other types are kept
    /// with `public_key: None`), log IDs and
    /// CA certificate chains (non-empty, each a DER certificate). Lists may be absent.
    pub fn from_json(bytes: &[u8]) -> Result<TrustedRoot, TrustRootError> {
        if bytes.len() > MAX_TRUSTED_ROOT_BYTES {
            return Err(TrustRootError::TooLarge {
                size: bytes.len(),
                max: MAX_TRUSTED_ROOT_BYTES,
            });
        }
        let doc = json::parse(bytes)?;
        let top = Obj::new(&doc, "")?;
        let media_type = top.req_str("mediaType")?;
        if !supported_media_type(media_type) {
            return Err(TrustRootError::UnsupportedMediaType {
                found: media_type.to_owned(),
            });
        }
        Ok(TrustedRoot {
            media_type: media_type.to_owned(),
            tlogs: list(&top, "tlogs", parse_log)?,
            ctlogs: list(&top, "ctlogs", parse_log)?,
            certificate_authorities: list(&top, "certificateAuthorities", parse_ca)?,
            timestamp_authorities: list(&top, "timestampAuthorities", parse_ca)?,
        })
    }
}

fn list<T>(
    top: &Obj<'_>,
    name: &str,
    parse: impl Fn(&Field<'_>) -> Result<T, TrustRootError>,
) -> Result<Vec<T>, TrustRootError> {
    let (items, _) = top.opt_arr(name, MAX_TRUST_ROOT_ENTRIES)?;
    items.iter().map(parse).collect()
}

/// `TimeRange` (`sigstore_common.proto`): `start` REQUIRED, `end` optional, both
/// inclusive. A missing start is rejected (conformance
/// `trust-root-tlog-missing-validity-start_fail`; sigstore-go `pkg/root/trusted_root.go`).
fn parse_validity(parent: &Obj<'_>) -> Result<ValidityWindow, TrustRootError> {
    let vf = parent.req_obj("validFor")?;
    let time = |name: &str| -> Result<Option<i64>, TrustRootError> {
        match vf.get(name)? {
            None => Ok(None),
            Some(f) => {
                let s = f.as_str()?;
                crate::time::parse_rfc3339(s).map(Some).ok_or_else(|| {
                    TrustRootError::InvalidTimestamp {
                        path: f.path.clone(),
                        value: s.to_owned(),
                    }
                })
            }
        }
    };
    let start = time("start")?.ok_or_else(|| TrustRootError::MissingValidityStart {
        path: format!("{}.start", vf.path()),
    })?;
    let end = time("end")?;
    if let Some(end) = end {
        if end < start {
            return Err(TrustRootError::InvalidValidity {
                path: vf.path().to_owned(),
                start,
                end,
            });
        }
    }
    Ok(ValidityWindow { start, end })
}

fn key_id(parent: &Obj<'_>, name: &str) -> Result<Vec<u8>, TrustRootError> {
    Ok(parent.req_obj(name)?.req_bytes("keyId", MAX_KEY_ID_BYTES)?)
}

/// `TransparencyLogInstance` (`sigstore_trustroot.proto`), used for Rekor and CT logs.
fn parse_log(f: &Field<'_>) -> Result<TransparencyLog, TrustRootError> {
    let o = f.as_obj()?;
    let base_url = o.req_str("baseUrl")?.to_owned();

    let alg_field = o.req("hashAlgorithm")?;
    let alg_name = alg_field.as_enum(HASH_ALGORITHMS)?;
    let hash_algorithm =
        json::hash_algorithm(alg_name).ok_or_else(|| TrustRootError::UnsupportedHashAlgorithm {
            path: alg_field.path.clone(),
            found: alg_name.to_owned(),
        })?;

    let pk = o.req_obj("publicKey")?;
    let key_details = match pk.get("keyDetails")? {
        None => "PUBLIC_KEY_DETAILS_UNSPECIFIED",
        Some(kd) => kd.as_enum(PUBLIC_KEY_DETAILS)?,
    };
    let raw_field = pk.req("rawBytes")?;
    let raw = raw_field.as_bytes(MAX_PUBLIC_KEY_BYTES)?;
    let public_key = resolve_key(&raw, key_details, pk.path(), &raw_field.path)?;
    let valid_for = parse_validity(&pk)?;

    let log_id = key_id(&o, "logId")?;
    let checkpoint_key_id = match o.get("checkpointKeyId")? {
        None => None,
        Some(_) => Some(key_id(&o, "checkpointKeyId")?),
    };
    let operator = o.opt_str("operator")?.map(str::to_owned);
    Ok(TransparencyLog {
        base_url,
        hash_algorithm,
        public_key,
        key_details: key_details.to_owned(),
        valid_for,
        log_id,
        checkpoint_key_id,
        operator,
    })
}

/// Parses `rawBytes` and reconciles it with `keyDetails`:
/// - a supported scheme must match the parsed key exactly (RSA: also its size);
/// - the size-less RSA names take any accepted RSA key, SPKI for `PKIX_RSA_PKCS1V5` and
///   a PKCS#1 RSAPublicKey for `PKCS1_RSA_PKCS1V5`;
/// - an RSA key outside this verifier's bounds (a 1024- or 8192-bit modulus, a huge
///   exponent) under an RSA name keeps the log with no usable key, unless its size
///   contradicts the name;
/// - an unsupported scheme (e.g. `PKCS1_RSA_PSS`) keeps the log with no usable key,
///   unless the bytes parse as a key of a different kind, which is a contradiction;
/// - no `keyDetails`: the SPKI decides; an unsupported algorithm leaves no usable key.
fn resolve_key(
    raw: &[u8],
    key_details: &str,
    pk_path: &str,
    raw_path: &str,
) -> Result<Option<PublicKey>, TrustRootError> {
    let mismatch = |actual: String| TrustRootError::KeyDetailsMismatch {
        path: pk_path.to_owned(),
        key_details: key_details.to_owned(),
        actual,
    };
    let invalid = |e: CryptoError| TrustRootError::InvalidPublicKey {
        path: raw_path.to_owned(),
        detail: e.to_string(),
    };
    let expected = expected_key(key_details);
    let parsed = match expected {
        Expected::AnyRsa { pkcs1: true } => PublicKey::from_pkcs1_der(raw),
        _ => PublicKey::from_spki_der(raw),
    };
    match (expected, parsed) {
        (Expected::Supported(want), Ok(key)) if key.algorithm() == want => Ok(Some(key)),
        (Expected::Supported(_), Ok(key)) => Err(mismatch(key.algorithm().to_string())),
        (Expected::Supported(_), Err(CryptoError::UnsupportedKey { algorithm })) => {
            Err(mismatch(algorithm))
        }
        (
            Expected::Supported(KeyAlgorithm::RsaPkcs1v15 { bits: want }),
            Err(CryptoError::UnsupportedRsaKey { bits, .. }),
        ) => {
            if bits == want {
                Ok(None)
            } else {
                Err(mismatch(format!("RSA-{bits}")))
            }
        }
        (Expected::Supported(_), Err(e)) => Err(invalid(e)),
        (Expected::AnyRsa { .. }, Ok(key)) if is_rsa(key.algorithm()) => Ok(Some(key)),
        (Expected::AnyRsa { .. }, Ok(key)) => Err(mismatch(key.algorithm().to_string())),
        (Expected::AnyRsa { .. }, Err(CryptoError::UnsupportedKey { algorithm })) => {
            Err(mismatch(algorithm))
        }
        (Expected::AnyRsa { .. }, Err(CryptoError::UnsupportedRsaKey { .. })) => Ok(None),
        (Expected::AnyRsa { .. }, Err(e)) => Err(invalid(e)),
        (Expected::Unsupported(family), Ok(key)) => {
            if family.is_some_and(|f| f(key.algorithm())) {
                Ok(None)
            } else {
                Err(mismatch(key.algorithm().to_string()))
            }
        }
        (Expected::Unsupported(_), Err(_)) => Ok(None),
        (Expected::Unspecified, Ok(key)) => Ok(Some(key)),
        (
            Expected::Unspecified,
            Err(CryptoError::UnsupportedKey { .. } | CryptoError::UnsupportedRsaKey { .. }),
        ) => Ok(None),
        (Expected::Unspecified, Err(e)) => Err(invalid(e)),
    }
}

/// `CertificateAuthority` (`sigstore_trustroot.proto`): Fulcio instances and TSAs.
fn parse_ca(f: &Field<'_>) -> Result<CertificateAuthority, TrustRootError> {
    let o = f.as_obj()?;
    let (organization, common_name) = match o.opt_obj("subject")? {
        None => (None, None),
        Some(s) => (
            s.opt_str("organization")?.map(str::to_owned),
            s.opt_str("commonName")?.map(str::to_owned),
        ),
    };
    let uri = o.opt_str("uri")?.unwrap_or_default().to_owned();
    let chain = o.req_obj("certChain")?;
    let (certs, certs_path) = chain.opt_arr("certificates", MAX_CERT_CHAIN_LEN)?;
    if certs.is_empty() {
        return Err(TrustRootError::EmptyCertificateChain { path: certs_path });
    }
    let mut cert_chain = Vec::with_capacity(certs.len());
    for c in &certs {
        let co = c.as_obj()?;
        let der = co.req_bytes("rawBytes", MAX_CERT_BYTES)?;
        // RFC 5280 §4.1 DER; `Decode::from_der` rejects trailing bytes.
        x509_cert::Certificate::from_der(&der).map_err(|e| TrustRootError::InvalidCertificate {
            path: format!("{}.rawBytes", co.path()),
            detail: e.to_string(),
        })?;
        cert_chain.push(der);
    }
    let valid_for = parse_validity(&o)?;
    let operator = o.opt_str("operator")?.map(str::to_owned);
    Ok(CertificateAuthority {
        organization,
        common_name,
        uri,
        cert_chain,
        valid_for,
        operator,
    })
}

#[cfg(test)]
pub(super) fn parse_ca_fragment(bytes: &[u8]) -> Result<CertificateAuthority, TrustRootError> {
    let doc = json::parse(bytes)?;
    let f = Field {
        value: &doc,
        path: "certificateAuthority".to_owned(),
    };
    parse_ca(&f)
}

#[cfg(test)]
mod rsa_tests {
    //! `keyDetails` for RSA log keys, with the OpenSSL vectors of `testdata/rsa/`.

    use serde_json::{json, Value};

    use super::super::{TrustRootError, TrustedRoot, EMBEDDED_PUBLIC_GOOD};
    use crate::crypto::KeyAlgorithm;
    use crate::encoding::base64_encode;

    fn vector(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/rsa")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
    }

    /// The production root with its first CT log's key replaced.
    fn with_ctlog_key(details: &str, raw: &[u8]) -> Result<TrustedRoot, TrustRootError> {
        let mut v: Value = serde_json::from_slice(EMBEDDED_PUBLIC_GOOD).unwrap();
        v["ctlogs"][0]["publicKey"]["keyDetails"] = json!(details);
        v["ctlogs"][0]["publicKey"]["rawBytes"] = json!(base64_encode(raw));
        TrustedRoot::from_json(&serde_json::to_vec(&v).unwrap())
    }

    fn usable(details: &str, raw: &[u8]) -> Option<KeyAlgorithm> {
        let r = with_ctlog_key(details, raw).unwrap_or_else(|e| panic!("{details}: {e}"));
        assert_eq!(r.ctlogs[0].key_details, details);
        r.ctlogs[0].public_key.as_ref().map(|k| k.algorithm())
    }

    fn code(details: &str, raw: &[u8]) -> &'static str {
        with_ctlog_key(details, raw).map_or_else(|e| e.code(), |_| "ok")
    }

    #[test]
    fn rsa_key_details() {
        let (k2048, k3072, k4096) = (
            vector("rsa2048.spki.der"),
            vector("rsa3072.spki.der"),
            vector("rsa4096.spki.der"),
        );
        let rsa = |bits| Some(KeyAlgorithm::RsaPkcs1v15 { bits });
        // Sized names: exactly that size, SPKI.
        assert_eq!(usable("PKIX_RSA_PKCS1V15_2048_SHA256", &k2048), rsa(2048));
        assert_eq!(usable("PKIX_RSA_PKCS1V15_3072_SHA256", &k3072), rsa(3072));
        assert_eq!(usable("PKIX_RSA_PKCS1V15_4096_SHA256", &k4096), rsa(4096));
        // ... by number too (sigstore_common.proto: 9, 10, 11).
        let mut v: Value = serde_json::from_slice(EMBEDDED_PUBLIC_GOOD).unwrap();
        v["ctlogs"][0]["publicKey"]["keyDetails"] = json!(10);
        v["ctlogs"][0]["publicKey"]["rawBytes"] = json!(base64_encode(&k3072));
        let r = TrustedRoot::from_json(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(r.ctlogs[0].key_details, "PKIX_RSA_PKCS1V15_3072_SHA256");
        // A size other than the name's, or another key type: contradictions.
        let e = with_ctlog_key("PKIX_RSA_PKCS1V15_2048_SHA256", &k4096).unwrap_err();
        assert_eq!(
            e,
            TrustRootError::KeyDetailsMismatch {
                path: "ctlogs[0].publicKey".into(),
                key_details: "PKIX_RSA_PKCS1V15_2048_SHA256".into(),
                actual: "RSA-4096".into(),
            }
        );
        let p256 = TrustedRoot::embedded_public_good().unwrap().ctlogs[0]
            .public_key
            .as_ref()
            .unwrap()
            .spki_der()
            .to_vec();
        for details in [
            "PKIX_RSA_PKCS1V15_4096_SHA256",
            "PKIX_RSA_PKCS1V5",
            "PKIX_RSA_PSS_2048_SHA256",
        ] {
            assert_eq!(
                code(details, &p256),
                "trust-root.key-details-mismatch",
                "{details}"
            );
        }
        assert_eq!(
            code("PKIX_ECDSA_P256_SHA_256", &k2048),
            "trust-root.key-details-mismatch"
        );
        // The size-less legacy names: any accepted size; PKIX = SPKI, PKCS1 = PKCS#1.
        assert_eq!(usable("PKIX_RSA_PKCS1V5", &k3072), rsa(3072));
        assert_eq!(
            usable("PKCS1_RSA_PKCS1V5", &vector("rsa2048.pkcs1.der")),
            rsa(2048)
        );
        assert_eq!(
            code("PKCS1_RSA_PKCS1V5", &k2048),
            "trust-root.invalid-public-key"
        );
        assert_eq!(
            code("PKIX_RSA_PKCS1V5", &vector("rsa2048.pkcs1.der")),
            "trust-root.invalid-public-key"
        );
        // No keyDetails: the SPKI decides, RSA included.
        assert_eq!(usable("PUBLIC_KEY_DETAILS_UNSPECIFIED", &k4096), rsa(4096));
        // RSA keys outside the bounds are kept, unusable (unless the size contradicts
        // a sized name); so are RSA-PSS keys.
        let (k1024, k8192) = (vector("rsa1024.spki.der"), vector("rsa8192.spki.der"));
        assert_eq!(usable("PKIX_RSA_PKCS1V5", &k1024), None);
        assert_eq!(usable("PKIX_RSA_PKCS1V5", &k8192), None);
        assert_eq!(usable("PUBLIC_KEY_DETAILS_UNSPECIFIED", &k8192), None);
        assert_eq!(
            code("PKIX_RSA_PKCS1V15_4096_SHA256", &k8192),
            "trust-root.key-details-mismatch"
        );
        assert_eq!(usable("PKIX_RSA_PSS_2048_SHA256", &k2048), None);
        assert_eq!(usable("PKIX_RSA_PSS", &k4096), None);
    }
}
