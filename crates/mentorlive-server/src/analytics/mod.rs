//! Call analytics: the server's own events in live rooms, the clients' call
//! reports, what is computed from them, and how long they are kept. Figures
//! only: never media, chat text or addresses.
//!
//! - `events`: what the room machine says happened to peers, written down.
//! - `queries`: reports in and aggregates out, computed in the database in
//!   SQL that SQLite and PostgreSQL both run (percentiles included).
//! - `retention`: old rows out, in bounded batches.

mod events;
mod queries;
pub mod retention;

pub use events::EventLog;
pub use queries::{week_of_ms, week_start_ms, ReportRow, Totals, WeekRow};

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
