//! `supplementalCredentials`: parsing never panics, whatever parses
//! survives build → parse unchanged (and rebuilds to the same bytes), as
//! does its typed view.
#![no_main]

use hashsync::formats::{StoredCredentials, UserProperties};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = UserProperties::parse(data) {
        let rebuilt = parsed.to_bytes().expect("a parsed value builds");
        let reparsed = UserProperties::parse(&rebuilt).expect("rebuilt parses");
        assert_eq!(reparsed.properties, parsed.properties);
        // The hex case shows only in letter digits; the rebuilt bytes are a
        // fixed point either way.
        assert_eq!(
            &reparsed.to_bytes().expect("builds again")[..],
            &rebuilt[..]
        );
        if let Ok(stored) = StoredCredentials::from_user_properties(&parsed) {
            let again = stored.to_bytes(parsed.hex_case).expect("typed view builds");
            assert_eq!(
                StoredCredentials::parse(&again).expect("typed view parses"),
                stored
            );
        }
    }
});
