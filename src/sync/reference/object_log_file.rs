//! A file-backed object log: JSON lines, mode 0600, rotated by age.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::model::Timestamp;
use crate::sync::AccountQuery;
use crate::sync::diagnostics::{InMemoryObjectLog, ObjectLog, ObjectLogEntry, ObjectLogLimits};

/// The object log in a file of JSON lines (one [`ObjectLogEntry`] each),
/// private to its owner (mode 0600 on Unix), appended as entries arrive.
///
/// It holds the same bounded window in memory. When entries leave it (by
/// age at [`prune`](ObjectLog::prune), or by count once the file holds
/// twice the bounds' total), the file is rewritten with what is kept and
/// atomically replaced (a temporary file in the same directory, synced,
/// renamed over it, the directory synced), so a crash leaves the old file
/// or the new one, never a torn one. Entries hold no secret.
#[derive(Debug)]
pub struct FileObjectLog {
    path: PathBuf,
    memory: InMemoryObjectLog,
    out: BufWriter<File>,
    lines: usize,
}

impl FileObjectLog {
    /// Opens (or creates) the log at `path` with these bounds, loading the
    /// entries it holds (lines that do not parse are an error naming the
    /// line) and rotating away those older than the age bound at `now`.
    pub fn open(
        path: impl AsRef<Path>,
        limits: ObjectLogLimits,
        now: Timestamp,
    ) -> io::Result<Self> {
        let path = path.as_ref().to_owned();
        let mut memory = InMemoryObjectLog::new(limits);
        let mut lines = 0;
        match File::open(&path) {
            Ok(file) => {
                for (number, line) in BufReader::new(file).lines().enumerate() {
                    let line = line?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    let entry: ObjectLogEntry = serde_json::from_str(&line).map_err(|e| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("{}: line {}: {e}", path.display(), number + 1),
                        )
                    })?;
                    memory.push(entry);
                    lines += 1;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let out = BufWriter::new(open_append(&path)?);
        let mut log = Self {
            path,
            memory,
            out,
            lines,
        };
        log.memory.drop_older(now);
        if log.lines != log.memory.len() {
            log.rotate()?;
        }
        Ok(log)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rewrites the file with the entries kept and replaces it atomically.
    fn rotate(&mut self) -> io::Result<()> {
        self.out.flush()?;
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        // A leftover of a crash in the middle of a rotation.
        let _ = fs::remove_file(&temp);
        {
            let mut writer = BufWriter::new(create_private(&temp)?);
            for entry in self.memory.iter() {
                write_line(&mut writer, entry)?;
            }
            writer.flush()?;
            writer.get_ref().sync_all()?;
        }
        if let Err(e) = fs::rename(&temp, &self.path) {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        File::open(&dir)?.sync_all()?;
        self.out = BufWriter::new(open_append(&self.path)?);
        self.lines = self.memory.len();
        Ok(())
    }
}

fn write_line(writer: &mut impl Write, entry: &ObjectLogEntry) -> io::Result<()> {
    serde_json::to_writer(&mut *writer, entry).map_err(io::Error::other)?;
    writer.write_all(b"\n")
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn open_append(path: &Path) -> io::Result<File> {
    private_options().create(true).append(true).open(path)
}

fn create_private(path: &Path) -> io::Result<File> {
    private_options().write(true).create_new(true).open(path)
}

impl ObjectLog for FileObjectLog {
    fn record(&mut self, entry: ObjectLogEntry) -> io::Result<()> {
        write_line(&mut self.out, &entry)?;
        self.out.flush()?;
        self.lines += 1;
        self.memory.push(entry);
        if self.lines > self.memory.limits().total.saturating_mul(2) {
            self.rotate()?;
        }
        Ok(())
    }

    fn prune(&mut self, now: Timestamp) -> io::Result<()> {
        if self.memory.drop_older(now) {
            self.rotate()?;
        }
        Ok(())
    }

    fn entries(&self) -> Vec<ObjectLogEntry> {
        self.memory.entries()
    }

    fn history(&self, connector: &str, query: &AccountQuery) -> Vec<ObjectLogEntry> {
        self.memory.history(connector, query)
    }
}
