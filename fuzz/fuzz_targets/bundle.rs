#![no_main]
//! Bundle JSON parser (`Bundle::from_json`): any bytes, never a panic; a parsed bundle's
//! accessors and DSSE PAE are exercised too.
use libfuzzer_sys::fuzz_target;
use rulepack_verify::bundle::{pae, Bundle, BundleVersion, Content};

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = Bundle::from_json(data) {
        let vm = &b.verification_material;
        let _ = vm.signer.leaf_der();
        let _ = vm.signer.intermediates_der();
        assert_eq!(
            BundleVersion::from_media_type(&b.media_type),
            Some(b.version),
            "a parsed bundle's media type names its version"
        );
        if let Content::Dsse(d) = &b.content {
            let _ = pae(&d.payload_type, &d.payload);
        }
    }
});
