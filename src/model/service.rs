//! The sync service's configuration: connectors, global and tenant settings,
//! password-sync channels and their per-partition state.

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::ConfigError;
use crate::model::connector::ConnectorIn;
use crate::model::parameter_secrets::ParameterSecret;
use crate::model::{
    ChannelEvent, Connector, ConnectorType, GlobalSettings, ParameterCollection, ParameterSecrets,
    PartitionSyncState, PasswordSyncConfiguration, TenantSettings,
};

/// One partition's state, keyed by connector name and partition DN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartitionStateEntry {
    connector: String,
    partition: String,
    state: PartitionSyncState,
}

/// Everything Entra Connect's sync service knows that password sync needs,
/// with operations that mirror its cmdlets and refuse what it refuses.
///
/// | cmdlet | method |
/// |---|---|
/// | `Get-ADSyncConnector -Name` | [`connector`](Self::connector) |
/// | `Add-ADSyncConnector -Connector` | [`add_or_replace_connector`](Self::add_or_replace_connector) |
/// | `Get-ADSyncAADPasswordSyncConfiguration` | [`password_sync`](Self::password_sync) |
/// | `Set-ADSyncAADPasswordSyncConfiguration` | [`set_password_sync`](Self::set_password_sync) |
/// | `Remove-ADSyncAADPasswordSyncConfiguration` | [`remove_password_sync`](Self::remove_password_sync) |
///
/// Each partition's password-sync state (last cycle, last successful
/// cycle, status) is kept here too: [`partition_sync_state`](Self::partition_sync_state).
///
/// **Channel restarts.** Disabling then enabling a source's password sync
/// (the tutorial's step 3) restarts its channel. The sync engine observes it
/// two ways: the persisted [`PasswordSyncConfiguration::generation`], which
/// grows by one at every start, and the transient [`ChannelEvent`]s returned
/// by [`drain_events`](Self::drain_events). The generation is the durable
/// truth; events are for an engine in the same process.
///
/// **Persistence.** The whole configuration round-trips through serde;
/// `EncryptedString` parameter values are left out, and a host keeps them
/// with [`export_secrets`](Self::export_secrets) and
/// [`import_secrets`](Self::import_secrets). Loading checks every rule the
/// operations check and names the field at fault.
///
/// ```
/// use hashsync::model::{ChannelEvent, Connector, ConnectorType, SyncConfiguration};
/// let mut config = SyncConfiguration::new();
/// config.add_or_replace_connector(Connector::new(
///     "onprem.contoso.com", ConnectorType::Ad, "onprem.contoso.com")?)?;
/// config.add_or_replace_connector(Connector::new(
///     "contoso.onmicrosoft.com - Microsoft Entra ID", ConnectorType::Waad,
///     "contoso.onmicrosoft.com")?)?;
///
/// let aad = "contoso.onmicrosoft.com - Microsoft Entra ID";
/// config.set_password_sync("onprem.contoso.com", aad, false)?;
/// config.set_password_sync("onprem.contoso.com", aad, true)?;
/// assert_eq!(config.password_sync("onprem.contoso.com")?.map(|c| c.generation()), Some(1));
/// assert!(matches!(config.drain_events().next_back(), Some(ChannelEvent::Started { .. })));
///
/// // Connector names are case-sensitive; the error says so.
/// let err = config.connector("Onprem.contoso.com").unwrap_err();
/// assert!(err.to_string().contains("did you mean \"onprem.contoso.com\""));
/// # Ok::<(), hashsync::ConfigError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct SyncConfiguration {
    connectors: Vec<Connector>,
    global_settings: GlobalSettings,
    tenant: TenantSettings,
    password_sync: Vec<PasswordSyncConfiguration>,
    partition_states: Vec<PartitionStateEntry>,
    events: Vec<ChannelEvent>,
}

