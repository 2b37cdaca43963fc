//! JSON lines written straight into a buffer, byte for byte as `serde_json` writes them, for the
//! outputs that write hundreds of thousands of findings (audit, detect). Writing into memory
//! cannot fail, so none of these return an error.

/// A JSON string as `serde_json` writes it. It escapes only `"`, `\\` and control characters;
/// a string with none of them is copied as it is.
pub fn json_str(buf: &mut Vec<u8>, s: &str) {
    if needs_escape(s) {
        serde_json::to_writer(&mut *buf, s).expect("writing a string to memory cannot fail");
    } else {
        buf.reserve(s.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    }
}

/// `s` escaped as inside a JSON string, without the quotes: what [`json_str`] writes between them.
pub fn json_str_inner(buf: &mut Vec<u8>, s: &str) {
    if needs_escape(s) {
        let quoted = serde_json::to_vec(s).expect("writing a string to memory cannot fail");
        buf.extend_from_slice(&quoted[1..quoted.len() - 1]);
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

fn needs_escape(s: &str) -> bool {
    // A fold, not `any`: no early exit, so the compiler can check many bytes at a time.
    s.bytes()
        .fold(false, |e, b| e | (b < 0x20) | (b == b'"') | (b == b'\\'))
}

/// The strings of a JSON array, without its brackets.
pub fn json_items<S: AsRef<str>>(buf: &mut Vec<u8>, items: impl Iterator<Item = S>) {
    for (i, item) in items.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        json_str(buf, item.as_ref());
    }
}

/// A string, or `null`.
pub fn json_opt_str(buf: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

/// Any JSON value, as `serde_json` writes it (compact): strings through [`json_str`], so that
/// those with nothing to escape are copied whole.
pub fn json_value(buf: &mut Vec<u8>, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => json_str(buf, s),
        Value::Array(items) => {
            buf.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                json_value(buf, item);
            }
            buf.push(b']');
        }
        Value::Object(members) => {
            buf.push(b'{');
            json_members(buf, members.iter());
            buf.push(b'}');
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {
            serde_json::to_writer(&mut *buf, v).expect("writing a value to memory cannot fail")
        }
    }
}

/// The members of a JSON object, without its braces, as `serde_json` writes a map.
pub fn json_members<'v, K: AsRef<str>>(
    buf: &mut Vec<u8>,
    members: impl Iterator<Item = (K, &'v serde_json::Value)>,
) {
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        json_str(buf, k.as_ref());
        buf.push(b':');
        json_value(buf, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_written_as_serde_writes_them() {
        let cases = [
            "",
            "plain",
            "quote \" in",
            "back\\slash",
            "\u{0}\u{1f}\n\t\r",
            "é ∑ 😀",
            "\u{7f}",
        ];
        for s in cases {
            let mut direct = Vec::new();
            json_str(&mut direct, s);
            assert_eq!(direct, serde_json::to_vec(s).unwrap(), "{s:?}");
            let mut inner = b"\"".to_vec();
            json_str_inner(&mut inner, s);
            inner.push(b'"');
            assert_eq!(inner, direct, "{s:?}");
        }
        let mut items = Vec::new();
        json_items(&mut items, cases.iter());
        json_opt_str(&mut items, None);
        let by_serde = serde_json::to_string(&cases).unwrap();
        assert_eq!(
            String::from_utf8(items).unwrap(),
            format!("{}null", &by_serde[1..by_serde.len() - 1])
        );
    }

    #[test]
    fn values_are_written_as_serde_writes_them() {
        let cases = [
            serde_json::json!(null),
            serde_json::json!(true),
            serde_json::json!(-17),
            serde_json::json!(18446744073709551615u64),
            serde_json::json!(0.1),
            serde_json::json!(1e300),
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!("tab\there"),
            serde_json::json!(["a", 1, null, [false, {"k\"ey": "v\n"}]]),
            serde_json::json!({"z": 1, "a": ["x", {"nested": {"deep": [2.5, "é"]}}], "m": null}),
        ];
        for v in cases {
            let mut direct = Vec::new();
            json_value(&mut direct, &v);
            assert_eq!(
                String::from_utf8(direct).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
        }
    }
}
