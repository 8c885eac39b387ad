//! An in-memory directory and the source that reads it.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::model::Partition;
use crate::secret::Password;
use crate::sync::account_query::AccountQuery;
use crate::sync::credential::{AccountCredentials, ObjectGuid, SourceAccount};
use crate::sync::cursor::Cursor;
use crate::sync::source::{ChangeSource, SourceItem, SourceStream};

/// Accounts per checkpoint in the reference sources: one, so a restart
/// resumes right after the last final account (a paged host source emits
/// one per page instead).
pub const DEFAULT_PAGE_SIZE: usize = 1;

/// Why the in-memory source failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemorySourceError {
    /// The directory's lock was poisoned by a panic elsewhere.
    #[error("directory lock poisoned")]
    Poisoned,
    /// No partition of that name.
    #[error("unknown partition {0:?}")]
    UnknownPartition(String),
    /// A cursor this source did not write.
    #[error("cursor not written by this source")]
    BadCursor,
}

/// A directory of partitions holding accounts, with a USN counter like a
/// domain controller's: every change gets the next USN.
#[derive(Clone, Debug, Default)]
pub struct InMemoryDirectory {
    partitions: Vec<(Partition, Vec<SourceAccount>)>,
    highest_usn: u64,
}

impl InMemoryDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a partition (a domain).
    pub fn add_partition(&mut self, info: Partition) {
        self.partitions.push((info, Vec::new()));
    }

    /// Adds an account to a partition as it is; the USN counter moves to
    /// at least its USN.
    pub fn add_account(
        &mut self,
        partition: &str,
        account: SourceAccount,
    ) -> Result<(), MemorySourceError> {
        let accounts = self.partition_mut(partition)?;
        let usn = account.usn;
        accounts.push(account);
        self.highest_usn = self.highest_usn.max(usn);
        Ok(())
    }

    /// Sets an account's password (a password-change event): the account
    /// gets the next USN. Returns it, or `None` if there is no such account.
    pub fn set_password(&mut self, guid: ObjectGuid, password: Password) -> Option<u64> {
        let usn = self.highest_usn.saturating_add(1);
        self.update(guid, |account| {
            account.credentials = AccountCredentials::Cleartext(password);
            account.usn = usn;
        })
    }

    /// Changes an account with `change` and gives it the next USN (or the
    /// USN `change` set, if higher). Returns the account's new USN.
    pub fn update(
        &mut self,
        guid: ObjectGuid,
        change: impl FnOnce(&mut SourceAccount),
    ) -> Option<u64> {
        let next = self.highest_usn.saturating_add(1);
        let account = self
            .partitions
            .iter_mut()
            .flat_map(|(_, accounts)| accounts.iter_mut())
            .find(|account| account.object_guid == guid)?;
        change(account);
        account.usn = account.usn.max(next);
        self.highest_usn = account.usn;
        Some(account.usn)
    }

    /// The account with this GUID.
    pub fn account(&self, guid: ObjectGuid) -> Option<&SourceAccount> {
        self.partitions
            .iter()
            .flat_map(|(_, accounts)| accounts)
            .find(|account| account.object_guid == guid)
    }

    /// Every account of every partition.
    pub fn accounts(&self) -> impl Iterator<Item = (&Partition, &SourceAccount)> {
        self.partitions
            .iter()
            .flat_map(|(info, accounts)| accounts.iter().map(move |a| (info, a)))
    }

    /// The highest USN handed out.
    pub fn highest_usn(&self) -> u64 {
        self.highest_usn
    }

    fn partition_mut(&mut self, name: &str) -> Result<&mut Vec<SourceAccount>, MemorySourceError> {
        self.partitions
            .iter_mut()
            .find(|(info, _)| info.dn() == name)
            .map(|(_, accounts)| accounts)
            .ok_or_else(|| MemorySourceError::UnknownPartition(name.to_owned()))
    }

    fn partition_index(&self, name: &str) -> Result<usize, MemorySourceError> {
        self.partitions
            .iter()
            .position(|(info, _)| info.dn() == name)
            .ok_or_else(|| MemorySourceError::UnknownPartition(name.to_owned()))
    }
}

/// A [`ChangeSource`] over a shared [`InMemoryDirectory`]. Clones share the
/// directory, so a test can change it between runs.
///
/// Cursors: `F:<high-water USN>:<next index>` while a full sync is under
/// way (so it resumes), `U:<USN>` after. Full sync enumerates accounts in
/// stored order; incremental sync returns accounts whose USN is above the
/// cursor's, by USN.
#[derive(Clone, Debug)]
pub struct InMemorySource {
    directory: Arc<Mutex<InMemoryDirectory>>,
    page_size: usize,
}

impl InMemorySource {
    /// A source over a shared directory.
    pub fn new(directory: Arc<Mutex<InMemoryDirectory>>) -> Self {
        Self {
            directory,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// Accounts between checkpoints.
    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// The shared directory.
    pub fn directory(&self) -> &Arc<Mutex<InMemoryDirectory>> {
        &self.directory
    }

    fn lock(&self) -> Result<MutexGuard<'_, InMemoryDirectory>, MemorySourceError> {
        self.directory
            .lock()
            .map_err(|_| MemorySourceError::Poisoned)
    }

    fn stream(&self, partition: &str, phase: Phase) -> Result<MemoryStream, MemorySourceError> {
        let directory = self.lock()?;
        let index = directory.partition_index(partition)?;
        let phase = match phase {
            Phase::Incremental { since, .. } => {
                let mut changed: Vec<(u64, usize)> = directory.partitions[index]
                    .1
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.usn > since)
                    .map(|(i, a)| (a.usn, i))
                    .collect();
                changed.sort_unstable();
                Phase::Incremental {
                    since,
                    high_water: directory.highest_usn.max(since),
                    changed,
                    next: 0,
                }
            }
            full => full,
        };
        Ok(MemoryStream {
            directory: Arc::clone(&self.directory),
            partition: index,
            phase,
            page_size: self.page_size,
            in_page: 0,
            done: false,
        })
    }
}

