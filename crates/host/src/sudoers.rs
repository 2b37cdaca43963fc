//! sudoers and the files it includes (`#include`, `@include`, `#includedir`, `@includedir`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Problem;
use crate::root::Root;

pub const MAIN: &str = "/etc/sudoers";
const MAX_DEPTH: usize = 8;

/// One command of a user specification, with the tags and runas in force for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub path: String,
    pub line: usize,
    /// Users, `%groups`, aliases or ALL, as written.
    pub who: String,
    pub runas: Option<String>,
    pub nopasswd: bool,
    /// The command (alias names expanded one level).
    pub command: String,
    pub text: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Sudoers {
    pub files: Vec<String>,
    pub rules: Vec<Rule>,
    #[serde(skip)]
    pub problems: Vec<Problem>,
}

impl Sudoers {
    pub fn load(root: &Root) -> Sudoers {
        let mut s = Sudoers::default();
        if let Ok(text) = root.read_to_string(MAIN) {
            s.parse_file(Some(root), MAIN, &text, 0, &mut BTreeMap::new());
        }
        s
    }

    pub fn parse_str(path: &str, text: &str) -> Sudoers {
        let mut s = Sudoers::default();
        s.parse_file(None, path, text, 0, &mut BTreeMap::new());
        s
    }

    fn include(
        &mut self,
        root: &Root,
        path: &str,
        depth: usize,
        aliases: &mut BTreeMap<String, Vec<String>>,
    ) {
        if depth >= MAX_DEPTH || self.files.iter().any(|f| f == path) {
            self.problems.push(Problem::new(
                path,
                None,
                "include loop or nesting too deep; not followed",
            ));
            return;
        }
        match root.read_to_string(path) {
            Ok(text) => self.parse_file(Some(root), path, &text, depth + 1, aliases),
            Err(e) => self.problems.push(Problem::new(
                path,
                None,
                format!("cannot read included file: {e}"),
            )),
        }
    }

    fn parse_file(
        &mut self,
        root: Option<&Root>,
        path: &str,
        text: &str,
        depth: usize,
        aliases: &mut BTreeMap<String, Vec<String>>,
    ) {
        self.files.push(path.to_string());
        let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let mut pending = String::new();
        let mut start_line = 0;
        for (i, raw) in text.lines().enumerate() {
            if pending.is_empty() {
                start_line = i + 1;
            }
            let raw = raw.trim_end_matches('\r');
            if let Some(cont) = raw.strip_suffix('\\') {
                pending.push_str(cont);
                pending.push(' ');
                continue;
            }
            pending.push_str(raw);
            let line = std::mem::take(&mut pending);
            let line = line.trim();
            let include = line
                .strip_prefix("#includedir ")
                .or_else(|| line.strip_prefix("@includedir "))
                .map(|p| (true, p))
                .or_else(|| {
                    line.strip_prefix("#include ")
                        .or_else(|| line.strip_prefix("@include "))
                        .map(|p| (false, p))
                });
            if let Some((is_dir, target)) = include {
                let target = target.trim().trim_matches('"');
                let target = if target.starts_with('/') {
                    target.to_string()
                } else {
                    format!("{dir}/{target}")
                };
                let Some(root) = root else { continue };
                if is_dir {
                    // sudo skips names ending in `~` or containing `.`.
                    for name in root.list_dir(&target).unwrap_or_default() {
                        let file = format!("{target}/{name}");
                        // Like sudo: regular files only, skipping `~` backups and names with a dot.
                        if !name.ends_with('~') && !name.contains('.') && root.is_file(&file) {
                            self.include(root, &file, depth, aliases);
                        }
                    }
                } else {
                    self.include(root, &target, depth, aliases);
                }
                continue;
            }
            if line.is_empty() || line.starts_with('#') || line.starts_with("Defaults") {
                continue;
            }
            if let Some(rest) = line.strip_prefix("Cmnd_Alias") {
                for def in rest.split(':') {
                    if let Some((name, cmds)) = def.split_once('=') {
                        aliases.insert(
                            name.trim().to_string(),
                            split_commands(cmds)
                                .into_iter()
                                .map(|c| c.trim().to_string())
                                .collect(),
                        );
                    }
                }
                continue;
            }
            if ["User_Alias", "Host_Alias", "Runas_Alias"]
                .iter()
                .any(|a| line.starts_with(a))
            {
                continue;
            }
            match parse_spec(path, start_line, line, aliases) {
                Some(rules) => self.rules.extend(rules),
                None => self.problems.push(Problem::new(
                    path,
                    Some(start_line),
                    "skipped line: not a sudoers user specification",
                )),
            }
        }
    }
}

