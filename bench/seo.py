"""What crawlable pages cost over the plain app, and how fast SEO text is built.

    .venv/bin/python -m bench.seo [--parts 2000] [--calls 200] [--rounds 2]
        [--vins-per-type 60]

Builds the demo store (`--parts` parts from the demo feeds, priced at cost plus 35%),
runs `seo_build` over every part in this process (parts/s, template wording: no
model), then serves `create_app` in a uvicorn process on loopback with a small built
app (index.html), and times one client calling one request after another
(`--calls` each, in rounds that alternate order so drift cancels):
  - baseline: GET /garage, the app's index.html as it is (FileResponse);
  - GET /parts/{id} with the head written in (the part fitting the most vehicles);
  - GET /vehicles/{year}/{make}/{model} (the vehicle with the most fitting parts);
  - GET /api/landing/... (the same page's JSON), /sitemap.xml, /sitemaps/parts-1.xml.
p50/p99 of each, in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from automechanica.catalog.seo_facts import vehicle_slug
from automechanica.cli.seo import run_build
from automechanica.config import Settings
from bench._setup import bench_database, percentile, serve_bench_module
from bench.mcp import load_store

INDEX = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="description" content="AutoMechanica: auto parts that fit your vehicle." />
    <title>AutoMechanica parts store</title>
    <script type="module" crossorigin src="/assets/index-abc.js"></script>
  </head>
  <body><div id="root"></div></body>
</html>
"""
BUSIEST_PART = """
SELECT part_id FROM fitments WHERE status = 'published' AND confidence >= 0.8
GROUP BY part_id ORDER BY count(DISTINCT base_vehicle_id) DESC, part_id LIMIT 1
"""
BUSIEST_VEHICLE = """
SELECT bv.year, ma.name, mo.name FROM base_vehicles bv
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
JOIN fitments f ON f.base_vehicle_id = bv.id
WHERE f.status = 'published' AND f.confidence >= 0.8
GROUP BY bv.id, ma.name, mo.name ORDER BY count(DISTINCT f.part_id) DESC, bv.id LIMIT 1
"""


def _serve(port: int, dist: str) -> None:
    """Child process: the app on `port` with the small build in `dist`."""
    import uvicorn

    from automechanica.api.app import create_app
    from automechanica.api.web import mount_web

    app = create_app(os.environ["AUTOMECHANICA_DATABASE_URL"], secret_key="b" * 64)
    app.router.routes.pop()  # the source tree's build: use the bench's own
    mount_web(app, Path(dist))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def serve(url: str, dist: Path) -> tuple[subprocess.Popen[bytes], str]:
    return serve_bench_module("bench.seo", url, "--dist", str(dist))


def compare(base: str, paths: dict[str, str], calls: int, rounds: int) -> None:
    results: dict[str, list[float]] = {}
    with httpx.Client(base_url=base) as client:

        def timed(path: str, n: int) -> list[float]:
            out = []
            for _ in range(n):
                start = time.perf_counter()
                r = client.get(path)
                out.append((time.perf_counter() - start) * 1000)
                assert r.status_code == 200, (path, r.status_code)
            return out

        for path in paths.values():  # warm up
            timed(path, 20)
        for r in range(rounds):
            order = list(paths.items()) if r % 2 == 0 else list(paths.items())[::-1]
            for label, path in order:
                results.setdefault(label, []).extend(timed(path, calls))
    print(f"\n{'one client, one request after another':44}{'p50 ms':>9}{'p99':>9}")
    for label, values in results.items():
        print(f"{label:44}{percentile(values, 50):9.2f}{percentile(values, 99):9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--parts", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--vins-per-type", type=int, default=60)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--dist", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.port, args.dist)
        return
    with bench_database("seo") as (url, work), tempfile.TemporaryDirectory() as dist:
        load_store(url, work, args.parts, args.vins_per_type)
        start = time.perf_counter()
        counts = asyncio.run(run_build(url, Settings(database_url=url), quiet=True))
        took = time.perf_counter() - start
        built = sum(counts.values())
        print(f"seo_build: {counts} in {took:.2f} s ({built / took:,.0f} parts/s, templates)")
        with psycopg.connect(url) as conn:
            (part,) = conn.execute(BUSIEST_PART).fetchone() or (None,)
            year, make, model = conn.execute(BUSIEST_VEHICLE).fetchone() or (0, "", "")
        Path(dist, "index.html").write_text(INDEX)
        landing = f"{year}/{vehicle_slug(make)}/{vehicle_slug(model)}"
        paths = {
            "baseline: GET /garage (index.html as is)": "/garage",
            f"GET /parts/{part} (head written in)": f"/parts/{part}",
            f"GET /vehicles/{landing}": f"/vehicles/{landing}",
            "GET /api/landing/... (JSON)": f"/api/landing/{landing}",
            "GET /sitemap.xml": "/sitemap.xml",
            "GET /sitemaps/parts-1.xml": "/sitemaps/parts-1.xml",
        }
        proc, base = serve(url, Path(dist))
        try:
            print(
                f"{args.parts} parts; {args.calls} calls per run, {args.rounds} rounds, "
                "one uvicorn worker"
            )
            compare(base, paths, args.calls, args.rounds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
