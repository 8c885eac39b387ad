//! Starting channels from Entra Connect's configuration, applying its
//! gates, and recording their partitions' sync state in it.
//!
//! A channel runs when its password-sync configuration is enabled, the
//! tenant's password hash sync feature is on, and the server is not in
//! staging mode (there, password sync is suspended: the configuration and
//! a pending ForceFullPasswordSync are kept until a real start). It starts
//! with a full sync when its source connector's `ForceFullPasswordSync` is
//! set: the saved cursors are discarded first, then the flag is consumed
//! (reset to `"0"`), so a crash in between still runs the full sync.
//! Partitions without a saved cursor (a first start) get a full sync too.

use crate::error::{ConfigError, DriverError};
use crate::model::{ChannelEvent, PasswordSyncStatus, SyncConfiguration, Timestamp};

use super::cursor::CursorStore;
use super::driver::{Clock, Driver, Observer, PartitionSyncRecord};
use super::engine::{ChannelConfig, PartitionStatus, StatusChange};
use super::event::Event;
use super::source::ChangeSource;
use super::transport::Transport;

impl ChannelConfig {
    /// The channel of `source_connector` as configured: its identifier,
    /// its target connector, the tenant's force-change-on-logon feature and
    /// Domain Services settings (legacy credentials only with Domain
    /// Services), Entra Connect's defaults otherwise. `None` when the
    /// source has no password-sync configuration; refuses an unknown or
    /// non-AD source.
    ///
    /// With Domain Services, the host still sets how legacy credentials
    /// leave ([`with_legacy_delivery`](Self::with_legacy_delivery): the
    /// managed domain's certificate, or the clear by choice); the channel
    /// is refused until it does.
    pub fn from_configuration(
        configuration: &SyncConfiguration,
        source_connector: &str,
    ) -> Result<Option<Self>, ConfigError> {
        let Some(channel) = configuration.password_sync(source_connector)? else {
            return Ok(None);
        };
        let tenant = configuration.tenant();
        let identifier = configuration.connector(source_connector)?.identifier();
        let mut config = Self::new(source_connector, channel.target_connector())
            .with_source_connector_id(identifier)
            .with_domain_services(tenant.managed_domain);
        config.scope.force_password_change_on_logon =
            tenant.company_features.force_password_change_on_logon;
        Ok(Some(config))
    }
}

/// How [`Driver::start_configured`] went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelStart {
    /// Started; `full_sync` when ForceFullPasswordSync was set (now consumed).
    Started {
        /// A forced full sync.
        full_sync: bool,
    },
    /// The channel is disabled: nothing runs.
    Disabled,
    /// The server is in staging mode: password sync is suspended; a pending
    /// ForceFullPasswordSync stays pending.
    StagingMode,
}

