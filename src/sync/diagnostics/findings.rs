//! The findings of `Invoke-ADSyncDiagnostics -PasswordSync`, as data:
//! tenant, server, each AD connector, each domain.
//!
//! Every check reports, `ok` when nothing is wrong, so a host can show a
//! full checklist; a problem is a `warning` or an `error`, with what to do.

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;

use crate::model::{ConnectorType, PasswordSyncStatus, SyncConfiguration, Timestamp};

use super::super::driver::PartitionSyncRecord;
use super::super::event::Event;
use super::TimedEvent;
use super::object_log::{ObjectLog, ObjectLogStatus};

/// The troubleshooting script wants a heartbeat (654) within 3 hours.
pub const HEARTBEAT_MAX_AGE: Duration = Duration::from_secs(3 * 3600);
/// Errors in a domain within [`PERSISTENT_ERROR_WINDOW`] that make them
/// persistent rather than transient.
pub const PERSISTENT_ERRORS: usize = 5;
/// The window of the persistent-error rule: two hours.
pub const PERSISTENT_ERROR_WINDOW: Duration = Duration::from_secs(2 * 3600);

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum FindingScope {
    /// The Entra tenant.
    Tenant,
    /// This sync server.
    Server,
    /// One AD connector (forest).
    Connector,
    /// One domain (partition) of an AD connector.
    Domain,
}

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum FindingStatus {
    /// Nothing to do.
    Ok,
    /// Passwords may not sync for some accounts, or soon.
    Warning,
    /// Passwords do not sync.
    Error,
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The check's name, e.g. `connector.heartbeat`.
    pub check: &'static str,
    /// What it is about.
    pub scope: FindingScope,
    /// The AD connector, for connector and domain findings.
    pub connector: Option<String>,
    /// How it came out.
    pub status: FindingStatus,
    /// What was found.
    pub message: String,
    /// What to do, in an admin's words (empty when nothing is).
    pub action: String,
}

impl Finding {
    fn new(
        check: &'static str,
        scope: FindingScope,
        connector: Option<&str>,
        status: FindingStatus,
        message: impl Into<String>,
        action: impl Into<String>,
    ) -> Self {
        Self {
            check,
            scope,
            connector: connector.map(str::to_owned),
            status,
            message: message.into(),
            action: action.into(),
        }
    }
}

/// The findings for a server: its `configuration`, the partitions' sync
/// states (`states`, as the driver records them), the recent channel-level
/// `events` with their times, the object log, at `now`.
///
/// Checks, in order: `tenant.password_hash_sync`,
/// `tenant.domain_services`, `server.staging_mode`; per AD connector
/// `connector.password_sync`, `connector.target_connector`,
/// `connector.heartbeat`, `connector.last_cycle`, `connector.retry_queue`,
/// `connector.no_retry`; per domain `domain.last_successful_cycle` and
/// `domain.persistent_errors`.
pub fn diagnose(
    configuration: &SyncConfiguration,
    states: &[PartitionSyncRecord],
    events: &[TimedEvent],
    log: &dyn ObjectLog,
    now: Timestamp,
) -> Vec<Finding> {
    let mut findings = vec![
        tenant_feature(configuration),
        domain_services(configuration),
    ];
    findings.push(staging_mode(configuration));
    let no_retry = no_retry_counts(log);
    for connector in configuration.connectors() {
        if connector.connector_type() != ConnectorType::Ad {
            continue;
        }
        let name = connector.name();
        let enabled = channel_findings(configuration, name, &mut findings);
        let own: Vec<&TimedEvent> = events
            .iter()
            .filter(|e| e.event.connector() == name)
            .collect();
        findings.push(heartbeat(name, enabled, &own, now));
        let records: Vec<&PartitionSyncRecord> =
            states.iter().filter(|r| r.connector == name).collect();
        findings.push(last_cycle(name, &records));
        findings.push(retry_queue(name, &own));
        findings.push(no_retry_finding(
            name,
            no_retry.get(name).copied().unwrap_or(0),
        ));
        for partition in connector.partitions() {
            let record = records.iter().find(|r| r.partition == partition.dn());
            findings.push(last_successful_cycle(name, partition.dn(), record.copied()));
            findings.push(persistent_errors(name, partition.dn(), &own, now));
        }
    }
    findings
}

fn tenant_feature(configuration: &SyncConfiguration) -> Finding {
    if configuration.tenant().company_features.password_hash_sync {
        Finding::new(
            "tenant.password_hash_sync",
            FindingScope::Tenant,
            None,
            FindingStatus::Ok,
            "The tenant's password hash sync feature is on.",
            "",
        )
    } else {
        Finding::new(
            "tenant.password_hash_sync",
            FindingScope::Tenant,
            None,
            FindingStatus::Error,
            "The tenant's password hash sync feature is off: Entra ID refuses every password (\"not activated for this company\").",
            "Turn on password hash synchronization for the tenant (Entra Connect wizard: Customize synchronization options > Optional features), then restart password sync.",
        )
    }
}

