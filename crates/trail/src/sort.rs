//! Sorting output by (eventTime, eventID) without holding it all in memory: entries are buffered up
//! to a budget, then sorted runs are spilled to temporary files and merged at the end.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::sync::Arc;

/// The order key of a record: eventTime (nanoseconds since the epoch), then eventID.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SortKey {
    pub time_ns: i128,
    pub event_id: String,
}

struct Entry {
    key: SortKey,
    payload: Vec<u8>,
}

/// How many spilled runs of one size are kept before they are merged into one run of the next
/// size, so the temporary files held open stay few (`FAN_IN` per size, and sizes grow
/// `FAN_IN`-fold) however large the input: thousands of spills would exhaust file handles.
/// Merging rewrites what was spilled, so it waits until there are many.
const FAN_IN: usize = 64;

/// Buffers `(key, payload)` entries and yields them in key order.
pub struct ExternalSorter {
    buffer: Vec<Entry>,
    buffered_bytes: usize,
    budget: usize,
    /// Sorted runs, oldest first, each with its level (how many merges made it).
    runs: Vec<(u32, File)>,
    spills: usize,
}

/// Merges the trailing runs while the last `FAN_IN` share a level: `merge_tail(n, level)` merges
/// the last `n` runs into one of level `level + 1` in their place. Runs stay oldest first, so
/// entries with equal keys keep the order they came in.
fn compact<T>(
    runs: &mut Vec<(u32, T)>,
    mut merge_tail: impl FnMut(&mut Vec<(u32, T)>) -> io::Result<T>,
) -> io::Result<()> {
    while runs.len() >= FAN_IN {
        let level = runs[runs.len() - 1].0;
        if !runs[runs.len() - FAN_IN..].iter().all(|(l, _)| *l == level) {
            break;
        }
        let merged = merge_tail(runs)?;
        runs.truncate(runs.len() - FAN_IN);
        runs.push((level + 1, merged));
    }
    Ok(())
}

impl ExternalSorter {
    /// `budget` bytes of payload are held in memory before a run is spilled to disk.
    pub fn new(budget: usize) -> Self {
        ExternalSorter {
            buffer: Vec::new(),
            buffered_bytes: 0,
            budget,
            runs: Vec::new(),
            spills: 0,
        }
    }

