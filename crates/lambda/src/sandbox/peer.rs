//! Who is calling a sandbox's Runtime API: only the sandbox's own processes may.
//!
//! AWS: each Runtime API is reachable only inside its micro-VM. Sluice: every listener is on the
//! host's loopback, so each accepted connection is traced to its process: the client socket's
//! inode (asked of the kernel by its exact address with `sock_diag` netlink, else found in
//! `/proc/net/tcp`), then whether a process of the sandbox holds that inode among its descriptors
//! (`/proc/<pid>/fd`). Checked once per connection; most runtimes keep one connection alive for
//! all their requests, but some HTTP clients reconnect now and then (`lambda_runtime`'s pool opens
//! a second connection when its next request races the previous connection's return to the pool,
//! bench/README.md), so the descriptors that held recent clients' sockets are tried first.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use super::containment::Containment;
use crate::runtime_api::PeerCheck;

/// Admits connections whose client socket belongs to a process of one sandbox.
pub(crate) struct SandboxPeers {
    containment: Arc<Containment>,
    /// Where recently admitted clients' sockets were found (process, descriptor), newest first:
    /// only the order of the search. Every check still needs a live member of the sandbox whose
    /// descriptor is the socket; a scan reads every descriptor's link, a hint one.
    recent: Mutex<VecDeque<(u32, OsString)>>,
}

/// How many recent descriptors are tried before a scan.
const RECENT: usize = 4;

impl SandboxPeers {
    /// The check for the sandbox held by `containment`.
    pub fn new(containment: Arc<Containment>) -> SandboxPeers {
        SandboxPeers {
            containment,
            recent: Mutex::new(VecDeque::with_capacity(RECENT)),
        }
    }
}

impl PeerCheck for SandboxPeers {
    fn allows(&self, peer: SocketAddr, local: SocketAddr) -> bool {
        let Some(inode) = socket_inode(peer, local) else {
            return false;
        };
        let wanted = format!("socket:[{inode}]");
        let members = self.containment.members();
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let hinted = recent
            .iter()
            .any(|(pid, fd)| members.contains(pid) && links_to(*pid, fd, &wanted));
        if hinted {
            return true;
        }
        let Some((pid, fd)) = members
            .into_iter()
            .find_map(|pid| descriptor_of(pid, &wanted).map(|fd| (pid, fd)))
        else {
            return false;
        };
        recent.truncate(RECENT - 1);
        recent.push_front((pid, fd));
        true
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
    // Reading /proc/net/tcp walks the kernel's whole connection hash (~2 ms on a large host);
    // sock_diag looks up one socket (µs).
    diag_inode(peer, local).or_else(|| proc_net_inode(peer, local))
}

/// `SOCK_DIAG_BY_FAMILY`: the netlink message type of a socket query and of its answer.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// Size of `struct nlmsghdr`.
const NLMSG_HEADER: usize = 16;
/// Size of `struct inet_diag_req_v2`.
const DIAG_REQUEST: usize = 56;
/// Offset of `idiag_inode` in `struct inet_diag_msg`.
const DIAG_INODE_AT: usize = 68;

/// Ask the kernel (netlink `sock_diag`) for the inode of the TCP socket `peer → local`.
fn diag_inode(peer: SocketAddr, local: SocketAddr) -> Option<u64> {
    use nix::sys::socket::{
        recv, sendto, socket, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol,
        SockType,
    };
    use std::os::fd::AsRawFd;

    let request = diag_request(peer, local)?;
    let fd = socket(
        AddressFamily::Netlink,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkSockDiag,
    )
    .ok()?;
    let kernel = NetlinkAddr::new(0, 0);
    sendto(fd.as_raw_fd(), &request, &kernel, MsgFlags::empty()).ok()?;
    let mut answer = [0u8; 1024];
    let n = recv(fd.as_raw_fd(), &mut answer, MsgFlags::empty()).ok()?;
    parse_diag_answer(answer.get(..n)?)
}

/// `nlmsghdr` + `inet_diag_req_v2` asking for one socket by its exact addresses.
fn diag_request(peer: SocketAddr, local: SocketAddr) -> Option<Vec<u8>> {
    let family: u8 = match (peer, local) {
        (SocketAddr::V4(_), SocketAddr::V4(_)) => 2,  // AF_INET
        (SocketAddr::V6(_), SocketAddr::V6(_)) => 10, // AF_INET6
        _ => return None,
    };
    let address = |addr: SocketAddr| -> [u8; 16] {
        let mut out = [0u8; 16];
        match addr.ip() {
            IpAddr::V4(ip) => out[..4].copy_from_slice(&ip.octets()),
            IpAddr::V6(ip) => out.copy_from_slice(&ip.octets()),
        }
        out
    };
    let mut msg = Vec::with_capacity(NLMSG_HEADER + DIAG_REQUEST);
    msg.extend_from_slice(&((NLMSG_HEADER + DIAG_REQUEST) as u32).to_ne_bytes());
    msg.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    msg.extend_from_slice(&1u16.to_ne_bytes()); // NLM_F_REQUEST: one socket, not a dump
    msg.extend_from_slice(&1u32.to_ne_bytes()); // sequence number
    msg.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it in
    msg.extend_from_slice(&[family, 6, 0, 0]); // family, IPPROTO_TCP, no extensions, pad
    msg.extend_from_slice(&u32::MAX.to_ne_bytes()); // any state
                                                    // inet_diag_sockid, seen from the client's socket: its source is the peer.
    msg.extend_from_slice(&peer.port().to_be_bytes());
    msg.extend_from_slice(&local.port().to_be_bytes());
    msg.extend_from_slice(&address(peer));
    msg.extend_from_slice(&address(local));
    msg.extend_from_slice(&0u32.to_ne_bytes()); // any interface
    msg.extend_from_slice(&[0xff; 8]); // INET_DIAG_NOCOOKIE
    Some(msg)
}

/// The inode in a `sock_diag` answer; `None` for an error (no such socket) or a short message.
fn parse_diag_answer(answer: &[u8]) -> Option<u64> {
    let kind = u16::from_ne_bytes(answer.get(4..6)?.try_into().ok()?);
    if kind != SOCK_DIAG_BY_FAMILY {
        return None;
    }
    let at = NLMSG_HEADER + DIAG_INODE_AT;
    let inode = u32::from_ne_bytes(answer.get(at..at + 4)?.try_into().ok()?);
    (inode != 0).then_some(u64::from(inode))
}

/// The same lookup through `/proc/net/tcp`, for hosts where netlink is not allowed.
fn proc_net_inode(peer: SocketAddr, local: SocketAddr) -> Option<u64> {
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
    descriptor_of(pid, &format!("socket:[{inode}]")).is_some()
}

/// The name of `pid`'s descriptor whose link reads `wanted` (`socket:[INODE]`), if any.
fn descriptor_of(pid: u32, wanted: &str) -> Option<OsString> {
    let fds = fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    fds.flatten()
        .find(|fd| fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == wanted))
        .map(|fd| fd.file_name())
}

