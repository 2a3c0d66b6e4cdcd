"""The console's supplier list and import report pages against their floor, in one run.

    .venv/bin/python -m bench.import_reports [--suppliers 50] [--reports 20]
        [--rejections 200000] [--calls 40]

One embedded PostgreSQL, migrated; `--suppliers` suppliers with a profile each and
`--reports` import reports each, and one more report holding `--rejections` rejected
rows and a tenth as many warnings (rows like an importer stores them). Rows, each the
p50 / p95 ms of `--calls` calls from Python on this machine:

  - floor: one indexed row by primary key (the report's header alone);
  - report: `report_header` (the header and its rejections and warnings counted) and
    `report_notes` for the first page, the middle page and the last page by OFFSET,
    beside the last page's statement by keyset (`id > last seen`, what OFFSET paging
    gives up for a page number and a "Previous");
  - lists: `list_suppliers` (each with its profile and newest import) and
    `list_reports` (newest first; one supplier's; the failed ones).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from automechanica.catalog.feeds.reports import list_reports, report_header, report_notes
from automechanica.catalog.feeds.suppliers import list_suppliers
from automechanica.db import migrate
from bench._setup import bench_database, percentile

PAGE = 50
SEED = """
INSERT INTO suppliers (name, display_name)
SELECT 'bench supplier ' || i, 'Bench Supplier ' || i FROM generate_series(1, %(suppliers)s) i
"""
PROFILES = """
INSERT INTO supplier_profiles (supplier_id, format, mapping, confirmed)
SELECT id, 'csv', '{"sku": "Item", "brand": "Mfr", "mpn": "Part No", "cost": "Net"}', true
FROM suppliers
"""
REPORTS = """
INSERT INTO import_reports (supplier_id, file_name, format, status, rows_read, offers,
                            rows_rejected, started_at, finished_at)
SELECT s.id, 'feed-' || r || '.csv', 'csv',
       CASE WHEN r %% 7 = 0 THEN 'failed' ELSE 'completed' END, 1000, 990, 10,
       now() - make_interval(hours => r * 24 + s.id), now() - make_interval(hours => r * 24 + s.id)
FROM suppliers s, generate_series(1, %(reports)s) r
"""
BIG = """
INSERT INTO import_reports (supplier_id, file_name, format, status, rows_read, rows_rejected,
                            warnings, finished_at)
VALUES (1, 'huge.csv', 'csv', 'completed', %(rows)s, %(rejections)s, %(warnings)s, now())
RETURNING id
"""
NOTES = """
INSERT INTO import_rejections (report_id, line, severity, reason, raw)
SELECT %(report)s, i + 1, CASE WHEN i %% 11 = 10 THEN 'warning' ELSE 'rejected' END,
       'cost: ''n/a'' is not a price', 'SKU-' || i || ',Fram,PH' || i || ',n/a'
FROM generate_series(1, %(rows)s) i
"""
HEADER_ONLY = "SELECT id, status, rows_read FROM import_reports WHERE id = %s"
KEYSET = """
SELECT line, element, reason, raw FROM import_rejections
WHERE report_id = %s AND severity = 'rejected' AND id > %s ORDER BY id LIMIT %s
"""
LAST_SEEN = """
SELECT id FROM import_rejections WHERE report_id = %s AND severity = 'rejected'
ORDER BY id OFFSET %s LIMIT 1
"""


async def seed(url: str, suppliers: int, reports: int, rejections: int) -> int:
    """The store's suppliers and reports; returns the big report's id."""
    warnings = rejections // 10
    rows = rejections + warnings
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(SEED, {"suppliers": suppliers})
        await conn.execute(PROFILES)
        await conn.execute(REPORTS, {"reports": reports})
        cur = await conn.execute(
            BIG, {"rows": rows, "rejections": rows - rows // 11, "warnings": rows // 11}
        )
        found = await cur.fetchone()
        assert found is not None
        report = int(found[0])
        await conn.execute(NOTES, {"report": report, "rows": rows})
        await conn.execute("ANALYZE")
    return report


async def timed(calls: int, job: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    await job()  # warm
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        await job()
        times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50), percentile(times, 95)


async def measure(url: str, report: int, calls: int) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        header = await report_header(conn, report)
        total = int(header["stored_rejections"])
        last = (total - 1) // PAGE * PAGE
        middle = total // 2 // PAGE * PAGE
        cur = await conn.execute(LAST_SEEN, (report, last - 1))
        seen = await cur.fetchone()
        assert seen is not None
        before_last = int(seen[0])

        async def header_only() -> None:
            await (await conn.execute(HEADER_ONLY, (report,))).fetchone()

        async def keyset() -> None:
            await (await conn.execute(KEYSET, (report, before_last, PAGE))).fetchall()

        def page(offset: int) -> Callable[[], Awaitable[Any]]:
            return lambda: report_notes(conn, report, "rejected", limit=PAGE, offset=offset)

        jobs: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("floor: report row by primary key", header_only),
            (f"report_header ({total:,} rejections counted)", lambda: report_header(conn, report)),
            ("report_notes first page (offset 0)", page(0)),
            (f"report_notes middle page (offset {middle:,})", page(middle)),
            (f"report_notes last page (offset {last:,})", page(last)),
            ("  same last page by keyset (id > last seen)", keyset),
            ("list_suppliers", lambda: list_suppliers(conn)),
            ("list_reports newest 50", lambda: list_reports(conn, limit=PAGE)),
            ("list_reports one supplier", lambda: list_reports(conn, supplier_id=2, limit=PAGE)),
            ("list_reports failed", lambda: list_reports(conn, status="failed", limit=PAGE)),
        ]
        for label, job in jobs:
            p50, p95 = await timed(calls, job)
            rows.append((label, p50, p95))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--suppliers", type=int, default=50)
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--rejections", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    with bench_database("import_reports") as (url, _):
        migrate.migrate(url)
        report = asyncio.run(seed(url, args.suppliers, args.reports, args.rejections))
        rows = asyncio.run(measure(url, report, args.calls))
    print(
        f"{args.suppliers} suppliers x {args.reports} reports; one report with "
        f"{args.rejections:,} rows noted; {args.calls} calls each"
    )
    print(f"{'':52} {'p50 ms':>8} {'p95 ms':>8}")
    for label, p50, p95 in rows:
        print(f"{label:52} {p50:8.2f} {p95:8.2f}")


if __name__ == "__main__":
    main()
