//! `--managed-domain-cert FILE` and `--managed-domain-key FILE`: seal every
//! update to the managed domain's certificate before delivery and, with
//! the key, open each envelope again and check it against the update.

use hashsync::formats::envelope::{ManagedDomainCertificate, ManagedDomainKey};
use hashsync::sync::Batch;

/// The managed domain as the example sees it, with counters for the
/// summary.
pub struct ManagedDomain {
    pub certificate: ManagedDomainCertificate,
    key: Option<ManagedDomainKey>,
    sealed: u64,
    opened: u64,
}

impl ManagedDomain {
    /// Loads the certificate and, if given, its private key.
    pub fn load(cert_path: &str, key_path: Option<&str>) -> Result<Self, String> {
        let read = |flag: &str, path: &str| {
            std::fs::read(path).map_err(|e| format!("{flag} {path}: cannot read: {e}"))
        };
        let certificate =
            ManagedDomainCertificate::parse(&read("--managed-domain-cert", cert_path)?)
                .map_err(|e| format!("--managed-domain-cert {cert_path}: {e}"))?;
        let key = match key_path {
            Some(path) => {
                let bytes = zeroize::Zeroizing::new(read("--managed-domain-key", path)?);
                Some(
                    ManagedDomainKey::new(certificate.clone(), &bytes)
                        .map_err(|e| format!("--managed-domain-key {path}: {e}"))?,
                )
            }
            None => None,
        };
        Ok(Self {
            certificate,
            key,
            sealed: 0,
            opened: 0,
        })
    }

    /// The batch with every update sealed; with the key, each envelope is
    /// opened again and must give back the update's credentials.
    pub fn seal(&mut self, batch: &Batch) -> std::io::Result<Batch> {
        let sealed = batch
            .seal_legacy(&self.certificate)
            .map_err(std::io::Error::other)?;
        // Without Domain Services an update has no legacy credential to seal.
        self.sealed += sealed.updates.iter().filter(|u| u.legacy.is_some()).count() as u64;
        if let Some(key) = &self.key {
            for (plain, sealed) in batch.updates.iter().zip(&sealed.updates) {
                let Some(legacy) = &sealed.legacy else {
                    continue;
                };
                let opened = legacy
                    .sealed()
                    .ok_or_else(|| std::io::Error::other("update left unsealed"))?
                    .open(key)
                    .map_err(std::io::Error::other)?;
                let plaintext = plain.legacy.as_ref().and_then(|l| l.plaintext());
                if plaintext != Some(&opened) {
                    return Err(std::io::Error::other(format!(
                        "{}: the envelopes do not open to the update's credentials",
                        plain.sam_account_name
                    )));
                }
                self.opened += 1;
            }
        }
        Ok(sealed)
    }

    /// One line for the summary.
    pub fn summary(&self) -> String {
        let opened = match self.key {
            Some(_) => format!(
                "{} opened again with --managed-domain-key, each matching its update",
                self.opened
            ),
            None => "not opened (no --managed-domain-key)".to_owned(),
        };
        format!(
            "managed domain certificate {}: {} update(s) sealed; {opened}",
            self.certificate.thumbprint(),
            self.sealed
        )
    }
}
