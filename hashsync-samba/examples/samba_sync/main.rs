//! Password hash sync from one Samba AD DC (the on-premises forest) into
//! another (standing in for the Domain Services managed domain), with the
//! configuration and cursors kept in a state directory.
//!
//! ```text
//! cargo build --release --workspace --example samba_sync
//! samba_sync --source URL --target URL --state DIR
//!            [--source-credentials FILE]
//!            [--force-full-sync] [--crash-after-batches K] [--events FILE]
//!            [--managed-domain-cert FILE --managed-domain-key FILE]
//! ```
//!
//! Each URL is `ldapi://` and the percent-encoded path of the DC's
//! `private/ldap_priv/ldapi` socket. The source may instead be
//! `drs://HOST[:PORT]`: the DC is then read by replication (MS-DRSR
//! `IDL_DRSGetNCChanges` over DCE/RPC with NTLM packet privacy, as Entra
//! Connect reads Active Directory), as the account in
//! `--source-credentials FILE` (first line `DOMAIN\user`, second line the
//! password; the file must be mode 0600, else it is refused). The first run on a state directory
//! builds the configuration (an AD connector named after the source
//! domain's DNS name, the Entra ID connector, password sync enabled),
//! saves it, and runs a full sync; later runs run one incremental cycle
//! from the saved cursor. `--force-full-sync` runs the tutorial's steps on
//! the saved configuration first (ForceFullPasswordSync = 1 on the AD
//! connector, save, disable and re-enable password sync), then the forced
//! full sync; the flag is consumed (back to 0) when the channel starts.
//! `--crash-after-batches K` aborts the process once K batches have been
//! delivered. `--events FILE` appends every event as a JSON line.
//!
//! `--managed-domain-cert FILE --managed-domain-key FILE` (both or
//! neither) take the managed domain's X.509 certificate (PEM or DER) and
//! its RSA private key (PEM or DER, PKCS#8 or PKCS#1): updates then travel
//! sealed, as with Entra Connect and Domain Services. The channel seals
//! every update to the certificate as it prepares it
//! ([`LegacyDelivery::Sealed`]), so no plaintext NT hash or Kerberos key
//! reaches the target's transport; the target opens
//! each envelope with the key and writes the decrypted `unicodePwd` and
//! `supplementalCredentials`. stderr then says how many updates reached
//! the target sealed and to which certificate thumbprint.
//!
//! Progress goes to stderr; the last stdout line is
//! `{"mode": "full"|"incremental", "read": N, "synced": N, "out_of_scope": N, "failed": N}`.
//! `read` counts the accounts this run read (in scope or not), `synced`
//! the updates the target stored, `out_of_scope` the accounts scope
//! refused plus those the source left out (no password yet), `failed` the
//! updates the target refused for good. A run resumed after a crash in a
//! full sync is reported as `"full"`. Exit 0 when the cycle completed, 1 on
//! an error (one line naming the server and the failing operation), 2 on
//! bad flags.
//!
//! The environment variable `HASHSYNC_SAMBA_PAGE_USNS` sets the full
//! sync's page size in USNs (default 1000).

mod progress;
mod source;
mod timing;

use std::cell::Cell;
use std::fs::OpenOptions;
use std::io::BufWriter;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hashsync::formats::envelope::{ManagedDomainCertificate, ManagedDomainKey};
use hashsync::model::{
    ConfigurationParameter, Connector, ConnectorType, FORCE_FULL_PASSWORD_SYNC,
    ManagedDomainSettings, ParameterDataType, ParameterScope, Partition, SyncConfiguration,
};
use hashsync::sync::{
    ChangeSource, ChannelConfig, ChannelStart, CursorStore, Driver, LegacyDelivery, RunOutcome,
    SystemClock,
};
use progress::Progress;
use timing::{LoggedTarget, TimedSource};

use hashsync_samba::{ConfigurationStore, FileCursorStore, SambaTarget, StateLock};
use source::Source;

const AZUREAD_CONNECTOR: &str = "contoso.onmicrosoft.com - Microsoft Entra ID";
const AZUREAD_DOMAIN: &str = "contoso.onmicrosoft.com";

const USAGE: &str = "usage: samba_sync --source URL --target URL --state DIR
                  [--source-credentials FILE]
                  [--force-full-sync] [--crash-after-batches K] [--events FILE]
                  [--managed-domain-cert FILE --managed-domain-key FILE]