    pub fn push(&mut self, key: SortKey, payload: Vec<u8>) -> io::Result<()> {
        self.buffered_bytes += payload.len() + key.event_id.len() + 48;
        self.buffer.push(Entry { key, payload });
        if self.buffered_bytes >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// How many runs went to disk (for tests and diagnostics).
    pub fn spilled_runs(&self) -> usize {
        self.spills
    }

    /// How many temporary files are held.
    pub fn files(&self) -> usize {
        self.runs.len()
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buffer.sort_by(|a, b| a.key.cmp(&b.key));
        let mut file = tempfile::tempfile()?;
        {
            let mut w = BufWriter::new(&mut file);
            for e in self.buffer.drain(..) {
                write_entry(&mut w, e.key.time_ns, e.key.event_id.as_bytes(), &e.payload)?;
            }
            w.flush()?;
        }
        file.seek(io::SeekFrom::Start(0))?;
        self.runs.push((0, file));
        self.spills += 1;
        self.buffered_bytes = 0;
        compact(&mut self.runs, |runs| {
            let tail = runs.len() - FAN_IN;
            let readers = runs[tail..]
                .iter_mut()
                .map(|(_, f)| RunReader::File(BufReader::new(f)))
                .collect();
            let mut merged = tempfile::tempfile()?;
            {
                let mut w = BufWriter::new(&mut merged);
                merge(readers, |key, payload| {
                    write_entry(&mut w, key.time_ns, key.event_id.as_bytes(), payload)
                })?;
                w.flush()?;
            }
            merged.seek(io::SeekFrom::Start(0))?;
            Ok(merged)
        })
    }

    /// Calls `f` with every payload in key order.
    pub fn finish(
        mut self,
        mut f: impl FnMut(&SortKey, &[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        self.buffer.sort_by(|a, b| a.key.cmp(&b.key));
        if self.runs.is_empty() {
            for e in &self.buffer {
                f(&e.key, &e.payload)?;
            }
            return Ok(());
        }
        let mut readers: Vec<RunReader> = self
            .runs
            .iter_mut()
            .map(|(_, f)| RunReader::File(BufReader::new(f)))
            .collect();
        readers.push(RunReader::Memory(self.buffer.into_iter()));
        merge(readers, f)
    }
}

/// Like [`ExternalSorter`], but entries go to one of a fixed number of partitions, and each
/// partition comes back on its own ([`PartitionedSorter::finish`]) in key order, so partitions can
/// be read on different cores. One memory budget covers every partition; when it is reached, every
/// partition's buffer is sorted and written as one segment of a single temporary file.
///
/// Entries are held in chunks of bytes, with per partition only where each entry is: a chunk of
/// many entries is taken over whole ([`PartitionedSorter::push_chunk`]), single entries are copied
/// into a chunk of the sorter's own ([`PartitionedSorter::push`]). Holding an entry allocates
/// nothing of its own.
pub struct PartitionedSorter {
    held: Held,
    /// The chunk in `held` that [`PartitionedSorter::push`] copies into, once there is one.
    own: Option<usize>,
    buffered_bytes: usize,
    budget: usize,
    /// Spills, oldest first, each with its level (how many merges made it).
    spills: Vec<(u32, Arc<Spill>)>,
    spill_count: usize,
    /// The spill being sorted and written on a thread of its own, so entries keep coming in
    /// meanwhile (one at a time: at most twice the budget is held). It hands its emptied
    /// per-partition lists back.
    writing: Option<std::thread::JoinHandle<io::Result<Written>>>,
    /// Emptied per-partition lists of the last spill written, for the next one.
    spare: Option<Vec<Vec<Slot>>>,
}

/// Entries written back to back into one buffer, for [`PartitionedSorter::push_chunk`] to take
/// over whole: each entry's payload, then its id (the key's text), written into [`Chunk::buffer`]
/// and closed with [`Chunk::end_entry`].
#[derive(Default)]
pub struct Chunk {
    bytes: Vec<u8>,
    entries: Vec<ChunkEntry>,
}

/// Where a chunk holds one entry: its payload at `start`, its id right after it.
#[derive(Clone, Copy)]
struct ChunkEntry {
    part: usize,
    time_ns: i128,
    start: usize,
    payload_len: usize,
    id_len: usize,
}

impl Chunk {
    /// The bytes written so far: the next entry's payload starts at their end.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Ends the entry written from `start` on: its payload up to `id_start`, its id (UTF-8) from
    /// there to the end of the buffer; it goes to partition `part` (modulo the count).
    ///
    /// # Panics
    /// Unless `start <= id_start <= buffer().len()`.
    pub fn end_entry(&mut self, part: usize, time_ns: i128, start: usize, id_start: usize) {
        assert!(
            start <= id_start && id_start <= self.bytes.len(),
            "an entry's payload and id lie within the bytes written"
        );
        self.entries.push(ChunkEntry {
            part,
            time_ns,
            start,
            payload_len: id_start - start,
            id_len: self.bytes.len() - id_start,
        });
    }

    /// The partition of every entry, in the order written.
    pub fn parts(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().map(|e| e.part)
    }
}

/// The entries held in memory: their bytes, in chunks, and per partition where each entry is.
#[derive(Default)]
struct Held {
    chunks: Vec<Vec<u8>>,
    parts: Vec<Vec<Slot>>,
}

#[derive(Clone, Copy)]
struct Slot {
    time_ns: i128,
    chunk: u32,
    start: u32,
    payload_len: u32,
    id_len: u32,
}

/// An entry's bytes: its id and its payload.
fn slot_id<'c>(chunks: &'c [Vec<u8>], slot: &Slot) -> &'c [u8] {
    let start = slot.start as usize + slot.payload_len as usize;
    &chunks[slot.chunk as usize][start..start + slot.id_len as usize]
}

fn slot_payload<'c>(chunks: &'c [Vec<u8>], slot: &Slot) -> &'c [u8] {
    let start = slot.start as usize;
    &chunks[slot.chunk as usize][start..start + slot.payload_len as usize]
}

