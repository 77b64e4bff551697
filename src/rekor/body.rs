//! Binding of a log entry's `canonicalizedBody` to the bundle (rekor `pkg/types/*/entry.go`
//! `Canonicalize`; sigstore-go `pkg/verify/tlog.go`; sigstore-python `verifier.py`).
//!
//! `sigstore_rekor.proto`: "If canonicalizedBody is present, clients MUST check that the
//! signature in it matches the bundle content."

use serde_json::{json, Value};

use super::{jcs, LogVerifier, TlogError};
use crate::bundle::pae;
use crate::bundle::{Content, DsseEnvelope, MessageSignature, TlogEntry};
use crate::crypto::{sha256, HashAlgorithm, PublicKey};
use crate::encoding::{
    base64_decode, base64_decode_strict, base64_encode, hex_decode_lower, hex_encode,
    pem_decode_one,
};
use crate::limits::MAX_TLOG_BODY_BYTES;

/// The entry kinds this verifier understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EntryKind {
    /// `hashedrekord` 0.0.1 (Rekor v1).
    HashedRekordV001,
    /// `dsse` 0.0.1 (Rekor v1).
    DsseV001,
    /// `intoto` 0.0.2 (Rekor v1).
    IntotoV002,
    /// `hashedrekord` 0.0.2 (Rekor v2).
    HashedRekordV002,
}

impl EntryKind {
    /// From `kindVersion`.
    pub(super) fn from_kind_version(kind: &str, version: &str) -> Result<Self, TlogError> {
        match (kind, version) {
            ("hashedrekord", "0.0.1") => Ok(Self::HashedRekordV001),
            ("dsse", "0.0.1") => Ok(Self::DsseV001),
            ("intoto", "0.0.2") => Ok(Self::IntotoV002),
            ("hashedrekord", "0.0.2") => Ok(Self::HashedRekordV002),
            _ => Err(TlogError::UnsupportedKind {
                kind: kind.to_owned(),
                version: version.to_owned(),
            }),
        }
    }

    /// `kind` and `apiVersion`, as the body writes them.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Self::HashedRekordV001 => ("hashedrekord", "0.0.1"),
            Self::DsseV001 => ("dsse", "0.0.1"),
            Self::IntotoV002 => ("intoto", "0.0.2"),
            Self::HashedRekordV002 => ("hashedrekord", "0.0.2"),
        }
    }

    /// Rekor major version: 2 for `hashedrekord` 0.0.2, else 1.
    pub(super) fn rekor_version(self) -> u8 {
        match self {
            Self::HashedRekordV002 => 2,
            _ => 1,
        }
    }
}

/// Longest quoted prefix of an untrusted string in an error.
const SHORT: usize = 48;

fn short_str(s: &str) -> String {
    if s.chars().count() <= SHORT {
        s.to_owned()
    } else {
        let head: String = s.chars().take(SHORT).collect();
        format!("{head}... ({} chars)", s.chars().count())
    }
}

fn short_value(v: &Value) -> String {
    match v {
        Value::String(s) => short_str(s),
        Value::Object(_) => "an object".to_owned(),
        Value::Array(a) => format!("an array of {}", a.len()),
        other => short_str(&other.to_string()),
    }
}

/// A blob shown as its SHA-256 fingerprint and length.
fn fingerprint(bytes: &[u8]) -> String {
    let h = sha256(bytes);
    let [a, b, c, d, e, f, g, i, ..] = h;
    format!(
        "{} bytes with sha256 {}...",
        bytes.len(),
        hex_encode(&[a, b, c, d, e, f, g, i])
    )
}

fn malformed(detail: impl Into<String>) -> TlogError {
    TlogError::BodyMalformed {
        detail: detail.into(),
    }
}

fn mismatch(field: &str, expected: impl Into<String>, found: impl Into<String>) -> TlogError {
    TlogError::BodyMismatch {
        field: field.to_owned(),
        expected: expected.into(),
        found: found.into(),
    }
}

