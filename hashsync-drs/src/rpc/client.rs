//! The blocking driver: an [`Association`] over a `std::net::TcpStream`,
//! every read and write bounded by the timeout.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use hashsync::formats::drs::SessionKey;

use super::association::{Association, AssociationConfig};
use super::credentials::ReplicationCredentials;
use super::epm::{EPM_PORT, EPT_MAP_OPNUM, ept_map_request, port_from_ept_map_reply};
use super::error::RpcError;
use super::pdu::{HEADER_LEN, Header};
use super::syntax::SyntaxId;
use super::transcript::Transcript;

/// A sealed DCE/RPC connection to the DRSUAPI interface of a DC.
///
/// ```no_run
/// use std::time::{Duration, Instant};
/// use hashsync::Password;
/// use hashsync_drs::rpc::{ReplicationCredentials, RpcClient};
/// let credentials = ReplicationCredentials::parse(r"ONPREM\Administrator", Password::new("…"))?;
/// let mut client = RpcClient::connect("127.0.0.2", None, &credentials, Duration::from_secs(10))?;
/// let reply = client.call(0, &[/* IDL_DRSBind's NDR stub */])?;
/// assert_eq!(client.session_key().expose_secret().len(), 16);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RpcClient {
    connection: Connection,
    association: Association,
    session_key: SessionKey,
}

impl RpcClient {
    /// Connects to DRSUAPI at `host`: asks the endpoint mapper (port 135)
    /// for the port unless `port` is given, binds with NTLM at packet
    /// privacy and completes the authentication.
    ///
    /// NTLM's third message (`auth3`) has no answer, so a wrong password
    /// or a disabled account is reported by the first [`RpcClient::call`],
    /// as [`RpcError::AuthenticationRejected`]. Every read and write, and
    /// every whole fragment, must complete within `timeout`.
    pub fn connect(
        host: &str,
        port: Option<u16>,
        credentials: &ReplicationCredentials,
        timeout: Duration,
    ) -> Result<Self, RpcError> {
        Self::connect_with(
            host,
            port,
            credentials,
            timeout,
            AssociationConfig::default(),
        )
    }

    /// [`RpcClient::connect`] with explicit sizes, limits and recording.
    pub fn connect_with(
        host: &str,
        port: Option<u16>,
        credentials: &ReplicationCredentials,
        timeout: Duration,
        config: AssociationConfig,
    ) -> Result<Self, RpcError> {
        let port = match port {
            Some(port) => port,
            None => lookup_port(host, &SyntaxId::DRSUAPI, timeout)?,
        };
        let mut connection = Connection::open(host, port, timeout)?;
        let mut association = Association::sealed(SyntaxId::DRSUAPI, credentials, config);
        let bind = association.bind()?;
        connection.send(&bind, "sending the bind")?;
        let ack = connection.receive(association.max_recv_frag(), "waiting for the bind_ack")?;
        if let Some(auth3) = association.handle_bind_ack(&ack)? {
            connection.send(&auth3, "sending auth3")?;
        }
        let session_key = association
            .session_key()
            .cloned()
            .ok_or(RpcError::NotReady("no session key after the bind"))?;
        Ok(Self {
            connection,
            association,
            session_key,
        })
    }

    /// One sealed call: sends the request fragments, returns the reply
    /// stub, reassembled, verified and decrypted.
    pub fn call(&mut self, opnum: u16, stub: &[u8]) -> Result<Vec<u8>, RpcError> {
        call(&mut self.connection, &mut self.association, opnum, stub)
    }

    /// Adds `interface` to the association (`alter_context`); returns the
    /// presentation context id to give [`RpcClient::call_in`].
    pub fn add_interface(&mut self, interface: SyntaxId) -> Result<u16, RpcError> {
        let (context, pdu) = self.association.alter_context(interface)?;
        self.connection.send(&pdu, "sending alter_context")?;
        let response = self.connection.receive(
            self.association.max_recv_frag(),
            "waiting for the alter_context_resp",
        )?;
        self.association.handle_alter_context_resp(&response)?;
        Ok(context)
    }

    /// [`RpcClient::call`] on another presentation context (one
    /// [`RpcClient::add_interface`] returned).
    pub fn call_in(&mut self, context: u16, opnum: u16, stub: &[u8]) -> Result<Vec<u8>, RpcError> {
        for fragment in self.association.request_in(context, opnum, stub)? {
            self.connection.send(&fragment, "sending a request")?;
        }
        receive_reply(&mut self.connection, &mut self.association)
    }

    /// The NTLM exported session key: the key of the DRS secret
    /// attributes this connection replicates.
    pub fn session_key(&self) -> &SessionKey {
        &self.session_key
    }

