//! Run-time choice of the PBKDF2 kernels, and the scheduler that packs
//! independent chains into their lanes.
//!
//! Everyday callers never see this. Bulk derivation measures, once per
//! process and hash, which of the backends this CPU supports is fastest
//! (see `calibrate`); the single-password path runs its two chains on
//! SHA-NI where present. The environment variable [`BACKEND_VARIABLE`]
//! forces one backend for everything, and tests and benches reach
//! [`Backend`] through the hidden `hashsync::__backend` module to force
//! one per call.

mod calibrate;
mod plan;
mod schedule;

use std::sync::OnceLock;

use zeroize::Zeroizing;

use super::pbkdf2::{Sha1, Sha256};
use super::simd::{
    self, ARRAY_LANES, AVX2_LANES, AVX512_SHA1_LANES, AVX512_SHA256_LANES, Avx2, Avx512,
    SHA1_SHANI_LANES, SHA256_SHANI_LANES, Sha1State, Sha256State, ShaNi,
};
pub(crate) use plan::Plan;
pub(crate) use schedule::Job;
use schedule::schedule;

/// The environment variable that forces one backend for every
/// derivation in the process: a [`Backend::name`] (`portable`,
/// `portable-lanes`, `sha-ni`, `avx2`, `avx512`). An unknown name, or a
/// backend this CPU lacks, is ignored (the backends are measured as if it
/// were unset); [`Backend::forced`] says which one took effect.
pub const BACKEND_VARIABLE: &str = "HASHSYNC_BACKEND";

/// A PBKDF2 implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// One chain at a time over RustCrypto's compression functions (which
    /// use SHA-NI themselves when present). Runs everywhere; the reference.
    Portable,
    /// Several chains interleaved in SHA-NI registers (x86-64 with SHA-NI).
    ShaNi,
    /// Eight chains per AVX2 register, one per 32-bit lane.
    Avx2,
    /// Sixteen chains per AVX-512 register, one per 32-bit lane, SHA-1 in
    /// two interleaved groups (x86-64 with AVX-512F).
    Avx512,
    /// The lane kernel of [`Backend::Avx2`] and [`Backend::Avx512`] on
    /// plain arrays, two interleaved groups of sixteen lanes: the same
    /// logic in portable code, so it runs (and is tested) on every CPU.
    /// Slow; never chosen unless forced.
    PortableLanes,
}

impl Backend {
    /// Every backend, supported here or not.
    pub const ALL: [Backend; 5] = [
        Backend::Portable,
        Backend::PortableLanes,
        Backend::ShaNi,
        Backend::Avx2,
        Backend::Avx512,
    ];

    /// The backends this CPU can run, [`Backend::Portable`] first.
    pub fn supported() -> Vec<Backend> {
        Self::ALL
            .into_iter()
            .filter(|backend| Engine::new(*backend).is_some())
            .collect()
    }

    /// The backend bulk Kerberos (SHA-1) derivation uses in this
    /// process: [`Backend::forced`] if set, else the fastest one measured
    /// (the measurement runs on the first call, here or in a bulk call).
    pub fn best_for_kerberos() -> Backend {
        Plan::bulk_sha1().main().backend()
    }

    /// The backend bulk OrgId (SHA-256) derivation uses in this process,
    /// chosen like [`Backend::best_for_kerberos`].
    pub fn best_for_org_id() -> Backend {
        Plan::bulk_sha256().main().backend()
    }

    /// The backend [`BACKEND_VARIABLE`] forces, read once per process;
    /// `None` if it is unset, names no backend, or names one this CPU
    /// lacks.
    pub fn forced() -> Option<Backend> {
        Engine::forced().map(Engine::backend)
    }

    /// The backend called `name` (see [`Backend::name`]; case and
    /// surrounding spaces are ignored, and `shani` is accepted too).
    pub fn from_name(name: &str) -> Option<Backend> {
        let name = name.trim().to_ascii_lowercase();
        let name = if name == "shani" { "sha-ni" } else { &name };
        Self::ALL.into_iter().find(|backend| backend.name() == name)
    }

    /// A short lower-case name (`portable`, `portable-lanes`, `sha-ni`,
    /// `avx2`, `avx512`), for bench ids and `HASHSYNC_BACKEND`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Portable => "portable",
            Backend::PortableLanes => "portable-lanes",
            Backend::ShaNi => "sha-ni",
            Backend::Avx2 => "avx2",
            Backend::Avx512 => "avx512",
        }
    }
}

/// A backend this CPU was found to support, holding the proof.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Engine {
    Portable,
    PortableLanes,
    ShaNi(ShaNi),
    Avx2(Avx2),
    Avx512(Avx512),
}

