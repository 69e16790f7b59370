//! The proxy on real sockets: a UDP echo behind it, packets sent through it,
//! round trips and losses measured as a call's media would meet them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;

struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the proxy in front of `upstream`; its listening address.
fn proxy(upstream: std::net::SocketAddr, args: &[&str]) -> (Proxy, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mentorlive-impair"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &upstream.to_string(),
        ])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the proxy");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut line).expect("its first line");
    std::thread::spawn(move || for _ in stdout.lines() {});
    let addr = line
        .trim()
        .strip_prefix("{\"listening\":\"")
        .and_then(|l| l.strip_suffix("\"}"))
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .expect("an address");
    (Proxy(child), addr)
}

async fn echo() -> std::net::SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("echo");
    let addr = socket.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let _ = socket.send_to(&buf[..n], from).await;
        }
    });
    addr
}

/// Sends `count` packets 10 ms apart; the round trip of each that came back.
async fn round_trips(through: std::net::SocketAddr, count: u32) -> Vec<Duration> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("client");
    socket.connect(through).await.expect("connect");
    let start = Instant::now();
    let mut sent = Vec::new();
    let mut back = Vec::new();
    let mut buf = [0u8; 2048];
    for i in 0..count {
        sent.push(Instant::now());
        socket.send(&i.to_le_bytes()).await.expect("send");
        let until = start + Duration::from_millis(10 * (i as u64 + 1));
        while let Ok(Ok(n)) = tokio::time::timeout_at(until.into(), socket.recv(&mut buf)).await {
            let index = u32::from_le_bytes(buf[..n].try_into().expect("4 bytes")) as usize;
            back.push(sent[index].elapsed());
        }
    }
    while let Ok(Ok(n)) =
        tokio::time::timeout(Duration::from_millis(500), socket.recv(&mut buf)).await
    {
        let index = u32::from_le_bytes(buf[..n].try_into().expect("4 bytes")) as usize;
        back.push(sent[index].elapsed());
    }
    back
}

#[tokio::test]
async fn delay_each_way_adds_up_to_the_round_trip_and_loss_takes_its_share() {
    let upstream = echo().await;
    let (_proxy, addr) = proxy(upstream, &["--delay", "50ms", "--jitter", "5ms"]);
    let mut rtts = round_trips(addr, 100).await;
    rtts.sort();
    let median = rtts[rtts.len() / 2];
    println!(
        "100 ms round trip asked: {} came back, median {median:?}",
        rtts.len()
    );
    assert_eq!(rtts.len(), 100);
    assert!(
        median >= Duration::from_millis(95) && median <= Duration::from_millis(125),
        "{median:?}"
    );

    let (_lossy, addr) = proxy(upstream, &["--loss", "20%", "--seed", "5"]);
    let back = round_trips(addr, 400).await.len();
    // 20 % each way: 64 % of round trips survive.
    println!("20 % loss each way: {back} of 400 round trips");
    assert!((200..310).contains(&back), "{back}");
}
