//! The live rooms as a plain state machine: calls in, effects (emits) out.
//! No sockets, no timers, no locks here, so every rule is unit-tested by
//! stepping it; `signaling::mod` applies the effects and runs the timers.

use mentorlive_protocol::signaling::{
    IceServer, Joined, LeaveReason, PeerInfo, PeerLeft, PeerUser, SignalEvent, EVENT_PEER_JOINED,
    EVENT_PEER_LEFT, EVENT_SIGNAL,
};
use mentorlive_protocol::{ErrorCode, ErrorDetail};
use serde_json::Value;
use std::collections::HashMap;
use std::hash::Hash;

/// Messages kept for a peer whose socket dropped, delivered when it resumes.
/// A negotiation is a handful of messages of a few kilobytes; past either
/// bound the oldest go. In bytes too: 256 messages of 128 KiB each were
/// 32 MiB a peer, held (and on a cluster moved) for the grace period.
pub const PENDING_LIMIT: usize = 256;
pub const PENDING_BYTES: usize = 256 * 1024;

/// A peer's kept messages, bounded in count and in bytes.
#[derive(Debug, Default)]
struct Pending {
    items: std::collections::VecDeque<(&'static str, Value, usize)>,
    bytes: usize,
}

impl Pending {
    fn push(&mut self, event: &'static str, payload: Value) {
        let size = serde_json::to_vec(&payload).map_or(0, |b| b.len());
        self.items.push_back((event, payload, size));
        self.bytes += size;
        while self.items.len() > PENDING_LIMIT || self.bytes > PENDING_BYTES {
            match self.items.pop_front() {
                Some((_, _, gone)) => self.bytes -= gone,
                None => break,
            }
        }
    }

    fn take(&mut self) -> Vec<(&'static str, Value)> {
        self.bytes = 0;
        std::mem::take(&mut self.items)
            .into_iter()
            .map(|(event, payload, _)| (event, payload))
            .collect()
    }

    fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.items
            .iter()
            .map(|(event, payload, _)| (*event, payload))
    }
}

/// "Send this event to that connection."
#[derive(Debug, Clone, PartialEq)]
pub struct Emit<C> {
    pub to: C,
    pub event: &'static str,
    pub payload: Value,
}

/// What a room operation did: the answer for the caller, and the emits for
/// everyone else. The emits go out whatever the answer: a join refused as
/// `room_full` may already have taken the caller out of its previous room,
/// and that room's partner must hear `live:peer-left`.
#[derive(Debug)]
#[must_use]
pub struct Outcome<T, C> {
    pub reply: Result<T, ErrorDetail>,
    pub emits: Vec<Emit<C>>,
}

impl<T, C> Outcome<T, C> {
    fn ok(value: T, emits: Vec<Emit<C>>) -> Outcome<T, C> {
        Outcome {
            reply: Ok(value),
            emits,
        }
    }

    fn refused(error: ErrorDetail, emits: Vec<Emit<C>>) -> Outcome<T, C> {
        Outcome {
            reply: Err(error),
            emits,
        }
    }

    pub fn into_parts(self) -> (Result<T, ErrorDetail>, Vec<Emit<C>>) {
        (self.reply, self.emits)
    }
}

/// What a dropped connection leaves behind: the peer, kept for the grace
/// period. `generation` tells a stale timer from a live one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraceTicket {
    pub session_id: String,
    pub peer_id: String,
    pub generation: u64,
}

/// Who is joining, with what, as checked against the database beforehand.
#[derive(Debug, Clone)]
pub struct JoinParams {
    pub user: PeerUser,
    pub session_id: String,
    /// The session's mentor: the polite side, whoever joins first.
    pub mentor_id: String,
    pub resume_peer_id: Option<String>,
    pub ice_servers: Vec<IceServer>,
}

struct Peer<C> {
    peer_id: String,
    user: PeerUser,
    polite: bool,
    /// `None` while the socket is gone and the grace period runs.
    conn: Option<C>,
    generation: u64,
    pending: Pending,
    /// When the socket went (ms, the caller's clock), while it is gone.
    away_since: Option<u64>,
}

