//! A bulk plan: which engine runs full groups of lanes, and which runs
//! the chains left over.
//!
//! A batch rarely fills the widest kernel's lanes exactly: fifty OrgId
//! hashes are three groups of sixteen AVX-512 lanes and two chains, and
//! those two cost a whole sixteen-lane pass. A narrower kernel finishes a
//! few chains sooner (on Zen 4, SHA-NI's two SHA-256 chains take about a
//! sixth of an AVX-512 pass), so the plan sends the leftover chains to the
//! engine that, by the calibration's own timings, finishes that many
//! soonest.

use std::sync::OnceLock;
use std::time::Duration;

use zeroize::{Zeroize, Zeroizing};

use super::super::simd::{Sha1State, Sha256State};
use super::{Engine, Job, calibrate};

/// The engine for full groups and, for each number of chains left over,
/// the engine that finishes them soonest.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    main: Engine,
    /// Chains per call of `main` for this plan's hash.
    width: usize,
    /// `tails[r]`: the engine for `r` leftover chains (`0 < r < width`);
    /// empty when `main` runs everything.
    tails: Vec<Engine>,
}

/// A candidate as calibration measured it, for one hash.
#[derive(Clone, Copy, Debug)]
pub(super) struct Measured {
    pub(super) engine: Engine,
    /// Chains per call.
    pub(super) width: usize,
    /// One call's time (a full or partial group: the same work).
    pub(super) pass: Duration,
}

