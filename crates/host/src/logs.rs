//! sshd authentication events from syslog files (auth.log, secure) and `journalctl -o json`
//! exports, OpenSSH 7 to 9 (including the `sshd-session` program name of 9.8+).

use serde::Serialize;

/// What happened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    #[default]
    Accepted,
    Failed,
    Partial,
    Postponed,
    InvalidUser,
    Disconnected,
    ConnectionClosed,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Accepted => "accepted",
            EventKind::Failed => "failed",
            EventKind::Partial => "partial",
            EventKind::Postponed => "postponed",
            EventKind::InvalidUser => "invalid-user",
            EventKind::Disconnected => "disconnected",
            EventKind::ConnectionClosed => "connection-closed",
        }
    }
}

/// The certificate part of a publickey login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub id: String,
    pub serial: Option<u64>,
    pub ca_key_type: Option<String>,
    pub ca_fingerprint: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthEvent {
    /// As the log wrote it (syslog has no year), or RFC 3339 for journal exports.
    pub time: Option<String>,
    pub host: Option<String>,
    pub program: String,
    pub pid: Option<u32>,
    pub event: EventKind,
    pub user: Option<String>,
    /// sshd did not know the account.
    pub invalid_user: bool,
    pub source_ip: Option<String>,
    pub port: Option<u16>,
    /// publickey, password, keyboard-interactive/pam, hostbased, ...
    pub method: Option<String>,
    pub key_type: Option<String>,
    pub fingerprint: Option<String>,
    pub certificate: Option<Certificate>,
    pub preauth: bool,
    pub file: String,
    pub line: usize,
}

/// Counts of what a parse saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LogStats {
    pub lines: usize,
    /// sshd lines that are not authentication events (kept out of the output on purpose).
    pub other_sshd: usize,
    /// Lines from other programs.
    pub other_programs: usize,
    /// Lines that could not be understood at all; each is listed in `problems`.
    pub malformed: usize,
}

/// Syslog header: `Mon dd hh:mm:ss host prog[pid]: msg` or `ISO8601 host prog[pid]: msg`.
pub struct SyslogLine<'a> {
    pub time: &'a str,
    pub host: &'a str,
    pub program: &'a str,
    pub pid: Option<u32>,
    pub message: &'a str,
}

pub fn split_syslog(line: &str) -> Option<SyslogLine<'_>> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (time, rest) = if line.len() > 15
        && line.is_char_boundary(15)
        && line.as_bytes().get(3) == Some(&b' ')
        && line.as_bytes()[0].is_ascii_alphabetic()
    {
        // `Nov 24 15:30:01 `
        (&line[..15], line[15..].strip_prefix(' ')?)
    } else {
        let (t, r) = line.split_once(' ')?;
        if !(t.len() >= 19 && t.as_bytes()[4] == b'-' && t.contains('T')) {
            return None;
        }
        (t, r)
    };
    let (host, rest) = rest.split_once(' ')?;
    let (tag, message) = rest.split_once(": ")?;
    let (program, pid) = match tag.split_once('[') {
        Some((p, pid)) => (p, Some(pid.strip_suffix(']')?.parse().ok()?)),
        None => (tag, None),
    };
    Some(SyslogLine {
        time,
        host,
        program,
        pid,
        message,
    })
}

pub fn is_sshd(program: &str) -> bool {
    program == "sshd" || program == "sshd-session" || program.ends_with("/sshd")
}

/// An sshd message that starts like an authentication event but does not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownFormat;