/// Puts one partition's entries in key order; equal keys keep the order they came in. Ids
/// compare as bytes, as `String`s do.
fn sort_slots(chunks: &[Vec<u8>], slots: &mut [Slot]) {
    slots.sort_by(|a, b| {
        a.time_ns
            .cmp(&b.time_ns)
            .then_with(|| slot_id(chunks, a).cmp(slot_id(chunks, b)))
    });
}

fn key_into(chunks: &[Vec<u8>], slot: &Slot, key: &mut SortKey) -> io::Result<()> {
    key.time_ns = slot.time_ns;
    key.event_id.clear();
    key.event_id.push_str(
        std::str::from_utf8(slot_id(chunks, slot))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
    );
    Ok(())
}

/// A spill written, and the per-partition lists it was written from, emptied.
type Written = (Spill, Vec<Vec<Slot>>);

/// One spill: a temporary file holding a sorted segment per partition.
struct Spill {
    file: tempfile::NamedTempFile,
    /// Per partition: byte offset and length of its segment.
    segments: Vec<(u64, u64)>,
}

/// One partition's entries, ready to be read in key order (on any thread).
pub struct Partition {
    memory: Vec<Slot>,
    chunks: Arc<Vec<Vec<u8>>>,
    spills: Vec<Arc<Spill>>,
    index: usize,
}

impl PartitionedSorter {
    /// `partitions` (at least one) share `budget` bytes of payload held in memory.
    pub fn new(partitions: usize, budget: usize) -> Self {
        PartitionedSorter {
            held: Held {
                chunks: Vec::new(),
                parts: (0..partitions.max(1)).map(|_| Vec::new()).collect(),
            },
            own: None,
            buffered_bytes: 0,
            budget,
            spills: Vec::new(),
            spill_count: 0,
            writing: None,
            spare: None,
        }
    }

    pub fn partitions(&self) -> usize {
        self.held.parts.len()
    }

    /// Adds an entry to partition `part` (taken modulo the partition count): its key, as its
    /// time and id, and its payload, both copied.
    pub fn push(&mut self, part: usize, time_ns: i128, id: &str, payload: &[u8]) -> io::Result<()> {
        let own = *self.own.get_or_insert_with(|| {
            self.held.chunks.push(Vec::new());
            self.held.chunks.len() - 1
        });
        let chunk = &mut self.held.chunks[own];
        let start = chunk.len();
        chunk.extend_from_slice(payload);
        chunk.extend_from_slice(id.as_bytes());
        self.hold(
            own,
            ChunkEntry {
                part,
                time_ns,
                start,
                payload_len: payload.len(),
                id_len: id.len(),
            },
        );
        self.spill_if_full()
    }

    /// Takes over a chunk of entries whole (no copy).
    ///
    /// # Panics
    /// If the chunk is 4 GiB or larger, or its buffer was cut short after an entry was ended.
    pub fn push_chunk(&mut self, chunk: Chunk) -> io::Result<()> {
        let Chunk { bytes, entries } = chunk;
        assert!(u32::try_from(bytes.len()).is_ok(), "chunks are under 4 GiB");
        assert!(
            entries
                .iter()
                .all(|e| e.start + e.payload_len + e.id_len <= bytes.len()),
            "an entry reaches past the end of its chunk"
        );
        let index = self.held.chunks.len();
        self.held.chunks.push(bytes);
        for e in entries {
            self.hold(index, e);
        }
        self.spill_if_full()
    }

    fn hold(&mut self, chunk: usize, e: ChunkEntry) {
        self.buffered_bytes += e.payload_len + e.id_len + 48;
        let n = self.held.parts.len();
        let narrow = |n: usize| u32::try_from(n).expect("chunks are under 4 GiB");
        self.held.parts[e.part % n].push(Slot {
            time_ns: e.time_ns,
            chunk: narrow(chunk),
            start: narrow(e.start),
            payload_len: narrow(e.payload_len),
            id_len: narrow(e.id_len),
        });
    }

