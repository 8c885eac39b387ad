//! Connectors: Entra Connect's link to one directory, an AD forest or an
//! Entra tenant.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::error::ConfigError;
use crate::model::enum_names::{NamedEnum, named_enum_serde};
use crate::model::parameter::ParameterIn;
use crate::model::{
    ConfigurationParameter, FORCE_FULL_PASSWORD_SYNC, ParameterCollection, ParameterDataType,
    ParameterScope, Partition,
};

/// The identifier Entra Connect gives its Entra ID connector, the same on
/// every server (`Get-ADSyncConnector` shows it).
pub const ENTRA_ID_CONNECTOR_ID: Uuid = Uuid::from_u128(0xb891884f_051e_4a83_95af_2544101c9083);

/// A connector's type, written in files by its wire name (`AD`, `WAAD`,
/// `ECMA2`, `GLDAP`) and shown to admins by its display name.
///
/// Reading accepts the wire name, the display name or the rebranded name,
/// ignoring case:
///
/// ```
/// use hashsync::model::ConnectorType;
/// let t: ConnectorType = "Microsoft Entra ID".parse()?;
/// assert_eq!(t, ConnectorType::Waad);
/// assert_eq!(t.wire_name(), "WAAD");
/// assert_eq!(t.to_string(), "Windows Azure Active Directory (Microsoft)");
/// assert_eq!(t.entra_name(), "Microsoft Entra ID");
/// # Ok::<(), hashsync::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectorType {
    /// Active Directory Domain Services: the source of password sync.
    Ad,
    /// The Entra ID connector (formerly Windows Azure Active Directory): the
    /// target of password sync.
    Waad,
    /// An extensible connectivity 2.0 (ECMA2) connector.
    Ecma2,
    /// A generic LDAP directory.
    Gldap,
}

impl ConnectorType {
    /// The name Entra Connect stores: `AD`, `WAAD`, `ECMA2` or `GLDAP`.
    pub fn wire_name(self) -> &'static str {
        NamedEnum::name(self)
    }

    /// The type as the Synchronization Service Manager lists it
    /// ("Active Directory Domain Services",
    /// "Windows Azure Active Directory (Microsoft)", …).
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Ad => "Active Directory Domain Services",
            Self::Waad => "Windows Azure Active Directory (Microsoft)",
            Self::Ecma2 => "Extensible Connectivity 2",
            Self::Gldap => "Generic LDAP (Microsoft)",
        }
    }

    /// The display name after the Entra rebranding: "Microsoft Entra ID"
    /// for `WAAD`, the [`display_name`](Self::display_name) otherwise.
    pub fn entra_name(self) -> &'static str {
        match self {
            Self::Waad => "Microsoft Entra ID",
            other => other.display_name(),
        }
    }

    /// Whether this is the Entra ID connector type (`WAAD`).
    pub fn is_entra_id(self) -> bool {
        self == Self::Waad
    }

    /// The type as `Get-ADSyncConnector` shows it: `AD` for Active
    /// Directory Domain Services; `Extensible2` for the connectors built on
    /// the extensible connectivity framework (Entra ID, ECMA2, generic LDAP).
    ///
    /// ```
    /// use hashsync::model::ConnectorType;
    /// assert_eq!(ConnectorType::Ad.entra_connect_type(), "AD");
    /// assert_eq!(ConnectorType::Waad.entra_connect_type(), "Extensible2");
    /// assert_eq!(
    ///     ConnectorType::Waad.subtype(),
    ///     Some("Windows Azure Active Directory (Microsoft)")
    /// );
    /// ```
    pub fn entra_connect_type(self) -> &'static str {
        match self {
            Self::Ad => "AD",
            Self::Waad | Self::Ecma2 | Self::Gldap => "Extensible2",
        }
    }

    /// The subtype `Get-ADSyncConnector` shows for an `Extensible2`
    /// connector that Microsoft ships: `Windows Azure Active Directory
    /// (Microsoft)` for the Entra ID connector, `Generic LDAP (Microsoft)`;
    /// `None` for AD and for a third-party ECMA2 connector.
    pub fn subtype(self) -> Option<&'static str> {
        match self {
            Self::Waad => Some("Windows Azure Active Directory (Microsoft)"),
            Self::Gldap => Some("Generic LDAP (Microsoft)"),
            Self::Ad | Self::Ecma2 => None,
        }
    }
}

impl NamedEnum for ConnectorType {
    const FIELD: &'static str = "connector_type";
    const ALL: &'static [Self] = &[Self::Ad, Self::Waad, Self::Ecma2, Self::Gldap];

