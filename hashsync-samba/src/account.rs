//! From a user object's attributes to the engine's [`SourceAccount`].

use hashsync::NtHash;
use hashsync::sync::{
    AccountCredentials, ObjectGuid, SkipCause, SourceAccount, SourceSkip, StoredHashes,
};

use crate::entry::RawEntry;

/// The attributes scope and credentials need.
pub const ACCOUNT_ATTRIBUTES: [&str; 12] = [
    "objectGUID",
    "objectClass",
    "sAMAccountName",
    "userPrincipalName",
    "userAccountControl",
    "pwdLastSet",
    "adminDescription",
    "isCriticalSystemObject",
    "uSNChanged",
    "unicodePwd",
    "supplementalCredentials",
    "distinguishedName",
];

/// The object's `uSNChanged`, if readable.
pub(crate) fn usn_changed(entry: &RawEntry) -> Option<u64> {
    entry.text("uSNChanged")?.parse().ok()
}

/// Turns a user object into an account, or says why it cannot be one.
pub(crate) fn account_from_entry(mut entry: RawEntry) -> Result<SourceAccount, SourceSkip> {
    let sam_account_name = entry.text("sAMAccountName").unwrap_or("").to_owned();
    let skip = |entry: &RawEntry, reason: SkipCause| {
        SourceSkip::new(entry.dn.clone(), sam_account_name.clone(), reason)
    };
    let malformed = |attribute: &'static str, reason: &str| SkipCause::Malformed {
        attribute,
        reason: reason.to_owned(),
    };
    let guid: [u8; 16] = match entry.first("objectGUID").map(<[u8; 16]>::try_from) {
        Some(Ok(bytes)) => bytes,
        _ => return Err(skip(&entry, malformed("objectGUID", "not 16 bytes"))),
    };
    let Some(usn) = usn_changed(&entry) else {
        return Err(skip(
            &entry,
            malformed("uSNChanged", "absent or not a number"),
        ));
    };
    let number = |entry: &RawEntry, name: &'static str| -> Result<i64, SkipCause> {
        match entry.text(name) {
            None => Ok(0),
            Some(text) => text
                .parse::<i64>()
                .map_err(|_| malformed(name, "not a number")),
        }
    };
    let user_account_control = match number(&entry, "userAccountControl") {
        // AD writes the flags as a signed 32-bit integer.
        Ok(value) => value as u32,
        Err(cause) => return Err(skip(&entry, cause)),
    };
    let pwd_last_set = match number(&entry, "pwdLastSet") {
        Ok(value) => value,
        Err(cause) => return Err(skip(&entry, cause)),
    };
    let nt_hash = match entry.take("unicodePwd").first() {
        None => return Err(skip(&entry, SkipCause::NoPassword)),
        Some(bytes) => match NtHash::from_slice(bytes) {
            Ok(hash) => hash,
            Err(_) => return Err(skip(&entry, malformed("unicodePwd", "not 16 bytes"))),
        },
    };
    let supplemental = entry.take("supplementalCredentials");
    let stored = match supplemental.first() {
        Some(blob) => match StoredHashes::from_attributes(nt_hash, blob) {
            Ok(stored) => stored,
            Err(err) => {
                return Err(skip(
                    &entry,
                    malformed("supplementalCredentials", &err.to_string()),
                ));
            }
        },
        None => StoredHashes {
            nt_hash,
            kerberos: None,
        },
    };
    let object_class = entry
        .values("objectClass")
        .last()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default();
    let mut account = SourceAccount::new(
        ObjectGuid::from_bytes(guid),
        sam_account_name,
        AccountCredentials::Stored(stored),
    )
    .with_distinguished_name(entry.dn.clone())
    .with_object_class(object_class)
    .with_user_account_control(user_account_control)
    .with_pwd_last_set(pwd_last_set)
    .with_critical_system_object(
        entry
            .text("isCriticalSystemObject")
            .is_some_and(|v| v.eq_ignore_ascii_case("TRUE")),
    )
    .with_usn(usn);
    if let Some(upn) = entry.text("userPrincipalName") {
        account = account.with_user_principal_name(upn);
    }
    if let Some(description) = entry.text("adminDescription") {
        account = account.with_admin_description(description);
    }
    Ok(account)
}
