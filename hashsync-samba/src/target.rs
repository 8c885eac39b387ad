//! [`SambaTarget`]: a Samba AD DC standing in for the managed domain, as a
//! [`Transport`].
//!
//! For each update it finds the account (by `sAMAccountName`, or another
//! attribute) and replaces `unicodePwd` and `supplementalCredentials` in
//! one modify with Samba's bypass-password-hash control, as Domain
//! Services does on its DCs with what it decrypted. The
//! `supplementalCredentials` written is built by hashsync's formats code
//! from the update's keys and their stored salt; nothing from the source's
//! blob is copied.

use std::time::{Duration, Instant};

use hashsync::formats::envelope::ManagedDomainKey;
use hashsync::formats::{HexCase, KeyGeneration, StoredCredentials as Supplemental};
use hashsync::sync::{
    Batch, CredentialUpdate, ItemResult, LegacyCredentials, LegacySecrets, Transport,
};
use hashsync::{AesKeys, EncryptionType, KerberosKey};
use ldap3::{Scope, ldap_escape};

use crate::connection::{Connection, replace, replace_all};
use crate::controls::bypass_password_hash;
use crate::error::SambaError;

const SEALED: &str = "the update's legacy credentials are sealed for the managed domain \
and this target has no managed-domain key to open them";

const NO_LEGACY: &str = "the update carries no legacy credentials \
(the tenant has no Domain Services, or it syncs none)";

/// What became of one update at the target, beyond the engine's result.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteOutcome {
    /// Written.
    Written {
        /// The account's DN at the target.
        distinguished_name: String,
    },
    /// No account matched yet (the managed domain's object sync has not
    /// created it): retry later (Entra Connect's RetryRequestedByTarget).
    NotYetAtTarget,
    /// The update lacks what the target needs (no Kerberos keys, no AES
    /// pair): not retried.
    Unbuildable {
        /// What was missing.
        reason: String,
    },
    /// The server refused the search or the write: not retried.
    Refused {
        /// The LDAP result code.
        code: u32,
        /// The server's message.
        message: String,
    },
}

/// One update's outcome, for the host's log.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetWrite {
    /// The update's `sAMAccountName`.
    pub sam_account_name: String,
    /// What happened.
    pub outcome: WriteOutcome,
}

/// Where a target's time went, summed over every update so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetTimings {
    /// Finding the accounts (the search by the match attribute).
    pub search: Duration,
    /// The credential modifies.
    pub modify: Duration,
}

/// A Samba AD DC written on its privileged `ldapi` socket.
pub struct SambaTarget {
    connection: Connection,
    match_attribute: String,
    base: Option<String>,
    log: Vec<TargetWrite>,
    timings: TargetTimings,
    key: Option<ManagedDomainKey>,
}

impl core::fmt::Debug for SambaTarget {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SambaTarget")
            .field("server", &self.connection.server())
            .field("match_attribute", &self.match_attribute)
            .finish()
    }
}

impl SambaTarget {
    /// A target on `url` (`ldapi://` and the percent-encoded socket path),
    /// matching accounts by `sAMAccountName`.
    pub fn new(url: &str) -> Self {
        Self {
            connection: Connection::new(url),
            match_attribute: "sAMAccountName".to_owned(),
            base: None,
            log: Vec::new(),
            timings: TargetTimings::default(),
            key: None,
        }
    }

    /// Matches accounts by another attribute, compared with the update's
    /// `sAMAccountName`.
    pub fn with_match_attribute(mut self, attribute: &str) -> Self {
        attribute.clone_into(&mut self.match_attribute);
        self
    }

