//! Entra Connect's object model: connectors, configuration parameters and
//! the password-sync configuration.
//!
//! The tutorial this crate implements is a configuration procedure first:
//! take the AD connector, set [`FORCE_FULL_PASSWORD_SYNC`] on it, save it,
//! then disable and re-enable password sync from it to the Entra ID
//! connector, once per forest. These types let a program do exactly that,
//! with the refusals Entra Connect makes ([`ConfigError`](crate::ConfigError)):
//!
//! ```
//! use hashsync::model::{
//!     ConfigurationParameter, Connector, ConnectorType, FORCE_FULL_PASSWORD_SYNC,
//!     ParameterDataType, ParameterScope, SyncConfiguration,
//! };
//! # let mut config = SyncConfiguration::new();
//! # config.add_or_replace_connector(Connector::new(
//! #     "onprem.contoso.com", ConnectorType::Ad, "onprem.contoso.com")?)?;
//! # config.add_or_replace_connector(Connector::new(
//! #     "contoso.onmicrosoft.com - Microsoft Entra ID", ConnectorType::Waad,
//! #     "contoso.onmicrosoft.com")?)?;
//! let ad_connector = "onprem.contoso.com";
//! let azuread_connector = "contoso.onmicrosoft.com - Microsoft Entra ID";
//!
//! // $c = Get-ADSyncConnector -Name $adConnector
//! let mut c = config.connector(ad_connector)?.clone();
//! // $p = New-Object …ConfigurationParameter "…ForceFullPasswordSync", String, ConnectorGlobal, $null, $null, $null
//! let mut p = ConfigurationParameter::new(
//!     FORCE_FULL_PASSWORD_SYNC,
//!     ParameterDataType::String,
//!     ParameterScope::ConnectorGlobal,
//! )?;
//! p.set_value(1)?; // $p.Value = 1
//! c.global_parameters_mut().remove(p.name()); // $c.GlobalParameters.Remove($p.Name)
//! c.global_parameters_mut().add(p)?; //          $c.GlobalParameters.Add($p)
//! config.add_or_replace_connector(c)?; //        $c = Add-ADSyncConnector -Connector $c
//!
//! // Set-ADSyncAADPasswordSyncConfiguration … -Enable $false, then $true
//! config.set_password_sync(ad_connector, azuread_connector, false)?;
//! config.set_password_sync(ad_connector, azuread_connector, true)?;
//! assert!(config.connector(ad_connector)?.force_full_password_sync());
//! # Ok::<(), hashsync::ConfigError>(())
//! ```

mod collection;
mod connector;
mod encrypted_string;
pub(crate) mod enum_names;
mod global_settings;
mod parameter;
mod parameter_secrets;
mod partition;
mod partition_state;
mod password_sync;
mod service;
mod tenant;

pub use collection::ParameterCollection;
pub use connector::{Connector, ConnectorType, ENTRA_ID_CONNECTOR_ID};
pub use encrypted_string::EncryptedString;
pub use global_settings::GlobalSettings;
pub use parameter::{
    ConfigurationParameter, FORCE_FULL_PASSWORD_SYNC, ParameterDataType, ParameterScope,
    STAGING_MODE,
};
pub use parameter_secrets::{ParameterSecret, ParameterSecrets};
pub use partition::Partition;
pub use partition_state::{PartitionSyncState, PasswordSyncStatus, Timestamp};
pub use password_sync::{ChannelEvent, PasswordSyncConfiguration};
pub use service::SyncConfiguration;
pub use tenant::{CompanyFeatures, ManagedDomainSettings, TenantSettings};
/// Connector identifiers are GUIDs from the `uuid` crate.
pub use uuid::Uuid;