/// Compares the configuration; pending events are not part of it.
impl PartialEq for SyncConfiguration {
    fn eq(&self, other: &Self) -> bool {
        self.connectors == other.connectors
            && self.global_settings == other.global_settings
            && self.tenant == other.tenant
            && self.password_sync == other.password_sync
            && self.partition_states == other.partition_states
    }
}

impl Eq for SyncConfiguration {}

impl SyncConfiguration {
    /// An empty configuration: no connectors, staging mode off.
    pub fn new() -> Self {
        Self::default()
    }

    /// The connectors, in the order they were added.
    pub fn connectors(&self) -> &[Connector] {
        &self.connectors
    }

    /// The connector named `name` (case-sensitive): `Get-ADSyncConnector -Name`.
    /// Refuses an unknown name, listing the names that exist and pointing
    /// out one that differs only in case.
    pub fn connector(&self, name: &str) -> Result<&Connector, ConfigError> {
        self.find(name).map(|index| &self.connectors[index])
    }

    /// Saves a connector: `Add-ADSyncConnector -Connector`. Replaces the
    /// connector with the same identifier (following a rename into the
    /// password-sync configuration and partition states) or adds a new one;
    /// returns the replaced connector. Refuses a name another connector has,
    /// and a change of type.
    pub fn add_or_replace_connector(
        &mut self,
        connector: Connector,
    ) -> Result<Option<Connector>, ConfigError> {
        if self
            .connectors
            .iter()
            .any(|c| c.name() == connector.name() && c.identifier() != connector.identifier())
        {
            return Err(ConfigError::DuplicateConnectorName {
                name: connector.name().to_owned(),
            });
        }
        let Some(index) = self
            .connectors
            .iter()
            .position(|c| c.identifier() == connector.identifier())
        else {
            self.connectors.push(connector);
            return Ok(None);
        };
        let old = &self.connectors[index];
        if old.connector_type() != connector.connector_type() {
            return Err(ConfigError::ConnectorTypeChanged {
                name: old.name().to_owned(),
                was: old.connector_type(),
                now: connector.connector_type(),
            });
        }
        let old_name = old.name().to_owned();
        if old_name != connector.name() {
            for channel in &mut self.password_sync {
                channel.rename_connector(&old_name, connector.name());
            }
            for entry in &mut self.partition_states {
                if entry.connector == old_name {
                    connector.name().clone_into(&mut entry.connector);
                }
            }
        }
        // A partition the connector no longer has keeps no state.
        self.partition_states.retain(|entry| {
            entry.connector != connector.name() || connector.partition(&entry.partition).is_some()
        });
        Ok(Some(core::mem::replace(
            &mut self.connectors[index],
            connector,
        )))
    }

    /// The sync service's global settings.
    pub fn global_settings(&self) -> &GlobalSettings {
        &self.global_settings
    }

    /// The global settings, to edit.
    pub fn global_settings_mut(&mut self) -> &mut GlobalSettings {
        &mut self.global_settings
    }

    /// Whether the server is in staging mode.
    pub fn staging_mode(&self) -> bool {
        self.global_settings.staging_mode()
    }

    /// The tenant's settings.
    pub fn tenant(&self) -> &TenantSettings {
        &self.tenant
    }

    /// The tenant's settings, to edit.
    pub fn tenant_mut(&mut self) -> &mut TenantSettings {
        &mut self.tenant
    }

    /// Every password-sync channel, one per configured AD connector.
    pub fn password_sync_configurations(&self) -> &[PasswordSyncConfiguration] {
        &self.password_sync
    }

    /// The password-sync configuration of `source`, `None` if it has none:
    /// `Get-ADSyncAADPasswordSyncConfiguration -SourceConnector`. Refuses an
    /// unknown connector and one that is not an AD connector.
    pub fn password_sync(
        &self,
        source: &str,
    ) -> Result<Option<&PasswordSyncConfiguration>, ConfigError> {
        self.check_source(source)?;
        Ok(self
            .password_sync
            .iter()
            .find(|c| c.source_connector() == source))
    }

