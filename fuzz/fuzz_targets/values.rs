#![no_main]
//! values.yaml (rulePacks section) parsing.
use libfuzzer_sys::fuzz_target;
use rulepack_verify::config::RulePacks;

fuzz_target!(|data: &[u8]| {
    let _ = RulePacks::from_yaml(data, std::path::Path::new("/"));
});
