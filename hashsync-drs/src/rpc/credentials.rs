//! The account replication runs as: `DOMAIN\user` and its password.

use core::fmt;

use hashsync::Password;

/// The credentials of the replicating account (one granted "Replicating
/// Directory Changes" and "Replicating Directory Changes All").
///
/// `Debug` shows the account, never the password; the password is
/// zeroized on drop (it is a [`Password`]).
///
/// ```
/// use hashsync::Password;
/// use hashsync_drs::rpc::ReplicationCredentials;
/// let credentials = ReplicationCredentials::parse(r"ONPREM\replicator", Password::new("s3cret"))?;
/// assert_eq!(credentials.domain(), "ONPREM");
/// assert_eq!(credentials.user(), "replicator");
/// assert_eq!(credentials.account(), r"ONPREM\replicator");
/// assert!(!format!("{credentials:?}").contains("s3cret"));
/// # Ok::<(), hashsync_drs::rpc::CredentialsError>(())
/// ```
#[derive(Clone)]
pub struct ReplicationCredentials {
    domain: String,
    user: String,
    password: Password,
}

/// A `DOMAIN\user` string that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// No backslash between domain and user.
    #[error("the account {0:?} is not of the form DOMAIN\\user")]
    NoDomain(String),
    /// The domain or the user name is empty.
    #[error("the account {0:?} has an empty domain or user name")]
    Empty(String),
}

impl ReplicationCredentials {
    /// Credentials from a domain (NetBIOS name), a user name and a password.
    pub fn new(domain: &str, user: &str, password: Password) -> Self {
        Self {
            domain: domain.to_owned(),
            user: user.to_owned(),
            password,
        }
    }

    /// Parses `DOMAIN\user` (surrounding whitespace ignored).
    pub fn parse(account: &str, password: Password) -> Result<Self, CredentialsError> {
        let account = account.trim();
        let (domain, user) = account
            .split_once('\\')
            .ok_or_else(|| CredentialsError::NoDomain(account.to_owned()))?;
        if domain.is_empty() || user.is_empty() {
            return Err(CredentialsError::Empty(account.to_owned()));
        }
        Ok(Self::new(domain, user, password))
    }

    /// The domain's NetBIOS name.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// `DOMAIN\user`, as errors name the account.
    pub fn account(&self) -> String {
        format!("{}\\{}", self.domain, self.user)
    }

    /// The password.
    pub fn password(&self) -> &Password {
        &self.password
    }
}

impl fmt::Debug for ReplicationCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplicationCredentials")
            .field("domain", &self.domain)
            .field("user", &self.user)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_accounts_without_a_domain_and_never_shows_the_password() {
        let err = ReplicationCredentials::parse("replicator", Password::new("pw-7")).unwrap_err();
        assert_eq!(err, CredentialsError::NoDomain("replicator".into()));
        assert!(!err.to_string().contains("pw-7"));
        assert_eq!(
            ReplicationCredentials::parse(r"\user", Password::new("x")).unwrap_err(),
            CredentialsError::Empty(r"\user".into())
        );
        let ok = ReplicationCredentials::parse(" D\\u ", Password::new("pw-7")).unwrap();
        assert_eq!((ok.domain(), ok.user()), ("D", "u"));
        assert!(!format!("{ok:?}").contains("pw-7"));
    }
}
