//! Call events and reports in, aggregates out. One SQL for SQLite and
//! PostgreSQL: `$n` parameters, BIGINT milliseconds, every SUM and AVG cast
//! to a type both decode the same way, and percentiles by nearest rank with
//! window functions (`ROW_NUMBER` and `COUNT` over the ordered values), which
//! both engines have, where PostgreSQL's `percentile_cont` has no SQLite twin.

use crate::store::Store;
use sqlx::Row;

/// Monday 1970-01-05 00:00 UTC, in ms: weeks are counted from it.
const FIRST_MONDAY_MS: i64 = 4 * 86_400_000;
const WEEK_MS: i64 = 7 * 86_400_000;

/// The week number of a time in ms, as SQL (integer division in both).
const WEEK_OF_JOIN: &str = "((joined_at_ms - 345600000) / 604800000)";

/// The start of week number `n`, in ms.
pub fn week_start_ms(n: i64) -> i64 {
    FIRST_MONDAY_MS + n * WEEK_MS
}

/// The week number a time in ms falls in.
pub fn week_of_ms(ms: i64) -> i64 {
    (ms - FIRST_MONDAY_MS).div_euclid(WEEK_MS)
}

/// A validated report, as stored.
pub struct ReportRow<'a> {
    pub session_id: &'a str,
    pub user_id: &'a str,
    pub peer_id: &'a str,
    pub client: &'a str,
    pub joined_at_ms: i64,
    pub connected_at_ms: Option<i64>,
    pub ended_at_ms: i64,
    pub end_reason: &'a str,
    pub candidate_type: Option<&'a str>,
    pub rtt_p50_ms: f64,
    pub loss_percent: f64,
    pub freezes: i64,
    pub mos: Option<f64>,
    pub screen_share_seconds: f64,
    pub recorded: bool,
    pub stars: Option<i64>,
    pub body: &'a str,
    pub received_at_ms: i64,
}

/// The caller's calls in a range, summed.
#[derive(Debug, Default)]
pub struct Totals {
    pub calls: i64,
    pub call_ms: i64,
    pub connected: i64,
    pub relayed: i64,
    pub mos: Option<f64>,
    pub rtt_ms: Option<f64>,
    pub loss_percent: Option<f64>,
    pub freezes: i64,
    pub connected_ms: i64,
    pub stars: Option<f64>,
    pub screen_share_seconds: f64,
    pub screen_share_calls: i64,
    pub recorded: i64,
    pub time_to_connect_p50: Option<i64>,
    pub time_to_connect_p90: Option<i64>,
}

/// One week with calls.
#[derive(Debug, Default)]
pub struct WeekRow {
    pub week: i64,
    pub calls: i64,
    pub call_ms: i64,
    pub connected: i64,
    pub mos: Option<f64>,
    pub time_to_connect_p50: Option<i64>,
}

/// A report's own columns, in the order [`bind_fields`] binds them.
const REPORT_FIELDS: [&str; 15] = [
    "client",
    "joined_at_ms",
    "connected_at_ms",
    "ended_at_ms",
    "end_reason",
    "candidate_type",
    "rtt_p50_ms",
    "loss_percent",
    "freezes",
    "mos",
    "screen_share_seconds",
    "recorded",
    "stars",
    "body",
    "received_at_ms",
];

/// Binds [`REPORT_FIELDS`] as `$1`..`$15`, for the update and the insert.
fn bind_fields<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    r: &'q ReportRow<'q>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(r.client)
        .bind(r.joined_at_ms)
        .bind(r.connected_at_ms)
        .bind(r.ended_at_ms)
        .bind(r.end_reason)
        .bind(r.candidate_type)
        .bind(r.rtt_p50_ms)
        .bind(r.loss_percent)
        .bind(r.freezes)
        .bind(r.mos)
        .bind(r.screen_share_seconds)
        .bind(i64::from(r.recorded))
        .bind(r.stars)
        .bind(r.body)
        .bind(r.received_at_ms)
}

fn opt_i64(row: &sqlx::any::AnyRow, name: &str) -> Result<i64, sqlx::Error> {
    Ok(row.try_get::<Option<i64>, _>(name)?.unwrap_or(0))
}

