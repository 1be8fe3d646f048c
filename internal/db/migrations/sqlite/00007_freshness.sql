-- +goose Up
-- Stored freshness (SPEC §6, docs/journeys.md "Freshness"; internal/customer).
-- The inputs (latest order, expected interval) are stored so that the score
-- can be computed at read time; the band is stored so that
-- GET /customers?band= is an indexed query, and next_band_at (the first
-- instant of the next band if no order comes) tells the freshness.sweep job
-- whom time alone has moved. All NULL until computed (freshness_at).
ALTER TABLE customers ADD COLUMN latest_order_at TIMESTAMP;
ALTER TABLE customers ADD COLUMN expected_interval_seconds REAL;   -- microsecond precision
ALTER TABLE customers ADD COLUMN freshness_rule INTEGER;           -- which SPEC §6 rule gave the interval: 1 own gaps, 2 consumption, 3 shop gap, 4 default
ALTER TABLE customers ADD COLUMN freshness_band TEXT;              -- fresh | cooling | stale | lost; NULL without orders
ALTER TABLE customers ADD COLUMN band_since TIMESTAMP;             -- when the stored band was entered
ALTER TABLE customers ADD COLUMN next_band_at TIMESTAMP;           -- NULL when lost (no later band) or without orders
ALTER TABLE customers ADD COLUMN freshness_at TIMESTAMP;           -- when the stored values were computed; NULL: never
CREATE INDEX customers_band ON customers (shop_id, freshness_band, id);
CREATE INDEX customers_next_band ON customers (next_band_at) WHERE next_band_at IS NOT NULL;

-- The shop-wide median gap between consecutive orders of the same customer
-- (rule 3), computed once and refreshed by the sweep within the hour after
-- new orders (dirty_at): computing it reads every order of the shop, too
-- much for each order batch.
CREATE TABLE freshness_shops (
    shop_id            TEXT PRIMARY KEY REFERENCES shops(id),
    median_gap_seconds REAL,               -- NULL: no customer has two orders
    computed_at        TIMESTAMP NOT NULL,
    dirty_at           TIMESTAMP            -- first order recorded since computed_at; NULL: none
);

-- +goose Down
DROP TABLE freshness_shops;
DROP INDEX customers_next_band;
DROP INDEX customers_band;
ALTER TABLE customers DROP COLUMN freshness_at;
ALTER TABLE customers DROP COLUMN next_band_at;
ALTER TABLE customers DROP COLUMN band_since;
ALTER TABLE customers DROP COLUMN freshness_band;
ALTER TABLE customers DROP COLUMN freshness_rule;
ALTER TABLE customers DROP COLUMN expected_interval_seconds;
ALTER TABLE customers DROP COLUMN latest_order_at;
