//! Live rooms over Socket.IO (socketioxide on the same axum app and port):
//! token check on CONNECT, then `live:join`, `live:signal`, `live:leave`.
//!
//! The rules live in [`rooms::Rooms`], a plain state machine; this module
//! checks payloads, runs the database checks and the grace timers, and turns
//! the machine's effects into emits.

pub mod ice;
pub mod rooms;
mod sequencer;

use crate::analytics::EventLog;
use crate::auth::token_hash;
use crate::live_codes;
use crate::rate_limit::Limit;
use crate::state::AppState;
use mentorlive_protocol::signaling::{
    AckEnvelope, JoinRequest, PeerUser, SignalRequest, EVENT_JOIN, EVENT_LEAVE, EVENT_SIGNAL,
};
use mentorlive_protocol::{ErrorCode, ErrorDetail, User};
use rooms::{Emit, JoinParams, Rooms};
use sequencer::{Sequencer, Turn};
use serde_json::Value;
use socketioxide::adapter::{Adapter, LocalAdapter};
use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::socket::Sid;
use socketioxide::SocketIo;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod shared;

/// Signaling messages are SDP and candidates: a few kilobytes. Past this the
/// server closes the connection rather than buffer it.
const MAX_PAYLOAD: u64 = 128 * 1024;

/// What the signaling handlers share: the rooms, and where what happens in
/// them is recorded for analytics.
#[derive(Clone)]
pub struct Signaling {
    rooms: RoomsAt,
    events: EventLog,
}

/// The rooms, in this process (one node) or in Redis (several nodes, see
/// `shared`).
#[derive(Clone)]
enum RoomsAt {
    Local(Arc<Mutex<Rooms<Sid>>>),
    Shared(Arc<shared::SharedRooms>),
}

/// Which room an operation is about.
enum RoomOf<'a> {
    /// The room of this session (a join).
    Session(&'a str),
    /// Whatever room this connection is in.
    Conn(Sid),
}

impl Signaling {
    /// Runs `op` on the room machine and delivers what it emits, in order,
    /// before anyone else may touch that room; then records what happened
    /// to peers (after the room is free again).
    async fn run<A: Adapter, T>(
        &self,
        io: &SocketIo<A>,
        room: RoomOf<'_>,
        op: impl FnOnce(&mut Rooms<Sid>) -> (T, Vec<Emit<Sid>>),
    ) -> Result<Option<T>, ErrorDetail> {
        let op = |rooms: &mut Rooms<Sid>| {
            let (value, emits) = op(rooms);
            ((value, rooms.take_events()), emits)
        };
        let done = match &self.rooms {
            RoomsAt::Local(rooms) => {
                let mut rooms = rooms.lock().unwrap_or_else(|p| p.into_inner());
                let (value, emits) = op(&mut rooms);
                apply_local(io, &mut rooms, emits);
                let (held, peers) = rooms.counts();
                crate::metrics::rooms(held, peers);
                Ok(Some(value))
            }
            RoomsAt::Shared(shared) => shared.run(io, room, op).await,
        }?;
        Ok(done.map(|(value, events)| {
            self.events.record(events);
            value
        }))
    }
}

/// The signed-in user of one socket, and the order of its messages.
struct Connection {
    user: User,
    /// Checked again at each join: a token revoked or expired since the
    /// socket connected joins nothing.
    token_hash: String,
    sequencer: Arc<Sequencer>,
}

/// Lets a sign-out end the sockets its token opened, on any node.
fn end_sockets_with<A: Adapter>(state: &AppState, io: &SocketIo<A>) {
    let io = io.clone();
    let end: crate::state::EndSockets = Arc::new(move |room| {
        let io = io.clone();
        Box::pin(async move {
            if let Err(err) = io.to(room).disconnect().await {
                tracing::warn!(%err, "could not close a revoked token's sockets");
            }
        })
    });
    let _ = state.end_sockets.set(end);
}

