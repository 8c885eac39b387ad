//! One bound DRSUAPI session: the sealed RPC connection, the `DRS_HANDLE`
//! from `IDL_DRSBind`, and the calls the source makes on it.

use std::time::{Duration, Instant};

use hashsync::formats::drs::SessionKey;
use uuid::Uuid;

use super::DrsEndpoint;
use super::error::{DrsSourceError, ERROR_DS_DRA_ACCESS_DENIED, GET_CHANGES, GET_CHANGES_ALL};
use crate::drsuapi::{
    BindReply, BindRequest, CrackNamesReply, CrackNamesRequest, DS_NAME_NO_ERROR, DrsExtensions,
    DrsHandle, GetNcChangesReply, GetNcChangesRequest, NameFormat, PartialAttributeSet,
    UnbindRequest, schema,
};
use crate::rpc::{AssociationConfig, ReplicationCredentials, RpcClient, Transcript};

/// A bound session and the time its calls took.
pub(super) struct Session {
    client: RpcClient,
    handle: DrsHandle,
    server: String,
    account: String,
    /// Time spent in RPC calls (sending, the server's work, receiving).
    pub(super) rpc_time: Duration,
}

impl Session {
    /// Connects, authenticates at packet privacy and binds as
    /// `client_dsa`.
    pub(super) fn open(
        endpoint: &DrsEndpoint,
        credentials: &ReplicationCredentials,
        client_dsa: Uuid,
        timeout: Duration,
        config: AssociationConfig,
    ) -> Result<Self, DrsSourceError> {
        let server = endpoint.to_string();
        let started = Instant::now();
        let rpc = |operation: &'static str| {
            let server = server.clone();
            move |source| DrsSourceError::Rpc {
                server,
                operation,
                source,
            }
        };
        let mut client = RpcClient::connect_with(
            endpoint.host(),
            endpoint.port(),
            credentials,
            timeout,
            config,
        )
        .map_err(rpc("connecting to DRSUAPI"))?;
        let request = BindRequest::new(client_dsa, DrsExtensions::replication_client());
        let stub = client
            .call(BindRequest::OPNUM, &request.encode())
            .map_err(rpc("IDL_DRSBind"))?;
        let reply = BindReply::decode(&stub).map_err(|source| DrsSourceError::MalformedReply {
            server: server.clone(),
            operation: "IDL_DRSBind",
            source,
        })?;
        if reply.return_code != 0 {
            return Err(DrsSourceError::Refused {
                server,
                operation: "IDL_DRSBind",
                code: reply.return_code,
            });
        }
        Ok(Self {
            client,
            handle: reply.handle,
            server,
            account: credentials.account(),
            rpc_time: started.elapsed(),
        })
    }

    /// The connection's session key (the key of the secret attributes).
    pub(super) fn session_key(&self) -> &SessionKey {
        self.client.session_key()
    }

    /// The connection's record of its traffic, if it keeps one.
    pub(super) fn transcript(&self) -> Option<&Transcript> {
        self.client.transcript()
    }

    /// `host[:port]`, for messages.
    pub(super) fn server(&self) -> &str {
        &self.server
    }

    fn call(
        &mut self,
        operation: &'static str,
        opnum: u16,
        stub: &[u8],
    ) -> Result<Vec<u8>, DrsSourceError> {
        let started = Instant::now();
        let reply = self.client.call(opnum, stub);
        self.rpc_time += started.elapsed();
        reply.map_err(|source| DrsSourceError::Rpc {
            server: self.server.clone(),
            operation,
            source,
        })
    }

    fn malformed(
        &self,
        operation: &'static str,
    ) -> impl FnOnce(crate::ndr::NdrError) -> DrsSourceError {
        let server = self.server.clone();
        move |source| DrsSourceError::MalformedReply {
            server,
            operation,
            source,
        }
    }

    /// The distinguished name and DNS name of the domain `netbios`
    /// (`DOMAIN\` cracked from an NT4 name to a DN).
    pub(super) fn domain_naming_context(
        &mut self,
        netbios: &str,
    ) -> Result<(String, String), DrsSourceError> {
        let request = CrackNamesRequest::new(
            self.handle,
            NameFormat::Nt4Account,
            NameFormat::Fqdn1779,
            vec![format!("{netbios}\\")],
        );
        let operation = "IDL_DRSCrackNames";
        let stub = self.call(operation, CrackNamesRequest::OPNUM, &request.encode())?;
        let reply = CrackNamesReply::decode(&stub).map_err(self.malformed(operation))?;
        if reply.return_code != 0 {
            return Err(DrsSourceError::Refused {
                server: self.server.clone(),
                operation,
                code: reply.return_code,
            });
        }
        let unknown = |status| DrsSourceError::UnknownDomain {
            server: self.server.clone(),
            domain: netbios.to_owned(),
            status,
        };
        let item = reply
            .items
            .into_iter()
            .next()
            .ok_or_else(|| unknown(u32::MAX))?;
        match (item.status, item.name, item.domain) {
            (DS_NAME_NO_ERROR, Some(dn), Some(dns)) if !dn.is_empty() && !dns.is_empty() => {
                Ok((dn, dns))
            }
            (status, _, _) => Err(unknown(status)),
        }
    }

    /// One `IDL_DRSGetNCChanges` call with `request` (its handle set
    /// here) in the domain `naming_context`. A refusal for want of rights
    /// is told apart ([`Session::missing_right`]).
    pub(super) fn get_nc_changes(
        &mut self,
        mut request: GetNcChangesRequest,
        naming_context: &str,
    ) -> Result<GetNcChangesReply, DrsSourceError> {
        request.handle = self.handle;
        let operation = "IDL_DRSGetNCChanges";
        let stub = self.call(operation, GetNcChangesRequest::OPNUM, &request.encode())?;
        // An error reply may come in a version this crate does not read:
        // look at the return value first.
        let code = GetNcChangesReply::peek_return_code(&stub).unwrap_or(0);
        if code == ERROR_DS_DRA_ACCESS_DENIED {
            let right = self.missing_right(request)?;
            return Err(DrsSourceError::MissingReplicationRight {
                server: self.server.clone(),
                account: self.account.clone(),
                naming_context: naming_context.to_owned(),
                right,
            });
        }
        if code != 0 {
            return Err(DrsSourceError::Refused {
                server: self.server.clone(),
                operation,
                code,
            });
        }
        GetNcChangesReply::decode(&stub).map_err(self.malformed(operation))
    }

    /// Which right a refused request lacked: asked for `objectGUID` alone,
    /// which every replicating account may read, the server answers when
    /// only Get-Changes-All (the secrets' right) is missing. (Samba counts
    /// more than the password attributes as secret, so leaving those out
    /// is not enough to tell.)
    fn missing_right(
        &mut self,
        mut request: GetNcChangesRequest,
    ) -> Result<&'static str, DrsSourceError> {
        let (mut table, set) = PartialAttributeSet::for_oids(&[schema::OBJECT_GUID]);
        if let Some(schema_info) = request.prefix_table_dest.entries.last() {
            table.entries.push(schema_info.clone());
        }
        request.partial_attr_set = Some(set);
        request.prefix_table_dest = table;
        request.max_objects = 1;
        let stub = self.call(
            "IDL_DRSGetNCChanges for objectGUID alone",
            GetNcChangesRequest::OPNUM,
            &request.encode(),
        )?;
        Ok(match GetNcChangesReply::peek_return_code(&stub) {
            Some(0) => GET_CHANGES_ALL,
            _ => GET_CHANGES,
        })
    }

    /// Unbinds (best effort: the server frees the handle when the
    /// connection closes anyway).
    pub(super) fn close(mut self) {
        let request = UnbindRequest::new(self.handle);
        let _ = self.call("IDL_DRSUnbind", UnbindRequest::OPNUM, &request.encode());
    }
}
