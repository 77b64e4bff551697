//! The signature primitives the verifier uses, behind one small API.
//!
//! Keys are parsed from SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7) and only four
//! algorithms are accepted: ECDSA P-256, ECDSA P-384 (RFC 5480), Ed25519 (RFC 8410) and
//! RSA (RFC 3279 §2.3.1) with a 2048- to 4096-bit modulus, for RSASSA-PKCS1-v1_5
//! verification only (RFC 8017 §8.2.2). ECDSA signatures are ASN.1 DER `Ecdsa-Sig-Value`
//! (RFC 3279 §2.2.3); high-S values are accepted, as every Sigstore client does. Ed25519
//! signatures are the raw 64 bytes; RSA signatures are exactly as long as the modulus.
//! TUF metadata may also use RSASSA-PSS (RFC 8017 §8.1.2), see
//! [`PublicKey::verify_rsa_pss`].
//!
//! RSA verification needs the `rsa` cargo feature (off by default; Sigstore's public-good
//! instance uses no RSA key). Without it, RSA keys are still parsed and checked against
//! the same bounds, so a trusted root that lists one loads as before, but every
//! signature check with such a key fails with [`CryptoError::RsaNotEnabled`].

mod ecdsa_vartime;
#[cfg(all(test, feature = "rsa"))]
mod rsa_pss_tests;
#[cfg(all(test, feature = "rsa"))]
mod without_rsa_tests;

use core::fmt;

use der::asn1::{BitString, UintRef};
use der::{Decode, DecodeValue, Encode, FixedTag, Header, Reader, Tag};
#[cfg(feature = "rsa")]
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::{AlgorithmIdentifier, ObjectIdentifier, SubjectPublicKeyInfo, SubjectPublicKeyInfoRef};

use crate::limits::{
    MAX_RSA_MODULUS_BITS, MAX_RSA_PUBLIC_EXPONENT, MIN_RSA_MODULUS_BITS, MIN_RSA_PUBLIC_EXPONENT,
};

