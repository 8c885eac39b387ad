//! [`DrsSource`]: a domain read by replication, as a [`ChangeSource`].
//!
//! - The partition is the domain of the credentials: `DOMAIN\` cracked to
//!   its distinguished name and DNS name (`IDL_DRSCrackNames`).
//! - A full sync replicates the naming context from an empty USN vector,
//!   `cMaxObjects` objects a page, with the partial attribute set of what
//!   scope and credentials need; every page ends with a checkpoint whose
//!   cursor is the page's `usnvecTo` (a full sync interrupted anywhere
//!   resumes at the last committed page). The last page brings the
//!   server's up-to-dateness vector, which joins the cursor.
//! - Incremental sync replicates from the saved `usnvecTo` and
//!   up-to-dateness vector. An incremental reply holds only the changed
//!   attributes, so each changed object is read again whole
//!   (`EXOP_REPL_OBJ`): a password change brings the secrets but not the
//!   name, a `pwdLastSet`-only change (Entra Connect's event 668 case) not
//!   even the secrets — either way the account is re-read, never dropped.
//! - Secrets are decrypted with the connection's session key, the DES
//!   layer of `unicodePwd` with the RID of the object's SID.
//! - A connection that fails or goes away ends the stream with the error;
//!   the engine keeps the last committed checkpoint, and the next cycle
//!   connects again and resumes from it.

mod account;
mod endpoint;
mod error;
mod session;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use hashsync::sync::{ChangeSource, Cursor, Partition, SkipLog, SourceItem, SourceStream};
use uuid::Uuid;

pub use endpoint::{DrsEndpoint, EndpointError};
pub use error::{DrsSourceError, ERROR_DS_DRA_ACCESS_DENIED, GET_CHANGES, GET_CHANGES_ALL};

use crate::drsuapi::{
    DsName, GetNcChangesRequest, PartialAttributeSet, PrefixEntry, PrefixTable, ReplicatedObject,
    ReplicationCursor, ReplicationFlags, schema,
};
use crate::rpc::ReplicationCredentials;
use account::{Replicated, account_from_object, is_deletion, needs_full_read};
use session::Session;

/// Objects per page by default (`cMaxObjects`).
pub const DEFAULT_PAGE_OBJECTS: u32 = 400;

/// Bytes per page the server may send (`cMaxBytes`); it may send more
/// for one large object.
const PAGE_BYTES: u32 = 8 * 1024 * 1024;

/// The size of a prefix table's schemaInfo entry (MS-DRSR 5.16.4): 0xFF,
/// a 4-byte revision, a GUID.
const SCHEMA_INFO_LEN: usize = 21;

/// `EXOP_REPL_OBJ`: replicate one object.
const EXOP_REPL_OBJ: u32 = 6;

/// What scope and credentials need, and nothing more.
const ACCOUNT_ATTRIBUTES: [const_oid::ObjectIdentifier; 12] = [
    schema::OBJECT_CLASS,
    schema::OBJECT_GUID,
    schema::OBJECT_SID,
    schema::SAM_ACCOUNT_NAME,
    schema::USER_PRINCIPAL_NAME,
    schema::USER_ACCOUNT_CONTROL,
    schema::PWD_LAST_SET,
    schema::IS_DELETED,
    schema::ADMIN_DESCRIPTION,
    schema::IS_CRITICAL_SYSTEM_OBJECT,
    schema::UNICODE_PWD,
    schema::SUPPLEMENTAL_CREDENTIALS,
];

/// Where a replication source's time went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplicationTimings {
    /// In RPC calls: sealing, the network, the server's work, unsealing.
    pub rpc: Duration,
    /// Decoding replies, decrypting secrets, building accounts.
    pub decoding: Duration,
    /// Objects replicated (accounts or not).
    pub objects: u64,
    /// `IDL_DRSGetNCChanges` calls made.
    pub calls: u64,
}

