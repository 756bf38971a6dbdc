-- The in-app inbox: which e-mail notifications of their organisation each
-- user has read (the notifications themselves are the outbox's rows).
CREATE TABLE notification_reads (
    user_id     TEXT NOT NULL REFERENCES users (id),
    message_id  TEXT NOT NULL REFERENCES outbox (id),
    read_at     INTEGER NOT NULL,
    PRIMARY KEY (user_id, message_id)
) STRICT;

-- The kinds of e-mail (templates) a user asked not to receive.
CREATE TABLE email_opt_outs (
    user_id   TEXT NOT NULL REFERENCES users (id),
    template  TEXT NOT NULL,
    PRIMARY KEY (user_id, template)
) STRICT;

-- A message its deliverer gave up on: never claimed again, kept with its
-- last error.
ALTER TABLE outbox ADD COLUMN dead_at INTEGER;

CREATE INDEX outbox_inbox ON outbox (organization, created_at);
CREATE INDEX outbox_dead ON outbox (dead_at) WHERE dead_at IS NOT NULL;
