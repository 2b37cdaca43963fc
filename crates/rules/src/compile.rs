//! Compiles a Sigma `detection` block (selections, modifiers, condition) into [`Expr`].

use std::collections::{BTreeSet, HashMap};

use aho_corasick::AhoCorasick;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::ir::{Expr, FieldPath, NumOp, Pred, RefMode, TimePart};
use crate::pattern::{StrPat, Tok, literal, parse_sigma};

/// What a rule uses, collected while compiling (shown by `rules check`).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Needs {
    /// Every field path the rule reads: selection fields, `fieldref` targets, and for a
    /// correlation also its base rules' fields, group-by fields and `condition.field`.
    pub fields: BTreeSet<String>,
    pub modifiers: BTreeSet<String>,
    /// Keyword search: the rule reads every value of the record.
    pub keywords: bool,
}

pub struct Ctx<'a> {
    pub placeholders: &'a HashMap<String, Vec<String>>,
    pub needs: Needs,
}

/// The old Sigma aggregation syntax after `|` in a condition.
#[derive(Clone, Debug)]
pub enum Aggregation {
    Count {
        field: Option<String>,
        by: Vec<String>,
        op: String,
        value: u64,
    },
    Near {
        others: Vec<Expr>,
    },
}

/// `(condition expression, old-style aggregation)` of one detection.
pub fn compile_detection(
    det: &Value,
    ctx: &mut Ctx,
) -> Result<(Expr, Option<Aggregation>), String> {
    let Value::Object(det) = det else {
        return Err("`detection` must be a map".into());
    };
    let mut selections: Vec<(String, Expr)> = Vec::new();
    for (name, body) in det {
        if name == "condition" || name == "timeframe" {
            continue;
        }
        let expr = compile_selection(body, ctx).map_err(|e| format!("selection `{name}`: {e}"))?;
        selections.push((name.clone(), expr));
    }
    let conditions: Vec<&str> = match det.get("condition") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|c| {
                c.as_str()
                    .ok_or_else(|| "`condition` list items must be strings".to_string())
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("`condition` must be a string or a list of strings".into()),
        None => return Err("`detection` has no `condition`".into()),
    };
    let mut exprs = Vec::new();
    let mut aggregation = None;
    for cond in &conditions {
        let (bool_part, agg_part) = match cond.split_once('|') {
            Some((a, b)) => (a, Some(b)),
            None => (*cond, None),
        };
        let expr = parse_condition(bool_part, &selections)
            .map_err(|e| format!("condition `{cond}`: {e}"))?;
        if let Some(agg) = agg_part {
            if conditions.len() > 1 {
                return Err(
                    "an aggregation (`| count()`/`| near`) cannot be used in a list of conditions"
                        .into(),
                );
            }
            aggregation = Some(
                parse_aggregation(agg, &selections)
                    .map_err(|e| format!("condition `{cond}`: {e}"))?,
            );
        }
        exprs.push(expr);
    }
    let expr = if exprs.len() == 1 {
        exprs.pop().expect("one")
    } else {
        Expr::Or(exprs)
    };
    Ok((expr, aggregation))
}

fn compile_selection(body: &Value, ctx: &mut Ctx) -> Result<Expr, String> {
    match body {
        Value::Object(map) => compile_map(map, ctx),
        Value::Array(items) if !items.is_empty() => {
            let mut alts = Vec::new();
            let mut keywords = Vec::new();
            for item in items {
                match item {
                    Value::Object(map) => alts.push(compile_map(map, ctx)?),
                    Value::Array(_) => return Err("nested lists are not valid Sigma".into()),
                    scalar => keywords.push(scalar.clone()),
                }
            }
            if !keywords.is_empty() {
                ctx.needs.keywords = true;
                alts.push(compile_values(None, &[], &keywords, ctx)?);
            }
            Ok(or(alts))
        }
        Value::Array(_) => Err("empty list".into()),
        Value::Null => Err("empty selection".into()),
        scalar => {
            ctx.needs.keywords = true;
            compile_values(None, &[], std::slice::from_ref(scalar), ctx)
        }
    }
}

