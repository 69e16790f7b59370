//! Live rooms over Socket.IO (socketioxide on the same axum app and port):
//! token check on CONNECT, then `live:join`, `live:signal`, `live:leave`.
//!
//! The rules live in [`rooms::Rooms`], a plain state machine; this module
//! checks payloads, runs the database checks and the grace timers, and turns
//! the machine's effects into emits.

pub mod ice;
pub mod rooms;
mod sequencer;

use crate::auth::token_hash;
use crate::rate_limit::Limit;
use crate::routes::sessions::resolve_live_code;
use crate::state::AppState;
use mentorlive_protocol::signaling::{
    AckEnvelope, JoinRequest, PeerUser, SignalRequest, EVENT_JOIN, EVENT_LEAVE, EVENT_SIGNAL,
};
use mentorlive_protocol::{ErrorCode, ErrorDetail, User};
use rooms::{Emit, JoinParams, Rooms};
use sequencer::{Sequencer, Turn};
use serde_json::Value;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::socket::Sid;
use socketioxide::SocketIo;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Signaling messages are SDP and candidates: a few kilobytes. Past this the
/// server closes the connection rather than buffer it.
const MAX_PAYLOAD: u64 = 128 * 1024;

/// What the signaling handlers share.
#[derive(Clone)]
pub struct Signaling {
    rooms: Arc<Mutex<Rooms<Sid>>>,
}

impl Signaling {
    /// Rooms held and peers in them.
    pub fn counts(&self) -> (usize, usize) {
        self.lock().counts()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rooms<Sid>> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The signed-in user of one socket, and the order of its messages.
struct Connection {
    user: User,
    sequencer: Arc<Sequencer>,
}

/// The Socket.IO layer to put on the axum router, and the state it serves.
pub fn layer(state: AppState) -> (socketioxide::layer::SocketIoLayer, Signaling) {
    let signaling = Signaling {
        rooms: Arc::new(Mutex::new(Rooms::default())),
    };
    let (layer, io) = SocketIo::builder()
        .with_state(state)
        .with_state(signaling.clone())
        .max_payload(MAX_PAYLOAD)
        // The same bound on WebSocket messages (engineioxide's default is
        // 64 MiB, which let one client make the server buffer that much).
        .ws_max_message_size(MAX_PAYLOAD as usize)
        .ws_max_frame_size(MAX_PAYLOAD as usize)
        .build_layer();
    io.ns("/", on_connect.with(authenticate));
    (layer, signaling)
}

#[derive(Debug)]
struct Unauthorized;

impl std::fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The contract's CONNECT_ERROR is exactly {message: "unauthorized"}.
        f.write_str("unauthorized")
    }
}

impl std::error::Error for Unauthorized {}

/// CONNECT carries `auth = {token}`; anything else is refused.
async fn authenticate(
    s: SocketRef,
    State(app): State<AppState>,
    TryData(auth): TryData<Value>,
) -> Result<(), Unauthorized> {
    let token = auth
        .ok()
        .and_then(|auth| auth.get("token").and_then(Value::as_str).map(str::to_owned))
        .ok_or(Unauthorized)?;
    let user = app
        .store
        .user_by_token(&token_hash(&token), crate::now())
        .await
        .ok()
        .flatten()
        .ok_or(Unauthorized)?;
    tracing::debug!(user_id = %user.id, sid = %s.id, "signaling connected");
    s.extensions.insert(Arc::new(Connection {
        user,
        sequencer: Arc::new(Sequencer::default()),
    }));
    // socketioxide sends the CONNECT answer before it spawns the connect
    // handler, so a client that emits straight away could beat handlers
    // registered there. Registering here, before the answer, closes that gap.
    register_handlers(&s);
    Ok(())
}

async fn on_connect() {}

fn register_handlers(s: &SocketRef) {
    s.on(EVENT_JOIN, on_join);
    s.on(EVENT_SIGNAL, on_signal);
    s.on(EVENT_LEAVE, on_leave);
    s.on_fallback(on_unknown_event);
    s.on_disconnect(on_disconnect);
}

fn error(code: ErrorCode, message: impl Into<String>) -> ErrorDetail {
    ErrorDetail {
        code,
        message: message.into(),
    }
}

fn send_ack(ack: AckSender, reply: Result<AckEnvelope, ErrorDetail>) {
    let envelope = reply.unwrap_or_else(AckEnvelope::err);
    // No ack id (the client did not ask) or a closed socket: nothing to do.
    let _ = ack.send(&envelope);
}

/// Emits each effect. A socket that is already gone, while the room still
/// counts it as present (its disconnect handler has not run yet), gets the
/// message kept for its resume instead of losing it.
fn apply(io: &SocketIo, rooms: &mut Rooms<Sid>, emits: Vec<Emit<Sid>>) {
    for emit in emits {
        match io.get_socket(emit.to) {
            Some(socket) => {
                if let Err(err) = socket.emit(emit.event, &emit.payload) {
                    tracing::warn!(error = %err, event = emit.event, "could not emit");
                }
            }
            None => rooms.keep_for_resume(&emit.to, emit.event, emit.payload),
        }
    }
}

