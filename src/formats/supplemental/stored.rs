//! The typed view of an account's stored legacy credentials, and the
//! builder that turns it back into a `supplementalCredentials` value.

use zeroize::Zeroizing;

use super::{
    KerberosStoredCredential, KerberosStoredCredentialNew, StoredKey, UserProperties, UserProperty,
    WDigestCredentials,
};
use crate::crypto::{AesKeys, Iterations, Salt};
use crate::error::FormatError;
use crate::formats::hex::HexCase;
use crate::secret::{EncryptionType, KerberosKey, Password, WDigestHash};

/// The keys of one password: AES256, AES128 and the DES pair, each present
/// or not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyGeneration {
    /// `aes256-cts-hmac-sha1-96` (18).
    pub aes256: Option<KerberosKey>,
    /// `aes128-cts-hmac-sha1-96` (17).
    pub aes128: Option<KerberosKey>,
    /// `des-cbc-md5` (3). Windows derives it; Samba stores random bytes.
    pub des_cbc_md5: Option<KerberosKey>,
    /// `des-cbc-crc` (1). Windows derives it; Samba stores random bytes.
    pub des_cbc_crc: Option<KerberosKey>,
}

impl KeyGeneration {
    /// The AES pair, without DES keys.
    pub fn from_aes(keys: AesKeys) -> Self {
        Self {
            aes256: Some(keys.aes256),
            aes128: Some(keys.aes128),
            ..Self::default()
        }
    }

    /// Adds the DES pair; each key must have its DES type.
    pub fn with_des(
        mut self,
        des_cbc_md5: KerberosKey,
        des_cbc_crc: KerberosKey,
    ) -> Result<Self, FormatError> {
        expect_etype(&des_cbc_md5, EncryptionType::DES_CBC_MD5, "des_cbc_md5")?;
        expect_etype(&des_cbc_crc, EncryptionType::DES_CBC_CRC, "des_cbc_crc")?;
        self.des_cbc_md5 = Some(des_cbc_md5);
        self.des_cbc_crc = Some(des_cbc_crc);
        Ok(self)
    }

    /// Whether no key is present.
    pub fn is_empty(&self) -> bool {
        self.aes256.is_none()
            && self.aes128.is_none()
            && self.des_cbc_md5.is_none()
            && self.des_cbc_crc.is_none()
    }

    /// The keys in the order Windows and Samba store them: AES256, AES128,
    /// DES-CBC-MD5, DES-CBC-CRC.
    pub fn keys(&self) -> impl Iterator<Item = &KerberosKey> {
        [
            &self.aes256,
            &self.aes128,
            &self.des_cbc_md5,
            &self.des_cbc_crc,
        ]
        .into_iter()
        .flatten()
    }

    fn des_keys(&self) -> impl Iterator<Item = &KerberosKey> {
        [&self.des_cbc_md5, &self.des_cbc_crc].into_iter().flatten()
    }

    /// Files each key by type (AES256, AES128, DES-CBC-MD5, DES-CBC-CRC);
    /// the first key of a type wins, other types (`rc4-hmac`: the NT hash)
    /// are left out.
    pub fn from_keys<'a>(keys: impl IntoIterator<Item = &'a KerberosKey>) -> Self {
        Self::collect(keys)
    }

    fn collect<'a>(keys: impl IntoIterator<Item = &'a KerberosKey>) -> Self {
        let mut generation = Self::default();
        for key in keys {
            let slot = match key.etype() {
                EncryptionType::AES256_CTS_HMAC_SHA1_96 => &mut generation.aes256,
                EncryptionType::AES128_CTS_HMAC_SHA1_96 => &mut generation.aes128,
                EncryptionType::DES_CBC_MD5 => &mut generation.des_cbc_md5,
                EncryptionType::DES_CBC_CRC => &mut generation.des_cbc_crc,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(key.clone());
            }
        }
        generation
    }

    /// Takes the DES keys from `other` where this generation has none.
    fn fill_des_from(&mut self, other: &Self) {
        if self.des_cbc_md5.is_none() {
            self.des_cbc_md5.clone_from(&other.des_cbc_md5);
        }
        if self.des_cbc_crc.is_none() {
            self.des_cbc_crc.clone_from(&other.des_cbc_crc);
        }
    }
}

