//! The parallel scan: every source decoded on its own core, records de-duplicated by eventID and
//! filtered, the caller's `map` applied in the workers, and results handed back on the calling thread.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Mutex;
use std::sync::mpsc::sync_channel;

use jiff::Timestamp;
use rayon::prelude::*;
use serde_json::value::RawValue;

use crate::decode::{DecodeOptions, FileOutcome, Ignored, decode_source};
use crate::filter::Filter;
use crate::problem::Problem;
use crate::record::Record;
use crate::source::Source;

/// Called after each source with the counts so far.
pub type ProgressHook = Box<dyn Fn(&ScanReport) + Send + Sync>;

/// One shard of the seen eventIDs: UUIDs as numbers, other ids as text.
type IdShard = (HashSet<u128>, HashSet<Box<str>>);

/// Everything a scan needs besides the sources.
#[derive(Default)]
pub struct ScanOptions {
    pub decode: DecodeOptions,
    pub filter: Filter,
    /// Keep every copy of a record instead of the first per eventID.
    pub keep_duplicates: bool,
    /// Called on the calling thread after each source, e.g. to move a progress bar.
    pub on_source_done: Option<ProgressHook>,
}

/// Counts of a scan, and the problems found, for the summary on stderr.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Sources read (including ones that turned out ignored or broken).
    pub sources: u64,
    /// Digest files passed over (found by name while walking or by content).
    pub ignored_digests: u64,
    /// Walked files that are not CloudTrail JSON.
    pub ignored_other: u64,
    /// Sources with at least one problem.
    pub sources_with_problems: u64,
    /// Valid records read, duplicates included.
    pub records: u64,
    /// Records dropped as repeats of an eventID already seen.
    pub duplicates: u64,
    /// Records that passed the filter.
    pub matched: u64,
    /// Invalid records or lines skipped.
    pub skipped_records: u64,
    /// Decoded bytes.
    pub bytes: u64,
    pub problems: Vec<Problem>,
}

impl ScanReport {
    /// Whether any input was skipped: the exit code is then 2.
    pub fn skipped_anything(&self) -> bool {
        !self.problems.is_empty()
    }

    /// Adds problems found before decoding (e.g. unreadable paths).
    pub fn add_problems(&mut self, problems: impl IntoIterator<Item = Problem>) {
        for p in problems {
            self.sources_with_problems += 1;
            self.problems.push(p);
        }
    }

    fn add(&mut self, outcome: FileOutcome, duplicates: u64, matched: u64) {
        self.sources += 1;
        match outcome.ignored {
            Some(Ignored::Digest) => self.ignored_digests += 1,
            Some(Ignored::NotCloudTrail) => self.ignored_other += 1,
            None => {}
        }
        if !outcome.problems.is_empty() {
            self.sources_with_problems += 1;
        }
        self.records += outcome.records;
        self.skipped_records += outcome.skipped_records;
        self.bytes += outcome.bytes;
        self.duplicates += duplicates;
        self.matched += matched;
        self.problems.extend(outcome.problems);
    }

    /// One line for stderr: what was read, what was dropped and why.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} files, {} records ({} duplicates dropped), {} matched",
            self.sources, self.records, self.duplicates, self.matched
        );
        let ignored = self.ignored_digests + self.ignored_other;
        if ignored > 0 {
            s.push_str(&format!(
                "; ignored {} digest and {} non-CloudTrail files",
                self.ignored_digests, self.ignored_other
            ));
        }
        if self.skipped_anything() {
            s.push_str(&format!(
                "; SKIPPED input: {} invalid records in {} files with problems ({} problems listed above)",
                self.skipped_records,
                self.sources_with_problems,
                self.problems.len()
            ));
        }
        s
    }
}

/// The eventIDs seen so far, sharded so all cores can insert at once. UUIDs (what CloudTrail
/// writes) are kept as 16-byte integers; anything else as text.
struct SeenIds {
    shards: Vec<Mutex<IdShard>>,
    hasher: RandomState,
}

impl SeenIds {
    fn new() -> Self {
        SeenIds {
            shards: (0..64).map(|_| Mutex::new(Default::default())).collect(),
            hasher: RandomState::new(),
        }
    }

