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
    /// A `supplementalCredentials` value handed over unparsed
    /// (`sync::StoredAttributes`) does not parse, so its batch cannot be
    /// prepared. Have the source parse it (`StoredCredentials::from_attributes`)
    /// to reject such accounts one by one.
    #[error(
        "a supplementalCredentials value handed over unparsed does not parse; \
         parse it in the source to reject the account on its own"
    )]
    MalformedSupplementalCredentials,
    /// Legacy credentials could not be sealed to the managed domain's
    /// certificate (its RSA key cannot wrap the envelope's AES key); the
    /// update was not prepared. Configure a certificate Domain Services
    /// issued.
    #[error(
        "legacy credentials could not be sealed to the managed domain's certificate; \
         configure the certificate Domain Services issued"
    )]
    Sealing,
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

#[cfg(feature = "sync")]
/// What Entra Connect's configuration refuses: the connector, parameter and
/// password-sync rules of [`crate::model`].
///
/// Messages name the connector, parameter or field at fault; the value of an
/// `EncryptedString` parameter never appears in them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No connector has this name. Connector names are case-sensitive, so a
    /// name that differs only in case is pointed out: it is the classic
    /// cause of a failing `Set-ADSyncAADPasswordSyncConfiguration` script.
    #[error(
        "no connector named {name:?}{}; existing connectors: {}",
        case_hint(case_only_match.as_deref()),
        quoted_list(existing)
    )]
    UnknownConnector {
        /// The name asked for.
        name: String,
        /// The names of the connectors that exist.
        existing: Vec<String>,
        /// An existing name equal to `name` ignoring case, if any.
        case_only_match: Option<String>,
    },
    /// Another connector already has this name (names are unique).
    #[error("a connector named {name:?} already exists with another identifier")]
    DuplicateConnectorName {
        /// The name in conflict.
        name: String,
    },
    /// Two connectors in one configuration have the same identifier.
    #[error("two connectors have the identifier {identifier}")]
    DuplicateConnectorIdentifier {
        /// The identifier in conflict.
        identifier: uuid::Uuid,
    },
    /// A saved connector would change type; Entra Connect never changes a
    /// connector's type, it creates a new connector.
    #[error("connector {name:?} is of type {was}; it cannot become {now}")]
    ConnectorTypeChanged {
        /// The connector's name.
        name: String,
        /// Its type as saved.
        was: crate::model::ConnectorType,
        /// The type it was given.
        now: crate::model::ConnectorType,
    },
    /// Password sync reads from an Active Directory connector only.
    #[error(
        "source connector {connector:?} is of type {found}; password sync reads from an Active Directory Domain Services (AD) connector"
    )]
    SourceNotAd {
        /// The connector given as source.
        connector: String,
        /// Its type.
        found: crate::model::ConnectorType,
    },
    /// Password sync writes to the Entra ID connector only.
    #[error(
        "target connector {connector:?} is of type {found}; password sync writes to the Microsoft Entra ID (WAAD) connector"
    )]
    TargetNotEntraId {
        /// The connector given as target.
        connector: String,
        /// Its type.
        found: crate::model::ConnectorType,
    },
    /// A configuration lists two password-sync channels for one source.
    #[error("connector {source_connector:?} has two password-sync configurations")]
    DuplicatePasswordSync {
        /// The AD connector listed twice.
        source_connector: String,
    },
    /// The server is in staging mode: password sync is suspended (the
    /// configuration is kept; it runs when the server leaves staging mode).
    #[error(
        "the server is in staging mode ({}): password sync is suspended",
        crate::model::STAGING_MODE
    )]
    StagingModeOn,
    /// The tenant's password hash sync feature is off: uploads would fail,
    /// so no channel runs. Turn the feature on in the tenant.
    #[error(
        "password hash sync is not activated for this company (the tenant's PasswordHashSync feature is off; channel {connector:?} does not run)"
    )]
    PasswordHashSyncNotActivated {
        /// The AD connector whose channel was refused.
        connector: String,
    },
    /// A DNS name has an empty label (`a..b`, or a leading or trailing dot).
    #[error("DNS name {value:?} has an empty label")]
    InvalidDnsName {
        /// The name as given.
        value: String,
    },
    /// A name or distinguished name that must not be empty is.
    #[error("{what} must not be empty")]
    Empty {
        /// What was empty (`connector name`, `parameter name`, `partition DN`).
        what: &'static str,
    },
    /// The connector has no partition with this distinguished name.
    #[error(
        "connector {connector:?} has no partition {partition:?}; its partitions: {}",
        quoted_list(existing)
    )]
    UnknownPartition {
        /// The connector's name.
        connector: String,
        /// The distinguished name asked for.
        partition: String,
        /// The partitions the connector has.
        existing: Vec<String>,
    },
    /// The connector already has a partition with this distinguished name
    /// (compared ignoring case, as LDAP compares DNs).
    #[error("connector {connector:?} already has a partition {partition:?}")]
    DuplicatePartition {
        /// The connector's name.
        connector: String,
        /// The distinguished name in conflict.
        partition: String,
    },
    /// A collection already holds a parameter of this name; `Add` refuses it
    /// (remove it first, or use add-or-replace, as the tutorial's script does).
    #[error("the {scope} parameters already hold a parameter named {name:?}")]
    DuplicateParameter {
        /// The parameter's name.
        name: String,
        /// The collection's scope.
        scope: crate::model::ParameterScope,
    },
    /// No parameter of this name exists where one was expected.
    #[error("the {scope} parameters hold no parameter named {name:?}")]
    UnknownParameter {
        /// The parameter's name.
        name: String,
        /// The collection's scope.
        scope: crate::model::ParameterScope,
    },
    /// A parameter was added to a collection of another scope.
    #[error("parameter {name:?} has scope {found}; this collection holds {expected} parameters")]
    ScopeMismatch {
        /// The parameter's name.
        name: String,
        /// The collection's scope.
        expected: crate::model::ParameterScope,
        /// The parameter's scope.
        found: crate::model::ParameterScope,
    },
    /// A value does not match the parameter's regular-expression validation.
    #[error(
        "parameter {name:?}: value {} does not match its validation {pattern:?}",
        value.as_deref().map_or_else(|| "[REDACTED]".to_owned(), |v| format!("{v:?}"))
    )]
    ValueRejected {
        /// The parameter's name.
        name: String,
        /// The validation pattern.
        pattern: String,
        /// The rejected value; `None` for an `EncryptedString` parameter,
        /// whose value is secret.
        value: Option<String>,
    },
    /// A parameter's validation is not a valid regular expression.
    #[error(
        "parameter {name:?}: validation {pattern:?} is not a valid regular expression: {reason}"
    )]
    InvalidRegex {
        /// The parameter's name.
        name: String,
        /// The pattern given.
        pattern: String,
        /// What the regular-expression compiler said.
        reason: String,
    },
    /// A secret was given to a parameter whose data type is not `EncryptedString`.
    #[error("parameter {name:?} is of type {data_type}, not EncryptedString")]
    NotEncrypted {
        /// The parameter's name.
        name: String,
        /// Its data type.
        data_type: crate::model::ParameterDataType,
    },
    /// A connector type name that is neither a wire name nor a display name.
    #[error("unknown connector type {value:?}, expected AD, WAAD, ECMA2, GLDAP or a display name")]
    UnknownConnectorType {
        /// The text given.
        value: String,
    },
    /// A cycle was ended that had not begun.
    #[error("no password-sync cycle is in progress (status is {status})")]
    NoCycleInProgress {
        /// The partition's status.
        status: crate::model::PasswordSyncStatus,
    },
    /// A cycle can only end Successful, Failed or Interrupted.
    #[error("a password-sync cycle cannot end with status {status}")]
    InvalidCycleOutcome {
        /// The status given.
        status: crate::model::PasswordSyncStatus,
    },
    /// An error found while loading a configuration, with the path of the
    /// field at fault (`connectors[0].global_parameters[1]`).
    ///
    /// The message includes the cause, so `source()` does not return it
    /// again (a chain printer would show it twice); [`root_cause`](Self::root_cause)
    /// reaches it as a typed value.
    #[error("{field}: {cause}")]
    InField {
        /// Path of the field, from the configuration's root.
        field: String,
        /// What was wrong there.
        cause: Box<ConfigError>,
    },
}

