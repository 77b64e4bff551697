#![no_main]
//! Structure-aware fuzzing of the whole `verify::verify`: the input is always bundle JSON
//! derived from the real cosign v3 bundle (`testdata/real/bundle_v03.json`), and each
//! mutation changes ONE field of the parsed JSON:
//!
//! - a base64 value: decode, flip/insert/delete/truncate bytes, re-encode (when the decoded
//!   bytes are themselves JSON, such as the DSSE payload or a Rekor body, sometimes mutate
//!   one field of that inner JSON instead);
//! - a hex value: flip one digit;
//! - an integer (JSON number or proto3 int64 string): a boundary or nearby value;
//! - another string: replace it with a dictionary word, truncate it, or append to it;
//! - an object: drop a key, or duplicate a key (emitted twice in the text);
//! - an array: swap, drop or duplicate elements;
//!
//! so inputs pass JSON parsing and reach the signature, SET, inclusion proof, checkpoint,
//! SCT, timestamp and chain checks. Verification uses the embedded public-good root, the
//! bundle's real digest and signer identity and `now` = 1795651200. One input in 16 is
//! also byte-mutated by libFuzzer.
#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};
use rulepack_verify::bundle::Bundle;
use rulepack_verify::encoding::{base64_decode_strict, base64_encode};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = Bundle::from_json(data) {
        let _ = common::verifier().verify(&b, common::digest(), common::policy(), common::NOW);
    }
});

