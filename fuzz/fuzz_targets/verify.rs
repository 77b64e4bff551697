#![no_main]
//! The whole `verify::verify` on the input as bundle JSON, against the embedded
//! public-good trusted root, the digest and signer of `testdata/real/bundle_v03.json`, at
//! a fixed time.
#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use rulepack_verify::bundle::Bundle;
use rulepack_verify::verify::verify;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = Bundle::from_json(data) {
        let _ = verify(
            &b,
            common::digest(),
            common::root(),
            common::policy(),
            common::NOW,
        );
    }
});
