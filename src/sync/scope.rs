//! Which accounts password hash sync carries: Entra Connect's defaults,
//! each rule configurable.

use serde::Serialize;

use super::credential::SourceAccount;

/// `userAccountControl`: the account is disabled.
pub const UF_ACCOUNTDISABLE: u32 = 0x0002;

/// The scope rules. [`ScopePolicy::default`] is Entra Connect's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScopePolicy {
    /// Object classes in scope (compared case-insensitively). Default: `user`.
    pub object_classes: Vec<String>,
    /// Skip disabled accounts (`userAccountControl` bit 2). Default: on.
    pub skip_disabled: bool,
    /// Skip accounts whose `adminDescription` equals this (case-insensitive).
    /// Default: `PHSFiltered`.
    pub filtered_admin_description: Option<String>,
    /// `sAMAccountName` prefixes of the sync service's own accounts
    /// (case-insensitive). Default: `MSOL_`, `AAD_`.
    pub service_account_prefixes: Vec<String>,
    /// Skip critical system objects (`isCriticalSystemObject`). Default: on.
    pub skip_critical_system_objects: bool,
    /// The tenant's ForcePasswordChangeOnLogOn feature: when on, accounts
    /// with `pwdLastSet = 0` are synced with the force-change flag; when off
    /// (the default) they are skipped.
    pub force_password_change_on_logon: bool,
}

impl Default for ScopePolicy {
    fn default() -> Self {
        Self {
            object_classes: vec!["user".to_owned()],
            skip_disabled: true,
            filtered_admin_description: Some("PHSFiltered".to_owned()),
            service_account_prefixes: vec!["MSOL_".to_owned(), "AAD_".to_owned()],
            skip_critical_system_objects: true,
            force_password_change_on_logon: false,
        }
    }
}

/// Why an account is out of scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum SkipReason {
    /// Its object class is not in scope.
    ObjectClass,
    /// Disabled (`userAccountControl` bit 2).
    Disabled,
    /// `adminDescription` asks for it to be filtered.
    PhsFiltered,
    /// One of the sync service's own accounts (`MSOL_`, `AAD_`).
    SyncServiceAccount,
    /// A critical system object.
    CriticalSystemObject,
    /// Must change password at next logon, and the tenant feature is off.
    MustChangePassword,
    /// The account's input was unusable (see the event's detail).
    InvalidInput,
}

/// The policy's verdict on one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeDecision {
    /// Sync it.
    Sync {
        /// Send the force-change-on-logon flag.
        force_change_on_logon: bool,
    },
    /// Leave it out.
    Skip(SkipReason),
}

impl ScopePolicy {
    /// Applies the rules in order and returns the first that excludes the
    /// account, or whether to send it with the force-change flag.
    pub fn decide(&self, account: &SourceAccount) -> ScopeDecision {
        if !self
            .object_classes
            .iter()
            .any(|class| class.eq_ignore_ascii_case(&account.object_class))
        {
            return ScopeDecision::Skip(SkipReason::ObjectClass);
        }
        if self.skip_disabled && account.user_account_control & UF_ACCOUNTDISABLE != 0 {
            return ScopeDecision::Skip(SkipReason::Disabled);
        }
        let filtered = self
            .filtered_admin_description
            .as_ref()
            .zip(account.admin_description.as_ref())
            .is_some_and(|(filtered, description)| filtered.eq_ignore_ascii_case(description));
        if filtered {
            return ScopeDecision::Skip(SkipReason::PhsFiltered);
        }
        if self
            .service_account_prefixes
            .iter()
            .any(|prefix| starts_with_ignore_case(&account.sam_account_name, prefix))
        {
            return ScopeDecision::Skip(SkipReason::SyncServiceAccount);
        }
        if self.skip_critical_system_objects && account.is_critical_system_object {
            return ScopeDecision::Skip(SkipReason::CriticalSystemObject);
        }
        let must_change = account.pwd_last_set == 0;
        if must_change && !self.force_password_change_on_logon {
            return ScopeDecision::Skip(SkipReason::MustChangePassword);
        }
        ScopeDecision::Sync {
            force_change_on_logon: must_change,
        }
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.is_char_boundary(prefix.len())
        && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}
