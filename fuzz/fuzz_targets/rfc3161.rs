#![no_main]
//! RFC 3161 TimeStampResp / TimeStampToken parsing.
use libfuzzer_sys::fuzz_target;
use rulepack_verify::timestamp::parse_timestamp;

fuzz_target!(|data: &[u8]| {
    let _ = parse_timestamp(data);
});