/// A domain read from a DC by replication (MS-DRSR `IDL_DRSGetNCChanges`),
/// the way Entra Connect reads Active Directory; Samba AD DCs answer the
/// same protocol.
///
/// ```no_run
/// use hashsync::Password;
/// use hashsync::sync::ChangeSource;
/// use hashsync_drs::DrsSource;
/// use hashsync_drs::rpc::ReplicationCredentials;
///
/// let credentials =
///     ReplicationCredentials::parse("ONPREM\\svc-sync", Password::new("s3cret"))?;
/// let mut source = DrsSource::new(hashsync_drs::DrsEndpoint::parse("drs://dc1.onprem.test")?, credentials);
/// let partitions = source.partitions()?;
/// for item in source.full_sync(&partitions[0])? {
///     let _ = item?;
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DrsSource {
    endpoint: DrsEndpoint,
    credentials: ReplicationCredentials,
    client_dsa: Uuid,
    timeout: Duration,
    page_objects: u32,
    session: Option<Session>,
    partition: Option<Partition>,
    skips: SkipLog,
    timings: ReplicationTimings,
    /// The partial attribute set every request asks for, and the prefix
    /// table its ATTRTYPs are relative to (built once).
    attributes: (PrefixTable, PartialAttributeSet),
    /// Connections keep a transcript (test vectors only).
    record_transcript: bool,
}

impl core::fmt::Debug for DrsSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DrsSource")
            .field("endpoint", &self.endpoint)
            .field("account", &self.credentials.account())
            .field("page_objects", &self.page_objects)
            .field("connected", &self.session.is_some())
            .finish()
    }
}

impl DrsSource {
    /// A source replicating from `endpoint` as `credentials` (an account
    /// with "Replicating Directory Changes" and "Replicating Directory
    /// Changes All" on the domain). Nothing is opened until used.
    pub fn new(endpoint: DrsEndpoint, credentials: ReplicationCredentials) -> Self {
        Self {
            endpoint,
            credentials,
            client_dsa: Uuid::new_v4(),
            timeout: Duration::from_secs(60),
            page_objects: DEFAULT_PAGE_OBJECTS,
            session: None,
            partition: None,
            skips: SkipLog::default(),
            timings: ReplicationTimings::default(),
            attributes: account_attributes(),
            record_transcript: false,
        }
    }

    /// Objects per page (at least 1): each page ends with a checkpoint.
    pub fn with_page_objects(mut self, objects: u32) -> Self {
        self.page_objects = objects.max(1);
        self
    }

    /// How long to wait for the server (connecting, and each reply).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Test vectors only: every connection records its plaintext stubs
    /// (which hold the encrypted secrets). Never for a real directory.
    #[doc(hidden)]
    pub fn recording_transcript(mut self) -> Self {
        self.record_transcript = true;
        self
    }

    /// Test vectors only: the open connection's transcript and session
    /// key (see [`DrsSource::recording_transcript`]).
    #[doc(hidden)]
    pub fn recorded(
        &self,
    ) -> Option<(&crate::rpc::Transcript, &hashsync::formats::drs::SessionKey)> {
        let session = self.session.as_ref()?;
        Some((session.transcript()?, session.session_key()))
    }

    /// The objects left out (no password yet, a malformed value), shared.
    pub fn skips(&self) -> SkipLog {
        self.skips.clone()
    }

    /// Where the time went so far.
    pub fn timings(&self) -> ReplicationTimings {
        let mut timings = self.timings;
        if let Some(session) = &self.session {
            timings.rpc += session.rpc_time;
        }
        timings
    }

    /// Whether `cursor` (one this source emitted) is a position inside a
    /// full sync: the replication has not reached its last page yet.
    pub fn is_full_sync_position(cursor: &Cursor) -> bool {
        ReplicationCursor::from_bytes(cursor.as_bytes())
            .is_ok_and(|position| !position.is_empty() && position.up_to_date.is_none())
    }

    /// The DC, for messages.
    pub fn server(&self) -> String {
        self.endpoint.to_string()
    }

    /// Unbinds and closes the connection (it is opened again when used).
    pub fn close(&mut self) {
        if let Some(session) = self.session.take() {
            self.timings.rpc += session.rpc_time;
            session.close();
        }
    }

    fn session(&mut self) -> Result<&mut Session, DrsSourceError> {
        let session = match self.session.take() {
            Some(session) => session,
            None => Session::open(
                &self.endpoint,
                &self.credentials,
                self.client_dsa,
                self.timeout,
                crate::rpc::AssociationConfig {
                    record_transcript: self.record_transcript,
                    ..Default::default()
                },
            )?,
        };
        Ok(self.session.insert(session))
    }

    /// Drops a session that failed: the next call connects again.
    fn forget_session(&mut self) {
        if let Some(session) = self.session.take() {
            self.timings.rpc += session.rpc_time;
        }
    }

    fn check_partition(&self, partition: &Partition) -> Result<(), DrsSourceError> {
        match &self.partition {
            Some(known) if known.dn().eq_ignore_ascii_case(partition.dn()) => Ok(()),
            known => Err(DrsSourceError::UnknownPartition {
                server: self.server(),
                partition: partition.dn().to_owned(),
                naming_context: known
                    .as_ref()
                    .map(|p| p.dn().to_owned())
                    .unwrap_or_default(),
            }),
        }
    }