/// Walks `path` from `v`; a missing member is a malformed body.
fn get<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, TlogError> {
    let mut cur = v;
    for (i, key) in path.iter().enumerate() {
        cur = cur.get(*key).ok_or_else(|| {
            let walked: Vec<&str> = path.iter().take(i.saturating_add(1)).copied().collect();
            malformed(format!("{} is missing", walked.join(".")))
        })?;
    }
    Ok(cur)
}

fn get_str<'a>(v: &'a Value, path: &[&str]) -> Result<&'a str, TlogError> {
    get(v, path)?
        .as_str()
        .ok_or_else(|| malformed(format!("{} is not a string", path.join("."))))
}

/// A base64 (standard, padded, as Go's `encoding/json` writes `[]byte`) string field.
fn get_b64(v: &Value, path: &[&str]) -> Result<Vec<u8>, TlogError> {
    base64_decode_strict(get_str(v, path)?)
        .map_err(|_| malformed(format!("{} is not base64", path.join("."))))
}

/// The certificate or key of the bundle, as the DER the body's PEM must carry.
fn expected_pem_der<'a>(verifier: &LogVerifier<'a>) -> (&'static str, &'a [u8]) {
    match verifier {
        LogVerifier::Certificate(der) => ("CERTIFICATE", der),
        LogVerifier::PublicKey(der) => ("PUBLIC KEY", der),
    }
}

/// Checks that a body field holding base64(PEM) is the bundle's certificate or key.
fn check_pem_field(
    field: &str,
    b64_pem: &[u8],
    verifier: &LogVerifier<'_>,
) -> Result<(), TlogError> {
    let (label, want) = expected_pem_der(verifier);
    let text =
        core::str::from_utf8(b64_pem).map_err(|_| malformed(format!("{field} is not PEM text")))?;
    let der = pem_decode_one(text, label)
        .map_err(|e| mismatch(field, format!("one PEM {label}"), e.to_string()))?;
    if der != want {
        return Err(mismatch(field, fingerprint(want), fingerprint(&der)));
    }
    Ok(())
}

fn check_sig(field: &str, found: &[u8], want: &[u8]) -> Result<(), TlogError> {
    if found != want {
        return Err(mismatch(field, fingerprint(want), fingerprint(found)));
    }
    Ok(())
}

/// `{algorithm: "sha256", value: <lowercase hex>}` equal to SHA-256(data).
fn check_sha256_hash(v: &Value, path: &[&str], data: &[u8]) -> Result<(), TlogError> {
    let field = path.join(".");
    let mut alg_path = path.to_vec();
    alg_path.push("algorithm");
    let mut val_path = path.to_vec();
    val_path.push("value");
    let alg = get_str(v, &alg_path)?;
    if alg != "sha256" {
        return Err(mismatch(
            &format!("{field}.algorithm"),
            "sha256",
            short_str(alg),
        ));
    }
    let value = get_str(v, &val_path)?;
    let want = hex_encode(&sha256(data));
    if value != want {
        return Err(mismatch(&format!("{field}.value"), want, short_str(value)));
    }
    Ok(())
}

/// An array field that must hold exactly one element.
fn the_only<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, TlogError> {
    let field = path.join(".");
    let arr = get(v, path)?
        .as_array()
        .ok_or_else(|| malformed(format!("{field} is not an array")))?;
    match arr.as_slice() {
        [one] => Ok(one),
        other => Err(mismatch(
            &field,
            "exactly 1 signature",
            format!("{} signatures", other.len()),
        )),
    }
}

fn content_name(content: &Content) -> &'static str {
    match content {
        Content::MessageSignature(_) => "message signature",
        Content::Dsse(_) => "DSSE envelope",
    }
}

