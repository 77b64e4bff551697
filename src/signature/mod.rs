//! Steps 2 and 3 of the pipeline (`docs/verification.md`): the bundle's content bound to
//! the artifact, and the signature over it. [`crate::verify`] orders the steps; this
//! module holds their checks and their error, [`SignatureError`].
//!
//! - A message signature signs the artifact's digest: its `messageDigest` must equal the
//!   artifact's (sigstore-go `pkg/verify/signature.go`), and the signature is verified
//!   over that digest.
//! - A DSSE envelope must carry an in-toto statement naming the artifact
//!   ([`intoto`]), and is signed over PAE(payloadType, payload) (DSSE v1 protocol).

mod error;
mod intoto;

pub use error::SignatureError;
#[cfg(any(test, feature = "unstable-internals"))]
pub use intoto::{COSIGN_SIGN_PREDICATE, INTOTO_PAYLOAD_TYPE, STATEMENT_V1};

use crate::bundle::{pae, Content};
use crate::crypto::{CryptoError, HashAlgorithm, PublicKey};
use crate::encoding::hex_encode;
use crate::policy::StatementRequirement;

/// The digests of the artifact being verified, in whichever algorithms are known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArtifactDigests {
    sha256: Option<Vec<u8>>,
    sha384: Option<Vec<u8>>,
    sha512: Option<Vec<u8>>,
}

impl ArtifactDigests {
    /// All three digests of the artifact bytes.
    pub fn of_bytes(data: &[u8]) -> Self {
        Self {
            sha256: Some(HashAlgorithm::Sha256.digest(data)),
            sha384: Some(HashAlgorithm::Sha384.digest(data)),
            sha512: Some(HashAlgorithm::Sha512.digest(data)),
        }
    }

    /// The SHA-256 digest of an artifact known only by it (an OCI manifest digest).
    pub fn sha256(digest: [u8; 32]) -> Self {
        Self {
            sha256: Some(digest.to_vec()),
            ..Self::default()
        }
    }

    /// A single known digest (the artifact itself is not available).
    pub fn from_digest(alg: HashAlgorithm, digest: Vec<u8>) -> Option<Self> {
        if digest.len() != alg.output_len() {
            return None;
        }
        let mut d = Self::default();
        match alg {
            HashAlgorithm::Sha256 => d.sha256 = Some(digest),
            HashAlgorithm::Sha384 => d.sha384 = Some(digest),
            HashAlgorithm::Sha512 => d.sha512 = Some(digest),
        }
        Some(d)
    }

    /// Parses `sha256:<hex>` (also `sha384:`/`sha512:`), lowercase hex only.
    pub fn parse(s: &str) -> Option<Self> {
        let (alg, hex) = s.split_once(':')?;
        let alg = HashAlgorithm::from_name(alg)?;
        Self::from_digest(alg, crate::encoding::hex_decode_lower(hex)?)
    }

    /// The digest in `alg`, if known.
    pub fn get(&self, alg: HashAlgorithm) -> Option<&[u8]> {
        match alg {
            HashAlgorithm::Sha256 => self.sha256.as_deref(),
            HashAlgorithm::Sha384 => self.sha384.as_deref(),
            HashAlgorithm::Sha512 => self.sha512.as_deref(),
        }
    }

    /// `alg:hex` of the strongest-preference known digest (sha256 first).
    pub fn describe(&self) -> String {
        [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ]
        .into_iter()
        .find_map(|a| {
            self.get(a)
                .map(|d| format!("{}:{}", a.name(), hex_encode(d)))
        })
        .unwrap_or_default()
    }
}

/// What step 3 verifies, as step 2 bound it: the signature and the message it covers.
pub(crate) enum Signed<'a> {
    /// A message signature over this artifact digest.
    Digest {
        /// The artifact digest (in the algorithm the bundle names).
        digest: &'a [u8],
        /// The signature bytes.
        signature: &'a [u8],
    },
    /// A DSSE envelope's signature, over PAE(payloadType, payload).
    Pae {
        /// PAE(payloadType, payload).
        message: Vec<u8>,
        /// The signature bytes.
        signature: &'a [u8],
    },
}

/// Step 2. Binds `content` to `artifact`: a message signature's `messageDigest` must be
/// the artifact's digest (sigstore_common.proto: messageDigest is a hint, but sigstore-go
/// and sigstore-python require it to equal the artifact digest; conformance
/// message-digest-mismatch / wrong-material); a DSSE payload must be an in-toto statement
/// naming the artifact, of the kind `statement` requires (which may require DSSE).
pub(crate) fn bind_content<'a>(
    content: &'a Content,
    artifact: &'a ArtifactDigests,
    key: &PublicKey,
    statement: StatementRequirement,
) -> Result<Signed<'a>, SignatureError> {
    match content {
        // A `cosign sign` statement is a DSSE envelope; a bare message signature (a
        // `cosign sign-blob`) is not one, whoever signed it.
        Content::MessageSignature(_) if statement == StatementRequirement::CosignSign => {
            Err(SignatureError::NotCosignStatement)
        }
        Content::MessageSignature(ms) => {
            let alg = ms
                .message_digest
                .as_ref()
                .map_or(key.algorithm().default_hash(), |d| d.algorithm);
            let digest = artifact
                .get(alg)
                .ok_or(SignatureError::DigestUnavailable { needed: alg })?;
            if let Some(md) = &ms.message_digest {
                if md.digest != digest {
                    return Err(SignatureError::MessageDigestMismatch {
                        algorithm: alg,
                        expected: hex_encode(digest),
                        found: hex_encode(&md.digest),
                    });
                }
            }
            Ok(Signed::Digest {
                digest,
                signature: &ms.signature,
            })
        }
        Content::Dsse(env) => {
            intoto::check_statement(&env.payload_type, &env.payload, artifact, statement)?;
            // DSSE v1: the signature is over PAE(payloadType, payload).
            Ok(Signed::Pae {
                message: pae(&env.payload_type, &env.payload),
                signature: &env.signature.sig,
            })
        }
    }
}

/// Step 3. Verifies the signature step 2 bound, with the signer's `key`.
pub(crate) fn verify_signature(signed: &Signed<'_>, key: &PublicKey) -> Result<(), SignatureError> {
    // A key this build cannot verify with (RSA without the `rsa` cargo feature).
    key.check_usable()
        .map_err(|source| SignatureError::UnsupportedKey { source })?;
    match signed {
        Signed::Digest { digest, signature } => {
            key.verify_prehash(digest, signature).map_err(|e| match e {
                CryptoError::PrehashUnsupported { .. } => {
                    SignatureError::UnsupportedKey { source: e }
                }
                e => SignatureError::Invalid {
                    what: "artifact digest",
                    source: e,
                },
            })
        }
        Signed::Pae { message, signature } => key
            .verify(key.algorithm().default_hash(), message, signature)
            .map_err(|e| SignatureError::Invalid {
                what: "DSSE envelope",
                source: e,
            }),
    }
}
