//! The Socket.IO client: a tokio task that owns the WebSocket and the clock
//! and drives a [`Connection`] per transport session, reconnecting with
//! backoff. Callers talk to it through a cloneable [`SocketClient`] handle.

use crate::backoff::{random_unit, Backoff};
use crate::connection::{CloseReason, Connection, EmitError, Frame, Output, Recovery};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// What a UI shows about the signaling connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    Connecting,
    Connected,
    /// Lost; the next attempt starts after `delay`.
    Reconnecting {
        attempt: u32,
        delay: Duration,
        reason: String,
    },
    /// Given up, or refused by the server; no more attempts.
    Failed {
        reason: String,
    },
    /// Closed by us.
    Closed,
}

#[derive(Clone)]
pub struct ClientOptions {
    pub namespace: String,
    /// Sent in CONNECT (`auth`), e.g. `{"token": …}`.
    pub auth: Value,
    pub backoff: Backoff,
    /// Bounds the WebSocket handshake plus the Engine.IO/Socket.IO open.
    pub connect_timeout: Duration,
}

/// `auth` (the CONNECT's token) stays out of `{:?}`.
impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("namespace", &self.namespace)
            .field(
                "auth",
                &if self.auth.is_null() {
                    "none"
                } else {
                    "<redacted>"
                },
            )
            .field("backoff", &self.backoff)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            namespace: "/".into(),
            auth: Value::Null,
            backoff: Backoff::default(),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("The server address is not usable: {0}")]
    InvalidUrl(String),
    #[error("Not connected to the signaling server.")]
    NotConnected,
    #[error("The signaling server did not answer in time.")]
    Timeout,
    #[error("The connection dropped before the server answered.")]
    Disconnected,
    #[error("The message is too large for the server ({size} bytes, limit {max}).")]
    TooLarge { size: u64, max: u64 },
    #[error("The client is closed.")]
    Closed,
}

impl From<EmitError> for ClientError {
    fn from(err: EmitError) -> Self {
        match err {
            EmitError::NotConnected => ClientError::NotConnected,
            EmitError::TooLarge { size, max } => ClientError::TooLarge { size, max },
        }
    }
}

/// What arrives from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// Connected to the namespace; `reconnect` is true after a drop.
    Connected {
        sid: String,
        reconnect: bool,
    },
    Event {
        name: String,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        /// Answer with [`SocketClient::ack`].
        ack_id: Option<u64>,
    },
    Disconnected {
        reason: CloseReason,
    },
}

type AckReply = oneshot::Sender<Result<(Vec<Value>, Vec<Vec<u8>>), ClientError>>;

enum Command {
    Emit {
        name: String,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        ack_timeout: Option<Duration>,
        reply: AckReply,
    },
    Ack {
        id: u64,
        args: Vec<Value>,
    },
    Close,
}

/// A handle on the client task. Cloning shares the one connection.
#[derive(Clone)]
pub struct SocketClient {
    commands: mpsc::UnboundedSender<Command>,
    state: watch::Receiver<ConnectionState>,
}

/// `http(s)://host[:port][/prefix]` → `ws(s)://host[:port][/prefix]/socket.io/?EIO=4&transport=websocket`.
pub fn websocket_url(server: &str) -> Result<String, ClientError> {
    let mut url =
        url::Url::parse(server.trim()).map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
    let scheme = match url.scheme() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        other => {
            return Err(ClientError::InvalidUrl(format!(
                "unsupported scheme {other}"
            )))
        }
    };
    url.set_scheme(scheme)
        .map_err(|_| ClientError::InvalidUrl("cannot set scheme".into()))?;
    let path = format!("{}/socket.io/", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(Some("EIO=4&transport=websocket"));
    url.set_fragment(None);
    Ok(url.into())
}

impl SocketClient {
    /// Starts connecting in the background. Events arrive on the receiver;
    /// the state is in [`SocketClient::state`].
    pub fn connect(
        server: &str,
        options: ClientOptions,
    ) -> Result<(SocketClient, mpsc::Receiver<ClientEvent>), ClientError> {
        let url = websocket_url(server)?;
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(ConnectionState::Connecting);
        let (events_tx, events) = mpsc::channel(1024);
        tokio::spawn(run(url, options, command_rx, state_tx, events_tx));
        Ok((SocketClient { commands, state }, events))
    }

    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// Waits until connected, or returns the reason it never will be.
    pub async fn wait_connected(&self) -> Result<(), String> {
        let mut state = self.state.clone();
        let result = state
            .wait_for(|s| {
                matches!(
                    s,
                    ConnectionState::Connected
                        | ConnectionState::Failed { .. }
                        | ConnectionState::Closed
                )
            })
            .await;
        match result.as_deref() {
            Ok(ConnectionState::Connected) => Ok(()),
            Ok(ConnectionState::Failed { reason }) => Err(reason.clone()),
            _ => Err("closed".into()),
        }
    }

