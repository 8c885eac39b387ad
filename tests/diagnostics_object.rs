//! One account (view, history, single-object sync), the object log's
//! bounds (in memory and in its file), no secret anywhere, and a full
//! sync's progress.

mod sync_support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use hashsync::Password;
use hashsync::model::{ManagedDomainSettings, Timestamp};
use hashsync::sync::reference::{
    FaultConfig, FaultInjectingTransport, FileObjectLog, InMemorySource, InMemoryTransport,
    SyntheticSource,
};
use hashsync::sync::{
    AccountCredentials, AccountQuery, Batch, ChangeSource, ChannelConfig, Clock, Diagnostics,
    Driver, InMemoryCursorStore, InMemoryObjectLog, ItemResult, ObjectLog, ObjectLogEntry,
    ObjectLogLimits, ObjectLogStatus, ObjectSyncOutcome, ScopePolicy, SelectivePasswordHashSync,
    SharedClock, SourceAccount, SourceItem, Transport, VirtualClock, sync_account,
};
use sync_support::*;

/// A target that refuses, for good, the accounts named `refused*`, and
/// tells the diagnostics record why.
struct RefusingTarget {
    delivered: Vec<String>,
    diagnostics: Diagnostics,
}

impl Transport for RefusingTarget {
    type Error = std::io::Error;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, std::io::Error> {
        Ok(batch
            .updates
            .iter()
            .map(|u| {
                if u.sam_account_name.starts_with("refused") {
                    self.diagnostics.record_refusal(
                        &batch.source_connector,
                        &u.source_anchor,
                        "InvalidSoftMatch: another object has this anchor",
                    );
                    ItemResult::FailedNoRetry
                } else {
                    self.delivered.push(u.sam_account_name.clone());
                    ItemResult::Success
                }
            })
            .collect())
    }
}

fn cleartext(n: u32, sam: &str) -> SourceAccount {
    user(
        n,
        sam,
        None,
        u64::from(n),
        AccountCredentials::Cleartext(Password::new(&format!("Pw-{n}-x!"))),
    )
}

/// One account per rule, with the rule's expected name (from the scope
/// rules' documentation) and the object log's status word.
fn accounts_of_every_rule() -> Vec<(SourceAccount, &'static str, ObjectLogStatus)> {
    use ObjectLogStatus::{FilteredByTarget, MissingAttribute, NoTargetConnection};
    let mut computer = cleartext(1, "pc01$");
    computer.object_class = "computer".into();
    let mut disabled = cleartext(2, "disabled");
    disabled.user_account_control |= 0x2;
    let phs_filtered = cleartext(3, "filtered").with_admin_description("PHSFiltered");
    let no_sam = cleartext(4, "");
    let support = cleartext(5, "SUPPORT_388945a0");
    let mailbox = cleartext(6, "SystemMailbox{1f05a927-0000}");
    let conflict = cleartext(7, "conflict")
        .with_distinguished_name("CN=conflict\\0ACNF:1234,CN=Users,DC=onprem,DC=contoso,DC=com");
    let service = cleartext(8, "MSOL_0123456789ab");
    let critical = cleartext(9, "krbtgt").with_critical_system_object(true);
    let must_change = cleartext(10, "mustchange").with_pwd_last_set(0);
    let too_long = user(
        11,
        "toolong",
        None,
        11,
        AccountCredentials::Cleartext(Password::new(&"x".repeat(257))),
    );
    vec![
        (computer, "ObjectClass", NoTargetConnection),
        (disabled, "Disabled", NoTargetConnection),
        (phs_filtered, "PhsFiltered", NoTargetConnection),
        (no_sam, "NoSamAccountName", NoTargetConnection),
        (support, "SupportAccount", NoTargetConnection),
        (mailbox, "ExchangeSystemMailbox", NoTargetConnection),
        (conflict, "ReplicationConflict", NoTargetConnection),
        (service, "SyncServiceAccount", NoTargetConnection),
        (critical, "CriticalSystemObject", NoTargetConnection),
        (must_change, "MustChangePassword", FilteredByTarget),
        (too_long, "InvalidInput", MissingAttribute),
    ]
}

