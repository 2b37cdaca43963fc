//! Auth logs of several OpenSSH versions and distributions, rotated and journal exports, matched
//! to EC2 key pairs and to a hunted key.

use std::io::Write;

use host::audit::Needle;
use host::logs::{self, EventKind, LogStats};
use host::root::Root;
use host::snapshot_keys::KeyPair;

const ED_A: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHEwAZf67qxvelrKeXp9lPuRSARMLoMOI/PS1dUjMXP4";

fn ed_a_sha() -> String {
    host::keys::public_info(host::keys::parse_public_line(ED_A).unwrap().key_data()).sha256
}

/// CentOS 7 (OpenSSH 7.4) /var/log/secure.
const SECURE_74: &str = "\
Mar  3 08:00:01 centos7 sshd[2001]: Invalid user test from 192.0.2.10 port 40001
Mar  3 08:00:02 centos7 sshd[2001]: input_userauth_request: invalid user test [preauth]
Mar  3 08:00:03 centos7 sshd[2001]: Failed password for invalid user test from 192.0.2.10 port 40001 ssh2
Mar  3 08:00:04 centos7 sshd[2001]: Connection closed by 192.0.2.10 port 40001 [preauth]
Mar  3 08:01:00 centos7 sshd[2002]: Accepted publickey for centos from 198.51.100.4 port 50000 ssh2: RSA-CERT ID build-42 (serial 9) CA RSA SHA256:caFpOld
Mar  3 08:01:00 centos7 sshd[2002]: pam_unix(sshd:session): session opened for user centos by (uid=0)
";

/// Ubuntu 22.04 (OpenSSH 8.9) auth.log with a KbdInteractive PAM login.
const AUTH_89: &str = "\
Jun 10 12:00:00 ubuntu sshd[3001]: Accepted keyboard-interactive/pam for ubuntu from 203.0.113.8 port 41000 ssh2
Jun 10 12:05:00 ubuntu sshd[3002]: Disconnected from invalid user admin 203.0.113.9 port 41001 [preauth]
Jun 10 12:06:00 ubuntu sshd[3003]: Received disconnect from 203.0.113.8 port 41000:11: disconnected by user
Jun 10 12:06:00 ubuntu sshd[3003]: Disconnected from user ubuntu 203.0.113.8 port 41000
";

fn parse(name: &str, text: &str) -> (Vec<logs::AuthEvent>, LogStats, Vec<host::Problem>) {
    let mut stats = LogStats::default();
    let mut problems = Vec::new();
    let events = logs::parse_any(name, text, &mut stats, &mut problems);
    (events, stats, problems)
}

#[test]
fn openssh_74_secure() {
    let (events, stats, problems) = parse("/var/log/secure", SECURE_74);
    assert!(problems.is_empty(), "{problems:?}");
    let kinds: Vec<EventKind> = events.iter().map(|e| e.event).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::InvalidUser,
            EventKind::Failed,
            EventKind::ConnectionClosed,
            EventKind::Accepted
        ]
    );
    assert_eq!(
        stats,
        LogStats {
            lines: 6,
            other_sshd: 2,
            other_programs: 0,
            malformed: 0
        }
    );
    let cert = &events[3];
    assert_eq!(cert.key_type.as_deref(), Some("RSA-CERT"));
    assert_eq!(
        cert.fingerprint, None,
        "7.4 did not log the user key's fingerprint"
    );
    let c = cert.certificate.as_ref().unwrap();
    assert_eq!(
        (c.id.as_str(), c.serial, c.ca_fingerprint.as_deref()),
        ("build-42", Some(9), Some("SHA256:caFpOld"))
    );
}

#[test]
fn openssh_89_auth_log() {
    let (events, stats, _) = parse("/var/log/auth.log", AUTH_89);
    assert_eq!(events.len(), 3);
    assert_eq!(
        events[0].method.as_deref(),
        Some("keyboard-interactive/pam")
    );
    assert_eq!(
        (events[1].invalid_user, events[1].user.as_deref()),
        (true, Some("admin"))
    );
    assert_eq!(
        (events[2].event, events[2].user.as_deref()),
        (EventKind::Disconnected, Some("ubuntu"))
    );
    assert_eq!(
        stats.other_sshd, 1,
        "Received disconnect is not an auth event"
    );
}