/// Splits on commas outside parentheses.
fn split_commands(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

const TAGS: &[&str] = &[
    "NOPASSWD",
    "PASSWD",
    "SETENV",
    "NOSETENV",
    "EXEC",
    "NOEXEC",
    "LOG_INPUT",
    "NOLOG_INPUT",
    "LOG_OUTPUT",
    "NOLOG_OUTPUT",
    "MAIL",
    "NOMAIL",
    "FOLLOW",
    "NOFOLLOW",
    "INTERCEPT",
    "NOINTERCEPT",
];

fn parse_spec(
    path: &str,
    line: usize,
    text: &str,
    aliases: &BTreeMap<String, Vec<String>>,
) -> Option<Vec<Rule>> {
    let (left, right) = text.split_once('=')?;
    let left = left.trim();
    let host_start = left.rfind(char::is_whitespace)?;
    let who = left[..host_start].trim().to_string();
    if who.is_empty() {
        return None;
    }
    let mut rules = Vec::new();
    let mut nopasswd = false;
    let mut runas: Option<String> = None;
    for cmd in split_commands(right) {
        let mut cmd = cmd.trim();
        if let Some(rest) = cmd.strip_prefix('(') {
            let (r, after) = rest.split_once(')')?;
            runas = Some(r.trim().to_string());
            cmd = after.trim();
        }
        while let Some((tag, after)) = cmd.split_once(':') {
            let tag = tag.trim();
            if !TAGS.contains(&tag) {
                break;
            }
            match tag {
                "NOPASSWD" => nopasswd = true,
                "PASSWD" => nopasswd = false,
                _ => {}
            }
            cmd = after.trim();
        }
        if cmd.is_empty() {
            return None;
        }
        let expanded = aliases
            .get(cmd)
            .cloned()
            .unwrap_or_else(|| vec![cmd.to_string()]);
        for command in expanded {
            rules.push(Rule {
                path: path.to_string(),
                line,
                who: who.clone(),
                runas: runas.clone(),
                nopasswd,
                command,
                text: text.to_string(),
            });
        }
    }
    Some(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_tags_and_aliases() {
        let s = Sudoers::parse_str(
            "/etc/sudoers",
            "Defaults env_reset\n# comment\nCmnd_Alias SHELLS = /bin/bash, /bin/sh\nroot ALL=(ALL:ALL) ALL\n%wheel ALL=(ALL) NOPASSWD: ALL\nops ALL=(root) NOPASSWD: /usr/bin/systemctl restart nginx, PASSWD: SHELLS\nbackup ALL = \\\n  /usr/bin/rsync\nnonsense\n",
        );
        let view: Vec<(&str, bool, &str, usize)> = s
            .rules
            .iter()
            .map(|r| (r.who.as_str(), r.nopasswd, r.command.as_str(), r.line))
            .collect();
        assert_eq!(
            view,
            vec![
                ("root", false, "ALL", 4),
                ("%wheel", true, "ALL", 5),
                ("ops", true, "/usr/bin/systemctl restart nginx", 6),
                ("ops", false, "/bin/bash", 6),
                ("ops", false, "/bin/sh", 6),
                ("backup", false, "/usr/bin/rsync", 7),
            ]
        );
        assert_eq!(s.problems.len(), 1);
        assert_eq!(s.problems[0].line, Some(9));
    }
}
