//! The source DC, read over LDAP on its privileged socket (`ldapi://`) or
//! by replication over TCP (`drs://`), as one `ChangeSource`.

use std::path::Path;

use hashsync::model::Partition;
use hashsync::sync::{ChangeSource, Cursor, SkipLog, SourceStream};
use hashsync_drs::rpc::ReplicationCredentials;
use hashsync_drs::{DrsEndpoint, DrsSource, DrsSourceError};
use hashsync_samba::{SambaError, SambaSource, SourcePosition};

/// Either source.
#[allow(clippy::large_enum_variant)] // one per run
pub(crate) enum Source {
    Ldap(SambaSource),
    Drs(DrsSource),
}

/// Either source's error, shown as it is.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    #[error(transparent)]
    Ldap(#[from] SambaError),
    #[error(transparent)]
    Drs(#[from] DrsSourceError),
}

impl Source {
    /// The source `url` names: `drs://HOST[:PORT]` with the credentials
    /// file (mode 0600: `DOMAIN\user`, then the password), else `ldapi://`.
    /// Page sizes from `HASHSYNC_SAMBA_PAGE_USNS` (LDAP: USNs a page) and
    /// `HASHSYNC_DRS_PAGE_OBJECTS` (replication: objects a page).
    pub(crate) fn open(url: &str, credentials: Option<&Path>) -> Result<Self, String> {
        let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        if url.starts_with("drs://") {
            let endpoint = DrsEndpoint::parse(url).map_err(|e| format!("--source: {e}"))?;
            let path = credentials
                .ok_or("--source drs://… needs --source-credentials FILE (see --help)")?;
            let credentials = ReplicationCredentials::from_file(path)
                .map_err(|e| format!("--source-credentials: {e}"))?;
            let mut source = DrsSource::new(endpoint, credentials);
            if let Some(objects) = number("HASHSYNC_DRS_PAGE_OBJECTS") {
                source = source.with_page_objects(u32::try_from(objects).unwrap_or(u32::MAX));
            }
            return Ok(Self::Drs(source));
        }
        if credentials.is_some() {
            return Err("--source-credentials is for a drs:// source".into());
        }
        let page_usns =
            number("HASHSYNC_SAMBA_PAGE_USNS").unwrap_or(hashsync_samba::DEFAULT_PAGE_USNS);
        Ok(Self::Ldap(SambaSource::new(url).with_page_usns(page_usns)))
    }

    /// The objects the source left out.
    pub(crate) fn skips(&self) -> SkipLog {
        match self {
            Self::Ldap(source) => source.skips(),
            Self::Drs(source) => source.skips(),
        }
    }

    /// The DC, for messages.
    pub(crate) fn server(&self) -> String {
        match self {
            Self::Ldap(source) => source.server().to_owned(),
            Self::Drs(source) => source.server(),
        }
    }

    /// Whether `saved` is a position inside a full sync (which the next
    /// run resumes as one).
    pub(crate) fn is_full_sync_position(&self, saved: &Cursor) -> bool {
        match self {
            Self::Ldap(_) => SourcePosition::is_full_scan(saved),
            Self::Drs(_) => saved.in_full_sync() || DrsSource::is_full_sync_position(saved),
        }
    }

    /// Replication's time split, for the summary.
    pub(crate) fn replication_report(&self) -> Option<String> {
        let Self::Drs(source) = self else {
            return None;
        };
        let t = source.timings();
        Some(format!(
            "replication: {} GetNCChanges call(s), {} object(s); RPC {:.3}s, decoding and decryption {:.3}s",
            t.calls,
            t.objects,
            t.rpc.as_secs_f64(),
            t.decoding.as_secs_f64()
        ))
    }
}

impl ChangeSource for Source {
    type Error = SourceError;

    fn partitions(&mut self) -> Result<Vec<Partition>, SourceError> {
        match self {
            Self::Ldap(source) => Ok(source.partitions()?),
            Self::Drs(source) => Ok(source.partitions()?),
        }
    }

    fn full_sync(
        &mut self,
        partition: &Partition,
    ) -> Result<SourceStream<'_, SourceError>, SourceError> {
        Ok(match self {
            Self::Ldap(source) => wrap(source.full_sync(partition)?),
            Self::Drs(source) => wrap(source.full_sync(partition)?),
        })
    }

    fn changes_since(
        &mut self,
        partition: &Partition,
        cursor: &Cursor,
    ) -> Result<SourceStream<'_, SourceError>, SourceError> {
        Ok(match self {
            Self::Ldap(source) => wrap(source.changes_since(partition, cursor)?),
            Self::Drs(source) => wrap(source.changes_since(partition, cursor)?),
        })
    }
}

fn wrap<'a, E: Into<SourceError> + 'a>(
    stream: SourceStream<'a, E>,
) -> SourceStream<'a, SourceError> {
    Box::new(stream.map(|item| item.map_err(Into::into)))
}