    /// Configures password sync from `source` to `target`:
    /// `Set-ADSyncAADPasswordSyncConfiguration -SourceConnector -TargetConnector -Enable`.
    ///
    /// Refuses, in this order: an unknown source, a source that is not an
    /// AD connector, an unknown target, a target that is not the Entra ID
    /// connector. Staging mode does not refuse it: the configuration is
    /// saved, and password sync stays suspended until the server leaves
    /// staging mode.
    ///
    /// Enabling a disabled (or new) channel starts it: its generation grows
    /// by one and a [`ChannelEvent::Started`] is queued. Enabling an enabled
    /// channel for the same target changes nothing; a restart needs the
    /// disable in between, as the tutorial does. Enabling it for another
    /// target stops and restarts it. Disabling an enabled channel queues
    /// [`ChannelEvent::Stopped`].
    pub fn set_password_sync(
        &mut self,
        source: &str,
        target: &str,
        enabled: bool,
    ) -> Result<&PasswordSyncConfiguration, ConfigError> {
        let source_index = self.check_source(source)?;
        self.check_target(target)?;
        let force_full_password_sync = self.connectors[source_index].force_full_password_sync();
        let index = match self
            .password_sync
            .iter()
            .position(|c| c.source_connector() == source)
        {
            Some(index) => index,
            None => {
                self.password_sync.push(PasswordSyncConfiguration::new(
                    source.to_owned(),
                    target.to_owned(),
                ));
                self.password_sync.len() - 1
            }
        };
        let channel = &mut self.password_sync[index];
        let was_enabled = channel.enabled();
        let old_target = channel.target_connector().to_owned();
        channel.set_target(target.to_owned());
        if was_enabled && (!enabled || old_target != target) {
            channel.set_enabled(false);
            self.events.push(ChannelEvent::Stopped {
                source_connector: source.to_owned(),
                target_connector: old_target,
            });
        }
        let channel = &mut self.password_sync[index];
        if enabled && !channel.enabled() {
            channel.start();
            self.events.push(ChannelEvent::Started {
                source_connector: source.to_owned(),
                target_connector: target.to_owned(),
                generation: channel.generation(),
                force_full_password_sync,
            });
        }
        Ok(&self.password_sync[index])
    }

    /// Removes the password-sync configuration of `source`, returning it:
    /// `Remove-ADSyncAADPasswordSyncConfiguration -SourceConnector`. Queues
    /// [`ChannelEvent::Removed`] if there was one. Refuses an unknown
    /// connector and one that is not an AD connector.
    pub fn remove_password_sync(
        &mut self,
        source: &str,
    ) -> Result<Option<PasswordSyncConfiguration>, ConfigError> {
        self.check_source(source)?;
        let Some(index) = self
            .password_sync
            .iter()
            .position(|c| c.source_connector() == source)
        else {
            return Ok(None);
        };
        let removed = self.password_sync.remove(index);
        self.events.push(ChannelEvent::Removed {
            source_connector: removed.source_connector().to_owned(),
            target_connector: removed.target_connector().to_owned(),
        });
        Ok(Some(removed))
    }

