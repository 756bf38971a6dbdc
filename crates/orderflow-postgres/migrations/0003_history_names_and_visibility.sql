-- History keeps the names of who acted as they were at the time, and the
-- party slots that could not see the order then (they never see the entry).
ALTER TABLE order_events ADD COLUMN user_name TEXT;
ALTER TABLE order_events ADD COLUMN organization_name TEXT;
ALTER TABLE order_events ADD COLUMN hidden_from TEXT NOT NULL DEFAULT '[]';

-- Whether the slot has seen the order (a state may show itself to a slot
-- only once it has). Orders stored before this column was added keep what
-- their parties saw then: every state they could see.
ALTER TABLE order_parties ADD COLUMN seen BIGINT NOT NULL DEFAULT 1;
