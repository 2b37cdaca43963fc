//! Gathers what the checks look at from a host root, and runs them.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;

use serde::Serialize;

use crate::authkeys::{self, AuthorizedKey};
use crate::passwd::{self, Group, User};
use crate::root::Root;
use crate::snapshot_keys::KeyPair;
use crate::sshd::SshdConfig;
use crate::sudoers::Sudoers;
use crate::{Finding, Problem, keys};

/// A key to look for (`--find-key`): every fingerprint form it is known by, normalised.
#[derive(Clone, Debug, Serialize)]
pub struct Needle {
    pub label: String,
    pub fingerprints: Vec<String>,
    /// EC2 key pairs this key is known to be (from its EC2 fingerprints), for log lines that
    /// only carry the SHA256 fingerprint.
    pub key_pairs: Vec<String>,
}

impl Needle {
    /// From a key file report.
    pub fn from_report(label: &str, report: &keys::KeyReport) -> Needle {
        Needle {
            label: label.to_string(),
            fingerprints: report
                .all_fingerprints()
                .into_iter()
                .map(keys::normalise_fingerprint)
                .collect(),
            key_pairs: Vec::new(),
        }
    }

    /// From a fingerprint string (`SHA256:...`, `MD5:..`, an EC2 KeyFingerprint).
    pub fn from_fingerprint(fp: &str) -> Needle {
        Needle {
            label: fp.to_string(),
            fingerprints: vec![keys::normalise_fingerprint(fp)],
            key_pairs: Vec::new(),
        }
    }

    pub fn matches(&self, key: &AuthorizedKey) -> bool {
        let mut ours = vec![key.public.sha256.as_str(), key.public.md5.as_str()];
        ours.extend(key.ec2.iter().map(|f| f.value.as_str()));
        ours.into_iter()
            .any(|fp| self.fingerprints.contains(&keys::normalise_fingerprint(fp)))
    }
}

/// File mode and owner trouble, as sshd's StrictModes sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PermIssue {
    pub path: String,
    pub mode: String,
    pub owner_uid: u32,
    pub problem: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct AuthorizedFile {
    pub user: String,
    pub uid: u32,
    pub path: String,
    pub keys: Vec<AuthorizedKey>,
    pub permissions: Vec<PermIssue>,
}

#[derive(Clone, Debug, Default)]
pub struct AuditOptions {
    pub key_pairs: Option<Vec<KeyPair>>,
    pub needle: Option<Needle>,
}

/// Everything read from the host.
#[derive(Debug)]
pub struct HostData {
    pub root: Root,
    pub sshd: SshdConfig,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub authorized: Vec<AuthorizedFile>,
    pub sudoers: Sudoers,
    pub sudoers_permissions: Vec<PermIssue>,
    pub key_pairs: Option<Vec<KeyPair>>,
    pub needle: Option<Needle>,
    pub problems: Vec<Problem>,
}

/// The result of `trailhound host`.
#[derive(Debug, Serialize)]
pub struct HostReport {
    pub root: String,
    pub sshd_files: Vec<String>,
    pub sshd_effective: Vec<crate::sshd::Setting>,
    pub sshd_matches: Vec<MatchReport>,
    pub authorized_keys: Vec<AuthorizedFile>,
    pub sudoers_files: Vec<String>,
    pub sudo_rules: Vec<crate::sudoers::Rule>,
    pub findings: Vec<Finding>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Serialize)]
pub struct MatchReport {
    pub criteria: String,
    pub path: String,
    pub line: usize,
    /// Only what the block changes.
    pub settings: Vec<crate::sshd::Setting>,
}

