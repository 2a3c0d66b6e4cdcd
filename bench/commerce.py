"""Issue 13's figures in one run: checkout to purchase order, pricing refresh, support.

    .venv/bin/python -m bench.commerce [--quick]

Runs, one after the other so they do not share the machine's two cores:
  - bench.commerce_checkout: checkout completion through the HTTP API at 50 orders/s
    beside a cart read in the same run (target: p99 under 100 ms);
  - bench.commerce_pricing: a pricing refresh of 100,000 parts beside a bare UPDATE of
    the same rows (target: under 60 s);
  - bench.commerce_support: the support chat's time to first token offline, beside the
    health endpoint and a fit check (target: under 300 ms), and with the real small
    model when `make test-llm`'s server is there.
Each prints its own figures and baseline; `--quick` runs smaller versions (a tenth of
the parts, shorter rounds) to check the scripts themselves.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FULL = {
    "commerce_checkout": [],
    "commerce_pricing": ["--parts", "100000"],
    "commerce_support": [],
}
QUICK = {
    "commerce_checkout": ["--seconds", "3", "--rounds", "1", "--closed-seconds", "2"],
    "commerce_pricing": ["--parts", "10000"],
    "commerce_support": ["--rounds", "5", "--model-rounds", "1"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    args = parser.parse_args()
    failed = []
    for name, extra in (QUICK if args.quick else FULL).items():
        print(f"\n=== {name} ===", flush=True)
        done = subprocess.run([sys.executable, "-m", f"bench.{name}", *extra], cwd=ROOT)
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
