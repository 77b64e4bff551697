#![no_main]
//! DSSE PAE: decoding the encoding gives back (type, payload).
use libfuzzer_sys::fuzz_target;
use rulepack_verify::bundle::pae;

/// Inverse of PAE: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body.
fn decode(b: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let rest = b.strip_prefix(b"DSSEv1 ")?;
    let (tlen, rest) = split_len(rest)?;
    let (t, rest) = (rest.get(..tlen)?, rest.get(tlen..)?);
    let rest = rest.strip_prefix(b" ")?;
    let (plen, rest) = split_len(rest)?;
    (rest.len() == plen).then(|| (t.to_vec(), rest.to_vec()))
}

fn split_len(b: &[u8]) -> Option<(usize, &[u8])> {
    let sp = b.iter().position(|&c| c == b' ')?;
    let digits = std::str::from_utf8(b.get(..sp)?).ok()?;
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    Some((digits.parse().ok()?, b.get(sp + 1..)?))
}

fuzz_target!(|data: &[u8]| {
    let split = data
        .first()
        .map_or(0, |&n| usize::from(n))
        .min(data.len().saturating_sub(1));
    let (t, p) = data
        .get(1..)
        .unwrap_or_default()
        .split_at(split.min(data.len().saturating_sub(1)));
    if let Ok(t) = std::str::from_utf8(t) {
        let enc = pae(t, p);
        assert_eq!(decode(&enc), Some((t.as_bytes().to_vec(), p.to_vec())));
    }
});
