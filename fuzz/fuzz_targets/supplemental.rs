//! `supplementalCredentials`: parsing never panics, and whatever parses
//! survives build → parse unchanged, as does its typed view.
#![no_main]

use hashsync::formats::{StoredCredentials, UserProperties};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = UserProperties::parse(data) {
        let rebuilt = parsed.to_bytes().expect("a parsed value builds");
        assert_eq!(
            UserProperties::parse(&rebuilt).expect("rebuilt parses"),
            parsed
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
