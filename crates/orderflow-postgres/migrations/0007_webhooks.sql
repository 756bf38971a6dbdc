-- Webhook endpoints per organisation and the deliveries to them, written
-- in the transaction of the change they tell about (docs/webhooks.md).

CREATE TABLE webhook_endpoints (
    id            TEXT PRIMARY KEY,
    organization  TEXT NOT NULL REFERENCES organizations (id),
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    workflows     TEXT NOT NULL,
    events        TEXT NOT NULL,
    actions       TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_organization ON webhook_endpoints (organization, created_at, id);

-- No foreign key to the endpoint: removing an endpoint while a change is
-- being committed must not refuse the change. The deliverer gives up on a
-- delivery whose endpoint is gone.
CREATE TABLE webhook_deliveries (
    id            TEXT PRIMARY KEY,
    endpoint      TEXT NOT NULL,
    organization  TEXT NOT NULL,
    order_id      TEXT NOT NULL REFERENCES orders (id),
    event         TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    -- NULL once delivered or dead.
    available_at  BIGINT,
    lease_until   BIGINT,
    delivered_at  BIGINT,
    dead_at       BIGINT,
    last_error    TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (available_at, created_at, id)
    WHERE available_at IS NOT NULL;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint, created_at, id);

