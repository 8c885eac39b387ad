//! Configuration parameters: Entra Connect's typed name/value settings.

use core::fmt;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize};
use zeroize::Zeroizing;

use crate::error::ConfigError;
use crate::model::EncryptedString;
use crate::model::enum_names::{NamedEnum, named_enum_serde};

/// The AD connector's global parameter that forces a full password sync the
/// next time its password-sync channel starts: `"1"` (or `"TRUE"`) sets it,
/// the engine resets it to `"0"` once the full sync has begun.
pub const FORCE_FULL_PASSWORD_SYNC: &str = "Microsoft.Synchronize.ForceFullPasswordSync";

/// The global setting that puts the server in staging mode (`"True"`/`"False"`);
/// a staging server runs no password sync.
pub const STAGING_MODE: &str = "Microsoft.Synchronize.StagingMode";

/// A parameter's data type, numbered as Entra Connect numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParameterDataType {
    /// Plain text (0).
    String = 0,
    /// A secret: a password or key (1). Its value is an [`EncryptedString`].
    EncryptedString = 1,
    /// A caption in the connector's configuration pages (2).
    Label = 2,
    /// Multi-line text (3).
    Text = 3,
    /// One of a list of choices (4).
    DropDown = 4,
    /// A yes/no choice (5).
    CheckBox = 5,
    /// A separator in the connector's configuration pages (6).
    Divider = 6,
    /// A file's content (7).
    File = 7,
}

impl ParameterDataType {
    /// Entra Connect's number for the type.
    pub const fn number(self) -> u8 {
        self as u8
    }
}

impl NamedEnum for ParameterDataType {
    const FIELD: &'static str = "data_type";
    const ALL: &'static [Self] = &[
        Self::String,
        Self::EncryptedString,
        Self::Label,
        Self::Text,
        Self::DropDown,
        Self::CheckBox,
        Self::Divider,
        Self::File,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::String => "String",
            Self::EncryptedString => "EncryptedString",
            Self::Label => "Label",
            Self::Text => "Text",
            Self::DropDown => "DropDown",
            Self::CheckBox => "CheckBox",
            Self::Divider => "Divider",
            Self::File => "File",
        }
    }

    fn number(self) -> Option<u64> {
        Some(u64::from(self as u8))
    }
}

named_enum_serde!(ParameterDataType, display);

/// Where a parameter belongs, numbered as Entra Connect numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParameterScope {
    /// How the connector reaches its directory (0).
    ConnectorConnectivity = 0,
    /// The connector's global settings (1), where `ForceFullPasswordSync` lives.
    ConnectorGlobal = 1,
    /// What the connector can do (2).
    ConnectorCapability = 2,
    /// A partition's settings (3).
    ConnectorPartition = 3,
    /// A run step's settings (4).
    ConnectorRunStep = 4,
    /// The sync service's global settings (5), where `StagingMode` lives.
    SynchronizationGlobal = 5,
    /// The connector's schema settings (6).
    ConnectorSchema = 6,
}

impl ParameterScope {
    /// Entra Connect's number for the scope.
    pub const fn number(self) -> u8 {
        self as u8
    }
}

impl NamedEnum for ParameterScope {
    const FIELD: &'static str = "scope";
    const ALL: &'static [Self] = &[
        Self::ConnectorConnectivity,
        Self::ConnectorGlobal,
        Self::ConnectorCapability,
        Self::ConnectorPartition,
        Self::ConnectorRunStep,
        Self::SynchronizationGlobal,
        Self::ConnectorSchema,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::ConnectorConnectivity => "ConnectorConnectivity",
            Self::ConnectorGlobal => "ConnectorGlobal",
            Self::ConnectorCapability => "ConnectorCapability",
            Self::ConnectorPartition => "ConnectorPartition",
            Self::ConnectorRunStep => "ConnectorRunStep",
            Self::SynchronizationGlobal => "SynchronizationGlobal",
            Self::ConnectorSchema => "ConnectorSchema",
        }
    }

    fn number(self) -> Option<u64> {
        Some(u64::from(self as u8))
    }
}

named_enum_serde!(ParameterScope, display);

/// Whether a flag parameter's text means "set": `1` or `TRUE`, ignoring case,
/// as Entra Connect reads `ForceFullPasswordSync` and `StagingMode`.
pub(crate) fn flag_is_set(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        let v = v.trim();
        v == "1" || v.eq_ignore_ascii_case("true")
    })
}

/// A parameter's regular-expression validation.
///
/// Like .NET's `Regex.IsMatch`, which Entra Connect uses, the pattern
/// matches anywhere in the value: anchor it with `^…$` to constrain the
/// whole value.
#[derive(Clone)]
struct ValidationPattern {
    regex: Regex,
}

impl ValidationPattern {
    fn new(parameter: &str, pattern: &str) -> Result<Self, ConfigError> {
        Regex::new(pattern)
            .map(|regex| Self { regex })
            .map_err(|e| ConfigError::InvalidRegex {
                name: parameter.to_owned(),
                pattern: pattern.to_owned(),
                reason: e.to_string(),
            })
    }

    fn as_str(&self) -> &str {
        self.regex.as_str()
    }
}

