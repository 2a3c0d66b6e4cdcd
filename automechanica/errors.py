"""Every error AutoMechanica raises on purpose.

    AutoMechanicaError
    ├── ConfigurationError        settings that cannot work (bad URL, placeholder secret)
    ├── DatabaseError             the database is unreachable or lacks what we need
    │   └── MissingExtensionError pgvector / pg_trgm not installed on an external server
    ├── FeedError                 a supplier file that cannot be read at all
    ├── FitmentTextError          free-text fitment we could not read
    ├── VinError                  a VIN that is malformed or does not decode
    ├── NotFoundError             a part, vehicle or supplier that does not exist
    ├── InvalidInputError         a value that cannot be used (an email, a weak password)
    ├── ConflictError             the change clashes with what is stored (an email taken)
    ├── AuthenticationError       no valid credentials: wrong password, bad or expired token
    ├── PermissionDeniedError     signed in, but the role does not allow this
    └── RateLimitedError          too many attempts; try again after `retry_after` seconds

Each class's docstring is its default message; the fields say where the
problem is, and the message says what to do about it.
"""

from __future__ import annotations


class AutoMechanicaError(Exception):
    """AutoMechanica failed."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (self.__doc__ or "").strip()
        super().__init__(self.message)


class ConfigurationError(AutoMechanicaError):
    """The settings cannot work; check the AUTOMECHANICA_* environment variables."""


class DatabaseError(AutoMechanicaError):
    """The database could not be used; check AUTOMECHANICA_DATABASE_URL or unset it."""


class MissingExtensionError(DatabaseError):
    """A PostgreSQL extension AutoMechanica needs is not installed on the server."""

    def __init__(self, extension: str, hint: str) -> None:
        self.extension = extension
        super().__init__(f"The PostgreSQL extension {extension!r} is not available: {hint}")


class FeedError(AutoMechanicaError):
    """The supplier feed could not be read; nothing was imported."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class FitmentTextError(AutoMechanicaError):
    """The fitment text could not be read."""


class VinError(AutoMechanicaError):
    """The VIN could not be decoded."""

    def __init__(self, vin: str, reason: str) -> None:
        self.vin = vin
        self.reason = reason
        super().__init__(f"VIN {vin!r} is not valid: {reason}")


class NotFoundError(AutoMechanicaError):
    """The requested item does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"No {kind} {key!r}.")


class InvalidInputError(AutoMechanicaError):
    """A value given to AutoMechanica cannot be used."""


class ConflictError(AutoMechanicaError):
    """The change conflicts with what is already stored."""


class AuthenticationError(AutoMechanicaError):
    """Sign in first: the credentials are missing, wrong or expired."""


class PermissionDeniedError(AutoMechanicaError):
    """Your account's role does not allow this."""

    def __init__(self, needed: str) -> None:
        self.needed = needed
        super().__init__(f"This needs the {needed} role; ask an admin if you should have it.")


class RateLimitedError(AutoMechanicaError):
    """Too many attempts; wait before trying again."""

    def __init__(self, what: str, retry_after: int) -> None:
        self.what = what
        self.retry_after = retry_after
        super().__init__(f"Too many {what}; try again in {retry_after} seconds.")
