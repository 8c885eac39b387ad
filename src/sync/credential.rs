//! What the engine reads from the source and what it hands to the transport.
//!
//! A [`SourceAccount`] is one account as the source read it: identity,
//! scope attributes, the change's USN and its credentials, either cleartext
//! (a password-change event) or as AD stores them. An [`UpdateRequest`] is an
//! in-scope account the engine decided to send; [`UpdateRequest::prepare`]
//! turns it into the [`CredentialUpdate`] a transport carries, computing the
//! OrgId hash with a fresh salt. Preparing is the expensive step (PBKDF2), so
//! it lives outside the state machine where a driver can spread it over cores.

use core::fmt;

use base64::Engine as _;

use crate::crypto::{Iterations, Salt};
use crate::error::{AccountError, Result};
use crate::model::{ManagedDomainSettings, Timestamp};
use crate::secret::{KerberosKey, NtHash, OrgIdHash, Password};

use super::delivery::LegacyDelivery;
use super::stored_attributes::StoredAttributes;

/// An AD `objectGUID`, held as AD stores it: the byte order of .NET's
/// `Guid.ToByteArray` (first three fields little-endian).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectGuid([u8; 16]);

impl ObjectGuid {
    /// A GUID from the 16 bytes of the `objectGUID` attribute.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Parses the registry form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`
    /// (either case, optional braces) into AD's byte order.
    pub fn parse(text: &str) -> core::result::Result<Self, AccountError> {
        let bad = || AccountError::InvalidObjectGuid;
        let text = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(text);
        let groups: Vec<&str> = text.split('-').collect();
        let [a, b, c, d, e] = groups[..] else {
            return Err(bad());
        };
        if [a.len(), b.len(), c.len(), d.len(), e.len()] != [8, 4, 4, 4, 12] {
            return Err(bad());
        }
        let mut big_endian = [0u8; 16];
        let hex: String = [a, b, c, d, e].concat();
        base16ct::mixed::decode(&hex, &mut big_endian).map_err(|_| bad())?;
        let mut bytes = big_endian;
        bytes[0..4].reverse();
        bytes[4..6].reverse();
        bytes[6..8].reverse();
        Ok(Self(bytes))
    }

    /// The bytes in AD's (`Guid.ToByteArray`) order.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The source anchor Entra ID shows as ImmutableId: standard base64 of
    /// the bytes in AD's order.
    pub fn source_anchor(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

impl fmt::Display for ObjectGuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-",
            b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9]
        )?;
        b[10..].iter().try_for_each(|x| write!(f, "{x:02x}"))
    }
}

impl fmt::Debug for ObjectGuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectGuid({self})")
    }
}

/// Kerberos keys as AD stored them with the salt and iteration count used
/// when the password was set (from `supplementalCredentials`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKerberosKeys {
    /// The salt stored with the keys (`DefaultSalt`); never recomputed.
    pub salt: Salt,
    /// The stored iteration count.
    pub iterations: Iterations,
    /// The current keys, in stored order.
    pub keys: Vec<KerberosKey>,
}

/// An account's password hashes as AD stores them: the NT hash
/// (`unicodePwd`) and, when present, the current Kerberos keys from
/// `supplementalCredentials` (whose full parsed view is
/// [`formats::StoredCredentials`](crate::formats::StoredCredentials)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredHashes {
    /// The NT hash from `unicodePwd`.
    pub nt_hash: NtHash,
    /// The current Kerberos keys, if AD stored any.
    pub kerberos: Option<StoredKerberosKeys>,
}

