//! The opt-in export of `EncryptedString` parameter values, for a host's
//! own protected store.

use serde::{Deserialize, Serialize, Serializer};

use crate::model::{EncryptedString, ParameterScope};

/// Where one secret parameter value belongs, and the value.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterSecret {
    /// The connector holding the parameter; `None` for the sync service's
    /// global settings.
    #[serde(default)]
    pub connector: Option<String>,
    /// The scope of the collection holding the parameter.
    pub scope: ParameterScope,
    /// The parameter's name.
    pub name: String,
    /// The secret value.
    pub value: EncryptedString,
}

/// Every `EncryptedString` value of a configuration, which a saved
/// [`SyncConfiguration`](crate::model::SyncConfiguration) leaves out.
///
/// This is the one type that serialises secrets, and only because a host
/// asked for it with
/// [`export_secrets`](crate::model::SyncConfiguration::export_secrets): it
/// exists to be written to a protected store (Windows DPAPI, a keyring, a
/// vault), never next to the configuration file. Restore with
/// [`import_secrets`](crate::model::SyncConfiguration::import_secrets).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ParameterSecrets {
    entries: Vec<ParameterSecret>,
}

impl ParameterSecrets {
    pub(crate) fn push(&mut self, secret: ParameterSecret) {
        self.entries.push(secret);
    }

    /// The secrets.
    pub fn iter(&self) -> core::slice::Iter<'_, ParameterSecret> {
        self.entries.iter()
    }

    /// The number of secrets.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn into_entries(self) -> Vec<ParameterSecret> {
        self.entries
    }
}

#[derive(Serialize)]
struct ExposedSecret<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    connector: Option<&'a str>,
    scope: ParameterScope,
    name: &'a str,
    value: &'a str,
}

/// Writes the secret values in clear, on purpose: see the type's docs.
impl Serialize for ParameterSecrets {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.entries.iter().map(|s| ExposedSecret {
            connector: s.connector.as_deref(),
            scope: s.scope,
            name: &s.name,
            value: s.value.expose_secret(),
        }))
    }
}