fn compile_map(map: &Map<String, Value>, ctx: &mut Ctx) -> Result<Expr, String> {
    if map.is_empty() {
        return Err("empty map".into());
    }
    let mut parts = Vec::new();
    for (key, value) in map {
        let mut split = key.split('|');
        let field = split.next().unwrap_or_default();
        let mods: Vec<&str> = split.collect();
        let values: Vec<Value> = match value {
            Value::Array(items) if items.is_empty() => {
                return Err(format!("`{key}`: empty value list"));
            }
            Value::Array(items) => items.clone(),
            Value::Object(_) => return Err(format!("`{key}`: a value cannot be a map")),
            v => vec![v.clone()],
        };
        let path = if field.is_empty() {
            ctx.needs.keywords = true;
            None
        } else {
            ctx.needs.fields.insert(field.to_string());
            Some(FieldPath::new(field))
        };
        parts.push(compile_values(path, &mods, &values, ctx).map_err(|e| format!("`{key}`: {e}"))?);
    }
    Ok(and(parts))
}

/// Every value modifier the engine accepts (`docs/engine.md` must describe each).
pub const MODIFIERS: &[&str] = &[
    "contains",
    "startswith",
    "endswith",
    "all",
    "cased",
    "re",
    "i",
    "m",
    "s",
    "cidr",
    "lt",
    "lte",
    "gt",
    "gte",
    "exists",
    "fieldref",
    "base64",
    "base64offset",
    "utf16le",
    "wide",
    "utf16be",
    "utf16",
    "windash",
    "expand",
];

#[derive(Default)]
struct Mods {
    kind: Option<RefMode>,
    all: bool,
    cased: bool,
    re: bool,
    re_flags: String,
    cidr: bool,
    num: Option<NumOp>,
    exists: bool,
    fieldref: bool,
    base64: bool,
    base64offset: bool,
    utf16: Option<&'static str>,
    windash: bool,
    expand: bool,
    neq: bool,
    time: Option<TimePart>,
}

