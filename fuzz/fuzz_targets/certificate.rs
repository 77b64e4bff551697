#![no_main]
//! Certificate DER: `ParsedCertificate`, the Fulcio leaf view (`SigningCertificate`: SAN,
//! Fulcio extensions), its public key, path validation against the public-good Fulcio CAs
//! at the certificate's own notBefore, and the embedded SCTs when a chain verifies.
#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use rulepack_verify::x509::{
    verify_chain, verify_embedded_scts, ParsedCertificate, SigningCertificate, EKU_CODE_SIGNING,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = SigningCertificate::from_der(data) {
        let _ = c.extensions.entries();
        let _ = c.extensions.issuer();
        let _ = c.identity.as_ref().map(|i| (i.value(), i.kind()));
        let _ = c.cert.public_key();
    }
    if let Ok(p) = ParsedCertificate::from_der(data) {
        let _ = p.subject_string();
        let _ = p.spki_der();
        let _ = p.is_valid_at(common::NOW);
        let root = common::root();
        if let Ok(chain) = verify_chain(
            &p,
            &[],
            &root.certificate_authorities,
            p.not_before(),
            EKU_CODE_SIGNING,
        ) {
            let _ = verify_embedded_scts(&p, &chain, &root.ctlogs);
        }
    }
});
