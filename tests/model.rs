//! Entra Connect's object model: the tutorial's script, every refusal, and
//! persistence. Expected names and numbers come from the tutorial and from
//! DESIGN.md §1 (Entra Connect's own enums), not from the code under test.

mod example_binary;

use example_binary::example;
use hashsync::ConfigError;
use hashsync::model::{
    ChannelEvent, ConfigurationParameter, Connector, ConnectorType, EncryptedString,
    FORCE_FULL_PASSWORD_SYNC, ManagedDomainSettings, ParameterCollection, ParameterDataType,
    ParameterScope, ParameterSecrets, Partition, PartitionSyncState, PasswordSyncStatus,
    STAGING_MODE, SyncConfiguration, Timestamp,
};

const AD: &str = "onprem.contoso.com";
const AAD: &str = "contoso.onmicrosoft.com - Microsoft Entra ID";
const FABRIKAM: &str = "fabrikam.com";

fn ad_connector(name: &str, dn: &str) -> Connector {
    let mut c = Connector::new(name, ConnectorType::Ad, name).unwrap();
    c.add_partition(Partition::new(dn, name).unwrap()).unwrap();
    c
}

/// The tutorial's server after the Entra Connect wizard: one AD connector,
/// the Entra ID connector, password hash sync enabled.
fn tutorial_config() -> SyncConfiguration {
    let mut config = SyncConfiguration::new();
    config
        .add_or_replace_connector(ad_connector(AD, "DC=onprem,DC=contoso,DC=com"))
        .unwrap();
    config
        .add_or_replace_connector(
            Connector::new(AAD, ConnectorType::Waad, "contoso.onmicrosoft.com").unwrap(),
        )
        .unwrap();
    config.set_password_sync(AD, AAD, true).unwrap();
    config.drain_events().for_each(drop);
    config
}

/// Step 3 of the tutorial, statement by statement.
fn run_tutorial_script(
    config: &mut SyncConfiguration,
    ad_connector: &str,
    azuread_connector: &str,
) {
    // $c = Get-ADSyncConnector -Name $adConnector
    let mut c = config.connector(ad_connector).unwrap().clone();
    // $p = New-Object ...ConfigurationParameter "Microsoft.Synchronize.ForceFullPasswordSync", String, ConnectorGlobal, $null, $null, $null
    let mut p = ConfigurationParameter::new(
        "Microsoft.Synchronize.ForceFullPasswordSync",
        ParameterDataType::String,
        ParameterScope::ConnectorGlobal,
    )
    .unwrap();
    // $p.Value = 1
    p.set_value(1).unwrap();
    // $c.GlobalParameters.Remove($p.Name); $c.GlobalParameters.Add($p)
    c.global_parameters_mut().remove(p.name());
    c.global_parameters_mut().add(p).unwrap();
    // $c = Add-ADSyncConnector -Connector $c
    config.add_or_replace_connector(c).unwrap();
    // Set-ADSyncAADPasswordSyncConfiguration -SourceConnector $adConnector -TargetConnector $azureadConnector -Enable $false / $true
    config
        .set_password_sync(ad_connector, azuread_connector, false)
        .unwrap();
    config
        .set_password_sync(ad_connector, azuread_connector, true)
        .unwrap();
}

// ---- the script ---------------------------------------------------------

#[test]
fn script_on_one_forest_restarts_the_channel_with_the_flag_set() {
    let mut config = tutorial_config();
    assert_eq!(config.password_sync(AD).unwrap().unwrap().generation(), 1);

    run_tutorial_script(&mut config, AD, AAD);

    let ad = config.connector(AD).unwrap();
    let p = ad
        .global_parameters()
        .get(FORCE_FULL_PASSWORD_SYNC)
        .unwrap();
    assert_eq!(p.value(), Some("1"));
    assert_eq!(p.data_type(), ParameterDataType::String);
    assert_eq!(p.scope(), ParameterScope::ConnectorGlobal);
    assert!(ad.force_full_password_sync());

    let channel = config.password_sync(AD).unwrap().unwrap();
    assert!(channel.enabled());
    assert_eq!(channel.source_connector(), AD);
    assert_eq!(channel.target_connector(), AAD);
    assert_eq!(channel.generation(), 2, "the re-enable is a second start");

    let events: Vec<ChannelEvent> = config.drain_events().collect();
    assert_eq!(
        events,
        vec![
            ChannelEvent::Stopped {
                source_connector: AD.into(),
                target_connector: AAD.into()
            },
            ChannelEvent::Started {
                source_connector: AD.into(),
                target_connector: AAD.into(),
                generation: 2,
                force_full_password_sync: true
            },
        ]
    );
    assert_eq!(config.drain_events().count(), 0, "drained events are gone");

    // The engine consumes the flag once: it reads back "0" afterwards.
    assert!(config.consume_force_full_password_sync(AD).unwrap());
    let ad = config.connector(AD).unwrap();
    assert_eq!(
        ad.global_parameters()
            .get(FORCE_FULL_PASSWORD_SYNC)
            .unwrap()
            .value(),
        Some("0")
    );
    assert!(!ad.force_full_password_sync());
    assert!(!config.consume_force_full_password_sync(AD).unwrap());
}

