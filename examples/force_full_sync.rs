//! The tutorial "Enable password synchronization in Microsoft Entra Domain
//! Services for hybrid environments", end to end, against hashsync's model
//! of Entra Connect and its sync engine.
//!
//! ```text
//! cargo run --example force_full_sync [-- FLAGS]
//! ```
//!
//! Without flags it builds a server with two AD forests (connectors
//! `onprem.contoso.com` and `fabrikam.com`, 200 synthetic users each) and
//! the Entra ID connector `contoso.onmicrosoft.com - Microsoft Entra ID`,
//! then runs the tutorial: step 2 lists the connectors; step 3 sets
//! `ForceFullPasswordSync` on each AD connector and disables/re-enables its
//! password sync; the restarted channels then run the forced full sync
//! (progress per forest and domain), consume the flag, and a few password
//! changes follow by incremental sync; a summary ends the run.
//!
//! Progress and the script's log go to stderr; stdout gets the
//! configuration as step 3 saved it (JSON), so it can be piped or kept.
//! Retry backoff runs on a virtual clock, so the demo never waits.
//!
//! Flags:
//! - `--config FILE`: load the configuration (JSON) instead of building it;
//! - `--directory FILE`: the directory snapshot (JSON) to sync, one forest
//!   per AD connector (see `hashsync::sync::reference::Snapshot`);
//! - `--synthetic N`: generate N users per forest instead (streamed);
//! - `--out FILE`: write every accepted update as a JSON line;
//! - `--managed-domain-cert FILE`: seal every update's legacy credentials
//!   to the managed domain's certificate (DER or PEM) before delivery; the
//!   `--out` lines then carry the base64 envelopes as
//!   `"windows_legacy_credentials"` and `"windows_supplemental_credentials"`,
//!   with `"nt_hash": null` and `"kerberos_keys": []`;
//! - `--managed-domain-key FILE` (with the certificate): open every
//!   envelope again with the managed domain's private key, check it against
//!   the update and report in the summary;
//! - `--null-transport`: accept and drop every update;
//! - `--events FILE`: write every event as a JSON line: `"id"` is Entra
//!   Connect's event id or `null` for the crate's own events, `"kind"` names
//!   the event, `"connector_id"` is the AD connector's identifier;
//! - `--fail-rate P`, `--no-retry-rate P`, `--seed N`: inject retryable and
//!   permanent failures per item, seeded;
//! - `--crash-after-batches K`: drop the engine and driver after K batches
//!   (the batch after them is sent, its results lost) and restart from the
//!   persisted cursors and configuration, until done;
//! - `--staging-mode`: the server is in staging mode: the tutorial's script
//!   runs to its end and saves the configuration, but password sync is
//!   suspended (nothing read or delivered; ForceFullPasswordSync stays "1");
//! - `--selective-phs exclude|include`: selective password hash sync by
//!   `adminDescription` (`PHSFiltered` out, or only `PHSIncluded` in);
//! - `--simulate-hours H`: after the tutorial's run, keep the 2-minute cycle
//!   going for H hours on the virtual clock with no changes: the events file
//!   then holds the heartbeat pings (653/654) every 30 minutes.
//!
//! Sync runs in Entra Connect's 2-minute cycles on a virtual clock; items
//! the target keeps failing wait in the retry queue for later cycles. A
//! target that keeps failing for 10 cycles, or in 3 cycles in a row lets no
//! item through (`--out /dev/full`), ends the run
//! with exit 1, naming the failure and how many items are still queued.
//!
//! Exit codes: 2 for bad flags, 1 for a refused configuration (the tenant's
//! password hash sync off, …), a target that keeps failing, or a bad
//! snapshot (one line naming the account and the field; nothing delivered).

#[path = "common/cli.rs"]
mod cli;
#[path = "common/managed_domain.rs"]
mod managed_domain;
#[path = "common/secret_file.rs"]
mod secret_file;
#[path = "common/sync_progress.rs"]
mod sync_progress;
#[path = "common/tutorial_steps.rs"]
mod tutorial_steps;

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Duration;

use cli::{Flags, Spec, fail};
use sync_progress::Progress;
use tutorial_steps::{configure_forest, force_flag, list_connectors};