impl StoredHashes {
    /// Credentials from AD's attributes: the NT hash (`unicodePwd`) and the
    /// raw `supplementalCredentials` value, whose stored salt, iteration
    /// count and current keys are taken as they are (never re-derived).
    ///
    /// ```
    /// use hashsync::NtHash;
    /// use hashsync::formats::{HexCase, StoredCredentials};
    /// use hashsync::sync::StoredHashes;
    /// use hashsync::{Iterations, Password, Salt, aes_keys, nt_hash};
    ///
    /// let password = Password::new("Passw0rd!");
    /// let salt = Salt::from("ONPREM.CONTOSO.COMalice");
    /// let keys = aes_keys(&password, &salt, Iterations::KERBEROS_DEFAULT);
    /// let blob = StoredCredentials::new(keys, salt.clone(), Iterations::KERBEROS_DEFAULT)
    ///     .to_bytes(HexCase::Upper)?;
    /// let stored = StoredHashes::from_attributes(nt_hash(&password), &blob)?;
    /// let kerberos = stored.kerberos.expect("keys stored");
    /// assert_eq!(kerberos.salt, salt);
    /// assert_eq!(kerberos.keys.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_attributes(
        nt_hash: NtHash,
        supplemental_credentials: &[u8],
    ) -> core::result::Result<Self, AccountError> {
        let parsed =
            crate::formats::StoredCredentials::parse(supplemental_credentials).map_err(|err| {
                AccountError::MalformedAttribute {
                    attribute: "supplementalCredentials",
                    reason: err.to_string(),
                }
            })?;
        Ok(Self {
            nt_hash,
            kerberos: Some(StoredKerberosKeys {
                keys: parsed.current.keys().cloned().collect(),
                salt: parsed.salt.clone(),
                iterations: parsed.iterations,
            }),
        })
    }
}

/// How an account's password arrives.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountCredentials {
    /// Cleartext from a password-change event; the engine derives the NT
    /// hash and AES keys with the salt AD's rules give the account now.
    Cleartext(Password),
    /// As AD stores them; the stored salt and keys are used as they are.
    Stored(StoredHashes),
    /// As AD stores them, parsed only when the batch is prepared (on every
    /// core). A value that does not parse then fails the whole batch's
    /// preparation ([`Error::MalformedSupplementalCredentials`](crate::Error::MalformedSupplementalCredentials)),
    /// which stops the driver; sources that cannot vouch for their input
    /// parse it themselves and send [`AccountCredentials::Stored`].
    StoredAttributes(StoredAttributes),
}

/// One account as the source read it.
///
/// Build one with [`SourceAccount::new`] and the `with_*` setters; the
/// fields stay public for reading and editing, and new ones may be added
/// in a minor release.
///
/// ```
/// use hashsync::Password;
/// use hashsync::sync::{AccountCredentials, ObjectGuid, SourceAccount};
/// let account = SourceAccount::new(
///     ObjectGuid::parse("00112233-4455-6677-8899-aabbccddeeff")?,
///     "jsmith",
///     AccountCredentials::Cleartext(Password::new("Welcome1")),
/// )
/// .with_user_principal_name("John.Smith@contoso.com")
/// .with_usn(4711);
/// assert_eq!(account.object_class, "user");
/// assert_eq!(account.user_account_control, 0x200);
/// # Ok::<(), hashsync::AccountError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SourceAccount {
    /// `objectGUID`.
    pub object_guid: ObjectGuid,
    /// `distinguishedName`, for logs.
    pub distinguished_name: String,
    /// The most specific `objectClass` (`user`, `computer`, `inetOrgPerson`, …).
    pub object_class: String,
    /// `sAMAccountName`, for logs.
    pub sam_account_name: String,
    /// `userPrincipalName`, if set.
    pub user_principal_name: Option<String>,
    /// `userAccountControl`.
    pub user_account_control: u32,
    /// `pwdLastSet` (FILETIME; `0` means "must change password at next logon").
    pub pwd_last_set: i64,
    /// `adminDescription`, if set.
    pub admin_description: Option<String>,
    /// `isCriticalSystemObject`.
    pub is_critical_system_object: bool,
    /// The USN of the change that produced this read.
    pub usn: u64,
    /// The account's cloud anchor in Entra ID, when the host knows it.
    pub cloud_anchor: Option<String>,
    /// The password, cleartext or as stored.
    pub credentials: AccountCredentials,
}

impl SourceAccount {
    /// An enabled `user` (userAccountControl `NORMAL_ACCOUNT`, 0x200) with
    /// a password set at some time (`pwdLastSet` 1), no UPN, DN,
    /// `adminDescription` or USN yet: set those with the `with_*` setters.
    pub fn new(
        object_guid: ObjectGuid,
        sam_account_name: impl Into<String>,
        credentials: AccountCredentials,
    ) -> Self {
        Self {
            object_guid,
            distinguished_name: String::new(),
            object_class: "user".to_owned(),
            sam_account_name: sam_account_name.into(),
            user_principal_name: None,
            user_account_control: 0x200,
            pwd_last_set: 1,
            admin_description: None,
            is_critical_system_object: false,
            usn: 0,
            cloud_anchor: None,
            credentials,
        }
    }

