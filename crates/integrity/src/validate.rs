//! The walk `aws cloudtrail validate-logs` does, over any [`Store`], for every chain found.
//!
//! Per chain (one trail's digests from one region; backfill digests apart), newest first: list the
//! digest keys whose name time lies in `[since, until + 1h]`, start at the newest, check it, then
//! follow `previousDigestS3Object`. A digest that is missing or invalid is reported and the walk
//! resumes at the next older listed key; a starting digest (previous fields null) with older
//! digests listed is a gap in the chain. The walk stops once a checked digest starts before
//! `since`. Only log files of digests whose signature verifies are checked.
//!
//! Beyond `validate-logs`: log files present in a region's folders but listed in no digest
//! ("extra"), data appended after a file's gzip stream, a previous-digest hash that does not match
//! the previous digest, and digest periods that do not meet.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::{SignedDuration, Timestamp};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::digest::{self, Digest, LogRef};
use crate::keys::{self, KeyEntry, KeyRing};
use crate::name::{self, Area, ChainId};
use crate::store::{META_ALGORITHM, META_BACKFILL_TIME, META_SIGNATURE, Store};

/// What to validate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Validate digests that cover this time and later (`validate-logs --start-time`); `None`
    /// for every digest found.
    pub since: Option<Timestamp>,
    /// ... and no later than this (`--end-time`; usually now).
    pub until: Timestamp,
    /// Look for log files listed in no digest.
    pub extras: bool,
}

/// What a line is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Digest,
    Log,
    /// The chain between digests (gaps, links).
    Chain,
}

/// The outcome for one file or link. The `validate-logs` messages are kept word for word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Valid,
    NotFound,
    InvalidFormat,
    /// The digest names another bucket or key than where it was read.
    Moved,
    PublicKeyNotFound,
    /// CloudTrail lists the fingerprint, but its key bytes are not an RSA key.
    KeyUnloadable,
    SignatureFailed,
    /// No signature to check: no metadata and no successor recording one (offline).
    SignatureMissing,
    HashMismatch,
    /// Bytes after the end of the gzip stream: not covered by any digest.
    TrailingData,
    /// Reading failed for another reason than absence (permissions, I/O).
    ReadError,
    /// A log file in the folders that no digest lists.
    Extra,
    /// A starting digest with older digests before it: nothing was digested in between.
    Gap,
    /// A digest starts later than the digest it links to ends.
    PeriodGap,
    /// A digest's `previousDigestHashValue` is not the hash of the previous digest.
    PreviousHashMismatch,
}

impl Verdict {
    /// Whether this makes the run fail (exit 2).
    pub fn is_problem(self) -> bool {
        !matches!(self, Verdict::Valid | Verdict::Gap | Verdict::PeriodGap)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::NotFound => "not_found",
            Verdict::InvalidFormat => "invalid_format",
            Verdict::Moved => "moved",
            Verdict::PublicKeyNotFound => "public_key_not_found",
            Verdict::KeyUnloadable => "key_unloadable",
            Verdict::SignatureFailed => "signature_failed",
            Verdict::SignatureMissing => "signature_missing",
            Verdict::HashMismatch => "hash_mismatch",
            Verdict::TrailingData => "trailing_data",
            Verdict::ReadError => "read_error",
            Verdict::Extra => "extra",
            Verdict::Gap => "gap",
            Verdict::PeriodGap => "period_gap",
            Verdict::PreviousHashMismatch => "previous_hash_mismatch",
        }
    }
}

/// One line of the result.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// Stable across runs: what the line is about, not what was found.
    pub id: String,
    pub subject: Subject,
    pub backfill: bool,
    /// The chain (`account/region/trail`), or the area for extra log files.
    pub chain: String,
    /// `s3://bucket/key`; empty for chain notices.
    pub uri: String,
    pub verdict: Verdict,
    /// `validate-logs`' status text (`valid`, `INVALID: not found`, ...), or the notice.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The local file, offline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The time span of a gap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
}

