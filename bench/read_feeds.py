"""The CSV feed reader against a bare `csv.reader` pass over the same file.

    .venv/bin/python -m bench.read_feeds [--rows 200000] [--repeat 5]

The import must reach 25% of PostgreSQL COPY (~250,000 rows/s), so the reader
alone needs at least 100,000 rows/s. The baseline is the floor Python's csv
module sets: it reads the file and does nothing per row. Both are timed
`--repeat` times, alternately, in this run; the best time of each is reported
(other work on the machine only ever slows a run down).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from automechanica.catalog.feeds.csv_feed import read_csv
from automechanica.catalog.feeds.generator import write_large_csv
from automechanica.catalog.feeds.records import Rejection
from automechanica.catalog.vehicles import demo_vehicle_configs


def bare_csv(path: Path) -> int:
    """Rows `csv.reader` yields after the header, doing nothing with them."""
    count = 0
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        next(reader)
        for _ in reader:
            count += 1
    return count


def feed_reader(path: Path) -> int:
    """Items `read_csv` yields (offers and rejections), each consumed."""
    count = 0
    for _ in read_csv(path):
        count += 1
    return count


def timed(run: Callable[[Path], int], path: Path) -> tuple[float, int]:
    """(seconds, what `run` counted)."""
    started = time.perf_counter()
    count = run(path)
    return time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-read-feeds-") as scratch:
        path = Path(scratch) / "large.csv"
        started = time.perf_counter()
        write_large_csv(path, args.rows, vehicles=demo_vehicle_configs(vins_per_type=60))
        print(
            f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        base_times: list[float] = []
        our_times: list[float] = []
        rows = items = 0
        for _ in range(args.repeat):
            seconds, rows = timed(bare_csv, path)
            base_times.append(seconds)
            seconds, items = timed(feed_reader, path)
            our_times.append(seconds)
        rejected = sum(isinstance(item, Rejection) for item in read_csv(path))
    print(f"{'':24}{'best s':>9}{'rows/s':>11}{'median rows/s':>15}")
    for name, times in (("csv.reader (baseline)", base_times), ("read_csv (ours)", our_times)):
        best, median = min(times), statistics.median(times)
        print(f"{name:24}{best:9.2f}{rows / best:11,.0f}{rows / median:15,.0f}")
    ratio = min(base_times) / min(our_times)
    print(f"ratio ours/baseline: {ratio:.1%}; target: read_csv >= 100,000 rows/s")
    print(f"items: {items:,} ({rejected:,} rejections) for {rows:,} rows")


if __name__ == "__main__":
    main()
