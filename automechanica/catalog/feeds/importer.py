"""The import writer: a feed's records in, canonical parts, offers and fitments out.

The whole import is one transaction: a file that turns out unreadable half
way (truncated XML) rolls back and changes nothing. Bad rows are recorded in
the import report and skipped; a row is stored whole or not at all. Records
are handled in batches, each written with a few set-based statements.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from automechanica.catalog.feeds import sql
from automechanica.catalog.feeds.readers import detect_format, read_feed
from automechanica.catalog.feeds.records import (
    ApplicationRecord,
    FeedFormat,
    FeedItem,
    OfferRecord,
    Rejection,
)
from automechanica.catalog.feeds.resolve import FitmentRow, Lookups
from automechanica.catalog.normalize import normalize_mpn
from automechanica.catalog.vocabulary import PART_TYPES, alias_key
from automechanica.errors import FeedError

BATCH_SIZE = 2000
_UNIVERSAL_TYPES = {alias_key(t.name) for t in PART_TYPES if t.universal}
ProgressCallback = Callable[[int], None]


@dataclass
class ImportSummary:
    """What an import did, as the CLI prints it and the report stores it."""

    report_id: int
    supplier: str
    file_name: str
    format: str
    rows_read: int = 0
    parts_created: int = 0
    parts_updated: int = 0
    parts_merged: int = 0
    offers: int = 0
    fitments: int = 0
    rows_rejected: int = 0
    warnings: int = 0
    rejections: list[Rejection] = field(default_factory=list)  # first few, for display
    status: str = "running"
    error: str | None = None

    SHOWN_REJECTIONS = 50

    def note(self, rejection: Rejection, *, warning: bool = False) -> None:
        if warning:
            self.warnings += 1
        else:
            self.rows_rejected += 1
        if len(self.rejections) < self.SHOWN_REJECTIONS:
            self.rejections.append(rejection)


@dataclass(slots=True)
class _Offer:
    record: OfferRecord
    brand_id: int
    brand_name: str
    mpn: str
    part_type_id: int | None
    fitments: list[FitmentRow]
    part_id: int | None = None
    part_existed: bool = False


async def import_feed(
    conn: AsyncConnection[Any],
    path: Path,
    *,
    supplier: str,
    fmt: FeedFormat | None = None,
    on_progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportSummary:
    """Import one supplier file; raises FeedError (nothing stored) if it is unreadable."""
    if not path.is_file():
        raise FeedError("no such file", path=str(path))
    fmt = fmt or detect_format(path)
    supplier_key = supplier.strip().lower()
    if not supplier_key:
        raise FeedError("the supplier name is empty; pass --supplier NAME", path=str(path))
    async with conn.transaction():
        supplier_id = await _scalar(conn, sql.ENSURE_SUPPLIER, (supplier_key, supplier, fmt))
        report_id = await _scalar(
            conn, sql.START_REPORT, (supplier_id, path.name, _sha256(path), fmt)
        )
    summary = ImportSummary(report_id, supplier_key, path.name, fmt)
    try:
        async with conn.transaction():
            writer = _Writer(conn, await Lookups.load(conn), supplier_id, supplier_key, summary)
            await writer.run(read_feed(path, fmt), on_progress, batch_size)
        summary.status = "completed"
    except FeedError as exc:
        summary.status, summary.error = "failed", exc.message
        raise
    finally:
        async with conn.transaction():
            await _finish_report(conn, summary)
    return summary


class _Writer:
    def __init__(
        self,
        conn: AsyncConnection[Any],
        lookups: Lookups,
        supplier_id: int,
        supplier: str,
        summary: ImportSummary,
    ) -> None:
        self.conn = conn
        self.lookups = lookups
        self.supplier_id = supplier_id
        self.summary = summary
        self.text_source = f"feed:{supplier}"
        self.aces_source = f"aces:{supplier}"

    async def run(
        self, stream: Iterator[FeedItem], on_progress: ProgressCallback | None, batch_size: int
    ) -> None:
        await self.conn.execute(sql.CREATE_FITMENT_STAGE)
        await self.conn.execute(sql.CREATE_OFFER_STAGE)
        await self.conn.execute(sql.CREATE_SEEN_SKUS)
        for batch in _batches(stream, batch_size):
            self.summary.rows_read += len(batch)
            rejections: list[tuple[Rejection, bool]] = []
            offers: list[_Offer] = []
            apps: list[ApplicationRecord] = []
            for item in batch:
                if isinstance(item, Rejection):
                    rejections.append((item, False))
                elif isinstance(item, OfferRecord):
                    offer = self._resolve_offer(item, rejections)
                    if offer is not None:
                        offers.append(offer)
                else:
                    apps.append(item)
            if offers:
                await self._write_offers(offers, rejections)
            if apps:
                await self._write_applications(apps, rejections)
            await self._write_rejections(rejections)
            if on_progress is not None:
                on_progress(self.summary.rows_read)

    def _resolve_offer(
        self, record: OfferRecord, rejections: list[tuple[Rejection, bool]]
    ) -> _Offer | None:
        brand = self.lookups.brand(record.brand)
        if brand is None:
            rejections.append(
                (
                    _reject(
                        record,
                        f"brand {record.brand!r} is not one we carry; "
                        "add it or an alias to the brand table",
                    ),
                    False,
                )
            )
            return None
        mpn = normalize_mpn(record.mpn, brand.name)
        if not mpn:
            rejections.append((_reject(record, "the part number is empty"), False))
            return None
        part_type_id = self.lookups.part_type(record.part_type)
        if record.part_type and part_type_id is None:
            rejections.append((_reject(record, f"unknown part type {record.part_type!r}"), False))
            return None
        fitments: list[FitmentRow] = []
        problems: list[str] = []
        for app in record.applications:
            rows, problem = self.lookups.expand(app, structured=True)
            fitments += rows
            problems += [problem] if problem else []
        if record.fitment_text:
            # One parse over all of a row's entries: a lone "front" qualifies the others.
            parsed = self.lookups.text_fitments("; ".join(record.fitment_text))
            fitments += parsed.rows
            problems += parsed.problems
        for problem in dict.fromkeys(problems):
            rejections.append((_reject(record, problem), True))
        return _Offer(record, brand.id, brand.name, mpn, part_type_id, fitments)

    async def _write_offers(
        self, offers: list[_Offer], rejections: list[tuple[Rejection, bool]]
    ) -> None:
        # A SKU repeated in the file: the later row wins, and the repeat is a warning.
        latest: dict[str, _Offer] = {}
        for offer in offers:
            earlier = latest.get(offer.record.supplier_sku)
            if earlier is not None:
                rejections.append((_repeated(offer.record, earlier.record.where), True))
            latest[offer.record.supplier_sku] = offer
        offers = list(latest.values())
        seen = await self._fetch(
            sql.SEEN_BEFORE, (list(latest), list(latest), [o.record.where for o in offers])
        )
        for row in seen:
            rejections.append((_repeated(latest[row["sku"]].record, row["place"]), True))
        await self._attach_parts(offers)
        for offer in offers:
            if offer.part_id is None:
                rejections.append((_reject(offer.record, "a new part needs a part type"), False))
        placed = [o for o in offers if o.part_id is not None]
        await self._upsert_offers(placed)
        await self._link_interchange(placed)
        await self._stage_fitments(
            [
                (o.part_id, o.part_type_id, row)
                for o in placed
                for row in o.fitments
                if o.part_id is not None and o.part_type_id is not None
            ],
            self.text_source,
        )

    async def _attach_parts(self, offers: list[_Offer]) -> None:
        """Find or create the canonical part of each offer (brand+MPN, then UPC)."""
        keys = {(o.brand_id, o.mpn) for o in offers}
        rows = await self._fetch(sql.PARTS_BY_KEY, ([k[0] for k in keys], [k[1] for k in keys]))
        by_key = {(r["brand_id"], r["mpn_normalized"]): r for r in rows}
        upcs = sorted({o.record.upc for o in offers if o.record.upc})
        by_upc = {r["upc"]: r for r in await self._fetch(sql.PARTS_BY_UPC, (upcs,))}
        new: dict[tuple[int, str], _Offer] = {}
        fills: dict[int, _Offer] = {}
        for offer in offers:
            found = by_key.get((offer.brand_id, offer.mpn))
            if found is None and offer.record.upc:
                found = by_upc.get(offer.record.upc)
            if found is not None:
                offer.part_id = found["id"]
                offer.part_type_id = found["part_type_id"]
                offer.part_existed = True
                if _fills_something(offer.record, found):
                    fills[found["id"]] = offer
            elif offer.part_type_id is None:
                continue  # rejected below: a new part needs a type
            else:
                new.setdefault((offer.brand_id, offer.mpn), offer)
        created = await self._insert_parts(list(new.values()))
        for offer in offers:
            if offer.part_id is None:
                row = created.get((offer.brand_id, offer.mpn))
                if row is not None:
                    offer.part_id, offer.part_type_id = row["id"], row["part_type_id"]
        self.summary.parts_created += len(created)
        if not fills:
            return
        updated = await self._fetch(
            sql.FILL_PARTS,
            (
                list(fills),
                [o.record.upc for o in fills.values()],
                [o.record.description for o in fills.values()],
                [Jsonb(o.record.attributes) for o in fills.values()],
            ),
        )
        self.summary.parts_updated += len(updated)

    async def _insert_parts(self, offers: list[_Offer]) -> dict[tuple[int, str], dict[str, Any]]:
        if not offers:
            return {}
        records = [o.record for o in offers]
        rows = await self._fetch(
            sql.INSERT_PARTS,
            (
                [o.brand_id for o in offers],
                [r.mpn.strip() for r in records],
                [o.mpn for o in offers],
                [o.part_type_id for o in offers],
                [
                    r.title or f"{o.brand_name} {r.mpn.strip()}"
                    for o, r in zip(offers, records, strict=True)
                ],
                [r.description for r in records],
                [r.upc for r in records],
                [Jsonb(r.attributes) for r in records],
                [_fit_class(r.part_type) for r in records],
            ),
        )
        return {(r["brand_id"], r["mpn_normalized"]): r for r in rows}

    async def _upsert_offers(self, offers: list[_Offer]) -> None:
        if not offers:
            return
        async with self.conn.cursor(row_factory=dict_row) as cur:
            async with cur.copy(sql.COPY_OFFER_STAGE) as copy:
                for offer in offers:
                    await copy.write_row(_offer_row(offer))
            await cur.execute(sql.MERGE_OFFER_STAGE, (self.supplier_id,))
            rows = await cur.fetchall()
            await cur.execute(sql.CLEAR_OFFER_STAGE)
        self.summary.offers += len(rows)
        # Merged: an offer seen for the first time that joins a part which already existed.
        by_sku = {o.record.supplier_sku: o for o in offers}
        self.summary.parts_merged += sum(
            1 for r in rows if r["inserted"] and by_sku[r["supplier_sku"]].part_existed
        )

    async def _link_interchange(self, offers: list[_Offer]) -> None:
        links = []
        for offer in offers:
            for brand_raw, mpn_raw in offer.record.interchange:
                brand = self.lookups.brand(brand_raw)
                name = brand.name if brand else brand_raw.strip()
                links.append((offer.part_id, name, normalize_mpn(mpn_raw, name)))
        if links:
            await self.conn.execute(
                sql.INSERT_INTERCHANGE,
                (
                    self.text_source,
                    [x[0] for x in links],
                    [x[1] for x in links],
                    [x[2] for x in links],
                ),
                binary=True,
            )

    async def _write_applications(
        self, apps: list[ApplicationRecord], rejections: list[tuple[Rejection, bool]]
    ) -> None:
        keyed = []
        for app in apps:
            brand = self.lookups.brand(app.brand)
            if brand is None:
                rejections.append((_reject(app, f"brand {app.brand!r} is not one we carry"), False))
                continue
            keyed.append((app, brand.id, normalize_mpn(app.mpn, brand.name)))
        keys = {(b, m) for _, b, m in keyed}
        rows = await self._fetch(sql.PARTS_BY_KEY, ([k[0] for k in keys], [k[1] for k in keys]))
        parts = {(r["brand_id"], r["mpn_normalized"]): r for r in rows}
        staged = []
        for app, brand_id, mpn in keyed:
            part = parts.get((brand_id, mpn))
            if part is None:
                rejections.append(
                    (
                        _reject(
                            app,
                            f"part {app.brand} {app.mpn} is not in the "
                            "catalog; import the supplier's PIES file first",
                        ),
                        False,
                    )
                )
                continue
            fitment_rows, problem = self.lookups.expand(app.application, structured=True)
            if problem:
                rejections.append((_reject(app, problem), False))
                continue
            staged += [(part["id"], part["part_type_id"], row) for row in fitment_rows]
        await self._stage_fitments(staged, self.aces_source)

    async def _stage_fitments(
        self, rows: Iterable[tuple[int | None, int | None, FitmentRow]], source: str
    ) -> None:
        copied = 0
        async with self.conn.cursor() as cur:
            async with cur.copy(sql.COPY_FITMENT_STAGE) as copy:
                for part_id, part_type_id, row in rows:
                    await copy.write_row((part_id, part_type_id, *row))
                    copied += 1
            if copied:
                await cur.execute(sql.MERGE_FITMENT_STAGE, (source, self.supplier_id))
                self.summary.fitments += max(cur.rowcount, 0)
                await cur.execute(sql.CLEAR_FITMENT_STAGE)

    async def _write_rejections(self, rejections: list[tuple[Rejection, bool]]) -> None:
        for rejection, warning in rejections:
            self.summary.note(rejection, warning=warning)
        if rejections:
            async with self.conn.cursor() as cur:
                await cur.executemany(
                    sql.INSERT_REJECTION,
                    [
                        (
                            self.summary.report_id,
                            r.line,
                            r.element,
                            "warning" if warning else "rejected",
                            r.reason,
                            r.raw[:2000],
                        )
                        for r, warning in rejections
                    ],
                )

    async def _fetch(self, query: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        async with self.conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params, binary=True)  # arrays dump fast in binary
            return await cur.fetchall()


def _repeated(record: OfferRecord, earlier: str) -> Rejection:
    return _reject(
        record,
        f"SKU {record.supplier_sku!r} already appeared at {earlier}; this later row replaces it",
    )


def _fills_something(record: OfferRecord, part: dict[str, Any]) -> bool:
    """Whether this offer knows something its existing part lacks (so FILL_PARTS is needed)."""
    if record.upc and not part["upc"]:
        return True
    if record.description and not part["has_description"]:
        return True
    attributes = part["attributes"]
    return any(key not in attributes for key in record.attributes)


def _reject(item: OfferRecord | ApplicationRecord, reason: str) -> Rejection:
    line, element = _location(item.where)
    raw = " | ".join(f"{k}={v}" for k, v in item.raw.items())
    return Rejection(where=item.where, reason=reason, raw=raw[:500], line=line, element=element)


def _location(where: str) -> tuple[int | None, str | None]:
    """'line 12' -> (12, None); 'App id=680 (line 512)' -> (512, 'App id=680')."""
    head, _, tail = where.partition("(line ")
    if where.startswith("line "):
        number = where[5:].split()[0]
        return (int(number) if number.isdigit() else None), None
    number = tail.rstrip(")")
    return (int(number) if number.isdigit() else None), head.strip() or None


def _fit_class(part_type: str | None) -> str:
    return (
        "universal"
        if part_type and alias_key(part_type) in _UNIVERSAL_TYPES
        else ("vehicle_specific")
    )


def _offer_row(offer: _Offer) -> tuple[Any, ...]:
    """The staging row of an offer, with a hash of everything stored about it."""
    r = offer.record
    stock, raw = json.dumps(r.stock), json.dumps(r.raw)
    fields = (
        offer.part_id,
        r.supplier_sku,
        r.brand,
        r.mpn,
        r.title,
        r.uom,
        r.pack_qty,
        r.cost,
        r.jobber,
        r.map_price,
        r.msrp,
        r.core_charge,
        stock,
        r.weight_lb,
        r.hazmat,
        raw,
        r.updated_at,
    )
    digest = hashlib.blake2b("\x1f".join(map(str, fields)).encode(), digest_size=16).hexdigest()
    return (
        r.supplier_sku,
        offer.part_id,
        r.brand,
        r.mpn,
        r.title,
        r.uom,
        r.pack_qty,
        r.cost,
        r.jobber,
        r.map_price,
        r.msrp,
        r.core_charge,
        stock,
        sum(r.stock.values()),
        r.weight_lb,
        r.hazmat,
        raw,
        digest,
        r.updated_at,
    )


def _batches(stream: Iterator[FeedItem], size: int) -> Iterator[list[FeedItem]]:
    while batch := list(islice(stream, size)):
        yield batch


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


async def _scalar(conn: AsyncConnection[Any], query: str, params: tuple[Any, ...]) -> int:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        row = await cur.fetchone()
    assert row is not None
    return int(row["id"])


async def _finish_report(conn: AsyncConnection[Any], summary: ImportSummary) -> None:
    await conn.execute(
        sql.FINISH_REPORT,
        {
            "report_id": summary.report_id,
            "status": summary.status,
            "rows_read": summary.rows_read,
            "parts_created": summary.parts_created,
            "parts_updated": summary.parts_updated,
            "parts_merged": summary.parts_merged,
            "offers": summary.offers,
            "fitments": summary.fitments,
            "rows_rejected": summary.rows_rejected,
            "warnings": summary.warnings,
            "error": summary.error,
        },
    )
