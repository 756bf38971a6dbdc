-- Print-production's inventory as records (docs/inventory.md): stock
-- locations, bins of one SKU each, purchases on order and their receipts.
-- Quantities can never go below zero, and a purchase never hands out more
-- units than were received: the checks hold whatever the code does.

CREATE TABLE stock_locations (
    organization  TEXT NOT NULL REFERENCES organizations (id),
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (organization, id)
) STRICT;

CREATE TABLE stock_bins (
    organization  TEXT NOT NULL,
    location      TEXT NOT NULL,
    id            TEXT NOT NULL,
    sku           TEXT NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (organization, location, id),
    FOREIGN KEY (organization, location) REFERENCES stock_locations (organization, id)
) STRICT;

CREATE TABLE purchases (
    organization  TEXT NOT NULL,
    id            TEXT NOT NULL,
    location      TEXT NOT NULL,
    sku           TEXT NOT NULL,
    ordered       INTEGER NOT NULL CHECK (ordered > 0),
    received      INTEGER NOT NULL CHECK (received >= 0),
    consumed      INTEGER NOT NULL CHECK (consumed >= 0 AND consumed <= received),
    supplier      TEXT,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (organization, id),
    FOREIGN KEY (organization, location) REFERENCES stock_locations (organization, id)
) STRICT;

CREATE TABLE purchase_receipts (
    organization  TEXT NOT NULL,
    purchase      TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    received_at   INTEGER NOT NULL,
    user_id       TEXT,
    PRIMARY KEY (organization, purchase, seq),
    FOREIGN KEY (organization, purchase) REFERENCES purchases (organization, id)
) STRICT;

-- Intake reads the waiting jobs of every order at once.
CREATE INDEX order_children_by_kind_status ON order_children (kind, status);

-- The stock that lived in the settings (`locations[].stock`, SKU → units)
-- moves into one bin per location and SKU, named `stock-<SKU>`; the
-- settings keep the locations without it.
INSERT OR IGNORE INTO stock_locations (organization, id, name, created_at)
SELECT o.id, json_extract(l.value, '$.id'),
       coalesce(json_extract(l.value, '$.name'), json_extract(l.value, '$.id')), o.created_at
FROM organizations o, json_each(o.settings, '$.locations') l
WHERE json_type(o.settings, '$.locations') = 'array'
  AND json_type(l.value, '$.id') = 'text'
  AND json_type(l.value, '$.stock') = 'object';

INSERT OR IGNORE INTO stock_bins (organization, location, id, sku, quantity)
SELECT o.id, json_extract(l.value, '$.id'), 'stock-' || s.key, s.key, s.value
FROM organizations o, json_each(o.settings, '$.locations') l, json_each(l.value, '$.stock') s
WHERE json_type(o.settings, '$.locations') = 'array'
  AND json_type(l.value, '$.id') = 'text'
  AND json_type(l.value, '$.stock') = 'object'
  AND s.type = 'integer' AND s.value >= 0;

UPDATE organizations
SET settings = json_set(settings, '$.locations',
    (SELECT json_group_array(json(json_remove(l.value, '$.stock')))
     FROM json_each(organizations.settings, '$.locations') l))
WHERE json_type(settings, '$.locations') = 'array';