/// `Err(UnknownFormat)` means the message starts like an auth event but does not parse.
pub fn parse_message(message: &str) -> Result<Option<Partial>, UnknownFormat> {
    let (message, preauth) = match message.strip_suffix(" [preauth]") {
        Some(m) => (m, true),
        None => (message, false),
    };
    for (verb, kind) in [
        ("Accepted ", EventKind::Accepted),
        ("Failed ", EventKind::Failed),
        ("Partial ", EventKind::Partial),
        ("Postponed ", EventKind::Postponed),
    ] {
        if let Some(rest) = message.strip_prefix(verb) {
            // `Failed none for invalid user x from ...` too. Skip unrelated `Failed to ...` lines.
            if !rest.contains(" for ") {
                return Ok(None);
            }
            return auth_line(kind, rest, preauth).map(Some);
        }
    }
    if let Some(rest) = message.strip_prefix("Invalid user ") {
        // `Invalid user NAME from IP[ port N]`
        let (user, addr) = rest.rsplit_once(" from ").ok_or(UnknownFormat)?;
        let (ip, port) = ip_port(addr)?;
        return Ok(Some(Partial {
            event: EventKind::InvalidUser,
            user: Some(user.to_string()),
            invalid_user: true,
            source_ip: Some(ip),
            port,
            preauth,
            ..Partial::default()
        }));
    }
    for (prefix, kind) in [
        ("Disconnected from ", EventKind::Disconnected),
        ("Connection closed by ", EventKind::ConnectionClosed),
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            // `[authenticating |invalid ]user NAME IP port N` or `IP port N`
            let (user, invalid, addr) = if let Some(r) = rest.strip_prefix("invalid user ") {
                let (u, a) = split_user_addr(r)?;
                (Some(u), true, a)
            } else if let Some(r) = rest
                .strip_prefix("authenticating user ")
                .or_else(|| rest.strip_prefix("user "))
            {
                let (u, a) = split_user_addr(r)?;
                (Some(u), false, a)
            } else {
                (None, false, rest)
            };
            let (ip, port) = ip_port(addr)?;
            return Ok(Some(Partial {
                event: kind,
                user,
                invalid_user: invalid,
                source_ip: Some(ip),
                port,
                preauth,
                ..Partial::default()
            }));
        }
    }
    Ok(None)
}

/// `NAME IP port N`: the user name may contain spaces, the address part may not.
fn split_user_addr(s: &str) -> Result<(String, &str), UnknownFormat> {
    let (before_port, _) = s.rsplit_once(" port ").ok_or(UnknownFormat)?;
    let (user, _ip) = before_port.rsplit_once(' ').ok_or(UnknownFormat)?;
    Ok((user.to_string(), &s[user.len() + 1..]))
}

/// `IP port N` or `IP`.
fn ip_port(s: &str) -> Result<(String, Option<u16>), UnknownFormat> {
    let s = s.trim();
    match s.split_once(" port ") {
        Some((ip, port)) => {
            let port = port.split([' ', ':']).next().unwrap_or_default();
            Ok((
                valid_ip(ip)?,
                Some(port.parse().map_err(|_| UnknownFormat)?),
            ))
        }
        None => Ok((valid_ip(s)?, None)),
    }
}

fn valid_ip(s: &str) -> Result<String, UnknownFormat> {
    // sshd prints the address, or the name with UseDNS; accept what has no spaces.
    if s.is_empty() || s.contains(char::is_whitespace) {
        return Err(UnknownFormat);
    }
    Ok(s.to_string())
}

/// The event fields of a message; the caller adds time/host/file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Partial {
    pub event: EventKind,
    pub user: Option<String>,
    pub invalid_user: bool,
    pub source_ip: Option<String>,
    pub port: Option<u16>,
    pub method: Option<String>,
    pub key_type: Option<String>,
    pub fingerprint: Option<String>,
    pub certificate: Option<Certificate>,
    pub preauth: bool,
}

/// `METHOD for [invalid user ]USER from IP port N ssh2[: EXTRA]`
fn auth_line(kind: EventKind, rest: &str, preauth: bool) -> Result<Partial, UnknownFormat> {
    let (method, rest) = rest.split_once(" for ").ok_or(UnknownFormat)?;
    let (who, addr) = rest.rsplit_once(" from ").ok_or(UnknownFormat)?;
    let (user, invalid) = match who.strip_prefix("invalid user ") {
        Some(u) => (u, true),
        None => (who, false),
    };
    let (addr, extra) = match addr.split_once(" ssh2") {
        Some((a, e)) => (a, e.strip_prefix(": ").unwrap_or("")),
        None => (addr, ""),
    };
    let (ip, port) = ip_port(addr)?;
    let mut p = Partial {
        event: kind,
        user: Some(user.to_string()),
        invalid_user: invalid,
        source_ip: Some(ip),
        port,
        method: Some(method.to_string()),
        preauth,
        ..Partial::default()
    };
    if !extra.is_empty() {
        parse_key_info(extra, &mut p);
    }
    Ok(p)
}