fn parse_mods(mods: &[&str], ctx: &mut Ctx) -> Result<Mods, String> {
    let mut m = Mods::default();
    for (i, name) in mods.iter().enumerate() {
        ctx.needs.modifiers.insert((*name).to_string());
        let prev_re = i > 0 && m.re;
        match *name {
            "contains" => m.kind = Some(RefMode::Contains),
            "startswith" => m.kind = Some(RefMode::StartsWith),
            "endswith" => m.kind = Some(RefMode::EndsWith),
            "all" => m.all = true,
            "cased" => m.cased = true,
            "re" => m.re = true,
            "i" | "m" | "s" if prev_re => m.re_flags.push_str(name),
            "cidr" => m.cidr = true,
            "lt" => m.num = Some(NumOp::Lt),
            "lte" => m.num = Some(NumOp::Lte),
            "gt" => m.num = Some(NumOp::Gt),
            "gte" => m.num = Some(NumOp::Gte),
            "exists" => m.exists = true,
            "fieldref" => m.fieldref = true,
            "base64" => m.base64 = true,
            "base64offset" => m.base64offset = true,
            "utf16le" | "wide" => m.utf16 = Some("le"),
            "utf16be" => m.utf16 = Some("be"),
            "utf16" => m.utf16 = Some("bom"),
            "windash" => m.windash = true,
            "expand" => m.expand = true,
            "neq" => m.neq = true,
            "minute" => m.time = Some(TimePart::Minute),
            "hour" => m.time = Some(TimePart::Hour),
            "day" => m.time = Some(TimePart::Day),
            "week" => m.time = Some(TimePart::Week),
            "month" => m.time = Some(TimePart::Month),
            "year" => m.time = Some(TimePart::Year),
            "i" | "m" | "s" => {
                return Err(format!(
                    "modifier `{name}` is a regex flag and must follow `re`"
                ));
            }
            other => return Err(format!("unsupported modifier `{other}`")),
        }
    }
    let kinds = [
        m.re,
        m.cidr,
        m.num.is_some() && m.time.is_none(),
        m.exists,
        m.fieldref,
        m.time.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if kinds > 1 {
        return Err(
            "`re`, `cidr`, `lt/lte/gt/gte`, `exists` and `fieldref` cannot be combined".into(),
        );
    }
    Ok(m)
}

fn compile_values(
    path: Option<FieldPath>,
    mods: &[&str],
    values: &[Value],
    ctx: &mut Ctx,
) -> Result<Expr, String> {
    let m = parse_mods(mods, ctx)?;
    let mut preds: Vec<Pred> = Vec::new();
    for value in values {
        preds.extend(value_preds(&m, value, path.is_none(), ctx)?);
    }
    if path.is_none()
        && preds
            .iter()
            .any(|p| matches!(p, Pred::Null | Pred::Exists(_) | Pred::FieldRef { .. }))
    {
        return Err("keywords cannot be null, `exists` or `fieldref`".into());
    }
    let preds = if m.all { preds } else { merge_literals(preds) };
    let leaf = |pred: Pred| match &path {
        Some(p) => Expr::Field {
            path: p.clone(),
            pred,
        },
        None => Expr::Keyword(pred),
    };
    let leaves: Vec<Expr> = preds.into_iter().map(leaf).collect();
    if m.neq {
        // Present (not null) and equal to none of the values.
        let Some(p) = &path else {
            return Err("`neq` needs a field".into());
        };
        let present = Expr::Not(Box::new(Expr::Field {
            path: p.clone(),
            pred: Pred::Null,
        }));
        return Ok(and(vec![present, Expr::Not(Box::new(or(leaves)))]));
    }
    Ok(if m.all { and(leaves) } else { or(leaves) })
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn value_preds(m: &Mods, value: &Value, keyword: bool, ctx: &mut Ctx) -> Result<Vec<Pred>, String> {
    if value.is_null() {
        if m.neq {
            return Err("`neq: null` is not meaningful; use `exists: true`".into());
        }
        if m.kind.is_some()
            || m.re
            || m.cidr
            || m.num.is_some()
            || m.exists
            || m.fieldref
            || m.base64
            || m.base64offset
        {
            return Err("null cannot take value modifiers".into());
        }
        return Ok(vec![Pred::Null]);
    }
    if m.exists {
        return match value {
            Value::Bool(b) => Ok(vec![Pred::Exists(*b)]),
            Value::String(s)
                if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
            {
                Ok(vec![Pred::Exists(s.eq_ignore_ascii_case("true"))])
            }
            _ => Err("`exists` takes true or false".into()),
        };
    }
    let text = scalar_text(value).ok_or("values must be strings, numbers, booleans or null")?;
    if let Some(part) = m.time {
        let n: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not a number"))?;
        return Ok(vec![Pred::Time {
            part,
            op: m.num,
            value: n,
        }]);
    }
    if let Some(op) = m.num {
        let n: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not a number"))?;
        return Ok(vec![Pred::Num { op, value: n }]);
    }
    if m.re {
        let pattern = if m.re_flags.is_empty() {
            text
        } else {
            format!("(?{}){text}", m.re_flags)
        };
        let re = regex::Regex::new(&pattern).map_err(|e| format!("regex `{pattern}`: {e}"))?;
        return Ok(vec![Pred::Regex(Box::new(crate::ir::RegexPred::new(re)))]);
    }
    if m.cidr {
        let net = text
            .trim()
            .parse::<ipnet::IpNet>()
            .or_else(|_| {
                text.trim()
                    .parse::<std::net::IpAddr>()
                    .map(ipnet::IpNet::from)
            })
            .map_err(|_| format!("`{text}` is not a CIDR"))?;
        return Ok(vec![Pred::Cidr(vec![net.trunc()])]);
    }
    if m.fieldref {
        // The referenced field is read too: callers that build partial records need it.
        ctx.needs.fields.insert(text.clone());
        return Ok(vec![Pred::FieldRef {
            other: FieldPath::new(&text),
            mode: m.kind.unwrap_or(RefMode::Equal),
            cased: m.cased,
        }]);
    }
    let expanded = if m.expand {
        expand(&text, ctx.placeholders)?
    } else {
        vec![text]
    };
    let mut out = Vec::new();
    for text in expanded {
        let toks = parse_sigma(&text);
        let variants = if m.windash {
            windash(&toks)?
        } else {
            vec![toks]
        };
        for toks in variants {
            let (encoded, bytes_mode) = match m.utf16 {
                Some(order) => (utf16(&toks, order), true),
                None => (toks, false),
            };
            let mut cased = m.cased;
            let encodings = if m.base64 || m.base64offset {
                cased = true; // base64 text is case-sensitive by nature
                base64_variants(&encoded, bytes_mode, m.base64offset)?
            } else {
                vec![encoded]
            };
            for toks in encodings {
                let kind = if keyword && m.kind.is_none() {
                    Some(RefMode::Contains)
                } else {
                    m.kind
                };
                let wrapped = wrap(toks, kind);
                out.push(Pred::Str {
                    pat: StrPat::compile(&wrapped, cased),
                    cased,
                });
            }
        }
    }
    Ok(out)
}

fn wrap(mut toks: Vec<Tok>, kind: Option<RefMode>) -> Vec<Tok> {
    match kind {
        Some(RefMode::Contains) => {
            toks.insert(0, Tok::Star);
            toks.push(Tok::Star);
        }
        Some(RefMode::StartsWith) => toks.push(Tok::Star),
        Some(RefMode::EndsWith) => toks.insert(0, Tok::Star),
        Some(RefMode::Equal) | None => {}
    }
    toks
}

/// `%name%` placeholders replaced by every user-supplied value (the cartesian product).
fn expand(text: &str, placeholders: &HashMap<String, Vec<String>>) -> Result<Vec<String>, String> {
    let mut results = vec![String::new()];
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let Some(len) = rest[start + 1..].find('%') else {
            break;
        };
        let name = &rest[start + 1..start + 1 + len];
        let values = placeholders.get(name).filter(|v| !v.is_empty()).ok_or_else(|| {
            format!("placeholder `%{name}%` has no values; supply them (e.g. `--placeholder {name}=VALUE`)")
        })?;
        let prefix = &rest[..start];
        results = results
            .iter()
            .flat_map(|r| values.iter().map(move |v| format!("{r}{prefix}{v}")))
            .collect();
        rest = &rest[start + len + 2..];
    }
    Ok(results.into_iter().map(|r| r + rest).collect())
}

const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Every spelling of option dashes: a `-` or `/` that starts a word becomes each of
/// `-`, `/`, en dash, em dash and horizontal bar.
fn windash(toks: &[Tok]) -> Result<Vec<Vec<Tok>>, String> {
    let is_word =
        |t: Option<&Tok>| matches!(t, Some(Tok::Char(c)) if c.is_alphanumeric() || *c == '_');
    let spots: Vec<usize> = (0..toks.len())
        .filter(|&i| {
            matches!(toks[i], Tok::Char('-' | '/'))
                && !is_word(i.checked_sub(1).and_then(|j| toks.get(j)))
                && is_word(toks.get(i + 1))
        })
        .collect();
    if spots.len() > 4 {
        return Err(
            "`windash` on a value with more than 4 option dashes (too many variants)".into(),
        );
    }
    let mut out = vec![toks.to_vec()];
    for &spot in &spots {
        out = out
            .into_iter()
            .flat_map(|v| {
                DASHES.iter().map(move |d| {
                    let mut v2 = v.clone();
                    v2[spot] = Tok::Char(*d);
                    v2
                })
            })
            .collect();
    }
    Ok(out)
}

/// UTF-16 code units as bytes, carried as chars U+0000..U+00FF (one char per byte).
fn utf16(toks: &[Tok], order: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    if order == "bom" {
        out.extend([Tok::Char('\u{ff}'), Tok::Char('\u{fe}')]);
    }
    for t in toks {
        match t {
            Tok::Char(c) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let b = if order == "be" {
                        unit.to_be_bytes()
                    } else {
                        unit.to_le_bytes()
                    };
                    out.extend(b.iter().map(|x| Tok::Char(char::from(*x))));
                }
            }
            t => out.push(*t),
        }
    }
    out
}