fn mode_string(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

/// StrictModes-style check of one path: not group/other writable, owned by root or `uid`.
pub fn check_path(root: &Root, path: &str, uid: u32) -> Option<PermIssue> {
    let meta = root.metadata(path).ok()?;
    let mode = meta.mode();
    let mut problems = Vec::new();
    if mode & 0o022 != 0 {
        problems.push(format!(
            "writable by {}",
            match (mode & 0o020 != 0, mode & 0o002 != 0) {
                (true, true) => "group and others",
                (true, false) => "group",
                _ => "others",
            }
        ));
    }
    if meta.uid() != uid && meta.uid() != 0 {
        problems.push(format!(
            "owned by uid {} instead of {uid} or root",
            meta.uid()
        ));
    }
    (!problems.is_empty()).then(|| PermIssue {
        path: path.to_string(),
        mode: mode_string(mode),
        owner_uid: meta.uid(),
        problem: problems.join("; "),
    })
}

pub fn gather(root: Root, options: AuditOptions) -> HostData {
    let mut problems = Vec::new();
    let sshd = SshdConfig::load(&root);
    problems.extend(sshd.problems.iter().cloned());
    let users = match root.read_to_string("/etc/passwd") {
        Ok(t) => passwd::parse_passwd("/etc/passwd", &t, &mut problems),
        Err(e) => {
            problems.push(Problem::new(
                "/etc/passwd",
                None,
                format!("cannot read: {e}; no users to audit"),
            ));
            Vec::new()
        }
    };
    let groups = root
        .read_to_string("/etc/group")
        .map(|t| passwd::parse_group("/etc/group", &t, &mut problems))
        .unwrap_or_default();

    let mut authorized = Vec::new();
    for user in &users {
        let user_groups = passwd::groups_of(user, &groups);
        let mut settings = vec![sshd.get("AuthorizedKeysFile", None)];
        for block in 0..sshd.matches.len() {
            if sshd.block_may_apply(block, &user.name, &user_groups) {
                let s = sshd.get("AuthorizedKeysFile", Some(block));
                if s.match_block.is_some() {
                    settings.push(s);
                }
            }
        }
        let mut paths = BTreeSet::new();
        for s in settings {
            for pattern in s.value.split_whitespace() {
                if pattern.eq_ignore_ascii_case("none") {
                    continue;
                }
                paths.insert(authkeys::expand_pattern(pattern, user));
            }
        }
        for path in paths {
            if !root.is_file(&path) {
                continue;
            }
            let text = match root.read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(Problem::new(&path, None, format!("cannot read: {e}")));
                    continue;
                }
            };
            let keys = authkeys::parse_file(&path, &text, &mut problems);
            let mut permissions = Vec::new();
            // The file, then each directory up to and including the home directory.
            let mut p = path.clone();
            loop {
                if let Some(issue) = check_path(&root, &p, user.uid) {
                    permissions.push(issue);
                }
                if p == user.home.trim_end_matches('/')
                    || !p.starts_with(user.home.trim_end_matches('/'))
                {
                    break;
                }
                match p.rsplit_once('/') {
                    Some((parent, _)) if !parent.is_empty() => p = parent.to_string(),
                    _ => break,
                }
            }
            authorized.push(AuthorizedFile {
                user: user.name.clone(),
                uid: user.uid,
                path,
                keys,
                permissions,
            });
        }
    }

    let sudoers = Sudoers::load(&root);
    problems.extend(sudoers.problems.iter().cloned());
    let sudoers_permissions = sudoers
        .files
        .iter()
        .filter_map(|f| check_path(&root, f, 0))
        .collect();

    HostData {
        root,
        sshd,
        users,
        groups,
        authorized,
        sudoers,
        sudoers_permissions,
        key_pairs: options.key_pairs,
        needle: options.needle,
        problems,
    }
}

impl HostData {
    /// Number of static keys across all authorized_keys files.
    pub fn key_count(&self) -> usize {
        self.authorized.iter().map(|f| f.keys.len()).sum()
    }

    pub fn run_checks(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        for check in crate::checks::ALL {
            (check.run)(self, &mut findings);
        }
        findings
    }

    pub fn report(self) -> HostReport {
        let mut findings = self.run_checks();
        // Worst first; checks keep their order within a severity.
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let sshd_matches = self
            .sshd
            .matches
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut keywords: Vec<&str> = self
                    .sshd
                    .directives
                    .iter()
                    .filter(|d| d.match_block == Some(i))
                    .map(|d| d.keyword.as_str())
                    .collect();
                keywords.dedup();
                MatchReport {
                    criteria: m.criteria.clone(),
                    path: m.path.clone(),
                    line: m.line,
                    settings: keywords
                        .into_iter()
                        .map(|k| self.sshd.get(k, Some(i)))
                        .collect(),
                }
            })
            .collect();
        HostReport {
            root: self.root.base().display().to_string(),
            sshd_files: self.sshd.files.clone(),
            sshd_effective: self.sshd.effective(None).into_values().collect(),
            sshd_matches,
            authorized_keys: self.authorized,
            sudoers_files: self.sudoers.files.clone(),
            sudo_rules: self.sudoers.rules.clone(),
            findings,
            problems: self.problems,
        }
    }
}