#[test]
fn script_on_two_forests_restarts_each_channel_once() {
    let mut config = tutorial_config();
    config
        .add_or_replace_connector(ad_connector(FABRIKAM, "DC=fabrikam,DC=com"))
        .unwrap();
    config.set_password_sync(FABRIKAM, AAD, true).unwrap();
    config.drain_events().for_each(drop);

    for forest in [AD, FABRIKAM] {
        run_tutorial_script(&mut config, forest, AAD);
    }

    for forest in [AD, FABRIKAM] {
        assert!(config.connector(forest).unwrap().force_full_password_sync());
        let channel = config.password_sync(forest).unwrap().unwrap();
        assert!(channel.enabled());
        assert_eq!(channel.generation(), 2);
    }
    let starts: Vec<(String, u64)> = config
        .drain_events()
        .filter_map(|e| match e {
            ChannelEvent::Started {
                source_connector,
                generation,
                force_full_password_sync: true,
                ..
            } => Some((source_connector, generation)),
            _ => None,
        })
        .collect();
    assert_eq!(starts, vec![(AD.to_owned(), 2), (FABRIKAM.to_owned(), 2)]);

    // Consuming one forest's flag leaves the other's set.
    assert!(config.consume_force_full_password_sync(AD).unwrap());
    assert!(
        config
            .connector(FABRIKAM)
            .unwrap()
            .force_full_password_sync()
    );
}

#[test]
fn script_replaces_an_existing_flag_of_the_same_name() {
    let mut config = tutorial_config();
    let mut c = config.connector(AD).unwrap().clone();
    c.set_force_full_password_sync(false).unwrap();
    config.add_or_replace_connector(c).unwrap();

    run_tutorial_script(&mut config, AD, AAD);

    let global = config.connector(AD).unwrap().global_parameters().clone();
    assert_eq!(global.len(), 1, "remove-then-add keeps one parameter");
    assert_eq!(
        global.get(FORCE_FULL_PASSWORD_SYNC).unwrap().value(),
        Some("1")
    );
}

#[test]
fn enabling_an_enabled_channel_is_not_a_restart() {
    let mut config = tutorial_config();
    config.set_password_sync(AD, AAD, true).unwrap();
    assert_eq!(config.password_sync(AD).unwrap().unwrap().generation(), 1);
    assert_eq!(config.drain_events().count(), 0);
}

#[test]
fn removing_the_configuration_reports_it() {
    let mut config = tutorial_config();
    let removed = config.remove_password_sync(AD).unwrap().unwrap();
    assert_eq!(removed.target_connector(), AAD);
    assert_eq!(config.password_sync(AD).unwrap(), None);
    assert_eq!(
        config.drain_events().collect::<Vec<_>>(),
        vec![ChannelEvent::Removed {
            source_connector: AD.into(),
            target_connector: AAD.into()
        }]
    );
    assert_eq!(config.remove_password_sync(AD).unwrap(), None);
}

#[test]
fn force_full_password_sync_reads_1_and_true_in_any_case() {
    for (value, expected) in [
        ("1", true),
        ("TRUE", true),
        ("true", true),
        ("True", true),
        ("0", false),
        ("FALSE", false),
        ("yes", false),
        ("", false),
        ("10", false),
    ] {
        let mut c = ad_connector(AD, "DC=onprem,DC=contoso,DC=com");
        let mut p = ConfigurationParameter::new(
            FORCE_FULL_PASSWORD_SYNC,
            ParameterDataType::String,
            ParameterScope::ConnectorGlobal,
        )
        .unwrap();
        p.set_value(value).unwrap();
        c.global_parameters_mut().add(p).unwrap();
        assert_eq!(c.force_full_password_sync(), expected, "value {value:?}");
    }
    let bare = ad_connector(AD, "DC=onprem,DC=contoso,DC=com");
    assert!(!bare.force_full_password_sync(), "absent means not set");
}

#[test]
fn connector_types_have_their_wire_and_display_names() {
    let expected = [
        (ConnectorType::Ad, "AD", "Active Directory Domain Services"),
        (
            ConnectorType::Waad,
            "WAAD",
            "Windows Azure Active Directory (Microsoft)",
        ),
        (ConnectorType::Ecma2, "ECMA2", "Extensible Connectivity 2"),
        (ConnectorType::Gldap, "GLDAP", "Generic LDAP (Microsoft)"),
    ];
    for (t, wire, display) in expected {
        assert_eq!(t.wire_name(), wire);
        assert_eq!(t.display_name(), display);
        assert_eq!(t.to_string(), display);
        assert_eq!(wire.parse::<ConnectorType>().unwrap(), t);
        assert_eq!(display.parse::<ConnectorType>().unwrap(), t);
        assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{wire}\""));
    }
    assert_eq!(ConnectorType::Waad.entra_name(), "Microsoft Entra ID");
    // As Get-ADSyncConnector shows them (DESIGN.md 1).
    assert_eq!(ConnectorType::Ad.entra_connect_type(), "AD");
    assert_eq!(ConnectorType::Ad.subtype(), None);
    assert_eq!(ConnectorType::Waad.entra_connect_type(), "Extensible2");
    assert_eq!(
        ConnectorType::Waad.subtype(),
        Some("Windows Azure Active Directory (Microsoft)")
    );
    assert_eq!(
        "microsoft entra id".parse::<ConnectorType>().unwrap(),
        ConnectorType::Waad
    );
}

