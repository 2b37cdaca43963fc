//! Loading rules: the embedded pack, rule folders, multi-document files, logsource checks,
//! the old aggregation syntax, and correlation references.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::{Map, Value};

use crate::compile::{Aggregation, Ctx, Needs, compile_detection};
use crate::correlation::{Condition, Correlation, CorrelationType, GroupField, parse_timespan};
use crate::ir::{Expr, FieldPath};
use crate::{Detection, Level, RuleInfo, RuleKind, RuleTest, Ruleset};

include!(concat!(env!("OUT_DIR"), "/pack_files.rs"));

/// The built-in pack as `(path, YAML text)`.
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    PACK_FILES
}

/// A rule or file that cannot be run, with the file and the construct.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{file}{}: {message}", rule.as_ref().map(|r| format!(" (rule {r})")).unwrap_or_default())]
pub struct LoadError {
    pub file: String,
    pub rule: Option<String>,
    pub message: String,
}

/// A rule left out on purpose (another logsource), reported rather than dropped silently.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub file: String,
    pub rule: String,
    pub reason: String,
}

/// A compiled ruleset plus what was skipped.
#[derive(Debug)]
pub struct Loaded {
    pub ruleset: Ruleset,
    pub skipped: Vec<Skipped>,
}

/// Collects rule sources, then compiles them all at once (correlations may refer to rules
/// in other files).
#[derive(Default)]
pub struct RulesetBuilder {
    placeholders: HashMap<String, Vec<String>>,
    docs: Vec<(String, Value)>,
    errors: Vec<LoadError>,
}

fn err(file: &str, rule: Option<&str>, message: impl Into<String>) -> LoadError {
    LoadError {
        file: file.to_string(),
        rule: rule.map(str::to_string),
        message: message.into(),
    }
}

struct PendingCorrelation {
    file: String,
    rule: usize,
    kind: CorrelationType,
    refs: Vec<String>,
    group_by: Vec<String>,
    aliases: Map<String, Value>,
    timespan_ms: Option<i64>,
    condition: Condition,
    value_field: Option<String>,
    generate: bool,
}

impl RulesetBuilder {
    /// Values for `|expand` placeholders (`%name%`).
    pub fn placeholders(mut self, placeholders: HashMap<String, Vec<String>>) -> Self {
        self.placeholders = placeholders;
        self
    }

    /// Adds the built-in pack.
    pub fn with_builtin(mut self) -> Self {
        for (path, text) in builtin_files() {
            self.add_source(path, text);
        }
        self
    }

    /// Adds every `*.yml`/`*.yaml` under `dir`, recursively, in path order.
    pub fn with_dir(mut self, dir: &Path) -> Self {
        let mut files = Vec::new();
        if let Err(e) = walk(dir, &mut files) {
            self.errors.push(err(
                &dir.display().to_string(),
                None,
                format!("cannot read the rules folder: {e}"),
            ));
        }
        files.sort();
        for file in files {
            let name = file.display().to_string();
            match std::fs::read_to_string(&file) {
                Ok(text) => self.add_source(&name, &text),
                Err(e) => self
                    .errors
                    .push(err(&name, None, format!("cannot read: {e}"))),
            }
        }
        self
    }

    /// Adds one YAML text (one or more `---` separated documents).
    pub fn add_source(&mut self, file: &str, text: &str) {
        match serde_saphyr::from_multiple::<Value>(text) {
            Ok(docs) => {
                for doc in docs {
                    if !doc.is_null() {
                        self.docs.push((file.to_string(), doc));
                    }
                }
            }
            Err(e) => self
                .errors
                .push(err(file, None, format!("invalid YAML: {e}"))),
        }
    }