impl<S, T, C, K, O> Driver<S, T, C, K, O>
where
    S: ChangeSource,
    T: Transport,
    C: CursorStore,
    K: Clock,
    O: Observer,
{
    /// Starts the channel of `source_connector` as `configuration` says,
    /// with `config` (usually [`ChannelConfig::from_configuration`]).
    ///
    /// - The tenant's password hash sync feature off: refused
    ///   ([`ConfigError::PasswordHashSyncNotActivated`]), with the event
    ///   saying so.
    /// - Staging mode: nothing starts ([`ChannelStart::StagingMode`], with
    ///   an event); ForceFullPasswordSync is left as it is.
    /// - Otherwise, when enabled: partitions left InProgress by a crash are
    ///   recorded Interrupted, the recorded partition states are taken
    ///   over, and the channel starts, consuming ForceFullPasswordSync.
    pub fn start_configured(
        &mut self,
        configuration: &mut SyncConfiguration,
        config: ChannelConfig,
        source: S,
    ) -> Result<ChannelStart, DriverError<S::Error, C::Error>> {
        let connector = config.source_connector.clone();
        let connector_id = config.source_connector_id;
        let enabled = configuration
            .password_sync(&connector)
            .map_err(DriverError::Configuration)?
            .is_some_and(|channel| channel.enabled());
        if !enabled {
            return Ok(ChannelStart::Disabled);
        }
        if !configuration.tenant().company_features.password_hash_sync {
            let error = ConfigError::PasswordHashSyncNotActivated {
                connector: connector.clone(),
            };
            self.observer().event(&Event::PasswordHashSyncNotActivated {
                connector,
                connector_id,
                message: error.to_string(),
            });
            return Err(DriverError::Configuration(error));
        }
        if configuration.staging_mode() {
            self.observer().event(&Event::PasswordSyncSuspended {
                connector,
                connector_id,
                reason: ConfigError::StagingModeOn.to_string(),
            });
            return Ok(ChannelStart::StagingMode);
        }
        let now = Timestamp::from_system_time(self.clock().system_time());
        interrupt_running_cycles(configuration, &connector, now)
            .map_err(DriverError::Configuration)?;
        let ad = configuration
            .connector(&connector)
            .map_err(DriverError::Configuration)?;
        let force = ad.force_full_password_sync();
        let partitions: Vec<String> = ad.partitions().iter().map(|p| p.dn().to_owned()).collect();
        for partition in partitions {
            let state = configuration
                .partition_sync_state(&connector, &partition)
                .map_err(DriverError::Configuration)?;
            self.seed_partition_state(PartitionSyncRecord {
                connector: connector.clone(),
                connector_id,
                partition,
                state,
            });
        }
        // Discard the cursors before the flag: a crash between the two
        // still runs the full sync.
        self.start_channel(config, source, force)?;
        configuration
            .consume_force_full_password_sync(&connector)
            .map_err(DriverError::Configuration)?;
        Ok(ChannelStart::Started { full_sync: force })
    }

    /// Applies the configuration's channel events (drains them): a channel
    /// disabled or removed is stopped and removed. Returns the connectors
    /// whose channels were stopped. (A started channel needs its source:
    /// start it with [`Driver::start_configured`].)
    pub fn apply_channel_events(&mut self, configuration: &mut SyncConfiguration) -> Vec<String> {
        let stopped: Vec<String> = configuration
            .drain_events()
            .filter_map(|event| match event {
                ChannelEvent::Stopped {
                    source_connector, ..
                }
                | ChannelEvent::Removed {
                    source_connector, ..
                } => Some(source_connector),
                _ => None,
            })
            .collect();
        stopped
            .into_iter()
            .filter(|connector| self.stop_channel(connector))
            .collect()
    }
}

/// Records a partition status change in the configuration's per-partition
/// sync state at `now`: InProgress begins a cycle, Successful, Failed and
/// Interrupted end it. Refuses an unknown connector or partition. (The
/// driver records states itself; this is for hosts driving a
/// [`Channel`](super::Channel) by hand.)
pub fn record_partition_status(
    configuration: &mut SyncConfiguration,
    connector: &str,
    change: &StatusChange,
    now: Timestamp,
) -> Result<(), ConfigError> {
    let state = configuration.partition_sync_state_mut(connector, &change.partition)?;
    match change.status {
        PartitionStatus::InProgress => {
            state.begin_cycle(now);
            Ok(())
        }
        PartitionStatus::Successful => state.end_cycle(now, PasswordSyncStatus::Successful),
        PartitionStatus::Failed => state.end_cycle(now, PasswordSyncStatus::Failed),
        PartitionStatus::Interrupted => state.end_cycle(now, PasswordSyncStatus::Interrupted),
    }
}

/// Marks every partition of `connector` whose cycle is still in progress
/// as Interrupted (call when a channel starts after a crash or shutdown;
/// [`Driver::start_configured`] does). Returns how many were.
pub fn interrupt_running_cycles(
    configuration: &mut SyncConfiguration,
    connector: &str,
    now: Timestamp,
) -> Result<usize, ConfigError> {
    let partitions: Vec<String> = configuration
        .connector(connector)?
        .partitions()
        .iter()
        .map(|p| p.dn().to_owned())
        .collect();
    let mut interrupted = 0;
    for dn in partitions {
        let state = configuration.partition_sync_state_mut(connector, &dn)?;
        if state.status == PasswordSyncStatus::InProgress {
            state.end_cycle(now, PasswordSyncStatus::Interrupted)?;
            interrupted += 1;
        }
    }
    Ok(interrupted)
}