#[test]
fn enum_numbers_are_entra_connects() {
    let types = [
        (ParameterDataType::String, 0),
        (ParameterDataType::EncryptedString, 1),
        (ParameterDataType::Label, 2),
        (ParameterDataType::Text, 3),
        (ParameterDataType::DropDown, 4),
        (ParameterDataType::CheckBox, 5),
        (ParameterDataType::Divider, 6),
        (ParameterDataType::File, 7),
    ];
    for (t, n) in types {
        assert_eq!(t.number(), n);
        let read: ParameterDataType = serde_json::from_str(&n.to_string()).unwrap();
        assert_eq!(read, t);
    }
    let scopes = [
        (ParameterScope::ConnectorConnectivity, 0),
        (ParameterScope::ConnectorGlobal, 1),
        (ParameterScope::ConnectorCapability, 2),
        (ParameterScope::ConnectorPartition, 3),
        (ParameterScope::ConnectorRunStep, 4),
        (ParameterScope::SynchronizationGlobal, 5),
        (ParameterScope::ConnectorSchema, 6),
    ];
    for (s, n) in scopes {
        assert_eq!(s.number(), n);
        let read: ParameterScope = serde_json::from_str(&n.to_string()).unwrap();
        assert_eq!(read, s);
    }
    let statuses = [
        (PasswordSyncStatus::None, 0),
        (PasswordSyncStatus::Successful, 1),
        (PasswordSyncStatus::Failed, 2),
        (PasswordSyncStatus::InProgress, 3),
        (PasswordSyncStatus::Interrupted, 4),
    ];
    for (s, n) in statuses {
        assert_eq!(s.number(), n);
        let read: PasswordSyncStatus = serde_json::from_str(&n.to_string()).unwrap();
        assert_eq!(read, s);
    }
}

// ---- refusals, one each -------------------------------------------------

#[test]
fn refuses_unknown_source_connector_listing_existing_names() {
    let mut config = tutorial_config();
    let err = config
        .set_password_sync("corp.contoso.com", AAD, true)
        .unwrap_err();
    assert_eq!(
        err,
        ConfigError::UnknownConnector {
            name: "corp.contoso.com".into(),
            existing: vec![AD.into(), AAD.into()],
            case_only_match: None,
        }
    );
    let text = err.to_string();
    assert!(text.contains("\"onprem.contoso.com\""), "{text}");
    assert!(text.contains(AAD), "{text}");
    assert!(!text.contains("case-sensitive"), "{text}");
}

#[test]
fn refuses_unknown_target_connector() {
    let mut config = tutorial_config();
    let err = config
        .set_password_sync(AD, "contoso.onmicrosoft.com - AAD", true)
        .unwrap_err();
    assert!(matches!(
        err,
        ConfigError::UnknownConnector { ref name, case_only_match: None, .. }
            if name == "contoso.onmicrosoft.com - AAD"
    ));
    // Nothing changed.
    assert_eq!(config.password_sync(AD).unwrap().unwrap().generation(), 1);
}

#[test]
fn case_only_mismatch_is_pointed_out() {
    let mut config = tutorial_config();
    let err = config
        .set_password_sync("OnPrem.Contoso.com", AAD, false)
        .unwrap_err();
    assert_eq!(
        err,
        ConfigError::UnknownConnector {
            name: "OnPrem.Contoso.com".into(),
            existing: vec![AD.into(), AAD.into()],
            case_only_match: Some(AD.into()),
        }
    );
    assert!(err.to_string().contains("case-sensitive"));
    assert!(
        err.to_string()
            .contains("did you mean \"onprem.contoso.com\"")
    );
    let err = config.connector(&AAD.to_uppercase()).unwrap_err();
    assert!(matches!(
        err,
        ConfigError::UnknownConnector { case_only_match: Some(ref m), .. } if m == AAD
    ));
    assert!(
        config.password_sync(AD).unwrap().unwrap().enabled(),
        "unchanged"
    );
}

#[test]
fn refuses_a_source_that_is_not_an_ad_connector() {
    let mut config = tutorial_config();
    let err = config.set_password_sync(AAD, AAD, true).unwrap_err();
    assert_eq!(
        err,
        ConfigError::SourceNotAd {
            connector: AAD.into(),
            found: ConnectorType::Waad
        }
    );
    assert!(matches!(
        config.password_sync(AAD),
        Err(ConfigError::SourceNotAd { .. })
    ));
}

#[test]
fn refuses_a_target_that_is_not_the_entra_id_connector() {
    let mut config = tutorial_config();
    config
        .add_or_replace_connector(
            Connector::new("hr-ldap", ConnectorType::Gldap, "ldap.hr").unwrap(),
        )
        .unwrap();
    let err = config.set_password_sync(AD, "hr-ldap", true).unwrap_err();
    assert_eq!(
        err,
        ConfigError::TargetNotEntraId {
            connector: "hr-ldap".into(),
            found: ConnectorType::Gldap
        }
    );
    let err = config.set_password_sync(AD, AD, true).unwrap_err();
    assert!(matches!(
        err,
        ConfigError::TargetNotEntraId {
            found: ConnectorType::Ad,
            ..
        }
    ));
}

#[test]
fn staging_mode_saves_password_sync_changes() {
    // Staging mode keeps password sync from running; it does not refuse
    // the configuration, so the tutorial's disable-then-enable completes.
    let mut config = tutorial_config();
    config.global_settings_mut().set_staging_mode(true).unwrap();
    assert!(config.staging_mode());
    let generation = config.password_sync(AD).unwrap().unwrap().generation();
    config.set_password_sync(AD, AAD, false).unwrap();
    assert!(!config.password_sync(AD).unwrap().unwrap().enabled());
    config.set_password_sync(AD, AAD, true).unwrap();
    let channel = config.password_sync(AD).unwrap().unwrap();
    assert!(channel.enabled());
    assert_eq!(channel.generation(), generation + 1);
    assert_eq!(config.drain_events().count(), 2, "stopped, then started");
    let p = config
        .global_settings()
        .parameters()
        .get(STAGING_MODE)
        .unwrap();
    assert_eq!(p.value(), Some("True"));
    assert!(ConfigError::StagingModeOn.to_string().contains("suspended"));
}

