-- +goose Up
-- The conversation of a ticket (internal/ticket): what the customer wrote
-- after opening it, staff replies (each sent to the customer as a
-- transactional message, message_id) and internal notes (never sent).
-- body is personal data: erased with the customer (customer_id is kept
-- here for that).
CREATE TABLE ticket_entries (
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    id          TEXT NOT NULL,
    ticket_id   TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    kind        TEXT NOT NULL,             -- customer_message | staff_reply | internal_note
    author_id   TEXT NOT NULL DEFAULT '',  -- the staff user of a reply or note; '' for the customer
    channel     TEXT NOT NULL DEFAULT '',  -- where it came from or went by: line, email, sms, form, api, admin
    body        TEXT NOT NULL,
    message_id  TEXT NOT NULL DEFAULT '',  -- a staff reply's message
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, ticket_id) REFERENCES tickets (shop_id, id)
);
CREATE INDEX ticket_entries_ticket ON ticket_entries (shop_id, ticket_id, id);
-- The message worker asks "is this message a staff reply?" (quiet hours).
CREATE INDEX ticket_entries_message ON ticket_entries (shop_id, message_id) WHERE message_id <> '';
CREATE INDEX ticket_entries_customer ON ticket_entries (shop_id, customer_id);

-- When the first staff reply was written: the first-response SLA is met
-- when it is at or before first_response_due_at.
ALTER TABLE tickets ADD COLUMN first_response_at TIMESTAMPTZ;
-- The inbox lists open tickets by first-response due time.
CREATE INDEX tickets_due ON tickets (shop_id, first_response_due_at, id);

-- +goose Down
DROP INDEX tickets_due;
ALTER TABLE tickets DROP COLUMN first_response_at;
DROP TABLE ticket_entries;
