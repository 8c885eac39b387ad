//! The JSON-lines transport: one object per accepted update.
//!
//! This is the one place in the crate where secrets are serialised, on
//! purpose: it exists to hand deliveries to tests and other programs. Each
//! line is `{"target", "source_connector", "source_anchor",
//! "cloud_anchor", "change_date", "sAMAccountName", "usn", "nt_hash",
//! "salt", "salt_hex", "kerberos_keys": [{"etype", "key"}], "org_id",
//! "force_change_on_logon"}`, hex in lower case. `"salt"` is the Kerberos
//! salt as text (as the `derive` example prints it) and `"salt_hex"` its
//! bytes; both are `null`, like `"nt_hash"`, when no legacy credential
//! goes (a tenant without Domain Services), and `"kerberos_keys"` is then
//! empty. `"change_date"` is RFC 3339.

use std::io::Write;

use serde::Serialize;

use crate::sync::credential::CredentialUpdate;
use crate::sync::transport::{Batch, ItemResult, Transport};

#[derive(Serialize)]
struct DeliveryLine<'a> {
    target: &'a str,
    source_connector: &'a str,
    source_anchor: &'a str,
    cloud_anchor: Option<&'a str>,
    change_date: String,
    #[serde(rename = "sAMAccountName")]
    sam_account_name: &'a str,
    usn: u64,
    #[serde(serialize_with = "serialize_optional_str")]
    nt_hash: Option<zeroize::Zeroizing<String>>,
    salt: Option<String>,
    salt_hex: Option<String>,
    kerberos_keys: Vec<KeyLine>,
    org_id: &'a str,
    force_change_on_logon: bool,
}

#[derive(Serialize)]
struct KeyLine {
    etype: i32,
    #[serde(serialize_with = "serialize_str")]
    key: zeroize::Zeroizing<String>,
}

fn serialize_str<S: serde::Serializer>(
    text: &zeroize::Zeroizing<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(text)
}

fn serialize_optional_str<S: serde::Serializer>(
    text: &Option<zeroize::Zeroizing<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match text {
        Some(text) => serializer.serialize_str(text),
        None => serializer.serialize_none(),
    }
}

/// Writes one JSON line per update and accepts them all; an I/O error
/// fails the batch (the engine retries it).
#[derive(Debug)]
pub struct JsonLinesTransport<W> {
    out: W,
}

impl<W: Write> JsonLinesTransport<W> {
    /// A transport writing to `out`.
    pub fn new(out: W) -> Self {
        Self { out }
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn write_line(&mut self, batch: &Batch, update: &CredentialUpdate) -> std::io::Result<()> {
        let legacy = update.legacy.as_ref();
        let org_id = update.org_id.encode();
        let kerberos = legacy.and_then(|legacy| legacy.kerberos.as_ref());
        let line = DeliveryLine {
            target: &batch.target_connector,
            source_connector: &batch.source_connector,
            source_anchor: &update.source_anchor,
            cloud_anchor: update.cloud_anchor.as_deref(),
            change_date: update.change_date.to_rfc3339(),
            sam_account_name: &update.sam_account_name,
            usn: update.usn,
            nt_hash: legacy.map(|legacy| legacy.nt_hash.to_hex()),
            salt: kerberos.map(|k| k.salt.to_string_lossy()),
            salt_hex: kerberos.map(|k| base16ct::lower::encode_string(k.salt.as_bytes())),
            kerberos_keys: kerberos
                .map(|k| {
                    k.keys
                        .iter()
                        .map(|key| KeyLine {
                            etype: key.etype().number(),
                            key: key.to_hex(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            org_id: &org_id,
            force_change_on_logon: update.force_change_on_logon,
        };
        let mut text = zeroize::Zeroizing::new(serde_json::to_vec(&line)?);
        text.push(b'\n');
        self.out.write_all(&text)
    }
}

impl<W: Write> Transport for JsonLinesTransport<W> {
    type Error = std::io::Error;

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, std::io::Error> {
        for update in &batch.updates {
            self.write_line(batch, update)?;
        }
        self.out.flush()?;
        Ok(vec![ItemResult::Success; batch.updates.len()])
    }
}