    /// Takes the channel events queued since the last call, oldest first.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, ChannelEvent> {
        self.events.drain(..)
    }

    /// Reads and clears `source`'s `ForceFullPasswordSync`: returns whether
    /// it was set and leaves it `"0"`. The engine calls this when it begins
    /// the full sync the flag asked for.
    pub fn consume_force_full_password_sync(&mut self, source: &str) -> Result<bool, ConfigError> {
        let index = self.find(source)?;
        let connector = &mut self.connectors[index];
        let was_set = connector.force_full_password_sync();
        if was_set {
            connector.set_force_full_password_sync(false)?;
        }
        Ok(was_set)
    }

    /// The password-sync state of one partition (DN compared ignoring
    /// case); the default state (status None) if no cycle has run. Refuses
    /// an unknown connector or partition.
    pub fn partition_sync_state(
        &self,
        connector: &str,
        partition: &str,
    ) -> Result<PartitionSyncState, ConfigError> {
        let (connector, dn) = self.find_partition(connector, partition)?;
        Ok(self
            .partition_states
            .iter()
            .find(|e| e.connector == connector && e.partition == dn)
            .map(|e| e.state)
            .unwrap_or_default())
    }

    /// The password-sync state of one partition, to record a cycle.
    /// Refuses an unknown connector or partition.
    pub fn partition_sync_state_mut(
        &mut self,
        connector: &str,
        partition: &str,
    ) -> Result<&mut PartitionSyncState, ConfigError> {
        let (connector, dn) = self.find_partition(connector, partition)?;
        let index = match self
            .partition_states
            .iter()
            .position(|e| e.connector == connector && e.partition == dn)
        {
            Some(index) => index,
            None => {
                self.partition_states.push(PartitionStateEntry {
                    connector,
                    partition: dn,
                    state: PartitionSyncState::default(),
                });
                self.partition_states.len() - 1
            }
        };
        Ok(&mut self.partition_states[index].state)
    }

    /// Copies out every `EncryptedString` value, which serialising the
    /// configuration leaves out, for the host's protected store.
    pub fn export_secrets(&self) -> ParameterSecrets {
        let mut secrets = ParameterSecrets::default();
        let mut collect = |connector: Option<&str>, collection: &ParameterCollection| {
            for parameter in collection {
                if let Some(value) = parameter.secret() {
                    secrets.push(ParameterSecret {
                        connector: connector.map(str::to_owned),
                        scope: collection.scope(),
                        name: parameter.name().to_owned(),
                        value: value.clone(),
                    });
                }
            }
        };
        for connector in &self.connectors {
            for collection in connector.collections() {
                collect(Some(connector.name()), collection);
            }
        }
        collect(None, self.global_settings.parameters());
        secrets
    }

    /// Puts exported secrets back into their parameters. Refuses (naming the
    /// entry, `[index]`) an unknown connector or parameter, and a parameter
    /// that is not an `EncryptedString`; entries before the refused one stay
    /// applied.
    pub fn import_secrets(&mut self, secrets: ParameterSecrets) -> Result<(), ConfigError> {
        for (index, secret) in secrets.into_entries().into_iter().enumerate() {
            let field = format!("[{index}]");
            let collection = match &secret.connector {
                Some(name) => {
                    let at = self.find(name).map_err(|e| e.in_field(&field))?;
                    self.connectors[at].parameters_mut(secret.scope)
                }
                None => Some(self.global_settings.parameters_mut())
                    .filter(|c| c.scope() == secret.scope),
            };
            let parameter = collection
                .and_then(|c| c.get_mut(&secret.name))
                .ok_or_else(|| {
                    ConfigError::UnknownParameter {
                        name: secret.name.clone(),
                        scope: secret.scope,
                    }
                    .in_field(&field)
                })?;
            parameter
                .set_secret(secret.value)
                .map_err(|e| e.in_field(&field))?;
        }
        Ok(())
    }

    fn find(&self, name: &str) -> Result<usize, ConfigError> {
        if let Some(index) = self.connectors.iter().position(|c| c.name() == name) {
            return Ok(index);
        }
        let lower = name.to_lowercase();
        Err(ConfigError::UnknownConnector {
            name: name.to_owned(),
            existing: self
                .connectors
                .iter()
                .map(|c| c.name().to_owned())
                .collect(),
            case_only_match: self
                .connectors
                .iter()
                .find(|c| c.name().to_lowercase() == lower)
                .map(|c| c.name().to_owned()),
        })
    }

    fn check_source(&self, source: &str) -> Result<usize, ConfigError> {
        let index = self.find(source)?;
        let found = self.connectors[index].connector_type();
        if found != ConnectorType::Ad {
            return Err(ConfigError::SourceNotAd {
                connector: source.to_owned(),
                found,
            });
        }
        Ok(index)
    }

    fn check_target(&self, target: &str) -> Result<usize, ConfigError> {
        let index = self.find(target)?;
        let found = self.connectors[index].connector_type();
        if !found.is_entra_id() {
            return Err(ConfigError::TargetNotEntraId {
                connector: target.to_owned(),
                found,
            });
        }
        Ok(index)
    }

    /// The connector's name and the partition's DN as the connector spells it.
    fn find_partition(
        &self,
        connector: &str,
        partition: &str,
    ) -> Result<(String, String), ConfigError> {
        let found = self.connector(connector)?;
        match found.partition(partition) {
            Some(p) => Ok((found.name().to_owned(), p.dn().to_owned())),
            None => Err(ConfigError::UnknownPartition {
                connector: connector.to_owned(),
                partition: partition.to_owned(),
                existing: found
                    .partitions()
                    .iter()
                    .map(|p| p.dn().to_owned())
                    .collect(),
            }),
        }
    }
}

