//! The account replication runs as: `DOMAIN\user` and its password.

use core::fmt;
use std::path::Path;

use hashsync::Password;
use zeroize::Zeroizing;

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

/// Credentials that cannot be used: a `DOMAIN\user` string that is not
/// one, or a credentials file that is unreadable, malformed or accessible
/// to others. No variant carries the password.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The credentials file could not be read.
    #[error("cannot read the credentials file {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The credentials file is readable or writable by group or others.
    #[error("the credentials file {path} has mode {mode:03o}; it must be 0600 (chmod 600 {path})")]
    InsecureMode {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The credentials file lacks its second line, the password.
    #[error(
        "the credentials file {path} has no password line (line 1: DOMAIN\\user, line 2: the password)"
    )]
    NoPassword {
        /// The file.
        path: String,
    },
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

    /// Reads a credentials file: its first line is `DOMAIN\\user`, its
    /// second the password (the line ending is not part of it). On Unix
    /// the file must not be accessible to group or others (mode 0600 or
    /// stricter).
    pub fn from_file(path: &Path) -> Result<Self, CredentialsError> {
        let shown = path.display().to_string();
        let unreadable = |e: std::io::Error| CredentialsError::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .map_err(unreadable)?
                .permissions()
                .mode()
                & 0o777;
            if mode & 0o077 != 0 {
                return Err(CredentialsError::InsecureMode { path: shown, mode });
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(unreadable)?);
        let mut lines = text
            .split('\n')
            .map(|line| line.strip_suffix('\r').unwrap_or(line));
        let account = lines.next().unwrap_or_default();
        let password = lines
            .next()
            .filter(|line| !line.is_empty())
            .ok_or(CredentialsError::NoPassword { path: shown })?;
        Self::parse(account, Password::new(password))
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

    #[cfg(unix)]
    #[test]
    fn reads_a_0600_file_and_refuses_a_readable_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("hashsync-drs-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials");
        std::fs::write(&path, "ONPREM\\sync\r\n pass word \r\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let credentials = ReplicationCredentials::from_file(&path).unwrap();
        assert_eq!(credentials.account(), "ONPREM\\sync");
        assert_eq!(
            credentials.password().expose_secret(),
            Password::new(" pass word ").expose_secret()
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = ReplicationCredentials::from_file(&path).unwrap_err();
        assert!(
            matches!(err, CredentialsError::InsecureMode { mode: 0o644, .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("pass word"));
        std::fs::write(&path, "ONPREM\\sync\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            ReplicationCredentials::from_file(&path),
            Err(CredentialsError::NoPassword { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(
            ReplicationCredentials::from_file(&path),
            Err(CredentialsError::Unreadable { .. })
        ));
    }
}
