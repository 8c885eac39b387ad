//! `drs://HOST[:PORT]`: where a replication source connects.

/// The DC a replication source reads, from a `drs://HOST[:PORT]` URL:
/// without a port, the endpoint mapper (135) is asked for DRSUAPI's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrsEndpoint {
    host: String,
    port: Option<u16>,
}

/// A `drs://` URL that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// Another scheme than `drs://`.
    #[error("{0:?} is not a drs://HOST[:PORT] URL")]
    Scheme(String),
    /// No host.
    #[error("{0:?} names no host")]
    NoHost(String),
    /// A port that is not a number from 1 to 65535.
    #[error("{0:?}: the port is not a number from 1 to 65535")]
    Port(String),
}

impl DrsEndpoint {
    /// The DC at `host`, DRSUAPI's port from the endpoint mapper unless
    /// `port` is given.
    pub fn new(host: impl Into<String>, port: Option<u16>) -> Self {
        Self {
            host: host.into(),
            port,
        }
    }

    /// Parses `drs://HOST[:PORT]` (an IPv6 address in brackets).
    ///
    /// ```
    /// use hashsync_drs::DrsEndpoint;
    /// let dc = DrsEndpoint::parse("drs://127.0.0.2:49152")?;
    /// assert_eq!((dc.host(), dc.port()), ("127.0.0.2", Some(49152)));
    /// assert_eq!(DrsEndpoint::parse("drs://dc1.ad.test")?.port(), None);
    /// assert!(DrsEndpoint::parse("ldap://dc1").is_err());
    /// # Ok::<(), hashsync_drs::EndpointError>(())
    /// ```
    pub fn parse(url: &str) -> Result<Self, EndpointError> {
        let rest = url
            .strip_prefix("drs://")
            .ok_or_else(|| EndpointError::Scheme(url.to_owned()))?
            .trim_end_matches('/');
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| EndpointError::NoHost(url.to_owned()))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(EndpointError::Port(url.to_owned())),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            }
        };
        if host.is_empty() || host.contains('/') {
            return Err(EndpointError::NoHost(url.to_owned()));
        }
        let port = match port {
            None => None,
            Some(text) => match text.parse::<u16>() {
                Ok(port) if port > 0 => Some(port),
                _ => return Err(EndpointError::Port(url.to_owned())),
            },
        };
        Ok(Self::new(host, port))
    }

    /// The host name or address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The DRSUAPI port, if given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
}

impl core::fmt::Display for DrsEndpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(port) => write!(f, "{host}:{port}"),
            None => f.write_str(&host),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_or_say_what_is_wrong() {
        let v6 = DrsEndpoint::parse("drs://[::1]:1024").unwrap();
        assert_eq!((v6.host(), v6.port()), ("::1", Some(1024)));
        assert_eq!(v6.to_string(), "[::1]:1024");
        assert_eq!(DrsEndpoint::parse("drs://dc/").unwrap().port(), None);
        for bad in ["drs://", "drs://:135", "drs://[::1"] {
            assert!(
                matches!(DrsEndpoint::parse(bad), Err(EndpointError::NoHost(_))),
                "{bad}"
            );
        }
        for bad in ["drs://dc:0", "drs://dc:65536", "drs://dc:x", "drs://[::1]x"] {
            assert!(
                matches!(DrsEndpoint::parse(bad), Err(EndpointError::Port(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            DrsEndpoint::parse("ldapi://x"),
            Err(EndpointError::Scheme(_))
        ));
    }
}
