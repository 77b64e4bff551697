//! A small, strict JSON tree for the proto3-JSON documents this crate reads (bundles and
//! trusted roots), plus typed accessors that name the offending field on error.
//!
//! Why not `serde_json::Value`: it silently keeps the last of duplicate keys, and
//! protobuf's `protojson` rejects duplicates (a document that means two things to two
//! parsers is an attack surface). The tree here rejects duplicate keys, caps nesting at
//! [`crate::limits::MAX_JSON_DEPTH`], and rejects trailing data.
//!
//! proto3 JSON mapping (protobuf.dev/programming-guides/proto3/#json) as implemented:
//! - field names: lowerCamelCase, and the original snake_case name is accepted too; both
//!   spellings of one field in one object is a duplicate;
//! - `null` means "field absent";
//! - `bytes`: standard or URL-safe base64, padded or not ([`crate::encoding::base64_decode`]);
//! - `int64`/`uint64`: decimal string or JSON number;
//! - enums: name or number.

use core::cell::Cell;
use core::fmt;
use std::collections::BTreeMap;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::limits::MAX_JSON_DEPTH;

/// A parsed JSON value. Numbers keep their integer form when they have one.
#[derive(Debug)]
pub(crate) enum Json {
    Null,
    Bool,
    Int(i128),
    Float,
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool => "a boolean",
            Self::Int(_) | Self::Float => "a number",
            Self::Str(_) => "a string",
            Self::Arr(_) => "an array",
            Self::Obj(_) => "an object",
        }
    }
}

/// What went wrong while reading a JSON document; each stage maps it into its own error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not JSON (syntax error, trailing data, invalid UTF-8).
    Syntax { detail: String },
    /// The same key twice in one object (or its camelCase and snake_case spellings).
    DuplicateKey { path: String },
    /// Nesting deeper than [`MAX_JSON_DEPTH`].
    TooDeep { max: usize },
    /// A required field is absent, `null` or empty.
    Missing { path: String },
    /// A field has the wrong JSON type.
    WrongType {
        path: String,
        expected: &'static str,
        found: &'static str,
    },
    /// A `bytes` field is not base64.
    Base64 { path: String },
    /// An integer field is not a (64-bit) integer.
    Integer { path: String, value: String },
    /// An enum field holds a name or number this crate does not know.
    Enum { path: String, value: String },
    /// A decoded field is larger than its limit.
    TooLarge {
        path: String,
        size: usize,
        max: usize,
    },
    /// A list has more elements than its limit.
    TooMany {
        path: String,
        count: usize,
        max: usize,
    },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax { detail } => write!(f, "the document is not valid JSON ({detail})"),
            Self::DuplicateKey { path } => {
                write!(f, "field {path} appears more than once")
            }
            Self::TooDeep { max } => {
                write!(
                    f,
                    "the document nests objects and arrays deeper than {max} levels"
                )
            }
            Self::Missing { path } => write!(f, "required field {path} is missing or empty"),
            Self::WrongType {
                path,
                expected,
                found,
            } => write!(f, "field {path} must be {expected} but is {found}"),
            Self::Base64 { path } => write!(f, "field {path} is not valid base64"),
            Self::Integer { path, value } => {
                write!(f, "field {path} must be a 64-bit integer, found {value:?}")
            }
            Self::Enum { path, value } => {
                write!(f, "field {path} has unknown value {value:?}")
            }
            Self::TooLarge { path, size, max } => write!(
                f,
                "field {path} is {size} bytes, more than the limit of {max} bytes"
            ),
            Self::TooMany { path, count, max } => write!(
                f,
                "list {path} has {count} elements, more than the limit of {max}"
            ),
        }
    }
}

/// Structural failures noticed inside the serde visitor, reported precisely afterwards.
#[derive(Clone, Debug)]
enum Fail {
    Duplicate(String),
    TooDeep,
}

struct Seed<'a> {
    depth: usize,
    fail: &'a Cell<Option<Fail>>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Json;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl Seed<'_> {
    fn child(&self) -> Result<Seed<'_>, Fail> {
        if self.depth >= MAX_JSON_DEPTH {
            return Err(Fail::TooDeep);
        }
        Ok(Seed {
            depth: self.depth.saturating_add(1),
            fail: self.fail,
        })
    }

    fn fail<E: de::Error>(&self, f: Fail) -> E {
        self.fail.set(Some(f));
        E::custom("structural limit")
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, _v: bool) -> Result<Json, E> {
        Ok(Json::Bool)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Int(i128::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Int(i128::from(v)))
    }
    fn visit_f64<E>(self, _v: f64) -> Result<Json, E> {
        Ok(Json::Float)
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let child = self.child().map_err(|f| self.fail(f))?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Seed {
            depth: child.depth,
            fail: child.fail,
        })? {
            out.push(v);
        }
        Ok(Json::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let child = self.child().map_err(|f| self.fail(f))?;
        let mut out = BTreeMap::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(Seed {
                depth: child.depth,
                fail: child.fail,
            })?;
            if out.contains_key(&k) {
                return Err(self.fail(Fail::Duplicate(k)));
            }
            out.insert(k, v);
        }
        Ok(Json::Obj(out))
    }
}

