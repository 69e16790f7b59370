//! Rooms shared by server nodes: each room is a snapshot of the room machine
//! in Redis, changed under a lock shared by the nodes, so the two
//! participants may be on different nodes and the rules (two people,
//! replacement, grace period) still hold. The same [`Rooms`] machine runs
//! the rules; this module only loads, stores and delivers.
//!
//! Messages kept for a peer whose socket dropped go in a list of their own
//! (`pending:{session}:{peer}`, bounded as on one node), not in the snapshot:
//! a partner's messages during the grace period then cost one append each,
//! rather than moving up to 256 KiB through Redis with every operation.
//!
//! A node that dies leaves its peers behind: their grace timers die with it,
//! so every operation on a room first expires peers away for longer than
//! the grace period, and a client that reconnects to another node resumes
//! its peer there.

use super::rooms::{Emit, PeerSnapshot, Rooms, PENDING_BYTES, PENDING_LIMIT};
use super::RoomOf;
use crate::cluster::Cluster;
use mentorlive_protocol::{ErrorCode, ErrorDetail};
use socketioxide::adapter::Adapter;
use socketioxide::socket::Sid;
use socketioxide::SocketIo;
use std::sync::Arc;
use std::time::Duration;

/// A room nobody touched for this long is dropped from Redis (and a
/// connection's note of its room, which is written once, when it arrives).
const ROOM_TTL: Duration = Duration::from_secs(24 * 3600);

pub struct SharedRooms {
    cluster: Arc<Cluster>,
    grace: Duration,
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn unreachable(err: impl std::fmt::Display) -> ErrorDetail {
    tracing::error!(%err, "shared rooms unreachable");
    ErrorDetail {
        code: ErrorCode::Internal,
        message: "The service is busy. Please try again in a moment.".into(),
    }
}

impl SharedRooms {
    pub fn new(cluster: Arc<Cluster>, grace: Duration) -> Self {
        SharedRooms { cluster, grace }
    }

    fn room_key(session: &str) -> String {
        format!("room:{session}")
    }

    fn conn_key(conn: &Sid) -> String {
        format!("conn:{conn}")
    }

    fn pending_key(session: &str, peer_id: &str) -> String {
        format!("pending:{session}:{peer_id}")
    }

    /// `Ok(None)`: the connection is in no room.
    pub(super) async fn run<A: Adapter, T>(
        &self,
        io: &SocketIo<A>,
        room: RoomOf<'_>,
        op: impl FnOnce(&mut Rooms<Sid>) -> (T, Vec<Emit<Sid>>),
    ) -> Result<Option<T>, ErrorDetail> {
        let session = match room {
            RoomOf::Session(session) => session.to_owned(),
            RoomOf::Conn(conn) => {
                match self
                    .cluster
                    .get(&Self::conn_key(&conn))
                    .await
                    .map_err(unreachable)?
                {
                    Some(session) => session,
                    None => return Ok(None),
                }
            }
        };
        let lock = self
            .cluster
            .lock(&Self::room_key(&session))
            .await
            .map_err(unreachable)?;
        let result = self.run_locked(io, &session, op).await;
        self.cluster.unlock(lock).await;
        result.map(Some)
    }

    /// A join from a connection still in another session's room leaves that
    /// room first, as the machine does by itself on one node.
    pub(super) async fn leave_other_room<A: Adapter>(
        &self,
        io: &SocketIo<A>,
        conn: Sid,
        joining: &str,
    ) -> Result<(), ErrorDetail> {
        let current = self
            .cluster
            .get(&Self::conn_key(&conn))
            .await
            .map_err(unreachable)?;
        if let Some(session) = current.filter(|session| session != joining) {
            self.run(io, RoomOf::Session(&session), |rooms| {
                ((), rooms.leave(&conn))
            })
            .await?;
        }
        Ok(())
    }

