"""Every statement the accounts package runs, by name."""

from __future__ import annotations

from automechanica.accounts.active import CHANNEL

# Statements that end a session or change what it may do also notify CHANNEL (in the
# same transaction, so delivered on commit): each API process's cache of active
# sessions drops the session (`s:<id>`) or the user's sessions (`u:<id>`).
_NOTIFY = f"pg_notify('{CHANNEL}', "

USER_COLUMNS = "id, email, role, name, created_at, disabled_at"

INSERT_USER = f"""
INSERT INTO users (email, password_hash, role, name)
VALUES (%(email)s, %(hash)s, %(role)s, %(name)s)
RETURNING {USER_COLUMNS}
"""

SELECT_USER_FOR_LOGIN = f"""
SELECT {USER_COLUMNS}, password_hash FROM users WHERE lower(email) = lower(%(email)s)
"""

SELECT_USER_BY_ID = f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE id = %(id)s"

SELECT_USERS = f"SELECT {USER_COLUMNS} FROM users ORDER BY id"

COUNT_ADMINS = "SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL"

UPDATE_PASSWORD = """
UPDATE users SET password_hash = %(hash)s, password_changed_at = now() WHERE id = %(id)s
"""

# A re-hash with current parameters after a login: not a password change.
UPDATE_HASH = "UPDATE users SET password_hash = %(hash)s WHERE id = %(id)s"

DISABLE_USER = f"""
UPDATE users SET disabled_at = coalesce(disabled_at, now()) WHERE lower(email) = lower(%(email)s)
RETURNING {USER_COLUMNS}
"""

INSERT_SESSION = """
INSERT INTO auth_sessions (id, user_id, refresh_digest, expires_at, client_ip, user_agent)
VALUES (%(id)s, %(user_id)s, %(digest)s, now() + %(lifetime)s, %(ip)s, %(agent)s)
"""

# The access check on a signed-in request the process does not remember: one
# primary-key lookup and a join; `seconds_left` bounds how long it may be remembered.
SELECT_ACTIVE_SESSION = """
SELECT u.id AS user_id, u.email, u.role, s.id AS session_id,
       extract(epoch FROM s.expires_at - now()) AS seconds_left
FROM auth_sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = %(id)s AND s.revoked_at IS NULL AND s.expires_at > now()
  AND u.disabled_at IS NULL
"""

# Rotation: only the holder of the current refresh token moves the session on; a
# second use of the same token (a copy in someone else's hands) updates nothing.
ROTATE_REFRESH = f"""
WITH rotated AS (
  UPDATE auth_sessions SET refresh_digest = %(new)s, refreshed_at = now()
  WHERE id = %(id)s AND refresh_digest = %(old)s AND revoked_at IS NULL AND expires_at > now()
    AND user_id IN (SELECT id FROM users WHERE disabled_at IS NULL)
  RETURNING id, user_id
)
SELECT user_id, {_NOTIFY}'s:' || id::text) AS notified FROM rotated
"""

REVOKE_SESSION = f"""
WITH revoked AS (
  UPDATE auth_sessions SET revoked_at = now(), revoked_reason = %(reason)s
  WHERE id = %(id)s AND revoked_at IS NULL
  RETURNING id
)
SELECT {_NOTIFY}'s:' || id::text) FROM revoked
"""

# Always notifies: its callers also change the user (password, disabled) in the same
# transaction, and every one of the user's sessions must be read again.
REVOKE_USER_SESSIONS = f"""
WITH revoked AS (
  UPDATE auth_sessions SET revoked_at = now(), revoked_reason = %(reason)s
  WHERE user_id = %(user_id)s AND revoked_at IS NULL
)
SELECT {_NOTIFY}'u:' || %(user_id)s::bigint::text)
"""

UPDATE_ROLE = f"""
UPDATE users SET role = %(role)s WHERE lower(email) = lower(%(email)s)
RETURNING {USER_COLUMNS}
"""

# What a user's sessions may do changed (role): read them again, don't end them.
NOTIFY_USER = f"SELECT {_NOTIFY}'u:' || %(user_id)s::bigint::text)"

# Sessions expired 30 days ago: none is in a cache (entries live at most until expiry).
PRUNE_SESSIONS = "DELETE FROM auth_sessions WHERE expires_at < now() - interval '30 days'"

# Failed logins in the window, from one address and against one account, with the
# oldest of each (the window reopens when it ages out: that is the Retry-After).
COUNT_FAILURES = """
SELECT
  (SELECT count(*) FROM login_failures
    WHERE client_ip = %(ip)s AND at > now() - %(ip_window)s) AS ip_failures,
  (SELECT extract(epoch FROM min(at) + %(ip_window)s - now()) FROM login_failures
    WHERE client_ip = %(ip)s AND at > now() - %(ip_window)s) AS ip_reopens_in,
  (SELECT count(*) FROM login_failures
    WHERE email = %(email)s AND at > now() - %(email_window)s) AS email_failures,
  (SELECT extract(epoch FROM min(at) + %(email_window)s - now()) FROM login_failures
    WHERE email = %(email)s AND at > now() - %(email_window)s) AS email_reopens_in
"""

INSERT_FAILURE = "INSERT INTO login_failures (client_ip, email) VALUES (%(ip)s, %(email)s)"

CLEAR_EMAIL_FAILURES = "DELETE FROM login_failures WHERE email = %(email)s"

PRUNE_FAILURES = "DELETE FROM login_failures WHERE at < now() - %(window)s"
