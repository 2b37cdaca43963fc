//! Parsing a large aws CLI response on every core: the elements of its one big list (the
//! `Reservations` of describe-instances) are found by a quick structural scan and deserialised in
//! parallel.
//!
//! The parallel result is used only when it is certainly what the sequential parse gives: the
//! text is one JSON object whose only `key` member is an array, every element and every other
//! member value is valid JSON on its own, and the glue between them (braces, colons, commas,
//! whitespace) is right. Anything else — a syntax or shape error anywhere, pages, a duplicate key,
//! deep nesting — returns None, and the caller parses the text the ordinary way, which reports
//! the error with its file and JSON path exactly as before.

use std::ops::Range;

use rayon::prelude::*;
use serde::de::{DeserializeOwned, IgnoredAny};

/// Nesting deeper than this is left to the sequential parse, whose recursion limit (128) counts
/// from the document's top, not from the element's.
const MAX_DEPTH: usize = 100;

/// The elements of the top-level object's `key` array, deserialised in parallel, in order. None
/// when the text is not of the simple shape described in the module documentation or when any
/// part does not deserialise.
pub(crate) fn parse_member_list<E>(text: &str, key: &str) -> Option<Vec<E>>
where
    E: DeserializeOwned + Send,
{
    let ranges = member_list_elements(text, key)?;
    ranges
        .par_iter()
        .with_min_len(16)
        .map(|r| serde_json::from_str::<E>(&text[r.clone()]).ok())
        .collect()
}

/// The byte ranges of the elements of the top-level object's `key` array (see
/// [`parse_member_list`]). The other members' values are checked to be valid JSON here; the
/// elements are checked by deserialising them.
fn member_list_elements(text: &str, key: &str) -> Option<Vec<Range<usize>>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut found = None;
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = skip_string(b, i)?;
        let name: String = serde_json::from_str(&text[i..key_end]).ok()?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        if name == key {
            if found.is_some() || b.get(i) != Some(&b'[') {
                // Twice is a "duplicate field" error; a non-list is a shape error.
                return None;
            }
            let (ranges, end) = array_elements(b, i)?;
            found = Some(ranges);
            i = end;
        } else {
            let end = skip_value(b, i)?;
            serde_json::from_str::<IgnoredAny>(&text[i..end]).ok()?;
            i = end;
        }
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    // Only whitespace after the object (more is pages, one after another).
    if skip_ws(b, i + 1) != b.len() {
        return None;
    }
    found
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// `b[start]` is `"`: the index after the string's closing quote.
fn skip_string(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        // A backslash as the text's last byte leaves `i` past the end: no closing quote.
        i += memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[i] == b'\\' {
            // The escaped character is never the closing quote.
            i += 2;
        } else {
            return Some(i + 1);
        }
    }
}

/// The index after the value that starts at `b[start]`: a string, an object or array (brackets
/// matched, strings skipped), or a scalar (up to the next delimiter). Not validated.
fn skip_value(b: &[u8], start: usize) -> Option<usize> {
    match b.get(start)? {
        b'"' => skip_string(b, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            while i < b.len() {
                match b[i] {
                    b'"' => {
                        i = skip_string(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return None;
                        }
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let mut i = start;
            while i < b.len() && !matches!(b[i], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                i += 1;
            }
            (i > start).then_some(i)
        }
    }
}

/// `b[open]` is `[`: the ranges of the array's elements and the index after its `]`.
fn array_elements(b: &[u8], open: usize) -> Option<(Vec<Range<usize>>, usize)> {
    let mut out = Vec::new();
    let mut i = skip_ws(b, open + 1);
    if b.get(i) == Some(&b']') {
        return Some((out, i + 1));
    }
    loop {
        let end = skip_value(b, i)?;
        out.push(i..end);
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => return Some((out, i + 1)),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq, Default)]
    #[serde(rename_all = "PascalCase", default)]
    struct Doc {
        items: Vec<Item>,
    }

    #[derive(Deserialize, Debug, PartialEq, Default)]
    #[serde(rename_all = "PascalCase", default)]
    struct Item {
        name: Option<String>,
        tags: Vec<String>,
    }

    fn parallel(text: &str) -> Option<Doc> {
        parse_member_list::<Item>(text, "Items").map(|items| Doc { items })
    }

    fn sequential(text: &str) -> Option<Doc> {
        let mut de = serde_json::Deserializer::from_str(text);
        let d = Doc::deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(d)
    }

    #[test]
    fn parallel_parse_equals_the_sequential_one() {
        let many = format!(
            "{{\"Items\":[{}]}}",
            (0..500)
                .map(|i| format!(r#"{{"Name":"n{i}","Tags":["a\"]}}{i}","[{{"]}}"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        for text in [
            many.as_str(),
            r#"{"Items":[]}"#,
            " \n{ \"Items\" : [ {\"Name\":\"a\"} , {} ] , \"NextToken\" : {\"x\":[1,2,{\"y\":null}]} }\n ",
            r#"{"Before":"x\\","It\u0065ms":[{"Name":"é\n"}],"After":[true,false,-1.5e3]}"#,
            r#"{"Items":[{"Name":null,"Tags":[],"Other":{"Deep":[[[]]]}}]}"#,
        ] {
            let want = sequential(text).expect("valid");
            assert_eq!(parallel(text), Some(want), "{text}");
        }
    }

    #[test]
    fn anything_unusual_is_left_to_the_sequential_parse() {
        let deep = format!(
            "{{\"Items\":[{{\"Other\":{}1{}}}]}}",
            "[".repeat(130),
            "]".repeat(130)
        );
        for text in [
            "",
            "[]",
            r#"[{"Items":[]}]"#,
            r#"{"Items":[]}{"Items":[]}"#,
            r#"{"Items":[{"Name":"a"}],"Items":[]}"#,
            r#"{"Items":[{"Name":"a"},]}"#,
            r#"{"Items":[{"Name":"a"} {"Name":"b"}]}"#,
            r#"{"Items":[{"Name":1}]}"#,
            r#"{"Items":[{"Name":"a"}],"Other":[1,}"#,
            r#"{"Items":[{"Name":"a"}],"Other":tru}"#,
            r#"{"Items":[{"Name":"a"}],}"#,
            r#"{"Items":null}"#,
            r#"{"Items":[{"Name":"a"]}]}"#,
            r#"{"Items":[{"Name":"a"}]"#,
            r#"{"Items":[{"Name":"a}]}"#,
            r#"{"Items":[{"Name":"a\"#,
            r#"{"Items":["\"#,
            deep.as_str(),
        ] {
            assert_eq!(parallel(text), None, "{text}");
        }
    }
}
