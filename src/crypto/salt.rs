//! Kerberos salts, and the rules Active Directory uses to build them.

use core::fmt;

use crate::error::{Error, Result};

/// `userAccountControl`: inter-domain trust account.
pub const UF_INTERDOMAIN_TRUST_ACCOUNT: u32 = 0x0800;
/// `userAccountControl`: workstation or member server (and standalone MSA).
pub const UF_WORKSTATION_TRUST_ACCOUNT: u32 = 0x1000;
/// `userAccountControl`: domain controller.
pub const UF_SERVER_TRUST_ACCOUNT: u32 = 0x2000;

/// A Kerberos salt: the bytes mixed into AES string-to-key.
///
/// The authoritative salt of an AD account is the one stored with its keys
/// (`supplementalCredentials`' default salt); build it with [`Salt::new`].
/// [`Salt::for_account`] applies AD's rules to the account's current
/// attributes, which is right only when the password is being set now.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Salt(Vec<u8>);

/// The account attributes AD builds a salt from.
#[derive(Clone, Copy, Debug)]
pub struct AccountSaltAttributes<'a> {
    /// Kerberos realm (upper-cased by the rules).
    pub realm: &'a str,
    /// DNS domain name (used for computer accounts).
    pub dns_domain: &'a str,
    /// `sAMAccountName`.
    pub sam_account_name: &'a str,
    /// `userPrincipalName`, if the account has one.
    pub user_principal_name: Option<&'a str>,
    /// `userAccountControl`.
    pub user_account_control: u32,
}

impl Salt {
    /// A salt from its bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes as text, lossily (salts are normally UTF-8).
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }

    /// The salt AD gives an account when its password is set, in AD's order
    /// of rules (Samba's `smb_krb5_salt_principal` follows Windows):
    ///
    /// 1. inter-domain trust (`0x800`): `REALM` + `krbtgt` + name without one trailing `$`;
    /// 2. computer (`0x1000`, `0x2000`): `REALM` + `host` + lower(name without `$`) + `.` + lower(DNS domain);
    /// 3. an account with a UPN: `REALM` + the UPN's part before the last `@`, `/` removed;
    /// 4. otherwise `REALM` + `sAMAccountName`, case and any `$` kept.
    ///
    /// ```
    /// use hashsync::{AccountSaltAttributes, Salt};
    /// let salt = Salt::for_account(&AccountSaltAttributes {
    ///     realm: "onprem.contoso.com",
    ///     dns_domain: "onprem.contoso.com",
    ///     sam_account_name: "jsmith",
    ///     user_principal_name: Some("John.Smith@contoso.com"),
    ///     user_account_control: 512,
    /// })?;
    /// assert_eq!(salt.as_bytes(), b"ONPREM.CONTOSO.COMJohn.Smith");
    /// # Ok::<(), hashsync::Error>(())
    /// ```
    pub fn for_account(account: &AccountSaltAttributes<'_>) -> Result<Self> {
        let realm = non_empty(account.realm, "realm")?.to_uppercase();
        let sam = non_empty(account.sam_account_name, "sAMAccountName")?;
        let uac = account.user_account_control;
        let salt = if uac & UF_INTERDOMAIN_TRUST_ACCOUNT != 0 {
            let name = non_empty(sam.strip_suffix('$').unwrap_or(sam), "sAMAccountName")?;
            format!("{realm}krbtgt{name}")
        } else if uac & (UF_WORKSTATION_TRUST_ACCOUNT | UF_SERVER_TRUST_ACCOUNT) != 0 {
            let name = non_empty(sam.strip_suffix('$').unwrap_or(sam), "sAMAccountName")?;
            let domain = non_empty(account.dns_domain, "dnsDomain")?;
            format!(
                "{realm}host{}.{}",
                name.to_lowercase(),
                domain.to_lowercase()
            )
        } else if let Some(upn) = account.user_principal_name {
            let name = upn.rsplit_once('@').map_or(upn, |(name, _)| name);
            let name: String = name.chars().filter(|&c| c != '/').collect();
            format!("{realm}{}", non_empty(&name, "userPrincipalName")?)
        } else {
            format!("{realm}{sam}")
        };
        Ok(Self(salt.into_bytes()))
    }
}

fn non_empty<'a>(value: &'a str, attribute: &'static str) -> Result<&'a str> {
    if value.is_empty() {
        Err(Error::EmptyAttribute { attribute })
    } else {
        Ok(value)
    }
}

impl From<&str> for Salt {
    fn from(text: &str) -> Self {
        Self(text.as_bytes().to_vec())
    }
}

impl From<Vec<u8>> for Salt {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match core::str::from_utf8(&self.0) {
            Ok(text) => write!(f, "Salt({text:?})"),
            Err(_) => write!(f, "Salt(0x{})", base16ct::lower::encode_string(&self.0)),
        }
    }
}
