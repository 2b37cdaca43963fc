//! Decoding one source into records: gzip by magic bytes, then any of the shapes CloudTrail data
//! comes in — `{"Records":[...]}` batches, bare arrays, single objects, JSON lines, or a mix of them.
//!
//! Records are handed out one at a time as borrowed slices of the decoded text: the typed fields are
//! deserialized from the slice, nothing else is parsed. A file is decoded in memory up to
//! [`DecodeOptions::max_in_memory`] bytes; a larger input is read as a stream, so memory stays flat.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};

use flate2::bufread::MultiGzDecoder;
use jiff::Timestamp;
use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::problem::{Problem, Where};
use crate::record::Record;
use crate::source::Source;

/// Limits for decoding.
#[derive(Clone, Debug)]
pub struct DecodeOptions {
    /// A record larger than this is skipped with an error (CloudTrail's own records stay far below).
    pub max_record_bytes: usize,
    /// Inputs whose decoded text is larger than this are decoded as a stream instead of in memory.
    pub max_in_memory: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_record_bytes: 16 << 20,
            max_in_memory: 512 << 20,
        }
    }
}

/// Why a whole file was passed over without being an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// A CloudTrail digest file (it lists log files, it holds no events).
    Digest,
    /// A file found while walking a folder that is not CloudTrail JSON at all.
    NotCloudTrail,
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ignored::Digest => "CloudTrail digest file",
            Ignored::NotCloudTrail => "not CloudTrail JSON",
        })
    }
}

/// What decoding one source found.
#[derive(Debug, Default)]
pub struct FileOutcome {
    /// Valid records handed to the callback.
    pub records: u64,
    /// Records (or JSON-lines lines) that were invalid and skipped; each has a problem.
    pub skipped_records: u64,
    /// Set when the whole file was passed over on purpose.
    pub ignored: Option<Ignored>,
    pub problems: Vec<Problem>,
    /// Decoded bytes (after gunzip).
    pub bytes: u64,
}

/// The callback that receives every valid record with its raw JSON text and parsed eventTime.
/// It may refuse a record it cannot use (`Err` with the reason): the record is then reported and
/// counted as skipped, like one the reader could not read, never dropped in silence.
pub type EachRecord<'c> =
    dyn for<'r> FnMut(&Record<'r>, &'r RawValue, Timestamp) -> Result<(), String> + 'c;

/// Reads one source and calls `each` for every valid record in it.
pub fn decode_source(src: &Source, opts: &DecodeOptions, each: &mut EachRecord<'_>) -> FileOutcome {
    let mut ctx = Ctx {
        name: src.to_string(),
        walked: src.walked(),
        opts,
        out: FileOutcome::default(),
        each,
        seen_value: false,
        ended_early: false,
    };
    let reader: Box<dyn Read> = match src {
        Source::Stdin => Box::new(io::stdin().lock()),
        Source::Memory { bytes, .. } => Box::new(&bytes[..]),
        Source::File { path, .. } => match File::open(path) {
            Ok(f) => Box::new(f),
            Err(err) => {
                ctx.problem(Where::File, format!("cannot read: {err}"));
                return ctx.out;
            }
        },
    };
    decode_reader(reader, &mut ctx);
    ctx.out
}

/// Decodes bytes already in memory (tests, and sources such as S3 objects).
pub fn decode_bytes(
    name: &str,
    bytes: &[u8],
    opts: &DecodeOptions,
    each: &mut EachRecord<'_>,
) -> FileOutcome {
    let mut ctx = Ctx {
        name: name.to_string(),
        walked: false,
        opts,
        out: FileOutcome::default(),
        each,
        seen_value: false,
        ended_early: false,
    };
    decode_reader(Box::new(bytes), &mut ctx);
    ctx.out
}

struct Ctx<'o, 'c, 'e> {
    name: String,
    walked: bool,
    opts: &'o DecodeOptions,
    out: FileOutcome,
    each: &'e mut EachRecord<'c>,
    /// Whether any top-level value was seen yet: only the first decides "not CloudTrail".
    seen_value: bool,
    /// Whether the last problem was the text ending in the middle of a value.
    ended_early: bool,
}

impl Ctx<'_, '_, '_> {
    fn problem(&mut self, at: Where, message: impl Into<String>) {
        self.out
            .problems
            .push(Problem::new(self.name.clone(), at, message));
    }

    fn skip(&mut self, at: Where, message: impl Into<String>) {
        self.out.skipped_records += 1;
        self.problem(at, message);
    }
}

