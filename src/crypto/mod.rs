//! Pure derivations: NT hash, Kerberos keys, salts and the OrgId hash.
//!
//! Nothing here knows about connectors or sync; every function is a pure
//! computation over the [`secret`](crate::secret) types.

pub mod bulk;
pub(crate) mod dispatch;
pub(crate) mod forced;
mod kerberos;
mod nt;
mod org_id;
mod pbkdf2;
mod salt;
#[allow(unsafe_code)]
mod simd;

pub use kerberos::{
    AesKeys, Iterations, aes_keys, aes_keys_from_utf8, aes_pbkdf2, nfold, string_to_key,
};
pub use nt::nt_hash;
pub use org_id::org_id_hash;
pub use salt::{
    AccountSaltAttributes, Salt, UF_INTERDOMAIN_TRUST_ACCOUNT, UF_SERVER_TRUST_ACCOUNT,
    UF_WORKSTATION_TRUST_ACCOUNT,
};