/// Parses a complete JSON document (no trailing data) into a [`Json`] tree.
pub(crate) fn parse(bytes: &[u8]) -> Result<Json, JsonError> {
    let fail = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Seed {
        depth: 0,
        fail: &fail,
    };
    let res = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match (res, fail.take()) {
        (_, Some(Fail::Duplicate(key))) => Err(JsonError::DuplicateKey { path: key }),
        (_, Some(Fail::TooDeep)) => Err(JsonError::TooDeep {
            max: MAX_JSON_DEPTH,
        }),
        (Ok(v), None) => Ok(v),
        (Err(e), None) => Err(JsonError::Syntax {
            detail: e.to_string(),
        }),
    }
}

/// The proto3 original (snake_case) spelling of a lowerCamelCase JSON name.
fn snake_case(camel: &str) -> String {
    let mut s = String::with_capacity(camel.len().saturating_add(4));
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            s.push('_');
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// A JSON object with the path it was found at, for error messages.
#[derive(Clone)]
pub(crate) struct Obj<'a> {
    map: &'a BTreeMap<String, Json>,
    path: String,
}

/// A present field: its value and its full path.
pub(crate) struct Field<'a> {
    pub(crate) value: &'a Json,
    pub(crate) path: String,
}

impl<'a> Obj<'a> {
    /// Views `v` (found at `path`; `""` for the document root) as an object.
    pub(crate) fn new(v: &'a Json, path: &str) -> Result<Self, JsonError> {
        match v {
            Json::Obj(map) => Ok(Self {
                map,
                path: path.to_owned(),
            }),
            other => Err(JsonError::WrongType {
                path: if path.is_empty() {
                    "(document)".to_owned()
                } else {
                    path.to_owned()
                },
                expected: "an object",
                found: other.type_name(),
            }),
        }
    }

    /// The path of this object.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Field `name` (lowerCamelCase) or its snake_case spelling; `null` = absent.
    pub(crate) fn get(&self, name: &str) -> Result<Option<Field<'a>>, JsonError> {
        let snake = snake_case(name);
        let camel_v = self.map.get(name).filter(|v| !matches!(v, Json::Null));
        let snake_v = if snake == name {
            None
        } else {
            self.map.get(&snake).filter(|v| !matches!(v, Json::Null))
        };
        let path = join(&self.path, name);
        match (camel_v, snake_v) {
            (Some(_), Some(_)) => Err(JsonError::DuplicateKey { path }),
            (Some(value), None) | (None, Some(value)) => Ok(Some(Field { value, path })),
            (None, None) => Ok(None),
        }
    }

    /// A required field.
    pub(crate) fn req(&self, name: &str) -> Result<Field<'a>, JsonError> {
        self.get(name)?.ok_or_else(|| JsonError::Missing {
            path: join(&self.path, name),
        })
    }

    /// An optional string field.
    pub(crate) fn opt_str(&self, name: &str) -> Result<Option<&'a str>, JsonError> {
        self.get(name)?.map(|f| f.as_str()).transpose()
    }

    /// A required, non-empty string field (proto3 omits empty strings, so `""` is absent).
    pub(crate) fn req_str(&self, name: &str) -> Result<&'a str, JsonError> {
        match self.opt_str(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(JsonError::Missing {
                path: join(&self.path, name),
            }),
        }
    }

    /// An optional `bytes` field, decoded, at most `max` bytes.
    pub(crate) fn opt_bytes(&self, name: &str, max: usize) -> Result<Option<Vec<u8>>, JsonError> {
        self.get(name)?.map(|f| f.as_bytes(max)).transpose()
    }

    /// A required, non-empty `bytes` field, decoded, at most `max` bytes.
    pub(crate) fn req_bytes(&self, name: &str, max: usize) -> Result<Vec<u8>, JsonError> {
        match self.opt_bytes(name, max)? {
            Some(b) if !b.is_empty() => Ok(b),
            _ => Err(JsonError::Missing {
                path: join(&self.path, name),
            }),
        }
    }

    /// An optional `int64` field.
    #[cfg(test)]
    pub(crate) fn opt_i64(&self, name: &str) -> Result<Option<i64>, JsonError> {
        self.get(name)?.map(|f| f.as_i64()).transpose()
    }

    /// A required `int64` field.
    pub(crate) fn req_i64(&self, name: &str) -> Result<(i64, String), JsonError> {
        let f = self.req(name)?;
        Ok((f.as_i64()?, f.path))
    }

    /// An optional sub-object.
    pub(crate) fn opt_obj(&self, name: &str) -> Result<Option<Obj<'a>>, JsonError> {
        self.get(name)?.map(|f| f.as_obj()).transpose()
    }

    /// A required sub-object.
    pub(crate) fn req_obj(&self, name: &str) -> Result<Obj<'a>, JsonError> {
        self.req(name)?.as_obj()
    }

    /// An optional array field of at most `max` elements (absent = empty).
    pub(crate) fn opt_arr(
        &self,
        name: &str,
        max: usize,
    ) -> Result<(Vec<Field<'a>>, String), JsonError> {
        let path = join(&self.path, name);
        match self.get(name)? {
            None => Ok((Vec::new(), path)),
            Some(f) => Ok((f.as_arr(max)?, path)),
        }
    }
}

