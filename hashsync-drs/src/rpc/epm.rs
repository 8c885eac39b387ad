//! The endpoint mapper's `ept_map` (C706 appendix O, opnum 3) for an
//! interface over `ncacn_ip_tcp`: the request stub with its protocol
//! tower, and the TCP port in the answer.
//!
//! A tower (C706 appendix L) is a floor count and that many floors, each
//! a left-hand side (a protocol identifier and data) and a right-hand
//! side (protocol data). For `ncacn_ip_tcp` the floors are: the interface
//! (0x0d, UUID, major version | minor version), the transfer syntax
//! (likewise), RPC connection-oriented (0x0b | minor version 0), TCP
//! (0x07 | port, big-endian) and IP (0x09 | address, big-endian).

use super::error::RpcError;
use super::syntax::SyntaxId;
use super::wire::{Reader, pad_to, put_u16, put_u32};

/// The operation number of `ept_map`.
pub const EPT_MAP_OPNUM: u16 = 3;
/// The endpoint mapper's well-known TCP port.
pub const EPM_PORT: u16 = 135;

const PROTOCOL_UUID: u8 = 0x0d;
const PROTOCOL_RPC_CO: u8 = 0x0b;
const PROTOCOL_TCP: u8 = 0x07;
const PROTOCOL_IP: u8 = 0x09;

/// How many towers the request asks for.
const MAX_TOWERS: u32 = 4;

/// The five-floor tower of `interface` over TCP/IP, with port and address
/// zero (what a lookup sends).
pub fn tcp_tower(interface: &SyntaxId) -> Vec<u8> {
    let mut tower = Vec::with_capacity(75);
    put_u16(&mut tower, 5);
    for syntax in [interface, &SyntaxId::NDR20] {
        put_u16(&mut tower, 19);
        tower.push(PROTOCOL_UUID);
        tower.extend_from_slice(&syntax.uuid.0);
        put_u16(&mut tower, syntax.major);
        put_u16(&mut tower, 2);
        put_u16(&mut tower, syntax.minor);
    }
    for (protocol, rhs) in [
        (PROTOCOL_RPC_CO, &[0u8, 0][..]),
        (PROTOCOL_TCP, &[0, 0][..]),
        (PROTOCOL_IP, &[0, 0, 0, 0][..]),
    ] {
        put_u16(&mut tower, 1);
        tower.push(protocol);
        put_u16(&mut tower, rhs.len() as u16);
        tower.extend_from_slice(rhs);
    }
    tower
}

/// The NDR stub of `ept_map(NULL object, tower, zero handle, 4)`.
pub fn ept_map_request(interface: &SyntaxId) -> Vec<u8> {
    let tower = tcp_tower(interface);
    let mut stub = Vec::with_capacity(128);
    // [in, ptr] uuid_p_t object: a full pointer to the nil UUID.
    put_u32(&mut stub, 1);
    stub.extend_from_slice(&[0; 16]);
    // [in, ptr] twr_p_t map_tower: referent, then twr_t (tower_length and
    // the conformant octet array: max count, bytes).
    put_u32(&mut stub, 2);
    put_u32(&mut stub, tower.len() as u32);
    put_u32(&mut stub, tower.len() as u32);
    stub.extend_from_slice(&tower);
    pad_to(&mut stub, 4);
    // [in, out] ept_lookup_handle_t *entry_handle: a nil context handle.
    stub.extend_from_slice(&[0; 20]);
    // [in] unsigned32 max_towers.
    put_u32(&mut stub, MAX_TOWERS);
    stub
}

/// The TCP port of the first `ncacn_ip_tcp` tower in an `ept_map` reply.
pub fn port_from_ept_map_reply(stub: &[u8]) -> Result<u16, RpcError> {
    let t = |at: super::wire::Truncated| RpcError::truncated("ept_map reply", at);
    let mut r = Reader::new(stub);
    r.take(20).map_err(t)?; // entry_handle
    let num_towers = r.u32().map_err(t)?;
    // towers: conformant varying array of tower pointers.
    let _max_count = r.u32().map_err(t)?;
    let _offset = r.u32().map_err(t)?;
    let actual = r.u32().map_err(t)?;
    if actual != num_towers || actual > MAX_TOWERS {
        return Err(RpcError::malformed(
            "ept_map reply",
            format!("{actual} towers returned, {num_towers} announced, {MAX_TOWERS} asked for"),
        ));
    }
    let mut referents = Vec::with_capacity(actual as usize);
    for _ in 0..actual {
        referents.push(r.u32().map_err(t)?);
    }
    let mut port = None;
    for referent in referents {
        if referent == 0 {
            continue;
        }
        let length = r.u32().map_err(t)?;
        let max_count = r.u32().map_err(t)?;
        if max_count != length {
            return Err(RpcError::malformed(
                "ept_map reply",
                "tower length disagrees with its array",
            ));
        }
        let tower = r.take(length as usize).map_err(t)?;
        r.align(4).map_err(t)?;
        if port.is_none() {
            port = tcp_port(tower)?;
        }
    }
    let status = r.u32().map_err(t)?;
    match port {
        Some(port) if status == 0 => Ok(port),
        _ => Err(RpcError::EndpointNotFound { status }),
    }
}

/// The port of the TCP floor of a tower, if it has one.
pub fn tcp_port(tower: &[u8]) -> Result<Option<u16>, RpcError> {
    let t = |at: super::wire::Truncated| RpcError::truncated("protocol tower", at);
    let mut r = Reader::new(tower);
    let floors = r.u16().map_err(t)?;
    for _ in 0..floors {
        let lhs_len = r.u16().map_err(t)?;
        let lhs = r.take(usize::from(lhs_len)).map_err(t)?;
        let rhs_len = r.u16().map_err(t)?;
        let rhs = r.take(usize::from(rhs_len)).map_err(t)?;
        if lhs == [PROTOCOL_TCP] {
            let port: [u8; 2] = rhs.try_into().map_err(|_| {
                RpcError::malformed("protocol tower", "TCP floor without a 2-byte port")
            })?;
            return Ok(Some(u16::from_be_bytes(port)));
        }
    }
    Ok(None)
}
