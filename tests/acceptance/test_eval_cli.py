"""`automechanica eval part_types --json` as a person runs it: offline, no keys, no database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    # No AUTOMECHANICA_* settings: the router has only its offline provider.
    return {k: v for k, v in os.environ.items() if not k.startswith("AUTOMECHANICA_")}


def _eval(*args: str) -> subprocess.CompletedProcess[str]:
    """`automechanica eval ...`; `python -m automechanica.cli.eval` while the lead has not
    registered the command in the CLI yet."""
    done = subprocess.run(
        [sys.executable, "-m", "automechanica", "eval", *args],
        cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode == 2 and "No such command" in done.stderr:
        done = subprocess.run(
            [sys.executable, "-m", "automechanica.cli.eval", *args],
            cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    return done


def test_eval_part_types_json_offline() -> None:
    done = _eval("part_types", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    part_types = report["part_types"]
    assert set(part_types["files"]) >= {"dev", "holdout"}
    for name in ("dev", "holdout"):
        metrics = part_types["files"][name]
        assert metrics["rows"] >= 150
        assert metrics["accuracy"] >= 0.95
        assert metrics["precision"] >= 0.95
    assert part_types["total"]["rows"] >= 300


def test_eval_refuses_an_unknown_set() -> None:
    done = _eval("nonsense")
    assert done.returncode == 2
    assert "no eval set nonsense" in done.stderr


def test_eval_fitment_text_json_offline() -> None:
    """Free-text fitment as suppliers, marketplaces and restoration catalogs write it:
    at least 0.95 fully right on every file, and not one invented vehicle."""
    done = _eval("fitment_text", "--json", "--no-vectors", "--no-model")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["fitment_text"]
    assert report["cases"] >= 300
    for name, metrics in report["files"].items():
        assert metrics["accuracy"] >= 0.95, (name, metrics, report["wrong"][:5])
    assert report["invented_count"] == 0, report["invented"]


def test_eval_fitment_text_as_a_table() -> None:
    """Without --json the same figures come as a table (this once ended in a KeyError)."""
    done = _eval("fitment_text", "--no-vectors", "--no-model")
    assert done.returncode == 0, done.stderr
    assert "holdout" in done.stdout and "total" in done.stdout
    assert "invented count: 0" in done.stdout


def test_eval_layouts_as_a_table() -> None:
    """The layouts set reports in its own shape (`files` is a count, not a table of
    files); printed without --json it once ended in an AttributeError."""
    done = _eval("layouts")
    assert done.returncode == 0, done.stderr
    assert '"accuracy"' in done.stdout and '"passed": true' in done.stdout


def test_eval_fitment_conflicts_json_offline() -> None:
    done = _eval("fitment_conflicts", "--json", "--no-vectors", "--no-model")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["fitment_conflicts"]
    assert report["cases"] >= 20
    assert report["accuracy"] >= 0.95, report["wrong"]
