//! socketioxide runs each message handler as its own task, so two messages
//! from one socket can run in either order. Signaling needs them in order (an
//! offer before its candidates), so each message takes a numbered turn while
//! it is still being extracted, in arrival order, and waits for it.

use super::Connection;
use socketioxide::adapter::Adapter;
use socketioxide::handler::FromMessageParts;
use socketioxide::handler::Value;
use socketioxide::socket::Socket;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

pub struct Sequencer {
    issued: AtomicU64,
    done: watch::Sender<u64>,
}

impl Default for Sequencer {
    fn default() -> Self {
        Sequencer {
            issued: AtomicU64::new(0),
            done: watch::Sender::new(0),
        }
    }
}

/// A place in the socket's queue.
pub struct Turn {
    number: u64,
    sequencer: Arc<Sequencer>,
}

/// Holding this means it is our turn; dropping it lets the next one go.
pub struct TurnGuard {
    sequencer: Arc<Sequencer>,
}

impl Turn {
    pub async fn wait(self) -> TurnGuard {
        let mut done = self.sequencer.done.subscribe();
        // The sender lives in `self.sequencer`, so this cannot fail.
        let _ = done.wait_for(|finished| *finished == self.number).await;
        TurnGuard {
            sequencer: self.sequencer,
        }
    }
}

impl Drop for TurnGuard {
    fn drop(&mut self) {
        self.sequencer.done.send_modify(|finished| *finished += 1);
    }
}

#[derive(Debug)]
pub struct NotConnected;

impl std::fmt::Display for NotConnected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("message on a socket that did not authenticate")
    }
}

impl std::error::Error for NotConnected {}

impl<A: Adapter> FromMessageParts<A> for Turn {
    type Error = NotConnected;

    fn from_message_parts(
        s: &Arc<Socket<A>>,
        _: &mut Value,
        _: &Option<i64>,
    ) -> Result<Self, Self::Error> {
        let conn = s.extensions.get::<Arc<Connection>>().ok_or(NotConnected)?;
        let number = conn.sequencer.issued.fetch_add(1, Ordering::SeqCst);
        Ok(Turn {
            number,
            sequencer: conn.sequencer.clone(),
        })
    }
}
