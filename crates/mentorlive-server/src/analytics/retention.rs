//! How long analytics are kept (`--analytics-retention-days`, 365 by
//! default): older events and reports are deleted in batches of a bounded
//! size, so a large backlog never holds a long lock on the database.

use crate::store::Store;
use std::time::Duration;

/// Rows deleted per statement.
pub const BATCH: i64 = 1000;

#[derive(Debug, Clone, Copy)]
pub enum Table {
    Events,
    Reports,
}

impl Table {
    /// The table and the column that says how old a row is.
    pub fn name_and_time(self) -> (&'static str, &'static str) {
        match self {
            Table::Events => ("call_events", "at_ms"),
            Table::Reports => ("call_reports", "joined_at_ms"),
        }
    }
}

/// Deletes everything older than `keep` as of `now_ms`, batch by batch.
/// Returns how many rows went.
pub async fn prune(store: &Store, keep: Duration, now_ms: i64) -> Result<u64, sqlx::Error> {
    let before = now_ms - keep.as_millis() as i64;
    let mut total = 0;
    for table in [Table::Events, Table::Reports] {
        loop {
            let gone = store.prune_analytics(table, before, BATCH).await?;
            total += gone;
            if gone < BATCH as u64 {
                break;
            }
            // Let other queries in between batches.
            tokio::task::yield_now().await;
        }
    }
    Ok(total)
}