/// One peer as stored outside the process (a room shared by server nodes).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PeerSnapshot<C> {
    pub peer_id: String,
    pub user: PeerUser,
    pub polite: bool,
    pub conn: Option<C>,
    pub generation: u64,
    /// Kept messages. Shared rooms keep them in a list of their own, out of
    /// the snapshot every operation on the room loads and stores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<(String, Value)>,
    pub away_since: Option<u64>,
}

/// The events a room keeps for later, by name (a snapshot stores names).
pub(super) fn known_event(name: &str) -> Option<&'static str> {
    [EVENT_SIGNAL, EVENT_PEER_JOINED, EVENT_PEER_LEFT]
        .into_iter()
        .find(|known| *known == name)
}

impl<C: Clone> Peer<C> {
    fn info(&self) -> PeerInfo {
        PeerInfo {
            peer_id: self.peer_id.clone(),
            user: self.user.clone(),
        }
    }

    /// Emits now, or keeps the message until the peer resumes.
    fn notify(&mut self, event: &'static str, payload: Value, out: &mut Vec<Emit<C>>) {
        match &self.conn {
            Some(conn) => out.push(Emit {
                to: conn.clone(),
                event,
                payload,
            }),
            None => self.pending.push(event, payload),
        }
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn error(code: ErrorCode, message: &str) -> ErrorDetail {
    ErrorDetail {
        code,
        message: message.to_owned(),
    }
}

/// What happened to a peer, for the server's call analytics (see
/// `crate::analytics`): an output of the machine like its emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomEventKind {
    Joined,
    Resumed,
    /// The same user joined again elsewhere; this peer went.
    Replaced,
    Left,
    /// The socket dropped; the grace period starts.
    Dropped,
    /// The grace period ended without a resume.
    GraceExpired,
}

impl RoomEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomEventKind::Joined => "joined",
            RoomEventKind::Resumed => "resumed",
            RoomEventKind::Replaced => "replaced",
            RoomEventKind::Left => "left",
            RoomEventKind::Dropped => "dropped",
            RoomEventKind::GraceExpired => "grace_expired",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomEvent {
    pub session_id: String,
    pub peer_id: String,
    pub user_id: String,
    pub kind: RoomEventKind,
}

/// All rooms of one server, keyed by session id: two codes made one after the
/// other for one session still lead to one room.
pub struct Rooms<C> {
    rooms: HashMap<String, Vec<Peer<C>>>,
    /// Which room and peer each live connection is.
    by_conn: HashMap<C, (String, String)>,
    next_generation: u64,
    /// Since the last [`Rooms::take_events`].
    events: Vec<RoomEvent>,
}

impl<C: Clone + Eq + Hash> Default for Rooms<C> {
    fn default() -> Self {
        Rooms {
            rooms: HashMap::new(),
            by_conn: HashMap::new(),
            next_generation: 1,
            events: Vec::new(),
        }
    }
}

impl<C: Clone + Eq + Hash> Rooms<C> {
    fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    /// What happened to peers since the last call.
    pub fn take_events(&mut self) -> Vec<RoomEvent> {
        std::mem::take(&mut self.events)
    }

    fn event(&mut self, session_id: &str, peer_id: &str, user_id: &str, kind: RoomEventKind) {
        self.events.push(RoomEvent {
            session_id: session_id.to_owned(),
            peer_id: peer_id.to_owned(),
            user_id: user_id.to_owned(),
            kind,
        });
    }

    /// Rooms held and peers in them (for stats and tests).
    pub fn counts(&self) -> (usize, usize) {
        (self.rooms.len(), self.rooms.values().map(Vec::len).sum())
    }

