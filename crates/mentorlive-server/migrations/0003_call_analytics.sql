-- Call analytics: the server's own events in live rooms and the clients'
-- call reports. Figures only: never media, chat text or addresses. Times are
-- Unix milliseconds (BIGINT) so one schema serves SQLite and PostgreSQL, and
-- booleans are 0/1 for the same reason.
CREATE TABLE call_events (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    peer_id TEXT,
    user_id TEXT,
    -- code_generated, joined, resumed, replaced, left, dropped, grace_expired
    kind TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX call_events_peer ON call_events (session_id, peer_id);
CREATE INDEX call_events_at ON call_events (at_ms);

CREATE TABLE call_reports (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    peer_id TEXT NOT NULL,
    client TEXT NOT NULL,
    joined_at_ms BIGINT NOT NULL,
    connected_at_ms BIGINT,
    ended_at_ms BIGINT NOT NULL,
    end_reason TEXT NOT NULL,
    candidate_type TEXT,
    rtt_p50_ms DOUBLE PRECISION NOT NULL,
    loss_percent DOUBLE PRECISION NOT NULL,
    freezes BIGINT NOT NULL,
    mos DOUBLE PRECISION,
    screen_share_seconds DOUBLE PRECISION NOT NULL,
    recorded BIGINT NOT NULL,
    stars BIGINT,
    -- The report as received (validated), for the session's analytics.
    body TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL
);
-- A second report from the same peer replaces the first.
CREATE UNIQUE INDEX call_reports_peer ON call_reports (session_id, peer_id);
CREATE INDEX call_reports_user ON call_reports (user_id, joined_at_ms);
CREATE INDEX call_reports_joined ON call_reports (joined_at_ms);
