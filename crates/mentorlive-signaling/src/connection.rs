//! One Socket.IO connection as a state machine, free of I/O: frames and time
//! in, frames, outputs and a deadline out. The driver in [`crate::client`]
//! owns the WebSocket and the clock; tests step this directly.

use crate::packet::{DecodeError, EnginePacket, Packet, PacketKind};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// A WebSocket frame to send or that arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// No ping from the server within `pingInterval + pingTimeout`.
    PingTimeout,
    /// The server closed the Engine.IO session or disconnected the namespace.
    ServerClosed,
    /// The server refused CONNECT (CONNECT_ERROR), with its message.
    Refused(String),
    /// The server broke the protocol.
    Protocol(String),
    /// We closed it.
    ClientClosed,
    /// No handshake within the connect timeout.
    ConnectTimeout,
}

/// What the connection tells its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// CONNECT was accepted; `sid` is the Socket.IO session id.
    Connected {
        sid: String,
    },
    /// An event from the server. Answer it with [`Connection::ack`] when
    /// `ack_id` is set.
    Event {
        name: String,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        ack_id: Option<u64>,
    },
    /// The answer to one of our emits.
    Ack {
        id: u64,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
    },
    /// One of our emits got no answer in time.
    AckTimeout {
        id: u64,
    },
    Closed(CloseReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the Engine.IO open packet.
    Opening,
    /// CONNECT sent, waiting for the answer.
    Connecting,
    Connected,
    Closed,
}

/// A packet whose binary attachments are still arriving.
struct PartialBinary {
    packet: Packet,
    attachments: Vec<Vec<u8>>,
}

/// Connection-state recovery: the session id the server gave and the offset
/// of the last event seen, sent back on reconnect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    pub pid: Option<String>,
    pub offset: Option<String>,
}

pub struct Connection {
    nsp: String,
    auth: Value,
    phase: Phase,
    /// When the server must have pinged by (or opened/connected by).
    deadline: Instant,
    ping_window: Duration,
    next_ack_id: u64,
    acks: HashMap<u64, Instant>,
    partial: Option<PartialBinary>,
    recovery: Recovery,
    transmit: VecDeque<Frame>,
    outputs: VecDeque<Output>,
    max_payload: u64,
}

impl Connection {
    /// A connection that will CONNECT to `nsp` with `auth` once the transport
    /// opens. `connect_timeout` bounds the whole handshake.
    pub fn new(
        nsp: &str,
        auth: Value,
        recovery: Recovery,
        now: Instant,
        connect_timeout: Duration,
    ) -> Connection {
        Connection {
            nsp: nsp.to_owned(),
            auth,
            phase: Phase::Opening,
            deadline: now + connect_timeout,
            ping_window: Duration::ZERO,
            next_ack_id: 0,
            acks: HashMap::new(),
            partial: None,
            recovery,
            transmit: VecDeque::new(),
            outputs: VecDeque::new(),
            max_payload: 1_000_000,
        }
    }

