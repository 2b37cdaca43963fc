//! sshd_config: directives with their file:line, Include expansion, Match blocks, and the
//! effective value of each keyword (first value wins, as in sshd; defaults of current OpenSSH).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::root::Root;
use crate::{Evidence, Problem};

pub const MAIN_CONFIG: &str = "/etc/ssh/sshd_config";
const MAX_INCLUDE_DEPTH: usize = 16;
/// Files read in all: includes that fan out (`Include *` in several files) stop here.
const MAX_FILES: usize = 256;

/// Current OpenSSH (9.x) compiled-in defaults for the keywords trailhound reasons about.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("passwordauthentication", "yes"),
    ("kbdinteractiveauthentication", "yes"),
    ("permitrootlogin", "prohibit-password"),
    ("permitemptypasswords", "no"),
    ("pubkeyauthentication", "yes"),
    ("maxauthtries", "6"),
    ("usepam", "no"),
    ("strictmodes", "yes"),
    (
        "authorizedkeysfile",
        ".ssh/authorized_keys .ssh/authorized_keys2",
    ),
    (
        "ciphers",
        "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
    ),
    (
        "macs",
        "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
    ),
    (
        "kexalgorithms",
        "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
    ),
];

/// Keywords whose lines add up instead of the first one winning.
const ACCUMULATING: &[&str] = &[
    "allowusers",
    "allowgroups",
    "denyusers",
    "denygroups",
    "hostkey",
    "acceptenv",
    "listenaddress",
    "port",
    "subsystem",
];

/// Old names sshd still accepts.
fn canonical(keyword: &str) -> String {
    let lower = keyword.to_ascii_lowercase();
    match lower.as_str() {
        "challengeresponseauthentication" => "kbdinteractiveauthentication".into(),
        "dsaauthentication" => "pubkeyauthentication".into(),
        _ => lower,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Directive {
    /// Lowercase canonical keyword (aliases folded).
    pub keyword: String,
    /// As written.
    pub written: String,
    pub args: Vec<String>,
    pub path: String,
    pub line: usize,
    /// Index into `SshdConfig::matches` when inside a Match block.
    pub match_block: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatchBlock {
    /// The criteria as written, e.g. `User deploy Address 10.0.0.0/8`.
    pub criteria: String,
    pub conditions: Vec<(String, String)>,
    pub path: String,
    pub line: usize,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SshdConfig {
    /// Files read, in order.
    pub files: Vec<String>,
    pub directives: Vec<Directive>,
    pub matches: Vec<MatchBlock>,
    #[serde(skip)]
    pub problems: Vec<Problem>,
    /// Whether the main file exists at all.
    pub present: bool,
    /// Files being parsed, outermost first (cycle detection).
    #[serde(skip)]
    include_stack: Vec<String>,
}

/// Where an effective value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub keyword: String,
    pub value: String,
    /// None for a compiled-in default.
    pub path: Option<String>,
    pub line: Option<usize>,
    pub match_block: Option<usize>,
}

impl Setting {
    pub fn evidence(&self) -> Evidence {
        match (&self.path, self.line) {
            (Some(p), Some(l)) => Evidence::line(p, l, format!("{} {}", self.keyword, self.value)),
            _ => Evidence::default_value(&format!("{} {}", self.keyword, self.value)),
        }
    }

    pub fn is_default(&self) -> bool {
        self.path.is_none()
    }

    pub fn is_yes(&self) -> bool {
        self.value.eq_ignore_ascii_case("yes")
    }
}

/// Splits a line into words: double quotes group, `#` at the start of a word ends the line.
pub fn split_args(line: &str) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        if c == '#' {
            break;
        }
        let mut word = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if !quoted && c.is_whitespace() {
                break;
            }
            chars.next();
            match c {
                '"' => quoted = !quoted,
                '\\' if quoted => {
                    if let Some(n) = chars.next() {
                        word.push(n);
                    }
                }
                _ => word.push(c),
            }
        }
        if quoted {
            return Err("unterminated quote");
        }
        out.push(word);
    }
    Ok(out)
}

/// Splits `Keyword value...` and `Keyword=value...`.
fn keyword_and_args(line: &str) -> Result<Option<(String, Vec<String>)>, &'static str> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let end = trimmed
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(trimmed.len());
    let keyword = trimmed[..end].to_string();
    let mut rest = trimmed[end..].trim_start();
    if let Some(r) = rest.strip_prefix('=') {
        rest = r;
    }
    Ok(Some((keyword, split_args(rest)?)))
}

