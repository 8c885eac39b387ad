//! Loads `ad_legacy.json` (Samba 4.17 and MIT krb5 1.20.1 output, see
//! `tests/data/README.md`) for the format tests.
#![allow(dead_code)]

use base64::Engine as _;
use serde_json::Value;

pub const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ad_legacy.json");

pub fn all() -> Vec<Value> {
    let text = std::fs::read_to_string(PATH).unwrap_or_else(|e| panic!("{PATH}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

pub fn of_kind(kind: &str) -> Vec<Value> {
    let v: Vec<Value> = all().into_iter().filter(|v| v["kind"] == kind).collect();
    assert!(!v.is_empty(), "no {kind} vectors");
    v
}

pub fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

pub fn text(v: &Value) -> &str {
    v.as_str().unwrap()
}

pub fn num(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

/// The raw `supplementalCredentials` attribute value of an `ad_account` vector.
pub fn supplemental_bytes(vector: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text(&vector["expected"]["supplementalCredentials"]["b64"]))
        .unwrap()
}

/// Every `supplementalCredentials` value of the vectors.
pub fn supplemental_values() -> Vec<(String, Vec<u8>)> {
    of_kind("ad_account")
        .iter()
        .map(|v| (text(&v["id"]).to_owned(), supplemental_bytes(v)))
        .collect()
}

/// The keytab `ktutil` wrote for the `keytab` vector.
pub fn keytab_bytes() -> Vec<u8> {
    hex(&of_kind("keytab")[0]["expected"]["keytab_hex"])
}

/// Walks USER_PROPERTIES by hand (MS-SAMR 2.2.10.1/2.2.10.2), independently
/// of the crate: (offset of the property, name, value offset, value length).
pub fn property_layout(bytes: &[u8]) -> Vec<(usize, String, usize, usize)> {
    let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]) as usize;
    let count = u16_at(110);
    let mut pos = 112;
    let mut out = Vec::new();
    for _ in 0..count {
        let (name_len, value_len) = (u16_at(pos), u16_at(pos + 2));
        let name_units: Vec<u16> = bytes[pos + 6..pos + 6 + name_len]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let name = String::from_utf16(&name_units).unwrap();
        out.push((pos, name, pos + 6 + name_len, value_len));
        pos += 6 + name_len + value_len;
    }
    out
}