impl Store {
    pub async fn insert_call_event(
        &self,
        session_id: &str,
        peer_id: Option<&str>,
        user_id: Option<&str>,
        kind: &str,
        at_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO call_events (id, session_id, peer_id, user_id, kind, at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::new_v4().simple().to_string())
        .bind(session_id)
        .bind(peer_id)
        .bind(user_id)
        .bind(kind)
        .bind(at_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Whether this user joined this session's room as this peer.
    pub async fn peer_joined(
        &self,
        session_id: &str,
        peer_id: &str,
        user_id: &str,
    ) -> Result<bool, sqlx::Error> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM call_events \
             WHERE session_id = $1 AND peer_id = $2 AND user_id = $3 AND kind = 'joined'",
        )
        .bind(session_id)
        .bind(peer_id)
        .bind(user_id)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// Stores a report; the same peer's earlier report is replaced. Returns
    /// the report's id and whether it replaced one.
    pub async fn put_call_report(&self, r: &ReportRow<'_>) -> Result<(String, bool), sqlx::Error> {
        // Update first, insert if there was nothing, and update again if a
        // concurrent insert won: no engine-specific upsert.
        for _ in 0..2 {
            let existing =
                sqlx::query("SELECT id FROM call_reports WHERE session_id = $1 AND peer_id = $2")
                    .bind(r.session_id)
                    .bind(r.peer_id)
                    .fetch_optional(self.pool())
                    .await?;
            if let Some(row) = existing {
                let id: String = row.try_get("id")?;
                let update = format!(
                    "UPDATE call_reports SET {} WHERE id = $16",
                    REPORT_FIELDS
                        .iter()
                        .enumerate()
                        .map(|(i, f)| format!("{f} = ${}", i + 1))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                bind_fields(sqlx::query(&update), r)
                    .bind(&id)
                    .execute(self.pool())
                    .await?;
                return Ok((id, true));
            }
            let id = uuid::Uuid::new_v4().simple().to_string();
            let insert = format!(
                "INSERT INTO call_reports ({}, id, session_id, user_id, peer_id) \
                 VALUES ({}, $16, $17, $18, $19)",
                REPORT_FIELDS.join(", "),
                (1..=REPORT_FIELDS.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let inserted = bind_fields(sqlx::query(&insert), r)
                .bind(&id)
                .bind(r.session_id)
                .bind(r.user_id)
                .bind(r.peer_id)
                .execute(self.pool())
                .await;
            match inserted {
                Ok(_) => return Ok((id, false)),
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => continue,
                Err(err) => return Err(err),
            }
        }
        Err(sqlx::Error::Protocol(
            "a call report kept changing under us".into(),
        ))
    }

    /// The user's calls that started in `[from_ms, to_ms)`, summed.
    pub async fn call_totals(
        &self,
        user_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Totals, sqlx::Error> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS calls, \
             CAST(SUM(ended_at_ms - joined_at_ms) AS BIGINT) AS call_ms, \
             CAST(SUM(CASE WHEN connected_at_ms IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS connected, \
             CAST(SUM(CASE WHEN connected_at_ms IS NOT NULL AND candidate_type = 'relay' THEN 1 ELSE 0 END) AS BIGINT) AS relayed, \
             CAST(AVG(CASE WHEN connected_at_ms IS NOT NULL THEN mos END) AS DOUBLE PRECISION) AS mos, \
             CAST(AVG(CASE WHEN connected_at_ms IS NOT NULL THEN rtt_p50_ms END) AS DOUBLE PRECISION) AS rtt, \
             CAST(AVG(CASE WHEN connected_at_ms IS NOT NULL THEN loss_percent END) AS DOUBLE PRECISION) AS loss, \
             CAST(SUM(CASE WHEN connected_at_ms IS NOT NULL THEN freezes ELSE 0 END) AS BIGINT) AS freezes, \
             CAST(SUM(CASE WHEN connected_at_ms IS NOT NULL THEN ended_at_ms - connected_at_ms ELSE 0 END) AS BIGINT) AS connected_ms, \
             CAST(AVG(stars) AS DOUBLE PRECISION) AS stars, \
             CAST(SUM(screen_share_seconds) AS DOUBLE PRECISION) AS screen_seconds, \
             CAST(SUM(CASE WHEN screen_share_seconds > 0 THEN 1 ELSE 0 END) AS BIGINT) AS screen_calls, \
             CAST(SUM(recorded) AS BIGINT) AS recorded \
             FROM call_reports WHERE user_id = $1 AND joined_at_ms >= $2 AND joined_at_ms < $3",
        )
        .bind(user_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(self.pool())
        .await?;
        let mut totals = Totals {
            calls: row.try_get("calls")?,
            call_ms: opt_i64(&row, "call_ms")?,
            connected: opt_i64(&row, "connected")?,
            relayed: opt_i64(&row, "relayed")?,
            mos: row.try_get("mos")?,
            rtt_ms: row.try_get("rtt")?,
            loss_percent: row.try_get("loss")?,
            freezes: opt_i64(&row, "freezes")?,
            connected_ms: opt_i64(&row, "connected_ms")?,
            stars: row.try_get("stars")?,
            screen_share_seconds: row
                .try_get::<Option<f64>, _>("screen_seconds")?
                .unwrap_or(0.0),
            screen_share_calls: opt_i64(&row, "screen_calls")?,
            recorded: opt_i64(&row, "recorded")?,
            ..Totals::default()
        };
        let ranks = sqlx::query(
            "WITH t AS (SELECT connected_at_ms - joined_at_ms AS v FROM call_reports \
               WHERE user_id = $1 AND joined_at_ms >= $2 AND joined_at_ms < $3 AND connected_at_ms IS NOT NULL), \
             r AS (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS rn, COUNT(*) OVER () AS n FROM t) \
             SELECT MIN(CASE WHEN rn * 100 >= 50 * n THEN v END) AS p50, \
                    MIN(CASE WHEN rn * 100 >= 90 * n THEN v END) AS p90 FROM r",
        )
        .bind(user_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(self.pool())
        .await?;
        totals.time_to_connect_p50 = ranks.try_get("p50")?;
        totals.time_to_connect_p90 = ranks.try_get("p90")?;
        Ok(totals)
    }

    /// The weeks with calls in `[from_ms, to_ms)`, oldest first.
    pub async fn call_weeks(
        &self,
        user_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<WeekRow>, sqlx::Error> {
        let rows = sqlx::query(&format!(
            "SELECT {WEEK_OF_JOIN} AS week, COUNT(*) AS calls, \
             CAST(SUM(ended_at_ms - joined_at_ms) AS BIGINT) AS call_ms, \
             CAST(SUM(CASE WHEN connected_at_ms IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS connected, \
             CAST(AVG(CASE WHEN connected_at_ms IS NOT NULL THEN mos END) AS DOUBLE PRECISION) AS mos \
             FROM call_reports WHERE user_id = $1 AND joined_at_ms >= $2 AND joined_at_ms < $3 \
             GROUP BY {WEEK_OF_JOIN} ORDER BY week"
        ))
        .bind(user_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.pool())
        .await?;
        let mut weeks = rows
            .iter()
            .map(|row| {
                Ok(WeekRow {
                    week: row.try_get("week")?,
                    calls: row.try_get("calls")?,
                    call_ms: opt_i64(row, "call_ms")?,
                    connected: opt_i64(row, "connected")?,
                    mos: row.try_get("mos")?,
                    time_to_connect_p50: None,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let medians = sqlx::query(&format!(
            "WITH t AS (SELECT {WEEK_OF_JOIN} AS week, connected_at_ms - joined_at_ms AS v FROM call_reports \
               WHERE user_id = $1 AND joined_at_ms >= $2 AND joined_at_ms < $3 AND connected_at_ms IS NOT NULL), \
             r AS (SELECT week, v, ROW_NUMBER() OVER (PARTITION BY week ORDER BY v) AS rn, \
                   COUNT(*) OVER (PARTITION BY week) AS n FROM t) \
             SELECT week, MIN(CASE WHEN rn * 100 >= 50 * n THEN v END) AS p50 FROM r GROUP BY week"
        ))
        .bind(user_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.pool())
        .await?;
        for row in medians {
            let week: i64 = row.try_get("week")?;
            if let Some(w) = weeks.iter_mut().find(|w| w.week == week) {
                w.time_to_connect_p50 = row.try_get("p50")?;
            }
        }
        Ok(weeks)
    }

    /// A session's reports with their senders' names, oldest first (at most
    /// `limit`).
    pub async fn session_reports(
        &self,
        session_id: &str,
        limit: i64,
    ) -> Result<Vec<(String, String, String)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT r.user_id, u.name, r.body FROM call_reports r JOIN users u ON u.id = r.user_id \
             WHERE r.session_id = $1 ORDER BY r.joined_at_ms DESC LIMIT $2",
        )
        .bind(session_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("user_id")?,
                    row.try_get("name")?,
                    row.try_get("body")?,
                ))
            })
            .collect()
    }

    /// Deletes at most `batch` rows of `table` older than `before_ms`.
    pub async fn prune_analytics(
        &self,
        table: super::retention::Table,
        before_ms: i64,
        batch: i64,
    ) -> Result<u64, sqlx::Error> {
        let (table, column) = table.name_and_time();
        let done = sqlx::query(&format!(
            "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {column} < $1 LIMIT $2)"
        ))
        .bind(before_ms)
        .bind(batch)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_utc() {
        // 2026-11-30 is a Monday; 2026-12-02 12:00 UTC falls in its week.
        let monday = 1_795_996_800_000; // 2026-11-30T00:00:00Z
        let wednesday_noon = monday + 2 * 86_400_000 + 12 * 3_600_000;
        assert_eq!(week_start_ms(week_of_ms(wednesday_noon)), monday);
        assert_eq!(week_start_ms(week_of_ms(monday)), monday);
        assert_eq!(week_start_ms(week_of_ms(monday - 1)), monday - WEEK_MS);
    }
}
