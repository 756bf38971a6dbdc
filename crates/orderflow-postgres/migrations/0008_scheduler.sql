-- The scheduler: one row per declared schedule, claimed (and moved on to
-- its next run) by the one server that runs it; and the orders' timers.

CREATE TABLE schedule_runs (
    key          TEXT PRIMARY KEY,
    next_run_at  BIGINT NOT NULL,
    last_run_at  BIGINT,
    runs         BIGINT NOT NULL DEFAULT 0
);

-- status: pending, running (claimed by a server firing it since
-- updated_at), fired, failed, canceled. A timer set again replaces its row.
CREATE TABLE order_timers (
    order_id    TEXT NOT NULL REFERENCES orders (id),
    timer       TEXT NOT NULL,
    action      TEXT NOT NULL,
    due_at      BIGINT NOT NULL,
    status      TEXT NOT NULL,
    set_at      BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    last_error  TEXT,
    PRIMARY KEY (order_id, timer)
);
CREATE INDEX order_timers_due ON order_timers (due_at) WHERE status IN ('pending', 'running');