/// `id-ecPublicKey` (RFC 5480 §2.1.1).
pub const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` (RFC 5480 §2.1.1.1).
pub const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (RFC 5480 §2.1.1.1).
pub const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `id-Ed25519` (RFC 8410 §3).
pub const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// `rsaEncryption` (RFC 8017 Appendix C, RFC 3279 §2.3.1).
pub const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `sha256WithRSAEncryption` (RFC 8017 Appendix C, RFC 4055 §5).
pub const OID_RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
/// `sha384WithRSAEncryption` (RFC 8017 Appendix C, RFC 4055 §5).
pub const OID_RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
/// `sha512WithRSAEncryption` (RFC 8017 Appendix C, RFC 4055 §5).
pub const OID_RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
/// `ecdsa-with-SHA256` (RFC 5758 §3.2).
pub const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// `ecdsa-with-SHA384` (RFC 5758 §3.2).
pub const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
/// `ecdsa-with-SHA512` (RFC 5758 §3.2).
pub const OID_ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
/// `id-sha256` (RFC 5754 §2).
pub const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// `id-sha384` (RFC 5754 §2).
pub const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
/// `id-sha512` (RFC 5754 §2).
pub const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// A hash function of the SHA-2 family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The lowercase name used in digests (`sha256`, as in `sha256:<hex>`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// Parses a digest algorithm prefix (`sha256`, `sha384`, `sha512`).
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The hash of an X.509 / CMS `ecdsa-with-SHAxxx` signature algorithm OID.
    pub fn from_ecdsa_sig_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            OID_ECDSA_SHA256 => Some(Self::Sha256),
            OID_ECDSA_SHA384 => Some(Self::Sha384),
            OID_ECDSA_SHA512 => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The hash of an X.509 / CMS `shaXXXWithRSAEncryption` signature algorithm OID
    /// (RSASSA-PKCS1-v1_5, RFC 8017 Appendix C).
    pub fn from_rsa_sig_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            OID_RSA_SHA256 => Some(Self::Sha256),
            OID_RSA_SHA384 => Some(Self::Sha384),
            OID_RSA_SHA512 => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The SHA-2 function whose output is `len` bytes long (they all differ).
    #[cfg(feature = "rsa")]
    fn from_output_len(len: usize) -> Option<Self> {
        [Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|h| h.output_len() == len)
    }

    /// The hash of a digest algorithm OID (`id-sha256`, ...).
    pub fn from_digest_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            OID_SHA256 => Some(Self::Sha256),
            OID_SHA384 => Some(Self::Sha384),
            OID_SHA512 => Some(Self::Sha512),
            _ => None,
        }
    }
}

/// SHA-256 of `data` as a fixed array.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// SHA-256 over the concatenation of `parts`, without building the concatenation.
pub fn sha256_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The public-key algorithms the verifier accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// Ed25519 (pure, RFC 8032).
    Ed25519,
    /// RSA with RSASSA-PKCS1-v1_5 signatures (RFC 8017 §8.2), verification only. (The
    /// same keys verify RSASSA-PSS through [`PublicKey::verify_rsa_pss`], for TUF.)
    RsaPkcs1v15 {
        /// Size of the modulus in bits (2048 to 4096).
        bits: usize,
    },
}

impl KeyAlgorithm {
    /// The hash this key conventionally signs with (SHA-256 for P-256, RSA and
    /// Ed25519's Sigstore uses, SHA-384 for P-384).
    pub fn default_hash(self) -> HashAlgorithm {
        match self {
            Self::EcdsaP256 | Self::Ed25519 | Self::RsaPkcs1v15 { .. } => HashAlgorithm::Sha256,
            Self::EcdsaP384 => HashAlgorithm::Sha384,
        }
    }

    /// Sigstore `PublicKeyDetails` name (`protobuf-specs` `sigstore_common.proto`).
    pub fn key_details(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "PKIX_ECDSA_P256_SHA_256",
            Self::EcdsaP384 => "PKIX_ECDSA_P384_SHA_384",
            Self::Ed25519 => "PKIX_ED25519",
            Self::RsaPkcs1v15 { bits: 2048 } => "PKIX_RSA_PKCS1V15_2048_SHA256",
            Self::RsaPkcs1v15 { bits: 3072 } => "PKIX_RSA_PKCS1V15_3072_SHA256",
            Self::RsaPkcs1v15 { bits: 4096 } => "PKIX_RSA_PKCS1V15_4096_SHA256",
            // The deprecated size-less name, for the sizes in between.
            Self::RsaPkcs1v15 { .. } => "PKIX_RSA_PKCS1V5",
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EcdsaP256 => f.write_str("ECDSA P-256"),
            Self::EcdsaP384 => f.write_str("ECDSA P-384"),
            Self::Ed25519 => f.write_str("Ed25519"),
            Self::RsaPkcs1v15 { bits } => write!(f, "RSA-{bits}"),
        }
    }
}

/// Why a key could not be used or a signature did not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// The SubjectPublicKeyInfo is not valid DER or the point is not on the curve.
    MalformedKey {
        /// What was wrong.
        detail: String,
    },
    /// The key uses an algorithm this verifier does not accept (other curves, RSA-PSS
    /// only keys, DSA, ...).
    UnsupportedKey {
        /// The algorithm (and curve) OID found.
        algorithm: String,
    },
    /// A well-formed RSA key outside the accepted bounds (modulus 2048 to 4096 bits,
    /// public exponent 3 to 2^32 - 1).
    UnsupportedRsaKey {
        /// Size of the modulus in bits.
        bits: usize,
        /// What is out of bounds.
        detail: String,
    },
    /// The signature bytes are not a well-formed signature for this key type.
    MalformedSignature {
        /// Key algorithm.
        algorithm: KeyAlgorithm,
        /// Length of the signature bytes given.
        len: usize,
    },
    /// The signature is well-formed but does not verify.
    BadSignature {
        /// Key algorithm.
        algorithm: KeyAlgorithm,
    },
    /// A prehashed verification was asked of a key type that cannot do it (Ed25519).
    PrehashUnsupported {
        /// Key algorithm.
        algorithm: KeyAlgorithm,
    },
    /// An RSA signature was to be checked over a digest that is not SHA-256, SHA-384 or
    /// SHA-512 sized (RSASSA-PKCS1-v1_5 names the hash in the signed block).
    UnsupportedDigest {
        /// Key algorithm.
        algorithm: KeyAlgorithm,
        /// Length of the digest given, in bytes.
        len: usize,
    },
    /// An RSA key in a build without the `rsa` cargo feature: the key parses, but no
    /// signature can be checked with it.
    RsaNotEnabled {
        /// Key algorithm (RSA and its size).
        algorithm: KeyAlgorithm,
    },
    /// A signature scheme was asked of a key of another type (RSASSA-PSS of an ECDSA key).
    SchemeMismatch {
        /// Key algorithm.
        algorithm: KeyAlgorithm,
        /// The scheme asked for.
        scheme: &'static str,
    },
}

/// The name of the cargo feature that enables RSA verification.
pub const RSA_FEATURE: &str = "rsa";

/// The public-key types this build can verify with, for error messages.
pub fn accepted_keys() -> String {
    if cfg!(feature = "rsa") {
        format!(
            "ECDSA P-256, ECDSA P-384, Ed25519, RSA with a {MIN_RSA_MODULUS_BITS}- to \
             {MAX_RSA_MODULUS_BITS}-bit modulus"
        )
    } else {
        format!("ECDSA P-256, ECDSA P-384, Ed25519; RSA needs the `{RSA_FEATURE}` cargo feature")
    }
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedKey { detail } => write!(f, "malformed public key: {detail}"),
            Self::UnsupportedKey { algorithm } => write!(
                f,
                "unsupported public key algorithm {algorithm} (accepted: {})",
                accepted_keys()
            ),
            Self::UnsupportedRsaKey { bits, detail } => write!(
                f,
                "unsupported {bits}-bit RSA public key: {detail} (accepted: a \
                 {MIN_RSA_MODULUS_BITS}- to {MAX_RSA_MODULUS_BITS}-bit modulus and an odd public \
                 exponent from {MIN_RSA_PUBLIC_EXPONENT} to 2^32-1)"
            ),
            Self::MalformedSignature { algorithm, len } => {
                write!(f, "malformed {algorithm} signature ({len} bytes)")
            }
            Self::BadSignature { algorithm } => write!(f, "{algorithm} signature does not verify"),
            Self::PrehashUnsupported { algorithm } => write!(
                f,
                "{algorithm} keys cannot verify a signature over a digest alone"
            ),
            Self::UnsupportedDigest { algorithm, len } => write!(
                f,
                "{algorithm} signatures are checked over SHA-256, SHA-384 or SHA-512 digests, \
                 not a {len}-byte digest"
            ),
            Self::RsaNotEnabled { algorithm } => write!(
                f,
                "{algorithm} key: this build cannot verify RSA signatures (it lacks the \
                 `{RSA_FEATURE}` cargo feature; rebuild with `--features {RSA_FEATURE}`)"
            ),
            Self::SchemeMismatch { algorithm, scheme } => {
                write!(f, "a {algorithm} key cannot verify {scheme} signatures")
            }
        }
    }
}

impl std::error::Error for CryptoError {}

#[derive(Clone, Debug)]
enum Inner {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    #[cfg(feature = "rsa")]
    Rsa(rsa::RsaPublicKey),
    /// An RSA key (parsed and bounds-checked like any other) in a build without the `rsa`
    /// feature, or in a test simulating one ([`test_without_rsa`]): nothing verifies.
    #[cfg(any(test, not(feature = "rsa")))]
    RsaNotEnabled {
        bits: usize,
    },
}

/// A verification key, with the SubjectPublicKeyInfo DER it was parsed from.
#[derive(Clone, Debug)]
pub struct PublicKey {
    inner: Inner,
    spki_der: Vec<u8>,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}
impl Eq for PublicKey {}

fn malformed(detail: impl fmt::Display) -> CryptoError {
    CryptoError::MalformedKey {
        detail: detail.to_string(),
    }
}

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). Trailing bytes are rejected.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(malformed)?;
        let alg = spki.algorithm.oid;
        let key_bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| malformed("public key BIT STRING has unused bits"))?;
        let inner = if alg == OID_EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = spki
                .algorithm
                .parameters
                .as_ref()
                .ok_or_else(|| malformed("EC key without curve parameters"))?
                .decode_as()
                .map_err(malformed)?;
            match curve {
                OID_P256 => Inner::P256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| malformed("P-256 point is not on the curve"))?,
                ),
                OID_P384 => Inner::P384(
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| malformed("P-384 point is not on the curve"))?,
                ),
                other => {
                    return Err(CryptoError::UnsupportedKey {
                        algorithm: format!("id-ecPublicKey with curve {other}"),
                    })
                }
            }
        } else if alg == OID_ED25519 {
            if spki.algorithm.parameters.is_some() {
                return Err(malformed(
                    "Ed25519 key with algorithm parameters (RFC 8410 §3)",
                ));
            }
            let raw: [u8; 32] = key_bytes
                .try_into()
                .map_err(|_| malformed("Ed25519 key is not 32 bytes"))?;
            Inner::Ed25519(
                ed25519_dalek::VerifyingKey::from_bytes(&raw)
                    .map_err(|_| malformed("Ed25519 point is invalid"))?,
            )
        } else if alg == OID_RSA {
            // RFC 3279 §2.3.1: "The rsaEncryption OID ... the parameters field MUST have
            // ASN.1 type NULL" (Go's crypto/x509 also rejects absent parameters).
            let null = spki
                .algorithm
                .parameters
                .as_ref()
                .is_some_and(|p| *p == der::asn1::AnyRef::NULL);
            if !null {
                return Err(malformed(
                    "RSA key whose algorithm parameters are not NULL (RFC 3279 §2.3.1)",
                ));
            }
            rsa_from_pkcs1(key_bytes)?
        } else {
            return Err(CryptoError::UnsupportedKey {
                algorithm: alg.to_string(),
            });
        };
        Ok(Self {
            inner,
            spki_der: der.to_vec(),
        })
    }

    /// Parses a PKCS#1 `RSAPublicKey` DER (RFC 8017 Appendix A.1.1), as some trust roots
    /// ship RSA log keys (`keyDetails` `PKCS1_RSA_PKCS1V5`). Trailing bytes are rejected.
    /// [`PublicKey::spki_der`] then returns the equivalent SubjectPublicKeyInfo.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, CryptoError> {
        let inner = rsa_from_pkcs1(der)?;
        // RFC 3279 §2.3.1: SPKI { { rsaEncryption, NULL }, BIT STRING { RSAPublicKey } }.
        let spki = SubjectPublicKeyInfo {
            algorithm: AlgorithmIdentifier {
                oid: OID_RSA,
                parameters: Some(der::asn1::AnyRef::NULL),
            },
            subject_public_key: BitString::from_bytes(der).map_err(malformed)?,
        };
        Ok(Self {
            inner,
            spki_der: spki.to_der().map_err(malformed)?,
        })
    }

    /// Parses a PEM `PUBLIC KEY` block (SubjectPublicKeyInfo).
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        let der = crate::encoding::pem_decode_one(pem, "PUBLIC KEY")
            .map_err(|e| malformed(format!("PEM: {e}")))?;
        Self::from_spki_der(&der)
    }

    /// An Ed25519 key from its raw 32 bytes.
    pub fn from_ed25519_raw(raw: &[u8]) -> Result<Self, CryptoError> {
        let raw: [u8; 32] = raw
            .try_into()
            .map_err(|_| malformed("Ed25519 key is not 32 bytes"))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&raw)
            .map_err(|_| malformed("Ed25519 point is invalid"))?;
        // SPKI = SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING }, RFC 8410 §4.
        let mut spki_der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        spki_der.extend_from_slice(&raw);
        Ok(Self {
            inner: Inner::Ed25519(key),
            spki_der,
        })
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match &self.inner {
            Inner::P256(_) => KeyAlgorithm::EcdsaP256,
            Inner::P384(_) => KeyAlgorithm::EcdsaP384,
            Inner::Ed25519(_) => KeyAlgorithm::Ed25519,
            #[cfg(feature = "rsa")]
            Inner::Rsa(k) => KeyAlgorithm::RsaPkcs1v15 { bits: k.n().bits() },
            #[cfg(any(test, not(feature = "rsa")))]
            Inner::RsaNotEnabled { bits } => KeyAlgorithm::RsaPkcs1v15 { bits: *bits },
        }
    }

    /// Whether this build can verify signatures with the key: an RSA key without the
    /// `rsa` cargo feature cannot ([`CryptoError::RsaNotEnabled`]). Callers that are
    /// about to rely on a key check this first, to report it as an unsupported key.
    pub fn check_usable(&self) -> Result<(), CryptoError> {
        match &self.inner {
            #[cfg(any(test, not(feature = "rsa")))]
            Inner::RsaNotEnabled { .. } => Err(CryptoError::RsaNotEnabled {
                algorithm: self.algorithm(),
            }),
            _ => Ok(()),
        }
    }

    /// The SubjectPublicKeyInfo DER the key was parsed from.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The key itself, whatever its encoding: one value per key. An EC point is taken
    /// uncompressed (SEC 1 §2.3.3 allows either form, so one key has two SPKIs); Ed25519
    /// and RSA SPKIs are already one DER encoding per key.
    pub(crate) fn identity(&self) -> Vec<u8> {
        match &self.inner {
            Inner::P256(k) => k.to_encoded_point(false).as_bytes().to_vec(),
            Inner::P384(k) => k.to_encoded_point(false).as_bytes().to_vec(),
            _ => self.spki_der.clone(),
        }
    }

    /// The raw 32-byte key of an Ed25519 key.
    pub fn ed25519_raw(&self) -> Option<[u8; 32]> {
        match &self.inner {
            Inner::Ed25519(k) => Some(k.to_bytes()),
            _ => None,
        }
    }

    /// Verifies `sig` over `msg`. For ECDSA, `msg` is hashed with `hash` and `sig` is
    /// DER; for RSA, `msg` is hashed with `hash` and `sig` is an RSASSA-PKCS1-v1_5
    /// signature (RFC 8017 §8.2.2) as long as the modulus; for Ed25519, `hash` is
    /// ignored and `sig` is the raw 64 bytes (pure Ed25519).
    pub fn verify(&self, hash: HashAlgorithm, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        match &self.inner {
            #[cfg(feature = "rsa")]
            Inner::Rsa(k) => verify_rsa(k, self.algorithm(), hash, &hash.digest(msg), sig),
            Inner::Ed25519(k) => {
                let sig = ed25519_dalek::Signature::from_slice(sig).map_err(|_| {
                    CryptoError::MalformedSignature {
                        algorithm: KeyAlgorithm::Ed25519,
                        len: sig.len(),
                    }
                })?;
                k.verify_strict(msg, &sig)
                    .map_err(|_| CryptoError::BadSignature {
                        algorithm: KeyAlgorithm::Ed25519,
                    })
            }
            _ => self.verify_prehash(&hash.digest(msg), sig),
        }
    }

    /// Verifies a signature over an already computed digest: a DER ECDSA signature
    /// (digests longer than the curve order are truncated as FIPS 186-4 §6.4 says,
    /// bits2int), or an RSASSA-PKCS1-v1_5 signature whose DigestInfo names the SHA-2
    /// function of the digest's length (SHA-256, SHA-384 or SHA-512).
    pub fn verify_prehash(&self, digest: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        let algorithm = self.algorithm();
        let malformed_sig = || CryptoError::MalformedSignature {
            algorithm,
            len: sig.len(),
        };
        let bad = CryptoError::BadSignature { algorithm };
        match &self.inner {
            Inner::P256(k) => {
                let s = p256::ecdsa::Signature::from_der(sig).map_err(|_| malformed_sig())?;
                ecdsa_vartime::verify_p256(k, digest, &s)
                    .then_some(())
                    .ok_or(bad)
            }
            Inner::P384(k) => {
                let s = p384::ecdsa::Signature::from_der(sig).map_err(|_| malformed_sig())?;
                ecdsa_vartime::verify_p384(k, digest, &s)
                    .then_some(())
                    .ok_or(bad)
            }
            Inner::Ed25519(_) => Err(CryptoError::PrehashUnsupported { algorithm }),
            #[cfg(feature = "rsa")]
            Inner::Rsa(k) => {
                let hash = HashAlgorithm::from_output_len(digest.len()).ok_or(
                    CryptoError::UnsupportedDigest {
                        algorithm,
                        len: digest.len(),
                    },
                )?;
                verify_rsa(k, algorithm, hash, digest, sig)
            }
            #[cfg(any(test, not(feature = "rsa")))]
            Inner::RsaNotEnabled { .. } => Err(CryptoError::RsaNotEnabled { algorithm }),
        }
    }

    /// Verifies an RSASSA-PSS signature (RFC 8017 §8.1.2) over `msg` hashed with `hash`,
    /// MGF1 with the same hash, any salt length: TUF's `rsassa-pss-sha256` scheme. The
    /// signature must be exactly as long as the modulus. Keys other than RSA give
    /// [`CryptoError::SchemeMismatch`].
    ///
    /// Salt length: securesystemslib (python-tuf's key layer) signs with the digest length
    /// (`signer/_crypto_signer.py`, `PSS.DIGEST_LENGTH`) but verifies with `PSS.AUTO`
    /// (`signer/_key.py` `_get_rsa_padding`, securesystemslib 1.3.1), i.e. it accepts any
    /// salt length; so does this, to accept every signature python-tuf accepts. The salt
    /// length is read from the recovered encoding (RFC 8017 §9.1.2 steps 4-10), then the
    /// `rsa` crate verifies the signature with exactly that salt length.
    #[cfg_attr(not(feature = "rsa"), allow(unused_variables))]
    pub fn verify_rsa_pss(
        &self,
        hash: HashAlgorithm,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        let algorithm = self.algorithm();
        match &self.inner {
            #[cfg(feature = "rsa")]
            Inner::Rsa(k) => verify_rsa_pss(k, algorithm, hash, &hash.digest(msg), sig),
            #[cfg(any(test, not(feature = "rsa")))]
            Inner::RsaNotEnabled { .. } => Err(CryptoError::RsaNotEnabled { algorithm }),
            _ => Err(CryptoError::SchemeMismatch {
                algorithm,
                scheme: "RSASSA-PSS",
            }),
        }
    }
}

/// Size in bits of a big-endian unsigned integer without leading zero bytes.
fn uint_bits(bytes: &[u8]) -> usize {
    match bytes.split_first() {
        None => 0,
        Some((first, rest)) => rest
            .len()
            .saturating_mul(8)
            .saturating_add(8)
            .saturating_sub(usize::try_from(first.leading_zeros()).unwrap_or(8)),
    }
}

/// Parses a PKCS#1 `RSAPublicKey` (RFC 8017 Appendix A.1.1) and checks it against the
/// bounds in [`crate::limits`] before any big-number arithmetic:
/// ```text
/// RSAPublicKey ::= SEQUENCE {
///     modulus           INTEGER,  -- n
///     publicExponent    INTEGER   -- e
/// }
/// ```
fn rsa_from_pkcs1(der: &[u8]) -> Result<Inner, CryptoError> {
    // `Decode::from_der` rejects trailing bytes; `UintRef` rejects negative and
    // non-minimal INTEGERs and strips the sign byte.
    let key =
        Pkcs1PublicKey::from_der(der).map_err(|e| malformed(format!("RSA public key: {e}")))?;
    let (n, e) = (key.modulus.as_bytes(), key.public_exponent.as_bytes());
    let bits = uint_bits(n);
    // RFC 8017 §3.1: the modulus is a product of odd primes, so it is odd.
    if n.last().is_none_or(|b| b & 1 == 0) {
        return Err(malformed("RSA modulus is even"));
    }
    if !(MIN_RSA_MODULUS_BITS..=MAX_RSA_MODULUS_BITS).contains(&bits) {
        return Err(CryptoError::UnsupportedRsaKey {
            bits,
            detail: format!("the modulus has {bits} bits"),
        });
    }
    // RFC 8017 §3.1: "the RSA public exponent e is an integer between 3 and n - 1
    // satisfying GCD(e, \lambda(n)) = 1", so e is odd (λ(n) is even).
    if e.len() > 8 {
        return Err(CryptoError::UnsupportedRsaKey {
            bits,
            detail: format!("the public exponent has {} bits", uint_bits(e)),
        });
    }
    let e_value = e
        .iter()
        .fold(0u64, |acc, b| acc.wrapping_shl(8) | u64::from(*b));
    if e_value < MIN_RSA_PUBLIC_EXPONENT || e_value & 1 == 0 {
        return Err(malformed(format!(
            "RSA public exponent {e_value} is not an odd number of at least 3 (RFC 8017 §3.1)"
        )));
    }
    if e_value > MAX_RSA_PUBLIC_EXPONENT {
        return Err(CryptoError::UnsupportedRsaKey {
            bits,
            detail: format!("the public exponent {e_value} is larger than 2^32-1"),
        });
    }
    rsa_key(n, e_value, bits)
}

