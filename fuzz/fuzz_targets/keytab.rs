//! MIT keytabs: parsing never panics, and whatever parses survives
//! write → parse unchanged.
#![no_main]

use hashsync::formats::Keytab;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = Keytab::parse(data) {
        let rebuilt = parsed.to_bytes().expect("a parsed keytab writes");
        assert_eq!(Keytab::parse(&rebuilt).expect("rebuilt parses"), parsed);
    }
});
