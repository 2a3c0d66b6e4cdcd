"""The console's fitment editor through the API, as an operator meets it.

    .venv/bin/python -m bench.fitment_editor [--rounds 30] [--rows 3000]

Builds the demo vehicles, a part with `--rows` fitment rows (one per base vehicle, as a
broad feed states them) and signs in an operator; then, in-process through the app
(auth, validation, one transaction with the recorded decision), times for `--rounds`:
  - baseline: GET /api/health through the same client;
  - the editor's first page (200 rows) and the page filtered by make;
  - adding the application over the longest year run the vehicle base has (up to 10
    years; new rows each round), editing one row, rejecting one row.
Prints p50/p95 in milliseconds; asserts nothing. Target: every editor call well under
the 1 s a person waits without noticing.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from automechanica.accounts import PasswordHasher, Role, create_user
from automechanica.api.app import create_app
from bench._setup import bench_database, percentile, prepare_catalog

PASSWORD = "bench password 12345"
PART = """
INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title)
SELECT b.id, 'BENCH1', 'BENCH1', t.id, 'Bench brake pads'
FROM brands b, part_types t WHERE b.name = 'Wagner' AND t.name = 'Brake Pads' RETURNING id
"""
ROWS = """
INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, position, source, confidence)
SELECT p.id, p.part_type_id, bv.id, 'Front', 'feed:bench', 0.9
FROM parts p, (SELECT id FROM base_vehicles ORDER BY id LIMIT %(rows)s) bv
WHERE p.id = %(part)s
"""
# The longest run of consecutive years of one model (at most 10), for the range adds.
LONGEST_RUN = """
WITH y AS (SELECT ma.name AS make, mo.name AS model, bv.year,
                  bv.year - row_number() OVER (PARTITION BY mo.id ORDER BY bv.year) AS run
           FROM base_vehicles bv JOIN models mo ON mo.id = bv.model_id
           JOIN makes ma ON ma.id = mo.make_id)
SELECT make, model, min(year) AS first, least(max(year), min(year) + 9) AS last
FROM y GROUP BY make, model, run ORDER BY count(*) DESC, make, model LIMIT 1
"""


def _seed(url: str, rows: int) -> tuple[int, dict[str, Any]]:
    with psycopg.connect(url) as conn:
        part_row = conn.execute(PART).fetchone()
        assert part_row is not None
        part = int(part_row[0])
        conn.execute(ROWS, {"rows": rows, "part": part})
        run = conn.execute(LONGEST_RUN).fetchone()
        assert run is not None
    make, model, first, last = run

    async def operator() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as aconn:
            await create_user(aconn, PasswordHasher(), "ops@bench.example", PASSWORD, Role.operator)

    asyncio.run(operator())
    return part, {"make": make, "model": model, "first": int(first), "last": int(last)}


def _timed(rounds: int, call: Callable[[int], Any]) -> list[float]:
    times = []
    for i in range(rounds):
        start = time.perf_counter()
        response = call(i)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code >= 400:
            raise SystemExit(f"{response.request.url}: {response.status_code} {response.text}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--rows", type=int, default=3000)
    args = parser.parse_args()
    with bench_database("fitment_editor") as (url, _):
        prepare_catalog(url, vins_per_type=60)
        part, run = _seed(url, args.rows)
        app = create_app(url, pool_min_size=1, pool_max_size=4)
        with TestClient(app) as client:
            login = {"email": "ops@bench.example", "password": PASSWORD}
            token = client.post("/api/auth/login", json=login).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            base = f"/api/admin/catalog/parts/{part}/fitments"
            listed = client.get(base, headers=headers).json()
            make = listed["rows"][0]["make"]
            years = run["last"] - run["first"] + 1
            added: list[int] = []

            def add(i: int) -> Any:
                body = {
                    "year_start": run["first"],
                    "year_end": run["last"],
                    "make": run["make"],
                    "model": run["model"],
                    "position": f"Bench {i}",
                    "reason": "bench: a new application each round",
                }
                response = client.post(base, json=body, headers=headers)
                added.extend(r["id"] for r in response.json().get("rows", []))
                return response

            def edit(i: int) -> Any:
                body = {"quantity": i + 1, "reason": "bench: one row edited"}
                return client.patch(f"{base}/{listed['rows'][0]['id']}", json=body, headers=headers)

            def reject(i: int) -> Any:
                params = {"reason": "bench: one row rejected"}
                return client.delete(f"{base}/{added[i]}", params=params, headers=headers)

            def get(path: str, **params: str) -> Callable[[int], Any]:
                return lambda i: client.get(path, params=params, headers=headers)

            figures = [
                ("GET /api/health (baseline)", _timed(args.rounds, get("/api/health"))),
                (f"list: first page of {listed['total']} rows", _timed(args.rounds, get(base))),
                (f"list: filtered by make {make}", _timed(args.rounds, get(base, make=make))),
                (f"add: {years} year(s) of {run['make']} {run['model']}", _timed(args.rounds, add)),
                ("edit one row", _timed(args.rounds, edit)),
                ("reject one row", _timed(args.rounds, reject)),
            ]
    print(f"{'call':<52} {'p50 ms':>8} {'p95 ms':>8}  ({args.rounds} rounds, in-process)")
    for name, times in figures:
        print(f"{name:<52} {percentile(times, 50):>8.1f} {percentile(times, 95):>8.1f}")


if __name__ == "__main__":
    main()
