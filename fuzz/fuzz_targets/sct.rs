#![no_main]
//! RFC 6962 §3.3 SignedCertificateTimestampList parser (parse only: verification needs a
//! verified chain and is reached through the `certificate` and `verify*` targets).
use libfuzzer_sys::fuzz_target;
use rulepack_verify::x509::fuzz_parse_sct_list;

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = fuzz_parse_sct_list(data) {
        assert!(n >= 1, "RFC 6962 §3.3: a list holds at least one SCT");
    }
});