#[derive(Serialize)]
struct SyncConfigurationOut<'a> {
    connectors: &'a [Connector],
    global_settings: &'a GlobalSettings,
    tenant: &'a TenantSettings,
    password_sync: &'a [PasswordSyncConfiguration],
    partition_sync_states: &'a [PartitionStateEntry],
}

impl Serialize for SyncConfiguration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SyncConfigurationOut {
            connectors: &self.connectors,
            global_settings: &self.global_settings,
            tenant: &self.tenant,
            password_sync: &self.password_sync,
            partition_sync_states: &self.partition_states,
        }
        .serialize(serializer)
    }
}

/// How a configuration is read; every list may be left out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncConfigurationIn {
    #[serde(default)]
    connectors: Vec<ConnectorIn>,
    #[serde(default)]
    global_settings: GlobalSettings,
    #[serde(default)]
    tenant: TenantSettings,
    #[serde(default)]
    password_sync: Vec<PasswordSyncConfiguration>,
    #[serde(default)]
    partition_sync_states: Vec<PartitionStateEntry>,
}

impl SyncConfigurationIn {
    fn build(self) -> Result<SyncConfiguration, ConfigError> {
        let mut config = SyncConfiguration {
            global_settings: self.global_settings,
            tenant: self.tenant,
            ..SyncConfiguration::default()
        };
        for (index, entry) in self.connectors.into_iter().enumerate() {
            let field = format!("connectors[{index}]");
            let connector = entry.build().map_err(|e| e.in_field(&field))?;
            if config
                .connectors
                .iter()
                .any(|c| c.identifier() == connector.identifier())
            {
                return Err(ConfigError::DuplicateConnectorIdentifier {
                    identifier: connector.identifier(),
                }
                .in_field(&format!("{field}.identifier")));
            }
            config
                .add_or_replace_connector(connector)
                .map_err(|e| e.in_field(&format!("{field}.name")))?;
        }
        for (index, channel) in self.password_sync.into_iter().enumerate() {
            let field = format!("password_sync[{index}]");
            config
                .check_source(channel.source_connector())
                .map_err(|e| e.in_field(&format!("{field}.source_connector")))?;
            config
                .check_target(channel.target_connector())
                .map_err(|e| e.in_field(&format!("{field}.target_connector")))?;
            if config
                .password_sync
                .iter()
                .any(|c| c.source_connector() == channel.source_connector())
            {
                return Err(ConfigError::DuplicatePasswordSync {
                    source_connector: channel.source_connector().to_owned(),
                }
                .in_field(&format!("{field}.source_connector")));
            }
            config.password_sync.push(channel);
        }
        for (index, entry) in self.partition_sync_states.into_iter().enumerate() {
            let field = format!("partition_sync_states[{index}]");
            *config
                .partition_sync_state_mut(&entry.connector, &entry.partition)
                .map_err(|e| e.in_field(&field))? = entry.state;
        }
        Ok(config)
    }
}

impl<'de> Deserialize<'de> for SyncConfiguration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SyncConfigurationIn::deserialize(deserializer)?
            .build()
            .map_err(serde::de::Error::custom)
    }
}