    /// How long one LDAP operation may take.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.connection.set_timeout(timeout);
        self
    }

    /// Opens sealed legacy credentials with the managed domain's key, as
    /// Domain Services does before it writes them on its DCs (updates of a
    /// channel whose [`LegacyDelivery`](hashsync::sync::LegacyDelivery) is
    /// sealed to the key's certificate). Without a key, sealed updates are
    /// refused.
    pub fn with_managed_domain_key(mut self, key: ManagedDomainKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The DC's socket path, for messages.
    pub fn server(&self) -> &str {
        self.connection.server()
    }

    /// Time spent searching and modifying so far.
    pub fn timings(&self) -> TargetTimings {
        self.timings
    }

    /// Takes the per-update outcomes recorded since the last call.
    pub fn drain_log(&mut self) -> Vec<TargetWrite> {
        std::mem::take(&mut self.log)
    }

    fn naming_context(&mut self) -> Result<String, SambaError> {
        if let Some(base) = &self.base {
            return Ok(base.clone());
        }
        let operation = "rootDSE read";
        let (entries, result) = self.connection.search(
            operation,
            "",
            Scope::Base,
            "(objectClass=*)",
            &["defaultNamingContext"],
            Vec::new(),
        )?;
        if result.rc != 0 {
            return Err(self.connection.refused(operation, &result));
        }
        let base = entries
            .first()
            .and_then(|e| e.text("defaultNamingContext"))
            .ok_or_else(|| {
                self.connection
                    .malformed(operation, "no defaultNamingContext")
            })?
            .to_owned();
        self.base = Some(base.clone());
        Ok(base)
    }

    /// The update's legacy credentials in the clear, opened when sealed.
    fn legacy_of(&self, update: &CredentialUpdate) -> Result<LegacyCredentials, String> {
        let Some(secrets) = &update.legacy else {
            return Err(NO_LEGACY.to_owned());
        };
        if let Some(legacy) = secrets.plaintext() {
            return Ok(legacy.clone());
        }
        match (secrets, &self.key) {
            (LegacySecrets::Sealed(sealed), Some(key)) => sealed
                .open(key)
                .map_err(|e| format!("cannot open the sealed credentials: {e}")),
            _ => Err(SEALED.to_owned()),
        }
    }

    /// Writes one update; `Err` only when the connection is lost.
    fn write(&mut self, base: &str, update: &CredentialUpdate) -> Result<WriteOutcome, SambaError> {
        let filter = format!(
            "(&(objectClass=user)({}={}))",
            self.match_attribute,
            ldap_escape(&update.sam_account_name)
        );
        let searching = Instant::now();
        let searched = self.connection.search(
            "account search",
            base,
            Scope::Subtree,
            &filter,
            &["distinguishedName"],
            Vec::new(),
        );
        self.timings.search += searching.elapsed();
        let (entries, result) = searched?;
        if result.rc != 0 {
            return Ok(WriteOutcome::Refused {
                code: result.rc,
                message: result.text,
            });
        }
        let Some(entry) = entries.first() else {
            return Ok(WriteOutcome::NotYetAtTarget);
        };
        let dn = entry.dn.clone();
        let legacy = match self.legacy_of(update) {
            Ok(legacy) => legacy,
            Err(reason) => return Ok(WriteOutcome::Unbuildable { reason }),
        };
        // Without Kerberos keys (the managed domain does not sync them),
        // supplementalCredentials is removed: left in place, its old keys
        // would still log in with the previous password.
        let supplemental = if legacy.kerberos.is_some() {
            match supplemental_credentials(&legacy) {
                Ok(bytes) => vec![bytes.to_vec()],
                Err(reason) => return Ok(WriteOutcome::Unbuildable { reason }),
            }
        } else {
            Vec::new()
        };
        let mods = vec![
            replace("unicodePwd", legacy.nt_hash.expose_secret().to_vec()),
            // ldap3 takes owned values; its copies are beyond our reach.
            replace_all("supplementalCredentials", supplemental),
        ];
        let modifying = Instant::now();
        let modified =
            self.connection
                .modify("credential write", &dn, mods, vec![bypass_password_hash()]);
        self.timings.modify += modifying.elapsed();
        let result = modified?;
        Ok(if result.rc == 0 {
            WriteOutcome::Written {
                distinguished_name: dn,
            }
        } else {
            WriteOutcome::Refused {
                code: result.rc,
                message: result.text,
            }
        })
    }
}

/// The `supplementalCredentials` for legacy credentials: the current keys
/// under their stored salt and iteration count, in the layout hashsync's
/// builder writes (Kerberos-Newer-Keys, Kerberos when there are DES keys,
/// Packages).
pub fn supplemental_credentials(
    legacy: &LegacyCredentials,
) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
    let Some(kerberos) = &legacy.kerberos else {
        return Err("the update carries no Kerberos keys".to_owned());
    };
    let find = |etype: EncryptionType| -> Option<KerberosKey> {
        kerberos.keys.iter().find(|k| k.etype() == etype).cloned()
    };
    let (Some(aes256), Some(aes128)) = (
        find(EncryptionType::AES256_CTS_HMAC_SHA1_96),
        find(EncryptionType::AES128_CTS_HMAC_SHA1_96),
    ) else {
        return Err("the update lacks an AES256 or AES128 key".to_owned());
    };
    let mut current = KeyGeneration::from_aes(AesKeys {
        aes256: aes256.clone(),
        aes128: aes128.clone(),
    });
    if let (Some(md5), Some(crc)) = (
        find(EncryptionType::DES_CBC_MD5),
        find(EncryptionType::DES_CBC_CRC),
    ) {
        current = current.with_des(md5, crc).map_err(|e| e.to_string())?;
    }
    let mut built = Supplemental::new(
        AesKeys { aes256, aes128 },
        kerberos.salt.clone(),
        kerberos.iterations,
    );
    built.current = current;
    built.to_bytes(HexCase::Upper).map_err(|e| e.to_string())
}

impl Transport for SambaTarget {
    type Error = SambaError;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, SambaError> {
        let base = self.naming_context()?;
        let mut results = Vec::with_capacity(batch.updates.len());
        let mut log = Vec::with_capacity(batch.updates.len());
        for update in &batch.updates {
            // A lost connection fails the whole batch: every item is retried.
            let outcome = self.write(&base, update)?;
            results.push(match outcome {
                WriteOutcome::Written { .. } => ItemResult::Success,
                WriteOutcome::NotYetAtTarget => ItemResult::FailedRetry,
                WriteOutcome::Refused { .. } | WriteOutcome::Unbuildable { .. } => {
                    ItemResult::FailedNoRetry
                }
            });
            log.push(TargetWrite {
                sam_account_name: update.sam_account_name.clone(),
                outcome,
            });
        }
        self.log.extend(log);
        Ok(results)
    }
}
