//! A record of an association's traffic, for test vectors: every PDU as
//! sent and received, and every call's plaintext request and reply stub.
//!
//! A transcript of a sealed association holds what sealing protects (the
//! plaintext stubs, which for DRS carry encrypted secrets and names):
//! record one only against a test directory.

/// Which way bytes went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Client to server.
    Sent,
    /// Server to client.
    Received,
}

/// One recorded item.
#[derive(Clone, PartialEq, Eq)]
pub struct TranscriptEntry {
    /// Which way.
    pub direction: Direction,
    /// `"pdu"` (a raw fragment as on the wire) or `"stub"` (a call's
    /// whole plaintext stub).
    pub kind: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl core::fmt::Debug for TranscriptEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{:?} {} ({} bytes)",
            self.direction,
            self.kind,
            self.bytes.len()
        )
    }
}

/// The recorded traffic, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// The entries, oldest first.
    pub entries: Vec<TranscriptEntry>,
}

impl Transcript {
    pub(crate) fn push(&mut self, direction: Direction, kind: &'static str, bytes: &[u8]) {
        self.entries.push(TranscriptEntry {
            direction,
            kind,
            bytes: bytes.to_vec(),
        });
    }

    /// The entries of one kind and direction.
    pub fn of(&self, direction: Direction, kind: &str) -> impl Iterator<Item = &[u8]> {
        self.entries
            .iter()
            .filter(move |e| e.direction == direction && e.kind == kind)
            .map(|e| e.bytes.as_slice())
    }
}
