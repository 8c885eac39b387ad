//! Transports that keep deliveries in memory or drop them.

use std::collections::HashMap;
use std::convert::Infallible;

use crate::sync::credential::CredentialUpdate;
use crate::sync::transport::{Batch, ItemResult, Transport};

/// One delivery, as the in-memory transport logs it (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Target connector.
    pub target: String,
    /// Source connector.
    pub source_connector: String,
    /// Source anchor.
    pub source_anchor: String,
    /// USN of the change delivered.
    pub usn: u64,
}

/// A target that stores every update it accepts: per target connector and
/// source anchor, the last update delivered wins (as in Entra ID), and a
/// log keeps the order of deliveries.
#[derive(Debug, Default)]
pub struct InMemoryTransport {
    state: HashMap<(String, String), CredentialUpdate>,
    log: Vec<Delivery>,
}

impl InMemoryTransport {
    /// An empty target.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the target holds for an account.
    pub fn get(&self, target: &str, source_anchor: &str) -> Option<&CredentialUpdate> {
        self.state
            .get(&(target.to_owned(), source_anchor.to_owned()))
    }

    /// Every `(target, source anchor)` with its stored update.
    pub fn state(&self) -> impl Iterator<Item = (&str, &CredentialUpdate)> {
        self.state
            .iter()
            .map(|((target, _), update)| (target.as_str(), update))
    }

    /// Accounts stored.
    pub fn len(&self) -> usize {
        self.state.len()
    }

    /// Whether nothing was stored.
    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }

    /// Every delivery, in order.
    pub fn log(&self) -> &[Delivery] {
        &self.log
    }
}

impl Transport for InMemoryTransport {
    type Error = Infallible;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, Infallible> {
        for update in &batch.updates {
            self.log.push(Delivery {
                target: batch.target_connector.clone(),
                source_connector: batch.source_connector.clone(),
                source_anchor: update.source_anchor.clone(),
                usn: update.usn,
            });
            self.state.insert(
                (batch.target_connector.clone(), update.source_anchor.clone()),
                update.clone(),
            );
        }
        Ok(vec![ItemResult::Success; batch.updates.len()])
    }
}

/// A target that accepts and drops everything, counting what it saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullTransport {
    batches: u64,
    updates: u64,
}

impl NullTransport {
    /// A new null target.
    pub fn new() -> Self {
        Self::default()
    }

    /// Batches received.
    pub fn batches(&self) -> u64 {
        self.batches
    }

    /// Updates received.
    pub fn updates(&self) -> u64 {
        self.updates
    }
}

impl Transport for NullTransport {
    type Error = Infallible;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, Infallible> {
        self.batches += 1;
        self.updates += batch.updates.len() as u64;
        Ok(vec![ItemResult::Success; batch.updates.len()])
    }
}
