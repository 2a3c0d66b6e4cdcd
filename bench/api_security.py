"""What sign-in, access checks and the request edge cost, through the HTTP API (issue 10).

    .venv/bin/python -m bench.api_security [--accounts 400] [--login-rate 0] [--wrong 0.2]
        [--rate 150] [--seconds 6] [--closed-seconds 4] [--rounds 3] [--only login|pairs|access]

Builds the demo store and `--accounts` customer accounts (one argon2id hash made
with the app's parameters, shared by every account: verifying costs the same), and
serves `create_app` as deployed in a uvicorn process as `automechanica up` runs it
(request edge: body and query limits, NUL checks, security headers, request ids; the
search rate limiter, with a limit too high to trigger; console routes behind their
route class's access check), with two switches for the baselines, read per request
by one middleware in RequestEdge's place (both variants pay for reading them):
  - `X-Bench-Edge: off` skips the edge and the search limiter;
  - `X-Bench-Access: off` skips the console routes' access check (the same route, in
    the same router at the same place in the table; until 2026-12-04 the baseline was
    an unguarded copy of the route in a router of its own, which FastAPI 0.163 matched
    more cheaply than the 15-route queue router: each request walks its router's routes
    to check they have not changed, so the copy flattered "off" by ~3%).
On and off run in one process, one pool, one set of prepared statements (with one
process per variant, the PostgreSQL CPU per search differed by 5-17% between two
processes running the same statements, likely each pool's own prepared plans).

Figures (each closed-loop run also reads from /proc the CPU the API process and the
embedded PostgreSQL's processes spent, per request: steadier than rates on this
shared machine):
  1. Login, on a server of its own: POST /api/auth/login with correct passwords, closed
     loop (8 clients) for the rate the machine sustains, then open loop at --login-rate
     (0: three quarters of that closed-loop rate) (p50/p99 from each request's
     scheduled start, all and clear of machine stalls); again with a --wrong share of
     wrong passwords (the throttle's INSERT and prune). Every account signs in from its
     own X-Forwarded-For address (uvicorn trusts it from 127.0.0.1), so the per-address
     throttle, 20 failures in 10 min, is not what is measured. Baselines in the same
     run: the bare argon2 verify per call in-process, on one thread and on two, and
     `Sessions.login` called in-process (no HTTP), and the throttle's statements alone.
  2. On vs off, alternating (on, off, off, on, on, off...) so drift cancels: closed-loop
     requests/s with 16 clients, and open-loop p50/p99 at --rate, for
     GET /api/parts?part_type=T&vehicle_id=V, GET /api/parts?q=WORDS (rate-limited),
     and GET /api/admin/queue/stats with a bearer token (one session, so after the
     first request the check is answered by the process's caches of verified tokens
     and active sessions, with the revocation listener connected) against the same
     request with the check switched off (the token is sent too). --only access: this
     pair alone.
Target: on no more than 5% slower than off.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import argon2
import httpx
import psycopg
from fastapi import FastAPI, Request
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from automechanica.accounts import (
    LoginThrottle,
    PasswordHasher,
    Principal,
    Role,
    Sessions,
    TokenSigner,
)
from automechanica.accounts.tokens import new_secret
from automechanica.api import access
from automechanica.api.app import create_app
from automechanica.api.middleware import RequestEdge
from automechanica.api.policy import ApiPolicy
from automechanica.api.ratelimit import TokenBuckets
from bench._setup import bench_database, percentile, serve_bench_module
from bench._stalls import StallProbe
from bench.fitment_query import (
    Timed,
    _address,
    _Connection,
    _on_schedule,
    _target,
    build,
    report,
    report_open_loop,
    sample_queries,
)

PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "not the password at all"
OPERATOR = "operator@bench.example.com"
INSERT_ACCOUNTS = """
INSERT INTO users (email, password_hash, role)
SELECT 'customer' || g || '@bench.example.com', %(hash)s, 'customer'
FROM generate_series(1, %(n)s) g
"""
INSERT_OPERATOR = (
    "INSERT INTO users (email, password_hash, role) VALUES (%(email)s, %(hash)s, 'operator')"
)
SEARCH_WORDS = "SELECT lower(name) FROM part_types WHERE NOT universal ORDER BY id"
CLIENTS = 16


def email(i: int) -> str:
    return f"customer{i}@bench.example.com"


def address(i: int) -> str:
    """The X-Forwarded-For address account i signs in from."""
    return f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"


# --- the app, with its edge switchable per request ----------------------------------

#: Set per request by _EdgeSwitch: whether this request runs without the edge and limiter,
#: and whether without the console's access check.
_OFF: ContextVar[bool] = ContextVar("bench_edge_off", default=False)
_NO_ACCESS_CHECK: ContextVar[bool] = ContextVar("bench_access_off", default=False)
SWITCH = "X-Bench-Edge"
ACCESS_SWITCH = "X-Bench-Access"


class _EdgeSwitch:
    """In RequestEdge's place: the edge for requests saying `X-Bench-Edge: on`, the app
    straight for those saying `off`. One process, one pool and one set of prepared
    statements serve both, so only the edge differs (two processes differed by more:
    each pool's connections keep their own plans)."""

    def __init__(self, app: ASGIApp, policy: ApiPolicy) -> None:
        self.bare = app
        self.edge = RequestEdge(app, policy)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        off = no_check = False
        for key, value in scope.get("headers", ()):
            if value == b"off":
                off = off or key == b"x-bench-edge"
                no_check = no_check or key == b"x-bench-access"
        token, unchecked = _OFF.set(off), _NO_ACCESS_CHECK.set(no_check)
        try:
            await (self.bare if off else self.edge)(scope, receive, send)
        finally:
            _OFF.reset(token)
            _NO_ACCESS_CHECK.reset(unchecked)


_checked = access._allowed


async def _switched_access(request: Request, role: Role) -> Principal | None:
    """The console routes' check, skipped for requests saying `X-Bench-Access: off`."""
    return None if _NO_ACCESS_CHECK.get() else await _checked(request, role)


class _SwitchedLimiter:
    """The app's search limiter, skipped for requests with the edge off."""

    def __init__(self, buckets: TokenBuckets) -> None:
        self.buckets = buckets

    def take(self, key: str) -> int | None:
        return None if _OFF.get() else self.buckets.take(key)


def bench_app(url: str) -> FastAPI:
    """`create_app` as deployed, with a search limit too high to trigger, and the edge,
    the limiter and the console's access check switchable per request."""
    policy = ApiPolicy(search_per_minute=1e9, search_burst=10**9)  # never triggers
    access._allowed = _switched_access  # type: ignore[assignment]  # read at call time
    app = create_app(url, policy=policy, access_token_minutes=120)
    app.user_middleware = [
        Middleware(_EdgeSwitch, policy=policy) if _is_edge(m.cls) else m
        for m in app.user_middleware
    ]
    app.state.search_buckets = _SwitchedLimiter(app.state.search_buckets)
    return app


def _is_edge(cls: object) -> bool:
    return isinstance(cls, type) and issubclass(cls, RequestEdge)


def _serve(port: int) -> None:
    """Child process: the app on `port`, as `automechanica up` runs uvicorn."""
    import uvicorn

    app = bench_app(os.environ["AUTOMECHANICA_DATABASE_URL"])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    return serve_bench_module("bench.api_security", url)


# --- requests, prebuilt as bytes -----------------------------------------------------


def get(target: str, headers: Iterable[tuple[str, str]] = ()) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: bench", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_json(target: str, body: dict[str, Any], headers: Iterable[tuple[str, str]] = ()) -> bytes:
    data = json.dumps(body).encode()
    lines = [
        f"POST {target} HTTP/1.1",
        "Host: bench",
        "Content-Type: application/json",
        f"Content-Length: {len(data)}",
        *(f"{k}: {v}" for k, v in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def logins(accounts: int, count: int, wrong: float) -> list[bytes]:
    """`count` sign-ins cycling over the accounts; every 1/wrong-th one is wrong."""
    every = round(1 / wrong) if wrong else 0
    out = []
    for i in range(count):
        who = 1 + i % accounts
        bad = every and i % every == every - 1
        body = {"email": email(who), "password": WRONG_PASSWORD if bad else PASSWORD}
        out.append(post_json("/api/auth/login", body, [("X-Forwarded-For", address(who))]))
    return out


class _Client(_Connection):
    """fitment_query's keep-alive connection, sending any prebuilt request."""

    async def send(self, request: bytes) -> int:
        self.writer.write(request)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        self.last_used = time.perf_counter()
        return status


async def open_loop(
    base: str, requests: list[bytes], rate: float, seconds: float
) -> tuple[Timed, Counter[int]]:
    """Requests sent on schedule whatever the answers' pace; latency from the schedule."""
    host, port = _address(base)
    timed: Timed = []
    statuses: Counter[int] = Counter()
    idle: list[_Client] = []

    async def one(i: int) -> None:
        while idle and not idle[-1].fresh():
            idle.pop().close()
        client = idle.pop() if idle else _Client(*await asyncio.open_connection(host, port))
        try:
            statuses[await client.send(requests[i % len(requests)])] += 1
            idle.append(client)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            statuses[0] += 1  # refused or dropped
            client.close()

    await _on_schedule(one, rate, seconds, timed)
    for client in idle:
        client.close()
    return timed, statuses


async def closed_loop(
    base: str, requests: list[bytes], clients: int, seconds: float
) -> tuple[float, Counter[int]]:
    """Answers/s with `clients` connections, each sending its next request at once."""
    host, port = _address(base)
    statuses: Counter[int] = Counter()
    deadline = time.perf_counter() + seconds

    async def run(k: int) -> None:
        client = _Client(*await asyncio.open_connection(host, port))
        i = k
        try:
            while time.perf_counter() < deadline:
                statuses[await client.send(requests[i % len(requests)])] += 1
                i += clients
        finally:
            client.close()

    started = time.perf_counter()
    await asyncio.gather(*(run(k) for k in range(clients)))
    return sum(statuses.values()) / (time.perf_counter() - started), statuses


class CpuMeter:
    """CPU seconds used so far by the API servers and by the embedded PostgreSQL's
    processes (its postmaster's children: backends, writers), read from /proc."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pgdata: Path) -> None:
        self.postmaster = next((pid for pid in _pids() if str(pgdata) in _cmdline(pid)), None)

    def api(self, pid: int) -> float:
        return _cpu(_stat(pid))

    def postgres(self) -> float:
        if self.postmaster is None:
            return float("nan")  # an external server: not ours to count
        total = 0.0
        for pid in _pids():
            fields = _stat(pid)
            if fields and int(fields[1]) == self.postmaster:
                total += _cpu(fields)
        return total


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _stat(pid: int) -> list[str]:
    """The fields after the command name: [0] state, [1] ppid, [11] utime, [12] stime."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _cpu(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / CpuMeter.TICK if fields else 0.0


def _statuses(counts: Counter[int]) -> str:
    return ", ".join(f"{n:,}× {s or 'dropped'}" for s, n in sorted(counts.items()))


# --- set-up --------------------------------------------------------------------------


def make_accounts(url: str, accounts: int) -> str:
    """The customers and one operator; returns the shared stored hash."""
    stored = PasswordHasher().hash_now(PASSWORD)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(INSERT_ACCOUNTS, {"hash": stored, "n": accounts})
        conn.execute(INSERT_OPERATOR, {"email": OPERATOR, "hash": stored})
        conn.execute("VACUUM ANALYZE users")
    return stored


def search_words(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [str(r[0]) for r in conn.execute(SEARCH_WORDS)]


def access_token(base: str) -> str:
    answer = httpx.post(
        f"{base}/api/auth/login", json={"email": OPERATOR, "password": PASSWORD}, timeout=10
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


# --- in-process baselines ------------------------------------------------------------


def argon2_verify(stored: str, calls: int) -> tuple[list[float], float, float]:
    """(ms per verify on one thread, verifies/s on two threads, CPU ms per verify on two
    threads by each thread's CPU clock): argon2 alone."""
    hasher = argon2.PasswordHasher()
    one = []
    for _ in range(calls):
        started = time.perf_counter()
        hasher.verify(stored, PASSWORD)
        one.append((time.perf_counter() - started) * 1000)
    done = [0, 0]
    cpu = [0.0, 0.0]
    deadline = time.perf_counter() + 3.0

    def spin(k: int) -> None:
        begun = time.thread_time()
        while time.perf_counter() < deadline:
            hasher.verify(stored, PASSWORD)
            done[k] += 1
        cpu[k] = time.thread_time() - begun

    started = time.perf_counter()
    threads = [threading.Thread(target=spin, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return one, sum(done) / (time.perf_counter() - started), sum(cpu) / sum(done) * 1000


async def in_process(url: str, accounts: int, calls: int) -> dict[str, list[float]]:
    """ms per call, sequential, no HTTP: Sessions.login, and the throttle's statements."""
    sessions = Sessions(TokenSigner(new_secret()), PasswordHasher())
    throttle = LoginThrottle()
    times: dict[str, list[float]] = {k: [] for k in ("login", "check", "succeeded", "failed")}
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for i in range(calls):
            who = 1 + i % accounts
            started = time.perf_counter()
            await sessions.login(conn, email(who), PASSWORD, client_ip=address(who))
            times["login"].append((time.perf_counter() - started) * 1000)
        for i in range(calls):
            mail, ip = email(1 + i % accounts), address(1 + i % accounts)
            for name, step in (
                ("check", throttle.check(conn, ip, mail)),
                ("failed", throttle.failed(conn, ip, mail)),
                ("succeeded", throttle.succeeded(conn, mail)),
            ):
                started = time.perf_counter()
                await step
                times[name].append((time.perf_counter() - started) * 1000)
    return times


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that answers at once: what RequestEdge wraps, in `edge_and_access`."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})


async def edge_and_access(url: str) -> dict[str, float]:
    """µs per call in-process, sequential: the edge's own work and the access check's
    parts, without HTTP or the rest of the request."""

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        pass

    def scope() -> Scope:
        query = b"part_type=brake-pads&vehicle_id=1234"
        headers = [(b"host", b"bench")]
        return {
            "type": "http",
            "method": "GET",
            "path": "/api/parts",
            "query_string": query,
            "headers": headers,
        }

    async def per_call(call: Callable[[], Awaitable[object]], n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            await call()
        return (time.perf_counter() - started) / n * 1e6

    edge = RequestEdge(_answer, ApiPolicy())
    sessions = Sessions(TokenSigner(new_secret()), PasswordHasher())
    out = {
        "app alone": await per_call(lambda: _answer(scope(), receive, send), 20_000),
        "RequestEdge + app": await per_call(lambda: edge(scope(), receive, send), 20_000),
    }
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        token = (
            await sessions.login(conn, OPERATOR, PASSWORD, client_ip="10.255.0.1")
        ).access_token

        async def read() -> None:
            sessions.signer.read(token)

        out["TokenSigner.read (JWT)"] = await per_call(read, 5_000)
        out["Sessions.authenticate (cache off: session read)"] = await per_call(
            lambda: sessions.authenticate(conn, token), 2_000
        )
        sessions.active.listen_started()  # as when the listener is connected
        out["Sessions.authenticate (cache on: remembered)"] = await per_call(
            lambda: sessions.authenticate(conn, token), 20_000
        )
    return out


async def interleaved_access(url: str, meter: CpuMeter, blocks: int, per_block: int) -> None:
    """The guarded and the unguarded queue stats in one process, without HTTP, one request
    at a time, in alternating blocks (on, off; off, on; ...): CPU per request of this
    process and of PostgreSQL, and wall time. On a shared machine whose load moves
    between closed-loop runs, alternation every few hundred requests lets drift cancel."""
    app = bench_app(url)
    statuses: Counter[int] = Counter()

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses[message["status"]] += 1

    async with app.router.lifespan_context(app):
        listener = app.state.session_listener
        async with app.state.pool.connection() as conn:
            pair = await app.state.sessions.login(conn, OPERATOR, PASSWORD, client_ip="10.255.0.2")
        path = "/api/admin/queue/stats"
        variants = {
            check: [
                (b"host", b"bench"),
                (SWITCH.lower().encode(), b"on"),
                (ACCESS_SWITCH.lower().encode(), check.encode()),
                (b"authorization", f"Bearer {pair.access_token}".encode()),
            ]
            for check in ("on", "off")
        }

        async def block(headers: list[tuple[bytes, bytes]]) -> tuple[float, float, float]:
            cpu, pg, wall = time.process_time(), meter.postgres(), time.perf_counter()
            for _ in range(per_block):
                scope: Scope = {
                    "type": "http",
                    "asgi": {"version": "3.0"},
                    "http_version": "1.1",
                    "method": "GET",
                    "scheme": "http",
                    "path": path,
                    "raw_path": path.encode(),
                    "root_path": "",
                    "query_string": b"",
                    "headers": headers,
                    "client": ("127.0.0.1", 40000),
                    "server": ("bench", 80),
                }
                await app(scope, receive, send)
            return (
                time.process_time() - cpu,
                meter.postgres() - pg,
                time.perf_counter() - wall,
            )

        for headers in variants.values():  # warm up: plans prepared, session remembered
            await block(headers)
        totals = {v: [0.0, 0.0, 0.0] for v in variants}
        pairs: list[float] = []  # API CPU on ÷ off of each pair of neighbouring blocks
        for b in range(blocks):
            got = {}
            for variant in ("on", "off") if b % 2 == 0 else ("off", "on"):
                got[variant] = await block(variants[variant])
                for i, x in enumerate(got[variant]):
                    totals[variant][i] += x
            pairs.append(got["on"][0] / got["off"][0])
        connected = listener.connected
    n = blocks * per_block
    print(
        f"\nqueue stats in-process, interleaved ({blocks} blocks of {per_block} each, one at a "
        f"time; listener connected: {connected}; answers {_statuses(statuses)}):"
    )
    for variant, (cpu, pg, wall) in totals.items():
        print(
            f"  {variant:3} CPU per request: API {cpu / n * 1e6:,.0f} µs, PostgreSQL "
            f"{pg / n * 1e6:,.0f} µs; wall {wall / n * 1e6:,.0f} µs"
        )
    on, off = totals["on"], totals["off"]
    print(
        f"  on / off: API CPU {on[0] / off[0]:.3f}×, API + PostgreSQL CPU "
        f"{(on[0] + on[1]) / (off[0] + off[1]):.3f}×, wall {on[2] / off[2]:.3f}×; "
        f"API CPU per pair of blocks: median {statistics.median(pairs):.3f}×, quartiles "
        + " / ".join(f"{q:.3f}" for q in statistics.quantiles(pairs, n=4))
    )


# --- the runs ------------------------------------------------------------------------


@dataclass
class Server:
    base: str
    pid: int


@dataclass
class Closed:
    """Closed-loop runs of one variant: rates, and CPU seconds and answers summed."""

    rates: list[float] = field(default_factory=list)
    api_cpu: float = 0.0
    pg_cpu: float = 0.0
    answers: int = 0

    def row(self) -> str:
        each = " / ".join(f"{r:,.0f}" for r in self.rates)
        per = 1e6 / self.answers if self.answers else float("nan")
        return (
            f"{each} req/s (mean {statistics.mean(self.rates):,.0f}); CPU per request: "
            f"API {self.api_cpu * per:,.0f} µs, PostgreSQL {self.pg_cpu * per:,.0f} µs"
        )

    def cpu_per_request(self) -> float:
        return (self.api_cpu + self.pg_cpu) / self.answers


def measure_closed(
    server: Server, requests: list[bytes], clients: int, seconds: float, meter: CpuMeter
) -> tuple[float, Counter[int], float, float]:
    """(answers/s, statuses, API CPU s, PostgreSQL CPU s) of one closed-loop run."""
    api, pg = meter.api(server.pid), meter.postgres()
    rate, statuses = asyncio.run(closed_loop(server.base, requests, clients, seconds))
    return rate, statuses, meter.api(server.pid) - api, meter.postgres() - pg


def login_figures(url: str, server: Server, meter: CpuMeter, args: argparse.Namespace) -> None:
    print(f"\n1. Login: {args.accounts} accounts, argon2id as PasswordHasher() configures it")
    stored = PasswordHasher().hash_now(PASSWORD)
    one, two_threads, two_cpu = argon2_verify(stored, 60)
    times = asyncio.run(in_process(url, args.accounts, 60))
    probe_count = int(200 * args.closed_seconds)
    asyncio.run(closed_loop(server.base, logins(args.accounts, 20, 0.0), 4, 2))  # warm up
    sustained, closed_statuses, api_cpu, pg_cpu = measure_closed(
        server, logins(args.accounts, probe_count, 0.0), 8, args.closed_seconds, meter
    )
    rate = args.login_rate or round(0.75 * sustained)
    count = int(rate * args.seconds) + 1
    with StallProbe() as clean_probe:
        clean, clean_statuses = asyncio.run(
            open_loop(server.base, logins(args.accounts, count, 0.0), rate, args.seconds)
        )
    with StallProbe() as mixed_probe:
        mixed, mixed_statuses = asyncio.run(
            open_loop(server.base, logins(args.accounts, count, args.wrong), rate, args.seconds)
        )
    print(f"{'':46}{'p50 ms':>8}{'p99 ms':>8}")
    report(
        "argon2 verify in-process (1 thread)",
        one,
        f"2 threads: {two_threads:,.1f} verifies/s, {two_cpu:.1f} ms CPU each",
    )
    report("Sessions.login in-process (no HTTP)", times["login"])
    report("  throttle.check (SELECT, 4 subqueries)", times["check"])
    report("  throttle.succeeded (DELETE)", times["succeeded"])
    report("  throttle.failed (INSERT + prune, 1 tx)", times["failed"])
    answers = sum(closed_statuses.values())
    print(
        f"HTTP login closed loop, 8 clients: {sustained:,.1f} logins/s "
        f"({_statuses(closed_statuses)}); CPU per login: API {api_cpu / answers * 1000:.1f} ms, "
        f"PostgreSQL {pg_cpu / answers * 1000:.2f} ms"
    )
    how = "--login-rate" if args.login_rate else "3/4 of the closed loop's"
    print(f"open-loop rate: {rate:.0f} logins/s ({how})")
    p50 = percentile([ms for _, ms in clean], 50)
    report_open_loop(
        f"HTTP login at {rate:.0f}/s, all correct", clean, clean_probe, _statuses(clean_statuses)
    )
    report_open_loop(
        f"HTTP login at {rate:.0f}/s, {args.wrong:.0%} wrong",
        mixed,
        mixed_probe,
        _statuses(mixed_statuses),
    )
    verify = percentile(one, 50)
    print(
        f"HTTP login p50 / bare verify p50: {p50 / verify:.2f}× "
        f"(+{p50 - verify:.1f} ms: HTTP, session, throttle, database, and queueing)"
    )
    print(f"during the correct run: {clean_probe.summary()}")
    print(f"during the mixed run: {mixed_probe.summary()}")


def pair_figures(
    name: str,
    on: tuple[Server, list[bytes]],
    off: tuple[Server, list[bytes]],
    meter: CpuMeter,
    args: argparse.Namespace,
) -> float:
    """One on/off pair in rounds on, off, off, on, ...; prints its rows and returns the
    on ÷ off closed-loop rate."""
    runs = {"on": on, "off": off}
    closed = {"on": Closed(), "off": Closed()}
    timed: dict[str, Timed] = {"on": [], "off": []}
    probes: dict[str, list[StallProbe]] = {"on": [], "off": []}
    statuses: dict[str, Counter[int]] = {"on": Counter(), "off": Counter()}
    for server, requests in runs.values():
        asyncio.run(closed_loop(server.base, requests, CLIENTS, 1))  # warm up
    for r in range(args.rounds):
        for variant in ("on", "off") if r % 2 == 0 else ("off", "on"):
            server, requests = runs[variant]
            rate, counts, api, pg = measure_closed(
                server, requests, CLIENTS, args.closed_seconds, meter
            )
            c = closed[variant]
            c.rates.append(rate)
            c.api_cpu, c.pg_cpu, c.answers = (
                c.api_cpu + api,
                c.pg_cpu + pg,
                c.answers + sum(counts.values()),
            )
            statuses[variant] += counts
            with StallProbe() as probe:
                got, counts = asyncio.run(open_loop(server.base, requests, args.rate, args.seconds))
            timed[variant] += got
            probes[variant].append(probe)
            statuses[variant] += counts
    print(f"\n{name}")
    for variant in ("on", "off"):
        print(f"  {variant:3} closed loop, {CLIENTS} clients: {closed[variant].row()}")
        print(f"      answers: {_statuses(statuses[variant])}")
    print(f"  {'':44}{'p50 ms':>8}{'p99 ms':>8}")
    for variant in ("on", "off"):
        report_open_runs(
            f"  {variant:3} open loop at {args.rate:.0f}/s", timed[variant], probes[variant]
        )
    ratio = statistics.mean(closed["on"].rates) / statistics.mean(closed["off"].rates)
    cpu = closed["on"].cpu_per_request() / closed["off"].cpu_per_request()
    p99 = {v: percentile([ms for _, ms in timed[v]], 99) for v in timed}
    p50 = {v: percentile([ms for _, ms in timed[v]], 50) for v in timed}
    print(
        f"  on / off: closed-loop rate {ratio:.3f} ({1 - ratio:.1%} slower), CPU per request "
        f"{cpu:.3f}×; open-loop p50 {p50['on'] / p50['off']:.2f}×, "
        f"p99 {p99['on'] / p99['off']:.2f}×; target (at most 5% slower) "
        + ("met" if ratio >= 0.95 else "NOT met")
    )
    for variant in ("on", "off"):
        for probe in probes[variant]:
            print(f"  during an '{variant}' open-loop run: {probe.summary()}")
    return ratio


def report_open_runs(name: str, timed: Timed, probes: list[StallProbe]) -> None:
    """report_open_loop's two rows over several runs, each with its own probe."""
    clear = [ms for at, ms in timed if not any(p.overlaps(at, at + ms / 1000) for p in probes)]
    report(name, [ms for _, ms in timed], f"{len(timed):,} requests")
    report("    ...clear of machine stalls", clear, f"{len(clear):,} of {len(timed):,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=400)
    parser.add_argument(
        "--login-rate", type=float, default=0, help="open-loop logins/s; 0: 3/4 of the closed loop"
    )
    parser.add_argument("--wrong", type=float, default=0.2, help="share of wrong passwords")
    parser.add_argument("--rate", type=float, default=150, help="open-loop rate, on vs off")
    parser.add_argument("--seconds", type=float, default=6, help="each open-loop run")
    parser.add_argument("--closed-seconds", type=float, default=4, help="each closed-loop run")
    parser.add_argument("--rounds", type=int, default=3, help="on/off pairs per endpoint")
    parser.add_argument(
        "--only", choices=("login", "pairs", "access"), help="a part of the figures"
    )
    parser.add_argument(
        "--blocks", type=int, default=40, help="in-process interleaved blocks, access check"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.port)
        return
    print(
        f"settings: {args.accounts} accounts, login rate {args.login_rate or 'auto'}, "
        f"{args.wrong:.0%} wrong, on/off rate {args.rate:.0f}/s, open loops {args.seconds:.0f} s, "
        f"closed loops {args.closed_seconds:.0f} s, {args.rounds} rounds; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    with bench_database("bench_api_security") as (url, work):
        started = time.perf_counter()
        build(url, work, 0)
        make_accounts(url, args.accounts)
        queries = sample_queries(url, 500)
        words = search_words(url)
        print(f"demo store and accounts built in {time.perf_counter() - started:.0f} s")
        meter = CpuMeter(work / "pgdata")
        if args.only not in ("pairs", "access"):
            # its own server: thousands of sign-ins leave a heap the pairs should not inherit
            proc, base = serve(url)
            try:
                login_figures(url, Server(base, proc.pid), meter, args)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        if args.only == "login":
            return
        proc, base = serve(url)
        try:
            server = Server(base, proc.pid)
            on, off = [(SWITCH, "on")], [(SWITCH, "off")]
            checked, unchecked = [(ACCESS_SWITCH, "on")], [(ACCESS_SWITCH, "off")]
            fitment = [_target(q) for q in queries]
            search = [f"/api/parts?q={w.replace(' ', '+')}" for w in words]
            bearer = [("Authorization", f"Bearer {access_token(base)}")]
            print("\n2. Access checks and limits on vs off (rounds: on, off; off, on; ...)")
            parts = asyncio.run(edge_and_access(url))
            print("in-process, µs per call: " + "; ".join(f"{k} {v:.1f}" for k, v in parts.items()))
            asyncio.run(interleaved_access(url, meter, args.blocks, 250))
            pairs = [
                (
                    "GET /api/parts?part_type=T&vehicle_id=V (edge on vs off)",
                    (server, [get(t, on) for t in fitment]),
                    (server, [get(t, off) for t in fitment]),
                ),
                (
                    "GET /api/parts?q=WORDS (edge and search limiter on vs off)",
                    (server, [get(t, on) for t in search]),
                    (server, [get(t, off) for t in search]),
                ),
                (
                    "GET /api/admin/queue/stats, bearer checked vs not checked",
                    (server, [get("/api/admin/queue/stats", on + bearer + checked)]),
                    (server, [get("/api/admin/queue/stats", on + bearer + unchecked)]),
                ),
            ]
            if args.only == "access":
                pairs = pairs[-1:]
            ratios = [pair_figures(name, a, b, meter, args) for name, a, b in pairs]
            print("\non / off closed-loop rates: " + ", ".join(f"{r:.3f}" for r in ratios))
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
