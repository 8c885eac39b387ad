//! Reference implementations of the sync traits, for tests, examples and
//! as models for hosts: an in-memory directory and source, a streaming
//! synthetic source, a JSON directory snapshot, in-memory, null and
//! JSON-lines transports, a seeded fault-injecting wrapper, and a
//! file-backed object log.

mod fault;
mod jsonl;
mod memory;
mod object_log_file;
mod snapshot;
mod synthetic;
mod transport;

pub use fault::{FaultConfig, FaultInjectingTransport, FaultStats};
pub use jsonl::JsonLinesTransport;
pub use memory::{DEFAULT_PAGE_SIZE, InMemoryDirectory, InMemorySource, MemorySourceError};
pub use object_log_file::FileObjectLog;
pub use snapshot::{ForestSnapshot, PasswordChange, Snapshot, SnapshotTenant};
pub use synthetic::SyntheticSource;
pub use transport::{Delivery, InMemoryTransport, NullTransport};
