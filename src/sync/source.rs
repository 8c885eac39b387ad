//! The source trait: what the host reads from the directory.

use super::account_query::AccountQuery;
use super::credential::SourceAccount;
use super::cursor::Cursor;
use crate::model::Partition;

/// One item of a source stream.
#[derive(Clone, Debug)]
// Items are moved once from the stream into the engine; boxing every
// account would cost an allocation per account for no gain.
#[allow(clippy::large_enum_variant)]
pub enum SourceItem {
    /// An account (a full-sync candidate, or a changed account).
    Account(SourceAccount),
    /// Every account of this partition up to here has been handed over:
    /// once they all have final results, resuming from this cursor loses
    /// nothing. Sources emit one per page and one at the end of a stream.
    Checkpoint(Cursor),
}

/// A lazily read stream of source items; errors are the host's own type.
pub type SourceStream<'a, E> = Box<dyn Iterator<Item = Result<SourceItem, E>> + 'a>;

/// What the host implements to read accounts from a source connector
/// (one AD forest). Streams are pulled one item at a time, so a full sync
/// of any directory size needs memory for a batch, not for the directory.
pub trait ChangeSource {
    /// The host's error type, carried through the driver unchanged.
    type Error: std::error::Error + 'static;

    /// The domain partitions to sync.
    fn partitions(&mut self) -> Result<Vec<Partition>, Self::Error>;

    /// Every account of the partition, for a full sync, ending with a
    /// checkpoint from which incremental sync continues. Checkpoints along
    /// the way let a full sync resume where it stopped.
    fn full_sync(
        &mut self,
        partition: &Partition,
    ) -> Result<SourceStream<'_, Self::Error>, Self::Error>;

    /// Accounts changed since `cursor` (a checkpoint this source emitted),
    /// in USN order, with checkpoints.
    fn changes_since(
        &mut self,
        partition: &Partition,
        cursor: &Cursor,
    ) -> Result<SourceStream<'_, Self::Error>, Self::Error>;

    /// The one account of `partition` that `query` names, read now (for a
    /// single-object sync and the one-account view), or `None` if the
    /// partition has no such account.
    ///
    /// The default walks [`full_sync`](Self::full_sync)'s stream, which is
    /// correct for every source but reads the whole partition; a source
    /// that can look an account up (an LDAP search by `sAMAccountName`)
    /// should say so here. Reading one account never moves a cursor.
    fn read_account(
        &mut self,
        partition: &Partition,
        query: &AccountQuery,
    ) -> Result<Option<SourceAccount>, Self::Error> {
        for item in self.full_sync(partition)? {
            if let SourceItem::Account(account) = item?
                && query.matches(&account)
            {
                return Ok(Some(account));
            }
        }
        Ok(None)
    }

    /// How many accounts a full sync of `partition` reads, if the source
    /// can tell (an estimate is fine): it gives a full sync's progress an
    /// ETA. The default, `None`, means "unknown".
    fn estimated_total(&mut self, partition: &Partition) -> Option<u64> {
        let _ = partition;
        None
    }
}

impl<S: ChangeSource + ?Sized> ChangeSource for Box<S> {
    type Error = S::Error;

    fn partitions(&mut self) -> Result<Vec<Partition>, Self::Error> {
        (**self).partitions()
    }

    fn full_sync(
        &mut self,
        partition: &Partition,
    ) -> Result<SourceStream<'_, Self::Error>, Self::Error> {
        (**self).full_sync(partition)
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        cursor: &Cursor,
    ) -> Result<SourceStream<'_, Self::Error>, Self::Error> {
        (**self).changes_since(partition, cursor)
    }

    fn read_account(
        &mut self,
        partition: &Partition,
        query: &AccountQuery,
    ) -> Result<Option<SourceAccount>, Self::Error> {
        (**self).read_account(partition, query)
    }

    fn estimated_total(&mut self, partition: &Partition) -> Option<u64> {
        (**self).estimated_total(partition)
    }
}
