//! Shared helpers for the sync tests: reference vectors and account builders.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use hashsync::Password;
use hashsync::sync::reference::InMemoryDirectory;
use hashsync::sync::{
    AccountCredentials, Event, ObjectGuid, Observer, Partition, SourceAccount, StatusChange,
};

pub const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ad_legacy.json");

pub const AD: &str = "onprem.contoso.com";
pub const AAD: &str = "contoso.onmicrosoft.com - Microsoft Entra ID";

/// An `ad_account` vector (Samba AD DC, cross-checked; see vectors/README.md).
#[derive(Clone, Debug)]
pub struct VectorAccount {
    pub id: String,
    pub sam: String,
    pub upn: Option<String>,
    pub uac: u32,
    pub account_type: String,
    pub password: String,
    pub salt_hex: String,
    pub nt_hash_hex: String,
    pub aes256_hex: String,
    pub aes128_hex: String,
    pub supplemental_b64: String,
}

pub fn ad_accounts() -> Vec<VectorAccount> {
    let text = std::fs::read_to_string(VECTORS).unwrap_or_else(|e| panic!("{VECTORS}: {e}"));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["kind"] == "ad_account")
        .map(|v| {
            let i = &v["input"];
            let e = &v["expected"];
            VectorAccount {
                id: v["id"].as_str().unwrap().to_owned(),
                sam: i["sAMAccountName"].as_str().unwrap().to_owned(),
                upn: i["userPrincipalName"].as_str().map(str::to_owned),
                uac: i["userAccountControl"].as_u64().unwrap() as u32,
                account_type: i["account_type"].as_str().unwrap().to_owned(),
                password: i["password"].as_str().unwrap().to_owned(),
                salt_hex: e["salt_hex"].as_str().unwrap().to_owned(),
                nt_hash_hex: e["nt_hash_hex"].as_str().unwrap().to_owned(),
                aes256_hex: e["aes256_key_hex"].as_str().unwrap().to_owned(),
                aes128_hex: e["aes128_key_hex"].as_str().unwrap().to_owned(),
                supplemental_b64: e["supplementalCredentials"]["b64"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            }
        })
        .collect()
}

/// The user accounts among the vectors (object class `user`).
pub fn user_vectors() -> Vec<VectorAccount> {
    ad_accounts()
        .into_iter()
        .filter(|a| a.account_type == "user")
        .collect()
}

pub fn partition() -> Partition {
    Partition::new("DC=onprem,DC=contoso,DC=com", "onprem.contoso.com").unwrap()
}

pub fn guid(n: u32) -> ObjectGuid {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&n.to_le_bytes());
    bytes[15] = 0xa5;
    ObjectGuid::from_bytes(bytes)
}

/// An enabled, in-scope user with the given credentials.
pub fn user(
    n: u32,
    sam: &str,
    upn: Option<&str>,
    usn: u64,
    credentials: AccountCredentials,
) -> SourceAccount {
    let mut account = SourceAccount::new(guid(n), sam, credentials)
        .with_distinguished_name(format!("CN={sam},CN=Users,DC=onprem,DC=contoso,DC=com"))
        .with_pwd_last_set(133_500_000_000_000_000)
        .with_usn(usn);
    account.user_principal_name = upn.map(str::to_owned);
    account
}

/// A user from a vector, with its cleartext password.
pub fn cleartext_user(n: u32, v: &VectorAccount, usn: u64) -> SourceAccount {
    let mut account = user(
        n,
        &v.sam,
        v.upn.as_deref(),
        usn,
        AccountCredentials::Cleartext(Password::new(&v.password)),
    );
    account.user_account_control = v.uac;
    account
}

pub fn directory_with(accounts: Vec<SourceAccount>) -> Arc<Mutex<InMemoryDirectory>> {
    let mut directory = InMemoryDirectory::new();
    directory.add_partition(partition());
    for account in accounts {
        directory.add_account(partition().dn(), account).unwrap();
    }
    Arc::new(Mutex::new(directory))
}

/// The hex of an update's Kerberos key of `etype`, if it carries one.
pub fn key_hex(
    update: &hashsync::sync::CredentialUpdate,
    etype: hashsync::EncryptionType,
) -> Option<String> {
    let kerberos = update.legacy.as_ref()?.plaintext()?.kerberos.as_ref()?;
    kerberos
        .keys
        .iter()
        .find(|k| k.etype() == etype)
        .map(|k| k.to_hex().to_string())
}

/// The hex of an update's AES256 key, if it carries one.
pub fn aes256_hex(update: &hashsync::sync::CredentialUpdate) -> Option<String> {
    key_hex(update, hashsync::EncryptionType::AES256_CTS_HMAC_SHA1_96)
}

/// Records events and status changes.
#[derive(Default, Debug)]
pub struct Recorder {
    pub events: Vec<Event>,
    pub statuses: Vec<(String, StatusChange)>,
}

impl Recorder {
    /// The Entra Connect ids of the events, in order (crate-own events left out).
    pub fn ids(&self) -> Vec<u16> {
        self.events
            .iter()
            .filter_map(Event::entra_connect_id)
            .collect()
    }

    pub fn count(&self, id: u16) -> usize {
        self.events
            .iter()
            .filter(|e| e.entra_connect_id() == Some(id))
            .count()
    }

    pub fn count_kind(&self, kind: &str) -> usize {
        self.events.iter().filter(|e| e.kind() == kind).count()
    }
}

impl Observer for Recorder {
    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }

    fn status(&mut self, connector: &str, change: &StatusChange) {
        self.statuses.push((connector.to_owned(), change.clone()));
    }
}

/// An update's legacy credentials in the clear (no certificate configured).
pub fn plaintext(update: &hashsync::sync::CredentialUpdate) -> &hashsync::sync::LegacyCredentials {
    update
        .legacy
        .as_ref()
        .expect("legacy credentials (a Domain Services tenant)")
        .plaintext()
        .expect("legacy credentials in the clear")
}

/// An update's plaintext Kerberos keys.
pub fn plaintext_keys(update: &hashsync::sync::CredentialUpdate) -> &[hashsync::KerberosKey] {
    &plaintext(update)
        .kerberos
        .as_ref()
        .expect("Kerberos keys")
        .keys
}
