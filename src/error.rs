//! The crate's error enums.
//!
//! Each enum says what was wrong with the input, never the input's secret
//! bytes: passwords, NT hashes and keys do not appear in any message.

/// A `Result` whose error is the derivation core's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// What went wrong in a derivation or while building a secret or a salt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A PBKDF2 iteration count of zero was given; the minimum is one.
    #[error("iteration count must be at least 1")]
    ZeroIterations,
    /// An Active Directory account password is longer than Windows allows.
    #[error("password is {units} UTF-16 units long; Active Directory allows at most {max}")]
    PasswordTooLong {
        /// Length of the rejected password, in UTF-16 code units.
        units: usize,
        /// The limit that applies.
        max: usize,
    },
    /// Raw UTF-16LE password bytes of odd length.
    #[error("UTF-16LE password has an odd number of bytes ({len})")]
    OddUtf16Length {
        /// Length of the rejected buffer in bytes.
        len: usize,
    },
    /// An account attribute needed to build a salt is empty or unusable.
    #[error("cannot build a salt: {attribute} is empty")]
    EmptyAttribute {
        /// LDAP name of the attribute (`sAMAccountName`, `userPrincipalName`, …).
        attribute: &'static str,
    },
    /// A byte string that must have a fixed length does not.
    #[error("{what} must be {expected} bytes, got {found}")]
    WrongLength {
        /// What was being built (`NT hash`, `AES256 key`, …).
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The given length.
        found: usize,
    },
    /// The key length does not match the encryption type.
    #[error("encryption type {etype} is not derived from a password by this crate")]
    UnsupportedEncryptionType {
        /// The Kerberos encryption type number.
        etype: i32,
    },
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    RandomSource,
    /// An OrgId hash string is malformed.
    #[error("malformed OrgId hash: {0}")]
    OrgId(#[from] OrgIdError),
}

/// Which part of a `v1;PPH1_MD4,<salt>,<iterations>,<hash>;` string is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrgIdError {
    /// The string does not start with `v1;PPH1_MD4,`.
    #[error("does not start with \"v1;PPH1_MD4,\"")]
    WrongPrefix,
    /// The string does not end with `;`.
    #[error("missing the terminating ';'")]
    MissingTerminator,
    /// Not exactly three comma-separated fields after the prefix.
    #[error("expected 3 fields (salt, iterations, hash), found {found}")]
    FieldCount {
        /// Number of fields found.
        found: usize,
    },
    /// A field holds a character that is not a hexadecimal digit.
    #[error("{field} is not hexadecimal")]
    NotHex {
        /// `salt` or `hash`.
        field: &'static str,
    },
    /// A hex field decodes to the wrong number of bytes.
    #[error("{field} must be {expected} hex digits, got {found}")]
    WrongLength {
        /// `salt` or `hash`.
        field: &'static str,
        /// Required number of hex digits.
        expected: usize,
        /// Number of characters found.
        found: usize,
    },
    /// The iteration count is not a decimal number between 1 and 2^32-1.
    #[error("iteration count is not a positive 32-bit decimal number")]
    BadIterations,
}

/// What is wrong with an account handed to the sync engine. Never holds a
/// secret: it names the attribute, not its value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// `objectGUID` is not a GUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` or 16 bytes).
    #[error("objectGUID is not a GUID")]
    InvalidObjectGuid,
    /// A cleartext password is longer than AD allows.
    #[error("password is {units} UTF-16 units long; Active Directory allows at most {max}")]
    PasswordTooLong {
        /// Length in UTF-16 code units.
        units: usize,
        /// AD's limit.
        max: usize,
    },
    /// A stored credential attribute could not be used.
    #[error("{attribute} is malformed: {reason}")]
    MalformedAttribute {
        /// LDAP attribute name (`unicodePwd`, `supplementalCredentials`).
        attribute: &'static str,
        /// What was wrong (no secret bytes).
        reason: String,
    },
}

/// A directory snapshot (JSON) that cannot be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The text is not JSON of the snapshot's shape.
    #[error("snapshot is not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's description (no input echoed beyond field names).
        message: String,
    },
    /// A field outside the accounts (tenant, forest) is missing or wrong.
    #[error("field {field:?} {reason}")]
    InvalidSetting {
        /// The JSON path of the field (`tenant.sync_ntlm_passwords`, `forests[0].realm`).
        field: String,
        /// What was wrong.
        reason: String,
    },
    /// One account's field is missing or wrong.
    #[error("forest {forest:?}, account {account:?}: field {field:?} {reason}")]
    InvalidField {
        /// The forest's connector name.
        forest: String,
        /// The account (`sAMAccountName`, or its index when that is missing).
        account: String,
        /// The JSON field name.
        field: &'static str,
        /// What was wrong.
        reason: String,
    },
}

/// Why the blocking sync driver stopped. Host errors are carried as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError<S, C>
where
    S: std::error::Error + 'static,
    C: std::error::Error + 'static,
{
    /// The source could not list its partitions.
    #[error("source connector {connector:?} failed to list partitions")]
    Source {
        /// Source connector name.
        connector: String,
        /// The host's error.
        #[source]
        source: S,
    },
    /// A cursor could not be loaded, saved or discarded.
    #[error("cursor store failed for connector {connector:?}")]
    CursorStore {
        /// Source connector name.
        connector: String,
        /// The host's error.
        #[source]
        source: C,
    },
    /// Preparing a credential update failed (the OS random source).
    #[error("preparing credential updates failed")]
    Prepare(#[source] Error),
    /// The engine refused an input (a driver bug).
    #[error("sync engine refused an input")]
    Channel(#[source] crate::sync::ChannelError),
}