impl SshdConfig {
    /// Reads `/etc/ssh/sshd_config` and what it includes, under `root`.
    pub fn load(root: &Root) -> SshdConfig {
        let mut cfg = SshdConfig::default();
        match root.read_to_string(MAIN_CONFIG) {
            Ok(text) => {
                cfg.present = true;
                cfg.parse_file(root, MAIN_CONFIG, &text, None, 0);
            }
            Err(e) => cfg.problems.push(Problem::new(
                MAIN_CONFIG,
                None,
                format!("cannot read: {e}; reporting compiled-in defaults"),
            )),
        }
        cfg
    }

    /// Parses one config text (no file system needed unless it has Include lines).
    pub fn parse_str(root: Option<&Root>, path: &str, text: &str) -> SshdConfig {
        let mut cfg = SshdConfig {
            present: true,
            ..SshdConfig::default()
        };
        match root {
            Some(r) => cfg.parse_file(r, path, text, None, 0),
            None => cfg.parse_lines(None, path, text, None, 0),
        }
        cfg
    }

    fn parse_file(
        &mut self,
        root: &Root,
        path: &str,
        text: &str,
        context: Option<usize>,
        depth: usize,
    ) {
        self.parse_lines(Some(root), path, text, context, depth);
    }

    fn parse_lines(
        &mut self,
        root: Option<&Root>,
        path: &str,
        text: &str,
        context: Option<usize>,
        depth: usize,
    ) {
        self.files.push(path.to_string());
        self.include_stack.push(path.to_string());
        self.parse_body(root, path, text, context, depth);
        self.include_stack.pop();
    }

    fn parse_body(
        &mut self,
        root: Option<&Root>,
        path: &str,
        text: &str,
        context: Option<usize>,
        depth: usize,
    ) {
        // A Match opened in an included file ends with that file.
        let mut current = context;
        for (idx, raw) in text.lines().enumerate() {
            let line = idx + 1;
            let (keyword, args) = match keyword_and_args(raw) {
                Ok(Some(x)) => x,
                Ok(None) => continue,
                Err(e) => {
                    self.problems.push(Problem::new(
                        path,
                        Some(line),
                        format!("skipped line: {e}"),
                    ));
                    continue;
                }
            };
            let canon = canonical(&keyword);
            match canon.as_str() {
                "match" => {
                    let conditions = args
                        .chunks(2)
                        .map(|c| {
                            (
                                c[0].to_ascii_lowercase(),
                                c.get(1).cloned().unwrap_or_default(),
                            )
                        })
                        .collect();
                    self.matches.push(MatchBlock {
                        criteria: args.join(" "),
                        conditions,
                        path: path.to_string(),
                        line,
                    });
                    let idx = self.matches.len() - 1;
                    // `Match all` is a block like any other: it overrides the global lines for
                    // every connection rather than returning to them.
                    current = Some(idx);
                }
                "include" => {
                    let Some(root) = root else { continue };
                    if depth >= MAX_INCLUDE_DEPTH {
                        self.problems.push(Problem::new(
                            path,
                            Some(line),
                            "Include nested too deeply; not followed",
                        ));
                        continue;
                    }
                    for pattern in &args {
                        let pattern = if pattern.starts_with('/') {
                            pattern.clone()
                        } else {
                            format!("/etc/ssh/{pattern}")
                        };
                        for file in root.glob(&pattern) {
                            if self.files.len() >= MAX_FILES {
                                self.problems.push(Problem::new(
                                    path,
                                    Some(line),
                                    format!("more than {MAX_FILES} included files; the rest not followed"),
                                ));
                                return;
                            }
                            if self.include_stack.contains(&file) {
                                self.problems.push(Problem::new(
                                    path,
                                    Some(line),
                                    format!("Include cycle through {file}; not followed"),
                                ));
                                continue;
                            }
                            match root.read_to_string(&file) {
                                Ok(text) => {
                                    self.parse_lines(Some(root), &file, &text, current, depth + 1)
                                }
                                Err(e) => self.problems.push(Problem::new(
                                    &file,
                                    None,
                                    format!("cannot read included file: {e}"),
                                )),
                            }
                        }
                    }
                }
                _ => self.directives.push(Directive {
                    keyword: canon,
                    written: keyword,
                    args,
                    path: path.to_string(),
                    line,
                    match_block: current,
                }),
            }
        }
    }