fn base64_variants(toks: &[Tok], bytes_mode: bool, offsets: bool) -> Result<Vec<Vec<Tok>>, String> {
    let mut bytes = Vec::new();
    for t in toks {
        match t {
            Tok::Char(c) if bytes_mode => {
                bytes.push(u8::try_from(u32::from(*c)).expect("byte chars"))
            }
            Tok::Char(c) => bytes.extend(c.to_string().as_bytes()),
            _ => return Err("a value with wildcards cannot be base64 encoded".into()),
        }
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    if !offsets {
        return Ok(vec![literal(&b64.encode(&bytes))]);
    }
    // The value may sit at any of three byte offsets inside a longer encoded blob: encode it
    // after 0, 1 and 2 filler bytes and keep only the characters that do not depend on the
    // neighbours.
    let mut out = Vec::new();
    for i in 0..3 {
        let mut padded = vec![b' '; i];
        padded.extend(&bytes);
        let enc = b64.encode(&padded);
        let start = [0, 2, 3][i];
        let end_trim = [0, 3, 2][(bytes.len() + i) % 3];
        let end = enc.len().saturating_sub(end_trim);
        if start < end {
            out.push(literal(&enc[start..end]));
        }
    }
    Ok(out)
}

/// Folds equality lists into one hash lookup and long `contains` lists into one automaton.
fn merge_literals(preds: Vec<Pred>) -> Vec<Pred> {
    let mut exact: [Vec<String>; 2] = Default::default();
    let mut contains: [Vec<String>; 2] = Default::default();
    let mut rest = Vec::new();
    for p in preds {
        match p {
            Pred::Str {
                pat: StrPat::Exact(l),
                cased,
            } => exact[usize::from(cased)].push(l),
            Pred::Str {
                pat: StrPat::Contains(l),
                cased,
            } => contains[usize::from(cased)].push(l),
            p => rest.push(p),
        }
    }
    let mut out = Vec::new();
    for (cased, list) in exact.into_iter().enumerate() {
        let cased = cased == 1;
        match list.len() {
            0 => {}
            1 => out.push(Pred::Str {
                pat: StrPat::Exact(list.into_iter().next().expect("one")),
                cased,
            }),
            _ => out.push(Pred::StrSet {
                set: list.into_iter().collect::<foldhash::HashSet<_>>(),
                cased,
            }),
        }
    }
    for (cased, list) in contains.into_iter().enumerate() {
        let cased = cased == 1;
        if list.len() >= 3 {
            let ac = AhoCorasick::new(&list).expect("plain substrings build an automaton");
            out.push(Pred::Substrings {
                ac,
                needles: list,
                cased,
            });
        } else {
            out.extend(list.into_iter().map(|l| Pred::Str {
                pat: StrPat::Contains(l),
                cased,
            }));
        }
    }
    out.extend(rest);
    out
}

fn and(mut xs: Vec<Expr>) -> Expr {
    if xs.len() == 1 {
        xs.pop().expect("one")
    } else {
        Expr::And(xs)
    }
}

fn or(mut xs: Vec<Expr>) -> Expr {
    if xs.len() == 1 {
        xs.pop().expect("one")
    } else {
        Expr::Or(xs)
    }
}

// ---- condition expressions ----

#[derive(Debug, Clone, PartialEq)]
enum CTok {
    Open,
    Close,
    Word(String),
}

fn tokenize(s: &str) -> Vec<CTok> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in s.chars() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if !word.is_empty() {
                out.push(CTok::Word(std::mem::take(&mut word)));
            }
            match c {
                '(' => out.push(CTok::Open),
                ')' => out.push(CTok::Close),
                _ => {}
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(CTok::Word(word));
    }
    out
}