#[test]
fn refuses_a_second_connector_with_the_same_name() {
    let mut config = tutorial_config();
    let twin = ad_connector(AD, "DC=other,DC=com");
    assert_eq!(
        config.add_or_replace_connector(twin).unwrap_err(),
        ConfigError::DuplicateConnectorName { name: AD.into() }
    );
    // Names differing only in case are distinct names.
    config
        .add_or_replace_connector(ad_connector("ONPREM.CONTOSO.COM", "DC=x"))
        .unwrap();
    assert_eq!(config.connectors().len(), 3);
}

#[test]
fn refuses_changing_a_connectors_type() {
    let mut config = tutorial_config();
    let id = config.connector(AD).unwrap().identifier();
    let retyped = Connector::new(AD, ConnectorType::Ecma2, AD)
        .unwrap()
        .with_identifier(id);
    assert_eq!(
        config.add_or_replace_connector(retyped).unwrap_err(),
        ConfigError::ConnectorTypeChanged {
            name: AD.into(),
            was: ConnectorType::Ad,
            now: ConnectorType::Ecma2
        }
    );
}

#[test]
fn refuses_a_value_that_fails_the_regex_validation() {
    let mut p = ConfigurationParameter::new(
        "Connector.Port",
        ParameterDataType::String,
        ParameterScope::ConnectorConnectivity,
    )
    .unwrap()
    .with_regex_validation("^[0-9]+$")
    .unwrap();
    p.set_value(389).unwrap();
    let err = p.set_value("ldap").unwrap_err();
    assert_eq!(
        err,
        ConfigError::ValueRejected {
            name: "Connector.Port".into(),
            pattern: "^[0-9]+$".into(),
            value: Some("ldap".into())
        }
    );
    assert_eq!(p.value(), Some("389"), "the old value stays");
    // An unanchored pattern matches anywhere, like .NET's Regex.IsMatch.
    let mut q = ConfigurationParameter::new(
        "Name",
        ParameterDataType::String,
        ParameterScope::ConnectorGlobal,
    )
    .unwrap()
    .with_regex_validation("[0-9]")
    .unwrap();
    q.set_value("abc1def").unwrap();
    // A default that fails is refused too.
    assert!(matches!(
        ConfigurationParameter::new(
            "P",
            ParameterDataType::String,
            ParameterScope::ConnectorGlobal
        )
        .unwrap()
        .with_regex_validation("^[01]$")
        .unwrap()
        .with_default_value("2"),
        Err(ConfigError::ValueRejected { .. })
    ));
}

