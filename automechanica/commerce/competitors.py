"""The competitor price feed: a CSV of what other stores ask, matched to our parts.

Columns (header required, names in any case): `competitor`, `price`, and either
`brand` + `part_number` (or `mpn`) or `upc` (or `gtin`/`ean`); `seen_at` (or
`seen`, `date`) is optional — without it a row is dated by the file's
modification time, so importing the same file twice stores nothing twice.

A row matches by brand (any spelling the store knows) + normalized MPN first,
then by UPC (12, 13 or 14 digits compare as one GTIN). Every row is accounted
for: stored, already stored, unmatched (no part, or a UPC naming several) or
malformed (with the line and the reason); nothing is dropped silently. The
matching is one statement over the whole file.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from automechanica.catalog.feeds.values import CellError, parse_money, parse_upc
from automechanica.catalog.normalize import normalize_mpn
from automechanica.catalog.vocabulary import alias_key
from automechanica.errors import InvalidInputError

#: Column names a competitor feed may use, by our name.
COLUMNS: dict[str, tuple[str, ...]] = {
    "competitor": ("competitor", "seller", "retailer", "store"),
    "brand": ("brand", "brand_name", "manufacturer"),
    "part_number": ("part_number", "mpn", "part_no", "partnumber", "part"),
    "upc": ("upc", "gtin", "ean"),
    "price": ("price", "competitor_price", "amount"),
    "seen_at": ("seen_at", "seen", "date", "seen_date", "observed_at"),
}
PROBLEMS_KEPT = 1000  # listed line by line; the counts cover every row
MAX_NAME = 100

SELECT_BRANDS = """
SELECT a.alias, b.id, b.name FROM brand_aliases a JOIN brands b ON b.id = a.brand_id
UNION ALL SELECT NULL, id, name FROM brands
"""
CREATE_ROWS = """
CREATE TEMP TABLE competitor_feed_rows (
    line integer, competitor text, brand_id integer, mpn text, gtin text,
    price numeric(12,2), seen_at timestamptz
) ON COMMIT DROP
"""
COPY_ROWS = (
    "COPY competitor_feed_rows (line, competitor, brand_id, mpn, gtin, price, seen_at) FROM STDIN"
)
#: Brand + MPN first, then a UPC that names exactly one part.
MATCH_ROWS = """
CREATE TEMP TABLE competitor_feed_matches ON COMMIT DROP AS
SELECT r.line, r.competitor, r.price, r.seen_at,
       coalesce(m.id, u.id) AS part_id,
       CASE WHEN m.id IS NOT NULL THEN 'mpn' WHEN u.id IS NOT NULL THEN 'upc' END AS matched_by,
       coalesce(u.n, 0) AS upc_parts
FROM competitor_feed_rows r
LEFT JOIN parts m ON m.brand_id = r.brand_id AND m.mpn_normalized = r.mpn
LEFT JOIN (
    SELECT lpad(upc, 14, '0') AS gtin, min(id) AS id, count(*) AS n
    FROM parts WHERE upc IS NOT NULL GROUP BY 1
) u ON u.gtin = r.gtin AND u.n = 1 AND m.id IS NULL
"""
STORE_MATCHES = """
WITH stored AS (
    INSERT INTO competitor_prices (part_id, competitor, price, seen_at, source)
    SELECT DISTINCT ON (part_id, competitor, seen_at)
           part_id, competitor, price, seen_at, %(source)s
    FROM competitor_feed_matches x
    WHERE part_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM competitor_prices c
        WHERE c.part_id = x.part_id AND c.seen_at = x.seen_at AND c.competitor = x.competitor)
    ORDER BY part_id, competitor, seen_at, line DESC
    RETURNING 1
)
SELECT (SELECT count(*) FROM stored),
       count(*) FILTER (WHERE matched_by = 'mpn'),
       count(*) FILTER (WHERE matched_by = 'upc')
FROM competitor_feed_matches
"""
SELECT_UNMATCHED = """
SELECT r.line, r.brand_id, r.mpn, r.gtin, x.upc_parts
FROM competitor_feed_matches x JOIN competitor_feed_rows r ON r.line = x.line
WHERE x.part_id IS NULL ORDER BY r.line
"""
#: The demo feed is written from the store's own parts (a competitor sells what we sell).
SELECT_DEMO_PARTS = """
SELECT p.id, b.name AS brand, p.part_number, p.upc,
       max(sp.map_price) AS map_price, min(sp.msrp) AS msrp, min(sp.cost) AS cost
