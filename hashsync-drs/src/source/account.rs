//! From a replicated object to the engine's [`SourceAccount`]: the
//! attributes in their DRS (binary) forms, the secrets decrypted with the
//! session key and the RID.

use hashsync::NtHash;
use hashsync::formats::drs::{ReplicatedAttribute, SessionKey, decrypt_attribute_value};
use hashsync::sync::{
    AccountCredentials, ObjectGuid, SkipCause, SourceAccount, SourceSkip, StoredHashes,
};

use super::error::DrsSourceError;
use crate::drsuapi::ReplicatedObject;
use crate::drsuapi::schema::{
    ADMIN_DESCRIPTION, CLASS_USER, IS_CRITICAL_SYSTEM_OBJECT, IS_DELETED, OBJECT_CLASS,
    PWD_LAST_SET, SAM_ACCOUNT_NAME, SUPPLEMENTAL_CREDENTIALS, UNICODE_PWD, USER_ACCOUNT_CONTROL,
    USER_PRINCIPAL_NAME,
};

/// What one replicated object is to the source.
pub(super) enum Replicated {
    /// A user-class account with its credentials.
    Account(Box<SourceAccount>),
    /// An account that cannot be synced (no password, a malformed value).
    Skipped(SourceSkip),
    /// Not an account at all (a container, a group, a deleted object).
    Other,
}

/// Whether an incremental change lacks what an account needs, so the
/// object must be read again whole (only the changed attributes come in
/// an incremental reply: a password change brings no `sAMAccountName`,
/// a `pwdLastSet`-only change no secrets).
pub(super) fn needs_full_read(object: &ReplicatedObject) -> bool {
    object.values(&OBJECT_CLASS).is_empty() || object.value(&SAM_ACCOUNT_NAME).is_none()
}

/// Whether an incremental change is the object's deletion.
pub(super) fn is_deletion(object: &ReplicatedObject) -> bool {
    flag(object, &IS_DELETED)
}

/// Maps `object` (read whole) at the replication position `usn`.
pub(super) fn account_from_object(
    object: &ReplicatedObject,
    session_key: &SessionKey,
    server: &str,
    usn: u64,
) -> Result<Replicated, DrsSourceError> {
    if !object.object_classes.contains(&CLASS_USER) || flag(object, &IS_DELETED) {
        return Ok(Replicated::Other);
    }
    let sam_account_name = match object.value(&SAM_ACCOUNT_NAME).map(utf16) {
        Some(Some(name)) => name,
        _ => {
            return Ok(skip(
                object,
                "",
                malformed("sAMAccountName", "absent or not UTF-16"),
            ));
        }
    };
    let skip_as = |cause| Ok(skip(object, &sam_account_name, cause));
    let Some(encrypted) = object.value(&UNICODE_PWD) else {
        return skip_as(SkipCause::NoPassword);
    };
    let Some(rid) = object.rid() else {
        return skip_as(malformed("objectSid", "absent: no RID for the DES layer"));
    };
    let secret = |attribute: ReplicatedAttribute, rid, encrypted: &[u8]| {
        decrypt_attribute_value(session_key, attribute, rid, encrypted).map_err(|source| {
            DrsSourceError::Secret {
                server: server.to_owned(),
                distinguished_name: object.dn.clone(),
                attribute: attribute.name(),
                source,
            }
        })
    };
    let nt = secret(ReplicatedAttribute::UnicodePwd, Some(rid), encrypted)?;
    let Ok(nt_hash) = NtHash::from_slice(&nt) else {
        return skip_as(malformed("unicodePwd", "not 16 bytes once decrypted"));
    };
    let stored = match object.value(&SUPPLEMENTAL_CREDENTIALS) {
        Some(encrypted) => {
            let blob = secret(
                ReplicatedAttribute::SupplementalCredentials,
                None,
                encrypted,
            )?;
            match StoredHashes::from_attributes(nt_hash, &blob) {
                Ok(stored) => stored,
                Err(err) => return skip_as(malformed("supplementalCredentials", &err.to_string())),
            }
        }
        None => StoredHashes {
            nt_hash,
            kerberos: None,
        },
    };
    let Some(user_account_control) = integer::<4>(object, &USER_ACCOUNT_CONTROL) else {
        return skip_as(malformed("userAccountControl", "not a 32-bit integer"));
    };
    let Some(pwd_last_set) = integer::<8>(object, &PWD_LAST_SET) else {
        return skip_as(malformed("pwdLastSet", "not a 64-bit integer"));
    };
    let mut account = SourceAccount::new(
        ObjectGuid::from_bytes(object.guid.to_bytes_le()),
        sam_account_name,
        AccountCredentials::Stored(stored),
    )
    .with_distinguished_name(object.dn.clone())
    .with_object_class(object_class(object))
    .with_user_account_control(user_account_control as u32)
    .with_pwd_last_set(pwd_last_set)
    .with_critical_system_object(flag(object, &IS_CRITICAL_SYSTEM_OBJECT))
    .with_usn(usn);
    if let Some(upn) = object.value(&USER_PRINCIPAL_NAME).and_then(utf16) {
        account = account.with_user_principal_name(upn);
    }
    if let Some(description) = object.value(&ADMIN_DESCRIPTION).and_then(utf16) {
        account = account.with_admin_description(description);
    }
    Ok(Replicated::Account(Box::new(account)))
}