/// Whether `pid`'s descriptor `fd` links to `wanted`.
fn links_to(pid: u32, fd: &OsString, wanted: &str) -> bool {
    let mut path = OsString::from(format!("/proc/{pid}/fd/"));
    path.push(fd);
    fs::read_link(path).is_ok_and(|target| target.as_os_str() == wanted)
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

    #[test]
    fn netlink_and_proc_agree() {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let local = listener.local_addr().unwrap();
        let client = std::net::TcpStream::connect(local).unwrap();
        let peer = client.local_addr().unwrap();
        let from_proc = proc_net_inode(peer, local);
        assert!(from_proc.is_some());
        if let Some(from_netlink) = diag_inode(peer, local) {
            assert_eq!(Some(from_netlink), from_proc);
        }
        // The other direction is the server's socket: another inode, or none before accept.
        assert_ne!(diag_inode(local, peer), from_proc);
    }

    /// The recent descriptors only order the search: a hint pointing at the very descriptor that
    /// holds the client's socket admits nobody whose process is not in the sandbox.
    #[test]
    fn recent_descriptors_never_admit_a_process_outside_the_sandbox() {
        use std::os::fd::AsRawFd;

        use super::super::containment::HostContainment;

        let host = HostContainment::plain_for_tests();
        // This process's sandbox, and one whose only process is a child holding no socket.
        let own = Arc::new(host.prepare(128).unwrap());
        own.set_leader(std::process::id());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let other = Arc::new(host.prepare(128).unwrap());
        other.set_leader(child.id());
        let ours = SandboxPeers::new(own);
        let theirs = SandboxPeers::new(other);
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let local = listener.local_addr().unwrap();
        for _ in 0..3 {
            // A client that reconnects: each connection is checked, the later ones by the hint.
            let client = std::net::TcpStream::connect(local).unwrap();
            let _accepted = listener.accept().unwrap();
            let peer = client.local_addr().unwrap();
            assert!(ours.allows(peer, local));
            assert!(ours
                .recent
                .lock()
                .unwrap()
                .iter()
                .any(|(pid, fd)| *pid == std::process::id()
                    && *fd == OsString::from(client.as_raw_fd().to_string())));
            // The other sandbox, even told where the socket is, refuses it.
            theirs.recent.lock().unwrap().push_front((
                std::process::id(),
                OsString::from(client.as_raw_fd().to_string()),
            ));
            assert!(!theirs.allows(peer, local));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// What one check costs (it runs once per Runtime API connection). Prints, never asserts.
    #[test]
    #[ignore = "measurement; run by hand"]
    fn cost_of_one_check() {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let local = listener.local_addr().unwrap();
        let client = std::net::TcpStream::connect(local).unwrap();
        let peer = client.local_addr().unwrap();
        let rows = fs::read_to_string("/proc/net/tcp").unwrap().lines().count();
        let n = 1000;
        let started = std::time::Instant::now();
        for _ in 0..n {
            let inode = socket_inode(peer, local).unwrap();
            assert!(holds_socket(std::process::id(), inode));
        }
        let each = started.elapsed() / n;
        let started = std::time::Instant::now();
        for _ in 0..n {
            proc_net_inode(peer, local).unwrap();
        }
        let proc_each = started.elapsed() / n;
        let fds = fs::read_dir("/proc/self/fd").unwrap().count();
        println!(
            "one peer check: {each:?} ({fds} descriptors); /proc/net/tcp lookup alone: {proc_each:?} ({rows} rows)"
        );
    }
}
