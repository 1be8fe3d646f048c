-- +goose Up
-- One message to one customer on one channel (internal/message). A row is
-- written, status 'scheduled', in the transaction that plans it (a journey
-- step), and judged by the care-first policy when it comes due. subject and
-- body are rendered at send time and are personal data: erased with the
-- customer.
CREATE TABLE messages (
    shop_id           TEXT NOT NULL REFERENCES shops(id),
    id                TEXT NOT NULL,
    customer_id       TEXT NOT NULL,
    purpose           TEXT NOT NULL,              -- transactional | care | info | sales
    status            TEXT NOT NULL,              -- scheduled | deferred | suppressed | sending | sent | delivered | failed | opened | clicked
    reason            TEXT NOT NULL DEFAULT '',   -- why deferred, suppressed or failed
    channel_requested TEXT NOT NULL DEFAULT 'best',
    channel           TEXT NOT NULL DEFAULT '',   -- chosen when released
    locale            TEXT NOT NULL DEFAULT '',   -- of the rendered text
    template_key      TEXT NOT NULL DEFAULT '',
    journey_id        TEXT NOT NULL DEFAULT '',
    journey_version   INTEGER NOT NULL DEFAULT 0,
    run_id            TEXT NOT NULL DEFAULT '',
    step_id           TEXT NOT NULL DEFAULT '',
    order_id          TEXT NOT NULL DEFAULT '',
    sku               TEXT NOT NULL DEFAULT '',
    subject           TEXT NOT NULL DEFAULT '',
    body              TEXT NOT NULL DEFAULT '',
    dedupe_key        TEXT NOT NULL,              -- e.g. run:<run>:<step>; one message per key and shop
    opted_out         BOOLEAN NOT NULL DEFAULT FALSE, -- the customer withdrew consent within 7 days of receiving it
    due_at            TIMESTAMP NOT NULL,
    released_at       TIMESTAMP,                  -- when the policy let it go
    sent_at           TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, dedupe_key),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id)
);
-- A customer's messages (timeline, the policy's history) and the list filters.
CREATE INDEX messages_customer ON messages (shop_id, customer_id, id);
CREATE INDEX messages_status ON messages (shop_id, status, id);
CREATE INDEX messages_journey ON messages (shop_id, journey_id, id);

-- Message templates per shop and key, in Japanese and English (Liquid).
CREATE TABLE templates (
    shop_id    TEXT NOT NULL REFERENCES shops(id),
    key        TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    purpose    TEXT NOT NULL,
    subject_ja TEXT NOT NULL DEFAULT '',
    body_ja    TEXT NOT NULL DEFAULT '',
    sms_ja     TEXT NOT NULL DEFAULT '',
    subject_en TEXT NOT NULL DEFAULT '',
    body_en    TEXT NOT NULL DEFAULT '',
    sms_en     TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, key)
);

-- +goose Down
DROP TABLE templates;
DROP TABLE messages;
