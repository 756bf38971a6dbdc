-- A commit moves its order's counts by status from the snapshot the change
-- was decided on, no longer from these rows, so the rows must say what the
-- snapshot says each slot has seen. Orders stored before 0003 kept
-- `seen = 1` for every slot whatever their snapshot said: brought in line
-- (as their next change would have), and the counts taken again.
UPDATE order_parties SET seen = 1 - seen
WHERE seen <> EXISTS (
    SELECT 1 FROM orders o, json_each(o.snapshot, '$.seen_by') s
    WHERE o.id = order_parties.order_id AND s.value = order_parties.slot
);

DELETE FROM status_counts;
INSERT INTO status_counts (organization, workflow, status, slots, shard, n)
SELECT organization, workflow, status, slots, 0, COUNT(*) FROM (
    SELECT p.organization, o.workflow, o.status,
           group_concat(p.slot || '=' || p.seen, ',' ORDER BY p.slot) AS slots
    FROM orders o JOIN order_parties p ON p.order_id = o.id
    GROUP BY o.id, p.organization, o.workflow, o.status
) GROUP BY organization, workflow, status, slots;
