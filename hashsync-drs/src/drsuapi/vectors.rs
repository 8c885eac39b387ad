//! `USN_VECTOR` (MS-DRSR 5.209) and the up-to-dateness vectors
//! `UPTODATE_VECTOR_V1_EXT` / `_V2_EXT` (5.213, 5.214): together, where a
//! replication client is.

use uuid::Uuid;

use crate::ndr::{NdrError, NdrReader, NdrType, NdrWriter, len_u32};

/// `USN_VECTOR`: how far a client has read one server's changes
/// (`usnvecFrom` in a request, `usnvecTo` in a reply). All zero for a
/// full replication.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UsnVector {
    /// `usnHighObjUpdate`.
    pub high_obj_update: i64,
    /// `usnReserved`.
    pub reserved: i64,
    /// `usnHighPropUpdate`.
    pub high_prop_update: i64,
}

impl UsnVector {
    /// The vector with these fields.
    pub fn new(high_obj_update: i64, reserved: i64, high_prop_update: i64) -> Self {
        Self {
            high_obj_update,
            reserved,
            high_prop_update,
        }
    }
}

impl NdrType for UsnVector {
    type Scalars = Self;
    const MIN_WIRE_SIZE: usize = 24;

    fn write_scalars(&self, w: &mut NdrWriter) {
        w.i64(self.high_obj_update);
        w.i64(self.reserved);
        w.i64(self.high_prop_update);
    }

    fn write_deferred(&self, _: &mut NdrWriter) {}

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        Ok(Self {
            high_obj_update: r.i64("USN_VECTOR.usnHighObjUpdate")?,
            reserved: r.i64("USN_VECTOR.usnReserved")?,
            high_prop_update: r.i64("USN_VECTOR.usnHighPropUpdate")?,
        })
    }

    fn read_deferred(scalars: Self, _: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        Ok(scalars)
    }
}

/// One cursor of an up-to-dateness vector: the highest change of one
/// originating DC (by its invocation id) that the holder has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UpToDateCursor {
    /// `uuidDsa`: the originating DC's invocation id.
    pub dsa: Uuid,
    /// `usnHighPropUpdate`.
    pub high_prop_update: i64,
    /// `timeLastSyncSuccess` (a `DSTIME`, seconds since year 1; version 2
    /// only: 0 in a version-1 vector).
    pub time_last_sync_success: i64,
}

impl UpToDateCursor {
    /// A cursor with these fields.
    pub fn new(dsa: Uuid, high_prop_update: i64, time_last_sync_success: i64) -> Self {
        Self {
            dsa,
            high_prop_update,
            time_last_sync_success,
        }
    }
}

/// Cursors a vector may hold (`[range(0,0x100000)] cNumCursors`).
const MAX_CURSORS: u32 = 0x0010_0000;

/// An up-to-dateness vector: a reply's `pUpToDateVecSrc` (version 2, with
/// times) and what the client sends back as `pUpToDateVecDest` (version 1,
/// without). MS-DRSR wants the cursors sorted by `dsa`; the server's come
/// sorted, and [`UpToDateVector::new`] sorts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UpToDateVector {
    /// The cursors.
    pub cursors: Vec<UpToDateCursor>,
}

impl UpToDateVector {
    /// A vector of these cursors, sorted by `dsa`.
    pub fn new(mut cursors: Vec<UpToDateCursor>) -> Self {
        cursors.sort_by_key(|c| c.dsa);
        Self { cursors }
    }
}

/// The vector as `UPTODATE_VECTOR_V1_EXT` (requests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UpToDateV1(pub UpToDateVector);

/// The vector as `UPTODATE_VECTOR_V2_EXT` (replies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UpToDateV2(pub UpToDateVector);

fn write_vector(w: &mut NdrWriter, vector: &UpToDateVector, version: u32) {
    let count = len_u32(vector.cursors.len());
    w.conformance(count);
    w.align(8);
    w.u32(version);
    w.u32(0);
    w.u32(count);
    w.u32(0);
    for cursor in &vector.cursors {
        w.guid(&cursor.dsa);
        w.i64(cursor.high_prop_update);
        if version == 2 {
            w.i64(cursor.time_last_sync_success);
        }
    }
}

fn read_vector(r: &mut NdrReader<'_>, version: u32) -> Result<UpToDateVector, NdrError> {
    let what = if version == 1 {
        "UPTODATE_VECTOR_V1_EXT"
    } else {
        "UPTODATE_VECTOR_V2_EXT"
    };
    let max_count = r.conformance(what, None)?;
    r.align(8, what)?;
    let version_offset = r.offset();
    let found = r.u32("UPTODATE_VECTOR.dwVersion")?;
    if found != version {
        return Err(NdrError::InvalidValue {
            what,
            offset: version_offset,
            reason: "dwVersion does not match the vector's type",
        });
    }
    r.u32("UPTODATE_VECTOR.dwReserved1")?;
    let count = r.size_is(
        "UPTODATE_VECTOR.cNumCursors",
        what,
        max_count,
        (0, MAX_CURSORS),
    )?;
    r.u32("UPTODATE_VECTOR.dwReserved2")?;
    let cursor_size = if version == 1 { 24 } else { 32 };
    let count = r.count("UPTODATE_VECTOR.rgCursors", count, cursor_size)?;
    let mut cursors = Vec::with_capacity(count);
    for _ in 0..count {
        r.align(8, "UPTODATE_CURSOR")?;
        let dsa = r.guid("UPTODATE_CURSOR.uuidDsa")?;
        let high_prop_update = r.i64("UPTODATE_CURSOR.usnHighPropUpdate")?;
        let time_last_sync_success = if version == 2 {
            r.i64("UPTODATE_CURSOR_V2.timeLastSyncSuccess")?
        } else {
            0
        };
        cursors.push(UpToDateCursor {
            dsa,
            high_prop_update,
            time_last_sync_success,
        });
    }
    Ok(UpToDateVector { cursors })
}

impl NdrType for UpToDateV1 {
    type Scalars = Self;
    const MIN_WIRE_SIZE: usize = 20;

    fn write_scalars(&self, w: &mut NdrWriter) {
        write_vector(w, &self.0, 1);
    }

    fn write_deferred(&self, _: &mut NdrWriter) {}

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        read_vector(r, 1).map(Self)
    }

    fn read_deferred(scalars: Self, _: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        Ok(scalars)
    }
}

impl NdrType for UpToDateV2 {
    type Scalars = Self;
    const MIN_WIRE_SIZE: usize = 20;

    fn write_scalars(&self, w: &mut NdrWriter) {
        write_vector(w, &self.0, 2);
    }

    fn write_deferred(&self, _: &mut NdrWriter) {}

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        read_vector(r, 2).map(Self)
    }

    fn read_deferred(scalars: Self, _: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        Ok(scalars)
    }
}
