-- +goose Up
-- Journeys (internal/journey, docs/journeys.md). A journey's definition is
-- versioned: journey_versions rows are immutable; journeys.version is the
-- newest, which new runs use; a run keeps the version it started on.
CREATE TABLE journeys (
    shop_id       TEXT NOT NULL REFERENCES shops(id),
    id            TEXT NOT NULL,
    builtin_key   TEXT,                        -- post_purchase_care, win_back, ...; NULL for the shop's own
    name          TEXT NOT NULL,
    trigger_type  TEXT NOT NULL,               -- of the newest version, to find the journeys an event starts
    version       INTEGER NOT NULL,            -- the newest version
    status        TEXT NOT NULL,               -- active | paused | draft
    paused_reason TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, builtin_key)
);
CREATE INDEX journeys_trigger ON journeys (shop_id, trigger_type, status);

CREATE TABLE journey_versions (
    shop_id    TEXT NOT NULL,
    journey_id TEXT NOT NULL,
    version    INTEGER NOT NULL,
    definition TEXT NOT NULL,                  -- JSON, never updated
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, journey_id, version),
    FOREIGN KEY (shop_id, journey_id) REFERENCES journeys (shop_id, id)
);

-- A customer's pass through a journey. A waiting run is this row plus one
-- journey.step job in the future: nothing polls it.
CREATE TABLE runs (
    shop_id      TEXT NOT NULL,
    id           TEXT NOT NULL,
    journey_id   TEXT NOT NULL,
    version      INTEGER NOT NULL,
    customer_id  TEXT NOT NULL,
    trigger_key  TEXT NOT NULL,                -- order ID, ticket ID or event ID
    status       TEXT NOT NULL,                -- active | completed | exited
    step_index   INTEGER NOT NULL,             -- the next step to execute
    step_at      TIMESTAMP NOT NULL,           -- its planned time
    context      TEXT NOT NULL DEFAULT '{}',   -- JSON: order, SKUs, trigger event (facts for branches)
    exit_reason  TEXT NOT NULL DEFAULT '',
    started_at   TIMESTAMP NOT NULL,           -- when the trigger occurred
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    ended_at     TIMESTAMP,
    PRIMARY KEY (shop_id, id),
    UNIQUE (shop_id, journey_id, customer_id, trigger_key),
    FOREIGN KEY (shop_id, journey_id, version) REFERENCES journey_versions (shop_id, journey_id, version),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers (shop_id, id)
);
CREATE INDEX runs_customer ON runs (shop_id, customer_id, status);
CREATE INDEX runs_journey ON runs (shop_id, journey_id, status);

-- Each executed step of a run, once: the primary key makes a step that
-- runs again (a job delivered twice) fail rather than act twice.
CREATE TABLE run_log (
    shop_id     TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    step_id     TEXT NOT NULL,
    step_index  INTEGER NOT NULL,              -- steps only move forward, so this orders the log
    customer_id TEXT NOT NULL,
    step_type   TEXT NOT NULL,
    planned_at  TIMESTAMP NOT NULL,
    done_at     TIMESTAMP NOT NULL,
    outcome     TEXT NOT NULL,                -- sent to messages, waited, branched, skipped, ...
    detail      TEXT NOT NULL DEFAULT '',     -- message ID, wait end, branch target; never personal data
    PRIMARY KEY (shop_id, run_id, step_id),
    FOREIGN KEY (shop_id, run_id) REFERENCES runs (shop_id, id)
);
CREATE INDEX run_log_customer ON run_log (shop_id, customer_id);

-- +goose Down
DROP TABLE run_log;
DROP TABLE runs;
DROP TABLE journey_versions;
DROP TABLE journeys;
