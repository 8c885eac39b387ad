//! The replication account's credentials from a file the host keeps:
//! `DOMAIN\user` on the first line, the password on the second, the file
//! readable by its owner only.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use hashsync::Password;
use zeroize::Zeroizing;

use crate::rpc::{CredentialsError, ReplicationCredentials};

/// Why a credentials file was refused. Never carries the password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsFileError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Group or others may read or write the file.
    #[error("{path}: mode {mode:04o} lets others read it; chmod 600 it")]
    Permissions {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// Not two lines: `DOMAIN\user`, then the password.
    #[error("{path}: expected two lines, DOMAIN\\user and the password")]
    Layout {
        /// The file.
        path: String,
    },
    /// The first line is not `DOMAIN\user`.
    #[error("{path}: {source}")]
    Account {
        /// The file.
        path: String,
        /// What was wrong.
        #[source]
        source: CredentialsError,
    },
}

/// Reads `path`: mode 0600 (or stricter) or refused, `DOMAIN\user` on the
/// first line and the password on the second (its line ending is not part
/// of it; nothing but an empty line may follow). The bytes read are wiped.
pub fn read_credentials_file(path: &Path) -> Result<ReplicationCredentials, CredentialsFileError> {
    let name = path.display().to_string();
    let read = |source| CredentialsFileError::Read {
        path: name.clone(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read)?;
    let mode = file.metadata().map_err(read)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CredentialsFileError::Permissions { path: name, mode });
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.read_to_end(&mut bytes).map_err(read)?;
    let layout = || CredentialsFileError::Layout { path: name.clone() };
    let text = std::str::from_utf8(&bytes).map_err(|_| layout())?;
    let mut lines = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line));
    let account = lines.next().ok_or_else(layout)?;
    let password = lines.next().ok_or_else(layout)?;
    if password.is_empty() || lines.any(|rest| !rest.is_empty()) {
        return Err(layout());
    }
    ReplicationCredentials::parse(account, Password::new(password)).map_err(|source| {
        CredentialsFileError::Account {
            path: name.clone(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(mode: u32, content: &str) -> (std::path::PathBuf, impl Drop) {
        struct Remove(std::path::PathBuf);
        impl Drop for Remove {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
        let path = std::env::temp_dir().join(format!(
            "hashsync-drs-credentials-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(content.as_bytes()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        (path.clone(), Remove(path))
    }

    #[test]
    fn a_0600_file_of_two_lines_gives_the_credentials() {
        let (path, _keep) = file(0o600, "ONPREM\\svc-sync\r\nPass word ü\n");
        let credentials = read_credentials_file(&path).unwrap();
        assert_eq!(credentials.account(), "ONPREM\\svc-sync");
        assert_eq!(
            credentials.password().expose_secret(),
            Password::new("Pass word ü").expose_secret()
        );
    }

    #[test]
    fn loose_modes_and_bad_layouts_are_refused_without_the_password() {
        for mode in [0o640, 0o604, 0o666] {
            let (path, _keep) = file(mode, "ONPREM\\svc\nsecret-pw\n");
            let err = read_credentials_file(&path).unwrap_err();
            assert!(
                matches!(err, CredentialsFileError::Permissions { .. }),
                "{mode:o}"
            );
            assert!(err.to_string().contains("chmod 600"));
        }
        for content in [
            "ONPREM\\svc\n",
            "ONPREM\\svc",
            "ONPREM\\svc\n\n",
            "ONPREM\\svc\nsecret-pw\nmore\n",
        ] {
            let (path, _keep) = file(0o600, content);
            let err = read_credentials_file(&path).unwrap_err();
            assert!(
                matches!(err, CredentialsFileError::Layout { .. }),
                "{content:?}"
            );
            assert!(!err.to_string().contains("secret-pw"));
        }
        let (path, _keep) = file(0o600, "svc\nsecret-pw\n");
        let err = read_credentials_file(&path).unwrap_err();
        assert!(matches!(err, CredentialsFileError::Account { .. }));
        assert!(!format!("{err:?}").contains("secret-pw"));
        let missing = std::env::temp_dir().join("hashsync-drs-no-such-file");
        assert!(matches!(
            read_credentials_file(&missing),
            Err(CredentialsFileError::Read { .. })
        ));
    }
}