/// `RSA SHA256:fp` or `RSA-CERT SHA256:fp ID keyid (serial 7) CA ED25519 SHA256:cafp`, possibly
/// followed by `, methinfo`.
fn parse_key_info(extra: &str, p: &mut Partial) {
    let mut words = extra.split(' ');
    let Some(key_type) = words.next() else { return };
    let Some(second) = words.next() else { return };
    let is_cert = key_type.ends_with("-CERT");
    if second.starts_with("SHA256:") || second.starts_with("MD5:") {
        p.fingerprint = Some(second.trim_end_matches(',').to_string());
    } else if !(is_cert && second == "ID") {
        // OpenSSH before 8.0 logged certificates as `RSA-CERT ID ...` without the key's own
        // fingerprint; anything else is not key information.
        return;
    }
    p.key_type = Some(key_type.to_string());
    if let Some((_, after)) = extra.split_once(" ID ").filter(|_| is_cert) {
        // The key id may contain spaces; `(serial N)` follows it.
        let (id, tail) = after.split_once(" (serial ").unwrap_or((after, ""));
        let serial = tail.split(')').next().and_then(|s| s.parse().ok());
        let ca = tail.split_once(") CA ").map(|(_, c)| c);
        let (ca_type, ca_fp) = match ca {
            Some(c) => {
                let mut w = c.split(' ');
                (
                    w.next().map(str::to_string),
                    w.next().map(|f| f.trim_end_matches(',').to_string()),
                )
            }
            None => (None, None),
        };
        p.certificate = Some(Certificate {
            id: id.to_string(),
            serial,
            ca_key_type: ca_type,
            ca_fingerprint: ca_fp,
        });
    }
}

/// Parses a syslog-format text (auth.log, secure, `journalctl -o short`).
pub fn parse_syslog(
    file: &str,
    text: &str,
    stats: &mut LogStats,
    problems: &mut Vec<crate::Problem>,
) -> Vec<AuthEvent> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        stats.lines += 1;
        if line.trim().is_empty() {
            continue;
        }
        let Some(sl) = split_syslog(line) else {
            stats.malformed += 1;
            problems.push(crate::Problem::new(
                file,
                Some(i + 1),
                "not a syslog line (time host program[pid]: message)",
            ));
            continue;
        };
        if !is_sshd(sl.program) {
            stats.other_programs += 1;
            continue;
        }
        push_event(
            file,
            i + 1,
            Some(sl.time.to_string()),
            Some(sl.host.to_string()),
            sl.program,
            sl.pid,
            sl.message,
            stats,
            problems,
            &mut out,
        );
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn push_event(
    file: &str,
    line: usize,
    time: Option<String>,
    host: Option<String>,
    program: &str,
    pid: Option<u32>,
    message: &str,
    stats: &mut LogStats,
    problems: &mut Vec<crate::Problem>,
    out: &mut Vec<AuthEvent>,
) {
    match parse_message(message) {
        Ok(Some(p)) => out.push(AuthEvent {
            time,
            host,
            program: program.to_string(),
            pid,
            event: p.event,
            user: p.user,
            invalid_user: p.invalid_user,
            source_ip: p.source_ip,
            port: p.port,
            method: p.method,
            key_type: p.key_type,
            fingerprint: p.fingerprint,
            certificate: p.certificate,
            preauth: p.preauth,
            file: file.to_string(),
            line,
        }),
        Ok(None) => stats.other_sshd += 1,
        Err(UnknownFormat) => {
            stats.malformed += 1;
            problems.push(crate::Problem::new(
                file,
                Some(line),
                "sshd authentication line in an unknown format",
            ));
        }
    }
}