    async fn run_locked<A: Adapter, T>(
        &self,
        io: &SocketIo<A>,
        session: &str,
        op: impl FnOnce(&mut Rooms<Sid>) -> (T, Vec<Emit<Sid>>),
    ) -> Result<T, ErrorDetail> {
        let key = Self::room_key(session);
        let stored = self.cluster.get(&key).await.map_err(unreachable)?;
        let peers: Vec<PeerSnapshot<Sid>> = stored
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default();
        let before: Vec<Sid> = peers.iter().filter_map(|p| p.conn).collect();
        let away_before: Vec<String> = peers
            .iter()
            .filter(|p| p.conn.is_none())
            .map(|p| p.peer_id.clone())
            .collect();
        let peers_before: Vec<String> = peers.iter().map(|p| p.peer_id.clone()).collect();
        let mut rooms = Rooms::default();
        rooms.import_room(session, peers);
        let mut emits = rooms.expire_away(session, now_ms(), self.grace.as_millis() as u64);
        let (value, more) = op(&mut rooms);
        emits.extend(more);

        let mut after = rooms.export_room(session);
        // A peer back from away gets its kept messages first, in order. They
        // are read now and deleted only once the room is stored: a failure
        // on the way loses none of them.
        let mut resumed = Vec::new();
        let mut delivered_lists = Vec::new();
        for peer in after.iter().filter(|p| away_before.contains(&p.peer_id)) {
            if let Some(conn) = peer.conn {
                let list = Self::pending_key(session, &peer.peer_id);
                let kept = self.cluster.read_list(&list).await.map_err(unreachable)?;
                for item in kept {
                    let Ok((event, payload)) =
                        serde_json::from_str::<(String, serde_json::Value)>(&item)
                    else {
                        continue;
                    };
                    if let Some(event) = super::rooms::known_event(&event) {
                        resumed.push(Emit {
                            to: conn,
                            event,
                            payload,
                        });
                    }
                }
                delivered_lists.push(list);
            }
        }
        // What this operation kept for an away peer, out of the snapshot.
        let kept: Vec<(String, Vec<String>)> = after
            .iter_mut()
            .map(|peer| {
                let items = std::mem::take(&mut peer.pending)
                    .iter()
                    .filter_map(|item| serde_json::to_string(item).ok())
                    .collect();
                (Self::pending_key(session, &peer.peer_id), items)
            })
            .collect();
        if after.is_empty() {
            self.cluster.del(&key).await.map_err(unreachable)?;
        } else {
            let text = serde_json::to_string(&after).map_err(unreachable)?;
            self.cluster
                .set(&key, &text, ROOM_TTL)
                .await
                .map_err(unreachable)?;
        }
        for (list, items) in &kept {
            self.cluster
                .push_bounded(
                    list,
                    items,
                    PENDING_LIMIT,
                    PENDING_BYTES,
                    self.grace + Duration::from_secs(60),
                )
                .await
                .map_err(unreachable)?;
        }
        // Delivered below; a peer gone for good leaves no list behind.
        let gone = peers_before
            .iter()
            .filter(|id| !after.iter().any(|p| &p.peer_id == *id))
            .map(|id| Self::pending_key(session, id));
        for list in delivered_lists.into_iter().chain(gone) {
            if let Err(err) = self.cluster.del_list(&list).await {
                tracing::warn!(%err, "a delivered list of kept messages stays until it expires");
            }
        }
        emits.splice(0..0, resumed);
        // Which room a connection is in: written when it arrives, removed
        // when it goes (unless it has moved to another room since).
        let now_in: Vec<Sid> = after.iter().filter_map(|p| p.conn).collect();
        for conn in now_in.iter().filter(|c| !before.contains(c)) {
            self.cluster
                .set(&Self::conn_key(conn), session, ROOM_TTL)
                .await
                .map_err(unreachable)?;
        }
        for conn in before.iter().filter(|c| !now_in.contains(c)) {
            self.cluster
                .del_if(&Self::conn_key(conn), session)
                .await
                .map_err(unreachable)?;
        }
        // Delivered under the lock: each peer gets the room's events in the
        // order the machine made them, whichever node it is on.
        for emit in emits {
            deliver(io, emit).await;
        }
        Ok(value)
    }
}

async fn deliver<A: Adapter>(io: &SocketIo<A>, emit: Emit<Sid>) {
    let result = match io.get_socket(emit.to) {
        Some(socket) => socket
            .emit(emit.event, &emit.payload)
            .map_err(|e| e.to_string()),
        None => io
            .to(emit.to)
            .emit(emit.event, &emit.payload)
            .await
            .map_err(|e| e.to_string()),
    };
    if let Err(err) = result {
        tracing::warn!(%err, event = emit.event, "could not emit");
    }
}
