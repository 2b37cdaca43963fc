//! The time-ordered phase of detection: the events that feed correlations, each reduced on the
//! core that matched it to a compact binary payload (its summary, and per correlation only the
//! group-by tuple and counted value), partitioned, put in (eventTime, eventID) order through the
//! external sorter, and correlated one partition per core.
//!
//! A correlation that neither takes nor hands on another correlation's results keeps state per
//! group-by tuple only, so it needs its tuples' events in time order, not the whole input:
//! its inputs are spread over [`PARTITIONS`] partitions by a hash of (correlation, tuple). The
//! correlations of a chain share one more partition, fed in global time order.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::io;

use rules::{CorrelationInput, Ruleset};
use trail::sort::{Chunk, Partition, PartitionedSorter};

use crate::finding::Finding;
use crate::pipeline::{EventInfo, correlated_events};
use crate::resources::Resources;

/// Partitions of the correlations that keep state per group-by tuple only; one more holds the
/// chained ones.
pub(crate) const PARTITIONS: usize = 32;

/// Where an input of an unchained correlation goes: a hash of the correlation and its tuple.
pub(crate) fn partition(input: &CorrelationInput) -> usize {
    // SipHash with fixed keys: the same partition on every run (not that results depend on it).
    let mut h = std::hash::DefaultHasher::new();
    input.correlation.hash(&mut h);
    input.key.hash(&mut h);
    (h.finish() % PARTITIONS as u64) as usize
}

/// Groups an event's inputs by partition, keeping their order within each: `(partition, inputs)`.
pub(crate) fn split(
    inputs: Vec<CorrelationInput>,
    chained: &[bool],
) -> Vec<(usize, Vec<CorrelationInput>)> {
    let mut out: Vec<(usize, Vec<CorrelationInput>)> = Vec::new();
    for input in inputs {
        let part = if chained[input.correlation] {
            PARTITIONS
        } else {
            partition(&input)
        };
        match out.iter_mut().find(|(p, _)| *p == part) {
            Some((_, list)) => list.push(input),
            None => out.push((part, vec![input])),
        }
    }
    out
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    let n = u32::try_from(n).expect("payload fields are under 4 GiB");
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// `None` is a length of `u32::MAX`.
fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => put_str(out, s),
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
}

/// Encodes an event's summary.
pub(crate) fn put_info(out: &mut Vec<u8>, e: &EventInfo<'_>) {
    put_str(out, &e.id);
    put_str(out, &e.time);
    out.extend_from_slice(&e.time_ms.to_le_bytes());
    put_str(out, &e.name);
    for field in [
        &e.principal,
        &e.source_ip,
        &e.account,
        &e.region,
        &e.error_code,
    ] {
        put_opt(out, field.as_deref());
    }
    for set in e.resources.sets() {
        put_u32(out, set.len());
        for s in set {
            put_str(out, s);
        }
    }
}

/// Encodes an event's inputs (the first part of a payload; its summary follows).
fn put_inputs(out: &mut Vec<u8>, inputs: &[CorrelationInput]) {
    put_u32(out, inputs.len());
    for input in inputs {
        put_u32(out, input.correlation);
        out.extend_from_slice(&input.mask.to_le_bytes());
        put_u32(out, input.key.len());
        for k in &input.key {
            put_str(out, k);
        }
        put_opt(out, input.value.as_deref());
    }
}

/// A payload: the inputs, then the summary.
#[cfg(test)]
pub(crate) fn payload(inputs: &[CorrelationInput], info: &EventInfo<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    put_inputs(&mut out, inputs);
    put_info(&mut out, info);
    out
}

/// The payloads of one batch of events, back to back in one chunk: per payload its bytes, then
/// its eventID, under its partition and order key. The sorter takes the chunk over whole. Adding
/// one allocates nothing once the buffer has grown.
#[derive(Default)]
pub(crate) struct Payloads(Chunk);