/// `RSAPublicKey` (RFC 8017 Appendix A.1.1), decoded the same way with or without the
/// `rsa` feature (as the `pkcs1` crate does).
struct Pkcs1PublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

impl FixedTag for Pkcs1PublicKey<'_> {
    const TAG: Tag = Tag::Sequence;
}

impl<'a> DecodeValue<'a> for Pkcs1PublicKey<'a> {
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        reader.read_nested(header.length, |r| {
            Ok(Self {
                modulus: r.decode()?,
                public_exponent: r.decode()?,
            })
        })
    }
}

/// The verifying key for a modulus and exponent that passed [`rsa_from_pkcs1`]'s bounds
/// (which imply every check of `rsa::RsaPublicKey::new_with_max_size`).
#[cfg(feature = "rsa")]
fn rsa_key(n: &[u8], e: u64, bits: usize) -> Result<Inner, CryptoError> {
    #[cfg(test)]
    if rsa_disabled_for_test() {
        return Ok(Inner::RsaNotEnabled { bits });
    }
    let _ = bits;
    rsa::RsaPublicKey::new_with_max_size(
        rsa::BigUint::from_bytes_be(n),
        rsa::BigUint::from(e),
        MAX_RSA_MODULUS_BITS,
    )
    .map(Inner::Rsa)
    .map_err(|e| malformed(format!("RSA public key: {e}")))
}