    fn name(self) -> &'static str {
        match self {
            Self::Ad => "AD",
            Self::Waad => "WAAD",
            Self::Ecma2 => "ECMA2",
            Self::Gldap => "GLDAP",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Ad => &["Active Directory Domain Services"],
            Self::Waad => &[
                "Windows Azure Active Directory (Microsoft)",
                "Microsoft Entra ID",
            ],
            Self::Ecma2 => &["Extensible Connectivity 2"],
            Self::Gldap => &["Generic LDAP (Microsoft)"],
        }
    }

    fn number(self) -> Option<u64> {
        None
    }
}

named_enum_serde!(ConnectorType);

/// Shows the display name, as the Synchronization Service Manager does.
impl fmt::Display for ConnectorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

impl FromStr for ConnectorType {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, ConfigError> {
        Self::from_name(text.trim()).ok_or_else(|| ConfigError::UnknownConnectorType {
            value: text.to_owned(),
        })
    }
}

/// A connector: its identity, the directory it points to, its partitions and
/// its four parameter collections.
///
/// Connectors are values: like `Get-ADSyncConnector`, a
/// [`SyncConfiguration`](crate::model::SyncConfiguration) hands out a copy to
/// edit, and `add_or_replace_connector` saves it back.
///
/// ```
/// use hashsync::model::{Connector, ConnectorType, Partition};
/// let mut ad = Connector::new("onprem.contoso.com", ConnectorType::Ad, "onprem.contoso.com")?;
/// ad.add_partition(Partition::new("DC=onprem,DC=contoso,DC=com", "onprem.contoso.com")?)?;
/// assert!(!ad.force_full_password_sync());
/// ad.set_force_full_password_sync(true)?;
/// assert!(ad.force_full_password_sync());
/// # Ok::<(), hashsync::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connector {
    identifier: Uuid,
    name: String,
    connector_type: ConnectorType,
    forest_or_tenant: String,
    partitions: Vec<Partition>,
    connectivity_parameters: ParameterCollection,
    global_parameters: ParameterCollection,
    capability_parameters: ParameterCollection,
    schema_parameters: ParameterCollection,
}

impl Connector {
    /// A connector with no partitions and empty parameter collections.
    /// The Entra ID connector gets its fixed identifier
    /// ([`ENTRA_ID_CONNECTOR_ID`]); any other a fresh random one.
    /// `forest_or_tenant` is the AD forest (`onprem.contoso.com`) or the
    /// Entra tenant (`contoso.onmicrosoft.com`).
    pub fn new(
        name: impl Into<String>,
        connector_type: ConnectorType,
        forest_or_tenant: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let name = name.into();
        if name.is_empty() {
            return Err(ConfigError::Empty {
                what: "connector name",
            });
        }
        Ok(Self {
            identifier: default_identifier(connector_type),
            name,
            connector_type,
            forest_or_tenant: forest_or_tenant.into(),
            partitions: Vec::new(),
            connectivity_parameters: ParameterCollection::new(
                ParameterScope::ConnectorConnectivity,
            ),
            global_parameters: ParameterCollection::new(ParameterScope::ConnectorGlobal),
            capability_parameters: ParameterCollection::new(ParameterScope::ConnectorCapability),
            schema_parameters: ParameterCollection::new(ParameterScope::ConnectorSchema),
        })
    }

    /// The Entra ID connector as Entra Connect creates it: type `Extensible2`,
    /// subtype `Windows Azure Active Directory (Microsoft)`, identifier
    /// [`ENTRA_ID_CONNECTOR_ID`].
    ///
    /// ```
    /// use hashsync::model::{Connector, ENTRA_ID_CONNECTOR_ID};
    /// let aad = Connector::entra_id(
    ///     "contoso.onmicrosoft.com - Microsoft Entra ID",
    ///     "contoso.onmicrosoft.com",
    /// )?;
    /// assert_eq!(aad.identifier(), ENTRA_ID_CONNECTOR_ID);
    /// assert_eq!(aad.identifier().to_string(), "b891884f-051e-4a83-95af-2544101c9083");
    /// assert_eq!(aad.connector_type().entra_connect_type(), "Extensible2");
    /// # Ok::<(), hashsync::ConfigError>(())
    /// ```
    pub fn entra_id(
        name: impl Into<String>,
        tenant: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        Self::new(name, ConnectorType::Waad, tenant)
    }

    /// Sets the identifier (Entra Connect's connector GUID).
    pub fn with_identifier(mut self, identifier: Uuid) -> Self {
        self.identifier = identifier;
        self
    }

