//! The NDR20 transfer syntax (C706 chapter 14, as MS-RPCE uses it), as
//! much as DRSUAPI needs: little-endian integers, 32-bit pointers.
//!
//! - [`NdrWriter`] and [`NdrReader`] handle primitives with their
//!   alignment, unique, reference and full pointers (referent ids),
//!   conformant and conformant-varying arrays, `wchar_t` strings;
//! - [`NdrType`] splits a constructed type into its scalars and its
//!   deferred pointees, so that arrays of structures and nested pointers
//!   come out in NDR's order; [`read_conformant_array`] and friends build
//!   on it.
//!
//! The reader never reads past the stub, never allocates more than the
//! stub could hold (every count is checked against the bytes left first)
//! and never panics: each failure is an [`NdrError`] naming the field and
//! the offset.
//!
//! ```
//! use hashsync_drs::ndr::{NdrReader, NdrWriter};
//! let mut w = NdrWriter::new();
//! w.u8(1);
//! w.u32(0x0403_0201); // aligned to 4: three bytes of padding first
//! w.wide_string("A");
//! let stub = w.into_bytes();
//! assert_eq!(&stub[..8], &[1, 0, 0, 0, 1, 2, 3, 4]);
//! let mut r = NdrReader::new(&stub);
//! assert_eq!(r.u8("byte")?, 1);
//! assert_eq!(r.u32("long")?, 0x0403_0201);
//! assert_eq!(r.wide_string("string")?, "A");
//! r.finish("example")?;
//! # Ok::<(), hashsync_drs::ndr::NdrError>(())
//! ```

mod codec;
mod error;
mod reader;
mod writer;

pub use codec::{
    NdrType, read_conformant_array, read_elements, read_pointee, read_value,
    write_conformant_array, write_elements, write_pointee, write_value,
};
pub use error::NdrError;
pub(crate) use reader::terminated_utf16;
pub use reader::{FullPointer, NdrReader};
pub use writer::NdrWriter;
pub(crate) use writer::len_u32;