/// Without the `rsa` feature, a well-formed RSA key that cannot verify anything.
#[cfg(not(feature = "rsa"))]
fn rsa_key(_n: &[u8], _e: u64, bits: usize) -> Result<Inner, CryptoError> {
    Ok(Inner::RsaNotEnabled { bits })
}

#[cfg(test)]
thread_local! {
    static RSA_DISABLED_FOR_TEST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(all(test, feature = "rsa"))]
fn rsa_disabled_for_test() -> bool {
    RSA_DISABLED_FOR_TEST.with(std::cell::Cell::get)
}

/// Runs `f` as a build without the `rsa` feature would: RSA keys parsed on this thread
/// inside `f` cannot verify ([`CryptoError::RsaNotEnabled`]). Test builds always have the
/// feature (the crate's dev-dependency on itself enables it), so this is how unit tests
/// reach the paths of a build without it.
#[cfg(test)]
pub(crate) fn test_without_rsa<R>(f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            RSA_DISABLED_FOR_TEST.with(|c| c.set(false));
        }
    }
    RSA_DISABLED_FOR_TEST.with(|c| c.set(true));
    let _reset = Reset;
    f()
}

/// RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2) of `sig` over `digest`, a `hash`
/// digest: the signature must be exactly k = |n| bytes (step 1), s < n (RSAVP1), and
/// the recovered block must equal EMSA-PKCS1-v1_5(DigestInfo { hash, NULL }, digest)
/// byte for byte (steps 3-4, compared in full, not parsed).
#[cfg(feature = "rsa")]
fn verify_rsa(
    key: &rsa::RsaPublicKey,
    algorithm: KeyAlgorithm,
    hash: HashAlgorithm,
    digest: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    if sig.len() != key.size() {
        return Err(CryptoError::MalformedSignature {
            algorithm,
            len: sig.len(),
        });
    }
    let scheme = match hash {
        HashAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
        HashAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
        HashAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<Sha512>(),
    };
    key.verify(scheme, digest, sig)
        .map_err(|_| CryptoError::BadSignature { algorithm })
}