fn decode_reader(reader: Box<dyn Read + '_>, ctx: &mut Ctx<'_, '_, '_>) {
    let mut buffered = BufReader::with_capacity(256 << 10, reader);
    let gzipped = match buffered.fill_buf() {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(err) => {
            ctx.problem(Where::File, format!("cannot read: {err}"));
            return;
        }
    };
    let mut decoded: Box<dyn Read + '_> = if gzipped {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    let limit = ctx.opts.max_in_memory;
    let mut buf = Vec::new();
    let read_error = (&mut decoded)
        .take(limit as u64 + 1)
        .read_to_end(&mut buf)
        .err();
    if read_error.is_none() && buf.len() > limit {
        // Too large to hold: carry on as a stream over what was read plus the rest.
        let rest = BufReader::with_capacity(1 << 20, Cursor::new(buf).chain(decoded));
        decode_stream(rest, ctx);
        return;
    }
    ctx.out.bytes = buf.len() as u64;
    let truncated = read_error.map(|err| {
        let what = if gzipped {
            "gzip stream is truncated or corrupt"
        } else {
            "read failed"
        };
        format!("{what} after {} decoded bytes ({err})", buf.len())
    });
    decode_text(&buf, ctx);
    if let Some(message) = truncated {
        // The parser then also reports the text ending early: one line says it all.
        let records = ctx.out.records;
        if ctx.ended_early {
            ctx.out.problems.pop();
        }
        ctx.out.problems.push(Problem::new(
            ctx.name.clone(),
            Where::Byte(buf.len() as u64),
            format!("{message}; {records} records before it were read"),
        ));
    }
}

/// Decodes a whole text held in memory.
fn decode_text(bytes: &[u8], ctx: &mut Ctx<'_, '_, '_>) {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return ctx.problem(Where::File, "empty file"),
        Some(b'{' | b'[') => {}
        // Binary or other text: say so once, rather than also listing its bytes as bad UTF-8.
        Some(_) => return not_cloudtrail(ctx),
    }
    let text: Cow<'_, str> = match std::str::from_utf8(body) {
        Ok(text) => Cow::Borrowed(text),
        Err(err) => {
            let first = err.valid_up_to() + (bytes.len() - body.len());
            let lossy = String::from_utf8_lossy(body);
            let replaced = lossy.matches('\u{FFFD}').count() - count_replacement_chars(body);
            ctx.problem(
                Where::Byte(first as u64),
                format!("invalid UTF-8 ({replaced} invalid sequences replaced with U+FFFD)"),
            );
            lossy
        }
    };
    let start = text.len() - text.trim_start().len();
    if starts_with_records_key(&text[start..]) {
        let mut de = serde_json::Deserializer::from_str(&text[start..]);
        let visitor = BatchVisitor::<&RawValue> {
            seed: ArraySeed {
                ctx: &mut *ctx,
                index: 0,
                elem: std::marker::PhantomData,
            },
        };
        let result = serde::Deserializer::deserialize_map(&mut de, visitor).and_then(|()| de.end());
        match result {
            // More values follow the batch (JSON lines of batches): read them as such.
            Err(err)
                if err.classify() == serde_json::error::Category::Syntax
                    && err.to_string().starts_with("trailing characters") =>
            {
                let offset = byte_offset(&text[start..], err.line(), err.column());
                decode_values(&text, start + offset, ctx);
            }
            other => finish_batch(other, ctx),
        }
    } else {
        decode_values(&text, start, ctx);
    }
}

/// The byte offset of serde_json's 1-based line and column (columns count bytes).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

fn count_replacement_chars(bytes: &[u8]) -> usize {
    // U+FFFD that were already in the input, so they are not counted as repairs.
    bytes
        .windows(3)
        .filter(|w| *w == [0xEF, 0xBF, 0xBD])
        .count()
}

fn not_cloudtrail(ctx: &mut Ctx<'_, '_, '_>) {
    if ctx.walked {
        ctx.out.ignored = Some(Ignored::NotCloudTrail);
    } else {
        ctx.problem(
            Where::File,
            "not CloudTrail JSON (expected {\"Records\":[...]}, an array, objects or JSON lines)",
        );
    }
}

