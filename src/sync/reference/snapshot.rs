//! A directory snapshot in JSON: the example's `--directory FILE`.
//!
//! ```json
//! {"tenant": {"force_password_change_on_logon": false, "sync_ntlm_passwords": true,
//!             "password_hash_sync": true, "domain_services": true,
//!             "sync_kerberos_passwords": true},
//!  "forests": [{"connector": "onprem.contoso.com", "realm": "ONPREM.CONTOSO.COM",
//!    "dns_domain": "onprem.contoso.com", "netbios_domain": "ONPREM",
//!    "accounts": [{"object_guid": "…", "distinguished_name": "…", "object_class": "user",
//!      "sAMAccountName": "alice", "userPrincipalName": "alice@onprem.contoso.com",
//!      "userAccountControl": 512, "pwdLastSet": 133500000000000000,
//!      "adminDescription": null, "isCriticalSystemObject": false, "usn": 12001,
//!      "password": "…"}],
//!    "changes": [{"usn": 13001, "object_guid": "…", "password": "…"}]}]}
//! ```
//!
//! In `"tenant"`, `password_hash_sync` (the tenant's feature),
//! `domain_services` (the tenant has a Domain Services managed domain, so
//! legacy credentials are sent) and `sync_kerberos_passwords` may be left
//! out; each defaults to `true`.
//!
//! An account carries either `password` (cleartext) or `unicodePwd_hex` +
//! `supplementalCredentials_b64` (as AD stores them). `changes` are
//! password changes applied after the full sync. Loading checks every field
//! first: a bad snapshot is one [`SnapshotError`] naming the forest, the
//! account and the field, and nothing is loaded.

use crate::model::Partition;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::SnapshotError;
use crate::secret::{NtHash, Password};
use crate::sync::credential::{AccountCredentials, ObjectGuid, SourceAccount, StoredHashes};

use super::memory::{InMemoryDirectory, InMemorySource, MemorySourceError};

/// The tenant settings a snapshot carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotTenant {
    /// ForcePasswordChangeOnLogOn.
    pub force_password_change_on_logon: bool,
    /// Whether the managed domain syncs NTLM passwords.
    pub sync_ntlm_passwords: bool,
    /// The tenant's password hash sync feature (default on).
    pub password_hash_sync: bool,
    /// Whether the tenant has Domain Services (default on).
    pub domain_services: bool,
    /// Whether the managed domain syncs Kerberos keys (default on).
    pub sync_kerberos_passwords: bool,
}

impl SnapshotTenant {
    /// Sets the tenant as this snapshot describes it: its password hash
    /// sync and force-change features and, when it has Domain Services,
    /// the managed domain's NTLM and Kerberos settings.
    pub fn apply_to(&self, tenant: &mut crate::model::TenantSettings) {
        tenant.company_features.password_hash_sync = self.password_hash_sync;
        tenant.company_features.force_password_change_on_logon =
            self.force_password_change_on_logon;
        tenant.managed_domain = self
            .domain_services
            .then(|| crate::model::ManagedDomainSettings {
                sync_ntlm_passwords: self.sync_ntlm_passwords,
                sync_kerberos_passwords: self.sync_kerberos_passwords,
                ..Default::default()
            });
    }
}

impl Default for SnapshotTenant {
    fn default() -> Self {
        Self {
            force_password_change_on_logon: false,
            sync_ntlm_passwords: true,
            password_hash_sync: true,
            domain_services: true,
            sync_kerberos_passwords: true,
        }
    }
}

/// A password change to apply after the full sync.
#[derive(Clone, Debug)]
pub struct PasswordChange {
    /// The change's USN.
    pub usn: u64,
    /// The account.
    pub object_guid: ObjectGuid,
    /// The new password.
    pub password: Password,
}

/// One forest (AD connector) of a snapshot, loaded into a directory.
#[derive(Clone, Debug)]
pub struct ForestSnapshot {
    /// The AD connector's name.
    pub connector: String,
    /// The forest's one domain partition.
    pub partition: Partition,
    /// NetBIOS domain name.
    pub netbios_domain: String,
    /// The accounts, shared with [`ForestSnapshot::source`].
    pub directory: Arc<Mutex<InMemoryDirectory>>,
    /// Password changes for incremental sync.
    pub changes: Vec<PasswordChange>,
}

impl ForestSnapshot {
    /// A source reading this forest's directory.
    pub fn source(&self) -> InMemorySource {
        InMemorySource::new(Arc::clone(&self.directory))
    }