FROM parts p JOIN brands b ON b.id = p.brand_id JOIN supplier_parts sp ON sp.part_id = p.id
WHERE p.status = 'active'
GROUP BY p.id, b.name ORDER BY p.id
"""
DEMO_COMPETITORS = ("PartsBarn", "AutoDepot Online", "WrenchCity")


@dataclass(frozen=True)
class FeedProblem:
    line: int
    kind: str  # "malformed" or "unmatched"
    reason: str


@dataclass
class CompetitorImport:
    """What became of every row of a competitor feed."""

    source: str
    rows_read: int = 0
    matched_by_mpn: int = 0
    matched_by_upc: int = 0
    stored: int = 0
    already_stored: int = 0
    unmatched: int = 0
    malformed: int = 0
    problems: list[FeedProblem] = field(default_factory=list)

    def note(self, line: int, kind: str, reason: str) -> None:
        if kind == "malformed":
            self.malformed += 1
        else:
            self.unmatched += 1
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append(FeedProblem(line, kind, reason))


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    competitor: str
    brand_id: int | None
    mpn: str | None
    gtin: str | None
    price: Decimal
    seen_at: datetime


@dataclass(frozen=True)
class _Brands:
    by_key: dict[str, tuple[int, str]]

    def find(self, raw: str) -> tuple[int, str] | None:
        return self.by_key.get(alias_key(raw))


async def _brands(conn: AsyncConnection[Any]) -> _Brands:
    by_key: dict[str, tuple[int, str]] = {}
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SELECT_BRANDS)
        for alias, brand_id, name in await cur.fetchall():
            by_key.setdefault(alias or alias_key(name), (brand_id, name))
    return _Brands(by_key)


def _header(fields: list[str] | None, path: Path) -> dict[str, str]:
    """Our name → the file's column, or a clear error naming what is missing."""
    if not fields:
        raise InvalidInputError(f"{path}: the file is empty; expected a header row.")
    found: dict[str, str] = {}
    for column in fields:
        key = re.sub(r"[^a-z0-9]+", "_", (column or "").strip().lower()).strip("_")
        for ours, names in COLUMNS.items():
            if key in names and ours not in found:
                found[ours] = column
    missing = [c for c in ("competitor", "price") if c not in found]
    if "upc" not in found and not {"brand", "part_number"} <= found.keys():
        missing.append("brand and part_number, or upc")
    if missing:
        raise InvalidInputError(
            f"{path}: no {', '.join(missing)} column (found: {', '.join(fields)}). "
            "A competitor feed needs competitor, price, and brand + part_number or upc."
        )
    return found


def _seen_at(text: str, default: datetime) -> datetime:
    text = text.strip()
    if not text:
        return default
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(12), UTC)
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CellError(f"seen date {text[:40]!r} is not a date (use YYYY-MM-DD)") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _gtin(text: str) -> str | None:
    return parse_upc(text).rjust(14, "0") if text.strip() else None


def _read(path: Path, brands: _Brands, report: CompetitorImport) -> Iterator[_Row]:
    default_seen = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with path.open(newline="", encoding="utf-8-sig", errors="strict") as f:
        reader = csv.DictReader(f)
        columns = _header(list(reader.fieldnames or []), path)
        for record in reader:
            line = reader.line_num
            report.rows_read += 1
            cell = {ours: (record.get(theirs) or "").strip() for ours, theirs in columns.items()}
            if None in record:  # more cells than the header names
                report.note(line, "malformed", "more cells than the header has columns")
                continue
            try:
                row = _row(line, cell, brands, default_seen)
            except CellError as exc:
                report.note(line, "malformed", str(exc))
                continue
            if row.seen_at > tomorrow:
                report.note(line, "malformed", f"seen date {row.seen_at:%Y-%m-%d} is in the future")
                continue
            yield row


def _row(line: int, cell: dict[str, str], brands: _Brands, default_seen: datetime) -> _Row:
    competitor = cell["competitor"]
    if not competitor:
        raise CellError("no competitor named")
    if len(competitor) > MAX_NAME:
        raise CellError(f"competitor name longer than {MAX_NAME} characters")
    price = parse_money(cell["price"], "price") if cell["price"] else None
    if price is None or price <= 0:
        raise CellError("no price, or a price of zero")
    gtin = _gtin(cell.get("upc", ""))
    brand_raw, number = cell.get("brand", ""), cell.get("part_number", "")
    brand = brands.find(brand_raw) if brand_raw else None
    mpn = normalize_mpn(number, brand[1]) if brand and number else None
    if mpn is None and gtin is None:
        if brand_raw and number:
            raise CellError(f"brand {brand_raw[:40]!r} is not one the store carries, and no UPC")
        raise CellError("neither brand + part number nor UPC")
    return _Row(
        line,
        competitor,
        brand[0] if brand else None,
        mpn,
        gtin,
        price,
        _seen_at(cell.get("seen_at", ""), default_seen),
    )


