//! Search result entries with every value as raw bytes.
//!
//! ldap3's `SearchEntry` guesses per attribute whether values are text and
//! panics on malformed BER; secrets and GUIDs are bytes that may happen to
//! be valid UTF-8, so this module reads the BER itself and keeps bytes.

use std::collections::HashMap;

use ldap3::ResultEntry;
use ldap3::asn1::StructureTag;
use zeroize::Zeroize;

/// One entry: its DN and its attributes (names lower-cased), values raw.
#[derive(Clone, Default)]
pub struct RawEntry {
    /// The entry's DN as the server wrote it.
    pub dn: String,
    attributes: HashMap<String, Vec<Vec<u8>>>,
}

impl Drop for RawEntry {
    fn drop(&mut self) {
        // Entries carry unicodePwd and supplementalCredentials: wipe every
        // value this crate held (ldap3's own read buffers are beyond reach).
        for values in self.attributes.values_mut() {
            values.iter_mut().for_each(Zeroize::zeroize);
        }
    }
}

impl core::fmt::Debug for RawEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Values may be secrets: names only.
        let mut names: Vec<&String> = self.attributes.keys().collect();
        names.sort();
        f.debug_struct("RawEntry")
            .field("dn", &self.dn)
            .field("attributes", &names)
            .finish()
    }
}

impl RawEntry {
    /// Parses a search result entry; `None` for referrals, intermediate
    /// messages and anything malformed.
    pub fn parse(entry: ResultEntry) -> Option<Self> {
        if entry.is_ref() || entry.is_intermediate() {
            return None;
        }
        Self::from_tag(entry.0)
    }

    fn from_tag(tag: StructureTag) -> Option<Self> {
        let mut parts = tag.match_id(4)?.expect_constructed()?.into_iter();
        let dn = String::from_utf8(parts.next()?.expect_primitive()?).ok()?;
        let mut attributes = HashMap::new();
        for attribute in parts.next()?.expect_constructed()? {
            let mut pieces = attribute.expect_constructed()?.into_iter();
            let name = String::from_utf8(pieces.next()?.expect_primitive()?).ok()?;
            let values = pieces
                .next()?
                .expect_constructed()?
                .into_iter()
                .map(StructureTag::expect_primitive)
                .collect::<Option<Vec<Vec<u8>>>>()?;
            attributes.insert(name.to_ascii_lowercase(), values);
        }
        Some(Self { dn, attributes })
    }

    /// Every value of an attribute (empty when absent).
    pub fn values(&self, name: &str) -> &[Vec<u8>] {
        self.attributes
            .get(&name.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// The first value, if any.
    pub fn first(&self, name: &str) -> Option<&[u8]> {
        self.values(name).first().map(Vec::as_slice)
    }

    /// The first value as text, if any and valid UTF-8.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.first(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// Removes an attribute and returns its values, wiped when dropped
    /// (to take secrets out without leaving copies).
    pub fn take(&mut self, name: &str) -> Vec<zeroize::Zeroizing<Vec<u8>>> {
        self.attributes
            .remove(&name.to_ascii_lowercase())
            .unwrap_or_default()
            .into_iter()
            .map(zeroize::Zeroizing::new)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ldap3::asn1::{ASNTag, OctetString, Sequence, Set, Tag};

    fn octets(bytes: &[u8]) -> Tag {
        Tag::OctetString(OctetString {
            inner: bytes.to_vec(),
            ..Default::default()
        })
    }

    #[test]
    fn binary_values_stay_bytes_and_names_fold_case() {
        let attribute = Tag::Sequence(Sequence {
            inner: vec![
                octets(b"objectGUID"),
                Tag::Set(Set {
                    inner: vec![octets(b"ABCDEFGHIJKLMNOP")],
                    ..Default::default()
                }),
            ],
            ..Default::default()
        });
        let entry = Tag::Sequence(Sequence {
            id: 4,
            class: ldap3::asn1::TagClass::Application,
            inner: vec![
                octets(b"CN=x,DC=y"),
                Tag::Sequence(Sequence {
                    inner: vec![attribute],
                    ..Default::default()
                }),
            ],
        })
        .into_structure();
        let parsed = RawEntry::from_tag(entry).unwrap();
        assert_eq!(parsed.dn, "CN=x,DC=y");
        assert_eq!(parsed.first("objectguid"), Some(&b"ABCDEFGHIJKLMNOP"[..]));
        assert!(parsed.values("unicodePwd").is_empty());
        assert!(!format!("{parsed:?}").contains("ABCD"));
    }
}
