//! The LDAP controls the adapter sends: DirSync (MS-ADTS 3.1.1.3.4.1.3)
//! and Samba's bypass-password-hash control.

use bytes::BytesMut;
use ldap3::asn1::{ASNTag, Integer, OctetString, Sequence, Tag, parse_tag, parse_uint, write};
use ldap3::controls::RawControl;

/// `LDAP_SERVER_DIRSYNC_OID`.
pub const DIRSYNC_OID: &str = "1.2.840.113556.1.4.841";

/// Samba's `DSDB_CONTROL_BYPASS_PASSWORD_HASH_OID`: lets a system session
/// write `unicodePwd` and `supplementalCredentials` as hashes.
pub const BYPASS_PASSWORD_HASH_OID: &str = "1.3.6.1.4.1.7165.4.3.12";

/// The DirSync request control: `SEQUENCE { flags INTEGER, maxBytes
/// INTEGER, cookie OCTET STRING }`, critical (Samba refuses it otherwise).
pub fn dirsync_request(cookie: &[u8]) -> RawControl {
    let value = Tag::Sequence(Sequence {
        inner: vec![
            Tag::Integer(Integer {
                inner: 0,
                ..Default::default()
            }),
            // Samba ignores the size limit and answers in one piece; ask
            // for the largest AD allows anyway.
            Tag::Integer(Integer {
                inner: 0x7fff_ffff,
                ..Default::default()
            }),
            Tag::OctetString(OctetString {
                inner: cookie.to_vec(),
                ..Default::default()
            }),
        ],
        ..Default::default()
    })
    .into_structure();
    let mut buf = BytesMut::with_capacity(cookie.len() + 16);
    // Encoding into a growable buffer cannot fail.
    let _ = write::encode_into(&mut buf, value);
    RawControl {
        ctype: DIRSYNC_OID.to_owned(),
        crit: true,
        val: Some(buf.to_vec()),
    }
}

/// The cookie of a DirSync response control (`SEQUENCE { moreResults
/// INTEGER, unused INTEGER, cookie OCTET STRING }`), or why it is unusable.
pub fn dirsync_response_cookie(value: &[u8]) -> Result<(bool, Vec<u8>), String> {
    let (_, tag) = parse_tag(value).map_err(|_| "DirSync response is not BER".to_owned())?;
    let mut parts = tag
        .expect_constructed()
        .ok_or("DirSync response is not a SEQUENCE")?
        .into_iter();
    let more = parts
        .next()
        .and_then(|t| t.expect_primitive())
        .and_then(|bytes| parse_uint(&bytes).ok().map(|(_, v)| v != 0))
        .ok_or("DirSync response lacks moreResults")?;
    let _unused = parts.next();
    let cookie = parts
        .next()
        .and_then(|t| t.expect_primitive())
        .ok_or("DirSync response lacks a cookie")?;
    Ok((more, cookie))
}

/// Samba's bypass control, not critical (as `samba-tool` sends it).
pub fn bypass_password_hash() -> RawControl {
    RawControl {
        ctype: BYPASS_PASSWORD_HASH_OID.to_owned(),
        crit: false,
        val: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected bytes written by hand from X.690 (DER of the SEQUENCE).
    #[test]
    fn dirsync_request_encodes_flags_size_and_cookie() {
        let control = dirsync_request(b"ab");
        assert!(control.crit);
        assert_eq!(
            control.val.unwrap(),
            [
                0x30, 0x0d, 0x02, 0x01, 0x00, 0x02, 0x04, 0x7f, 0xff, 0xff, 0xff, 0x04, 0x02, b'a',
                b'b'
            ]
        );
    }

    #[test]
    fn dirsync_response_cookie_is_read() {
        let value = [
            0x30, 0x0a, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x04, 0x02, b'x', b'y',
        ];
        assert_eq!(
            dirsync_response_cookie(&value).unwrap(),
            (false, b"xy".to_vec())
        );
        assert!(dirsync_response_cookie(&[0x30, 0x00]).is_err());
        assert!(dirsync_response_cookie(&[0xff]).is_err());
    }
}