    /// Compiles everything; fails with every error found, not just the first.
    pub fn build(self) -> Result<Loaded, Vec<LoadError>> {
        let RulesetBuilder {
            placeholders,
            docs,
            mut errors,
        } = self;
        let mut rs = Ruleset::default();
        let mut skipped = Vec::new();
        let mut pending: Vec<PendingCorrelation> = Vec::new();
        let mut seen_ids: HashSet<String> = HashSet::new();
        for (file, doc) in &docs {
            let Value::Object(doc) = doc else {
                errors.push(err(file, None, "a rule document must be a map"));
                continue;
            };
            let info = match metadata(file, doc) {
                Ok(info) => info,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let label = info.rule_id.clone();
            if !seen_ids.insert(label.clone()) {
                errors.push(err(file, Some(&label), "duplicate rule id/name"));
                continue;
            }
            if let Some(action) = doc.get("action") {
                errors.push(err(file, Some(&label), format!("Sigma collection `action: {action}` is not supported; write each rule whole")));
                continue;
            }
            if doc.contains_key("filter") {
                errors.push(err(
                    file,
                    Some(&label),
                    "Sigma filter documents (`filter:`) are not supported; add the exclusion to the rule's condition",
                ));
                continue;
            }
            if let Some(corr) = doc.get("correlation") {
                match correlation(file, &label, corr) {
                    Ok(mut p) => {
                        p.rule = rs.rules.len();
                        let mut info = info;
                        info.kind = RuleKind::Correlation {
                            correlation: p.kind,
                        };
                        info.needs.fields.extend(p.group_by.iter().cloned());
                        info.needs.fields.extend(p.value_field.iter().cloned());
                        rs.rules.push(info);
                        pending.push(p);
                    }
                    Err(e) => errors.push(e),
                }
                continue;
            }
            if let Err(reason) = check_logsource(doc) {
                skipped.push(super::Skipped {
                    file: file.clone(),
                    rule: label,
                    reason,
                });
                continue;
            }
            let Some(detection) = doc.get("detection") else {
                errors.push(err(
                    file,
                    Some(&label),
                    "no `detection` and no `correlation`",
                ));
                continue;
            };
            let mut ctx = Ctx {
                placeholders: &placeholders,
                needs: Needs::default(),
            };
            let (expr, aggregation) = match compile_detection(detection, &mut ctx) {
                Ok(x) => x,
                Err(e) => {
                    errors.push(err(file, Some(&label), e));
                    continue;
                }
            };
            let mut info = info;
            info.needs = ctx.needs;
            let timeframe = detection
                .get("timeframe")
                .map(|t| t.as_str().map(parse_timespan));
            let timespan_ms = match timeframe {
                None => None,
                Some(Some(Ok(ms))) => Some(ms),
                Some(Some(Err(e))) => {
                    errors.push(err(file, Some(&label), format!("timeframe: {e}")));
                    continue;
                }
                Some(None) => {
                    errors.push(err(
                        file,
                        Some(&label),
                        "timeframe must be a string such as 10m",
                    ));
                    continue;
                }
            };
            match aggregation {
                None => {
                    if timespan_ms.is_some() {
                        info.notes.push("`timeframe` has no effect without an aggregation; the condition is evaluated per event".into());
                    }
                    let idx = rs.rules.len();
                    rs.rules.push(info);
                    rs.detections.push(Detection { rule: idx, expr });
                }
                Some(agg) => translate_aggregation(&mut rs, info, expr, agg, timespan_ms),
            }
        }
        // Resolve correlation references now that every rule is known.
        let mut lookup: HashMap<String, usize> = HashMap::new();
        for (i, r) in rs.rules.iter().enumerate() {
            for key in [Some(&r.rule_id), r.uuid.as_ref(), r.name.as_ref()]
                .into_iter()
                .flatten()
            {
                lookup.insert(key.clone(), i);
            }
        }
        let skipped_ids: HashSet<&str> = skipped.iter().map(|s| s.rule.as_str()).collect();
        let mut silenced = Vec::new();
        for p in pending {
            let label = rs.rules[p.rule].rule_id.clone();
            let mut rules = Vec::new();
            let mut ok = true;
            for r in &p.refs {
                match lookup.get(r) {
                    Some(&i) if i == p.rule => {
                        errors.push(err(
                            &p.file,
                            Some(&label),
                            "a correlation cannot refer to itself",
                        ));
                        ok = false;
                    }
                    Some(&i) => rules.push(i),
                    None if skipped_ids.contains(r.as_str()) => {
                        errors.push(err(
                            &p.file,
                            Some(&label),
                            format!("base rule `{r}` was skipped (not aws/cloudtrail)"),
                        ));
                        ok = false;
                    }
                    None => {
                        errors.push(err(
                            &p.file,
                            Some(&label),
                            format!("unknown base rule `{r}` (give its name or id)"),
                        ));
                        ok = false;
                    }
                }
            }
            if rules.len() > 64 {
                errors.push(err(&p.file, Some(&label), "more than 64 base rules"));
                ok = false;
            }
            if !ok {
                continue;
            }
            let mut group_by = Vec::new();
            for g in &p.group_by {
                let mut per_rule = HashMap::new();
                if let Some(Value::Object(map)) = p.aliases.get(g) {
                    for (rule_ref, field) in map {
                        let (Some(&ri), Some(f)) = (lookup.get(rule_ref), field.as_str()) else {
                            errors.push(err(
                                &p.file,
                                Some(&label),
                                format!(
                                    "alias `{g}`: unknown rule `{rule_ref}` or non-string field"
                                ),
                            ));
                            ok = false;
                            continue;
                        };
                        per_rule.insert(ri, FieldPath::new(f));
                    }
                }
                group_by.push(GroupField {
                    name: g.clone(),
                    default: FieldPath::new(g),
                    per_rule,
                });
            }
            if !ok {
                continue;
            }
            if !p.generate {
                silenced.extend(rules.iter().copied());
            }
            for &r in &rules {
                let fields: Vec<String> = rs.rules[r].needs.fields.iter().cloned().collect();
                rs.rules[p.rule].needs.fields.extend(fields);
            }
            rs.correlations.push(Correlation {
                rule: p.rule,
                kind: p.kind,
                rules,
                group_by,
                timespan_ms: p.timespan_ms,
                condition: p.condition,
                value_field: p.value_field.as_deref().map(FieldPath::new),
            });
        }
        for r in silenced {
            rs.rules[r].emits = false;
        }
        match correlation_order(&rs) {
            Ok(order) => rs.correlation_order = order,
            Err(rule) => {
                let r = &rs.rules[rule];
                errors.push(err(
                    &r.file,
                    Some(&r.rule_id),
                    "correlations refer to each other in a cycle",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        rs.index();
        Ok(Loaded {
            ruleset: rs,
            skipped,
        })
    }
}

/// Correlations upstream first; `Err(rule)` names a correlation on a cycle.
fn correlation_order(rs: &Ruleset) -> Result<Vec<usize>, usize> {
    let by_rule: HashMap<usize, usize> = rs
        .correlations
        .iter()
        .enumerate()
        .map(|(ci, c)| (c.rule, ci))
        .collect();
    // 0 = unvisited, 1 = on the stack, 2 = done
    let mut state = vec![0u8; rs.correlations.len()];
    let mut order = Vec::new();
    fn visit(
        ci: usize,
        rs: &Ruleset,
        by_rule: &HashMap<usize, usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
    ) -> Result<(), usize> {
        match state[ci] {
            2 => return Ok(()),
            1 => return Err(rs.correlations[ci].rule),
            _ => {}
        }
        state[ci] = 1;
        for r in &rs.correlations[ci].rules {
            if let Some(&up) = by_rule.get(r) {
                visit(up, rs, by_rule, state, order)?;
            }
        }
        state[ci] = 2;
        order.push(ci);
        Ok(())
    }
    for ci in 0..rs.correlations.len() {
        visit(ci, rs, &by_rule, &mut state, &mut order)?;
    }
    Ok(order)
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
    Ok(())
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn metadata(file: &str, doc: &Map<String, Value>) -> Result<RuleInfo, LoadError> {
    let uuid = doc.get("id").and_then(Value::as_str).map(str::to_string);
    let name = doc.get("name").and_then(Value::as_str).map(str::to_string);
    let title = doc.get("title").and_then(Value::as_str).map(str::to_string);
    let rule_id = name
        .clone()
        .or(uuid.clone())
        .or(title.clone())
        .ok_or_else(|| err(file, None, "a rule needs `id`, `name` or `title`"))?;
    let title = match (title, doc.get("title")) {
        (Some(t), _) => t,
        (None, Some(other)) => {
            return Err(err(
                file,
                Some(&rule_id),
                format!("`title` must be a string, not {other} (quote it)"),
            ));
        }
        (None, None) => return Err(err(file, Some(&rule_id), "missing `title`")),
    };
    let level = match doc.get("level") {
        None => Level::Medium,
        Some(v) => v.as_str().and_then(Level::parse).ok_or_else(|| {
            err(
                file,
                Some(&rule_id),
                format!("unknown level {v}; use informational, low, medium, high or critical"),
            )
        })?,
    };
    let tags = strings(doc.get("tags"));
    let attack = tags
        .iter()
        .filter_map(|t| t.strip_prefix("attack."))
        .filter(|t| {
            t.len() >= 5 && t.starts_with('t') && t[1..5].chars().all(|c| c.is_ascii_digit())
        })
        .map(|t| t.to_uppercase())
        .collect();
    let mut kb = None;
    let mut tests = Vec::new();
    if let Some(th) = doc.get("trailhound") {
        let Value::Object(th) = th else {
            return Err(err(file, Some(&rule_id), "`trailhound` must be a map"));
        };
        kb = th.get("kb").and_then(Value::as_str).map(str::to_string);
        if let Some(ts) = th.get("tests") {
            let Value::Array(ts) = ts else {
                return Err(err(
                    file,
                    Some(&rule_id),
                    "`trailhound.tests` must be a list",
                ));
            };
            for (i, t) in ts.iter().enumerate() {
                let name = t
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let name = if name.is_empty() {
                    format!("test #{}", i + 1)
                } else {
                    name
                };
                let expect_match = match t.get("expect").and_then(Value::as_str) {
                    Some("match") => true,
                    Some("no_match") => false,
                    _ => {
                        return Err(err(
                            file,
                            Some(&rule_id),
                            format!("test `{name}`: `expect` must be match or no_match"),
                        ));
                    }
                };
                let events = match t.get("events") {
                    Some(Value::Array(evs)) if !evs.is_empty() => evs.clone(),
                    _ => {
                        return Err(err(
                            file,
                            Some(&rule_id),
                            format!("test `{name}`: `events` must be a non-empty list"),
                        ));
                    }
                };
                tests.push(RuleTest {
                    name,
                    expect_match,
                    events,
                });
            }
        }
        for key in th.keys() {
            if key != "kb" && key != "tests" {
                return Err(err(
                    file,
                    Some(&rule_id),
                    format!("unknown key `trailhound.{key}`"),
                ));
            }
        }
    }
    Ok(RuleInfo {
        rule_id,
        uuid,
        name,
        title,
        description: doc
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string(),
        status: doc
            .get("status")
            .and_then(Value::as_str)
            .map(str::to_string),
        level,
        tags,
        attack,
        falsepositives: strings(doc.get("falsepositives")),
        references: strings(doc.get("references")),
        kb,
        file: file.to_string(),
        kind: RuleKind::Detection,
        needs: Needs::default(),
        emits: true,
        notes: Vec::new(),
        tests,
    })
}

fn check_logsource(doc: &Map<String, Value>) -> Result<(), String> {
    let Some(Value::Object(ls)) = doc.get("logsource") else {
        return Err("no `logsource` (expected product: aws, service: cloudtrail)".into());
    };
    let product = ls.get("product").and_then(Value::as_str);
    let service = ls.get("service").and_then(Value::as_str);
    if product.is_some_and(|p| p.eq_ignore_ascii_case("aws"))
        && service.is_none_or(|s| s.eq_ignore_ascii_case("cloudtrail"))
    {
        Ok(())
    } else {
        Err(format!(
            "logsource product `{}` service `{}` is not aws/cloudtrail",
            product.unwrap_or("-"),
            service.unwrap_or("-")
        ))
    }
}

fn correlation(file: &str, label: &str, corr: &Value) -> Result<PendingCorrelation, LoadError> {
    let e = |m: String| err(file, Some(label), m);
    let Value::Object(c) = corr else {
        return Err(e("`correlation` must be a map".into()));
    };
    for key in c.keys() {
        if ![
            "type",
            "rules",
            "group-by",
            "timespan",
            "timeframe",
            "condition",
            "aliases",
            "generate",
        ]
        .contains(&key.as_str())
        {
            return Err(e(format!("unsupported correlation key `{key}`")));
        }
    }
    let type_name = c
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| e("correlation needs `type`".into()))?;
    let kind = CorrelationType::parse(type_name)
        .ok_or_else(|| e(format!("unsupported correlation type `{type_name}`")))?;
    let refs = strings(c.get("rules"));
    if refs.is_empty() {
        return Err(e("correlation needs `rules`".into()));
    }
    let timespan_ms = match c.get("timespan").or(c.get("timeframe")) {
        Some(Value::String(s)) => Some(parse_timespan(s).map_err(e)?),
        Some(_) => return Err(e("`timespan` must be a string such as 10m".into())),
        None if kind == CorrelationType::FirstSeen => None,
        None => {
            return Err(e(format!(
                "correlation type `{type_name}` needs `timespan`"
            )));
        }
    };
    let mut condition = Condition::default();
    let mut value_field = None;
    match c.get("condition") {
        None => {}
        Some(Value::Object(cond)) => {
            for (k, v) in cond {
                if k == "field" {
                    value_field = Some(
                        v.as_str()
                            .ok_or_else(|| e("`condition.field` must be a string".into()))?
                            .to_string(),
                    );
                    continue;
                }
                let n = v
                    .as_f64()
                    .ok_or_else(|| e(format!("`condition.{k}` must be a number")))?;
                let slot = match k.as_str() {
                    "gt" => &mut condition.gt,
                    "gte" => &mut condition.gte,
                    "lt" => &mut condition.lt,
                    "lte" => &mut condition.lte,
                    "eq" => &mut condition.eq,
                    other => return Err(e(format!("unsupported condition operator `{other}`"))),
                };
                *slot = Some(n);
            }
        }
        Some(_) => return Err(e("`condition` must be a map such as {gte: 5}".into())),
    }
    match kind {
        CorrelationType::EventCount | CorrelationType::ValueCount if condition.is_empty() => {
            return Err(e(format!(
                "`{type_name}` needs a condition (gt, gte, lt, lte, eq)"
            )));
        }
        CorrelationType::ValueCount if value_field.is_none() => {
            return Err(e("`value_count` needs `condition.field`".into()));
        }
        CorrelationType::FirstSeen if !condition.is_empty() => {
            return Err(e("`first_seen` takes no condition".into()));
        }
        _ => {}
    }
    let aliases = match c.get("aliases") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(e("`aliases` must be a map".into())),
    };
    let generate = match c.get("generate") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(e("`generate` must be true or false".into())),
    };
    Ok(PendingCorrelation {
        file: file.to_string(),
        rule: 0,
        kind,
        refs,
        group_by: strings(c.get("group-by")),
        aliases,
        timespan_ms,
        condition,
        value_field,
        generate,
    })
}

/// The old `sel | count(f) by g > N` and `a | near b` become a correlation over synthesised
/// base rules; the original rule keeps its id and emits the findings.
fn translate_aggregation(
    rs: &mut Ruleset,
    info: RuleInfo,
    expr: Expr,
    agg: Aggregation,
    timespan_ms: Option<i64>,
) {
    let base = |rs: &mut Ruleset, info: &RuleInfo, n: usize, expr: Expr| -> usize {
        let idx = rs.rules.len();
        let mut b = info.clone();
        b.rule_id = format!("{}#part{n}", info.rule_id);
        b.uuid = None;
        b.name = None;
        b.emits = false;
        b.tests = Vec::new();
        rs.rules.push(b);
        rs.detections.push(Detection { rule: idx, expr });
        idx
    };
    let (kind, bases, group_by, condition, value_field) = match agg {
        Aggregation::Count {
            field,
            by,
            op,
            value,
        } => {
            let v = value as f64;
            let mut c = Condition::default();
            match op.as_str() {
                ">" => c.gt = Some(v),
                ">=" => c.gte = Some(v),
                "<" => c.lt = Some(v),
                "<=" => c.lte = Some(v),
                _ => c.eq = Some(v),
            }
            let kind = if field.is_some() {
                CorrelationType::ValueCount
            } else {
                CorrelationType::EventCount
            };
            let b = base(rs, &info, 1, expr);
            (kind, vec![b], by, c, field)
        }
        Aggregation::Near { others } => {
            let mut bases = vec![base(rs, &info, 1, expr)];
            for (i, o) in others.into_iter().enumerate() {
                bases.push(base(rs, &info, i + 2, o));
            }
            (
                CorrelationType::Temporal,
                bases,
                Vec::new(),
                Condition::default(),
                None,
            )
        }
    };
    let idx = rs.rules.len();
    let mut info = info;
    info.notes.push(format!(
        "old aggregation syntax, run as a `{}` correlation",
        kind.as_str()
    ));
    if timespan_ms.is_none() {
        info.notes
            .push("no `timeframe`: the whole input is one window".into());
    }
    info.kind = RuleKind::Correlation { correlation: kind };
    info.needs.fields.extend(group_by.iter().cloned());
    info.needs.fields.extend(value_field.iter().cloned());
    rs.rules.push(info);
    rs.correlations.push(Correlation {
        rule: idx,
        kind,
        rules: bases,
        group_by: group_by
            .iter()
            .map(|g| GroupField {
                name: g.clone(),
                default: FieldPath::new(g),
                per_rule: HashMap::new(),
            })
            .collect(),
        timespan_ms,
        condition,
        value_field: value_field.as_deref().map(FieldPath::new),
    });
}
