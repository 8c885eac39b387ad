//! `--managed-domain-cert FILE` and `--managed-domain-key FILE`: the
//! channel seals every update to the managed domain's certificate; the
//! delivery checks that nothing arrives unsealed and, with the key, opens
//! each envelope again and checks it against the update's OrgId hash.

use hashsync::formats::envelope::{ManagedDomainCertificate, ManagedDomainKey};
use hashsync::sync::{Batch, LegacyDelivery};

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

    /// Checks a batch the channel sealed: every update with legacy
    /// credentials carries envelopes for this certificate and no plaintext;
    /// with the key, each is opened again and its NT hash must be the one
    /// the update's OrgId hash was computed from (unless the tenant sends
    /// a random NT hash: SyncNtlmPasswords off).
    pub fn check(&mut self, batch: &Batch, real_nt_hashes: bool) -> std::io::Result<()> {
        for update in &batch.updates {
            let Some(legacy) = &update.legacy else {
                // Without Domain Services an update has no legacy credential.
                continue;
            };
            let sealed = legacy.sealed().ok_or_else(|| {
                std::io::Error::other(format!(
                    "{}: legacy credentials reached the transport unsealed",
                    update.sam_account_name
                ))
            })?;
            let thumbprint = sealed.thumbprint().map_err(std::io::Error::other)?;
            if thumbprint != self.certificate.thumbprint() {
                return Err(std::io::Error::other(format!(
                    "{}: sealed to {thumbprint}, not to --managed-domain-cert",
                    update.sam_account_name
                )));
            }
            self.sealed += 1;
            if let Some(key) = &self.key {
                let opened = sealed.open(key).map_err(std::io::Error::other)?;
                if real_nt_hashes && !update.org_id.verify_nt_hash(&opened.nt_hash) {
                    return Err(std::io::Error::other(format!(
                        "{}: the sealed NT hash is not the one the OrgId hash was made from",
                        update.sam_account_name
                    )));
                }
                self.opened += 1;
            }
        }
        Ok(())
    }

    /// The channel's delivery: sealed to this certificate.
    pub fn delivery(&self) -> LegacyDelivery {
        LegacyDelivery::sealed_to(self.certificate.clone())
    }

    /// One line for the summary.
    pub fn summary(&self) -> String {
        let opened = match self.key {
            Some(_) => format!(
                "{} opened again with --managed-domain-key, each matching its update's OrgId hash",
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