/// Puts Socket.IO signaling on the axum router: rooms in this process, or,
/// on a cluster, in Redis with emits carried between nodes by socketioxide's
/// Redis adapter.
pub async fn attach(router: axum::Router, state: AppState) -> anyhow::Result<axum::Router> {
    let builder = SocketIo::builder()
        .max_payload(MAX_PAYLOAD)
        // The same bound on WebSocket messages (engineioxide's default is
        // 64 MiB, which let one client make the server buffer that much).
        .ws_max_message_size(MAX_PAYLOAD as usize)
        .ws_max_frame_size(MAX_PAYLOAD as usize);
    match state.cluster.clone() {
        None => {
            let signaling = Signaling {
                rooms: RoomsAt::Local(Arc::new(Mutex::new(Rooms::default()))),
                events: EventLog::new(state.store.clone()),
            };
            let (layer, io) = builder
                .with_state(state.clone())
                .with_state(signaling)
                .build_layer();
            end_sockets_with(&state, &io);
            io.ns("/", on_connect.with(authenticate::<LocalAdapter>));
            Ok(router.layer(layer))
        }
        Some(cluster) => {
            let config = socketioxide_redis::RedisAdapterConfig::new()
                .with_prefix(format!("{}-socket.io", cluster.prefix));
            let adapter =
                socketioxide_redis::RedisAdapterCtr::new_with_redis_config(&cluster.client, config)
                    .await?;
            let signaling = Signaling {
                rooms: RoomsAt::Shared(Arc::new(shared::SharedRooms::new(
                    cluster,
                    state.settings.grace_period,
                ))),
                events: EventLog::new(state.store.clone()),
            };
            let (layer, io) = builder
                .with_adapter::<socketioxide_redis::RedisAdapter<_>>(adapter)
                .with_state(state.clone())
                .with_state(signaling)
                .build_layer();
            end_sockets_with(&state, &io);
            io.ns("/", on_connect.with(authenticate))
                .await
                .map_err(|err| anyhow::anyhow!("subscribing to Redis for signaling: {err}"))?;
            Ok(router.layer(layer))
        }
    }
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
async fn authenticate<A: Adapter>(
    s: SocketRef<A>,
    State(app): State<AppState>,
    TryData(auth): TryData<Value>,
) -> Result<(), Unauthorized> {
    let token = auth
        .ok()
        .and_then(|auth| auth.get("token").and_then(Value::as_str).map(str::to_owned))
        .ok_or(Unauthorized)?;
    let hash = token_hash(&token);
    let user = app
        .store
        .user_by_token(&hash, crate::now())
        .await
        .ok()
        .flatten()
        .ok_or(Unauthorized)?;
    tracing::debug!(user_id = %user.id, sid = %s.id, "signaling connected");
    // A room named by the socket's id: emits reach it through the adapter
    // from whichever node holds its partner; and one for its token, which a
    // sign-out closes.
    s.join([s.id.to_string(), crate::state::token_room(&hash)]);
    s.extensions.insert(Arc::new(Connection {
        user,
        token_hash: hash,
        sequencer: Arc::new(Sequencer::default()),
    }));
    // socketioxide sends the CONNECT answer before it spawns the connect
    // handler, so a client that emits straight away could beat handlers
    // registered there. Registering here, before the answer, closes that gap.
    register_handlers(&s);
    crate::metrics::socket_connected(1.0);
    Ok(())
}

async fn on_connect() {}

fn register_handlers<A: Adapter>(s: &SocketRef<A>) {
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

fn send_ack<A: Adapter>(ack: AckSender<A>, reply: Result<AckEnvelope, ErrorDetail>) {
    let envelope = reply.unwrap_or_else(AckEnvelope::err);
    // No ack id (the client did not ask) or a closed socket: nothing to do.
    let _ = ack.send(&envelope);
}

/// Emits each effect. A socket that is already gone, while the room still
/// counts it as present (its disconnect handler has not run yet), gets the
/// message kept for its resume instead of losing it.
fn apply_local<A: Adapter>(io: &SocketIo<A>, rooms: &mut Rooms<Sid>, emits: Vec<Emit<Sid>>) {
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

fn connection<A: Adapter>(s: &SocketRef<A>) -> Option<Arc<Connection>> {
    s.extensions.get::<Arc<Connection>>()
}

async fn on_join<A: Adapter>(
    s: SocketRef<A>,
    io: SocketIo<A>,
    State(app): State<AppState>,
    State(signaling): State<Signaling>,
    ack: AckSender<A>,
    turn: Turn,
    TryData(data): TryData<Value>,
) {
    let _turn = turn.wait().await;
    let reply = join(&s, &io, &app, &signaling, data.ok()).await;
    crate::metrics::join(match &reply {
        Ok(_) => "ok",
        Err(refusal) => refusal.code.as_str(),
    });
    let signed_out = matches!(&reply, Err(e) if e.code == ErrorCode::Unauthorized);
    send_ack(ack, reply);
    // After the answer, so the client reads why.
    if signed_out {
        let _ = s.disconnect();
    }
}

async fn join<A: Adapter>(
    s: &SocketRef<A>,
    io: &SocketIo<A>,
    app: &AppState,
    signaling: &Signaling,
    data: Option<Value>,
) -> Result<AckEnvelope, ErrorDetail> {
    let conn = connection(s).ok_or_else(|| error(ErrorCode::Unauthorized, "Sign in again."))?;
    // The token again: signed out or expired since the socket connected,
    // it joins nothing, and the socket goes.
    let still_valid = app
        .store
        .user_by_token(&conn.token_hash, crate::now())
        .await
        .map_err(|_| {
            error(
                ErrorCode::Internal,
                "The service is busy. Please try again.",
            )
        })?
        .is_some();
    if !still_valid {
        return Err(error(
            ErrorCode::Unauthorized,
            "Your sign-in has ended. Sign in again.",
        ));
    }
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
    let address = client_address(s, &app.settings);
    app.rate_limit(&[
        (Limit::ValidatePerUser, &conn.user.id),
        (Limit::ValidatePerAddress, &address),
    ])
    .await
    .map_err(|e| error(e.code, e.message))?;
    let now = crate::now();
    let (row, _code) = live_codes::resolve(&app.store, &conn.user.id, &request.code, now)
        .await
        .map_err(|refusal| refusal.detail())?;
    let params = JoinParams {
        user: PeerUser {
            id: conn.user.id.clone(),
            name: conn.user.name.clone(),
            role: conn.user.role,
        },
        session_id: row.id.clone(),
        mentor_id: row.mentor.id.clone(),
        resume_peer_id: request.resume_peer_id,
        ice_servers: app
            .settings
            .ice
            .servers_for(&conn.user.id, now, row.duration_minutes),
    };
    let session_id = params.session_id.clone();
    if let RoomsAt::Shared(shared) = &signaling.rooms {
        shared.leave_other_room(io, s.id, &session_id).await?;
    }
    let joined = signaling
        .run(io, RoomOf::Session(&session_id), |rooms| {
            rooms.join(s.id, params, new_peer_id()).into_parts()
        })
        .await?
        .ok_or_else(|| error(ErrorCode::Internal, "The room could not be reached."))??;
    tracing::info!(session_id = %joined.session_id, peer_id = %joined.peer_id, "joined live room");
    Ok(AckEnvelope::ok(&joined))
}

/// Counts a signal against its socket's limits (messages and bytes):
/// a signal flood is refused with `rate_limited` before it reaches a room.
fn signal_allowed(app: &AppState, socket: &Sid, data: &Value) -> Result<(), ErrorDetail> {
    let key = socket.to_string();
    let bytes = serde_json::to_vec(data).map_or(0, |b| b.len()) as f64;
    let verdict = app
        .limiter
        .check(Limit::SignalsPerSocket, &key)
        .map_err(|wait| (Limit::SignalsPerSocket, wait))
        .and_then(|()| {
            app.limiter
                .check_cost(Limit::SignalBytesPerSocket, &key, bytes)
                .map_err(|wait| (Limit::SignalBytesPerSocket, wait))
        });
    verdict.map_err(|(limit, wait)| {
        crate::metrics::rate_limited(limit.name());
        error(
            ErrorCode::RateLimited,
            format!("Too many signaling messages. Please wait {wait} s."),
        )
    })
}

async fn on_signal<A: Adapter>(
    s: SocketRef<A>,
    io: SocketIo<A>,
    State(app): State<AppState>,
    State(signaling): State<Signaling>,
    ack: AckSender<A>,
    turn: Turn,
    TryData(data): TryData<Value>,
) {
    let _turn = turn.wait().await;
    let request = data
        .ok()
        .and_then(|v| serde_json::from_value::<SignalRequest>(v).ok())
        .filter(|r| r.data.is_object());
    let allowed = match &request {
        Some(request) => signal_allowed(&app, &s.id, &request.data),
        None => Ok(()),
    };
    let reply = match (request, allowed) {
        (_, Err(refused)) => Err(refused),
        (None, _) => Err(error(
            ErrorCode::InvalidInput,
            "live:signal takes {to, data} with data an object.",
        )),
        (Some(request), Ok(())) => signaling
            .run(&io, RoomOf::Conn(s.id), |rooms| {
                rooms.signal(&s.id, &request.to, request.data).into_parts()
            })
            .await
            .and_then(|done| {
                done.unwrap_or_else(|| {
                    Err(error(
                        ErrorCode::NotJoined,
                        "Join a live session before sending signals.",
                    ))
                })
            })
            .map(|()| AckEnvelope::ok_empty()),
    };
    send_ack(ack, reply);
}

async fn on_leave<A: Adapter>(
    s: SocketRef<A>,
    io: SocketIo<A>,
    State(signaling): State<Signaling>,
    ack: AckSender<A>,
    turn: Turn,
) {
    let _turn = turn.wait().await;
    let reply = signaling
        .run(&io, RoomOf::Conn(s.id), |rooms| ((), rooms.leave(&s.id)))
        .await
        .map(|_| AckEnvelope::ok_empty());
    send_ack(ack, reply);
}

async fn on_unknown_event<A: Adapter>(ack: AckSender<A>) {
    send_ack(
        ack,
        Err(error(
            ErrorCode::InvalidInput,
            "Unknown event: this server speaks live:join, live:signal and live:leave.",
        )),
    );
}

async fn on_disconnect<A: Adapter>(
    s: SocketRef<A>,
    io: SocketIo<A>,
    State(app): State<AppState>,
    State(signaling): State<Signaling>,
) {
    crate::metrics::socket_connected(-1.0);
    let now = shared::now_ms();
    let ticket = signaling
        .run(&io, RoomOf::Conn(s.id), |rooms| {
            (rooms.disconnect(&s.id, now), Vec::new())
        })
        .await;
    let ticket = match ticket {
        Ok(Some(Some(ticket))) => ticket,
        Ok(_) => return,
        Err(err) => {
            // The room keeps the peer as present; whoever touches it next
            // after a resume or a replacement sets it right.
            tracing::warn!(?err, "could not mark a dropped peer");
            return;
        }
    };
    tracing::info!(session_id = %ticket.session_id, peer_id = %ticket.peer_id, "peer dropped, grace period starts");
    let grace = app.settings.grace_period;
    tokio::spawn(async move {
        tokio::time::sleep(grace).await;
        let session = ticket.session_id.clone();
        if let Err(err) = signaling
            .run(&io, RoomOf::Session(&session), |rooms| {
                ((), rooms.grace_expired(&ticket))
            })
            .await
        {
            // On a cluster the next operation on the room expires it instead.
            tracing::warn!(?err, "grace expiry deferred");
        }
    });
}

/// The key per-address limits count this socket under (see `ClientAddress`).
fn client_address<A: Adapter>(s: &SocketRef<A>, settings: &crate::state::Settings) -> String {
    crate::extract::client_ip(s.req_parts(), &settings.trusted_proxies)
        .map(|ip| crate::rate_limit::address_key(ip, settings.ipv6_limit_prefix))
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