#[test]
fn a_rejected_secret_is_not_shown_in_the_error() {
    let mut p = ConfigurationParameter::new(
        "password",
        ParameterDataType::EncryptedString,
        ParameterScope::ConnectorConnectivity,
    )
    .unwrap()
    .with_regex_validation("^.{12,}$")
    .unwrap();
    let err = p.set_value("hunter2").unwrap_err();
    assert!(matches!(
        err,
        ConfigError::ValueRejected { value: None, .. }
    ));
    assert!(!err.to_string().contains("hunter2"));
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[test]
fn refuses_an_invalid_regex() {
    let err = ConfigurationParameter::new(
        "P",
        ParameterDataType::String,
        ParameterScope::ConnectorGlobal,
    )
    .unwrap()
    .with_regex_validation("([0-9]")
    .unwrap_err();
    assert!(matches!(err, ConfigError::InvalidRegex { ref pattern, .. } if pattern == "([0-9]"));
}

#[test]
fn refuses_a_parameter_of_another_scope() {
    let mut c = ad_connector(AD, "DC=onprem,DC=contoso,DC=com");
    let p = ConfigurationParameter::new(
        FORCE_FULL_PASSWORD_SYNC,
        ParameterDataType::String,
        ParameterScope::ConnectorConnectivity,
    )
    .unwrap();
    let expected = ConfigError::ScopeMismatch {
        name: FORCE_FULL_PASSWORD_SYNC.into(),
        expected: ParameterScope::ConnectorGlobal,
        found: ParameterScope::ConnectorConnectivity,
    };
    assert_eq!(
        c.global_parameters_mut().add(p.clone()).unwrap_err(),
        expected
    );
    assert_eq!(
        c.global_parameters_mut().add_or_replace(p).unwrap_err(),
        expected
    );
    assert!(c.global_parameters().is_empty());
}

#[test]
fn refuses_adding_a_name_already_present() {
    let mut global = ParameterCollection::new(ParameterScope::ConnectorGlobal);
    let p = ConfigurationParameter::new(
        FORCE_FULL_PASSWORD_SYNC,
        ParameterDataType::String,
        ParameterScope::ConnectorGlobal,
    )
    .unwrap();
    global.add(p.clone()).unwrap();
    assert_eq!(
        global.add(p.clone()).unwrap_err(),
        ConfigError::DuplicateParameter {
            name: FORCE_FULL_PASSWORD_SYNC.into(),
            scope: ParameterScope::ConnectorGlobal
        }
    );
    let mut one = p.clone();
    one.set_value("1").unwrap();
    let replaced = global.add_or_replace(one).unwrap().unwrap();
    assert_eq!(replaced.value(), None);
    assert_eq!(global.len(), 1);
    // Keys are case-sensitive, like the .NET collection.
    assert!(
        global
            .get(&FORCE_FULL_PASSWORD_SYNC.to_lowercase())
            .is_none()
    );
}

#[test]
fn refuses_a_secret_for_a_plain_parameter() {
    let mut p = ConfigurationParameter::new(
        "Forest-Login-User",
        ParameterDataType::String,
        ParameterScope::ConnectorConnectivity,
    )
    .unwrap();
    assert_eq!(
        p.set_secret(EncryptedString::new("x")).unwrap_err(),
        ConfigError::NotEncrypted {
            name: "Forest-Login-User".into(),
            data_type: ParameterDataType::String
        }
    );
}

#[test]
fn refuses_empty_names() {
    assert_eq!(
        Connector::new("", ConnectorType::Ad, "x").unwrap_err(),
        ConfigError::Empty {
            what: "connector name"
        }
    );
    assert_eq!(
        ConfigurationParameter::new(
            "",
            ParameterDataType::String,
            ParameterScope::ConnectorGlobal
        )
        .unwrap_err(),
        ConfigError::Empty {
            what: "parameter name"
        }
    );
    assert_eq!(
        Partition::new("", "x").unwrap_err(),
        ConfigError::Empty {
            what: "partition DN"
        }
    );
}

#[test]
fn refuses_a_duplicate_partition_ignoring_case() {
    let mut c = ad_connector(AD, "DC=onprem,DC=contoso,DC=com");
    let err = c
        .add_partition(Partition::new("dc=OnPrem,dc=Contoso,dc=Com", AD).unwrap())
        .unwrap_err();
    assert!(matches!(err, ConfigError::DuplicatePartition { .. }));
}

#[test]
fn refuses_an_unknown_partition() {
    let config = tutorial_config();
    let err = config
        .partition_sync_state(AD, "DC=corp,DC=com")
        .unwrap_err();
    assert_eq!(
        err,
        ConfigError::UnknownPartition {
            connector: AD.into(),
            partition: "DC=corp,DC=com".into(),
            existing: vec!["DC=onprem,DC=contoso,DC=com".into()]
        }
    );
}

#[test]
fn refuses_to_end_a_cycle_not_begun() {
    let mut state = PartitionSyncState::default();
    assert_eq!(
        state
            .end_cycle(
                Timestamp::from_unix_millis(5),
                PasswordSyncStatus::Successful
            )
            .unwrap_err(),
        ConfigError::NoCycleInProgress {
            status: PasswordSyncStatus::None
        }
    );
}

#[test]
fn refuses_to_end_a_cycle_in_progress_or_none() {
    let mut state = PartitionSyncState::default();
    state.begin_cycle(Timestamp::from_unix_millis(1));
    for status in [PasswordSyncStatus::None, PasswordSyncStatus::InProgress] {
        assert_eq!(
            state
                .end_cycle(Timestamp::from_unix_millis(2), status)
                .unwrap_err(),
            ConfigError::InvalidCycleOutcome { status }
        );
    }
}

#[test]
fn refuses_an_unknown_connector_type_name() {
    assert_eq!(
        "ADDS".parse::<ConnectorType>().unwrap_err(),
        ConfigError::UnknownConnectorType {
            value: "ADDS".into()
        }
    );
}

#[test]
fn refuses_importing_a_secret_for_a_missing_parameter() {
    let mut config = tutorial_config();
    let secrets: ParameterSecrets = serde_json::from_str(
        r#"[{"connector": "onprem.contoso.com", "scope": "ConnectorConnectivity",
             "name": "password", "value": "x"}]"#,
    )
    .unwrap();
    let err = config.import_secrets(secrets).unwrap_err();
    assert_eq!(
        err.root_cause(),
        &ConfigError::UnknownParameter {
            name: "password".into(),
            scope: ParameterScope::ConnectorConnectivity
        }
    );
    assert!(err.to_string().starts_with("[0]: "), "{err}");
}

// ---- connectors and state ------------------------------------------------

#[test]
fn a_rename_carries_over_to_the_password_sync_configuration() {
    let mut config = tutorial_config();
    let mut c = config.connector(AD).unwrap().clone();
    c.rename("corp.contoso.com").unwrap();
    config.add_or_replace_connector(c).unwrap();
    assert!(config.connector(AD).is_err());
    let channel = config.password_sync("corp.contoso.com").unwrap().unwrap();
    assert_eq!(channel.source_connector(), "corp.contoso.com");
    assert!(channel.enabled());
}

#[test]
fn partition_state_is_kept_per_connector_and_partition() {
    let mut config = tutorial_config();
    config
        .add_or_replace_connector(ad_connector(FABRIKAM, "DC=fabrikam,DC=com"))
        .unwrap();
    let state = config
        .partition_sync_state_mut(AD, "dc=onprem,dc=contoso,dc=com")
        .unwrap();
    state.begin_cycle(Timestamp::from_unix_millis(1_000));
    state
        .end_cycle(
            Timestamp::from_unix_millis(4_000),
            PasswordSyncStatus::Successful,
        )
        .unwrap();
    state.begin_cycle(Timestamp::from_unix_millis(121_000));
    state
        .end_cycle(
            Timestamp::from_unix_millis(122_000),
            PasswordSyncStatus::Failed,
        )
        .unwrap();

    let state = config
        .partition_sync_state(AD, "DC=onprem,DC=contoso,DC=com")
        .unwrap();
    assert_eq!(state.status, PasswordSyncStatus::Failed);
    assert_eq!(
        state.last_cycle_start,
        Some(Timestamp::from_unix_millis(121_000))
    );
    assert_eq!(
        state.last_cycle_end,
        Some(Timestamp::from_unix_millis(122_000))
    );
    assert_eq!(
        state.last_successful_cycle_start,
        Some(Timestamp::from_unix_millis(1_000))
    );
    assert_eq!(
        state.last_successful_cycle_end,
        Some(Timestamp::from_unix_millis(4_000))
    );
    assert_eq!(
        config
            .partition_sync_state(FABRIKAM, "DC=fabrikam,DC=com")
            .unwrap(),
        PartitionSyncState::default()
    );
}

