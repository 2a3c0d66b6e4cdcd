"""kill -9 a worker mid-fulfillment: exactly one purchase order per supplier, one file each.

Twelve paid orders, each with a line from three suppliers, run `order_fulfillment` on
real `automechanica worker` processes. The test holds a row lock on every order's
third line, so each `write_purchase_orders` step writes the first two suppliers'
purchase orders and files and then waits inside its transaction; with the workers
stuck there, the one holding the most step tasks is killed with SIGKILL, a fresh
worker started, and the lock let go. Every order must end routed with exactly three
purchase orders (one per supplier) and three files — the killed worker's half-done
transactions left nothing behind, and the files it wrote were replaced, not added to.
The test also asserts that the kill happened where it meant to: the victim held
write steps, and at least one of them ran again.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from automechanica.orchestrator import start_workflow
from automechanica.orchestrator.workflows.fulfillment import ORDER_FULFILLMENT
from tests.acceptance.test_workflow_crash import HOST, query, wait_for
from tests.integration import order_fixtures as store

REPO = Path(__file__).resolve().parents[2]
ORDERS = 12
WORKER = [
    sys.executable, "-m", "automechanica", "worker",
    "--tasks", "tests.integration.workflow_fixtures", "--kinds", "workflow.step",
    "--concurrency", "10", "--lease-seconds", "3", "--rescue-seconds", "0.5",
    "--poll-seconds", "0.2", "--grace-seconds", "2", "--no-scheduler", "--log-level", "WARNING",
]  # fmt: skip


@pytest.fixture
def say(capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    """Print through pytest's capture: the counts show in every run."""

    def emit(line: str) -> None:
        with capsys.disabled():
            print(f"\n    {line}", end="", flush=True)

    return emit


def _setup(url: str) -> list[int]:
    async def work() -> list[int]:
        async with await psycopg.AsyncConnection.connect(
            url, autocommit=True, row_factory=dict_row
        ) as conn:
            parts = []
            for n, (name, fmt) in enumerate([("acme", "csv"), ("bolt", "json"), ("crux", "csv")]):
                supplier = await store.supplier(conn, name, fmt)
                part = await store.part(conn, f"AL-{n}")
                await store.offer(conn, supplier, part, {"main": 100}, core="30.00")
                parts.append(part)
            orders = []
            for n in range(ORDERS):
                placed = await store.order(
                    conn, [(p, 1, "150.00", "30.00") for p in parts], email=f"b{n}@example.com"
                )
                orders.append(placed["id"])
            for order_id in orders:
                await start_workflow(conn, ORDER_FULFILLMENT, {"order_id": order_id},
                                     idempotency_key=f"order_fulfillment:{order_id}")  # fmt: skip
            return orders

    return asyncio.run(work())


def _leases(url: str, procs: list[subprocess.Popen[bytes]]) -> dict[int, list[int]]:
    rows = dict(
        query(
            url,
            "SELECT leased_by, array_agg(id) FROM tasks WHERE status IN ('leased', 'running')"
            " AND kind = 'workflow.step' AND payload->>'step' = 'write_purchase_orders'"
            " GROUP BY leased_by",
        )
    )
    return {p.pid: rows[f"{HOST}:{p.pid}"] for p in procs if f"{HOST}:{p.pid}" in rows}


def test_kill_9_mid_fulfillment_leaves_one_purchase_order_per_supplier(
    db_url: str, tmp_path: Path, say: Callable[[str], None]
) -> None:
    orders = _setup(db_url)
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMECHANICA_")}
    env |= {"AUTOMECHANICA_DATABASE_URL": db_url, "AUTOMECHANICA_DATA_DIR": str(data_dir)}
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        log = tmp_path / f"worker-{len(procs)}"
        with log.with_suffix(".out").open("wb") as out, log.with_suffix(".err").open("wb") as err:
            procs.append(subprocess.Popen(WORKER, env=env, cwd=REPO, stdout=out, stderr=err))

    lock = psycopg.connect(db_url)
    try:
        lock.execute(  # the third supplier's lines: each write step stops there
            "SELECT id FROM order_lines WHERE part_id = (SELECT max(part_id) FROM order_lines)"
            " FOR UPDATE"
        )
        start()
        start()
        # Every order's step is inside its transaction, two files written, waiting.
        wait_for(lambda: len(list(data_dir.rglob("*.*"))) >= 2 * ORDERS, 60)
        held: dict[int, list[int]] = {}
        wait_for(lambda: bool(held.update(_leases(db_url, procs)) or held), 30)
        pid = max(held, key=lambda p: len(held[p]))
        victim = next(p for p in procs if p.pid == pid)
        victim.kill()
        victim.wait()
        start()
        files_at_kill = len(list(data_dir.rglob("*.*")))
    finally:
        lock.rollback()
        lock.close()
    try:
        wait_for(
            lambda: (
                query(db_url, "SELECT count(*) FROM workflows WHERE status = 'completed'")
                == [(ORDERS,)]
            ),
            120,
        )
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)

    ((pos, po_lines, per_pair, cores, routed, statuses),) = query(
        db_url,
        """SELECT (SELECT count(*) FROM purchase_orders),
                  (SELECT count(*) FROM purchase_order_lines),
                  (SELECT max(n) FROM (SELECT count(*) n FROM purchase_orders
                                       GROUP BY order_id, supplier_id) x),
                  (SELECT count(*) FROM core_returns),
                  (SELECT count(*) FROM order_status_history WHERE status = 'routed'),
                  (SELECT array_agg(DISTINCT status) FROM orders)""",
    )
    files = sorted(p for p in data_dir.rglob("*") if p.is_file())
    recorded = {r[0] for r in query(db_url, "SELECT file_path FROM purchase_orders")}
    attempts = dict(query(db_url, "SELECT id, attempts FROM tasks WHERE kind = 'workflow.step'"))
    again = [t for t in held[pid] if attempts.get(t, 0) > 1]
    say(
        f"{ORDERS} orders x 3 suppliers; killed worker {pid} holding {len(held[pid])} write "
        f"steps with {files_at_kill} files on disk; {len(again)} of its steps ran again; "
        f"{pos} purchase orders, {po_lines} lines, {len(files)} files, {cores} core returns"
    )
    assert held[pid] and again, "the kill hit no write step that ran again"
    assert (pos, po_lines, per_pair) == (3 * ORDERS, 3 * ORDERS, 1)
    assert (cores, routed, statuses) == (3 * ORDERS, ORDERS, ["routed"])
    assert len(files) == 3 * ORDERS and {str(f) for f in files} == recorded
    assert not [f for f in files if f.name.endswith(".tmp")]
    assert sorted(orders) == sorted(r[0] for r in query(db_url, "SELECT id FROM orders"))
