#![no_main]
//! Key files in every container, with and without a passphrase.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = host::keys::inspect(data, None);
    let _ = host::keys::inspect(data, Some(b"passphrase"));
});
