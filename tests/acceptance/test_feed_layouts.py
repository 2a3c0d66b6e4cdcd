"""A new supplier's file in an unfamiliar layout, one row per vehicle, imported through
the real CLI: the unsure layout is refused with nothing stored, accepted, imported, and
its parts are found with all their vehicles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from automechanica.catalog.vehicles import demo_vehicle_configs

CLI = [sys.executable, "-m", "automechanica"]
HEADER = "StockCode,MfrName,MfrPartNo,PartCategory,Year,Make,Model,PriceLevel1,PriceLevel2\n"
VINS_PER_TYPE = 40


def _feed() -> tuple[str, set[tuple[int, str, str]]]:
    """One row per vehicle, on three vehicles the demo store has (same seed and size)."""
    configs = demo_vehicle_configs(vins_per_type=VINS_PER_TYPE)
    vehicles = sorted({(c.year, c.make, c.model) for c in configs})
    chosen = [vehicles[0], vehicles[len(vehicles) // 2], vehicles[-1]]
    rows = [
        f"NW-1,Moog,K750012,Control Arm,{y},{make},{model},45.00,61.00\n"
        for y, make, model in chosen
    ]
    rows.insert(1, "NW-2,Wagner,ZD1212,Brake Pads,{},{},{},29.10,38.00\n".format(*chosen[0]))
    return HEADER + "".join(rows), set(chosen)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("store")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMECHANICA_")}
    environ |= {
        "AUTOMECHANICA_DATA_DIR": str(data),
        "AUTOMECHANICA_DEMO_PARTS": "300",
        "AUTOMECHANICA_DEMO_VINS_PER_TYPE": str(VINS_PER_TYPE),
    }
    return environ


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=600)


def test_unfamiliar_layout_one_row_per_vehicle(env: dict[str, str], tmp_path: Path) -> None:
    migrated = run(env, "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    loaded = run(env, "demo", "load")
    assert loaded.returncode == 0, loaded.stderr
    feed = tmp_path / "newco.csv"
    text, vehicles = _feed()
    feed.write_text(text, encoding="utf-8")

    refused = run(env, "feeds", "import", str(feed), "--supplier", "newco", "--json")
    assert refused.returncode == 1, refused.stderr
    proposal = json.loads(refused.stdout)
    assert proposal["status"] == "needs_confirmation" and proposal["stored"] is False
    assert "cost" in proposal["layout"]["unsure_fields"]
    assert proposal["layout"]["fields"]["cost"]["source"] == "PriceLevel1"
    assert any("profile accept newco" in c for c in proposal["confirm_with"])

    accepted = run(env, "feeds", "profile", "accept", "newco")
    assert accepted.returncode == 0, accepted.stderr
    imported = run(env, "feeds", "import", str(feed), "--supplier", "newco", "--json")
    assert imported.returncode == 0, imported.stderr
    summary = json.loads(imported.stdout)
    assert (summary["offers"], summary["rows_rejected"]) == (2, 0)
    assert "supplier profile" in summary["layout_reason"]
    assert summary["fitments"] >= len(vehicles) + 1, summary["warning_list"]
    assert not [w for w in summary["warning_list"] if "already appeared" in w["reason"]]

    shown = run(env, "feeds", "profile", "show", "newco", "--json")
    assert json.loads(shown.stdout)["mapping"]["year"] == "Year"
    report = run(env, "feeds", "report", str(summary["report_id"]), "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["layout_reason"] == summary["layout_reason"]

    broken = tmp_path / "broken.xml"
    broken.write_text("<PIES><Items><Item><PartNumber>1</PartNumber>", encoding="utf-8")
    failed = run(env, "feeds", "import", str(broken), "--supplier", "newco", "--json")
    assert failed.returncode == 1
    document = json.loads(failed.stdout)
    assert document["status"] == "failed" and "cut short" in document["error"]


def test_an_unsure_layout_waits_in_review_and_approving_it_finishes_the_import(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "db", "migrate").returncode == 0
    feed = tmp_path / "otherco.csv"
    feed.write_text(_feed()[0], encoding="utf-8")
    held = run(env, "feeds", "import", str(feed), "--supplier", "otherco", "--json")
    assert held.returncode == 1, held.stderr
    proposal = json.loads(held.stdout)
    assert proposal["status"] == "needs_confirmation" and proposal["stored"] is False
    review = proposal["review"]
    assert f"automechanica reviews approve {review}" in proposal["confirm_with"]
    queue = json.loads(run(env, "reviews", "list", "--json").stdout)
    assert review in [r["id"] for r in queue]

    approved = run(env, "reviews", "approve", str(review), "--as", "ops@example.com")
    assert approved.returncode == 0, approved.stderr
    assert "is completed" in " ".join(approved.stdout.split()), approved.stdout
    shown = json.loads(run(env, "workflow", "show", proposal["workflow_id"], "--json").stdout)
    assert shown["status"] == "completed"
    assert shown["output"]["import"]["offers"] == 2
    assert [s["step_key"] for s in shown["steps"]] == [
        "map_layout",
        "normalize",
        "import",
        "fitment_text",
        "product_data",
        "fitment_review",
        "fitment",
        "seo",
        "interchange",
    ]
    decided = [e for e in shown["events"] if e["agent"] == "person:ops@example.com"]
    assert decided and decided[0]["decision_type"] == "review.feed.layout_mapping"
    # The person's mapping is remembered: the next file from this supplier goes straight in.
    again = run(env, "feeds", "import", str(feed), "--supplier", "otherco", "--json")
    assert again.returncode == 0, again.stdout
    assert "supplier profile" in json.loads(again.stdout)["layout_reason"]


def test_a_row_held_for_its_unknown_brand_comes_in_once_a_person_decides(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run(env, "db", "migrate").returncode == 0
    feed = tmp_path / "brandco.csv"
    feed.write_text(
        "sku,brand,mpn,part_type,title,cost\n"
        "B-1,Wagner,ZD4411,Brake Pads,Wagner ceramic brake pads,21.00\n"
        "B-2,Quorvex,QX-77,Wiper Blade,Quorvex 22 inch beam wiper blade,6.50\n",
        encoding="utf-8",
    )
    first = run(env, "feeds", "import", str(feed), "--supplier", "brandco", "--json")
    document = json.loads(first.stdout)
    assert document["status"] == "completed", first.stdout
    assert document["rows_rejected"] == 1, document  # Quorvex: a brand nobody has decided
    queue = json.loads(run(env, "reviews", "list", "--json").stdout)
    (held,) = [r for r in queue if r["subject_id"] == "Quorvex"]

    decided = run(
        env,
        "reviews",
        "edit",
        str(held["id"]),
        "--value",
        json.dumps({"action": "new_brand", "brand": "Quorvex"}),
        "--as",
        "ops@example.com",
    )
    assert decided.returncode == 0, decided.stderr
    said = " ".join(decided.stdout.split())
    assert "onboarded again" in said and "is completed" in said, said
    rerun = said.split("Workflow ", 1)[1].split()[0]
    shown = json.loads(run(env, "workflow", "show", rerun, "--json").stdout)
    assert shown["input"]["reimport_of"] == document["workflow_id"]
    imported = shown["output"]["import"]
    # The Quorvex row, refused the first time, is stored now; Wagner's is unchanged.
    assert imported["rows_rejected"] == 0 and imported["offers"] >= 1, imported
