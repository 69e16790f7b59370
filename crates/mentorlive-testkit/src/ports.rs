//! Free TCP ports on loopback, for what a test starts on a port of its own.

use std::net::TcpListener;

/// A TCP port free on loopback just now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `N` different free ports, chosen together: a port freed and asked for
/// again may come back, so each is held until all are chosen.
pub fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    std::array::from_fn(|i| held[i].local_addr().expect("addr").port())
}
