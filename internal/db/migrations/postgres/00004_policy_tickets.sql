-- +goose Up
-- Each shop's care-first policy (internal/policy) as one JSON object; a
-- shop without a row uses the defaults.
CREATE TABLE policies (
    shop_id    TEXT PRIMARY KEY REFERENCES shops(id),
    body       TEXT NOT NULL, -- JSON object (policy.Policy)
    updated_at TIMESTAMPTZ NOT NULL
);

-- Inbound matters (internal/ticket). subject and body are personal data:
-- erased with the customer.
CREATE TABLE tickets (
    shop_id               TEXT NOT NULL REFERENCES shops(id),
    id                    TEXT NOT NULL,
    customer_id           TEXT NOT NULL,
    kind                  TEXT NOT NULL,  -- question | defect | complaint | return | exchange | other
    status                TEXT NOT NULL,  -- open | pending | resolved | closed
    subject               TEXT NOT NULL,
    body                  TEXT NOT NULL DEFAULT '',
    assignee              TEXT NOT NULL DEFAULT '',
    first_response_due_at TIMESTAMPTZ NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    resolved_at           TIMESTAMPTZ,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id)
);
-- The policy asks "does this customer have an open complaint?" for every
-- sales message; the inbox lists by status.
CREATE INDEX tickets_customer ON tickets (shop_id, customer_id, status);
CREATE INDEX tickets_status ON tickets (shop_id, status, id);

-- Messages to the shop itself (e.g. a journey paused by the annoyance brake).
CREATE TABLE notifications (
    shop_id    TEXT NOT NULL REFERENCES shops(id),
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    read_at    TIMESTAMPTZ,
    PRIMARY KEY (shop_id, id)
);

-- +goose Down
DROP TABLE notifications;
DROP TABLE tickets;
DROP TABLE policies;
