-- Users, their bearer tokens (stored hashed) and scheduled sessions.
-- Timestamps are Unix seconds (BIGINT) so one schema serves SQLite and PostgreSQL.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('mentor', 'learner')),
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    mentor_id TEXT NOT NULL REFERENCES users (id),
    learner_id TEXT NOT NULL REFERENCES users (id),
    scheduled_at BIGINT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('upcoming', 'completed', 'cancelled')),
    created_at BIGINT NOT NULL
);
CREATE INDEX sessions_mentor ON sessions (mentor_id, scheduled_at);
CREATE INDEX sessions_learner ON sessions (learner_id, scheduled_at);