async def import_competitor_prices(
    conn: AsyncConnection[Any], path: Path, *, source: str | None = None
) -> CompetitorImport:
    """Read, match and store a competitor feed in one transaction; returns the account."""
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file.")
    report = CompetitorImport(source=source or path.name)
    brands = await _brands(conn)
    try:
        rows = list(_read(path, brands, report))
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{path}: not UTF-8 text (byte {exc.start}); export the file as UTF-8."
        ) from exc
    except csv.Error as exc:
        raise InvalidInputError(f"{path}: not readable as CSV: {exc}") from exc
    async with conn.transaction():
        await conn.execute(CREATE_ROWS)
        async with conn.cursor(row_factory=tuple_row) as cur:
            async with cur.copy(COPY_ROWS) as copy:
                for r in rows:
                    await copy.write_row(
                        (r.line, r.competitor, r.brand_id, r.mpn, r.gtin, r.price, r.seen_at)
                    )
            await cur.execute(MATCH_ROWS)
            await cur.execute(STORE_MATCHES, {"source": report.source})
            stored, by_mpn, by_upc = await cur.fetchone() or (0, 0, 0)
            await cur.execute(SELECT_UNMATCHED)
            for line, brand_id, mpn, gtin, upc_parts in await cur.fetchall():
                report.note(line, "unmatched", _why_unmatched(brand_id, mpn, gtin, upc_parts))
        await conn.execute("DROP TABLE competitor_feed_matches, competitor_feed_rows")
    report.stored, report.matched_by_mpn, report.matched_by_upc = stored, by_mpn, by_upc
    report.already_stored = by_mpn + by_upc - stored
    report.problems.sort(key=lambda p: p.line)
    return report


def _why_unmatched(brand_id: int | None, mpn: str | None, gtin: str | None, upc_parts: int) -> str:
    said = []
    if mpn is not None:
        said.append(f"no part of that brand numbered {mpn}")
    elif brand_id is None:
        said.append("brand not carried")
    if gtin is not None:
        said.append(
            f"UPC {gtin.lstrip('0')} names {upc_parts} parts"
            if upc_parts > 1
            else "no part has that UPC"
        )
    return "; ".join(said)


# -- the demo's feed ---------------------------------------------------------------------


async def write_demo_competitor_feed(
    conn: AsyncConnection[Any], path: Path, *, seed: int = 2026, share: float = 0.75
) -> int:
    """A plausible competitor feed for the store's parts, written to `path`: about
    `share` of parts seen at one to three competitors, around MAP..MSRP (some under
    MAP, which the floor keeps us from following), part numbers spelled variously,
    some rows by UPC only, and a few rows no part matches. Returns the rows written."""
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(SELECT_DEMO_PARTS)
        parts = await cur.fetchall()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["competitor", "brand", "part_number", "upc", "price", "seen_at"])
    written = 0
    for _id, brand, number, upc, map_price, msrp, cost in parts:
        if rng.random() > share:
            continue
        anchor = msrp or map_price or cost * Decimal("1.6")
        for competitor in rng.sample(DEMO_COMPETITORS, rng.randint(1, 3)):
            price = (anchor * Decimal(str(rng.uniform(0.8, 1.08)))).quantize(Decimal("0.01"))
            seen = (today - timedelta(days=rng.randint(0, 5))).isoformat()
            if upc and rng.random() < 0.15:
                writer.writerow([competitor, "", "", upc, f"{price}", seen])
            else:
                spelled = _respell(rng, number)
                writer.writerow([competitor, _respell_brand(rng, brand), spelled, "", price, seen])
            written += 1
    for n in range(3):  # what a competitor sells and we do not: reported, not stored
        writer.writerow([DEMO_COMPETITORS[n], "Bosch", f"ZZ-{9000 + n}", "", "19.99", today])
        written += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.getvalue(), encoding="utf-8")
    return written


def _respell(rng: random.Random, number: str) -> str:
    choice = rng.random()
    if choice < 0.2:
        return number.lower()
    if choice < 0.35:
        return " ".join(number)[:40] if len(number) < 12 else number.replace("-", "")
    return number


def _respell_brand(rng: random.Random, brand: str) -> str:
    return brand.upper() if rng.random() < 0.2 else brand
