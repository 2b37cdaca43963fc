//! `trailhound keys` and `trailhound host` end to end: formats, exit codes, no key material.

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .output()
        .unwrap()
}

fn keygen(dir: &Path, name: &str, kind: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", "test@example", "-f"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

fn ssh_keygen_sha256(path: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

#[test]
fn keys_fingerprint_agrees_with_ssh_keygen_and_never_prints_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "id", "ed25519");
    let out = run(&[
        "keys",
        "fingerprint",
        key.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let public = &v[0]["keys"][0]["public"];
    assert_eq!(public["sha256"].as_str().unwrap(), ssh_keygen_sha256(&key));
    // ED25519: EC2 shows the same digest in base64 with its padding.
    let ec2 = v[0]["keys"][0]["ec2"][0]["value"].as_str().unwrap();
    assert_eq!(
        format!("SHA256:{}", ec2.trim_end_matches('=')),
        ssh_keygen_sha256(&key)
    );
    let secret = std::fs::read_to_string(&key).unwrap();
    let body: Vec<&str> = secret.lines().filter(|l| !l.starts_with("-----")).collect();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for line in body {
        assert!(!printed.contains(line), "private key material was printed");
    }
}

#[test]
fn keys_match_names_the_key_pair_from_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "id", "ed25519");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let snapshot = dir.path().join("snap/eu-west-1");
    std::fs::create_dir_all(&snapshot).unwrap();
    let pairs = serde_json::json!({ "KeyPairs": [
        { "KeyPairId": "key-0123456789abcdef0", "KeyName": "leaked", "KeyType": "ed25519", "PublicKey": public.trim(),
          "KeyFingerprint": "not-this-one", "CreateTime": "2024-05-01T00:00:00+00:00" },
        { "KeyPairId": "key-0fedcba9876543210", "KeyName": "other", "KeyType": "rsa",
          "KeyFingerprint": "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99", "CreateTime": "2024-05-01T00:00:00+00:00" }
    ]});
    std::fs::write(
        snapshot.join("ec2-describe-key-pairs.json"),
        pairs.to_string(),
    )
    .unwrap();
    let out = run(&[
        "keys",
        "match",
        key.to_str().unwrap(),
        "--snapshot",
        dir.path().join("snap").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("leaked"), "{text}");
    assert!(!text.contains("\"other\""), "{text}");
}

fn host_root(dir: &Path, public_key: &str, sshd: &str) {
    std::fs::create_dir_all(dir.join("etc/ssh")).unwrap();
    std::fs::create_dir_all(dir.join("home/bob/.ssh")).unwrap();
    std::fs::write(dir.join("etc/ssh/sshd_config"), sshd).unwrap();
    std::fs::write(
        dir.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\nbob:x:1000:1000::/home/bob:/bin/bash\n",
    )
    .unwrap();
    std::fs::write(dir.join("home/bob/.ssh/authorized_keys"), public_key).unwrap();
}

#[test]
fn host_audit_finds_password_logins_and_where_a_key_is_authorised() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "id", "ed25519");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let root = tempfile::tempdir().unwrap();
    host_root(
        root.path(),
        &public,
        "PasswordAuthentication yes\nPermitRootLogin yes\n",
    );
    let r = root.path().to_str().unwrap();
    let out = run(&[
        "host",
        "--root",
        r,
        "--format",
        "jsonl",
        "--find-key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(ids.contains(&"HOST-SSHD-001".to_string()), "{ids:?}");
    assert!(ids.contains(&"HOST-SSHD-003".to_string()), "{ids:?}");
    assert!(
        ids.contains(&"HOST-KEYS-005".to_string()),
        "--find-key reports bob's authorized_keys: {ids:?}"
    );
    let out = run(&["host", "--root", r, "--fail-on", "high"]);
    assert_eq!(out.status.code(), Some(1));

    // Hardened: no password login, no root login; the same key is no longer a high finding.
    let hardened = tempfile::tempdir().unwrap();
    host_root(
        hardened.path(),
        &public,
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\nAllowGroups ssh\n",
    );
    let out = run(&[
        "host",
        "--root",
        hardened.path().to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("HOST-SSHD-001") && !text.contains("HOST-SSHD-003"),
        "{text}"
    );
}

#[test]
fn host_logins_count_malformed_lines_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    std::fs::write(
        &log,
        "May  4 02:10:01 web-1 sshd[4242]: Accepted publickey for ec2-user from 198.51.100.77 port 50022 ssh2: ED25519 SHA256:UURLzGjXeGlkPe7x77kwQceVljUnbw6xQ3REBwUvTvU\n\
         May  4 02:10:05 web-1 sshd[4243]: Failed password for invalid user admin from 203.0.113.9 port 40000 ssh2\n\
         garbage that is not a syslog line at all\n",
    )
    .unwrap();
    let out = run(&["host", "logins", log.to_str().unwrap(), "--format", "jsonl"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("198.51.100.77"), "{stdout}");
    assert!(
        stdout.contains("SHA256:UURLzGjXeGlkPe7x77kwQceVljUnbw6xQ3REBwUvTvU"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("auth.log") && stderr.contains('3'),
        "the bad line is named: {stderr}"
    );
}
