#![no_main]
//! RFC 3161 TimeStampResp / TimeStampToken: `parse_timestamp`, and `verify_timestamp`
//! over the signature bytes of the repository's real and generated bundles against the
//! matching TSAs (public-good for the real bundles, the offline example's for its own), so
//! a mutated real token gets past the message-imprint check into the CMS signature and
//! the TSA chain.
#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use rulepack_verify::timestamp::{parse_timestamp, verify_timestamp};

fuzz_target!(|data: &[u8]| {
    let _ = parse_timestamp(data);
    for (signed, authorities) in common::timestamp_subjects() {
        let _ = verify_timestamp(data, signed, authorities);
    }
});