fn connection(s: &SocketRef) -> Option<Arc<Connection>> {
    s.extensions.get::<Arc<Connection>>()
}

async fn on_join(
    s: SocketRef,
    io: SocketIo,
    State(app): State<AppState>,
    State(signaling): State<Signaling>,
    ack: AckSender,
    turn: Turn,
    TryData(data): TryData<Value>,
) {
    let _turn = turn.wait().await;
    send_ack(ack, join(&s, &io, &app, &signaling, data.ok()).await);
}

async fn join(
    s: &SocketRef,
    io: &SocketIo,
    app: &AppState,
    signaling: &Signaling,
    data: Option<Value>,
) -> Result<AckEnvelope, ErrorDetail> {
    let conn = connection(s).ok_or_else(|| error(ErrorCode::Unauthorized, "Sign in again."))?;
    let request: JoinRequest = data
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| {
            error(
                ErrorCode::InvalidInput,
                "live:join takes {code, resumePeerId?}.",
            )
        })?;
    // A join checks a code just as validate does, so it counts against the
    // same limits: signaling is no way around them.
    let address = client_address(s);
    app.rate_limit(&[
        (Limit::ValidatePerUser, &conn.user.id),
        (Limit::ValidatePerAddress, &address),
    ])
    .map_err(|e| error(e.code, e.message))?;
    let now = crate::now();
    let (row, _code) = resolve_live_code(app, &conn.user.id, &request.code, now)
        .await
        .map_err(|e| error(e.code, e.message))?;
    let params = JoinParams {
        user: PeerUser {
            id: conn.user.id.clone(),
            name: conn.user.name.clone(),
            role: conn.user.role,
        },
        session_id: row.id.clone(),
        mentor_id: row.mentor.id.clone(),
        resume_peer_id: request.resume_peer_id,
        ice_servers: app.settings.ice.servers_for(&conn.user.id, now),
    };
    let mut rooms = signaling.lock();
    let (joined, emits) = rooms.join(s.id, params, new_peer_id())?;
    // Emitting under the lock keeps every peer's events in the order the
    // room machine produced them.
    apply(io, &mut rooms, emits);
    tracing::info!(session_id = %joined.session_id, peer_id = %joined.peer_id, "joined live room");
    Ok(AckEnvelope::ok(&joined))
}

async fn on_signal(
    s: SocketRef,
    io: SocketIo,
    State(signaling): State<Signaling>,
    ack: AckSender,
    turn: Turn,
    TryData(data): TryData<Value>,
) {
    let _turn = turn.wait().await;
    let reply = data
        .ok()
        .and_then(|v| serde_json::from_value::<SignalRequest>(v).ok())
        .filter(|r| r.data.is_object())
        .ok_or_else(|| {
            error(
                ErrorCode::InvalidInput,
                "live:signal takes {to, data} with data an object.",
            )
        })
        .and_then(|request| {
            let mut rooms = signaling.lock();
            let emits = rooms.signal(&s.id, &request.to, request.data)?;
            apply(&io, &mut rooms, emits);
            Ok(AckEnvelope::ok_empty())
        });
    send_ack(ack, reply);
}

async fn on_leave(
    s: SocketRef,
    io: SocketIo,
    State(signaling): State<Signaling>,
    ack: AckSender,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let mut rooms = signaling.lock();
    let emits = rooms.leave(&s.id);
    apply(&io, &mut rooms, emits);
    drop(rooms);
    send_ack(ack, Ok(AckEnvelope::ok_empty()));
}

async fn on_unknown_event(ack: AckSender) {
    send_ack(
        ack,
        Err(error(
            ErrorCode::InvalidInput,
            "Unknown event: this server speaks live:join, live:signal and live:leave.",
        )),
    );
}

async fn on_disconnect(
    s: SocketRef,
    io: SocketIo,
    State(app): State<AppState>,
    State(signaling): State<Signaling>,
) {
    let ticket = signaling.lock().disconnect(&s.id);
    let Some(ticket) = ticket else {
        return;
    };
    tracing::info!(session_id = %ticket.session_id, peer_id = %ticket.peer_id, "peer dropped, grace period starts");
    let grace = app.settings.grace_period;
    tokio::spawn(async move {
        tokio::time::sleep(grace).await;
        let mut rooms = signaling.lock();
        let emits = rooms.grace_expired(&ticket);
        apply(&io, &mut rooms, emits);
    });
}

fn client_address(s: &SocketRef) -> String {
    s.req_parts()
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// 128 random bits, hex: unguessable, so a peer id is no handle for others.
fn new_peer_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        // The OS RNG failing is not something to limp on with a weak id.
        return uuid::Uuid::new_v4().simple().to_string();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How long a dropped peer is kept for.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(15);
