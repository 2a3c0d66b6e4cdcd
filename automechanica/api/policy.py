"""What the public API accepts: sizes, depths, rates, origins, proxies (docs/api.md)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network

from automechanica.config import Settings

#: Id columns: `integer` (vehicles, brands...) and `bigint` (parts, tasks...). A bigint
#: id is bounded at 2**53 - 1, inside bigint's range and the largest integer a JSON
#: number keeps exactly (a JavaScript client, or a schema checker using doubles, would
#: round a larger one).
INT32_MAX = 2**31 - 1
INT64_MAX = 2**53 - 1


@dataclass(frozen=True)
class ApiPolicy:
    """Limits the app enforces before and around its routes."""

    #: Request bodies larger than this are refused with 413 before they are read whole.
    max_body_bytes: int = 1024 * 1024
    #: Except a supplier's feed file uploaded to these paths (streamed to disk).
    max_upload_bytes: int = 200 * 1024 * 1024
    upload_paths: tuple[str, ...] = ("/api/admin/feeds/upload",)
    #: The raw query string; longer is 414.
    max_query_bytes: int = 4096
    #: Part searches with words (`q`) per client IP, as a token bucket.
    search_per_minute: float = 120.0
    search_burst: int = 30
    #: Proxies whose X-Forwarded-For is believed; empty: the socket's peer is the client.
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    #: Origins allowed by CORS; empty: no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    #: How long a request waits for a pooled connection before answering 503.
    db_timeout_seconds: float = 5.0
    #: Retry-After sent with 503 while the database is unavailable.
    retry_after_seconds: int = 5

    def body_limit(self, path: str) -> int:
        """The largest body a request to `path` may send."""
        return self.max_upload_bytes if path in self.upload_paths else self.max_body_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiPolicy:
        return cls(
            max_body_bytes=settings.api_max_body_bytes,
            search_per_minute=settings.api_search_per_minute,
            search_burst=settings.api_search_burst,
            trusted_proxies=tuple(ip_network(p, strict=False) for p in settings.trusted_proxies),
            cors_origins=tuple(settings.cors_origins),
            db_timeout_seconds=settings.api_db_timeout_seconds,
        )
