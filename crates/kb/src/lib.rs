//! The knowledge base behind `trailhound explain`: one entry per CloudTrail event that matters to
//! EC2 access, written as TOML under `entries/<service>/<Event>.toml` and embedded at build time.
//!
//! ```
//! let entry = kb::get("createkeypair").expect("the KB explains CreateKeyPair");
//! assert_eq!(entry.event, "CreateKeyPair");
//! assert!(kb::suggest("CreatKeyPair").contains(&"CreateKeyPair"));
//! ```
//!
//! The entries' aws CLI commands, boto3 snippets and policies are checked against botocore's
//! service models by scripts/kb_check.py (run by this crate's tests).

mod entry;
pub mod placeholder;
pub mod render;
pub mod suggest;

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

pub use entry::{
    Entry, EntryError, Investigate, Prevention, Remediation, SERVICES, SUMMARY_MAX, Severity,
    is_attack_id,
};

include!(concat!(env!("OUT_DIR"), "/entry_files.rs"));

/// The embedded entry files as `(path, TOML text)`, paths like `entries/ec2/CreateKeyPair.toml`.
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    ENTRY_FILES
}

/// A loaded set of entries, sorted by event, plus the files that could not be used.
#[derive(Clone, Debug, Default)]
pub struct Kb {
    entries: Vec<Entry>,
    errors: Vec<EntryError>,
}

impl Kb {
    /// Loads `(path, text)` pairs; a broken file is reported and left out, the rest load.
    pub fn load<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Kb {
        let mut kb = Kb::default();
        let mut seen = HashSet::new();
        for (path, text) in files {
            match Entry::parse(path, text) {
                Ok(entry) => {
                    if seen.insert(entry.event.to_ascii_lowercase()) {
                        kb.entries.push(entry);
                    } else {
                        kb.errors.push(EntryError {
                            file: path.to_string(),
                            message: format!("a second entry for {}", entry.event),
                        });
                    }
                }
                Err(errors) => kb.errors.extend(errors),
            }
        }
        kb.entries.sort_by(|a, b| a.event.cmp(&b.event));
        kb
    }

    /// The embedded knowledge base.
    pub fn builtin() -> &'static Kb {
        static KB: OnceLock<Kb> = OnceLock::new();
        KB.get_or_init(|| Kb::load(builtin_files().iter().copied()))
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Files that failed to parse or validate.
    pub fn errors(&self) -> &[EntryError] {
        &self.errors
    }

    /// The entry for an event name, ignoring case.
    pub fn get(&self, event: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.event.eq_ignore_ascii_case(event))
    }

    /// Events close to a misspelt name, best first.
    pub fn suggest(&self, event: &str) -> Vec<&str> {
        suggest::closest(event, self.entries.iter().map(|e| e.event.as_str()))
    }

    /// Problems across entries: related events that have no entry of their own.
    pub fn problems(&self) -> Vec<EntryError> {
        let mut out = Vec::new();
        for entry in &self.entries {
            for related in &entry.related_events {
                if self.get(related).is_none() {
                    out.push(EntryError {
                        file: entry.file.clone(),
                        message: format!("related event {related:?} has no KB entry"),
                    });
                } else if self.get(related).is_some_and(|r| r.event != *related) {
                    out.push(EntryError {
                        file: entry.file.clone(),
                        message: format!(
                            "related event {related:?}: spell it {:?}",
                            self.get(related).map(|r| r.event.as_str()).unwrap_or("")
                        ),
                    });
                }
            }
        }
        out
    }

    /// Entries grouped by service, services in [`SERVICES`] order.
    pub fn by_service(&self) -> BTreeMap<usize, Vec<&Entry>> {
        let mut out: BTreeMap<usize, Vec<&Entry>> = BTreeMap::new();
        for e in &self.entries {
            let rank = SERVICES
                .iter()
                .position(|s| *s == e.service)
                .unwrap_or(SERVICES.len());
            out.entry(rank).or_default().push(e);
        }
        out
    }
}

/// Every embedded entry that loads, sorted by event.
pub fn entries() -> &'static [Entry] {
    Kb::builtin().entries()
}

/// The embedded entry for an event name, ignoring case.
pub fn get(event: &str) -> Option<&'static Entry> {
    Kb::builtin().get(event)
}

/// Embedded events close to a misspelt name, best first.
pub fn suggest(event: &str) -> Vec<&'static str> {
    Kb::builtin().suggest(event)
}
