//! SSH host audit for trailhound: key files and their fingerprints (OpenSSH and EC2 forms),
//! sshd_config, authorized_keys, sudoers and auth logs of a live host or a mounted volume.
//! Pure logic over files: no network.

use serde::Serialize;

pub mod audit;
pub mod authkeys;
pub mod checks;
pub mod fix;
pub mod keys;
pub mod logs;
pub mod passwd;
pub mod pattern;
pub mod render;
pub mod root;
pub mod snapshot_keys;
pub mod sshd;
pub mod sudoers;

pub use zeroize::Zeroizing;

/// Reads a passphrase from the terminal without echo.
pub fn prompt_passphrase(prompt: &str) -> std::io::Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt).map(Zeroizing::new)
}

/// The severity scale every trailhound finding uses.
pub use report::Severity;

/// A place on the host that shows a finding: `path:line` and the line's text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Host path (as seen on the audited host), or `(default)` for compiled-in sshd defaults.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub text: String,
}

impl Evidence {
    pub fn line(path: &str, line: usize, text: impl Into<String>) -> Evidence {
        Evidence {
            path: path.to_string(),
            line: Some(line),
            text: text.into(),
        }
    }

    pub fn file(path: &str, text: impl Into<String>) -> Evidence {
        Evidence {
            path: path.to_string(),
            line: None,
            text: text.into(),
        }
    }

    pub fn default_value(text: &str) -> Evidence {
        Evidence {
            path: "(default)".to_string(),
            line: None,
            text: text.to_string(),
        }
    }

    pub fn location(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{l}", self.path),
            None => self.path.clone(),
        }
    }
}

/// Input trailhound could not use (unreadable file, malformed line); counted and reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn new(path: &str, line: Option<usize>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.to_string(),
            line,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// One issue found on the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id, e.g. `HOST-SSHD-001`.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// What exactly is wrong here.
    pub message: String,
    /// The Match block this applies to, if not everyone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub evidence: Vec<Evidence>,
    pub remediation: &'static str,
    /// Edits `--fix` would make.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fix: Vec<fix::Edit>,
}
