//! `IDL_DRSBind` (opnum 0, MS-DRSR 4.1.3) and `IDL_DRSUnbind` (opnum 1,
//! 4.1.25).

use core::fmt;

use uuid::Uuid;

use super::DrsExtensions;
use crate::ndr::{NdrError, NdrReader, NdrWriter, read_pointee, write_pointee};

/// `DRS_HANDLE`: the 20-byte RPC context handle `IDL_DRSBind` returns
/// (`attributes`, then a GUID), passed to every later call.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DrsHandle(pub [u8; 20]);

impl DrsHandle {
    fn write(&self, w: &mut NdrWriter) {
        w.align(4);
        w.bytes(&self.0);
    }

    fn read(r: &mut NdrReader<'_>, what: &'static str) -> Result<Self, NdrError> {
        r.align(4, what)?;
        let mut handle = [0; 20];
        handle.copy_from_slice(r.take(20, what)?);
        Ok(Self(handle))
    }

    /// Whether this is the null handle (all zero), as `IDL_DRSUnbind`
    /// returns it.
    pub fn is_null(&self) -> bool {
        self.0 == [0; 20]
    }
}

impl fmt::Debug for DrsHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DrsHandle(")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// The `IDL_DRSBind` request: `[in, unique] UUID* puuidClientDsa`,
/// `[in, unique] DRS_EXTENSIONS* pextClient`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BindRequest {
    /// `puuidClientDsa`: the client's identifier (must not be the null
    /// GUID, MS-DRSR 4.1.3.2).
    pub client_dsa: Uuid,
    /// `pextClient`.
    pub extensions: DrsExtensions,
}

impl BindRequest {
    /// The opnum of `IDL_DRSBind`.
    pub const OPNUM: u16 = 0;

    /// A request from `client_dsa` with these extensions.
    pub fn new(client_dsa: Uuid, extensions: DrsExtensions) -> Self {
        Self {
            client_dsa,
            extensions,
        }
    }

    /// The request stub.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = NdrWriter::new();
        w.pointer(true);
        w.guid(&self.client_dsa);
        w.pointer(true);
        write_pointee(&mut w, Some(&self.extensions));
        w.into_bytes()
    }

    /// Parses a request stub (for tests and captures).
    pub fn decode(stub: &[u8]) -> Result<Self, NdrError> {
        let mut r = NdrReader::new(stub);
        let offset = r.offset();
        if !r.unique_pointer("puuidClientDsa")? {
            return Err(NdrError::InvalidValue {
                what: "puuidClientDsa",
                offset,
                reason: "a replication client names itself",
            });
        }
        let client_dsa = r.guid("puuidClientDsa")?;
        let offset = r.offset();
        let present = r.unique_pointer("pextClient")?;
        let extensions = read_pointee(&mut r, present)?.ok_or(NdrError::InvalidValue {
            what: "pextClient",
            offset,
            reason: "a replication client sends its extensions",
        })?;
        r.finish("IDL_DRSBind request")?;
        Ok(Self {
            client_dsa,
            extensions,
        })
    }
}

/// The `IDL_DRSBind` reply: `[out] DRS_EXTENSIONS** ppextServer`,
/// `[out, ref] DRS_HANDLE* phDrs`, and the return value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BindReply {
    /// `ppextServer`: the server's extensions (null from some servers).
    pub server_extensions: Option<DrsExtensions>,
    /// `phDrs`.
    pub handle: DrsHandle,
    /// The return value: 0 on success, else a Windows error code.
    pub return_code: u32,
}

impl BindReply {
    /// A reply with these fields.
    pub fn new(
        server_extensions: Option<DrsExtensions>,
        handle: DrsHandle,
        return_code: u32,
    ) -> Self {
        Self {
            server_extensions,
            handle,
            return_code,
        }
    }

    /// The reply stub (for tests).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = NdrWriter::new();
        w.pointer(self.server_extensions.is_some());
        write_pointee(&mut w, self.server_extensions.as_ref());
        self.handle.write(&mut w);
        w.u32(self.return_code);
        w.into_bytes()
    }

    /// Parses the reply stub.
    pub fn decode(stub: &[u8]) -> Result<Self, NdrError> {
        let mut r = NdrReader::new(stub);
        let present = r.unique_pointer("ppextServer")?;
        let server_extensions = read_pointee(&mut r, present)?;
        let handle = DrsHandle::read(&mut r, "phDrs")?;
        let return_code = r.u32("IDL_DRSBind return value")?;
        r.finish("IDL_DRSBind reply")?;
        Ok(Self {
            server_extensions,
            handle,
            return_code,
        })
    }
}

/// The `IDL_DRSUnbind` request: `[in, out, ref] DRS_HANDLE* phDrs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnbindRequest {
    /// The handle to release.
    pub handle: DrsHandle,
}

impl UnbindRequest {
    /// The opnum of `IDL_DRSUnbind`.
    pub const OPNUM: u16 = 1;

    /// A request releasing `handle`.
    pub fn new(handle: DrsHandle) -> Self {
        Self { handle }
    }

    /// The request stub.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = NdrWriter::new();
        self.handle.write(&mut w);
        w.into_bytes()
    }

    /// Parses a request stub.
    pub fn decode(stub: &[u8]) -> Result<Self, NdrError> {
        let mut r = NdrReader::new(stub);
        let handle = DrsHandle::read(&mut r, "phDrs")?;
        r.finish("IDL_DRSUnbind request")?;
        Ok(Self { handle })
    }
}

/// The `IDL_DRSUnbind` reply: the handle (null once released) and the
/// return value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnbindReply {
    /// `phDrs` after the call.
    pub handle: DrsHandle,
    /// The return value.
    pub return_code: u32,
}

impl UnbindReply {
    /// A reply with these fields.
    pub fn new(handle: DrsHandle, return_code: u32) -> Self {
        Self {
            handle,
            return_code,
        }
    }

    /// The reply stub (for tests).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = NdrWriter::new();
        self.handle.write(&mut w);
        w.u32(self.return_code);
        w.into_bytes()
    }

    /// Parses the reply stub.
    pub fn decode(stub: &[u8]) -> Result<Self, NdrError> {
        let mut r = NdrReader::new(stub);
        let handle = DrsHandle::read(&mut r, "phDrs")?;
        let return_code = r.u32("IDL_DRSUnbind return value")?;
        r.finish("IDL_DRSUnbind reply")?;
        Ok(Self {
            handle,
            return_code,
        })
    }
}
