-- orderflow on PostgreSQL. Times are microseconds since the Unix epoch (UTC);
-- JSON is stored as text.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    settings    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    organization  TEXT NOT NULL REFERENCES organizations (id),
    roles         TEXT NOT NULL,
    email         TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX users_by_organization ON users (organization, id);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    sha256      BYTEA NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at);

-- The snapshot as JSON, and the columns lists filter and sort on.
CREATE TABLE orders (
    id          TEXT PRIMARY KEY,
    workflow    TEXT NOT NULL,
    status      TEXT NOT NULL,
    version     BIGINT NOT NULL,
    reference   TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    snapshot    TEXT NOT NULL
);
CREATE INDEX orders_newest ON orders (created_at DESC, id DESC);
CREATE INDEX orders_by_status ON orders (workflow, status);

CREATE TABLE order_parties (
    order_id      TEXT NOT NULL REFERENCES orders (id),
    slot          TEXT NOT NULL,
    organization  TEXT NOT NULL,
    PRIMARY KEY (order_id, slot)
);
CREATE INDEX order_parties_by_organization ON order_parties (organization, order_id);

-- Children stored beside their order (jobs).
CREATE TABLE order_children (
    order_id  TEXT NOT NULL REFERENCES orders (id),
    id        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    parent    TEXT,
    seq       BIGINT NOT NULL,
    status    TEXT NOT NULL,
    version   BIGINT NOT NULL,
    data      TEXT NOT NULL,
    counts    TEXT NOT NULL,
    PRIMARY KEY (order_id, id)
);
CREATE INDEX order_children_by_seq ON order_children (order_id, kind, seq);
CREATE INDEX order_children_by_status ON order_children (order_id, kind, status);

CREATE TABLE order_events (
    order_id      TEXT NOT NULL REFERENCES orders (id),
    seq           BIGINT NOT NULL,
    version       BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    user_id       TEXT,
    organization  TEXT,
    step          TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
);

CREATE TABLE outbox (
    id            TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL REFERENCES orders (id),
    channel       TEXT NOT NULL,
    party         TEXT NOT NULL,
    organization  TEXT NOT NULL,
    template      TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    available_at  BIGINT NOT NULL,
    lease_until   BIGINT,
    delivered_at  BIGINT,
    last_error    TEXT
);
CREATE INDEX outbox_due ON outbox (available_at, created_at, id) WHERE delivered_at IS NULL;

CREATE TABLE idempotency (
    user_id         TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_sha256  BYTEA NOT NULL,
    status          BIGINT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE files (
    id           TEXT PRIMARY KEY,
    organization TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    name         TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    bytes        BYTEA NOT NULL
);