/// `{"Records"` after optional white space: the shape CloudTrail delivers.
fn starts_with_records_key(text: &str) -> bool {
    text.strip_prefix('{')
        .is_some_and(|rest| rest.trim_start().starts_with("\"Records\""))
}

/// A sequence of top-level JSON values: one object, JSON lines, concatenated objects or arrays.
/// A value that does not parse is skipped up to the end of its line, and decoding resumes there.
fn decode_values(text: &str, mut pos: usize, ctx: &mut Ctx<'_, '_, '_>) {
    let mut line = 1 + text[..pos].matches('\n').count();
    let mut line_pos = pos;
    while pos < text.len() {
        let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<&RawValue>();
        let mut consumed = 0;
        loop {
            let start = consumed + leading_ws(&text[pos + consumed..]);
            match stream.next() {
                None => {
                    pos = text.len();
                    break;
                }
                Some(Ok(raw)) => {
                    line += text[line_pos..pos + start].matches('\n').count();
                    line_pos = pos + start;
                    handle_value(raw, Where::Line(line), ctx);
                    consumed = stream.byte_offset();
                    if ctx.out.ignored.is_some() {
                        return;
                    }
                }
                Some(Err(err)) => {
                    line += text[line_pos..pos + start].matches('\n').count();
                    line_pos = pos + start;
                    if !ctx.seen_value && ctx.walked && !err.is_eof() {
                        // The first thing in a walked file is not JSON we can use: not ours.
                        ctx.out.ignored = Some(Ignored::NotCloudTrail);
                        return;
                    }
                    ctx.seen_value = true;
                    ctx.skip(
                        Where::Line(line),
                        format!("invalid JSON: {}", short_error(&err)),
                    );
                    ctx.ended_early = err.is_eof();
                    // Resume after the end of the line the bad value starts on.
                    let from = pos + start;
                    pos = text[from..]
                        .find('\n')
                        .map_or(text.len(), |nl| from + nl + 1);
                    break;
                }
            }
        }
    }
}

fn leading_ws(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// serde_json's message without its own " at line L column C" suffix (we say where ourselves).
fn short_error(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// A top-level value: a record, a `Records` batch, an array of records, or something else.
fn handle_value<'r>(raw: &'r RawValue, at: Where, ctx: &mut Ctx<'_, '_, '_>) {
    let text = raw.get();
    if text.starts_with('[') {
        ctx.seen_value = true;
        let mut de = serde_json::Deserializer::from_str(text);
        let mut seed = ArraySeed::<&'r RawValue> {
            ctx,
            index: 0,
            elem: std::marker::PhantomData,
        };
        let result = seed.deserialize_now(&mut de);
        finish_batch(result, ctx);
        return;
    }
    handle_record(raw, at, ctx);
}

fn finish_batch(result: Result<(), serde_json::Error>, ctx: &mut Ctx<'_, '_, '_>) {
    if let Err(err) = result {
        let records = ctx.out.records;
        ctx.problem(
            Where::LineColumn(err.line(), err.column()),
            format!(
                "invalid JSON: {} ({records} records before it were read; the rest of the file is skipped)",
                short_error(&err)
            ),
        );
        ctx.ended_early = err.is_eof();
    }
}

/// The keys that tell what an object without event fields is.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Option<Vec<&'a RawValue>>,
    #[serde(rename = "digestStartTime", default)]
    digest_start_time: Option<IgnoredAny>,
    #[serde(rename = "logFiles", default)]
    log_files: Option<IgnoredAny>,
}

/// The deepest nesting of objects and arrays `serde_json` builds into a tree (it refuses a
/// 128th level). Reading a record here skips its request and response unparsed, at any depth,
/// but rules match the record's tree: a deeper record is skipped and named when it is read,
/// rather than silently matching nothing later.
pub const MAX_NESTING: usize = 127;