    fn stream(
        &mut self,
        partition: &Partition,
        from: ReplicationCursor,
    ) -> SourceStream<'_, DrsSourceError> {
        // Anything but a full sync from the start may bring objects with
        // only some of their attributes (those changed past the position).
        let partial = !from.is_empty();
        let resuming = partial && from.up_to_date.is_none();
        Box::new(Replication {
            naming_context: partition.dn().to_owned(),
            position: from,
            partial,
            resuming,
            pending: VecDeque::new(),
            done: false,
            source: self,
        })
    }

    /// One `IDL_DRSGetNCChanges` page from `position`, as source items
    /// ending with the checkpoint of the next position; `true` when it was
    /// the last page.
    fn page(
        &mut self,
        naming_context: &str,
        position: &ReplicationCursor,
        partial: bool,
        resuming: bool,
    ) -> Result<(Vec<SourceItem>, ReplicationCursor, bool), DrsSourceError> {
        let mut from = position.clone();
        if resuming {
            // A full sync resumed on a new connection: the position's
            // usnHighObjUpdate is how far it got, but Samba (which keeps a
            // cycle's progress per bind) starts a new cycle from
            // usnHighPropUpdate, which stays 0 until the last page. From
            // there for both: objects changed past that USN, those
            // attributes changed past it (the rest is read whole below).
            from.usn_vector.high_prop_update = from
                .usn_vector
                .high_prop_update
                .max(from.usn_vector.high_obj_update);
        }
        let request = self.request(DsName::from_dn(naming_context), &from, self.page_objects, 0);
        let reply = self.session()?.get_nc_changes(request, naming_context)?;
        self.timings.calls += 1;
        let started = Instant::now();
        // The server's up-to-dateness vector comes with the last page and
        // joins the cursor only then: sent with a page in the middle, it
        // would make the rest of a full sync look seen already.
        let next = ReplicationCursor::new(
            reply.invocation_id_src,
            reply.usn_vector_to,
            if reply.more_data {
                position.up_to_date.clone()
            } else {
                reply.up_to_date_src.clone()
            },
        );
        let more = reply.more_data;
        let first_usn = u64::try_from(reply.usn_vector_from.high_obj_update).unwrap_or(0);
        let objects = reply.into_replicated_objects();
        self.timings.objects += objects.len() as u64;
        let mut items = Vec::new();
        let mut decoding = started.elapsed();
        for (index, object) in objects.into_iter().enumerate() {
            // The k-th object of a page changed at a USN above the page's
            // start plus k: a position that orders the changes.
            let usn = first_usn.saturating_add(index as u64 + 1);
            let object = if partial && is_deletion(&object) {
                // A deleted object: nothing to sync, nothing to re-read.
                continue;
            } else if partial && needs_full_read(&object) {
                match self.read_whole(naming_context, &object)? {
                    Some(whole) => whole,
                    None => continue,
                }
            } else {
                object
            };
            let started = Instant::now();
            let session = self.session()?;
            let replicated =
                account_from_object(&object, session.session_key(), session.server(), usn)?;
            decoding += started.elapsed();
            match replicated {
                Replicated::Account(account) => items.push(SourceItem::Account(*account)),
                Replicated::Skipped(skip) => self.skips.push(skip),
                Replicated::Other => {}
            }
        }
        self.timings.decoding += decoding;
        items.push(SourceItem::Checkpoint(Cursor::new(next.to_bytes())));
        Ok((items, next, !more))
    }

    /// The object `changed` read again whole (`EXOP_REPL_OBJ`), or `None`
    /// if it is gone.
    fn read_whole(
        &mut self,
        naming_context: &str,
        changed: &ReplicatedObject,
    ) -> Result<Option<ReplicatedObject>, DrsSourceError> {
        let mut name = DsName::from_guid(changed.guid);
        name.dn = changed.dn.clone();
        let request = self.request(name, &ReplicationCursor::default(), 1, EXOP_REPL_OBJ);
        let reply = match self.session()?.get_nc_changes(request, naming_context) {
            Ok(reply) => reply,
            // Gone since the change was replicated (deleted, moved out of
            // the domain), or the server will not single it out: left out
            // and logged, so one object never blocks the cycle.
            Err(DrsSourceError::Refused { code, .. }) => {
                self.skips.push(hashsync::sync::SourceSkip::new(
                    changed.dn.clone(),
                    "",
                    hashsync::sync::SkipCause::Malformed {
                        attribute: "objectGUID",
                        reason: format!("not read again whole: EXOP_REPL_OBJ returned {code}"),
                    },
                ));
                return Ok(None);
            }
            Err(other) => return Err(other),
        };
        self.timings.calls += 1;
        Ok(reply
            .into_replicated_objects()
            .into_iter()
            .find(|object| object.guid == changed.guid))
    }

    fn request(
        &self,
        naming_context: DsName,
        from: &ReplicationCursor,
        max_objects: u32,
        extended_op: u32,
    ) -> GetNcChangesRequest {
        let mut request = GetNcChangesRequest::password_sync(
            crate::drsuapi::DrsHandle([0; 20]),
            self.client_dsa,
            naming_context,
            from,
            max_objects,
            PAGE_BYTES,
        );
        request.partial_attr_set = Some(self.attributes.1.clone());
        request.prefix_table_dest = self.attributes.0.clone();
        request.extended_op = extended_op;
        request.flags = if extended_op != 0 {
            ReplicationFlags::INIT_SYNC | ReplicationFlags::WRIT_REP
        } else if from.up_to_date.is_none() {
            // A full sync, first page or continued.
            ReplicationFlags::FULL_REPLICATION
        } else {
            ReplicationFlags::INCREMENTAL_REPLICATION
        };
        request
    }
}