#[cfg(feature = "sync")]
impl ConfigError {
    /// Prefixes the path of the field at fault, joining nested paths.
    pub(crate) fn in_field(self, field: &str) -> Self {
        match self {
            Self::InField {
                field: inner,
                cause,
            } => {
                let separator = if inner.starts_with('[') { "" } else { "." };
                Self::InField {
                    field: format!("{field}{separator}{inner}"),
                    cause,
                }
            }
            other => Self::InField {
                field: field.to_owned(),
                cause: Box::new(other),
            },
        }
    }

    /// The innermost error, with any field path removed.
    pub fn root_cause(&self) -> &ConfigError {
        match self {
            Self::InField { cause, .. } => cause.root_cause(),
            other => other,
        }
    }
}

#[cfg(feature = "sync")]
fn case_hint(case_only_match: Option<&str>) -> String {
    match case_only_match {
        Some(existing) => {
            format!(" (connector names are case-sensitive: did you mean {existing:?}?)")
        }
        None => String::new(),
    }
}

#[cfg(feature = "sync")]
fn quoted_list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    quoted.join(", ")
}

/// What is wrong with a byte format: a `supplementalCredentials` value, a
/// legacy attribute record or a keytab.
///
/// Every variant names the field (the spec's name where there is one) and
/// says what was wrong with it, never the secret bytes around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The input ends inside a field.
    #[error("{field}: needs {needed} bytes at offset {offset}, only {available} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where the field starts.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the input.
        available: usize,
    },
    /// An offset and length point outside the structure that holds them.
    #[error("{field}: offset {offset} and length {length} point outside the {size}-byte structure")]
    OutOfBounds {
        /// The field the offset belongs to.
        field: &'static str,
        /// The offset read from the input.
        offset: u64,
        /// The length read from the input.
        length: u64,
        /// Size of the structure the offset is relative to.
        size: usize,
    },
    /// A count of elements that cannot fit in the input.
    #[error("{field}: {count} elements need {needed} bytes, only {available} left")]
    CountTooLarge {
        /// The count field.
        field: &'static str,
        /// The count read from the input.
        count: usize,
        /// Bytes those elements would need.
        needed: u64,
        /// Bytes left in the input.
        available: usize,
    },
    /// A signature or magic number has the wrong value.
    #[error("{field}: expected {expected:#x}, found {found:#x}")]
    WrongSignature {
        /// The signature field.
        field: &'static str,
        /// The value the format requires.
        expected: u32,
        /// The value found.
        found: u32,
    },
    /// A revision or version this crate does not read.
    #[error("{field}: unsupported value {found}")]
    UnsupportedRevision {
        /// The revision or version field.
        field: &'static str,
        /// The value found.
        found: u32,
    },
    /// A hex-encoded value has an odd number of characters.
    #[error("{field}: odd number of hex digits ({length})")]
    OddHexLength {
        /// The hex-encoded field.
        field: &'static str,
        /// Its length in characters.
        length: usize,
    },
    /// A hex-encoded value holds a character that is not a hex digit.
    #[error("{field}: character {position} is not a hex digit")]
    NotHex {
        /// The hex-encoded field.
        field: &'static str,
        /// Index of the first bad character.
        position: usize,
    },
    /// A UTF-16LE text field has an odd length or unpaired surrogates.
    #[error("{field}: not valid UTF-16LE")]
    InvalidUtf16 {
        /// The text field.
        field: &'static str,
    },
    /// A text field is not valid UTF-8.
    #[error("{field}: not valid UTF-8")]
    InvalidUtf8 {
        /// The text field.
        field: &'static str,
    },
    /// A key's length does not suit its encryption type (or exceeds 32 bytes).
    #[error("{field}: a {length}-byte key does not fit encryption type {etype}")]
    KeyLength {
        /// The key field.
        field: &'static str,
        /// The key's encryption type number.
        etype: i32,
        /// The key's length in bytes.
        length: usize,
    },
    /// A fixed-size value has the wrong length.
    #[error("{field}: must be {expected} bytes, found {found}")]
    WrongLength {
        /// The field.
        field: &'static str,
        /// The required length.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// A value is too large for the width of the field that must hold it.
    #[error("{field}: {found} exceeds the format's limit of {max}")]
    TooLarge {
        /// The field.
        field: &'static str,
        /// The size or number to be written.
        found: u64,
        /// The largest the field can hold.
        max: u64,
    },
    /// A required part is absent.
    #[error("{field} is missing")]
    Missing {
        /// The missing part.
        field: &'static str,
    },
    /// An iteration count of zero.
    #[error("{field}: iteration count is zero")]
    ZeroIterations {
        /// The iteration count field.
        field: &'static str,
    },
    /// A principal name this crate cannot write or parse.
    #[error("{field}: {reason}")]
    InvalidPrincipal {
        /// The principal part at fault.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An encryption type that cannot be derived from a password here.
    #[error("{field}: encryption type {etype} cannot be derived from a password")]
    UnsupportedEncryptionType {
        /// The field or option naming the type.
        field: &'static str,
        /// The encryption type number.
        etype: i32,
    },
}
#[cfg(feature = "sync")]
/// What is wrong with an account handed to the sync engine. Never holds a
/// secret: it names the attribute, not its value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// `objectGUID` is not a GUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` or 16 bytes).
    #[error("objectGUID is not a GUID")]
    InvalidObjectGuid,
    /// A stored credential attribute could not be used.
    #[error("{attribute} is malformed: {reason}")]
    MalformedAttribute {
        /// LDAP attribute name (`unicodePwd`, `supplementalCredentials`).
        attribute: &'static str,
        /// What was wrong (no secret bytes).
        reason: String,
    },
}

#[cfg(feature = "sync")]
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

#[cfg(feature = "sync")]
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
    /// The configuration refused the channel (the tenant's password hash
    /// sync off, an unknown connector).
    #[error("the configuration refused the channel")]
    Configuration(#[source] ConfigError),
    /// The engine cannot run the channel's configuration (zero batch size,
    /// a retry queue smaller than a batch, …).
    #[error("the channel's configuration cannot run")]
    ChannelConfig(#[source] crate::sync::ChannelConfigError),
    /// The connector already has a running channel.
    #[error("connector {connector:?} already has a running channel")]
    ChannelRunning {
        /// Source connector name.
        connector: String,
    },
}