fn domain_services(configuration: &SyncConfiguration) -> Finding {
    let check = "tenant.domain_services";
    let ok = |message: &str| {
        Finding::new(
            check,
            FindingScope::Tenant,
            None,
            FindingStatus::Ok,
            message,
            "",
        )
    };
    let Some(managed) = configuration.tenant().managed_domain else {
        return ok(
            "No Domain Services managed domain: only the OrgId hash is synced; no legacy credential (NT hash, Kerberos keys) leaves the server.",
        );
    };
    let warn = |message: &str, action: &str| {
        Finding::new(
            check,
            FindingScope::Tenant,
            None,
            FindingStatus::Warning,
            message,
            action,
        )
    };
    if !managed.sync_on_prem_passwords {
        return warn(
            "Domain Services is on but SyncOnPremPasswords is off: no legacy credential is synced, so on-premises passwords do not work on the managed domain.",
            "Turn on SyncOnPremPasswords for the managed domain if its users sign in with their on-premises passwords, then run the tutorial's script for each forest.",
        );
    }
    if !managed.sync_ntlm_passwords {
        return warn(
            "Domain Services wants legacy credentials, but SyncNtlmPasswords is off: a random NT hash is sent, so NTLM sign-in fails on the managed domain.",
            "Turn on SyncNtlmPasswords if anything on the managed domain signs in with NTLM, then run the tutorial's script for each forest.",
        );
    }
    if !managed.sync_kerberos_passwords {
        return warn(
            "Domain Services wants legacy credentials, but SyncKerberosPasswords is off: no Kerberos key is sent, so Kerberos sign-in fails on the managed domain.",
            "Turn on SyncKerberosPasswords, then run the tutorial's script for each forest.",
        );
    }
    ok(
        "Domain Services wants legacy credentials: the NT hash and the Kerberos keys are synced with the OrgId hash.",
    )
}

fn staging_mode(configuration: &SyncConfiguration) -> Finding {
    if configuration.staging_mode() {
        Finding::new(
            "server.staging_mode",
            FindingScope::Server,
            None,
            FindingStatus::Warning,
            "The server is in staging mode: password sync is temporarily disabled (the configuration and a pending full sync are kept).",
            "If this server should sync passwords, take it out of staging mode (Entra Connect wizard: Configure staging mode); the active server syncs them otherwise.",
        )
    } else {
        Finding::new(
            "server.staging_mode",
            FindingScope::Server,
            None,
            FindingStatus::Ok,
            "The server is not in staging mode.",
            "",
        )
    }
}

/// The channel's configuration and target; returns whether it is enabled.
fn channel_findings(
    configuration: &SyncConfiguration,
    name: &str,
    findings: &mut Vec<Finding>,
) -> bool {
    let channel = configuration.password_sync(name).ok().flatten();
    let connector = Some(name);
    let (status, message, action, enabled) = match channel {
        None => (
            FindingStatus::Error,
            format!("Password sync is not configured for the AD connector {name:?}."),
            format!(
                "Configure it: Set-ADSyncAADPasswordSyncConfiguration -SourceConnector {name:?} -TargetConnector <the Entra ID connector> -Enable $true."
            ),
            false,
        ),
        Some(channel) if !channel.enabled() => (
            FindingStatus::Error,
            format!("Password sync is configured but disabled for the AD connector {name:?}."),
            format!(
                "Enable it: Set-ADSyncAADPasswordSyncConfiguration -SourceConnector {name:?} -TargetConnector {:?} -Enable $true.",
                channel.target_connector()
            ),
            false,
        ),
        Some(channel) => (
            FindingStatus::Ok,
            format!(
                "Password sync is enabled from {name:?} to {:?}.",
                channel.target_connector()
            ),
            String::new(),
            true,
        ),
    };
    findings.push(Finding::new(
        "connector.password_sync",
        FindingScope::Connector,
        connector,
        status,
        message,
        action,
    ));
    let target = match channel {
        None => Finding::new(
            "connector.target_connector",
            FindingScope::Connector,
            connector,
            FindingStatus::Error,
            "No target connector: password sync is not configured.",
            "Configure password sync to the Entra ID connector (see connector.password_sync).",
        ),
        Some(channel) => {
            let target = channel.target_connector();
            match configuration.connector(target) {
                Ok(found) if found.connector_type().is_entra_id() => Finding::new(
                    "connector.target_connector",
                    FindingScope::Connector,
                    connector,
                    FindingStatus::Ok,
                    format!("The target connector {target:?} is the Entra ID connector."),
                    "",
                ),
                Ok(_) => Finding::new(
                    "connector.target_connector",
                    FindingScope::Connector,
                    connector,
                    FindingStatus::Error,
                    format!("The target connector {target:?} is not an Entra ID connector."),
                    "Point password sync at the Entra ID connector (Get-ADSyncConnector lists it, type Extensible2).",
                ),
                Err(_) => Finding::new(
                    "connector.target_connector",
                    FindingScope::Connector,
                    connector,
                    FindingStatus::Error,
                    format!("The target connector {target:?} does not exist."),
                    "Point password sync at the Entra ID connector by its exact (case-sensitive) name.",
                ),
            }
        }
    };
    findings.push(target);
    enabled
}

