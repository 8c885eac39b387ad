//! Adapters between hashsync's sync engine and Samba AD DCs.
//!
//! - [`SambaSource`] reads a Samba domain's accounts, with their NT hash
//!   and `supplementalCredentials`, over LDAP on the DC's privileged
//!   `ldapi` socket: full sync in resumable pages, incremental sync by
//!   DirSync.
//! - [`SambaTarget`] writes credential updates into another Samba DC (a
//!   stand-in for the Domain Services managed domain) with Samba's
//!   bypass-password-hash control.
//! - [`FileCursorStore`] and [`ConfigurationStore`] keep the host's state
//!   in files replaced atomically (mode 0600).
//!
//! Real Active Directory never hands secrets out over LDAP: it replicates
//! them (MS-DRSR). This adapter is for Samba forests, test labs and
//! migrations into a Samba domain.

#![warn(missing_docs)]

mod account;
mod connection;
mod controls;
mod entry;
mod error;
mod position;
mod source;
mod state;
mod target;
mod url;

pub use account::ACCOUNT_ATTRIBUTES;
// The skip types moved to the engine's crate; named here as before.
pub use connection::DEFAULT_TIMEOUT;
pub use controls::{BYPASS_PASSWORD_HASH_OID, DIRSYNC_OID};
pub use error::{SambaError, StateError};
pub use hashsync::sync::{SkipCause, SkipLog, SourceSkip};
pub use position::SourcePosition;
pub use source::{DEFAULT_PAGE_USNS, SambaSource};
pub use state::{ConfigurationStore, FileCursorStore, StateLock, write_atomically};
pub use target::{SambaTarget, TargetTimings, TargetWrite, WriteOutcome, supplemental_credentials};
pub use url::{ldapi_url, server_name};