    pub fn is_connected(&self) -> bool {
        self.phase == Phase::Connected
    }

    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// What to send back on reconnect to recover missed events.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    pub fn poll_transmit(&mut self) -> Option<Frame> {
        self.transmit.pop_front()
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The next instant [`Connection::handle_timeout`] must be called at.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Closed {
            return None;
        }
        Some(
            self.acks
                .values()
                .copied()
                .chain([self.deadline])
                .min()
                .unwrap_or(self.deadline),
        )
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        if now >= self.deadline {
            let reason = match self.phase {
                Phase::Connected => CloseReason::PingTimeout,
                _ => CloseReason::ConnectTimeout,
            };
            self.close(reason);
            return;
        }
        let mut expired: Vec<u64> = self
            .acks
            .iter()
            .filter(|(_, d)| **d <= now)
            .map(|(id, _)| *id)
            .collect();
        expired.sort_unstable();
        for id in expired {
            self.acks.remove(&id);
            self.outputs.push_back(Output::AckTimeout { id });
        }
    }

    /// Feeds one frame from the WebSocket.
    pub fn handle_frame(&mut self, frame: Frame, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        let result = match frame {
            Frame::Text(text) => self.handle_text(&text, now),
            Frame::Binary(bytes) => self.handle_binary(bytes),
        };
        if let Err(err) = result {
            self.close(CloseReason::Protocol(err.to_string()));
        }
    }

    /// The transport closed under us.
    pub fn handle_transport_closed(&mut self) {
        if self.phase != Phase::Closed {
            self.close(CloseReason::ServerClosed);
        }
    }

    fn handle_text(&mut self, text: &str, now: Instant) -> Result<(), DecodeError> {
        match EnginePacket::decode(text)? {
            EnginePacket::Open(info) => {
                if self.phase != Phase::Opening {
                    return Err(DecodeError::Open("a second open packet".into()));
                }
                self.ping_window =
                    Duration::from_millis(info.ping_interval.saturating_add(info.ping_timeout));
                self.max_payload = info.max_payload;
                self.deadline = now + self.ping_window;
                self.phase = Phase::Connecting;
                let mut auth = self.auth.clone();
                if let (Some(pid), Value::Object(map)) = (&self.recovery.pid, &mut auth) {
                    map.insert("pid".into(), Value::String(pid.clone()));
                    if let Some(offset) = &self.recovery.offset {
                        map.insert("offset".into(), Value::String(offset.clone()));
                    }
                }
                let data = (!auth.is_null()).then_some(auth);
                self.transmit.push_back(Frame::Text(
                    Packet::new(PacketKind::Connect, &self.nsp, None, data).encode(),
                ));
            }
            EnginePacket::Ping => {
                self.deadline = now + self.ping_window;
                self.transmit.push_back(Frame::Text("3".into()));
            }
            EnginePacket::Close => self.close(CloseReason::ServerClosed),
            EnginePacket::Pong | EnginePacket::Noop | EnginePacket::Upgrade => {}
            EnginePacket::Message(message) => {
                let packet = Packet::decode(&message)?;
                if packet.attachments > 0 {
                    self.partial = Some(PartialBinary {
                        packet,
                        attachments: Vec::new(),
                    });
                } else {
                    self.handle_packet(packet, Vec::new());
                }
            }
        }
        Ok(())
    }

    fn handle_binary(&mut self, bytes: Vec<u8>) -> Result<(), DecodeError> {
        let partial = self.partial.as_mut().ok_or(DecodeError::Attachments)?;
        partial.attachments.push(bytes);
        if partial.attachments.len() == partial.packet.attachments {
            if let Some(done) = self.partial.take() {
                self.handle_packet(done.packet, done.attachments);
            }
        }
        Ok(())
    }

    fn handle_packet(&mut self, packet: Packet, attachments: Vec<Vec<u8>>) {
        if packet.nsp != self.nsp {
            return;
        }
        match packet.kind {
            PacketKind::Connect => {
                if self.phase != Phase::Connecting {
                    return;
                }
                let data = packet.data.unwrap_or(Value::Null);
                let sid = data
                    .get("sid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if let Some(pid) = data.get("pid").and_then(Value::as_str) {
                    if self.recovery.pid.as_deref() != Some(pid) {
                        self.recovery = Recovery {
                            pid: Some(pid.to_owned()),
                            offset: None,
                        };
                    }
                }
                self.phase = Phase::Connected;
                self.outputs.push_back(Output::Connected { sid });
            }
            PacketKind::ConnectError => {
                let message = match &packet.data {
                    Some(Value::String(s)) => s.clone(),
                    Some(data) => data
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("refused")
                        .to_owned(),
                    None => "refused".to_owned(),
                };
                self.close(CloseReason::Refused(message));
            }
            PacketKind::Disconnect => self.close(CloseReason::ServerClosed),
            PacketKind::Event | PacketKind::BinaryEvent => {
                let Some(Value::Array(mut args)) = packet.data else {
                    return;
                };
                let name = match args.remove(0) {
                    Value::String(name) => name,
                    _ => return,
                };
                // With connection-state recovery the server appends the
                // event's offset as a last string argument: keep it for the
                // reconnect and hand the event on without it.
                if self.recovery.pid.is_some() {
                    if let Some(Value::String(_)) = args.last() {
                        if let Some(Value::String(offset)) = args.pop() {
                            self.recovery.offset = Some(offset);
                        }
                    }
                }
                self.outputs.push_back(Output::Event {
                    name,
                    args,
                    attachments,
                    ack_id: packet.id,
                });
            }
            PacketKind::Ack | PacketKind::BinaryAck => {
                let Some(id) = packet.id else { return };
                if self.acks.remove(&id).is_none() {
                    return; // Timed out already, or never asked.
                }
                let args = match packet.data {
                    Some(Value::Array(args)) => args,
                    _ => Vec::new(),
                };
                self.outputs.push_back(Output::Ack {
                    id,
                    args,
                    attachments,
                });
            }
        }
    }

    /// Emits `name` with `args`. With `ack_timeout`, returns the ack id whose
    /// [`Output::Ack`] or [`Output::AckTimeout`] will follow. Binary
    /// attachments go where `args` hold placeholders ([`crate::packet::placeholder`]).
    pub fn emit(
        &mut self,
        name: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        ack_timeout: Option<Duration>,
        now: Instant,
    ) -> Result<Option<u64>, EmitError> {
        if self.phase != Phase::Connected {
            return Err(EmitError::NotConnected);
        }
        let id = ack_timeout.map(|timeout| {
            let id = self.next_ack_id;
            self.next_ack_id += 1;
            self.acks.insert(id, now + timeout);
            id
        });
        let mut data = Vec::with_capacity(args.len() + 1);
        data.push(Value::String(name.to_owned()));
        data.extend(args);
        let kind = if attachments.is_empty() {
            PacketKind::Event
        } else {
            PacketKind::BinaryEvent
        };
        self.send_packet(kind, id, Value::Array(data), attachments)?;
        Ok(id)
    }

    /// Answers a server event that asked for an acknowledgement.
    pub fn ack(&mut self, id: u64, args: Vec<Value>) -> Result<(), EmitError> {
        if self.phase != Phase::Connected {
            return Err(EmitError::NotConnected);
        }
        self.send_packet(PacketKind::Ack, Some(id), Value::Array(args), Vec::new())
    }

    fn send_packet(
        &mut self,
        kind: PacketKind,
        id: Option<u64>,
        data: Value,
        attachments: Vec<Vec<u8>>,
    ) -> Result<(), EmitError> {
        let mut packet = Packet::new(kind, &self.nsp, id, Some(data));
        packet.attachments = attachments.len();
        let text = packet.encode();
        let size = text.len() as u64 + attachments.iter().map(|a| a.len() as u64).sum::<u64>();
        if size > self.max_payload {
            if let Some(id) = id {
                self.acks.remove(&id);
            }
            return Err(EmitError::TooLarge {
                size,
                max: self.max_payload,
            });
        }
        self.transmit.push_back(Frame::Text(text));
        self.transmit
            .extend(attachments.into_iter().map(Frame::Binary));
        Ok(())
    }

    /// Disconnects from the namespace and closes the Engine.IO session.
    pub fn close_by_client(&mut self) {
        if self.phase == Phase::Connected {
            self.transmit.push_back(Frame::Text(
                Packet::new(PacketKind::Disconnect, &self.nsp, None, None).encode(),
            ));
        }
        if self.phase != Phase::Closed {
            self.transmit.push_back(Frame::Text("1".into()));
            self.close(CloseReason::ClientClosed);
        }
    }

    fn close(&mut self, reason: CloseReason) {
        self.phase = Phase::Closed;
        self.partial = None;
        let mut pending: Vec<u64> = self.acks.drain().map(|(id, _)| id).collect();
        pending.sort_unstable();
        self.outputs
            .extend(pending.into_iter().map(|id| Output::AckTimeout { id }));
        self.outputs.push_back(Output::Closed(reason));
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    #[error("not connected")]
    NotConnected,
    #[error("the message is {size} bytes, over the server's limit of {max}")]
    TooLarge { size: u64, max: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::placeholder;
    use serde_json::json;

    const OPEN: &str =
        r#"0{"sid":"e1","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#;

    fn text(c: &mut Connection) -> Vec<String> {
        std::iter::from_fn(|| c.poll_transmit())
            .map(|f| match f {
                Frame::Text(t) => t,
                Frame::Binary(b) => format!("<{} bytes>", b.len()),
            })
            .collect()
    }

    fn outputs(c: &mut Connection) -> Vec<Output> {
        std::iter::from_fn(|| c.poll_output()).collect()
    }

    fn connected(t0: Instant) -> Connection {
        let mut c = Connection::new(
            "/",
            json!({"token": "t"}),
            Recovery::default(),
            t0,
            Duration::from_secs(5),
        );
        c.handle_frame(Frame::Text(OPEN.into()), t0);
        assert_eq!(text(&mut c), vec![r#"40{"token":"t"}"#]);
        c.handle_frame(Frame::Text(r#"40{"sid":"s1"}"#.into()), t0);
        assert_eq!(
            outputs(&mut c),
            vec![Output::Connected { sid: "s1".into() }]
        );
        c
    }

    #[test]
    fn answers_pings_and_dies_when_they_stop() {
        let t0 = Instant::now();
        let mut c = connected(t0);
        assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_millis(500)));
        c.handle_frame(Frame::Text("2".into()), t0 + Duration::from_millis(300));
        assert_eq!(text(&mut c), vec!["3"]);
        assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_millis(800)));
        c.handle_timeout(t0 + Duration::from_millis(799));
        assert!(c.is_connected());
        c.handle_timeout(t0 + Duration::from_millis(800));
        assert_eq!(
            outputs(&mut c),
            vec![Output::Closed(CloseReason::PingTimeout)]
        );
        assert_eq!(c.poll_timeout(), None);
    }

    #[test]
    fn acks_arrive_or_time_out() {
        let t0 = Instant::now();
        let mut c = connected(t0);
        let a = c
            .emit(
                "live:join",
                vec![json!({"code": "X"})],
                vec![],
                Some(Duration::from_millis(100)),
                t0,
            )
            .expect("emit")
            .expect("id");
        let b = c
            .emit(
                "live:leave",
                vec![json!({})],
                vec![],
                Some(Duration::from_millis(50)),
                t0,
            )
            .expect("emit")
            .expect("id");
        assert_eq!(
            text(&mut c),
            vec![
                format!(r#"42{a}["live:join",{{"code":"X"}}]"#),
                format!(r#"42{b}["live:leave",{{}}]"#)
            ]
        );
        assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_millis(50)));
        c.handle_timeout(t0 + Duration::from_millis(50));
        assert_eq!(outputs(&mut c), vec![Output::AckTimeout { id: b }]);
        c.handle_frame(
            Frame::Text(format!(r#"43{a}[{{"ok":true}}]"#)),
            t0 + Duration::from_millis(60),
        );
        assert_eq!(
            outputs(&mut c),
            vec![Output::Ack {
                id: a,
                args: vec![json!({"ok": true})],
                attachments: vec![]
            }]
        );
        // A late ack for the timed-out emit is dropped.
        c.handle_frame(
            Frame::Text(format!(r#"43{b}[{{"ok":true}}]"#)),
            t0 + Duration::from_millis(70),
        );
        assert!(outputs(&mut c).is_empty());
    }

    #[test]
    fn connect_error_closes_with_the_servers_message() {
        let t0 = Instant::now();
        let mut c = Connection::new(
            "/",
            json!({}),
            Recovery::default(),
            t0,
            Duration::from_secs(5),
        );
        c.handle_frame(Frame::Text(OPEN.into()), t0);
        c.handle_frame(Frame::Text(r#"44{"message":"unauthorized"}"#.into()), t0);
        assert_eq!(
            outputs(&mut c),
            vec![Output::Closed(CloseReason::Refused("unauthorized".into()))]
        );
    }

    #[test]
    fn a_silent_server_is_a_connect_timeout() {
        let t0 = Instant::now();
        let mut c = Connection::new(
            "/",
            Value::Null,
            Recovery::default(),
            t0,
            Duration::from_secs(2),
        );
        c.handle_timeout(t0 + Duration::from_secs(2));
        assert_eq!(
            outputs(&mut c),
            vec![Output::Closed(CloseReason::ConnectTimeout)]
        );
    }

    #[test]
    fn binary_events_wait_for_their_attachments() {
        let t0 = Instant::now();
        let mut c = connected(t0);
        c.handle_frame(
            Frame::Text(r#"451-1["file",{"_placeholder":true,"num":0}]"#.into()),
            t0,
        );
        assert!(outputs(&mut c).is_empty());
        c.handle_frame(Frame::Binary(vec![1, 2, 3]), t0);
        assert_eq!(
            outputs(&mut c),
            vec![Output::Event {
                name: "file".into(),
                args: vec![placeholder(0)],
                attachments: vec![vec![1, 2, 3]],
                ack_id: Some(1)
            }]
        );
        c.emit("up", vec![placeholder(0)], vec![vec![9; 4]], None, t0)
            .expect("emit");
        assert_eq!(
            text(&mut c),
            vec![r#"451-["up",{"_placeholder":true,"num":0}]"#, "<4 bytes>"]
        );
        // A binary frame nobody announced is a protocol error.
        c.handle_frame(Frame::Binary(vec![0]), t0);
        assert!(matches!(
            outputs(&mut c).as_slice(),
            [Output::Closed(CloseReason::Protocol(_))]
        ));
    }

    #[test]
    fn recovery_offsets_are_stripped_kept_and_sent_back() {
        let t0 = Instant::now();
        let mut c = Connection::new(
            "/",
            json!({"token": "t"}),
            Recovery::default(),
            t0,
            Duration::from_secs(5),
        );
        c.handle_frame(Frame::Text(OPEN.into()), t0);
        text(&mut c);
        c.handle_frame(Frame::Text(r#"40{"sid":"s1","pid":"p1"}"#.into()), t0);
        c.handle_frame(
            Frame::Text(r#"42["live:signal",{"from":"a"},"offset-7"]"#.into()),
            t0,
        );
        let outs = outputs(&mut c);
        assert_eq!(
            outs[1],
            Output::Event {
                name: "live:signal".into(),
                args: vec![json!({"from": "a"})],
                attachments: vec![],
                ack_id: None
            }
        );
        assert_eq!(
            c.recovery(),
            &Recovery {
                pid: Some("p1".into()),
                offset: Some("offset-7".into())
            }
        );

        let mut again = Connection::new(
            "/",
            json!({"token": "t"}),
            c.recovery().clone(),
            t0,
            Duration::from_secs(5),
        );
        again.handle_frame(Frame::Text(OPEN.into()), t0);
        assert_eq!(
            text(&mut again),
            vec![r#"40{"offset":"offset-7","pid":"p1","token":"t"}"#]
        );
    }

    #[test]
    fn emits_before_connect_or_over_the_limit_are_refused_and_closing_fails_pending_acks() {
        let t0 = Instant::now();
        let mut c = Connection::new(
            "/",
            Value::Null,
            Recovery::default(),
            t0,
            Duration::from_secs(5),
        );
        assert_eq!(
            c.emit("x", vec![], vec![], None, t0),
            Err(EmitError::NotConnected)
        );
        let mut c = connected(t0);
        let big = "x".repeat(1_000_001);
        assert!(matches!(
            c.emit("x", vec![json!(big)], vec![], None, t0),
            Err(EmitError::TooLarge { .. })
        ));
        let id = c
            .emit("x", vec![], vec![], Some(Duration::from_secs(1)), t0)
            .expect("emit")
            .expect("id");
        text(&mut c);
        c.close_by_client();
        assert_eq!(text(&mut c), vec!["41", "1"]);
        assert_eq!(
            outputs(&mut c),
            vec![
                Output::AckTimeout { id },
                Output::Closed(CloseReason::ClientClosed)
            ]
        );
    }

    #[test]
    fn other_namespaces_are_ignored_and_namespaced_connects_use_the_prefix() {
        let t0 = Instant::now();
        let mut c = Connection::new(
            "/admin",
            json!({"token": "t"}),
            Recovery::default(),
            t0,
            Duration::from_secs(5),
        );
        c.handle_frame(Frame::Text(OPEN.into()), t0);
        assert_eq!(text(&mut c), vec![r#"40/admin,{"token":"t"}"#]);
        c.handle_frame(Frame::Text(r#"40/admin,{"sid":"s"}"#.into()), t0);
        c.handle_frame(Frame::Text(r#"42["elsewhere"]"#.into()), t0);
        assert_eq!(outputs(&mut c), vec![Output::Connected { sid: "s".into() }]);
    }
}
