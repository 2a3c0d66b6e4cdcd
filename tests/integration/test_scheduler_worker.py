"""`automechanica worker` runs the scheduler: two worker processes on one database,
a due nightly_analytics schedule, one firing and one report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from automechanica.orchestrator.scheduler import latest_due


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def test_two_workers_fire_a_due_schedule_once_and_its_workflow_runs(
    db_url: str, repo_root: Path, tmp_path: Path
) -> None:
    query(
        db_url,
        "INSERT INTO schedules (name, cron, workflow) VALUES"
        " ('nightly_analytics', '0 3 * * *', 'nightly_analytics')",
    )
    env = {**os.environ, "AUTOMECHANICA_DATABASE_URL": db_url}
    command = [sys.executable, "-m", "automechanica", "worker", "--schedule-seconds", "0.2"]
    logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
    files = [log.open("w") for log in logs]
    workers = [
        subprocess.Popen(command, cwd=repo_root, env=env, stdout=f, stderr=subprocess.STDOUT)
        for f in files
    ]
    try:
        deadline = time.monotonic() + 90  # a bound on waiting, not a timing assertion
        while time.monotonic() < deadline:
            (done,) = query(
                db_url,
                "SELECT count(*) FROM workflows WHERE kind = 'nightly_analytics'"
                " AND status = 'completed'",
            )
            if done[0]:
                break
            assert all(w.poll() is None for w in workers), [log.read_text() for log in logs]
            time.sleep(0.2)
        time.sleep(1)  # several more ticks of both schedulers in the same period
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
        for f in files:
            f.close()
    firings = query(db_url, "SELECT due_at FROM schedule_firings")
    assert len(firings) == 1, [log.read_text() for log in logs]
    (due,) = firings[0]
    assert due == latest_due("0 3 * * *", datetime.now(UTC))
    reports = query(db_url, "SELECT period_end FROM analytics_reports")
    assert [r[0] for r in reports] == [due.replace(hour=0)]
    started = query(db_url, "SELECT count(*) FROM workflows")
    assert started == [(1,)]
