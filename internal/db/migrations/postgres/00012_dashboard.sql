-- +goose Up
-- The dashboard (internal/admin/stats): its figures read the messages of the
-- last twelve weeks by creation time, and a large shop's page reads its last
-- computed figures from dashboard_snapshots (one row per shop, JSON) instead
-- of aggregating a million customers per page view. The snapshot holds
-- counts only, no personal data.
CREATE INDEX messages_created ON messages (shop_id, created_at);
CREATE TABLE dashboard_snapshots (
    shop_id     TEXT NOT NULL PRIMARY KEY REFERENCES shops(id),
    computed_at TIMESTAMPTZ NOT NULL,
    customers   BIGINT NOT NULL,
    data        TEXT NOT NULL
);

-- +goose Down
DROP TABLE dashboard_snapshots;
DROP INDEX messages_created;
