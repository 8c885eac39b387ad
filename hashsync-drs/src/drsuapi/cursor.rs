//! The replication cursor as bytes: a USN vector and an up-to-dateness
//! vector, saved between cycles.

use uuid::Uuid;

use super::{GetNcChangesReply, UpToDateCursor, UpToDateVector, UsnVector};

/// The first bytes of a saved cursor.
const MAGIC: &[u8; 6] = b"HSDRSC";
/// The format version written.
const VERSION: u8 = 1;
/// Bytes of one saved up-to-dateness cursor.
const CURSOR_SIZE: usize = 32;

/// Why saved cursor bytes were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CursorError {
    /// The bytes do not start with `HSDRSC`: not a cursor of this crate.
    #[error("not a replication cursor (bad magic)")]
    BadMagic,
    /// A format version this crate does not read.
    #[error("replication cursor format version {0} is not supported (only 1)")]
    UnsupportedVersion(u8),
    /// The bytes end early, or the cursor count does not fit them.
    #[error("replication cursor truncated at byte {0}")]
    Truncated(usize),
    /// Unknown flag bits, or bytes after the end.
    #[error("replication cursor malformed at byte {0}")]
    Malformed(usize),
}

/// Where a replication stands: the server's invocation id and the
/// `usnvecTo` of the last reply applied (a server continues a cycle only
/// when both come back as `uuidInvocIdSrc` and `usnvecFrom`; either zero
/// starts a new one, MS-DRSR 4.1.10.7), and the server's up-to-dateness
/// vector (`pUpToDateVecSrc`, once a cycle has finished). Empty means a
/// full replication.
///
/// Saved as bytes in this crate's own format, version 1 (all integers
/// little-endian):
///
/// | bytes | field |
/// |---|---|
/// | 6 | `HSDRSC` |
/// | 1 | format version, 1 |
/// | 1 | flags: bit 0 set when an up-to-dateness vector follows |
/// | 16 | the server's invocation id (RFC 4122 order) |
/// | 8 × 3 | `usnHighObjUpdate`, `usnReserved`, `usnHighPropUpdate` |
/// | 4 | cursor count *n* (only with flag bit 0) |
/// | 32 × *n* | per cursor: `uuidDsa` (16 bytes, RFC 4122 order), `usnHighPropUpdate`, `timeLastSyncSuccess` |
///
/// Nothing may follow.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ReplicationCursor {
    /// The next request's `uuidInvocIdSrc`: the server's invocation id
    /// (`uuidInvocIdSrc` of its last reply).
    pub invocation_id: Uuid,
    /// The next request's `usnvecFrom`.
    pub usn_vector: UsnVector,
    /// The next request's `pUpToDateVecDest`.
    pub up_to_date: Option<UpToDateVector>,
}

impl ReplicationCursor {
    /// A cursor at this position.
    pub fn new(
        invocation_id: Uuid,
        usn_vector: UsnVector,
        up_to_date: Option<UpToDateVector>,
    ) -> Self {
        Self {
            invocation_id,
            usn_vector,
            up_to_date,
        }
    }

    /// Whether this is the start of a full replication (nothing saved).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The saved form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(u8::from(self.up_to_date.is_some()));
        out.extend_from_slice(self.invocation_id.as_bytes());
        for v in [
            self.usn_vector.high_obj_update,
            self.usn_vector.reserved,
            self.usn_vector.high_prop_update,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        if let Some(vector) = &self.up_to_date {
            let count = u32::try_from(vector.cursors.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&count.to_le_bytes());
            for cursor in vector.cursors.iter().take(count as usize) {
                out.extend_from_slice(cursor.dsa.as_bytes());
                out.extend_from_slice(&cursor.high_prop_update.to_le_bytes());
                out.extend_from_slice(&cursor.time_last_sync_success.to_le_bytes());
            }
        }
        out
    }

    /// Reads the saved form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CursorError> {
        let mut input = Input { bytes, at: 0 };
        if input.take(MAGIC.len())? != MAGIC {
            return Err(CursorError::BadMagic);
        }
        let version = input.take(1)?[0];
        if version != VERSION {
            return Err(CursorError::UnsupportedVersion(version));
        }
        let flags_at = input.at;
        let flags = input.take(1)?[0];
        if flags > 1 {
            return Err(CursorError::Malformed(flags_at));
        }
        let invocation_id = Uuid::from_bytes(input.array()?);
        let usn_vector = UsnVector::new(input.i64()?, input.i64()?, input.i64()?);
        let up_to_date = if flags == 1 {
            let count = u32::from_le_bytes(input.array()?) as usize;
            if count.saturating_mul(CURSOR_SIZE) > bytes.len() - input.at {
                return Err(CursorError::Truncated(input.at));
            }
            let mut cursors = Vec::with_capacity(count);
            for _ in 0..count {
                let dsa = Uuid::from_bytes(input.array()?);
                cursors.push(UpToDateCursor::new(dsa, input.i64()?, input.i64()?));
            }
            Some(UpToDateVector { cursors })
        } else {
            None
        };
        if input.at != bytes.len() {
            return Err(CursorError::Malformed(input.at));
        }
        Ok(Self {
            invocation_id,
            usn_vector,
            up_to_date,
        })
    }
}

impl GetNcChangesReply {
    /// Where the replication stands after this reply: its
    /// `uuidInvocIdSrc` and `usnvecTo`, and its up-to-dateness vector if it
    /// sent one (the last page of a cycle does), else `previous`'s.
    pub fn cursor_after(&self, previous: &ReplicationCursor) -> ReplicationCursor {
        ReplicationCursor {
            invocation_id: self.invocation_id_src,
            usn_vector: self.usn_vector_to,
            up_to_date: self
                .up_to_date_src
                .clone()
                .or_else(|| previous.up_to_date.clone()),
        }
    }
}

struct Input<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CursorError> {
        let out = self
            .bytes
            .get(self.at..self.at.saturating_add(n))
            .ok_or(CursorError::Truncated(self.at))?;
        self.at += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CursorError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn i64(&mut self) -> Result<i64, CursorError> {
        self.array().map(i64::from_le_bytes)
    }
}
