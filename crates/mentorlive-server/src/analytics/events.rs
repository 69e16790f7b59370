//! The server's own call events: code generated, joined, resumed, replaced,
//! left, dropped, grace period expired. The room machine reports them (see
//! `RoomEvent`); they are written in the background so no room operation
//! waits on the database. A report's `peerId` is checked against them.

use crate::signaling::rooms::RoomEvent;
use crate::store::Store;

#[derive(Clone)]
pub struct EventLog {
    store: Store,
}

impl EventLog {
    pub fn new(store: Store) -> Self {
        EventLog { store }
    }

    /// Writes the machine's events; a failure is logged, never fatal: a
    /// call goes on whether or not its analytics are written.
    pub fn record(&self, events: Vec<RoomEvent>) {
        if events.is_empty() {
            return;
        }
        let store = self.store.clone();
        let at = super::now_ms();
        tokio::spawn(async move {
            for e in events {
                let written = store
                    .insert_call_event(
                        &e.session_id,
                        Some(&e.peer_id),
                        Some(&e.user_id),
                        e.kind.as_str(),
                        at,
                    )
                    .await;
                if let Err(err) = written {
                    tracing::warn!(%err, kind = e.kind.as_str(), "could not record a call event");
                }
            }
        });
    }

    /// A live code was made for a session, by one of its participants.
    pub async fn code_generated(store: &Store, session_id: &str, user_id: &str) {
        let written = store
            .insert_call_event(
                session_id,
                None,
                Some(user_id),
                "code_generated",
                super::now_ms(),
            )
            .await;
        if let Err(err) = written {
            tracing::warn!(%err, "could not record a code_generated event");
        }
    }
}
