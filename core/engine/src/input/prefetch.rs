//! Reading and parsing on a thread of their own, so they overlap with normalizing.
//!
//! [`Prefetch`] runs any [`RecordSource`] on a reader thread that sends records in chunks
//! through a bounded channel: memory stays bounded (at most [`CHUNKS_IN_FLIGHT`] chunks of
//! [`CHUNK_RECORDS`] records wait), records arrive in input order, and an input error arrives
//! after the records before it, exactly where a plain reader would have returned it.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::{Record, RecordSource};
use crate::{Error, Result};

/// Records sent at a time.
const CHUNK_RECORDS: usize = 64;
/// Chunks waiting in the channel at most.
const CHUNKS_IN_FLIGHT: usize = 2;

/// What the reader thread sends: a chunk of records, then possibly the error that ended it.
type Chunk = (Vec<Record>, Option<Error>);

/// A record source read ahead on its own thread.
pub struct Prefetch {
    chunks: Receiver<Chunk>,
    current: std::vec::IntoIter<Record>,
    failure: Option<Error>,
    reader: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Prefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prefetch")
            .field("buffered", &self.current.len())
            .finish()
    }
}

impl Prefetch {
    /// Starts reading `source` on a new thread.
    pub fn spawn(source: Box<dyn RecordSource>) -> Result<Prefetch> {
        let (tx, rx) = sync_channel(CHUNKS_IN_FLIGHT);
        let reader = std::thread::Builder::new()
            .name("stowage-read".into())
            .spawn(move || read_ahead(source, tx))
            .map_err(|e| Error::unexpected(format!("cannot start the input reader thread: {e}")))?;
        Ok(Prefetch {
            chunks: rx,
            current: Vec::new().into_iter(),
            failure: None,
            reader: Some(reader),
        })
    }

    fn next_chunk(&mut self) -> Result<bool> {
        if let Some(e) = self.failure.take() {
            return Err(e);
        }
        match self.chunks.recv() {
            Ok((records, failure)) => {
                self.current = records.into_iter();
                self.failure = failure;
                Ok(true)
            }
            // The reader thread ended: join it so a panic there is not lost.
            Err(_) => match self.reader.take().map(JoinHandle::join) {
                Some(Err(_)) => Err(Error::unexpected("the input reader thread panicked")),
                _ => Ok(false),
            },
        }
    }
}

impl RecordSource for Prefetch {
    fn next_record(&mut self) -> Result<Option<Record>> {
        loop {
            if let Some(record) = self.current.next() {
                return Ok(Some(record));
            }
            if !self.next_chunk()? {
                return Ok(None);
            }
        }
    }
}

/// The reader thread: sends chunks until the input ends, fails, or the receiver goes away.
fn read_ahead(mut source: Box<dyn RecordSource>, tx: SyncSender<Chunk>) {
    loop {
        let mut chunk = Vec::with_capacity(CHUNK_RECORDS);
        let mut failure = None;
        let mut ended = false;
        while chunk.len() < CHUNK_RECORDS {
            match source.next_record() {
                Ok(Some(record)) => chunk.push(record),
                Ok(None) => {
                    ended = true;
                    break;
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let stop = ended || failure.is_some();
        if (!chunk.is_empty() || failure.is_some()) && tx.send((chunk, failure)).is_err() {
            return;
        }
        if stop {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Yields `n` records, then fails if `fail`.
    struct Numbers {
        next: usize,
        n: usize,
        fail: bool,
    }

    impl RecordSource for Numbers {
        fn next_record(&mut self) -> Result<Option<Record>> {
            if self.next == self.n {
                return if self.fail {
                    Err(Error::invalid("input.ndjson:1001: not JSON"))
                } else {
                    Ok(None)
                };
            }
            self.next += 1;
            let mut record = Record::new();
            record.insert("i".into(), json!(self.next));
            Ok(Some(record))
        }
    }

    fn drain(n: usize, fail: bool) -> (Vec<u64>, Option<String>) {
        let source = Box::new(Numbers { next: 0, n, fail });
        let mut prefetch = Prefetch::spawn(source).unwrap();
        let mut seen = Vec::new();
        loop {
            match prefetch.next_record() {
                Ok(Some(r)) => seen.push(r["i"].as_u64().unwrap()),
                Ok(None) => return (seen, None),
                Err(e) => return (seen, Some(e.to_string())),
            }
        }
    }

    #[test]
    fn records_arrive_in_order_across_chunks() {
        let (seen, failure) = drain(1000, false);
        assert_eq!(seen, (1..=1000).collect::<Vec<_>>());
        assert_eq!(failure, None);
        assert_eq!(drain(0, false), (vec![], None));
    }

    #[test]
    fn an_error_comes_after_the_records_before_it() {
        let (seen, failure) = drain(1000, true);
        assert_eq!(seen.len(), 1000);
        assert!(failure.unwrap().contains("input.ndjson:1001"));
        let (seen, failure) = drain(CHUNK_RECORDS, true);
        assert_eq!(seen.len(), CHUNK_RECORDS);
        assert!(failure.is_some());
    }
}