    pub fn join(&mut self, conn: C, params: JoinParams, new_peer_id: String) -> Outcome<Joined, C> {
        let mut out = Vec::new();
        // A connection is one peer at a time: joining again leaves first,
        // unless it is resuming the very peer it already is.
        if let Some((session, peer)) = self.by_conn.get(&conn).cloned() {
            if session != params.session_id
                || params.resume_peer_id.as_deref() != Some(peer.as_str())
            {
                out.extend(self.leave(&conn));
            }
        }
        let generation = self.generation();
        let room = self.rooms.entry(params.session_id.clone()).or_default();

        // Resume: the same user with the peer id of an earlier ack.
        if let Some(resume) = &params.resume_peer_id {
            if let Some(index) = room
                .iter()
                .position(|p| &p.peer_id == resume && p.user.id == params.user.id)
            {
                let peer = &mut room[index];
                let stale = peer.conn.replace(conn.clone());
                peer.generation = generation;
                peer.away_since = None;
                for (event, payload) in peer.pending.take() {
                    out.push(Emit {
                        to: conn.clone(),
                        event,
                        payload,
                    });
                }
                let joined = Joined {
                    session_id: params.session_id.clone(),
                    peer_id: peer.peer_id.clone(),
                    polite: peer.polite,
                    peers: room
                        .iter()
                        .filter(|p| &p.peer_id != resume)
                        .map(Peer::info)
                        .collect(),
                    ice_servers: params.ice_servers,
                };
                if let Some(stale) = stale.filter(|s| *s != conn) {
                    self.by_conn.remove(&stale);
                }
                self.event(
                    &params.session_id,
                    &joined.peer_id,
                    &params.user.id,
                    RoomEventKind::Resumed,
                );
                self.by_conn
                    .insert(conn, (params.session_id, joined.peer_id.clone()));
                return Outcome::ok(joined, out);
            }
        }

        // The same user again (a second device, a restart): the earlier peer
        // is replaced, and told so.
        if let Some(index) = room.iter().position(|p| p.user.id == params.user.id) {
            let mut old = room.remove(index);
            let left = to_value(&PeerLeft {
                peer_id: old.peer_id.clone(),
                reason: LeaveReason::Replaced,
            });
            if let Some(old_conn) = old.conn.take() {
                self.by_conn.remove(&old_conn);
                out.push(Emit {
                    to: old_conn,
                    event: EVENT_PEER_LEFT,
                    payload: left.clone(),
                });
            }
            for other in room.iter_mut() {
                other.notify(EVENT_PEER_LEFT, left.clone(), &mut out);
            }
            let (session, user) = (params.session_id.clone(), old.user.id.clone());
            self.event(&session, &old.peer_id, &user, RoomEventKind::Replaced);
        }

        let room = self.rooms.entry(params.session_id.clone()).or_default();
        if room.len() >= 2 {
            let full = error(
                ErrorCode::RoomFull,
                "This live session already has two people in it.",
            );
            return Outcome::refused(full, out);
        }

        let peer = Peer {
            peer_id: new_peer_id,
            user: params.user.clone(),
            polite: params.user.id == params.mentor_id,
            conn: Some(conn.clone()),
            generation,
            pending: Pending::default(),
            away_since: None,
        };
        let joined_event = to_value(&peer.info());
        for other in room.iter_mut() {
            other.notify(EVENT_PEER_JOINED, joined_event.clone(), &mut out);
        }
        let joined = Joined {
            session_id: params.session_id.clone(),
            peer_id: peer.peer_id.clone(),
            polite: peer.polite,
            peers: room.iter().map(Peer::info).collect(),
            ice_servers: params.ice_servers,
        };
        room.push(peer);
        self.event(
            &params.session_id,
            &joined.peer_id,
            &params.user.id,
            RoomEventKind::Joined,
        );
        self.by_conn
            .insert(conn, (params.session_id, joined.peer_id.clone()));
        Outcome::ok(joined, out)
    }