impl Payloads {
    /// Adds the payload of an event for one partition: its inputs there, and its summary.
    pub(crate) fn push(
        &mut self,
        part: usize,
        time_ns: i128,
        id: &str,
        inputs: &[CorrelationInput],
        info: &EventInfo<'_>,
    ) {
        let buffer = self.0.buffer();
        let start = buffer.len();
        put_inputs(buffer, inputs);
        put_info(buffer, info);
        let id_start = buffer.len();
        buffer.extend_from_slice(id.as_bytes());
        self.0.end_entry(part, time_ns, start, id_start);
    }

    /// Hands every payload to the sorter, in the order added.
    pub(crate) fn drain_into(self, sorter: &mut PartitionedSorter) -> io::Result<()> {
        sorter.push_chunk(self.0)
    }
}

/// Reads a payload back.
struct Reader<'a> {
    buf: &'a [u8],
}

fn bad() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "damaged correlation payload")
}

impl<'a> Reader<'a> {
    fn bytes<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let (head, rest) = self.buf.split_first_chunk::<N>().ok_or_else(bad)?;
        self.buf = rest;
        Ok(*head)
    }
    fn u32(&mut self) -> io::Result<u32> {
        self.bytes::<4>().map(u32::from_le_bytes)
    }
    fn len(&mut self) -> io::Result<usize> {
        self.u32().map(|n| n as usize)
    }
    /// The next `len` bytes, as text borrowed from the payload.
    fn text_ref(&mut self, len: usize) -> io::Result<&'a str> {
        if len > self.buf.len() {
            return Err(bad());
        }
        let (head, rest) = self.buf.split_at(len);
        self.buf = rest;
        std::str::from_utf8(head).map_err(|_| bad())
    }
    fn text(&mut self, len: usize) -> io::Result<String> {
        self.text_ref(len).map(str::to_string)
    }
    fn str(&mut self) -> io::Result<String> {
        let len = self.len()?;
        self.text(len)
    }
    fn opt(&mut self) -> io::Result<Option<String>> {
        match self.u32()? {
            u32::MAX => Ok(None),
            len => self.text(len as usize).map(Some),
        }
    }

    fn inputs(&mut self) -> io::Result<Vec<CorrelationInput>> {
        let n = self.len()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let correlation = self.len()?;
            let mask = u64::from_le_bytes(self.bytes::<8>()?);
            let keys = self.len()?;
            let key = (0..keys).map(|_| self.str()).collect::<io::Result<_>>()?;
            let value = self.opt()?;
            out.push(CorrelationInput {
                correlation,
                mask,
                key,
                value,
            });
        }
        Ok(out)
    }

    fn str_ref(&mut self) -> io::Result<Cow<'a, str>> {
        let len = self.len()?;
        self.text_ref(len).map(Cow::Borrowed)
    }
    fn opt_ref(&mut self) -> io::Result<Option<Cow<'a, str>>> {
        match self.u32()? {
            u32::MAX => Ok(None),
            len => self.text_ref(len as usize).map(|s| Some(Cow::Borrowed(s))),
        }
    }

    /// The summary, its text borrowed from the payload; its resources go into `merged` when
    /// given (the summary's own are then left empty).
    fn info(&mut self, merged: Option<&mut Resources>) -> io::Result<EventInfo<'a>> {
        let id = self.str_ref()?;
        let time = self.str_ref()?;
        let time_ms = i64::from_le_bytes(self.bytes::<8>()?);
        let name = self.str_ref()?;
        let principal = self.opt_ref()?;
        let source_ip = self.opt_ref()?;
        let account = self.opt_ref()?;
        let region = self.opt_ref()?;
        let error_code = self.opt_ref()?;
        let mut resources = Resources::default();
        let target = merged.unwrap_or(&mut resources);
        for set in target.sets_mut() {
            let n = self.len()?;
            for _ in 0..n {
                let len = self.len()?;
                let s = self.text_ref(len)?;
                if !set.contains(s) {
                    set.insert(s.to_string());
                }
            }
        }
        Ok(EventInfo {
            id,
            time,
            time_ms,
            name,
            principal,
            source_ip,
            account,
            region,
            error_code,
            resources,
        })
    }
}

