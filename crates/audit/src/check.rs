//! Audit checks: one TOML file each under `crates/audit/checks/`, compiled into [`Check`]s.
//!
//! A check names the kind of resource it looks at, a predicate over that resource's facts
//! (see [`crate::expr`]), the facts to show as evidence, a message template, and its own test cases:
//! resources that must match and resources that must not.

use std::borrow::Cow;
use std::collections::BTreeMap;

use report::Severity;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::expr::Expr;
use crate::facts::Kind;

/// A check file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckFile {
    id: String,
    title: String,
    severity: String,
    resource: String,
    #[serde(rename = "where")]
    predicate: String,
    /// `{field}` placeholders are filled from the resource's facts.
    message: String,
    #[serde(default)]
    evidence: Vec<String>,
    rationale: String,
    remediation: String,
    /// The knowledge-base event (`trailhound explain EVENT`) for the fix.
    #[serde(default)]
    kb: Option<String>,
    /// The Prowler check(s) covering the same ground, when there is one.
    #[serde(default)]
    prowler: Vec<String>,
    /// The finding's severity when the predicate's `latent_when` holds instead (e.g. a group open to
    /// the internet in front of an instance with no route from the internet).
    #[serde(default)]
    latent_when: Option<String>,
    #[serde(default)]
    tests: Vec<TestFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    name: String,
    expect: bool,
    resource: toml::Value,
    /// For checks with `latent_when`: whether this case is latent.
    #[serde(default)]
    latent: Option<bool>,
}

/// A compiled check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub kind: Kind,
    #[serde(rename = "where")]
    pub predicate_text: String,
    #[serde(skip)]
    pub predicate: Expr,
    pub message: String,
    pub evidence: Vec<String>,
    pub rationale: String,
    pub remediation: String,
    pub kb: Option<String>,
    pub prowler: Vec<String>,
    pub latent_when_text: Option<String>,
    #[serde(skip)]
    pub latent_when: Option<Expr>,
    pub tests: Vec<CheckTest>,
    /// The file it came from (relative), for errors and the generated docs.
    pub file: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckTest {
    pub name: String,
    pub expect: bool,
    pub latent: Option<bool>,
    pub resource: Value,
}

#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct CheckError {
    pub file: String,
    pub message: String,
}

impl Check {
    /// Compiles a check file. Every field path, threshold and placeholder is checked against the
    /// resource kind's facts and the default thresholds, so a typo fails here, not silently at run time.
    pub fn compile(
        file: &str,
        text: &str,
        thresholds: &BTreeMap<String, Value>,
    ) -> Result<Check, CheckError> {
        let err = |message: String| CheckError {
            file: file.to_string(),
            message,
        };
        let raw: CheckFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let stem = std::path::Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if raw.id != stem {
            return Err(err(format!(
                "id {:?} must equal the file name {stem:?} (one id, one file)",
                raw.id
            )));
        }
        let severity = Severity::parse(&raw.severity)
            .ok_or_else(|| err(format!("unknown severity {:?}", raw.severity)))?;
        let kind = Kind::parse(&raw.resource).ok_or_else(|| {
            err(format!(
                "unknown resource kind {:?}: one of {}",
                raw.resource,
                Kind::ALL.map(Kind::as_str).join(", ")
            ))
        })?;
        let compile_expr = |what: &str, text: &str| -> Result<Expr, CheckError> {
            let expr = Expr::parse(text).map_err(|e| err(format!("{what}: {e}")))?;
            for path in expr.fields() {
                if !kind.has_field(&path[0]) {
                    return Err(err(format!(
                        "{what}: {} has no fact {:?} (facts: {})",
                        kind.as_str(),
                        path.join("."),
                        kind.fields().join(", ")
                    )));
                }
            }
            let mut names = Vec::new();
            expr.thresholds(&mut names);
            for name in names {
                if !thresholds.contains_key(&name) {
                    return Err(err(format!(
                        "{what}: unknown threshold ${name} (known: {})",
                        thresholds.keys().cloned().collect::<Vec<_>>().join(", ")
                    )));
                }
            }
            Ok(expr)
        };
        let predicate = compile_expr("where", &raw.predicate)?;
        let latent_when = raw
            .latent_when
            .as_deref()
            .map(|t| compile_expr("latent_when", t))
            .transpose()?;
        for field in raw.evidence.iter().chain(placeholders(&raw.message).iter()) {
            let head = field.split('.').next().unwrap_or_default();
            if !kind.has_field(head) {
                return Err(err(format!(
                    "evidence or message names {field:?}, which {} does not have",
                    kind.as_str()
                )));
            }
        }
        // A lowercase `{name}` in the remediation is a placeholder: it must name a fact.
        for p in placeholders(&raw.remediation) {
            if is_fact_path(&p) && !kind.has_field(p.split('.').next().unwrap_or_default()) {
                return Err(err(format!(
                    "remediation names {{{p}}}, which {} does not have",
                    kind.as_str()
                )));
            }
        }
        if raw.tests.iter().filter(|t| t.expect).count() == 0
            || raw.tests.iter().filter(|t| !t.expect).count() == 0
        {
            return Err(err(
                "a check needs at least one test that matches and one that does not".into(),
            ));
        }
        let tests = raw
            .tests
            .into_iter()
            .map(|t| {
                let resource = serde_json::to_value(&t.resource)
                    .map_err(|e| err(format!("test {:?}: {e}", t.name)))?;
                Ok(CheckTest {
                    name: t.name,
                    expect: t.expect,
                    latent: t.latent,
                    resource,
                })
            })
            .collect::<Result<Vec<_>, CheckError>>()?;
        Ok(Check {
            id: raw.id,
            title: raw.title,
            severity,
            kind,
            predicate_text: raw.predicate,
            predicate,
            message: raw.message,
            evidence: raw.evidence,
            rationale: raw.rationale,
            remediation: raw.remediation,
            kb: raw.kb,
            prowler: raw.prowler,
            latent_when_text: raw.latent_when,
            latent_when,
            tests,
            file: file.to_string(),
        })
    }