/// Parses `journalctl -o json` output (one JSON object per line).
pub fn parse_journal_json(
    file: &str,
    text: &str,
    stats: &mut LogStats,
    problems: &mut Vec<crate::Problem>,
) -> Vec<AuthEvent> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        stats.lines += 1;
        if line.trim().is_empty() {
            continue;
        }
        let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(line)
        else {
            stats.malformed += 1;
            problems.push(crate::Problem::new(
                file,
                Some(i + 1),
                "not a journal JSON object",
            ));
            continue;
        };
        let field = |k: &str| -> Option<String> {
            match obj.get(k)? {
                serde_json::Value::String(s) => Some(s.clone()),
                // journald writes non-UTF-8 fields as byte arrays.
                serde_json::Value::Array(bytes) => Some(
                    String::from_utf8_lossy(
                        &bytes
                            .iter()
                            .filter_map(|b| b.as_u64().map(|b| b as u8))
                            .collect::<Vec<u8>>(),
                    )
                    .into_owned(),
                ),
                _ => None,
            }
        };
        let program = field("SYSLOG_IDENTIFIER").or_else(|| field("_COMM"));
        let Some(program) = program.filter(|p| is_sshd(p)) else {
            stats.other_programs += 1;
            continue;
        };
        let Some(message) = field("MESSAGE") else {
            stats.malformed += 1;
            problems.push(crate::Problem::new(
                file,
                Some(i + 1),
                "journal entry without MESSAGE",
            ));
            continue;
        };
        let time = field("__REALTIME_TIMESTAMP")
            .and_then(|us| us.parse::<i64>().ok())
            .and_then(|us| jiff::Timestamp::from_microsecond(us).ok())
            .map(|t| t.to_string());
        let pid = field("SYSLOG_PID")
            .or_else(|| field("_PID"))
            .and_then(|p| p.parse().ok());
        push_event(
            file,
            i + 1,
            time,
            field("_HOSTNAME"),
            &program,
            pid,
            &message,
            stats,
            problems,
            &mut out,
        );
    }
    out
}

