"""Pricing as an operator meets it: `automechanica prices …` and the console endpoint,
and the demo's generated competitor feed pricing a store."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.rows import dict_row
from typer.testing import CliRunner

from automechanica.accounts import Role
from automechanica.cli import app
from automechanica.commerce.competitors import (
    import_competitor_prices,
    write_demo_competitor_feed,
)
from automechanica.orchestrator.services import Services
from tests.integration.conftest import Account
from tests.integration.test_pricing import FEED, _refresh, _seed, competitor_feed

#: Stored prices under MAP (the highest) or under cost + 15% (the cheapest offer in
#: stock, else the cheapest): written here apart from the pricing code.
GUARDRAIL_BREACHES = """
WITH offers AS (
    SELECT part_id, max(map_price) AS map_price,
           coalesce(min(cost) FILTER (WHERE stock_total > 0), min(cost)) AS cost
    FROM supplier_parts GROUP BY part_id
)
SELECT count(p.price) AS priced,
       count(*) FILTER (WHERE p.price < o.map_price OR p.price < o.cost * 1.15) AS breaches
FROM parts p JOIN offers o ON o.part_id = p.id
"""
KEYS = (
    "AUTOMECHANICA_OPENAI_API_KEY",
    "AUTOMECHANICA_ANTHROPIC_API_KEY",
    "AUTOMECHANICA_OLLAMA_BASE_URL",
    "AUTOMECHANICA_LLM_MODELS_FILE",
)


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AUTOMECHANICA_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "250")
    return db_url


def _part_id(db_url: str, mpn: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT id FROM parts WHERE mpn_normalized = %s", (mpn,)).fetchone()
    assert row is not None
    return int(row[0])


def test_import_refresh_and_show_from_the_command_line(cli_env: str, tmp_path: Path) -> None:
    asyncio.run(_seed(cli_env, tmp_path))
    runner = CliRunner()
    feed = competitor_feed(tmp_path, FEED)
    imported = runner.invoke(app, ["prices", "import-competitors", str(feed)])
    assert imported.exit_code == 0, imported.output
    assert "4 prices stored" in imported.output and "1 unmatched, 2 malformed" in imported.output
    assert "not a price" in imported.output  # the malformed row, by line
    refreshed = runner.invoke(app, ["prices", "refresh"])
    assert refreshed.exit_code == 0, refreshed.output
    assert "first_price 4" in refreshed.output and "held 1" in refreshed.output
    shown = runner.invoke(app, ["prices", "show", "BR-100"])
    assert shown.exit_code == 0, shown.output
    assert "price $69.99" in shown.output and "floor $62.00" in shown.output
    assert "PartsBarn" in shown.output and "lowest competitor price $70.00" in shown.output
    missing = runner.invoke(app, ["prices", "import-competitors", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_the_console_shows_price_floor_ceiling_competitors_and_history(
    api: TestClient, accounts: dict[Role, Account], db_url: str, tmp_path: Path
) -> None:
    asyncio.run(_seed(db_url, tmp_path))
    runner_env = {"AUTOMECHANICA_DATABASE_URL": db_url}
    feed = competitor_feed(tmp_path, FEED)
    CliRunner().invoke(app, ["prices", "import-competitors", str(feed)], env=runner_env)
    result = CliRunner().invoke(app, ["prices", "refresh"], env=runner_env)
    assert result.exit_code == 0, result.output
    rotor = _part_id(db_url, "BR100")
    path = f"/api/admin/pricing/parts/{rotor}"
    response = api.get(path, headers=accounts[Role.operator].headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert Decimal(body["price"]) == Decimal("69.99")
    assert (Decimal(body["floor"]), Decimal(body["ceiling"])) == (
        Decimal("62.00"),
        Decimal("80.00"),
    )
    assert {c["competitor"] for c in body["competitors"]} == {"PartsBarn", "AutoDepot"}
    (change,) = body["history"]
    assert change["previous_price"] is None and "PartsBarn" in change["reason"]
    assert change["agent"] == "Pricing"
    assert api.get(path, headers=accounts[Role.customer].headers).status_code == 403
    missing = api.get("/api/admin/pricing/parts/999999", headers=accounts[Role.operator].headers)
    assert missing.status_code == 404


async def test_the_demo_competitor_feed_matches_the_store_and_reports_the_rest(
    db_url: str, tmp_path: Path
) -> None:
    await _seed(db_url, tmp_path)
    path = tmp_path / "competitors.csv"
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
        written = await write_demo_competitor_feed(conn, path, seed=7, share=1.0)
        report = await import_competitor_prices(conn, path)
    assert report.rows_read == written
    # Every row of a part we sell matches (respelled numbers, UPC-only rows); the three
    # rows for parts we do not sell are reported, by line.
    assert report.stored == written - 3 and report.unmatched == 3 and report.malformed == 0
    assert report.matched_by_mpn + report.matched_by_upc == written - 3
    async with await psycopg.AsyncConnection.connect(
        db_url, autocommit=True, row_factory=dict_row
    ) as conn:
        await _refresh(db_url, conn, Services(db_url))
        # Whatever the competitors asked, no stored price is under MAP or cost + 15%.
        cur = await conn.execute(GUARDRAIL_BREACHES)
        counts = await cur.fetchone() or {}
        assert counts["priced"] >= 4 and counts["breaches"] == 0
