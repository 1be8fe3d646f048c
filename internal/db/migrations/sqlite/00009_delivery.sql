-- +goose Up
-- Delivery (internal/delivery): the shops' channel providers, one row per
-- channel attempt of a message, recalls and broadcasts, and the webhook
-- events already applied.

-- A shop's provider per channel (email, sms, line). config is JSON without
-- secrets; secrets is the JSON of the secrets sealed with AES-256-GCM under
-- a key derived from the instance secret key (base64), bound to shop and
-- channel. version grows with every change, so senders cached by a node
-- are rebuilt.
CREATE TABLE channel_settings (
    shop_id    TEXT NOT NULL REFERENCES shops(id),
    channel    TEXT NOT NULL,
    provider   TEXT NOT NULL,
    config     TEXT NOT NULL DEFAULT '{}',
    secrets    TEXT NOT NULL DEFAULT '',
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, channel)
);

-- One row per channel a message was handed to: the outbox, or a provider
-- with its id for the message (status callbacks find it by that id).
CREATE TABLE message_attempts (
    shop_id     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    provider    TEXT NOT NULL,               -- outbox | smtp | sms_generic | twilio | line
    status      TEXT NOT NULL,               -- sending | sent | failed
    reason      TEXT NOT NULL DEFAULT '',
    provider_id TEXT NOT NULL DEFAULT '',
    segments    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, message_id, channel),
    FOREIGN KEY (shop_id, message_id) REFERENCES messages (shop_id, id)
);
CREATE INDEX message_attempts_provider ON message_attempts (shop_id, provider, provider_id);
-- The start-up sweep looks at attempts still sending (few at any time).
CREATE INDEX message_attempts_status ON message_attempts (status);

-- Recalls and broadcasts: a fan-out to many customers through the normal
-- message path. cursor is the last customer ID targeted; targeted counts
-- the messages planned so far.
CREATE TABLE campaigns (
    shop_id        TEXT NOT NULL REFERENCES shops(id),
    id             TEXT NOT NULL,
    kind           TEXT NOT NULL,               -- recall | broadcast
    status         TEXT NOT NULL,               -- targeting | done
    purpose        TEXT NOT NULL,
    channel        TEXT NOT NULL DEFAULT 'best',
    template_key   TEXT NOT NULL,
    sku            TEXT NOT NULL DEFAULT '',
    lot            TEXT NOT NULL DEFAULT '',
    purchased_from TIMESTAMP,
    purchased_to   TIMESTAMP,
    segment        TEXT NOT NULL DEFAULT '{}',  -- JSON: {"all": true} | {"tag": ...} | {"band": ...}
    cursor         TEXT NOT NULL DEFAULT '',
    targeted       INTEGER NOT NULL DEFAULT 0,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id)
);

-- The message of each customer a campaign targeted (one per customer).
CREATE TABLE campaign_messages (
    shop_id     TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    PRIMARY KEY (shop_id, campaign_id, customer_id),
    FOREIGN KEY (shop_id, campaign_id) REFERENCES campaigns (shop_id, id)
);

-- Webhook events already applied (LINE webhookEventId), so a redelivery
-- changes nothing.
CREATE TABLE hook_events (
    shop_id    TEXT NOT NULL REFERENCES shops(id),
    source     TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, source, event_id)
);

-- The LINE webhook finds the customer who wrote by LINE user ID.
CREATE INDEX customers_line_user ON customers (shop_id, line_user_id);

-- +goose Down
DROP INDEX customers_line_user;
DROP TABLE hook_events;
DROP TABLE campaign_messages;
DROP TABLE campaigns;
DROP TABLE message_attempts;
DROP TABLE channel_settings;
