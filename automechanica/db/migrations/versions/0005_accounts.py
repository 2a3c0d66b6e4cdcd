"""Accounts: users with a role, their sessions, and failed logins for throttling.

One `users` table for staff and customers (the role says which); a customer's
shop profile (`customers`) points at its user when the shopper has an account,
and has none for a guest. A session is one login: its refresh token is stored as
a SHA-256 digest (the token itself is never stored), rotated on every refresh;
access tokens name their session, so revoking the session ends them at once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE users (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                text NOT NULL,
    password_hash        text NOT NULL,                  -- argon2id, PHC string
    role                 text NOT NULL CHECK (role IN ('admin', 'operator', 'customer')),
    name                 text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    disabled_at          timestamptz
);
CREATE UNIQUE INDEX users_email ON users (lower(email));  -- login by email, any case

CREATE TABLE auth_sessions (
    id              uuid PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    refresh_digest  bytea NOT NULL,                      -- sha256 of the current refresh token
    created_at      timestamptz NOT NULL DEFAULT now(),
    refreshed_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text,
    client_ip       inet,
    user_agent      text
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_id) WHERE revoked_at IS NULL;  -- revoke all of a user's sessions (logout everywhere, password change)
CREATE INDEX auth_sessions_expired ON auth_sessions (expires_at);  -- pruning expired sessions

CREATE TABLE login_failures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    client_ip   inet NOT NULL,
    email       text NOT NULL                            -- lower-cased, as typed (may name no user)
);
CREATE INDEX login_failures_ip ON login_failures (client_ip, at);  -- failures from one address in the window
CREATE INDEX login_failures_email ON login_failures (email, at);   -- failures against one account in the window
CREATE INDEX login_failures_at ON login_failures (at);               -- pruning failures older than every window

ALTER TABLE customers ADD COLUMN user_id bigint UNIQUE REFERENCES users(id) ON DELETE SET NULL;  -- UNIQUE: a customer by their login
"""

DOWNGRADE = r"""
ALTER TABLE customers DROP COLUMN user_id;
DROP TABLE login_failures;
DROP TABLE auth_sessions;
DROP TABLE users;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