    /// When the password changed: `pwdLastSet` as a time, or `None` when it
    /// names none (0, "must change at next logon", or a FILETIME before
    /// 1970).
    pub fn change_date(&self) -> Option<Timestamp> {
        // FILETIME counts 100 ns ticks since 1601-01-01; the Unix epoch is
        // 11,644,473,600 seconds later.
        const UNIX_EPOCH_TICKS: i64 = 116_444_736_000_000_000;
        let ticks = self.pwd_last_set.checked_sub(UNIX_EPOCH_TICKS)?;
        let millis = u64::try_from(ticks / 10_000).ok()?;
        (ticks > 0).then(|| Timestamp::from_unix_millis(millis))
    }

    /// Sets `distinguishedName`.
    pub fn with_distinguished_name(mut self, dn: impl Into<String>) -> Self {
        self.distinguished_name = dn.into();
        self
    }

    /// Sets the most specific `objectClass`.
    pub fn with_object_class(mut self, object_class: impl Into<String>) -> Self {
        self.object_class = object_class.into();
        self
    }

    /// Sets `userPrincipalName`.
    pub fn with_user_principal_name(mut self, upn: impl Into<String>) -> Self {
        self.user_principal_name = Some(upn.into());
        self
    }

    /// Sets `userAccountControl`.
    pub fn with_user_account_control(mut self, user_account_control: u32) -> Self {
        self.user_account_control = user_account_control;
        self
    }

    /// Sets `pwdLastSet` (FILETIME; `0` means "must change at next logon").
    pub fn with_pwd_last_set(mut self, pwd_last_set: i64) -> Self {
        self.pwd_last_set = pwd_last_set;
        self
    }

    /// Sets `adminDescription`.
    pub fn with_admin_description(mut self, admin_description: impl Into<String>) -> Self {
        self.admin_description = Some(admin_description.into());
        self
    }

    /// Sets `isCriticalSystemObject`.
    pub fn with_critical_system_object(mut self, critical: bool) -> Self {
        self.is_critical_system_object = critical;
        self
    }

    /// Sets the USN of the change that produced this read.
    pub fn with_usn(mut self, usn: u64) -> Self {
        self.usn = usn;
        self
    }

    /// Sets the account's cloud anchor in Entra ID.
    pub fn with_cloud_anchor(mut self, cloud_anchor: impl Into<String>) -> Self {
        self.cloud_anchor = Some(cloud_anchor.into());
        self
    }
}

/// The legacy credentials Domain Services needs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LegacyCredentials {
    /// The NT hash sent (random when the managed domain does not sync NTLM passwords).
    pub nt_hash: NtHash,
    /// The Kerberos keys with their salt, if any (none when the managed
    /// domain does not sync Kerberos passwords).
    pub kerberos: Option<StoredKerberosKeys>,
}

/// An update's legacy credentials as the transport receives them.
///
/// The channel's [`LegacyDelivery`] decides which: with the managed
/// domain's certificate configured the engine seals every update while
/// preparing it, so that no legacy secret reaches the transport; the
/// plaintext path is the host's explicit choice, for tests and targets it
/// trusts (a Samba DC it runs itself).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LegacySecrets {
    /// In the clear: the NT hash and the Kerberos keys.
    Plaintext(LegacyCredentials),
    /// Sealed to the managed domain's certificate: only its private key
    /// opens them.
    #[cfg(feature = "domain-services")]
    Sealed(super::SealedLegacyCredentials),
}

impl LegacySecrets {
    /// The credentials in the clear, if they are not sealed.
    pub fn plaintext(&self) -> Option<&LegacyCredentials> {
        match self {
            Self::Plaintext(legacy) => Some(legacy),
            #[cfg(feature = "domain-services")]
            Self::Sealed(_) => None,
        }
    }

    /// The sealed envelopes, if sealed.
    #[cfg(feature = "domain-services")]
    pub fn sealed(&self) -> Option<&super::SealedLegacyCredentials> {
        match self {
            Self::Plaintext(_) => None,
            Self::Sealed(sealed) => Some(sealed),
        }
    }
}