    /// The identifier; saving a connector replaces the one with this identifier.
    pub fn identifier(&self) -> Uuid {
        self.identifier
    }

    /// The name: unique and case-sensitive.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renames the connector (saved by identifier, so the rename carries
    /// over to the password-sync configuration that names it).
    pub fn rename(&mut self, name: impl Into<String>) -> Result<(), ConfigError> {
        let name = name.into();
        if name.is_empty() {
            return Err(ConfigError::Empty {
                what: "connector name",
            });
        }
        self.name = name;
        Ok(())
    }

    /// The type.
    pub fn connector_type(&self) -> ConnectorType {
        self.connector_type
    }

    /// The AD forest or Entra tenant the connector points to.
    pub fn forest_or_tenant(&self) -> &str {
        &self.forest_or_tenant
    }

    /// The partitions, one per domain.
    pub fn partitions(&self) -> &[Partition] {
        &self.partitions
    }

    /// The partition named `dn` (ignoring case).
    pub fn partition(&self, dn: &str) -> Option<&Partition> {
        self.partitions.iter().find(|p| p.is_named(dn))
    }

    /// The partition named `dn` (ignoring case), to (de)select it.
    pub fn partition_mut(&mut self, dn: &str) -> Option<&mut Partition> {
        self.partitions.iter_mut().find(|p| p.is_named(dn))
    }

    /// Adds a partition. Refuses a DN already present (ignoring case).
    pub fn add_partition(&mut self, partition: Partition) -> Result<(), ConfigError> {
        if self.partition(partition.dn()).is_some() {
            return Err(ConfigError::DuplicatePartition {
                connector: self.name.clone(),
                partition: partition.dn().to_owned(),
            });
        }
        self.partitions.push(partition);
        Ok(())
    }

    /// Removes the partition named `dn` (ignoring case), returning it.
    pub fn remove_partition(&mut self, dn: &str) -> Option<Partition> {
        let index = self.partitions.iter().position(|p| p.is_named(dn))?;
        Some(self.partitions.remove(index))
    }

    /// How the connector reaches its directory (`ConnectorConnectivity`).
    pub fn connectivity_parameters(&self) -> &ParameterCollection {
        &self.connectivity_parameters
    }

    /// The connectivity parameters, to edit.
    pub fn connectivity_parameters_mut(&mut self) -> &mut ParameterCollection {
        &mut self.connectivity_parameters
    }

    /// The connector's global parameters (`ConnectorGlobal`), where
    /// [`FORCE_FULL_PASSWORD_SYNC`] lives.
    pub fn global_parameters(&self) -> &ParameterCollection {
        &self.global_parameters
    }

    /// The global parameters, to edit (`$c.GlobalParameters`).
    pub fn global_parameters_mut(&mut self) -> &mut ParameterCollection {
        &mut self.global_parameters
    }

    /// What the connector can do (`ConnectorCapability`).
    pub fn capability_parameters(&self) -> &ParameterCollection {
        &self.capability_parameters
    }

    /// The capability parameters, to edit.
    pub fn capability_parameters_mut(&mut self) -> &mut ParameterCollection {
        &mut self.capability_parameters
    }

    /// The schema settings (`ConnectorSchema`).
    pub fn schema_parameters(&self) -> &ParameterCollection {
        &self.schema_parameters
    }

    /// The schema parameters, to edit.
    pub fn schema_parameters_mut(&mut self) -> &mut ParameterCollection {
        &mut self.schema_parameters
    }

    /// The collection holding parameters of `scope`, if the connector has one.
    pub fn parameters(&self, scope: ParameterScope) -> Option<&ParameterCollection> {
        self.collections().into_iter().find(|c| c.scope() == scope)
    }

    /// The collection holding parameters of `scope`, to edit.
    pub fn parameters_mut(&mut self, scope: ParameterScope) -> Option<&mut ParameterCollection> {
        [
            &mut self.connectivity_parameters,
            &mut self.global_parameters,
            &mut self.capability_parameters,
            &mut self.schema_parameters,
        ]
        .into_iter()
        .find(|c| c.scope() == scope)
    }

    /// The four collections: connectivity, global, capability, schema.
    pub fn collections(&self) -> [&ParameterCollection; 4] {
        [
            &self.connectivity_parameters,
            &self.global_parameters,
            &self.capability_parameters,
            &self.schema_parameters,
        ]
    }

    /// Whether the next start of this connector's password-sync channel is a
    /// full sync: the global parameter [`FORCE_FULL_PASSWORD_SYNC`] is `1` or
    /// `TRUE` (any case).
    pub fn force_full_password_sync(&self) -> bool {
        self.global_parameters
            .get(FORCE_FULL_PASSWORD_SYNC)
            .is_some_and(ConfigurationParameter::is_flag_set)
    }