impl Entry {
    /// The line `validate-logs` would print (tab-separated), or the notice.
    pub fn line(&self) -> String {
        let tag = if self.backfill { "(backfill) " } else { "" };
        match self.subject {
            Subject::Digest => format!("{tag}Digest file\t{}\t{}", self.uri, self.message),
            Subject::Log => format!("Log file\t{}\t{}", self.uri, self.message),
            Subject::Chain => format!("{tag}{}", self.message),
        }
    }
}

/// Totals, as `validate-logs` counts them plus this tool's own checks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub digests_valid: usize,
    pub digests_invalid: usize,
    pub backfill_digests_valid: usize,
    pub backfill_digests_invalid: usize,
    pub logs_valid: usize,
    pub logs_invalid: usize,
    pub extra_logs: usize,
    pub gaps: usize,
    pub period_gaps: usize,
    pub link_mismatches: usize,
}

/// Everything a run found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub since: Option<Timestamp>,
    pub until: Timestamp,
    /// The span valid digests cover, clipped to the request (`Results found for ...`).
    pub found: Option<(Timestamp, Timestamp)>,
    /// Every chain walked.
    pub chains: Vec<String>,
    pub entries: Vec<Entry>,
    /// Listings that failed.
    pub errors: Vec<String>,
    pub counts: Counts,
}

impl Report {
    /// Nothing invalid, missing or extra, no failed listing, and at least one digest checked.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
            && self.digest_count() > 0
            && !self.entries.iter().any(|e| e.verdict.is_problem())
    }

    pub fn digest_count(&self) -> usize {
        let c = &self.counts;
        c.digests_valid + c.digests_invalid + c.backfill_digests_valid + c.backfill_digests_invalid
    }

    /// The closing summary, in `validate-logs`' words where it has them.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let since = match self.since {
            Some(t) => format_time(t),
            None => "the earliest digest".to_string(),
        };
        out.push(format!(
            "Results requested for {since} to {}",
            format_time(self.until)
        ));
        if self.digest_count() == 0 {
            out.push("No digests found".to_string());
        } else {
            match self.found {
                Some((a, b)) => out.push(format!(
                    "Results found for {} to {}:",
                    format_time(a),
                    format_time(b)
                )),
                None => out.push("No valid digests found in range".to_string()),
            }
            out.push(String::new());
            let c = &self.counts;
            for (valid, invalid, name) in [
                (c.digests_valid, c.digests_invalid, "digest"),
                (
                    c.backfill_digests_valid,
                    c.backfill_digests_invalid,
                    "backfill digest",
                ),
                (c.logs_valid, c.logs_invalid, "log"),
            ] {
                let total = valid + invalid;
                if total == 0 {
                    continue;
                }
                let mut line = format!("{valid}/{total} {name} files valid");
                if invalid > 0 {
                    line.push_str(&format!(", {invalid}/{total} {name} files INVALID"));
                }
                out.push(line);
            }
        }
        let c = &self.counts;
        if c.extra_logs > 0 {
            out.push(format!(
                "{} log file{} present but listed in no digest",
                c.extra_logs,
                plural(c.extra_logs)
            ));
        }
        if c.gaps + c.period_gaps > 0 {
            out.push(format!(
                "{} gap{} in the digest chain",
                c.gaps + c.period_gaps,
                plural(c.gaps + c.period_gaps)
            ));
        }
        if c.link_mismatches > 0 {
            out.push(format!(
                "{} digest link{} whose previous hash does not match",
                c.link_mismatches,
                plural(c.link_mismatches)
            ));
        }
        for e in &self.errors {
            out.push(format!("error: {e}"));
        }
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `2015-08-31T22:00:00Z`, as `validate-logs` prints times.
pub fn format_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

const HOUR: SignedDuration = SignedDuration::from_hours(1);

/// Validates every digest chain the store holds.
pub fn validate(store: &dyn Store, keys: &KeyRing, options: &Options) -> Report {
    let mut run = Run::new(store, keys, options);
    let chains = run.discover();
    for (chain, listed) in chains {
        run.report.chains.push(chain.to_string());
        run.walk(&chain, listed);
    }
    if options.extras {
        run.find_extras();
    }
    run.report
}

/// What a store holds before anything is checked: enough to fetch the right public keys live.
#[derive(Clone, Debug, Default)]
pub struct Survey {
    /// The regions digests are delivered from (CloudTrail signs per region).
    pub regions: Vec<String>,
    /// The earliest digest end time listed.
    pub earliest: Option<Timestamp>,
    /// Listings that failed.
    pub errors: Vec<String>,
}

