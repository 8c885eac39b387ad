//! The password-sync engine: a sans-I/O state machine per source connector
//! and a thin blocking driver over the host's source and transport.
