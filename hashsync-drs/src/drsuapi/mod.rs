//! DRSUAPI (MS-DRSR), sans-I/O: the requests and replies of
//! `IDL_DRSBind`, `IDL_DRSUnbind` and `IDL_DRSGetNCChanges` as typed
//! values with `encode`/`decode`, the prefix table that maps ATTRTYPs to
//! OIDs, and the replicated objects' attributes by OID.
//!
//! A replication client binds with [`BindRequest`] (opnum 0), pages
//! through a naming context with [`GetNcChangesRequest`] (opnum 3; each
//! reply's `usn_vector_to` is the next request's `usn_vector_from`, until
//! `more_data` is false), reads the objects of each [`GetNcChangesReply`]
//! with [`GetNcChangesReply::into_replicated_objects`], saves its
//! position as a [`ReplicationCursor`], and unbinds ([`UnbindRequest`],
//! opnum 1). Every `decode` returns a typed [`NdrError`](crate::ndr::NdrError).
//!
//! ```
//! use hashsync_drs::drsuapi::{
//!     DrsHandle, DsName, GetNcChangesRequest, ReplicationCursor, ReplicationFlags, UsnVector,
//! };
//! let nc = DsName::from_dn("DC=lab,DC=example");
//! let request = GetNcChangesRequest::password_sync(
//!     DrsHandle::default(),
//!     uuid::Uuid::from_u128(1),
//!     nc,
//!     UsnVector::default(),
//!     None,
//!     1000,
//!     10 << 20,
//! );
//! assert_eq!(request.flags, ReplicationFlags::FULL_REPLICATION);
//! let stub = request.encode();
//! assert_eq!(GetNcChangesRequest::decode(&stub)?, request);
//!
//! let cursor = ReplicationCursor::new(UsnVector::new(4107, 0, 4107), None);
//! assert_eq!(ReplicationCursor::from_bytes(&cursor.to_bytes()).unwrap(), cursor);
//! # Ok::<(), hashsync_drs::ndr::NdrError>(())
//! ```

mod attribute;
mod bind;
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