/// One credential update, as a transport carries it to the target connector.
///
/// Built by the engine ([`UpdateRequest::prepare`]); fields may be added in
/// a minor release.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialUpdate {
    /// The source anchor (ImmutableId): base64 of the `objectGUID` bytes.
    pub source_anchor: String,
    /// The account's cloud anchor in Entra ID, when the source knew it.
    pub cloud_anchor: Option<String>,
    /// When the password changed (`pwdLastSet`), or when the update was
    /// prepared if the account names no time.
    pub change_date: Timestamp,
    /// `distinguishedName`, for logs.
    pub distinguished_name: String,
    /// `sAMAccountName`, for logs.
    pub sam_account_name: String,
    /// The change's USN.
    pub usn: u64,
    /// What Entra ID stores: the OrgId hash of the real NT hash, fresh salt.
    pub org_id: OrgIdHash,
    /// NT hash and Kerberos keys for Domain Services, in the clear or
    /// sealed: only when the tenant has Domain Services (and its
    /// SyncOnPremPasswords is on); otherwise the update carries the OrgId
    /// hash alone.
    pub legacy: Option<LegacySecrets>,
    /// The user must change the password at next logon.
    pub force_change_on_logon: bool,
}

/// Where an update's legacy credentials come from.
#[derive(Clone, Debug)]
pub(crate) enum RequestCredentials {
    /// Derive from cleartext with this salt (AD's rules, at change time).
    Cleartext { password: Password, salt: Salt },
    /// Use as stored.
    Stored(StoredHashes),
    /// Use as stored, once parsed (in [`prepare_all`], on the hashing
    /// threads).
    StoredAttributes(StoredAttributes),
}

/// An in-scope account the engine decided to send; prepare it into a
/// [`CredentialUpdate`] with [`UpdateRequest::prepare`].
#[derive(Clone, Debug)]
pub struct UpdateRequest {
    pub(crate) object_guid: ObjectGuid,
    pub(crate) distinguished_name: String,
    pub(crate) sam_account_name: String,
    pub(crate) usn: u64,
    pub(crate) change_date: Option<Timestamp>,
    pub(crate) cloud_anchor: Option<String>,
    pub(crate) credentials: RequestCredentials,
    pub(crate) force_change_on_logon: bool,
    pub(crate) domain_services: Option<ManagedDomainSettings>,
    /// How legacy credentials leave; used only when they are sent.
    pub(crate) delivery: LegacyDelivery,
    pub(crate) org_id_iterations: Iterations,
}

impl UpdateRequest {
    /// The account's `objectGUID`.
    pub fn object_guid(&self) -> ObjectGuid {
        self.object_guid
    }

    /// The change's USN.
    pub fn usn(&self) -> u64 {
        self.usn
    }

    /// `sAMAccountName`, for logs.
    pub fn sam_account_name(&self) -> &str {
        &self.sam_account_name
    }

    /// `distinguishedName`, for logs.
    pub fn distinguished_name(&self) -> &str {
        &self.distinguished_name
    }

    /// Derives what the request needs (cleartext: the NT hash, and the AES
    /// keys when Kerberos keys are sent), computes the OrgId hash from the
    /// real NT hash with a fresh random salt, and adds the legacy
    /// credentials the tenant's Domain Services settings ask for (a random
    /// NT hash when it does not sync NTLM passwords), sealed when the
    /// channel's [`LegacyDelivery`] says so.
    ///
    /// Fails only when the operating system's random source fails (or,
    /// for stored attributes handed over unparsed, when they do not
    /// parse). To
    /// prepare many at once (SIMD lanes, all cores), use
    /// [`prepare_batch`](super::prepare_batch).
    pub fn prepare(&self) -> Result<CredentialUpdate> {
        prepare_all(&[self])?
            .pop()
            .ok_or(crate::Error::RandomSource)
    }

    /// The Domain Services settings when legacy credentials are sent.
    fn legacy_settings(&self) -> Option<ManagedDomainSettings> {
        self.domain_services
            .filter(|settings| settings.sync_on_prem_passwords)
    }

    fn wants_kerberos(&self) -> bool {
        self.legacy_settings()
            .is_some_and(|settings| settings.sync_kerberos_passwords)
    }