#[derive(Debug)]
enum Phase {
    Full {
        high_water: u64,
        next: usize,
    },
    Incremental {
        since: u64,
        high_water: u64,
        /// `(USN when listed, index)`, by USN.
        changed: Vec<(u64, usize)>,
        next: usize,
    },
}

impl ChangeSource for InMemorySource {
    type Error = MemorySourceError;

    fn partitions(&mut self) -> Result<Vec<Partition>, MemorySourceError> {
        Ok(self
            .lock()?
            .partitions
            .iter()
            .map(|(info, _)| info.clone())
            .collect())
    }

    fn full_sync(
        &mut self,
        partition: &Partition,
    ) -> Result<SourceStream<'_, MemorySourceError>, MemorySourceError> {
        let high_water = self.lock()?.highest_usn;
        let stream = self.stream(
            partition.dn(),
            Phase::Full {
                high_water,
                next: 0,
            },
        )?;
        Ok(Box::new(stream))
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        cursor: &Cursor,
    ) -> Result<SourceStream<'_, MemorySourceError>, MemorySourceError> {
        let phase = parse_cursor(cursor)?;
        Ok(Box::new(self.stream(partition.dn(), phase)?))
    }

    fn read_account(
        &mut self,
        partition: &Partition,
        query: &AccountQuery,
    ) -> Result<Option<SourceAccount>, MemorySourceError> {
        let directory = self.lock()?;
        let index = directory.partition_index(partition.dn())?;
        Ok(directory.partitions[index]
            .1
            .iter()
            .find(|account| query.matches(account))
            .cloned())
    }

    fn estimated_total(&mut self, partition: &Partition) -> Option<u64> {
        let directory = self.lock().ok()?;
        let index = directory.partition_index(partition.dn()).ok()?;
        Some(directory.partitions[index].1.len() as u64)
    }
}

fn parse_cursor(cursor: &Cursor) -> Result<Phase, MemorySourceError> {
    let text = core::str::from_utf8(cursor.as_bytes()).map_err(|_| MemorySourceError::BadCursor)?;
    let number = |s: &str| s.parse::<u64>().map_err(|_| MemorySourceError::BadCursor);
    if let Some(rest) = text.strip_prefix("F:") {
        let (high_water, next) = rest.split_once(':').ok_or(MemorySourceError::BadCursor)?;
        Ok(Phase::Full {
            high_water: number(high_water)?,
            next: usize::try_from(number(next)?).map_err(|_| MemorySourceError::BadCursor)?,
        })
    } else if let Some(usn) = text.strip_prefix("U:") {
        Ok(Phase::Incremental {
            since: number(usn)?,
            high_water: 0,
            changed: Vec::new(),
            next: 0,
        })
    } else {
        Err(MemorySourceError::BadCursor)
    }
}

struct MemoryStream {
    directory: Arc<Mutex<InMemoryDirectory>>,
    partition: usize,
    phase: Phase,
    page_size: usize,
    in_page: usize,
    done: bool,
}

impl MemoryStream {
    /// Where a restart resumes: after every account emitted so far.
    fn page_checkpoint(&self) -> Cursor {
        match &self.phase {
            Phase::Full { high_water, next } => Cursor::new(format!("F:{high_water}:{next}")),
            Phase::Incremental {
                since,
                changed,
                next,
                ..
            } => {
                let usn = next
                    .checked_sub(1)
                    .and_then(|last| changed.get(last))
                    .map_or(*since, |(usn, _)| *usn);
                Cursor::new(format!("U:{usn}"))
            }
        }
    }

    /// Where incremental sync continues once the stream is through.
    fn final_checkpoint(&self) -> Cursor {
        match &self.phase {
            Phase::Full { high_water, .. } | Phase::Incremental { high_water, .. } => {
                Cursor::new(format!("U:{high_water}"))
            }
        }
    }
}

impl Iterator for MemoryStream {
    type Item = Result<SourceItem, MemorySourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.in_page == self.page_size {
            self.in_page = 0;
            return Some(Ok(SourceItem::Checkpoint(self.page_checkpoint())));
        }
        let Ok(directory) = self.directory.lock() else {
            self.done = true;
            return Some(Err(MemorySourceError::Poisoned));
        };
        let accounts = &directory.partitions[self.partition].1;
        let account = match &mut self.phase {
            Phase::Full { next, .. } => {
                let account = accounts.get(*next).cloned();
                *next += 1;
                account
            }
            Phase::Incremental { changed, next, .. } => {
                let account = changed
                    .get(*next)
                    .and_then(|(_, i)| accounts.get(*i))
                    .cloned();
                *next += 1;
                account
            }
        };
        drop(directory);
        match account {
            Some(account) => {
                self.in_page += 1;
                Some(Ok(SourceItem::Account(account)))
            }
            None => {
                self.done = true;
                Some(Ok(SourceItem::Checkpoint(self.final_checkpoint())))
            }
        }
    }
}
