//! Throughput of the auth log parser and the sshd_config/authorized_keys parsers on synthetic
//! input (a measurement, not a test): `cargo run --release -p host --example bench_logs [LINES]`.

use std::time::Instant;

fn main() {
    let lines: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let templates = [
        "Nov 24 15:30:01 ip-10-0-1-5 sshd[1234]: Accepted publickey for ec2-user from 203.0.113.5 port 51234 ssh2: RSA SHA256:jeJreTcoEoMC6zBL5aCPHxkf4745Ata45xomyHkWAr0",
        "Nov 24 15:30:02 ip-10-0-1-5 sshd[1235]: Failed password for invalid user admin from 198.51.100.7 port 4000 ssh2",
        "Nov 24 15:30:03 ip-10-0-1-5 sshd[1235]: Invalid user oracle from 198.51.100.7 port 4001",
        "Nov 24 15:30:04 ip-10-0-1-5 sshd[1235]: Disconnected from invalid user oracle 198.51.100.7 port 4001 [preauth]",
        "Nov 24 15:30:05 ip-10-0-1-5 CRON[99]: pam_unix(cron:session): session closed for user root",
        "2025-03-01T10:00:00.123456+00:00 web-1 sshd-session[88]: Accepted publickey for deploy from 2001:db8::7 port 40000 ssh2: ED25519-CERT SHA256:abc ID ci (serial 42) CA ED25519 SHA256:cafp",
    ];
    let mut text = String::with_capacity(lines * 140);
    for i in 0..lines {
        text.push_str(templates[i % templates.len()]);
        text.push('\n');
    }
    let mut stats = host::logs::LogStats::default();
    let mut problems = Vec::new();
    let start = Instant::now();
    let events = host::logs::parse_syslog("/bench", &text, &mut stats, &mut problems);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "auth log: {lines} lines ({:.1} MiB) -> {} events in {secs:.3} s = {:.0} lines/s, {:.1} MiB/s",
        text.len() as f64 / 1048576.0,
        events.len(),
        lines as f64 / secs,
        text.len() as f64 / 1048576.0 / secs
    );

    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHEwAZf67qxvelrKeXp9lPuRSARMLoMOI/PS1dUjMXP4 alice@laptop\n";
    let keys_text = key.repeat(100_000);
    let start = Instant::now();
    let parsed = host::authkeys::parse_file("/k", &keys_text, &mut problems);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "authorized_keys: {} keys fingerprinted in {secs:.3} s = {:.0} keys/s",
        parsed.len(),
        parsed.len() as f64 / secs
    );
}
