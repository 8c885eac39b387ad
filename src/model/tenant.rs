//! The Entra tenant's settings that password sync honours.

use serde::{Deserialize, Serialize};

/// The tenant's settings: its directory-sync features and, when the tenant
/// runs Entra Domain Services, the managed domain's settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TenantSettings {
    /// The tenant's on-premises sync features.
    #[serde(default)]
    pub company_features: CompanyFeatures,
    /// The Domain Services managed domain, if the tenant has one; legacy
    /// credentials (NT hash, Kerberos keys) are sent only when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_domain: Option<ManagedDomainSettings>,
}

/// The tenant's directory-sync features (Entra's
/// `onPremisesDirectorySynchronization` features).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CompanyFeatures {
    /// Password hash sync is on for the tenant (`PasswordSync`).
    #[serde(default)]
    pub password_hash_sync: bool,
    /// Users who must change their password at next logon on-premises
    /// (`pwdLastSet = 0`) are synced with a force-change flag instead of being
    /// filtered (`UserForcePasswordChangeOnLogon`).
    #[serde(default)]
    pub force_password_change_on_logon: bool,
    /// Synced users get the cloud password policy (expiry) rather than a
    /// never-expiring password (`CloudPasswordPolicyForPasswordSyncedUsers`).
    #[serde(default)]
    pub cloud_password_policy_for_synced_users: bool,
}

/// The Domain Services managed domain's settings.
///
/// All default to `true`, as a new managed domain is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ManagedDomainSettings {
    /// Sync the real NT hash (`SyncNtlmPasswords`). When off, a random NT
    /// hash is sent instead, so NTLM sign-in fails on the managed domain.
    #[serde(default = "enabled_by_default")]
    pub sync_ntlm_passwords: bool,
    /// Sync the Kerberos keys (`SyncKerberosPasswords`). When off, no
    /// Kerberos key is sent.
    #[serde(default = "enabled_by_default")]
    pub sync_kerberos_passwords: bool,
    /// Sync on-premises passwords at all (`SyncOnPremPasswords`). When off,
    /// no legacy credential (NT hash, Kerberos keys) is sent; the OrgId
    /// hash still is.
    #[serde(default = "enabled_by_default")]
    pub sync_on_prem_passwords: bool,
}

fn enabled_by_default() -> bool {
    true
}

impl Default for ManagedDomainSettings {
    fn default() -> Self {
        Self {
            sync_ntlm_passwords: true,
            sync_kerberos_passwords: true,
            sync_on_prem_passwords: true,
        }
    }
}
