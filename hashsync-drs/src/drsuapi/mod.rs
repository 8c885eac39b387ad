//! DRSUAPI (MS-DRSR), sans-I/O: the requests and replies of
//! `IDL_DRSBind`, `IDL_DRSUnbind` and `IDL_DRSGetNCChanges` as typed
//! values with `encode`/`decode`, the prefix table that maps ATTRTYPs to
//! OIDs, and the replicated objects' attributes by OID.
//!
//! A replication client binds with [`BindRequest`] (opnum 0), pages
//! through a naming context with [`GetNcChangesRequest`] (opnum 3; each
//! reply moves the [`ReplicationCursor`] the next request starts from,
//! [`GetNcChangesReply::cursor_after`], until `more_data` is false), reads the objects of each [`GetNcChangesReply`]
//! with [`GetNcChangesReply::into_replicated_objects`], saves its
//! position as a [`ReplicationCursor`], and unbinds ([`UnbindRequest`],
//! opnum 1). Every `decode` returns a typed [`NdrError`](crate::ndr::NdrError).
//!
//! ```
//! use hashsync_drs::drsuapi::{
//!     DrsHandle, DsName, GetNcChangesReply, GetNcChangesRequest, ReplicationCursor,
//!     ReplicationFlags, UsnVector,
//! };
//! let nc = DsName::from_dn("DC=lab,DC=example");
//! // A full replication starts from the empty cursor.
//! let cursor = ReplicationCursor::default();
//! let request = GetNcChangesRequest::password_sync(
//!     DrsHandle::default(),
//!     uuid::Uuid::from_u128(1),
//!     nc,
//!     &cursor,
//!     1000,
//!     10 << 20,
//! );
//! assert_eq!(request.flags, ReplicationFlags::FULL_REPLICATION);
//! let stub = request.encode();
//! assert_eq!(GetNcChangesRequest::decode(&stub)?, request);
//!
//! // After a reply, the cursor moves to its invocation id and usnvecTo.
//! let mut reply = GetNcChangesReply::default();
//! reply.invocation_id_src = uuid::Uuid::from_u128(2);
//! reply.usn_vector_to = UsnVector::new(4107, 0, 4107);
//! let next = reply.cursor_after(&cursor);
//! assert_eq!(next.usn_vector, UsnVector::new(4107, 0, 4107));
//! assert_eq!(ReplicationCursor::from_bytes(&next.to_bytes()).unwrap(), next);
//! # Ok::<(), hashsync_drs::ndr::NdrError>(())
//! ```

mod attribute;
mod bind;
mod crack_names;
mod cursor;
mod dsname;
mod entinf;
mod extensions;
mod linked_value;
mod object;
mod prefix_table;
mod reply;
mod request;
pub mod schema;
mod sid;
mod vectors;

pub use attribute::{AttrValue, Attribute, AttributeBlock};
pub use bind::{BindReply, BindRequest, DrsHandle, UnbindReply, UnbindRequest};
pub use crack_names::{
    CrackNamesReply, CrackNamesRequest, CrackedName, DS_NAME_NO_ERROR, NameFormat,
};
pub use cursor::{CursorError, ReplicationCursor};
pub use dsname::DsName;
pub use entinf::{EntInf, PropertyMetaData, ReplEntInf};
pub use extensions::{DrsExtensions, EXTENSIONS_LEN, ExtensionFlags};
pub use linked_value::LinkedValue;
pub use object::{ObjectAttribute, ReplicatedObject};
pub use prefix_table::{AttrTyp, PrefixEntry, PrefixTable, PrefixTableError};
pub use reply::{GetNcChangesReply, REPLY_VERSION};
pub use request::{GetNcChangesRequest, ReplicationFlags};
pub use schema::PartialAttributeSet;
pub use sid::Sid;
pub use vectors::{UpToDateCursor, UpToDateVector, UsnVector};
