-- +goose Up
-- Coupon campaigns and the single codes issued from them (internal/coupon).
-- A campaign holds the discount (an amount in yen or a percentage), how long
-- its codes are valid and its limits; issued counts the codes issued so far
-- (the total limit is enforced by a conditional UPDATE of this counter, so
-- concurrent issues never exceed it).
CREATE TABLE coupon_campaigns (
    shop_id            TEXT NOT NULL REFERENCES shops(id),
    id                 TEXT NOT NULL,
    name               TEXT NOT NULL,
    discount_type      TEXT NOT NULL,              -- amount | percent
    discount_value     BIGINT NOT NULL,            -- yen for amount, 1..100 for percent
    valid_days         INTEGER,                    -- a code expires this many days after issue; NULL: at ends_at
    ends_at            TIMESTAMPTZ,                -- no code is issued or valid after; NULL: no end
    per_customer_limit INTEGER NOT NULL DEFAULT 1, -- codes one customer may hold from this campaign
    total_limit        INTEGER,                    -- codes the campaign may issue in all; NULL: no limit
    issued             INTEGER NOT NULL DEFAULT 0,
    created_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, id)
);

-- One code issued to one customer, redeemed at most once: redemption is a
-- conditional UPDATE ... WHERE redeemed_at IS NULL. The code is the
-- coupon's identity in its shop. order_id is the order whose journey issued
-- it, or the one named at an API issue (the order's receipt lists its
-- coupons); issue_key makes a journey step's issue
-- idempotent ("run:<run>:<step>"). Codes, discounts and times are not
-- personal data; erasing the customer expires their unredeemed codes.
CREATE TABLE coupons (
    shop_id      TEXT NOT NULL REFERENCES shops(id),
    code         TEXT NOT NULL,
    campaign_id  TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    order_id     TEXT NOT NULL DEFAULT '',
    issue_key    TEXT NOT NULL DEFAULT '',
    expires_at   TIMESTAMPTZ NOT NULL,
    redeemed_at  TIMESTAMPTZ,
    reference    TEXT NOT NULL DEFAULT '', -- what the POS or shop said at redemption (its receipt number)
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, code),
    FOREIGN KEY (shop_id, campaign_id) REFERENCES coupon_campaigns (shop_id, id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id)
);
-- Per-customer limit, export and erase; the receipt's coupons of an order.
CREATE INDEX coupons_customer ON coupons (shop_id, customer_id, campaign_id);
CREATE INDEX coupons_order ON coupons (shop_id, order_id) WHERE order_id <> '';
CREATE UNIQUE INDEX coupons_issue_key ON coupons (shop_id, issue_key) WHERE issue_key <> '';
-- A campaign's redemption count.
CREATE INDEX coupons_campaign ON coupons (shop_id, campaign_id, redeemed_at);

-- +goose Down
DROP TABLE coupons;
DROP TABLE coupon_campaigns;
