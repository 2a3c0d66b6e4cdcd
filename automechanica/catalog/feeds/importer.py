"""The import: a feed's records in, canonical parts, offers and fitments out.

The whole import is one transaction: a file that turns out unreadable half
way (truncated XML) rolls back and changes nothing. Bad rows are recorded in
the import report and skipped; a row is stored whole or not at all.

Two halves run side by side: Python reads a batch and resolves what it can
from small lookups (brand, part number, type, fitment sets) into COPY text,
while PostgreSQL places the previous batch with set-based statements (dedupe
by brand + number then UPC, new parts, fills, offers, fitments), pipelined
in one round trip. See docs/feeds.md for the figures.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection, errors
from psycopg.rows import dict_row

from automechanica.catalog.feeds import sql
from automechanica.catalog.feeds.mapping import LayoutMapping
from automechanica.catalog.feeds.readers import detect_format, read_feed
from automechanica.catalog.feeds.records import (
    ApplicationRecord,
    FeedFormat,
    FeedItem,
    Notice,
    OfferRecord,
    Rejection,
)
from automechanica.catalog.feeds.resolve import FitmentRow, Lookups
from automechanica.catalog.feeds.staging import Fitsets, PartFacts, offer_line
from automechanica.catalog.normalize import normalize_mpn
from automechanica.catalog.vehicle_proposed import propose_vehicle
from automechanica.catalog.vocabulary import PART_TYPES, alias_key
from automechanica.errors import FeedError

BATCH_SIZE = 5000
#: Items read between two chances for the writer to go on (a few milliseconds of reading).
_YIELD_EVERY = 32
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
    vehicles_proposed: int = 0  # pre-1981 vehicles the file names, waiting for a person
    rows_rejected: int = 0
    warnings: int = 0
    rejections: list[Rejection] = field(default_factory=list)  # the first rejected rows
    warning_list: list[Rejection] = field(default_factory=list)  # the first warnings
    status: str = "running"
    error: str | None = None
    layout: dict[str, Any] | None = None  # the layout the import read the file by
    cost_price_type: str | None = None  # the PIES price type asked for as the cost

    SHOWN_REJECTIONS = 50  # kept here for display; the report keeps every one

    def note(self, rejection: Rejection, *, warning: bool = False) -> None:
        if warning:
            self.warnings += 1
            if len(self.warning_list) < self.SHOWN_REJECTIONS:
                self.warning_list.append(rejection)
        else:
            self.rows_rejected += 1
            if len(self.rejections) < self.SHOWN_REJECTIONS:
                self.rejections.append(rejection)


async def import_feed(
    conn: AsyncConnection[Any],
    path: Path,
    *,
    supplier: str,
    fmt: FeedFormat | None = None,
    on_progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
    layout: LayoutMapping | None = None,
    cost_price_type: str | None = None,
    part_type_hints: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Import one supplier file; raises FeedError (nothing stored) if it is unreadable.

    `layout` (CSV, JSON lines): where each field sits in the file, when its names are not
    ours (`layout.py` infers it, `profiles.py` remembers it); `cost_price_type` (PIES):
    which PriceType is the cost; `part_type_hints`: SKU -> part type for rows that name
    none (decided by the PartTypeAgent or a person before the import).
    """
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
    summary.layout = layout.model_dump() if layout is not None else None
    summary.cost_price_type = cost_price_type
    await _widen_temp_buffers(conn)
    try:
        async with conn.transaction():
            lookups = await Lookups.load(conn)
            writer = _Writer(conn, lookups, supplier_id, supplier_key, summary)
            await writer.create_stages()
            stream = read_feed(path, fmt, layout=layout, cost_price_type=cost_price_type)
            await _run(stream, _Preparer(lookups, part_type_hints), writer, on_progress, batch_size)
            for year, make, model in lookups.proposed:
                await propose_vehicle(
                    conn, year=year, make=make, model=model, supplier=supplier_key,
                    file_name=path.name,
                )  # fmt: skip
            summary.vehicles_proposed = len(lookups.proposed)
        summary.status = "completed"
    except FeedError as exc:
        summary.status, summary.error = "failed", exc.message
        raise
    finally:
        async with conn.transaction():
            await _finish_report(conn, summary)
    return summary


async def _run(
    stream: Iterator[FeedItem],
    preparer: _Preparer,
    writer: _Writer,
    on_progress: ProgressCallback | None,
    batch_size: int,
) -> None:
    """Read and prepare batches while the writer stores the previous one.

    A reading error (a truncated file) lets the writer finish what it holds,
    then propagates, so the caller's transaction rolls back on a quiet
    connection.
    """
    handoff: asyncio.Queue[_Batch | None] = asyncio.Queue(maxsize=1)
    writing = asyncio.create_task(writer.drain(handoff, on_progress))
    try:
        async for batch in _prepared(stream, preparer, batch_size):
            await _hand_over(handoff, batch, writing)
        await _hand_over(handoff, None, writing)
        await writing
    except asyncio.CancelledError:
        writing.cancel()
        raise
    except Exception:
        if not writing.done():
            await _hand_over(handoff, None, writing)
            await writing
        raise


