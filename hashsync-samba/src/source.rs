//! [`SambaSource`]: a Samba AD DC's domain as a [`ChangeSource`], read over
//! LDAP on its privileged socket.
//!
//! - Partitions come from the rootDSE: `defaultNamingContext`, its DNS
//!   name, the realm.
//! - A full sync first takes a DirSync cookie and the DC's
//!   `highestCommittedUSN`, then reads every `user`-class object (computers
//!   included: scope refuses them) in windows of `uSNChanged`, each window a
//!   page followed by a checkpoint. The checkpoint holds the cookie and the
//!   window reached, so a full sync interrupted anywhere resumes at the
//!   last committed window; when the scan ends, DirSync continues from the
//!   cookie, which also catches whatever changed during the scan.
//! - Incremental sync is DirSync from the saved cookie. DirSync returns
//!   only changed attributes, so each changed object is read again by GUID
//!   and the changes are handed over in USN order. (Samba answers DirSync
//!   in one piece, so memory holds the changed objects of one cycle.)
//! - An object without a password yet is not an error: it is left out and
//!   recorded in the [`SkipLog`].
//! - A DC that is unreachable or goes away mid-stream ends the stream with
//!   a [`SambaError`] carrying the LDAP error; the engine keeps the last
//!   committed checkpoint and the next cycle resumes from it.

use std::collections::VecDeque;
use std::time::Duration;

use hashsync::sync::{ChangeSource, Cursor, Partition, SkipLog, SourceItem, SourceStream};
use ldap3::Scope;

use crate::account::{ACCOUNT_ATTRIBUTES, account_from_entry, usn_changed};
use crate::connection::Connection;
use crate::controls::{DIRSYNC_OID, dirsync_request, dirsync_response_cookie};
use crate::entry::RawEntry;
use crate::error::SambaError;
use crate::position::SourcePosition;

/// USNs per full-sync page by default.
pub const DEFAULT_PAGE_USNS: u64 = 1000;

const USER_FILTER: &str = "(objectClass=user)";

/// A Samba AD DC's domain, read on its privileged `ldapi` socket.
pub struct SambaSource {
    connection: Connection,
    page_usns: u64,
    skips: SkipLog,
}

impl core::fmt::Debug for SambaSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SambaSource")
            .field("server", &self.connection.server())
            .field("page_usns", &self.page_usns)
            .finish()
    }
}

impl SambaSource {
    /// A source on `url` (`ldapi://` and the percent-encoded path of the
    /// DC's `private/ldap_priv/ldapi`). Nothing is opened until used.
    pub fn new(url: &str) -> Self {
        Self {
            connection: Connection::new(url),
            page_usns: DEFAULT_PAGE_USNS,
            skips: SkipLog::default(),
        }
    }

    /// USNs per full-sync page (at least 1): the page holds at most this
    /// many objects, since each object has its own `uSNChanged`.
    pub fn with_page_usns(mut self, usns: u64) -> Self {
        self.page_usns = usns.max(1);
        self
    }

