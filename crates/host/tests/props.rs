//! Property tests: no parser panics on arbitrary input; round trips where a format has one.

use base64::Engine;
use proptest::prelude::*;

use host::logs::{self, LogStats};
use host::{authkeys, keys, pattern, sshd, sudoers};

fn ed25519_line(key: [u8; 32], comment: &str) -> String {
    let k = ssh_key::PublicKey::new(
        ssh_key::public::KeyData::Ed25519(ssh_key::public::Ed25519PublicKey(key)),
        comment,
    );
    k.to_openssh().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn key_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = keys::inspect(&bytes, None);
        let _ = keys::inspect(&bytes, Some(b"pw"));
    }

    #[test]
    fn pem_shaped_garbage_never_panics(
        label in prop_oneof!["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "PUBLIC KEY",
                             "RSA PUBLIC KEY", "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY"],
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&body);
        let text = format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
        let _ = keys::inspect(text.as_bytes(), None);
        let rfc = format!("---- BEGIN SSH2 PUBLIC KEY ----\n{b64}\n---- END SSH2 PUBLIC KEY ----\n");
        let _ = keys::inspect(rfc.as_bytes(), None);
    }

    /// An ED25519 key written as an OpenSSH line and as RFC 4716 (any wrap width, with a
    /// continued Comment header) reads back with the same fingerprints.
    #[test]
    fn public_key_round_trips(key in any::<[u8; 32]>(), comment in "[a-zA-Z0-9@. -]{0,30}", width in 1usize..80) {
        let line = ed25519_line(key, comment.trim());
        let from_line = keys::inspect(line.as_bytes(), None).unwrap().remove(0);
        let blob = keys::wire_blob(keys::parse_public_line(&line).unwrap().key_data());
        let b64 = base64::engine::general_purpose::STANDARD.encode(&blob);
        let wrapped: Vec<String> = b64.as_bytes().chunks(width).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
        let rfc = format!(
            "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"{}\\\ncontinued\"\n{}\n---- END SSH2 PUBLIC KEY ----\n",
            comment, wrapped.join("\n")
        );
        let from_rfc = keys::inspect(rfc.as_bytes(), None).unwrap().remove(0);
        prop_assert_eq!(&from_line.public, &from_rfc.public);
        prop_assert_eq!(&from_line.ec2, &from_rfc.ec2);
        prop_assert_eq!(from_rfc.comment, Some(format!("{comment}continued")));
    }

    #[test]
    fn authorized_keys_lines_never_panic(line in "\\PC{0,300}") {
        let _ = authkeys::parse_line(&line);
    }

    /// Options written with quoting and escaped quotes parse back to the same list (a value
    /// cannot end in a backslash in sshd's format, so backslashes are left out).
    #[test]
    fn authorized_keys_options_round_trip(
        opts in proptest::collection::vec(("[a-z][a-z0-9-]{0,15}", proptest::option::of("[ -\\[\\]-~]{0,20}")), 1..5),
        key in any::<[u8; 32]>(),
    ) {
        let written: Vec<String> = opts
            .iter()
            .map(|(name, value)| match value {
                Some(v) => format!("{name}=\"{}\"", v.replace('"', "\\\"")),
                None => name.clone(),
            })
            .collect();
        let line = format!("{} {}", written.join(","), ed25519_line(key, "c"));
        let (parsed, public) = authkeys::parse_line(&line).unwrap().unwrap();
        let got: Vec<(String, Option<String>)> = parsed.into_iter().map(|o| (o.name, o.value)).collect();
        prop_assert_eq!(got, opts.clone());
        prop_assert_eq!(public.comment(), "c");
    }

    #[test]
    fn sshd_config_never_panics(text in "\\PC{0,600}") {
        let cfg = sshd::SshdConfig::parse_str(None, "/etc/ssh/sshd_config", &text);
        let _ = cfg.effective(None);
        for i in 0..cfg.matches.len() {
            let _ = cfg.effective(Some(i));
            let _ = cfg.block_may_apply(i, "root", &["wheel".to_string()]);
        }
    }

    /// Words quoted when they hold spaces split back to the same words.
    #[test]
    fn sshd_args_round_trip(words in proptest::collection::vec("[a-zA-Z0-9/,.+@%-]{1,10}( [a-zA-Z0-9]{1,5})?", 1..6)) {
        let line: Vec<String> = words.iter().map(|w| if w.contains(' ') { format!("\"{w}\"") } else { w.clone() }).collect();
        prop_assert_eq!(sshd::split_args(&line.join(" ")).unwrap(), words);
    }

    #[test]
    fn sudoers_never_panics(text in "\\PC{0,600}") {
        let _ = sudoers::Sudoers::parse_str("/etc/sudoers", &text);
    }

    #[test]
    fn auth_logs_never_panic(text in "\\PC{0,600}") {
        let mut stats = LogStats::default();
        let mut problems = Vec::new();
        let _ = logs::parse_any("/f", &text, &mut stats, &mut problems);
        prop_assert_eq!(stats.malformed, problems.len());
    }

    #[test]
    fn sshd_shaped_lines_never_panic(msg in "(Accepted|Failed|Invalid user|Disconnected from|Connection closed by) \\PC{0,120}") {
        let line = format!("Nov 24 15:30:01 h sshd[1]: {msg}");
        let mut stats = LogStats::default();
        let mut problems = Vec::new();
        let _ = logs::parse_syslog("/f", &line, &mut stats, &mut problems);
    }

    /// An accepted-publickey line built from fields parses back to the same fields.
    #[test]
    fn auth_line_round_trip(
        user in "[a-z_][a-z0-9_.-]{0,20}",
        ip in (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()),
        port in any::<u16>(),
        key in any::<[u8; 32]>(),
        session in any::<bool>(),
    ) {
        let ip = format!("{}.{}.{}.{}", ip.0, ip.1, ip.2, ip.3);
        let blob = keys::wire_blob(keys::parse_public_line(&ed25519_line(key, "")).unwrap().key_data());
        let fp = keys::openssh_sha256(&blob);
        let program = if session { "sshd-session" } else { "sshd" };
        let line = format!("Nov 24 15:30:01 host {program}[42]: Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 {fp}");
        let mut stats = LogStats::default();
        let mut problems = Vec::new();
        let events = logs::parse_syslog("/f", &line, &mut stats, &mut problems);
        prop_assert_eq!(events.len(), 1);
        let e = &events[0];
        prop_assert_eq!(e.user.as_deref(), Some(user.as_str()));
        prop_assert_eq!(e.source_ip.as_deref(), Some(ip.as_str()));
        prop_assert_eq!(e.port, Some(port));
        prop_assert_eq!(e.fingerprint.as_deref(), Some(fp.as_str()));
        prop_assert_eq!(e.program.as_str(), program);
    }

    #[test]
    fn patterns_never_panic_and_literals_match_themselves(p in "\\PC{0,40}", n in "[a-z0-9._-]{0,20}") {
        let _ = pattern::glob_match(&p, &n);
        let _ = pattern::ssh_match_list(&p, &n);
        prop_assert!(pattern::glob_match(&n, &n));
        prop_assert!(pattern::ssh_match(&n, &n));
        prop_assert!(pattern::glob_match("*", &n));
    }
}
