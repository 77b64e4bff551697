#![no_main]
//! values.yaml (`rulePacks` section) parsing: `config::RulePacks::from_yaml` (no I/O:
//! paths are only resolved against the base directory).
use libfuzzer_sys::fuzz_target;
use rulepack_verify::config::RulePacks;

fuzz_target!(|data: &[u8]| {
    let _ = RulePacks::from_yaml(data, std::path::Path::new("/base"));
});
