"""Who is making a request: the one value every access check hands on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from automechanica.accounts.roles import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making a request, as the database says now (role changes apply at once)."""

    user_id: int
    email: str
    role: Role
    session_id: uuid.UUID
