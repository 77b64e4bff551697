#![no_main]
//! Certificate DER + Fulcio extensions + SAN.
use libfuzzer_sys::fuzz_target;
use rulepack_verify::x509::SigningCertificate;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = SigningCertificate::from_der(data) {
        let _ = c.extensions.entries();
        let _ = c.cert.public_key();
    }
});