    /// Applies the password changes, in USN order.
    pub fn apply_changes(&self) -> Result<(), MemorySourceError> {
        let mut changes: Vec<&PasswordChange> = self.changes.iter().collect();
        changes.sort_by_key(|c| c.usn);
        let mut directory = self
            .directory
            .lock()
            .map_err(|_| MemorySourceError::Poisoned)?;
        for change in changes {
            let usn = change.usn;
            let password = change.password.clone();
            directory.update(change.object_guid, |account| {
                account.credentials = AccountCredentials::Cleartext(password);
                account.usn = usn;
            });
        }
        Ok(())
    }
}

/// A loaded snapshot.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Tenant settings.
    pub tenant: SnapshotTenant,
    /// The forests.
    pub forests: Vec<ForestSnapshot>,
}

impl Snapshot {
    /// Loads and checks a snapshot.
    pub fn from_json(text: &str) -> Result<Self, SnapshotError> {
        let root: Value = serde_json::from_str(text).map_err(|err| SnapshotError::Syntax {
            line: err.line(),
            column: err.column(),
            message: syntax_message(&err),
        })?;
        let root = object(&root, "snapshot")?;
        let tenant = object(field(root, "tenant", "tenant")?, "tenant")?;
        let tenant = SnapshotTenant {
            force_password_change_on_logon: setting_bool(
                tenant,
                "force_password_change_on_logon",
                "tenant.force_password_change_on_logon",
            )?,
            sync_ntlm_passwords: setting_bool(
                tenant,
                "sync_ntlm_passwords",
                "tenant.sync_ntlm_passwords",
            )?,
            password_hash_sync: optional_bool(tenant, "password_hash_sync", "tenant")?,
            domain_services: optional_bool(tenant, "domain_services", "tenant")?,
            sync_kerberos_passwords: optional_bool(tenant, "sync_kerberos_passwords", "tenant")?,
        };
        let forests = field(root, "forests", "forests")?
            .as_array()
            .ok_or_else(|| setting("forests", "must be an array"))?;
        let mut loaded: Vec<ForestSnapshot> = Vec::with_capacity(forests.len());
        for (i, forest) in forests.iter().enumerate() {
            let forest = load_forest(i, forest)?;
            let same = |other: &ForestSnapshot| {
                other.connector == forest.connector
                    || other.partition.is_named(forest.partition.dn())
            };
            if let Some(first) = loaded.iter().position(same) {
                return Err(setting(
                    &format!("forests[{i}]"),
                    &format!(
                        "repeats forests[{first}] (connector {:?}, domain {:?})",
                        forest.connector,
                        forest.partition.dns_name()
                    ),
                ));
            }
            loaded.push(forest);
        }
        Ok(Self {
            tenant,
            forests: loaded,
        })
    }
}

fn syntax_message(err: &serde_json::Error) -> String {
    // serde_json's messages may quote input; keep only the category.
    match err.classify() {
        serde_json::error::Category::Io => "I/O error".to_owned(),
        serde_json::error::Category::Syntax => "syntax error".to_owned(),
        serde_json::error::Category::Data => "unexpected data".to_owned(),
        serde_json::error::Category::Eof => "unexpected end of input".to_owned(),
    }
}

fn setting(field: &str, reason: &str) -> SnapshotError {
    SnapshotError::InvalidSetting {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, SnapshotError> {
    value
        .as_object()
        .ok_or_else(|| setting(path, "must be an object"))
}

fn field<'a>(
    map: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a Value, SnapshotError> {
    map.get(name).ok_or_else(|| setting(path, "is missing"))
}

fn setting_bool(map: &Map<String, Value>, name: &str, path: &str) -> Result<bool, SnapshotError> {
    field(map, name, path)?
        .as_bool()
        .ok_or_else(|| setting(path, "must be true or false"))
}

/// An optional boolean, `true` when absent.
fn optional_bool(
    map: &Map<String, Value>,
    name: &str,
    parent: &str,
) -> Result<bool, SnapshotError> {
    match map.get(name) {
        None => Ok(true),
        Some(value) => value
            .as_bool()
            .ok_or_else(|| setting(&format!("{parent}.{name}"), "must be true or false")),
    }
}

fn setting_str<'a>(
    map: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a str, SnapshotError> {
    field(map, name, path)?
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| setting(path, "must be a non-empty string"))
}

/// Field access within one account, for errors naming it.
struct AccountFields<'a> {
    forest: &'a str,
    account: String,
    map: &'a Map<String, Value>,
}