/// RSASSA-PSS verification (RFC 8017 §8.1.2) of `sig` over `digest`, a `hash` digest,
/// with MGF1-`hash` and the salt length the signature itself carries.
///
/// Step 1: the signature is exactly k = |n| bytes; step 2 (RSAVP1): s < n, m = s^e mod
/// n, EM = I2OSP(m, emLen). [`pss_salt_len`] reads the salt length from EM; the `rsa`
/// crate then runs the whole of EMSA-PSS-VERIFY (§9.1.2) with that salt length, so a
/// wrong reading can only make verification fail.
#[cfg(feature = "rsa")]
fn verify_rsa_pss(
    key: &rsa::RsaPublicKey,
    algorithm: KeyAlgorithm,
    hash: HashAlgorithm,
    digest: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    use rsa::signature::hazmat::PrehashVerifier;
    let bad = CryptoError::BadSignature { algorithm };
    if sig.len() != key.size() {
        return Err(CryptoError::MalformedSignature {
            algorithm,
            len: sig.len(),
        });
    }
    let s = rsa::BigUint::from_bytes_be(sig);
    // RFC 8017 §5.2.2 (RSAVP1) step 1: "If the signature representative s is not between
    // 0 and n - 1, output 'signature representative out of range'".
    if &s >= key.n() {
        return Err(bad);
    }
    let m = s.modpow(key.e(), key.n()).to_bytes_be();
    // §9.1.2: emBits = modBits - 1, emLen = ceil(emBits / 8); m < 2^emBits.
    let em_bits = key.n().bits().saturating_sub(1);
    let em_len = em_bits.div_ceil(8);
    if m.len() > em_len {
        return Err(bad);
    }
    let mut em = vec![0u8; em_len - m.len()];
    em.extend_from_slice(&m);
    let salt_len = pss_salt_len(&em, em_bits, hash).ok_or(bad.clone())?;
    let signature = rsa::pss::Signature::try_from(sig).map_err(|_| bad.clone())?;
    let result = match hash {
        HashAlgorithm::Sha256 => {
            rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(key.clone(), salt_len)
                .verify_prehash(digest, &signature)
        }
        HashAlgorithm::Sha384 => {
            rsa::pss::VerifyingKey::<Sha384>::new_with_salt_len(key.clone(), salt_len)
                .verify_prehash(digest, &signature)
        }
        HashAlgorithm::Sha512 => {
            rsa::pss::VerifyingKey::<Sha512>::new_with_salt_len(key.clone(), salt_len)
                .verify_prehash(digest, &signature)
        }
    };
    result.map_err(|_| bad)
}

