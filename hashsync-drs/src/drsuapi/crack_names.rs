//! `IDL_DRSCrackNames` (opnum 12, MS-DRSR 4.1.4): translating a name from
//! one format to another, the way a replication client learns the
//! distinguished name of the domain it was given as `DOMAIN\`.

use super::DrsHandle;
use crate::ndr::{NdrError, NdrReader, NdrType, NdrWriter, read_pointee};

/// `DS_NAME_FORMAT` values (MS-DRSR 4.1.4.1.3) the crate uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameFormat {
    /// `DS_FQDN_1779_NAME` (1): a distinguished name.
    Fqdn1779,
    /// `DS_NT4_ACCOUNT_NAME` (2): `DOMAIN\user`, or `DOMAIN\` for the
    /// domain itself.
    Nt4Account,
    /// `DS_CANONICAL_NAME` (7): `example.com/Users/jdoe`.
    Canonical,
}

impl NameFormat {
    /// The wire value.
    pub fn value(self) -> u32 {
        match self {
            Self::Fqdn1779 => 1,
            Self::Nt4Account => 2,
            Self::Canonical => 7,
        }
    }
}

/// `DS_NAME_NO_ERROR`: the name was translated.
pub const DS_NAME_NO_ERROR: u32 = 0;

/// `IDL_DRSCrackNames` with `DRS_MSG_CRACKREQ_V1`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CrackNamesRequest {
    /// `hDrs`, from `IDL_DRSBind`.
    pub handle: DrsHandle,
    /// `formatOffered`.
    pub offered: NameFormat,
    /// `formatDesired`.
    pub desired: NameFormat,
    /// `rpNames` (1 to 10,000 of them).
    pub names: Vec<String>,
}

impl CrackNamesRequest {
    /// The opnum of `IDL_DRSCrackNames`.
    pub const OPNUM: u16 = 12;
    /// `dwInVersion`.
    pub const VERSION: u32 = 1;

    /// Translates `names` from `offered` to `desired`.
    pub fn new(
        handle: DrsHandle,
        offered: NameFormat,
        desired: NameFormat,
        names: Vec<String>,
    ) -> Self {
        Self {
            handle,
            offered,
            desired,
            names,
        }
    }

    /// The request stub: `hDrs`, `dwInVersion`, then `pmsgIn` (`[ref]`):
    /// the union's discriminant and the version-1 arm, whose `rpNames`
    /// pointee (an array of string pointers, then the strings) follows it.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = NdrWriter::new();
        w.bytes(&self.handle.0);
        w.u32(Self::VERSION);
        w.u32(Self::VERSION);
        // CodePage and LocaleId: the server's defaults (0, and US English
        // as Windows clients send it); dwFlags 0.
        w.u32(0);
        w.u32(0x0000_0409);
        w.u32(0);
        w.u32(self.offered.value());
        w.u32(self.desired.value());
        let count = crate::ndr::len_u32(self.names.len());
        w.u32(count);
        w.pointer(true);
        w.conformance(count);
        for _ in &self.names {
            w.pointer(true);
        }
        for name in &self.names {
            w.wide_string(name);
        }
        w.into_bytes()
    }
}

/// One translated name: `DS_NAME_RESULT_ITEMW`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CrackedName {
    /// `status`: [`DS_NAME_NO_ERROR`] or a `DS_NAME_ERROR_*` value.
    pub status: u32,
    /// `pDomain`: the DNS name of the domain the name is in.
    pub domain: Option<String>,
    /// `pName`: the name in the desired format.
    pub name: Option<String>,
}

impl NdrType for CrackedName {
    type Scalars = (u32, bool, bool);
    const MIN_WIRE_SIZE: usize = 12;

    fn write_scalars(&self, w: &mut NdrWriter) {
        w.u32(self.status);
        w.pointer(self.domain.is_some());
        w.pointer(self.name.is_some());
    }

