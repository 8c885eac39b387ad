//! The sync service's global settings (`Get-ADSyncGlobalSettings`).

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::ConfigError;
use crate::model::parameter::ParameterIn;
use crate::model::{
    ConfigurationParameter, ParameterCollection, ParameterDataType, ParameterScope, STAGING_MODE,
};

/// The sync service's global parameters (scope `SynchronizationGlobal`),
/// with a typed accessor for the one password sync obeys: staging mode.
///
/// ```
/// use hashsync::model::GlobalSettings;
/// let mut settings = GlobalSettings::default();
/// assert!(!settings.staging_mode());
/// settings.set_staging_mode(true)?;
/// assert!(settings.staging_mode());
/// # Ok::<(), hashsync::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalSettings {
    parameters: ParameterCollection,
}

impl Default for GlobalSettings {
    fn default() -> Self {
        Self {
            parameters: ParameterCollection::new(ParameterScope::SynchronizationGlobal),
        }
    }
}

impl GlobalSettings {
    /// The global parameters.
    pub fn parameters(&self) -> &ParameterCollection {
        &self.parameters
    }

    /// The global parameters, to edit.
    pub fn parameters_mut(&mut self) -> &mut ParameterCollection {
        &mut self.parameters
    }

    /// Whether the server is in staging mode ([`STAGING_MODE`] is `True` or
    /// `1`, any case). A staging server runs no password sync.
    pub fn staging_mode(&self) -> bool {
        self.parameters
            .get(STAGING_MODE)
            .is_some_and(ConfigurationParameter::is_flag_set)
    }

    /// Sets [`STAGING_MODE`] to `True` or `False`, creating the parameter
    /// (String, SynchronizationGlobal) when absent.
    pub fn set_staging_mode(&mut self, on: bool) -> Result<(), ConfigError> {
        let value = if on { "True" } else { "False" };
        if let Some(parameter) = self.parameters.get_mut(STAGING_MODE) {
            return parameter.set_value(value);
        }
        let mut parameter = ConfigurationParameter::new(
            STAGING_MODE,
            ParameterDataType::String,
            ParameterScope::SynchronizationGlobal,
        )?;
        parameter.set_value(value)?;
        self.parameters.add(parameter)
    }
}

#[derive(Serialize)]
struct GlobalSettingsOut<'a> {
    parameters: &'a ParameterCollection,
}

impl Serialize for GlobalSettings {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        GlobalSettingsOut {
            parameters: &self.parameters,
        }
        .serialize(serializer)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlobalSettingsIn {
    #[serde(default)]
    parameters: Vec<ParameterIn>,
}

impl<'de> Deserialize<'de> for GlobalSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let file = GlobalSettingsIn::deserialize(deserializer)?;
        ParameterCollection::from_file(ParameterScope::SynchronizationGlobal, file.parameters)
            .map(|parameters| Self { parameters })
            .map_err(|e| serde::de::Error::custom(e.in_field("parameters")))
    }
}
