#![no_main]
//! C2SP signed-note checkpoint parsing and verification against each public-good
//! transparency log (Rekor v1 ECDSA, Rekor v2 Ed25519).
#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use rulepack_verify::rekor::verify_checkpoint;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for log in &common::root().tlogs {
            let _ = verify_checkpoint(text, log);
        }
    }
});
