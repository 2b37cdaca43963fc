//! One knowledge-base entry: the typed form of `entries/<service>/<Event>.toml`
//! (format: /work/notes/kb-schema.md, mirrored in docs/kb/README.md).

use serde::{Deserialize, Serialize};

pub use report::Severity;

use crate::placeholder;

/// The services the KB covers, as folder names and `service =` values.
pub const SERVICES: &[&str] = &[
    "ec2",
    "iam",
    "sts",
    "cloudtrail",
    "ssm",
    "ec2-instance-connect",
    "signin",
    "autoscaling",
    "kms",
];

/// Longest `summary` allowed: it is the one line `explain --list` and the docs index show.
pub const SUMMARY_MAX: usize = 100;

/// A CloudTrail event explained for a responder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Exact CloudTrail `eventName`.
    pub event: String,
    /// One of [`SERVICES`]; also the entry's folder.
    pub service: String,
    /// CloudTrail `eventSource` (`ec2.amazonaws.com`).
    pub event_source: String,
    /// Baseline severity of the event on its own.
    pub severity: Severity,
    pub summary: String,
    pub meaning: String,
    pub routine: String,
    pub risks: Vec<String>,
    /// MITRE ATT&CK technique ids (`T1098.004`).
    pub attack: Vec<String>,
    #[serde(default)]
    pub related_events: Vec<String>,
    /// Built-in rule names (`name:` in crates/rules/pack) that report this event.
    #[serde(default)]
    pub rules: Vec<String>,
    pub investigate: Investigate,
    pub remediation: Remediation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prevention: Option<Prevention>,
    /// Where the entry came from (`entries/ec2/CreateKeyPair.toml`); not part of the file.
    #[serde(skip_deserializing)]
    pub file: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Investigate {
    /// CloudTrail record fields to read first (`requestParameters.keyName`).
    #[serde(default)]
    pub fields: Vec<String>,
    pub steps: Vec<String>,
    /// trailhound command lines that do the looking up.
    #[serde(default)]
    pub commands: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    pub console: Vec<String>,
    /// aws CLI commands, one per string, `{placeholder}` where a value goes.
    pub cli: Vec<String>,
    /// A Python snippet using boto3.
    pub boto3: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prevention {
    /// A service control policy document (JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    /// An IAM policy document (JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<String>,
    /// A detective control, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detective: Option<String>,
}

/// Why an entry file cannot be used, naming the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{file}: {message}")]
pub struct EntryError {
    pub file: String,
    pub message: String,
}

impl Entry {
    /// Parses and validates one entry file. `file` is the path it is reported under; when it
    /// has the `<service>/<Event>.toml` shape, the folder and name must agree with the contents.
    pub fn parse(file: &str, text: &str) -> Result<Entry, Vec<EntryError>> {
        let fail = |message: String| EntryError {
            file: file.to_string(),
            message,
        };
        let mut entry: Entry =
            toml::from_str(text).map_err(|e| vec![fail(format!("invalid entry: {e}"))])?;
        entry.file = file.to_string();
        let problems = entry.problems();
        if problems.is_empty() {
            Ok(entry)
        } else {
            Err(problems.into_iter().map(fail).collect())
        }
    }

    /// Every rule of the format this entry breaks on its own (cross-entry checks live in
    /// [`crate::Kb::problems`]; AWS API checks in scripts/kb_check.py).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let path = std::path::Path::new(&self.file);
        if let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            && path.extension().is_some_and(|e| e == "toml")
            && stem != self.event
        {
            out.push(format!(
                "event {:?} does not match the file name {stem}.toml",
                self.event
            ));
        }
        if let Some(dir) = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|s| s.to_str())
            && SERVICES.contains(&dir)
            && dir != self.service
        {
            out.push(format!(
                "service {:?} does not match the folder {dir}/",
                self.service
            ));
        }
        if !SERVICES.contains(&self.service.as_str()) {
            out.push(format!(
                "unknown service {:?}: use one of {}",
                self.service,
                SERVICES.join(", ")
            ));
        }
        if !self.event_source.ends_with(".amazonaws.com") {
            out.push(format!(
                "event_source {:?} is not a CloudTrail eventSource (like ec2.amazonaws.com)",
                self.event_source
            ));
        }
        if self.event.is_empty() || !self.event.chars().all(|c| c.is_ascii_alphanumeric()) {
            out.push(format!(
                "event {:?} is not a CloudTrail eventName",
                self.event
            ));
        }
        let summary_len = self.summary.chars().count();
        if self.summary.trim().is_empty()
            || summary_len > SUMMARY_MAX
            || self.summary.contains('\n')
        {
            out.push(format!(
                "summary must be one line of 1 to {SUMMARY_MAX} characters (it has {summary_len})"
            ));
        }
        for (name, text) in [("meaning", &self.meaning), ("routine", &self.routine)] {
            if text.trim().is_empty() {
                out.push(format!("{name} is empty"));
            }
        }
        if self.risks.len() < 2 {
            out.push(format!(
                "risks has {} item(s): give at least 2 concrete risks",
                self.risks.len()
            ));
        }
        if self.investigate.steps.is_empty() {
            out.push("investigate.steps is empty".into());
        }
        if self.remediation.console.is_empty() {
            out.push("remediation.console is empty: give at least one console step".into());
        }
        if self.remediation.cli.is_empty() {
            out.push("remediation.cli is empty: give at least one aws CLI command".into());
        }
        if self.remediation.boto3.trim().is_empty() {
            out.push("remediation.boto3 is empty".into());
        }
        for line in &self.remediation.cli {
            if !line.starts_with("aws ") || line.contains('\n') {
                out.push(format!(
                    "remediation.cli {line:?}: one `aws ...` command per string"
                ));
            }
        }
        for id in &self.attack {
            if !is_attack_id(id) {
                out.push(format!(
                    "attack id {id:?} is malformed: use Tnnnn or Tnnnn.nnn"
                ));
            }
        }
        for (field, text) in self.texts() {
            for name in placeholder::names_in(text) {
                if !placeholder::is_known(name) {
                    out.push(format!(
                        "{field}: unknown placeholder {{{name}}}{}",
                        placeholder::suggestion(name)
                            .map(|s| format!(" (did you mean {{{s}}}?)"))
                            .unwrap_or_default()
                    ));
                }
            }
        }
        out
    }

    /// Every text of the entry with the name of the field it sits in.
    pub fn texts(&self) -> Vec<(&'static str, &str)> {
        let mut out: Vec<(&'static str, &str)> = vec![
            ("summary", &self.summary),
            ("meaning", &self.meaning),
            ("routine", &self.routine),
        ];
        out.extend(self.risks.iter().map(|s| ("risks", s.as_str())));
        out.extend(
            self.investigate
                .fields
                .iter()
                .map(|s| ("investigate.fields", s.as_str())),
        );
        out.extend(
            self.investigate
                .steps
                .iter()
                .map(|s| ("investigate.steps", s.as_str())),
        );
        out.extend(
            self.investigate
                .commands
                .iter()
                .map(|s| ("investigate.commands", s.as_str())),
        );
        out.extend(
            self.remediation
                .console
                .iter()
                .map(|s| ("remediation.console", s.as_str())),
        );
        out.extend(
            self.remediation
                .cli
                .iter()
                .map(|s| ("remediation.cli", s.as_str())),
        );
        out.push(("remediation.boto3", &self.remediation.boto3));
        if let Some(p) = &self.prevention {
            for (name, text) in [
                ("prevention.scp", &p.scp),
                ("prevention.iam", &p.iam),
                ("prevention.detective", &p.detective),
            ] {
                if let Some(text) = text {
                    out.push((name, text));
                }
            }
        }
        out
    }
}