/// Verifies that the entry body describes exactly this bundle content and verifier.
pub(super) fn check_body(
    entry: &TlogEntry,
    kind: EntryKind,
    content: &Content,
    verifier: &LogVerifier<'_>,
) -> Result<(), TlogError> {
    let raw = &entry.canonicalized_body;
    if raw.len() > MAX_TLOG_BODY_BYTES {
        return Err(TlogError::BodyTooLarge {
            len: raw.len(),
            max: MAX_TLOG_BODY_BYTES,
        });
    }
    let body: Value =
        serde_json::from_slice(raw).map_err(|e| malformed(format!("not JSON: {e}")))?;
    // rekor pkg/types/entries.go: every body is {"apiVersion","kind","spec"}.
    let (want_kind, want_version) = kind.names();
    let found_kind = get_str(&body, &["kind"])?;
    if found_kind != want_kind {
        return Err(mismatch("kind", want_kind, short_str(found_kind)));
    }
    let found_version = get_str(&body, &["apiVersion"])?;
    if found_version != want_version {
        return Err(mismatch(
            "apiVersion",
            want_version,
            short_str(found_version),
        ));
    }
    let kind_mismatch = || TlogError::EntryKindMismatch {
        kind: format!("{want_kind} {want_version}"),
        content: content_name(content),
    };
    match (kind, content) {
        (EntryKind::HashedRekordV001, Content::MessageSignature(ms)) => {
            hashedrekord_v001(&body, ms, verifier)
        }
        (EntryKind::DsseV001, Content::Dsse(env)) => dsse_v001(&body, env, verifier),
        (EntryKind::IntotoV002, Content::Dsse(env)) => intoto_v002(&body, env, verifier),
        (EntryKind::HashedRekordV002, _) => hashedrekord_v002(raw, &body, content, verifier),
        _ => Err(kind_mismatch()),
    }
}

/// rekor `pkg/types/hashedrekord/v0.0.1`; sigstore-go `pkg/verify/tlog.go`: signature,
/// key/certificate and digest must equal the bundle's.
fn hashedrekord_v001(
    body: &Value,
    ms: &MessageSignature,
    verifier: &LogVerifier<'_>,
) -> Result<(), TlogError> {
    let sig = get_b64(body, &["spec", "signature", "content"])?;
    check_sig("spec.signature.content", &sig, &ms.signature)?;
    let pem = get_b64(body, &["spec", "signature", "publicKey", "content"])?;
    check_pem_field("spec.signature.publicKey.content", &pem, verifier)?;
    let md = ms
        .message_digest
        .as_ref()
        .ok_or(TlogError::MessageDigestMissing)?;
    let alg = get_str(body, &["spec", "data", "hash", "algorithm"])?;
    if alg != md.algorithm.name() {
        return Err(mismatch(
            "spec.data.hash.algorithm",
            md.algorithm.name(),
            short_str(alg),
        ));
    }
    let value = get_str(body, &["spec", "data", "hash", "value"])?;
    let digest = hex_decode_lower(value)
        .ok_or_else(|| malformed("spec.data.hash.value is not lowercase hex"))?;
    if digest != md.digest {
        return Err(mismatch(
            "spec.data.hash.value",
            hex_encode(&md.digest),
            short_str(value),
        ));
    }
    Ok(())
}

/// rekor `pkg/types/dsse/v0.0.1`: payloadHash and the one signature with its verifier.
/// `envelopeHash` covers the envelope JSON as submitted and is not reproducible.
fn dsse_v001(
    body: &Value,
    env: &DsseEnvelope,
    verifier: &LogVerifier<'_>,
) -> Result<(), TlogError> {
    check_sha256_hash(body, &["spec", "payloadHash"], &env.payload)?;
    let sig = the_only(body, &["spec", "signatures"])?;
    let sig_bytes = get_b64(sig, &["signature"])?;
    check_sig(
        "spec.signatures[0].signature",
        &sig_bytes,
        &env.signature.sig,
    )?;
    let pem = get_b64(sig, &["verifier"])?;
    check_pem_field("spec.signatures[0].verifier", &pem, verifier)
}