struct Run {
    diagnostics: Diagnostics,
    source: InMemorySource,
    scope: ScopePolicy,
}

fn full_sync(accounts: Vec<SourceAccount>, selective: SelectivePasswordHashSync) -> Run {
    let source = InMemorySource::new(directory_with(accounts));
    let clock = SharedClock::new(VirtualClock::new());
    let diagnostics = Diagnostics::new(InMemoryObjectLog::default(), clock.clone());
    let target = RefusingTarget {
        delivered: Vec::new(),
        diagnostics: diagnostics.clone(),
    };
    let mut driver = Driver::with_clock(
        target,
        InMemoryCursorStore::new(),
        clock,
        diagnostics.observer(),
    );
    driver.set_threads(1);
    let mut config = ChannelConfig::new(AD, AAD);
    config.scope.selective = selective;
    let scope = config.scope.clone();
    driver
        .start_channel(config, diagnostics.source(AD, source.clone()), false)
        .unwrap();
    driver.run_cycle().unwrap();
    Run {
        diagnostics,
        source,
        scope,
    }
}

impl Run {
    fn view(&self, query: &AccountQuery, read_now: bool) -> hashsync::sync::AccountView {
        let account = if read_now {
            self.source
                .clone()
                .read_account(&partition(), query)
                .unwrap()
        } else {
            None
        };
        self.diagnostics
            .account_view(&self.scope, AD, query, account.as_ref())
    }
}

#[test]
fn the_view_of_an_account_of_every_scope_rule_names_the_rule() {
    let cases = accounts_of_every_rule();
    let accounts = cases.iter().map(|(a, _, _)| a.clone()).collect();
    let run = full_sync(accounts, SelectivePasswordHashSync::Exclude);
    for (account, rule, status) in &cases {
        let query = AccountQuery::SourceAnchor(account.object_guid.source_anchor());
        for read_now in [true, false] {
            let view = run.view(&query, read_now);
            assert!(!view.in_scope, "{rule}: {view:#?}");
            assert_eq!(view.scope_rule.as_deref(), Some(*rule), "{view:#?}");
            assert_eq!(view.last_result, None, "{rule}: never sent");
            let change = view.last_change.as_ref().expect("read");
            assert_eq!(change.usn, account.usn);
            let statuses: Vec<ObjectLogStatus> = view.history.iter().map(|e| e.status).collect();
            assert_eq!(statuses, [ObjectLogStatus::Read, *status], "{rule}");
        }
        let json = serde_json::to_value(run.view(&query, true)).unwrap();
        assert_eq!(json["scope_rule"], *rule);
        assert_eq!(json["in_scope"], false);
        assert_eq!(json["sAMAccountName"], account.sam_account_name.as_str());
    }
    // Include mode: anything not PHSIncluded is out by that rule.
    let included = cleartext(20, "included").with_admin_description("PHSIncluded");
    let other = cleartext(21, "other");
    let run = full_sync(vec![included, other], SelectivePasswordHashSync::Include);
    let view = run.view(&AccountQuery::parse("other"), true);
    assert_eq!(view.scope_rule.as_deref(), Some("NotPhsIncluded"));
    let view = run.view(&AccountQuery::parse("included"), true);
    assert!(view.in_scope);
    assert_eq!(view.scope_rule.as_deref(), Some("PHSIncluded"));
}

