//! Replays a corpus directory through the `verify` target's configuration (embedded
//! public-good root, the digest and signer of `testdata/real/bundle_v03.json`, fixed
//! `now`) and prints how many inputs ended at each error code: evidence of how deep the
//! fuzzer's inputs get (JSON parse vs. signature, SET, proof, checkpoint, SCT, timestamp).
//!
//!   cargo run --release --example outcomes -- corpus/verify_structured
//!
//! `OUTCOMES_SHOW=<code>` also lists the inputs that ended at `<code>` (`verified` for
//! those that verified).
#[path = "../fuzz_targets/common/mod.rs"]
mod common;

use std::collections::BTreeMap;

use rulepack_verify::bundle::Bundle;
use rulepack_verify::verify::verify;

fn main() {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for dir in std::env::args().skip(1) {
        for e in std::fs::read_dir(&dir).expect("corpus directory").flatten() {
            let Ok(data) = std::fs::read(e.path()) else {
                continue;
            };
            let code = match Bundle::from_json(&data) {
                Err(e) => format!("(parse) {}", rulepack_verify::Error::from(e).code()),
                Ok(b) => match verify(
                    &b,
                    common::digest(),
                    common::root(),
                    common::policy(),
                    common::NOW,
                ) {
                    Ok(_) => "verified".to_string(),
                    Err(e) => e.code().to_string(),
                },
            };
            if std::env::var("OUTCOMES_SHOW").is_ok_and(|c| c == code) {
                eprintln!("{}", e.path().display());
            }
            *counts.entry(code).or_default() += 1;
        }
    }
    for (code, n) in &counts {
        println!("{n:6}  {code}");
    }
}
