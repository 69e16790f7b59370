-- Live session codes live on the session row, as the web feature stored them.
-- The unique index is what keeps codes unique across sessions and across
-- server nodes; the expiry is stored so a change of TTL never revives a code.
ALTER TABLE sessions ADD COLUMN live_session_code TEXT;
ALTER TABLE sessions ADD COLUMN live_session_created_at BIGINT;
ALTER TABLE sessions ADD COLUMN live_session_expires_at BIGINT;
CREATE UNIQUE INDEX sessions_live_session_code ON sessions (live_session_code);
