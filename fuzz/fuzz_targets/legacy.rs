//! Legacy attribute records: decoding never panics, and whatever decodes
//! re-encodes to the same bytes.
#![no_main]

use hashsync::formats::AttributeRecord;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(records) = AttributeRecord::decode_all(data) {
        let encoded = AttributeRecord::encode_all(&records).expect("decoded records encode");
        assert_eq!(&encoded[..], data);
    }
});