fn age(now: Timestamp, then: Timestamp) -> Duration {
    Duration::from_millis(now.unix_millis().saturating_sub(then.unix_millis()))
}

fn describe(duration: Duration) -> String {
    let minutes = duration.as_secs() / 60;
    if minutes < 120 {
        format!("{minutes} minutes")
    } else {
        format!("{:.1} hours", duration.as_secs_f64() / 3600.0)
    }
}

fn heartbeat(name: &str, enabled: bool, events: &[&TimedEvent], now: Timestamp) -> Finding {
    let check = "connector.heartbeat";
    let connector = Some(name);
    let last_ping = events
        .iter()
        .rev()
        .find(|e| matches!(e.event, Event::PingCompleted { .. }));
    let first_seen = events.first().map(|e| e.time);
    match (last_ping, first_seen) {
        (Some(ping), _) if age(now, ping.time) <= HEARTBEAT_MAX_AGE => Finding::new(
            check,
            FindingScope::Connector,
            connector,
            FindingStatus::Ok,
            format!("Last heartbeat (654) {} ago.", describe(age(now, ping.time))),
            "",
        ),
        _ if !enabled => Finding::new(
            check,
            FindingScope::Connector,
            connector,
            FindingStatus::Ok,
            "No heartbeat expected: password sync is not running for this connector.",
            "",
        ),
        (None, Some(first)) if age(now, first) <= HEARTBEAT_MAX_AGE => Finding::new(
            check,
            FindingScope::Connector,
            connector,
            FindingStatus::Ok,
            format!(
                "No heartbeat (654) yet; the channel was first seen {} ago (one is due within 3 hours).",
                describe(age(now, first))
            ),
            "",
        ),
        (ping, _) => Finding::new(
            check,
            FindingScope::Connector,
            connector,
            FindingStatus::Error,
            match ping {
                Some(ping) => format!(
                    "No heartbeat (654) for {}: the password sync agent is not running or cannot reach Entra ID.",
                    describe(age(now, ping.time))
                ),
                None => "No heartbeat (654) recorded within 3 hours: the password sync agent is not running or cannot reach Entra ID.".to_owned(),
            },
            "Check that the sync service runs and reaches Entra ID; restart password sync for this connector (disable, then enable it).",
        ),
    }
}

fn last_cycle(name: &str, records: &[&PartitionSyncRecord]) -> Finding {
    let check = "connector.last_cycle";
    let connector = Some(name);
    let failed: Vec<&str> = records
        .iter()
        .filter(|r| r.state.status == PasswordSyncStatus::Failed)
        .map(|r| r.partition.as_str())
        .collect();
    if !failed.is_empty() {
        return Finding::new(
            check,
            FindingScope::Connector,
            connector,
            FindingStatus::Error,
            format!("The last cycle failed in {}.", failed.join("; ")),
            "Look at the domain findings and the source's errors (event 611); fix the domain controller's reachability or the connector account's permissions.",
        );
    }
    if records.is_empty()
        || records
            .iter()
            .all(|r| r.state.status == PasswordSyncStatus::None)
    {
        return Finding::new(
            check,
            FindingScope::Connector,
            connector,
            FindingStatus::Warning,
            "No password sync cycle has run for this connector.",
            "Start password sync for this connector; run the tutorial's script for this forest to force a full sync.",
        );
    }
    if records
        .iter()
        .any(|r| r.state.status == PasswordSyncStatus::Interrupted)
    {
        return Finding::new(
            check,
            FindingScope::Connector,
            connector,
            FindingStatus::Warning,
            "The last cycle was interrupted (a restart or a shutdown); the next cycle resumes it.",
            "Nothing, unless it keeps happening: then look for what stops the sync service.",
        );
    }
    Finding::new(
        check,
        FindingScope::Connector,
        connector,
        FindingStatus::Ok,
        "The last cycle succeeded in every domain.",
        "",
    )
}

