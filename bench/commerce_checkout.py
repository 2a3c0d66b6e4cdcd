"""Checkout completion through the HTTP API at a fixed rate (issue 13).

    .venv/bin/python -m bench.commerce_checkout [--rate 50] [--seconds 10] [--rounds 2]
        [--lines 2] [--vins-per-type 20]

Builds a database with the demo's vehicles and a small priced store (parts that
fit one vehicle, deep stock), makes one ready cart per planned order (vehicle,
email, address, `--lines` parts), and serves `create_app` in a uvicorn process on
loopback (as bench/api_security.py does; the API only, no workers, so the
fulfillment tasks each order enqueues wait in the queue). Then, in rounds that
alternate so drift cancels:
  - baseline: GET /api/carts/{id} (the whole session priced: lines, fit checks,
    shipping estimates, totals) open loop at --rate;
  - completion: POST /api/carts/{id}/complete with a fresh Idempotency-Key, open
    loop at --rate: idempotency claim, cart lock, pricing and fit checks again, the
    order, its lines and history, the test payment, the cart completed, the
    order_fulfillment workflow and its first task, the stored answer, in one
    transaction.
Latency is measured from each request's scheduled start (so queueing counts),
for all requests and for those clear of machine stalls (bench/_stalls.py); the
CPU the API process and PostgreSQL spent per request is read from /proc (steadier
than latency on this shared machine). Last, a closed loop of completions with
--clients connections: the orders/s this machine sustains.
Afterwards the database is checked: one order, one payment and one workflow per
201. Target: completion p99 under 100 ms at 50 orders/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import uuid
from collections import Counter

import psycopg
from psycopg.types.json import Jsonb

from bench._setup import bench_database, percentile, prepare_catalog, serve_bench_module
from bench._stalls import StallProbe
from bench.api_security import CpuMeter, closed_loop, get, open_loop, post_json
from bench.fitment_query import Timed

ADDRESS = {
    "name": "Bench Shopper",
    "line1": "1 Main St",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
}
SECRET = "bench-signing-key-" + "x" * 64
PART_TYPES = ("Oil Filter", "Engine Air Filter", "Cabin Air Filter", "Brake Pads", "Alternator")


def build_store(url: str, lines: int) -> tuple[int, list[int]]:
    """A vehicle and `lines` priced parts fitting it, offered with deep stock."""

    async def run() -> tuple[int, list[int]]:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await conn.execute(
                "INSERT INTO suppliers (name, display_name) VALUES ('bench', 'Bench Supply')"
            )
            row = await (
                await conn.execute(
                    "SELECT id, base_vehicle_id FROM vehicles"
                    " WHERE coalesce(fuel, '') <> 'Electric' ORDER BY id LIMIT 1"
                )
            ).fetchone()
            assert row is not None
            vehicle, base = row
            parts = []
            for i in range(lines):
                part_type = PART_TYPES[i % len(PART_TYPES)]
                number = f"BENCH{i:04d}"
                found = await (
                    await conn.execute(
                        "INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id,"
                        " title, price) SELECT b.id, %s, %s, t.id, %s, %s FROM brands b,"
                        " part_types t WHERE b.name = 'Bosch' AND t.name = %s RETURNING id",
                        (number, number, f"Bosch {part_type}", 20 + 7 * i, part_type),
                    )
                ).fetchone()
                assert found is not None
                part = found[0]
                parts.append(part)
                core = 25 if part_type == "Alternator" else None
                await conn.execute(
                    "INSERT INTO supplier_parts (supplier_id, supplier_sku, part_id, brand_raw,"
                    " mpn_raw, cost, core_charge, stock, stock_total, content_hash)"
                    " SELECT id, %s, %s, 'Bosch', %s, %s, %s, %s, %s, 'x'"
                    " FROM suppliers WHERE name = 'bench'",
                    (number, part, number, 9 + i, core, Jsonb({"EAST": 10**6}), 10**6),
                )
                await conn.execute(
                    "INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, source,"
                    " confidence) SELECT id, part_type_id, %s, 'feed:bench', 0.9"
                    " FROM parts WHERE id = %s",
                    (base, part),
                )
            await conn.commit()
            return vehicle, parts

    return asyncio.run(run())


def make_carts(url: str, vehicle: int, parts: list[int], count: int) -> list[str]:
    """`count` ready guest carts, written directly (their creation is not measured)."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        ids = [str(uuid.uuid4()) for _ in range(count)]
        cur.executemany(
            "INSERT INTO carts (id, vehicle_id, email, shipping_address) VALUES (%s, %s, %s, %s)",
            [(i, vehicle, "bench@example.com", Jsonb(ADDRESS)) for i in ids],
        )
        cur.executemany(
            "INSERT INTO cart_lines (cart_id, part_id, quantity) VALUES (%s, %s, 1)",
            [(i, p) for i in ids for p in parts],
        )
    return ids


def _serve(port: int) -> None:
    """Child process: the app on `port` (pool 2..10, as `automechanica up` runs it)."""
    import uvicorn

    from automechanica.api.app import create_app

    app = create_app(os.environ["AUTOMECHANICA_DATABASE_URL"], secret_key=SECRET)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    return serve_bench_module("bench.commerce_checkout", url)


