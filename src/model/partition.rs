//! A directory partition: one AD domain naming context.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// A directory partition the connector reads: one per domain, with the
/// names AD's salt rules need.
///
/// The same value serves the configuration (a connector's partitions, and
/// whether each is selected) and the sync engine (what a
/// [`ChangeSource`](crate::sync::ChangeSource) lists and reads). AD's
/// Kerberos realm is always the domain's DNS name in upper case, so it is
/// derived, never stored apart from it.
///
/// ```
/// use hashsync::model::Partition;
/// let p = Partition::new("DC=onprem,DC=contoso,DC=com", "onprem.contoso.com")?;
/// assert_eq!(p.realm(), "ONPREM.CONTOSO.COM");
/// assert!(p.is_named("dc=ONPREM,dc=contoso,dc=com"));
/// # Ok::<(), hashsync::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PartitionFields", into = "PartitionFields")]
pub struct Partition {
    dn: String,
    dns_name: String,
    realm: String,
    selected: bool,
}

/// The serialised form: the realm is derived on load, never written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartitionFields {
    dn: String,
    #[serde(default)]
    dns_name: String,
    #[serde(default = "selected_by_default")]
    selected: bool,
}

fn selected_by_default() -> bool {
    true
}

impl TryFrom<PartitionFields> for Partition {
    type Error = ConfigError;

    fn try_from(fields: PartitionFields) -> Result<Self, ConfigError> {
        Ok(Self::new(fields.dn, fields.dns_name)?.with_selected(fields.selected))
    }
}

impl From<Partition> for PartitionFields {
    fn from(partition: Partition) -> Self {
        Self {
            dn: partition.dn,
            dns_name: partition.dns_name,
            selected: partition.selected,
        }
    }
}

impl Partition {
    /// A selected partition: the domain's distinguished name
    /// (`DC=onprem,DC=contoso,DC=com`) and DNS name (`onprem.contoso.com`).
    ///
    /// Refuses an empty DN, and a DNS name with an empty label (`a..b`,
    /// a leading or trailing dot). An empty DNS name is allowed for a
    /// partition the configuration lists before its DNS name is known; the
    /// sync engine needs it for salts and refuses to read such a partition.
    pub fn new(dn: impl Into<String>, dns_name: impl Into<String>) -> Result<Self, ConfigError> {
        let dn = dn.into();
        let dns_name = dns_name.into();
        if dn.is_empty() {
            return Err(ConfigError::Empty {
                what: "partition DN",
            });
        }
        if !dns_name.is_empty() && dns_name.split('.').any(str::is_empty) {
            return Err(ConfigError::InvalidDnsName { value: dns_name });
        }
        Ok(Self {
            realm: dns_name.to_ascii_uppercase(),
            dn,
            dns_name,
            selected: true,
        })
    }

    /// Marks the partition selected (synced) or not.
    pub fn with_selected(mut self, selected: bool) -> Self {
        self.selected = selected;
        self
    }

    /// The distinguished name, the partition's key (compared ignoring case).
    pub fn dn(&self) -> &str {
        &self.dn
    }

    /// The domain's DNS name (`onprem.contoso.com`).
    pub fn dns_name(&self) -> &str {
        &self.dns_name
    }

    /// The domain's Kerberos realm: its DNS name in upper case
    /// (`ONPREM.CONTOSO.COM`).
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// Whether the connector syncs this partition.
    pub fn selected(&self) -> bool {
        self.selected
    }

    /// Selects or deselects the partition.
    pub fn set_selected(&mut self, selected: bool) {
        self.selected = selected;
    }

    /// Whether `dn` names this partition (LDAP compares DNs ignoring case).
    pub fn is_named(&self, dn: &str) -> bool {
        self.dn.eq_ignore_ascii_case(dn) || self.dn.to_lowercase() == dn.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_labels_are_refused() {
        for bad in ["a..b", ".a", "a."] {
            assert!(
                matches!(Partition::new("DC=a", bad), Err(ConfigError::InvalidDnsName { value }) if value == bad),
                "{bad}"
            );
        }
    }

    #[test]
    fn serialised_form_has_no_realm() {
        let p = Partition::new("DC=a,DC=b", "a.b").unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            json,
            r#"{"dn":"DC=a,DC=b","dns_name":"a.b","selected":true}"#
        );
        let back: Partition = serde_json::from_str(&json).unwrap();
        assert_eq!(back.realm(), "A.B");
        assert!(serde_json::from_str::<Partition>(r#"{"dn":"DC=a","realm":"X"}"#).is_err());
    }
}
