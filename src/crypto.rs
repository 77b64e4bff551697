//! The signature primitives the verifier uses, behind one small API.
//!
//! Keys are parsed from SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7) and only three
//! algorithms are accepted: ECDSA P-256, ECDSA P-384 (RFC 5480) and Ed25519 (RFC 8410).
//! ECDSA signatures are ASN.1 DER `Ecdsa-Sig-Value` (RFC 3279 §2.2.3); high-S values are
//! accepted, as every Sigstore client does. Ed25519 signatures are the raw 64 bytes.

use core::fmt;

use der::{Decode, Encode};
use ecdsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

/// `id-ecPublicKey` (RFC 5480 §2.1.1).
pub const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` (RFC 5480 §2.1.1.1).
pub const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (RFC 5480 §2.1.1.1).
pub const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `id-Ed25519` (RFC 8410 §3).
pub const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// `rsaEncryption` (RFC 8017), recognised only to report it as unsupported.
pub const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
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
}

impl KeyAlgorithm {
    /// The hash this key conventionally signs with (SHA-256 for P-256 and Ed25519's
    /// Sigstore uses, SHA-384 for P-384).
    pub fn default_hash(self) -> HashAlgorithm {
        match self {
            Self::EcdsaP256 | Self::Ed25519 => HashAlgorithm::Sha256,
            Self::EcdsaP384 => HashAlgorithm::Sha384,
        }
    }

    /// Sigstore `PublicKeyDetails` name (`protobuf-specs` `sigstore_common.proto`).
    pub fn key_details(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "PKIX_ECDSA_P256_SHA_256",
            Self::EcdsaP384 => "PKIX_ECDSA_P384_SHA_384",
            Self::Ed25519 => "PKIX_ED25519",
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EcdsaP256 => "ECDSA P-256",
            Self::EcdsaP384 => "ECDSA P-384",
            Self::Ed25519 => "Ed25519",
        })
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
    /// The key uses an algorithm this verifier does not accept (RSA, other curves).
    UnsupportedKey {
        /// The algorithm (and curve) OID found.
        algorithm: String,
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
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedKey { detail } => write!(f, "malformed public key: {detail}"),
            Self::UnsupportedKey { algorithm } => write!(
                f,
                "unsupported public key algorithm {algorithm} (accepted: ECDSA P-256, ECDSA P-384, Ed25519)"
            ),
            Self::MalformedSignature { algorithm, len } => {
                write!(f, "malformed {algorithm} signature ({len} bytes)")
            }
            Self::BadSignature { algorithm } => write!(f, "{algorithm} signature does not verify"),
            Self::PrehashUnsupported { algorithm } => write!(
                f,
                "{algorithm} keys cannot verify a signature over a digest alone"
            ),
        }
    }
}

impl std::error::Error for CryptoError {}

#[derive(Clone, Debug)]
enum Inner {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
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
            return Err(CryptoError::UnsupportedKey {
                algorithm: "RSA".into(),
            });
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
        match self.inner {
            Inner::P256(_) => KeyAlgorithm::EcdsaP256,
            Inner::P384(_) => KeyAlgorithm::EcdsaP384,
            Inner::Ed25519(_) => KeyAlgorithm::Ed25519,
        }
    }

    /// The SubjectPublicKeyInfo DER the key was parsed from.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The raw 32-byte key of an Ed25519 key.
    pub fn ed25519_raw(&self) -> Option<[u8; 32]> {
        match &self.inner {
            Inner::Ed25519(k) => Some(k.to_bytes()),
            _ => None,
        }
    }

    /// Verifies `sig` over `msg`. For ECDSA, `msg` is hashed with `hash` and `sig` is
    /// DER; for Ed25519, `hash` is ignored and `sig` is the raw 64 bytes (pure Ed25519).
    pub fn verify(&self, hash: HashAlgorithm, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        match &self.inner {
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

    /// Verifies a DER ECDSA signature over an already computed digest. Digests longer
    /// than the curve order are truncated as FIPS 186-4 §6.4 says (bits2int).
    pub fn verify_prehash(&self, digest: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        let algorithm = self.algorithm();
        let malformed_sig = || CryptoError::MalformedSignature {
            algorithm,
            len: sig.len(),
        };
        let bad = |_| CryptoError::BadSignature { algorithm };
        match &self.inner {
            Inner::P256(k) => {
                let s = p256::ecdsa::Signature::from_der(sig).map_err(|_| malformed_sig())?;
                k.verify_prehash(digest, &s).map_err(bad)
            }
            Inner::P384(k) => {
                let s = p384::ecdsa::Signature::from_der(sig).map_err(|_| malformed_sig())?;
                k.verify_prehash(digest, &s).map_err(bad)
            }
            Inner::Ed25519(_) => Err(CryptoError::PrehashUnsupported { algorithm }),
        }
    }
}

/// Re-encodes any DER value (used to compare structures byte for byte).
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
}
