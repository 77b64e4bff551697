#![no_main]
//! OCI image manifest / index parsing, with and without a transport media type.
use libfuzzer_sys::fuzz_target;
use rulepack_verify::oci::{parse_manifest, OCI_INDEX, OCI_MANIFEST};

fuzz_target!(|data: &[u8]| {
    let _ = parse_manifest(data, None, "fuzz");
    let _ = parse_manifest(data, Some(OCI_MANIFEST), "fuzz");
    let _ = parse_manifest(data, Some(OCI_INDEX), "fuzz");
});
