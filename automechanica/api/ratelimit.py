"""Per-client rate limits for the expensive anonymous endpoints (docs/api.md).

A token bucket per client IP, kept in this process: with several API processes
each has its own buckets, so the effective limit is the per-process limit times
the number of processes. The client is the socket's peer, or, when that peer is
one of the configured trusted proxies, the nearest address in X-Forwarded-For
that is not itself a trusted proxy.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.exceptions import HTTPException
from starlette.requests import Request

Network = IPv4Network | IPv6Network


class TooManyRequests(HTTPException):
    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(
            429,
            f"Too many {what} from this address; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


class TokenBuckets:
    """`per_minute` requests per key on average, `burst` at once; the least recently
    seen keys are forgotten beyond `max_keys` (a forgotten key starts full)."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        max_keys: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> int | None:
        """Take one token: None when allowed, else the seconds until one is due."""
        now = self.clock()
        tokens, then = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if allowed:
            return None
        return max(1, math.ceil((1.0 - tokens) / self.rate)) if self.rate > 0 else 3600


def client_ip(request: Request, trusted_proxies: Sequence[Network]) -> str:
    """The client's address: the peer, or behind trusted proxies the forwarded one."""
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return peer
    forwarded = [
        a.strip() for h in request.headers.getlist("x-forwarded-for") for a in h.split(",")
    ]
    for address in reversed(forwarded):
        if not address:
            continue
        if not _trusted(address, trusted_proxies):
            return address
    return peer


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)