#[test]
fn timestamps_convert_to_and_from_system_time() {
    let t = Timestamp::from_unix_millis(1_700_000_000_123);
    assert_eq!(Timestamp::from_system_time(t.to_system_time()), t);
    assert_eq!(
        t.to_system_time()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
        1_700_000_000_123
    );
}

// ---- persistence -----------------------------------------------------------

/// A configuration using every data type, every connector collection, the
/// global settings, tenant settings, a channel and a partition state.
fn rich_config() -> SyncConfiguration {
    let mut config = tutorial_config();
    run_tutorial_script(&mut config, AD, AAD);
    let mut c = config.connector(AD).unwrap().clone();
    let kinds = [
        (
            ParameterScope::ConnectorConnectivity,
            ParameterDataType::String,
            "forest-login-user",
            Some("CONTOSO\\MSOL_1"),
        ),
        (
            ParameterScope::ConnectorConnectivity,
            ParameterDataType::EncryptedString,
            "password",
            Some("Adm1n!Secret"),
        ),
        (
            ParameterScope::ConnectorConnectivity,
            ParameterDataType::Label,
            "caption",
            None,
        ),
        (
            ParameterScope::ConnectorCapability,
            ParameterDataType::Text,
            "notes",
            Some("line 1\nline 2"),
        ),
        (
            ParameterScope::ConnectorCapability,
            ParameterDataType::DropDown,
            "mode",
            Some("Paged"),
        ),
        (
            ParameterScope::ConnectorSchema,
            ParameterDataType::CheckBox,
            "sign-and-seal",
            Some("True"),
        ),
        (
            ParameterScope::ConnectorSchema,
            ParameterDataType::Divider,
            "divider",
            None,
        ),
        (
            ParameterScope::ConnectorSchema,
            ParameterDataType::File,
            "schema.xml",
            Some("<schema/>"),
        ),
    ];
    for (scope, data_type, name, value) in kinds {
        let mut p = ConfigurationParameter::new(name, data_type, scope)
            .unwrap()
            .with_description(format!("{data_type} parameter"));
        if let Some(value) = value {
            p.set_value(value).unwrap();
        }
        c.parameters_mut(scope).unwrap().add(p).unwrap();
    }
    let port = ConfigurationParameter::new(
        "port",
        ParameterDataType::String,
        ParameterScope::ConnectorConnectivity,
    )
    .unwrap()
    .with_regex_validation("^[0-9]+$")
    .unwrap()
    .with_default_value("389")
    .unwrap();
    c.connectivity_parameters_mut().add(port).unwrap();
    c.add_partition(
        Partition::new(
            "DC=child,DC=onprem,DC=contoso,DC=com",
            "child.onprem.contoso.com",
        )
        .unwrap()
        .with_selected(false),
    )
    .unwrap();
    config.add_or_replace_connector(c).unwrap();
    config
        .global_settings_mut()
        .set_staging_mode(false)
        .unwrap();
    let tenant = config.tenant_mut();
    tenant.company_features.password_hash_sync = true;
    tenant.company_features.force_password_change_on_logon = true;
    tenant.managed_domain = Some({
        let mut settings = ManagedDomainSettings::default();
        settings.sync_ntlm_passwords = false;
        settings
    });
    let state = config
        .partition_sync_state_mut(AD, "DC=onprem,DC=contoso,DC=com")
        .unwrap();
    state.begin_cycle(Timestamp::from_unix_millis(1_700_000_000_000));
    config.drain_events().for_each(drop);
    config
}

