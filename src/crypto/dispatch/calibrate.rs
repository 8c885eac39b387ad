//! Choosing the bulk backend by measurement: which kernel is fastest
//! differs by CPU in ways no feature table predicts (on Zen 3, eight AVX2
//! lanes beat SHA-NI for SHA-1 and lose to it for SHA-256; on Zen 4 the
//! AVX-512 kernels win both; on Zen 5 by more).
//!
//! Each candidate the CPU supports runs the same small synthetic job (no
//! secrets: fixed states, a few iterations) a few times; the best time of
//! each counts, which keeps a preempted run from deciding. All candidates
//! together take a few milliseconds, once per process and hash.

use std::time::{Duration, Instant};

use super::plan::Measured;
use super::{Engine, Job, Plan};
use crate::crypto::pbkdf2::Chain;

/// Chains in the job: a multiple of every kernel's width (1, 2, 4, 8, 16,
/// 32), so every candidate runs full lanes only.
const CHAINS: usize = 64;
/// Iterations per chain: enough to dwarf the packing and call overhead.
const ITERATIONS: u32 = 16;
/// Timed runs per candidate (after one untimed warm-up).
const RUNS: usize = 5;

/// The SHA-1 plan for `candidates`, from one timed job each.
pub(super) fn plan_sha1(candidates: &[Engine]) -> Plan {
    plan(candidates, Engine::sha1_lanes, |engine, jobs| {
        std::hint::black_box(engine.sha1(jobs));
    })
}

/// The SHA-256 plan for `candidates`, from one timed job each.
pub(super) fn plan_sha256(candidates: &[Engine]) -> Plan {
    plan(candidates, Engine::sha256_lanes, |engine, jobs| {
        std::hint::black_box(engine.sha256(jobs));
    })
}

/// Every candidate runs the same [`CHAINS`] chains (full lanes, so
/// `CHAINS / width` calls); one call's time is the plan's measure of a
/// pass over a full or partial group.
fn plan<S: Copy + Default + AsMut<[u32]>>(
    candidates: &[Engine],
    lanes: impl Fn(Engine) -> usize,
    run: impl Fn(Engine, &[Job<S>]),
) -> Plan {
    let jobs = synthetic_jobs::<S>();
    let measured: Vec<Measured> = candidates
        .iter()
        .map(|&engine| {
            let width = lanes(engine);
            let calls = CHAINS.div_ceil(width) as u32;
            Measured {
                engine,
                width,
                pass: best_time(|| run(engine, &jobs)) / calls,
            }
        })
        .collect();
    Plan::from_measurements(&measured)
        .unwrap_or_else(|| Plan::only(Engine::Portable, lanes(Engine::Portable)))
}

/// The shortest of [`RUNS`] timed runs of `job`, after a warm-up run
/// (which also brings a core out of a low-power state).
fn best_time(job: impl Fn()) -> Duration {
    job();
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            job();
            start.elapsed()
        })
        .min()
        .unwrap_or(Duration::MAX)
}

/// [`CHAINS`] chains of fixed, distinct states: the kernels' speed does
/// not depend on the values, only on the work.
fn synthetic_jobs<S: Copy + Default + AsMut<[u32]>>() -> Vec<Job<S>> {
    (0..CHAINS as u32)
        .map(|index| {
            let mut state = S::default();
            for (word, value) in state.as_mut().iter_mut().enumerate() {
                *value = index.wrapping_mul(0x9E37_79B9) ^ word as u32;
            }
            Job {
                chain: Chain {
                    inner: state,
                    outer: state,
                    first: state,
                },
                iterations: ITERATIONS,
            }
        })
        .collect()
}