Password hash sync from a Samba AD DC (the source forest) into another
(the managed domain). URLs are ldapi:// and the percent-encoded path of a
DC's private/ldap_priv/ldapi socket; the source may be drs://HOST[:PORT],
read by replication (MS-DRSR) as the account in --source-credentials.

  --source URL              the source DC
  --source-credentials FILE  for a drs:// source: DOMAIN\\user on the first
                            line, the password on the second (mode 0600)
  --target URL              the target DC
  --state DIR               configuration and cursors (created on first use)
  --force-full-sync         the tutorial: ForceFullPasswordSync, then a full sync
  --crash-after-batches K   abort once K batches have been delivered
  --events FILE             append every event as a JSON line
  --managed-domain-cert FILE  the managed domain's certificate (PEM or DER):
                            updates travel sealed to it
  --managed-domain-key FILE   its RSA private key (PEM or DER): the target
                            opens the envelopes with it (both flags or neither)
  --help                    show this text";

struct Options {
    source: String,
    source_credentials: Option<PathBuf>,
    target: String,
    state: PathBuf,
    force_full_sync: bool,
    crash_after_batches: Option<u64>,
    events: Option<PathBuf>,
    /// The managed domain's certificate and key files (both or neither).
    managed_domain: Option<(PathBuf, PathBuf)>,
}