use hashsync::model::{Connector, ConnectorType, Partition, STAGING_MODE, SyncConfiguration, Uuid};
use hashsync::sync::reference::{
    FaultConfig, FaultInjectingTransport, ForestSnapshot, InMemoryTransport, JsonLinesTransport,
    MemorySourceError, NullTransport, Snapshot, SnapshotTenant, SyntheticSource,
};
use hashsync::sync::{
    Batch, CYCLE_INTERVAL, ChangeSource, ChannelConfig, ChannelStart, Clock, Driver,
    InMemoryCursorStore, ItemResult, LegacyDelivery, RunOutcome, SelectivePasswordHashSync,
    Transport, VirtualClock,
};
// The full syncs' progress lines (rate, ETA) come from the diagnostics record.
use hashsync::sync::{Diagnostics, InMemoryObjectLog, SharedClock};
use hashsync::{ChannelEvent, ConfigError, DriverError, Password};

/// The tutorial's connector names (case-sensitive, as the script warns).
const AD_CONNECTOR: &str = "onprem.contoso.com";
const SECOND_AD_CONNECTOR: &str = "fabrikam.com";
const AZUREAD_CONNECTOR: &str = "contoso.onmicrosoft.com - Microsoft Entra ID";

/// Fixed identifiers, so two runs print the same configuration (the Entra
/// ID connector's is Entra Connect's own).
const AD_CONNECTOR_ID: Uuid = Uuid::from_u128(0x6d1e5c0a_4f3b_4b8e_9a61_0c0a5e1d2a01);

/// Users per synthetic forest without `--synthetic`.
const DEFAULT_USERS: u64 = 200;

const USAGE: &str = "usage: force_full_sync [--config FILE] [--directory FILE | --synthetic N]
                       [--out FILE | --null-transport] [--events FILE]
                       [--managed-domain-cert FILE [--managed-domain-key FILE]]
                       [--fail-rate P] [--no-retry-rate P] [--seed N]
                       [--crash-after-batches K] [--staging-mode]
                       [--selective-phs exclude|include] [--simulate-hours H]

Runs the Entra Domain Services password-sync tutorial end to end: lists the
connectors, sets ForceFullPasswordSync on each AD connector and
disables/re-enables its password sync, runs the forced full sync, then
incremental sync of a few password changes, and prints a summary. Prints
the configuration as step 3 saved it as JSON on stdout.

  --config FILE             load the configuration (JSON) instead of building it
  --directory FILE          directory snapshot (JSON) to sync
  --synthetic N             generate N users per forest (default 200)
  --out FILE                write accepted updates as JSON lines
  --null-transport          accept and drop every update
  --managed-domain-cert FILE  seal legacy credentials to this certificate
  --managed-domain-key FILE   open the envelopes again with this key (summary)
  --events FILE             write events as JSON lines
  --fail-rate P             probability of a retryable failure per item
  --no-retry-rate P         probability of a permanent failure per item
  --seed N                  seed of the injected failures (default 0)
  --crash-after-batches K   crash and restart after every K batches
  --staging-mode            the server is in staging mode (sync suspended)
  --selective-phs MODE      selective password hash sync: exclude or include
  --simulate-hours H        then run H idle hours of cycles (heartbeats)
  --help                    show this text";

const SPEC: Spec = Spec {
    usage: USAGE,
    values: &[&[
        "--config",
        "--directory",
        "--synthetic",
        "--out",
        "--events",
        "--fail-rate",
        "--no-retry-rate",
        "--seed",
        "--crash-after-batches",
        "--selective-phs",
        "--simulate-hours",
        "--managed-domain-cert",
        "--managed-domain-key",
    ]],
    switches: &["--null-transport", "--staging-mode"],
};

/// The most idle hours to simulate: a year of cycles.
const MAX_SIMULATE_HOURS: u64 = 24 * 366;

/// A run gives up on a target that keeps failing after this many 2-minute
/// cycles with items still queued for a retry (20 minutes of virtual time)…
const GIVE_UP_AFTER_CYCLES: u32 = 10;
/// …or after this many cycles in a row in which no item got a final result.
const GIVE_UP_WITHOUT_PROGRESS: u32 = 3;

