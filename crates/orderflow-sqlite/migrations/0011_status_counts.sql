-- Orders counted per organisation, workflow, status and slots key (the
-- organisation's slots in the order, sorted, each with whether it has seen
-- the order: `clinic=0,lab=1`), kept in the same transaction as every
-- change, so counts by status read a few rows instead of every order.
-- Each key is spread over a few shards (an order stays in its own) so
-- concurrent changes do not queue on one row; a count adds them up.
CREATE TABLE status_counts (
    organization  TEXT NOT NULL,
    workflow      TEXT NOT NULL,
    status        TEXT NOT NULL,
    slots         TEXT NOT NULL,
    shard         INTEGER NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (organization, workflow, status, slots, shard)
) STRICT, WITHOUT ROWID;

-- The orders stored so far, counted in shard 0.
INSERT INTO status_counts (organization, workflow, status, slots, shard, n)
SELECT organization, workflow, status, slots, 0, COUNT(*) FROM (
    SELECT p.organization, o.workflow, o.status,
           group_concat(p.slot || '=' || p.seen, ',' ORDER BY p.slot) AS slots
    FROM orders o JOIN order_parties p ON p.order_id = o.id
    GROUP BY o.id, p.organization, o.workflow, o.status
) GROUP BY organization, workflow, status, slots;