/// xorshift64*: deterministic in libFuzzer's seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u32) -> Self {
        Rng(u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// A step on the path to a node.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every node's path (the root included).
fn paths(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                here.push(Step::Key(k.clone()));
                paths(c, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                here.push(Step::Index(i));
                paths(c, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, s| match s {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

const WORDS: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "0.0.1",
    "0.0.2",
    "dsse",
    "intoto",
    "hashedrekord",
    "sha256",
    "SHA2_256",
    "SHA2_384",
    "SHA2_512",
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/vnd.in-toto+json",
    "https://in-toto.io/Statement/v1",
    "https://in-toto.io/Statement/v0.1",
    "https://sigstore.dev/cosign/sign/v1",
    "rekor.sigstore.dev - 1193050959916656506",
    "AAAA",
    "AA==",
    "9223372036854775807",
    "18446744073709551615",
    "9007199254740993",
];

const INTS: &[i128] = &[
    0,
    1,
    -1,
    2,
    127,
    128,
    255,
    256,
    65535,
    65536,
    i32::MAX as i128,
    u32::MAX as i128,
    (1 << 53) - 1,
    1 << 53,
    i64::MAX as i128,
    i64::MIN as i128,
    u64::MAX as i128,
    u64::MAX as i128 + 1,
];

fn mutate_int(n: i128, rng: &mut Rng) -> i128 {
    match rng.below(4) {
        0 => INTS[rng.below(INTS.len())],
        1 => n.wrapping_add(1),
        2 => n.wrapping_sub(1),
        _ => n.wrapping_add((rng.below(2001) as i128) - 1000),
    }
}

fn mutate_bytes(b: &mut Vec<u8>, rng: &mut Rng) {
    match rng.below(6) {
        0 | 1 | 2 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] ^= 1u8 << rng.below(8);
        }
        3 if !b.is_empty() => {
            b.truncate(rng.below(b.len()));
        }
        4 if !b.is_empty() => {
            b.remove(rng.below(b.len()));
        }
        _ => {
            let i = rng.below(b.len() + 1);
            b.insert(i, rng.next() as u8);
        }
    }
}

/// A looks-like-base64 value: long enough, and strict base64.
fn as_base64(s: &str) -> Option<Vec<u8>> {
    if s.len() < 8 || s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    base64_decode_strict(s).ok()
}

fn is_hex(s: &str) -> bool {
    s.len() >= 16 && s.len() % 2 == 0 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// Mutates one node of `v` (the whole tree is walked only to choose it). Returns a key to
/// emit twice when the mutation is "duplicate a key".
fn mutate_value(v: &mut Value, rng: &mut Rng, depth: u32) -> Option<(Vec<Step>, String)> {
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), &mut all);
    let path = all.swap_remove(rng.below(all.len()));
    let node = node_mut(v, &path)?;
    match node {
        Value::String(s) => {
            if let Some(mut bytes) = as_base64(s) {
                // Inner JSON (DSSE payload, Rekor body): sometimes mutate structurally.
                if depth == 0 && rng.below(3) == 0 {
                    if let Ok(mut inner) = serde_json::from_slice::<Value>(&bytes) {
                        let dup = mutate_value(&mut inner, rng, 1);
                        let mut text = String::new();
                        write_json(&inner, &mut Vec::new(), dup.as_ref(), &mut text);
                        *s = base64_encode(text.as_bytes());
                        return None;
                    }
                }
                mutate_bytes(&mut bytes, rng);
                *s = base64_encode(&bytes);
            } else if let Ok(n) = s.parse::<i128>() {
                *s = mutate_int(n, rng).to_string();
            } else if is_hex(s) {
                let i = rng.below(s.len());
                let mut b = s.clone().into_bytes();
                b[i] = b"0123456789abcdef"[(usize::from(b[i]) + 1 + rng.below(15)) % 16];
                *s = String::from_utf8(b).unwrap_or_default();
            } else {
                match rng.below(3) {
                    0 => *s = WORDS[rng.below(WORDS.len())].to_string(),
                    1 => {
                        let mut cut = rng.below(s.len() + 1);
                        while !s.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        s.truncate(cut);
                    }
                    _ => s.push_str(WORDS[rng.below(WORDS.len())]),
                }
            }
        }
        Value::Number(n) => {
            let cur = n
                .as_i64()
                .map(i128::from)
                .or(n.as_u64().map(i128::from))
                .unwrap_or(0);
            let new = mutate_int(cur, rng);
            *node = serde_json::from_str(&new.to_string()).unwrap_or(Value::Null);
        }
        Value::Object(m) if !m.is_empty() => {
            let key = m
                .keys()
                .nth(rng.below(m.len()))
                .cloned()
                .unwrap_or_default();
            if rng.below(2) == 0 {
                m.remove(&key);
            } else {
                return Some((path, key));
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let i = rng.below(a.len());
            match rng.below(3) {
                0 => {
                    let j = rng.below(a.len());
                    a.swap(i, j);
                }
                1 => {
                    a.remove(i);
                }
                _ => {
                    let c = a[i].clone();
                    a.insert(i, c);
                }
            }
        }
        Value::Bool(b) => *b = !*b,
        _ => *node = Value::String(WORDS[rng.below(WORDS.len())].to_string()),
    }
    None
}

/// Compact JSON, emitting `dup.1` twice in the object at `dup.0`.
fn write_json(
    v: &Value,
    here: &mut Vec<Step>,
    dup: Option<&(Vec<Step>, String)>,
    out: &mut String,
) {
    match v {
        Value::Object(m) => {
            let dup_key = dup
                .filter(|(p, _)| same_path(p, here))
                .map(|(_, k)| k.as_str());
            out.push('{');
            let mut first = true;
            for (k, c) in m {
                let times = if Some(k.as_str()) == dup_key { 2 } else { 1 };
                for _ in 0..times {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                    here.push(Step::Key(k.clone()));
                    write_json(c, here, dup, out);
                    here.pop();
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, c) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                here.push(Step::Index(i));
                write_json(c, here, dup, out);
                here.pop();
            }
            out.push(']');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap_or_default()),
    }
}

fn same_path(a: &[Step], b: &[Step]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Step::Key(x), Step::Key(y)) => x == y,
            (Step::Index(x), Step::Index(y)) => x == y,
            _ => false,
        })
}

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    let mut rng = Rng::new(seed);
    if rng.below(16) == 0 {
        return fuzzer_mutate(data, size, max_size);
    }
    // Inputs that no longer parse as JSON restart from the real bundle.
    let mut v: Value = data
        .get(..size)
        .and_then(|d| serde_json::from_slice(d).ok())
        .unwrap_or_else(|| serde_json::from_slice(common::BUNDLE_V03).expect("base bundle"));
    let dup = mutate_value(&mut v, &mut rng, 0);
    let mut text = String::new();
    write_json(&v, &mut Vec::new(), dup.as_ref(), &mut text);
    if text.len() > max_size {
        return fuzzer_mutate(data, size, max_size);
    }
    data[..text.len()].copy_from_slice(text.as_bytes());
    text.len()
});