impl AccountFields<'_> {
    fn error(&self, field: &'static str, reason: impl Into<String>) -> SnapshotError {
        SnapshotError::InvalidField {
            forest: self.forest.to_owned(),
            account: self.account.clone(),
            field,
            reason: reason.into(),
        }
    }

    fn get(&self, field: &'static str) -> Result<&Value, SnapshotError> {
        self.map
            .get(field)
            .ok_or_else(|| self.error(field, "is missing"))
    }

    fn string(&self, field: &'static str) -> Result<String, SnapshotError> {
        self.get(field)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.error(field, "must be a string"))
    }

    fn optional_string(&self, field: &'static str) -> Result<Option<String>, SnapshotError> {
        match self.get(field)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(self.error(field, "must be a string or null")),
        }
    }

    fn unsigned(&self, field: &'static str) -> Result<u64, SnapshotError> {
        self.get(field)?
            .as_u64()
            .ok_or_else(|| self.error(field, "must be a non-negative integer"))
    }

    /// A USN: a DC hands out the next one after each change, so the
    /// highest value has no successor and is refused.
    fn usn(&self) -> Result<u64, SnapshotError> {
        let usn = self.unsigned("usn")?;
        if usn == u64::MAX {
            return Err(self.error("usn", format!("must be below {}", u64::MAX)));
        }
        Ok(usn)
    }

    fn boolean(&self, field: &'static str) -> Result<bool, SnapshotError> {
        self.get(field)?
            .as_bool()
            .ok_or_else(|| self.error(field, "must be true or false"))
    }

    fn guid(&self, field: &'static str) -> Result<ObjectGuid, SnapshotError> {
        ObjectGuid::parse(&self.string(field)?).map_err(|_| {
            self.error(
                field,
                "is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
            )
        })
    }

    fn password(&self, field: &'static str) -> Result<Password, SnapshotError> {
        let text = self.get(field)?;
        let text = text
            .as_str()
            .ok_or_else(|| self.error(field, "must be a string"))?;
        let password = Password::new(text);
        password
            .check_ad_length()
            .map_err(|err| self.error(field, err.to_string()))?;
        Ok(password)
    }

    fn credentials(&self) -> Result<AccountCredentials, SnapshotError> {
        let has = |name| self.map.contains_key(name);
        match (
            has("password"),
            has("unicodePwd_hex"),
            has("supplementalCredentials_b64"),
        ) {
            (true, false, false) => Ok(AccountCredentials::Cleartext(self.password("password")?)),
            (false, true, true) => {
                let hex = self.string("unicodePwd_hex")?;
                let nt_hash = NtHash::from_hex(&hex).map_err(|_| {
                    self.error("unicodePwd_hex", "must be 32 hex digits (16 bytes)")
                })?;
                let b64 = self.string("supplementalCredentials_b64")?;
                let blob = zeroize::Zeroizing::new(
                    base64::engine::general_purpose::STANDARD
                        .decode(b64.as_bytes())
                        .map_err(|_| self.error("supplementalCredentials_b64", "is not base64"))?,
                );
                let stored = StoredHashes::from_attributes(nt_hash, &blob)
                    .map_err(|err| self.error("supplementalCredentials_b64", err.to_string()))?;
                Ok(AccountCredentials::Stored(stored))
            }
            (false, false, false) => Err(self.error(
                "password",
                "is missing (give password, or unicodePwd_hex and supplementalCredentials_b64)",
            )),
            (true, _, _) => Err(self.error(
                "password",
                "given together with unicodePwd_hex/supplementalCredentials_b64",
            )),
            (false, true, false) => Err(self.error("supplementalCredentials_b64", "is missing")),
            (false, false, true) => Err(self.error("unicodePwd_hex", "is missing")),
        }
    }
}

