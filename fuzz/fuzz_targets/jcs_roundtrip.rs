#![no_main]
//! RFC 8785 canonical JSON is a fixed point: jcs(parse(jcs(v))) == jcs(v).
use libfuzzer_sys::fuzz_target;
use rulepack_verify::rekor::jcs;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(c) = jcs(&v) {
        let back: serde_json::Value = serde_json::from_slice(&c).expect("JCS output is JSON");
        assert_eq!(back, v, "canonicalization changed the value");
        assert_eq!(jcs(&back).expect("canonical JSON canonicalizes"), c);
    }
});
