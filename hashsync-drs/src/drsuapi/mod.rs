//! DRSUAPI (MS-DRSR), sans-I/O: the requests and replies of
//! `IDL_DRSBind`, `IDL_DRSUnbind` and `IDL_DRSGetNCChanges` as typed
//! values with `encode`/`decode`, the prefix table that maps ATTRTYPs to
//! OIDs, and the replicated objects' attributes by OID.

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
