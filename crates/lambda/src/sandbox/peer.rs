//! Who is calling a sandbox's Runtime API: only the sandbox's own processes may.
//!
//! AWS: each Runtime API is reachable only inside its micro-VM. Sluice: every listener is on the
//! host's loopback, so each accepted connection is traced to its process: the client socket's
//! inode from `/proc/net/tcp` (by the peer's port), then whether a process of the sandbox holds
//! that inode among its descriptors (`/proc/<pid>/fd`). Checked once per connection; runtimes
//! keep one connection alive for all their requests.

use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use super::containment::Containment;
use crate::runtime_api::PeerCheck;

/// Admits connections whose client socket belongs to a process of one sandbox.
pub(crate) struct SandboxPeers {
    containment: Arc<Containment>,
}

impl SandboxPeers {
    /// The check for the sandbox held by `containment`.
    pub fn new(containment: Arc<Containment>) -> SandboxPeers {
        SandboxPeers { containment }
    }
}

impl PeerCheck for SandboxPeers {
    fn allows(&self, peer: SocketAddr, local: SocketAddr) -> bool {
        let Some(inode) = socket_inode(peer, local) else {
            return false;
        };
        self.containment
            .members()
            .into_iter()
            .any(|pid| holds_socket(pid, inode))
    }
}

/// Whether this host can trace a loopback connection to its process: tried once at startup on a
/// connection Sluice makes to itself.
pub(crate) fn tracing_works() -> bool {
    let Ok(listener) = std::net::TcpListener::bind(("127.0.0.1", 0)) else {
        return false;
    };
    let Ok(local) = listener.local_addr() else {
        return false;
    };
    let Ok(client) = std::net::TcpStream::connect(local) else {
        return false;
    };
    let Ok(peer) = client.local_addr() else {
        return false;
    };
    socket_inode(peer, local).is_some_and(|inode| holds_socket(std::process::id(), inode))
}

/// The inode of the socket whose local end is `peer` and remote end `local` (the client's end
/// of a connection accepted on `local`).
fn socket_inode(peer: SocketAddr, local: SocketAddr) -> Option<u64> {
    let table = match peer.ip() {
        IpAddr::V4(_) => "/proc/net/tcp",
        IpAddr::V6(_) => "/proc/net/tcp6",
    };
    let text = fs::read_to_string(table).ok()?;
    find_inode(&text, peer, local)
}

/// Find the row `peer → local` in a `/proc/net/tcp` table.
fn find_inode(table: &str, peer: SocketAddr, local: SocketAddr) -> Option<u64> {
    table.lines().skip(1).find_map(|row| {
        let fields: Vec<&str> = row.split_whitespace().collect();
        let (from, to, inode) = (fields.get(1)?, fields.get(2)?, fields.get(9)?);
        if parse_address(from)? != peer || parse_address(to)? != local {
            return None;
        }
        // A socket already closed (TIME_WAIT) has inode 0 and no owner.
        inode.parse().ok().filter(|&i| i != 0)
    })
}

/// `0100007F:1F90` → `127.0.0.1:8080`: the address as the kernel's in-memory words, in hex.
fn parse_address(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip: IpAddr = match ip.len() {
        8 => u32::from_str_radix(ip, 16)
            .ok()
            .map(|word| IpAddr::from(word.to_ne_bytes()))?,
        32 => {
            let mut octets = [0u8; 16];
            for (i, chunk) in octets.chunks_mut(4).enumerate() {
                let word = u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16).ok()?;
                chunk.copy_from_slice(&word.to_ne_bytes());
            }
            IpAddr::from(octets)
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Whether `pid` has a descriptor on socket `inode`.
fn holds_socket(pid: u32, inode: u64) -> bool {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    let wanted = format!("socket:[{inode}]");
    fds.flatten().any(|fd| {
        fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == wanted.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_proc_net_tcp_row() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
            0: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 424242 1 0000000000000000 20 4 30 10 -1\n";
        let peer: SocketAddr = "127.0.0.1:41394".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        if cfg!(target_endian = "little") {
            assert_eq!(find_inode(table, peer, local), Some(424242));
            assert_eq!(find_inode(table, local, peer), None);
        }
    }

    #[test]
    fn own_connection_is_traced_to_this_process() {
        assert!(tracing_works());
    }
}
