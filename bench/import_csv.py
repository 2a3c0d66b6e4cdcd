"""Import of a generated CSV feed against PostgreSQL COPY of the same file.

    .venv/bin/python -m bench.import_csv [--rows 1000000]

Baseline: COPY of the file into an unindexed staging table of text columns, in the
same run and on the same server. Ours: the real CLI (`automechanica feeds import`)
in a subprocess, whose peak RSS is read from the kernel when it exits.
Targets (issue 2): at least 25% of the COPY rate, peak RSS under 300 MB.

A second baseline says what part of the gap is the database's own floor: COPY
of the offer rows the import wrote (one per feed row) into an empty copy of
`supplier_parts` with its indexes and foreign keys, the least any importer
pays to store them, before parts, fitments and dedupe.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

from automechanica.catalog.feeds.generator import write_large_csv
from bench._setup import bench_database, prepare_catalog


def copy_baseline(url: str, path: Path) -> float:
    """Seconds to COPY the file into an unindexed table of text columns."""
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in header)
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS copy_baseline")
        conn.execute(sql.SQL("CREATE TABLE copy_baseline ({})").format(columns))
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY copy_baseline FROM STDIN (FORMAT csv, HEADER)") as copy,
            path.open("rb") as source,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE copy_baseline")
        conn.commit()
    return elapsed


def offer_floor(url: str, work: Path) -> tuple[float, int]:
    """(seconds, rows) to COPY the stored offers into an empty, indexed, keyed copy."""
    dump = work / "offers.copy"
    with psycopg.connect(url, autocommit=True) as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'supplier_parts'::regclass"
                " AND attnum > 0 AND NOT attisdropped AND attidentity = '' ORDER BY attnum"
            )
        ]
        listed = sql.SQL(", ").join(map(sql.Identifier, columns))
        with (
            dump.open("wb") as out,
            conn.cursor().copy(
                sql.SQL("COPY supplier_parts ({}) TO STDOUT").format(listed)
            ) as copy,
        ):
            for chunk in copy:
                out.write(chunk)
        conn.execute("DROP TABLE IF EXISTS floor_offers")
        conn.execute("CREATE TABLE floor_offers (LIKE supplier_parts INCLUDING ALL)")
        conn.execute(
            "ALTER TABLE floor_offers ADD FOREIGN KEY (supplier_id) REFERENCES suppliers (id),"
            " ADD FOREIGN KEY (part_id) REFERENCES parts (id)"
        )
        started = time.perf_counter()
        with (
            conn.transaction(),
            conn.cursor().copy(sql.SQL("COPY floor_offers ({}) FROM STDIN").format(listed)) as copy,
            dump.open("rb") as source,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        rows = conn.execute("SELECT count(*) FROM floor_offers").fetchone()
        conn.execute("DROP TABLE floor_offers")
    dump.unlink()
    return elapsed, rows[0] if rows else 0


def our_import(url: str, path: Path) -> tuple[float, float, dict[str, object]]:
    """(seconds, peak RSS in MB, summary) of the real CLI importing the file."""
    env = os.environ | {"AUTOMECHANICA_DATABASE_URL": url}
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "automechanica",
            "feeds",
            "import",
            str(path),
            "--supplier",
            "bench",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"import failed:\n{result.stderr}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, peak_mb, json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with bench_database("bench_import") as (url, work):
        vehicles = prepare_catalog(url)
        path = work / "large.csv"
        started = time.perf_counter()
        write_large_csv(path, args.rows, vehicles=vehicles)
        print(
            f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        copy_s = copy_baseline(url, path)
        ours_s, peak_mb, summary = our_import(url, path)
        floor_s, floor_rows = offer_floor(url, work)
    copy_rate, our_rate = args.rows / copy_s, args.rows / ours_s
    floor_rate = floor_rows / floor_s
    print(f"{'':34}{'seconds':>10}{'rows/s':>12}")
    print(f"{'COPY into a text table (baseline)':34}{copy_s:10.1f}{copy_rate:12,.0f}")
    print(f"{'COPY of the offers alone (floor)':34}{floor_s:10.1f}{floor_rate:12,.0f}")
    print(f"{'feeds import (ours)':34}{ours_s:10.1f}{our_rate:12,.0f}")
    print(f"ratio ours/COPY: {our_rate / copy_rate:.1%} (target >= 25%)")
    print(f"ratio ours/offer floor: {our_rate / floor_rate:.1%}")
    print(f"peak RSS of the import process: {peak_mb:.0f} MB (target < 300 MB)")
    keys = (
        "rows_read",
        "parts_created",
        "parts_merged",
        "offers",
        "fitments",
        "rows_rejected",
        "warnings",
    )
    print("summary: " + ", ".join(f"{k}={summary[k]:,}" for k in keys))  # type: ignore[str-format]


if __name__ == "__main__":
    main()
