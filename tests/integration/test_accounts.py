"""Accounts through the API: sign in, tokens that end when they should, throttled guessing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
import pytest
from fastapi.testclient import TestClient

from automechanica.accounts import Role, TokenSigner
from tests.integration.conftest import PASSWORD, SECRET, Account, add_user, sign_in

ADMIN_ONLY = "/api/admin/users"
OPERATOR = "/api/admin/queue/stats"


def test_staff_sign_in_and_reach_their_pages(api: TestClient, db_url: str) -> None:
    add_user(db_url, "Ops@Example.com", Role.operator)
    ops = sign_in(api, "ops@example.COM")  # email in any case
    assert ops.role is Role.operator
    assert api.get(OPERATOR, headers=ops.headers).status_code == 200
    assert api.get(ADMIN_ONLY, headers=ops.headers).status_code == 403
    me = api.get("/api/auth/me", headers=ops.headers).json()
    assert me["email"] == "Ops@Example.com" and me["role"] == "operator"
    assert "password_hash" not in me


def test_wrong_password_and_unknown_email_get_the_same_answer(api: TestClient, db_url: str) -> None:
    add_user(db_url, "a@example.com", Role.admin)
    wrong = api.post("/api/auth/login", json={"email": "a@example.com", "password": "x" * 12})
    nobody = api.post("/api/auth/login", json={"email": "b@example.com", "password": "x" * 12})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json()["detail"] == nobody.json()["detail"]


def test_passwords_are_stored_as_argon2id_hashes(api: TestClient, db_url: str) -> None:
    import psycopg

    add_user(db_url, "h@example.com", Role.customer)
    with psycopg.connect(db_url) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users").fetchone() or ("",)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_guessing_one_account_is_throttled_with_retry_after(api: TestClient, db_url: str) -> None:
    add_user(db_url, "victim@example.com", Role.admin)
    guess = {"email": "victim@example.com", "password": "not the password"}
    codes = [api.post("/api/auth/login", json=guess).status_code for _ in range(10)]
    assert codes == [401] * 10
    limited = api.post("/api/auth/login", json=guess)
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60
    # Even the right password waits: otherwise the 429 would only slow guessing down.
    right = api.post("/api/auth/login", json={"email": "victim@example.com", "password": PASSWORD})
    assert right.status_code == 429


def test_one_address_guessing_many_accounts_is_throttled(api: TestClient) -> None:
    codes = [
        api.post(
            "/api/auth/login", json={"email": f"u{i}@example.com", "password": "p" * 12}
        ).status_code
        for i in range(21)
    ]
    assert codes[:20] == [401] * 20 and codes[20] == 429


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(
    api: TestClient, accounts: dict[Role, Account]
) -> None:
    ops = accounts[Role.operator]
    first = api.post("/api/auth/refresh", json={"refresh_token": ops.refresh_token})
    assert first.status_code == 200
    fresh = first.json()
    assert fresh["refresh_token"] != ops.refresh_token
    headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert api.get(OPERATOR, headers=headers).status_code == 200
    # The old refresh token again: someone holds a copy, so the whole session ends.
    reused = api.post("/api/auth/refresh", json={"refresh_token": ops.refresh_token})
    assert reused.status_code == 401
    assert api.get(OPERATOR, headers=headers).status_code == 401
    again = api.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert again.status_code == 401


def test_refresh_by_cookie_needs_the_csrf_header(api: TestClient, db_url: str) -> None:
    add_user(db_url, "web@example.com", Role.customer)
    login = api.post("/api/auth/login", json={"email": "web@example.com", "password": PASSWORD})
    cookie = login.headers.get_list("set-cookie")
    refresh_cookie = next(c for c in cookie if c.startswith("am_refresh="))
    assert "HttpOnly" in refresh_cookie and "SameSite=strict" in refresh_cookie
    assert "Path=/api/auth" in refresh_cookie
    assert api.post("/api/auth/refresh", json={}).status_code == 401  # cookie, no header
    csrf = login.json()["csrf_token"]
    ok = api.post("/api/auth/refresh", json={}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.text


def test_logout_ends_the_access_token_at_once(
    api: TestClient, accounts: dict[Role, Account]
) -> None:
    admin = accounts[Role.admin]
    assert api.post("/api/auth/logout", headers=admin.headers).status_code == 204
    assert api.get(ADMIN_ONLY, headers=admin.headers).status_code == 401
    refresh = api.post("/api/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert refresh.status_code == 401


def test_password_change_ends_every_session(api: TestClient, db_url: str) -> None:
    add_user(db_url, "c@example.com", Role.customer)
    laptop, phone = sign_in(api, "c@example.com"), sign_in(api, "c@example.com")
    new = "a brand new passphrase"
    wrong = api.post(
        "/api/auth/password",
        headers=laptop.headers,
        json={"current_password": "not it at all", "new_password": new},
    )
    assert wrong.status_code == 401
    changed = api.post(
        "/api/auth/password",
        headers=laptop.headers,
        json={"current_password": PASSWORD, "new_password": new},
    )
    assert changed.status_code == 204
    for device in (laptop, phone):
        assert api.get("/api/auth/me", headers=device.headers).status_code == 401
    assert sign_in(api, "c@example.com", new).role is Role.customer


def test_a_disabled_account_stops_working(api: TestClient, accounts: dict[Role, Account]) -> None:
    admin, ops = accounts[Role.admin], accounts[Role.operator]
    response = api.post("/api/admin/users/operator@example.com/disable", headers=admin.headers)
    assert response.status_code == 200 and response.json()["disabled_at"]
    assert api.get(OPERATOR, headers=ops.headers).status_code == 401
    again = api.post("/api/auth/login", json={"email": ops.email, "password": PASSWORD})
    assert again.status_code == 401


def test_customers_register_themselves_and_cannot_choose_a_role(api: TestClient) -> None:
    body = {"email": "shopper@example.com", "password": "a long enough pass"}
    made = api.post("/api/auth/register", json=body)
    assert made.status_code == 201 and made.json()["role"] == "customer"
    assert api.post("/api/auth/register", json=body).status_code == 409
    sneaky = api.post(
        "/api/auth/register", json={**body, "email": "x@example.com", "role": "admin"}
    )
    assert sneaky.status_code == 422
    short = api.post("/api/auth/register", json={"email": "y@example.com", "password": "short"})
    assert short.status_code == 422 and "12" in short.text


def _claims(account: Account) -> dict[str, object]:
    return jwt.decode(account.access_token, SECRET, algorithms=["HS256"])


@pytest.mark.parametrize("forgery", ["expired", "other key", "alg none", "other algorithm"])
def test_tokens_that_are_not_ours_are_refused(
    api: TestClient, accounts: dict[Role, Account], forgery: str
) -> None:
    admin = accounts[Role.admin]
    claims = _claims(admin)
    session = UUID(str(claims["sid"]))
    if forgery == "expired":
        past = datetime.now(UTC) - timedelta(hours=1)
        token = TokenSigner(SECRET).sign(int(str(claims["sub"])), session, now=past)
    elif forgery == "other key":
        token = TokenSigner("another-key-" + "y" * 32).sign(int(str(claims["sub"])), session)
    elif forgery == "alg none":
        token = jwt.encode(claims, key=None, algorithm="none")
    else:
        token = jwt.encode(claims, SECRET, algorithm="HS512")
    response = api.get(ADMIN_ONLY, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.get(ADMIN_ONLY, headers=admin.headers).status_code == 200  # the real one works
