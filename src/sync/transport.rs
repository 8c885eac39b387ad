//! The transport trait: how the host carries batches to the target connector.

use super::credential::CredentialUpdate;

/// Identifies a batch within a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchId(pub u64);

/// The target's answer for one item of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemResult {
    /// Stored.
    Success,
    /// Failed; worth retrying later.
    FailedRetry,
    /// Failed for good; do not retry.
    FailedNoRetry,
}

/// Credential updates for one target connector, at most the channel's
/// batch size (50 by default).
#[derive(Debug)]
pub struct Batch {
    /// The batch's id, to hand back with the results.
    pub id: BatchId,
    /// Source (AD) connector name.
    pub source_connector: String,
    /// Target (Entra ID) connector name.
    pub target_connector: String,
    /// The updates, in the order results must come back.
    pub updates: Vec<CredentialUpdate>,
}

/// What the host implements to deliver credential updates.
pub trait Transport {
    /// The host's error type: the whole batch failed (every item is retried).
    type Error: std::error::Error + 'static;

    /// Sends a batch; returns one result per update, in order.
    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, Self::Error>;

    /// The heartbeat: checks that the target answers (events 653/654, or
    /// 655 on an error). The default answers at once.
    fn ping(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    type Error = T::Error;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, Self::Error> {
        (**self).send(batch)
    }

    fn ping(&mut self) -> Result<(), Self::Error> {
        (**self).ping()
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    type Error = T::Error;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, Self::Error> {
        (**self).send(batch)
    }

    fn ping(&mut self) -> Result<(), Self::Error> {
        (**self).ping()
    }
}
