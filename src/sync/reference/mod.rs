//! Reference implementations of the sync traits, for tests, examples and
//! as models for hosts: an in-memory directory and source, a streaming
//! synthetic source, a JSON directory snapshot, in-memory, null and
//! JSON-lines transports, and a seeded fault-injecting wrapper.

mod fault;
mod jsonl;
mod memory;
mod snapshot;
mod synthetic;
mod transport;

pub use fault::{FaultConfig, FaultInjectingTransport, FaultStats};
pub use jsonl::JsonLinesTransport;
pub use memory::{DEFAULT_PAGE_SIZE, InMemoryDirectory, InMemorySource, MemorySourceError};
pub use snapshot::{ForestSnapshot, PasswordChange, Snapshot, SnapshotTenant};
pub use synthetic::SyntheticSource;
pub use transport::{Delivery, InMemoryTransport, NullTransport};
