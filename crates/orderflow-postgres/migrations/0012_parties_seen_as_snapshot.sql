-- A commit moves its order's counts by status from the snapshot the change
-- was decided on, no longer from these rows, so the rows must say what the
-- snapshot says each slot has seen. Orders stored before 0003 kept
-- `seen = 1` for every slot whatever their snapshot said: brought in line
-- (as their next change would have), and the counts taken again.
UPDATE order_parties p SET seen = 1 - p.seen
FROM orders o
WHERE o.id = p.order_id
  AND p.seen <> CASE WHEN (o.snapshot::jsonb -> 'seen_by') ? p.slot THEN 1 ELSE 0 END;

DELETE FROM status_counts;
INSERT INTO status_counts (organization, workflow, status, slots, shard, n)
SELECT organization, workflow, status, slots, 0, COUNT(*) FROM (
    SELECT p.organization, o.workflow, o.status,
           string_agg(p.slot || '=' || p.seen::text, ',' ORDER BY p.slot COLLATE "C") AS slots
    FROM orders o JOIN order_parties p ON p.order_id = o.id
    GROUP BY o.id, p.organization, o.workflow, o.status
) AS per_order GROUP BY organization, workflow, status, slots;
