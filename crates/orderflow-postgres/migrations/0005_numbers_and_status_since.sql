-- Short order numbers people use (`DL-1042`): unique per organisation that
-- created the order, counted per organisation and prefix. And when the
-- order entered its current status, so lists and the dashboard show how
-- long it has waited without reading its history. Orders stored before
-- this migration have neither (their pages show the id and no wait).
ALTER TABLE orders ADD COLUMN number TEXT;
ALTER TABLE orders ADD COLUMN number_org TEXT;
ALTER TABLE orders ADD COLUMN status_since BIGINT;
-- The words text search looks for beyond id, number and reference: every
-- text and number in the order (line products, SKUs, tracking numbers,
-- notes), lower-cased.
ALTER TABLE orders ADD COLUMN search_text TEXT;
-- Waiting since the last change, the closest the store knows.
UPDATE orders SET status_since = updated_at;
CREATE UNIQUE INDEX orders_by_number ON orders (number, number_org);
CREATE INDEX orders_waiting ON orders (workflow, status, status_since, id);
CREATE INDEX orders_updated ON orders (updated_at, id);

CREATE TABLE order_numbers (
    organization  TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    last          BIGINT NOT NULL,
    PRIMARY KEY (organization, prefix)
);