    fn write_deferred(&self, w: &mut NdrWriter) {
        for text in [&self.domain, &self.name].into_iter().flatten() {
            w.wide_string(text);
        }
    }

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self::Scalars, NdrError> {
        let status = r.u32("DS_NAME_RESULT_ITEMW.status")?;
        let domain = r.unique_pointer("DS_NAME_RESULT_ITEMW.pDomain")?;
        let name = r.unique_pointer("DS_NAME_RESULT_ITEMW.pName")?;
        Ok((status, domain, name))
    }

    fn read_deferred(
        (status, domain, name): Self::Scalars,
        r: &mut NdrReader<'_>,
    ) -> Result<Self, NdrError> {
        let domain = domain
            .then(|| r.wide_string("DS_NAME_RESULT_ITEMW.pDomain"))
            .transpose()?;
        let name = name
            .then(|| r.wide_string("DS_NAME_RESULT_ITEMW.pName"))
            .transpose()?;
        Ok(Self {
            status,
            domain,
            name,
        })
    }
}

/// `DS_NAME_RESULTW`: `cItems`, then the `rItems` pointer.
struct NameResult(Vec<CrackedName>);

impl NdrType for NameResult {
    type Scalars = (u32, bool);
    const MIN_WIRE_SIZE: usize = 8;

    fn write_scalars(&self, w: &mut NdrWriter) {
        w.u32(crate::ndr::len_u32(self.0.len()));
        w.pointer(true);
    }

    fn write_deferred(&self, w: &mut NdrWriter) {
        crate::ndr::write_conformant_array(w, &self.0);
    }

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self::Scalars, NdrError> {
        let count = r.u32("DS_NAME_RESULTW.cItems")?;
        let present = r.unique_pointer("DS_NAME_RESULTW.rItems")?;
        Ok((count, present))
    }

    fn read_deferred(
        (count, present): Self::Scalars,
        r: &mut NdrReader<'_>,
    ) -> Result<Self, NdrError> {
        if !present {
            return Ok(Self(Vec::new()));
        }
        crate::ndr::read_conformant_array(r, "DS_NAME_RESULTW.rItems", count).map(Self)
    }
}

/// The `IDL_DRSCrackNames` reply: `pdwOutVersion` (1), the
/// `DRS_MSG_CRACKREPLY_V1` arm and the return value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CrackNamesReply {
    /// The translated names, in request order.
    pub items: Vec<CrackedName>,
    /// The return value: 0, or a Windows error code.
    pub return_code: u32,
}