impl<'a> Field<'a> {
    fn wrong(&self, expected: &'static str) -> JsonError {
        JsonError::WrongType {
            path: self.path.clone(),
            expected,
            found: self.value.type_name(),
        }
    }

    /// The value as a string.
    pub(crate) fn as_str(&self) -> Result<&'a str, JsonError> {
        match self.value {
            Json::Str(s) => Ok(s),
            _ => Err(self.wrong("a string")),
        }
    }

    /// The value as an object (borrowing this field's path).
    pub(crate) fn as_obj(&self) -> Result<Obj<'a>, JsonError> {
        Obj::new(self.value, &self.path)
    }

    /// The value as an array of at most `max` elements, each with its indexed path.
    /// The count is checked before anything is allocated.
    pub(crate) fn as_arr(&self, max: usize) -> Result<Vec<Field<'a>>, JsonError> {
        match self.value {
            Json::Arr(items) => {
                if items.len() > max {
                    return Err(JsonError::TooMany {
                        path: self.path.clone(),
                        count: items.len(),
                        max,
                    });
                }
                Ok(items
                    .iter()
                    .enumerate()
                    .map(|(i, value)| Field {
                        value,
                        path: format!("{}[{i}]", self.path),
                    })
                    .collect())
            }
            _ => Err(self.wrong("an array")),
        }
    }

    /// The value as proto3 `bytes`, decoded, at most `max` bytes. The encoded length is
    /// checked against `max` before decoding allocates.
    pub(crate) fn as_bytes(&self, max: usize) -> Result<Vec<u8>, JsonError> {
        let s = self.as_str()?;
        // base64 encodes 3 bytes as 4 characters; anything longer than the padded
        // encoding of `max` bytes decodes to more than `max` bytes (or is invalid).
        let max_encoded = max.div_ceil(3).saturating_mul(4);
        if s.len() > max_encoded {
            return Err(JsonError::TooLarge {
                path: self.path.clone(),
                size: s.len() / 4 * 3,
                max,
            });
        }
        let b = crate::encoding::base64_decode(s).map_err(|_| JsonError::Base64 {
            path: self.path.clone(),
        })?;
        if b.len() > max {
            return Err(JsonError::TooLarge {
                path: self.path.clone(),
                size: b.len(),
                max,
            });
        }
        Ok(b)
    }

    /// The value as proto3 `int64`: a JSON integer or a decimal string.
    pub(crate) fn as_i64(&self) -> Result<i64, JsonError> {
        let bad = |value: String| JsonError::Integer {
            path: self.path.clone(),
            value,
        };
        match self.value {
            Json::Int(i) => i64::try_from(*i).map_err(|_| bad(i.to_string())),
            Json::Str(s) => {
                let digits = s.strip_prefix('-').unwrap_or(s);
                if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(bad(s.clone()));
                }
                s.parse::<i64>().map_err(|_| bad(s.clone()))
            }
            Json::Float => Err(bad("a fractional or exponent number".to_owned())),
            _ => Err(self.wrong("an integer")),
        }
    }

    /// The value as a proto3 enum: its name, or its number mapped through `names`
    /// (`(number, name)` pairs). Returns the canonical name.
    pub(crate) fn as_enum(&self, names: &[(i64, &'static str)]) -> Result<&'static str, JsonError> {
        let unknown = |value: String| JsonError::Enum {
            path: self.path.clone(),
            value,
        };
        match self.value {
            Json::Str(s) => names
                .iter()
                .find(|(_, n)| n == s)
                .map(|(_, n)| *n)
                .ok_or_else(|| unknown(s.clone())),
            Json::Int(i) => names
                .iter()
                .find(|(num, _)| i128::from(*num) == *i)
                .map(|(_, n)| *n)
                .ok_or_else(|| unknown(i.to_string())),
            _ => Err(self.wrong("an enum name or number")),
        }
    }
}

/// `HashAlgorithm` (`protobuf-specs` `sigstore_common.proto`), name and number.
pub(crate) const HASH_ALGORITHMS: &[(i64, &str)] = &[
    (0, "HASH_ALGORITHM_UNSPECIFIED"),
    (1, "SHA2_256"),
    (2, "SHA2_384"),
    (3, "SHA2_512"),
    (4, "SHA3_256"),
    (5, "SHA3_384"),
];

/// The SHA-2 hash named by a `HashAlgorithm` enum name, if supported.
pub(crate) fn hash_algorithm(name: &str) -> Option<crate::crypto::HashAlgorithm> {
    use crate::crypto::HashAlgorithm;
    match name {
        "SHA2_256" => Some(HashAlgorithm::Sha256),
        "SHA2_384" => Some(HashAlgorithm::Sha384),
        "SHA2_512" => Some(HashAlgorithm::Sha512),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(s: &str) -> Json {
        parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn rejects_duplicates_depth_and_trailing_data() {
        assert_eq!(
            parse(br#"{"a":1,"b":{"c":1,"c":2}}"#).unwrap_err(),
            JsonError::DuplicateKey { path: "c".into() }
        );
        let deep = "[".repeat(MAX_JSON_DEPTH + 1) + &"]".repeat(MAX_JSON_DEPTH + 1);
        assert_eq!(
            parse(deep.as_bytes()).unwrap_err(),
            JsonError::TooDeep {
                max: MAX_JSON_DEPTH
            }
        );
        let ok = "[".repeat(MAX_JSON_DEPTH) + &"]".repeat(MAX_JSON_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
        assert!(matches!(
            parse(b"{} {}").unwrap_err(),
            JsonError::Syntax { .. }
        ));
        assert!(matches!(
            parse(b"{\"a\":\"\xff\"}").unwrap_err(),
            JsonError::Syntax { .. }
        ));
    }

    #[test]
    fn camel_and_snake_names_and_null() {
        let v = root(r#"{"media_type":"x","logIndex":null,"keyId":"a","key_id":"b"}"#);
        let o = Obj::new(&v, "").unwrap();
        assert_eq!(o.req_str("mediaType").unwrap(), "x");
        assert_eq!(o.opt_i64("logIndex").unwrap(), None);
        assert_eq!(
            o.get("keyId").err().unwrap(),
            JsonError::DuplicateKey {
                path: "keyId".into()
            }
        );
        assert_eq!(snake_case("x509CertificateChain"), "x509_certificate_chain");
        assert_eq!(snake_case("rfc3161Timestamps"), "rfc3161_timestamps");
    }

    #[test]
    fn int64_forms() {
        let v = root(
            r#"{"a":"735","b":735,"c":"-1","d":"1e3","e":1.5,"f":"+1","g":"","h":18446744073709551615}"#,
        );
        let o = Obj::new(&v, "").unwrap();
        assert_eq!(o.opt_i64("a").unwrap(), Some(735));
        assert_eq!(o.opt_i64("b").unwrap(), Some(735));
        assert_eq!(o.opt_i64("c").unwrap(), Some(-1));
        for bad in ["d", "e", "f", "g", "h"] {
            assert!(
                matches!(o.opt_i64(bad), Err(JsonError::Integer { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn bytes_are_bounded_before_decoding() {
        let v = root(r#"{"a":"AAECAw","b":"AAECAw==","c":"!!"}"#);
        let o = Obj::new(&v, "x").unwrap();
        assert_eq!(o.req_bytes("a", 4).unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(o.req_bytes("b", 4).unwrap(), vec![0, 1, 2, 3]);
        assert!(matches!(
            o.req_bytes("b", 3),
            Err(JsonError::TooLarge { .. })
        ));
        assert_eq!(
            o.req_bytes("c", 4).unwrap_err(),
            JsonError::Base64 { path: "x.c".into() }
        );
    }

    #[test]
    fn enums_by_name_or_number() {
        let v = root(r#"{"a":"SHA2_384","b":3,"c":"MD5","d":99}"#);
        let o = Obj::new(&v, "").unwrap();
        let e = |n: &str| o.req(n).unwrap().as_enum(HASH_ALGORITHMS);
        assert_eq!(e("a").unwrap(), "SHA2_384");
        assert_eq!(e("b").unwrap(), "SHA2_512");
        assert!(matches!(e("c"), Err(JsonError::Enum { .. })));
        assert!(matches!(e("d"), Err(JsonError::Enum { .. })));
    }
}