fn expect_etype(
    key: &KerberosKey,
    etype: EncryptionType,
    field: &'static str,
) -> Result<(), FormatError> {
    if key.etype() == etype {
        Ok(())
    } else {
        Err(FormatError::KeyLength {
            field,
            etype: key.etype().number(),
            length: key.expose_secret().len(),
        })
    }
}

/// An account's legacy credentials as AD stores them in
/// `supplementalCredentials`: the salt and iteration count the keys were
/// derived with, the keys of the current and two previous passwords, the
/// WDigest hashes and, when reversible encryption is on, the cleartext.
///
/// Sync carries the stored salt and keys as they are: after a rename AD
/// keeps the old salt until the next password change, so recomputing it
/// from the account's attributes would be wrong.
///
/// ```
/// use hashsync::formats::{HexCase, StoredCredentials};
/// use hashsync::{Iterations, Password, Salt, aes_keys};
///
/// let salt = Salt::from("ONPREM.CONTOSO.COMalice");
/// let keys = aes_keys(&Password::new("Passw0rd!"), &salt, Iterations::KERBEROS_DEFAULT);
/// let stored = StoredCredentials::new(keys, salt, Iterations::KERBEROS_DEFAULT);
/// let bytes = stored.to_bytes(HexCase::Lower)?;
/// assert_eq!(StoredCredentials::parse(&bytes)?, stored);
/// # Ok::<(), hashsync::error::FormatError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCredentials {
    /// The salt the keys were derived with (`DefaultSalt`).
    pub salt: Salt,
    /// The PBKDF2 iteration count (`DefaultIterationCount`; 4096 in AD).
    pub iterations: Iterations,
    /// Keys of the current password.
    pub current: KeyGeneration,
    /// Keys of the previous password (`OldCredentials`), if stored.
    pub old: Option<KeyGeneration>,
    /// Keys of the password before that (`OlderCredentials`), if stored.
    pub older: Option<KeyGeneration>,
    /// The 29 WDigest hashes, if stored.
    pub wdigest: Option<Vec<WDigestHash>>,
    /// The cleartext password, if stored (reversible encryption).
    pub cleartext: Option<Password>,
}

impl StoredCredentials {
    /// Credentials holding only the current AES keys.
    pub fn new(keys: AesKeys, salt: Salt, iterations: Iterations) -> Self {
        Self {
            salt,
            iterations,
            current: KeyGeneration::from_aes(keys),
            old: None,
            older: None,
            wdigest: None,
            cleartext: None,
        }
    }

    /// Adds the current password's DES keys (`des-cbc-md5`, `des-cbc-crc`).
    pub fn with_des(
        mut self,
        des_cbc_md5: KerberosKey,
        des_cbc_crc: KerberosKey,
    ) -> Result<Self, FormatError> {
        self.current = self.current.with_des(des_cbc_md5, des_cbc_crc)?;
        Ok(self)
    }

    /// Sets the previous password's keys (`OldCredentials`).
    pub fn with_old(mut self, old: KeyGeneration) -> Self {
        self.old = Some(old);
        self
    }

    /// Sets the keys of the password before the previous one (`OlderCredentials`).
    pub fn with_older(mut self, older: KeyGeneration) -> Self {
        self.older = Some(older);
        self
    }

    /// Sets the WDigest hashes (29 of them in every value AD writes).
    pub fn with_wdigest(mut self, hashes: Vec<WDigestHash>) -> Self {
        self.wdigest = Some(hashes);
        self
    }

    /// Sets the cleartext password (stored only under reversible encryption).
    pub fn with_cleartext(mut self, password: Password) -> Self {
        self.cleartext = Some(password);
        self
    }