/// Lists the digests [`validate`] would walk, without reading them.
pub fn survey(store: &dyn Store, options: &Options) -> Survey {
    let mut run = Run::new(store, &EMPTY_RING, options);
    let chains = run.discover();
    let mut regions: Vec<String> = chains.keys().map(|c| c.area.region.clone()).collect();
    regions.sort();
    regions.dedup();
    Survey {
        regions,
        earliest: chains
            .values()
            .filter_map(|l| l.first().map(|(t, _)| *t))
            .min(),
        errors: run.report.errors,
    }
}

static EMPTY_RING: std::sync::LazyLock<KeyRing> = std::sync::LazyLock::new(KeyRing::new);

struct Run<'a> {
    store: &'a dyn Store,
    keys: &'a KeyRing,
    options: &'a Options,
    report: Report,
    /// Signatures recorded by successors (`previousDigestSignature`), by digest key.
    hints: HashMap<String, String>,
    /// Every log key a parsed digest lists.
    referenced: HashSet<String>,
    /// Per area: the bucket and the span that verified digests cover.
    covered: BTreeMap<Area, (String, Timestamp, Timestamp)>,
}

/// What checking one digest gave.
struct Checked {
    verdict: Verdict,
    detail: Option<String>,
    /// Parsed, with the hex SHA-256 of its uncompressed bytes.
    parsed: Option<(Digest, String)>,
    /// The signature verified: its contents (links, log list) can be trusted.
    authentic: bool,
}

/// The newer digest a walk came from, for the link checks.
struct Successor {
    key: String,
    previous_hash: Option<String>,
    start: Timestamp,
}

