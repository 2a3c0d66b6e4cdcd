"""Searches with words are rate-limited per client; the client is the socket's peer
unless a trusted proxy forwarded the request."""

from __future__ import annotations

from ipaddress import ip_network

from fastapi.testclient import TestClient
from starlette.requests import Request

from automechanica.api.app import create_app
from automechanica.api.policy import ApiPolicy
from automechanica.api.ratelimit import TokenBuckets, client_ip


def test_searches_with_words_are_limited_per_client(db_url: str) -> None:
    policy = ApiPolicy(search_per_minute=1, search_burst=2)
    with TestClient(create_app(db_url, pool_min_size=1, pool_max_size=2, policy=policy)) as c:
        assert [c.get("/api/parts", params={"q": "pads"}).status_code for _ in range(2)] == [
            200,
            200,
        ]
        limited = c.get("/api/parts", params={"q": "pads"})
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["retry_after"] == int(limited.headers["retry-after"])
        # Browsing without words is cheap and not limited; a forged header changes nothing.
        assert c.get("/api/parts", params={"part_type": "oil-filter"}).status_code == 200
        forged = c.get("/api/parts", params={"q": "pads"}, headers={"X-Forwarded-For": "1.2.3.4"})
        assert forged.status_code == 429


def test_buckets_refill_with_time_and_forget_old_clients() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=60, burst=1, max_keys=2, clock=lambda: now[0])
    assert buckets.take("a") is None
    assert buckets.take("a") == 1
    now[0] += 1.0
    assert buckets.take("a") is None
    buckets.take("b")
    buckets.take("c")  # "a" is forgotten: it starts full again
    assert buckets.take("a") is None


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    proxies = [ip_network("10.0.0.0/8")]
    assert client_ip(_request("203.0.113.9", "1.2.3.4"), proxies) == "203.0.113.9"
    assert client_ip(_request("10.0.0.2", "1.2.3.4"), []) == "10.0.0.2"
    assert client_ip(_request("10.0.0.2", "1.2.3.4"), proxies) == "1.2.3.4"
    # A client's own (forged) entry sits left of what the trusted proxies appended.
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.7"), proxies) == "1.2.3.4"
    assert client_ip(_request("10.0.0.2", None), proxies) == "10.0.0.2"