#[test]
fn a_synced_account_and_one_refused_for_good() {
    let synced = cleartext(1, "jsmith");
    let refused = cleartext(2, "refused1");
    let changed = synced.clone().with_pwd_last_set(133_500_000_000_000_000); // 2024-01-20T12:00:00Z
    let run = full_sync(vec![changed, refused], SelectivePasswordHashSync::Off);

    // By sAMAccountName (any case), by DN and by source anchor: the same.
    let queries = [
        AccountQuery::parse("JSMITH"),
        AccountQuery::parse("CN=jsmith,CN=Users,DC=onprem,DC=contoso,DC=com"),
        AccountQuery::parse(&synced.object_guid.source_anchor()),
    ];
    let views: Vec<_> = queries.iter().map(|q| run.view(q, true)).collect();
    assert!(views.windows(2).all(|w| w[0].history == w[1].history));
    let view = &views[0];
    assert!(view.in_scope);
    assert_eq!(view.scope_rule, None);
    assert_eq!(view.sam_account_name, "jsmith");
    let change = view.last_change.as_ref().unwrap();
    assert_eq!(change.usn, 1);
    // 133_500_000_000_000_000 FILETIME ticks = 1_705_526_400 s after 1970
    // (computed: 13_350_000_000 s - 11_644_473_600 s).
    assert_eq!(
        change.change_date.as_deref(),
        Some("2024-01-17T21:20:00.000Z")
    );
    let result = view.last_result.as_ref().unwrap();
    assert_eq!(result.status, ObjectLogStatus::Success);
    let statuses: Vec<_> = view.history.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            ObjectLogStatus::Read,
            ObjectLogStatus::Sent,
            ObjectLogStatus::Success
        ]
    );

    let view = run.view(&AccountQuery::parse("refused1"), true);
    assert!(view.in_scope);
    let result = view.last_result.as_ref().unwrap();
    assert_eq!(result.status, ObjectLogStatus::NoRetry);
    let detail = result.detail.as_deref().unwrap();
    assert!(detail.contains("refused"), "{detail}");
    assert!(
        detail.ends_with("InvalidSoftMatch: another object has this anchor"),
        "{detail}"
    );
    let json = serde_json::to_value(&view).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "connector",
            "history",
            "in_scope",
            "last_change",
            "last_result",
            "sAMAccountName",
            "scope_rule"
        ]
    );
    assert_eq!(json["last_result"]["status"], "NoRetry");
}

fn entry(second: u64, anchor: &str, usn: u64) -> ObjectLogEntry {
    ObjectLogEntry::new(
        Timestamp::from_unix_millis(second * 1000),
        AD,
        anchor,
        anchor,
        usn,
        ObjectLogStatus::Read,
    )
}

fn usns(log: &dyn ObjectLog) -> Vec<u64> {
    log.entries().iter().map(|e| e.usn).collect()
}

#[test]
fn the_log_keeps_its_bounds_by_age_and_by_count() {
    let day = 24 * 3600;
    let mut log = InMemoryObjectLog::new(ObjectLogLimits::default());
    assert_eq!(log.limits().max_age, Duration::from_secs(7 * day));
    // Seven days are kept; older entries go.
    log.record(entry(0, "a", 1)).unwrap();
    log.record(entry(6 * day, "a", 2)).unwrap();
    log.prune(Timestamp::from_unix_millis(7 * day * 1000))
        .unwrap();
    assert_eq!(usns(&log), [1, 2], "exactly seven days old stays");
    log.prune(Timestamp::from_unix_millis((7 * day + 1) * 1000))
        .unwrap();
    assert_eq!(usns(&log), [2]);

    // Per account: the newest three; in total: the newest five.
    let mut log = InMemoryObjectLog::new(ObjectLogLimits::new(Duration::from_secs(day), 3, 5));
    for usn in 1..=5 {
        log.record(entry(usn, "a", usn)).unwrap();
    }
    assert_eq!(usns(&log), [3, 4, 5]);
    for usn in 10..=13 {
        log.record(entry(usn, "b", usn)).unwrap();
    }
    assert_eq!(usns(&log), [4, 5, 11, 12, 13], "b keeps 3, total 5");
    assert_eq!(log.len(), 5);
    let history = log.history(AD, &AccountQuery::parse("a"));
    assert_eq!(history.iter().map(|e| e.usn).collect::<Vec<_>>(), [4, 5]);
}

