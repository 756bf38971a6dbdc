-- orders_waiting (workflow, status, status_since, id) answers everything
-- orders_by_status (workflow, status) did, and every change of an order's
-- status updated both: one index fewer to write per change.
DROP INDEX IF EXISTS orders_by_status;
