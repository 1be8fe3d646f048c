-- +goose Up
-- Instance-wide values: the generated secret key when none is configured,
-- the simulated clock's position.
CREATE TABLE kv (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE shops (
    id            TEXT PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    timezone      TEXT NOT NULL DEFAULT 'Asia/Tokyo',
    locale        TEXT NOT NULL DEFAULT 'ja',
    sender_name   TEXT NOT NULL DEFAULT '',
    postal_address TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    line_url      TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL REFERENCES shops(id),
    name         TEXT NOT NULL DEFAULT '',
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE, -- hex SHA-256 of the key; the key itself is never stored
    created_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);
CREATE INDEX api_keys_shop ON api_keys (shop_id);

CREATE TABLE staff_users (
    id            TEXT PRIMARY KEY,
    shop_id       TEXT NOT NULL REFERENCES shops(id),
    email         TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    disabled_at   TIMESTAMP,
    UNIQUE (shop_id, email)
);

-- The durable job queue (internal/jobs). A finished job is deleted; a job
-- that ran out of attempts stays with state 'failed' for inspection.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    shop_id      TEXT NOT NULL DEFAULT '',
    args         TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'available', -- available | running | failed
    attempt      INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       TIMESTAMP NOT NULL,
    unique_key   TEXT UNIQUE,
    locked_by    TEXT,
    last_error   TEXT,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'available';
CREATE INDEX jobs_running ON jobs (locked_by) WHERE state = 'running';

-- Worker processes and their heartbeats: a running job whose process has
-- not been seen for a while is taken back (internal/jobs).
CREATE TABLE job_nodes (
    id      TEXT PRIMARY KEY,
    seen_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE job_nodes;
DROP TABLE jobs;
DROP TABLE staff_users;
DROP TABLE api_keys;
DROP TABLE shops;
DROP TABLE kv;