#[test]
fn serde_round_trip_keeps_everything_but_secrets() {
    let config = rich_config();
    let json = serde_json::to_string_pretty(&config).unwrap();

    assert!(!json.contains("Adm1n!Secret"), "a secret was serialised");
    assert!(
        !format!("{config:?}").contains("Adm1n!Secret"),
        "Debug shows a secret"
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ad = &value["connectors"][0];
    assert_eq!(ad["connector_type"], "AD");
    assert_eq!(value["connectors"][1]["connector_type"], "WAAD");
    assert_eq!(ad["global_parameters"][0]["name"], FORCE_FULL_PASSWORD_SYNC);
    assert_eq!(ad["global_parameters"][0]["data_type"], "String");
    assert_eq!(ad["global_parameters"][0]["scope"], "ConnectorGlobal");
    assert_eq!(ad["global_parameters"][0]["value"], "1");
    assert_eq!(
        ad["connectivity_parameters"][1]["data_type"],
        "EncryptedString"
    );
    assert!(ad["connectivity_parameters"][1].get("value").is_none());
    assert_eq!(value["password_sync"][0]["generation"], 2);
    assert_eq!(
        value["partition_sync_states"][0]["state"]["status"],
        "InProgress"
    );

    let mut loaded: SyncConfiguration = serde_json::from_str(&json).unwrap();
    assert_ne!(loaded, config, "the secret is missing until imported");
    let password = loaded
        .connector(AD)
        .unwrap()
        .connectivity_parameters()
        .get("password")
        .unwrap();
    assert!(!password.has_value());

    // The host keeps secrets on purpose, elsewhere.
    let vault = serde_json::to_string(&config.export_secrets()).unwrap();
    assert!(vault.contains("Adm1n!Secret"));
    loaded
        .import_secrets(serde_json::from_str(&vault).unwrap())
        .unwrap();
    assert_eq!(loaded, config);
    assert_eq!(
        loaded
            .connector(AD)
            .unwrap()
            .connectivity_parameters()
            .get("password")
            .unwrap()
            .secret()
            .unwrap()
            .expose_secret(),
        "Adm1n!Secret"
    );
    // And a second round trip writes the same text.
    assert_eq!(serde_json::to_string_pretty(&loaded).unwrap(), json);
}

#[test]
fn a_hand_written_configuration_loads() {
    let json = r#"{
      "connectors": [
        {
          "name": "onprem.contoso.com",
          "connector_type": "Active Directory Domain Services",
          "forest_or_tenant": "onprem.contoso.com",
          "partitions": [ { "dn": "DC=onprem,DC=contoso,DC=com", "dns_name": "onprem.contoso.com" } ],
          "global_parameters": [
            { "name": "Microsoft.Synchronize.ForceFullPasswordSync", "value": 1 }
          ]
        },
        {
          "identifier": "5b2e5a43-a1f1-4c0c-9e0e-6d9c0c1d2e3f",
          "name": "contoso.onmicrosoft.com - Microsoft Entra ID",
          "connector_type": "Microsoft Entra ID",
          "forest_or_tenant": "contoso.onmicrosoft.com"
        }
      ],
      "global_settings": {
        "parameters": [ { "name": "Microsoft.Synchronize.StagingMode", "value": false } ]
      },
      "tenant": {
        "company_features": { "password_hash_sync": true },
        "managed_domain": { "sync_kerberos_passwords": false }
      },
      "password_sync": [
        { "source_connector": "onprem.contoso.com",
          "target_connector": "contoso.onmicrosoft.com - Microsoft Entra ID",
          "enabled": true }
      ]
    }"#;
    let mut config: SyncConfiguration = serde_json::from_str(json).unwrap();

    let ad = config.connector(AD).unwrap();
    assert_eq!(ad.connector_type(), ConnectorType::Ad);
    assert!(ad.force_full_password_sync());
    let flag = ad
        .global_parameters()
        .get(FORCE_FULL_PASSWORD_SYNC)
        .unwrap();
    assert_eq!(flag.value(), Some("1"));
    assert_eq!(flag.data_type(), ParameterDataType::String);
    assert_eq!(flag.scope(), ParameterScope::ConnectorGlobal);
    assert!(ad.partitions()[0].selected());
    let aad = config.connector(AAD).unwrap();
    assert_eq!(aad.connector_type(), ConnectorType::Waad);
    assert_eq!(
        aad.identifier().to_string(),
        "5b2e5a43-a1f1-4c0c-9e0e-6d9c0c1d2e3f"
    );
    assert!(!config.staging_mode());
    assert!(config.tenant().company_features.password_hash_sync);
    assert!(
        !config
            .tenant()
            .company_features
            .force_password_change_on_logon
    );
    let domain = config.tenant().managed_domain.unwrap();
    assert!(domain.sync_ntlm_passwords, "defaults to on");
    assert!(!domain.sync_kerberos_passwords);
    assert!(config.password_sync(AD).unwrap().unwrap().enabled());

    // The tutorial's restart works on a loaded configuration.
    config.set_password_sync(AD, AAD, false).unwrap();
    config.set_password_sync(AD, AAD, true).unwrap();
    assert!(matches!(
        config.drain_events().next_back(),
        Some(ChannelEvent::Started {
            generation: 1,
            force_full_password_sync: true,
            ..
        })
    ));
}

/// Loads `json`, expecting a data error whose message names `field`.
fn load_error(json: &str, field: &str) -> String {
    let err = serde_json::from_str::<SyncConfiguration>(json).unwrap_err();
    assert_eq!(err.classify(), serde_json::error::Category::Data, "{err}");
    let text = err.to_string();
    assert!(text.contains(field), "{text:?} does not name {field:?}");
    text
}

#[test]
fn malformed_json_names_the_field() {
    // A misspelt connector type.
    load_error(
        r#"{"connectors": [{"name": "x", "connector_type": "ADDS"}]}"#,
        "connector_type",
    );
    // A misspelt field.
    load_error(
        r#"{"connectors": [{"name": "x", "connector_type": "AD", "partitons": []}]}"#,
        "partitons",
    );
    // A missing field.
    load_error(r#"{"connectors": [{"connector_type": "AD"}]}"#, "name");
    // A parameter in the wrong collection.
    load_error(
        r#"{"connectors": [{"name": "x", "connector_type": "AD",
            "global_parameters": [{"name": "p", "scope": "ConnectorConnectivity"}]}]}"#,
        "connectors[0].global_parameters[0].scope",
    );
    // A value the parameter's validation rejects.
    load_error(
        r#"{"connectors": [{"name": "x", "connector_type": "AD",
            "connectivity_parameters": [{"name": "port", "regex_validation": "^[0-9]+$", "value": "ldap"}]}]}"#,
        "connectors[0].connectivity_parameters[0].value",
    );
    // A wrong data type name.
    load_error(
        r#"{"connectors": [{"name": "x", "connector_type": "AD",
            "schema_parameters": [{"name": "p", "data_type": "Bool"}]}]}"#,
        "data_type",
    );
    // Two connectors with one name.
    load_error(
        r#"{"connectors": [{"name": "x", "connector_type": "AD"}, {"name": "x", "connector_type": "AD"}]}"#,
        "connectors[1].name",
    );
}

