//! Run-time choice of the PBKDF2 kernels, and the scheduler that packs
//! independent chains into their lanes.
//!
//! Everyday callers never see this: the bulk API and the single-password
//! path pick the best backend the CPU has (detected once, then cached).
//! Tests and benches reach [`Backend`] through the hidden
//! `hashsync::__backend` module to force one.

mod schedule;

use std::sync::OnceLock;

use zeroize::Zeroizing;

use super::pbkdf2::{Sha1, Sha256};
use super::simd::{
    self, ARRAY_LANES, AVX2_LANES, AVX512_LANES, Avx2, Avx512, SHA1_SHANI_LANES,
    SHA256_SHANI_LANES, Sha1State, Sha256State, ShaNi,
};
pub(crate) use schedule::Job;
use schedule::schedule;

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
    /// Sixteen chains per AVX-512 register, one per 32-bit lane (x86-64
    /// with AVX-512F).
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

    /// The backend bulk Kerberos (SHA-1) derivation uses on this CPU.
    pub fn best_for_kerberos() -> Backend {
        Engine::bulk_sha1().backend()
    }

    /// The backend bulk OrgId (SHA-256) derivation uses on this CPU.
    pub fn best_for_org_id() -> Backend {
        Engine::bulk_sha256().backend()
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

    /// The fastest engine for many SHA-1 chains, detected once. Measured
    /// on Zen 3 (one core): eight AVX2 lanes ~3,300 AES keys/s, four
    /// SHA-NI chains ~2,800, so AVX2 comes first.
    pub(crate) fn bulk_sha1() -> Self {
        static BULK: OnceLock<Engine> = OnceLock::new();
        *BULK.get_or_init(|| {
            Self::first_supported(&[Backend::Avx512, Backend::Avx2, Backend::ShaNi])
        })
    }

    /// The fastest engine for many SHA-256 chains, detected once. Measured
    /// on Zen 3 (one core): two SHA-NI chains ~18,000 OrgId hashes/s,
    /// eight AVX2 lanes ~11,000, so SHA-NI comes first.
    pub(crate) fn bulk_sha256() -> Self {
        static BULK: OnceLock<Engine> = OnceLock::new();
        *BULK.get_or_init(|| {
            Self::first_supported(&[Backend::Avx512, Backend::ShaNi, Backend::Avx2])
        })
    }

    fn first_supported(preference: &[Backend]) -> Self {
        preference
            .iter()
            .find_map(|backend| Engine::new(*backend))
            .unwrap_or(Engine::Portable)
    }

    /// The engine for one password's two chains: SHA-NI if present (AVX2
    /// would leave six of eight lanes idle), else portable.
    pub(crate) fn pair() -> Self {
        static PAIR: OnceLock<Engine> = OnceLock::new();
        *PAIR.get_or_init(|| Engine::new(Backend::ShaNi).unwrap_or(Engine::Portable))
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
        match self {
            Engine::Portable => schedule(jobs, 1, |chains, iterations, out| {
                out[0] = chains[0].iterate::<Sha1>(iterations);
            }),
            Engine::ShaNi(token) => schedule(jobs, SHA1_SHANI_LANES, |chains, iterations, out| {
                simd::sha1_shani(token, chains, iterations, out);
            }),
            Engine::PortableLanes => schedule(jobs, ARRAY_LANES, simd::sha1_array_lanes),
            Engine::Avx2(token) => schedule(jobs, AVX2_LANES, |chains, iterations, out| {
                simd::sha1_avx2(token, chains, iterations, out);
            }),
            Engine::Avx512(token) => schedule(jobs, AVX512_LANES, |chains, iterations, out| {
                simd::sha1_avx512(token, chains, iterations, out);
            }),
        }
    }

    /// `T` of every SHA-256 job, in job order.
    pub(crate) fn sha256(self, jobs: &[Job<Sha256State>]) -> Zeroizing<Vec<Sha256State>> {
        match self {
            Engine::Portable => schedule(jobs, 1, |chains, iterations, out| {
                out[0] = chains[0].iterate::<Sha256>(iterations);
            }),
            Engine::ShaNi(token) => {
                schedule(jobs, SHA256_SHANI_LANES, |chains, iterations, out| {
                    simd::sha256_shani(token, chains, iterations, out);
                })
            }
            Engine::PortableLanes => schedule(jobs, ARRAY_LANES, simd::sha256_array_lanes),
            Engine::Avx2(token) => schedule(jobs, AVX2_LANES, |chains, iterations, out| {
                simd::sha256_avx2(token, chains, iterations, out);
            }),
            Engine::Avx512(token) => schedule(jobs, AVX512_LANES, |chains, iterations, out| {
                simd::sha256_avx512(token, chains, iterations, out);
            }),
        }
    }
}
