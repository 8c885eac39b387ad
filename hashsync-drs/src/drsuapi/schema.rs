//! The attributes a password-hash-sync replication reads (their OIDs from
//! MS-ADA1/MS-ADA3 and RFC 4512), and `PARTIAL_ATTR_VECTOR_V1_EXT`
//! (MS-DRSR 5.146), the set a request asks for.

use const_oid::ObjectIdentifier;

use super::{AttrTyp, PrefixTable};
use crate::ndr::{NdrError, NdrReader, NdrType, NdrWriter, len_u32};

const fn oid(dotted: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(dotted)
}

/// `objectClass` (RFC 4512 2.5.4.0).
pub const OBJECT_CLASS: ObjectIdentifier = oid("2.5.4.0");
/// `objectGUID`.
pub const OBJECT_GUID: ObjectIdentifier = oid("1.2.840.113556.1.4.2");
/// `objectSid`.
pub const OBJECT_SID: ObjectIdentifier = oid("1.2.840.113556.1.4.146");
/// `sAMAccountName`.
pub const SAM_ACCOUNT_NAME: ObjectIdentifier = oid("1.2.840.113556.1.4.221");
/// `userPrincipalName`.
pub const USER_PRINCIPAL_NAME: ObjectIdentifier = oid("1.2.840.113556.1.4.656");
/// `userAccountControl`.
pub const USER_ACCOUNT_CONTROL: ObjectIdentifier = oid("1.2.840.113556.1.4.8");
/// `pwdLastSet`.
pub const PWD_LAST_SET: ObjectIdentifier = oid("1.2.840.113556.1.4.96");
/// `isDeleted`.
pub const IS_DELETED: ObjectIdentifier = oid("1.2.840.113556.1.2.48");
/// `adminDescription`.
pub const ADMIN_DESCRIPTION: ObjectIdentifier = oid("1.2.840.113556.1.2.226");
/// `isCriticalSystemObject`.
pub const IS_CRITICAL_SYSTEM_OBJECT: ObjectIdentifier = oid("1.2.840.113556.1.4.868");
/// `unicodePwd` (secret: the NT hash).
pub const UNICODE_PWD: ObjectIdentifier = oid("1.2.840.113556.1.4.90");
/// `supplementalCredentials` (secret: `USER_PROPERTIES`).
pub const SUPPLEMENTAL_CREDENTIALS: ObjectIdentifier = oid("1.2.840.113556.1.4.125");
/// `ntPwdHistory` (secret).
pub const NT_PWD_HISTORY: ObjectIdentifier = oid("1.2.840.113556.1.4.94");
/// `lmPwdHistory` (secret).
pub const LM_PWD_HISTORY: ObjectIdentifier = oid("1.2.840.113556.1.4.160");
/// `dBCSPwd` (secret: the LM hash).
pub const DBCS_PWD: ObjectIdentifier = oid("1.2.840.113556.1.4.55");

/// The `user` class (a value of `objectClass`).
pub const CLASS_USER: ObjectIdentifier = oid("1.2.840.113556.1.5.9");
/// The `computer` class.
pub const CLASS_COMPUTER: ObjectIdentifier = oid("1.2.840.113556.1.3.30");

/// Every attribute of password hash sync's partial attribute set, with
/// its LDAP display name: scope and credentials.
pub const REPLICATED_ATTRIBUTES: [(&str, ObjectIdentifier); 15] = [
    ("objectClass", OBJECT_CLASS),
    ("objectGUID", OBJECT_GUID),
    ("objectSid", OBJECT_SID),
    ("sAMAccountName", SAM_ACCOUNT_NAME),
    ("userPrincipalName", USER_PRINCIPAL_NAME),
    ("userAccountControl", USER_ACCOUNT_CONTROL),
    ("pwdLastSet", PWD_LAST_SET),
    ("isDeleted", IS_DELETED),
    ("adminDescription", ADMIN_DESCRIPTION),
    ("isCriticalSystemObject", IS_CRITICAL_SYSTEM_OBJECT),
    ("unicodePwd", UNICODE_PWD),
    ("supplementalCredentials", SUPPLEMENTAL_CREDENTIALS),
    ("ntPwdHistory", NT_PWD_HISTORY),
    ("lmPwdHistory", LM_PWD_HISTORY),
    ("dBCSPwd", DBCS_PWD),
];