    /// The recorded traffic, when the config asked for it.
    pub fn transcript(&self) -> Option<&Transcript> {
        self.association.transcript()
    }
}

/// The TCP port the endpoint mapper at `host` gives for `interface`.
pub fn lookup_port(host: &str, interface: &SyntaxId, timeout: Duration) -> Result<u16, RpcError> {
    let mut connection = Connection::open(host, EPM_PORT, timeout)?;
    let mut association = Association::anonymous(SyntaxId::EPM, AssociationConfig::default());
    let bind = association.bind()?;
    connection.send(&bind, "binding to the endpoint mapper")?;
    let ack = connection.receive(
        association.max_recv_frag(),
        "waiting for the endpoint mapper",
    )?;
    association.handle_bind_ack(&ack)?;
    let reply = call(
        &mut connection,
        &mut association,
        EPT_MAP_OPNUM,
        &ept_map_request(interface),
    )?;
    port_from_ept_map_reply(&reply)
}

fn call(
    connection: &mut Connection,
    association: &mut Association,
    opnum: u16,
    stub: &[u8],
) -> Result<Vec<u8>, RpcError> {
    for fragment in association.request(opnum, stub)? {
        connection.send(&fragment, "sending a request")?;
    }
    receive_reply(connection, association)
}

fn receive_reply(
    connection: &mut Connection,
    association: &mut Association,
) -> Result<Vec<u8>, RpcError> {
    loop {
        let fragment = connection.receive(association.max_recv_frag(), "waiting for the reply")?;
        if let Some(reply) = association.handle_response(&fragment)? {
            return Ok(reply);
        }
    }
}

/// A TCP stream that reads whole PDUs.
#[derive(Debug)]
struct Connection {
    stream: TcpStream,
    timeout: Duration,
}

impl Connection {
    fn open(host: &str, port: u16, timeout: Duration) -> Result<Self, RpcError> {
        let address = format!("{host}:{port}");
        let connect_error = |source| RpcError::Connect {
            address: address.clone(),
            source,
        };
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolves to no address");
        for candidate in (host, port).to_socket_addrs().map_err(connect_error)? {
            match TcpStream::connect_timeout(&candidate, timeout) {
                Ok(stream) => {
                    let setup = |stream: &TcpStream| {
                        stream.set_read_timeout(Some(timeout))?;
                        stream.set_write_timeout(Some(timeout))?;
                        stream.set_nodelay(true)
                    };
                    setup(&stream).map_err(connect_error)?;
                    return Ok(Self { stream, timeout });
                }
                Err(err) => last = err,
            }
        }
        Err(connect_error(last))
    }

    fn send(&mut self, bytes: &[u8], during: &'static str) -> Result<(), RpcError> {
        self.stream
            .write_all(bytes)
            .map_err(|source| self.io_error(source, during))
    }

    /// One whole fragment, refusing one longer than `limit` before reading
    /// it. The whole fragment must arrive within the timeout, so a server
    /// that trickles bytes cannot hold the call either.
    fn receive(&mut self, limit: usize, during: &'static str) -> Result<Vec<u8>, RpcError> {
        let deadline = Instant::now() + self.timeout;
        let mut pdu = vec![0u8; HEADER_LEN];
        self.fill(&mut pdu, 0, HEADER_LEN, deadline, during)?;
        let header = Header::parse(&pdu)?;
        let length = usize::from(header.frag_length);
        if length > limit {
            return Err(RpcError::FragmentTooLong { length, limit });
        }
        pdu.resize(length, 0);
        self.fill(&mut pdu, HEADER_LEN, length, deadline, during)?;
        Ok(pdu)
    }

    fn fill(
        &mut self,
        buffer: &mut [u8],
        mut at: usize,
        expected: usize,
        deadline: Instant,
        during: &'static str,
    ) -> Result<(), RpcError> {
        while at < buffer.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(RpcError::Timeout {
                    during,
                    timeout: self.timeout,
                });
            }
            self.stream
                .set_read_timeout(Some(left))
                .map_err(|source| RpcError::Io { during, source })?;
            match self.stream.read(&mut buffer[at..]) {
                Ok(0) => {
                    return Err(RpcError::ConnectionClosed {
                        received: at,
                        expected,
                    });
                }
                Ok(n) => at += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(self.io_error(err, during)),
            }
        }
        Ok(())
    }

    fn io_error(&self, source: io::Error, during: &'static str) -> RpcError {
        match source.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => RpcError::Timeout {
                during,
                timeout: self.timeout,
            },
            _ => RpcError::Io { during, source },
        }
    }
}
