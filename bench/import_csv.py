"""Import of a generated CSV feed against PostgreSQL COPY of the same file.

    .venv/bin/python -m bench.import_csv [--rows 1000000]

Baseline: COPY of the file into an unindexed staging table of text columns, in the
same run and on the same server. Ours: the real CLI (`automechanica feeds import`)
in a subprocess, whose peak RSS is read from the kernel when it exits.
Targets (issue 2): at least 25% of the COPY rate, peak RSS under 300 MB.
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
    copy_rate, our_rate = args.rows / copy_s, args.rows / ours_s
    print(f"{'':24}{'seconds':>10}{'rows/s':>12}")
    print(f"{'COPY (baseline)':24}{copy_s:10.1f}{copy_rate:12,.0f}")
    print(f"{'feeds import (ours)':24}{ours_s:10.1f}{our_rate:12,.0f}")
    print(f"ratio ours/COPY: {our_rate / copy_rate:.1%} (target >= 25%)")
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
