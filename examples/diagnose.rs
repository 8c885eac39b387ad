//! `Invoke-ADSyncDiagnostics -PasswordSync`, as hashsync's data: runs the
//! Domain Services tutorial (a forced full sync per forest, then a few
//! password changes), then prints the findings, the full syncs' progress
//! and, with `--object` or `--sync-object`, one account's view.
//!
//! ```text
//! cargo run --example diagnose [-- FLAGS]
//! ```
//!
//! Without `--directory` the server has two synthetic forests
//! (`onprem.contoso.com` and `fabrikam.com`, 200 users each, a few out of
//! scope on purpose); with it, the snapshot (the schema of
//! `force_full_sync --directory`). `--fail-rate`, `--no-retry-rate` and
//! `--seed` inject retryable and permanent failures at the target;
//! `--staging-mode` puts the server in staging mode (password sync
//! suspended). `--object NAME` shows one account (by `sAMAccountName`, DN or
//! source anchor); `--sync-object NAME` first syncs it now, on its own,
//! without moving any cursor, then shows it.
//!
//! With `--json`, stdout is one JSON object:
//! `{"findings": [{"check", "scope", "connector", "status", "message",
//! "action"}], "progress": [...], "object": {...}}` (`"object"` only with
//! `--object` or `--sync-object`). Without it, text grouped as the cmdlet
//! groups it: tenant, server, then each connector with its domains.
//! The run's log goes to stderr. Exit codes: 2 for bad flags; 1 for a bad
//! snapshot or an account no forest has.

#[path = "common/cli.rs"]
mod cli;

use std::error::Error;
use std::time::{Duration, Instant};

use cli::{Flags, Spec, fail};

use hashsync::model::{Connector, ConnectorType, Partition, SyncConfiguration};
use hashsync::sync::reference::{
    FaultConfig, FaultInjectingTransport, InMemoryTransport, MemorySourceError, Snapshot,
    SnapshotTenant, SyntheticSource,
};
use hashsync::sync::{
    AccountQuery, AccountView, ChangeSource, ChannelConfig, Clock, Diagnostics,
    DiagnosticsObserver, Driver, Finding, FindingScope, ForestProgress, InMemoryCursorStore,
    InMemoryObjectLog, LegacyDelivery, ObservedSource, SharedClock, VirtualClock, sync_account,
};
use hashsync::{ConfigError, DriverError, Password};

const AD_CONNECTOR: &str = "onprem.contoso.com";
const SECOND_AD_CONNECTOR: &str = "fabrikam.com";
const AZUREAD_CONNECTOR: &str = "contoso.onmicrosoft.com - Microsoft Entra ID";
/// Users per synthetic forest.
const USERS: u64 = 200;
/// Clock time the run may take to settle retries (virtual).
const SETTLE_BUDGET: Duration = Duration::from_secs(3600);

const USAGE: &str =
    "usage: diagnose [--directory FILE] [--fail-rate P] [--no-retry-rate P] [--seed N]
                [--staging-mode] [--object NAME] [--sync-object NAME] [--json]

Runs the Entra Domain Services password-sync tutorial (a forced full sync
per forest, then a few password changes) on a synthetic directory or a
snapshot, then prints what Invoke-ADSyncDiagnostics -PasswordSync would:
findings for the tenant, the server, each connector and domain, with what
to do, and the full syncs' progress.

  --directory FILE     directory snapshot (JSON, as force_full_sync reads)
  --fail-rate P        probability of a retryable failure per item
  --no-retry-rate P    probability of a permanent failure per item
  --seed N             seed of the injected failures (default 0)
  --staging-mode       the server is in staging mode (sync suspended)
  --object NAME        show one account (sAMAccountName, DN or source anchor)
  --sync-object NAME   sync one account now, then show it
  --json               one JSON object on stdout
  --help               show this text";

const SPEC: Spec = Spec {
    usage: USAGE,
    values: &[&[
        "--directory",
        "--fail-rate",
        "--no-retry-rate",
        "--seed",
        "--object",
        "--sync-object",
    ]],
    switches: &["--staging-mode", "--json"],
};