impl<'a> Run<'a> {
    fn new(store: &'a dyn Store, keys: &'a KeyRing, options: &'a Options) -> Run<'a> {
        Run {
            store,
            keys,
            options,
            report: Report {
                since: options.since,
                until: options.until,
                found: None,
                chains: Vec::new(),
                entries: Vec::new(),
                errors: Vec::new(),
                counts: Counts::default(),
            },
            hints: HashMap::new(),
            referenced: HashSet::new(),
            covered: BTreeMap::new(),
        }
    }

    /// Finds the digest keys of every chain, in key order.
    fn discover(&mut self) -> BTreeMap<ChainId, Vec<(Timestamp, String)>> {
        let mut leaves = Vec::new();
        let root = self.store.root().to_string();
        match self.account_folders(&root) {
            Ok(Some(accounts)) => {
                for account in accounts {
                    let digests = format!("{account}CloudTrail-Digest/");
                    match self.store.folders(&digests) {
                        Ok(regions) => {
                            for region in regions {
                                leaves.extend(self.day_prefixes(&region, true));
                            }
                        }
                        Err(e) => self.report.errors.push(e.0),
                    }
                }
            }
            // A prefix inside an account's folders: list it whole.
            Ok(None) => leaves.push(root),
            Err(e) => self.report.errors.push(e.0),
        }
        let (low, high) = self.key_window();
        let mut chains: BTreeMap<ChainId, Vec<(Timestamp, String)>> = BTreeMap::new();
        for leaf in leaves {
            match self.store.list(&leaf) {
                Ok(keys) => {
                    for key in keys {
                        let Some(name) = name::parse_digest_key(&key) else {
                            continue;
                        };
                        if low.is_some_and(|l| name.end < l) || name.end > high {
                            continue;
                        }
                        chains.entry(name.chain).or_default().push((name.end, key));
                    }
                }
                Err(e) => self.report.errors.push(e.0),
            }
        }
        for list in chains.values_mut() {
            list.sort();
            list.dedup();
        }
        chains
    }

    /// The name times of digests to list: `[since, until + 1h]`, as `validate-logs` lists (a
    /// digest delivered in the hour after `until` may hold log files delivered before it).
    fn key_window(&self) -> (Option<Timestamp>, Timestamp) {
        let high = self
            .options
            .until
            .checked_add(HOUR)
            .unwrap_or(self.options.until);
        (self.options.since, high)
    }

    /// The account folders (`.../AWSLogs/[o-org/]ACCOUNT/`) under `prefix`; `None` when `prefix`
    /// is already inside an account.
    fn account_folders(
        &self,
        prefix: &str,
    ) -> Result<Option<Vec<String>>, crate::store::StoreError> {
        let segments: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
        let below = segments
            .iter()
            .rposition(|s| *s == "AWSLogs")
            .map(|at| &segments[at + 1..]);
        let mut out = Vec::new();
        match below {
            None => {
                let folders = self.store.folders(prefix)?;
                if let Some(logs) = folders.iter().find(|f| f.ends_with("AWSLogs/")) {
                    return self.account_folders(logs);
                }
            }
            Some([]) => {
                for f in self.store.folders(prefix)? {
                    let last = f.trim_end_matches('/').rsplit('/').next().unwrap_or("");
                    if last.starts_with("o-") {
                        out.extend(
                            self.store
                                .folders(&f)?
                                .into_iter()
                                .filter(|a| is_account_folder(a)),
                        );
                    } else if is_account_folder(&f) {
                        out.push(f);
                    }
                }
            }
            Some([org]) if org.starts_with("o-") => {
                out.extend(
                    self.store
                        .folders(prefix)?
                        .into_iter()
                        .filter(|a| is_account_folder(a)),
                );
            }
            Some([account]) | Some([_, account]) if name_is_account(account) => {
                out.push(normalize_folder(prefix));
            }
            Some(_) => return Ok(None),
        }
        Ok(Some(out))
    }

    /// The day folders of a region folder to list (all of it when no `since`).
    fn day_prefixes(&self, region_folder: &str, digests: bool) -> Vec<String> {
        let Some(since) = self.options.since else {
            return vec![region_folder.to_string()];
        };
        let last = if digests {
            self.key_window().1
        } else {
            self.options.until
        };
        name::day_folders(name::utc_date(since), name::utc_date(last))
            .into_iter()
            .map(|d| format!("{region_folder}{d}"))
            .collect()
    }

    /// Walks one chain from its newest listed digest back to `since`.
    fn walk(&mut self, chain: &ChainId, mut listed: Vec<(Timestamp, String)>) {
        let label = chain.to_string();
        let Some((_, first)) = listed.pop() else {
            return;
        };
        let mut key = first;
        let mut bucket: Option<String> = self.store.bucket().map(str::to_string);
        let mut last_start = name::digest_key_time(&key).unwrap_or(self.options.until);
        let mut successor: Option<Successor> = None;
        loop {
            if self.options.since.is_some_and(|s| last_start < s) {
                break;
            }
            let checked = self.check_digest(chain, bucket.as_deref(), &key);
            if bucket.is_none()
                && let Some((d, _)) = &checked.parsed
            {
                bucket = Some(d.bucket.clone());
            }
            let shown_bucket = bucket.clone().unwrap_or_else(|| unknown_bucket(&checked));
            self.link_checks(chain, &label, successor.take(), &key, &checked);
            self.push(
                Subject::Digest,
                chain.backfill,
                &label,
                &shown_bucket,
                &key,
                checked.verdict,
                digest_message(checked.verdict, chain, checked.parsed.as_ref()),
                checked.detail.clone(),
            );
            let next = if checked.authentic {
                let (d, _) = checked
                    .parsed
                    .as_ref()
                    .expect("authentic digests are parsed");
                self.record_found(chain, &shown_bucket, d);
                self.check_logs(&label, d);
                last_start = d.start;
                match &d.previous {
                    None => {
                        let next = pop_before(&mut listed, &key, last_start);
                        if let Some((next_end, _)) = &next {
                            let (from, to) = (*next_end, d.start);
                            self.report.counts.gaps += 1;
                            self.report.entries.push(Entry {
                                id: format!("gap:{label}:{}", format_time(from)),
                                subject: Subject::Chain,
                                backfill: chain.backfill,
                                chain: label.clone(),
                                uri: String::new(),
                                verdict: Verdict::Gap,
                                message: format!(
                                    "No log files were delivered by CloudTrail between {} and {}",
                                    format_time(from),
                                    format_time(to)
                                ),
                                detail: Some(format!(
                                    "{key} starts a new chain (log file validation or logging was off, or the trail was recreated)"
                                )),
                                path: None,
                                from: Some(from),
                                to: Some(to),
                            });
                        }
                        next.map(|(_, k)| k)
                    }
                    Some((previous_bucket, previous_key)) => {
                        bucket = Some(previous_bucket.clone());
                        successor = Some(Successor {
                            key: key.clone(),
                            previous_hash: d.previous_hash.clone(),
                            start: d.start,
                        });
                        Some(previous_key.clone())
                    }
                }
            } else {
                pop_before(&mut listed, &key, last_start).map(|(_, k)| k)
            };
            match next {
                Some(k) => key = k,
                None => break,
            }
        }
    }

    /// Loads and checks one digest, in `validate-logs`' order of checks.
    fn check_digest(&mut self, chain: &ChainId, bucket: Option<&str>, key: &str) -> Checked {
        let fail =
            |verdict: Verdict, detail: Option<String>, parsed: Option<(Digest, String)>| Checked {
                verdict,
                detail,
                parsed,
                authentic: false,
            };
        let object = match self.store.get(bucket.unwrap_or(""), key) {
            Ok(Some(o)) => o,
            Ok(None) => return fail(Verdict::NotFound, None, None),
            Err(e) => return fail(Verdict::ReadError, Some(e.0), None),
        };
        let inflated = match digest::gunzip(&object.body) {
            Ok(i) => i,
            Err(e) => return fail(Verdict::InvalidFormat, Some(format!("not gzip: {e}")), None),
        };
        let hash = digest::sha256_hex(&inflated.value);
        if let Err(e) = serde_json::from_slice::<Value>(&inflated.value) {
            return fail(Verdict::InvalidFormat, Some(format!("not JSON: {e}")), None);
        }
        let parsed = digest::parse(&inflated.value);
        // Whatever else is wrong with it, a parsed digest vouches for its predecessor's signature
        // (a wrong one merely fails to verify) and names the log files it covers.
        if let Ok(d) = &parsed {
            if let (Some((_, previous_key)), Some(sig)) = (&d.previous, &d.previous_signature) {
                self.hints
                    .entry(previous_key.clone())
                    .or_insert_with(|| sig.clone());
            }
            self.referenced
                .extend(d.logs.iter().filter_map(|l| l.object.clone()));
        }
        let metadata_signature = object.metadata.as_ref().and_then(|m| {
            match (m.get(META_SIGNATURE), m.get(META_ALGORITHM)) {
                (Some(s), Some(_)) => Some(s.clone()),
                _ => None,
            }
        });
        let parsed_pair =
            |p: &Result<Digest, _>| p.as_ref().ok().map(|d| (d.clone(), hash.clone()));
        // With metadata (S3, or a sidecar) its signature is the one checked, as validate-logs
        // does; only a file without any falls back to what its successor recorded.
        if object.metadata.is_some() && metadata_signature.is_none() {
            return fail(
                Verdict::SignatureFailed,
                Some(
                    "the object has no x-amz-meta-signature and x-amz-meta-signature-algorithm"
                        .into(),
                ),
                parsed_pair(&parsed),
            );
        }
        let signature = match metadata_signature {
            Some(s) => Some(("x-amz-meta-signature", s)),
            None => self
                .hints
                .get(key)
                .map(|s| ("the previousDigestSignature of the next digest", s.clone())),
        };
        if chain.backfill
            && object
                .metadata
                .as_ref()
                .is_some_and(|m| !m.contains_key(META_BACKFILL_TIME))
        {
            return fail(
                Verdict::InvalidFormat,
                Some("a backfill digest without x-amz-meta-backfill-generation-timestamp".into()),
                parsed_pair(&parsed),
            );
        }
        let d = match parsed {
            Ok(d) => d,
            Err(e) => return fail(Verdict::InvalidFormat, Some(e.to_string()), None),
        };
        let pair = Some((d.clone(), hash.clone()));
        if d.object != key || bucket.is_some_and(|b| b != d.bucket) {
            return fail(
                Verdict::Moved,
                Some(format!("it names s3://{}/{}", d.bucket, d.object)),
                pair,
            );
        }
        let key_entry = match self.keys.get(&d.fingerprint) {
            None => return fail(Verdict::PublicKeyNotFound, None, pair),
            Some(KeyEntry::Unloadable) => return fail(Verdict::KeyUnloadable, None, pair),
            Some(KeyEntry::Loaded(k)) => k,
        };
        let Some((source, signature)) = signature else {
            return fail(
                Verdict::SignatureMissing,
                Some("no x-amz-meta-signature was kept with the file (offline: save it in a .metadata.json sidecar) and no later digest records its signature".into()),
                pair,
            );
        };
        let message = digest::signing_string(
            &d.end_text,
            &d.bucket,
            &d.object,
            &inflated.value,
            d.previous_signature.as_deref(),
        );
        let verified = digest::unhex(&signature)
            .is_some_and(|bytes| keys::verify(key_entry, message.as_bytes(), &bytes));
        if !verified {
            return fail(
                Verdict::SignatureFailed,
                Some(format!("checked the signature from {source}")),
                pair,
            );
        }
        let (verdict, detail) = if inflated.trailing {
            (
                Verdict::TrailingData,
                Some(
                    "the signed digest is followed by more gzip data, which no signature covers"
                        .into(),
                ),
            )
        } else {
            (Verdict::Valid, None)
        };
        Checked {
            verdict,
            detail,
            parsed: pair,
            authentic: true,
        }
    }

    /// The checks between a digest and the newer one that linked to it.
    fn link_checks(
        &mut self,
        chain: &ChainId,
        label: &str,
        successor: Option<Successor>,
        key: &str,
        checked: &Checked,
    ) {
        // Only between verified digests: a failed signature already says the file changed.
        let (Some(successor), Some((d, hash)), true) =
            (successor, &checked.parsed, checked.authentic)
        else {
            return;
        };
        if let Some(expected) = &successor.previous_hash
            && !expected.eq_ignore_ascii_case(hash)
        {
            self.report.counts.link_mismatches += 1;
            self.report.entries.push(Entry {
                id: format!("link:{label}:{key}"),
                subject: Subject::Chain,
                backfill: chain.backfill,
                chain: label.to_string(),
                uri: String::new(),
                verdict: Verdict::PreviousHashMismatch,
                message: format!(
                    "INVALID: {} records previousDigestHashValue {expected} for {key}, whose hash is {hash}",
                    successor.key
                ),
                detail: None,
                path: None,
                from: None,
                to: None,
            });
        }
        if successor.start > d.end {
            self.report.counts.period_gaps += 1;
            self.report.entries.push(Entry {
                id: format!("period:{label}:{}", format_time(d.end)),
                subject: Subject::Chain,
                backfill: chain.backfill,
                chain: label.to_string(),
                uri: String::new(),
                verdict: Verdict::PeriodGap,
                message: format!(
                    "No digest covers {} to {}: {} ends before {} starts",
                    format_time(d.end),
                    format_time(successor.start),
                    key,
                    successor.key
                ),
                detail: None,
                path: None,
                from: Some(d.end),
                to: Some(successor.start),
            });
        }
    }

    fn record_found(&mut self, chain: &ChainId, bucket: &str, d: &Digest) {
        let since = self.options.since.unwrap_or(d.start);
        let (start, end) = (d.start.max(since), d.end.min(self.options.until));
        self.report.found = Some(match self.report.found {
            None => (start, end),
            Some((a, b)) => (a.min(start), b.max(end)),
        });
        let area = self
            .covered
            .entry(chain.area.clone())
            .or_insert_with(|| (bucket.to_string(), d.start, d.end));
        area.1 = area.1.min(d.start);
        area.2 = area.2.max(d.end);
    }

    /// Checks the log files a verified digest lists, several at a time, in its order.
    fn check_logs(&mut self, label: &str, d: &Digest) {
        let store = self.store;
        let results: Vec<(Verdict, Option<String>)> =
            d.logs.par_iter().map(|log| check_log(store, log)).collect();
        for (log, (verdict, detail)) in d.logs.iter().zip(results) {
            let bucket = log.bucket.clone().unwrap_or_default();
            let key = log.object.clone().unwrap_or_default();
            let message = log_message(verdict).to_string();
            self.push(
                Subject::Log,
                false,
                label,
                &bucket,
                &key,
                verdict,
                message,
                detail,
            );
        }
    }

    /// Log files in the folders of each verified area, inside the span its digests cover, that no
    /// digest lists. The last hour is left out: a file delivered then may be in the next digest.
    fn find_extras(&mut self) {
        let areas: Vec<(Area, (String, Timestamp, Timestamp))> = self
            .covered
            .iter()
            .map(|(a, v)| (a.clone(), v.clone()))
            .collect();
        for (area, (bucket, first, last)) in areas {
            let start = self.options.since.map_or(first, |s| first.max(s));
            let end = last
                .checked_sub(HOUR)
                .unwrap_or(last)
                .min(self.options.until);
            if end < start {
                continue;
            }
            let folder = area.log_folder();
            let days = name::day_folders(name::utc_date(start), name::utc_date(end));
            let mut found = Vec::new();
            for day in days {
                match self.store.list(&format!("{folder}{day}")) {
                    Ok(keys) => found.extend(keys),
                    Err(e) => self.report.errors.push(e.0),
                }
            }
            for key in found {
                if self.referenced.contains(&key) {
                    continue;
                }
                let Some(log) = name::parse_log_key(&key) else {
                    continue;
                };
                if log.area != area {
                    continue;
                }
                let inside = match log.stamp {
                    Some(t) => start <= t && t <= end,
                    None => name::utc_date(start) <= log.day && log.day <= name::utc_date(end),
                };
                if !inside {
                    continue;
                }
                let label = format!(
                    "{}{}/{}",
                    area.organization
                        .as_deref()
                        .map(|o| format!("{o}/"))
                        .unwrap_or_default(),
                    area.account,
                    area.region
                );
                self.push(
                    Subject::Log,
                    false,
                    &label,
                    &bucket,
                    &key,
                    Verdict::Extra,
                    "EXTRA: listed in no digest".into(),
                    Some(
                        "not covered by integrity validation: added after delivery, or listed by a digest that is missing (another trail without log file validation writing here also does this)"
                            .into(),
                    ),
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        subject: Subject,
        backfill: bool,
        chain: &str,
        bucket: &str,
        key: &str,
        verdict: Verdict,
        message: String,
        detail: Option<String>,
    ) {
        let counts = &mut self.report.counts;
        let valid = verdict == Verdict::Valid;
        match (subject, backfill, verdict) {
            (Subject::Log, _, Verdict::Extra) => counts.extra_logs += 1,
            (Subject::Log, _, _) if valid => counts.logs_valid += 1,
            (Subject::Log, _, _) => counts.logs_invalid += 1,
            (Subject::Digest, false, _) if valid => counts.digests_valid += 1,
            (Subject::Digest, false, _) => counts.digests_invalid += 1,
            (Subject::Digest, true, _) if valid => counts.backfill_digests_valid += 1,
            (Subject::Digest, true, _) => counts.backfill_digests_invalid += 1,
            (Subject::Chain, _, _) => {}
        }
        let uri = format!("s3://{bucket}/{key}");
        let kind = match subject {
            Subject::Digest => "digest",
            Subject::Log => "log",
            Subject::Chain => "chain",
        };
        self.report.entries.push(Entry {
            id: format!("{kind}:{uri}"),
            subject,
            backfill,
            chain: chain.to_string(),
            path: self.store.local_path(key).map(|p| p.display().to_string()),
            uri,
            verdict,
            message,
            detail,
            from: None,
            to: None,
        });
    }
}

fn check_log(store: &dyn Store, log: &LogRef) -> (Verdict, Option<String>) {
    let (Some(bucket), Some(key), Some(expected)) = (&log.bucket, &log.object, &log.hash) else {
        return (
            Verdict::InvalidFormat,
            Some("the digest's entry lacks s3Bucket, s3Object or hashValue".into()),
        );
    };
    let bytes = match store.get_bytes(bucket, key) {
        Ok(Some(b)) => b,
        Ok(None) => return (Verdict::NotFound, None),
        Err(e) => return (Verdict::ReadError, Some(e.0)),
    };
    match digest::gunzip_sha256(&bytes) {
        Err(e) => (Verdict::InvalidFormat, Some(format!("not gzip: {e}"))),
        Ok(h) if !h.value.eq_ignore_ascii_case(expected) => (
            Verdict::HashMismatch,
            Some(format!("expected {expected}, found {}", h.value)),
        ),
        Ok(h) if h.trailing => (
            Verdict::TrailingData,
            Some("the hashed gzip stream is followed by more data; readers that go on see content no digest covers".into()),
        ),
        Ok(_) => (Verdict::Valid, None),
    }
}

fn digest_message(verdict: Verdict, chain: &ChainId, parsed: Option<&(Digest, String)>) -> String {
    let fingerprint = parsed.map(|(d, _)| d.fingerprint.as_str()).unwrap_or("?");
    match verdict {
        Verdict::Valid => "valid".into(),
        Verdict::NotFound => "INVALID: not found".into(),
        Verdict::InvalidFormat => "INVALID: invalid format".into(),
        Verdict::Moved => "INVALID: has been moved from its original location".into(),
        Verdict::PublicKeyNotFound => format!(
            "INVALID: public key not found in region {} for fingerprint {fingerprint}",
            chain.home_region
        ),
        Verdict::KeyUnloadable => {
            format!("INVALID: Unable to load PKCS #1 key with fingerprint {fingerprint}")
        }
        Verdict::SignatureFailed => "INVALID: signature verification failed".into(),
        Verdict::SignatureMissing => "INVALID: no signature to verify".into(),
        Verdict::TrailingData => "INVALID: data after the signed gzip stream".into(),
        Verdict::ReadError => "INVALID: could not be read".into(),
        other => other.as_str().into(),
    }
}

fn log_message(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Valid => "valid",
        Verdict::NotFound => "INVALID: not found",
        Verdict::InvalidFormat => "INVALID: invalid format",
        Verdict::HashMismatch => "INVALID: hash value doesn't match",
        Verdict::TrailingData => "INVALID: data after the hashed gzip stream",
        Verdict::ReadError => "INVALID: could not be read",
        _ => "INVALID",
    }
}

fn unknown_bucket(checked: &Checked) -> String {
    checked
        .parsed
        .as_ref()
        .map(|(d, _)| d.bucket.clone())
        .unwrap_or_else(|| "(bucket)".to_string())
}

/// The newest listed digest older than `before` (by name time), dropping the newer ones, as
/// `validate-logs` resumes after a missing or invalid digest.
fn pop_before(
    listed: &mut Vec<(Timestamp, String)>,
    before: &str,
    fallback: Timestamp,
) -> Option<(Timestamp, String)> {
    let limit = name::digest_key_time(before).unwrap_or(fallback);
    while let Some((t, k)) = listed.pop() {
        if t < limit {
            return Some((t, k));
        }
    }
    None
}

fn is_account_folder(folder: &str) -> bool {
    folder
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .is_some_and(name_is_account)
}

fn name_is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn normalize_folder(prefix: &str) -> String {
    if prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resuming_skips_newer_keys() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let k = |stamp: &str| {
            format!(
                "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_{stamp}.json.gz"
            )
        };
        let mut listed = vec![
            (t("2024-05-01T01:00:00Z"), k("20240501T010000Z")),
            (t("2024-05-01T02:00:00Z"), k("20240501T020000Z")),
            (t("2024-05-01T03:00:00Z"), k("20240501T030000Z")),
        ];
        let next = pop_before(
            &mut listed,
            &k("20240501T030000Z"),
            t("2000-01-01T00:00:00Z"),
        );
        assert_eq!(next.unwrap().1, k("20240501T020000Z"));
        assert_eq!(listed.len(), 1);
        assert!(
            pop_before(
                &mut listed,
                &k("20240501T010000Z"),
                t("2000-01-01T00:00:00Z")
            )
            .is_none()
        );
    }

    #[test]
    fn problems() {
        assert!(!Verdict::Valid.is_problem());
        assert!(!Verdict::Gap.is_problem());
        assert!(Verdict::Extra.is_problem());
        assert!(Verdict::SignatureMissing.is_problem());
    }
}
