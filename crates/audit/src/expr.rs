//! The predicate language audit checks are written in.
//!
//! A check's `where` is an expression over one resource's facts (named values, see [`Fields`]).
//! It is compiled once to [`Expr`] and evaluated per resource. The language is deliberately small
//! and maps onto SQL, so the same checks can later run on Athena/Trino over an exported model:
//!
//! ```text
//! state == 'running' and metadata.http_tokens != 'required'
//! any(rules, protocol == 'tcp' and from_port <= 22 and to_port >= 22)    -- EXISTS (subquery)
//! count(access_keys, status == 'Active') >= 2                            -- COUNT(*) FILTER (WHERE ...)
//! age_days > $key_pair_max_age_days                                     -- a threshold from the config
//! region in ['us-east-1', 'eu-west-1']
//! ```
//!
//! Comparisons with a missing field or `null` are false (SQL's three-valued logic collapsed to false),
//! so `not (x == 1)` is true when `x` is missing, as in the checks' English.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Literal(Value),
    /// A dotted path into the current object (the resource, or the element inside `any`/`all`/`count`).
    Path(Vec<String>),
    /// `$name`: a threshold from the audit configuration.
    Threshold(String),
    List(Vec<Expr>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Compare(CompareOp, Box<Expr>, Box<Expr>),
    In(Box<Expr>, Box<Expr>),
    /// `any(list, predicate)`, `all(list, predicate)`, `count(list[, predicate])`.
    Quantifier(Quantifier, Vec<String>, Option<Box<Expr>>),
    /// `exists(path)`: present and not null.
    Exists(Vec<String>),
    /// `len(path)`: length of a list or string.
    Len(Vec<String>),
    /// `contains(haystack, needle)` (string containment or list membership) and `starts_with`.
    Text(TextOp, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    Any,
    All,
    Count,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextOp {
    Contains,
    StartsWith,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// Byte offset in the expression text.
    pub offset: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Threshold(String),
    Str(String),
    Num(f64),
    Op(&'static str),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let single = match c {
            b'(' => Some(Token::LParen),
            b')' => Some(Token::RParen),
            b'[' => Some(Token::LBracket),
            b']' => Some(Token::RBracket),
            b',' => Some(Token::Comma),
            _ => None,
        };
        if let Some(t) = single {
            out.push((t, start));
            i += 1;
            continue;
        }
        let two = text.get(i..i + 2).unwrap_or("");
        let op = match two {
            "==" => Some("=="),
            "!=" => Some("!="),
            "<=" => Some("<="),
            ">=" => Some(">="),
            _ => None,
        };
        if let Some(op) = op {
            out.push((Token::Op(op), start));
            i += 2;
            continue;
        }
        if c == b'<' || c == b'>' {
            out.push((Token::Op(if c == b'<' { "<" } else { ">" }), start));
            i += 1;
            continue;
        }
        if c == b'\'' || c == b'"' {
            let quote = c;
            let mut s = String::new();
            i += 1;
            loop {
                let Some(&b) = bytes.get(i) else {
                    return Err(ParseError {
                        message: "unterminated string".into(),
                        offset: start,
                    });
                };
                if b == quote {
                    i += 1;
                    break;
                }
                if b == b'\\' && bytes.get(i + 1) == Some(&quote) {
                    s.push(quote as char);
                    i += 2;
                    continue;
                }
                let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
                s.push(ch);
                i += ch.len_utf8();
            }
            out.push((Token::Str(s), start));
            continue;
        }
        if c.is_ascii_digit() || (c == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            let n: f64 = text[start..i].parse().map_err(|_| ParseError {
                message: format!("bad number {:?}", &text[start..i]),
                offset: start,
            })?;
            out.push((Token::Num(n), start));
            continue;
        }
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
        if c == b'$' {
            i += 1;
            while i < bytes.len() && is_word(bytes[i]) {
                i += 1;
            }
            if i == start + 1 {
                return Err(ParseError {
                    message: "`$` must be followed by a threshold name".into(),
                    offset: start,
                });
            }
            out.push((Token::Threshold(text[start + 1..i].to_string()), start));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && is_word(bytes[i]) {
                i += 1;
            }
            out.push((Token::Ident(text[start..i].to_string()), start));
            continue;
        }
        return Err(ParseError {
            message: format!(
                "unexpected character {:?}",
                text[i..].chars().next().unwrap()
            ),
            offset: start,
        });
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(_, o)| *o)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            message: message.into(),
            offset: self.offset(),
        })
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).map(|(t, _)| t.clone());
        self.pos += 1;
        t
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(w)) if w == word)
    }

    fn expect(&mut self, want: Token, what: &str) -> Result<(), ParseError> {
        if self.peek() == Some(&want) {
            self.pos += 1;
            Ok(())
        } else {
            self.error(format!("expected {what}"))
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut parts = vec![self.and()?];
        while self.is_keyword("or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap()
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut parts = vec![self.not()?];
        while self.is_keyword("and") {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap()
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.is_keyword("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        let left = self.primary()?;
        let op = match self.peek() {
            Some(Token::Op(op)) => *op,
            Some(Token::Ident(w)) if w == "in" => {
                self.pos += 1;
                let right = self.primary()?;
                return Ok(Expr::In(Box::new(left), Box::new(right)));
            }
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = self.primary()?;
        let op = match op {
            "==" => CompareOp::Eq,
            "!=" => CompareOp::Ne,
            "<" => CompareOp::Lt,
            "<=" => CompareOp::Le,
            ">" => CompareOp::Gt,
            _ => CompareOp::Ge,
        };
        Ok(Expr::Compare(op, Box::new(left), Box::new(right)))
    }

    fn path_arg(&mut self, func: &str) -> Result<Vec<String>, ParseError> {
        match self.next() {
            Some(Token::Ident(p)) => Ok(split_path(&p)),
            _ => {
                self.pos -= 1;
                self.error(format!("{func}() takes a field path first"))
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let at = self.offset();
        match self.next() {
            Some(Token::Str(s)) => Ok(Expr::Literal(Value::String(s))),
            Some(Token::Num(n)) => Ok(Expr::Literal(number(n))),
            Some(Token::Threshold(name)) => Ok(Expr::Threshold(name)),
            Some(Token::LParen) => {
                let inner = self.or()?;
                self.expect(Token::RParen, "`)`")?;
                Ok(inner)
            }
            Some(Token::LBracket) => {
                let mut items = Vec::new();
                if self.peek() != Some(&Token::RBracket) {
                    loop {
                        items.push(self.primary()?);
                        if self.peek() == Some(&Token::Comma) {
                            self.pos += 1;
                        } else {
                            break;
                        }
                    }
                }
                self.expect(Token::RBracket, "`]` closing the list")?;
                Ok(Expr::List(items))
            }
            Some(Token::Ident(word)) => {
                match word.as_str() {
                    "true" => return Ok(Expr::Literal(Value::Bool(true))),
                    "false" => return Ok(Expr::Literal(Value::Bool(false))),
                    "null" => return Ok(Expr::Literal(Value::Null)),
                    _ => {}
                }
                if self.peek() != Some(&Token::LParen) {
                    return Ok(Expr::Path(split_path(&word)));
                }
                self.pos += 1;
                let expr = match word.as_str() {
                    "any" | "all" | "count" => {
                        let q = match word.as_str() {
                            "any" => Quantifier::Any,
                            "all" => Quantifier::All,
                            _ => Quantifier::Count,
                        };
                        let path = self.path_arg(&word)?;
                        let predicate = if self.peek() == Some(&Token::Comma) {
                            self.pos += 1;
                            Some(Box::new(self.or()?))
                        } else if q == Quantifier::Count {
                            None
                        } else {
                            return self.error(format!("{word}() takes a list and a predicate"));
                        };
                        Expr::Quantifier(q, path, predicate)
                    }
                    "exists" => Expr::Exists(self.path_arg("exists")?),
                    "len" => Expr::Len(self.path_arg("len")?),
                    "contains" | "starts_with" => {
                        let a = self.primary()?;
                        self.expect(Token::Comma, "`,`")?;
                        let b = self.primary()?;
                        let op = if word == "contains" {
                            TextOp::Contains
                        } else {
                            TextOp::StartsWith
                        };
                        Expr::Text(op, Box::new(a), Box::new(b))
                    }
                    other => {
                        return Err(ParseError {
                            message: format!(
                                "unknown function {other}(): use any, all, count, exists, len, contains or starts_with"
                            ),
                            offset: at,
                        });
                    }
                };
                self.expect(Token::RParen, "`)`")?;
                Ok(expr)
            }
            Some(other) => Err(ParseError {
                message: format!("unexpected {other:?}"),
                offset: at,
            }),
            None => self.error("unexpected end of expression"),
        }
    }
}

fn split_path(p: &str) -> Vec<String> {
    p.split('.').map(str::to_string).collect()
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

impl Expr {
    pub fn parse(text: &str) -> Result<Expr, ParseError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            end: text.len(),
        };
        let expr = parser.or()?;
        if parser.pos < parser.tokens.len() {
            return parser.error("unexpected text after the expression (missing `and`/`or`?)");
        }
        Ok(expr)
    }

    /// Every threshold name the expression reads.
    pub fn thresholds(&self, out: &mut Vec<String>) {
        self.walk(&mut |e| {
            if let Expr::Threshold(t) = e {
                out.push(t.clone());
            }
        });
    }

    /// The top-level field paths the expression reads (paths inside quantifiers are relative to the
    /// element and are returned prefixed by the list's path).
    pub fn fields(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        collect_fields(self, &[], &mut out);
        out
    }

    fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Literal(_) | Expr::Path(_) | Expr::Threshold(_) => {}
            Expr::Exists(_) | Expr::Len(_) => {}
            Expr::List(items) | Expr::And(items) | Expr::Or(items) => {
                items.iter().for_each(|e| e.walk(f))
            }
            Expr::Not(e) => e.walk(f),
            Expr::Compare(_, a, b) | Expr::In(a, b) | Expr::Text(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Quantifier(_, _, p) => {
                if let Some(p) = p {
                    p.walk(f)
                }
            }
        }
    }

    /// Whether the resource matches.
    pub fn matches<O: Fields + ?Sized>(
        &self,
        object: &O,
        thresholds: &BTreeMap<String, Value>,
    ) -> bool {
        truthy(&self.eval(object, thresholds))
    }

    /// The expression's value on `object`: borrowed from the object, the thresholds or the
    /// expression itself where it can be (paths, literals), so judging a resource copies none
    /// of its facts.
    pub fn eval<'v, O: Fields + ?Sized>(
        &'v self,
        object: &'v O,
        thresholds: &'v BTreeMap<String, Value>,
    ) -> Cow<'v, Value> {
        const NULL: &Value = &Value::Null;
        let bool = |b: bool| Cow::Owned(Value::Bool(b));
        match self {
            Expr::Literal(v) => Cow::Borrowed(v),
            Expr::Path(p) => Cow::Borrowed(lookup(object, p).unwrap_or(NULL)),
            Expr::Threshold(name) => Cow::Borrowed(thresholds.get(name).unwrap_or(NULL)),
            Expr::List(items) => Cow::Owned(Value::Array(
                items
                    .iter()
                    .map(|e| e.eval(object, thresholds).into_owned())
                    .collect(),
            )),
            Expr::Not(e) => bool(!e.matches(object, thresholds)),
            Expr::And(items) => bool(items.iter().all(|e| e.matches(object, thresholds))),
            Expr::Or(items) => bool(items.iter().any(|e| e.matches(object, thresholds))),
            Expr::Compare(op, a, b) => bool(compare(
                *op,
                &a.eval(object, thresholds),
                &b.eval(object, thresholds),
            )),
            Expr::In(a, b) => {
                let needle = a.eval(object, thresholds);
                let hay = b.eval(object, thresholds);
                bool(
                    !needle.is_null()
                        && hay
                            .as_array()
                            .is_some_and(|items| items.iter().any(|v| loose_eq(v, &needle))),
                )
            }
            Expr::Quantifier(q, path, predicate) => {
                let items = lookup(object, path).and_then(Value::as_array);
                let items = items.map(Vec::as_slice).unwrap_or(&[]);
                let test = |v: &Value| predicate.as_ref().is_none_or(|p| p.matches(v, thresholds));
                match q {
                    Quantifier::Any => bool(items.iter().any(test)),
                    // Like SQL's NOT EXISTS (... NOT p): true for an empty list.
                    Quantifier::All => bool(items.iter().all(test)),
                    Quantifier::Count => {
                        Cow::Owned(Value::from(items.iter().filter(|v| test(v)).count()))
                    }
                }
            }
            Expr::Exists(path) => bool(lookup(object, path).is_some_and(|v| !v.is_null())),
            Expr::Len(path) => Cow::Owned(match lookup(object, path) {
                Some(Value::Array(a)) => Value::from(a.len()),
                Some(Value::String(s)) => Value::from(s.chars().count()),
                Some(Value::Object(o)) => Value::from(o.len()),
                _ => Value::Null,
            }),
            Expr::Text(op, a, b) => {
                let hay = a.eval(object, thresholds);
                let needle = b.eval(object, thresholds);
                bool(match (op, hay.as_ref(), needle.as_ref()) {
                    (TextOp::Contains, Value::String(h), Value::String(n)) => {
                        h.contains(n.as_str())
                    }
                    (TextOp::Contains, Value::Array(items), n) if !n.is_null() => {
                        items.iter().any(|v| loose_eq(v, n))
                    }
                    (TextOp::StartsWith, Value::String(h), Value::String(n)) => {
                        h.starts_with(n.as_str())
                    }
                    _ => false,
                })
            }
        }
    }
}

fn collect_fields(e: &Expr, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let with = |p: &[String]| [prefix, p].concat();
    match e {
        Expr::Path(p) | Expr::Exists(p) | Expr::Len(p) => out.push(with(p)),
        Expr::Quantifier(_, p, pred) => {
            let full = with(p);
            out.push(full.clone());
            if let Some(pred) = pred {
                let mut inner = full;
                inner.push("[]".into());
                collect_fields(pred, &inner, out);
            }
        }
        Expr::Literal(_) | Expr::Threshold(_) => {}
        Expr::List(items) | Expr::And(items) | Expr::Or(items) => {
            items.iter().for_each(|i| collect_fields(i, prefix, out))
        }
        Expr::Not(x) => collect_fields(x, prefix, out),
        Expr::Compare(_, a, b) | Expr::In(a, b) | Expr::Text(_, a, b) => {
            collect_fields(a, prefix, out);
            collect_fields(b, prefix, out);
        }
    }
}

/// What a path's first name is looked up in: a JSON object (a check's test resource, an element
/// inside `any`/`all`/`count`) or a resource's [`crate::facts::Facts`].
pub trait Fields {
    /// The value of the top-level field `name`.
    fn field(&self, name: &str) -> Option<&Value>;
    /// The whole, as one value (what an empty path names), when there is one.
    fn whole(&self) -> Option<&Value>;
}

impl Fields for Value {
    fn field(&self, name: &str) -> Option<&Value> {
        self.as_object()?.get(name)
    }
    fn whole(&self) -> Option<&Value> {
        Some(self)
    }
}

/// Follows a path through objects, one segment per step. A path segment on a list is not
/// descended (use `any`).
fn follow<O: Fields + ?Sized, S: AsRef<str>>(
    object: &O,
    segments: impl IntoIterator<Item = S>,
) -> Option<&Value> {
    let mut segments = segments.into_iter();
    let Some(first) = segments.next() else {
        return object.whole();
    };
    let mut cur = object.field(first.as_ref())?;
    for segment in segments {
        cur = cur.as_object()?.get(segment.as_ref())?;
    }
    Some(cur)
}

/// [`follow`] along a path already split into segments.
pub fn lookup<'v, O: Fields + ?Sized>(object: &'v O, path: &[String]) -> Option<&'v Value> {
    follow(object, path)
}