    /// How long one LDAP operation may take.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.connection.set_timeout(timeout);
        self
    }

    /// The log of objects left out (a handle; clones share it).
    pub fn skips(&self) -> SkipLog {
        self.skips.clone()
    }

    /// The DC's socket path, for messages.
    pub fn server(&self) -> &str {
        self.connection.server()
    }

    fn root_dse(&mut self) -> Result<RawEntry, SambaError> {
        let operation = "rootDSE read";
        let attributes = [
            "defaultNamingContext",
            "ldapServiceName",
            "highestCommittedUSN",
        ];
        let (mut entries, result) = self.connection.search(
            operation,
            "",
            Scope::Base,
            "(objectClass=*)",
            &attributes,
            Vec::new(),
        )?;
        if result.rc != 0 {
            return Err(self.connection.refused(operation, &result));
        }
        entries
            .pop()
            .ok_or_else(|| self.connection.malformed(operation, "no rootDSE entry"))
    }

    /// A DirSync search of the partition from `cookie`: the entries and
    /// the new cookie.
    fn dirsync(
        &mut self,
        base: &str,
        filter: &str,
        attributes: &[&str],
        cookie: &[u8],
    ) -> Result<(Vec<RawEntry>, Vec<u8>), SambaError> {
        let operation = "DirSync search";
        let (entries, result) = self.connection.search(
            operation,
            base,
            Scope::Subtree,
            filter,
            attributes,
            vec![dirsync_request(cookie)],
        )?;
        if result.rc != 0 {
            return Err(self.connection.refused(operation, &result));
        }
        let control = result
            .ctrls
            .iter()
            .find(|c| c.1.ctype == DIRSYNC_OID)
            .and_then(|c| c.1.val.as_deref())
            .ok_or_else(|| {
                self.connection
                    .malformed(operation, "no DirSync response control")
            })?;
        let (_more, cookie) = dirsync_response_cookie(control)
            .map_err(|e| self.connection.malformed(operation, e))?;
        Ok((entries, cookie))
    }

    /// User objects with `uSNChanged` in `[low, high]`, by USN.
    fn window(&mut self, base: &str, low: u64, high: u64) -> Result<Vec<RawEntry>, SambaError> {
        let operation = "full-sync page search";
        let filter = format!("(&{USER_FILTER}(uSNChanged>={low})(uSNChanged<={high}))");
        let (mut entries, result) = self.connection.search(
            operation,
            base,
            Scope::Subtree,
            &filter,
            &ACCOUNT_ATTRIBUTES,
            Vec::new(),
        )?;
        if result.rc != 0 {
            return Err(self.connection.refused(operation, &result));
        }
        entries.sort_by_key(|e| usn_changed(e).unwrap_or(0));
        Ok(entries)
    }

    /// One object, read again by GUID; `None` when it is gone (deleted).
    fn by_guid(&mut self, guid: &[u8; 16]) -> Result<Option<RawEntry>, SambaError> {
        let operation = "read by GUID";
        let text = hashsync::sync::ObjectGuid::from_bytes(*guid).to_string();
        let base = format!("<GUID={text}>");
        let (mut entries, result) = self.connection.search(
            operation,
            &base,
            Scope::Base,
            USER_FILTER,
            &ACCOUNT_ATTRIBUTES,
            Vec::new(),
        )?;
        match result.rc {
            0 => Ok(entries.pop()),
            // noSuchObject: deleted since DirSync saw it.
            32 => Ok(None),
            _ => Err(self.connection.refused(operation, &result)),
        }
    }

    fn to_item(&self, entry: RawEntry) -> Option<SourceItem> {
        match account_from_entry(entry) {
            Ok(account) => Some(SourceItem::Account(account)),
            Err(skip) => {
                self.skips.push(skip);
                None
            }
        }
    }

    fn full_scan_stream(
        &mut self,
        partition: &Partition,
        next_usn: u64,
        end_usn: u64,
        cookie: Vec<u8>,
    ) -> SourceStream<'_, SambaError> {
        Box::new(FullScan {
            source: self,
            base: partition.dn().to_owned(),
            next_usn,
            end_usn,
            cookie,
            pending: VecDeque::new(),
            finished: false,
        })
    }
}

impl ChangeSource for SambaSource {
    type Error = SambaError;

    fn partitions(&mut self) -> Result<Vec<Partition>, SambaError> {
        let root = self.root_dse()?;
        let name = root
            .text("defaultNamingContext")
            .ok_or_else(|| {
                self.connection
                    .malformed("rootDSE read", "no defaultNamingContext")
            })?
            .to_owned();
        let dns_domain = dns_name_of(&name).ok_or_else(|| {
            self.connection
                .malformed("rootDSE read", format!("{name} has no DC= components"))
        })?;
        // The realm is the upper-cased DNS name, as AD and Samba have it.
        let partition = Partition::new(&name, &dns_domain)
            .map_err(|e| self.connection.malformed("rootDSE read", e.to_string()))?;
        Ok(vec![partition])
    }

    fn full_sync(
        &mut self,
        partition: &Partition,
    ) -> Result<SourceStream<'_, SambaError>, SambaError> {
        // The cookie first, then the USN: whatever changes between the two
        // is both in the scan and after the cookie.
        let never = format!("(&{USER_FILTER}(uSNChanged<=0))");
        let (_, cookie) = self.dirsync(partition.dn(), &never, &["objectGUID"], &[])?;
        let root = self.root_dse()?;
        let end_usn = root
            .text("highestCommittedUSN")
            .and_then(|t| t.parse::<u64>().ok())
            .ok_or_else(|| {
                self.connection
                    .malformed("rootDSE read", "no highestCommittedUSN")
            })?;
        Ok(self.full_scan_stream(partition, 0, end_usn, cookie))
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        cursor: &Cursor,
    ) -> Result<SourceStream<'_, SambaError>, SambaError> {
        match SourcePosition::from_cursor(cursor) {
            Some(SourcePosition::FullScan {
                next_usn,
                end_usn,
                cookie,
            }) => Ok(self.full_scan_stream(partition, next_usn, end_usn, cookie)),
            Some(SourcePosition::Incremental { cookie }) => Ok(Box::new(Changes {
                source: self,
                base: partition.dn().to_owned(),
                cookie,
                state: ChangesState::NotRead,
            })),
            None => Err(self.connection.malformed(
                "resume",
                "the saved cursor was not written by this source (a forced full sync discards it)",
            )),
        }
    }
}

