//! OLPC canonical JSON, as securesystemslib writes it (`securesystemslib/formats.py`
//! `encode_canonical`), the form every TUF signature covers.
//!
//! - object keys sorted by code point (Rust `String` order), no whitespace;
//! - strings: only `\` and `"` are escaped; newlines and other control characters are
//!   emitted raw (NOT `serde_json::to_vec`, which escapes `\n` and breaks every root
//!   signature carrying a PEM key);
//! - numbers: integers only.

use serde_json::Value;

use crate::limits::MAX_JSON_DEPTH;

/// Why a value has no canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CanonicalError {
    /// A number that is not an integer (OLPC canonical JSON has no floats).
    NonInteger,
    /// Nesting deeper than [`MAX_JSON_DEPTH`].
    TooDeep,
}

impl core::fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NonInteger => f.write_str("canonical JSON allows only integer numbers"),
            Self::TooDeep => write!(f, "JSON nested deeper than {MAX_JSON_DEPTH} levels"),
        }
    }
}

/// The canonical bytes of `value`.
pub(crate) fn canonicalize(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    write_value(value, &mut out, 0)?;
    Ok(out)
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // securesystemslib: `'"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'`
    out.push(b'"');
    for b in s.bytes() {
        if b == b'\\' || b == b'"' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn write_value(value: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), CanonicalError> {
    if depth > MAX_JSON_DEPTH {
        return Err(CanonicalError::TooDeep);
    }
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(CanonicalError::NonInteger);
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out, depth + 1)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sort explicitly: serde_json's map order depends on crate features
            // (`preserve_order`) that another dependency could switch on.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(v, out, depth + 1)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_keys_keeps_newlines_raw_and_escapes_only_quote_and_backslash() {
        let v: Value =
            serde_json::from_str(r#"{ "b": [1, -2, true, null], "a": "x\ny\t\"q\" \\ é" }"#)
                .unwrap();
        let c = canonicalize(&v).unwrap();
        assert_eq!(
            c,
            "{\"a\":\"x\ny\t\\\"q\\\" \\\\ é\",\"b\":[1,-2,true,null]}".as_bytes()
        );
    }

    #[test]
    fn rejects_floats_and_deep_nesting() {
        let v: Value = serde_json::from_str(r#"{"a": 1.5}"#).unwrap();
        assert_eq!(canonicalize(&v), Err(CanonicalError::NonInteger));
        let deep = "[".repeat(MAX_JSON_DEPTH + 2) + &"]".repeat(MAX_JSON_DEPTH + 2);
        let v: Value = serde_json::from_str(&deep).unwrap();
        assert_eq!(canonicalize(&v), Err(CanonicalError::TooDeep));
    }

    #[test]
    fn root_v16_canonical_form_matches_securesystemslib() {
        // TUF.md §2: canonical `signed` of root v16 is 3722 bytes, sha256 cab3eaf1…9a64
        // (computed independently with securesystemslib's algorithm).
        let doc: Value = serde_json::from_slice(super::super::EMBEDDED_SIGSTORE_ROOT).unwrap();
        let c = canonicalize(&doc["signed"]).unwrap();
        assert_eq!(c.len(), 3722);
        assert_eq!(
            crate::encoding::hex_encode(&crate::crypto::sha256(&c)),
            "cab3eaf1fe33bbae925e1ee1afbec52dce58b290a035858074e7a9a998ae9a64"
        );
    }
}
