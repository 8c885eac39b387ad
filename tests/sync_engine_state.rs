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
    let mut channel = Channel::new(ChannelConfig::new(AD, AAD), now).unwrap();
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
    let mut channel = Channel::new(ChannelConfig::new(AD, AAD), now).unwrap();
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
    let mut channel = Channel::new(ChannelConfig::new(AD, AAD), now).unwrap();
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
    let mut channel = Channel::new(ChannelConfig::new(AD, AAD), now).unwrap();
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
    config.retry_queue_limit = 10;
    config.batch_size = 10;
    let mut channel = Channel::new(config, now).unwrap();
    channel.begin_cycle(None);
    let p = channel.begin_partition(partition(), ReadMode::Incremental);
    for n in 1..=13 {
        channel
            .handle_source_item(p, account(n, u64::from(n)))
            .unwrap();
    }
    channel
        .handle_source_item(p, SourceItem::Checkpoint(Cursor::new("after-13")))
        .unwrap();
    channel.handle_source_end(p).unwrap();
    for expected in [10, 3] {
        let batch = channel.poll_batch(now).unwrap();
        assert_eq!(batch.requests.len(), expected);
        channel
            .handle_batch_results(batch.id, &vec![ItemResult::FailedRetry; expected], now)
            .unwrap();
    }
    assert_eq!(channel.retrying(), 10);
    let events = drain(&mut channel);
    let overflows: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::RetryQueueOverflow { usn, limit, .. } => Some((*usn, *limit)),
            _ => None,
        })
        .collect();
    assert_eq!(overflows, (11..=13).map(|u| (u, 10)).collect::<Vec<_>>());
    assert!(
        events
            .iter()
            .filter(|e| e.kind() == "RetryQueueOverflow")
            .all(|e| e.entra_connect_id().is_none()),
        "the crate's own event"
    );
    let added = events
        .iter()
        .filter(|e| e.entra_connect_id() == Some(605))
        .count();
    assert_eq!(added, 10, "605 per object entering the queue");
    let results = outcomes(&events);
    assert_eq!(
        results
            .iter()
            .filter(|(_, o)| *o == ItemOutcome::Overflowed)
            .count(),
        3
    );
    // The ten queued retries succeed: still no commit, the partition failed.
    let at = now + Duration::from_secs(60);
    channel.handle_timeout(at);
    let retry = channel.poll_batch(at).unwrap();
    assert_eq!(retry.requests.len(), 10);
    channel
        .handle_batch_results(retry.id, &[ItemResult::Success; 10], at)
        .unwrap();
    let removed = drain(&mut channel)
        .iter()
        .filter(|e| e.entra_connect_id() == Some(606))
        .count();
    assert_eq!(removed, 10, "606 per object leaving the queue");
    assert!(
        channel.poll_commit().is_none(),
        "overflowed changes must be re-read"
    );
    channel.end_cycle();
    let statuses: Vec<_> = std::iter::from_fn(|| channel.poll_status()).collect();
    assert_eq!(statuses.last().unwrap().status, PartitionStatus::Failed);
    assert!(channel.is_settled());
}

#[test]
fn heartbeat_ping_pair_when_idle_with_the_connectors_identifier() {
    let now = Instant::now();
    let id = hashsync::model::Uuid::from_u128(0x6d1e5c0a_4f3b_4b8e_9a61_0c0a5e1d2a01);
    let mut config = ChannelConfig::new(AD, AAD).with_source_connector_id(id);
    config.heartbeat_interval = Duration::from_secs(1800);
    let mut channel = Channel::new(config, now).unwrap();
    assert_eq!(channel.poll_timeout(), now + Duration::from_secs(1800));
    channel.handle_timeout(now + Duration::from_secs(1799));
    assert!(!channel.poll_ping());
    assert!(channel.poll_event().is_none());
    channel.handle_timeout(now + Duration::from_secs(1800));
    assert!(channel.poll_ping());
    assert!(!channel.poll_ping(), "one ping per interval");
    channel.handle_ping_result(Ok(()));
    let events = drain(&mut channel);
    let ids: Vec<_> = events.iter().map(Event::entra_connect_id).collect();
    assert_eq!(ids, vec![Some(653), Some(654)]);
    let json = serde_json::to_value(&events[1]).unwrap();
    assert_eq!(json["id"], 654);
    assert_eq!(json["kind"], "PingCompleted");
    assert_eq!(json["connector"], AD);
    assert_eq!(json["connector_id"], "6d1e5c0a-4f3b-4b8e-9a61-0c0a5e1d2a01");
    assert_eq!(channel.poll_timeout(), now + Duration::from_secs(3600));
    // A failed ping is 655.
    channel.handle_timeout(now + Duration::from_secs(3600));
    assert!(channel.poll_ping());
    channel.handle_ping_result(Err("target unreachable"));
    let ids: Vec<_> = drain(&mut channel)
        .iter()
        .map(Event::entra_connect_id)
        .collect();
    assert_eq!(ids, vec![Some(653), Some(655)]);
}

#[test]
fn retries_back_off_exponentially_with_seeded_jitter() {
    let run = |seed: u64| {
        let now = Instant::now();
        let mut config = ChannelConfig::new(AD, AAD);
        config.seed = seed;
        let mut channel = Channel::new(config, now).unwrap();
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
