"""The per-process caches of the access check: active sessions and verified tokens."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from automechanica.accounts import ActiveSessions, Principal, Role, TokenSigner
from automechanica.errors import AuthenticationError

SECRET = "unit-test-signing-key-" + "q" * 40


def principal(user_id: int = 1) -> Principal:
    return Principal(user_id, f"u{user_id}@example.com", Role.operator, uuid.uuid4())


def listening(**kwargs: float) -> ActiveSessions:
    cache = ActiveSessions(**kwargs)  # type: ignore[arg-type]
    cache.listen_started()
    return cache


def test_nothing_is_remembered_or_answered_while_nothing_listens() -> None:
    cache = ActiveSessions()
    who = principal()
    assert not cache.store(cache.mark(), who, 600)
    cache.listen_started()
    assert cache.store(cache.mark(), who, 600) and cache.get(who.session_id) == who
    cache.listen_stopped()
    assert cache.get(who.session_id) is None and len(cache) == 0


def test_an_entry_lives_no_longer_than_its_session_or_the_ttl() -> None:
    cache = listening(ttl=30.0)
    ending = principal()
    assert cache.store(cache.mark(), ending, 0.0)  # the session expires now
    assert cache.get(ending.session_id) is None
    short = listening(ttl=0.0)
    who = principal()
    assert short.store(short.mark(), who, 600)
    assert short.get(who.session_id) is None


def test_least_recently_used_entries_leave_first() -> None:
    cache = listening(size=2)
    first, second, third = principal(1), principal(2), principal(3)
    for who in (first, second):
        assert cache.store(cache.mark(), who, 600)
    assert cache.get(first.session_id) == first  # used: second is now the oldest
    assert cache.store(cache.mark(), third, 600)
    assert cache.get(second.session_id) is None
    assert cache.get(first.session_id) == first and cache.get(third.session_id) == third


def test_notifications_drop_a_session_or_every_session_of_a_user() -> None:
    cache = listening()
    laptop, phone, someone = principal(7), principal(7), principal(8)
    for who in (laptop, phone, someone):
        assert cache.store(cache.mark(), who, 600)
    cache.notified(f"s:{laptop.session_id}")
    assert cache.get(laptop.session_id) is None and cache.get(phone.session_id) == phone
    cache.notified("u:7")
    assert cache.get(phone.session_id) is None and cache.get(someone.session_id) == someone
    cache.notified("something unexpected")  # unreadable: forget everything
    assert len(cache) == 0


def test_any_invalidation_between_mark_and_store_blocks_the_store() -> None:
    cache = listening()
    who = principal()
    mark = cache.mark()
    cache.notified("u:99")  # about someone else, but it moved the counter
    assert not cache.store(mark, who, 600)
    assert cache.get(who.session_id) is None


def test_a_remembered_token_still_expires() -> None:
    signer = TokenSigner(SECRET, lifetime=timedelta(minutes=15))
    session = uuid.uuid4()
    soon = datetime.now(UTC) - timedelta(minutes=15) + timedelta(seconds=3)
    token = signer.sign(5, session, now=soon)
    assert signer.read(token).session_id == session  # verified once, remembered
    expires = soon.timestamp() + 15 * 60
    while time.time() < int(expires):  # until the token's `exp` second has come
        time.sleep(0.05)
    with pytest.raises(AuthenticationError, match="expired"):
        signer.read(token)
    with pytest.raises(AuthenticationError, match="expired"):
        signer.read(token)  # and again, now decoded afresh


def test_a_remembered_token_with_a_changed_character_is_refused() -> None:
    signer = TokenSigner(SECRET)
    token = signer.sign(5, uuid.uuid4())
    signer.read(token)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(AuthenticationError):
        signer.read(tampered)