    /// Sets [`FORCE_FULL_PASSWORD_SYNC`] to `"1"` or `"0"`, creating the
    /// parameter (String, ConnectorGlobal) when absent. The engine calls this
    /// with `false` once it has begun the full sync: the flag is consumed.
    pub fn set_force_full_password_sync(&mut self, force: bool) -> Result<(), ConfigError> {
        let value = if force { "1" } else { "0" };
        if let Some(parameter) = self.global_parameters.get_mut(FORCE_FULL_PASSWORD_SYNC) {
            return parameter.set_value(value);
        }
        let mut parameter = ConfigurationParameter::new(
            FORCE_FULL_PASSWORD_SYNC,
            ParameterDataType::String,
            ParameterScope::ConnectorGlobal,
        )?;
        parameter.set_value(value)?;
        self.global_parameters.add(parameter)
    }
}

/// The identifier a new connector of `connector_type` gets.
fn default_identifier(connector_type: ConnectorType) -> Uuid {
    if connector_type.is_entra_id() {
        ENTRA_ID_CONNECTOR_ID
    } else {
        Uuid::new_v4()
    }
}

/// How a connector is written.
#[derive(Serialize)]
struct ConnectorOut<'a> {
    identifier: Uuid,
    name: &'a str,
    connector_type: ConnectorType,
    forest_or_tenant: &'a str,
    partitions: &'a [Partition],
    connectivity_parameters: &'a ParameterCollection,
    global_parameters: &'a ParameterCollection,
    capability_parameters: &'a ParameterCollection,
    schema_parameters: &'a ParameterCollection,
}

impl Serialize for Connector {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ConnectorOut {
            identifier: self.identifier,
            name: &self.name,
            connector_type: self.connector_type,
            forest_or_tenant: &self.forest_or_tenant,
            partitions: &self.partitions,
            connectivity_parameters: &self.connectivity_parameters,
            global_parameters: &self.global_parameters,
            capability_parameters: &self.capability_parameters,
            schema_parameters: &self.schema_parameters,
        }
        .serialize(serializer)
    }
}

/// How a connector is read: a hand-written file may leave out the
/// identifier (a fresh one is made) and any empty list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConnectorIn {
    #[serde(default)]
    identifier: Option<Uuid>,
    name: String,
    connector_type: ConnectorType,
    #[serde(default)]
    forest_or_tenant: String,
    #[serde(default)]
    partitions: Vec<Partition>,
    #[serde(default)]
    connectivity_parameters: Vec<ParameterIn>,
    #[serde(default)]
    global_parameters: Vec<ParameterIn>,
    #[serde(default)]
    capability_parameters: Vec<ParameterIn>,
    #[serde(default)]
    schema_parameters: Vec<ParameterIn>,
}

impl ConnectorIn {
    /// Builds the connector; errors name the field at fault.
    pub(crate) fn build(self) -> Result<Connector, ConfigError> {
        let mut connector = Connector::new(self.name, self.connector_type, self.forest_or_tenant)
            .map_err(|e| e.in_field("name"))?;
        if let Some(identifier) = self.identifier {
            connector = connector.with_identifier(identifier);
        }
        for (index, partition) in self.partitions.into_iter().enumerate() {
            if partition.dn().is_empty() {
                return Err(ConfigError::Empty {
                    what: "partition DN",
                }
                .in_field(&format!("partitions[{index}].dn")));
            }
            connector
                .add_partition(partition)
                .map_err(|e| e.in_field(&format!("partitions[{index}]")))?;
        }
        let collections = [
            (
                "connectivity_parameters",
                ParameterScope::ConnectorConnectivity,
                self.connectivity_parameters,
            ),
            (
                "global_parameters",
                ParameterScope::ConnectorGlobal,
                self.global_parameters,
            ),
            (
                "capability_parameters",
                ParameterScope::ConnectorCapability,
                self.capability_parameters,
            ),
            (
                "schema_parameters",
                ParameterScope::ConnectorSchema,
                self.schema_parameters,
            ),
        ];
        for (field, scope, entries) in collections {
            let collection =
                ParameterCollection::from_file(scope, entries).map_err(|e| e.in_field(field))?;
            if let Some(slot) = connector.parameters_mut(scope) {
                *slot = collection;
            }
        }
        Ok(connector)
    }
}

impl<'de> Deserialize<'de> for Connector {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ConnectorIn::deserialize(deserializer)?
            .build()
            .map_err(serde::de::Error::custom)
    }
}