/// [`ACCOUNT_ATTRIBUTES`] as a partial attribute set, with the prefix
/// table that ends with a schemaInfo entry, as Windows DCs send it (index
/// 0, 0xFF then the schema revision and the invocation id of its last
/// writer; zeros: this client has no schema). Samba refuses a table
/// without it (WERR_INVALID_PARAMETER).
fn account_attributes() -> (PrefixTable, PartialAttributeSet) {
    let (mut table, set) = PartialAttributeSet::for_oids(&ACCOUNT_ATTRIBUTES);
    let mut schema_info = vec![0u8; SCHEMA_INFO_LEN];
    schema_info[0] = 0xFF;
    table.entries.push(PrefixEntry::new(0, schema_info));
    (table, set)
}

/// The pages of one replication, read as the engine asks for items.
struct Replication<'a> {
    source: &'a mut DrsSource,
    naming_context: String,
    position: ReplicationCursor,
    /// Objects may come with some of their attributes only.
    partial: bool,
    /// The next page is the first of a full sync resumed on this
    /// connection.
    resuming: bool,
    pending: VecDeque<SourceItem>,
    done: bool,
}

impl Iterator for Replication<'_> {
    type Item = Result<SourceItem, DrsSourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(Ok(item));
            }
            if self.done {
                return None;
            }
            let resuming = std::mem::take(&mut self.resuming);
            match self
                .source
                .page(&self.naming_context, &self.position, self.partial, resuming)
            {
                Ok((items, next, last)) => {
                    self.pending.extend(items);
                    self.position = next;
                    self.done = last;
                }
                Err(err) => {
                    // Whatever the connection's state, it is not trusted
                    // again: the next cycle connects anew.
                    self.done = true;
                    self.source.forget_session();
                    return Some(Err(err));
                }
            }
        }
    }
}

impl ChangeSource for DrsSource {
    type Error = DrsSourceError;

    fn partitions(&mut self) -> Result<Vec<Partition>, DrsSourceError> {
        if let Some(partition) = &self.partition {
            return Ok(vec![partition.clone()]);
        }
        let domain = self.credentials.domain().to_owned();
        let found = self
            .session()
            .and_then(|s| s.domain_naming_context(&domain));
        let (dn, dns) = match found {
            Ok(names) => names,
            Err(err) => {
                self.forget_session();
                return Err(err);
            }
        };
        let partition = Partition::new(&dn, dns.trim_end_matches('.')).map_err(|_| {
            DrsSourceError::UnknownDomain {
                server: self.server(),
                domain,
                status: u32::MAX,
            }
        })?;
        self.partition = Some(partition.clone());
        Ok(vec![partition])
    }

    fn full_sync(
        &mut self,
        partition: &Partition,
    ) -> Result<SourceStream<'_, DrsSourceError>, DrsSourceError> {
        self.check_partition(partition)?;
        Ok(self.stream(partition, ReplicationCursor::default()))
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        cursor: &Cursor,
    ) -> Result<SourceStream<'_, DrsSourceError>, DrsSourceError> {
        self.check_partition(partition)?;
        let from = ReplicationCursor::from_bytes(cursor.as_bytes())?;
        Ok(self.stream(partition, from))
    }
}
