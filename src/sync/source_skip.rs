//! Objects a source read but could not hand to the engine, and the shared
//! log a host reports them from.

use std::sync::{Arc, Mutex};

/// An object the source read but could not hand to the engine, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceSkip {
    /// `distinguishedName`.
    pub distinguished_name: String,
    /// `sAMAccountName` (empty when the object has none).
    pub sam_account_name: String,
    /// Why it was left out.
    pub reason: SkipCause,
}

impl SourceSkip {
    /// The object `distinguished_name` (`sam_account_name`), left out
    /// because of `reason`.
    pub fn new(
        distinguished_name: impl Into<String>,
        sam_account_name: impl Into<String>,
        reason: SkipCause,
    ) -> Self {
        Self {
            distinguished_name: distinguished_name.into(),
            sam_account_name: sam_account_name.into(),
            reason,
        }
    }
}

/// Why a source left an object out.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipCause {
    /// No `unicodePwd`: no password has been set yet. Setting one is a
    /// change the source reports, so the account is read again then.
    NoPassword,
    /// An attribute could not be used (named, with what was wrong).
    Malformed {
        /// The attribute.
        attribute: &'static str,
        /// What was wrong.
        reason: String,
    },
}

impl core::fmt::Display for SkipCause {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoPassword => f.write_str("no password set yet (no unicodePwd)"),
            Self::Malformed { attribute, reason } => write!(f, "{attribute}: {reason}"),
        }
    }
}

/// The objects a source left out, shared between the source (which
/// records them) and whoever reports them; clones share one log.
///
/// ```
/// use hashsync::sync::{SkipCause, SkipLog, SourceSkip};
/// let log = SkipLog::default();
/// log.push(SourceSkip::new("CN=Guest,CN=Users,DC=ad,DC=test", "Guest", SkipCause::NoPassword));
/// let skipped = log.clone().drain();
/// assert_eq!(skipped[0].sam_account_name, "Guest");
/// assert!(log.drain().is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct SkipLog(Arc<Mutex<Vec<SourceSkip>>>);

impl SkipLog {
    /// Records one skipped object.
    pub fn push(&self, skip: SourceSkip) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(skip);
    }

    /// Takes the skips recorded so far.
    pub fn drain(&self) -> Vec<SourceSkip> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