fn parse_options() -> Result<Option<Options>, String> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let (mut source, mut target, mut state, mut events) = (None, None, None, None);
    let (mut certificate, mut key) = (None, None);
    let mut source_credentials = None;
    let mut force_full_sync = false;
    let mut crash_after_batches = None;
    let text = |value: std::ffi::OsString, flag: &str| {
        value
            .into_string()
            .map_err(|_| format!("{flag}: not valid UTF-8"))
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("help") => return Ok(None),
            Long("source") => {
                source = Some(text(
                    parser.value().map_err(|e| e.to_string())?,
                    "--source",
                )?)
            }
            Long("target") => {
                target = Some(text(
                    parser.value().map_err(|e| e.to_string())?,
                    "--target",
                )?)
            }
            Long("state") => {
                state = Some(PathBuf::from(parser.value().map_err(|e| e.to_string())?))
            }
            Long("source-credentials") => {
                source_credentials = Some(PathBuf::from(parser.value().map_err(|e| e.to_string())?))
            }
            Long("events") => {
                events = Some(PathBuf::from(parser.value().map_err(|e| e.to_string())?))
            }
            Long("managed-domain-cert") => {
                certificate = Some(PathBuf::from(parser.value().map_err(|e| e.to_string())?))
            }
            Long("managed-domain-key") => {
                key = Some(PathBuf::from(parser.value().map_err(|e| e.to_string())?))
            }
            Long("force-full-sync") => force_full_sync = true,
            Long("crash-after-batches") => {
                let value = text(
                    parser.value().map_err(|e| e.to_string())?,
                    "--crash-after-batches",
                )?;
                let k: u64 = value
                    .parse()
                    .map_err(|_| format!("--crash-after-batches: {value:?} is not a count"))?;
                if k == 0 || k > 1_000_000 {
                    return Err("--crash-after-batches must be between 1 and 1000000".into());
                }
                crash_after_batches = Some(k);
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    let missing = |name: &str| format!("{name} is required (see --help)");
    let managed_domain = match (certificate, key) {
        (Some(certificate), Some(key)) => Some((certificate, key)),
        (None, None) => None,
        (Some(_), None) => return Err("--managed-domain-cert needs --managed-domain-key".into()),
        (None, Some(_)) => return Err("--managed-domain-key needs --managed-domain-cert".into()),
    };
    let source = source.ok_or_else(|| missing("--source"))?;
    match (source.starts_with("drs://"), &source_credentials) {
        (true, None) => return Err("--source drs://… needs --source-credentials FILE".into()),
        (false, Some(_)) => return Err("--source-credentials is for a drs:// source".into()),
        _ => {}
    }
    Ok(Some(Options {
        source,
        source_credentials,
        target: target.ok_or_else(|| missing("--target"))?,
        state: state.ok_or_else(|| missing("--state"))?,
        force_full_sync,
        crash_after_batches,
        events,
        managed_domain,
    }))
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("samba_sync: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(summary) => {
            println!(
                "{{\"mode\": \"{}\", \"read\": {}, \"synced\": {}, \"out_of_scope\": {}, \"failed\": {}}}",
                summary.mode, summary.read, summary.synced, summary.out_of_scope, summary.failed
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("samba_sync: {}", message.replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

#[derive(Default)]
pub(crate) struct Summary {
    pub(crate) mode: &'static str,
    pub(crate) read: u64,
    pub(crate) synced: u64,
    pub(crate) out_of_scope: u64,
    pub(crate) failed: u64,
}

/// The configuration as the Entra Connect wizard leaves it for one forest.
fn new_configuration(dns_domain: &str, partition_dn: &str) -> Result<SyncConfiguration, String> {
    let build = || -> Result<SyncConfiguration, hashsync::ConfigError> {
        let mut config = SyncConfiguration::new();
        let mut ad = Connector::new(dns_domain, ConnectorType::Ad, dns_domain)?;
        ad.add_partition(Partition::new(partition_dn, dns_domain)?)?;
        config.add_or_replace_connector(ad)?;
        config.add_or_replace_connector(Connector::new(
            AZUREAD_CONNECTOR,
            ConnectorType::Waad,
            AZUREAD_DOMAIN,
        )?)?;
        let tenant = config.tenant_mut();
        tenant.company_features.password_hash_sync = true;
        tenant.managed_domain = Some(ManagedDomainSettings::default());
        config.set_password_sync(dns_domain, AZUREAD_CONNECTOR, true)?;
        config.drain_events().for_each(drop);
        Ok(config)
    };
    build().map_err(|e| format!("configuration: {e}"))
}

/// The tutorial's step 3 on the saved configuration, saving as it goes.
fn force_full_sync(
    config: &mut SyncConfiguration,
    store: &ConfigurationStore,
    ad_connector: &str,
) -> Result<(), String> {
    let steps = |config: &mut SyncConfiguration| -> Result<String, hashsync::ConfigError> {
        let mut c = config.connector(ad_connector)?.clone();
        let mut p = ConfigurationParameter::new(
            FORCE_FULL_PASSWORD_SYNC,
            ParameterDataType::String,
            ParameterScope::ConnectorGlobal,
        )?;
        p.set_value(1)?;
        c.global_parameters_mut().remove(p.name());
        c.global_parameters_mut().add(p)?;
        config.add_or_replace_connector(c)?;
        let target = config
            .password_sync(ad_connector)?
            .map(|channel| channel.target_connector().to_owned())
            .unwrap_or_else(|| AZUREAD_CONNECTOR.to_owned());
        Ok(target)
    };
    eprintln!("{ad_connector}: ForceFullPasswordSync = 1; Add-ADSyncConnector");
    let target = steps(config).map_err(|e| format!("configuration: {e}"))?;
    store.save(config).map_err(|e| e.to_string())?;
    for enable in [false, true] {
        eprintln!("{ad_connector}: Set-ADSyncAADPasswordSyncConfiguration -Enable ${enable}");
        config
            .set_password_sync(ad_connector, &target, enable)
            .map_err(|e| format!("configuration: {e}"))?;
        store.save(config).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The managed domain's certificate and its key, read from their files.
fn load_managed_domain(
    certificate: &std::path::Path,
    key: &std::path::Path,
) -> Result<(ManagedDomainCertificate, ManagedDomainKey), String> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| format!("{}: read: {e}", path.display()))
    };
    let parsed = ManagedDomainCertificate::parse(&read(certificate)?)
        .map_err(|e| format!("{}: managed-domain certificate: {e}", certificate.display()))?;
    // The key's bytes are wiped once parsed.
    let key_bytes = zeroize::Zeroizing::new(read(key)?);
    let opener = ManagedDomainKey::new(parsed.clone(), &key_bytes)
        .map_err(|e| format!("{}: managed-domain key: {e}", key.display()))?;
    Ok((parsed, opener))
}

fn run(options: &Options) -> Result<Summary, String> {
    // Before any server is asked: a bad certificate or key ends the run.
    let managed_domain = match &options.managed_domain {
        Some((certificate, key)) => Some(load_managed_domain(certificate, key)?),
        None => None,
    };
    let mut source = Source::open(&options.source, options.source_credentials.as_deref())?;
    let skips = source.skips();
    let partitions = source.partitions().map_err(|e| e.to_string())?;
    let partition = partitions
        .first()
        .ok_or_else(|| format!("{}: no domain partition", source.server()))?
        .clone();
    let ad_connector = partition.dns_name().to_owned();

    let _lock = StateLock::acquire(&options.state).map_err(|e| e.to_string())?;
    let store = ConfigurationStore::open(&options.state).map_err(|e| e.to_string())?;
    let mut cursors = FileCursorStore::open(&options.state).map_err(|e| e.to_string())?;
    let mut config = match store.load().map_err(|e| e.to_string())? {
        Some(config) => config,
        None => {
            let config = new_configuration(&ad_connector, partition.dn())?;
            store.save(&config).map_err(|e| e.to_string())?;
            eprintln!(
                "{ad_connector}: configuration saved in {}",
                options.state.display()
            );
            config
        }
    };
    if options.force_full_sync {
        force_full_sync(&mut config, &store, &ad_connector)?;
    }
    let saved = cursors
        .load(&ad_connector, partition.dn())
        .map_err(|e| e.to_string())?;
    let forced = config
        .connector(&ad_connector)
        .map_err(|e| format!("configuration: {e}"))?
        .force_full_password_sync();
    let full = forced
        || saved
            .as_ref()
            .is_none_or(|c| source.is_full_sync_position(c));

    let events = match &options.events {
        Some(path) => Some(BufWriter::new(
            OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| format!("{}: open events file: {e}", path.display()))?,
        )),
        None => None,
    };
    let mut progress = Progress {
        events,
        skips,
        summary: Summary::default(),
        write_error: None,
        partition_error: None,
    };
    let samba = SambaTarget::new(&options.target);
    // With the managed domain's certificate the channel seals every
    // update as it prepares it; the target opens them with the key.
    let (target, legacy_delivery, sealed) = match managed_domain {
        Some((certificate, key)) => {
            eprintln!(
                "{ad_connector}: legacy credentials sealed to the managed domain's certificate {}",
                certificate.thumbprint()
            );
            (
                samba.with_managed_domain_key(key),
                LegacyDelivery::sealed_to(certificate),
                Some(0),
            )
        }
        // The Samba target is the host's own DC: the clear, by choice.
        None => (samba, LegacyDelivery::Plaintext, None),
    };
    let target = LoggedTarget {
        target,
        sealed,
        spent: Duration::ZERO,
        batches: 0,
        crash_after: options.crash_after_batches,
    };
    let channel = ChannelConfig::from_configuration(&config, &ad_connector)
        .map_err(|e| format!("configuration: {e}"))?
        .ok_or_else(|| format!("configuration: no password sync for {ad_connector}"))?
        .with_legacy_delivery(legacy_delivery);
    let mut driver = Driver::with_clock(target, &mut cursors, SystemClock, &mut progress);
    let read_time = Rc::new(Cell::new(Duration::ZERO));
    let replication = Rc::new(std::cell::RefCell::new(None));
    let source = TimedSource {
        source,
        spent: Rc::clone(&read_time),
        report: Rc::clone(&replication),
    };
    let cycle_started = Instant::now();
    let started = driver
        .start_configured(&mut config, channel, source)
        .map_err(|e| e.to_string())?;
    if started == ChannelStart::Disabled {
        return Err(format!(
            "configuration: password sync from {ad_connector} is disabled"
        ));
    }
    // The flag was consumed when the channel started (cursors discarded first).
    store.save(&config).map_err(|e| e.to_string())?;
    eprintln!(
        "{ad_connector}: {} sync of {}",
        if full { "full" } else { "incremental" },
        partition.dn()
    );
    let outcome = driver.run_cycle();
    // The driver (and the source in it) is gone after this.
    let (mut target, _, _) = driver.into_parts();
    let total = cycle_started.elapsed();
    let (read, write) = (read_time.get(), target.spent);
    let timings = target.target.timings();
    let source_kind = if options.source.starts_with("drs://") {
        "replication read"
    } else {
        "LDAP read"
    };
    eprintln!(
        "{ad_connector}: {:.2} s in all: {source_kind} {:.2} s, LDAP write {:.2} s (account search {:.2} s, modify {:.2} s), the rest (hashing, engine, state files, retry waits) {:.2} s",
        total.as_secs_f64(),
        read.as_secs_f64(),
        write.as_secs_f64(),
        timings.search.as_secs_f64(),
        timings.modify.as_secs_f64(),
        total.saturating_sub(read + write).as_secs_f64()
    );
    if let Some(report) = replication.borrow().as_deref() {
        eprintln!("{ad_connector}: {report}");
    }
    if let Some(sealed) = target.sealed {
        eprintln!("{ad_connector}: {sealed} update(s) reached the target sealed");
    }
    progress.log_target(&mut target.target);
    progress.log_skips();
    let outcome = outcome.map_err(|e| e.to_string())?;
    if let Some(e) = progress.write_error.take() {
        return Err(format!("events file: {e}"));
    }
    if let Some(reason) = progress.partition_error.take() {
        return Err(reason);
    }
    match outcome {
        RunOutcome::Settled => {}
        RunOutcome::Retrying { queued } => {
            eprintln!("{ad_connector}: cycle complete, {queued} waiting for a retry next cycle")
        }
        _ => {
            return Err(format!(
                "{ad_connector}: the cycle did not complete ({outcome:?})"
            ));
        }
    }
    let mut summary = progress.summary;
    summary.mode = if full { "full" } else { "incremental" };
    Ok(summary)
}
