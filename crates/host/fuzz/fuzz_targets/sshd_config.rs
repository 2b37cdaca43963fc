#![no_main]
//! sshd_config text: parse, effective values for every scope, Match applicability.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let cfg = host::sshd::SshdConfig::parse_str(None, "/etc/ssh/sshd_config", &text);
    let _ = cfg.effective(None);
    for i in 0..cfg.matches.len() {
        let _ = cfg.effective(Some(i));
        let _ = cfg.block_may_apply(i, "root", &["wheel".to_string()]);
    }
    for (keyword, default) in host::sshd::DEFAULTS {
        let _ = host::sshd::algorithm_list(&cfg.get(keyword, None).value, default);
    }
});
