//! What a [`SambaSource`](crate::SambaSource) cursor holds.
//!
//! A DirSync cookie survives the LDAP connection, a paged-results cookie
//! does not; so the cursor of a finished read is the DirSync cookie, and
//! the cursor of a full sync under way is the DirSync cookie taken when it
//! began plus the USN window it has reached. Either resumes after a crash.

use hashsync::sync::Cursor;

const INCREMENTAL: u8 = b'D';
const FULL_SCAN: u8 = b'F';

/// A decoded source position.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourcePosition {
    /// Everything up to the cookie has been read: continue with DirSync.
    Incremental {
        /// The DC's DirSync cookie.
        cookie: Vec<u8>,
    },
    /// A full sync under way: objects with `uSNChanged` below `next_usn`
    /// have been read; the scan ends at `end_usn` (the DC's highest
    /// committed USN when it began), then DirSync continues from `cookie`
    /// (taken just before), which also catches what changed meanwhile.
    FullScan {
        /// First USN not read yet.
        next_usn: u64,
        /// Last USN the scan covers.
        end_usn: u64,
        /// DirSync cookie from the start of the full sync.
        cookie: Vec<u8>,
    },
}

impl SourcePosition {
    /// The engine's opaque cursor.
    pub fn to_cursor(&self) -> Cursor {
        let mut bytes = Vec::new();
        match self {
            Self::Incremental { cookie } => {
                bytes.push(INCREMENTAL);
                bytes.extend_from_slice(cookie);
            }
            Self::FullScan {
                next_usn,
                end_usn,
                cookie,
            } => {
                bytes.push(FULL_SCAN);
                bytes.extend_from_slice(&next_usn.to_le_bytes());
                bytes.extend_from_slice(&end_usn.to_le_bytes());
                bytes.extend_from_slice(cookie);
            }
        }
        Cursor::new(bytes)
    }

    /// Decodes a cursor this source wrote; `None` for anything else.
    pub fn from_cursor(cursor: &Cursor) -> Option<Self> {
        let (&kind, rest) = cursor.as_bytes().split_first()?;
        match kind {
            INCREMENTAL => Some(Self::Incremental {
                cookie: rest.to_vec(),
            }),
            FULL_SCAN if rest.len() >= 16 => {
                let next_usn = u64::from_le_bytes(rest[..8].try_into().ok()?);
                let end_usn = u64::from_le_bytes(rest[8..16].try_into().ok()?);
                Some(Self::FullScan {
                    next_usn,
                    end_usn,
                    cookie: rest[16..].to_vec(),
                })
            }
            _ => None,
        }
    }

    /// Whether a saved cursor is a full sync that has not finished (a
    /// host reports the resumed run as a full sync).
    pub fn is_full_scan(cursor: &Cursor) -> bool {
        matches!(Self::from_cursor(cursor), Some(Self::FullScan { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_and_garbage_is_refused() {
        for position in [
            SourcePosition::Incremental {
                cookie: b"cookie".to_vec(),
            },
            SourcePosition::FullScan {
                next_usn: 4097,
                end_usn: u64::MAX,
                cookie: vec![0, 1, 2],
            },
        ] {
            let cursor = position.to_cursor();
            assert_eq!(SourcePosition::from_cursor(&cursor), Some(position));
        }
        assert_eq!(SourcePosition::from_cursor(&Cursor::new(b"")), None);
        assert_eq!(SourcePosition::from_cursor(&Cursor::new(b"F123")), None);
        assert_eq!(SourcePosition::from_cursor(&Cursor::new(b"X")), None);
    }
}