fn load_forest(index: usize, forest: &Value) -> Result<ForestSnapshot, SnapshotError> {
    let path = |name: &str| format!("forests[{index}].{name}");
    let map = object(forest, &format!("forests[{index}]"))?;
    let connector = setting_str(map, "connector", &path("connector"))?.to_owned();
    let realm = setting_str(map, "realm", &path("realm"))?.to_owned();
    let dns_domain = setting_str(map, "dns_domain", &path("dns_domain"))?.to_owned();
    let netbios_domain = setting_str(map, "netbios_domain", &path("netbios_domain"))?.to_owned();
    if dns_domain.is_empty() {
        return Err(setting(&path("dns_domain"), "is empty"));
    }
    let dn = dns_domain
        .split('.')
        .map(|label| format!("DC={label}"))
        .collect::<Vec<_>>()
        .join(",");
    let partition = Partition::new(dn, dns_domain)
        .map_err(|err| setting(&path("dns_domain"), &err.to_string()))?;
    if realm != partition.realm() {
        return Err(setting(
            &path("realm"),
            &format!(
                "must be the DNS domain in upper case ({:?}), as AD's realm always is",
                partition.realm()
            ),
        ));
    }
    let accounts = field(map, "accounts", &path("accounts"))?
        .as_array()
        .ok_or_else(|| setting(&path("accounts"), "must be an array"))?;
    let mut directory = InMemoryDirectory::new();
    directory.add_partition(partition.clone());
    let mut guids = HashSet::new();
    let mut usns = Vec::new();
    for (i, account) in accounts.iter().enumerate() {
        let fields = account_fields(&connector, "account", i, account)?;
        let account = load_account(&fields)?;
        if !guids.insert(account.object_guid) {
            return Err(fields.error("object_guid", "is used by another account"));
        }
        usns.push((account.object_guid, account.usn));
        directory
            .add_account(partition.dn(), account)
            .map_err(|err| fields.error("object_guid", err.to_string()))?;
    }
    let changes = match map.get("changes") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(changes)) => &changes[..],
        Some(_) => return Err(setting(&path("changes"), "must be an array")),
    };
    let mut loaded = Vec::with_capacity(changes.len());
    for (i, change) in changes.iter().enumerate() {
        let fields = account_fields(&connector, "change", i, change)?;
        let object_guid = fields.guid("object_guid")?;
        let usn = fields.usn()?;
        let Some((_, account_usn)) = usns.iter().find(|(g, _)| *g == object_guid) else {
            return Err(fields.error("object_guid", "names no account of this forest"));
        };
        if usn <= *account_usn {
            return Err(fields.error(
                "usn",
                format!("must be above the account's usn {account_usn}"),
            ));
        }
        let password = fields.password("password")?;
        loaded.push(PasswordChange {
            usn,
            object_guid,
            password,
        });
    }
    Ok(ForestSnapshot {
        connector,
        partition,
        netbios_domain,
        directory: Arc::new(Mutex::new(directory)),
        changes: loaded,
    })
}

fn account_fields<'a>(
    forest: &'a str,
    kind: &str,
    index: usize,
    value: &'a Value,
) -> Result<AccountFields<'a>, SnapshotError> {
    let Some(map) = value.as_object() else {
        return Err(SnapshotError::InvalidField {
            forest: forest.to_owned(),
            account: format!("{kind} #{index}"),
            field: "-",
            reason: "must be an object".to_owned(),
        });
    };
    let label = map
        .get("sAMAccountName")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            map.get("object_guid")
                .and_then(Value::as_str)
                .map(|g| format!("{kind} #{index} ({g})"))
        })
        .unwrap_or_else(|| format!("{kind} #{index}"));
    Ok(AccountFields {
        forest,
        account: label,
        map,
    })
}

fn load_account(fields: &AccountFields<'_>) -> Result<SourceAccount, SnapshotError> {
    let sam_account_name = fields.string("sAMAccountName")?;
    if sam_account_name.is_empty() {
        return Err(fields.error("sAMAccountName", "is empty"));
    }
    let user_principal_name = fields.optional_string("userPrincipalName")?;
    if let Some(upn) = &user_principal_name {
        match upn.rsplit_once('@') {
            Some((name, domain)) if !name.is_empty() && !domain.is_empty() => {}
            _ => {
                return Err(fields.error(
                    "userPrincipalName",
                    "must be name@domain, with both parts non-empty",
                ));
            }
        }
    }
    let mut account = SourceAccount::new(
        fields.guid("object_guid")?,
        sam_account_name,
        fields.credentials()?,
    )
    .with_distinguished_name(fields.string("distinguished_name")?)
    .with_object_class(fields.string("object_class")?)
    .with_user_account_control(
        u32::try_from(fields.unsigned("userAccountControl")?)
            .map_err(|_| fields.error("userAccountControl", "must fit in 32 bits"))?,
    )
    .with_pwd_last_set(match fields.get("pwdLastSet")?.as_i64() {
        Some(value) => value,
        None => return Err(fields.error("pwdLastSet", "must be an integer")),
    })
    .with_critical_system_object(fields.boolean("isCriticalSystemObject")?)
    .with_usn(fields.usn()?);
    account.user_principal_name = user_principal_name;
    account.admin_description = fields.optional_string("adminDescription")?;
    Ok(account)
}
