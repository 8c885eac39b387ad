//! Property tests: random mutations of the real values (Samba's
//! `supplementalCredentials`, `ktutil`'s keytab) never panic, and whatever
//! parses survives a build → parse round trip unchanged.

mod ad_vectors;

use hashsync::formats::{AttributeRecord, Keytab, StoredCredentials, UserProperties};
use proptest::prelude::*;
use std::sync::OnceLock;

/// The vectors, read once for all cases.
fn supplemental_values() -> &'static [(String, Vec<u8>)] {
    static VALUES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    VALUES.get_or_init(ad_vectors::supplemental_values)
}

fn keytab_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(ad_vectors::keytab_bytes)
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Overwrite one byte.
    Set(usize, u8),
    /// Replace a byte with a hex digit: stays valid hex inside values.
    HexDigit(usize, u8),
    /// XOR one bit.
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
    /// Overwrite a little-endian u16 with a boundary value.
    Word(usize, u16),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let pos = any::<usize>();
    prop_oneof![
        (pos, any::<u8>()).prop_map(|(p, b)| Mutation::Set(p, b)),
        (pos, 0u8..16).prop_map(|(p, d)| Mutation::HexDigit(p, d)),
        (pos, 0u8..8).prop_map(|(p, b)| Mutation::Flip(p, b)),
        pos.prop_map(Mutation::Truncate),
        (pos, any::<u8>()).prop_map(|(p, b)| Mutation::Insert(p, b)),
        pos.prop_map(Mutation::Remove),
        (
            pos,
            prop_oneof![
                Just(0u16),
                Just(1),
                Just(0xFF),
                Just(0x7FFF),
                Just(0xFFFF),
                any::<u16>()
            ]
        )
            .prop_map(|(p, w)| Mutation::Word(p, w)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let at = |p: usize| p % bytes.len();
    match *m {
        Mutation::Set(p, b) => {
            let i = at(p);
            bytes[i] = b;
        }
        Mutation::HexDigit(p, d) => {
            let i = at(p);
            bytes[i] = b"0123456789ABCDEF"[usize::from(d)];
        }
        Mutation::Flip(p, bit) => {
            let i = at(p);
            bytes[i] ^= 1 << bit;
        }
        Mutation::Truncate(p) => bytes.truncate(at(p)),
        Mutation::Insert(p, b) => {
            let i = at(p);
            bytes.insert(i, b);
        }
        Mutation::Remove(p) => {
            let i = at(p);
            bytes.remove(i);
        }
        Mutation::Word(p, w) => {
            let i = at(p);
            if i + 2 <= bytes.len() {
                bytes[i..i + 2].copy_from_slice(&w.to_le_bytes());
            }
        }
    }
}

fn mutated(base: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = base;
    for m in mutations {
        apply(&mut bytes, m);
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn supplemental_mutations(index in 0usize..7, mutations in prop::collection::vec(mutation(), 1..6)) {
        let values = supplemental_values();
        let bytes = mutated(values[index % values.len()].1.clone(), &mutations);
        if let Ok(parsed) = UserProperties::parse(&bytes) {
            let rebuilt = parsed.to_bytes().unwrap();
            let reparsed = UserProperties::parse(&rebuilt).unwrap();
            prop_assert_eq!(&reparsed.properties, &parsed.properties);
            // The hex case shows only in letter digits; the rebuilt bytes
            // are a fixed point either way.
            prop_assert!(reparsed.to_bytes().unwrap()[..] == rebuilt[..]);
            if let Ok(stored) = StoredCredentials::from_user_properties(&parsed) {
                let again = stored.to_bytes(parsed.hex_case).unwrap();
                prop_assert_eq!(StoredCredentials::parse(&again).unwrap(), stored);
            }
        }
    }

    #[test]
    fn keytab_mutations(mutations in prop::collection::vec(mutation(), 1..6)) {
        let bytes = mutated(keytab_bytes().to_vec(), &mutations);
        if let Ok(parsed) = Keytab::parse(&bytes) {
            let rebuilt = parsed.to_bytes().unwrap();
            prop_assert_eq!(Keytab::parse(&rebuilt).unwrap(), parsed);
        }
    }

    #[test]
    fn legacy_record_mutations(mutations in prop::collection::vec(mutation(), 1..6)) {
        let values = supplemental_values();
        let mut base = 0x0009_005Au32.to_le_bytes().to_vec();
        base.extend_from_slice(&16u32.to_le_bytes());
        base.extend_from_slice(&[0xAB; 16]);
        base.extend_from_slice(&0x0009_007Du32.to_le_bytes());
        base.extend_from_slice(&(values[0].1.len() as u32).to_le_bytes());
        base.extend_from_slice(&values[0].1);
        let bytes = mutated(base, &mutations);
        if let Ok(records) = AttributeRecord::decode_all(&bytes) {
            let rebuilt = AttributeRecord::encode_all(&records).unwrap();
            prop_assert!(rebuilt[..] == bytes[..]);
        }
    }
}