/// The salt length of an EMSA-PSS encoding `em` of `em_bits` bits (RFC 8017 §9.1.2
/// steps 4-10), or `None` if the encoding is inconsistent. Only chooses the parameter
/// for the full verification; it decides nothing by itself.
#[cfg(feature = "rsa")]
fn pss_salt_len(em: &[u8], em_bits: usize, hash: HashAlgorithm) -> Option<usize> {
    let h_len = hash.output_len();
    // Step 4: the rightmost octet is 0xbc.
    let (&last, rest) = em.split_last()?;
    if last != 0xbc {
        return None;
    }
    // Step 5: maskedDB (emLen - hLen - 1 octets), then H (hLen octets); step 3: emLen ≥
    // hLen + sLen + 2 ≥ hLen + 2.
    let db_len = rest.len().checked_sub(h_len)?;
    if db_len == 0 {
        return None;
    }
    let (masked_db, h) = rest.split_at(db_len);
    // Steps 6 and 9: the leftmost 8·emLen - emBits bits are zero.
    let unused = em.len().checked_mul(8)?.checked_sub(em_bits)?;
    let top_mask = u8::try_from(0xffu16 >> unused).ok()?;
    // Steps 7-8: DB = maskedDB xor MGF1(H, emLen - hLen - 1) (MGF1: Appendix B.2.1).
    let mut db = Vec::with_capacity(db_len);
    let mut counter: u32 = 0;
    while db.len() < db_len {
        let block = hash.digest(&[h, &counter.to_be_bytes()[..]].concat());
        db.extend_from_slice(&block);
        counter = counter.checked_add(1)?;
    }
    db.truncate(db_len);
    for (d, m) in db.iter_mut().zip(masked_db) {
        *d ^= m;
    }
    let first = db.first_mut()?;
    if masked_db.first().is_some_and(|b| b & !top_mask != 0) {
        return None;
    }
    *first &= top_mask;
    // Step 10: DB = PS (zeros) || 0x01 || salt.
    let one = db.iter().position(|b| *b != 0)?;
    (db.get(one) == Some(&1)).then(|| db_len - one - 1)
}

