-- Passwords (argon2id PHC strings) and browser sessions (only the SHA-256
-- of the cookie's secret is kept). Times are microseconds since the Unix
-- epoch (UTC).

ALTER TABLE users ADD COLUMN password_hash TEXT;
CREATE INDEX users_by_email ON users (lower(email), id);

CREATE TABLE sessions (
    sha256        BLOB PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    csrf_token    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_last_use ON sessions (last_seen_at);
