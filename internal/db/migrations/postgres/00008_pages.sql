-- +goose Up
-- Answers to a shop's surveys (internal/survey): one row per (shop, survey,
-- order), so a second submit of the same survey page edits the answer and
-- never duplicates it. The built-in post-purchase survey has survey_id
-- 'post_purchase'. comment is the customer's words: personal data, erased
-- with the customer; the scores stay for the shop's aggregates.
CREATE TABLE survey_responses (
    shop_id            TEXT NOT NULL REFERENCES shops(id),
    id                 TEXT NOT NULL,
    survey_id          TEXT NOT NULL,
    order_id           TEXT NOT NULL,
    customer_id        TEXT NOT NULL,
    csat               INTEGER NOT NULL,            -- 1..5
    nps                INTEGER,                     -- 0..10; NULL when skipped
    comment            TEXT NOT NULL DEFAULT '',
    locale             TEXT NOT NULL DEFAULT 'ja',  -- of the page the customer answered on
    recovery_ticket_id TEXT NOT NULL DEFAULT '',    -- the ticket a low score opened; 'pending' while it is being opened
    edits              INTEGER NOT NULL DEFAULT 0,  -- how many times the answer was changed after the first submit
    answered_at        TIMESTAMPTZ NOT NULL,          -- first submit
    updated_at         TIMESTAMPTZ NOT NULL,          -- latest submit
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, survey_id, order_id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id)
);
-- Results by survey and period; a customer's answers (export, erase).
CREATE INDEX survey_responses_answered ON survey_responses (shop_id, survey_id, answered_at);
CREATE INDEX survey_responses_customer ON survey_responses (shop_id, customer_id);

-- Engagement recorded by the public pages (internal/pages): a recall
-- notice acknowledged on /a/{token}, the first click through /k/{token}.
ALTER TABLE messages ADD COLUMN acknowledged_at TIMESTAMPTZ;
ALTER TABLE messages ADD COLUMN clicked_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE messages DROP COLUMN clicked_at;
ALTER TABLE messages DROP COLUMN acknowledged_at;
DROP TABLE survey_responses;
