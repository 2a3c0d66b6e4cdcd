"""Every statement the accounts package runs, by name."""

from __future__ import annotations

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

# The access check on every signed-in request: one primary-key lookup and a join.
SELECT_ACTIVE_SESSION = """
SELECT u.id AS user_id, u.email, u.role, s.id AS session_id
FROM auth_sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = %(id)s AND s.revoked_at IS NULL AND s.expires_at > now()
  AND u.disabled_at IS NULL
"""

# Rotation: only the holder of the current refresh token moves the session on; a
# second use of the same token (a copy in someone else's hands) updates nothing.
ROTATE_REFRESH = """
UPDATE auth_sessions SET refresh_digest = %(new)s, refreshed_at = now()
WHERE id = %(id)s AND refresh_digest = %(old)s AND revoked_at IS NULL AND expires_at > now()
  AND user_id IN (SELECT id FROM users WHERE disabled_at IS NULL)
RETURNING user_id
"""

REVOKE_SESSION = """
UPDATE auth_sessions SET revoked_at = now(), revoked_reason = %(reason)s
WHERE id = %(id)s AND revoked_at IS NULL
"""

REVOKE_USER_SESSIONS = """
UPDATE auth_sessions SET revoked_at = now(), revoked_reason = %(reason)s
WHERE user_id = %(user_id)s AND revoked_at IS NULL
"""

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
