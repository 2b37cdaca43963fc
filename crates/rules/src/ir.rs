//! The compiled form of a detection: a boolean tree over field predicates. It is plain data
//! (no closures), so it can be inspected, indexed, or later emitted as SQL.

use foldhash::HashSet;

use aho_corasick::AhoCorasick;
use ipnet::IpNet;
use regex::Regex;
use serde_json::Value;

use crate::pattern::{StrPat, fold, with_folded};

/// A dotted field path, split into its segments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldPath {
    pub text: String,
    pub segments: Vec<String>,
}

impl FieldPath {
    pub fn new(text: &str) -> FieldPath {
        FieldPath {
            text: text.to_string(),
            segments: text.split('.').map(str::to_string).collect(),
        }
    }

    /// Every value the path reaches: arrays along the way (and at the end) are traversed, so
    /// any element may match; an array at the end is also offered whole (for its JSON text).
    pub fn resolve<'v>(&self, event: &'v Value, out: &mut Vec<&'v Value>) {
        self.any(event, &mut |v| {
            out.push(v);
            false
        });
    }

    /// True when `f` holds for any value the path reaches (stops at the first; no allocation).
    pub fn any<'v>(&self, event: &'v Value, f: &mut dyn FnMut(&'v Value) -> bool) -> bool {
        fn walk<'v>(v: &'v Value, segs: &[String], f: &mut dyn FnMut(&'v Value) -> bool) -> bool {
            match v {
                Value::Array(items) => {
                    (segs.is_empty() && f(v)) || items.iter().any(|item| walk(item, segs, f))
                }
                _ if segs.is_empty() => f(v),
                Value::Object(map) => map
                    .get(&segs[0])
                    .is_some_and(|next| walk(next, &segs[1..], f)),
                _ => false,
            }
        }
        walk(event, &self.segments, f)
    }
}

/// A part of a timestamp (Sigma time modifiers), in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimePart {
    Minute,
    Hour,
    Day,
    /// ISO 8601 week number.
    Week,
    Month,
    Year,
}

impl TimePart {
    fn of(self, text: &str) -> Option<f64> {
        let ts: jiff::Timestamp = text.trim().parse().ok()?;
        let dt = ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).datetime();
        Some(f64::from(match self {
            TimePart::Minute => i16::from(dt.minute()),
            TimePart::Hour => i16::from(dt.hour()),
            TimePart::Day => i16::from(dt.day()),
            TimePart::Week => i16::from(dt.date().iso_week_date().week()),
            TimePart::Month => i16::from(dt.month()),
            TimePart::Year => dt.year(),
        }))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl NumOp {
    pub fn holds(self, x: f64, value: f64) -> bool {
        match self {
            NumOp::Lt => x < value,
            NumOp::Lte => x <= value,
            NumOp::Gt => x > value,
            NumOp::Gte => x >= value,
        }
    }
}

/// How a `fieldref` compares the two fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefMode {
    Equal,
    StartsWith,
    EndsWith,
    Contains,
}

/// A regular expression, with a literal that every match contains when the pattern has one:
/// that literal is looked for first with a fast substring search, and the regex runs only on
/// text that holds it (the regex engine's own prefilters miss a literal behind `.+`, say).
#[derive(Clone, Debug)]
pub struct RegexPred {
    re: Regex,
    required: Option<memchr::memmem::Finder<'static>>,
}

impl RegexPred {
    pub fn new(re: Regex) -> RegexPred {
        let required = required_literal(re.as_str())
            .filter(|lit| !lit.is_empty())
            .map(|lit| memchr::memmem::Finder::new(&lit).into_owned());
        RegexPred { re, required }
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.required
            .as_ref()
            .is_none_or(|f| f.find(s.as_bytes()).is_some())
            && self.re.is_match(s)
    }
}

