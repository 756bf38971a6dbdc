-- A delivery redelivered by hand is retried for its full time again:
-- the time to give up counts from the redelivery, not from the event.
ALTER TABLE webhook_deliveries ADD COLUMN retrying_since BIGINT;
