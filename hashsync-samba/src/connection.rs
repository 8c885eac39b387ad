//! One LDAP connection to a DC's socket, opened on first use and dropped
//! when it fails, so the next operation reconnects.

use std::collections::HashSet;
use std::time::Duration;

use ldap3::controls::RawControl;
use ldap3::{LdapConn, LdapConnSettings, LdapResult, Mod, Scope};

use crate::entry::RawEntry;
use crate::error::SambaError;
use crate::url::server_name;

/// How long one LDAP operation may take before the connection counts as
/// lost.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) struct Connection {
    url: String,
    server: String,
    timeout: Duration,
    ldap: Option<LdapConn>,
}

impl Connection {
    pub(crate) fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            server: server_name(url),
            timeout: DEFAULT_TIMEOUT,
            ldap: None,
        }
    }

    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub(crate) fn server(&self) -> &str {
        &self.server
    }

    fn open(&mut self, operation: &'static str) -> Result<&mut LdapConn, SambaError> {
        if self.ldap.is_none() {
            // No bind: on the privileged socket Samba gives the system
            // session, the only one that reads and writes secrets.
            let settings = LdapConnSettings::new().set_conn_timeout(self.timeout);
            let ldap = LdapConn::with_settings(settings, &self.url).map_err(|source| {
                SambaError::Ldap {
                    server: self.server.clone(),
                    operation,
                    source: Box::new(source),
                }
            })?;
            self.ldap = Some(ldap);
        }
        Ok(self.ldap.as_mut().expect("just opened"))
    }

    fn lost(&mut self, operation: &'static str, source: ldap3::LdapError) -> SambaError {
        self.ldap = None;
        SambaError::Ldap {
            server: self.server.clone(),
            operation,
            source: Box::new(source),
        }
    }

    pub(crate) fn refused(&self, operation: &'static str, result: &LdapResult) -> SambaError {
        SambaError::Refused {
            server: self.server.clone(),
            operation,
            code: result.rc,
            message: result.text.clone(),
        }
    }

    pub(crate) fn malformed(
        &self,
        operation: &'static str,
        reason: impl Into<String>,
    ) -> SambaError {
        SambaError::Malformed {
            server: self.server.clone(),
            operation,
            reason: reason.into(),
        }
    }

    /// A search; the entries and the final result (whatever its code).
    pub(crate) fn search(
        &mut self,
        operation: &'static str,
        base: &str,
        scope: Scope,
        filter: &str,
        attributes: &[&str],
        controls: Vec<RawControl>,
    ) -> Result<(Vec<RawEntry>, LdapResult), SambaError> {
        let timeout = self.timeout;
        let ldap = self.open(operation)?;
        let searched = ldap.with_timeout(timeout).with_controls(controls).search(
            base,
            scope,
            filter,
            attributes.to_vec(),
        );
        match searched {
            Ok(result) => {
                let entries = result.0.into_iter().filter_map(RawEntry::parse).collect();
                Ok((entries, result.1))
            }
            Err(source) => Err(self.lost(operation, source)),
        }
    }

    /// A modify; the result whatever its code.
    pub(crate) fn modify(
        &mut self,
        operation: &'static str,
        dn: &str,
        mods: Vec<Mod<Vec<u8>>>,
        controls: Vec<RawControl>,
    ) -> Result<LdapResult, SambaError> {
        let timeout = self.timeout;
        let ldap = self.open(operation)?;
        match ldap
            .with_timeout(timeout)
            .with_controls(controls)
            .modify(dn, mods)
        {
            Ok(result) => Ok(result),
            Err(source) => Err(self.lost(operation, source)),
        }
    }
}

/// A replace of one attribute with one value.
pub(crate) fn replace(attribute: &str, value: Vec<u8>) -> Mod<Vec<u8>> {
    replace_all(attribute, vec![value])
}

/// A replace of one attribute with these values (none: the attribute is
/// removed).
pub(crate) fn replace_all(attribute: &str, values: Vec<Vec<u8>>) -> Mod<Vec<u8>> {
    Mod::Replace(
        attribute.as_bytes().to_vec(),
        values.into_iter().collect::<HashSet<_>>(),
    )
}
