//! Password-sync configuration: which AD connector feeds which Entra ID
//! connector, and the restarts the sync engine must observe.

use serde::{Deserialize, Serialize};

/// The password-sync channel of one AD (source) connector:
/// `Get-ADSyncAADPasswordSyncConfiguration -SourceConnector …`.
///
/// `generation` counts the channel's starts: it grows by one each time the
/// channel goes from disabled (or unconfigured) to enabled. It is persisted,
/// so an engine that remembers the generation it last ran sees a restart
/// even across process restarts: a different generation means "start over",
/// with a full sync if the source's `ForceFullPasswordSync` is set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSyncConfiguration {
    source_connector: String,
    target_connector: String,
    enabled: bool,
    #[serde(default)]
    generation: u64,
}

impl PasswordSyncConfiguration {
    pub(crate) fn new(source_connector: String, target_connector: String) -> Self {
        Self {
            source_connector,
            target_connector,
            enabled: false,
            generation: 0,
        }
    }

    /// The AD connector passwords are read from.
    pub fn source_connector(&self) -> &str {
        &self.source_connector
    }

    /// The Entra ID connector passwords are written to.
    pub fn target_connector(&self) -> &str {
        &self.target_connector
    }

    /// Whether the channel runs.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// How many times the channel has started (see the type's docs).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn set_target(&mut self, target: String) {
        self.target_connector = target;
    }

    pub(crate) fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    pub(crate) fn start(&mut self) {
        self.enabled = true;
        self.generation = self.generation.saturating_add(1);
    }

    pub(crate) fn rename_connector(&mut self, old: &str, new: &str) {
        if self.source_connector == old {
            new.clone_into(&mut self.source_connector);
        }
        if self.target_connector == old {
            new.clone_into(&mut self.target_connector);
        }
    }
}

/// A change of a password-sync channel, in the order the configuration
/// made it; drained with
/// [`SyncConfiguration::drain_events`](crate::model::SyncConfiguration::drain_events).
///
/// Events are transient (not serialised); the persisted
/// [`PasswordSyncConfiguration::generation`] is the durable record of starts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelEvent {
    /// The channel started: first enabled, or re-enabled after a disable (the
    /// tutorial's restart), or pointed at another target while enabled.
    Started {
        /// The AD connector.
        source_connector: String,
        /// The Entra ID connector.
        target_connector: String,
        /// The channel's generation after this start.
        generation: u64,
        /// Whether the source's `ForceFullPasswordSync` was set at the start:
        /// the engine then discards its cursor and runs a full sync.
        force_full_password_sync: bool,
    },
    /// The channel was disabled.
    Stopped {
        /// The AD connector.
        source_connector: String,
        /// The Entra ID connector.
        target_connector: String,
    },
    /// The channel's configuration was removed.
    Removed {
        /// The AD connector.
        source_connector: String,
        /// The Entra ID connector it pointed to.
        target_connector: String,
    },
}
