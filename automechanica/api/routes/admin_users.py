"""Admin endpoints for accounts: list, create staff or customers, reset a password, disable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from automechanica.accounts import Role, User, create_user, disable_user, list_users, set_password
from automechanica.api.access import AdminRoute, sessions
from automechanica.api.deps import Conn
from automechanica.api.routes.auth import Email, NewPassword

router = APIRouter(prefix="/api/admin/users", tags=["admin: users"], route_class=AdminRoute)


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email
    role: Role
    password: NewPassword
    name: Annotated[str | None, Field(max_length=200)] = None


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: NewPassword


@router.get("", response_model=list[User])
async def users(conn: Conn) -> list[User]:
    return await list_users(conn)


@router.post(
    "",
    response_model=User,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "an account for this email exists"}},
)
async def add(request: Request, conn: Conn, body: NewUser) -> User:
    return await create_user(
        conn, sessions(request).hasher, body.email, body.password, body.role, name=body.name
    )


@router.post("/{email}/password", response_model=User)
async def reset_password(request: Request, conn: Conn, email: Email, body: PasswordReset) -> User:
    """Set a new password; every session of the user ends."""
    return await set_password(conn, sessions(request).hasher, email, body.password)


@router.post("/{email}/disable", response_model=User)
async def disable(conn: Conn, email: Email) -> User:
    """No more sign-ins; every session of the user ends. Orders keep pointing at them."""
    return await disable_user(conn, email)