/// Splits a payload made by [`payload`] and [`put_info`] into its inputs and its encoded
/// summary, with the summary's eventID and time in milliseconds; the summary is decoded with
/// [`decode_info`] only if a correlation fires on it.
pub(crate) fn split_payload(buf: &[u8]) -> io::Result<(Vec<CorrelationInput>, &[u8], &str, i64)> {
    let mut r = Reader { buf };
    let inputs = r.inputs()?;
    let info = r.buf;
    let id = r.len().and_then(|n| r.text_ref(n))?;
    // Skipped, not read: the summary's time as text.
    let len = r.len()?;
    r.text_ref(len)?;
    let time_ms = i64::from_le_bytes(r.bytes::<8>()?);
    Ok((inputs, info, id, time_ms))
}

/// Decodes a summary made by [`put_info`], its resources added to `merged` (its own left empty).
pub(crate) fn decode_info_merging<'b>(
    buf: &'b [u8],
    merged: &mut Resources,
) -> io::Result<EventInfo<'b>> {
    let mut r = Reader { buf };
    let info = r.info(Some(merged))?;
    if !r.buf.is_empty() {
        return Err(bad());
    }
    Ok(info)
}

/// Decodes a payload made by [`payload`] and [`put_info`].
#[cfg(test)]
pub(crate) fn decode(buf: &[u8]) -> io::Result<(Vec<CorrelationInput>, EventInfo<'_>)> {
    let mut r = Reader { buf };
    let inputs = r.inputs()?;
    let info = r.info(None)?;
    if !r.buf.is_empty() {
        return Err(bad());
    }
    Ok((inputs, info))
}

/// An eventID as a map key: a lowercase UUID as its number (cheap to hash and compare), any other
/// id as text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum IdKey {
    Uuid(u128),
    Text(Box<str>),
}

impl IdKey {
    fn new(id: &str) -> IdKey {
        // Uppercase digits would make two distinct ids one number.
        match trail::scan::parse_uuid(id) {
            Some(n) if !id.bytes().any(|b| b.is_ascii_uppercase()) => IdKey::Uuid(n),
            _ => IdKey::Text(id.into()),
        }
    }
}

/// The encoded summaries of the events a correlation may still need, oldest first: their bytes
/// back to back in one buffer, found by eventID. Events arrive in time order and are forgotten
/// oldest first, so the buffer is a queue: nothing is allocated per event.
#[derive(Default)]
struct Recent {
    bytes: Vec<u8>,
    /// Bytes before this offset belong to forgotten events.
    head: usize,
    /// Per event held, oldest first: its time, id and where its summary ends in `bytes`.
    events: VecDeque<(i64, IdKey, usize)>,
    /// How many events were forgotten: the sequence number of `events[0]`.
    forgotten: u64,
    /// The sequence number of the newest event with each id.
    by_id: foldhash::HashMap<IdKey, u64>,
}

impl Recent {
    fn push(&mut self, time_ms: i64, id: &str, info: &[u8]) {
        // Reclaim the space of forgotten events once it is most of the buffer.
        if self.head > self.bytes.len() / 2 && self.head > 1 << 16 {
            self.bytes.drain(..self.head);
            for (_, _, end) in &mut self.events {
                *end -= self.head;
            }
            self.head = 0;
        }
        self.bytes.extend_from_slice(info);
        let key = IdKey::new(id);
        let seq = self.forgotten + self.events.len() as u64;
        self.by_id.insert(key.clone(), seq);
        self.events.push_back((time_ms, key, self.bytes.len()));
    }

    /// Forgets the events older than `before`.
    fn forget(&mut self, before: i64) {
        while let Some((t, _, _)) = self.events.front()
            && *t < before
        {
            let Some((_, key, end)) = self.events.pop_front() else {
                break;
            };
            // A later event with the same id keeps its entry.
            if self.by_id.get(&key) == Some(&self.forgotten) {
                self.by_id.remove(&key);
            }
            self.forgotten += 1;
            self.head = end;
        }
    }