/// Whether objects and arrays in the JSON `text` nest deeper than `limit` levels.
fn nested_deeper_than(text: &str, limit: usize) -> bool {
    let bytes = text.as_bytes();
    // Fewer opening brackets than the limit cannot nest deeper: one quick pass settles almost
    // every record.
    if bytes.iter().filter(|&&b| b == b'{' || b == b'[').count() <= limit {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn handle_record<'r>(raw: &'r RawValue, at: Where, ctx: &mut Ctx<'_, '_, '_>) {
    let first_value = !ctx.seen_value;
    ctx.seen_value = true;
    let text = raw.get();
    if text.len() > ctx.opts.max_record_bytes {
        ctx.skip(
            at,
            format!(
                "record is {} bytes, over the limit of {} (raise --max-record-bytes to read it)",
                text.len(),
                ctx.opts.max_record_bytes
            ),
        );
        return;
    }
    if !text.starts_with('{') {
        ctx.skip(at, "not a JSON object");
        return;
    }
    let record: Record<'r> = match serde_json::from_str(text) {
        Ok(record) => record,
        Err(err) => {
            ctx.skip(at, format!("invalid record: {}", short_error(&err)));
            return;
        }
    };
    if record.event_name.is_none()
        && record.event_time.is_none()
        && record.event_source.is_none()
        && record.event_version.is_none()
    {
        let probe: Option<Probe<'r>> = serde_json::from_str(text).ok();
        match probe {
            Some(Probe {
                records: Some(records),
                ..
            }) => {
                for (i, raw) in records.into_iter().enumerate() {
                    handle_record(raw, Where::Record(i), ctx);
                }
            }
            Some(Probe {
                digest_start_time: Some(_),
                ..
            })
            | Some(Probe {
                log_files: Some(_), ..
            }) if first_value => ctx.out.ignored = Some(Ignored::Digest),
            _ if first_value && ctx.walked => ctx.out.ignored = Some(Ignored::NotCloudTrail),
            _ => ctx.skip(
                at,
                "not a CloudTrail record (no eventTime, eventName or eventSource)",
            ),
        }
        return;
    }
    let missing = match (&record.event_time, &record.event_name) {
        (None, None) => Some("eventTime and eventName"),
        (None, Some(_)) => Some("eventTime"),
        (Some(_), None) => Some("eventName"),
        _ => None,
    };
    if let Some(missing) = missing {
        ctx.skip(at, format!("record has no {missing}"));
        return;
    }
    // Judged on the record itself, not on a batch object that holds it (JSON lines of batches).
    if nested_deeper_than(text, MAX_NESTING) {
        ctx.skip(
            at,
            format!(
                "objects or arrays nest deeper than {MAX_NESTING} levels, more than rules can read"
            ),
        );
        return;
    }
    let time = record.event_time.as_deref().unwrap_or_default();
    let Ok(ts) = time.parse::<Timestamp>() else {
        ctx.skip(
            at,
            format!("eventTime {time:?} is not an RFC 3339 timestamp"),
        );
        return;
    };
    match (ctx.each)(&record, raw, ts) {
        Ok(()) => ctx.out.records += 1,
        Err(reason) => ctx.skip(at, reason),
    }
}

/// An element type of a streamed array: borrowed from a buffer, or owned when reading a stream.
trait Element<'de>: Deserialize<'de> {
    fn with_raw(self, f: &mut dyn FnMut(&RawValue));
}

impl<'de> Element<'de> for &'de RawValue {
    fn with_raw(self, f: &mut dyn FnMut(&RawValue)) {
        f(self)
    }
}

impl<'de> Element<'de> for Box<RawValue> {
    fn with_raw(self, f: &mut dyn FnMut(&RawValue)) {
        f(&self)
    }
}

/// Walks an array of records element by element, never holding more than one.
struct ArraySeed<'a, 'o, 'c, 'e, E> {
    ctx: &'a mut Ctx<'o, 'c, 'e>,
    index: usize,
    elem: std::marker::PhantomData<E>,
}

impl<'de, E: Element<'de>> ArraySeed<'_, '_, '_, '_, E> {
    fn deserialize_now<D: serde::Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, E: Element<'de>> Visitor<'de> for &mut ArraySeed<'_, '_, '_, '_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(elem) = seq.next_element::<E>()? {
            let index = self.index;
            self.index += 1;
            let ctx = &mut *self.ctx;
            elem.with_raw(&mut |raw| handle_record_any(raw, Where::Record(index), ctx));
        }
        Ok(())
    }
}

/// `handle_record` for a raw value whose lifetime is only the call's.
fn handle_record_any(raw: &RawValue, at: Where, ctx: &mut Ctx<'_, '_, '_>) {
    handle_record(raw, at, ctx)
}

impl<'de, E: Element<'de>> DeserializeSeed<'de> for &mut ArraySeed<'_, '_, '_, '_, E> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

/// `{"Records": [...]}`: the Records array is streamed, other keys are skipped.
struct BatchVisitor<'a, 'o, 'c, 'e, E> {
    seed: ArraySeed<'a, 'o, 'c, 'e, E>,
}

