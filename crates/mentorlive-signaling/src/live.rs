//! The contract's signaling (`live:*` events) as a typed API, with errors that
//! keep the contract's codes, and automatic rejoin (with `resumePeerId`) after
//! the connection comes back.

use crate::client::{ClientError, ClientEvent, ClientOptions, ConnectionState, SocketClient};
use mentorlive_protocol::signaling::{
    AckEnvelope, JoinRequest, Joined, PeerInfo, PeerLeft, SignalEvent, SignalRequest, EVENT_JOIN,
    EVENT_LEAVE, EVENT_PEER_JOINED, EVENT_PEER_LEFT, EVENT_SIGNAL,
};
use mentorlive_protocol::{ErrorCode, ErrorDetail};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long to wait for an acknowledgement by default.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiveError {
    /// The server answered `{ok: false, error}`.
    #[error("{}", .0.message)]
    Refused(ErrorDetail),
    #[error(transparent)]
    Transport(#[from] ClientError),
    /// CONNECT was refused (a bad or expired token) or the server is gone.
    #[error("Could not connect to the signaling server: {0}")]
    Connect(ConnectFailure),
}

/// Why the signaling connection never came up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectFailure {
    /// CONNECT_ERROR `{message: "unauthorized"}`: the token was refused.
    #[error("the server refused the sign-in token")]
    Unauthorized,
    /// Anything else, in the words it came with.
    #[error("{0}")]
    Other(String),
}

impl ConnectFailure {
    /// The contract's CONNECT_ERROR message for a missing or bad token.
    const UNAUTHORIZED: &'static str = "unauthorized";

    /// Reads the reason the connection gave up with (the server's
    /// CONNECT_ERROR message, or a transport failure in words).
    pub fn from_reason(reason: String) -> ConnectFailure {
        if reason == Self::UNAUTHORIZED {
            ConnectFailure::Unauthorized
        } else {
            ConnectFailure::Other(reason)
        }
    }
}

impl LiveError {
    /// A stable snake_case code: the contract's code when the server gave one.
    pub fn code(&self) -> &str {
        match self {
            LiveError::Refused(detail) => detail.code.as_str(),
            LiveError::Transport(ClientError::Timeout) => "timeout",
            LiveError::Transport(
                ClientError::NotConnected | ClientError::Disconnected | ClientError::Closed,
            ) => "not_connected",
            LiveError::Transport(ClientError::TooLarge { .. }) => "payload_too_large",
            LiveError::Transport(ClientError::InvalidUrl(_)) => "invalid_server_url",
            LiveError::Connect(ConnectFailure::Unauthorized) => "unauthorized",
            LiveError::Connect(ConnectFailure::Other(_)) => "not_connected",
        }
    }

    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            LiveError::Refused(detail) => Some(detail.code),
            LiveError::Connect(ConnectFailure::Unauthorized) => Some(ErrorCode::Unauthorized),
            _ => None,
        }
    }
}

/// What the room tells us.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    PeerJoined(PeerInfo),
    Signal(SignalEvent),
    PeerLeft(PeerLeft),
    /// The signaling connection changed state (for a "Reconnecting…" banner).
    Connection(ConnectionState),
    /// Back in the room after a reconnect; the same peer id when the server
    /// still held our place.
    Rejoined(Joined),
    RejoinFailed(LiveError),
}

#[derive(Debug, Clone)]
struct Membership {
    code: String,
    peer_id: String,
}

/// A signed-in signaling connection.
#[derive(Clone)]
pub struct LiveClient {
    socket: SocketClient,
    membership: Arc<Mutex<Option<Membership>>>,
}

fn parse_ack(args: Vec<Value>) -> Result<AckEnvelope, LiveError> {
    let first = args.into_iter().next().unwrap_or(Value::Null);
    serde_json::from_value(first).map_err(|err| {
        LiveError::Refused(ErrorDetail {
            code: ErrorCode::Other,
            message: format!("The server's answer was not understood: {err}"),
        })
    })
}

impl LiveClient {
    /// Connects with `token` and waits until the server accepts it.
    pub async fn connect(
        server: &str,
        token: &str,
        mut options: ClientOptions,
    ) -> Result<(LiveClient, mpsc::Receiver<LiveEvent>), LiveError> {
        options.auth = json!({ "token": token });
        let (socket, events) = SocketClient::connect(server, options)?;
        socket
            .wait_connected()
            .await
            .map_err(|reason| LiveError::Connect(ConnectFailure::from_reason(reason)))?;
        let client = LiveClient {
            socket,
            membership: Arc::new(Mutex::new(None)),
        };
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(translate(client.clone(), events, tx));
        Ok((client, rx))
    }