fn retry_queue(name: &str, events: &[&TimedEvent]) -> Finding {
    let check = "connector.retry_queue";
    let connector = Some(name);
    let queued = events.iter().rev().find_map(|e| match &e.event {
        Event::CycleCompleted { retrying, .. }
        | Event::PingStarted { retrying, .. }
        | Event::PingCompleted { retrying, .. }
        | Event::ChannelStopped { retrying, .. } => Some(*retrying),
        _ => None,
    });
    let overflows = events
        .iter()
        .filter(|e| matches!(e.event, Event::RetryQueueOverflow { .. }))
        .count();
    let queued = queued.unwrap_or(0);
    if overflows > 0 {
        return Finding::new(
            check,
            FindingScope::Connector,
            connector,
            FindingStatus::Error,
            format!(
                "The retry queue overflowed {overflows} times ({queued} objects queued now): changes that did not fit are read again each cycle, and the domain's cursor does not move."
            ),
            "Find why the target keeps failing (batch errors, event 652; the accounts' history); the queue drains once it answers.",
        );
    }
    if queued > 0 {
        return Finding::new(
            check,
            FindingScope::Connector,
            connector,
            FindingStatus::Warning,
            format!("{queued} objects wait in the retry queue."),
            "Usually transient; if it does not drain, look at those accounts' history for the target's answer.",
        );
    }
    Finding::new(
        check,
        FindingScope::Connector,
        connector,
        FindingStatus::Ok,
        "The retry queue is empty.",
        "",
    )
}

/// Accounts whose latest result is a no-retry, per connector.
fn no_retry_counts(log: &dyn ObjectLog) -> HashMap<String, u64> {
    let mut latest: HashMap<(String, String), ObjectLogStatus> = HashMap::new();
    for entry in log.entries() {
        if entry.status.is_result() {
            latest.insert((entry.connector, entry.source_anchor), entry.status);
        }
    }
    let mut counts = HashMap::new();
    for ((connector, _), status) in latest {
        if status == ObjectLogStatus::NoRetry {
            *counts.entry(connector).or_default() += 1;
        }
    }
    counts
}

fn no_retry_finding(name: &str, count: u64) -> Finding {
    if count == 0 {
        return Finding::new(
            "connector.no_retry",
            FindingScope::Connector,
            Some(name),
            FindingStatus::Ok,
            "No account was refused for good by the target.",
            "",
        );
    }
    Finding::new(
        "connector.no_retry",
        FindingScope::Connector,
        Some(name),
        FindingStatus::Warning,
        format!(
            "{count} accounts were refused for good by the target (no-retry): their passwords are not synced."
        ),
        "Look at each account's history (diagnose --object NAME), fix what the target refuses, then sync it again (diagnose --sync-object NAME) or change its password.",
    )
}

fn last_successful_cycle(
    name: &str,
    partition: &str,
    record: Option<&PartitionSyncRecord>,
) -> Finding {
    let check = "domain.last_successful_cycle";
    match record.and_then(|r| r.state.last_successful_cycle_end) {
        Some(end) => Finding::new(
            check,
            FindingScope::Domain,
            Some(name),
            FindingStatus::Ok,
            format!(
                "{partition}: last successful cycle ended {}.",
                end.to_rfc3339()
            ),
            "",
        ),
        None => Finding::new(
            check,
            FindingScope::Domain,
            Some(name),
            FindingStatus::Warning,
            format!("{partition}: no successful password sync cycle recorded."),
            "Run the tutorial's script for this forest to force a full sync, and watch its progress.",
        ),
    }
}

fn persistent_errors(
    name: &str,
    partition: &str,
    events: &[&TimedEvent],
    now: Timestamp,
) -> Finding {
    let check = "domain.persistent_errors";
    // A failed full-sync read reports 611 and 621 together: one error.
    let mut times: Vec<Timestamp> = events
        .iter()
        .filter(|e| age(now, e.time) <= PERSISTENT_ERROR_WINDOW)
        .filter(|e| match &e.event {
            Event::PartitionFailed { partition: p, .. }
            | Event::DomainFullSyncFailed { partition: p, .. } => p == partition,
            _ => false,
        })
        .map(|e| e.time)
        .collect();
    times.dedup();
    let errors = times.len();
    if errors >= PERSISTENT_ERRORS {
        Finding::new(
            check,
            FindingScope::Domain,
            Some(name),
            FindingStatus::Error,
            format!(
                "{partition}: {errors} errors in the last two hours: the errors are persistent."
            ),
            "Check that a domain controller of this domain is reachable from the sync server and that the connector's account may replicate directory changes.",
        )
    } else if errors > 0 {
        Finding::new(
            check,
            FindingScope::Domain,
            Some(name),
            FindingStatus::Warning,
            format!(
                "{partition}: {errors} errors in the last two hours (transient so far; five make them persistent)."
            ),
            "Watch the domain; if errors keep coming, check the domain controller's reachability.",
        )
    } else {
        Finding::new(
            check,
            FindingScope::Domain,
            Some(name),
            FindingStatus::Ok,
            format!("{partition}: no errors in the last two hours."),
            "",
        )
    }
}
