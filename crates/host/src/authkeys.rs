//! authorized_keys lines: options, key, comment.

use serde::Serialize;
use ssh_key::PublicKey;
use ssh_key::public::KeyData;

use crate::Problem;
use crate::keys::{self, Ec2Fingerprint, PublicInfo};

/// One `name` or `name="value"` option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyOption {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthorizedKey {
    pub line: usize,
    pub options: Vec<KeyOption>,
    #[serde(flatten)]
    pub public: PublicInfo,
    pub ec2: Vec<Ec2Fingerprint>,
    pub comment: String,
    /// The line as written (public data only).
    #[serde(skip)]
    pub text: String,
    #[serde(skip)]
    pub key_data: KeyData,
}

impl AuthorizedKey {
    pub fn option(&self, name: &str) -> Option<&KeyOption> {
        self.options
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(name))
    }
}

fn is_key_type(word: &str) -> bool {
    word.starts_with("ssh-")
        || word.starts_with("ecdsa-sha2-")
        || word.starts_with("sk-ecdsa-sha2-")
        || word.starts_with("sk-ssh-")
}

/// Parses the options field (`a,b="c d",e`); returns the options and the rest of the line.
pub fn parse_options(s: &str) -> Result<(Vec<KeyOption>, &str), &'static str> {
    let mut options = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    loop {
        let start = i;
        while i < bytes.len()
            && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-' || bytes[i] == b'_')
        {
            i += 1;
        }
        if i == start {
            return Err("bad option name");
        }
        let name = s[start..i].to_string();
        let mut value = None;
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            if i >= bytes.len() || bytes[i] != b'"' {
                return Err("option value must be in double quotes");
            }
            i += 1;
            let mut v = String::new();
            loop {
                match s[i..].chars().next() {
                    None => return Err("unterminated option value"),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') if s[i + 1..].starts_with('"') => {
                        v.push('"');
                        i += 2;
                    }
                    Some(c) => {
                        v.push(c);
                        i += c.len_utf8();
                    }
                }
            }
            value = Some(v);
        }
        options.push(KeyOption { name, value });
        match bytes.get(i) {
            Some(b',') => i += 1,
            Some(b' ') | Some(b'\t') => return Ok((options, s[i..].trim_start())),
            None => return Err("options but no key"),
            Some(_) => return Err("unexpected character in options"),
        }
    }
}

/// Parses one line; `Ok(None)` for blanks and comments.
pub fn parse_line(line: &str) -> Result<Option<(Vec<KeyOption>, PublicKey)>, String> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let first = trimmed.split_whitespace().next().unwrap_or_default();
    let (options, rest) = if is_key_type(first) {
        (Vec::new(), trimmed)
    } else {
        parse_options(trimmed).map_err(str::to_string)?
    };
    let key_type = rest.split_whitespace().next().unwrap_or_default();
    if key_type.contains("-cert-v01@") {
        return Err("certificate in authorized_keys is not supported by sshd".into());
    }
    if !is_key_type(key_type) {
        return Err(format!(
            "expected [options] TYPE BASE64 [comment], found no key type (word {:?})",
            truncate(key_type)
        ));
    }
    let key = PublicKey::from_openssh(rest).map_err(|e| format!("bad {key_type} key: {e}"))?;
    Ok(Some((options, key)))
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Parses a whole file; bad lines become problems.
pub fn parse_file(path: &str, text: &str, problems: &mut Vec<Problem>) -> Vec<AuthorizedKey> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        match parse_line(raw) {
            Ok(None) => {}
            Ok(Some((options, key))) => {
                let data = key.key_data().clone();
                out.push(AuthorizedKey {
                    line: i + 1,
                    options,
                    public: keys::public_info(&data),
                    ec2: keys::ec2_public_fingerprints(&data),
                    comment: key.comment().to_string(),
                    text: raw.to_string(),
                    key_data: data,
                })
            }
            Err(e) => problems.push(Problem::new(
                path,
                Some(i + 1),
                format!("skipped key line: {e}"),
            )),
        }
    }
    out
}

/// Expands an AuthorizedKeysFile entry: `%h` home, `%u` user, `%U` uid, `%%`; relative paths
/// are relative to the home directory.
pub fn expand_pattern(pattern: &str, user: &crate::passwd::User) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(&user.home),
            Some('u') => out.push_str(&user.name),
            Some('U') => out.push_str(&user.uid.to_string()),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    if out.starts_with('/') {
        out
    } else {
        format!("{}/{out}", user.home.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHEwAZf67qxvelrKeXp9lPuRSARMLoMOI/PS1dUjMXP4";

    #[test]
    fn options_and_comment() {
        let line =
            format!(r#"from="10.0.0.0/8,!10.0.0.1",command="echo \"hi\"",no-pty {ED} ops@laptop"#);
        let (opts, key) = parse_line(&line).unwrap().unwrap();
        assert_eq!(
            opts,
            vec![
                KeyOption {
                    name: "from".into(),
                    value: Some("10.0.0.0/8,!10.0.0.1".into())
                },
                KeyOption {
                    name: "command".into(),
                    value: Some("echo \"hi\"".into())
                },
                KeyOption {
                    name: "no-pty".into(),
                    value: None
                },
            ]
        );
        assert_eq!(key.comment(), "ops@laptop");
        assert!(parse_line("  # comment").unwrap().is_none());
        assert!(parse_line("").unwrap().is_none());
    }

    #[test]
    fn bad_lines_are_errors() {
        assert!(parse_line("command=\"x").is_err());
        assert!(parse_line("no-pty").is_err());
        assert!(parse_line("ssh-rsa notbase64").is_err());
        assert!(parse_line(&format!("command=unquoted {ED}")).is_err());
        let mut problems = Vec::new();
        let keys = parse_file("/k", &format!("{ED}\ngarbage here\n"), &mut problems);
        assert_eq!(keys.len(), 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(2));
    }

    #[test]
    fn pattern_tokens() {
        let u = crate::passwd::User {
            name: "bob".into(),
            uid: 1001,
            gid: 1001,
            home: "/home/bob".into(),
            shell: "/bin/sh".into(),
        };
        assert_eq!(
            expand_pattern(".ssh/authorized_keys", &u),
            "/home/bob/.ssh/authorized_keys"
        );
        assert_eq!(expand_pattern("/etc/ssh/keys/%u", &u), "/etc/ssh/keys/bob");
        assert_eq!(
            expand_pattern("%h/.ssh/k_%U_%%", &u),
            "/home/bob/.ssh/k_1001_%"
        );
    }
}