    /// Emits without asking for an answer.
    pub async fn emit(&self, name: &str, args: Vec<Value>) -> Result<(), ClientError> {
        self.send(name, args, Vec::new(), None).await.map(|_| ())
    }

    /// Emits and waits for the server's acknowledgement arguments.
    pub async fn emit_with_ack(
        &self,
        name: &str,
        args: Vec<Value>,
        timeout: Duration,
    ) -> Result<Vec<Value>, ClientError> {
        self.send(name, args, Vec::new(), Some(timeout))
            .await
            .map(|(args, _)| args)
    }

    /// Emits with binary attachments (`args` hold the placeholders).
    pub async fn emit_binary_with_ack(
        &self,
        name: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        timeout: Duration,
    ) -> Result<(Vec<Value>, Vec<Vec<u8>>), ClientError> {
        self.send(name, args, attachments, Some(timeout)).await
    }

    async fn send(
        &self,
        name: &str,
        args: Vec<Value>,
        attachments: Vec<Vec<u8>>,
        ack_timeout: Option<Duration>,
    ) -> Result<(Vec<Value>, Vec<Vec<u8>>), ClientError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Emit {
                name: name.to_owned(),
                args,
                attachments,
                ack_timeout,
                reply,
            })
            .map_err(|_| ClientError::Closed)?;
        answer.await.map_err(|_| ClientError::Closed)?
    }

    /// Answers a server event that asked for an acknowledgement.
    pub fn ack(&self, id: u64, args: Vec<Value>) {
        let _ = self.commands.send(Command::Ack { id, args });
    }

    /// Disconnects and stops reconnecting.
    pub fn close(&self) {
        let _ = self.commands.send(Command::Close);
    }
}

/// How one transport session ended.
enum SessionEnd {
    /// Worth another attempt; `was_connected` resets the backoff.
    Lost {
        reason: String,
        was_connected: bool,
    },
    Refused(String),
    ClientClosed,
}

async fn run(
    url: String,
    options: ClientOptions,
    mut commands: mpsc::UnboundedReceiver<Command>,
    state: watch::Sender<ConnectionState>,
    events: mpsc::Sender<ClientEvent>,
) {
    let mut recovery = Recovery::default();
    let mut ever_connected = false;
    let mut attempt = 0u32;
    loop {
        let end = session(
            &url,
            &options,
            &mut commands,
            &state,
            &events,
            &mut recovery,
            &mut ever_connected,
        )
        .await;
        let reason = match end {
            SessionEnd::ClientClosed => {
                state.send_replace(ConnectionState::Closed);
                return;
            }
            SessionEnd::Refused(reason) => {
                state.send_replace(ConnectionState::Failed { reason });
                return;
            }
            SessionEnd::Lost {
                reason,
                was_connected,
            } => {
                if was_connected {
                    attempt = 0;
                }
                reason
            }
        };
        attempt += 1;
        let Some(delay) = options.backoff.delay(attempt, random_unit()) else {
            state.send_replace(ConnectionState::Failed {
                reason: format!("gave up after {} attempts: {reason}", attempt - 1),
            });
            fail_commands_until_closed(&mut commands).await;
            return;
        };
        tracing::info!(attempt, ?delay, %reason, "signaling connection lost, reconnecting");
        state.send_replace(ConnectionState::Reconnecting {
            attempt,
            delay,
            reason,
        });
        let wake = Instant::now() + delay;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => break,
                command = commands.recv() => match command {
                    Some(Command::Emit { reply, .. }) => { let _ = reply.send(Err(ClientError::NotConnected)); }
                    Some(Command::Ack { .. }) => {}
                    Some(Command::Close) | None => {
                        state.send_replace(ConnectionState::Closed);
                        return;
                    }
                },
            }
        }
        state.send_replace(ConnectionState::Connecting);
    }
}

async fn fail_commands_until_closed(commands: &mut mpsc::UnboundedReceiver<Command>) {
    while let Some(command) = commands.recv().await {
        match command {
            Command::Emit { reply, .. } => {
                let _ = reply.send(Err(ClientError::NotConnected));
            }
            Command::Ack { .. } => {}
            Command::Close => return,
        }
    }
}