/// The attributes replication delivers encrypted with the session key.
pub const SECRET_ATTRIBUTES: [ObjectIdentifier; 5] = [
    UNICODE_PWD,
    SUPPLEMENTAL_CREDENTIALS,
    NT_PWD_HISTORY,
    LM_PWD_HISTORY,
    DBCS_PWD,
];

/// The LDAP display name of one of [`REPLICATED_ATTRIBUTES`].
pub fn attribute_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    REPLICATED_ATTRIBUTES
        .iter()
        .find(|(_, o)| o == oid)
        .map(|(name, _)| *name)
}

/// Whether replication encrypts this attribute's values.
pub fn is_secret(oid: &ObjectIdentifier) -> bool {
    SECRET_ATTRIBUTES.contains(oid)
}

/// Attributes a set may hold (`[range(1,1048576)] cAttrs`).
const MAX_ATTRIBUTES: u32 = 0x0010_0000;

/// `PARTIAL_ATTR_VECTOR_V1_EXT`: the attributes a request asks for, as
/// ATTRTYPs of the client's prefix table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PartialAttributeSet {
    /// `rgPartialAttr` (`cAttrs` of them; at least one on the wire).
    pub attributes: Vec<AttrTyp>,
}

impl PartialAttributeSet {
    /// A set of these ATTRTYPs.
    pub fn new(attributes: Vec<AttrTyp>) -> Self {
        Self { attributes }
    }

    /// The client's prefix table and partial attribute set for `oids`.
    /// MS-DRSR asks for the set sorted by ATTRTYP; it is.
    pub fn for_oids(oids: &[ObjectIdentifier]) -> (PrefixTable, Self) {
        let mut table = PrefixTable::default();
        let mut attributes: Vec<AttrTyp> = oids.iter().filter_map(|o| table.add(o)).collect();
        attributes.sort();
        attributes.dedup();
        (table, Self { attributes })
    }

    /// [`PartialAttributeSet::for_oids`] of [`REPLICATED_ATTRIBUTES`].
    pub fn password_sync() -> (PrefixTable, Self) {
        let oids = REPLICATED_ATTRIBUTES.map(|(_, oid)| oid);
        Self::for_oids(&oids)
    }
}

impl NdrType for PartialAttributeSet {
    type Scalars = Self;
    const MIN_WIRE_SIZE: usize = 16;

    fn write_scalars(&self, w: &mut NdrWriter) {
        let count = len_u32(self.attributes.len());
        w.conformance(count);
        w.u32(1);
        w.u32(0);
        w.u32(count);
        for attribute in &self.attributes {
            w.u32(attribute.0);
        }
    }

    fn write_deferred(&self, _: &mut NdrWriter) {}

    fn read_scalars(r: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        let what = "PARTIAL_ATTR_VECTOR_V1_EXT.rgPartialAttr";
        let max_count = r.conformance(what, None)?;
        let version_offset = r.offset();
        if r.u32("PARTIAL_ATTR_VECTOR_V1_EXT.dwVersion")? != 1 {
            return Err(NdrError::InvalidValue {
                what: "PARTIAL_ATTR_VECTOR_V1_EXT.dwVersion",
                offset: version_offset,
                reason: "must be 1",
            });
        }
        r.u32("PARTIAL_ATTR_VECTOR_V1_EXT.dwReserved1")?;
        let count = r.size_is(
            "PARTIAL_ATTR_VECTOR_V1_EXT.cAttrs",
            what,
            max_count,
            (1, MAX_ATTRIBUTES),
        )?;
        let count = r.count(what, count, 4)?;
        let mut attributes = Vec::with_capacity(count);
        for _ in 0..count {
            attributes.push(AttrTyp(r.u32(what)?));
        }
        Ok(Self { attributes })
    }

    fn read_deferred(scalars: Self, _: &mut NdrReader<'_>) -> Result<Self, NdrError> {
        Ok(scalars)
    }
}
