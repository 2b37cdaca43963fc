#![no_main]
//! authorized_keys files: options, keys, fingerprints.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut problems = Vec::new();
    let _ = host::authkeys::parse_file("/root/.ssh/authorized_keys", &text, &mut problems);
});