@dataclass(slots=True)
class _Batch:
    """A batch of the feed made ready in Python: what the writer stages and reports."""

    rows_read: int
    rejections: list[tuple[Rejection, bool]]  # (rejection, is a warning)
    offers: dict[str, OfferRecord]  # the latest row per SKU, by SKU
    offer_lines: str  # COPY text for stage_offers
    fitset_lines: str  # COPY text for stage_fitsets: sets seen for the first time
    interchange: bool
    applications: list[ApplicationRecord]


@dataclass(slots=True)
class _Latest:
    """A SKU's latest row in the batch, its staging line, and the fitment sets of all
    its rows so far."""

    record: OfferRecord
    line: str
    fitsets: list[int]


def _digest(line: str) -> str:
    """The hash a staging line ends with: what is stored about the offer."""
    return line.rstrip("\n").rpartition("\t")[2]


class _Preparer:
    """Resolves brands, numbers, types and fitment in Python; runs beside the writer."""

    def __init__(self, lookups: Lookups, type_hints: Mapping[str, str] | None = None) -> None:
        self.lookups = lookups
        self.type_hints = type_hints or {}  # SKU -> part type, for rows that name none
        self.fitsets = Fitsets(lookups)
        self.universal_types = {
            type_id
            for t in PART_TYPES
            if t.universal and (type_id := lookups.part_types.get(alias_key(t.name)))
        }
        self.order = 0  # offers' order in the file, so "the first offer" is well defined
        self._start_batch()

    def _start_batch(self) -> None:
        self.rows_read = 0
        self.rejections: list[tuple[Rejection, bool]] = []
        self.latest: dict[str, _Latest] = {}  # SKU -> its latest row in the batch
        self.interchange = False
        self.applications: list[ApplicationRecord] = []

    def add(self, item: FeedItem) -> None:
        """Resolve one item into the batch being built (the per-row work, done as read)."""
        if isinstance(item, Notice):  # about the whole file: a warning, not a row
            notice = Rejection(item.where, item.reason, "", item.line, item.element)
            self.rejections.append((notice, True))
            return
        self.rows_read += 1
        if isinstance(item, Rejection):
            self.rejections.append((item, False))
        elif isinstance(item, ApplicationRecord):
            self.applications.append(item)
        elif (facts := self._resolve(item, self.rejections)) is not None:
            # A SKU repeated in the file (one row per vehicle): its vehicles add up. When
            # its other values differ, the later row's win and the repeat is a warning.
            earlier = self.latest.pop(item.supplier_sku, None)
            fitsets = earlier.fitsets if earlier is not None else []
            self.order += 1
            staged = offer_line(self.order, item, facts, fitsets)
            if earlier is not None and _digest(staged) != _digest(earlier.line):
                self.rejections.append((_repeated(item, earlier.record.where), True))
            if facts.fitset is not None and facts.fitset.id not in fitsets:
                fitsets = [*fitsets, facts.fitset.id]
            self.latest[item.supplier_sku] = _Latest(item, staged, fitsets)
            self.interchange = self.interchange or bool(facts.interchange)

    def take(self) -> _Batch:
        """The batch built so far, ready for the writer; the next one starts empty."""
        batch = _Batch(
            rows_read=self.rows_read,
            rejections=self.rejections,
            offers={sku: latest.record for sku, latest in self.latest.items()},
            offer_lines="".join(latest.line for latest in self.latest.values()),
            fitset_lines=self.fitsets.take_copy_text(),
            interchange=self.interchange,
            applications=self.applications,
        )
        self._start_batch()
        return batch

    def _resolve(
        self, record: OfferRecord, rejections: list[tuple[Rejection, bool]]
    ) -> PartFacts | None:
        brand = self.lookups.brand(record.brand)
        if brand is None:
            reason = (
                f"brand {record.brand!r} is not one we carry; add it or an alias to the brand table"
            )
            rejections.append((_reject(record, reason), False))
            return None
        mpn = normalize_mpn(record.mpn, brand.name)
        if not mpn:
            rejections.append((_reject(record, "the part number is empty"), False))
            return None
        part_type = record.part_type or self.type_hints.get(record.supplier_sku)
        part_type_id = self.lookups.part_type(part_type)
        if part_type and part_type_id is None:
            rejections.append((_reject(record, f"unknown part type {part_type!r}"), False))
            return None
        fitset = self.fitsets.of(record)
        if fitset is not None:
            rejections += [(_reject(record, problem), True) for problem in fitset.problems]
        return PartFacts(
            brand.id,
            brand.name,
            mpn,
            part_type_id,
            "universal" if part_type_id in self.universal_types else "vehicle_specific",
            fitset,
            self._interchange(record) if record.interchange else (),
        )

    def _interchange(self, record: OfferRecord) -> list[tuple[str, str]]:
        links = []
        for brand_raw, mpn_raw in record.interchange:
            brand = self.lookups.brand(brand_raw)
            name = brand.name if brand else brand_raw.strip()
            links.append((name, normalize_mpn(mpn_raw, name)))
        return links