    /// The effective value of `keyword` for everyone (`None`) or inside Match block `block`.
    pub fn get(&self, keyword: &str, block: Option<usize>) -> Setting {
        let keyword = canonical(keyword);
        let accumulate = ACCUMULATING.contains(&keyword.as_str());
        let pick = |scope: Option<usize>| -> Option<Setting> {
            let mut found: Option<Setting> = None;
            for d in self
                .directives
                .iter()
                .filter(|d| d.keyword == keyword && d.match_block == scope)
            {
                match &mut found {
                    None => {
                        found = Some(Setting {
                            keyword: d.written.clone(),
                            value: d.args.join(" "),
                            path: Some(d.path.clone()),
                            line: Some(d.line),
                            match_block: scope,
                        })
                    }
                    Some(s) if accumulate => {
                        s.value.push(' ');
                        s.value.push_str(&d.args.join(" "));
                    }
                    Some(_) => {}
                }
            }
            found
        };
        if let Some(b) = block
            && let Some(s) = pick(Some(b))
        {
            return s;
        }
        pick(None).unwrap_or_else(|| Setting {
            keyword: display_name(&keyword),
            value: DEFAULTS
                .iter()
                .find(|(k, _)| *k == keyword)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default(),
            path: None,
            line: None,
            match_block: None,
        })
    }

    /// Whether any line sets `keyword` outside Match blocks.
    pub fn is_set(&self, keyword: &str) -> bool {
        let keyword = canonical(keyword);
        self.directives
            .iter()
            .any(|d| d.keyword == keyword && d.match_block.is_none())
    }

    /// Match blocks that set `keyword`, with their setting.
    pub fn match_overrides(&self, keyword: &str) -> Vec<(usize, Setting)> {
        let keyword = canonical(keyword);
        (0..self.matches.len())
            .filter(|&i| {
                self.directives
                    .iter()
                    .any(|d| d.keyword == keyword && d.match_block == Some(i))
            })
            .map(|i| (i, self.get(&keyword, Some(i))))
            .collect()
    }

    /// The global effective configuration: every keyword set in the files, plus the defaults.
    pub fn effective(&self, block: Option<usize>) -> BTreeMap<String, Setting> {
        let mut out = BTreeMap::new();
        for (k, _) in DEFAULTS {
            out.insert(k.to_string(), self.get(k, block));
        }
        for d in &self.directives {
            if d.match_block.is_none() || d.match_block == block {
                out.entry(d.keyword.clone())
                    .or_insert_with(|| self.get(&d.keyword, block));
            }
        }
        out
    }

    /// Whether Match block `block` can apply to `user` (criteria other than User/Group are
    /// unknown offline and assumed to possibly match).
    pub fn block_may_apply(&self, block: usize, user: &str, groups: &[String]) -> bool {
        self.matches[block]
            .conditions
            .iter()
            .all(|(criterion, value)| match criterion.as_str() {
                "user" => crate::pattern::ssh_match_list(value, user),
                "group" => groups
                    .iter()
                    .any(|g| crate::pattern::ssh_match_list(value, g)),
                _ => true,
            })
    }
}

/// The usual spelling of a keyword, for defaults that appear in no file.
pub fn display_name(keyword: &str) -> String {
    const NAMES: &[&str] = &[
        "PasswordAuthentication",
        "KbdInteractiveAuthentication",
        "PermitRootLogin",
        "PermitEmptyPasswords",
        "PubkeyAuthentication",
        "MaxAuthTries",
        "UsePAM",
        "StrictModes",
        "AuthorizedKeysFile",
        "Ciphers",
        "MACs",
        "KexAlgorithms",
        "AllowUsers",
        "AllowGroups",
        "TrustedUserCAKeys",
        "AuthorizedKeysCommand",
    ];
    NAMES
        .iter()
        .find(|n| n.eq_ignore_ascii_case(keyword))
        .map(|n| n.to_string())
        .unwrap_or_else(|| keyword.to_string())
}