    pub fn state(&self) -> tokio::sync::watch::Receiver<ConnectionState> {
        self.socket.state()
    }

    fn membership(&self) -> std::sync::MutexGuard<'_, Option<Membership>> {
        self.membership.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The peer id of the current room, if joined.
    pub fn peer_id(&self) -> Option<String> {
        self.membership().as_ref().map(|m| m.peer_id.clone())
    }

    async fn request(&self, event: &str, payload: Value) -> Result<AckEnvelope, LiveError> {
        let args = self
            .socket
            .emit_with_ack(event, vec![payload], ACK_TIMEOUT)
            .await?;
        parse_ack(args)
    }

    /// Joins the room of a live code (as typed: the server normalises it).
    pub async fn join(&self, code: &str) -> Result<Joined, LiveError> {
        self.join_with(code, None).await
    }

    async fn join_with(
        &self,
        code: &str,
        resume_peer_id: Option<String>,
    ) -> Result<Joined, LiveError> {
        let request = JoinRequest {
            code: code.to_owned(),
            resume_peer_id,
        };
        let payload = serde_json::to_value(&request).unwrap_or(Value::Null);
        let joined: Joined = self
            .request(EVENT_JOIN, payload)
            .await?
            .into_result()
            .map_err(LiveError::Refused)?;
        *self.membership() = Some(Membership {
            code: code.to_owned(),
            peer_id: joined.peer_id.clone(),
        });
        Ok(joined)
    }

    /// Sends `data` (an offer, answer or candidate) to peer `to`.
    pub async fn signal(&self, to: &str, data: Value) -> Result<(), LiveError> {
        let payload = serde_json::to_value(SignalRequest {
            to: to.to_owned(),
            data,
        })
        .unwrap_or(Value::Null);
        self.request(EVENT_SIGNAL, payload)
            .await?
            .into_result::<Value>()
            .map(|_| ())
            .map_err(LiveError::Refused)
    }

    /// Leaves the room (the other side hears `left`).
    pub async fn leave(&self) -> Result<(), LiveError> {
        self.membership().take();
        self.request(EVENT_LEAVE, json!({}))
            .await?
            .into_result::<Value>()
            .map(|_| ())
            .map_err(LiveError::Refused)
    }

    /// Closes the connection without leaving: the server keeps our place for
    /// its grace period (what a crash looks like to the other side).
    pub fn close(&self) {
        self.socket.close();
    }
}

async fn translate(
    client: LiveClient,
    mut events: mpsc::Receiver<ClientEvent>,
    out: mpsc::Sender<LiveEvent>,
) {
    let mut state = client.socket.state();
    loop {
        tokio::select! {
            changed = state.changed() => {
                if changed.is_err() { return; }
                let now = state.borrow_and_update().clone();
                if out.send(LiveEvent::Connection(now)).await.is_err() { return; }
            }
            event = events.recv() => {
                let Some(event) = event else { return };
                let live = match event {
                    ClientEvent::Event { name, mut args, .. } if !args.is_empty() => {
                        let payload = args.swap_remove(0);
                        match name.as_str() {
                            EVENT_PEER_JOINED => serde_json::from_value(payload).ok().map(LiveEvent::PeerJoined),
                            EVENT_SIGNAL => serde_json::from_value(payload).ok().map(LiveEvent::Signal),
                            EVENT_PEER_LEFT => {
                                let left: Option<PeerLeft> = serde_json::from_value(payload).ok();
                                // Replaced by ourselves elsewhere: we are out of the room.
                                if let Some(left) = &left {
                                    if client.peer_id().as_deref() == Some(left.peer_id.as_str()) {
                                        client.membership().take();
                                    }
                                }
                                left.map(LiveEvent::PeerLeft)
                            }
                            _ => None,
                        }
                    }
                    ClientEvent::Connected { reconnect: true, .. } => {
                        let membership = client.membership().clone();
                        match membership {
                            Some(m) => Some(match client.join_with(&m.code, Some(m.peer_id)).await {
                                Ok(joined) => LiveEvent::Rejoined(joined),
                                Err(err) => LiveEvent::RejoinFailed(err),
                            }),
                            None => None,
                        }
                    }
                    _ => None,
                };
                if let Some(live) = live {
                    if out.send(live).await.is_err() { return; }
                }
            }
        }
    }
}