    /// The summary of the newest event held with this id.
    fn get(&self, id: &str) -> Option<&[u8]> {
        let seq = *self.by_id.get(&IdKey::new(id))?;
        let at = usize::try_from(seq - self.forgotten).ok()?;
        let start = match at.checked_sub(1) {
            Some(before) => self.events[before].2,
            None => self.head,
        };
        Some(&self.bytes[start..self.events[at].2])
    }
}

/// Correlates one partition in time order; returns its findings, each with its rule index.
///
/// An event's summary is kept while it can still be part of a correlation (`horizon_ms`, the
/// longest timespan; for ever when a correlation has none). `last_ms` is the newest event of the
/// whole input: windows still open at the end are closed with the summaries a single global pass
/// would still hold.
pub(crate) fn correlate(
    part: Partition,
    ruleset: &Ruleset,
    horizon_ms: Option<i64>,
    last_ms: i64,
) -> io::Result<Vec<(usize, Finding)>> {
    let rules = ruleset.rules();
    let mut findings = Vec::new();
    let mut correlator = rules::Correlator::new(ruleset);
    // Summaries stay encoded until a correlation that fires needs them.
    let mut recent = Recent::default();
    let forget = |recent: &mut Recent, now: i64| {
        if let Some(h) = horizon_ms {
            recent.forget(now.saturating_sub(h));
        }
    };
    let finding = |c: rules::Correlated, recent: &Recent| {
        // The resources of every event go straight into one set: a correlation can span
        // thousands of events naming the same few.
        let mut resources = Resources::default();
        let mut events = Vec::with_capacity(c.event_ids.len());
        for bytes in c.event_ids.iter().filter_map(|id| recent.get(id)) {
            events.push(decode_info_merging(bytes, &mut resources)?);
        }
        Ok::<_, io::Error>((
            c.rule,
            correlated_events(&rules[c.rule], c, &events, resources),
        ))
    };
    part.finish(|_, payload| {
        let (inputs, info, id, time_ms) = split_payload(payload)?;
        let fired = correlator.feed_inputs(time_ms, id, inputs);
        forget(&mut recent, time_ms);
        recent.push(time_ms, id, info);
        for c in fired {
            findings.push(finding(c, &recent)?);
        }
        Ok(())
    })?;
    forget(&mut recent, last_ms);
    for c in correlator.finish() {
        findings.push(finding(c, &recent)?);
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let mut resources = Resources::default();
        resources.instance_ids.insert("i-0a1b2c3d4e5f60001".into());
        resources.key_names.insert("".into());
        resources.flow_log_ids.insert("fl-0123456789abcdef0".into());
        let info = EventInfo {
            id: "00000000-0000-0000-0000-000000055334".into(),
            time: "2024-05-04T02:10:00Z".into(),
            time_ms: 1_714_788_600_000,
            name: "Decrypt".into(),
            principal: Some("arn:aws:sts::1:assumed-role/r/i-0a1b2c3d4e5f60001".into()),
            source_ip: None,
            account: Some("".into()),
            region: Some("us-east-1".into()),
            error_code: None,
            resources,
        };
        let inputs = vec![
            CorrelationInput {
                correlation: 3,
                mask: 0b101,
                key: vec!["a".into(), String::new(), "ü".into()],
                value: Some("3.85.10.21".into()),
            },
            CorrelationInput {
                correlation: 0,
                mask: 1 << 63,
                key: Vec::new(),
                value: None,
            },
        ];
        let bytes = payload(&inputs, &info);
        let (got_inputs, got_info) = decode(&bytes).unwrap();
        assert_eq!(got_inputs, inputs);
        assert_eq!(
            serde_json::to_value(&got_info).unwrap(),
            serde_json::to_value(&info).unwrap()
        );
        let whole = payload(&inputs, &info);
        assert!(decode(&whole[..whole.len() - 1]).is_err());
    }

    #[test]
    fn recent_summaries_are_found_by_id_until_forgotten() {
        let mut recent = Recent::default();
        let uuid = "eaa28491-0b33-4eec-b8d5-1406540fe70f";
        recent.push(10, uuid, b"first");
        recent.push(20, "EXAMPLE-id", b"second");
        // Ids differing only in case are different events.
        recent.push(30, &uuid.to_uppercase(), b"third");
        assert_eq!(recent.get(uuid), Some(&b"first"[..]));
        assert_eq!(recent.get("EXAMPLE-id"), Some(&b"second"[..]));
        assert_eq!(recent.get(&uuid.to_uppercase()), Some(&b"third"[..]));
        assert_eq!(recent.get("example-id"), None);
        recent.forget(20);
        assert_eq!(recent.get(uuid), None);
        assert_eq!(recent.get("EXAMPLE-id"), Some(&b"second"[..]));
        // A repeated id: the newer copy outlives the older one.
        recent.push(40, "EXAMPLE-id", b"again");
        assert_eq!(recent.get("EXAMPLE-id"), Some(&b"again"[..]));
        recent.forget(25);
        assert_eq!(recent.get("EXAMPLE-id"), Some(&b"again"[..]));
        recent.forget(41);
        assert_eq!(recent.get("EXAMPLE-id"), None);
        assert_eq!(recent.get(&uuid.to_uppercase()), None);
    }

    #[test]
    fn recent_summaries_survive_the_buffer_being_reclaimed() {
        let mut recent = Recent::default();
        let summary = |i: usize| format!("summary {i} ").repeat(i % 50 + 1).into_bytes();
        for i in 0..5000 {
            recent.push(i as i64, &format!("id-{i}"), &summary(i));
            // Keep the last 100 events.
            recent.forget(i as i64 - 99);
            if i % 97 == 0 {
                for back in [0, 50, 99] {
                    let j = i.saturating_sub(back);
                    assert_eq!(recent.get(&format!("id-{j}")), Some(&summary(j)[..]));
                }
                if i >= 100 {
                    assert_eq!(recent.get(&format!("id-{}", i - 100)), None);
                }
            }
        }
        assert!(
            recent.bytes.len() < 200_000,
            "{} bytes held",
            recent.bytes.len()
        );
    }

    #[test]
    fn summaries_decoded_into_one_set_of_resources_name_what_each_names() {
        let info = |id: &str, instance: &str, key: Option<&str>| {
            let mut resources = Resources::default();
            resources.instance_ids.insert(instance.into());
            resources.key_names.extend(key.map(str::to_string));
            EventInfo {
                id: id.to_string().into(),
                time: "2024-05-04T02:10:00Z".into(),
                time_ms: 1,
                name: "Decrypt".into(),
                principal: None,
                source_ip: Some("3.85.10.21".into()),
                account: None,
                region: None,
                error_code: None,
                resources,
            }
        };
        let events = [
            info("a", "i-1", Some("k")),
            info("b", "i-2", None),
            info("c", "i-1", Some("k")),
        ];
        let mut merged = Resources::default();
        let mut want = Resources::default();
        for e in &events {
            let mut bytes = Vec::new();
            put_info(&mut bytes, e);
            let got = decode_info_merging(&bytes, &mut merged).unwrap();
            // The summary itself comes back whole, but for its resources.
            let mut alone = e.clone();
            alone.resources = Resources::default();
            assert_eq!(
                serde_json::to_value(&got).unwrap(),
                serde_json::to_value(&alone).unwrap()
            );
            want.merge(&e.resources);
            assert!(
                decode_info_merging(&bytes[..bytes.len() - 1], &mut Resources::default()).is_err()
            );
        }
        assert_eq!(
            serde_json::to_value(&merged).unwrap(),
            serde_json::to_value(&want).unwrap()
        );
        assert_eq!(merged.instance_ids.len(), 2);
    }
}
