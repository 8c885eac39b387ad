//! ADAuthInfo envelopes: parsing and opening never panic, whatever the
//! bytes; what opens re-seals and opens to the same plaintext.
#![no_main]

use std::sync::OnceLock;

use hashsync::formats::envelope::{ManagedDomainCertificate, ManagedDomainKey, SealedEnvelope};
use libfuzzer_sys::fuzz_target;

fn key() -> &'static ManagedDomainKey {
    static KEY: OnceLock<ManagedDomainKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let cert = include_bytes!("../../tests/data/envelope/managed_domain_cert.pem");
        let key = include_bytes!("../../tests/data/envelope/managed_domain_key.pem");
        ManagedDomainKey::new(ManagedDomainCertificate::parse(cert).unwrap(), key).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = SealedEnvelope::parse(data);
    let _ = ManagedDomainCertificate::parse(data);
    if let Ok(plaintext) = key().open(data) {
        let again = key().certificate().seal(&plaintext).expect("seals");
        assert_eq!(key().open(&again).expect("opens")[..], plaintext[..]);
    }
});
