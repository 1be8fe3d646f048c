-- +goose Up
CREATE TABLE products (
    shop_id          TEXT NOT NULL REFERENCES shops(id),
    sku              TEXT NOT NULL,
    name             TEXT NOT NULL,
    category         TEXT NOT NULL DEFAULT '',
    price            BIGINT NOT NULL DEFAULT 0,   -- in the currency's smallest unit (yen)
    goal             TEXT NOT NULL DEFAULT '',
    guide            TEXT NOT NULL DEFAULT '',
    consumption_days INTEGER,                     -- NULL for durables
    related_skus     TEXT NOT NULL DEFAULT '[]',  -- JSON array
    upgrade_sku      TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, sku)
);
CREATE INDEX products_category ON products (shop_id, category);

CREATE TABLE orders (
    shop_id      TEXT NOT NULL REFERENCES shops(id),
    id           TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    ordered_at   TIMESTAMP NOT NULL,
    channel      TEXT NOT NULL,   -- store | online
    store        TEXT NOT NULL DEFAULT '',
    discount     BIGINT NOT NULL DEFAULT 0, -- total = sum of lines - discount
    total        BIGINT NOT NULL,
    currency     TEXT NOT NULL DEFAULT 'JPY',
    content_hash TEXT NOT NULL,   -- SHA-256 of the canonical content, for idempotent re-posts
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, external_id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id)
);
CREATE INDEX orders_customer ON orders (shop_id, customer_id, ordered_at, id);
CREATE INDEX orders_ordered ON orders (shop_id, ordered_at, id);

CREATE TABLE order_lines (
    shop_id    TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    line_no    INTEGER NOT NULL,
    sku        TEXT NOT NULL,
    quantity   INTEGER NOT NULL,
    unit_price BIGINT NOT NULL,
    catalogued BOOLEAN NOT NULL DEFAULT FALSE, -- the SKU was in the shop's catalogue when the order came in
    PRIMARY KEY (shop_id, order_id, line_no),
    FOREIGN KEY (shop_id, order_id) REFERENCES orders (shop_id, id)
);
CREATE INDEX order_lines_sku ON order_lines (shop_id, sku);

-- Everything that happened to a customer. external_id lets integrators
-- post the same event twice without it counting twice.
CREATE TABLE events (
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    id          TEXT NOT NULL,
    customer_id TEXT,
    type        TEXT NOT NULL,
    external_id TEXT,
    occurred_at TIMESTAMP NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',  -- JSON object
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, external_id)
);
CREATE INDEX events_customer ON events (shop_id, customer_id, occurred_at);
CREATE INDEX events_type ON events (shop_id, type, occurred_at);

-- +goose Down
DROP TABLE events;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE products;