/// Applies OpenSSH's `+`/`-`/`^` list syntax to a default list.
pub fn algorithm_list(value: &str, default: &str) -> Vec<String> {
    let defaults: Vec<String> = default.split(',').map(str::to_string).collect();
    let value = value.trim();
    if let Some(add) = value.strip_prefix('+') {
        let mut v = defaults;
        v.extend(add.split(',').filter(|s| !s.is_empty()).map(str::to_string));
        v
    } else if let Some(remove) = value.strip_prefix('-') {
        let gone: Vec<&str> = remove.split(',').collect();
        defaults
            .into_iter()
            .filter(|d| !gone.iter().any(|g| crate::pattern::glob_match(g, d)))
            .collect()
    } else if let Some(front) = value.strip_prefix('^') {
        let mut v: Vec<String> = front
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        v.extend(defaults);
        v
    } else {
        value
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_wins_and_aliases_fold() {
        let cfg = SshdConfig::parse_str(
            None,
            "/etc/ssh/sshd_config",
            "# c\nPasswordAuthentication no\npasswordauthentication yes\nChallengeResponseAuthentication=yes\nAllowUsers a b\nAllowUsers c # trailing\n",
        );
        let s = cfg.get("PasswordAuthentication", None);
        assert_eq!((s.value.as_str(), s.line), ("no", Some(2)));
        let k = cfg.get("KbdInteractiveAuthentication", None);
        assert_eq!((k.value.as_str(), k.line), ("yes", Some(4)));
        assert_eq!(cfg.get("AllowUsers", None).value, "a b c");
        let d = cfg.get("MaxAuthTries", None);
        assert!(d.is_default());
        assert_eq!(d.value, "6");
    }

    #[test]
    fn match_blocks_override_for_their_scope() {
        let cfg = SshdConfig::parse_str(
            None,
            "/etc/ssh/sshd_config",
            "PasswordAuthentication no\nMatch User deploy,ops\n  PasswordAuthentication yes\nMatch all\nMaxAuthTries 3\n",
        );
        assert_eq!(cfg.matches.len(), 2);
        assert_eq!(cfg.get("PasswordAuthentication", None).value, "no");
        assert_eq!(cfg.get("PasswordAuthentication", Some(0)).value, "yes");
        assert_eq!(
            cfg.get("MaxAuthTries", None).value,
            "6",
            "Match all is a block"
        );
        assert_eq!(cfg.get("MaxAuthTries", Some(1)).value, "3");
        assert!(cfg.block_may_apply(1, "root", &[]));
        assert!(cfg.block_may_apply(0, "ops", &[]));
        assert!(!cfg.block_may_apply(0, "root", &[]));
    }

    #[test]
    fn quoting_and_errors() {
        assert_eq!(split_args(r#"a "b c" d"#).unwrap(), vec!["a", "b c", "d"]);
        assert_eq!(split_args("a #c").unwrap(), vec!["a"]);
        assert!(split_args(r#"a "b"#).is_err());
        let cfg = SshdConfig::parse_str(None, "/x", "Banner \"oops\n");
        assert_eq!(cfg.problems.len(), 1);
        assert_eq!(cfg.problems[0].line, Some(1));
    }

    #[test]
    fn include_cycles_and_fan_out_stop() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("etc/ssh/d");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            dir.path().join("etc/ssh/sshd_config"),
            "Include d/*\nPort 22\n",
        )
        .unwrap();
        for name in ["a", "b", "c"] {
            std::fs::write(d.join(name), "Include d/*\nMaxAuthTries 3\n").unwrap();
        }
        let root = Root::new(dir.path()).unwrap();
        let cfg = SshdConfig::load(&root);
        assert!(cfg.files.len() <= MAX_FILES);
        assert_eq!(cfg.get("Port", None).value, "22");
        assert_eq!(cfg.get("MaxAuthTries", None).line, Some(2));
        assert!(
            cfg.problems
                .iter()
                .any(|p| p.message.starts_with("Include cycle through /etc/ssh/d/a"))
        );
    }

    #[test]
    fn algorithm_list_syntax() {
        assert_eq!(algorithm_list("+x", "a,b"), vec!["a", "b", "x"]);
        assert_eq!(algorithm_list("-b", "a,b"), vec!["a"]);
        assert_eq!(algorithm_list("^x", "a,b"), vec!["x", "a", "b"]);
        assert_eq!(algorithm_list("x,y", "a,b"), vec!["x", "y"]);
    }
}
