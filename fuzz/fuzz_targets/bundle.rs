#![no_main]
//! Bundle JSON parser: any bytes, never a panic.
use libfuzzer_sys::fuzz_target;
use rulepack_verify::bundle::Bundle;

fuzz_target!(|data: &[u8]| {
    let _ = Bundle::from_json(data);
});
