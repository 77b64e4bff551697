//! Byte encodings shared by the parsers: base64 as proto3 JSON writes it, hex, and PEM.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(true)
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(false);
const STD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Standard base64 with padding, as proto3 JSON writes `bytes`.
pub fn base64_encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Decodes proto3-JSON `bytes`: standard or URL-safe alphabet, padded or not
/// (protobuf.dev proto3 JSON mapping: "Either standard or URL-safe base64 encoding
/// with/without paddings are accepted"). Mixed alphabets are rejected.
pub fn base64_decode(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    if s.bytes().any(|c| c == b'-' || c == b'_') {
        URL_LENIENT.decode(s)
    } else {
        STD_LENIENT.decode(s)
    }
}

/// Strict standard base64 with canonical padding (C2SP signed notes, PEM bodies).
pub fn base64_decode_strict(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    base64::engine::general_purpose::STANDARD.decode(s)
}

/// Lowercase hex.
pub fn hex_encode(data: &[u8]) -> String {
    use core::fmt::Write as _;
    let mut s = String::with_capacity(data.len().saturating_mul(2));
    for b in data {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Decodes hex (either case). Odd length or a non-hex character is an error.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    fn nib(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|p| match p {
            [h, l] => Some(nib(*h)? << 4 | nib(*l)?),
            _ => None,
        })
        .collect()
}

/// Decodes lowercase hex only (digests in `sha256:<hex>` and Rekor bodies).
pub fn hex_decode_lower(s: &str) -> Option<Vec<u8>> {
    if s.bytes().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    hex_decode(s)
}

/// Why a PEM document could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PemError {
    /// No `-----BEGIN <label>-----` line was found.
    NoBlock(&'static str),
    /// A block was opened and never closed, or the label of the END line differs.
    Unterminated,
    /// The body is not base64.
    BadBase64,
    /// More blocks than allowed, or more than one where exactly one was expected.
    TooMany,
}

impl core::fmt::Display for PemError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoBlock(l) => write!(f, "no PEM block labelled {l}"),
            Self::Unterminated => f.write_str("PEM block is not terminated"),
            Self::BadBase64 => f.write_str("PEM body is not valid base64"),
            Self::TooMany => f.write_str("too many PEM blocks"),
        }
    }
}

/// Decodes every PEM block labelled `label` (RFC 7468), in order, at most `max` of them.
/// Text outside blocks is ignored, as RFC 7468 §2 allows.
pub fn pem_decode_all(
    text: &str,
    label: &'static str,
    max: usize,
) -> Result<Vec<Vec<u8>>, PemError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        match &mut body {
            None if line == begin => body = Some(String::new()),
            None => {}
            Some(b) if line == end => {
                if out.len() >= max {
                    return Err(PemError::TooMany);
                }
                out.push(base64_decode_strict(b).map_err(|_| PemError::BadBase64)?);
                body = None;
            }
            Some(_) if line.starts_with("-----") => return Err(PemError::Unterminated),
            Some(b) => b.push_str(line),
        }
    }
    if body.is_some() {
        return Err(PemError::Unterminated);
    }
    if out.is_empty() {
        return Err(PemError::NoBlock(label));
    }
    Ok(out)
}

/// Decodes exactly one PEM block labelled `label`.
pub fn pem_decode_one(text: &str, label: &'static str) -> Result<Vec<u8>, PemError> {
    let mut all = pem_decode_all(text, label, 2)?;
    if all.len() != 1 {
        return Err(PemError::TooMany);
    }
    all.pop().ok_or(PemError::NoBlock(label))
}

/// Encodes DER as PEM with 64-character lines and a trailing newline (RFC 7468 §2),
/// the form Rekor stores certificates and keys in.
#[cfg(any(test, feature = "unstable-internals"))]
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64_encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    let mut rest = b64.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        s.push_str(line);
        s.push('\n');
        rest = tail;
    }
    s.push_str(&format!("-----END {label}-----\n"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_accepts_proto3_forms() {
        for s in ["+/8=", "+/8", "-_8=", "-_8"] {
            assert_eq!(base64_decode(s).unwrap(), vec![0xfb, 0xff], "{s}");
        }
        assert!(base64_decode("+_8=").is_err());
        assert!(base64_decode("not base64!").is_err());
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex_encode(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(hex_decode("00ABff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(hex_decode_lower("00ABff"), None);
        assert_eq!(hex_decode("0"), None);
        assert_eq!(hex_decode("zz"), None);
    }

    #[test]
    fn pem_round_trip() {
        let der: Vec<u8> = (0..=200).collect();
        let pem = pem_encode("CERTIFICATE", &der);
        assert_eq!(pem_decode_one(&pem, "CERTIFICATE").unwrap(), der);
        let two = format!("junk\n{pem}{pem}");
        assert_eq!(pem_decode_all(&two, "CERTIFICATE", 5).unwrap().len(), 2);
        assert_eq!(pem_decode_one(&two, "CERTIFICATE"), Err(PemError::TooMany));
        assert!(pem_decode_one(&pem[..pem.len() - 10], "CERTIFICATE").is_err());
        assert!(pem_decode_one(&pem, "PUBLIC KEY").is_err());
    }
}