async fn session(
    url: &str,
    options: &ClientOptions,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    state: &watch::Sender<ConnectionState>,
    events: &mpsc::Sender<ClientEvent>,
    recovery: &mut Recovery,
    ever_connected: &mut bool,
) -> SessionEnd {
    let handshake = tokio::time::timeout(
        options.connect_timeout,
        // Nagle's algorithm off, as on the server: an emit must not wait
        // for the ACK of the one before it.
        tokio_tungstenite::connect_async_with_config(url, None, true),
    )
    .await;
    let ws = match handshake {
        Ok(Ok((ws, _response))) => ws,
        Ok(Err(err)) => {
            return SessionEnd::Lost {
                reason: err.to_string(),
                was_connected: false,
            }
        }
        Err(_) => {
            return SessionEnd::Lost {
                reason: "connect timeout".into(),
                was_connected: false,
            }
        }
    };
    let (mut sink, mut stream) = ws.split();
    let mut conn = Connection::new(
        &options.namespace,
        options.auth.clone(),
        recovery.clone(),
        Instant::now().into_std(),
        options.connect_timeout,
    );
    let mut pending: HashMap<u64, AckReply> = HashMap::new();
    let mut was_connected = false;
    loop {
        // Queue every frame, then flush once: one write for a burst of emits.
        let mut queued = false;
        while let Some(frame) = conn.poll_transmit() {
            let message = match frame {
                Frame::Text(text) => Message::text(text),
                Frame::Binary(bytes) => Message::binary(bytes),
            };
            if sink.feed(message).await.is_err() {
                conn.handle_transport_closed();
                break;
            }
            queued = true;
        }
        if queued && sink.flush().await.is_err() {
            conn.handle_transport_closed();
        }
        while let Some(output) = conn.poll_output() {
            match output {
                Output::Connected { sid } => {
                    was_connected = true;
                    let reconnect = *ever_connected;
                    *ever_connected = true;
                    state.send_replace(ConnectionState::Connected);
                    let _ = events.send(ClientEvent::Connected { sid, reconnect }).await;
                }
                Output::Event {
                    name,
                    args,
                    attachments,
                    ack_id,
                } => {
                    let _ = events
                        .send(ClientEvent::Event {
                            name,
                            args,
                            attachments,
                            ack_id,
                        })
                        .await;
                }
                Output::Ack {
                    id,
                    args,
                    attachments,
                } => {
                    if let Some(reply) = pending.remove(&id) {
                        let _ = reply.send(Ok((args, attachments)));
                    }
                }
                Output::AckTimeout { id } => {
                    if let Some(reply) = pending.remove(&id) {
                        let err = if conn.is_closed() {
                            ClientError::Disconnected
                        } else {
                            ClientError::Timeout
                        };
                        let _ = reply.send(Err(err));
                    }
                }
                Output::Closed(reason) => {
                    *recovery = conn.recovery().clone();
                    if was_connected {
                        let _ = events
                            .send(ClientEvent::Disconnected {
                                reason: reason.clone(),
                            })
                            .await;
                    }
                    let _ = sink.close().await;
                    return match reason {
                        CloseReason::ClientClosed => SessionEnd::ClientClosed,
                        CloseReason::Refused(message) => SessionEnd::Refused(message),
                        other => SessionEnd::Lost {
                            reason: format!("{other:?}"),
                            was_connected,
                        },
                    };
                }
            }
        }
        let deadline = conn.poll_timeout().map(Instant::from_std);
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => conn.handle_frame(Frame::Text(text.as_str().to_owned()), Instant::now().into_std()),
                Some(Ok(Message::Binary(bytes))) => conn.handle_frame(Frame::Binary(bytes.to_vec()), Instant::now().into_std()),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => conn.handle_transport_closed(),
            },
            command = commands.recv() => match command {
                Some(Command::Emit { name, args, attachments, ack_timeout, reply }) => {
                    match conn.emit(&name, args, attachments, ack_timeout, Instant::now().into_std()) {
                        Ok(Some(id)) => { pending.insert(id, reply); }
                        Ok(None) => { let _ = reply.send(Ok((Vec::new(), Vec::new()))); }
                        Err(err) => { let _ = reply.send(Err(err.into())); }
                    }
                }
                Some(Command::Ack { id, args }) => { let _ = conn.ack(id, args); }
                Some(Command::Close) | None => conn.close_by_client(),
            },
            _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => {
                conn.handle_timeout(Instant::now().into_std());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_become_socket_io_websocket_urls() {
        assert_eq!(
            websocket_url("http://127.0.0.1:8787").expect("url"),
            "ws://127.0.0.1:8787/socket.io/?EIO=4&transport=websocket"
        );
        assert_eq!(
            websocket_url("https://example.org/base/").expect("url"),
            "wss://example.org/base/socket.io/?EIO=4&transport=websocket"
        );
        assert!(websocket_url("ftp://x").is_err());
        assert!(websocket_url("nonsense").is_err());
    }
}
