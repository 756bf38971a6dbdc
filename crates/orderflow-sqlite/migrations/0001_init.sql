-- orderflow on SQLite. Times are microseconds since the Unix epoch (UTC);
-- JSON is stored as text.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    settings    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    organization  TEXT NOT NULL REFERENCES organizations (id),
    roles         TEXT NOT NULL,
    email         TEXT,
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX users_by_organization ON users (organization, id);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    sha256      BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at);

-- The snapshot as JSON, and the columns lists filter and sort on.
CREATE TABLE orders (
    id          TEXT PRIMARY KEY,
    workflow    TEXT NOT NULL,
    status      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    reference   TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    snapshot    TEXT NOT NULL
) STRICT;
CREATE INDEX orders_newest ON orders (created_at DESC, id DESC);
CREATE INDEX orders_by_status ON orders (workflow, status);

CREATE TABLE order_parties (
    order_id      TEXT NOT NULL REFERENCES orders (id),
    slot          TEXT NOT NULL,
    organization  TEXT NOT NULL,
    PRIMARY KEY (order_id, slot)
) STRICT, WITHOUT ROWID;
CREATE INDEX order_parties_by_organization ON order_parties (organization, order_id);

-- Children stored beside their order (jobs).
CREATE TABLE order_children (
    order_id  TEXT NOT NULL REFERENCES orders (id),
    id        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    parent    TEXT,
    seq       INTEGER NOT NULL,
    status    TEXT NOT NULL,
    version   INTEGER NOT NULL,
    data      TEXT NOT NULL,
    counts    TEXT NOT NULL,
    PRIMARY KEY (order_id, id)
) STRICT;
CREATE INDEX order_children_by_seq ON order_children (order_id, kind, seq);
CREATE INDEX order_children_by_status ON order_children (order_id, kind, status);

CREATE TABLE order_events (
    order_id      TEXT NOT NULL REFERENCES orders (id),
    seq           INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    user_id       TEXT,
    organization  TEXT,
    step          TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
) STRICT;

CREATE TABLE outbox (
    id            TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL REFERENCES orders (id),
    channel       TEXT NOT NULL,
    party         TEXT NOT NULL,
    organization  TEXT NOT NULL,
    template      TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    available_at  INTEGER NOT NULL,
    lease_until   INTEGER,
    delivered_at  INTEGER,
    last_error    TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox (available_at, created_at, id) WHERE delivered_at IS NULL;

CREATE TABLE idempotency (
    user_id         TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_sha256  BLOB NOT NULL,
    status          INTEGER NOT NULL,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) STRICT;

CREATE TABLE files (
    id           TEXT PRIMARY KEY,
    organization TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    name         TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    bytes        BLOB NOT NULL
) STRICT;