/// Re-encodes any DER value (used to compare structures byte for byte).
#[cfg(any(test, feature = "unstable-internals"))]
pub fn to_der<T: Encode>(v: &T) -> Result<Vec<u8>, der::Error> {
    v.to_der()
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;

    #[test]
    fn p256_round_trip_and_tamper() {
        let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let spki = p256::pkcs8::EncodePublicKey::to_public_key_der(sk.verifying_key()).unwrap();
        let pk = PublicKey::from_spki_der(spki.as_bytes()).unwrap();
        assert_eq!(pk.algorithm(), KeyAlgorithm::EcdsaP256);
        let sig: p256::ecdsa::Signature = sk.sign(b"hello");
        let der = sig.to_der();
        pk.verify(HashAlgorithm::Sha256, b"hello", der.as_bytes())
            .unwrap();
        assert!(matches!(
            pk.verify(HashAlgorithm::Sha256, b"hellO", der.as_bytes()),
            Err(CryptoError::BadSignature { .. })
        ));
        assert!(matches!(
            pk.verify(HashAlgorithm::Sha256, b"hello", &[0x30, 0x01]),
            Err(CryptoError::MalformedSignature { .. })
        ));
        // Trailing bytes after the SPKI are rejected.
        let mut long = spki.as_bytes().to_vec();
        long.push(0);
        assert!(PublicKey::from_spki_der(&long).is_err());
    }

    #[test]
    fn high_s_signatures_are_accepted() {
        let sk = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let pk = PublicKey::from_spki_der(
            p256::pkcs8::EncodePublicKey::to_public_key_der(sk.verifying_key())
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
        let sig: p256::ecdsa::Signature = sk.sign(b"m");
        let (r, s) = (sig.r(), sig.s());
        // n - s is the high-S twin of a valid signature.
        let high = p256::ecdsa::Signature::from_scalars(r, -*s.as_ref()).unwrap();
        let (lo, hi) = (sig.to_der(), high.to_der());
        pk.verify(HashAlgorithm::Sha256, b"m", lo.as_bytes())
            .unwrap();
        pk.verify(HashAlgorithm::Sha256, b"m", hi.as_bytes())
            .unwrap();
    }

    #[test]
    fn ed25519_raw_and_spki_agree() {
        use ed25519_dalek::Signer as _;
        let sk = ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]);
        let pk = PublicKey::from_ed25519_raw(sk.verifying_key().as_bytes()).unwrap();
        let again = PublicKey::from_spki_der(pk.spki_der()).unwrap();
        assert_eq!(pk, again);
        let sig = sk.sign(b"note");
        pk.verify(HashAlgorithm::Sha256, b"note", &sig.to_bytes())
            .unwrap();
        assert!(pk
            .verify(HashAlgorithm::Sha256, b"nope", &sig.to_bytes())
            .is_err());
    }

    /// RSA vectors made by `testdata/rsa/make.sh` (OpenSSL keys and signatures).
    fn rsa_file(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/rsa")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
    }

    fn rsa_key(name: &str) -> PublicKey {
        PublicKey::from_spki_der(&rsa_file(name)).unwrap()
    }

    /// A PKCS#1 RSAPublicKey with the given modulus and exponent bytes.
    fn pkcs1(n: &[u8], e: &[u8]) -> Vec<u8> {
        rsa::pkcs1::RsaPublicKey {
            modulus: der::asn1::UintRef::new(n).unwrap(),
            public_exponent: der::asn1::UintRef::new(e).unwrap(),
        }
        .to_der()
        .unwrap()
    }

    fn modulus_2048() -> Vec<u8> {
        let der = rsa_file("rsa2048.pkcs1.der");
        let k = rsa::pkcs1::RsaPublicKey::from_der(&der).unwrap();
        k.modulus.as_bytes().to_vec()
    }

    #[test]
    fn rsa_2048_known_answer() {
        let msg = rsa_file("message.txt");
        let pk = rsa_key("rsa2048.spki.der");
        let alg = KeyAlgorithm::RsaPkcs1v15 { bits: 2048 };
        assert_eq!(pk.algorithm(), alg);
        assert_eq!(alg.to_string(), "RSA-2048");
        assert_eq!(alg.key_details(), "PKIX_RSA_PKCS1V15_2048_SHA256");
        assert_eq!(alg.default_hash(), HashAlgorithm::Sha256);
        assert_eq!(pk.spki_der(), rsa_file("rsa2048.spki.der"));
        for (hash, file) in [
            (HashAlgorithm::Sha256, "rsa2048.sha256.sig"),
            (HashAlgorithm::Sha384, "rsa2048.sha384.sig"),
            (HashAlgorithm::Sha512, "rsa2048.sha512.sig"),
        ] {
            let sig = rsa_file(file);
            assert_eq!(sig.len(), 256);
            pk.verify(hash, &msg, &sig).unwrap();
            // The digest's length selects the DigestInfo hash.
            pk.verify_prehash(&hash.digest(&msg), &sig).unwrap();
            // The same signature under another hash does not verify.
            for other in [
                HashAlgorithm::Sha256,
                HashAlgorithm::Sha384,
                HashAlgorithm::Sha512,
            ] {
                if other != hash {
                    assert_eq!(
                        pk.verify(other, &msg, &sig),
                        Err(CryptoError::BadSignature { algorithm: alg })
                    );
                }
            }
        }
        // A SHA-1 sized digest cannot be checked with RSA.
        let sig = rsa_file("rsa2048.sha256.sig");
        let e = pk.verify_prehash(&[0u8; 20], &sig).unwrap_err();
        assert_eq!(
            e,
            CryptoError::UnsupportedDigest {
                algorithm: alg,
                len: 20
            }
        );
        assert!(e.to_string().contains("20-byte digest"), "{e}");
    }

    #[test]
    fn rsa_tampering_fails() {
        let msg = rsa_file("message.txt");
        let pk = rsa_key("rsa2048.spki.der");
        let alg = pk.algorithm();
        let sig = rsa_file("rsa2048.sha256.sig");
        pk.verify(HashAlgorithm::Sha256, &msg, &sig).unwrap();
        // One flipped bit anywhere in the signature (each byte, rotating bit).
        for i in 0..sig.len() {
            let mut s = sig.clone();
            s[i] ^= 1 << (i % 8);
            assert_eq!(
                pk.verify(HashAlgorithm::Sha256, &msg, &s),
                Err(CryptoError::BadSignature { algorithm: alg }),
                "byte {i}"
            );
        }
        // One flipped bit in the message.
        let mut m = msg.clone();
        m[3] ^= 0x01;
        assert_eq!(
            pk.verify(HashAlgorithm::Sha256, &m, &sig),
            Err(CryptoError::BadSignature { algorithm: alg })
        );
        // RFC 8017 §8.2.2 step 1: the signature is exactly k bytes.
        for bad_len in [&sig[..255], &[&[0u8][..], &sig[..]].concat()[..], &[][..]] {
            assert_eq!(
                pk.verify(HashAlgorithm::Sha256, &msg, bad_len),
                Err(CryptoError::MalformedSignature {
                    algorithm: alg,
                    len: bad_len.len()
                })
            );
        }
        // RSAVP1: s must be below n (all-ones is above every 2048-bit modulus).
        assert_eq!(
            pk.verify(HashAlgorithm::Sha256, &msg, &[0xff; 256]),
            Err(CryptoError::BadSignature { algorithm: alg })
        );
        // Another key's valid signature (same message) does not verify.
        let e3 = rsa_key("rsa2048-e3.spki.der");
        let e3_sig = rsa_file("rsa2048-e3.sha256.sig");
        e3.verify(HashAlgorithm::Sha256, &msg, &e3_sig).unwrap();
        assert!(pk.verify(HashAlgorithm::Sha256, &msg, &e3_sig).is_err());
        assert!(e3.verify(HashAlgorithm::Sha256, &msg, &sig).is_err());
        // No panics on mutated signatures.
        assert!(mutate_all_sig(&pk, &msg, &sig) > 500);
    }

    fn mutate_all_sig(pk: &PublicKey, msg: &[u8], sig: &[u8]) -> usize {
        let mut ok = 0;
        let n = crate::testutil::mutate_all(sig, |s| {
            let r = pk.verify(HashAlgorithm::Sha256, msg, s);
            if r.is_ok() {
                ok += 1;
            }
            r
        });
        assert_eq!(ok, 0, "a mutated signature verified");
        n
    }

    #[test]
    fn rsa_key_sizes() {
        let msg = rsa_file("message.txt");
        assert_eq!(
            rsa_key("rsa3072.spki.der").algorithm(),
            KeyAlgorithm::RsaPkcs1v15 { bits: 3072 }
        );
        let k4096 = rsa_key("rsa4096.spki.der");
        assert_eq!(
            k4096.algorithm().key_details(),
            "PKIX_RSA_PKCS1V15_4096_SHA256"
        );
        k4096
            .verify(HashAlgorithm::Sha256, &msg, &rsa_file("rsa4096.sha256.sig"))
            .unwrap();
        // Too small (weak) and too large (unbounded work) moduli are refused.
        for (file, bits) in [("rsa1024.spki.der", 1024), ("rsa8192.spki.der", 8192)] {
            let e = PublicKey::from_spki_der(&rsa_file(file)).unwrap_err();
            assert!(
                matches!(&e, CryptoError::UnsupportedRsaKey { bits: b, .. } if *b == bits),
                "{file}: {e:?}"
            );
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("unsupported {bits}-bit RSA public key")),
                "{text}"
            );
            assert!(text.contains("2048- to 4096-bit modulus"), "{text}");
        }
        // Between the named sizes: accepted, with the size-less keyDetails name.
        assert_eq!(
            KeyAlgorithm::RsaPkcs1v15 { bits: 2560 }.key_details(),
            "PKIX_RSA_PKCS1V5"
        );
    }

    #[test]
    fn rsa_spki_and_pkcs1_agree() {
        let spki = rsa_file("rsa2048.spki.der");
        let pkcs1 = rsa_file("rsa2048.pkcs1.der");
        let from_spki = PublicKey::from_spki_der(&spki).unwrap();
        let from_pkcs1 = PublicKey::from_pkcs1_der(&pkcs1).unwrap();
        // The SPKI built around the PKCS#1 key is OpenSSL's, byte for byte.
        assert_eq!(from_pkcs1.spki_der(), &spki[..]);
        assert_eq!(from_spki, from_pkcs1);
        let msg = rsa_file("message.txt");
        from_pkcs1
            .verify(HashAlgorithm::Sha256, &msg, &rsa_file("rsa2048.sha256.sig"))
            .unwrap();
        // Each parser refuses the other's format, and trailing bytes.
        assert!(PublicKey::from_spki_der(&pkcs1).is_err());
        assert!(PublicKey::from_pkcs1_der(&spki).is_err());
        for good in [&spki, &pkcs1] {
            let mut long = good.clone();
            long.push(0);
            assert!(PublicKey::from_spki_der(&long).is_err());
            assert!(PublicKey::from_pkcs1_der(&long).is_err());
        }
        // RFC 3279 §2.3.1: rsaEncryption parameters must be NULL, not absent or other.
        let parsed = spki::SubjectPublicKeyInfoRef::from_der(&spki).unwrap();
        for params in [None, Some(der::asn1::AnyRef::from(&OID_SHA256))] {
            let mut v = parsed.clone();
            v.algorithm.parameters = params;
            let e = PublicKey::from_spki_der(&v.to_der().unwrap()).unwrap_err();
            assert!(matches!(e, CryptoError::MalformedKey { .. }), "{e:?}");
            assert!(e.to_string().contains("NULL"), "{e}");
        }
        // No panics on mutations of either encoding.
        assert!(crate::testutil::mutate_all(&spki, PublicKey::from_spki_der) > 500);
        assert!(crate::testutil::mutate_all(&pkcs1, PublicKey::from_pkcs1_der) > 500);
    }

    #[test]
    fn rsa_exponent_and_modulus_bounds() {
        let n = modulus_2048();
        let bits = |e: &[u8]| PublicKey::from_pkcs1_der(&pkcs1(&n, e)).map(|k| k.algorithm());
        let rsa2048 = Ok(KeyAlgorithm::RsaPkcs1v15 { bits: 2048 });
        // Accepted: 3, 65537, 2^32 - 1.
        assert_eq!(bits(&[3]), rsa2048);
        assert_eq!(bits(&[1, 0, 1]), rsa2048);
        assert_eq!(bits(&[0xff, 0xff, 0xff, 0xff]), rsa2048);
        // Not RSA public exponents (RFC 8017 §3.1): 1, even values.
        for e in [&[1u8][..], &[2], &[1, 0, 0]] {
            assert!(
                matches!(bits(e), Err(CryptoError::MalformedKey { .. })),
                "{e:?}"
            );
        }
        // Valid but above the bound: 2^32 + 1, and a 9-byte exponent.
        for e in [&[1u8, 0, 0, 0, 1][..], &[1, 0, 0, 0, 0, 0, 0, 0, 1]] {
            assert!(
                matches!(
                    bits(e),
                    Err(CryptoError::UnsupportedRsaKey { bits: 2048, .. })
                ),
                "{e:?}"
            );
        }
        // An even modulus is not a product of odd primes.
        let mut even = n.clone();
        *even.last_mut().unwrap() &= 0xfe;
        assert!(matches!(
            PublicKey::from_pkcs1_der(&pkcs1(&even, &[1, 0, 1])),
            Err(CryptoError::MalformedKey { .. })
        ));
        // A 2047-bit modulus is below the bound.
        let mut short = n.clone();
        short[0] = 0x7f;
        assert!(matches!(
            PublicKey::from_pkcs1_der(&pkcs1(&short, &[1, 0, 1])),
            Err(CryptoError::UnsupportedRsaKey { bits: 2047, .. })
        ));
        // A negative modulus (no leading zero before a set high bit) is not DER UINT.
        let mut negative = rsa_file("rsa2048.pkcs1.der");
        // 30 82 01 0a 02 82 01 01 00 <n>: drop the 00 and shorten both lengths.
        assert_eq!(negative[8], 0);
        negative.remove(8);
        negative[3] -= 1;
        negative[7] -= 1;
        assert!(matches!(
            PublicKey::from_pkcs1_der(&negative),
            Err(CryptoError::MalformedKey { .. })
        ));
    }

    #[test]
    fn rsa_error_wording() {
        let e = CryptoError::UnsupportedKey {
            algorithm: "1.2.3".into(),
        };
        assert_eq!(
            e.to_string(),
            "unsupported public key algorithm 1.2.3 (accepted: ECDSA P-256, ECDSA P-384, \
             Ed25519, RSA with a 2048- to 4096-bit modulus)"
        );
        let e = CryptoError::UnsupportedRsaKey {
            bits: 1024,
            detail: "the modulus has 1024 bits".into(),
        };
        assert_eq!(
            e.to_string(),
            "unsupported 1024-bit RSA public key: the modulus has 1024 bits (accepted: a \
             2048- to 4096-bit modulus and an odd public exponent from 3 to 2^32-1)"
        );
    }
}