/// `DC=onprem,DC=contoso,DC=com` -> `onprem.contoso.com`.
fn dns_name_of(dn: &str) -> Option<String> {
    let labels: Vec<&str> = dn
        .split(',')
        .filter_map(|rdn| {
            let (kind, value) = rdn.trim().split_once('=')?;
            kind.eq_ignore_ascii_case("DC").then_some(value)
        })
        .collect();
    (!labels.is_empty()).then(|| labels.join("."))
}

struct FullScan<'a> {
    source: &'a mut SambaSource,
    base: String,
    next_usn: u64,
    end_usn: u64,
    cookie: Vec<u8>,
    pending: VecDeque<SourceItem>,
    finished: bool,
}

impl Iterator for FullScan<'_> {
    type Item = Result<SourceItem, SambaError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(Ok(item));
            }
            if self.finished {
                return None;
            }
            if self.next_usn > self.end_usn {
                self.finished = true;
                let done = SourcePosition::Incremental {
                    cookie: self.cookie.clone(),
                };
                return Some(Ok(SourceItem::Checkpoint(done.to_cursor())));
            }
            let low = self.next_usn;
            let high = low
                .saturating_add(self.source.page_usns - 1)
                .min(self.end_usn);
            let entries = match self.source.window(&self.base, low, high) {
                Ok(entries) => entries,
                Err(err) => {
                    self.finished = true;
                    return Some(Err(err));
                }
            };
            self.next_usn = high.saturating_add(1);
            let read = entries.len();
            for entry in entries {
                if let Some(item) = self.source.to_item(entry) {
                    self.pending.push_back(item);
                }
            }
            if read > 0 && self.next_usn <= self.end_usn {
                let reached = SourcePosition::FullScan {
                    next_usn: self.next_usn,
                    end_usn: self.end_usn,
                    cookie: self.cookie.clone(),
                };
                self.pending
                    .push_back(SourceItem::Checkpoint(reached.to_cursor()));
            }
        }
    }
}

enum ChangesState {
    NotRead,
    Reading {
        changed: VecDeque<RawEntry>,
        next_cookie: Vec<u8>,
    },
    Done,
}

struct Changes<'a> {
    source: &'a mut SambaSource,
    base: String,
    cookie: Vec<u8>,
    state: ChangesState,
}

impl Changes<'_> {
    /// DirSync from the cookie, then every changed object read again by
    /// GUID (DirSync gives only what changed), in USN order.
    fn read(&mut self) -> Result<ChangesState, SambaError> {
        let (entries, next_cookie) =
            self.source
                .dirsync(&self.base, USER_FILTER, &ACCOUNT_ATTRIBUTES, &self.cookie)?;
        let guids: Vec<[u8; 16]> = entries
            .iter()
            .filter_map(|e| e.first("objectGUID"))
            .filter_map(|g| <[u8; 16]>::try_from(g).ok())
            .collect();
        drop(entries);
        let mut changed = Vec::with_capacity(guids.len());
        for guid in &guids {
            // Gone since (deleted): nothing to sync.
            if let Some(entry) = self.source.by_guid(guid)? {
                changed.push(entry);
            }
        }
        changed.sort_by_key(|e| usn_changed(e).unwrap_or(0));
        Ok(ChangesState::Reading {
            changed: changed.into(),
            next_cookie,
        })
    }
}

impl Iterator for Changes<'_> {
    type Item = Result<SourceItem, SambaError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match &mut self.state {
                ChangesState::Done => return None,
                ChangesState::NotRead => match self.read() {
                    Ok(state) => self.state = state,
                    Err(err) => {
                        self.state = ChangesState::Done;
                        return Some(Err(err));
                    }
                },
                ChangesState::Reading {
                    changed,
                    next_cookie,
                } => {
                    let Some(entry) = changed.pop_front() else {
                        let cookie = std::mem::take(next_cookie);
                        self.state = ChangesState::Done;
                        let done = SourcePosition::Incremental { cookie };
                        return Some(Ok(SourceItem::Checkpoint(done.to_cursor())));
                    };
                    if let Some(item) = self.source.to_item(entry) {
                        return Some(Ok(item));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::dns_name_of;

    #[test]
    fn dns_name_from_the_naming_context() {
        assert_eq!(
            dns_name_of("DC=onprem,DC=contoso,DC=com").as_deref(),
            Some("onprem.contoso.com")
        );
        assert_eq!(dns_name_of("dc=a, dc=b").as_deref(), Some("a.b"));
        assert_eq!(dns_name_of("CN=x,O=y"), None);
    }
}