struct Options {
    directory: Option<String>,
    fail_rate: f64,
    no_retry_rate: f64,
    seed: u64,
    staging_mode: bool,
    object: Option<String>,
    sync_object: Option<String>,
    json: bool,
}

fn parse_options(mut flags: Flags) -> Result<Options, String> {
    let options = Options {
        directory: flags.value("--directory")?,
        fail_rate: flags.rate("--fail-rate")?.unwrap_or(0.0),
        no_retry_rate: flags.rate("--no-retry-rate")?.unwrap_or(0.0),
        seed: flags.number("--seed")?.unwrap_or(0),
        staging_mode: flags.switch("--staging-mode"),
        object: flags.value("--object")?,
        sync_object: flags.value("--sync-object")?,
        json: flags.switch("--json"),
    };
    flags.finish()?;
    if options.fail_rate + options.no_retry_rate > 1.0 {
        return Err("--fail-rate and --no-retry-rate add up to more than 1".into());
    }
    if options.fail_rate >= 1.0 {
        return Err("--fail-rate must be below 1: at 1 no item could ever be delivered".into());
    }
    if options.object.is_some() && options.sync_object.is_some() {
        return Err("--object and --sync-object exclude each other".into());
    }
    for (flag, value) in [
        ("--object", &options.object),
        ("--sync-object", &options.sync_object),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(format!("{flag} needs an account name"));
        }
    }
    Ok(options)
}

fn main() {
    let flags = Flags::from_env(&SPEC);
    let options = match parse_options(flags) {
        Ok(options) => options,
        Err(message) => fail(2, message),
    };
    if let Err(e) = run(&options) {
        fail(1, e);
    }
}

type Source = Box<dyn ChangeSource<Error = MemorySourceError>>;

/// One AD forest: its connector, domain and source, and its password changes.
struct Forest {
    connector: String,
    partition: Partition,
    source: Box<dyn Fn() -> Source>,
    apply_changes: Box<dyn Fn() -> Result<usize, MemorySourceError>>,
}

fn synthetic_forest(index: u32, connector: &str, dns: &str) -> Result<Forest, ConfigError> {
    let source = SyntheticSource::new(index, USERS, dns)?;
    let partition = source.partition().clone();
    let changes = source.clone();
    Ok(Forest {
        connector: connector.to_owned(),
        partition,
        source: Box::new(move || Box::new(source.clone())),
        apply_changes: Box::new(move || {
            for i in [10, 20, 30, 40, 50] {
                changes.change_password(i, Password::new(&format!("Changed-{index}-{i}!")))?;
            }
            Ok(5)
        }),
    })
}

fn snapshot_forests(snapshot: Snapshot) -> Vec<Forest> {
    snapshot
        .forests
        .into_iter()
        .map(|forest| {
            let for_changes = forest.clone();
            Forest {
                connector: forest.connector.clone(),
                partition: forest.partition.clone(),
                source: Box::new(move || Box::new(forest.source())),
                apply_changes: Box::new(move || {
                    for_changes.apply_changes()?;
                    Ok(for_changes.changes.len())
                }),
            }
        })
        .collect()
}

/// The tutorial's server: an AD connector per forest, the Entra ID
/// connector, the tenant as given, password sync enabled per forest.
fn configuration(
    forests: &[Forest],
    tenant: &SnapshotTenant,
) -> Result<SyncConfiguration, ConfigError> {
    let mut config = SyncConfiguration::new();
    for forest in forests {
        let mut ad = Connector::new(
            &forest.connector,
            ConnectorType::Ad,
            forest.partition.dns_name(),
        )?;
        ad.add_partition(forest.partition.clone())?;
        config.add_or_replace_connector(ad)?;
    }
    config.add_or_replace_connector(Connector::entra_id(
        AZUREAD_CONNECTOR,
        "contoso.onmicrosoft.com",
    )?)?;
    tenant.apply_to(config.tenant_mut());
    for forest in forests {
        config.set_password_sync(&forest.connector, AZUREAD_CONNECTOR, true)?;
        // The tutorial's step 3: ForceFullPasswordSync = 1, then disable and
        // re-enable password sync.
        let mut connector = config.connector(&forest.connector)?.clone();
        connector.set_force_full_password_sync(true)?;
        config.add_or_replace_connector(connector)?;
        config.set_password_sync(&forest.connector, AZUREAD_CONNECTOR, false)?;
        config.set_password_sync(&forest.connector, AZUREAD_CONNECTOR, true)?;
    }
    config.drain_events().for_each(drop);
    Ok(config)
}

