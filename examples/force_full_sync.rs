//! The tutorial "Enable password synchronization in Microsoft Entra Domain
//! Services for hybrid environments", steps 2 and 3, against hashsync's
//! model of Entra Connect.
//!
//! ```text
//! cargo run --example force_full_sync [-- --config FILE]
//! ```
//!
//! Without `--config` it builds the tutorial's server: the AD connector
//! `onprem.contoso.com` and the Entra ID connector
//! `contoso.onmicrosoft.com - Microsoft Entra ID`, password hash sync on.
//! With `--config FILE` it loads a configuration saved as JSON.
//!
//! Step 2 lists the connectors with their types; step 3 runs the
//! tutorial's PowerShell script once per AD forest. The listing and the
//! script's log go to stderr; the resulting configuration goes to stdout as
//! JSON, so it can be piped or saved. Bad arguments: a one-line error on
//! stderr and exit code 2; a refused configuration: exit code 1.

#[path = "common/cli.rs"]
mod cli;

use std::error::Error;

use cli::{Flags, fail};

use hashsync::model::{
    ConfigurationParameter, Connector, ConnectorType, FORCE_FULL_PASSWORD_SYNC,
    ManagedDomainSettings, ParameterDataType, ParameterScope, Partition, SyncConfiguration, Uuid,
};
use hashsync::{ChannelEvent, ConfigError};

/// The tutorial's connector names (case-sensitive, as the script warns).
const AD_CONNECTOR: &str = "onprem.contoso.com";
const AZUREAD_CONNECTOR: &str = "contoso.onmicrosoft.com - Microsoft Entra ID";

/// Fixed identifiers, so two runs print the same configuration.
const AD_CONNECTOR_ID: Uuid = Uuid::from_u128(0x6d1e5c0a_4f3b_4b8e_9a61_0c0a5e1d2a01);
const AZUREAD_CONNECTOR_ID: Uuid = Uuid::from_u128(0xb7a2f4c9_1e2d_4c6b_8f3a_5d9e0b7c3a02);

const USAGE: &str = "usage: force_full_sync [--config FILE]

Runs steps 2 and 3 of the Entra Domain Services password-sync tutorial:
lists the connectors, then sets ForceFullPasswordSync on each AD connector
and disables/re-enables its password sync. Prints the resulting
configuration as JSON on stdout.

  --config FILE   load the configuration from FILE (JSON) instead of
                  building the tutorial's two connectors
  --help          show this text";

/// The tutorial's server as the Entra Connect wizard leaves it: one forest,
/// the Entra ID connector, password hash sync enabled, Domain Services on.
fn tutorial_configuration() -> Result<SyncConfiguration, ConfigError> {
    let mut config = SyncConfiguration::new();
    let mut ad = Connector::new(AD_CONNECTOR, ConnectorType::Ad, "onprem.contoso.com")?
        .with_identifier(AD_CONNECTOR_ID);
    ad.add_partition(Partition::new(
        "DC=onprem,DC=contoso,DC=com",
        "onprem.contoso.com",
    )?)?;
    config.add_or_replace_connector(ad)?;
    config.add_or_replace_connector(
        Connector::new(
            AZUREAD_CONNECTOR,
            ConnectorType::Waad,
            "contoso.onmicrosoft.com",
        )?
        .with_identifier(AZUREAD_CONNECTOR_ID),
    )?;
    let tenant = config.tenant_mut();
    tenant.company_features.password_hash_sync = true;
    tenant.managed_domain = Some(ManagedDomainSettings::default());
    config.set_password_sync(AD_CONNECTOR, AZUREAD_CONNECTOR, true)?;
    config.drain_events().for_each(drop);
    Ok(config)
}

/// Step 2: the connectors and their types, as the Synchronization Service
/// Manager's Connectors tab shows them.
fn list_connectors(config: &SyncConfiguration) {
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

/// Step 3 for one forest, statement by statement as the tutorial's script:
/// set `ForceFullPasswordSync` on the AD connector, save it, then disable
/// and re-enable password sync from it to the Entra ID connector.
///
/// The channel restart is left in the configuration's event queue
/// ([`SyncConfiguration::drain_events`]) and its generation counter, for
/// the caller (or a sync engine) to act on.
fn configure_forest(
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

/// The forests the script runs on (tutorial step 4: once per AD forest),
/// each with the Entra ID connector its password sync targets.
fn forests(config: &SyncConfiguration) -> Result<Vec<(String, String)>, Box<dyn Error>> {
    let entra: Vec<&Connector> = config
        .connectors()
        .iter()
        .filter(|c| c.connector_type().is_entra_id())
        .collect();
    let mut forests = Vec::new();
    for ad in config
        .connectors()
        .iter()
        .filter(|c| c.connector_type() == ConnectorType::Ad)
    {
        let target = match config.password_sync(ad.name())? {
            Some(channel) => channel.target_connector().to_owned(),
            None => match entra.as_slice() {
                [only] => only.name().to_owned(),
                _ => {
                    return Err(format!(
                        "connector {:?} has no password sync and there is not exactly one Entra ID connector",
                        ad.name()
                    )
                    .into());
                }
            },
        };
        forests.push((ad.name().to_owned(), target));
    }
    Ok(forests)
}

fn main() {
    let mut flags = Flags::from_env();
    if flags.switch("--help") {
        println!("{USAGE}");
        return;
    }
    let config_path = match flags.value("--config").and_then(|path| {
        flags.finish()?;
        Ok(path)
    }) {
        Ok(path) => path,
        Err(message) => fail(2, message),
    };
    if let Err(e) = run(config_path.as_deref()) {
        fail(1, e);
    }
}

fn run(config_path: Option<&str>) -> Result<(), Box<dyn Error>> {
    let mut config = match config_path {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?
        }
        None => tutorial_configuration()?,
    };

    eprintln!("# Step 2: the connectors");
    list_connectors(&config);

    eprintln!("\n# Step 3: force a full password sync, per forest");
    for (ad, azuread) in forests(&config)? {
        configure_forest(&mut config, &ad, &azuread)?;
        for event in config.drain_events() {
            match event {
                ChannelEvent::Started {
                    source_connector,
                    generation,
                    force_full_password_sync,
                    ..
                } => eprintln!(
                    "  -> channel {source_connector:?} restarted (generation {generation}), full sync requested: {force_full_password_sync}"
                ),
                ChannelEvent::Stopped {
                    source_connector, ..
                } => eprintln!("  -> channel {source_connector:?} stopped"),
                other => eprintln!("  -> {other:?}"),
            }
        }
    }

    println!("{}", serde_json::to_string_pretty(&config)?);
    Ok(())
}