    /// Relays `data` to peer `to` in the sender's room.
    pub fn signal(&mut self, conn: &C, to: &str, data: Value) -> Outcome<(), C> {
        let not_joined = || {
            error(
                ErrorCode::NotJoined,
                "Join a live session before sending signals.",
            )
        };
        let Some((session, from)) = self.by_conn.get(conn).cloned() else {
            return Outcome::refused(not_joined(), Vec::new());
        };
        let Some(room) = self.rooms.get_mut(&session) else {
            return Outcome::refused(not_joined(), Vec::new());
        };
        let Some(target) = room
            .iter_mut()
            .find(|p| p.peer_id == to && p.peer_id != from)
        else {
            let unknown = error(
                ErrorCode::UnknownPeer,
                "There is no such peer in this live session.",
            );
            return Outcome::refused(unknown, Vec::new());
        };
        let mut out = Vec::new();
        target.notify(
            EVENT_SIGNAL,
            to_value(&SignalEvent { from, data }),
            &mut out,
        );
        Outcome::ok((), out)
    }

    /// A message for `conn` could not be sent because its socket is already
    /// gone: keep it with the peer for its resume.
    pub fn keep_for_resume(&mut self, conn: &C, event: &'static str, payload: Value) {
        let Some((session, peer_id)) = self.by_conn.get(conn) else {
            return;
        };
        if let Some(peer) = self
            .rooms
            .get_mut(session)
            .and_then(|room| room.iter_mut().find(|p| &p.peer_id == peer_id))
        {
            peer.pending.push(event, payload);
        }
    }

    /// The peer leaves for good; the other side hears `left`.
    pub fn leave(&mut self, conn: &C) -> Vec<Emit<C>> {
        match self.by_conn.remove(conn) {
            Some((session, peer_id)) => self.remove_peer(&session, &peer_id, LeaveReason::Left),
            None => Vec::new(),
        }
    }

    /// The socket dropped at `now_ms`: the peer stays for the grace period
    /// (see also [`Self::expire_away`]).
    pub fn disconnect(&mut self, conn: &C, now_ms: u64) -> Option<GraceTicket> {
        let (session, peer_id) = self.by_conn.remove(conn)?;
        let generation = self.generation();
        let peer = self
            .rooms
            .get_mut(&session)?
            .iter_mut()
            .find(|p| p.peer_id == peer_id)?;
        if peer.conn.as_ref() != Some(conn) {
            return None;
        }
        peer.conn = None;
        peer.generation = generation;
        peer.away_since = Some(now_ms);
        let user = peer.user.id.clone();
        self.event(&session, &peer_id, &user, RoomEventKind::Dropped);
        Some(GraceTicket {
            session_id: session,
            peer_id,
            generation,
        })
    }

    /// The grace period is over: unless the peer resumed, it is gone.
    pub fn grace_expired(&mut self, ticket: &GraceTicket) -> Vec<Emit<C>> {
        let still_away = self
            .rooms
            .get(&ticket.session_id)
            .and_then(|room| room.iter().find(|p| p.peer_id == ticket.peer_id))
            .is_some_and(|p| p.conn.is_none() && p.generation == ticket.generation);
        if still_away {
            self.remove_peer(
                &ticket.session_id,
                &ticket.peer_id,
                LeaveReason::Disconnected,
            )
        } else {
            Vec::new()
        }
    }

    /// Peers of `session` away for longer than `grace_ms` are gone. For rooms
    /// shared by nodes: the node that ran a peer's grace timer may itself
    /// have gone, so whoever touches the room next finishes the job.
    pub fn expire_away(&mut self, session: &str, now_ms: u64, grace_ms: u64) -> Vec<Emit<C>> {
        let expired: Vec<String> = self
            .rooms
            .get(session)
            .into_iter()
            .flatten()
            .filter(|p| p.conn.is_none())
            .filter(|p| {
                p.away_since
                    .is_some_and(|t| now_ms.saturating_sub(t) >= grace_ms)
            })
            .map(|p| p.peer_id.clone())
            .collect();
        let mut out = Vec::new();
        for peer_id in expired {
            out.extend(self.remove_peer(session, &peer_id, LeaveReason::Disconnected));
        }
        out
    }

