//! RFC 8785 JSON Canonicalization Scheme, restricted to what Rekor bodies and SETs use.

use serde_json::Value;

use super::TlogError;
use crate::limits::MAX_JSON_DEPTH;

/// Largest integer RFC 8785 can represent exactly: numbers are IEEE-754 doubles
/// (RFC 8785 §3.2.2.3), so integers beyond 2^53 - 1 would be rounded.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// RFC 8785 (JCS) canonical JSON of a value.
///
/// Numbers: only integers with magnitude up to 2^53 - 1 are accepted (their ES6
/// serialization is the plain decimal form); anything else is an error rather than a
/// guess. Strings are escaped per RFC 8785 §3.2.2.2 and object keys are sorted by their
/// UTF-16 code units (§3.2.3). Nesting is bounded by [`MAX_JSON_DEPTH`].
pub fn jcs(value: &Value) -> Result<Vec<u8>, TlogError> {
    let mut out = Vec::new();
    write_value(value, 0, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, depth: usize, out: &mut Vec<u8>) -> Result<(), TlogError> {
    if depth > MAX_JSON_DEPTH {
        return Err(TlogError::JcsTooDeep {
            max: MAX_JSON_DEPTH,
        });
    }
    match value {
        // RFC 8785 §3.2.2.1: literals are serialized as-is.
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        // RFC 8785 §3.2.1: array element order is preserved.
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, depth.saturating_add(1), out)?;
            }
            out.push(b']');
        }
        // RFC 8785 §3.2.3: properties sorted by the UTF-16 code units of their names.
        Value::Object(map) => {
            let mut entries: Vec<(Vec<u16>, &String, &Value)> = map
                .iter()
                .map(|(k, v)| (k.encode_utf16().collect(), k, v))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            out.push(b'{');
            for (i, (_, k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(v, depth.saturating_add(1), out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// RFC 8785 §3.2.2.3: numbers use the ES6 `Number.prototype.toString` form, which for
/// safe integers is the plain decimal representation.
fn write_number(n: &serde_json::Number, out: &mut Vec<u8>) -> Result<(), TlogError> {
    let unsupported = || TlogError::JcsUnsupportedNumber {
        number: n.to_string(),
    };
    let text = if let Some(u) = n.as_u64() {
        if u > MAX_SAFE_INTEGER {
            return Err(unsupported());
        }
        u.to_string()
    } else if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(unsupported());
        }
        i.to_string()
    } else {
        return Err(unsupported());
    };
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// RFC 8785 §3.2.2.2: `"` and `\` are escaped, the controls U+0008, U+0009, U+000A,
/// U+000C, U+000D use their short escapes, other controls below U+0020 are `\u00xx`
/// with lowercase hex, and everything else is copied as UTF-8.
fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\u{0c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if u32::from(c) < 0x20 => {
                let v = u32::from(c);
                let hi = HEX.get(usize::try_from(v >> 4).unwrap_or(0)).copied();
                let lo = HEX.get(usize::try_from(v & 0xf).unwrap_or(0)).copied();
                out.extend_from_slice(b"\\u00");
                out.push(hi.unwrap_or(b'0'));
                out.push(lo.unwrap_or(b'0'));
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(v: &Value) -> String {
        String::from_utf8(jcs(v).unwrap()).unwrap()
    }

    #[test]
    fn rfc8785_string_escapes() {
        // RFC 8785 §3.2.2.2 example: "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"
        let v: Value =
            serde_json::from_str(r#""\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/""#).unwrap();
        assert_eq!(s(&v), "\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"");
        // Every short escape, DEL and U+2028 stay literal.
        let v = json!("\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}\u{2028}");
        assert_eq!(s(&v), "\"\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}\u{2028}\"");
    }

    #[test]
    fn rfc8785_key_ordering_by_utf16() {
        // RFC 8785 §3.2.3 sorting example (keys only; values are integers here).
        let v: Value = serde_json::from_str(
            r#"{"\u20ac":1,"\r":2,"\ufb33":3,"1":4,"\ud83d\ude00":5,"\u0080":6,"\u00f6":7}"#,
        )
        .unwrap();
        // Expected order from the RFC: \r, 1, \u0080, \u00f6, \u20ac, \ud83d\ude00, \ufb33.
        assert_eq!(
            s(&v),
            "{\"\\r\":2,\"1\":4,\"\u{80}\":6,\"ö\":7,\"€\":1,\"😀\":5,\"\u{fb33}\":3}"
        );
    }

    #[test]
    fn nested_and_literals() {
        let v = json!({"b": [true, false, null, {"z": 1, "a": -2}], "a": "x", "": 0});
        assert_eq!(
            s(&v),
            r#"{"":0,"a":"x","b":[true,false,null,{"a":-2,"z":1}]}"#
        );
    }

    #[test]
    fn rejects_floats_and_unsafe_integers() {
        for v in [json!(1.5), json!(1e300), json!(9_007_199_254_740_992u64)] {
            assert_eq!(
                jcs(&v).unwrap_err().code(),
                "tlog.jcs-unsupported-number",
                "{v}"
            );
        }
        assert_eq!(s(&json!(9_007_199_254_740_991u64)), "9007199254740991");
        assert_eq!(s(&json!(-9_007_199_254_740_991i64)), "-9007199254740991");
    }

    #[test]
    fn rejects_deep_nesting() {
        let mut v = json!(0);
        for _ in 0..=MAX_JSON_DEPTH {
            v = json!([v]);
        }
        assert_eq!(jcs(&v).unwrap_err().code(), "tlog.jcs-too-deep");
    }

    #[test]
    fn set_payload_shape_matches_spec() {
        // rekor `pkg/api/entries.go` `signEntry`: keys body, integratedTime, logID, logIndex;
        // RFC 8785: no whitespace.
        let v = json!({"logIndex": 7, "logID": "ab", "integratedTime": 1, "body": "e30="});
        assert_eq!(
            s(&v),
            r#"{"body":"e30=","integratedTime":1,"logID":"ab","logIndex":7}"#
        );
    }
}
