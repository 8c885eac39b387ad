//! A connector's parameters of one scope, keyed by name.

use serde::{Serialize, Serializer};

use crate::error::ConfigError;
use crate::model::parameter::ParameterIn;
use crate::model::{ConfigurationParameter, ParameterScope};

/// The parameters of one scope, keyed by name (case-sensitive, as .NET's
/// keyed collections compare), in the order they were added.
///
/// Mirrors the .NET collection the tutorial's script edits: [`add`](Self::add)
/// refuses a name already present, so the script removes it first;
/// [`add_or_replace`](Self::add_or_replace) does both in one step.
///
/// ```
/// use hashsync::model::{
///     ConfigurationParameter, FORCE_FULL_PASSWORD_SYNC, ParameterCollection, ParameterDataType,
///     ParameterScope,
/// };
/// let mut global = ParameterCollection::new(ParameterScope::ConnectorGlobal);
/// let mut p = ConfigurationParameter::new(
///     FORCE_FULL_PASSWORD_SYNC,
///     ParameterDataType::String,
///     ParameterScope::ConnectorGlobal,
/// )?;
/// p.set_value(1)?;
/// global.remove(p.name()); // $c.GlobalParameters.Remove($p.Name)
/// global.add(p)?; //          $c.GlobalParameters.Add($p)
/// assert_eq!(global.get(FORCE_FULL_PASSWORD_SYNC).and_then(|p| p.value()), Some("1"));
/// # Ok::<(), hashsync::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterCollection {
    scope: ParameterScope,
    parameters: Vec<ConfigurationParameter>,
}

impl ParameterCollection {
    /// An empty collection for parameters of `scope`.
    pub fn new(scope: ParameterScope) -> Self {
        Self {
            scope,
            parameters: Vec::new(),
        }
    }

    /// The scope every parameter here has.
    pub fn scope(&self) -> ParameterScope {
        self.scope
    }

    /// The number of parameters.
    pub fn len(&self) -> usize {
        self.parameters.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty()
    }

    /// The parameters, in the order they were added.
    pub fn iter(&self) -> core::slice::Iter<'_, ConfigurationParameter> {
        self.parameters.iter()
    }

    /// The parameter named `name`.
    pub fn get(&self, name: &str) -> Option<&ConfigurationParameter> {
        self.parameters.iter().find(|p| p.name() == name)
    }

    /// The parameter named `name`, to change its value.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut ConfigurationParameter> {
        self.parameters.iter_mut().find(|p| p.name() == name)
    }

    /// Whether a parameter named `name` is here.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Adds a parameter. Refuses one of another scope, and a name already
    /// present.
    pub fn add(&mut self, parameter: ConfigurationParameter) -> Result<(), ConfigError> {
        self.check_scope(&parameter)?;
        if self.contains(parameter.name()) {
            return Err(ConfigError::DuplicateParameter {
                name: parameter.name().to_owned(),
                scope: self.scope,
            });
        }
        self.parameters.push(parameter);
        Ok(())
    }

    /// Removes the parameter named `name`, returning it; `None` when absent
    /// (like .NET's `Remove`, which returns `false` rather than failing).
    pub fn remove(&mut self, name: &str) -> Option<ConfigurationParameter> {
        let index = self.parameters.iter().position(|p| p.name() == name)?;
        Some(self.parameters.remove(index))
    }

    /// Adds a parameter, replacing one of the same name in place; returns
    /// the replaced one. Refuses a parameter of another scope.
    pub fn add_or_replace(
        &mut self,
        parameter: ConfigurationParameter,
    ) -> Result<Option<ConfigurationParameter>, ConfigError> {
        self.check_scope(&parameter)?;
        match self.get_mut(parameter.name()) {
            Some(slot) => Ok(Some(core::mem::replace(slot, parameter))),
            None => {
                self.parameters.push(parameter);
                Ok(None)
            }
        }
    }

    fn check_scope(&self, parameter: &ConfigurationParameter) -> Result<(), ConfigError> {
        if parameter.scope() != self.scope {
            return Err(ConfigError::ScopeMismatch {
                name: parameter.name().to_owned(),
                expected: self.scope,
                found: parameter.scope(),
            });
        }
        Ok(())
    }

    /// Builds a collection from its file form; errors name the entry.
    pub(crate) fn from_file(
        scope: ParameterScope,
        entries: Vec<ParameterIn>,
    ) -> Result<Self, ConfigError> {
        let mut collection = Self::new(scope);
        for (index, entry) in entries.into_iter().enumerate() {
            let field = format!("[{index}]");
            let parameter = entry.build(Some(scope)).map_err(|e| e.in_field(&field))?;
            collection.add(parameter).map_err(|e| e.in_field(&field))?;
        }
        Ok(collection)
    }
}

impl<'a> IntoIterator for &'a ParameterCollection {
    type Item = &'a ConfigurationParameter;
    type IntoIter = core::slice::Iter<'a, ConfigurationParameter>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Written as a list of parameters; the scope is the field's.
impl Serialize for ParameterCollection {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(&self.parameters)
    }
}
