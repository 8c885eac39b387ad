//! Fault injection: 30% retryable failures, some no-retry failures, and a
//! crash (engine and driver dropped, results of the last batch lost) every
//! few batches, with password changes landing between crashes. At the end
//! the target must hold exactly the newest credentials of every in-scope
//! account and nothing else.

mod sync_support;

use std::collections::{HashMap, HashSet};

use hashsync::model::ManagedDomainSettings;
use hashsync::sync::reference::{
    FaultConfig, FaultInjectingTransport, InMemorySource, InMemoryTransport,
};
use hashsync::sync::{
    AccountCredentials, ChannelConfig, Driver, Event, InMemoryCursorStore, ItemOutcome, RunOutcome,
    ScopeDecision, ScopePolicy, StoredHashes, VirtualClock,
};
use hashsync::{NtHash, Password};
use sync_support::*;

#[test]
fn crashes_and_faults_end_with_exactly_the_newest_credentials() {
    let vectors = user_vectors();
    let mut accounts = Vec::new();
    let mut n = 0;
    for v in &vectors {
        n += 1;
        accounts.push(cleartext_user(n, v, u64::from(n)));
    }
    // Pre-hashed accounts; expected NT hashes come from the crate's
    // vector-tested `nt_hash`.
    let mut generated_passwords = HashMap::new();
    for i in 0..180u32 {
        n += 1;
        let password = format!("Generated-{i}-Pw!");
        let mut account = user(
            n,
            &format!("gen{i:04}"),
            None,
            u64::from(n),
            AccountCredentials::Stored(StoredHashes {
                nt_hash: hashsync::nt_hash(&Password::new(&password)),
                kerberos: None,
            }),
        );
        match i % 20 {
            1 => account.user_account_control |= 0x2,
            2 => account.admin_description = Some("PHSFiltered".into()),
            3 => account.sam_account_name = format!("MSOL_{i:012}"),
            4 => account.is_critical_system_object = true,
            5 => account.pwd_last_set = 0,
            6 => account.object_class = "computer".into(),
            _ => {}
        }
        generated_passwords.insert(account.object_guid, password);
        accounts.push(account);
    }
    let directory = directory_with(accounts);
    let source = InMemorySource::new(directory.clone()).with_page_size(7);

    let mut target = InMemoryTransport::new();
    let mut cursors = InMemoryCursorStore::new();
    let mut recorder = Recorder::default();
    let mut changed: HashMap<hashsync::sync::ObjectGuid, String> = HashMap::new();
    let (mut retries, mut no_retries) = (0, 0);
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs < 2000, "no progress");
        // Password changes land between crashes (cleartext change events).
        if runs % 4 == 0 && runs <= 24 {
            let mut dir = directory.lock().unwrap();
            for k in 0..6u32 {
                let n = 1 + (runs as u32 * 7 + k * 13) % (vectors.len() as u32 + 180);
                let password = format!("Changed-{runs}-{k}");
                dir.set_password(guid(n), Password::new(&password)).unwrap();
                changed.insert(guid(n), password);
            }
        }
        let mut faults = FaultConfig::default();
        faults.retry_rate = 0.30;
        faults.no_retry_rate = 0.02;
        faults.seed = 1000 + runs;
        let transport = FaultInjectingTransport::new(&mut target, faults);
        let mut driver =
            Driver::with_clock(transport, &mut cursors, VirtualClock::new(), &mut recorder);
        driver.set_threads(2);
        let mut config = ChannelConfig::new(AD, AAD)
            .with_domain_services(Some(ManagedDomainSettings::default()))
            .with_legacy_delivery(hashsync::sync::LegacyDelivery::Plaintext);
        config.batch_size = 20;
        config.seed = runs;
        driver.start_channel(config, source.clone(), false).unwrap();
        driver.set_batch_limit(Some(3));
        driver.set_retries_first(runs % 2 == 0);
        let outcome = driver.run_cycle().unwrap();
        let (transport, _, _) = driver.into_parts();
        retries += transport.stats().retry;
        no_retries += transport.stats().no_retry;
        // Done once a settled cycle leaves the cursor at the directory's
        // newest USN: every change has been read and has a final result.
        let newest = format!("U:{}", directory.lock().unwrap().highest_usn());
        let cursor = cursors
            .get(AD, partition().dn())
            .map(|c| c.as_bytes().to_vec());
        if outcome == RunOutcome::Settled && runs > 24 && cursor == Some(newest.into_bytes()) {
            break;
        }
    }
    assert!(runs > 10, "the crashes happened ({runs} runs)");
    assert!(retries > 50, "retryable failures were injected ({retries})");
    assert!(no_retries > 0, "no-retry failures were injected");

    // Changes whose newest version was reported NoRetry never reached the
    // target by design; everything else must be there, newest.
    let mut no_retry: HashSet<(String, u64)> = HashSet::new();
    let mut succeeded: HashSet<(String, u64)> = HashSet::new();
    for event in &recorder.events {
        if let Event::PasswordChangeResult {
            source_anchor,
            usn,
            outcome,
            ..
        } = event
        {
            match outcome {
                ItemOutcome::NoRetry => no_retry.insert((source_anchor.clone(), *usn)),
                ItemOutcome::Success => succeeded.insert((source_anchor.clone(), *usn)),
                _ => false,
            };
        }
    }
    let policy = ScopePolicy::default();
    let dir = directory.lock().unwrap();
    let mut in_scope = HashSet::new();
    let mut checked = 0;
    for (_, account) in dir.accounts() {
        let anchor = account.object_guid.source_anchor();
        let stored = target.get(AAD, &anchor);
        if !matches!(policy.decide(account), ScopeDecision::Sync { .. }) {
            assert!(
                stored.is_none(),
                "{} is out of scope",
                account.sam_account_name
            );
            continue;
        }
        in_scope.insert(anchor.clone());
        let key = (anchor.clone(), account.usn);
        if no_retry.contains(&key) && !succeeded.contains(&key) {
            continue;
        }
        let stored = stored.unwrap_or_else(|| panic!("{} missing", account.sam_account_name));
        assert_eq!(
            stored.usn, account.usn,
            "{} not newest",
            account.sam_account_name
        );
        let password = changed
            .get(&account.object_guid)
            .or_else(|| generated_passwords.get(&account.object_guid));
        let expected_nt = match password {
            Some(p) => hashsync::nt_hash(&Password::new(p)),
            None => {
                let v = vectors
                    .iter()
                    .find(|v| v.sam == account.sam_account_name)
                    .unwrap();
                // The untouched vector users: Samba's keys too.
                assert_eq!(aes256_hex(stored).as_deref(), Some(v.aes256_hex.as_str()));
                NtHash::from_hex(&v.nt_hash_hex).unwrap()
            }
        };
        assert_eq!(
            plaintext(stored).nt_hash,
            expected_nt,
            "{}",
            account.sam_account_name
        );
        assert!(stored.org_id.verify_nt_hash(&expected_nt));
        checked += 1;
    }
    assert!(checked > 120, "most accounts checked ({checked})");
    for (target_name, update) in target.state() {
        assert_eq!(target_name, AAD);
        assert!(in_scope.contains(&update.source_anchor), "nothing else");
    }
}