impl PartialEq for ValidationPattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ValidationPattern {}

impl fmt::Debug for ValidationPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A parameter's value: absent, text, or a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum ParameterValue {
    #[default]
    Unset,
    Text(String),
    Secret(EncryptedString),
}

/// One of Entra Connect's configuration parameters.
///
/// Built like PowerShell's
/// `New-Object …ConfigurationParameter name, type, scope, description, regex, default`
/// and given a value like `$p.Value = 1` (values are text: that stores `"1"`).
///
/// ```
/// use hashsync::model::{
///     ConfigurationParameter, FORCE_FULL_PASSWORD_SYNC, ParameterDataType, ParameterScope,
/// };
/// let mut p = ConfigurationParameter::new(
///     FORCE_FULL_PASSWORD_SYNC,
///     ParameterDataType::String,
///     ParameterScope::ConnectorGlobal,
/// )?;
/// p.set_value(1)?;
/// assert_eq!(p.value(), Some("1"));
/// # Ok::<(), hashsync::ConfigError>(())
/// ```
///
/// The value of an [`ParameterDataType::EncryptedString`] parameter is an
/// [`EncryptedString`]: [`value`](Self::value) does not show it, `Debug`
/// redacts it, and serde leaves it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigurationParameter {
    name: String,
    data_type: ParameterDataType,
    scope: ParameterScope,
    description: Option<String>,
    regex_validation: Option<ValidationPattern>,
    default_value: Option<String>,
    value: ParameterValue,
}

impl ConfigurationParameter {
    /// A parameter with no description, validation, default or value.
    pub fn new(
        name: impl Into<String>,
        data_type: ParameterDataType,
        scope: ParameterScope,
    ) -> Result<Self, ConfigError> {
        let name = name.into();
        if name.is_empty() {
            return Err(ConfigError::Empty {
                what: "parameter name",
            });
        }
        Ok(Self {
            name,
            data_type,
            scope,
            description: None,
            regex_validation: None,
            default_value: None,
            value: ParameterValue::Unset,
        })
    }

    /// Sets the description shown to admins.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the regular expression every value must match (anywhere in the
    /// value, as .NET's `Regex.IsMatch`). Refuses an invalid pattern, and a
    /// pattern the current value or default does not match.
    pub fn with_regex_validation(mut self, pattern: &str) -> Result<Self, ConfigError> {
        self.regex_validation = Some(ValidationPattern::new(&self.name, pattern)?);
        if let Some(default) = &self.default_value {
            self.check(default, false)?;
        }
        self.check_current_value()?;
        Ok(self)
    }

    /// Sets the value used while none is set. Refuses a default that fails
    /// the validation.
    pub fn with_default_value(mut self, default: impl Into<String>) -> Result<Self, ConfigError> {
        let default = default.into();
        self.check(&default, false)?;
        self.default_value = Some(default);
        Ok(self)
    }

    /// The parameter's name, its key in a collection.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The data type.
    pub fn data_type(&self) -> ParameterDataType {
        self.data_type
    }

    /// The scope.
    pub fn scope(&self) -> ParameterScope {
        self.scope
    }

    /// The description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The validation pattern, if any.
    pub fn regex_validation(&self) -> Option<&str> {
        self.regex_validation
            .as_ref()
            .map(ValidationPattern::as_str)
    }

    /// The default value, if any.
    pub fn default_value(&self) -> Option<&str> {
        self.default_value.as_deref()
    }

    /// Sets the value, as `$p.Value = …` does: anything displayable becomes
    /// its text (`1` stores `"1"`). For an `EncryptedString` parameter the
    /// text becomes an [`EncryptedString`]. Refuses a value that fails the
    /// validation, and leaves the old value in place.
    pub fn set_value(&mut self, value: impl fmt::Display) -> Result<(), ConfigError> {
        let text = value.to_string();
        if self.data_type == ParameterDataType::EncryptedString {
            return self.set_secret(EncryptedString::new(text));
        }
        self.check(&text, false)?;
        self.value = ParameterValue::Text(text);
        Ok(())
    }

    /// Sets the secret value of an `EncryptedString` parameter. Refuses other
    /// data types and a value that fails the validation.
    pub fn set_secret(&mut self, secret: EncryptedString) -> Result<(), ConfigError> {
        if self.data_type != ParameterDataType::EncryptedString {
            return Err(ConfigError::NotEncrypted {
                name: self.name.clone(),
                data_type: self.data_type,
            });
        }
        self.check(secret.expose_secret(), true)?;
        self.value = ParameterValue::Secret(secret);
        Ok(())
    }

    /// Removes the value, so the default applies.
    pub fn clear_value(&mut self) {
        self.value = ParameterValue::Unset;
    }

    /// The value set, if any. `None` for an `EncryptedString` parameter:
    /// see [`secret`](Self::secret).
    pub fn value(&self) -> Option<&str> {
        match &self.value {
            ParameterValue::Text(text) => Some(text),
            ParameterValue::Unset | ParameterValue::Secret(_) => None,
        }
    }

