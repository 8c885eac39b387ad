//! The derivations on a backend the caller names, for tests and benches
//! (re-exported as the hidden `hashsync::__backend`).
//!
//! This sits above everything else in `crypto`: it only forwards to the
//! bulk and single-password APIs with an [`Engine`] made for the named
//! [`Backend`], or returns `None` when this CPU lacks it.

use super::bulk::{self, LegacyInput, LegacyKeys, OrgIdInput};
use super::dispatch::{Backend, Engine, Plan};
use super::kerberos::{AesKeys, Iterations, aes_keys_with_engine};
use super::salt::Salt;
use crate::error::Result;
use crate::secret::OrgIdHash;

/// [`bulk::legacy_keys_on_current_thread`] on `backend`; `None` if this
/// CPU lacks it.
pub fn legacy_keys_with(
    backend: Backend,
    inputs: &[LegacyInput<'_>],
) -> Option<Vec<Result<LegacyKeys>>> {
    Engine::new(backend).map(|engine| bulk::legacy_keys_with_plan(&Plan::sha1_only(engine), inputs))
}

/// [`bulk::legacy_keys`] (all cores) on `backend`; `None` if this CPU
/// lacks it.
pub fn legacy_keys_parallel_with(
    backend: Backend,
    inputs: &[LegacyInput<'_>],
) -> Option<Vec<Result<LegacyKeys>>> {
    Engine::new(backend).map(|engine| bulk::legacy_keys_parallel(&Plan::sha1_only(engine), inputs))
}

/// [`bulk::org_id_hashes_on_current_thread`] on `backend`; `None` if this
/// CPU lacks it.
pub fn org_id_hashes_with(
    backend: Backend,
    inputs: &[OrgIdInput<'_>],
) -> Option<Vec<Result<OrgIdHash>>> {
    Engine::new(backend)
        .map(|engine| bulk::org_id_hashes_with_plan(&Plan::sha256_only(engine), inputs))
}

/// [`bulk::org_id_hashes`] (all cores) on `backend`; `None` if this CPU
/// lacks it.
pub fn org_id_hashes_parallel_with(
    backend: Backend,
    inputs: &[OrgIdInput<'_>],
) -> Option<Vec<Result<OrgIdHash>>> {
    Engine::new(backend)
        .map(|engine| bulk::org_id_hashes_parallel(&Plan::sha256_only(engine), inputs))
}

/// [`aes_keys_from_utf8`](crate::crypto::aes_keys_from_utf8) (one
/// password, both PBKDF2 blocks side by side) on `backend`; `None` if this
/// CPU lacks it.
pub fn aes_keys_with(
    backend: Backend,
    password_utf8: &[u8],
    salt: &Salt,
    iterations: Iterations,
) -> Option<AesKeys> {
    Engine::new(backend).map(|engine| aes_keys_with_engine(engine, password_utf8, salt, iterations))
}
