//! The one error type of the NDR reader.

/// What went wrong while reading NDR: always the field being read (`what`,
/// named as in the IDL) and the offset in the stub where it went wrong.
///
/// Every length and count is checked against the bytes that are left
/// before anything is allocated, so a hostile count gives
/// [`NdrError::CountExceedsInput`], never an allocation of that size.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NdrError {
    /// The stub ends inside a field.
    #[error(
        "truncated stub reading {what} at offset {offset}: needs {needed} bytes, {remaining} left"
    )]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the stub.
        remaining: usize,
    },
    /// A count of elements cannot fit in the bytes that are left (each
    /// element needs at least `min_element_size` bytes).
    #[error(
        "{what} at offset {offset} claims {count} elements of at least {min_element_size} bytes, only {remaining} bytes left"
    )]
    CountExceedsInput {
        /// The array or list being read.
        what: &'static str,
        /// Where its count was read.
        offset: usize,
        /// The count on the wire.
        count: u64,
        /// The smallest wire size of one element.
        min_element_size: usize,
        /// Bytes left in the stub.
        remaining: usize,
    },
    /// A value is outside the IDL's `[range(…)]` for the field.
    #[error("{what} at offset {offset} is {value}, outside its range {min}..={max}")]
    OutOfRange {
        /// The field.
        what: &'static str,
        /// Where it was read.
        offset: usize,
        /// The value on the wire.
        value: u64,
        /// The smallest value allowed.
        min: u64,
        /// The largest value allowed.
        max: u64,
    },
    /// A conformant array's maximum count disagrees with the field that
    /// sizes it (`size_is`).
    #[error(
        "{what} at offset {offset}: maximum count {max_count} but the size field says {expected}"
    )]
    ConformanceMismatch {
        /// The array.
        what: &'static str,
        /// Where its maximum count was read.
        offset: usize,
        /// The maximum count on the wire.
        max_count: u32,
        /// What the sizing field requires.
        expected: u32,
    },
    /// A varying array's offset and actual count do not fit its maximum
    /// count.
    #[error(
        "{what} at offset {offset}: variance offset {first} + actual count {actual} exceeds maximum count {max_count}"
    )]
    VarianceInvalid {
        /// The array.
        what: &'static str,
        /// Where its variance was read.
        offset: usize,
        /// The offset on the wire.
        first: u32,
        /// The actual count on the wire.
        actual: u32,
        /// The maximum count.
        max_count: u32,
    },
    /// A `[ref]` pointer (which must never be null) is null.
    #[error("{what} at offset {offset} is a null reference pointer")]
    NullReference {
        /// The pointer.
        what: &'static str,
        /// Where it was read.
        offset: usize,
    },
    /// A string lacks its terminating NUL, or has one before its end.
    #[error("{what} at offset {offset} is not a NUL-terminated string")]
    StringNotTerminated {
        /// The string.
        what: &'static str,
        /// Where its characters start.
        offset: usize,
    },
    /// A string's UTF-16 is not well formed (an unpaired surrogate).
    #[error("{what} at offset {offset} is not valid UTF-16")]
    InvalidUtf16 {
        /// The string.
        what: &'static str,
        /// Where its characters start.
        offset: usize,
    },
    /// A field holds a value its type does not allow (the reason says
    /// which rule).
    #[error("{what} at offset {offset} is invalid: {reason}")]
    InvalidValue {
        /// The field.
        what: &'static str,
        /// Where it was read.
        offset: usize,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// A union arm or message version this crate does not read (a
    /// `GetNCChanges` reply other than version 6, for instance: bind with
    /// extensions that ask for version 6).
    #[error("{what} at offset {offset} is version {version}; only {supported} is supported")]
    UnsupportedVersion {
        /// The union or message.
        what: &'static str,
        /// Where its discriminant was read.
        offset: usize,
        /// The version on the wire.
        version: u32,
        /// The version(s) this crate reads.
        supported: &'static str,
    },
    /// Bytes follow the end of the message.
    #[error("{count} bytes follow the end of the {what} at offset {offset}")]
    TrailingBytes {
        /// The message.
        what: &'static str,
        /// Where it ended.
        offset: usize,
        /// How many bytes follow.
        count: usize,
    },
}