/// Picks the parser by content: a journal export starts with `{`.
pub fn parse_any(
    file: &str,
    text: &str,
    stats: &mut LogStats,
    problems: &mut Vec<crate::Problem>,
) -> Vec<AuthEvent> {
    if text.trim_start().starts_with('{') {
        parse_journal_json(file, text, stats, problems)
    } else {
        parse_syslog(file, text, stats, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> AuthEvent {
        let mut stats = LogStats::default();
        let mut problems = Vec::new();
        let mut v = parse_syslog("/var/log/auth.log", line, &mut stats, &mut problems);
        assert_eq!(v.len(), 1, "{line}: {problems:?} {stats:?}");
        v.remove(0)
    }

    #[test]
    fn accepted_publickey_openssh9() {
        let e = one(
            "Nov 24 15:30:01 ip-10-0-1-5 sshd[1234]: Accepted publickey for ec2-user from 203.0.113.5 port 51234 ssh2: RSA SHA256:jeJreTcoEoMC6zBL5aCPHxkf4745Ata45xomyHkWAr0",
        );
        assert_eq!(e.event, EventKind::Accepted);
        assert_eq!(e.time.as_deref(), Some("Nov 24 15:30:01"));
        assert_eq!(e.host.as_deref(), Some("ip-10-0-1-5"));
        assert_eq!(e.pid, Some(1234));
        assert_eq!(e.user.as_deref(), Some("ec2-user"));
        assert_eq!(e.source_ip.as_deref(), Some("203.0.113.5"));
        assert_eq!(e.port, Some(51234));
        assert_eq!(e.method.as_deref(), Some("publickey"));
        assert_eq!(e.key_type.as_deref(), Some("RSA"));
        assert_eq!(
            e.fingerprint.as_deref(),
            Some("SHA256:jeJreTcoEoMC6zBL5aCPHxkf4745Ata45xomyHkWAr0")
        );
        assert_eq!(e.certificate, None);
    }

    #[test]
    fn sshd_session_iso_time_and_certificate() {
        let e = one(
            "2025-03-01T10:00:00.123456+00:00 web-1 sshd-session[88]: Accepted publickey for deploy from 2001:db8::7 port 40000 ssh2: ED25519-CERT SHA256:abc ID ci deploy (serial 42) CA ED25519 SHA256:cafp",
        );
        assert_eq!(e.program, "sshd-session");
        assert_eq!(e.time.as_deref(), Some("2025-03-01T10:00:00.123456+00:00"));
        assert_eq!(e.source_ip.as_deref(), Some("2001:db8::7"));
        assert_eq!(e.key_type.as_deref(), Some("ED25519-CERT"));
        assert_eq!(
            e.certificate,
            Some(Certificate {
                id: "ci deploy".into(),
                serial: Some(42),
                ca_key_type: Some("ED25519".into()),
                ca_fingerprint: Some("SHA256:cafp".into())
            })
        );
    }

    #[test]
    fn failed_invalid_disconnected() {
        let e = one(
            "Nov  2 01:02:03 h sshd[9]: Failed password for invalid user admin from 198.51.100.9 port 2222 ssh2",
        );
        assert_eq!(
            (
                e.event,
                e.invalid_user,
                e.user.as_deref(),
                e.method.as_deref()
            ),
            (EventKind::Failed, true, Some("admin"), Some("password"))
        );
        let e = one("Nov  2 01:02:03 h sshd[9]: Invalid user oracle from 198.51.100.9 port 2223");
        assert_eq!(
            (e.event, e.user.as_deref(), e.port),
            (EventKind::InvalidUser, Some("oracle"), Some(2223))
        );
        let e = one("Nov  2 01:02:03 h sshd[9]: Invalid user  from 198.51.100.9");
        assert_eq!((e.user.as_deref(), e.port), (Some(""), None));
        let e = one(
            "Nov  2 01:02:03 h sshd[9]: Disconnected from authenticating user root 198.51.100.9 port 2224 [preauth]",
        );
        assert_eq!(
            (e.event, e.user.as_deref(), e.preauth, e.port),
            (EventKind::Disconnected, Some("root"), true, Some(2224))
        );
        let e =
            one("Nov  2 01:02:03 h sshd[9]: Connection closed by 198.51.100.9 port 2225 [preauth]");
        assert_eq!((e.event, e.user), (EventKind::ConnectionClosed, None));
        let e = one(
            "Nov  2 01:02:03 h sshd[9]: Failed publickey for ubuntu from 198.51.100.9 port 2226 ssh2: ECDSA SHA256:x",
        );
        assert_eq!(e.key_type.as_deref(), Some("ECDSA"));
    }

    #[test]
    fn other_lines_counted_not_events() {
        let text = "Nov  2 01:02:03 h CRON[5]: pam_unix(cron:session): session opened\n\
                    Nov  2 01:02:03 h sshd[9]: Server listening on 0.0.0.0 port 22.\n\
                    Nov  2 01:02:03 h sshd[9]: Failed to bind\n\
                    garbage\n\
                    Nov  2 01:02:03 h sshd[9]: Accepted publickey for x from nowhere at all\n";
        let mut stats = LogStats::default();
        let mut problems = Vec::new();
        assert!(parse_syslog("/f", text, &mut stats, &mut problems).is_empty());
        assert_eq!(
            stats,
            LogStats {
                lines: 5,
                other_sshd: 2,
                other_programs: 1,
                malformed: 2
            }
        );
        assert_eq!(problems[0].line, Some(4));
        assert_eq!(problems[1].line, Some(5));
    }

    #[test]
    fn journal_export() {
        let text = r#"{"__REALTIME_TIMESTAMP":"1700000000000000","_HOSTNAME":"ip-1","SYSLOG_IDENTIFIER":"sshd","_PID":"77","MESSAGE":"Accepted password for alice from 10.0.0.9 port 5000 ssh2"}
{"SYSLOG_IDENTIFIER":"sshd-session","MESSAGE":[73,110,118,97,108,105,100,32,117,115,101,114,32,120,32,102,114,111,109,32,49,46,50,46,51,46,52]}
{"SYSLOG_IDENTIFIER":"systemd","MESSAGE":"Started"}
not json
"#;
        let mut stats = LogStats::default();
        let mut problems = Vec::new();
        let v = parse_any("/j.json", text, &mut stats, &mut problems);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].time.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(v[0].pid, Some(77));
        assert_eq!(v[1].event, EventKind::InvalidUser);
        assert_eq!(v[1].source_ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(stats.malformed, 1);
        assert_eq!(stats.other_programs, 1);
    }
}

/// An event with the EC2 key pairs (or the hunted key) its fingerprint belongs to.
#[derive(Clone, Debug, Serialize)]
pub struct Login {
    #[serde(flatten)]
    pub event: AuthEvent,
    /// Names of matching EC2 key pairs (`--snapshot`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_pairs: Vec<String>,
    /// Whether the fingerprint is the `--key` being hunted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_key: Option<bool>,
}

pub fn annotate(
    events: Vec<AuthEvent>,
    pairs: Option<&[crate::snapshot_keys::KeyPair]>,
    needle: Option<&crate::audit::Needle>,
) -> Vec<Login> {
    events
        .into_iter()
        .map(|event| {
            let fp = event.fingerprint.as_deref();
            let key_pairs = match (fp, pairs) {
                (Some(fp), Some(pairs)) if fp.starts_with("SHA256:") => {
                    crate::snapshot_keys::match_sha256(fp, pairs)
                        .into_iter()
                        .map(|kp| match &kp.region {
                            Some(r) => format!("{} ({r})", kp.key_name),
                            None => kp.key_name.clone(),
                        })
                        .collect()
                }
                _ => Vec::new(),
            };
            let is_key = needle.map(|n| {
                fp.is_some_and(|fp| {
                    n.fingerprints
                        .contains(&crate::keys::normalise_fingerprint(fp))
                })
            });
            let mut key_pairs = key_pairs;
            if is_key == Some(true) {
                for name in needle.map(|n| n.key_pairs.as_slice()).unwrap_or_default() {
                    if !key_pairs.contains(name) {
                        key_pairs.push(name.clone());
                    }
                }
            }
            Login {
                event,
                key_pairs,
                is_key,
            }
        })
        .collect()
}

/// The auth logs a host keeps under /var/log (Debian `auth.log*`, Red Hat `secure*`), rotated
/// ones included, oldest first.
pub fn default_log_files(root: &crate::root::Root) -> Vec<String> {
    let mut names: Vec<String> = root
        .list_dir("/var/log")
        .unwrap_or_default()
        .into_iter()
        .filter(|n| {
            n.starts_with("auth.log")
                || n == "secure"
                || n.starts_with("secure-")
                || n.starts_with("secure.")
        })
        .collect();
    // auth.log.2.gz, auth.log.1, auth.log: higher rotation numbers are older.
    names.sort_by_key(|n| {
        let rotation: u32 = n
            .split('.')
            .filter_map(|p| p.parse().ok())
            .next()
            .unwrap_or(0);
        (std::cmp::Reverse(rotation), n.clone())
    });
    names
        .into_iter()
        .map(|n| format!("/var/log/{n}"))
        .filter(|p| root.is_file(p))
        .collect()
}

/// Decompresses gzip content (rotated logs), detected by its magic bytes.
pub fn decode(bytes: Vec<u8>) -> std::io::Result<String> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    } else {
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// One row of the logins table.
pub fn table_row(l: &Login) -> String {
    let e = &l.event;
    let mut key = String::new();
    if let Some(t) = &e.key_type {
        key.push_str(t);
        key.push(' ');
    }
    if let Some(fp) = &e.fingerprint {
        key.push_str(fp);
    }
    if let Some(c) = &e.certificate {
        key.push_str(&format!(
            " cert ID {:?} serial {} CA {}",
            c.id,
            c.serial
                .map(|s| s.to_string())
                .unwrap_or_else(|| "?".into()),
            c.ca_fingerprint.as_deref().unwrap_or("?")
        ));
    }
    if !l.key_pairs.is_empty() {
        key.push_str(&format!(" [EC2 key pair: {}]", l.key_pairs.join(", ")));
    }
    if l.is_key == Some(true) {
        key.push_str(" [THE KEY]");
    }
    format!(
        "{:<32} {:<14} {:<17} {:<16} {:<39} {:<5} {:<20} {}",
        e.time.as_deref().unwrap_or("-"),
        e.host.as_deref().unwrap_or("-"),
        e.event.as_str(),
        format!(
            "{}{}",
            if e.invalid_user { "!" } else { "" },
            e.user.as_deref().unwrap_or("-")
        ),
        e.source_ip.as_deref().unwrap_or("-"),
        e.port.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
        e.method.as_deref().unwrap_or("-"),
        key.trim()
    )
}
