"""The product feed: valid rows, nothing an operator keeps, only confident fitment."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from automechanica.catalog.product_feed import (
    CSV_COLUMNS,
    FeedCounts,
    FeedOptions,
    feed_chunks,
    feed_items,
)
from automechanica.catalog.vehicle_config import VehicleConfig
from tests.integration.priced_store import load_priced_store

Conn = psycopg.AsyncConnection[Any]
THRESHOLD = 0.8  # policies.toml: fitment.publish
OPTIONS = FeedOptions(base_url="https://shop.example", min_fitment_confidence=THRESHOLD)
REQUIRED = ("id", "title", "description", "link", "price", "availability", "brand", "mpn")
SECRETS = ("cost", "supplier", "sku", "northstar", "parts-direct", "atlas")


@pytest.fixture
async def store(conn: Conn, tmp_path: Path, test_vehicles: list[VehicleConfig]) -> Conn:
    await load_priced_store(conn, tmp_path, test_vehicles)
    return conn


async def _items(conn: Conn, options: FeedOptions = OPTIONS) -> list[dict[str, Any]]:
    return [item async for item in feed_items(conn, options)]


async def _count(conn: Conn, sql: str) -> int:
    row = await (await conn.execute(sql)).fetchone()
    assert row is not None
    return int(next(iter(row.values())))


async def test_every_priced_part_is_a_valid_row_and_unpriced_ones_are_counted(
    store: Conn,
) -> None:
    counts = FeedCounts()
    items = [i async for i in feed_items(store, OPTIONS, counts)]
    priced = await _count(store, "SELECT count(*) FROM parts WHERE price IS NOT NULL")
    unpriced = await _count(store, "SELECT count(*) FROM parts WHERE price IS NULL")
    assert unpriced > 0, "the test store leaves some parts unpriced"
    assert len(items) == counts.written == priced
    assert counts.unpriced == unpriced
    assert len({i["id"] for i in items}) == len(items)
    for item in items:
        for field in REQUIRED:
            assert item[field], (field, item)
        amount, currency = item["price"].split(" ")
        assert currency == "USD" and float(amount) > 0
        assert item["availability"] in ("in_stock", "out_of_stock")
        assert item["link"].startswith("https://shop.example/parts/")
        assert item["condition"] == "new"
        assert len(item["title"]) <= 150
        # (Vehicles aside: "Atlas" is a supplier of the demo and a Volkswagen.)
        custom = {**item["custom_attributes"], "compatible_vehicles": []}
        text = json.dumps({**item, "custom_attributes": custom}).lower()
        assert not [s for s in SECRETS if s in text], item


async def test_a_rows_price_and_vehicles_are_the_catalogs(store: Conn) -> None:
    part = await (
        await store.execute(
            "SELECT p.id, p.price FROM parts p JOIN fitments f ON f.part_id = p.id"
            " WHERE p.price IS NOT NULL AND f.confidence >= %s GROUP BY p.id"
            " ORDER BY count(*) DESC LIMIT 1",
            (THRESHOLD,),
        )
    ).fetchone()
    assert part is not None
    item = next(i for i in await _items(store) if i["id"] == f"AM{part['id']}")
    assert item["price"] == f"{part['price']:.2f} USD"
    vehicles = item["custom_attributes"]["compatible_vehicles"]
    years = await (
        await store.execute(
            "SELECT DISTINCT bv.year FROM fitments f JOIN base_vehicles bv"
            " ON bv.id = f.base_vehicle_id WHERE f.part_id = %s AND f.confidence >= %s",
            (part["id"], THRESHOLD),
        )
    ).fetchall()
    covered = {y for v in vehicles for y in range(v["year_start"], v["year_end"] + 1)}
    assert covered == {r["year"] for r in years}
    assert all(v["label"].startswith(str(v["year_start"])) for v in vehicles)


async def test_fitment_below_the_publish_threshold_is_left_out(store: Conn) -> None:
    part = await (
        await store.execute(
            "SELECT p.id FROM parts p JOIN fitments f ON f.part_id = p.id"
            " WHERE p.price IS NOT NULL GROUP BY p.id HAVING count(DISTINCT f.base_vehicle_id) > 1"
            " ORDER BY p.id LIMIT 1"
        )
    ).fetchone()
    assert part is not None
    # One of its vehicles becomes unsure: below the threshold, though still 'published'.
    doubtful = await (
        await store.execute(
            "UPDATE fitments SET confidence = 0.5 WHERE id = (SELECT min(id) FROM fitments"
            " WHERE part_id = %s) RETURNING base_vehicle_id",
            (part["id"],),
        )
    ).fetchone()
    assert doubtful is not None
    still_sure = await _count(
        store,
        f"SELECT count(*) FROM fitments WHERE part_id = {part['id']}"
        f" AND base_vehicle_id = {doubtful['base_vehicle_id']} AND confidence >= {THRESHOLD}",
    )
    vehicle = await (
        await store.execute(
            "SELECT bv.year, ma.name AS make, mo.name AS model FROM base_vehicles bv"
            " JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id"
            " WHERE bv.id = %s",
            (doubtful["base_vehicle_id"],),
        )
    ).fetchone()
    assert vehicle is not None

    def listed(items: list[dict[str, Any]]) -> bool:
        item = next(i for i in items if i["id"] == f"AM{part['id']}")
        return any(
            v["make"] == vehicle["make"]
            and v["model"] == vehicle["model"]
            and v["year_start"] <= vehicle["year"] <= v["year_end"]
            for v in item["custom_attributes"]["compatible_vehicles"]
        )

    lenient = FeedOptions(base_url="https://shop.example", min_fitment_confidence=0.4)
    assert listed(await _items(store, lenient))
    assert listed(await _items(store)) == bool(still_sure)


async def test_csv_and_jsonl_carry_the_same_products(store: Conn) -> None:
    jsonl = "".join([c async for c in feed_chunks(store, OPTIONS, "jsonl")])
    text = "".join([c async for c in feed_chunks(store, OPTIONS, "csv")])
    lines = [json.loads(line) for line in jsonl.splitlines()]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert [r["id"] for r in rows] == [i["id"] for i in lines]
    first = lines[0]
    assert rows[0]["price"] == first["price"]
    labels = [v["label"] for v in first["custom_attributes"]["compatible_vehicles"]]
    assert rows[0]["compatible_vehicles"] == "; ".join(labels)


def test_the_public_endpoint_streams_the_feed(
    api: TestClient, db_url: str, tmp_path: Path, test_vehicles: list[VehicleConfig]
) -> None:
    async def load() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await load_priced_store(conn, tmp_path, test_vehicles)

    asyncio.run(load())
    response = api.get("/api/feeds/products.jsonl")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jsonl")
    items = [json.loads(line) for line in response.text.splitlines()]
    assert items and all(i["link"].startswith("http://testserver/parts/") for i in items)
    as_csv = api.get("/api/feeds/products.csv")
    assert as_csv.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(as_csv.text)))) == len(items)


def test_the_cli_writes_the_file_and_says_what_it_left_out(
    db_url: str, tmp_path: Path, test_vehicles: list[VehicleConfig]
) -> None:
    async def load() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await load_priced_store(conn, tmp_path, test_vehicles)

    asyncio.run(load())
    out = tmp_path / "feed" / "products.csv"
    env = {"AUTOMECHANICA_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "automechanica", "feed", "export", "--format", "csv",
         "--out", str(out), "--base-url", "https://shop.example"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows and rows[0]["link"].startswith("https://shop.example/parts/")
    assert "left out for having no price" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "automechanica", "feed", "export", "--format", "xml",
         "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 1 and "jsonl, csv" in bad.stderr
