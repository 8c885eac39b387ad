//! Naming one account the way an admin does: by `sAMAccountName`,
//! distinguished name or source anchor (ImmutableId).

use std::fmt;

use super::credential::SourceAccount;

/// One account, as an admin names it.
///
/// [`AccountQuery::parse`] guesses the kind from the text: a DN holds `=`,
/// a source anchor is the 24-character base64 of a GUID; anything else is a
/// `sAMAccountName` (compared case-insensitively, as AD does).
///
/// ```
/// use hashsync::sync::AccountQuery;
/// assert_eq!(AccountQuery::parse("jsmith"), AccountQuery::SamAccountName("jsmith".into()));
/// assert!(matches!(
///     AccountQuery::parse("CN=jsmith,CN=Users,DC=onprem,DC=contoso,DC=com"),
///     AccountQuery::DistinguishedName(_)
/// ));
/// assert!(matches!(
///     AccountQuery::parse("MyIRAFVEd2aImaq7zN3u/w=="),
///     AccountQuery::SourceAnchor(_)
/// ));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccountQuery {
    /// By `sAMAccountName` (case-insensitive).
    SamAccountName(String),
    /// By `distinguishedName` (case-insensitive).
    DistinguishedName(String),
    /// By source anchor (ImmutableId, base64 of the objectGUID; exact).
    SourceAnchor(String),
}

impl AccountQuery {
    /// Reads an admin's name for an account (see the type's docs).
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        if text.contains('=') && !is_source_anchor(text) {
            Self::DistinguishedName(text.to_owned())
        } else if is_source_anchor(text) {
            Self::SourceAnchor(text.to_owned())
        } else {
            Self::SamAccountName(text.to_owned())
        }
    }

    /// Whether `account` is the one named.
    pub fn matches(&self, account: &SourceAccount) -> bool {
        match self {
            Self::SamAccountName(sam) => account.sam_account_name.eq_ignore_ascii_case(sam),
            Self::DistinguishedName(dn) => account.distinguished_name.eq_ignore_ascii_case(dn),
            Self::SourceAnchor(anchor) => account.object_guid.source_anchor() == *anchor,
        }
    }

    /// Whether an account known by these names is the one named.
    pub fn matches_names(
        &self,
        source_anchor: &str,
        sam_account_name: &str,
        distinguished_name: Option<&str>,
    ) -> bool {
        match self {
            Self::SamAccountName(sam) => sam_account_name.eq_ignore_ascii_case(sam),
            Self::DistinguishedName(dn) => {
                distinguished_name.is_some_and(|known| known.eq_ignore_ascii_case(dn))
            }
            Self::SourceAnchor(anchor) => source_anchor == anchor,
        }
    }
}

impl fmt::Display for AccountQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SamAccountName(text)
            | Self::DistinguishedName(text)
            | Self::SourceAnchor(text) => f.write_str(text),
        }
    }
}

/// Base64 of 16 bytes: 22 characters of the alphabet, then `==`.
fn is_source_anchor(text: &str) -> bool {
    text.len() == 24
        && text.ends_with("==")
        && text[..22]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}