/// The longest literal that every match of `pattern` contains, read off the top of its syntax
/// tree: a literal directly in the pattern's top-level sequence (or a group's) is required;
/// anything under a repetition, an alternation or a case-insensitive flag is not looked at.
fn required_literal(pattern: &str) -> Option<Vec<u8>> {
    use regex_syntax::hir::{Hir, HirKind};
    fn required(hir: &Hir) -> Option<Vec<u8>> {
        match hir.kind() {
            HirKind::Literal(lit) => Some(lit.0.to_vec()),
            HirKind::Capture(group) => required(&group.sub),
            HirKind::Concat(items) => items.iter().filter_map(required).max_by_key(Vec::len),
            _ => None,
        }
    }
    required(&regex_syntax::parse(pattern).ok()?)
}

/// A predicate over one value.
#[derive(Clone, Debug)]
pub enum Pred {
    /// A string pattern; `cased == false` means values are lowercased before matching.
    Str {
        pat: StrPat,
        cased: bool,
    },
    /// Many exact strings at once (an equality list).
    StrSet {
        set: HashSet<String>,
        cased: bool,
    },
    /// Many substrings at once (a `contains` list): one automaton pass. Needles are stored
    /// folded like any literal, and the haystack is folded the same way.
    Substrings {
        ac: AhoCorasick,
        needles: Vec<String>,
        cased: bool,
    },
    Regex(Box<RegexPred>),
    Cidr(Vec<IpNet>),
    Num {
        op: NumOp,
        value: f64,
    },
    /// A part of a timestamp compared to a number (`op == None`: equal).
    Time {
        part: TimePart,
        op: Option<NumOp>,
        value: f64,
    },
    /// The field is absent or null.
    Null,
    /// `exists: true|false`.
    Exists(bool),
    FieldRef {
        other: FieldPath,
        mode: RefMode,
        cased: bool,
    },
}

#[derive(Clone, Debug)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Field {
        path: FieldPath,
        pred: Pred,
    },
    /// A keyword: the predicate is tried against every scalar value of the event.
    Keyword(Pred),
    Const(bool),
}

/// The text a scalar (or an object/array, as JSON) is matched as.
fn text_of(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s)),
        Value::Null => None,
        Value::Bool(b) => Some(std::borrow::Cow::Borrowed(if *b {
            "true"
        } else {
            "false"
        })),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        Value::Array(_) | Value::Object(_) => Some(std::borrow::Cow::Owned(v.to_string())),
    }
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Pred {
    /// Whether a field holding the string `s` satisfies this predicate, exactly as
    /// [`Expr::eval`] judges it; `None` for predicates that read more than the string (numbers,
    /// time parts, null, presence, other fields).
    pub fn matches_str(&self, s: &str) -> Option<bool> {
        match self {
            Pred::Str { .. }
            | Pred::StrSet { .. }
            | Pred::Substrings { .. }
            | Pred::Regex(_)
            | Pred::Cidr(_) => Some(self.match_text(s)),
            _ => None,
        }
    }

    fn match_text(&self, s: &str) -> bool {
        match self {
            Pred::Str { pat, cased } => {
                if *cased {
                    pat.is_match(s)
                } else {
                    with_folded(s, |f| pat.is_match(f))
                }
            }
            Pred::StrSet { set, cased } => {
                if *cased {
                    set.contains(s)
                } else {
                    with_folded(s, |f| set.contains(f))
                }
            }
            Pred::Substrings { ac, cased, .. } => {
                if *cased {
                    ac.is_match(s)
                } else {
                    with_folded(s, |f| ac.is_match(f))
                }
            }
            Pred::Regex(re) => re.is_match(s),
            Pred::Cidr(nets) => s
                .trim()
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| nets.iter().any(|n| n.contains(&ip))),
            Pred::Num { .. }
            | Pred::Time { .. }
            | Pred::Null
            | Pred::Exists(_)
            | Pred::FieldRef { .. } => false,
        }
    }

    fn match_value(&self, v: &Value, event: &Value) -> bool {
        match self {
            Pred::Num { op, value } => number_of(v).is_some_and(|x| op.holds(x, *value)),
            Pred::Time { part, op, value } => text_of(v)
                .and_then(|t| part.of(&t))
                .is_some_and(|x| op.map_or(x == *value, |op| op.holds(x, *value))),
            Pred::FieldRef { other, mode, cased } => {
                let Some(mine) = text_of(v) else { return false };
                let mut others = Vec::new();
                other.resolve(event, &mut others);
                let mine = if *cased {
                    mine
                } else {
                    std::borrow::Cow::Owned(fold(&mine).into_owned())
                };
                others.iter().filter_map(|o| text_of(o)).any(|o| {
                    let o = if *cased {
                        o
                    } else {
                        std::borrow::Cow::Owned(fold(&o).into_owned())
                    };
                    match mode {
                        RefMode::Equal => mine == o,
                        RefMode::StartsWith => mine.starts_with(o.as_ref()),
                        RefMode::EndsWith => mine.ends_with(o.as_ref()),
                        RefMode::Contains => mine.contains(o.as_ref()),
                    }
                })
            }
            _ => text_of(v).is_some_and(|t| self.match_text(&t)),
        }
    }

    /// [`Pred::match_value`] on a string value, without making it a [`Value`]. `other` reads
    /// the string at another path (for `fieldref`).
    fn match_string<'s>(&self, s: &str, other: &dyn Fn(&FieldPath) -> Option<&'s str>) -> bool {
        match self {
            Pred::Num { op, value } => s.trim().parse().is_ok_and(|x| op.holds(x, *value)),
            Pred::Time { part, op, value } => part
                .of(s)
                .is_some_and(|x| op.map_or(x == *value, |op| op.holds(x, *value))),
            Pred::FieldRef {
                other: path,
                mode,
                cased,
            } => other(path).is_some_and(|o| {
                let (mine, o) = if *cased {
                    (std::borrow::Cow::Borrowed(s), std::borrow::Cow::Borrowed(o))
                } else {
                    (fold(s), fold(o))
                };
                match mode {
                    RefMode::Equal => mine == o,
                    RefMode::StartsWith => mine.starts_with(o.as_ref()),
                    RefMode::EndsWith => mine.ends_with(o.as_ref()),
                    RefMode::Contains => mine.contains(o.as_ref()),
                }
            }),
            _ => self.match_text(s),
        }
    }
}