    fn spill_if_full(&mut self) -> io::Result<()> {
        if self.buffered_bytes >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// How many times the buffers went to disk (for tests and diagnostics).
    pub fn spills(&self) -> usize {
        self.spill_count
    }

    /// How many temporary files are held.
    pub fn files(&self) -> usize {
        self.spills.len()
    }

    fn spill(&mut self) -> io::Result<()> {
        self.wait_for_writing()?;
        let partitions = self.held.parts.len();
        let fresh = Held {
            chunks: Vec::new(),
            parts: self
                .spare
                .take()
                .unwrap_or_else(|| (0..partitions).map(|_| Vec::new()).collect()),
        };
        let held = std::mem::replace(&mut self.held, fresh);
        self.own = None;
        self.spill_count += 1;
        self.buffered_bytes = 0;
        self.writing = Some(std::thread::spawn(move || write_spill(held)));
        Ok(())
    }

    /// Waits for the spill being written, if any, and keeps it (merging spills when `FAN_IN`
    /// of a size have gathered).
    fn wait_for_writing(&mut self) -> io::Result<()> {
        let Some(writing) = self.writing.take() else {
            return Ok(());
        };
        let (spill, emptied) = writing.join().map_err(|_| {
            io::Error::other("the thread writing sorted entries to disk panicked")
        })??;
        self.spare = Some(emptied);
        self.spills.push((0, Arc::new(spill)));
        let partitions = self.held.parts.len();
        compact(&mut self.spills, |spills| {
            let tail: Vec<Arc<Spill>> = spills[spills.len() - FAN_IN..]
                .iter()
                .map(|(_, s)| Arc::clone(s))
                .collect();
            let mut file = tempfile::NamedTempFile::new()?;
            let mut segments = Vec::with_capacity(partitions);
            {
                let mut w = CountingWriter {
                    inner: BufWriter::with_capacity(SPILL_BUFFER, file.as_file_mut()),
                    written: 0,
                };
                for index in 0..partitions {
                    let start = w.written;
                    merge(segment_readers(&tail, index)?, |key, payload| {
                        write_entry(&mut w, key.time_ns, key.event_id.as_bytes(), payload)
                    })?;
                    segments.push((start, w.written - start));
                }
                w.inner.flush()?;
            }
            Ok(Arc::new(Spill { file, segments }))
        })
    }

    /// Every partition, each to be read in key order with [`Partition::finish`].
    pub fn finish(mut self) -> io::Result<Vec<Partition>> {
        self.wait_for_writing()?;
        let spills: Vec<Arc<Spill>> = self.spills.into_iter().map(|(_, s)| s).collect();
        let chunks = Arc::new(self.held.chunks);
        Ok(self
            .held
            .parts
            .into_iter()
            .enumerate()
            .map(|(index, memory)| Partition {
                memory,
                chunks: Arc::clone(&chunks),
                spills: spills.clone(),
                index,
            })
            .collect())
    }
}

/// Bytes buffered per segment read back: fewer system calls, at a bounded cost (a few hundred
/// segments are read at once at most: `FAN_IN` per level).
const READ_BUFFER: usize = 64 << 10;

/// Bytes buffered when merging spills into one: large writes, few system calls.
const SPILL_BUFFER: usize = 256 << 10;

/// Sorts every partition's entries and writes them as one spill, a segment per partition; hands
/// the emptied per-partition lists back (the chunks are freed here).
fn write_spill(held: Held) -> io::Result<Written> {
    let Held { chunks, mut parts } = held;
    let mut file = tempfile::NamedTempFile::new()?;
    let mut segments = Vec::with_capacity(parts.len());
    let mut written = 0u64;
    for slots in &mut parts {
        sort_slots(&chunks, slots);
        let start = written;
        written += write_slots(file.as_file_mut(), &chunks, slots)?;
        segments.push((start, written - start));
        slots.clear();
    }
    Ok((Spill { file, segments }, parts))
}

/// Writes entries as [`write_entry`] does, straight from the chunks holding them: many entries per
/// system call, without copying them into a buffer first. Returns the bytes written.
fn write_slots(w: &mut impl Write, chunks: &[Vec<u8>], slots: &[Slot]) -> io::Result<u64> {
    // Four pieces per entry; 1024 pieces is the most one call may take on Linux.
    const ENTRIES: usize = 256;
    let mut written = 0u64;
    let mut heads: Vec<[u8; 20]> = Vec::with_capacity(ENTRIES);
    let mut lens: Vec<[u8; 4]> = Vec::with_capacity(ENTRIES);
    for group in slots.chunks(ENTRIES) {
        heads.clear();
        lens.clear();
        for slot in group {
            let mut head = [0u8; 20];
            head[..16].copy_from_slice(&slot.time_ns.to_le_bytes());
            head[16..].copy_from_slice(&slot.id_len.to_le_bytes());
            heads.push(head);
            lens.push(slot.payload_len.to_le_bytes());
        }
        let mut pieces: Vec<io::IoSlice<'_>> = Vec::with_capacity(4 * group.len());
        for (i, slot) in group.iter().enumerate() {
            pieces.push(io::IoSlice::new(&heads[i]));
            pieces.push(io::IoSlice::new(slot_id(chunks, slot)));
            pieces.push(io::IoSlice::new(&lens[i]));
            pieces.push(io::IoSlice::new(slot_payload(chunks, slot)));
        }
        written += pieces.iter().map(|p| p.len() as u64).sum::<u64>();
        write_all_vectored(w, &mut pieces)?;
    }
    Ok(written)
}

/// Writes every piece, as many per call as the writer takes (what the unstable
/// `Write::write_all_vectored` does).
fn write_all_vectored(w: &mut impl Write, mut pieces: &mut [io::IoSlice<'_>]) -> io::Result<()> {
    io::IoSlice::advance_slices(&mut pieces, 0);
    while !pieces.is_empty() {
        match w.write_vectored(pieces) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => io::IoSlice::advance_slices(&mut pieces, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Partition {
    /// Calls `f` with every entry of the partition in key order.
    pub fn finish(
        mut self,
        mut f: impl FnMut(&SortKey, &[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        sort_slots(&self.chunks, &mut self.memory);
        let mut readers = segment_readers(&self.spills, self.index)?;
        if readers.is_empty() {
            let mut key = SortKey {
                time_ns: 0,
                event_id: String::new(),
            };
            for slot in &self.memory {
                key_into(&self.chunks, slot, &mut key)?;
                f(&key, slot_payload(&self.chunks, slot))?;
            }
            return Ok(());
        }
        readers.push(RunReader::Held(self.memory, self.chunks, 0));
        merge(readers, f)
    }
}

/// Readers of partition `index`'s segments of `spills`, in order (empty segments left out).
fn segment_readers(spills: &[Arc<Spill>], index: usize) -> io::Result<Vec<RunReader<'static>>> {
    let mut readers = Vec::new();
    for spill in spills {
        let (offset, len) = spill.segments[index];
        if len == 0 {
            continue;
        }
        // A handle of its own, so partitions can be read at once on different threads.
        let mut file = spill.file.reopen()?;
        file.seek(io::SeekFrom::Start(offset))?;
        readers.push(RunReader::Segment(BufReader::with_capacity(
            READ_BUFFER,
            file.take(len),
        )));
    }
    Ok(readers)
}

struct CountingWriter<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Merges sorted runs, calling `f` with every entry in key order.
fn merge(
    mut readers: Vec<RunReader>,
    mut f: impl FnMut(&SortKey, &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut heads: BinaryHeap<Reverse<(SortKey, usize)>> = BinaryHeap::new();
    // Each reader's current entry; its key's and payload's buffers are reused for the next
    // entry read from disk, so merging allocates nothing per entry.
    let mut payloads: Vec<Vec<u8>> = vec![Vec::new(); readers.len()];
    for (i, r) in readers.iter_mut().enumerate() {
        let mut key = SortKey {
            time_ns: 0,
            event_id: String::new(),
        };
        if r.next_into(&mut key, &mut payloads[i])? {
            heads.push(Reverse((key, i)));
        }
    }
    while let Some(Reverse((mut key, i))) = heads.pop() {
        f(&key, &payloads[i])?;
        if readers[i].next_into(&mut key, &mut payloads[i])? {
            heads.push(Reverse((key, i)));
        }
    }
    Ok(())
}

enum RunReader<'f> {
    File(BufReader<&'f mut File>),
    Segment(BufReader<io::Take<File>>),
    Memory(std::vec::IntoIter<Entry>),
    /// A partition's sorted entries in memory, the chunks holding them, and the next one's index.
    Held(Vec<Slot>, Arc<Vec<Vec<u8>>>, usize),
}

impl RunReader<'_> {
    /// Reads the next entry into `key` and `payload`; false at the end of the run.
    fn next_into(&mut self, key: &mut SortKey, payload: &mut Vec<u8>) -> io::Result<bool> {
        match self {
            RunReader::Memory(it) => Ok(it
                .next()
                .map(|e| (*key, *payload) = (e.key, e.payload))
                .is_some()),
            RunReader::Held(slots, chunks, next) => {
                let Some(slot) = slots.get(*next) else {
                    return Ok(false);
                };
                *next += 1;
                key_into(chunks, slot, key)?;
                payload.clear();
                payload.extend_from_slice(slot_payload(chunks, slot));
                Ok(true)
            }
            RunReader::File(r) => read_entry(r, key, payload),
            RunReader::Segment(r) => read_entry(r, key, payload),
        }
    }
}

fn write_entry(w: &mut impl Write, time_ns: i128, id: &[u8], payload: &[u8]) -> io::Result<()> {
    w.write_all(&time_ns.to_le_bytes())?;
    w.write_all(&(id.len() as u32).to_le_bytes())?;
    w.write_all(id)?;
    w.write_all(&(payload.len() as u32).to_le_bytes())?;
    w.write_all(payload)
}

/// Reads one entry written by [`write_entry`] into `key` and `payload`, reusing their buffers;
/// false at the end of the run.
fn read_entry(r: &mut impl Read, key: &mut SortKey, payload: &mut Vec<u8>) -> io::Result<bool> {
    let mut time = [0u8; 16];
    match r.read_exact(&mut time) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    key.time_ns = i128::from_le_bytes(time);
    let mut id = std::mem::take(&mut key.event_id).into_bytes();
    read_chunk(r, &mut id)?;
    key.event_id =
        String::from_utf8(id).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    read_chunk(r, payload)?;
    Ok(true)
}

/// Reads a length-prefixed chunk into `buf` (replacing what it held).
fn read_chunk(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    buf.clear();
    buf.resize(u32::from_le_bytes(len) as usize, 0);
    r.read_exact(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sorted_output(entries: &[(i64, String)], budget: usize) -> (Vec<(i128, String)>, usize) {
        let mut s = ExternalSorter::new(budget);
        for (t, id) in entries {
            let key = SortKey {
                time_ns: *t as i128,
                event_id: id.clone(),
            };
            s.push(key, id.as_bytes().to_vec()).unwrap();
        }
        let runs = s.spilled_runs();
        let mut out = Vec::new();
        s.finish(|k, p| {
            assert_eq!(p, k.event_id.as_bytes());
            out.push((k.time_ns, k.event_id.clone()));
            Ok(())
        })
        .unwrap();
        (out, runs)
    }

    proptest! {
        #[test]
        fn spilled_merge_equals_in_memory_sort(entries in prop::collection::vec((0i64..50, "[a-f0-9]{1,6}"), 0..300), budget in 1usize..4000) {
            let (out, _) = sorted_output(&entries, budget);
            let mut want: Vec<(i128, String)> = entries.iter().map(|(t, id)| (*t as i128, id.clone())).collect();
            want.sort();
            prop_assert_eq!(out, want);
        }
    }

    /// Every partition of a [`PartitionedSorter`], read on its own thread.
    fn partitioned_output(
        entries: &[(usize, i64, String)],
        partitions: usize,
        budget: usize,
    ) -> (Vec<Vec<(i128, String)>>, usize) {
        let mut s = PartitionedSorter::new(partitions, budget);
        for (p, t, id) in entries {
            s.push(*p, *t as i128, id, id.as_bytes()).unwrap();
        }
        let spills = s.spills();
        let out = std::thread::scope(|scope| {
            let handles: Vec<_> = s
                .finish()
                .unwrap()
                .into_iter()
                .map(|part| {
                    scope.spawn(move || {
                        let mut out = Vec::new();
                        part.finish(|k, p| {
                            assert_eq!(p, k.event_id.as_bytes());
                            out.push((k.time_ns, k.event_id.clone()));
                            Ok(())
                        })
                        .unwrap();
                        out
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        (out, spills)
    }

    proptest! {
        #[test]
        fn partitioned_spilled_merge_equals_in_memory_sort(entries in prop::collection::vec((0usize..5, 0i64..50, "[a-f0-9]{1,6}"), 0..300), partitions in 1usize..5, budget in 1usize..4000) {
            let (out, _) = partitioned_output(&entries, partitions, budget);
            prop_assert_eq!(out.len(), partitions);
            for (p, got) in out.into_iter().enumerate() {
                let mut want: Vec<(i128, String)> = entries
                    .iter()
                    .filter(|(q, _, _)| q % partitions == p)
                    .map(|(_, t, id)| (*t as i128, id.clone()))
                    .collect();
                want.sort();
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn partitioned_small_budget_spills() {
        let entries: Vec<(usize, i64, String)> = (0..200)
            .rev()
            .map(|i| (i % 7, (i / 3) as i64, format!("id{i}")))
            .collect();
        let (out, spills) = partitioned_output(&entries, 4, 700);
        assert!(spills > 1, "expected spills, got {spills}");
        assert_eq!(out.iter().map(Vec::len).sum::<usize>(), 200);
        for part in &out {
            assert!(part.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    #[test]
    fn many_spills_are_merged_so_few_files_stay_open_and_ties_keep_their_order() {
        // Every entry spills on its own; keys repeat, payloads tell the arrivals apart.
        // Enough for merged runs to be merged again.
        let n = FAN_IN * FAN_IN + FAN_IN + 5;
        let key = |i: usize| SortKey {
            time_ns: (i % 7) as i128,
            event_id: format!("id{}", i % 3),
        };
        let mut want: Vec<(SortKey, usize)> = (0..n).map(|i| (key(i), i)).collect();
        // Stable: equal keys stay in arrival order.
        want.sort_by(|a, b| a.0.cmp(&b.0));

        let mut plain = ExternalSorter::new(1);
        let mut parted = PartitionedSorter::new(2, 1);
        for i in 0..n {
            plain.push(key(i), i.to_le_bytes().to_vec()).unwrap();
            let k = key(i);
            parted
                .push(i % 2, k.time_ns, &k.event_id, &i.to_le_bytes())
                .unwrap();
            assert!(plain.files() < 3 * FAN_IN, "{} files", plain.files());
            assert!(parted.files() < 3 * FAN_IN, "{} files", parted.files());
        }
        assert_eq!(plain.spilled_runs(), n);
        assert_eq!(parted.spills(), n);
        let arrival = |p: &[u8]| usize::from_le_bytes(p.try_into().unwrap());
        let mut got = Vec::new();
        plain
            .finish(|k, p| {
                got.push((k.clone(), arrival(p)));
                Ok(())
            })
            .unwrap();
        assert_eq!(got, want);
        for (index, part) in parted.finish().unwrap().into_iter().enumerate() {
            let mut got = Vec::new();
            part.finish(|k, p| {
                got.push((k.clone(), arrival(p)));
                Ok(())
            })
            .unwrap();
            let want: Vec<_> = want
                .iter()
                .filter(|(_, i)| i % 2 == index)
                .cloned()
                .collect();
            assert_eq!(got, want, "partition {index}");
        }
    }

    #[test]
    fn small_budget_spills() {
        let entries: Vec<(i64, String)> =
            (0..100).rev().map(|i| (i / 3, format!("id{i}"))).collect();
        let (out, runs) = sorted_output(&entries, 500);
        assert!(runs > 1, "expected spilled runs, got {runs}");
        assert_eq!(out.len(), 100);
        assert!(out.windows(2).all(|w| w[0] <= w[1]));
    }

    proptest! {
        /// Chunks taken over whole and entries copied one at a time, mixed, come out as a stable
        /// sort of everything pushed, per partition, whether spilled or not.
        #[test]
        fn chunks_and_single_entries_sort_together(
            groups in prop::collection::vec(
                (prop::collection::vec((0usize..3, 0i64..20, "[a-c]{0,3}"), 0..12), any::<bool>()),
                0..25,
            ),
            budget in prop::sample::select(vec![1usize, 300, 3000, 1 << 30]),
        ) {
            let mut s = PartitionedSorter::new(3, budget);
            // Every entry's payload is its arrival number, so ties show their order.
            let mut all: Vec<(usize, SortKey, u64)> = Vec::new();
            for (entries, as_chunk) in &groups {
                let mut chunk = Chunk::default();
                for (part, t, id) in entries {
                    let arrival = all.len() as u64;
                    let key = SortKey { time_ns: *t as i128, event_id: id.clone() };
                    if *as_chunk {
                        let start = chunk.buffer().len();
                        chunk.buffer().extend_from_slice(&arrival.to_le_bytes());
                        let id_start = chunk.buffer().len();
                        chunk.buffer().extend_from_slice(id.as_bytes());
                        chunk.end_entry(*part, key.time_ns, start, id_start);
                    } else {
                        s.push(*part, key.time_ns, id, &arrival.to_le_bytes()).unwrap();
                    }
                    all.push((*part, key, arrival));
                }
                if *as_chunk {
                    s.push_chunk(chunk).unwrap();
                }
            }
            for (index, part) in s.finish().unwrap().into_iter().enumerate() {
                let mut got = Vec::new();
                part.finish(|k, p| {
                    got.push((k.clone(), u64::from_le_bytes(p.try_into().unwrap())));
                    Ok(())
                })
                .unwrap();
                let mut want: Vec<(SortKey, u64)> = all
                    .iter()
                    .filter(|(p, _, _)| *p == index)
                    .map(|(_, k, a)| (k.clone(), *a))
                    .collect();
                want.sort_by(|a, b| a.0.cmp(&b.0));
                prop_assert_eq!(got, want);
            }
        }
    }

    /// A writer that takes at most 7 bytes per call, and now and then refuses with `Interrupted`.
    struct Trickle {
        out: Vec<u8>,
        calls: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(5) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(7);
            self.out.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn entries_written_in_pieces_equal_entries_written_one_by_one() {
        let mut chunks = vec![Vec::new(), Vec::new()];
        let mut slots = Vec::new();
        // More than one call's worth of entries, empty ids and payloads among them.
        for i in 0..600u32 {
            let chunk = (i % 2) as usize;
            let payload = vec![i as u8; (i % 9) as usize];
            let id = "x".repeat((i % 4) as usize);
            let start = chunks[chunk].len();
            chunks[chunk].extend_from_slice(&payload);
            chunks[chunk].extend_from_slice(id.as_bytes());
            slots.push(Slot {
                time_ns: i128::from(i) - 300,
                chunk: chunk as u32,
                start: start as u32,
                payload_len: payload.len() as u32,
                id_len: id.len() as u32,
            });
        }
        let mut want = Vec::new();
        for slot in &slots {
            write_entry(
                &mut want,
                slot.time_ns,
                slot_id(&chunks, slot),
                slot_payload(&chunks, slot),
            )
            .unwrap();
        }
        let mut w = Trickle {
            out: Vec::new(),
            calls: 0,
        };
        let n = write_slots(&mut w, &chunks, &slots).unwrap();
        assert_eq!(n, want.len() as u64);
        assert!(w.out == want, "the bytes differ");
    }

    #[test]
    #[should_panic(expected = "within the bytes written")]
    fn an_entry_cannot_end_past_the_bytes_written() {
        let mut chunk = Chunk::default();
        chunk.buffer().extend_from_slice(b"payload");
        chunk.end_entry(0, 0, 0, 8);
    }
}