impl Plan {
    /// The plan for many SHA-1 chains: the forced backend alone, or
    /// measured once per process.
    pub(crate) fn bulk_sha1() -> &'static Plan {
        static BULK: OnceLock<Plan> = OnceLock::new();
        BULK.get_or_init(|| match Engine::forced() {
            Some(engine) => Plan::sha1_only(engine),
            None => calibrate::plan_sha1(&Engine::candidates()),
        })
    }

    /// The plan for many SHA-256 chains, chosen like
    /// [`bulk_sha1`](Self::bulk_sha1).
    pub(crate) fn bulk_sha256() -> &'static Plan {
        static BULK: OnceLock<Plan> = OnceLock::new();
        BULK.get_or_init(|| match Engine::forced() {
            Some(engine) => Plan::sha256_only(engine),
            None => calibrate::plan_sha256(&Engine::candidates()),
        })
    }

    /// `engine` for all SHA-1 chains (a forced backend).
    pub(crate) fn sha1_only(engine: Engine) -> Self {
        Self::only(engine, engine.sha1_lanes())
    }

    /// `engine` for all SHA-256 chains (a forced backend).
    pub(crate) fn sha256_only(engine: Engine) -> Self {
        Self::only(engine, engine.sha256_lanes())
    }

    /// `engine`, `width` chains per call, for everything.
    pub(super) fn only(engine: Engine, width: usize) -> Self {
        Self {
            main: engine,
            width,
            tails: Vec::new(),
        }
    }

    /// The fastest candidate by throughput for full groups, and for each
    /// leftover count the candidate whose passes over it take least time
    /// (`main`'s single pass on a tie). `None` without candidates.
    pub(super) fn from_measurements(candidates: &[Measured]) -> Option<Self> {
        let per_chain = |m: &Measured| m.pass.as_secs_f64() / m.width as f64;
        let main = candidates
            .iter()
            .min_by(|a, b| per_chain(a).total_cmp(&per_chain(b)))?;
        let tails = (0..main.width)
            .map(|left| {
                let cost = |m: &Measured| left.div_ceil(m.width) as f64 * m.pass.as_secs_f64();
                candidates
                    .iter()
                    .filter(|m| cost(m) < cost(main))
                    .min_by(|a, b| cost(a).total_cmp(&cost(b)))
                    .unwrap_or(main)
                    .engine
            })
            .collect();
        Some(Self {
            main: main.engine,
            width: main.width,
            tails,
        })
    }

    /// The engine for full groups.
    pub(crate) fn main(&self) -> Engine {
        self.main
    }

    /// The engine for `left` chains over the last full group.
    pub(super) fn tail(&self, left: usize) -> Engine {
        self.tails.get(left).copied().unwrap_or(self.main)
    }

    /// `T` of every SHA-1 job, in job order.
    pub(crate) fn sha1(&self, jobs: &[Job<Sha1State>]) -> Zeroizing<Vec<Sha1State>> {
        self.run(jobs, Engine::sha1)
    }

    /// `T` of every SHA-256 job, in job order.
    pub(crate) fn sha256(&self, jobs: &[Job<Sha256State>]) -> Zeroizing<Vec<Sha256State>> {
        self.run(jobs, Engine::sha256)
    }

    /// Full groups on `main`, the chains over them on their tail engine.
    /// Jobs of mixed iteration counts (old agents' 100 beside today's
    /// 1000) make several groups of their own: they run on `main` alone.
    fn run<S: Copy + Zeroize>(
        &self,
        jobs: &[Job<S>],
        engine_run: impl Fn(Engine, &[Job<S>]) -> Zeroizing<Vec<S>>,
    ) -> Zeroizing<Vec<S>> {
        let uniform = jobs
            .first()
            .is_some_and(|first| jobs.iter().all(|job| job.iterations == first.iterations));
        let left = jobs.len() % self.width.max(1);
        let tail = self.tail(left);
        if !uniform || left == 0 || tail.backend() == self.main.backend() {
            return engine_run(self.main, jobs);
        }
        let (full, rest) = jobs.split_at(jobs.len() - left);
        // One allocation of the final size: joining never reallocates, so
        // no copy of the blocks is left behind unzeroized.
        let mut out = Zeroizing::new(Vec::with_capacity(jobs.len()));
        if !full.is_empty() {
            out.extend_from_slice(&engine_run(self.main, full));
        }
        out.extend_from_slice(&engine_run(tail, rest));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::dispatch::Backend;
    use crate::crypto::pbkdf2::{BlockHash, HmacKey, Sha1, Sha256};

    /// `count` chains of distinct keys and salts; every fifth with
    /// `odd_iterations` when given (mixed counts), else `iterations`.
    fn jobs<D: BlockHash>(
        count: usize,
        iterations: u32,
        odd_iterations: Option<u32>,
    ) -> Vec<Job<D::State>> {
        (0..count)
            .map(|index| Job {
                chain: HmacKey::<D>::new(format!("password {index}").as_bytes())
                    .chain(format!("salt {index}").as_bytes(), 1),
                iterations: match odd_iterations {
                    Some(odd) if index % 5 == 4 => odd,
                    _ => iterations,
                },
            })
            .collect()
    }

    /// A plan that sends every leftover count to the portable engine,
    /// so the split and the join run on every CPU.
    fn split_plan(width: usize) -> Plan {
        Plan {
            main: Engine::PortableLanes,
            width,
            tails: vec![Engine::Portable; width],
        }
    }

    #[test]
    fn a_split_plan_gives_what_one_engine_gives_for_every_leftover_count() {
        let sha1 = split_plan(Engine::PortableLanes.sha1_lanes());
        let sha256 = split_plan(Engine::PortableLanes.sha256_lanes());
        for count in [0, 1, 2, 15, 16, 17, 31, 32, 33, 47, 50, 65, 100] {
            for odd in [None, Some(2)] {
                let jobs1 = jobs::<Sha1>(count, 3, odd);
                assert_eq!(
                    *sha1.sha1(&jobs1),
                    *Engine::Portable.sha1(&jobs1),
                    "SHA-1, {count} chains, {odd:?}"
                );
                let jobs256 = jobs::<Sha256>(count, 3, odd);
                assert_eq!(
                    *sha256.sha256(&jobs256),
                    *Engine::Portable.sha256(&jobs256),
                    "SHA-256, {count} chains, {odd:?}"
                );
            }
        }
    }

    #[test]
    fn the_calibrated_plans_give_what_the_portable_engine_gives() {
        // Whatever this CPU's calibration chose for each leftover count.
        for count in 1..=70 {
            let jobs1 = jobs::<Sha1>(count, 2, None);
            assert_eq!(
                *Plan::bulk_sha1().sha1(&jobs1),
                *Engine::Portable.sha1(&jobs1),
                "SHA-1, {count} chains"
            );
            let jobs256 = jobs::<Sha256>(count, 2, None);
            assert_eq!(
                *Plan::bulk_sha256().sha256(&jobs256),
                *Engine::Portable.sha256(&jobs256),
                "SHA-256, {count} chains"
            );
        }
    }

    fn measured(engine: Engine, width: usize, micros: u64) -> Measured {
        Measured {
            engine,
            width,
            pass: Duration::from_micros(micros),
        }
    }

    #[test]
    fn leftover_chains_go_to_the_engine_that_finishes_them_soonest() {
        // Zen 4-like SHA-256 timings: a 16-lane pass of 500 us, a 2-chain
        // pass of 90 us, one chain at a time 60 us. Worked out by hand:
        // one chain left: 60 us on the 1-lane engine (90, 500 elsewhere);
        // two to ten: ceil(r/2) x 90 us on the 2-lane one (450 at r = 10);
        // eleven to fifteen: 540 us or more there, so the 16-lane pass.
        let wide = Engine::PortableLanes;
        let pair = Engine::Portable;
        let single = Engine::Portable;
        let plan = Plan::from_measurements(&[
            measured(wide, 16, 500),
            measured(pair, 2, 90),
            measured(single, 1, 60),
        ])
        .unwrap();
        assert_eq!(plan.main().backend(), Backend::PortableLanes);
        let expected: Vec<Backend> = (0..16)
            .map(|left| match left {
                0 | 11.. => Backend::PortableLanes,
                _ => Backend::Portable,
            })
            .collect();
        let chosen: Vec<Backend> = (0..16).map(|left| plan.tail(left).backend()).collect();
        assert_eq!(chosen, expected);
    }

    #[test]
    fn the_main_engine_is_the_fastest_per_chain_and_wins_ties() {
        // 16 lanes in 800 us (50 us a chain) against 2 in 90 (45 a chain):
        // the narrow engine is faster per chain, so it runs everything.
        let plan = Plan::from_measurements(&[
            measured(Engine::PortableLanes, 16, 800),
            measured(Engine::Portable, 2, 90),
        ])
        .unwrap();
        assert_eq!(plan.main().backend(), Backend::Portable);
        assert!((0..2).all(|left| plan.tail(left).backend() == Backend::Portable));
        // A tail that costs exactly one main pass stays on main.
        let plan = Plan::from_measurements(&[
            measured(Engine::PortableLanes, 16, 400),
            measured(Engine::Portable, 2, 100),
        ])
        .unwrap();
        assert_eq!(plan.tail(8).backend(), Backend::PortableLanes);
        assert_eq!(plan.tail(7).backend(), Backend::PortableLanes);
        assert_eq!(plan.tail(6).backend(), Backend::Portable);
        assert!(Plan::from_measurements(&[]).is_none());
    }
}
