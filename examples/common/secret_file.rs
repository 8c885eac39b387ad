//! Files that hold secrets (keytabs, delivered NT hashes and keys): created
//! mode 0600 and replaced atomically, so a reader sees the old file or the
//! whole new one, never a torn or world-readable one.
#![allow(dead_code)] // each example uses a different subset

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A file being written: a private temporary file beside the destination,
/// renamed over it by [`SecretFile::commit`]. Dropped uncommitted, the
/// temporary file is removed and the destination is left as it was.
///
/// A destination that exists and is not a regular file (a pipe, a
/// terminal, `/dev/full`) is written in place: there is nothing to replace.
pub struct SecretFile {
    file: Option<File>,
    /// `None` when writing in place.
    temporary: Option<PathBuf>,
    destination: PathBuf,
}

impl SecretFile {
    /// Starts writing `destination`.
    pub fn create(destination: impl AsRef<Path>) -> io::Result<Self> {
        let destination = destination.as_ref().to_path_buf();
        if std::fs::metadata(&destination).is_ok_and(|meta| !meta.is_file()) {
            let file = OpenOptions::new().write(true).open(&destination)?;
            return Ok(Self {
                file: Some(file),
                temporary: None,
                destination,
            });
        }
        let name = destination
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(".tmp-{}", std::process::id()));
        let temporary = destination.with_file_name(temporary_name);
        let file = private_options().open(&temporary)?;
        Ok(Self {
            file: Some(file),
            temporary: Some(temporary),
            destination,
        })
    }

    /// Flushes the data to disk, renames the file over the destination and
    /// makes the rename durable.
    pub fn commit(mut self) -> io::Result<()> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("committed"))?;
        file.flush()?;
        let Some(temporary) = self.temporary.take() else {
            return Ok(());
        };
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, &self.destination)?;
        sync_parent(&self.destination)
    }
}

impl Write for SecretFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self.file.as_mut() {
            Some(file) => file.write(bytes),
            None => Err(io::Error::other("committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for SecretFile {
    fn drop(&mut self) {
        if let (Some(_), Some(temporary)) = (self.file.take(), self.temporary.take()) {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

/// Writes `bytes` to `destination` atomically, mode 0600.
pub fn write_secret_file(destination: impl AsRef<Path>, bytes: &[u8]) -> io::Result<()> {
    let mut file = SecretFile::create(destination)?;
    file.write_all(bytes)?;
    file.commit()
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