    /// The room of `session` as it can be stored elsewhere.
    pub fn export_room(&self, session: &str) -> Vec<PeerSnapshot<C>> {
        self.rooms
            .get(session)
            .into_iter()
            .flatten()
            .map(|p| PeerSnapshot {
                peer_id: p.peer_id.clone(),
                user: p.user.clone(),
                polite: p.polite,
                conn: p.conn.clone(),
                generation: p.generation,
                pending: p
                    .pending
                    .iter()
                    .map(|(event, payload)| (event.to_owned(), payload.clone()))
                    .collect(),
                away_since: p.away_since,
            })
            .collect()
    }

    /// Puts a stored room back (replacing what this machine held for it).
    pub fn import_room(&mut self, session: &str, peers: Vec<PeerSnapshot<C>>) {
        if let Some(old) = self.rooms.remove(session) {
            for conn in old.into_iter().filter_map(|p| p.conn) {
                self.by_conn.remove(&conn);
            }
        }
        if peers.is_empty() {
            return;
        }
        let mut room = Vec::with_capacity(peers.len());
        for p in peers {
            self.next_generation = self.next_generation.max(p.generation);
            if let Some(conn) = &p.conn {
                self.by_conn
                    .insert(conn.clone(), (session.to_owned(), p.peer_id.clone()));
            }
            room.push(Peer {
                peer_id: p.peer_id,
                user: p.user,
                polite: p.polite,
                conn: p.conn,
                generation: p.generation,
                pending: {
                    let mut pending = Pending::default();
                    for (event, payload) in p.pending {
                        if let Some(event) = known_event(&event) {
                            pending.push(event, payload);
                        }
                    }
                    pending
                },
                away_since: p.away_since,
            });
        }
        self.rooms.insert(session.to_owned(), room);
    }

    fn remove_peer(&mut self, session: &str, peer_id: &str, reason: LeaveReason) -> Vec<Emit<C>> {
        let mut out = Vec::new();
        let Some(room) = self.rooms.get_mut(session) else {
            return out;
        };
        let Some(index) = room.iter().position(|p| p.peer_id == peer_id) else {
            return out;
        };
        let gone = room.remove(index);
        let left = to_value(&PeerLeft {
            peer_id: peer_id.to_owned(),
            reason,
        });
        for other in room.iter_mut() {
            other.notify(EVENT_PEER_LEFT, left.clone(), &mut out);
        }
        if room.is_empty() {
            self.rooms.remove(session);
        }
        let kind = match reason {
            LeaveReason::Disconnected => RoomEventKind::GraceExpired,
            _ => RoomEventKind::Left,
        };
        self.event(session, peer_id, &gone.user.id, kind);
        out
    }
}

#[cfg(test)]
impl<T: std::fmt::Debug, C: std::fmt::Debug> Outcome<T, C> {
    fn expect(self, what: &str) -> (T, Vec<Emit<C>>) {
        (self.reply.expect(what), self.emits)
    }