    /// Parses a `supplementalCredentials` value and takes its typed view.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        Self::from_user_properties(&UserProperties::parse(bytes)?)
    }

    /// The typed view of a parsed value. The salt and iteration count come
    /// from `Primary:Kerberos-Newer-Keys` (or, for accounts whose password
    /// predates it, `Primary:Kerberos` with 4096 iterations); DES keys come
    /// from either. A value with neither property is
    /// [`FormatError::Missing`].
    pub fn from_user_properties(value: &UserProperties) -> Result<Self, FormatError> {
        let newer = value.kerberos_newer_keys();
        let older_revision = value.kerberos();
        let keys = |stored: &[StoredKey]| KeyGeneration::collect(stored.iter().map(|k| &k.key));
        let non_empty = |g: KeyGeneration| (!g.is_empty()).then_some(g);
        let (salt, iterations, mut current, mut old, older) = match (newer, older_revision) {
            (Some(n), _) => (
                n.default_salt.clone(),
                Iterations::new(n.default_iteration_count).map_err(|_| {
                    FormatError::ZeroIterations {
                        field: "KERB_STORED_CREDENTIAL_NEW.DefaultIterationCount",
                    }
                })?,
                keys(&n.credentials),
                non_empty(keys(&n.old_credentials)),
                non_empty(keys(&n.older_credentials)),
            ),
            (None, Some(k)) => (
                k.default_salt.clone(),
                Iterations::KERBEROS_DEFAULT,
                KeyGeneration::default(),
                None,
                None,
            ),
            (None, None) => {
                return Err(FormatError::Missing {
                    field: "Primary:Kerberos-Newer-Keys and Primary:Kerberos",
                });
            }
        };
        if let Some(k) = older_revision {
            current.fill_des_from(&KeyGeneration::collect(&k.credentials));
            let old_des = KeyGeneration::collect(&k.old_credentials);
            if !old_des.is_empty() {
                old.get_or_insert_with(KeyGeneration::default)
                    .fill_des_from(&old_des);
            }
        }
        Ok(Self {
            salt,
            iterations,
            current,
            old,
            older,
            wdigest: value.wdigest().map(|w| w.hashes.clone()),
            cleartext: value.cleartext().cloned(),
        })
    }

    /// The `supplementalCredentials` structure Windows and Samba write for
    /// these credentials: `Primary:Kerberos-Newer-Keys` (every key, each
    /// with the iteration count), `Primary:Kerberos` (when there are DES
    /// keys), `Packages`, `Primary:WDigest` and `Primary:CLEARTEXT` when
    /// present.
    pub fn to_user_properties(&self, hex_case: HexCase) -> UserProperties {
        let iteration_count = self.iterations.get();
        let stored = |generation: Option<&KeyGeneration>| -> Vec<StoredKey> {
            generation
                .into_iter()
                .flat_map(KeyGeneration::keys)
                .map(|key| StoredKey {
                    iteration_count,
                    key: key.clone(),
                })
                .collect()
        };
        let des = |generation: Option<&KeyGeneration>| -> Vec<KerberosKey> {
            generation
                .into_iter()
                .flat_map(KeyGeneration::des_keys)
                .cloned()
                .collect()
        };
        let mut properties = vec![UserProperty::KerberosNewerKeys(
            KerberosStoredCredentialNew {
                flags: 0,
                default_salt: self.salt.clone(),
                default_iteration_count: iteration_count,
                credentials: stored(Some(&self.current)),
                service_credentials: Vec::new(),
                old_credentials: stored(self.old.as_ref()),
                older_credentials: stored(self.older.as_ref()),
            },
        )];
        let mut packages = vec!["Kerberos-Newer-Keys".to_owned()];
        let current_des = des(Some(&self.current));
        if !current_des.is_empty() {
            properties.push(UserProperty::Kerberos(KerberosStoredCredential {
                flags: 0,
                default_salt: self.salt.clone(),
                credentials: current_des,
                old_credentials: des(self.old.as_ref()),
            }));
            packages.push("Kerberos".to_owned());
        }
        let mut tail = Vec::new();
        if let Some(hashes) = &self.wdigest {
            tail.push(UserProperty::WDigest(WDigestCredentials {
                hashes: hashes.clone(),
            }));
            packages.push("WDigest".to_owned());
        }
        if let Some(password) = &self.cleartext {
            tail.push(UserProperty::Cleartext(password.clone()));
            packages.push("CLEARTEXT".to_owned());
        }
        properties.push(UserProperty::Packages(packages));
        properties.extend(tail);
        UserProperties {
            properties,
            hex_case,
        }
    }

    /// The `supplementalCredentials` attribute value.
    pub fn to_bytes(&self, hex_case: HexCase) -> Result<Zeroizing<Vec<u8>>, FormatError> {
        self.to_user_properties(hex_case).to_bytes()
    }
}
