//! The benches of `hashsync` (`cargo bench -p hashsync-benches`): this
//! library is empty; the benches are the files beside it.