/// [`follow`] along a path written with dots (`exposure.ssh`), without splitting it into strings.
pub fn lookup_dotted<'v, O: Fields + ?Sized>(object: &'v O, dotted: &str) -> Option<&'v Value> {
    follow(object, dotted.split('.'))
}

pub fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        _ => a == b,
    }
}

fn compare(op: CompareOp, a: &Value, b: &Value) -> bool {
    if a.is_null() || b.is_null() {
        return false;
    }
    let ordering = match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let Some(ordering) = ordering else {
        // Different kinds: only `!=` holds.
        return op == CompareOp::Ne;
    };
    use std::cmp::Ordering::*;
    match op {
        CompareOp::Eq => ordering == Equal,
        CompareOp::Ne => ordering != Equal,
        CompareOp::Lt => ordering == Less,
        CompareOp::Le => ordering != Greater,
        CompareOp::Gt => ordering == Greater,
        CompareOp::Ge => ordering != Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(expr: &str, object: Value) -> bool {
        let mut thresholds = BTreeMap::new();
        thresholds.insert("max_age".to_string(), json!(90));
        Expr::parse(expr).unwrap().matches(&object, &thresholds)
    }

    #[test]
    fn comparisons_paths_and_thresholds() {
        let o = json!({"state": "running", "metadata": {"http_tokens": "optional", "hop_limit": 2}, "age_days": 120});
        assert!(check("state == 'running'", o.clone()));
        assert!(!check("state == 'stopped'", o.clone()));
        assert!(check("metadata.http_tokens != 'required'", o.clone()));
        assert!(check("metadata.hop_limit > 1", o.clone()));
        assert!(!check("metadata.hop_limit >= 3", o.clone()));
        assert!(check("age_days > $max_age", o.clone()));
        assert!(!check("age_days < $max_age", o.clone()));
        assert!(check("state in ['running', 'pending']", o.clone()));
        assert!(!check("state in ['stopped']", o.clone()));
    }

    #[test]
    fn missing_fields_compare_false_and_not_inverts() {
        let o = json!({"a": 1});
        assert!(!check("b == 1", o.clone()));
        assert!(!check("b != 1", o.clone()));
        assert!(check("not (b == 1)", o.clone()));
        assert!(!check("exists(b)", o.clone()));
        assert!(check("exists(a)", o.clone()));
        assert!(check("b == null or a == 1", o));
    }

    #[test]
    fn boolean_logic_precedence() {
        let o = json!({"a": 1, "b": 2});
        // and binds tighter than or
        assert!(check("a == 0 and b == 0 or a == 1", o.clone()));
        assert!(!check("a == 0 and (b == 0 or a == 1)", o.clone()));
        assert!(check("not a == 0 and b == 2", o));
    }

    #[test]
    fn quantifiers_scope_to_elements() {
        let o = json!({"keys": [
            {"status": "Active", "age": 100},
            {"status": "Inactive", "age": 10},
            {"status": "Active", "age": 5}
        ]});
        assert!(check(
            "any(keys, status == 'Active' and age > 90)",
            o.clone()
        ));
        assert!(!check(
            "any(keys, status == 'Inactive' and age > 90)",
            o.clone()
        ));
        assert!(check("count(keys, status == 'Active') >= 2", o.clone()));
        assert!(check("count(keys) == 3", o.clone()));
        assert!(!check("all(keys, status == 'Active')", o.clone()));
        assert!(check("all(empty, status == 'Active')", o.clone()));
        assert!(check("len(keys) == 3", o));
    }

    #[test]
    fn text_functions() {
        let o = json!({"name": "default", "tags": ["a", "b"], "arn": "arn:aws:iam::1:root"});
        assert!(check("starts_with(name, 'def')", o.clone()));
        assert!(!check("starts_with(name, 'x')", o.clone()));
        assert!(check("contains(tags, 'b')", o.clone()));
        assert!(!check("contains(tags, 'c')", o.clone()));
        assert!(check("contains(arn, ':root')", o));
    }

    #[test]
    fn parse_errors_point_at_the_problem() {
        let err = Expr::parse("a == ").unwrap_err();
        assert!(err.message.contains("end of expression"), "{err}");
        let err = Expr::parse("frob(a)").unwrap_err();
        assert!(err.message.contains("unknown function frob"), "{err}");
        let err = Expr::parse("a == 'x").unwrap_err();
        assert!(err.message.contains("unterminated"), "{err}");
        let err = Expr::parse("a == 1 b == 2").unwrap_err();
        assert!(err.message.contains("missing `and`"), "{err}");
        assert_eq!(err.offset, 7);
        assert!(Expr::parse("any(a)").is_err());
    }

    #[test]
    fn fields_and_thresholds_are_reported() {
        let e = Expr::parse("a.b == 1 and any(keys, age > $max) and exists(c)").unwrap();
        let fields: Vec<String> = e.fields().iter().map(|p| p.join(".")).collect();
        assert_eq!(fields, ["a.b", "keys", "keys.[].age", "c"]);
        let mut t = Vec::new();
        e.thresholds(&mut t);
        assert_eq!(t, ["max"]);
    }
}