impl Expr {
    pub fn eval(&self, event: &Value) -> bool {
        match self {
            Expr::And(xs) => xs.iter().all(|x| x.eval(event)),
            Expr::Or(xs) => xs.iter().any(|x| x.eval(event)),
            Expr::Not(x) => !x.eval(event),
            Expr::Const(b) => *b,
            Expr::Field { path, pred } => match pred {
                Pred::Null => {
                    !path.any(event, &mut |_| true) || path.any(event, &mut |v| v.is_null())
                }
                Pred::Exists(want) => path.any(event, &mut |_| true) == *want,
                _ => path.any(event, &mut |v| pred.match_value(v, event)),
            },
            Expr::Keyword(pred) => any_scalar(event, &|v| pred.match_value(v, event)),
        }
    }

    /// Judges an event whose fields are all strings or absent, read through `get`, without a
    /// JSON tree: the same answer as [`Expr::eval`] on the object holding those strings at
    /// those paths. Keywords read every value of an event, which `get` cannot list: an
    /// expression with one is never judged here (it is false).
    pub fn eval_strings<'s>(&self, get: &dyn Fn(&FieldPath) -> Option<&'s str>) -> bool {
        match self {
            Expr::And(xs) => xs.iter().all(|x| x.eval_strings(get)),
            Expr::Or(xs) => xs.iter().any(|x| x.eval_strings(get)),
            Expr::Not(x) => !x.eval_strings(get),
            Expr::Const(b) => *b,
            Expr::Field { path, pred } => match pred {
                // A string is never null: only an absent field is.
                Pred::Null => get(path).is_none(),
                Pred::Exists(want) => get(path).is_some() == *want,
                _ => get(path).is_some_and(|s| pred.match_string(s, get)),
            },
            Expr::Keyword(_) => {
                debug_assert!(false, "keywords are judged on the whole event");
                false
            }
        }
    }

    /// The lowercased literal values this expression pins `field` to, if every match requires
    /// one of them (used to index rules by eventName / eventSource).
    pub fn pinned(&self, field: &str) -> Option<Vec<String>> {
        match self {
            Expr::Field { path, pred } if path.text == field => match pred {
                Pred::Str {
                    pat: StrPat::Exact(l),
                    ..
                } => Some(vec![fold(l).into_owned()]),
                Pred::StrSet { set, .. } => {
                    Some(set.iter().map(|s| fold(s).into_owned()).collect())
                }
                _ => None,
            },
            Expr::And(xs) => xs
                .iter()
                .filter_map(|x| x.pinned(field))
                .min_by_key(Vec::len),
            Expr::Or(xs) => {
                let mut all = Vec::new();
                for x in xs {
                    all.extend(x.pinned(field)?);
                }
                Some(all)
            }
            Expr::Const(false) => Some(Vec::new()),
            _ => None,
        }
    }

    /// Field predicates every match needs: the field conditions this expression is a
    /// conjunction of (through nested `And`s), as `(path, predicate)`.
    pub fn required(&self) -> Vec<(&FieldPath, &Pred)> {
        match self {
            Expr::And(xs) => xs.iter().flat_map(Expr::required).collect(),
            Expr::Field { path, pred } => vec![(path, pred)],
            _ => Vec::new(),
        }
    }

    /// Visits every field predicate (for `rules check`).
    pub fn visit<'a>(&'a self, f: &mut dyn FnMut(Option<&'a FieldPath>, &'a Pred)) {
        match self {
            Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| x.visit(f)),
            Expr::Not(x) => x.visit(f),
            Expr::Field { path, pred } => f(Some(path), pred),
            Expr::Keyword(pred) => f(None, pred),
            Expr::Const(_) => {}
        }
    }
}

