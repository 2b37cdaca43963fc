//! Writing SDK values as the aws CLI prints them (PascalCase keys, ISO times, absent fields left
//! out, lists always present), so a live collection and an offline `aws ... > file.json` dump are
//! read by the same loader.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde_json::{Map, Value};

/// A JSON object under construction; `None` values are skipped like the CLI skips them.
#[derive(Default)]
pub struct Obj(Map<String, Value>);

impl Obj {
    pub fn new() -> Self {
        Obj::default()
    }

    pub fn s(mut self, key: &str, v: Option<&str>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.into(), Value::from(v));
        }
        self
    }

    pub fn b(mut self, key: &str, v: Option<bool>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.into(), Value::from(v));
        }
        self
    }

    pub fn i(mut self, key: &str, v: Option<i64>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.into(), Value::from(v));
        }
        self
    }

    pub fn t(mut self, key: &str, v: Option<&DateTime>) -> Self {
        if let Some(v) = v.and_then(|d| d.fmt(Format::DateTime).ok()) {
            self.0.insert(key.into(), Value::from(v));
        }
        self
    }

    pub fn o(mut self, key: &str, v: Option<Value>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.into(), v);
        }
        self
    }

    pub fn list(mut self, key: &str, items: Vec<Value>) -> Self {
        self.0.insert(key.into(), Value::Array(items));
        self
    }

    pub fn strings<S: AsRef<str>>(self, key: &str, items: &[S]) -> Self {
        let v = items.iter().map(|s| Value::from(s.as_ref())).collect();
        self.list(key, v)
    }

    pub fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// Maps a slice with a converter.
pub fn each<T>(items: &[T], f: impl Fn(&T) -> Value) -> Vec<Value> {
    items.iter().map(f).collect()
}

/// IAM returns policy documents URL-encoded; the aws CLI prints them decoded, as JSON objects.
pub fn policy_document(encoded: Option<&str>) -> Option<Value> {
    let text = percent_decode(encoded?);
    Some(serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        // '+' stays '+': IAM encodes per RFC 3986 and the CLI decodes with unquote, not unquote_plus.
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_iam_policy_documents() {
        let doc = policy_document(Some(
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
        ))
        .unwrap();
        assert_eq!(doc["Version"], "2012-10-17");
        assert_eq!(percent_decode("a%2Fb%"), "a/b%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn skips_absent_fields_and_keeps_empty_lists() {
        let v = Obj::new()
            .s("A", None)
            .s("B", Some("x"))
            .list("C", vec![])
            .done();
        assert_eq!(v.to_string(), r#"{"B":"x","C":[]}"#);
    }
}