impl CrackNamesReply {
    /// The reply stub (for tests).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = NdrWriter::new();
        w.u32(CrackNamesRequest::VERSION);
        w.u32(CrackNamesRequest::VERSION);
        w.pointer(true);
        crate::ndr::write_value(&mut w, &NameResult(self.items.clone()));
        w.u32(self.return_code);
        w.into_bytes()
    }

    /// Parses the reply stub; any version but 1 is refused.
    pub fn decode(stub: &[u8]) -> Result<Self, NdrError> {
        let mut r = NdrReader::new(stub);
        for what in ["pdwOutVersion", "DRS_MSG_CRACKREPLY switch"] {
            let offset = r.offset();
            let version = r.u32(what)?;
            if version != CrackNamesRequest::VERSION {
                return Err(NdrError::UnsupportedVersion {
                    what,
                    offset,
                    version,
                    supported: "1",
                });
            }
        }
        let present = r.unique_pointer("DRS_MSG_CRACKREPLY_V1.pResult")?;
        let items = read_pointee::<NameResult>(&mut r, present)?.map_or_else(Vec::new, |n| n.0);
        let return_code = r.u32("IDL_DRSCrackNames return value")?;
        r.finish("IDL_DRSCrackNames reply")?;
        Ok(Self { items, return_code })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `DOMAIN\` offered as NT4, a DN desired: the bytes written out by
    /// hand from the IDL (C706 14.3: a [ref] union pointer has no referent
    /// id; an array of string pointers is its conformance, the referent
    /// ids, then each string as max count, offset, actual count, units).
    #[test]
    fn the_request_is_laid_out_as_the_idl_says() {
        let handle = DrsHandle([0xAB; 20]);
        let stub = CrackNamesRequest::new(
            handle,
            NameFormat::Nt4Account,
            NameFormat::Fqdn1779,
            vec!["AB\\".into()],
        )
        .encode();
        let mut expected = vec![0xAB; 20];
        for word in [1u32, 1, 0, 0x409, 0, 2, 1, 1] {
            expected.extend_from_slice(&word.to_le_bytes());
        }
        // rpNames: a referent id (any non-zero), then its pointee.
        assert_ne!(&stub[52..56], &[0, 0, 0, 0]);
        expected.extend_from_slice(&stub[52..56]);
        expected.extend_from_slice(&1u32.to_le_bytes()); // conformance
        assert_ne!(&stub[60..64], &[0, 0, 0, 0]);
        expected.extend_from_slice(&stub[60..64]); // the string's referent
        for word in [4u32, 0, 4] {
            expected.extend_from_slice(&word.to_le_bytes());
        }
        for unit in ['A' as u16, 'B' as u16, '\\' as u16, 0] {
            expected.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(hex(&stub), hex(&expected));
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A reply written by hand: one item, status 0, domain "ad.test",
    /// name "DC=ad,DC=test".
    fn reply_bytes() -> Vec<u8> {
        let mut b = Vec::new();
        let word = |b: &mut Vec<u8>, w: u32| b.extend_from_slice(&w.to_le_bytes());
        word(&mut b, 1); // pdwOutVersion
        word(&mut b, 1); // switch
        word(&mut b, 0x0002_0000); // pResult
        word(&mut b, 1); // cItems
        word(&mut b, 0x0002_0004); // rItems
        word(&mut b, 1); // conformance
        word(&mut b, 0); // status
        word(&mut b, 0x0002_0008); // pDomain
        word(&mut b, 0x0002_000c); // pName
        let string = |b: &mut Vec<u8>, s: &str| {
            let units: Vec<u16> = s.encode_utf16().chain([0]).collect();
            while !b.len().is_multiple_of(4) {
                b.push(0);
            }
            for w in [units.len() as u32, 0, units.len() as u32] {
                b.extend_from_slice(&w.to_le_bytes());
            }
            for u in units {
                b.extend_from_slice(&u.to_le_bytes());
            }
        };
        string(&mut b, "ad.test");
        string(&mut b, "DC=ad,DC=test");
        while !b.len().is_multiple_of(4) {
            b.push(0);
        }
        b.extend_from_slice(&0u32.to_le_bytes()); // return value
        b
    }

    #[test]
    fn a_reply_written_from_the_idl_decodes() {
        let reply = CrackNamesReply::decode(&reply_bytes()).unwrap();
        assert_eq!(reply.return_code, 0);
        assert_eq!(reply.items.len(), 1);
        assert_eq!(reply.items[0].status, DS_NAME_NO_ERROR);
        assert_eq!(reply.items[0].domain.as_deref(), Some("ad.test"));
        assert_eq!(reply.items[0].name.as_deref(), Some("DC=ad,DC=test"));
        assert_eq!(CrackNamesReply::decode(&reply.encode()).unwrap(), reply);
    }

    #[test]
    fn a_truncated_or_mutated_reply_is_an_error_or_a_value_never_a_panic() {
        let bytes = reply_bytes();
        for cut in 0..bytes.len() {
            assert!(
                CrackNamesReply::decode(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut mutated = bytes.clone();
                mutated[at] ^= 1 << bit;
                let _ = CrackNamesReply::decode(&mutated);
            }
        }
        // A version other than 1 is named.
        let mut other = bytes.clone();
        other[0] = 2;
        assert!(matches!(
            CrackNamesReply::decode(&other),
            Err(NdrError::UnsupportedVersion { version: 2, .. })
        ));
    }
}