impl Engine {
    /// The engine for `backend`, if this CPU supports it.
    pub(crate) fn new(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Portable => Some(Engine::Portable),
            Backend::PortableLanes => Some(Engine::PortableLanes),
            Backend::ShaNi => ShaNi::detect().map(Engine::ShaNi),
            Backend::Avx2 => Avx2::detect().map(Engine::Avx2),
            Backend::Avx512 => Avx512::detect().map(Engine::Avx512),
        }
    }

    /// The engine for one password's two chains: forced, or SHA-NI if
    /// present (a lane kernel would leave all but two lanes idle), else
    /// portable.
    pub(crate) fn pair() -> Self {
        static PAIR: OnceLock<Engine> = OnceLock::new();
        *PAIR.get_or_init(|| {
            Self::forced()
                .or_else(|| Engine::new(Backend::ShaNi))
                .unwrap_or(Engine::Portable)
        })
    }

    /// Chains per SHA-1 kernel call.
    pub(crate) fn sha1_lanes(self) -> usize {
        match self {
            Engine::Portable => 1,
            Engine::ShaNi(_) => SHA1_SHANI_LANES,
            Engine::PortableLanes => ARRAY_LANES,
            Engine::Avx2(_) => AVX2_LANES,
            Engine::Avx512(_) => AVX512_SHA1_LANES,
        }
    }

    /// Chains per SHA-256 kernel call.
    pub(crate) fn sha256_lanes(self) -> usize {
        match self {
            Engine::Portable => 1,
            Engine::ShaNi(_) => SHA256_SHANI_LANES,
            Engine::PortableLanes => ARRAY_LANES,
            Engine::Avx2(_) => AVX2_LANES,
            Engine::Avx512(_) => AVX512_SHA256_LANES,
        }
    }

    /// The engine [`BACKEND_VARIABLE`] forces, read once.
    pub(super) fn forced() -> Option<Self> {
        static FORCED: OnceLock<Option<Engine>> = OnceLock::new();
        *FORCED.get_or_init(|| {
            std::env::var(BACKEND_VARIABLE)
                .ok()
                .and_then(|name| Backend::from_name(&name))
                .and_then(Engine::new)
        })
    }

    /// What calibration measures: every supported backend but
    /// [`Backend::PortableLanes`], which exists to be tested, not to win.
    pub(super) fn candidates() -> Vec<Self> {
        Backend::ALL
            .into_iter()
            .filter(|backend| *backend != Backend::PortableLanes)
            .filter_map(Engine::new)
            .collect()
    }

    /// The backend this engine runs.
    pub(crate) fn backend(self) -> Backend {
        match self {
            Engine::Portable => Backend::Portable,
            Engine::PortableLanes => Backend::PortableLanes,
            Engine::ShaNi(_) => Backend::ShaNi,
            Engine::Avx2(_) => Backend::Avx2,
            Engine::Avx512(_) => Backend::Avx512,
        }
    }

    /// `T` of every SHA-1 job, in job order.
    pub(crate) fn sha1(self, jobs: &[Job<Sha1State>]) -> Zeroizing<Vec<Sha1State>> {
        let lanes = self.sha1_lanes();
        match self {
            Engine::Portable => schedule(jobs, lanes, |chains, iterations, out| {
                out[0] = chains[0].iterate::<Sha1>(iterations);
            }),
            Engine::ShaNi(token) => schedule(jobs, lanes, |chains, iterations, out| {
                simd::sha1_shani(token, chains, iterations, out);
            }),
            Engine::PortableLanes => schedule(jobs, lanes, simd::sha1_array_lanes),
            Engine::Avx2(token) => schedule(jobs, lanes, |chains, iterations, out| {
                simd::sha1_avx2(token, chains, iterations, out);
            }),
            Engine::Avx512(token) => schedule(jobs, lanes, |chains, iterations, out| {
                simd::sha1_avx512(token, chains, iterations, out);
            }),
        }
    }

    /// `T` of every SHA-256 job, in job order.
    pub(crate) fn sha256(self, jobs: &[Job<Sha256State>]) -> Zeroizing<Vec<Sha256State>> {
        let lanes = self.sha256_lanes();
        match self {
            Engine::Portable => schedule(jobs, lanes, |chains, iterations, out| {
                out[0] = chains[0].iterate::<Sha256>(iterations);
            }),
            Engine::ShaNi(token) => schedule(jobs, lanes, |chains, iterations, out| {
                simd::sha256_shani(token, chains, iterations, out);
            }),
            Engine::PortableLanes => schedule(jobs, lanes, simd::sha256_array_lanes),
            Engine::Avx2(token) => schedule(jobs, lanes, |chains, iterations, out| {
                simd::sha256_avx2(token, chains, iterations, out);
            }),
            Engine::Avx512(token) => schedule(jobs, lanes, |chains, iterations, out| {
                simd::sha256_avx512(token, chains, iterations, out);
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        for backend in Backend::ALL {
            assert_eq!(Backend::from_name(backend.name()), Some(backend));
            assert_eq!(
                Backend::from_name(&format!(" {} ", backend.name().to_uppercase())),
                Some(backend)
            );
        }
        assert_eq!(Backend::from_name("shani"), Some(Backend::ShaNi));
        assert_eq!(Backend::from_name("avx1024"), None);
        assert_eq!(Backend::from_name(""), None);
    }

    #[test]
    fn calibration_picks_among_the_candidates_it_is_given() {
        let candidates = Engine::candidates();
        assert_eq!(candidates[0].backend(), Backend::Portable);
        assert!(
            !candidates
                .iter()
                .any(|engine| engine.backend() == Backend::PortableLanes)
        );
        let supported = |engine: Engine| candidates.iter().any(|c| c.backend() == engine.backend());
        for plan in [
            calibrate::plan_sha1(&candidates),
            calibrate::plan_sha256(&candidates),
        ] {
            assert!(supported(plan.main()));
            assert!((0..32).all(|left| supported(plan.tail(left))));
        }
        let portable = calibrate::plan_sha1(&[Engine::Portable]);
        assert_eq!(portable.main().backend(), Backend::Portable);
    }
}