    /// Runs the check's own test cases; returns one line per failure.
    pub fn self_test(&self, thresholds: &BTreeMap<String, Value>) -> Vec<String> {
        let mut failures = Vec::new();
        for t in &self.tests {
            let got = self.predicate.matches(&t.resource, thresholds);
            if got != t.expect {
                failures.push(format!(
                    "{}: test {:?} expected {} but the check {}",
                    self.id,
                    t.name,
                    if t.expect { "a match" } else { "no match" },
                    if got { "matched" } else { "did not match" }
                ));
            }
            if let (Some(want), Some(latent)) = (t.latent, &self.latent_when) {
                let got = latent.matches(&t.resource, thresholds);
                if got != want {
                    failures.push(format!(
                        "{}: test {:?} expected latent={want}, got {got}",
                        self.id, t.name
                    ));
                }
            }
        }
        failures
    }

    /// The message with `{field}` placeholders filled from the facts.
    /// The top-level fact names the check reads: its predicates, evidence and message.
    pub fn fact_names(&self) -> Vec<String> {
        let mut paths = self.predicate.fields();
        if let Some(l) = &self.latent_when {
            paths.extend(l.fields());
        }
        let mut out: Vec<String> = paths
            .into_iter()
            .filter_map(|p| p.into_iter().next())
            .collect();
        for f in self
            .evidence
            .iter()
            .chain(&placeholders(&self.message))
            .chain(&self.remediation_placeholders())
        {
            out.extend(f.split('.').next().map(str::to_string));
        }
        out
    }

    pub fn render_message(&self, facts: &(impl crate::expr::Fields + ?Sized)) -> String {
        fill(&self.message, facts, |_| true)
    }

    /// The remediation's `{fact}` placeholders: those that name one of the resource's facts.
    /// Other braces (`{"HttpTokens":"required"}` in a CLI argument) are text.
    pub fn remediation_placeholders(&self) -> Vec<String> {
        placeholders(&self.remediation)
            .into_iter()
            .filter(|p| is_fact_path(p))
            .collect()
    }

    /// The remediation with its `{fact}` placeholders filled from the facts, so its commands
    /// name the resource.
    pub fn render_remediation(&self, facts: &(impl crate::expr::Fields + ?Sized)) -> Cow<'_, str> {
        if !self.remediation.contains('{') {
            return Cow::Borrowed(&self.remediation);
        }
        // Every such path names a fact: `compile` rejects the others.
        Cow::Owned(fill(&self.remediation, facts, is_fact_path))
    }
}

/// Whether a `{...}` in a remediation is a placeholder: a lowercase dotted name such as
/// `{id}` or `{exposure.ssh}` (`compile` checks that it names a fact), not JSON or CLI syntax.
pub(crate) fn is_fact_path(path: &str) -> bool {
    !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

/// `{a.b}` placeholders in a template.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push(rest[start + 1..start + len].to_string());
        rest = &rest[start + len + 1..];
    }
    out
}

/// Fills the `{path}` placeholders for which `is_placeholder` holds; the others stay as written.
fn fill(
    template: &str,
    facts: &(impl crate::expr::Fields + ?Sized),
    is_placeholder: impl Fn(&str) -> bool,
) -> String {
    let mut paths = Vec::new();
    let t = Template::parse(template, is_placeholder, &mut paths);
    let values: Vec<Option<&Value>> = paths
        .iter()
        .map(|p| crate::expr::lookup_dotted(facts, p))
        .collect();
    t.render(&values)
}

/// A message or remediation split once into text and placeholders, so that the facts it names
/// can be looked up apart from the rendering (see `Matches`). Rendering it gives what [`fill`]
/// gives (`fill` is this, parsed and rendered at once).
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pieces: Vec<Piece>,
    /// The length of the text pieces: the rendered text is at least this long.
    text_len: usize,
}

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    /// The index of a fact path in the `paths` given to [`Template::parse`].
    Fact(usize),
}

