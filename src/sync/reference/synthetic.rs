//! A generated directory that streams any number of accounts without
//! holding them: account `i` is computed when it is read.

use crate::model::Partition;
use std::sync::{Arc, Mutex};

use crate::crypto::{Iterations, Salt, nt_hash};
use crate::secret::{EncryptionType, KerberosKey, Password};
use crate::sync::account_query::AccountQuery;
use crate::sync::credential::{
    AccountCredentials, ObjectGuid, SourceAccount, StoredHashes, StoredKerberosKeys,
};
use crate::sync::cursor::Cursor;
use crate::sync::source::{ChangeSource, SourceItem, SourceStream};

use super::memory::{DEFAULT_PAGE_SIZE, MemorySourceError};

/// A synthetic forest of one domain with `users` accounts, read as AD
/// stores them (NT hash of a generated password + stored Kerberos keys).
///
/// The stored AES keys are placeholders drawn from a seeded generator, not
/// derived from the password: deriving them costs 8192 SHA-1 compressions
/// each, and sync carries stored keys as they are anyway. A few accounts
/// fall out of scope on purpose (disabled, must-change-password,
/// `PHSFiltered`, an `MSOL_` account, a critical system object).
/// Password changes made with [`SyntheticSource::change_password`] arrive
/// as cleartext, like a password-change event. Clones share those changes.
#[derive(Clone, Debug)]
pub struct SyntheticSource {
    forest: u32,
    users: u64,
    partition: Partition,
    changes: Arc<Mutex<Vec<(u64, u64, Password)>>>,
    page_size: usize,
}

impl SyntheticSource {
    /// Forest number `forest` (it picks names and GUIDs) with `users` accounts
    /// in the domain `dns_domain`.
    ///
    /// Fails when `dns_domain` is not a DNS name (an empty label).
    pub fn new(
        forest: u32,
        users: u64,
        dns_domain: &str,
    ) -> Result<Self, crate::error::ConfigError> {
        let name = dns_domain
            .split('.')
            .map(|label| format!("DC={label}"))
            .collect::<Vec<_>>()
            .join(",");
        Ok(Self {
            forest,
            users,
            partition: Partition::new(name, dns_domain)?,
            changes: Arc::new(Mutex::new(Vec::new())),
            page_size: DEFAULT_PAGE_SIZE,
        })
    }

    /// The domain partition.
    pub fn partition(&self) -> &Partition {
        &self.partition
    }

    /// Number of accounts.
    pub fn users(&self) -> u64 {
        self.users
    }

    /// The GUID of account `index`.
    pub fn object_guid(&self, index: u64) -> ObjectGuid {
        let mut bytes = [0u8; 16];
        bytes[..4].copy_from_slice(&self.forest.to_le_bytes());
        bytes[4..6].copy_from_slice(&[0x5e, 0xa1]);
        bytes[8..].copy_from_slice(&index.to_be_bytes());
        ObjectGuid::from_bytes(bytes)
    }

    /// The generated password of account `index` before any change.
    pub fn initial_password(&self, index: u64) -> Password {
        Password::new(&format!("Synth-{}-{index}-pw!", self.forest))
    }

    /// Changes account `index`'s password; returns the change's USN.
    pub fn change_password(
        &self,
        index: u64,
        password: Password,
    ) -> Result<u64, MemorySourceError> {
        let mut changes = self
            .changes
            .lock()
            .map_err(|_| MemorySourceError::Poisoned)?;
        let usn = changes.last().map_or(self.users, |(_, usn, _)| *usn) + 1;
        changes.push((index, usn, password));
        Ok(usn)
    }

    /// Account `index` as the source reads it now.
    pub fn account(&self, index: u64) -> Result<SourceAccount, MemorySourceError> {
        let changed = {
            let changes = self
                .changes
                .lock()
                .map_err(|_| MemorySourceError::Poisoned)?;
            changes
                .iter()
                .rev()
                .find(|(i, _, _)| *i == index)
                .map(|(_, usn, password)| (*usn, password.clone()))
        };
        Ok(self.generate(index, changed))
    }

