//! Durable host state under a state directory: the cursors and the
//! configuration, each in its own file, each replaced atomically.
//!
//! A file is never written in place: the new content goes to a temporary
//! file in the same directory (mode 0600), which is flushed to disk,
//! renamed over the old file, and the directory is flushed too. Killed at
//! any instant, the next start finds the old content or the new one.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use hashsync::model::SyncConfiguration;
use hashsync::sync::{Cursor, CursorStore};

use crate::error::StateError;

/// Replaces `path` with `contents`, atomically, mode 0600.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), StateError> {
    let io = |operation: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source: io::Error| StateError::Io {
            path,
            operation,
            source,
        }
    };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io("name", path)(io::Error::other("no file name")))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".{}.tmp", std::process::id()));
    let temporary = directory.join(temporary_name);
    let written = (|| -> Result<(), StateError> {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(io("create", &temporary))?;
        file.write_all(contents).map_err(io("write", &temporary))?;
        file.sync_all().map_err(io("fsync", &temporary))?;
        fs::rename(&temporary, path).map_err(io("rename", path))?;
        File::open(&directory)
            .and_then(|d| d.sync_all())
            .map_err(io("fsync directory", &directory))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

/// Reads a state file; `None` when it does not exist.
fn read_if_present(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StateError::Io {
            path: path.to_path_buf(),
            operation: "read",
            source,
        }),
    }
}

fn ensure_directory(directory: &Path) -> Result<(), StateError> {
    fs::create_dir_all(directory).map_err(|source| StateError::Io {
        path: directory.to_path_buf(),
        operation: "create directory",
        source,
    })
}

/// Removes temporary files that writers of `name` killed mid-write left
/// behind (never renamed, so never part of the state); a file whose
/// writer is still running is left alone.
fn remove_stale_temporaries(directory: &Path, name: &str) {
    let prefix = format!(".{name}.");
    let Ok(entries) = fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|f| f.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// An exclusive claim on a state directory (an advisory lock on its
/// `lock` file), so two hosts never interleave their cursors and
/// configuration. Released when dropped, or when the process dies.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// The lock file's name in the state directory.
    pub const FILE_NAME: &'static str = "lock";

    /// Claims `directory` (created if missing); refuses when another
    /// process holds it.
    pub fn acquire(directory: &Path) -> Result<Self, StateError> {
        ensure_directory(directory)?;
        let path = directory.join(Self::FILE_NAME);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|source| StateError::Io {
                path: path.clone(),
                operation: "open lock file",
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StateError::InUse { path }),
            Err(std::fs::TryLockError::Error(source)) => Err(StateError::Io {
                path,
                operation: "lock",
                source,
            }),
        }
    }
}

/// Cursors in one file (`cursors.json`) under the state directory: a JSON
/// object of connector -> partition -> hex cursor, rewritten atomically
/// on every save.
#[derive(Debug)]
pub struct FileCursorStore {
    path: PathBuf,
    cursors: BTreeMap<String, BTreeMap<String, String>>,
}

impl FileCursorStore {
    /// The file's name in the state directory.
    pub const FILE_NAME: &'static str = "cursors.json";

    /// Opens (or starts) the store in `directory`.
    pub fn open(directory: &Path) -> Result<Self, StateError> {
        ensure_directory(directory)?;
        remove_stale_temporaries(directory, Self::FILE_NAME);
        let path = directory.join(Self::FILE_NAME);
        let cursors = match read_if_present(&path)? {
            None => BTreeMap::new(),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?,
        };
        Ok(Self { path, cursors })
    }

    fn persist(&self) -> Result<(), StateError> {
        let bytes = serde_json::to_vec_pretty(&self.cursors).map_err(|e| StateError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        write_atomically(&self.path, &bytes)
    }
}

impl CursorStore for FileCursorStore {
    type Error = StateError;

    fn load(&mut self, connector: &str, partition: &str) -> Result<Option<Cursor>, StateError> {
        let Some(saved) = self.cursors.get(connector).and_then(|p| p.get(partition)) else {
            return Ok(None);
        };
        // A cursor saved inside a full sync is marked, so that a restart
        // resumes it as the same full sync.
        let (full_sync, hex) = match saved.strip_prefix(FULL_SYNC_MARK) {
            Some(hex) => (true, hex),
            None => (false, saved.as_str()),
        };
        decode_hex(hex)
            .map(|bytes| Some(Cursor::new(bytes).with_full_sync(full_sync)))
            .ok_or_else(|| StateError::Corrupt {
                path: self.path.clone(),
                reason: format!("cursor of {connector}/{partition} is not hex"),
            })
    }

    fn save(
        &mut self,
        connector: &str,
        partition: &str,
        cursor: &Cursor,
    ) -> Result<(), StateError> {
        self.cursors
            .entry(connector.to_owned())
            .or_default()
            .insert(
                partition.to_owned(),
                if cursor.in_full_sync() {
                    format!("{FULL_SYNC_MARK}{}", encode_hex(cursor.as_bytes()))
                } else {
                    encode_hex(cursor.as_bytes())
                },
            );
        self.persist()
    }

