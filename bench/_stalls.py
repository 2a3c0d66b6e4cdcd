"""Machine stalls: moments when this VM's CPUs run far below their usual speed.

The benchmark machine is a shared VM. An idle spin loop shows that, about every
1.5 s, both vCPUs slow to under a quarter of their speed for 50–150 ms, with no
descheduling the guest can see (the host is busy elsewhere). Any open-loop
latency percentile above about p95 lands in those windows whatever the code
under test does, so latency benchmarks run `StallProbe` beside the load and
report how much of the run was stalled, and their percentiles with and without
the requests that overlapped a stall.

The probe is a separate process that times a fixed ~100 µs unit of work every
2 ms by its *thread CPU time*: when another process of ours takes the core, the
unit's CPU time is unchanged (it is not running), but when the host slows the
vCPU, the guest still charges the wall time to the running thread and the unit
costs several times its median. It uses about 5% of one core.
"""

from __future__ import annotations

import json
import os
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: A unit slower than this many times the median CPU time marks a stall.
SLOWDOWN = 4.0
#: Stalled units closer than this (seconds) belong to one stall.
MERGE_GAP = 0.010
PERIOD = 0.002


def _unit(n: int = 2_000) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def _probe() -> None:
    """Child process: time units until stdin closes, then print the samples as JSON."""
    samples: list[tuple[float, float, float]] = []  # (start, wall s, cpu s)
    while not select.select([sys.stdin], [], [], PERIOD)[0]:
        started, cpu = time.perf_counter(), time.thread_time()
        _unit()
        samples.append((started, time.perf_counter() - started, time.thread_time() - cpu))
    print(json.dumps(samples))


@dataclass
class StallProbe:
    """`with StallProbe() as probe:` around a measurement; then `probe.windows`."""

    windows: list[tuple[float, float]] = field(default_factory=list)
    probed_seconds: float = 0.0
    _process: subprocess.Popen[str] | None = None

    def __enter__(self) -> StallProbe:
        root = str(Path(__file__).resolve().parents[1])
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from bench._stalls import _probe; _probe()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ | {"PYTHONPATH": root},
        )
        time.sleep(0.5)  # the child's interpreter start is not part of the run
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None
        out, _ = self._process.communicate("stop\n", timeout=30)  # closes stdin
        samples: list[tuple[float, float, float]] = [tuple(s) for s in json.loads(out)]
        self.windows = stall_windows(samples)
        if samples:
            self.probed_seconds = samples[-1][0] + samples[-1][1] - samples[0][0]

    @property
    def stalled_seconds(self) -> float:
        return sum(end - start for start, end in self.windows)

    def overlaps(self, start: float, end: float) -> bool:
        """Whether [start, end] (time.perf_counter seconds) touched a stall."""
        return any(s <= end and start <= e for s, e in self.windows)

    def summary(self) -> str:
        share = self.stalled_seconds / self.probed_seconds if self.probed_seconds else 0.0
        longest = max((e - s for s, e in self.windows), default=0.0)
        return (
            f"machine stalls (vCPU under 1/{SLOWDOWN:.0f} speed): {len(self.windows)} in "
            f"{self.probed_seconds:.0f} s, {share:.1%} of the time, longest {longest * 1000:.0f} ms"
        )


def stall_windows(samples: Sequence[tuple[float, float, float]]) -> list[tuple[float, float]]:
    """Merged (start, end) spans of the units whose CPU time was SLOWDOWN × the median."""
    if len(samples) < 10:
        return []
    median = statistics.median(cpu for _, _, cpu in samples)
    windows: list[tuple[float, float]] = []
    for started, wall, cpu in samples:
        if cpu <= SLOWDOWN * median:
            continue
        end = started + wall
        if windows and started - windows[-1][1] <= MERGE_GAP:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((started, end))
    return windows


if __name__ == "__main__":
    with StallProbe() as probe:
        time.sleep(15)
    print(probe.summary())
