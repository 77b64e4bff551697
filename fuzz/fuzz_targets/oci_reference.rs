#![no_main]
//! oci:// reference parsing and normalization; a parsed reference re-parses to itself.
use libfuzzer_sys::fuzz_target;
use rulepack_verify::oci::Reference;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(r) = Reference::parse(s) {
            let again = Reference::parse(&r.to_string()).expect("a displayed reference parses");
            assert_eq!(again, r);
            let _ = r.is_first_party();
        }
    }
});
