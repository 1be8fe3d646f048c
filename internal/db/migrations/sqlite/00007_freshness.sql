-- +goose Up
-- Stored freshness (SPEC §6, docs/journeys.md "Freshness"; internal/customer).
-- One row per customer whose freshness was computed, in a narrow table of
-- its own rather than columns of customers: the backfill writes a row per
-- customer and the sweep rewrites rows as time moves bands, and a write
-- here touches three small indexes instead of every index of customers
-- (docs/performance.md "Freshness"). No foreign key: rows are written only
-- for customers read in the same statement, customers are never deleted,
-- and a key check per row would double the backfill's lookups.
-- The inputs (latest order, expected interval) are stored so that the score
-- can be computed at read time; the band is stored so that
-- GET /customers?band= is an indexed query, and next_band_at (the first
-- instant of the next band if no order comes) tells the freshness.sweep job
-- whom time alone has moved. The backfill of an empty table drops and
-- rebuilds the two secondary indexes (internal/customer/freshness_store.go
-- repeats their definitions: change both together). A customer without a row has never been
-- computed; a row whose latest_order_at is NULL was computed without orders.
CREATE TABLE customer_freshness (
    shop_id                   TEXT NOT NULL,
    customer_id               TEXT NOT NULL,
    latest_order_at           TIMESTAMP,
    expected_interval_seconds REAL,      -- microsecond precision
    freshness_rule            INTEGER,   -- which SPEC §6 rule gave the interval: 1 own gaps, 2 consumption, 3 shop gap, 4 default
    freshness_band            TEXT,      -- fresh | cooling | stale | lost; NULL without orders
    band_since                TIMESTAMP, -- when the stored band was entered
    next_band_at              TIMESTAMP, -- NULL when lost (no later band) or without orders
    freshness_at              TIMESTAMP NOT NULL, -- when the stored values were computed
    PRIMARY KEY (shop_id, customer_id)
);
CREATE INDEX customer_freshness_band ON customer_freshness (shop_id, freshness_band, customer_id);
CREATE INDEX customer_freshness_next ON customer_freshness (next_band_at) WHERE next_band_at IS NOT NULL;

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
DROP TABLE customer_freshness;
