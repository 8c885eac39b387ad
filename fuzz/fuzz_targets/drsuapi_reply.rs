//! IDL_DRSGetNCChanges version-6 replies (and the bind reply): decoding
//! never panics nor allocates beyond the input; what decodes re-encodes
//! and decodes to the same value, and maps through its prefix table.
#![no_main]

use hashsync_drs::drsuapi::{BindReply, GetNcChangesReply, ReplicationCursor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = BindReply::decode(data);
    let _ = ReplicationCursor::from_bytes(data);
    if let Ok(reply) = GetNcChangesReply::decode(data) {
        let again = GetNcChangesReply::decode(&reply.encode()).expect("re-encoded reply decodes");
        assert_eq!(again, reply);
        for object in reply.into_replicated_objects() {
            let _ = object.rid();
        }
    }
});
