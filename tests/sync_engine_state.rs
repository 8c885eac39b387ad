//! The sans-I/O engine driven by hand: ordering under retries, coalescing,
//! retry-queue overflow, cursor commits only past final results, heartbeats.

mod sync_support;

use std::time::{Duration, Instant};

use hashsync::NtHash;
use hashsync::sync::{
    AccountCredentials, Channel, ChannelConfig, Cursor, Event, ItemOutcome, ItemResult,
    PartitionStatus, ReadMode, SourceItem, StoredHashes,
};
use sync_support::*;

fn stored(nt_byte: u8) -> AccountCredentials {
    AccountCredentials::Stored(StoredHashes {
        nt_hash: NtHash::from_bytes([nt_byte; 16]),
        kerberos: None,
    })
}

fn account(n: u32, usn: u64) -> SourceItem {
    SourceItem::Account(user(n, &format!("u{n}"), None, usn, stored(usn as u8)))
}

fn drain(channel: &mut Channel) -> Vec<Event> {
    std::iter::from_fn(|| channel.poll_event()).collect()
}

fn outcomes(events: &[Event]) -> Vec<(u64, ItemOutcome)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::PasswordChangeResult { usn, outcome, .. } => Some((*usn, *outcome)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_old_change_failing_while_a_newer_one_waits_is_not_retried() {
    let now = Instant::now();
    let mut channel = Channel::new(ChannelConfig::new(AD, AAD), now);
    let p = channel.begin_partition(partition(), ReadMode::Incremental);
    channel.handle_source_item(p, account(1, 10)).unwrap();
    let first = channel.poll_batch(now).unwrap();
    assert_eq!(first.requests.len(), 1);
    assert_eq!(first.requests[0].usn(), 10);
    // A newer change of the same account arrives while the old one is in flight.
    channel.handle_source_item(p, account(1, 20)).unwrap();
    assert!(
        channel.poll_batch(now).is_none(),
        "at most one update per account in flight"
    );
    channel
        .handle_batch_results(first.id, &[ItemResult::FailedRetry], now)
        .unwrap();
    let second = channel.poll_batch(now).unwrap();
    assert_eq!(second.requests.len(), 1);
    assert_eq!(second.requests[0].usn(), 20);
    channel
        .handle_batch_results(second.id, &[ItemResult::Success], now)
        .unwrap();
    channel.handle_source_end(p).unwrap();
    // Nothing left: the failed old change is never resent.
    channel.handle_timeout(now + Duration::from_secs(3600));
    assert!(
        channel
            .poll_batch(now + Duration::from_secs(3600))
            .is_none()
    );
    assert!(channel.is_settled());
    let results = outcomes(&drain(&mut channel));
    assert_eq!(
        results,
        vec![(10, ItemOutcome::Superseded), (20, ItemOutcome::Success)]
    );
}

#[test]
fn queued_changes_coalesce_by_usn_and_older_reads_are_dropped() {
    let now = Instant::now();
    let mut channel = Channel::new(ChannelConfig::new(AD, AAD), now);
    let p = channel.begin_partition(partition(), ReadMode::Incremental);
    channel.handle_source_item(p, account(1, 30)).unwrap();
    channel.handle_source_item(p, account(1, 40)).unwrap();
    channel.handle_source_item(p, account(1, 35)).unwrap();
    channel.handle_source_item(p, account(2, 31)).unwrap();
    let batch = channel.poll_batch(now).unwrap();
    let sent: Vec<(u64, String)> = batch
        .requests
        .iter()
        .map(|r| (r.usn(), r.sam_account_name().to_owned()))
        .collect();
    assert_eq!(sent, vec![(40, "u1".to_owned()), (31, "u2".to_owned())]);
}

#[test]
fn cursor_commits_only_past_final_results() {
    let now = Instant::now();
    let mut channel = Channel::new(ChannelConfig::new(AD, AAD), now);
    let p = channel.begin_partition(partition(), ReadMode::Incremental);
    channel.handle_source_item(p, account(1, 1)).unwrap();
    channel.handle_source_item(p, account(2, 2)).unwrap();
    channel
        .handle_source_item(p, SourceItem::Checkpoint(Cursor::new("after-2")))
        .unwrap();
    channel.handle_source_item(p, account(3, 3)).unwrap();
    channel
        .handle_source_item(p, SourceItem::Checkpoint(Cursor::new("after-3")))
        .unwrap();
    assert!(channel.poll_commit().is_none());
    let batch = channel.poll_batch(now).unwrap();
    assert_eq!(batch.requests.len(), 3);
    // Account 1 fails (retry); 2 and 3 succeed: no commit yet.
    channel
        .handle_batch_results(
            batch.id,
            &[
                ItemResult::FailedRetry,
                ItemResult::Success,
                ItemResult::Success,
            ],
            now,
        )
        .unwrap();
    assert!(channel.poll_commit().is_none(), "account 1 is not final");
    let later = channel.poll_timeout();
    assert!(later > now, "backoff schedules the retry in the future");
    assert!(channel.poll_batch(now).is_none(), "not before the backoff");
    channel.handle_timeout(later);
    let retry = channel.poll_batch(later).unwrap();
    assert_eq!(retry.requests[0].usn(), 1);
    channel
        .handle_batch_results(retry.id, &[ItemResult::Success], later)
        .unwrap();
    let commit = channel.poll_commit().unwrap();
    assert_eq!(
        commit.cursor,
        Cursor::new("after-3"),
        "jumps to the last final checkpoint"
    );
    assert!(channel.poll_commit().is_none());
}

#[test]
fn no_retry_is_final_and_reported() {
    let now = Instant::now();
    let mut channel = Channel::new(ChannelConfig::new(AD, AAD), now);
    let p = channel.begin_partition(partition(), ReadMode::Incremental);
    channel.handle_source_item(p, account(1, 5)).unwrap();
    channel
        .handle_source_item(p, SourceItem::Checkpoint(Cursor::new("c")))
        .unwrap();
    channel.handle_source_end(p).unwrap();
    let batch = channel.poll_batch(now).unwrap();
    channel
        .handle_batch_results(batch.id, &[ItemResult::FailedNoRetry], now)
        .unwrap();
    assert_eq!(channel.poll_commit().unwrap().cursor, Cursor::new("c"));
    assert!(channel.is_settled());
    let events = drain(&mut channel);
    assert_eq!(outcomes(&events), vec![(5, ItemOutcome::NoRetry)]);
}

#[test]
fn retry_queue_overflow_is_reported_and_holds_the_cursor() {
    let now = Instant::now();
    let mut config = ChannelConfig::new(AD, AAD);
    config.retry_queue_limit = 3;
    config.batch_size = 10;
    let mut channel = Channel::new(config, now);
    let p = channel.begin_partition(partition(), ReadMode::Incremental);
    for n in 1..=10 {
        channel
            .handle_source_item(p, account(n, u64::from(n)))
            .unwrap();
    }
    channel
        .handle_source_item(p, SourceItem::Checkpoint(Cursor::new("after-10")))
        .unwrap();
    channel.handle_source_end(p).unwrap();
    let batch = channel.poll_batch(now).unwrap();
    assert_eq!(batch.requests.len(), 10);
    channel
        .handle_batch_results(batch.id, &[ItemResult::FailedRetry; 10], now)
        .unwrap();
    assert_eq!(channel.retrying(), 3);
    let events = drain(&mut channel);
    let overflows: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::RetryQueueOverflow { usn, limit, .. } => Some((*usn, *limit)),
            _ => None,
        })
        .collect();
    assert_eq!(overflows, (4..=10).map(|u| (u, 3)).collect::<Vec<_>>());
    let results = outcomes(&events);
    assert_eq!(
        results
            .iter()
            .filter(|(_, o)| *o == ItemOutcome::Overflowed)
            .count(),
        7
    );
    // The three queued retries succeed: still no commit, the partition failed.
    let at = now + Duration::from_secs(60);
    channel.handle_timeout(at);
    let retry = channel.poll_batch(at).unwrap();
    assert_eq!(retry.requests.len(), 3);
    channel
        .handle_batch_results(retry.id, &[ItemResult::Success; 3], at)
        .unwrap();
    assert!(
        channel.poll_commit().is_none(),
        "overflowed changes must be re-read"
    );
    let statuses: Vec<_> = std::iter::from_fn(|| channel.poll_status()).collect();
    assert_eq!(statuses.last().unwrap().status, PartitionStatus::Failed);
    assert!(channel.is_settled());
}

