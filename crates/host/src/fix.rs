//! `--fix`: the hardening edits of the findings as a unified diff, applied only on request and
//! after a backup.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Finding;
use crate::root::Root;

/// One change to one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Edit {
    /// Replace sshd line `line` with `keyword value`, or insert it as the first line when `line`
    /// is None (first value wins, so the top of the main file overrides later lines).
    SetOption {
        path: String,
        line: Option<usize>,
        keyword: String,
        value: String,
    },
    /// Delete line `line`, expected to read `text` (an authorized_keys entry).
    DeleteLine {
        path: String,
        line: usize,
        #[serde(skip)]
        text: String,
    },
}

impl Edit {
    pub fn path(&self) -> &str {
        match self {
            Edit::SetOption { path, .. } | Edit::DeleteLine { path, .. } => path,
        }
    }
}

/// The new contents of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilePatch {
    pub path: String,
    pub old: String,
    pub new: String,
}

/// Computes the patched files. Files that cannot be read, or whose lines changed since the
/// audit, are reported as problems and left out.
pub fn plan(root: &Root, findings: &[Finding]) -> (Vec<FilePatch>, Vec<crate::Problem>) {
    let mut by_file: BTreeMap<&str, Vec<&Edit>> = BTreeMap::new();
    for f in findings {
        for e in &f.fix {
            by_file.entry(e.path()).or_default().push(e);
        }
    }
    let mut patches = Vec::new();
    let mut problems = Vec::new();
    for (path, edits) in by_file {
        let old = match root.read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(crate::Problem::new(
                    path,
                    None,
                    format!("cannot read for --fix: {e}"),
                ));
                continue;
            }
        };
        match apply_edits(&old, &edits) {
            Ok(new) if new != old => patches.push(FilePatch {
                path: path.to_string(),
                old,
                new,
            }),
            Ok(_) => {}
            Err(e) => problems.push(crate::Problem::new(path, None, e)),
        }
    }
    (patches, problems)
}

fn apply_edits(old: &str, edits: &[&Edit]) -> Result<String, String> {
    let mut lines: Vec<Option<String>> = old.lines().map(|l| Some(l.to_string())).collect();
    let mut top: Vec<String> = Vec::new();
    for edit in edits {
        match edit {
            Edit::SetOption {
                line: Some(n),
                keyword,
                value,
                ..
            } => {
                let slot = lines
                    .get_mut(n.wrapping_sub(1))
                    .ok_or(format!("line {n} no longer exists; re-run the audit"))?;
                if let Some(text) = slot {
                    let indent: String = text.chars().take_while(|c| c.is_whitespace()).collect();
                    *slot = Some(format!("{indent}{keyword} {value}"));
                }
            }
            Edit::SetOption {
                line: None,
                keyword,
                value,
                ..
            } => {
                let line = format!("{keyword} {value}");
                if !top.contains(&line) {
                    top.push(line);
                }
            }
            Edit::DeleteLine { line, text, .. } => {
                let slot = lines
                    .get_mut(line.wrapping_sub(1))
                    .ok_or(format!("line {line} no longer exists; re-run the audit"))?;
                if slot.as_deref().is_some_and(|t| t != text) {
                    return Err(format!("line {line} changed since the audit; re-run it"));
                }
                *slot = None;
            }
        }
    }
    let mut out = String::new();
    if !top.is_empty() {
        out.push_str("# Added by trailhound host --fix (the first value sshd reads wins)\n");
        for l in top {
            out.push_str(&l);
            out.push('\n');
        }
    }
    for l in lines.into_iter().flatten() {
        out.push_str(&l);
        out.push('\n');
    }
    if !old.ends_with('\n') && !old.is_empty() && out.ends_with('\n') {
        // Keep a missing final newline missing.
        out.pop();
    }
    Ok(out)
}