struct CondParser<'a> {
    toks: Vec<CTok>,
    pos: usize,
    selections: &'a [(String, Expr)],
}

fn is_kw(t: Option<&CTok>, kw: &str) -> bool {
    matches!(t, Some(CTok::Word(w)) if w.eq_ignore_ascii_case(kw))
}

impl CondParser<'_> {
    fn peek(&self) -> Option<&CTok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<CTok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut xs = vec![self.and()?];
        while is_kw(self.peek(), "or") {
            self.pos += 1;
            xs.push(self.and()?);
        }
        Ok(or(xs))
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut xs = vec![self.not()?];
        while is_kw(self.peek(), "and") {
            self.pos += 1;
            xs.push(self.not()?);
        }
        Ok(and(xs))
    }
    fn not(&mut self) -> Result<Expr, String> {
        if is_kw(self.peek(), "not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }
    fn primary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(CTok::Open) => {
                let e = self.or()?;
                match self.next() {
                    Some(CTok::Close) => Ok(e),
                    _ => Err("missing `)`".into()),
                }
            }
            Some(CTok::Word(w)) if is_kw(self.peek(), "of") => {
                self.pos += 1;
                let Some(CTok::Word(target)) = self.next() else {
                    return Err(format!("`{w} of` needs a name pattern or `them`"));
                };
                let members: Vec<Expr> = if target == "them" {
                    self.selections
                        .iter()
                        .filter(|(n, _)| !n.starts_with('_'))
                        .map(|(_, e)| e.clone())
                        .collect()
                } else {
                    let pat = StrPat::compile(&parse_sigma(&target), true);
                    self.selections
                        .iter()
                        .filter(|(n, _)| pat.is_match(n))
                        .map(|(_, e)| e.clone())
                        .collect()
                };
                if members.is_empty() {
                    return Err(format!("`{w} of {target}` matches no selection"));
                }
                if w.eq_ignore_ascii_case("all") {
                    Ok(and(members))
                } else if w == "1" || w.eq_ignore_ascii_case("any") {
                    Ok(or(members))
                } else {
                    Err(format!("`{w} of`: only `1 of` and `all of` are Sigma"))
                }
            }
            Some(CTok::Word(w)) => {
                if ["and", "or", "not", "of"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
                {
                    return Err(format!("unexpected `{w}`"));
                }
                self.selections
                    .iter()
                    .find(|(n, _)| *n == w)
                    .map(|(_, e)| e.clone())
                    .ok_or_else(|| format!("unknown selection `{w}`"))
            }
            Some(CTok::Close) => Err("unexpected `)`".into()),
            None => Err("unexpected end of condition".into()),
        }
    }
}