    fn generate(&self, index: u64, changed: Option<(u64, Password)>) -> SourceAccount {
        let sam_account_name = match index {
            3 => format!("MSOL_{:012x}", u64::from(self.forest) * 0x1000 + index),
            _ => format!("user{index:07}"),
        };
        let disabled = index % 97 == 1;
        let must_change = index % 211 == 2;
        let credentials = match changed.as_ref() {
            Some((_, password)) => AccountCredentials::Cleartext(password.clone()),
            None => self.stored_credentials(index, &sam_account_name),
        };
        SourceAccount {
            object_guid: self.object_guid(index),
            distinguished_name: format!("CN={sam_account_name},OU=Users,{}", self.partition.dn()),
            object_class: "user".to_owned(),
            user_principal_name: Some(format!("{sam_account_name}@{}", self.partition.dns_name())),
            sam_account_name,
            user_account_control: if disabled { 0x202 } else { 0x200 },
            pwd_last_set: if must_change {
                0
            } else {
                133_000_000_000_000_000
            },
            admin_description: (index % 389 == 5).then(|| "PHSFiltered".to_owned()),
            is_critical_system_object: index == 4,
            usn: changed.map_or(index + 1, |(usn, _)| usn),
            cloud_anchor: None,
            credentials,
        }
    }

    fn stored_credentials(&self, index: u64, sam_account_name: &str) -> AccountCredentials {
        let mut state = (u64::from(self.forest) << 40) ^ index;
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(8) {
            chunk.copy_from_slice(&splitmix(&mut state).to_le_bytes()[..chunk.len()]);
        }
        let keys = [
            KerberosKey::new(EncryptionType::AES256_CTS_HMAC_SHA1_96, &key),
            KerberosKey::new(EncryptionType::AES128_CTS_HMAC_SHA1_96, &key[..16]),
        ];
        let keys = keys.into_iter().filter_map(Result::ok).collect();
        AccountCredentials::Stored(StoredHashes {
            nt_hash: nt_hash(&self.initial_password(index)),
            kerberos: Some(StoredKerberosKeys {
                salt: Salt::new(format!("{}{sam_account_name}", self.partition.realm())),
                iterations: Iterations::KERBEROS_DEFAULT,
                keys,
            }),
        })
    }

    fn high_water(&self) -> Result<u64, MemorySourceError> {
        let changes = self
            .changes
            .lock()
            .map_err(|_| MemorySourceError::Poisoned)?;
        Ok(changes.last().map_or(self.users, |(_, usn, _)| *usn))
    }

