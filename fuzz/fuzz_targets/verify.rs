#![no_main]
//! The whole `Verifier::verify` on the input as bundle JSON, against the embedded
//! public-good trusted root, the digest and signer of `testdata/real/bundle_v03.json`, at
//! a fixed time.
#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use rulepack_verify::bundle::Bundle;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = Bundle::from_json(data) {
        let _ = common::verifier().verify(&b, common::digest(), common::policy(), common::NOW);
    }
});
