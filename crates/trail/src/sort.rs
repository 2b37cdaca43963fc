//! Sorting output by (eventTime, eventID) without holding it all in memory: entries are buffered up
//! to a budget, then sorted runs are spilled to temporary files and merged at the end.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};

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

/// Buffers `(key, payload)` entries and yields them in key order.
pub struct ExternalSorter {
    buffer: Vec<Entry>,
    buffered_bytes: usize,
    budget: usize,
    runs: Vec<File>,
}

impl ExternalSorter {
    /// `budget` bytes of payload are held in memory before a run is spilled to disk.
    pub fn new(budget: usize) -> Self {
        ExternalSorter {
            buffer: Vec::new(),
            buffered_bytes: 0,
            budget,
            runs: Vec::new(),
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
        self.runs.len()
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buffer.sort_by(|a, b| a.key.cmp(&b.key));
        let mut file = tempfile::tempfile()?;
        {
            let mut w = BufWriter::new(&mut file);
            for e in self.buffer.drain(..) {
                write_entry(&mut w, &e)?;
            }
            w.flush()?;
        }
        use std::io::Seek;
        file.seek(io::SeekFrom::Start(0))?;
        self.runs.push(file);
        self.buffered_bytes = 0;
        Ok(())
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
            .into_iter()
            .map(|f| RunReader::File(BufReader::new(f)))
            .collect();
        readers.push(RunReader::Memory(self.buffer.into_iter()));
        let mut heads: BinaryHeap<Reverse<(SortKey, usize)>> = BinaryHeap::new();
        let mut payloads: Vec<Vec<u8>> = vec![Vec::new(); readers.len()];
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(e) = r.next()? {
                payloads[i] = e.payload;
                heads.push(Reverse((e.key, i)));
            }
        }
        while let Some(Reverse((key, i))) = heads.pop() {
            f(&key, &payloads[i])?;
            if let Some(e) = readers[i].next()? {
                payloads[i] = e.payload;
                heads.push(Reverse((e.key, i)));
            }
        }
        Ok(())
    }
}

enum RunReader {
    File(BufReader<File>),
    Memory(std::vec::IntoIter<Entry>),
}

impl RunReader {
    fn next(&mut self) -> io::Result<Option<Entry>> {
        match self {
            RunReader::Memory(it) => Ok(it.next()),
            RunReader::File(r) => read_entry(r),
        }
    }
}

fn write_entry(w: &mut impl Write, e: &Entry) -> io::Result<()> {
    w.write_all(&e.key.time_ns.to_le_bytes())?;
    w.write_all(&(e.key.event_id.len() as u32).to_le_bytes())?;
    w.write_all(e.key.event_id.as_bytes())?;
    w.write_all(&(e.payload.len() as u32).to_le_bytes())?;
    w.write_all(&e.payload)
}

fn read_entry(r: &mut impl Read) -> io::Result<Option<Entry>> {
    let mut time = [0u8; 16];
    match r.read_exact(&mut time) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let id = read_chunk(r)?;
    let payload = read_chunk(r)?;
    let event_id =
        String::from_utf8(id).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(Some(Entry {
        key: SortKey {
            time_ns: i128::from_le_bytes(time),
            event_id,
        },
        payload,
    }))
}

fn read_chunk(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let mut buf = vec![0u8; u32::from_le_bytes(len) as usize];
    r.read_exact(&mut buf)?;
    Ok(buf)
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

    #[test]
    fn small_budget_spills() {
        let entries: Vec<(i64, String)> =
            (0..100).rev().map(|i| (i / 3, format!("id{i}"))).collect();
        let (out, runs) = sorted_output(&entries, 500);
        assert!(runs > 1, "expected spilled runs, got {runs}");
        assert_eq!(out.len(), 100);
        assert!(out.windows(2).all(|w| w[0] <= w[1]));
    }
}
