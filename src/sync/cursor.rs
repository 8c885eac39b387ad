//! Source cursors: where a partition's incremental sync resumes.
//!
//! The engine treats a cursor as opaque bytes that only the source reads.
//! It hands one out for persistence only when every account the source
//! emitted before it has a final result, so a restart from the persisted
//! cursor re-reads whatever was not final: delivery is at least once, and
//! no secret is ever written at rest by the crate.

use std::collections::HashMap;
use std::convert::Infallible;

/// An opaque source position (a DirSync cookie, a USN watermark, …) and
/// whether a full sync was under way when it was committed.
///
/// The mark is part of the durable state: a store must keep
/// [`Cursor::in_full_sync`] beside the bytes, so that a full sync
/// interrupted by a restart resumes as the same full sync (and reports its
/// completion) rather than as an incremental one.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cursor {
    bytes: Vec<u8>,
    full_sync: bool,
}

impl Cursor {
    /// A cursor from the source's bytes (not in a full sync).
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            bytes: bytes.into(),
            full_sync: false,
        }
    }

    /// The same position, marked as inside a full sync or not.
    pub fn with_full_sync(mut self, full_sync: bool) -> Self {
        self.full_sync = full_sync;
        self
    }

    /// The source's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether a full sync was under way when this cursor was committed.
    pub fn in_full_sync(&self) -> bool {
        self.full_sync
    }
}

impl core::fmt::Debug for Cursor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let text = String::from_utf8_lossy(&self.bytes);
        if self.full_sync {
            write!(f, "Cursor({text:?}, full sync)")
        } else {
            write!(f, "Cursor({text:?})")
        }
    }
}

/// A cursor the host should persist for a partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CursorCommit {
    /// Partition name.
    pub partition: String,
    /// The new cursor.
    pub cursor: Cursor,
}

/// Durable storage of cursors, keyed by source connector and partition.
pub trait CursorStore {
    /// The host's error type.
    type Error: std::error::Error + 'static;

    /// The saved cursor, if any.
    fn load(&mut self, connector: &str, partition: &str) -> Result<Option<Cursor>, Self::Error>;

    /// Saves (replaces) a partition's cursor.
    fn save(
        &mut self,
        connector: &str,
        partition: &str,
        cursor: &Cursor,
    ) -> Result<(), Self::Error>;

    /// Forgets every cursor of a connector (a forced full sync).
    fn discard(&mut self, connector: &str) -> Result<(), Self::Error>;
}

impl<C: CursorStore + ?Sized> CursorStore for &mut C {
    type Error = C::Error;

    fn load(&mut self, connector: &str, partition: &str) -> Result<Option<Cursor>, Self::Error> {
        (**self).load(connector, partition)
    }

    fn save(
        &mut self,
        connector: &str,
        partition: &str,
        cursor: &Cursor,
    ) -> Result<(), Self::Error> {
        (**self).save(connector, partition, cursor)
    }

    fn discard(&mut self, connector: &str) -> Result<(), Self::Error> {
        (**self).discard(connector)
    }
}

/// Cursors kept in memory (tests, examples, hosts that persist elsewhere).
#[derive(Clone, Debug, Default)]
pub struct InMemoryCursorStore {
    cursors: HashMap<(String, String), Cursor>,
}

impl InMemoryCursorStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The saved cursor of a partition.
    pub fn get(&self, connector: &str, partition: &str) -> Option<&Cursor> {
        self.cursors
            .get(&(connector.to_owned(), partition.to_owned()))
    }
}

impl CursorStore for InMemoryCursorStore {
    type Error = Infallible;

    fn load(&mut self, connector: &str, partition: &str) -> Result<Option<Cursor>, Infallible> {
        Ok(self.get(connector, partition).cloned())
    }

    fn save(
        &mut self,
        connector: &str,
        partition: &str,
        cursor: &Cursor,
    ) -> Result<(), Infallible> {
        self.cursors
            .insert((connector.to_owned(), partition.to_owned()), cursor.clone());
        Ok(())
    }

    fn discard(&mut self, connector: &str) -> Result<(), Infallible> {
        self.cursors.retain(|(c, _), _| c != connector);
        Ok(())
    }
}