    /// The secret value of an `EncryptedString` parameter, if set.
    pub fn secret(&self) -> Option<&EncryptedString> {
        match &self.value {
            ParameterValue::Secret(secret) => Some(secret),
            ParameterValue::Unset | ParameterValue::Text(_) => None,
        }
    }

    /// Whether a value (text or secret) is set.
    pub fn has_value(&self) -> bool {
        self.value != ParameterValue::Unset
    }

    /// The value, or the default when none is set (never a secret).
    pub fn effective_value(&self) -> Option<&str> {
        match &self.value {
            ParameterValue::Text(text) => Some(text),
            ParameterValue::Secret(_) => None,
            ParameterValue::Unset => self.default_value.as_deref(),
        }
    }

    /// Whether the effective value means "set" (`1` or `TRUE`, any case).
    pub fn is_flag_set(&self) -> bool {
        flag_is_set(self.effective_value())
    }

    fn check(&self, value: &str, secret: bool) -> Result<(), ConfigError> {
        match &self.regex_validation {
            Some(pattern) if !pattern.regex.is_match(value) => Err(ConfigError::ValueRejected {
                name: self.name.clone(),
                pattern: pattern.as_str().to_owned(),
                value: (!secret).then(|| value.to_owned()),
            }),
            _ => Ok(()),
        }
    }

    fn check_current_value(&self) -> Result<(), ConfigError> {
        match &self.value {
            ParameterValue::Unset => Ok(()),
            ParameterValue::Text(text) => self.check(text, false),
            ParameterValue::Secret(secret) => self.check(secret.expose_secret(), true),
        }
    }
}

/// How a parameter is written: every field but a secret value.
#[derive(Serialize)]
struct ParameterOut<'a> {
    name: &'a str,
    data_type: ParameterDataType,
    scope: ParameterScope,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    regex_validation: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

impl Serialize for ConfigurationParameter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ParameterOut {
            name: &self.name,
            data_type: self.data_type,
            scope: self.scope,
            description: self.description.as_deref(),
            regex_validation: self.regex_validation(),
            default_value: self.default_value.as_deref(),
            value: self.value(),
        }
        .serialize(serializer)
    }
}

/// How a parameter is read. In a collection `scope` may be left out (the
/// collection's scope applies) and `data_type` defaults to `String`; values
/// may be written as numbers or booleans, as PowerShell accepts `$p.Value = 1`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ParameterIn {
    name: String,
    #[serde(default)]
    data_type: Option<ParameterDataType>,
    #[serde(default)]
    scope: Option<ParameterScope>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    regex_validation: Option<String>,
    #[serde(default, deserialize_with = "loose_text")]
    default_value: Option<String>,
    #[serde(default, deserialize_with = "loose_secret_text")]
    value: Option<Zeroizing<String>>,
}

impl ParameterIn {
    /// Builds the parameter; `scope` applies when the text names none.
    pub(crate) fn build(
        self,
        scope: Option<ParameterScope>,
    ) -> Result<ConfigurationParameter, ConfigError> {
        let scope = match (self.scope, scope) {
            (Some(found), Some(expected)) if found != expected => {
                return Err(ConfigError::ScopeMismatch {
                    name: self.name,
                    expected,
                    found,
                }
                .in_field("scope"));
            }
            (Some(found), _) => found,
            (None, Some(expected)) => expected,
            (None, None) => return Err(ConfigError::Empty { what: "scope" }),
        };
        let data_type = self.data_type.unwrap_or(ParameterDataType::String);
        let mut parameter = ConfigurationParameter::new(self.name, data_type, scope)
            .map_err(|e| e.in_field("name"))?;
        if let Some(description) = self.description {
            parameter = parameter.with_description(description);
        }
        if let Some(pattern) = &self.regex_validation {
            parameter = parameter
                .with_regex_validation(pattern)
                .map_err(|e| e.in_field("regex_validation"))?;
        }
        if let Some(default) = self.default_value {
            parameter = parameter
                .with_default_value(default)
                .map_err(|e| e.in_field("default_value"))?;
        }
        if let Some(value) = self.value {
            let set = if data_type == ParameterDataType::EncryptedString {
                // Move the text into the secret rather than copying it.
                let mut value = value;
                parameter.set_secret(EncryptedString::new(core::mem::take(&mut *value)))
            } else {
                parameter.set_value(value.as_str())
            };
            set.map_err(|e| e.in_field("value"))?;
        }
        Ok(parameter)
    }
}

impl<'de> Deserialize<'de> for ConfigurationParameter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ParameterIn::deserialize(deserializer)?
            .build(None)
            .map_err(serde::de::Error::custom)
    }
}

/// Reads a value that may be a secret: dropped zeroized if loading fails.
fn loose_secret_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Zeroizing<String>>, D::Error> {
    loose_text(deserializer).map(|text| text.map(Zeroizing::new))
}

/// Reads text written as a string, a number or a boolean.
fn loose_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct TextVisitor;

    impl serde::de::Visitor<'_> for TextVisitor {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, a number or a boolean")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }

        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        // PowerShell prints booleans as `True`/`False`.
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(if v { "True" } else { "False" }.to_owned()))
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    deserializer.deserialize_any(TextVisitor)
}