pub fn parse_condition(text: &str, selections: &[(String, Expr)]) -> Result<Expr, String> {
    let mut p = CondParser {
        toks: tokenize(text),
        pos: 0,
        selections,
    };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return Err(format!(
            "unexpected `{:?}` after the expression",
            p.toks[p.pos]
        ));
    }
    Ok(e)
}

fn parse_aggregation(text: &str, selections: &[(String, Expr)]) -> Result<Aggregation, String> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("near") {
        let mut others = Vec::new();
        for part in rest.split(" and ") {
            let part = part.trim();
            if part.starts_with("not ") {
                return Err("`near ... and not X` is not supported".into());
            }
            others.push(parse_condition(part, selections)?);
        }
        return Ok(Aggregation::Near { others });
    }
    let rest = t
        .strip_prefix("count(")
        .ok_or_else(|| format!("unsupported aggregation `{t}` (only count() and near)"))?;
    let (field, rest) = rest.split_once(')').ok_or("count( without )")?;
    let field = Some(field.trim().to_string()).filter(|f| !f.is_empty());
    let mut rest = rest.trim();
    let mut by = Vec::new();
    if let Some(after) = rest.strip_prefix("by ") {
        let end = after
            .find(['<', '>', '=', '!'])
            .ok_or("count() by without a comparison")?;
        by = after[..end]
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        rest = after[end..].trim();
    }
    let op_len = rest
        .find(|c: char| c.is_ascii_digit() || c.is_whitespace())
        .unwrap_or(rest.len());
    let op = rest[..op_len].to_string();
    if !["<", "<=", ">", ">=", "=", "=="].contains(&op.as_str()) {
        return Err(format!("unsupported comparison `{op}` in count()"));
    }
    let value = rest[op_len..]
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a count", rest[op_len..].trim()))?;
    Ok(Aggregation::Count {
        field,
        by,
        op,
        value,
    })
}