#[test]
fn malformed_partition_state_names_the_field() {
    let text = load_error(
        r#"{"connectors": [{"name": "a", "connector_type": "AD",
              "partitions": [{"dn": "DC=a,DC=com"}]}],
            "partition_sync_states": [{"connector": "a", "partition": "DC=b,DC=com",
              "state": {"status": "Successful"}}]}"#,
        "partition_sync_states[0]",
    );
    assert!(text.contains("DC=b,DC=com"), "{text}");
    load_error(
        r#"{"connectors": [{"name": "a", "connector_type": "AD",
              "partitions": [{"dn": "DC=a,DC=com"}]}],
            "partition_sync_states": [{"connector": "a", "partition": "DC=a,DC=com",
              "state": {"status": "Done"}}]}"#,
        "status",
    );
}

#[test]
fn a_secret_written_in_a_configuration_file_loads_as_a_secret() {
    let json = r#"{"connectors": [{"name": "a", "connector_type": "AD",
        "connectivity_parameters": [
          {"name": "password", "data_type": "EncryptedString", "value": "Adm1n!Secret"}]}]}"#;
    let config: SyncConfiguration = serde_json::from_str(json).unwrap();
    let p = config
        .connector("a")
        .unwrap()
        .connectivity_parameters()
        .get("password")
        .unwrap();
    assert_eq!(p.value(), None);
    assert_eq!(p.secret().unwrap().expose_secret(), "Adm1n!Secret");
    assert!(!serde_json::to_string(&config).unwrap().contains("Adm1n"));
    let secrets = config.export_secrets();
    assert_eq!(secrets.len(), 1);
    assert!(!format!("{secrets:?}").contains("Adm1n"));
}

#[test]
fn malformed_password_sync_names_the_field_and_the_case_mismatch() {
    let text = load_error(
        r#"{"connectors": [
              {"name": "onprem.contoso.com", "connector_type": "AD"},
              {"name": "contoso.onmicrosoft.com - Microsoft Entra ID", "connector_type": "WAAD"}],
            "password_sync": [{"source_connector": "onprem.contoso.com",
               "target_connector": "Contoso.onmicrosoft.com - Microsoft Entra ID", "enabled": true}]}"#,
        "password_sync[0].target_connector",
    );
    assert!(text.contains("did you mean"), "{text}");
    load_error(
        r#"{"connectors": [{"name": "a", "connector_type": "WAAD"}],
            "password_sync": [{"source_connector": "a", "target_connector": "a", "enabled": true}]}"#,
        "password_sync[0].source_connector",
    );
    load_error(
        r#"{"connectors": [{"name": "a", "connector_type": "AD"}],
            "password_sync": [{"source_connector": "a", "target_connector": "a", "enabeld": true}]}"#,
        "enabeld",
    );
}

// ---- the force_full_sync example -------------------------------------------

#[test]
fn example_lists_the_connectors_and_prints_the_configured_json() {
    let out = std::process::Command::new(example("force_full_sync"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // Step 2: each connector with the type the tutorial names.
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with(AD) && l.ends_with("Active Directory Domain Services")),
        "{stderr}"
    );
    assert!(
        stderr.lines().any(
            |l| l.starts_with(AAD) && l.ends_with("Windows Azure Active Directory (Microsoft)")
        ),
        "{stderr}"
    );
    // Step 3's result, read back through the library.
    let config: SyncConfiguration = serde_json::from_slice(&out.stdout).unwrap();
    let ad = config.connector(AD).unwrap();
    assert_eq!(
        ad.global_parameters()
            .get(FORCE_FULL_PASSWORD_SYNC)
            .unwrap()
            .value(),
        Some("1")
    );
    let channel = config.password_sync(AD).unwrap().unwrap();
    assert!(channel.enabled());
    assert_eq!(channel.target_connector(), AAD);
    assert_eq!(channel.generation(), 2);
}

#[test]
fn example_refuses_an_unknown_flag_with_exit_code_2() {
    let out = std::process::Command::new(example("force_full_sync"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn the_entra_id_connector_has_its_fixed_identifier() {
    let aad = Connector::new(AAD, ConnectorType::Waad, "contoso.onmicrosoft.com").unwrap();
    assert_eq!(
        aad.identifier(),
        "b891884f-051e-4a83-95af-2544101c9083"
            .parse::<hashsync::model::Uuid>()
            .unwrap()
    );
    assert_eq!(
        Connector::entra_id(AAD, "contoso.onmicrosoft.com")
            .unwrap()
            .identifier(),
        aad.identifier()
    );
    // A file without an identifier gets the fixed one for the Entra ID
    // connector and a fresh one for an AD connector.
    let read: Connector = serde_json::from_value(serde_json::json!({
        "name": AAD, "connector_type": "WAAD"
    }))
    .unwrap();
    assert_eq!(read.identifier(), aad.identifier());
    let a: Connector =
        serde_json::from_value(serde_json::json!({"name": AD, "connector_type": "AD"})).unwrap();
    let b: Connector =
        serde_json::from_value(serde_json::json!({"name": AD, "connector_type": "AD"})).unwrap();
    assert_ne!(a.identifier(), b.identifier());
    assert_ne!(a.identifier(), aad.identifier());
}
