"""Every route in the OpenAPI schema, called by every kind of caller: who gets in.

The expected access of each route is written here, apart from the code that
enforces it; a route this table does not classify fails the test, so a new
endpoint cannot arrive without someone deciding who may call it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
import pytest
from fastapi.testclient import TestClient

from automechanica.accounts import Role, TokenSigner
from tests.integration.conftest import SECRET, Account, sign_in

PUBLIC = "public"
SIGNED_IN = {
    "/api/auth/me",
    "/api/auth/logout",
    "/api/auth/password",
    "/api/orders",  # a customer's own orders and garage
    "/api/orders/{number}",
    "/api/garage",
    "/api/garage/{vehicle_id}",
    "/api/garage/{vehicle_id}/current",
}
SIGNED_IN |= {"/api/orders/{number}/returns"}  # a line of one's own order
PUBLIC_ROUTES = {
    "/api/health",
    "/api/ready",
    "/api/vehicles/years",
    "/api/vehicles/makes",
    "/api/vehicles/models",
    "/api/vehicles/submodels",
    "/api/vehicles/engines",
    "/api/vehicles/configurations",
    "/api/vehicles/{vehicle_id}",
    "/api/vin/{vin}",
    "/api/parts",
    "/api/parts/{part_id}",
    "/api/fit-check",
    "/api/auth/register",
    "/api/order-lookup",  # a guest's order by number and email
    "/api/returns",  # a guest's: the order number and email in the body decide
    "/api/feeds/products.jsonl",
    "/api/feeds/products.csv",
    "/.well-known/ucp",
    "/api/landing/{year}/{make}/{model}",  # a vehicle's landing page (docs/seo.md)
}
# Exchanges of credentials: the body decides (401 for wrong ones), never the caller's token.
CREDENTIALS = {"/api/auth/login", "/api/auth/refresh"}
BY_BODY = "by body"
# Guests and signed-in shoppers alike; a token that came and is bad is a 401 (the caller
# meant to be signed in: never silently served as a guest).
GUEST_OR_SIGNED_IN = "guest or signed in"
GUEST_OR_SIGNED_IN_ROUTES = {
    "/api/carts",
    "/api/carts/{cart_id}",
    "/api/carts/{cart_id}/lines",
    "/api/carts/{cart_id}/lines/{part_id}",
    "/api/carts/{cart_id}/cancel",
    "/api/carts/{cart_id}/complete",
    "/api/support/sessions",
    "/api/support/sessions/{session_id}",
    "/api/support/sessions/{session_id}/messages",
}
BAD_TOKENS = ("expired token", "forged signature", "alg none")
CALLERS = ("anonymous", *Role, *BAD_TOKENS)


ADMIN_ONLY = {("PUT", "/api/admin/policies/{decision_type}")}


def needed(method: str, path: str) -> Role | str:
    """Who may call `path`, by this project's rules (not read from the code)."""
    if path.startswith("/api/admin/users") or (method, path) in ADMIN_ONLY:
        return Role.admin
    if path.startswith("/api/admin/"):
        return Role.operator
    if path in SIGNED_IN:
        return Role.customer
    if path in PUBLIC_ROUTES:
        return PUBLIC
    if path in CREDENTIALS:
        return BY_BODY
    if path in GUEST_OR_SIGNED_IN_ROUTES:
        return GUEST_OR_SIGNED_IN
    raise AssertionError(f"{path} is not classified: add it to this test's access table")


def _bad_token(kind: str, admin: Account) -> str:
    claims = jwt.decode(admin.access_token, SECRET, algorithms=["HS256"])
    user, session = int(claims["sub"]), UUID(claims["sid"])
    if kind == "expired token":
        return TokenSigner(SECRET).sign(user, session, now=datetime.now(UTC) - timedelta(hours=2))
    if kind == "forged signature":
        return TokenSigner("not-the-server-key-" + "z" * 64).sign(user, session)
    return jwt.encode(claims, key=None, algorithm="none")


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "nobody@example.com" if m[1] == "email" else "1", path)


def _expect(need: Role | str, caller: Role | str, status: int) -> tuple[str, bool]:
    """What `caller` should get from a route that needs `need`, and whether `status` is it."""
    if need == BY_BODY:
        return "the same for every caller", True
    if need == GUEST_OR_SIGNED_IN:
        bad = caller in BAD_TOKENS
        return ("401", status == 401) if bad else ("not 401/403", status not in (401, 403))
    allowed = need == PUBLIC or (isinstance(caller, Role) and caller.includes(Role(need)))
    if allowed:
        return "not 401/403", status not in (401, 403)
    if isinstance(caller, Role):
        return "403", status == 403
    return "401", status == 401


def _routes(api: TestClient) -> list[tuple[str, str]]:
    paths = api.app.openapi()["paths"]  # type: ignore[attr-defined]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


@pytest.fixture
def callers(api: TestClient, accounts: dict[Role, Account]) -> dict[str, dict[str, str]]:
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for kind in BAD_TOKENS:
        headers[kind] = {"Authorization": f"Bearer {_bad_token(kind, accounts[Role.admin])}"}
    return headers


def test_every_route_answers_each_caller_as_its_role_allows(
    api: TestClient, accounts: dict[Role, Account], callers: dict[str, dict[str, str]]
) -> None:
    routes = _routes(api)
    assert len(routes) >= 30
    wrong: list[str] = []
    for method, path in routes:
        need = needed(method, path)
        statuses = set()
        for caller in CALLERS:
            if isinstance(caller, Role):
                # A fresh session per call: logout or a password change must not end the
                # next call's session.
                headers = sign_in(api, accounts[caller].email).headers
            else:
                headers = callers[caller]
            body = {} if method in {"POST", "PUT", "PATCH"} else None
            status = api.request(method, _fill(path), headers=headers, json=body).status_code
            statuses.add(status)
            expected, ok = _expect(need, caller, status)
            if not ok:
                wrong.append(f"{method} {path} as {caller}: {status}, expected {expected}")
            assert status < 500, f"{method} {path} as {caller}: {status}"
        if need == BY_BODY and len(statuses) != 1:
            wrong.append(f"{method} {path}: {sorted(statuses)} depending on the caller")
    assert not wrong, "\n".join(wrong)
