//! The JSON-lines transport: one object per accepted update.
//!
//! Each line is `{"target", "source_connector", "source_anchor",
//! "cloud_anchor", "change_date", "sAMAccountName", "usn", "nt_hash",
//! "salt", "salt_hex", "kerberos_keys": [{"etype", "key"}], "org_id",
//! "force_change_on_logon"}`, hex in lower case. `"salt"` is the Kerberos
//! salt as text (as the `derive` example prints it) and `"salt_hex"` its
//! bytes (both `null` when the account has no stored Kerberos keys);
//! `"change_date"` is RFC 3339. Without legacy credentials (a tenant
//! without Domain Services) `"nt_hash"`, `"salt"` and `"salt_hex"` are
//! `null` and `"kerberos_keys"` is empty: the OrgId hash alone.
//!
//! Built with [`JsonLinesTransport::sealed`] (the managed domain's
//! certificate configured), every update is sealed before it is written:
//! the line then carries `"nt_hash": null`, `"salt": null`,
//! `"kerberos_keys": []` and the base64 envelopes as
//! `"windows_legacy_credentials"` and `"windows_supplemental_credentials"`
//! (`null` without Kerberos keys), so the file holds ciphertext and the
//! OrgId hash only. [`JsonLinesTransport::plaintext`] writes legacy
//! secrets in the clear, on purpose: it exists to hand deliveries to tests
//! and other programs. Updates that arrive sealed are written sealed by
//! either.

use std::io::Write;

use serde::Serialize;

use crate::sync::credential::{CredentialUpdate, LegacySecrets};
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
    #[serde(serialize_with = "serialize_secret")]
    nt_hash: Option<zeroize::Zeroizing<String>>,
    salt: Option<String>,
    salt_hex: Option<String>,
    kerberos_keys: Vec<KeyLine>,
    org_id: &'a str,
    force_change_on_logon: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    windows_legacy_credentials: Option<String>,
    // Present (possibly null) exactly when the line is sealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    windows_supplemental_credentials: Option<Option<String>>,
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

fn serialize_secret<S: serde::Serializer>(
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
    #[cfg(feature = "domain-services")]
    certificate: Option<crate::formats::envelope::ManagedDomainCertificate>,
}

impl<W: Write> JsonLinesTransport<W> {
    /// A transport writing to `out` with legacy secrets (NT hash, Kerberos
    /// keys) in the clear: an explicit choice, for tests and programs that
    /// check deliveries.
    pub fn plaintext(out: W) -> Self {
        Self {
            out,
            #[cfg(feature = "domain-services")]
            certificate: None,
        }
    }

    /// A transport writing to `out` that seals every update to the
    /// managed domain's certificate first: the file holds base64
    /// envelopes and the OrgId hash, no legacy secret.
    #[cfg(feature = "domain-services")]
    pub fn sealed(out: W, certificate: crate::formats::envelope::ManagedDomainCertificate) -> Self {
        Self {
            out,
            certificate: Some(certificate),
        }
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn write_line(&mut self, batch: &Batch, update: &CredentialUpdate) -> std::io::Result<()> {
        #[cfg(feature = "domain-services")]
        let sealed_copy;
        #[cfg(feature = "domain-services")]
        let update = match (&self.certificate, &update.legacy) {
            (Some(certificate), Some(LegacySecrets::Plaintext(_))) => {
                let mut copy = update.clone();
                copy.seal_legacy(certificate)
                    .map_err(std::io::Error::other)?;
                sealed_copy = copy;
                &sealed_copy
            }
            _ => update,
        };
        let org_id = update.org_id.encode();
        let mut line = DeliveryLine {
            target: &batch.target_connector,
            source_connector: &batch.source_connector,
            source_anchor: &update.source_anchor,
            cloud_anchor: update.cloud_anchor.as_deref(),
            change_date: update.change_date.to_rfc3339(),
            sam_account_name: &update.sam_account_name,
            usn: update.usn,
            nt_hash: None,
            salt: None,
            salt_hex: None,
            kerberos_keys: Vec::new(),
            org_id: &org_id,
            force_change_on_logon: update.force_change_on_logon,
            windows_legacy_credentials: None,
            windows_supplemental_credentials: None,
        };
        match &update.legacy {
            None => {}
            Some(LegacySecrets::Plaintext(legacy)) => {
                let kerberos = legacy.kerberos.as_ref();
                line.nt_hash = Some(legacy.nt_hash.to_hex());
                line.salt = kerberos.map(|k| k.salt.to_string_lossy());
                line.salt_hex = kerberos.map(|k| base16ct::lower::encode_string(k.salt.as_bytes()));
                line.kerberos_keys = kerberos
                    .map(|k| {
                        k.keys
                            .iter()
                            .map(|key| KeyLine {
                                etype: key.etype().number(),
                                key: key.to_hex(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            }
            #[cfg(feature = "domain-services")]
            Some(LegacySecrets::Sealed(sealed)) => {
                use base64::Engine as _;
                let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
                line.windows_legacy_credentials = Some(b64(&sealed.windows_legacy_credentials));
                line.windows_supplemental_credentials =
                    Some(sealed.windows_supplemental_credentials.as_deref().map(b64));
            }
        }
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
