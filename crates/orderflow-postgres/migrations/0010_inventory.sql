-- Print-production's inventory as records (docs/inventory.md): stock
-- locations, bins of one SKU each, purchases on order and their receipts.
-- Quantities can never go below zero, and a purchase never hands out more
-- units than were received: the checks hold whatever the code does.

CREATE TABLE stock_locations (
    organization  TEXT NOT NULL REFERENCES organizations (id),
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (organization, id)
);

CREATE TABLE stock_bins (
    organization  TEXT NOT NULL,
    location      TEXT NOT NULL,
    id            TEXT NOT NULL,
    sku           TEXT NOT NULL,
    quantity      BIGINT NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (organization, location, id),
    FOREIGN KEY (organization, location) REFERENCES stock_locations (organization, id)
);

CREATE TABLE purchases (
    organization  TEXT NOT NULL,
    id            TEXT NOT NULL,
    location      TEXT NOT NULL,
    sku           TEXT NOT NULL,
    ordered       BIGINT NOT NULL CHECK (ordered > 0),
    received      BIGINT NOT NULL CHECK (received >= 0),
    consumed      BIGINT NOT NULL CHECK (consumed >= 0 AND consumed <= received),
    supplier      TEXT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (organization, id),
    FOREIGN KEY (organization, location) REFERENCES stock_locations (organization, id)
);

CREATE TABLE purchase_receipts (
    organization  TEXT NOT NULL,
    purchase      TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    quantity      BIGINT NOT NULL CHECK (quantity > 0),
    received_at   BIGINT NOT NULL,
    user_id       TEXT,
    PRIMARY KEY (organization, purchase, seq),
    FOREIGN KEY (organization, purchase) REFERENCES purchases (organization, id)
);

-- Intake reads the waiting jobs of every order at once.
CREATE INDEX order_children_by_kind_status ON order_children (kind, status);

-- The stock that lived in the settings (`locations[].stock`, SKU → units)
-- moves into one bin per location and SKU, named `stock-<SKU>`; the
-- settings keep the locations without it.
INSERT INTO stock_locations (organization, id, name, created_at)
SELECT DISTINCT ON (o.id, l->>'id') o.id, l->>'id', coalesce(l->>'name', l->>'id'), o.created_at
FROM organizations o, jsonb_array_elements(o.settings::jsonb->'locations') l
WHERE jsonb_typeof(o.settings::jsonb->'locations') = 'array'
  AND jsonb_typeof(l->'id') = 'string'
  AND jsonb_typeof(l->'stock') = 'object'
ON CONFLICT DO NOTHING;

INSERT INTO stock_bins (organization, location, id, sku, quantity)
SELECT o.id, l->>'id', 'stock-' || s.key, s.key, (s.value)::text::bigint
FROM organizations o, jsonb_array_elements(o.settings::jsonb->'locations') l, jsonb_each(l->'stock') s
WHERE jsonb_typeof(o.settings::jsonb->'locations') = 'array'
  AND jsonb_typeof(l->'id') = 'string'
  AND jsonb_typeof(l->'stock') = 'object'
  AND jsonb_typeof(s.value) = 'number'
  AND (s.value)::text ~ '^[0-9]+$'
ON CONFLICT DO NOTHING;

UPDATE organizations
SET settings = jsonb_set(settings::jsonb, '{locations}',
    coalesce((SELECT jsonb_agg(l - 'stock' ORDER BY n)
              FROM jsonb_array_elements(settings::jsonb->'locations') WITH ORDINALITY AS e(l, n)),
             '[]'::jsonb))::text
WHERE jsonb_typeof(settings::jsonb->'locations') = 'array';
