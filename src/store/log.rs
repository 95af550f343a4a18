//! The journal port: durable, append-only storage of a writer's entries,
//! merged with other writers'.
//!
//! Contract: [`Journal::append`] is atomic (after any crash, all of an
//! append or none of it), [`Journal::records`] hands out every entry in
//! merge order, and [`Journal::refresh`] hands out only what other writers
//! added since, or everything when their entries order among those handed
//! out. The store knows nothing of what an entry means: only its place in
//! the merge ([`Entry::order_key`]).

use super::binary::{Form, Reader};
use super::error::StoreError;
use crate::pipeline::json::document::DocError;
use crate::pipeline::json::Json;
use chrono::{DateTime, Utc};

/// What a journal stores. Entries are written in their binary form; the
/// JSON form reads segments of format 1 and makes backups.
pub trait Entry: Clone {
    /// The entry's place in the merge of several writers: a Lamport clock,
    /// then wall-clock time (the writer breaks remaining ties).
    fn order_key(&self) -> (u64, DateTime<Utc>);

    /// Appends the entry's binary form, which [`Entry::decode`] reads back.
    fn encode(&self, out: &mut Form);

    /// Reads one entry written by [`Entry::encode`], validating every field.
    fn decode(input: &mut Reader<'_>) -> Result<Self, String>;

    /// The entry as JSON, the form of format 1 and of backups.
    fn to_json(&self) -> Json;

    /// Reads what [`Entry::to_json`] writes, validating every field.
    fn from_json(value: &Json) -> Result<Self, DocError>;
}

/// What other writers added since the journal last handed out records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh<R> {
    /// Nothing new.
    Unchanged,
    /// New records that all order after everything handed out before:
    /// applying them to the current state gives the state of a full replay.
    Appended(Vec<R>),
    /// New records that order among those handed out before: the state must
    /// be derived again from this, the whole merged journal.
    Reordered(Vec<R>),
}

/// Durable, append-only storage of records.
pub trait Journal {
    /// What it stores.
    type Entry: Entry;

    /// Appends `records` atomically: afterwards, and after any crash, either
    /// all of them are stored or none is.
    fn append(&mut self, records: &[Self::Entry]) -> Result<(), StoreError>;

    /// Every stored record, in the order to replay them. Takes `&mut self`
    /// because a shared store may have to re-read what other writers added.
    fn records(&mut self) -> Result<Vec<Self::Entry>, StoreError>;

    /// What other writers appended since the last [`Journal::records`],
    /// [`Journal::append`] or refresh. A journal with one writer has nothing.
    fn refresh(&mut self) -> Result<Refresh<Self::Entry>, StoreError> {
        Ok(Refresh::Unchanged)
    }
}

/// An in-memory journal: the reference implementation, used natively and in
/// tests. `fail_after` makes one append fail like a real store would.
#[derive(Debug, Clone)]
pub struct MemoryJournal<R> {
    /// Every appended record, in order.
    pub records: Vec<R>,
    /// `Some(n)`: let `n` more appends through, then fail the next one with
    /// [`StoreError::Unavailable`] (`Some(0)` fails the very next append).
    pub fail_after: Option<usize>,
}

impl<R> Default for MemoryJournal<R> {
    fn default() -> Self {
        MemoryJournal {
            records: Vec::new(),
            fail_after: None,
        }
    }
}

impl<R: Entry> Journal for MemoryJournal<R> {
    type Entry = R;

    fn append(&mut self, records: &[R]) -> Result<(), StoreError> {
        match self.fail_after {
            Some(0) => {
                self.fail_after = None;
                return Err(StoreError::Unavailable {
                    message: "injected storage failure".into(),
                });
            }
            Some(n) => self.fail_after = Some(n - 1),
            None => {}
        }
        self.records.extend_from_slice(records);
        Ok(())
    }

    fn records(&mut self) -> Result<Vec<R>, StoreError> {
        Ok(self.records.clone())
    }
}