    fn discard(&mut self, connector: &str) -> Result<(), StateError> {
        if self.cursors.remove(connector).is_some() {
            self.persist()?;
        }
        Ok(())
    }
}

/// Before the hex of a cursor saved inside a full sync.
const FULL_SYNC_MARK: &str = "full:";

fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The model's configuration in `configuration.json` under the state
/// directory, replaced atomically on every save.
#[derive(Debug)]
pub struct ConfigurationStore {
    path: PathBuf,
}

impl ConfigurationStore {
    /// The file's name in the state directory.
    pub const FILE_NAME: &'static str = "configuration.json";

    /// The store in `directory` (created if missing).
    pub fn open(directory: &Path) -> Result<Self, StateError> {
        ensure_directory(directory)?;
        remove_stale_temporaries(directory, Self::FILE_NAME);
        Ok(Self {
            path: directory.join(Self::FILE_NAME),
        })
    }

    /// The saved configuration, `None` before the first save.
    pub fn load(&self) -> Result<Option<SyncConfiguration>, StateError> {
        let Some(bytes) = read_if_present(&self.path)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StateError::Corrupt {
                path: self.path.clone(),
                reason: e.to_string(),
            })
    }

    /// Saves (replaces) the configuration.
    pub fn save(&self, configuration: &SyncConfiguration) -> Result<(), StateError> {
        let bytes = serde_json::to_vec_pretty(configuration).map_err(|e| StateError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        write_atomically(&self.path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hashsync-samba-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_cursor_inside_a_full_sync_stays_marked_across_a_reopen() {
        let dir = scratch("full-sync-mark");
        let mut store = FileCursorStore::open(&dir).unwrap();
        let inside = Cursor::new(vec![1, 2]).with_full_sync(true);
        store.save("a", "p", &inside).unwrap();
        store.save("a", "q", &Cursor::new(vec![3])).unwrap();
        let mut again = FileCursorStore::open(&dir).unwrap();
        let loaded = again.load("a", "p").unwrap().unwrap();
        assert!(loaded.in_full_sync());
        assert_eq!(loaded, inside);
        assert!(!again.load("a", "q").unwrap().unwrap().in_full_sync());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn cursors_survive_a_reopen_and_files_are_private() {
        let dir = scratch("cursors");
        let mut store = FileCursorStore::open(&dir).unwrap();
        assert_eq!(store.load("a", "p").unwrap(), None);
        store.save("a", "p", &Cursor::new(vec![0, 255, 7])).unwrap();
        store.save("b", "q", &Cursor::new(b"x".to_vec())).unwrap();
        let mut again = FileCursorStore::open(&dir).unwrap();
        assert_eq!(
            again.load("a", "p").unwrap(),
            Some(Cursor::new(vec![0, 255, 7]))
        );
        again.discard("a").unwrap();
        let mut third = FileCursorStore::open(&dir).unwrap();
        assert_eq!(third.load("a", "p").unwrap(), None);
        assert_eq!(
            third.load("b", "q").unwrap(),
            Some(Cursor::new(b"x".to_vec()))
        );
        let mode = fs::metadata(dir.join(FileCursorStore::FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn temporaries_of_dead_writers_are_removed_on_open() {
        let dir = scratch("stale");
        fs::create_dir_all(&dir).unwrap();
        // No process has pid 4194305 (above Linux's pid_max limit).
        let stale = dir.join(".cursors.json.4194305.tmp");
        let live = dir.join(format!(".cursors.json.{}.tmp", std::process::id()));
        fs::write(&stale, b"half").unwrap();
        fs::write(&live, b"in progress").unwrap();
        FileCursorStore::open(&dir).unwrap();
        assert!(!stale.exists());
        assert!(live.exists(), "a running writer's file stays");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_state_directory_is_claimed_by_one_holder_at_a_time() {
        let dir = scratch("lock");
        let first = StateLock::acquire(&dir).unwrap();
        assert!(matches!(
            StateLock::acquire(&dir),
            Err(StateError::InUse { .. })
        ));
        drop(first);
        StateLock::acquire(&dir).unwrap();
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_corrupt_cursor_file_is_a_typed_error() {
        let dir = scratch("corrupt");
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join(FileCursorStore::FILE_NAME),
            b"{\"a\": {\"p\": \"zz\"}}",
        )
        .unwrap();
        let mut store = FileCursorStore::open(&dir).unwrap();
        assert!(matches!(
            store.load("a", "p"),
            Err(StateError::Corrupt { .. })
        ));
        fs::write(dir.join(FileCursorStore::FILE_NAME), b"{trunc").unwrap();
        assert!(matches!(
            FileCursorStore::open(&dir),
            Err(StateError::Corrupt { .. })
        ));
        fs::remove_dir_all(dir).unwrap();
    }
}