impl Template {
    /// Splits `template` at the `{path}` placeholders for which `is_placeholder` holds; each
    /// placeholder's path is found in or added to `paths`.
    pub(crate) fn parse(
        template: &str,
        is_placeholder: impl Fn(&str) -> bool,
        paths: &mut Vec<String>,
    ) -> Template {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let path = &rest[start + 1..start + len];
            if is_placeholder(path) {
                text.push_str(&rest[..start]);
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Fact(path_index(paths, path)));
            } else {
                text.push_str(&rest[..start + len + 1]);
            }
            rest = &rest[start + len + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        let text_len = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len(),
                Piece::Fact(_) => 0,
            })
            .sum();
        Template { pieces, text_len }
    }

    /// The text with each placeholder replaced by its fact (`values[i]` for the `i`th path).
    pub(crate) fn render(&self, values: &[Option<&Value>]) -> String {
        let mut out = String::with_capacity(self.text_len + 16);
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Fact(i) => push_display(&mut out, values[*i]),
            }
        }
        out
    }
}

/// A [`Template`] for a JSON string: its text escaped once, its facts escaped as they are
/// written. Writes what `json_str(&template.render(values))` writes, without the `String`.
pub(crate) struct JsonTemplate {
    pieces: Vec<JsonPiece>,
}

enum JsonPiece {
    /// Text, escaped as inside a JSON string.
    Text(Vec<u8>),
    Fact(usize),
}

impl JsonTemplate {
    pub(crate) fn new(template: &Template) -> JsonTemplate {
        let pieces = template
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => {
                    let mut escaped = Vec::with_capacity(t.len());
                    report::json::json_str_inner(&mut escaped, t);
                    JsonPiece::Text(escaped)
                }
                Piece::Fact(i) => JsonPiece::Fact(*i),
            })
            .collect();
        JsonTemplate { pieces }
    }

    /// The rendered text as a JSON string, quotes included.
    pub(crate) fn write(&self, buf: &mut Vec<u8>, values: &[Option<&Value>]) {
        buf.push(b'"');
        for p in &self.pieces {
            match p {
                JsonPiece::Text(t) => buf.extend_from_slice(t),
                JsonPiece::Fact(i) => push_display_json(buf, values[*i]),
            }
        }
        buf.push(b'"');
    }
}

/// The index of `path` in `paths`, added at the end when it is not there.
pub(crate) fn path_index(paths: &mut Vec<String>, path: &str) -> usize {
    match paths.iter().position(|p| p == path) {
        Some(i) => i,
        None => {
            paths.push(path.to_string());
            paths.len() - 1
        }
    }
}

/// Hands [`display`]'s text to `piece` a piece at a time: what it shows of a fact is decided
/// here once, for the text and for the JSON string alike.
fn display_pieces<F: FnMut(&str)>(value: Option<&Value>, piece: &mut F) {
    match value {
        None | Some(Value::Null) => piece("-"),
        Some(Value::Array(items)) if items.is_empty() => piece("-"),
        Some(Value::String(s)) => piece(s),
        Some(Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    piece(", ");
                }
                display_pieces(Some(v), piece);
            }
        }
        Some(other) => piece(&other.to_string()),
    }
}

/// Appends [`display`]'s text to `out` without building it first.
fn push_display(out: &mut String, value: Option<&Value>) {
    display_pieces(value, &mut |s| out.push_str(s));
}

/// [`display`]'s text escaped as inside a JSON string, appended to `buf`.
fn push_display_json(buf: &mut Vec<u8>, value: Option<&Value>) {
    display_pieces(value, &mut |s| report::json::json_str_inner(buf, s));
}

/// A fact as a user reads it: strings bare, lists comma-joined, missing as `-`.
pub fn display(value: Option<&Value>) -> String {
    let mut out = String::new();
    push_display(&mut out, value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn facts_display_bare_joined_or_as_a_dash_in_text_and_json_alike() {
        let cases = [
            (None, "-"),
            (Some(json!(null)), "-"),
            (Some(json!([])), "-"),
            (Some(json!("sg-1")), "sg-1"),
            (Some(json!(["a", "b"])), "a, b"),
            (Some(json!([["x"], [], null, 3])), "x, -, -, 3"),
            (Some(json!(22)), "22"),
            (Some(json!(true)), "true"),
            (Some(json!({"k": "v"})), "{\"k\":\"v\"}"),
            (Some(json!(["q\"uote", "new\nline"])), "q\"uote, new\nline"),
        ];
        for (value, want) in cases {
            assert_eq!(display(value.as_ref()), want, "{value:?}");
            let mut text = String::from("before ");
            push_display(&mut text, value.as_ref());
            assert_eq!(text, format!("before {want}"));
            let mut escaped = b"\"".to_vec();
            push_display_json(&mut escaped, value.as_ref());
            escaped.push(b'"');
            assert_eq!(escaped, serde_json::to_vec(want).unwrap(), "{value:?}");
        }
    }
}