    fn expect_err(self, what: &str) -> ErrorDetail {
        self.reply.expect_err(what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mentorlive_protocol::Role;
    use serde_json::json;

    fn user(id: &str, role: Role) -> PeerUser {
        PeerUser {
            id: id.into(),
            name: format!("{id} name"),
            role,
        }
    }

    fn params(id: &str, role: Role, resume: Option<&str>) -> JoinParams {
        JoinParams {
            user: user(id, role),
            session_id: "s1".into(),
            mentor_id: "mentor".into(),
            resume_peer_id: resume.map(str::to_owned),
            ice_servers: vec![],
        }
    }

    /// A room with the mentor (connection 1, peer `pa`) and the learner
    /// (connection 2, peer `pb`) in it.
    fn pair() -> Rooms<u32> {
        let mut rooms = Rooms::default();
        rooms
            .join(1, params("mentor", Role::Mentor, None), "pa".into())
            .expect("join");
        rooms
            .join(2, params("learner", Role::Learner, None), "pb".into())
            .expect("join");
        rooms
    }

    fn events(out: &[Emit<u32>]) -> Vec<(u32, &'static str, Value)> {
        out.iter()
            .map(|e| (e.to, e.event, e.payload.clone()))
            .collect()
    }

    #[test]
    fn the_second_joiner_sees_the_first_and_the_first_hears_of_the_second() {
        let mut rooms = Rooms::default();
        let (a, out) = rooms
            .join(1, params("mentor", Role::Mentor, None), "pa".into())
            .expect("join");
        assert!(a.peers.is_empty() && out.is_empty());
        assert!(a.polite, "the mentor is polite");
        let (b, out) = rooms
            .join(2, params("learner", Role::Learner, None), "pb".into())
            .expect("join");
        assert!(!b.polite);
        assert_eq!(b.peers.len(), 1);
        assert_eq!(b.peers[0].peer_id, "pa");
        assert_eq!(
            events(&out),
            vec![(
                1,
                EVENT_PEER_JOINED,
                json!({"peerId": "pb", "user": {"id": "learner", "name": "learner name", "role": "learner"}})
            )]
        );
    }

    #[test]
    fn signals_go_only_to_a_peer_of_the_same_room() {
        let mut rooms = pair();
        let ((), out) = rooms
            .signal(&2, "pa", json!({"type": "offer", "sdp": "v=0"}))
            .expect("relay");
        assert_eq!(
            events(&out),
            vec![(
                1,
                EVENT_SIGNAL,
                json!({"from": "pb", "data": {"type": "offer", "sdp": "v=0"}})
            )]
        );
        assert_eq!(
            rooms.signal(&2, "pb", json!({})).expect_err("self").code,
            ErrorCode::UnknownPeer
        );
        assert_eq!(
            rooms
                .signal(&2, "nobody", json!({}))
                .expect_err("unknown")
                .code,
            ErrorCode::UnknownPeer
        );
        assert_eq!(
            rooms
                .signal(&9, "pa", json!({}))
                .expect_err("not joined")
                .code,
            ErrorCode::NotJoined
        );
        // A peer of another room is unknown here.
        let mut other = params("m2", Role::Mentor, None);
        other.session_id = "s2".into();
        other.mentor_id = "m2".into();
        rooms.join(3, other, "pc".into()).expect("join");
        assert_eq!(
            rooms
                .signal(&3, "pa", json!({}))
                .expect_err("other room")
                .code,
            ErrorCode::UnknownPeer
        );
    }

    #[test]
    fn the_same_user_again_replaces_the_earlier_peer() {
        let mut rooms = pair();
        let (again, out) = rooms
            .join(3, params("learner", Role::Learner, None), "pb2".into())
            .expect("rejoin");
        assert_eq!(again.peers.len(), 1);
        let left = json!({"peerId": "pb", "reason": "replaced"});
        assert_eq!(
            events(&out)[..2],
            [
                (2, EVENT_PEER_LEFT, left.clone()),
                (1, EVENT_PEER_LEFT, left)
            ]
        );
        assert_eq!(events(&out)[2].1, EVENT_PEER_JOINED);
        assert_eq!(
            rooms.signal(&2, "pa", json!({})).expect_err("dropped").code,
            ErrorCode::NotJoined
        );
        assert_eq!(rooms.counts(), (1, 2));
    }

    #[test]
    fn a_join_refused_as_full_still_tells_the_room_that_was_left() {
        let mut rooms = pair();
        // Another session's room, already holding two people.
        for (conn, id) in [(3, "m2"), (4, "l2")] {
            let mut p = params(id, Role::Learner, None);
            p.session_id = "s2".into();
            p.mentor_id = "m2".into();
            rooms.join(conn, p, format!("p{id}")).expect("join s2");
        }
        // The learner of s1 (connection 2) tries s2 from the same socket.
        let mut p = params("learner", Role::Learner, None);
        p.session_id = "s2".into();
        p.mentor_id = "m2".into();
        let outcome = rooms.join(2, p, "px".into());
        assert_eq!(
            outcome.reply.as_ref().expect_err("full").code,
            ErrorCode::RoomFull
        );
        assert_eq!(
            events(&outcome.emits),
            vec![(
                1,
                EVENT_PEER_LEFT,
                json!({"peerId": "pb", "reason": "left"})
            )],
            "the mentor left behind in s1 hears that the learner went"
        );
    }

    #[test]
    fn a_third_person_is_refused_when_two_are_in() {
        let mut rooms = pair();
        let err = rooms
            .join(3, params("third", Role::Learner, None), "pc".into())
            .expect_err("full");
        assert_eq!(err.code, ErrorCode::RoomFull);
        assert_eq!(rooms.counts(), (1, 2));
    }

    #[test]
    fn a_dropped_peer_resumes_within_grace_without_the_other_side_noticing() {
        let mut rooms = pair();
        let ticket = rooms.disconnect(&2, 0).expect("ticket");
        // A signal for the absent peer waits for it.
        assert!(rooms
            .signal(&1, "pb", json!({"type": "candidate"}))
            .expect("kept")
            .1
            .is_empty());
        let (resumed, out) = rooms
            .join(
                5,
                params("learner", Role::Learner, Some("pb")),
                "unused".into(),
            )
            .expect("resume");
        assert_eq!(resumed.peer_id, "pb");
        assert!(!resumed.polite);
        assert_eq!(
            events(&out),
            vec![(
                5,
                EVENT_SIGNAL,
                json!({"from": "pa", "data": {"type": "candidate"}})
            )]
        );
        // The old timer fires and finds nothing to do.
        assert!(rooms.grace_expired(&ticket).is_empty());
        assert_eq!(rooms.counts(), (1, 2));
    }

    #[test]
    fn an_absent_peer_is_kept_at_most_256_kib_of_the_newest_messages() {
        let mut rooms = pair();
        rooms.disconnect(&2, 0).expect("ticket");
        // A flood of 300 signals of 10 KiB each for the absent peer.
        let filler = "x".repeat(10 * 1024);
        for n in 0..300 {
            let _ = rooms.signal(&1, "pb", json!({"n": n, "sdp": filler}));
        }
        let (_, out) = rooms
            .join(
                5,
                params("learner", Role::Learner, Some("pb")),
                "unused".into(),
            )
            .expect("resume");
        let bytes: usize = out
            .iter()
            .map(|e| serde_json::to_vec(&e.payload).map_or(0, |b| b.len()))
            .sum();
        assert!(bytes <= PENDING_BYTES, "{bytes} bytes kept");
        assert!(out.len() >= 20, "{} kept", out.len());
        assert_eq!(
            out.last().map(|e| e.payload["data"]["n"].clone()),
            Some(json!(299)),
            "the newest are the ones kept"
        );
    }

    #[test]
    fn after_the_grace_period_the_other_side_hears_disconnected() {
        let mut rooms = pair();
        let ticket = rooms.disconnect(&2, 0).expect("ticket");
        let out = rooms.grace_expired(&ticket);
        assert_eq!(
            events(&out),
            vec![(
                1,
                EVENT_PEER_LEFT,
                json!({"peerId": "pb", "reason": "disconnected"})
            )]
        );
        // A resume after that is a fresh join with a new id.
        let (fresh, out) = rooms
            .join(
                6,
                params("learner", Role::Learner, Some("pb")),
                "pb-new".into(),
            )
            .expect("join");
        assert_eq!(fresh.peer_id, "pb-new");
        assert_eq!(events(&out)[0].1, EVENT_PEER_JOINED);
    }

    #[test]
    fn leaving_tells_the_other_side_and_empty_rooms_go() {
        let mut rooms = pair();
        let out = rooms.leave(&2);
        assert_eq!(
            events(&out),
            vec![(
                1,
                EVENT_PEER_LEFT,
                json!({"peerId": "pb", "reason": "left"})
            )]
        );
        assert!(rooms.leave(&2).is_empty(), "leaving twice is harmless");
        rooms.leave(&1);
        assert_eq!(rooms.counts(), (0, 0));
    }
}
