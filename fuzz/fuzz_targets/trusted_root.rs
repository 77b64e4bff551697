#![no_main]
//! trusted_root.json parser (`TrustedRoot::from_json`), plus the log-id lookups.
use libfuzzer_sys::fuzz_target;
use rulepack_verify::trust_root::TrustedRoot;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = TrustedRoot::from_json(data) {
        for l in r.tlogs.iter().chain(&r.ctlogs) {
            let _ = l.hostname();
            let _ = r.tlog_by_log_id(&l.log_id);
            let _ = r.ctlog_by_log_id(&l.log_id);
        }
    }
});