fn any_scalar(v: &Value, f: &dyn Fn(&Value) -> bool) -> bool {
    match v {
        Value::Object(m) => m.values().any(|x| any_scalar(x, f)),
        Value::Array(a) => a.iter().any(|x| any_scalar(x, f)),
        Value::Null => false,
        _ => f(v),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const PATTERNS: &[&str] = &[
        ".+:assumed-role/aws:.+",
        ":assumed-role/[^/]+/i-[0-9a-f]{8,17}$",
        "a(bc)+d",
        "(ab)?c",
        "x|abc",
        "(?i)ab:c",
        "^ab.c$",
        "a.*b(cd|ce)",
        "(a(bc))d",
        "é.+ü",
        "",
    ];

    #[test]
    fn required_literals_are_read_only_where_every_match_holds_them() {
        let lit = |p: &str| required_literal(p).map(|b| String::from_utf8(b).unwrap());
        assert_eq!(
            lit(".+:assumed-role/aws:.+").as_deref(),
            Some(":assumed-role/aws:")
        );
        // Groups break a sequence into pieces: the longest piece is taken.
        assert_eq!(lit("(a(bc))d").as_deref(), Some("bc"));
        assert_eq!(lit("ab(bc)+d").as_deref(), Some("ab"));
        // Optional, alternative or case-folded text is not required.
        assert_eq!(lit("(ab)?c").as_deref(), Some("c"));
        assert_eq!(lit("x|abc"), None);
        assert_eq!(lit("(?i)ab"), None);
        assert_eq!(lit("a+"), None);
    }

    proptest! {
        #[test]
        fn the_literal_first_agrees_with_the_regex_alone(
            text in "[abcdexü:/é-]{0,24}|.{0,24}",
            glue in prop::sample::select(vec!["", ":assumed-role/aws:", "abcd", "abcbcd", "é", "ü"]),
            at in 0usize..25,
        ) {
            // Splice a piece of a pattern's literal into the text now and then, so matches occur.
            let at = (0..=at.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let text = format!("{}{glue}{}", &text[..at], &text[at..]);
            for p in PATTERNS {
                let re = Regex::new(p).unwrap();
                prop_assert_eq!(RegexPred::new(re.clone()).is_match(&text), re.is_match(&text), "{} on {:?}", p, text);
            }
        }
    }

    #[test]
    fn the_literal_first_finds_what_the_regex_finds() {
        let pred = RegexPred::new(Regex::new(".+:assumed-role/aws:.+").unwrap());
        assert!(pred.is_match("arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1"));
        assert!(!pred.is_match(":assumed-role/aws:x"));
        assert!(!pred.is_match("arn:aws:sts::1:assumed-role/web/i-1"));
    }
}
