//! `ldapi://` URLs for a DC's privileged socket.

use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters is encoded, `/` included:
/// the whole socket path sits in the URL's host part.
const HOST_PART: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `ldapi://` URL of a Unix socket: the scheme, then the
/// percent-encoded absolute path.
///
/// ```
/// use hashsync_samba::ldapi_url;
/// assert_eq!(
///     ldapi_url("/var/lib/samba/private/ldap_priv/ldapi"),
///     "ldapi://%2Fvar%2Flib%2Fsamba%2Fprivate%2Fldap_priv%2Fldapi"
/// );
/// ```
pub fn ldapi_url(socket: impl AsRef<Path>) -> String {
    let path = socket.as_ref().to_string_lossy();
    format!("ldapi://{}", utf8_percent_encode(&path, HOST_PART))
}

/// The socket path an `ldapi://` URL names (for messages), or the URL
/// itself when it is not one.
pub fn server_name(url: &str) -> String {
    match url.strip_prefix("ldapi://") {
        Some(rest) => {
            let host = rest.split('/').next().unwrap_or(rest);
            percent_decode_str(host).decode_utf8_lossy().into_owned()
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_the_host_part() {
        let path = "/tmp/lab 1/src/private/ldap_priv/ldapi";
        let url = ldapi_url(path);
        assert_eq!(
            url,
            "ldapi://%2Ftmp%2Flab%201%2Fsrc%2Fprivate%2Fldap_priv%2Fldapi"
        );
        assert_eq!(server_name(&url), path);
        assert_eq!(server_name("ldap://dc1"), "ldap://dc1");
    }
}
