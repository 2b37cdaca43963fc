#![no_main]
//! sudoers text (no includes: those need a file system).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = host::sudoers::Sudoers::parse_str("/etc/sudoers", &text);
});
