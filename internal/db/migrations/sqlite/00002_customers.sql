-- +goose Up
CREATE TABLE customers (
    shop_id           TEXT NOT NULL REFERENCES shops(id),
    id                TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    name              TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    phone             TEXT NOT NULL DEFAULT '',  -- E.164
    line_user_id      TEXT NOT NULL DEFAULT '',
    postal_address    TEXT NOT NULL DEFAULT '',
    locale            TEXT NOT NULL DEFAULT 'ja',
    attributes        TEXT NOT NULL DEFAULT '{}', -- JSON object
    preferred_channel TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    erased_at         TIMESTAMP,               -- APPI erasure: personal data removed, row kept for aggregates
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, external_id)
);
CREATE INDEX customers_email ON customers (shop_id, email);
CREATE INDEX customers_phone ON customers (shop_id, phone);

CREATE TABLE customer_tags (
    shop_id     TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    tag         TEXT NOT NULL,
    PRIMARY KEY (shop_id, customer_id, tag),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id)
);
CREATE INDEX customer_tags_tag ON customer_tags (shop_id, tag);

-- Consent history: append-only, never updated. The current state of a
-- channel is its latest row.
CREATE TABLE consents (
    shop_id     TEXT NOT NULL,
    id          TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    channel     TEXT NOT NULL, -- email | sms | line | postal | phone
    granted     BOOLEAN NOT NULL,
    at          TIMESTAMP NOT NULL,
    source      TEXT NOT NULL,
    text        TEXT NOT NULL DEFAULT '', -- the wording shown when consent was asked
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id)
);
CREATE INDEX consents_customer ON consents (shop_id, customer_id, channel, at);

-- +goose Down
DROP TABLE consents;
DROP TABLE customer_tags;
DROP TABLE customers;
