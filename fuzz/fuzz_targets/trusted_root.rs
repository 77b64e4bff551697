#![no_main]
//! trusted_root.json parser.
use libfuzzer_sys::fuzz_target;
use rulepack_verify::trust_root::TrustedRoot;

fuzz_target!(|data: &[u8]| {
    let _ = TrustedRoot::from_json(data);
});
