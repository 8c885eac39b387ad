//! The ASCII hex encoding of `supplementalCredentials` property values.

use zeroize::Zeroizing;

use crate::error::FormatError;

/// Which letters hex digits above 9 use when a value is written.
///
/// MS-SAMR 2.2.10.2 says lower case; Windows follows it. Samba writes upper
/// case. Readers accept both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HexCase {
    /// `a`–`f`, as MS-SAMR specifies and Windows writes.
    #[default]
    Lower,
    /// `A`–`F`, as Samba writes.
    Upper,
}

impl HexCase {
    /// The case of the first letter digit in `text`, if it has one.
    pub(crate) fn detect(text: &[u8]) -> Option<Self> {
        text.iter().find_map(|c| match c {
            b'a'..=b'f' => Some(Self::Lower),
            b'A'..=b'F' => Some(Self::Upper),
            _ => None,
        })
    }
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex of either case; the output may hold keys, so it zeroizes.
pub(crate) fn decode(text: &[u8], field: &'static str) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    if !text.len().is_multiple_of(2) {
        return Err(FormatError::OddHexLength {
            field,
            length: text.len(),
        });
    }
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() / 2));
    for (i, pair) in text.chunks_exact(2).enumerate() {
        let high = nibble(pair[0]).ok_or(FormatError::NotHex {
            field,
            position: 2 * i,
        })?;
        let low = nibble(pair[1]).ok_or(FormatError::NotHex {
            field,
            position: 2 * i + 1,
        })?;
        out.push(high << 4 | low);
    }
    Ok(out)
}

/// Appends the hex of `bytes` to `out` in the chosen case.
pub(crate) fn encode_into(bytes: &[u8], case: HexCase, out: &mut Vec<u8>) {
    let digits: &[u8; 16] = match case {
        HexCase::Lower => b"0123456789abcdef",
        HexCase::Upper => b"0123456789ABCDEF",
    };
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(digits[usize::from(b >> 4)]);
        out.push(digits[usize::from(b & 0x0f)]);
    }
}