/// A unified diff (`diff -u` style, 3 lines of context) of old against new.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = diff_ops(&a, &b);
    let mut out = format!("--- a{path}\n+++ b{path}\n");
    const CONTEXT: usize = 3;
    // Group ops into hunks around changes.
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| !matches!(o, Op::Same(..)))
        .map(|(i, _)| i)
        .collect();
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(CONTEXT);
        let mut end = changed[i];
        while i < changed.len() && changed[i] <= end + 2 * CONTEXT {
            end = changed[i];
            i += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let (mut a_start, mut b_start) = (0, 0);
        for op in &ops[..start] {
            match op {
                Op::Same(..) => {
                    a_start += 1;
                    b_start += 1;
                }
                Op::Del(_) => a_start += 1,
                Op::Add(_) => b_start += 1,
            }
        }
        let (mut a_len, mut b_len) = (0, 0);
        let mut body = String::new();
        for op in &ops[start..end] {
            match op {
                Op::Same(l) => {
                    a_len += 1;
                    b_len += 1;
                    body.push_str(&format!(" {l}\n"));
                }
                Op::Del(l) => {
                    a_len += 1;
                    body.push_str(&format!("-{l}\n"));
                }
                Op::Add(l) => {
                    b_len += 1;
                    body.push_str(&format!("+{l}\n"));
                }
            }
        }
        let a_pos = if a_len == 0 { a_start } else { a_start + 1 };
        let b_pos = if b_len == 0 { b_start } else { b_start + 1 };
        out.push_str(&format!("@@ -{a_pos},{a_len} +{b_pos},{b_len} @@\n{body}"));
    }
    out
}

enum Op<'a> {
    Same(&'a str),
    Del(&'a str),
    Add(&'a str),
}

/// Line diff by longest common subsequence (config files are small).
fn diff_ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Same(a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(Op::Add(b[j]));
            j += 1;
        } else {
            ops.push(Op::Del(a[i]));
            i += 1;
        }
    }
    // Deletions before additions reads better in a patch.
    let mut k = 0;
    while k + 1 < ops.len() {
        if matches!(ops[k], Op::Add(_)) && matches!(ops[k + 1], Op::Del(_)) {
            ops.swap(k, k + 1);
            k = k.saturating_sub(1);
        } else {
            k += 1;
        }
    }
    ops
}

/// Writes each patched file after copying the original to `<file>.trailhound-bak-<stamp>`.
/// Returns the backup paths (real paths under the root).
pub fn apply(root: &Root, patches: &[FilePatch], stamp: &str) -> std::io::Result<Vec<String>> {
    let mut backups = Vec::new();
    for p in patches {
        let name = p.path.rsplit('/').next().unwrap_or("file");
        let backup = root.copy_sibling(&p.path, &format!("{name}.trailhound-bak-{stamp}"))?;
        backups.push(backup);
        root.write(&p.path, &p.new)?;
    }
    Ok(backups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_of_replace_insert_delete() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let edits = [
            Edit::SetOption {
                path: "/x".into(),
                line: Some(2),
                keyword: "B".into(),
                value: "no".into(),
            },
            Edit::DeleteLine {
                path: "/x".into(),
                line: 9,
                text: "i".into(),
            },
        ];
        let refs: Vec<&Edit> = edits.iter().collect();
        let new = apply_edits(old, &refs).unwrap();
        assert_eq!(new, "a\nB no\nc\nd\ne\nf\ng\nh\nj\n");
        assert_eq!(
            unified_diff("/x", old, &new),
            "--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n a\n-b\n+B no\n c\n d\n e\n@@ -6,5 +6,4 @@\n f\n g\n h\n-i\n j\n"
        );
    }

    #[test]
    fn insert_on_top_and_stale_line() {
        let edits = [Edit::SetOption {
            path: "/x".into(),
            line: None,
            keyword: "MaxAuthTries".into(),
            value: "4".into(),
        }];
        let refs: Vec<&Edit> = edits.iter().collect();
        let new = apply_edits("Port 22\n", &refs).unwrap();
        assert_eq!(
            new,
            "# Added by trailhound host --fix (the first value sshd reads wins)\nMaxAuthTries 4\nPort 22\n"
        );
        let stale = [Edit::DeleteLine {
            path: "/x".into(),
            line: 1,
            text: "ssh-ed25519 AAAA".into(),
        }];
        let refs: Vec<&Edit> = stale.iter().collect();
        assert!(apply_edits("something else\n", &refs).is_err());
        let zero = [Edit::DeleteLine {
            path: "/x".into(),
            line: 0,
            text: "x".into(),
        }];
        let refs: Vec<&Edit> = zero.iter().collect();
        assert!(
            apply_edits("x\n", &refs).is_err(),
            "line numbers start at 1"
        );
        let gone = [Edit::DeleteLine {
            path: "/x".into(),
            line: 5,
            text: "x".into(),
        }];
        let refs: Vec<&Edit> = gone.iter().collect();
        assert!(apply_edits("one\n", &refs).is_err());
    }
}
