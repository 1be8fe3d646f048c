-- +goose Up
-- The admin UI's own state (internal/admin, internal/admin/auth,
-- internal/admin/audit). Nothing here is personal data beyond staff IDs:
-- throttling keys are hashes, the audit log names IDs only.

-- Staff sessions. The cookie carries 256 random bits; only their SHA-256 is
-- stored, so a database dump opens no session. stage: 'choose' (password
-- verified for an email that exists in several shops; candidates lists the
-- staff user IDs to choose from), 'totp' (password verified, second factor
-- due) or 'full'. Idle and absolute timeouts are enforced on read from
-- last_seen_at and created_at (auth.IdleTimeout, auth.AbsoluteTimeout).
CREATE TABLE admin_sessions (
    id_hash      TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL DEFAULT '',
    user_id      TEXT NOT NULL DEFAULT '',
    stage        TEXT NOT NULL,
    candidates   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX admin_sessions_user ON admin_sessions (shop_id, user_id);
CREATE INDEX admin_sessions_created ON admin_sessions (created_at);

-- Failed sign-in attempts, one row each, for the sliding-window throttle
-- (auth.Throttle): key is "acct:<sha256 of the email>", "ip:<sha256 of the
-- address>" or "user:<staff user id>" (second factor).
CREATE TABLE admin_login_failures (
    key TEXT NOT NULL,
    at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX admin_login_failures_key ON admin_login_failures (key, at);

-- Per staff user admin state: TOTP (RFC 6238) and the one-time password
-- flag. totp_pending holds a secret during enrolment until a code confirms
-- it; totp_last_step refuses a code's reuse.
CREATE TABLE admin_accounts (
    shop_id              TEXT NOT NULL REFERENCES shops(id),
    user_id              TEXT NOT NULL REFERENCES staff_users(id),
    totp_secret          TEXT NOT NULL DEFAULT '',
    totp_pending         TEXT NOT NULL DEFAULT '',
    totp_enabled_at      TIMESTAMPTZ,
    totp_last_step       BIGINT NOT NULL DEFAULT 0,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (shop_id, user_id)
);

-- TOTP recovery codes: SHA-256 of each (they carry 50 random bits and are
-- tried under the login throttle, so a fast hash is enough); used once.
CREATE TABLE admin_recovery_codes (
    shop_id   TEXT NOT NULL REFERENCES shops(id),
    user_id   TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (shop_id, user_id, code_hash)
);

-- Shop-wide admin security settings.
CREATE TABLE admin_shop_settings (
    shop_id            TEXT PRIMARY KEY REFERENCES shops(id),
    require_owner_totp BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at         TIMESTAMPTZ NOT NULL
);

-- Every staff action that changes something: who (staff user ID), what
-- (action), on what (object type and ID), when. IDs only, never names,
-- emails or content.
CREATE TABLE audit_log (
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    id          TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX audit_log_at ON audit_log (shop_id, at, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE admin_shop_settings;
DROP TABLE admin_recovery_codes;
DROP TABLE admin_accounts;
DROP TABLE admin_login_failures;
DROP TABLE admin_sessions;