type Target = FaultInjectingTransport<InMemoryTransport>;
type Server = Driver<
    ObservedSource<Source>,
    Target,
    InMemoryCursorStore,
    SharedClock<VirtualClock>,
    DiagnosticsObserver,
>;

fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    let (forests, tenant) = match &options.directory {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let snapshot = Snapshot::from_json(&text).map_err(|e| format!("{path}: {e}"))?;
            let tenant = snapshot.tenant;
            (snapshot_forests(snapshot), tenant)
        }
        None => (
            vec![
                synthetic_forest(0, AD_CONNECTOR, "onprem.contoso.com")?,
                synthetic_forest(1, SECOND_AD_CONNECTOR, "fabrikam.com")?,
            ],
            SnapshotTenant::default(),
        ),
    };
    let mut config = configuration(&forests, &tenant)?;
    if options.staging_mode {
        config.global_settings_mut().set_staging_mode(true)?;
    }

    let clock = SharedClock::new(VirtualClock::new());
    let diagnostics = Diagnostics::new(InMemoryObjectLog::default(), clock.clone());
    let mut faults = FaultConfig::default();
    faults.retry_rate = options.fail_rate;
    faults.no_retry_rate = options.no_retry_rate;
    faults.seed = options.seed;
    let target = FaultInjectingTransport::new(InMemoryTransport::new(), faults);
    let mut server: Server = Driver::with_clock(
        target,
        InMemoryCursorStore::new(),
        clock.clone(),
        diagnostics.observer(),
    );
    server.set_retries_first(true);
    for forest in &forests {
        let Some(channel) = ChannelConfig::from_configuration(&config, &forest.connector)? else {
            continue;
        };
        // The in-memory target is the example's own: the clear is fine.
        let channel = channel.with_legacy_delivery(LegacyDelivery::Plaintext);
        let source = diagnostics.source(&forest.connector, (forest.source)());
        match server.start_configured(&mut config, channel, source) {
            Ok(start) => eprintln!("channel {}: {start:?}", forest.connector),
            // The findings say so (tenant.password_hash_sync).
            Err(DriverError::Configuration(ConfigError::PasswordHashSyncNotActivated {
                ..
            })) => {
                eprintln!(
                    "channel {}: refused, the tenant's password hash sync is off",
                    forest.connector
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    eprintln!("# forced full sync");
    server.run_until_settled(SETTLE_BUDGET)?;
    eprintln!("# password changes, synced incrementally");
    for forest in &forests {
        let changed = (forest.apply_changes)()?;
        eprintln!("forest {}: {changed} password change(s)", forest.connector);
    }
    server.run_until_settled(SETTLE_BUDGET)?;
    server.record_partition_states(&mut config)?;
    let states = server.partition_sync_states().to_vec();
    let (mut target, _cursors, _observer) = server.into_parts();

    let now = clock.clone().now();
    let object = match (&options.object, &options.sync_object) {
        (Some(name), _) => Some(show_object(
            &forests,
            &config,
            &diagnostics,
            &mut target,
            name,
            None,
        )?),
        (None, Some(name)) => Some(show_object(
            &forests,
            &config,
            &diagnostics,
            &mut target,
            name,
            Some(now),
        )?),
        (None, None) => None,
    };
    let findings = diagnostics.findings(&config, &states);
    let progress = diagnostics.progress();
    if options.json {
        let mut out = serde_json::json!({ "findings": findings, "progress": progress });
        if let Some(object) = &object {
            out["object"] = serde_json::to_value(object)?;
        }
        println!("{out}");
    } else {
        print_text(&findings, &progress, object.as_ref());
    }
    Ok(())
}

/// Finds the account in the forests (read now), syncs it if asked, and
/// returns its view.
fn show_object(
    forests: &[Forest],
    config: &SyncConfiguration,
    diagnostics: &Diagnostics,
    target: &mut Target,
    name: &str,
    sync_at: Option<Instant>,
) -> Result<AccountView, Box<dyn Error>> {
    let query = AccountQuery::parse(name);
    for forest in forests {
        let mut source = (forest.source)();
        let Some(account) = source.read_account(&forest.partition, &query)? else {
            continue;
        };
        let channel = ChannelConfig::from_configuration(config, &forest.connector)?
            .unwrap_or_else(|| ChannelConfig::new(&forest.connector, AZUREAD_CONNECTOR))
            .with_legacy_delivery(LegacyDelivery::Plaintext);
        if let Some(now) = sync_at {
            let report = sync_account(
                &channel,
                &mut source,
                target,
                &query,
                now,
                Some(diagnostics),
            )?;
            eprintln!("single-object sync of {name}: {:?}", report.outcome);
        }
        return Ok(diagnostics.account_view(
            &channel.scope,
            &forest.connector,
            &query,
            Some(&account),
        ));
    }
    Err(format!("no account named {name:?} in any forest").into())
}

fn print_text(findings: &[Finding], progress: &[ForestProgress], object: Option<&AccountView>) {
    let line = |f: &Finding| {
        let status = serde_json::to_value(f.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_uppercase))
            .unwrap_or_default();
        println!("  [{status}] {}: {}", f.check, f.message);
        if !f.action.is_empty() {
            println!("      action: {}", f.action);
        }
    };
    println!("Tenant");
    findings
        .iter()
        .filter(|f| f.scope == FindingScope::Tenant)
        .for_each(line);
    println!("Server");
    findings
        .iter()
        .filter(|f| f.scope == FindingScope::Server)
        .for_each(line);
    let mut connectors: Vec<&str> = Vec::new();
    for f in findings {
        if let Some(c) = f.connector.as_deref()
            && !connectors.contains(&c)
        {
            connectors.push(c);
        }
    }
    for connector in connectors {
        println!("AD connector {connector:?}");
        findings
            .iter()
            .filter(|f| {
                f.scope == FindingScope::Connector && f.connector.as_deref() == Some(connector)
            })
            .for_each(line);
        println!("  Domains");
        findings
            .iter()
            .filter(|f| {
                f.scope == FindingScope::Domain && f.connector.as_deref() == Some(connector)
            })
            .for_each(|f| {
                print!("  ");
                line(f);
            });
    }
    println!("Full sync progress");
    for forest in progress {
        println!(
            "  {}: read {}, synced {}, skipped {}, failed {}, in retry queue {}{}",
            forest.connector,
            forest.read,
            forest.synced,
            forest.skipped,
            forest.failed,
            forest.retrying,
            if forest.completed { " (completed)" } else { "" }
        );
        for domain in &forest.domains {
            println!(
                "    {}: read {}/{}, synced {}, skipped {}, failed {}, in retry queue {}, {:.0} s elapsed",
                domain.partition,
                domain.read,
                domain
                    .estimated_total
                    .map_or("?".to_owned(), |t| t.to_string()),
                domain.synced,
                domain.skipped,
                domain.failed,
                domain.retrying,
                domain.elapsed_seconds
            );
        }
    }
    if let Some(view) = object {
        println!("Object {} at {:?}", view.sam_account_name, view.connector);
        println!(
            "  in scope: {}{}",
            view.in_scope,
            view.scope_rule
                .as_deref()
                .map(|r| format!(" (rule {r})"))
                .unwrap_or_default()
        );
        if let Some(change) = &view.last_change {
            println!(
                "  last change read: USN {}, changed {}",
                change.usn,
                change.change_date.as_deref().unwrap_or("(unknown)")
            );
        }
        if let Some(result) = &view.last_result {
            println!(
                "  last result: {} (USN {}, {})",
                result.status.name(),
                result.usn,
                result.time
            );
        }
        println!("  history:");
        for entry in &view.history {
            println!(
                "    {} {} USN {}{}",
                entry.time.to_rfc3339(),
                entry.status.name(),
                entry.usn,
                entry
                    .detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            );
        }
    }
}
