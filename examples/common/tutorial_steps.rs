//! The tutorial's steps 2 and 3 as its PowerShell script runs them,
//! statement by statement, against hashsync's model of Entra Connect.

use hashsync::ConfigError;
use hashsync::model::{
    ConfigurationParameter, FORCE_FULL_PASSWORD_SYNC, ParameterDataType, ParameterScope,
    SyncConfiguration,
};

/// Step 2: the connectors and their types, as the Synchronization Service
/// Manager's Connectors tab shows them.
pub fn list_connectors(config: &SyncConfiguration) {
    let width = config
        .connectors()
        .iter()
        .map(|c| c.name().len())
        .max()
        .unwrap_or(0)
        .max("Name".len());
    eprintln!("{:width$}  Type", "Name");
    for connector in config.connectors() {
        eprintln!(
            "{:width$}  {}",
            connector.name(),
            connector.connector_type().display_name()
        );
    }
}

/// Step 3 for one forest, statement by statement as the tutorial's script.
pub fn configure_forest(
    config: &mut SyncConfiguration,
    ad_connector: &str,
    azuread_connector: &str,
) -> Result<(), ConfigError> {
    eprintln!("$c = Get-ADSyncConnector -Name {ad_connector:?}");
    let mut c = config.connector(ad_connector)?.clone();
    eprintln!(
        "$p = New-Object ...ConfigurationParameter {FORCE_FULL_PASSWORD_SYNC:?}, String, ConnectorGlobal, $null, $null, $null"
    );
    let mut p = ConfigurationParameter::new(
        FORCE_FULL_PASSWORD_SYNC,
        ParameterDataType::String,
        ParameterScope::ConnectorGlobal,
    )?;
    eprintln!("$p.Value = 1");
    p.set_value(1)?;
    eprintln!("$c.GlobalParameters.Remove($p.Name)");
    c.global_parameters_mut().remove(p.name());
    eprintln!("$c.GlobalParameters.Add($p)");
    c.global_parameters_mut().add(p)?;
    eprintln!("$c = Add-ADSyncConnector -Connector $c");
    config.add_or_replace_connector(c)?;
    for enable in [false, true] {
        eprintln!(
            "Set-ADSyncAADPasswordSyncConfiguration -SourceConnector {ad_connector:?} -TargetConnector {azuread_connector:?} -Enable ${enable}"
        );
        config.set_password_sync(ad_connector, azuread_connector, enable)?;
    }
    Ok(())
}

/// The connector's ForceFullPasswordSync value (`unset` when absent).
pub fn force_flag(config: &SyncConfiguration, connector: &str) -> Result<String, ConfigError> {
    Ok(config
        .connector(connector)?
        .global_parameters()
        .get(FORCE_FULL_PASSWORD_SYNC)
        .and_then(|p| p.value())
        .unwrap_or("unset")
        .to_owned())
}
