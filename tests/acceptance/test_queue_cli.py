"""`automechanica queue` and `automechanica worker` as an operator runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from tests.integration.queue_fixtures import EFFECTS_TABLE

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "automechanica"]


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMECHANICA_")}
    return env | {"AUTOMECHANICA_DATABASE_URL": url, "COLUMNS": "200"}


def cli(url: str, *args: str, ok: bool = True) -> str:
    done = subprocess.run(
        [*CLI, *args], env=_env(url), cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode == 0) is ok, done.stdout + done.stderr
    return done.stdout + done.stderr


def _nice(pid: int) -> int:
    """A process's nice value (field 19 of /proc/PID/stat, after the command's brackets)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


def one(url: str, sql: str) -> object:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_an_operator_runs_a_worker_and_handles_a_dead_letter(db_url: str, tmp_path: Path) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(EFFECTS_TABLE)
        conn.execute(
            "INSERT INTO tasks (kind, payload) VALUES ('test.effect', %s)", [Jsonb({"sleep": 60})]
        )
    out = cli(db_url, "queue", "enqueue", "test.poison_raise", '{"n": 7}', "--max-attempts", "2")
    poison = int(out.split()[1])
    stats = json.loads(cli(db_url, "queue", "stats", "--json"))
    assert stats["counts"]["pending"] == 2

    log = tmp_path / "worker.log"
    with log.open("w") as sink:
        worker = subprocess.Popen(
            [*CLI, "worker", "--tasks", "tests.integration.queue_fixtures", "--concurrency", "4",
             "--kinds", "test.effect,test.poison_raise", "--grace-seconds", "0.5",
             "--nice", "5"],
            env=_env(db_url), cwd=REPO, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 120
    while one(db_url, f"SELECT status FROM tasks WHERE id = {poison}") != "dead":
        assert time.monotonic() < deadline and worker.poll() is None, log.read_text()
        time.sleep(0.2)
    assert _nice(worker.pid) == os.nice(0) + 5  # below the API it may share a machine with
    worker.send_signal(signal.SIGTERM)  # the sleeping task is cut short and released
    assert worker.wait(timeout=60) == 0, log.read_text()
    assert "Stopped:" in log.read_text()
    assert one(
        db_url, "SELECT status || '/' || attempts FROM tasks WHERE kind = 'test.effect'"
    ) == ("pending/0")

    listed = cli(db_url, "queue", "dead", "list")
    assert str(poison) in listed and "RuntimeError: poison" in listed
    shown = cli(db_url, "queue", "dead", "show", str(poison))
    assert "last_traceback" in shown and "poison (attempt 2)" in shown
    assert "Name task ids" in cli(db_url, "queue", "dead", "replay", ok=False)
    assert f"Replayed 1 task(s): {poison}" in cli(db_url, "queue", "dead", "replay", str(poison))
    assert "Cancelled 1 task(s)" in cli(db_url, "queue", "cancel", "--kind", "test.effect")
    assert f"Cancelled 1 task(s): {poison}" in cli(db_url, "queue", "cancel", str(poison))
    assert one(db_url, "SELECT count(*) FROM tasks") == 0
    assert "No task 424242" in cli(db_url, "queue", "show", "424242", ok=False)
