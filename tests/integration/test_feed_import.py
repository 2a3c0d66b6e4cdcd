"""Supplier feeds in all four formats become one canonical catalog, idempotently,
with every broken row reported at its line and nothing half-written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from automechanica.catalog.feeds.generator import DemoFeeds, generate_demo_feeds
from automechanica.catalog.feeds.importer import ImportSummary, import_feed
from automechanica.catalog.vehicle_config import VehicleConfig
from automechanica.errors import FeedError

Conn = psycopg.AsyncConnection[Any]
TABLES = ("parts", "supplier_parts", "fitments", "part_interchange")


@pytest.fixture
def feeds(tmp_path: Path, test_vehicles: list[VehicleConfig]) -> DemoFeeds:
    return generate_demo_feeds(tmp_path, test_vehicles, seed=5, parts=500)


async def _import_all(conn: Conn, feeds: DemoFeeds) -> list[ImportSummary]:
    return [await import_feed(conn, f.path, supplier=f.supplier) for f in feeds.files]


async def _counts(conn: Conn) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        row = await (await conn.execute(f"SELECT count(*) AS n FROM {table}")).fetchone()
        assert row is not None
        counts[table] = row["n"]
    return counts


async def _rejected_lines(conn: Conn, report_id: int, severity: str) -> set[int]:
    rows = await (
        await conn.execute(
            "SELECT line FROM import_rejections WHERE report_id = %s AND severity = %s",
            (report_id, severity),
        )
    ).fetchall()
    return {r["line"] for r in rows}


async def test_four_formats_make_one_deduplicated_catalog(conn: Conn, feeds: DemoFeeds) -> None:
    summaries = await _import_all(conn, feeds)
    counts = await _counts(conn)
    broken = sum(len(f.broken) for f in feeds.files)
    # Brand spellings, MPN punctuation and UPCs all resolve: never more parts than exist.
    assert feeds.parts - broken <= counts["parts"] <= feeds.parts
    assert counts["supplier_parts"] == sum(feeds.offers.values())
    assert counts["fitments"] > counts["parts"]
    shared = await (
        await conn.execute(
            "SELECT count(*) AS n FROM (SELECT part_id FROM supplier_parts GROUP BY part_id"
            " HAVING count(DISTINCT supplier_id) >= 2) s"
        )
    ).fetchone()
    assert shared is not None and shared["n"] > counts["parts"] // 4
    # Interchange is stored as links between parts, never as a merge.
    assert counts["part_interchange"] > 0
    linked = await (
        await conn.execute(
            "SELECT count(*) AS n FROM part_interchange WHERE interchange_part_id = part_id"
        )
    ).fetchone()
    assert linked is not None and linked["n"] == 0
    assert all(s.status == "completed" for s in summaries)


async def test_every_broken_row_is_reported_at_its_line(conn: Conn, feeds: DemoFeeds) -> None:
    summaries = await _import_all(conn, feeds)
    for feed, summary in zip(feeds.files, summaries, strict=True):
        expected = {b.line for b in feed.broken}
        rejected = await _rejected_lines(conn, summary.report_id, "rejected")
        if feed.format == "aces":  # an App naming no real vehicle has nothing left to store
            expected |= set(feed.unresolvable_fitment)
        else:  # the offer is stored; its unreadable fitment is a warning
            warned = await _rejected_lines(conn, summary.report_id, "warning")
            assert set(feed.unresolvable_fitment) <= warned
        assert rejected == expected, feed.path.name
        assert summary.rows_rejected == len(expected)


async def test_importing_the_same_files_again_changes_nothing(conn: Conn, feeds: DemoFeeds) -> None:
    await _import_all(conn, feeds)
    before = await _counts(conn)
    again = await _import_all(conn, feeds)
    assert await _counts(conn) == before
    for summary in again:
        assert (summary.parts_created, summary.parts_merged, summary.offers, summary.fitments) == (
            0,
            0,
            0,
            0,
        ), summary.file_name


async def test_brand_variants_and_mpn_punctuation_land_on_one_part(
    conn: Conn, feeds: DemoFeeds
) -> None:
    await _import_all(conn, feeds)
    rows = await (
        await conn.execute(
            "SELECT b.name, count(DISTINCT sp.brand_raw) AS spellings FROM supplier_parts sp"
            " JOIN parts p ON p.id = sp.part_id JOIN brands b ON b.id = p.brand_id GROUP BY b.name"
        )
    ).fetchall()
    spellings = {r["name"]: r["spellings"] for r in rows}
    assert spellings["ACDelco"] >= 2, "AC Delco / ACDELCO / AC-Delco all map to ACDelco"
    raw_variants = await (
        await conn.execute(
            "SELECT count(*) AS n FROM (SELECT part_id FROM supplier_parts GROUP BY part_id"
            " HAVING count(DISTINCT mpn_raw) >= 2) s"
        )
    ).fetchone()
    assert raw_variants is not None and raw_variants["n"] > 0


async def test_a_truncated_file_fails_and_loses_nothing(
    conn: Conn, feeds: DemoFeeds, tmp_path: Path
) -> None:
    await import_feed(conn, feeds.northstar.path, supplier="northstar")
    before = await _counts(conn)
    text = feeds.atlas_pies.path.read_text(encoding="utf-8")
    truncated = tmp_path / "truncated-pies.xml"
    truncated.write_text(text[: len(text) * 2 // 3], encoding="utf-8")
    with pytest.raises(FeedError) as error:
        await import_feed(conn, truncated, supplier="atlas")
    assert "truncated-pies.xml" in str(error.value)
    assert await _counts(conn) == before
    report = await (
        await conn.execute("SELECT status, error FROM import_reports ORDER BY id DESC LIMIT 1")
    ).fetchone()
    assert report is not None and report["status"] == "failed" and report["error"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "xxe.xml",
            '<?xml version="1.0"?><!DOCTYPE PIES [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<PIES><Items><Item><PartNumber>&x;</PartNumber></Item></Items></PIES>",
            "DTD",
        ),
        (
            "laughs.xml",
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><PIES><Items>&lol2;</Items></PIES>',
            "DTD",
        ),
        ("columns.csv", "sku,brand,description\nA1,Bosch,Wiper\n", "mpn"),
    ],
)
async def test_hostile_and_malformed_files_are_refused_without_changes(
    conn: Conn, feeds: DemoFeeds, tmp_path: Path, name: str, content: str, message: str
) -> None:
    await import_feed(conn, feeds.northstar.path, supplier="northstar")
    before = await _counts(conn)
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FeedError) as error:
        await import_feed(conn, path, supplier="hostile")
    assert message in str(error.value)
    assert await _counts(conn) == before


async def test_a_windows_1252_file_is_transcoded_with_a_warning(conn: Conn, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    text = "sku,brand,mpn,title,part_type,cost\nA1,Bosch,3397118ÄB,Wischer Ä,Wiper Blade,4.00\n"
    path.write_bytes(text.encode("cp1252"))
    summary = await import_feed(conn, path, supplier="acme")
    assert (summary.offers, summary.rows_rejected, summary.warnings) == (1, 0, 1)
    assert "read as Windows-1252" in summary.warning_list[0].reason
    row = await (await conn.execute("SELECT title_raw FROM supplier_parts")).fetchone()
    assert row is not None and row["title_raw"] == "Wischer Ä"


@pytest.mark.parametrize("batch_size", [2, 100])
async def test_a_repeated_sku_is_a_warning_and_the_later_row_wins(
    conn: Conn, tmp_path: Path, batch_size: int
) -> None:
    path = tmp_path / "repeats.csv"
    path.write_text(
        "sku,brand,mpn,description,part_type,cost\n"
        "A-1,Fram,PH7317,Fram oil filter,Oil Filter,4.00\n"
        "B-1,Fram,PH3614,Fram oil filter,Oil Filter,4.50\n"
        "C-1,Fram,PH8A,Fram oil filter,Oil Filter,5.00\n"
        "A-1,Fram,PH7317,Fram oil filter,Oil Filter,3.75\n",
        encoding="utf-8",
    )
    summary = await import_feed(conn, path, supplier="acme", batch_size=batch_size)
    assert summary.warnings == 1
    assert summary.warning_list[0].line == 5
    assert "already appeared at line 2" in summary.warning_list[0].reason
    row = await (
        await conn.execute("SELECT cost FROM supplier_parts WHERE supplier_sku = 'A-1'")
    ).fetchone()
    assert row is not None and str(row["cost"]) == "3.75"


async def test_vehicles_older_than_the_base_are_proposed_never_matched(
    conn: Conn, tmp_path: Path
) -> None:
    """A restoration catalog's 1950s cars wait for a person; none becomes a modern one."""
    path = tmp_path / "restoration.csv"
    path.write_text(
        "sku,brand,mpn,title,part_type,cost,fitment\n"
        "R-1,Dorman,R100,Wiper,Wiper Blade,9.00,1955-1957 Chevrolet Bel Air\n"
        "R-2,Dorman,R200,Wiper,Wiper Blade,7.00,1935-1936 Plymouth All Models\n"
        "R-3,Dorman,R300,Filter,Oil Filter,1.00,1966/70 Chevelle\n",
        encoding="utf-8",
    )
    summary = await import_feed(conn, path, supplier="classic")
    assert summary.offers == 3
    assert summary.vehicles_proposed == 8
    proposed = await (
        await conn.execute(
            "SELECT year, make, model, supplier, file_name FROM proposed_base_vehicles"
            " ORDER BY model, year"
        )
    ).fetchall()
    assert [(r["year"], r["make"], r["model"]) for r in proposed] == [
        (1955, "Chevrolet", "Bel Air"),
        (1956, "Chevrolet", "Bel Air"),
        (1957, "Chevrolet", "Bel Air"),
        *((year, "Chevrolet", "Chevelle") for year in range(1966, 1971)),  # a classic's make
    ]
    assert {(r["supplier"], r["file_name"]) for r in proposed} == {("classic", "restoration.csv")}
    fitments = await (await conn.execute("SELECT count(*) AS n FROM fitments")).fetchone()
    assert fitments is not None and fitments["n"] == 0  # no Tesla, no Heritage replica
    reasons = " | ".join(w.reason for w in summary.warning_list + summary.rejections)
    assert "proposed for a person to accept" in reasons
    assert "not understood: 1935-1936 Plymouth" in reasons