#[test]
fn rotated_gz_default_files_and_matching() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("var/log");
    std::fs::create_dir_all(&log).unwrap();
    let sha = ed_a_sha();
    std::fs::write(
        log.join("auth.log"),
        format!("Nov 24 15:30:01 ip-10-0-1-5 sshd-session[77]: Accepted publickey for admin from 203.0.113.5 port 51234 ssh2: ED25519 {sha}\n"),
    )
    .unwrap();
    std::fs::write(
        log.join("auth.log.1"),
        "Nov 23 10:00:00 ip-10-0-1-5 sshd[5]: Invalid user a from 192.0.2.1 port 1\n",
    )
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"Nov 20 10:00:00 ip-10-0-1-5 sshd[4]: Failed password for root from 192.0.2.2 port 2 ssh2\n").unwrap();
    std::fs::write(log.join("auth.log.2.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(log.join("syslog"), "ignored\n").unwrap();

    let root = Root::new(dir.path()).unwrap();
    let files = logs::default_log_files(&root);
    assert_eq!(
        files,
        vec![
            "/var/log/auth.log.2.gz",
            "/var/log/auth.log.1",
            "/var/log/auth.log"
        ]
    );
    let mut stats = LogStats::default();
    let mut problems = Vec::new();
    let mut events = Vec::new();
    for f in &files {
        let text = logs::decode(std::fs::read(root.resolve(f).unwrap()).unwrap()).unwrap();
        events.extend(logs::parse_any(f, &text, &mut stats, &mut problems));
    }
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].user.as_deref(), Some("root"), "oldest first");

    // Matched to the key pair whose PublicKey is this key, and via the padded ED25519 KeyFingerprint.
    let pairs = vec![
        KeyPair {
            key_pair_id: Some("key-1".into()),
            key_name: "by-public-key".into(),
            key_fingerprint: None,
            key_type: Some("ed25519".into()),
            public_key: Some(ED_A.into()),
            region: Some("us-east-1".into()),
            public_sha256: Some(sha.clone()),
        },
        KeyPair {
            key_pair_id: Some("key-2".into()),
            key_name: "by-fingerprint".into(),
            key_fingerprint: Some(format!("{}=", sha.trim_start_matches("SHA256:"))),
            key_type: Some("ed25519".into()),
            public_key: None,
            region: None,
            public_sha256: None,
        },
        KeyPair {
            key_pair_id: Some("key-3".into()),
            key_name: "other".into(),
            key_fingerprint: Some(
                "1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f".into(),
            ),
            key_type: Some("rsa".into()),
            public_key: None,
            region: None,
            public_sha256: None,
        },
    ];
    let needle = Needle::from_fingerprint(&sha);
    let logins = logs::annotate(events, Some(&pairs), Some(&needle));
    assert_eq!(
        logins[2].key_pairs,
        vec!["by-public-key (us-east-1)", "by-fingerprint"]
    );
    assert_eq!(logins[2].is_key, Some(true));
    assert_eq!(logins[0].is_key, Some(false));
    assert!(logins[0].key_pairs.is_empty());
    let row = logs::table_row(&logins[2]);
    assert!(
        row.contains("[EC2 key pair: by-public-key (us-east-1), by-fingerprint] [THE KEY]"),
        "{row}"
    );
}

#[test]
fn journal_json_export_with_malformed_lines() {
    let text = format!(
        "{}\n{}\n{{truncated\n",
        r#"{"__REALTIME_TIMESTAMP":"1732462201000000","_HOSTNAME":"al2023","SYSLOG_IDENTIFIER":"sshd-session","SYSLOG_PID":"901","MESSAGE":"Accepted publickey for ec2-user from 203.0.113.5 port 51234 ssh2: RSA SHA256:abc"}"#,
        r#"{"__REALTIME_TIMESTAMP":"1732462202000000","_HOSTNAME":"al2023","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Accepted publickey for x from"}"#,
    );
    let (events, stats, problems) = parse("journal.json", &text);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].time.as_deref(), Some("2024-11-24T15:30:01Z"));
    assert_eq!(events[0].pid, Some(901));
    assert_eq!(events[0].host.as_deref(), Some("al2023"));
    assert_eq!(stats.malformed, 2);
    let lines: Vec<Option<usize>> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![Some(2), Some(3)]);
}