/// rekor `pkg/types/intoto/v0.0.2`: payloadHash, payloadType, and the one signature,
/// whose `sig` is base64 of the envelope's base64 signature string (decoded twice).
fn intoto_v002(
    body: &Value,
    env: &DsseEnvelope,
    verifier: &LogVerifier<'_>,
) -> Result<(), TlogError> {
    check_sha256_hash(body, &["spec", "content", "payloadHash"], &env.payload)?;
    let pt = get_str(body, &["spec", "content", "envelope", "payloadType"])?;
    if pt != env.payload_type {
        return Err(mismatch(
            "spec.content.envelope.payloadType",
            short_str(&env.payload_type),
            short_str(pt),
        ));
    }
    let sig = the_only(body, &["spec", "content", "envelope", "signatures"])?;
    let once = get_b64(sig, &["sig"])?;
    let inner = core::str::from_utf8(&once)
        .ok()
        .and_then(|s| base64_decode(s).ok())
        .ok_or_else(|| {
            malformed("spec.content.envelope.signatures[0].sig is not base64 of a base64 signature")
        })?;
    check_sig(
        "spec.content.envelope.signatures[0].sig",
        &inner,
        &env.signature.sig,
    )?;
    let pem = get_b64(sig, &["publicKey"])?;
    check_pem_field(
        "spec.content.envelope.signatures[0].publicKey",
        &pem,
        verifier,
    )
}

/// `protobuf-specs` `HashAlgorithm` enum names.
fn hash_enum_name(h: HashAlgorithm) -> &'static str {
    match h {
        HashAlgorithm::Sha256 => "SHA2_256",
        HashAlgorithm::Sha384 => "SHA2_384",
        HashAlgorithm::Sha512 => "SHA2_512",
    }
}

/// The verifier's public key: the certificate's SubjectPublicKeyInfo, or the key itself.
fn verifier_key(verifier: &LogVerifier<'_>) -> Result<PublicKey, TlogError> {
    let bad = |detail: String| TlogError::VerifierMalformed { detail };
    match verifier {
        LogVerifier::Certificate(der) => {
            use der::{Decode as _, Encode as _};
            let cert = x509_cert::Certificate::from_der(der)
                .map_err(|e| bad(format!("certificate: {e}")))?;
            let spki = cert
                .tbs_certificate
                .subject_public_key_info
                .to_der()
                .map_err(|e| bad(format!("certificate key: {e}")))?;
            PublicKey::from_spki_der(&spki).map_err(|e| bad(e.to_string()))
        }
        LogVerifier::PublicKey(der) => {
            PublicKey::from_spki_der(der).map_err(|e| bad(e.to_string()))
        }
    }
}

/// rekor-tiles `pkg/types/hashedrekord` (sigstore-go `reconstructV2EntryHash`): rebuild
/// the entry from the bundle, require the body to be exactly its RFC 8785 form, and
/// name the first differing field otherwise.
fn hashedrekord_v002(
    raw: &[u8],
    body: &Value,
    content: &Content,
    verifier: &LogVerifier<'_>,
) -> Result<(), TlogError> {
    let key = verifier_key(verifier)?;
    let (algorithm, digest, signature) = match content {
        Content::MessageSignature(ms) => {
            let md = ms
                .message_digest
                .as_ref()
                .ok_or(TlogError::MessageDigestMissing)?;
            (md.algorithm, md.digest.clone(), &ms.signature)
        }
        // sigstore-go `pkg/sign/transparency.go`: for DSSE over v2, data.digest = H(PAE(payloadType, payload)) and
        // content = the DSSE signature; H is the key's signing hash (SHA-256 for P-256).
        Content::Dsse(env) => {
            let h = key.algorithm().default_hash();
            (
                h,
                h.digest(&pae(&env.payload_type, &env.payload)),
                &env.signature.sig,
            )
        }
    };
    let verifier_json = match verifier {
        LogVerifier::Certificate(der) => json!({
            "keyDetails": key.algorithm().key_details(),
            "x509Certificate": {"rawBytes": base64_encode(der)},
        }),
        LogVerifier::PublicKey(der) => json!({
            "keyDetails": key.algorithm().key_details(),
            "publicKey": {"rawBytes": base64_encode(der)},
        }),
    };
    let expected = json!({
        "apiVersion": "0.0.2",
        "kind": "hashedrekord",
        "spec": {"hashedRekordV002": {
            "data": {"algorithm": hash_enum_name(algorithm), "digest": base64_encode(&digest)},
            "signature": {"content": base64_encode(signature), "verifier": verifier_json},
        }},
    });
    let mut path = String::new();
    if let Some(err) = first_difference(&expected, body, &mut path) {
        return Err(err);
    }
    if jcs(&expected)? != raw {
        return Err(mismatch(
            "canonicalizedBody",
            "its RFC 8785 canonical form",
            "the same fields serialized differently",
        ));
    }
    Ok(())
}

