"""Run every benchmark in turn (`make bench`); each prints its own figures and baseline.

Benchmarks run as modules (`python -m bench.NAME`) so that `bench/queue.py` never
shadows the standard library's `queue` for the others.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = (
    "read_feeds",
    "import_csv",
    "fitment_query",
    "queue",
    "router",
    "memory",
    "api_security",
    "onboarding",
    "vehicles",
    "search",
    "commerce",
    "mcp",
    "seo",
    "fitment_editor",
    "events_search",
    "import_reports",
)


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=ROOT).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
