//! UTF-16LE text fields, as AD formats carry names and salts.

use crate::error::FormatError;

/// Decodes UTF-16LE bytes; odd lengths and unpaired surrogates are errors.
pub(crate) fn decode_utf16le(bytes: &[u8], field: &'static str) -> Result<String, FormatError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(FormatError::InvalidUtf16 { field });
    }
    let units = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| FormatError::InvalidUtf16 { field })
}

/// Appends the UTF-16LE encoding of `text`.
pub(crate) fn encode_utf16le(text: &str, out: &mut Vec<u8>) {
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
}

/// Number of bytes `text` takes in UTF-16LE.
pub(crate) fn utf16le_len(text: &str) -> usize {
    text.encode_utf16().count() * 2
}