def completions(carts: list[str]) -> list[bytes]:
    return [
        post_json(f"/api/carts/{c}/complete", {}, [("Idempotency-Key", str(uuid.uuid4()))])
        for c in carts
    ]


def reads(carts: list[str]) -> list[bytes]:
    return [get(f"/api/carts/{c}") for c in carts]


def row(name: str, latencies: list[float], extra: str = "") -> None:
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"{name:44}{p50:9.1f}{p99:9.1f}  {extra}", flush=True)


Run = tuple[Timed, Counter[int], StallProbe, float, float]  # + API, PostgreSQL CPU s


def report(name: str, runs: list[Run], ok: int) -> float:
    timed = [t for run, *_ in runs for t in run]
    statuses: Counter[int] = sum((s for _, s, *_ in runs), Counter())
    latencies = [ms for _, ms in timed]
    clear = [
        ms for run, _, probe, *_ in runs for at, ms in run if not probe.overlaps(at, at + ms / 1000)
    ]
    spans = [max(at + ms / 1000 for at, ms in run) - min(at for at, _ in run) for run, *_ in runs]
    answers = sum(statuses.values())
    api_cpu = sum(r[3] for r in runs) / answers * 1000
    pg_cpu = sum(r[4] for r in runs) / answers * 1000
    rate = statuses[ok] / sum(spans)
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    row(name, latencies, f"{rate:6.1f} {ok}s/s  ({counts})")
    row("  ...clear of machine stalls", clear, f"{len(clear):,} of {len(timed):,} requests")
    print(f"{'  CPU per request, ms: API process':44}{api_cpu:9.1f}  PostgreSQL {pg_cpu:.1f}")
    return percentile(latencies, 99)


def check(url: str, placed: int) -> str:
    with psycopg.connect(url) as conn:
        orders, payments, workflows, tasks = conn.execute(
            "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM payments),"
            " (SELECT count(*) FROM workflows WHERE kind = 'order_fulfillment'),"
            " (SELECT count(*) FROM tasks)"
        ).fetchone() or (0, 0, 0, 0)
    same = orders == payments == workflows == placed
    return (
        f"database: {orders} orders, {payments} payments, {workflows} order_fulfillment "
        f"workflows ({tasks} tasks queued) for {placed} answers 201: "
        + ("one each" if same else "MISMATCH")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="requests/s, both kinds")
    parser.add_argument("--seconds", type=float, default=10.0, help="per round and kind")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--lines", type=int, default=2, help="parts per cart")
    parser.add_argument("--vins-per-type", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8, help="closed loop connections")
    parser.add_argument("--closed-seconds", type=float, default=5.0, help="0: no closed loop")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.port)
        return

    per_round = int(args.rate * args.seconds)
    warmup = 50
    with bench_database("commerce_checkout") as (url, work):
        prepare_catalog(url, vins_per_type=args.vins_per_type)
        vehicle, parts = build_store(url, args.lines)
        carts = make_carts(url, vehicle, parts, warmup + per_round * args.rounds)
        browse = make_carts(url, vehicle, parts, 200)  # read, never completed
        spare = make_carts(url, vehicle, parts, int(300 * args.closed_seconds))
        meter = CpuMeter(work / "pgdata")
        print(
            f"{len(carts):,} ready carts of {args.lines} lines; open loop at {args.rate:g}/s, "
            f"{args.seconds:g} s per run, {args.rounds} rounds (on one uvicorn worker, "
            f"{os.cpu_count()} CPUs)",
            flush=True,
        )
        proc, base = serve(url)
        try:
            asyncio.run(open_loop(base, completions(carts[:warmup]), 25, warmup / 25))
            asyncio.run(open_loop(base, reads(browse), 25, 2))
            baseline: list[Run] = []
            completed: list[Run] = []
            for r in range(args.rounds):
                batch = carts[warmup + r * per_round : warmup + (r + 1) * per_round]
                order = ("read", "complete") if r % 2 == 0 else ("complete", "read")
                for kind in order:
                    requests = reads(browse) if kind == "read" else completions(batch)
                    api, pg = meter.api(proc.pid), meter.postgres()
                    with StallProbe() as probe:
                        timed, statuses = asyncio.run(
                            open_loop(base, requests, args.rate, args.seconds)
                        )
                    used = (meter.api(proc.pid) - api, meter.postgres() - pg)
                    (baseline if kind == "read" else completed).append(
                        (timed, statuses, probe, *used)
                    )
                    print(f"  round {r + 1} {kind}: {probe.summary()}", flush=True)
            print(f"\n{'open loop at ' + format(args.rate, 'g') + '/s':44}{'p50 ms':>9}{'p99':>9}")
            report("baseline: GET /api/carts/{id} (priced cart)", baseline, 200)
            p99 = report("POST /api/carts/{id}/complete", completed, 201)
            placed = sum(s[201] for _, s, *_ in completed) + warmup
            if args.closed_seconds:
                _, statuses = asyncio.run(
                    closed_loop(base, completions(spare), args.clients, args.closed_seconds)
                )
                placed += statuses[201]
                counts = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
                print(
                    f"closed loop, {args.clients} connections: "
                    f"{statuses[201] / args.closed_seconds:.1f} orders/s ({counts})"
                )
            print(check(url, placed))
            verdict = "met" if p99 < 100 else "MISSED"
            print(f"target: completion p99 < 100 ms at {args.rate:g} orders/s: {verdict}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