    fn assemble(
        &self,
        real_nt_hash: NtHash,
        kerberos: Option<StoredKerberosKeys>,
        org_id: OrgIdHash,
        prepared_at: Timestamp,
    ) -> Result<CredentialUpdate> {
        let legacy = match self.legacy_settings() {
            None => None,
            Some(settings) => Some(LegacyCredentials {
                nt_hash: if settings.sync_ntlm_passwords {
                    real_nt_hash
                } else {
                    random_nt_hash()?
                },
                kerberos: kerberos.filter(|_| settings.sync_kerberos_passwords),
            }),
        };
        let legacy = match legacy {
            None => None,
            Some(legacy) => Some(self.deliver(legacy)?),
        };
        Ok(CredentialUpdate {
            source_anchor: self.object_guid.source_anchor(),
            cloud_anchor: self.cloud_anchor.clone(),
            change_date: self.change_date.unwrap_or(prepared_at),
            distinguished_name: self.distinguished_name.clone(),
            sam_account_name: self.sam_account_name.clone(),
            usn: self.usn,
            org_id,
            legacy,
            force_change_on_logon: self.force_change_on_logon,
        })
    }
}

impl UpdateRequest {
    /// The legacy credentials as the channel's delivery hands them over:
    /// sealed (the plaintext is dropped, and zeroized, here) or as they are.
    fn deliver(&self, legacy: LegacyCredentials) -> Result<LegacySecrets> {
        match &self.delivery {
            LegacyDelivery::Plaintext => Ok(LegacySecrets::Plaintext(legacy)),
            #[cfg(feature = "domain-services")]
            LegacyDelivery::Sealed(certificate) => {
                use crate::formats::envelope::EnvelopeError;
                super::SealedLegacyCredentials::seal(&legacy, certificate)
                    .map(LegacySecrets::Sealed)
                    .map_err(|error| match error {
                        EnvelopeError::RandomSource => crate::Error::RandomSource,
                        _ => crate::Error::Sealing,
                    })
            }
        }
    }
}

/// Prepares requests with the bulk derivations: cleartext passwords' NT
/// hash and AES keys, stored attributes' parse, then every OrgId hash
/// (fresh salts), several PBKDF2 chains at once, on the calling thread (the
/// driver spreads chunks of a batch over cores). Results in input order.
pub(crate) fn prepare_all(requests: &[&UpdateRequest]) -> Result<Vec<CredentialUpdate>> {
    use crate::crypto::bulk;
    // Cleartext requests that send Kerberos keys: NT hash + AES keys with
    // the salt AD's rules gave; the others need the NT hash alone.
    let inputs: Vec<bulk::LegacyInput<'_>> = requests
        .iter()
        .filter(|r| r.wants_kerberos())
        .filter_map(|r| match &r.credentials {
            RequestCredentials::Cleartext { password, salt } => Some(bulk::LegacyInput {
                password,
                salt,
                iterations: Iterations::KERBEROS_DEFAULT.get(),
            }),
            RequestCredentials::Stored(_) | RequestCredentials::StoredAttributes(_) => None,
        })
        .collect();
    let mut derived = bulk::legacy_keys_on_current_thread(&inputs).into_iter();
    let mut parts = Vec::with_capacity(requests.len());
    for request in requests {
        parts.push(match &request.credentials {
            RequestCredentials::Cleartext { password, .. } if !request.wants_kerberos() => {
                (crate::crypto::nt_hash(password), None)
            }
            RequestCredentials::Cleartext { salt, .. } => {
                let keys = derived.next().ok_or(crate::Error::RandomSource)??;
                let kerberos = StoredKerberosKeys {
                    salt: salt.clone(),
                    iterations: Iterations::KERBEROS_DEFAULT,
                    keys: vec![keys.aes.aes256, keys.aes.aes128],
                };
                (keys.nt_hash, Some(kerberos))
            }
            RequestCredentials::Stored(stored) => (stored.nt_hash.clone(), stored.kerberos.clone()),
            RequestCredentials::StoredAttributes(raw) => {
                let stored = raw
                    .parse()
                    .map_err(|_| crate::Error::MalformedSupplementalCredentials)?;
                (stored.nt_hash, stored.kerberos)
            }
        });
    }
    // OrgId hashes of the real NT hashes, each with a fresh random salt.
    let mut salts = zeroize::Zeroizing::new(vec![[0u8; 10]; requests.len()]);
    getrandom::fill(salts.as_flattened_mut()).map_err(|_| crate::Error::RandomSource)?;
    let org_inputs: Vec<bulk::OrgIdInput<'_>> = parts
        .iter()
        .zip(requests)
        .zip(salts.iter())
        .map(|(((nt_hash, _), request), salt)| bulk::OrgIdInput {
            nt_hash,
            salt: *salt,
            iterations: request.org_id_iterations.get(),
        })
        .collect();
    let org_ids = bulk::org_id_hashes_on_current_thread(&org_inputs);
    drop(org_inputs);
    let prepared_at = Timestamp::from_system_time(std::time::SystemTime::now());
    requests
        .iter()
        .zip(parts)
        .zip(org_ids)
        .map(|((request, (nt_hash, kerberos)), org_id)| {
            request.assemble(nt_hash, kerberos, org_id?, prepared_at)
        })
        .collect()
}

