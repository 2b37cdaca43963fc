#![no_main]
//! Auth log lines, syslog and journal JSON.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut stats = host::logs::LogStats::default();
    let mut problems = Vec::new();
    let _ = host::logs::parse_syslog("/var/log/auth.log", &text, &mut stats, &mut problems);
    let _ = host::logs::parse_journal_json("journal.json", &text, &mut stats, &mut problems);
});
