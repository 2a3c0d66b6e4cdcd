"""Sign in, refresh, sign out, change password, register as a customer; who am I.

Tokens, for any client: the JSON body carries a short-lived access token (send it
as `Authorization: Bearer …`) and a refresh token. For the browser the refresh
token is also set as an HttpOnly, SameSite=Strict cookie scoped to /api/auth
(Secure over HTTPS), so page scripts never hold it; a refresh by cookie must
repeat the `am_csrf` cookie's value in an `X-CSRF-Token` header (double submit).
docs/accounts.md has the whole story.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Cookie, Header, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from automechanica.accounts import Role, TokenPair, change_password, create_user, find_user
from automechanica.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from automechanica.accounts.users import EMAIL
from automechanica.api.access import SignedIn, client_ip, sessions
from automechanica.api.deps import Conn
from automechanica.errors import AuthenticationError

router = APIRouter(prefix="/api/auth", tags=["auth"])

REFRESH_COOKIE = "am_refresh"
CSRF_COOKIE = "am_csrf"
Password = Annotated[str, Field(min_length=1, max_length=256)]
#: A password being set: the schema states accounts.check_strength's rule.
NewPassword = Annotated[
    str, Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH, pattern="^[^\x00]*$")
]
#: The schema says what accounts.check_email accepts, so clients can check first.
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=EMAIL.pattern)]


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email
    password: Password


class Refresh(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: Annotated[str | None, Field(max_length=200)] = Field(
        default=None, description="omit to use the am_refresh cookie (then send X-CSRF-Token)"
    )


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: Password
    new_password: NewPassword


class Registration(BaseModel):
    """A customer account. Role and status are not the customer's to choose."""

    model_config = ConfigDict(extra="forbid")
    email: Email
    password: NewPassword
    name: Annotated[str | None, Field(max_length=200)] = None


class Me(BaseModel):
    id: int
    email: str
    role: Role


class Tokens(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the access token expires")
    refresh_token: str
    csrf_token: str = Field(description="send as X-CSRF-Token when refreshing by cookie")
    user: Me


class Account(Me):
    name: str | None
    created_at: datetime


def _issue(request: Request, response: Response, pair: TokenPair) -> Tokens:
    csrf = secrets.token_urlsafe(24)
    secure = request.url.scheme == "https"
    max_age = int(sessions(request).policy.session_lifetime.total_seconds())
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh_token,
        max_age=max_age,
        path="/api/auth",
        httponly=True,
        secure=secure,
        samesite="strict",
    )
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, secure=secure, samesite="strict")
    who = pair.principal
    return Tokens(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        csrf_token=csrf,
        user=Me(id=who.user_id, email=who.email, role=who.role),
    )


@router.post(
    "/login",
    response_model=Tokens,
    responses={
        401: {"description": "wrong email or password"},
        429: {"description": "too many failed attempts"},
    },
)
async def login(request: Request, response: Response, conn: Conn, body: Login) -> Tokens:
    """Sign in. Failed attempts are limited per address and per account (429 + Retry-After)."""
    pair = await sessions(request).login(
        conn,
        body.email,
        body.password,
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    return _issue(request, response, pair)


@router.post(
    "/refresh", response_model=Tokens, responses={401: {"description": "not a valid refresh token"}}
)
async def refresh(
    request: Request,
    response: Response,
    conn: Conn,
    body: Refresh,
    am_refresh: Annotated[str | None, Cookie(max_length=200)] = None,
    am_csrf: Annotated[str | None, Cookie(max_length=100)] = None,
    x_csrf_token: Annotated[str | None, Header(max_length=100)] = None,
) -> Tokens:
    """New tokens for a refresh token (from the body, or the cookie with X-CSRF-Token).
    The refresh token is rotated: the one just used stops working."""
    token = body.refresh_token
    if token is None:
        if am_refresh is None:
            raise AuthenticationError("No refresh token: send it in the body or sign in again.")
        if not am_csrf or not x_csrf_token or not secrets.compare_digest(am_csrf, x_csrf_token):
            raise AuthenticationError(
                "Refreshing by cookie needs the X-CSRF-Token header to repeat the am_csrf cookie."
            )
        token = am_refresh
    return _issue(request, response, await sessions(request).refresh(conn, token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, conn: Conn, who: SignedIn) -> Response:
    """End this session: its access and refresh tokens stop working at once."""
    await sessions(request).revoke(conn, who.session_id, reason="logout")
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(REFRESH_COOKIE, path="/api/auth")
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/me", response_model=Account)
async def me(conn: Conn, who: SignedIn) -> Account:
    user = await find_user(conn, who.email)
    return Account(
        id=user.id, email=user.email, role=user.role, name=user.name, created_at=user.created_at
    )


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def password(request: Request, conn: Conn, who: SignedIn, body: PasswordChange) -> None:
    """Change your password; every session of yours ends (sign in again)."""
    hasher = sessions(request).hasher
    await change_password(conn, hasher, who.user_id, body.current_password, body.new_password)


@router.post(
    "/register",
    response_model=Account,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "an account for this email exists"}},
)
async def register(request: Request, conn: Conn, body: Registration) -> Account:
    """A customer account (guest checkout needs none). Staff accounts come from an admin."""
    user = await create_user(
        conn, sessions(request).hasher, body.email, body.password, Role.customer, name=body.name
    )
    return Account(
        id=user.id, email=user.email, role=user.role, name=user.name, created_at=user.created_at
    )
