//! The adapter's errors: each names the server (the socket path) and the
//! operation that failed, and carries the LDAP error when there is one.

use std::io;
use std::path::PathBuf;

/// An LDAP exchange with a DC failed or returned something unusable.
///
/// The display is one line: `<server>: <operation>: <cause>`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SambaError {
    /// The connection or the protocol failed (DC unreachable, socket closed
    /// mid-stream, timeout). Retry later: nothing read has been lost.
    #[error("{server}: {operation}: {source}")]
    Ldap {
        /// The DC's socket path.
        server: String,
        /// What was being done (e.g. "DirSync search").
        operation: &'static str,
        /// The client library's error.
        #[source]
        source: Box<ldap3::LdapError>,
    },
    /// The DC answered with an LDAP result code other than success.
    #[error("{server}: {operation}: result {code}: {message}")]
    Refused {
        /// The DC's socket path.
        server: String,
        /// What was being done.
        operation: &'static str,
        /// The LDAP result code.
        code: u32,
        /// The server's diagnostic text.
        message: String,
    },
    /// The DC's answer lacked something this adapter needs.
    #[error("{server}: {operation}: {reason}")]
    Malformed {
        /// The DC's socket path.
        server: String,
        /// What was being done.
        operation: &'static str,
        /// What was wrong.
        reason: String,
    },
}

impl SambaError {
    /// Whether the connection itself failed (the next attempt reconnects).
    pub fn is_connection_error(&self) -> bool {
        matches!(self, Self::Ldap { .. })
    }
}

/// A state file could not be read or replaced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Reading, writing, syncing or renaming failed.
    #[error("{path}: {operation}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        operation: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Another process holds the state directory.
    #[error("{path}: the state directory is in use by another process")]
    InUse {
        /// The lock file.
        path: PathBuf,
    },
    /// The file's content is not what this store writes.
    #[error("{path}: not a valid state file: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}
