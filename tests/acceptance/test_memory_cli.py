"""`automechanica docs ingest`, `automechanica worker --kinds embedding` and
`automechanica memory status|search` as an operator runs them."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import psycopg

from tests.acceptance.test_queue_cli import CLI, REPO, _env, cli, one


def test_ingest_embed_and_search_a_supplier_document(db_url: str, tmp_path: Path) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO suppliers (name, display_name) VALUES ('atlas', 'Atlas')")
        conn.execute(
            "INSERT INTO memory_items (namespace, content) VALUES ('notes', 'wipers streak')"
        )
    policy = tmp_path / "shipping.md"
    policy.write_text(
        "# Shipping\n\nOrders placed before 3 pm ship the same day.\n\n"
        "Hazardous items such as batteries ship by ground only.\n",
        encoding="utf-8",
    )
    assert "queued for embedding" in cli(
        db_url, "docs", "ingest", str(policy), "--supplier", "atlas"
    )
    assert "Already ingested" in cli(db_url, "docs", "ingest", str(policy), "--supplier", "atlas")
    assert "supplier 'nobody'" in cli(
        db_url, "docs", "ingest", str(policy), "--supplier", "nobody", ok=False
    )
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF")
    assert "unsupported file type" in cli(
        db_url, "docs", "ingest", str(bad), "--supplier", "atlas", ok=False
    )

    before = {s["kind"]: s for s in json.loads(cli(db_url, "memory", "status", "--json"))}
    assert before["document"]["pending"] == 1 and before["memory"]["pending"] == 1

    worker = subprocess.Popen(
        [*CLI, "worker", "--kinds", "embedding"], env=_env(db_url), cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while one(db_url, "SELECT count(*) FROM embedding_jobs WHERE status <> 'done'") != 0:
            assert time.monotonic() < deadline, "the embedding worker did not drain the jobs"
            time.sleep(0.2)
        # A row written while the worker idles is picked up (NOTIFY, or the poll).
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO memory_items (namespace, content) VALUES ('notes', 'pads squeal')"
            )
        while one(db_url, "SELECT count(*) FROM memory_embeddings") != 2:
            assert time.monotonic() < deadline, "a new row was not embedded"
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert "Stopped:" in output

    after = {s["kind"]: s for s in json.loads(cli(db_url, "memory", "status", "--json"))}
    assert after["document"]["done"] == 1 and after["document"]["backlog"] == 0
    assert list(after["memory"]["vectors"].values()) == [2]
    found = cli(db_url, "memory", "search", "documents", "are batteries shipped by air?", "-k", "1")
    assert "batteries" in found