    fn check_partition(&self, partition: &Partition) -> Result<(), MemorySourceError> {
        if partition.dn() == self.partition.dn() {
            Ok(())
        } else {
            Err(MemorySourceError::UnknownPartition(
                partition.dn().to_owned(),
            ))
        }
    }
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl ChangeSource for SyntheticSource {
    type Error = MemorySourceError;

    fn partitions(&mut self) -> Result<Vec<Partition>, MemorySourceError> {
        Ok(vec![self.partition.clone()])
    }

    fn full_sync(
        &mut self,
        partition: &Partition,
    ) -> Result<SourceStream<'_, MemorySourceError>, MemorySourceError> {
        self.check_partition(partition)?;
        let high_water = self.high_water()?;
        Ok(Box::new(FullStream {
            source: self.clone(),
            high_water,
            next: 0,
            in_page: 0,
            done: false,
        }))
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        cursor: &Cursor,
    ) -> Result<SourceStream<'_, MemorySourceError>, MemorySourceError> {
        self.check_partition(partition)?;
        let text =
            core::str::from_utf8(cursor.as_bytes()).map_err(|_| MemorySourceError::BadCursor)?;
        let number = |s: &str| s.parse::<u64>().map_err(|_| MemorySourceError::BadCursor);
        if let Some(rest) = text.strip_prefix("F:") {
            let (high_water, next) = rest.split_once(':').ok_or(MemorySourceError::BadCursor)?;
            return Ok(Box::new(FullStream {
                source: self.clone(),
                high_water: number(high_water)?,
                next: number(next)?,
                in_page: 0,
                done: false,
            }));
        }
        let since = number(
            text.strip_prefix("U:")
                .ok_or(MemorySourceError::BadCursor)?,
        )?;
        let high_water = self.high_water()?;
        let changed: Vec<u64> = {
            let changes = self
                .changes
                .lock()
                .map_err(|_| MemorySourceError::Poisoned)?;
            // The latest change per account decides its USN.
            let mut latest: Vec<(u64, u64)> = Vec::new();
            for (index, usn, _) in changes.iter() {
                match latest.iter_mut().find(|(i, _)| i == index) {
                    Some(entry) => entry.1 = *usn,
                    None => latest.push((*index, *usn)),
                }
            }
            latest.sort_by_key(|(_, usn)| *usn);
            latest
                .into_iter()
                .filter(|(_, usn)| *usn > since)
                .map(|(index, _)| index)
                .collect()
        };
        let mut items = Vec::with_capacity(changed.len() + 1);
        for index in changed {
            items.push(self.account(index).map(SourceItem::Account));
        }
        items.push(Ok(SourceItem::Checkpoint(Cursor::new(format!(
            "U:{high_water}"
        )))));
        Ok(Box::new(items.into_iter()))
    }

    /// Looks the account up by its generated name, DN or GUID (no scan).
    fn read_account(
        &mut self,
        partition: &Partition,
        query: &AccountQuery,
    ) -> Result<Option<SourceAccount>, MemorySourceError> {
        self.check_partition(partition)?;
        let Some(index) = self.index_named(query).filter(|i| *i < self.users) else {
            return Ok(None);
        };
        let account = self.account(index)?;
        Ok(query.matches(&account).then_some(account))
    }

    fn estimated_total(&mut self, partition: &Partition) -> Option<u64> {
        (partition.dn() == self.partition.dn()).then_some(self.users)
    }
}

impl SyntheticSource {
    /// The index a query names, if it names one of this forest's accounts
    /// (checked against the account itself by the caller).
    fn index_named(&self, query: &AccountQuery) -> Option<u64> {
        use base64::Engine as _;
        let by_sam = |sam: &str| {
            if sam.len() > 5 && sam[..5].eq_ignore_ascii_case("MSOL_") {
                return Some(3);
            }
            sam.get(..4).filter(|p| p.eq_ignore_ascii_case("user"))?;
            sam[4..].parse::<u64>().ok()
        };
        match query {
            AccountQuery::SamAccountName(sam) => by_sam(sam),
            AccountQuery::DistinguishedName(dn) => {
                let rdn = dn.split(',').next()?;
                rdn.get(..3).filter(|p| p.eq_ignore_ascii_case("CN="))?;
                by_sam(&rdn[3..])
            }
            AccountQuery::SourceAnchor(anchor) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(anchor)
                    .ok()?;
                let tail: [u8; 8] = bytes.get(8..16)?.try_into().ok()?;
                Some(u64::from_be_bytes(tail))
            }
        }
    }
}

struct FullStream {
    source: SyntheticSource,
    high_water: u64,
    next: u64,
    in_page: usize,
    done: bool,
}

impl Iterator for FullStream {
    type Item = Result<SourceItem, MemorySourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.in_page == self.source.page_size {
            self.in_page = 0;
            let cursor = format!("F:{}:{}", self.high_water, self.next);
            return Some(Ok(SourceItem::Checkpoint(Cursor::new(cursor))));
        }
        if self.next >= self.source.users {
            self.done = true;
            let cursor = format!("U:{}", self.high_water);
            return Some(Ok(SourceItem::Checkpoint(Cursor::new(cursor))));
        }
        let index = self.next;
        self.next += 1;
        self.in_page += 1;
        Some(self.source.account(index).map(SourceItem::Account))
    }
}
