//! Byte formats that carry legacy credentials: `supplementalCredentials`,
//! the attribute records sent to Domain Services, and MIT keytabs.