/// The first place where `found` differs from `expected`, as a `BodyMismatch`.
fn first_difference(expected: &Value, found: &Value, path: &mut String) -> Option<TlogError> {
    match (expected, found) {
        (Value::Object(e), Value::Object(f)) => {
            for (k, ev) in e {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let diff = match f.get(k) {
                    Some(fv) => first_difference(ev, fv, path),
                    None => Some(mismatch(path, short_value(ev), "absent")),
                };
                path.truncate(len);
                if diff.is_some() {
                    return diff;
                }
            }
            f.iter().find(|(k, _)| !e.contains_key(*k)).map(|(k, fv)| {
                let field = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                mismatch(&short_str(&field), "absent", short_value(fv))
            })
        }
        (e, f) if e == f => None,
        (e, f) => Some(mismatch(
            if path.is_empty() { "body" } else { path },
            short_value(e),
            short_value(f),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_dsse_spec_example() {
        // DSSE protocol.md example: PAE("http://example.com/HelloWorld", "hello world").
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn first_difference_names_the_field() {
        let e = json!({"a": {"b": "x", "c": 1}});
        let mut p = String::new();
        assert!(first_difference(&e, &e.clone(), &mut p).is_none());
        let f = json!({"a": {"b": "y", "c": 1}});
        match first_difference(&e, &f, &mut p) {
            Some(TlogError::BodyMismatch {
                field,
                expected,
                found,
            }) => {
                assert_eq!(
                    (field.as_str(), expected.as_str(), found.as_str()),
                    ("a.b", "x", "y")
                );
            }
            other => panic!("{other:?}"),
        }
        let f = json!({"a": {"b": "x", "c": 1, "d": true}});
        match first_difference(&e, &f, &mut p) {
            Some(TlogError::BodyMismatch { field, .. }) => assert_eq!(field, "a.d"),
            other => panic!("{other:?}"),
        }
        let f = json!({"a": {"c": 1}});
        match first_difference(&e, &f, &mut p) {
            Some(TlogError::BodyMismatch { field, found, .. }) => {
                assert_eq!((field.as_str(), found.as_str()), ("a.b", "absent"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(
            EntryKind::from_kind_version("hashedrekord", "0.0.2")
                .unwrap()
                .rekor_version(),
            2
        );
        for (k, v) in [
            ("hashedrekord", "0.0.1"),
            ("dsse", "0.0.1"),
            ("intoto", "0.0.2"),
        ] {
            assert_eq!(
                EntryKind::from_kind_version(k, v).unwrap().rekor_version(),
                1
            );
        }
        for (k, v) in [
            ("rekord", "0.0.1"),
            ("intoto", "0.0.1"),
            ("dsse", "0.0.2"),
            ("", ""),
        ] {
            assert_eq!(
                EntryKind::from_kind_version(k, v).unwrap_err().code(),
                "tlog.unsupported-kind"
            );
        }
    }
}