fn skip(object: &ReplicatedObject, sam_account_name: &str, cause: SkipCause) -> Replicated {
    Replicated::Skipped(SourceSkip::new(object.dn.clone(), sam_account_name, cause))
}

fn malformed(attribute: &'static str, reason: &str) -> SkipCause {
    SkipCause::Malformed {
        attribute,
        reason: reason.to_owned(),
    }
}

/// The most specific class (replication sends it first, `top` last),
/// by its LDAP name for the user classes scope tells apart, else its OID.
fn object_class(object: &ReplicatedObject) -> String {
    const NAMED: [(&str, &str); 5] = [
        ("1.2.840.113556.1.5.9", "user"),
        ("1.2.840.113556.1.3.30", "computer"),
        ("2.16.840.1.113730.3.2.2", "inetOrgPerson"),
        ("1.2.840.113556.1.5.264", "msDS-ManagedServiceAccount"),
        ("1.2.840.113556.1.5.282", "msDS-GroupManagedServiceAccount"),
    ];
    let Some(class) = object.object_classes.first() else {
        return String::new();
    };
    let oid = class.to_string();
    NAMED
        .iter()
        .find(|(known, _)| *known == oid)
        .map_or(oid, |(_, name)| (*name).to_owned())
}

/// A little-endian integer attribute of `N` bytes (4: a signed 32-bit
/// value, 8: a 64-bit one); absent is 0 (AD omits a zero `pwdLastSet`
/// from nothing), a wrong size is `None`.
fn integer<const N: usize>(
    object: &ReplicatedObject,
    oid: &const_oid::ObjectIdentifier,
) -> Option<i64> {
    const { assert!(N > 0 && N <= 8) };
    let Some(bytes) = object.value(oid) else {
        return Some(0);
    };
    let bytes = <[u8; N]>::try_from(bytes).ok()?;
    // Sign-extended from the top byte, as i32/i64::from_le_bytes would.
    let fill = if bytes[N - 1] & 0x80 != 0 { 0xFF } else { 0 };
    let mut wide = [fill; 8];
    wide[..N].copy_from_slice(&bytes);
    Some(i64::from_le_bytes(wide))
}

/// A BOOL attribute (4 bytes, non-zero is TRUE); absent is FALSE.
fn flag(object: &ReplicatedObject, oid: &const_oid::ObjectIdentifier) -> bool {
    object
        .value(oid)
        .is_some_and(|bytes| bytes.iter().any(|b| *b != 0))
}

/// A Unicode string attribute: UTF-16LE without a terminator.
fn utf16(bytes: &[u8]) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).ok()
}