/// The most users a synthetic forest may have: a billion accounts is far
/// beyond any AD forest, and keeps every USN and count far from overflow.
const MAX_SYNTHETIC_USERS: u64 = 1_000_000_000;
/// The most batches before a simulated crash: more than any run delivers.
const MAX_CRASH_AFTER_BATCHES: u64 = 1_000_000_000;

struct Options {
    config: Option<String>,
    directory: Option<String>,
    synthetic: Option<u64>,
    out: Option<String>,
    null_transport: bool,
    events: Option<String>,
    fail_rate: f64,
    no_retry_rate: f64,
    seed: u64,
    crash_after_batches: Option<u64>,
    staging_mode: bool,
    selective_phs: SelectivePasswordHashSync,
    simulate_hours: Option<u64>,
    managed_domain_cert: Option<String>,
    managed_domain_key: Option<String>,
}

fn parse_options(mut flags: Flags) -> Result<Options, String> {
    let options = Options {
        config: flags.value("--config")?,
        directory: flags.value("--directory")?,
        synthetic: flags.number_in("--synthetic", 0, MAX_SYNTHETIC_USERS)?,
        out: flags.value("--out")?,
        null_transport: flags.switch("--null-transport"),
        events: flags.value("--events")?,
        fail_rate: flags.rate("--fail-rate")?.unwrap_or(0.0),
        no_retry_rate: flags.rate("--no-retry-rate")?.unwrap_or(0.0),
        seed: flags.number("--seed")?.unwrap_or(0),
        crash_after_batches: flags.number_in(
            "--crash-after-batches",
            1,
            MAX_CRASH_AFTER_BATCHES,
        )?,
        staging_mode: flags.switch("--staging-mode"),
        selective_phs: match flags.value("--selective-phs")?.as_deref() {
            None => SelectivePasswordHashSync::Off,
            Some("exclude") => SelectivePasswordHashSync::Exclude,
            Some("include") => SelectivePasswordHashSync::Include,
            Some(other) => {
                return Err(format!(
                    "--selective-phs must be exclude or include, got {other:?}"
                ));
            }
        },
        simulate_hours: flags.number_in("--simulate-hours", 0, MAX_SIMULATE_HOURS)?,
        managed_domain_cert: flags.value("--managed-domain-cert")?,
        managed_domain_key: flags.value("--managed-domain-key")?,
    };
    flags.finish()?;
    if options.fail_rate + options.no_retry_rate > 1.0 {
        return Err("--fail-rate and --no-retry-rate add up to more than 1".into());
    }
    if options.fail_rate >= 1.0 {
        return Err("--fail-rate must be below 1: at 1 no item could ever be delivered".into());
    }
    if options.directory.is_some() && options.synthetic.is_some() {
        return Err("--directory and --synthetic exclude each other".into());
    }
    if options.managed_domain_key.is_some() && options.managed_domain_cert.is_none() {
        return Err("--managed-domain-key needs --managed-domain-cert".into());
    }
    if options.out.is_some() && options.null_transport {
        return Err("--out and --null-transport exclude each other".into());
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

/// One AD forest's directory: a loaded snapshot or a synthetic generator.
enum Directory {
    Snapshot(ForestSnapshot),
    Synthetic(SyntheticSource),
}

struct Forest {
    connector: String,
    /// Accounts in the directory (for the progress interval).
    users: u64,
    dns_domain: String,
    partition_dn: String,
    directory: Directory,
}

impl Forest {
    fn source(&self) -> Box<dyn ChangeSource<Error = MemorySourceError>> {
        match &self.directory {
            Directory::Snapshot(snapshot) => Box::new(snapshot.source()),
            Directory::Synthetic(source) => Box::new(source.clone()),
        }
    }

    /// The password changes incremental sync carries: the snapshot's, or
    /// five generated ones.
    fn apply_changes(&self, forest_index: usize) -> Result<usize, Box<dyn Error>> {
        match &self.directory {
            Directory::Snapshot(snapshot) => {
                snapshot.apply_changes()?;
                Ok(snapshot.changes.len())
            }
            Directory::Synthetic(source) => {
                let picks: Vec<u64> = [10, 20, 30, 40, 50]
                    .into_iter()
                    .filter(|i| *i < source.users())
                    .collect();
                for index in &picks {
                    let password = format!("Changed-{forest_index}-{index}!");
                    source.change_password(*index, Password::new(&password))?;
                }
                Ok(picks.len())
            }
        }
    }
}

fn synthetic_forest(
    index: usize,
    connector: &str,
    dns_domain: &str,
    users: u64,
) -> Result<Forest, Box<dyn Error>> {
    let source = SyntheticSource::new(index as u32, users, dns_domain)?;
    Ok(Forest {
        connector: connector.to_owned(),
        users,
        dns_domain: dns_domain.to_owned(),
        partition_dn: source.partition().dn().to_owned(),
        directory: Directory::Synthetic(source),
    })
}

/// The tutorial's server as the Entra Connect wizard leaves it: one AD
/// connector per forest, the Entra ID connector (with its fixed
/// identifier), and the tenant as the snapshot describes it (by default:
/// password hash sync on, Domain Services on).
fn tutorial_configuration(
    forests: &[Forest],
    tenant_settings: &SnapshotTenant,
) -> Result<SyncConfiguration, ConfigError> {
    let mut config = SyncConfiguration::new();
    for (i, forest) in forests.iter().enumerate() {
        let mut ad = Connector::new(&forest.connector, ConnectorType::Ad, &forest.dns_domain)?;
        if i == 0 {
            ad = ad.with_identifier(AD_CONNECTOR_ID);
        } else {
            ad = ad.with_identifier(Uuid::from_u128(AD_CONNECTOR_ID.as_u128() + i as u128));
        }
        ad.add_partition(Partition::new(&forest.partition_dn, &forest.dns_domain)?)?;
        config.add_or_replace_connector(ad)?;
    }
    config.add_or_replace_connector(Connector::entra_id(
        AZUREAD_CONNECTOR,
        "contoso.onmicrosoft.com",
    )?)?;
    tenant_settings.apply_to(config.tenant_mut());
    for forest in forests {
        config.set_password_sync(&forest.connector, AZUREAD_CONNECTOR, true)?;
    }
    config.drain_events().for_each(drop);
    Ok(config)
}

/// Where accepted updates go.
enum Target {
    Null(NullTransport),
    /// Delivered NT hashes and keys: a private file, renamed into place
    /// once the run is done.
    Lines(JsonLinesTransport<BufWriter<secret_file::SecretFile>>, u64),
    Memory(InMemoryTransport),
}

impl Target {
    fn delivered(&self) -> u64 {
        match self {
            Self::Null(null) => null.updates(),
            Self::Lines(_, lines) => *lines,
            Self::Memory(memory) => memory.log().len() as u64,
        }
    }
}

impl Transport for Target {
    type Error = std::io::Error;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, std::io::Error> {
        match self {
            Self::Null(null) => Ok(null.send(batch).unwrap_or_else(|never| match never {})),
            Self::Lines(lines, count) => {
                let results = lines.send(batch)?;
                *count += batch.updates.len() as u64;
                Ok(results)
            }
            Self::Memory(memory) => Ok(memory.send(batch).unwrap_or_else(|never| match never {})),
        }
    }
}

/// Where accepted updates go. With a managed domain certificate the
/// channels seal every update; the delivery checks that none arrives
/// unsealed (and, with the key, opens each again) before the target.
struct Delivery {
    target: Target,
    managed_domain: Option<managed_domain::ManagedDomain>,
    /// The tenant sends real NT hashes (SyncNtlmPasswords on).
    real_nt_hashes: bool,
}

impl Transport for Delivery {
    type Error = std::io::Error;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, std::io::Error> {
        if let Some(domain) = &mut self.managed_domain {
            domain.check(batch, self.real_nt_hashes)?;
        }
        self.target.send(batch)
    }
}

/// What survives a crash (the configuration and cursors, "on disk"; the
/// target and the logs) and the counters for the summary.
struct Server<'a> {
    options: &'a Options,
    forests: &'a [Forest],
    saved_config: String,
    target: Delivery,
    cursors: InMemoryCursorStore,
    progress: Progress,
    /// The virtual clock every driver (and the progress) runs on.
    clock: SharedClock<VirtualClock>,
    restarts: u64,
    batches: u64,
    /// Password sync is suspended by staging mode.
    suspended: bool,
}

impl Server<'_> {
    /// Runs 2-minute cycles until every channel settles, crashing and
    /// restarting after every `--crash-after-batches` batches: each restart
    /// reloads the saved configuration and builds a new engine and driver.
    /// Gives up when the target keeps failing ([`GIVE_UP_AFTER_CYCLES`],
    /// [`GIVE_UP_WITHOUT_PROGRESS`]). With `idle_for`, keeps cycling that long instead (no
    /// changes: heartbeats).
    fn run_cycles(&mut self, idle_for: Option<Duration>) -> Result<(), Box<dyn Error>> {
        loop {
            let mut config: SyncConfiguration = serde_json::from_str(&self.saved_config)?;
            let mut faults = FaultConfig::default();
            faults.retry_rate = self.options.fail_rate;
            faults.no_retry_rate = self.options.no_retry_rate;
            faults.seed = self.options.seed.wrapping_add(self.restarts);
            // Plaintext delivery lines unless --managed-domain-cert.
            let legacy_delivery = match &self.target.managed_domain {
                Some(domain) => domain.delivery(),
                None => LegacyDelivery::Plaintext,
            };
            let transport = FaultInjectingTransport::new(&mut self.target, faults);
            let diagnostics = self.progress.diagnostics.clone();
            let mut driver = Driver::with_clock(
                transport,
                &mut self.cursors,
                self.clock.clone(),
                &mut self.progress,
            );
            // K batches complete; the next one is sent and its results are
            // lost with the engine: the harshest point to crash at.
            driver.set_batch_limit(self.options.crash_after_batches.map(|k| k + 1));
            // Retries wait for the next 2-minute cycle, as in Entra Connect.
            let mut started = 0;
            for (i, forest) in self.forests.iter().enumerate() {
                let Some(mut channel) =
                    ChannelConfig::from_configuration(&config, &forest.connector)?
                else {
                    eprintln!("forest {}: no password sync configured", forest.connector);
                    continue;
                };
                channel.seed = self.options.seed ^ (i as u64) ^ (self.restarts << 8);
                // About ten progress lines per domain.
                channel.progress_interval = (forest.users / 10).max(100);
                channel.scope.selective = self.options.selective_phs;
                channel.legacy_delivery = Some(legacy_delivery.clone());
                let start = driver
                    .start_configured(
                        &mut config,
                        channel,
                        diagnostics.source(&forest.connector, forest.source()),
                    )
                    .map_err(|e| match e {
                        // The refusal in the service's words, on one line.
                        DriverError::Configuration(refused) => refused.to_string(),
                        other => other.to_string(),
                    })?;
                match start {
                    ChannelStart::Started { full_sync } => {
                        started += 1;
                        if full_sync {
                            eprintln!(
                                "forest {}: channel started; ForceFullPasswordSync consumed (now {:?})",
                                forest.connector,
                                force_flag(&config, &forest.connector)?
                            );
                        }
                    }
                    ChannelStart::StagingMode => self.suspended = true,
                    _ => eprintln!("forest {}: password sync disabled", forest.connector),
                }
            }
            let mut cycles = 0;
            let outcome = if started == 0 {
                RunOutcome::Settled
            } else if let Some(hours) = idle_for {
                let now = driver.clock().now();
                driver.run_until(now + hours)?
            } else {
                // 2-minute cycles until settled, or until the target has
                // failed for long enough.
                let mut without_progress = 0;
                loop {
                    let start = driver.clock().now();
                    let finals = driver.observer().final_results;
                    let outcome = driver.run_cycle()?;
                    cycles += 1;
                    if driver.observer().final_results == finals {
                        without_progress += 1;
                    } else {
                        without_progress = 0;
                    }
                    let RunOutcome::Retrying { .. } = outcome else {
                        break outcome;
                    };
                    if cycles == GIVE_UP_AFTER_CYCLES
                        || without_progress == GIVE_UP_WITHOUT_PROGRESS
                    {
                        break outcome;
                    }
                    driver.clock().sleep_until(start + CYCLE_INTERVAL);
                }
            };
            self.batches += driver.batches_sent();
            driver.record_partition_states(&mut config)?;
            drop(driver);
            self.saved_config = serde_json::to_string(&config)?;
            if let Some(e) = self.progress.write_error.take() {
                return Err(format!("cannot write events: {e}").into());
            }
            match outcome {
                RunOutcome::Interrupted => {
                    self.restarts += 1;
                    eprintln!(
                        "-- crash after {} batches; restarting from the saved cursors and configuration",
                        self.options.crash_after_batches.unwrap_or(0)
                    );
                }
                RunOutcome::Retrying { queued } if idle_for.is_none() => {
                    let failure = self
                        .progress
                        .target_error
                        .clone()
                        .unwrap_or_else(|| "it keeps asking for retries".to_owned());
                    return Err(format!(
                        "the target {AZUREAD_CONNECTOR:?} keeps failing ({failure}); gave up after {cycles} sync cycle(s) ({} minutes) with {queued} item(s) still queued for a retry",
                        u64::from(cycles) * CYCLE_INTERVAL.as_secs() / 60
                    )
                    .into());
                }
                _ => return Ok(()),
            }
        }
    }
}

fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    // The certificate and key first, with the directory: nothing is
    // configured or delivered if either is unusable.
    let managed_domain = match &options.managed_domain_cert {
        Some(cert) => Some(managed_domain::ManagedDomain::load(
            cert,
            options.managed_domain_key.as_deref(),
        )?),
        None => None,
    };
    // The directory first: a bad snapshot fails before anything is
    // configured, written or delivered.
    let snapshot = match &options.directory {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            Some(Snapshot::from_json(&text).map_err(|e| format!("{path}: {e}"))?)
        }
        None => None,
    };
    let users = options.synthetic.unwrap_or(DEFAULT_USERS);
    let (mut config, forests) = match (&options.config, snapshot) {
        (Some(path), snapshot) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let config: SyncConfiguration =
                serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
            let forests = match snapshot {
                Some(snapshot) => snapshot_forests(snapshot),
                None => config
                    .connectors()
                    .iter()
                    .filter(|c| c.connector_type() == ConnectorType::Ad)
                    .enumerate()
                    .map(|(i, c)| {
                        let dns = c
                            .partitions()
                            .first()
                            .map_or(c.forest_or_tenant(), |p| p.dns_name());
                        synthetic_forest(i, c.name(), dns, users)
                    })
                    .collect::<Result<_, _>>()?,
            };
            (config, forests)
        }
        (None, Some(snapshot)) => {
            let tenant = snapshot.tenant;
            let forests = snapshot_forests(snapshot);
            let config = tutorial_configuration(&forests, &tenant)?;
            (config, forests)
        }
        (None, None) => {
            let forests = vec![
                synthetic_forest(0, AD_CONNECTOR, "onprem.contoso.com", users)?,
                synthetic_forest(1, SECOND_AD_CONNECTOR, "fabrikam.com", users)?,
            ];
            (
                tutorial_configuration(&forests, &SnapshotTenant::default())?,
                forests,
            )
        }
    };

    if options.staging_mode {
        config.global_settings_mut().set_staging_mode(true)?;
    }

    eprintln!("# Step 2: the connectors");
    list_connectors(&config);

    eprintln!("\n# Step 3: force a full password sync, per forest");
    for forest in &forests {
        let target = match config.password_sync(&forest.connector)? {
            Some(channel) => channel.target_connector().to_owned(),
            None => AZUREAD_CONNECTOR.to_owned(),
        };
        configure_forest(&mut config, &forest.connector, &target)?;
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
                } => {
                    eprintln!("  -> channel {source_connector:?} stopped")
                }
                other => eprintln!("  -> {other:?}"),
            }
        }
    }
    println!("{}", serde_json::to_string_pretty(&config)?);

    let target = match (&options.out, options.null_transport) {
        (_, true) => Target::Null(NullTransport::new()),
        (Some(path), false) => {
            let file = BufWriter::new(
                secret_file::SecretFile::create(path)
                    .map_err(|e| format!("cannot create {path}: {e}"))?,
            );
            // Sealed updates (--managed-domain-cert) are written sealed.
            Target::Lines(JsonLinesTransport::plaintext(file), 0)
        }
        (None, false) => Target::Memory(InMemoryTransport::new()),
    };
    let events = match &options.events {
        Some(path) => Some(BufWriter::new(
            File::create(path).map_err(|e| format!("cannot create {path}: {e}"))?,
        )),
        None => None,
    };
    let clock = SharedClock::new(VirtualClock::new());
    let mut server = Server {
        options,
        forests: &forests,
        saved_config: serde_json::to_string(&config)?,
        target: Delivery {
            target,
            managed_domain,
            real_nt_hashes: config
                .tenant()
                .managed_domain
                .is_none_or(|settings| settings.sync_ntlm_passwords),
        },
        cursors: InMemoryCursorStore::new(),
        progress: Progress {
            events,
            write_error: None,
            totals: Vec::new(),
            retries: 0,
            no_retry: 0,
            overflows: 0,
            target_error: None,
            final_results: 0,
            diagnostics: Diagnostics::new(InMemoryObjectLog::default(), clock.clone()),
        },
        clock,
        restarts: 0,
        batches: 0,
        suspended: false,
    };

    eprintln!("\n# The restarted channels: forced full sync");
    server.run_cycles(None)?;

    eprintln!("\n# Password changes, synced incrementally");
    for (i, forest) in forests.iter().enumerate() {
        let changed = forest.apply_changes(i)?;
        eprintln!("forest {}: {changed} password change(s)", forest.connector);
    }
    server.run_cycles(None)?;
    if let Some(hours) = options.simulate_hours {
        eprintln!("\n# {hours} idle hour(s) of 2-minute cycles (virtual clock)");
        server.run_cycles(Some(Duration::from_secs(hours * 3600)))?;
    }
    if let Some(out) = server.progress.events.as_mut() {
        out.flush()
            .map_err(|e| format!("cannot write events: {e}"))?;
    }

    let config: SyncConfiguration = serde_json::from_str(&server.saved_config)?;
    eprintln!("\n# Summary");
    for forest in &forests {
        let totals = server.progress.totals(&forest.connector);
        let totals = *totals;
        let state = config.partition_sync_state(&forest.connector, &forest.partition_dn)?;
        let cursor = server
            .cursors
            .get(&forest.connector, &forest.partition_dn)
            .map(|c| String::from_utf8_lossy(c.as_bytes()).into_owned())
            .unwrap_or_default();
        eprintln!(
            "forest {}: {} in-scope read(s), {} accepted, {} out of scope, {} refused for good; domain {} status {:?}, cursor {cursor}; ForceFullPasswordSync = {}",
            forest.connector,
            totals.read,
            totals.synced,
            totals.skipped,
            totals.failed,
            forest.partition_dn,
            state.status,
            force_flag(&config, &forest.connector)?
        );
    }
    if server.suspended {
        eprintln!(
            "password sync is suspended by staging mode ({STAGING_MODE}): nothing was read or delivered; the configuration is saved and ForceFullPasswordSync stays pending"
        );
    }
    eprintln!(
        "target {AZUREAD_CONNECTOR}: {} update(s) delivered in {} batch(es); {} retried, {} refused for good, {} retry-queue overflow(s), {} crash(es)",
        server.target.target.delivered(),
        server.batches,
        server.progress.retries,
        server.progress.no_retry,
        server.progress.overflows,
        server.restarts,
    );
    if let Some(domain) = &server.target.managed_domain {
        eprintln!("{}", domain.summary());
    }
    if let Target::Lines(lines, _) = server.target.target {
        let path = server.options.out.as_deref().unwrap_or_default();
        lines
            .into_inner()
            .into_inner()
            .map_err(|e| format!("cannot write {path}: {}", e.error()))?
            .commit()
            .map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    Ok(())
}

fn snapshot_forests(snapshot: Snapshot) -> Vec<Forest> {
    snapshot
        .forests
        .into_iter()
        .map(|forest| Forest {
            connector: forest.connector.clone(),
            users: forest
                .directory
                .lock()
                .map_or(0, |d| d.accounts().count() as u64),
            dns_domain: forest.partition.dns_name().to_owned(),
            partition_dn: forest.partition.dn().to_owned(),
            directory: Directory::Snapshot(forest),
        })
        .collect()
}
