#![no_main]
//! TUF metadata (root / timestamp / snapshot / targets) parsing, and a root's count of
//! valid self-signatures.
use libfuzzer_sys::fuzz_target;
use rulepack_verify::tuf::fuzz_parse_metadata;

fuzz_target!(|data: &[u8]| {
    // `_type` selects at most one role.
    assert!(fuzz_parse_metadata(data) <= 1);
});
