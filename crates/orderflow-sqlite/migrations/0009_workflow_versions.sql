-- Workflows are data: each deployment that changes a definition is a new
-- version, and every order runs under the version it was created with
-- (orders stored before this ran under the built-ins, version 1).
CREATE TABLE workflows (
    id       TEXT PRIMARY KEY,
    retired  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE workflow_versions (
    workflow     TEXT NOT NULL REFERENCES workflows (id),
    version      INTEGER NOT NULL,
    source       TEXT NOT NULL,
    sha256       BLOB NOT NULL,
    deployed_by  TEXT NOT NULL,
    deployed_at  INTEGER NOT NULL,
    PRIMARY KEY (workflow, version)
) STRICT;

ALTER TABLE orders ADD COLUMN workflow_version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX orders_by_workflow_version ON orders (workflow, workflow_version, id);