impl<'de, E: Element<'de>> Visitor<'de> for BatchVisitor<'_, '_, '_, '_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CloudTrail log file object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "Records" {
                self.seed.ctx.seen_value = true;
                map.next_value_seed(&mut self.seed)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// Inputs too large for memory: arrays and batches are streamed element by element through the
/// JSON parser, JSON lines line by line.
fn decode_stream(mut reader: impl BufRead, ctx: &mut Ctx<'_, '_, '_>) {
    // Find the first significant byte without consuming it.
    let first = loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(err) => {
                ctx.problem(Where::File, format!("read failed: {err}"));
                return;
            }
        };
        if buf.is_empty() {
            ctx.problem(Where::File, "empty file");
            return;
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let head = buf[i..].to_vec();
                reader.consume(i);
                break head;
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    let head = String::from_utf8_lossy(&first);
    let is_batch = head.starts_with('{') && starts_with_records_key(&head);
    let is_array = head.starts_with('[');
    if is_batch || is_array {
        let mut de = serde_json::Deserializer::from_reader(reader);
        let mut seed = ArraySeed::<Box<RawValue>> {
            ctx,
            index: 0,
            elem: std::marker::PhantomData,
        };
        let result = if is_batch {
            let visitor = BatchVisitor { seed };
            serde::Deserializer::deserialize_map(&mut de, visitor).and_then(|()| de.end())
        } else {
            seed.deserialize_now(&mut de).and_then(|()| de.end())
        };
        finish_batch(result, ctx);
        return;
    }
    if !head.starts_with('{') {
        not_cloudtrail(ctx);
        return;
    }
    let max = ctx.opts.max_record_bytes;
    let mut line_no = 0usize;
    let mut line = Vec::new();
    loop {
        line.clear();
        line_no += 1;
        let n = match (&mut reader)
            .take(max as u64 + 1)
            .read_until(b'\n', &mut line)
        {
            Ok(n) => n,
            Err(err) => {
                ctx.problem(Where::Line(line_no), format!("read failed: {err}"));
                return;
            }
        };
        if n == 0 {
            return;
        }
        if line.len() > max && !line.ends_with(b"\n") {
            ctx.skip(
                Where::Line(line_no),
                format!(
                    "line is over the limit of {max} bytes (raise --max-record-bytes to read it)"
                ),
            );
            // Skip the rest of the over-long line.
            let mut sink = Vec::new();
            if reader.read_until(b'\n', &mut sink).is_err() {
                return;
            }
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        if matches!(text, Cow::Owned(_)) {
            ctx.problem(Where::Line(line_no), "invalid UTF-8 (replaced with U+FFFD)");
        }
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        match serde_json::from_str::<&RawValue>(trimmed) {
            Ok(raw) => handle_value(raw, Where::Line(line_no), ctx),
            Err(err) => ctx.skip(
                Where::Line(line_no),
                format!("invalid JSON: {}", short_error(&err)),
            ),
        }
        if ctx.out.ignored.is_some() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record whose requestParameters nest `depth` levels below the record itself.
    fn nested(depth: usize, noise: &str) -> String {
        let mut inner = String::from("1");
        for level in 0..depth.saturating_sub(2) {
            inner = if level % 2 == 0 {
                format!("[{noise}, {inner}]")
            } else {
                format!("{{\"k\\\"{{[\": {inner}, \"s\": {noise}}}")
            };
        }
        format!(r#"{{"eventName":"X","requestParameters":{{"a":{inner}}}}}"#)
    }

    #[test]
    fn nesting_is_judged_as_a_json_tree_parse_judges_it() {
        for noise in ["\"[[[{{{\"", "\"\\\"[\\\\\"", "0"] {
            for depth in (1..10).chain(120..136) {
                let text = nested(depth, noise);
                let tree = serde_json::from_str::<serde_json::Value>(&text);
                assert_eq!(
                    nested_deeper_than(&text, MAX_NESTING),
                    tree.is_err(),
                    "depth {depth}, noise {noise}: {tree:?}"
                );
            }
        }
        assert!(!nested_deeper_than("[[]]", 2));
        assert!(nested_deeper_than("[[[]]]", 2));
        assert!(!nested_deeper_than(r#"["[[[[", "]"]"#, 1));
    }
}