fn random_nt_hash() -> Result<NtHash> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 16]);
    getrandom::fill(&mut bytes[..]).map_err(|_| crate::Error::RandomSource)?;
    Ok(NtHash::from_bytes(*bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from Python's `uuid.UUID(s).bytes_le` (the .NET
    // `Guid.ToByteArray` order) and `base64.b64encode`.
    #[test]
    fn guid_text_to_ad_bytes_and_anchor() {
        let g = ObjectGuid::parse("00112233-4455-6677-8899-aabbccddeeff").unwrap();
        assert_eq!(
            g.as_bytes(),
            &[
                0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                0xee, 0xff
            ]
        );
        assert_eq!(g.source_anchor(), "MyIRAFVEd2aImaq7zN3u/w==");
        let g = ObjectGuid::parse("{F5C2C1D8-6F4B-4F5E-9C1A-0B2D3E4F5A6B}").unwrap();
        assert_eq!(g.source_anchor(), "2MHC9UtvXk+cGgstPk9aaw==");
        assert_eq!(g.to_string(), "f5c2c1d8-6f4b-4f5e-9c1a-0b2d3e4f5a6b");
    }

    fn request(credentials: RequestCredentials) -> UpdateRequest {
        UpdateRequest {
            object_guid: ObjectGuid::from_bytes([7; 16]),
            distinguished_name: "CN=alice,DC=onprem,DC=contoso,DC=com".into(),
            sam_account_name: "alice".into(),
            usn: 42,
            change_date: None,
            cloud_anchor: None,
            credentials,
            force_change_on_logon: false,
            domain_services: Some(crate::model::ManagedDomainSettings {
                sync_ntlm_passwords: true,
                sync_kerberos_passwords: true,
                sync_on_prem_passwords: true,
            }),
            delivery: LegacyDelivery::Plaintext,
            org_id_iterations: Iterations::new(3).unwrap(),
        }
    }

    #[test]
    fn raw_attributes_are_parsed_when_prepared() {
        use crate::formats::{HexCase, StoredCredentials as Supplemental};
        let password = Password::new("Passw0rd!");
        let salt = Salt::from("ONPREM.CONTOSO.COMalice");
        let keys = crate::aes_keys(&password, &salt, Iterations::KERBEROS_DEFAULT);
        let blob = Supplemental::new(keys.clone(), salt.clone(), Iterations::KERBEROS_DEFAULT)
            .to_bytes(HexCase::Upper)
            .unwrap();
        let nt = crate::nt_hash(&password);
        let raw = StoredAttributes::new(nt.clone(), &blob);
        let update = request(RequestCredentials::StoredAttributes(raw))
            .prepare()
            .unwrap();
        let legacy = update.legacy.as_ref().unwrap().plaintext().unwrap();
        assert_eq!(legacy.nt_hash, nt);
        assert!(update.org_id.verify_nt_hash(&nt));
        let kerberos = legacy.kerberos.clone().unwrap();
        assert_eq!(kerberos.salt, salt);
        assert_eq!(kerberos.keys, vec![keys.aes256, keys.aes128]);

        let truncated = StoredAttributes::new(nt, &blob[..blob.len() / 2]);
        let failed = request(RequestCredentials::StoredAttributes(truncated)).prepare();
        assert_eq!(failed, Err(crate::Error::MalformedSupplementalCredentials));
    }

    #[test]
    fn malformed_guids_are_rejected() {
        for bad in [
            "",
            "00112233-4455-6677-8899",
            "0011223-34455-6677-8899-aabbccddeeff",
            "g0112233-4455-6677-8899-aabbccddeeff",
        ] {
            assert_eq!(
                ObjectGuid::parse(bad),
                Err(AccountError::InvalidObjectGuid),
                "{bad}"
            );
        }
    }
}
