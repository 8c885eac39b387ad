//! Replicated secret attributes: decryption never panics, for every
//! attribute, with and without a RID.
#![no_main]

use hashsync::formats::drs::{ReplicatedAttribute, SessionKey, decrypt_attribute_value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&rid_byte, rest)) = data.split_first() else {
        return;
    };
    let (key, value) = rest.split_at(rest.len().min(16));
    let session_key = SessionKey::new(key.to_vec());
    for attribute in ReplicatedAttribute::ALL {
        for rid in [None, Some(u32::from(rid_byte) * 0x0101_0101)] {
            let _ = decrypt_attribute_value(&session_key, attribute, rid, value);
        }
    }
});
