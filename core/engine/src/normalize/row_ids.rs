//! Nested row ids computed off the normalizing thread.
//!
//! A nested row's `_dlt_id` is a shake_128 digest of its parent's id, its table and its list
//! position ([`ids::nested_row_id`]); hashing is the largest single cost of normalizing nested
//! data. A row whose id no child needs (it has no lists) gets a placeholder in its `_dlt_id`
//! column, and its id is computed by a worker thread in batches while normalization goes on;
//! when the table's batch is emitted the placeholders are replaced by the ids, in row order.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};

use super::flatten::Name;
use crate::{Error, Result, ids};

/// Requests sent to the worker at a time.
const BATCH: usize = 1024;
/// Request batches in flight (bounds memory if the worker falls behind).
const IN_FLIGHT: usize = 8;

/// One id to compute.
struct Request {
    table: Name,
    parent_id: String,
    list_idx: usize,
}

struct Worker {
    tx: Option<SyncSender<Vec<Request>>>,
    rx: Receiver<Vec<(Name, String)>>,
    handle: Option<JoinHandle<()>>,
}

/// Ids being computed in the background, per table in request order.
#[derive(Default)]
pub struct DeferredIds {
    worker: Option<Worker>,
    pending: Vec<Request>,
    ready: HashMap<Name, VecDeque<String>>,
}

impl std::fmt::Debug for DeferredIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeferredIds")
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl DeferredIds {
    /// Asks for the id of row `list_idx` of nested `table` under `parent_id`.
    pub fn request(&mut self, table: &Name, parent_id: &str, list_idx: usize) -> Result<()> {
        self.pending.push(Request {
            table: table.clone(),
            parent_id: parent_id.to_string(),
            list_idx,
        });
        if self.pending.len() >= BATCH {
            self.send_pending()?;
        }
        Ok(())
    }

    /// The next `n` ids of `table`, in request order (waits for the worker).
    pub fn take(&mut self, table: &Name, n: usize) -> Result<Vec<String>> {
        if self.ready.get(table).map_or(0, VecDeque::len) < n {
            self.send_pending()?;
        }
        while self.ready.get(table).map_or(0, VecDeque::len) < n {
            let worker = self
                .worker
                .as_ref()
                .ok_or_else(|| Error::unexpected("row ids were taken but never requested"))?;
            let done = worker
                .rx
                .recv()
                .map_err(|_| Error::unexpected("the row id worker stopped"))?;
            for (t, id) in done {
                self.ready.entry(t).or_default().push_back(id);
            }
        }
        let queue = self.ready.get_mut(table).expect("filled above");
        Ok(queue.drain(..n).collect())
    }

    fn send_pending(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(BATCH));
        let worker = match &mut self.worker {
            Some(worker) => worker,
            None => self.worker.insert(spawn()?),
        };
        worker
            .tx
            .as_ref()
            .expect("open until drop")
            .send(batch)
            .map_err(|_| Error::unexpected("the row id worker stopped"))
    }
}

impl Drop for DeferredIds {
    fn drop(&mut self) {
        if let Some(mut worker) = self.worker.take() {
            drop(worker.tx.take());
            // Unblock a worker waiting to hand back results, then wait for it to end.
            drop(worker.rx);
            if let Some(handle) = worker.handle.take() {
                let _ = handle.join();
            }
        }
    }
}

fn spawn() -> Result<Worker> {
    let (tx, jobs) = sync_channel::<Vec<Request>>(IN_FLIGHT);
    let (results, rx) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("row-ids".into())
        .spawn(move || {
            for batch in jobs {
                let done: Vec<(Name, String)> = batch
                    .into_iter()
                    .map(|r| {
                        let id = ids::nested_row_id(&r.parent_id, &r.table, r.list_idx);
                        (r.table, id)
                    })
                    .collect();
                if results.send(done).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| Error::from_io(&e, "starting the row id worker"))?;
    Ok(Worker {
        tx: Some(tx),
        rx,
        handle: Some(handle),
    })
}

/// `batch` with the values of column `column` at `rows` (ascending) replaced by `ids`.
pub fn fill(
    batch: RecordBatch,
    column: &str,
    rows: &[u32],
    ids: Vec<String>,
) -> Result<RecordBatch> {
    let unexpected = |what: &str| Error::unexpected(format!("filling deferred row ids: {what}"));
    let index = batch
        .schema_ref()
        .index_of(column)
        .map_err(|_| unexpected("no id column"))?;
    let old = batch
        .column(index)
        .as_string_opt::<i32>()
        .ok_or_else(|| unexpected("the id column is not text"))?;
    let id_bytes: usize = ids.iter().map(String::len).sum();
    let mut builder = StringBuilder::with_capacity(old.len(), old.value_data().len() + id_bytes);
    let mut deferred = rows.iter().zip(ids).peekable();
    for row in 0..old.len() {
        match deferred.peek() {
            Some((at, _)) if **at as usize == row => {
                let (_, id) = deferred.next().expect("peeked");
                builder.append_value(id);
            }
            _ if old.is_null(row) => builder.append_null(),
            _ => builder.append_value(old.value(row)),
        }
    }
    if deferred.next().is_some() {
        return Err(unexpected("more ids than rows"));
    }
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns[index] = Arc::new(builder.finish());
    RecordBatch::try_new(batch.schema(), columns).map_err(|e| unexpected(&e.to_string()))
}
