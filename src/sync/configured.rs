//! Starting channels from Entra Connect's configuration, and recording
//! their partitions' sync state in it.
//!
//! A channel runs when its password-sync configuration is enabled and the
//! server is not in staging mode. It starts with a full sync when its
//! source connector's `ForceFullPasswordSync` is set: the saved cursors are
//! discarded first, then the flag is consumed (reset to `"0"`), so a crash
//! in between still runs the full sync. Partitions without a saved cursor
//! (a first start) get a full sync too.

use crate::error::{ConfigError, DriverError};
use crate::model::{PasswordSyncStatus, SyncConfiguration, Timestamp};

use super::cursor::CursorStore;
use super::driver::{Clock, Driver, Observer};
use super::engine::{ChannelConfig, PartitionStatus, StatusChange};
use super::source::ChangeSource;
use super::transport::Transport;

impl ChannelConfig {
    /// The channel of `source_connector` as configured: its target
    /// connector, the tenant's force-change-on-logon feature and the
    /// managed domain's NTLM setting, Entra Connect's defaults otherwise.
    /// `None` when the source has no password-sync configuration; refuses
    /// an unknown or non-AD source.
    pub fn from_configuration(
        configuration: &SyncConfiguration,
        source_connector: &str,
    ) -> Result<Option<Self>, ConfigError> {
        let Some(channel) = configuration.password_sync(source_connector)? else {
            return Ok(None);
        };
        let tenant = configuration.tenant();
        let mut config = Self::new(source_connector, channel.target_connector());
        config.scope.force_password_change_on_logon =
            tenant.company_features.force_password_change_on_logon;
        config.sync_ntlm_passwords = tenant
            .managed_domain
            .is_none_or(|domain| domain.sync_ntlm_passwords);
        Ok(Some(config))
    }
}

/// How [`Driver::start_configured`] went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelStart {
    /// Started; `full_sync` when ForceFullPasswordSync was set (now consumed).
    Started {
        /// A forced full sync.
        full_sync: bool,
    },
    /// The channel is disabled: nothing runs.
    Disabled,
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
    /// Refuses in staging mode ([`ConfigError::StagingModeOn`]): no password
    /// sync runs there. Consumes the connector's ForceFullPasswordSync.
    pub fn start_configured(
        &mut self,
        configuration: &mut SyncConfiguration,
        config: ChannelConfig,
        source: S,
    ) -> Result<ChannelStart, DriverError<S::Error, C::Error>> {
        if configuration.staging_mode() {
            return Err(DriverError::Configuration(ConfigError::StagingModeOn));
        }
        let connector = config.source_connector.clone();
        let enabled = configuration
            .password_sync(&connector)
            .map_err(DriverError::Configuration)?
            .is_some_and(|channel| channel.enabled());
        if !enabled {
            return Ok(ChannelStart::Disabled);
        }
        let force = configuration
            .connector(&connector)
            .map_err(DriverError::Configuration)?
            .force_full_password_sync();
        // Discard the cursors before the flag: a crash between the two
        // still runs the full sync.
        self.start_channel(config, source, force)?;
        configuration
            .consume_force_full_password_sync(&connector)
            .map_err(DriverError::Configuration)?;
        Ok(ChannelStart::Started { full_sync: force })
    }
}

/// Records a partition status change in the configuration's per-partition
/// sync state at `now`: InProgress begins a cycle, Successful and Failed
/// end it. Refuses an unknown connector or partition.
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
    }
}

/// Marks every partition of `connector` whose cycle is still in progress
/// as Interrupted (call when a channel starts after a crash or shutdown).
/// Returns how many were.
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
