//! The driver's scaling over cores, measured so that machine drift cannot
//! decide it: `cargo bench -p hashsync-benches --bench scaling [-- ROUNDS]`.
//!
//! Criterion measures one benchmark after another, and on a shared VM the
//! speed of a core drifts over seconds to minutes, so the ratio of two
//! criterion means moves by more than the effect it should show. Here
//! each round runs the same full sync (1,960 accounts, the `sync` bench's
//! `_raw` variant with raw `supplementalCredentials` parsed where batches
//! are prepared, and its `_preparsed` one) on one thread and then on every
//! core, back to back, and the same OrgId hashing with no engine on fresh
//! plain threads (a reference, not a ceiling: those threads start cold on
//! each run, and on the VMs measured so far they scaled worse than the
//! driver's pool). Reported: the
//! minimum and the median of each, their ratios, and how much CPU time each
//! two-core run used against its one-core partner.

use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "full_sync.rs"]
mod full_sync;
use full_sync::{N, Parse, full_sync, hash_only, vector_account};

/// This process's user + system CPU time.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name's closing parenthesis; utime and
    // stime are the 12th and 13th of them, in clock ticks (USER_HZ, 100).
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Wall and CPU time of `run`.
fn timed(run: impl FnOnce()) -> (Duration, Duration) {
    let (cpu, wall) = (cpu_time(), Instant::now());
    run();
    (wall.elapsed(), cpu_time().saturating_sub(cpu))
}

#[derive(Default)]
struct Series {
    wall: Vec<Duration>,
    cpu: Duration,
}

impl Series {
    fn push(&mut self, (wall, cpu): (Duration, Duration)) {
        self.wall.push(wall);
        self.cpu += cpu;
    }

    fn min(&self) -> f64 {
        self.wall
            .iter()
            .min()
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    }

    fn median(&self) -> f64 {
        let mut sorted = self.wall.clone();
        sorted.sort();
        sorted
            .get(sorted.len() / 2)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    }

    fn busy_cores(&self) -> f64 {
        self.cpu.as_secs_f64() / self.wall.iter().sum::<Duration>().as_secs_f64()
    }
}

fn report(name: &str, one: &Series, all: &Series, cores: usize) {
    println!(
        "{name}: one thread min {:.2} ms, median {:.2} ms; {cores} threads min {:.2} ms, \
         median {:.2} ms; ratio of minima {:.3}, of medians {:.3}; \
         busy cores {:.2}; CPU time {cores} threads / one {:.3}",
        one.min(),
        one.median(),
        all.min(),
        all.median(),
        one.min() / all.min(),
        one.median() / all.median(),
        all.busy_cores(),
        all.cpu.as_secs_f64() / one.cpu.as_secs_f64(),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a number among the arguments sets
    // the rounds.
    let rounds = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse::<usize>().ok())
        .unwrap_or(40);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (nt, blob) = vector_account();
    let accounts = N - N / 50;
    // Warm-up: the thread pool, the calibration, the caches.
    for threads in [1, cores] {
        assert_eq!(full_sync(&nt, &blob, threads, Parse::InPrepare), accounts);
        hash_only(&nt, accounts as usize, threads);
    }
    let (mut driver_one, mut driver_all) = (Series::default(), Series::default());
    let (mut preparsed_one, mut preparsed_all) = (Series::default(), Series::default());
    let (mut hashing_one, mut hashing_all) = (Series::default(), Series::default());
    for _ in 0..rounds {
        driver_one.push(timed(|| {
            black_box(full_sync(&nt, &blob, 1, Parse::InPrepare));
        }));
        driver_all.push(timed(|| {
            black_box(full_sync(&nt, &blob, cores, Parse::InPrepare));
        }));
        preparsed_one.push(timed(|| {
            black_box(full_sync(&nt, &blob, 1, Parse::Once));
        }));
        preparsed_all.push(timed(|| {
            black_box(full_sync(&nt, &blob, cores, Parse::Once));
        }));
        hashing_one.push(timed(|| hash_only(&nt, accounts as usize, 1)));
        hashing_all.push(timed(|| hash_only(&nt, accounts as usize, cores)));
    }
    println!("{rounds} rounds, {accounts} accounts, {cores} cores");
    report("driver full sync, raw", &driver_one, &driver_all, cores);
    report(
        "driver full sync, preparsed",
        &preparsed_one,
        &preparsed_all,
        cores,
    );
    report("hashing alone", &hashing_one, &hashing_all, cores);
}