/// `T` and four digits, optionally `.` and three digits.
pub fn is_attack_id(id: &str) -> bool {
    let b = id.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..5]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..9]),
        _ => false,
    }
}

impl Entry {
    /// A copy with placeholders filled from `values`: commands (aws CLI, trailhound) and the
    /// boto3 snippet once per value combination (one command per instance id), prose with the
    /// values joined, policies with the first value. Unfilled placeholders stay as `{name}`.
    pub fn filled(&self, values: &placeholder::Values) -> Entry {
        let lines = |list: &[String]| -> Vec<String> {
            list.iter()
                .flat_map(|line| placeholder::expand(line, values).0)
                .collect()
        };
        let prose = |text: &str| placeholder::fill_joined(text, values);
        let mut out = self.clone();
        out.summary = prose(&self.summary);
        out.meaning = prose(&self.meaning);
        out.routine = prose(&self.routine);
        out.risks = self.risks.iter().map(|s| prose(s)).collect();
        out.investigate.steps = self.investigate.steps.iter().map(|s| prose(s)).collect();
        out.investigate.commands = lines(&self.investigate.commands);
        out.remediation.console = self.remediation.console.iter().map(|s| prose(s)).collect();
        out.remediation.cli = lines(&self.remediation.cli);
        let (snippets, _) = placeholder::expand(&self.remediation.boto3, values);
        out.remediation.boto3 = snippets.join("\n");
        if let Some(p) = &mut out.prevention {
            for text in [&mut p.scp, &mut p.iam].into_iter().flatten() {
                *text = placeholder::fill_first(text, values);
            }
            if let Some(d) = &mut p.detective {
                *d = prose(d);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_ids() {
        for good in ["T1098", "T1098.004"] {
            assert!(is_attack_id(good), "{good}");
        }
        for bad in ["T109", "t1098", "T1098.4", "T1098.0041", "TA0001", "T1098."] {
            assert!(!is_attack_id(bad), "{bad}");
        }
    }
}