class _Writer:
    """Stages each prepared batch and places it with set-based statements."""

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

    async def create_stages(self) -> None:
        for statement in (
            sql.CREATE_OFFER_STAGE,
            sql.CREATE_PLACE_STAGE,
            sql.CREATE_SEEN_SKUS,
            sql.CREATE_FITSET_STAGE,
            sql.CREATE_FITSET_INDEX,
            sql.CREATE_APPLIED_FITSETS,
            sql.CREATE_FITMENT_STAGE,
            sql.CLEAR_STAGES,  # left by an earlier import in the caller's open transaction
        ):
            await self.conn.execute(statement)

    async def drain(
        self, handoff: asyncio.Queue[_Batch | None], on_progress: ProgressCallback | None
    ) -> None:
        while (batch := await handoff.get()) is not None:
            self.summary.rows_read += batch.rows_read
            rejections = batch.rejections
            if batch.offers:
                await self._write_offers(batch, rejections)
            if batch.applications:
                await self._write_applications(batch.applications, rejections)
            await self._write_rejections(rejections)
            if on_progress is not None:
                on_progress(self.summary.rows_read)

    async def _write_offers(self, batch: _Batch, rejections: list[tuple[Rejection, bool]]) -> None:
        async with self.conn.cursor() as cur:
            if batch.fitset_lines:
                async with cur.copy(sql.COPY_FITSET_STAGE) as copy:
                    await copy.write(batch.fitset_lines)
            async with cur.copy(sql.COPY_OFFER_STAGE) as copy:
                await copy.write(batch.offer_lines)
        statements: list[tuple[str, tuple[Any, ...]]] = [
            (sql.STAGE_PLACES, ()),
            (sql.SEEN_BEFORE, ()),
            (sql.ATTACH_BY_UPC, ()),  # STAGE_PLACES attached those whose brand and number match
            (sql.CREATE_PARTS, ()),
            (sql.ATTACH_BY_KEY, ()),  # numbers that met a new part's UPC, or another import's
            (sql.ATTACH_BY_UPC, ()),
            (sql.UNPLACED, ()),
            (sql.FILL_PARTS, ()),
            (sql.UPSERT_OFFERS, (self.supplier_id,)),
            (sql.APPLY_FITSETS, (self.text_source, self.supplier_id)),
        ]
        if batch.interchange:
            statements.append((sql.STAGED_INTERCHANGE, (self.text_source,)))
        statements.append((sql.CLEAR_OFFER_STAGE, ()))
        async with self.conn.pipeline():  # one round trip for the lot
            cursors = []
            for query, params in statements:
                cur = self.conn.cursor(row_factory=dict_row)
                await cur.execute(query, params)
                cursors.append(cur)
            seen, created, unplaced, updated, offers, fitments = [
                await cursors[i].fetchall() for i in (1, 3, 6, 7, 8, 9)
            ]
        for row in seen:
            record = batch.offers[row["sku"]]
            rejections.append((_repeated(record, row["place"]), True))
        for row in unplaced:
            record = batch.offers[row["supplier_sku"]]
            rejections.append((_reject(record, "a new part needs a part type"), False))
        self.summary.parts_created += created[0]["created"]
        self.summary.parts_updated += updated[0]["updated"]
        self.summary.offers += offers[0]["offers"]
        self.summary.parts_merged += offers[0]["merged"]
        self.summary.fitments += fitments[0]["fitments"]

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
        f"SKU {record.supplier_sku!r} already appeared at {earlier} with other values; "
        "this later row's values replace them (its vehicles are added to the fitment)",
    )


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


async def _prepared(
    stream: Iterator[FeedItem], preparer: _Preparer, size: int
) -> AsyncIterator[_Batch]:
    """Batches of the feed, read and resolved; yields to the event loop every few
    hundred items so the writer's statements go on meanwhile (PostgreSQL works on
    the previous batch while Python reads this one)."""
    for item in stream:
        preparer.add(item)
        if preparer.rows_read >= size:
            yield preparer.take()
        elif preparer.rows_read % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
    if preparer.rows_read:
        yield preparer.take()


async def _hand_over(
    handoff: asyncio.Queue[_Batch | None], batch: _Batch | None, writer: asyncio.Task[None]
) -> None:
    """Put a batch in the writer's hands, or raise the error that stopped the writer."""
    put = asyncio.ensure_future(handoff.put(batch))
    await asyncio.wait({put, writer}, return_when=asyncio.FIRST_COMPLETED)
    if not put.done():
        put.cancel()
        writer.result()  # the writer stopped early: its error
        raise RuntimeError("the import writer stopped before the end of the feed")


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


async def _widen_temp_buffers(conn: AsyncConnection[Any]) -> None:
    """Room for the staging tables in memory (PostgreSQL's default is 8 MB). Only
    possible before a session's first temporary table; later imports keep what it got."""
    try:
        async with conn.transaction():
            await conn.execute(sql.WIDEN_TEMP_BUFFERS)
    except errors.InvalidParameterValue:
        pass


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
