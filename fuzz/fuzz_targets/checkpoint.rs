#![no_main]
//! C2SP signed-note checkpoint parsing and verification against the public-good logs.
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rulepack_verify::rekor::verify_checkpoint;
use rulepack_verify::trust_root::TrustedRoot;

fn root() -> &'static TrustedRoot {
    static ROOT: OnceLock<TrustedRoot> = OnceLock::new();
    ROOT.get_or_init(|| TrustedRoot::embedded_public_good().expect("embedded root parses"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for log in &root().tlogs {
            let _ = verify_checkpoint(text, log);
        }
    }
});