#[test]
fn the_file_log_is_private_rotates_by_age_and_reloads() {
    let dir = std::env::temp_dir().join(format!("hashsync-objlog-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("object-log.jsonl");
    let limits = ObjectLogLimits::new(Duration::from_secs(3600), 10, 100);
    let start = Timestamp::from_unix_millis(0);
    let mut log = FileObjectLog::open(&path, limits, start).unwrap();
    log.record(entry(0, "a", 1)).unwrap();
    log.record(entry(1800, "a", 2)).unwrap();
    log.record(entry(3000, "b", 3)).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let lines = |path: &std::path::Path| std::fs::read_to_string(path).unwrap().lines().count();
    assert_eq!(lines(&path), 3);

    // An hour and a half: the first entry is past the hour.
    log.prune(Timestamp::from_unix_millis(5400 * 1000)).unwrap();
    assert_eq!(usns(&log), [2, 3]);
    assert_eq!(lines(&path), 2, "the file was rewritten");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "still private after the rotation");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
    drop(log);

    // Reopened later: what is still young is loaded, the rest rotated away.
    let log = FileObjectLog::open(&path, limits, Timestamp::from_unix_millis(6000 * 1000)).unwrap();
    assert_eq!(usns(&log), [3]);
    assert_eq!(lines(&path), 1);

    // A line that is not an entry is an error naming the line.
    std::fs::write(&path, "{\"not\": \"an entry\"}\n").unwrap();
    let err = FileObjectLog::open(&path, limits, start).unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_secret_byte_in_any_log_line_or_finding() {
    let vectors = user_vectors();
    let accounts: Vec<SourceAccount> = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| cleartext_user(i as u32 + 1, v, i as u64 + 1))
        .collect();
    let source = InMemorySource::new(directory_with(accounts));
    let clock = SharedClock::new(VirtualClock::new());
    let dir = std::env::temp_dir().join(format!("hashsync-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("log.jsonl");
    let now = Timestamp::from_system_time(clock.clone().system_time());
    let file_log = FileObjectLog::open(&path, ObjectLogLimits::default(), now).unwrap();
    let diagnostics = Diagnostics::new(file_log, clock.clone());
    let transport = InMemoryTransport::new();
    let mut driver = Driver::with_clock(
        transport,
        InMemoryCursorStore::new(),
        clock,
        diagnostics.observer(),
    );
    driver.set_threads(1);
    let config = ChannelConfig::new(AD, AAD)
        .with_domain_services(Some(ManagedDomainSettings::default()))
        .with_legacy_delivery(hashsync::sync::LegacyDelivery::Plaintext);
    driver
        .start_channel(
            config.clone(),
            diagnostics.source(AD, source.clone()),
            false,
        )
        .unwrap();
    driver.run_cycle().unwrap();
    assert!(driver.transport().len() >= vectors.len() - 1, "delivered");
    // A single-object sync, with its events, too.
    let mut target = InMemoryTransport::new();
    let mut plain = source.clone();
    let at = hashsync::sync::Clock::now(&mut SharedClock::new(VirtualClock::new()));
    sync_account(
        &config,
        &mut plain,
        &mut target,
        &AccountQuery::parse(&vectors[0].sam),
        at,
        Some(&diagnostics),
    )
    .unwrap();

    let mut texts = vec![std::fs::read_to_string(&path).unwrap()];
    texts.push(serde_json::to_string(&diagnostics.object_log()).unwrap());
    texts.push(serde_json::to_string(&diagnostics.recent_events()).unwrap());
    texts.push(format!("{:?}", diagnostics.object_log()));
    let configuration = hashsync::model::SyncConfiguration::new();
    texts.push(
        serde_json::to_string(
            &diagnostics.findings(&configuration, driver.partition_sync_states()),
        )
        .unwrap(),
    );
    texts.push(serde_json::to_string(&diagnostics.progress()).unwrap());
    for v in &vectors {
        let view = diagnostics.account_view(&config.scope, AD, &AccountQuery::parse(&v.sam), None);
        assert!(!view.history.is_empty(), "{} is in the log", v.sam);
        texts.push(serde_json::to_string(&view).unwrap());
    }
    let all = texts.join("\n");
    for v in &vectors {
        for secret in [&v.nt_hash_hex, &v.aes256_hex, &v.aes128_hex] {
            assert!(
                !all.to_lowercase().contains(&secret.to_lowercase()),
                "{} leaked",
                v.id
            );
        }
        // The NT hash in base64, as an update would carry it.
        let nt: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(&v.nt_hash_hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let b64 = base64_of(&nt);
        assert!(!all.contains(&b64), "{} leaked in base64", v.id);
        assert!(!all.contains(&v.password), "{} password leaked", v.id);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn single_object_sync_delivers_a_changed_account_and_leaves_the_cursor() {
    let vectors = user_vectors();
    let (first, second) = (&vectors[0], &vectors[1]);
    let source = InMemorySource::new(directory_with(vec![cleartext_user(1, first, 1)]));
    let clock = SharedClock::new(VirtualClock::new());
    let diagnostics = Diagnostics::new(InMemoryObjectLog::default(), clock.clone());
    let mut driver = Driver::with_clock(
        InMemoryTransport::new(),
        InMemoryCursorStore::new(),
        clock.clone(),
        diagnostics.observer(),
    );
    driver.set_threads(1);
    let config = ChannelConfig::new(AD, AAD)
        .with_domain_services(Some(ManagedDomainSettings::default()))
        .with_legacy_delivery(hashsync::sync::LegacyDelivery::Plaintext);
    driver
        .start_channel(
            config.clone(),
            diagnostics.source(AD, source.clone()),
            false,
        )
        .unwrap();
    driver.run_cycle().unwrap();
    let cursor_before = driver.cursors().get(AD, partition().dn()).cloned();
    assert!(cursor_before.is_some());

    // The password changes to the second vector's password.
    let guid = guid(1);
    let usn = source
        .directory()
        .lock()
        .unwrap()
        .set_password(guid, Password::new(&second.password))
        .unwrap();
    let mut target = InMemoryTransport::new();
    let mut plain = source.clone();
    let now = clock.clone().now();
    let report = sync_account(
        &config,
        &mut plain,
        &mut target,
        &AccountQuery::parse(&first.sam),
        now,
        Some(&diagnostics),
    )
    .unwrap();
    assert_eq!(report.outcome, ObjectSyncOutcome::Synced);
    assert!(
        report
            .events
            .iter()
            .all(|e| e.entra_connect_id() != Some(664))
    );
    let update = target.get(AAD, &guid.source_anchor()).expect("delivered");
    assert_eq!(update.usn, usn);
    let legacy = update
        .legacy
        .as_ref()
        .and_then(|l| l.plaintext())
        .expect("Domain Services");
    // The salt is the account's, so only the NT hash is the other vector's.
    assert_eq!(legacy.nt_hash.to_hex().as_str(), second.nt_hash_hex);
    assert_eq!(
        driver.cursors().get(AD, partition().dn()).cloned(),
        cursor_before
    );

    // The regular cycle still reads the change: its cursor never moved.
    let sent_before = driver.transport().log().len();
    driver.run_cycle().unwrap();
    assert_eq!(driver.transport().log().len(), sent_before + 1);
    let view = diagnostics.account_view(&config.scope, AD, &AccountQuery::parse(&first.sam), None);
    let sends = view
        .history
        .iter()
        .filter(|e| e.status == ObjectLogStatus::Sent && e.usn == usn)
        .count();
    assert_eq!(sends, 2, "the single-object sync and the cycle");

    // Failures are event 664: an account out of scope, one that is not there.
    let out = cleartext(2, "out").with_pwd_last_set(0);
    source
        .directory()
        .lock()
        .unwrap()
        .add_account(partition().dn(), out)
        .unwrap();
    for (name, outcome) in [
        (
            "out",
            ObjectSyncOutcome::OutOfScope(hashsync::sync::SkipReason::MustChangePassword),
        ),
        ("nobody", ObjectSyncOutcome::NotFound),
    ] {
        let report = sync_account(
            &config,
            &mut plain,
            &mut target,
            &AccountQuery::parse(name),
            now,
            None,
        )
        .unwrap();
        assert_eq!(report.outcome, outcome);
        let last = report.events.last().unwrap();
        assert_eq!(last.entra_connect_id(), Some(664), "{name}");
    }
}

#[test]
fn progress_counts_add_up_to_the_totals_of_a_full_run() {
    let users = 300;
    let source = SyntheticSource::new(0, users, "onprem.contoso.com").unwrap();
    let dn = source.partition().dn().to_owned();
    let clock = SharedClock::new(VirtualClock::new());
    let diagnostics = Diagnostics::new(InMemoryObjectLog::default(), clock.clone());
    let mut faults = FaultConfig::default();
    faults.retry_rate = 0.2;
    faults.no_retry_rate = 0.1;
    faults.seed = 7;
    let transport = FaultInjectingTransport::new(InMemoryTransport::new(), faults);
    let mut driver = Driver::with_clock(
        transport,
        InMemoryCursorStore::new(),
        clock.clone(),
        diagnostics.observer_with(Recorder::default()),
    );
    driver.set_threads(1);
    driver.set_retries_first(true);
    driver
        .start_channel(
            ChannelConfig::new(AD, AAD),
            diagnostics.source(AD, source),
            false,
        )
        .unwrap();
    driver
        .run_until_settled(Duration::from_secs(6 * 3600))
        .unwrap();

    let progress = diagnostics.progress();
    assert_eq!(progress.len(), 1);
    let forest = &progress[0];
    let domain = &forest.domains[0];
    assert_eq!(domain.partition, dn);
    assert!(domain.completed && forest.completed);
    assert_eq!(domain.read, users);
    assert_eq!(domain.estimated_total, Some(users));
    assert_eq!(domain.retrying, 0);
    assert_eq!(domain.synced + domain.skipped + domain.failed, domain.read);
    // Against the target and the events, counted apart.
    let stats = driver.transport().stats();
    let delivered = driver.transport().inner().log().len() as u64;
    assert_eq!(domain.synced, delivered);
    assert_eq!(domain.failed, stats.no_retry);
    let recorder = driver.observer().inner();
    let skipped = recorder.count_kind("AccountSkipped") as u64;
    assert_eq!(domain.skipped, skipped);
    assert!(domain.skipped > 0 && domain.failed > 0);
    assert_eq!(
        (forest.read, forest.synced, forest.skipped, forest.failed),
        (domain.read, domain.synced, domain.skipped, domain.failed)
    );
}

#[test]
fn progress_mid_read_has_a_rate_and_an_eta() {
    let users = 1000;
    let source = SyntheticSource::new(0, users, "onprem.contoso.com").unwrap();
    let partition = source.partition().clone();
    let clock = SharedClock::new(VirtualClock::new());
    let diagnostics = Diagnostics::new(InMemoryObjectLog::default(), clock.clone());
    let mut observed = diagnostics.source(AD, source);
    let mut stream = observed.full_sync(&partition).unwrap();
    // 100 accounts, one every half second, then 30 more at the same pace:
    // the last minute holds 120 reads.
    let mut read = 0;
    while read < 130 {
        if let Some(Ok(SourceItem::Account(_))) = stream.next() {
            read += 1;
            clock.with(|c| c.advance(Duration::from_millis(500)));
        }
    }
    drop(stream);
    let progress = diagnostics.progress();
    let domain = &progress[0].domains[0];
    assert_eq!(domain.read, 130);
    assert!(!domain.completed);
    assert_eq!(domain.elapsed_seconds, 65.0);
    let rate = domain.rate_per_second.unwrap();
    assert!((rate - 2.0).abs() < 0.05, "two reads a second: {rate}");
    let eta = domain.eta_seconds.unwrap();
    // 870 left at two a second.
    assert!((eta - 435.0).abs() < 15.0, "{eta}");
}

/// A source that keeps the trait's defaults for `read_account` and
/// `estimated_total`.
struct PlainSource(InMemorySource);

impl ChangeSource for PlainSource {
    type Error = hashsync::sync::reference::MemorySourceError;

    fn partitions(&mut self) -> Result<Vec<hashsync::sync::Partition>, Self::Error> {
        self.0.partitions()
    }

    fn full_sync(
        &mut self,
        partition: &hashsync::sync::Partition,
    ) -> Result<hashsync::sync::SourceStream<'_, Self::Error>, Self::Error> {
        self.0.full_sync(partition)
    }

    fn changes_since(
        &mut self,
        partition: &hashsync::sync::Partition,
        cursor: &hashsync::sync::Cursor,
    ) -> Result<hashsync::sync::SourceStream<'_, Self::Error>, Self::Error> {
        self.0.changes_since(partition, cursor)
    }
}

#[test]
fn read_account_finds_one_account_by_any_name_in_every_source() {
    let accounts: Vec<SourceAccount> = (1..=5).map(|n| cleartext(n, &format!("u{n}"))).collect();
    let memory = InMemorySource::new(directory_with(accounts));
    let mut plain = PlainSource(memory.clone());
    let mut memory = memory;
    let anchor = guid(3).source_anchor();
    for query in [
        AccountQuery::parse("U3"),
        AccountQuery::parse("cn=u3,cn=Users,DC=onprem,DC=contoso,DC=com"),
        AccountQuery::parse(&anchor),
    ] {
        let by_default = plain.read_account(&partition(), &query).unwrap().unwrap();
        let by_lookup = memory.read_account(&partition(), &query).unwrap().unwrap();
        assert_eq!(by_default.object_guid, guid(3), "{query:?}");
        assert_eq!(by_lookup.object_guid, guid(3), "{query:?}");
    }
    assert!(
        plain
            .read_account(&partition(), &AccountQuery::parse("u9"))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        plain.estimated_total(&partition()),
        None,
        "the default knows no total"
    );
    assert_eq!(memory.estimated_total(&partition()), Some(5));

    let mut synthetic = SyntheticSource::new(2, 50, "fabrikam.com").unwrap();
    let domain = synthetic.partition().clone();
    assert_eq!(synthetic.estimated_total(&domain), Some(50));
    let expected = synthetic.account(17).unwrap();
    for name in [
        "user0000017".to_owned(),
        expected.distinguished_name.clone(),
        expected.object_guid.source_anchor(),
    ] {
        let found = synthetic
            .read_account(&domain, &AccountQuery::parse(&name))
            .unwrap()
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(found.object_guid, expected.object_guid);
    }
    for missing in ["user0000050", "user0000017x", "nobody"] {
        assert!(
            synthetic
                .read_account(&domain, &AccountQuery::parse(missing))
                .unwrap()
                .is_none(),
            "{missing}"
        );
    }
}

#[test]
fn the_file_log_stays_bounded_by_count() {
    let dir = std::env::temp_dir().join(format!("hashsync-objlog-count-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("log.jsonl");
    let limits = ObjectLogLimits::new(Duration::from_secs(3600), 10, 3);
    let mut log = FileObjectLog::open(&path, limits, Timestamp::from_unix_millis(0)).unwrap();
    let lines = || std::fs::read_to_string(&path).unwrap().lines().count();
    for usn in 1..=6 {
        log.record(entry(usn, "a", usn)).unwrap();
    }
    assert_eq!(lines(), 6, "appended up to twice the bound");
    assert_eq!(usns(&log), [4, 5, 6]);
    log.record(entry(7, "a", 7)).unwrap();
    assert_eq!(lines(), 3, "then rewritten with what is kept");
    assert_eq!(usns(&log), [5, 6, 7]);
    drop(log);
    let log = FileObjectLog::open(&path, limits, Timestamp::from_unix_millis(8000)).unwrap();
    assert_eq!(usns(&log), [5, 6, 7]);
    std::fs::remove_dir_all(&dir).unwrap();
}