    /// True when the id is new.
    fn insert(&self, id: &str) -> bool {
        match parse_uuid(id) {
            Some(n) => {
                let shard = (n as usize) & 63;
                self.shards[shard]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .0
                    .insert(n)
            }
            None => {
                let mut h = self.hasher.build_hasher();
                id.hash(&mut h);
                let shard = (std::hash::Hasher::finish(&h) as usize) & 63;
                self.shards[shard]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .1
                    .insert(id.into())
            }
        }
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` as a number; case-insensitive (so ids differing only in
/// case give the same number).
pub fn parse_uuid(id: &str) -> Option<u128> {
    let b = id.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let mut n: u128 = 0;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            continue;
        }
        let d = (c as char).to_digit(16)?;
        n = (n << 4) | d as u128;
    }
    Some(n)
}

struct Batch<B> {
    items: B,
    outcome: FileOutcome,
    duplicates: u64,
    matched: u64,
}

/// Reads all sources in parallel. For every new (not yet seen eventID), filter-passing record,
/// `map` runs on a worker thread; what it returns is passed to `consume` on the calling thread,
/// one source at a time (sources finish in no particular order: sort downstream if order matters).
/// A record `map` refuses (`Err` with the reason) is reported and counted as skipped.
pub fn scan<T, M, C>(sources: &[Source], opts: &ScanOptions, map: M, mut consume: C) -> ScanReport
where
    T: Send,
    M: for<'r> Fn(&Record<'r>, &'r RawValue, Timestamp) -> Result<Option<T>, String> + Sync,
    C: FnMut(T),
{
    scan_batches(
        sources,
        opts,
        |items: &mut Vec<T>, record, raw, time| {
            items.extend(map(record, raw, time)?);
            Ok(())
        },
        |items| items.into_iter().for_each(&mut consume),
    )
}

/// [`scan`], with what `map` makes of a source's records gathered into one batch of the caller's
/// own shape (`B`, fresh for every source) instead of a value per record: a caller that makes
/// many small things can write them back to back, with no allocation of its own per record,
/// and `consume` receives the batch whole.
pub fn scan_batches<B, M, C>(
    sources: &[Source],
    opts: &ScanOptions,
    map: M,
    mut consume: C,
) -> ScanReport
where
    B: Default + Send,
    M: for<'r> Fn(&mut B, &Record<'r>, &'r RawValue, Timestamp) -> Result<(), String> + Sync,
    C: FnMut(B),
{
    let seen = SeenIds::new();
    let mut report = ScanReport::default();
    // A small bound keeps memory flat when the consumer is slower than the decoders.
    let (tx, rx) = sync_channel::<Batch<B>>(4);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            sources.par_iter().for_each_with(tx, |tx, source| {
                let mut items = B::default();
                let (mut duplicates, mut matched) = (0, 0);
                let outcome = decode_source(source, &opts.decode, &mut |record, raw, time| {
                    if !opts.keep_duplicates
                        && let Some(id) = record.event_id.as_deref()
                        && !seen.insert(id)
                    {
                        duplicates += 1;
                        return Ok(());
                    }
                    if !opts.filter.matches(record, time) {
                        return Ok(());
                    }
                    map(&mut items, record, raw, time)?;
                    matched += 1;
                    Ok(())
                });
                // The receiver only goes away if the caller panicked; nothing left to report to.
                let _ = tx.send(Batch {
                    items,
                    outcome,
                    duplicates,
                    matched,
                });
            });
        });
        for batch in rx {
            report.add(batch.outcome, batch.duplicates, batch.matched);
            consume(batch.items);
            if let Some(hook) = &opts.on_source_done {
                hook(&report);
            }
        }
    });
    report.problems.sort();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_parse_case_insensitively() {
        let a = parse_uuid("ab04bb55-b6d5-492b-8697-9d11867c6c43").unwrap();
        let b = parse_uuid("AB04BB55-B6D5-492B-8697-9D11867C6C43").unwrap();
        assert_eq!(a, b);
        assert_eq!(parse_uuid("not-a-uuid"), None);
        assert_eq!(parse_uuid("ab04bb55xb6d5-492b-8697-9d11867c6c43"), None);
        assert_eq!(parse_uuid("gb04bb55-b6d5-492b-8697-9d11867c6c43"), None);
    }

    #[test]
    fn seen_ids_dedupe_both_kinds() {
        let seen = SeenIds::new();
        assert!(seen.insert("ab04bb55-b6d5-492b-8697-9d11867c6c43"));
        assert!(!seen.insert("ab04bb55-b6d5-492b-8697-9d11867c6c43"));
        assert!(seen.insert("EXAMPLE-id-1"));
        assert!(!seen.insert("EXAMPLE-id-1"));
        assert!(seen.insert("EXAMPLE-id-2"));
    }
}