#[test]
fn heartbeat_when_idle() {
    let now = Instant::now();
    let mut config = ChannelConfig::new(AD, AAD);
    config.heartbeat_interval = Duration::from_secs(1800);
    let mut channel = Channel::new(config, now);
    assert_eq!(channel.poll_timeout(), now + Duration::from_secs(1800));
    channel.handle_timeout(now + Duration::from_secs(1799));
    assert!(channel.poll_event().is_none());
    channel.handle_timeout(now + Duration::from_secs(1800));
    let event = channel.poll_event().unwrap();
    assert_eq!(event.id(), 653);
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["id"], 653);
    assert_eq!(json["event"], "Heartbeat");
    assert_eq!(json["connector"], AD);
    assert_eq!(channel.poll_timeout(), now + Duration::from_secs(3600));
}

#[test]
fn retries_back_off_exponentially_with_seeded_jitter() {
    let run = |seed: u64| {
        let now = Instant::now();
        let mut config = ChannelConfig::new(AD, AAD);
        config.seed = seed;
        let mut channel = Channel::new(config, now);
        let p = channel.begin_partition(partition(), ReadMode::Incremental);
        channel.handle_source_item(p, account(1, 1)).unwrap();
        let mut t = now;
        let mut delays = Vec::new();
        for _ in 0..5 {
            let batch = channel.poll_batch(t).unwrap();
            channel
                .handle_batch_results(batch.id, &[ItemResult::FailedRetry], t)
                .unwrap();
            let next = channel.poll_timeout();
            delays.push(next - t);
            t = next;
            channel.handle_timeout(t);
        }
        delays
    };
    let a = run(1);
    assert_eq!(a, run(1), "same seed, same schedule");
    assert_ne!(a, run(2), "the seed moves the jitter");
    // Default backoff: 2 s doubling; equal jitter keeps each delay in [base/2, base).
    for (i, delay) in a.iter().enumerate() {
        let base = Duration::from_secs(2 << i);
        assert!(*delay >= base / 2 && *delay < base, "{i}: {delay:?}");
    }
}
