"""Who may do what: users and roles, password hashing, sessions and tokens, login throttling."""

from automechanica.accounts.active import ActiveSessions
from automechanica.accounts.listener import SessionListener
from automechanica.accounts.passwords import PasswordHasher
from automechanica.accounts.principal import Principal
from automechanica.accounts.roles import Role
from automechanica.accounts.sessions import (
    SessionPolicy,
    Sessions,
    TokenPair,
)
from automechanica.accounts.throttle import LoginThrottle
from automechanica.accounts.tokens import TokenSigner
from automechanica.accounts.users import (
    User,
    change_password,
    count_admins,
    create_user,
    disable_user,
    find_user,
    list_users,
    set_password,
    set_role,
)

__all__ = [
    "ActiveSessions",
    "LoginThrottle",
    "PasswordHasher",
    "Principal",
    "Role",
    "SessionListener",
    "SessionPolicy",
    "Sessions",
    "TokenPair",
    "TokenSigner",
    "User",
    "change_password",
    "count_admins",
    "create_user",
    "disable_user",
    "find_user",
    "list_users",
    "set_password",
    "set_role",
]
