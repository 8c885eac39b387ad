//! Which accounts password hash sync carries: Entra Connect's defaults,
//! each rule configurable.

use serde::{Deserialize, Serialize};

use super::credential::SourceAccount;

/// `userAccountControl`: the account is disabled.
pub const UF_ACCOUNTDISABLE: u32 = 0x0002;

/// Selective password hash sync, by `adminDescription` (off by default,
/// as in Entra Connect, where an admin opts in by editing sync rules).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SelectivePasswordHashSync {
    /// Every account the other rules keep is synced.
    #[default]
    Off,
    /// Accounts whose `adminDescription` is `PHSFiltered` are left out.
    Exclude,
    /// Only accounts whose `adminDescription` is `PHSIncluded` are synced.
    Include,
}

/// The `adminDescription` value selective sync excludes.
pub const PHS_FILTERED: &str = "PHSFiltered";
/// The `adminDescription` value selective sync's include mode keeps.
pub const PHS_INCLUDED: &str = "PHSIncluded";

/// The scope rules. [`ScopePolicy::default`] is Entra Connect's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScopePolicy {
    /// Object classes in scope (compared case-insensitively). Default: `user`.
    pub object_classes: Vec<String>,
    /// Skip disabled accounts (`userAccountControl` bit 2). Default: on.
    pub skip_disabled: bool,
    /// Selective password hash sync. Default: off.
    pub selective: SelectivePasswordHashSync,
    /// The default sync rules' exclusions: no `sAMAccountName`,
    /// `SUPPORT_388945a0`, Exchange system mailboxes (`SystemMailbox{`,
    /// `CAS_` prefixes), replication conflict objects (`\0ACNF:` in the
    /// name). Default: on.
    pub default_exclusions: bool,
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
            selective: SelectivePasswordHashSync::Off,
            default_exclusions: true,
            service_account_prefixes: vec!["MSOL_".to_owned(), "AAD_".to_owned()],
            skip_critical_system_objects: true,
            force_password_change_on_logon: false,
        }
    }
}

/// Why an account is out of scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SkipReason {
    /// Its object class is not in scope.
    ObjectClass,
    /// Disabled (`userAccountControl` bit 2).
    Disabled,
    /// Selective sync (exclude mode): `adminDescription` is `PHSFiltered`.
    PhsFiltered,
    /// Selective sync (include mode): `adminDescription` is not `PHSIncluded`.
    NotPhsIncluded,
    /// No `sAMAccountName` (a default rule's exclusion).
    NoSamAccountName,
    /// `SUPPORT_388945a0`, the remote assistance account (a default rule's exclusion).
    SupportAccount,
    /// An Exchange system mailbox, `SystemMailbox{…}` or `CAS_…` (a default
    /// rule's exclusion).
    ExchangeSystemMailbox,
    /// A replication conflict object, `\0ACNF:` in its name (a default
    /// rule's exclusion).
    ReplicationConflict,
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
        if let Some(reason) = self.selective_skip(account) {
            return ScopeDecision::Skip(reason);
        }
        if self.default_exclusions
            && let Some(reason) = default_exclusion(account)
        {
            return ScopeDecision::Skip(reason);
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

impl ScopePolicy {
    fn selective_skip(&self, account: &SourceAccount) -> Option<SkipReason> {
        let is = |value: &str| {
            account
                .admin_description
                .as_deref()
                .is_some_and(|description| description.eq_ignore_ascii_case(value))
        };
        match self.selective {
            SelectivePasswordHashSync::Off => None,
            SelectivePasswordHashSync::Exclude => {
                is(PHS_FILTERED).then_some(SkipReason::PhsFiltered)
            }
            SelectivePasswordHashSync::Include => {
                (!is(PHS_INCLUDED)).then_some(SkipReason::NotPhsIncluded)
            }
        }
    }
}

/// The exclusions of Entra Connect's default inbound rules.
fn default_exclusion(account: &SourceAccount) -> Option<SkipReason> {
    let sam = account.sam_account_name.as_str();
    if sam.is_empty() {
        return Some(SkipReason::NoSamAccountName);
    }
    if sam.eq_ignore_ascii_case("SUPPORT_388945a0") {
        return Some(SkipReason::SupportAccount);
    }
    if starts_with_ignore_case(sam, "SystemMailbox{") || starts_with_ignore_case(sam, "CAS_") {
        return Some(SkipReason::ExchangeSystemMailbox);
    }
    // A conflict object's RDN holds a line feed then "CNF:"; in a DN
    // string the line feed is escaped as `\0A`.
    let dn = account.distinguished_name.as_str();
    if dn.contains("\nCNF:") || dn.to_ascii_lowercase().contains("\\0acnf:") {
        return Some(SkipReason::ReplicationConflict);
    }
    None
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.is_char_boundary(prefix.len())
        && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}
