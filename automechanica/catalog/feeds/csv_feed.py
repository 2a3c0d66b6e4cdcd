"""The CSV supplier feed: one offer per row under a header of aliased column names.

A supplier CSV is one offer per row under a header whose names vary by
supplier ("Net", "our_cost", "cost"); we match them through aliases. Lines come
from the bounded line source in `lines.py`, so one runaway line costs one
rejection, not the import.

Imports read millions of rows, so the usual row takes a fast path (`FastOffers`):
a line without quotes is split as csv would split it, cells are read by position
and a cell seen before is not parsed again. A row the fast path does not take as
is goes the general path (`offer_from_cells`), which alone words reasons: both
give the same records and the same rejections.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from automechanica.catalog.feeds.lines import FeedLines, too_long_rejection
from automechanica.catalog.feeds.mapping import LayoutMapping
from automechanica.catalog.feeds.records import FeedStream, OfferRecord, Rejection
from automechanica.catalog.feeds.units import normalize_uom
from automechanica.catalog.feeds.values import (
    BLANK_CELLS,
    PLAIN_MONEY,
    CellError,
    clean_text,
    is_blank,
    offer_from_cells,
    parse_bool,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_money,
    parse_part_type,
    parse_upc,
    stock_counts,
)
from automechanica.catalog.feeds.vehicle_cells import VEHICLE_FIELDS, take_application
from automechanica.errors import FeedError

# --- columns ---------------------------------------------------------------------------

_ALIASES: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "supplier_sku", "item"),
    "brand": ("brand", "brand_name", "mfr"),
    "mpn": ("mpn", "part_number", "mfr_part"),
    "title": ("title",),
    "description": ("description",),
    "part_type": ("part_type", "category"),
    "upc": ("upc", "gtin"),
    "uom": ("uom", "unit"),
    "pack_qty": ("pack_qty", "pack"),
    "cost": ("cost", "net", "our_cost"),
    "jobber": ("jobber",),
    "map": ("map",),
    "msrp": ("msrp", "list"),
    "core_charge": ("core_charge", "core"),
    "weight_lb": ("weight_lb", "weight"),
    "hazmat": ("hazmat",),
    "fitment": ("fitment", "application", "fits"),
    "updated_at": ("updated_at",),
}
_FIELD_BY_ALIAS = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
REQUIRED_COLUMNS = ("sku", "brand", "mpn", "cost")
_DELIMITERS = (",", "\t", ";", "|")


def header_key(name: str) -> str:
    """'Part Number' -> 'part_number': how header names are compared."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


@dataclass(slots=True)
class Columns:
    """Where each of our fields sits in the row, read from the header."""

    names: list[str]
    fields: dict[str, int] = field(default_factory=dict)
    stock: list[tuple[str, int]] = field(default_factory=list)
    attributes: list[tuple[str, int]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # field -> name in messages
    brand: str | None = None  # the supplier's own brand (a file without a brand column)
    has_header: bool = True

    @property
    def plain(self) -> bool:
        """Columns the fast path reads as they are: no vehicle cells, no brand of our own,
        no single stock column."""
        return (
            self.brand is None
            and not any(name in self.fields for name in VEHICLE_FIELDS)
            and "stock" not in self.fields
        )

    @classmethod
    def from_layout(cls, names: list[str], layout: LayoutMapping, path: Path) -> Columns:
        """Columns placed by a layout (inferred, or a supplier profile's) instead of aliases."""
        columns = cls([n.strip() for n in names], brand=layout.brand, has_header=layout.has_header)
        index = {name: i for i, name in reversed(list(enumerate(columns.names)))}
        if not layout.has_header:
            index = {f"column {i + 1}": i for i in range(len(names))}
        for name, source in layout.sources().items():
            if source not in index:
                raise FeedError(
                    f"the layout maps {name} to column {source!r}, which the file does not "
                    f"have (found {', '.join(repr(n) for n in index) or 'nothing'}); "
                    "fix the supplier profile (feeds profile set) or import without it",
                    path=str(path),
                    line=1,
                )
            columns.fields[name] = index[source]
        mapped = set(columns.fields.values())
        for i, name in enumerate(columns.names if layout.has_header else ()):
            key = header_key(name)
            if i in mapped:
                continue
            if key.startswith("stock_") and len(key) > 6:
                columns.stock.append((name[6:], i))
            elif key.startswith("attr_") and len(key) > 5:
                columns.attributes.append((name[5:], i))
        if "brand" in columns.fields:
            columns.brand = None  # the file names its brands
        missing = [n for n in REQUIRED_COLUMNS if n not in columns.fields]
        if columns.brand:
            missing = [n for n in missing if n != "brand"]
        if missing:
            raise FeedError(
                f"the layout does not say which column gives {', '.join(missing)}; "
                "set it in the supplier profile (feeds profile set NAME --map FIELD=COLUMN)",
                path=str(path),
                line=1,
            )
        columns.labels = {"upc": "UPC"} | {
            name: columns.names[i] if layout.has_header else f"column {i + 1}"
            for name, i in columns.fields.items()
        }
        columns.labels |= {f"stock.{w}": f"stock_{w}" for w, _ in columns.stock}
        if "stock" in columns.fields:
            columns.labels["stock.all"] = columns.labels["stock"]
        return columns

    @classmethod
    def from_header(cls, names: list[str], path: Path) -> Columns:
        columns = cls([n.strip() for n in names])
        for index, name in enumerate(columns.names):
            key = header_key(name)
            if key.startswith("stock_") and len(key) > 6:
                columns.stock.append((name.strip()[6:], index))
            elif key.startswith("attr_") and len(key) > 5:
                columns.attributes.append((name.strip()[5:], index))
            elif key in _FIELD_BY_ALIAS:
                columns._place(_FIELD_BY_ALIAS[key], index, path)
        columns._check_required(path)
        columns.labels = {"upc": "UPC"} | {f"stock.{w}": f"stock_{w}" for w, _ in columns.stock}
        return columns

    def _place(self, name: str, index: int, path: Path) -> None:
        if name in self.fields:
            first = self.names[self.fields[name]]
            raise FeedError(
                f"columns {first!r} and {self.names[index]!r} both give the {name}; "
                "keep one of them",
                path=str(path),
                line=1,
            )
        self.fields[name] = index

    def _check_required(self, path: Path) -> None:
        missing = [name for name in REQUIRED_COLUMNS if name not in self.fields]
        if missing:
            accepted = "; ".join(f"{m}: {' | '.join(_ALIASES[m])}" for m in missing)
            found = ", ".join(repr(n) for n in self.names) or "nothing"
            raise FeedError(
                f"the header lacks the required column(s) {', '.join(missing)} "
                f"(found {found}); accepted names are {accepted}",
                path=str(path),
                line=1,
            )


def _delimiter(header: str) -> str:
    """The most frequent candidate delimiter in the header line (commas win ties)."""
    return max(_DELIMITERS, key=lambda d: (header.count(d), d == ","))


# --- the fast path for the usual row -----------------------------------------------------

_K = TypeVar("_K")
_T = TypeVar("_T")
_MEMO_ENTRIES = 1 << 14  # per memo; a full memo is emptied, so memory stays flat
_MEMO_CHARS = 256  # longer cells are parsed each time, not kept
_MISS = object()


def _remember(memo: dict[_K, _T], key: _K, value: _T, chars: int) -> _T:
    """Keep `value` for `key` (of `chars` characters) while the memo stays small."""
    if chars <= _MEMO_CHARS:
        if len(memo) >= _MEMO_ENTRIES:
            memo.clear()
        memo[key] = value
    return value


def _text(cell: str, limit: int = 2000) -> str | None:
    """What `offer_from_cells` makes of a text cell: None if blank, else cleaned."""
    if len(cell) <= 7 and cell.strip().upper() in BLANK_CELLS:
        return None  # a spreadsheet's leftover (#N/A, N/A, -)
    if cell.isprintable() and " " not in cell and len(cell) <= limit:
        return cell or None  # nothing to clean (the usual cell)
    if not cell or cell.isspace():
        return None
    return clean_text(cell, "", max_length=limit)


def _required(cell: str) -> str:
    value = clean_text(cell, "", max_length=200)
    if not value or is_blank(value):
        raise CellError("missing")
    return value


def _title(cell: str) -> str | None:
    return _text(cell, 500)


def _description(cell: str) -> str | None:
    return _text(cell, 8000)


def _part_type(cell: str) -> str | None:
    text = _text(cell)
    return parse_part_type(text).name if text else None


def _upc(cell: str) -> str | None:
    text = _text(cell)
    return parse_upc(text) if text else None


def _uom(cell: str) -> str | None:
    text = _text(cell, 10)
    return normalize_uom(text) if text else None


def _pack(cell: str) -> int:
    text = _text(cell)
    return parse_int(text, "", minimum=1) if text else 1


def _money(cell: str) -> Decimal | None:
    return None if is_blank(cell) else parse_money(cell, "")


def _weight(cell: str) -> Decimal | None:
    text = _text(cell)
    return parse_decimal(text, "") if text else None


def _hazmat(cell: str) -> bool:
    text = _text(cell)
    return parse_bool(text, "") if text else False


def _updated(cell: str) -> datetime | None:
    text = _text(cell)
    return parse_datetime(text, "") if text else None


def _fitment(cell: str) -> str | None:
    return _text(cell, 50_000)


_MEMOIZED: tuple[tuple[str, Callable[[str], Any]], ...] = (
    ("brand", _required),
    ("title", _title),
    ("description", _description),
    ("part_type", _part_type),
    ("upc", _upc),
    ("uom", _uom),
    ("pack_qty", _pack),
    ("jobber", _money),
    ("map", _money),
    ("msrp", _money),
    ("core_charge", _money),
    ("weight_lb", _weight),
    ("hazmat", _hazmat),
    ("fitment", _fitment),
)  # fields whose cells repeat from row to row: each distinct cell is parsed once
_OFFER_FIELDS = (
    "where", "supplier_sku", "brand", "mpn", "cost", "title", "description", "part_type",
    "upc", "uom", "pack_qty", "jobber", "map_price", "msrp", "core_charge", "stock",
    "weight_lb", "hazmat", "attributes", "fitment_text", "applications", "interchange",
    "updated_at", "raw",
)  # fmt: skip
# FastOffers fills an OfferRecord by calling __init__ with positional arguments: keywords
# cost three times as much, and OfferRecord(...) would first pack the 24 into a tuple
assert tuple(f.name for f in fields(OfferRecord)) == _OFFER_FIELDS, "OfferRecord changed"
_new, _init = object.__new__, OfferRecord.__init__


class FastOffers:
    """Offers from the usual rows, at several times the speed of the general path.

    Cells are read by position, and parsed values are kept by cell text, since
    supplier files repeat their brands, titles, prices, stock figures and
    attributes. Attribute columns are many and mostly empty, so they are handled
    as one text (their cells joined by the delimiter); when they close the row, an
    unquoted line is split only up to them. Each method gives None for a row with
    any cell it does not take as is (a bad value, a blank required cell, whitespace
    to collapse in an odd place); such a row takes the general path, which alone
    words reasons, so records and rejections are the same either way.
    """

    def __init__(self, columns: Columns, delimiter: str) -> None:
        names, width = columns.names, len(columns.names)
        attribute_columns = [i for _, i in columns.attributes]
        trailing = attribute_columns == list(range(width - len(attribute_columns), width))
        head = width - len(attribute_columns) if trailing else width
        self._delimiter, self._width, self._head = delimiter, width, head
        # cells come from a list of the row's first `head` cells and an empty one
        fields = columns.fields
        # sku, mpn, cost and date seldom repeat: they are parsed every time, not kept
        self._cells = itemgetter(
            fields["sku"], fields["mpn"], fields["cost"], fields.get("updated_at", head)
        )
        self._keys = itemgetter(*(fields.get(name, head) for name, _ in _MEMOIZED))
        self._memos: list[dict[str, Any]] = [{} for _ in _MEMOIZED]
        self._warehouses = [w for w, _ in columns.stock]  # stock is kept by its row of cells
        self._stock_cells = itemgetter(*(i for _, i in columns.stock), head, head)
        self._stocks: dict[tuple[str, ...], dict[str, int]] = {}
        self._attribute_columns = attribute_columns
        attribute_names = [_attribute_name(n) for n, _ in columns.attributes]
        self._attribute_names = [n for n in attribute_names if n is not None]
        self._attribute_raw_names = [names[i] for i in attribute_columns]
        self._attributes: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
        # `raw` starts from every name with an empty cell: the head cells and the
        # filled attribute cells are all that is left to set
        self._template = dict.fromkeys(names, "")
        self._head_names = names[:head]
        self.enabled = (
            len(set(names)) == width
            and columns.plain
            and None not in attribute_names
            and len(set(self._warehouses)) == len(self._warehouses)
        )  # else (repeated or odd names) every row takes the general path

    def offer_line(self, where: str, body: str) -> OfferRecord | None:
        """The offer of a line without quotes (`body`: the line without its line end),
        which csv would split at every delimiter."""
        if not self.enabled:
            return None
        head = self._head
        cells = body.split(self._delimiter, head)
        if head < self._width:  # attribute columns close the row: `rest` holds them
            if len(cells) != head + 1:
                return None  # too few cells
            rest = cells[-1]
            cells[-1] = ""  # the empty cell after the head
            return self._offer(where, cells, rest)
        if len(cells) != head:
            return None  # a cell too many or too few
        cells.append("")
        return self._offer(where, cells, self._attribute_text(cells))

    def offer(self, where: str, row: list[str]) -> OfferRecord | None:
        """The offer of a row as the csv module read it."""
        if not self.enabled or len(row) != self._width:
            return None
        cells = row[: self._head]
        cells.append("")
        return self._offer(where, cells, self._attribute_text(row))

    def _attribute_text(self, row: list[str]) -> str:
        return self._delimiter.join([row[i] for i in self._attribute_columns])

    def _offer(self, where: str, cells: list[str], rest: str) -> OfferRecord | None:
        """`cells`: the head cells and an empty one; `rest`: the attribute cells joined
        by the delimiter."""
        try:
            sku, mpn, cost, updated = self._cells(cells)
            if not (3 < len(sku) <= 200 and " " not in sku and sku.isprintable()):
                sku = _required(sku)  # short ones may be leftovers (N/A, -)
            if not (3 < len(mpn) <= 200 and " " not in mpn and mpn.isprintable()):
                mpn = _required(mpn)
            plain = PLAIN_MONEY.fullmatch(cost)
            cost_value = Decimal(plain[1]) if plain is not None else _money(cost)
            if updated.isprintable() and " " not in updated and len(updated) <= 2000:
                updated_value = parse_datetime(updated, "") if updated else None
            else:
                updated_value = _updated(updated)
            (brands, titles, descriptions, part_types, upcs, uoms, packs, jobbers, maps, msrps,
             cores, weights, hazmats, fitments) = self._memos  # fmt: skip
            keys = (brand, title, description, part_type, upc, uom, pack, jobber, map_price,
                    msrp, core, weight, hazmat, fitment) = self._keys(cells)  # fmt: skip
            try:  # the usual case: every cell seen before
                values = (
                    brands[brand], titles[title], descriptions[description],
                    part_types[part_type], upcs[upc], uoms[uom], packs[pack], jobbers[jobber],
                    maps[map_price], msrps[msrp], cores[core], weights[weight], hazmats[hazmat],
                    fitments[fitment],
                )  # fmt: skip
            except KeyError:
                values = self._learn(keys)
            (brand, title, description, part_type, upc, uom, pack, jobber, map_price, msrp,
             core, weight, hazmat, fitment) = values  # fmt: skip
            stock_cells = self._stock_cells(cells)
            stock = self._stocks.get(stock_cells) or self._stock(stock_cells)
            attributes, filled = self._attributes.get(rest) or self._attribute_values(rest)
            raw = self._template.copy()
            # zip stops before the empty cell; strict= would cost as much as the update
            raw.update(zip(self._head_names, cells))  # noqa: B905
            if filled:
                raw.update(filled)
            record = _new(OfferRecord)
            _init(
                record,
                where,
                sku,
                brand,
                mpn,
                cost_value,  # type: ignore[arg-type]  # None is refused below
                title or description,
                description,
                part_type,
                upc,
                uom,
                pack,
                jobber,
                map_price,
                msrp,
                core,
                stock.copy(),
                weight,
                hazmat,
                attributes.copy(),
                [fitment] if fitment else [],
                [],
                [],
                updated_value,
                raw,
            )
        except (ValueError, ArithmeticError):  # CellError, or what the general path must meet
            return None
        return None if cost_value is None else record  # None: missing, as the general path says

    def _learn(self, keys: tuple[str, ...]) -> tuple[Any, ...]:
        """The memoized fields' values, parsing (and keeping) those not seen before."""
        values = []
        for memo, (_, parse), key in zip(self._memos, _MEMOIZED, keys, strict=True):
            value = memo.get(key, _MISS)
            values.append(_remember(memo, key, parse(key), len(key)) if value is _MISS else value)
        return tuple(values)

    def _stock(self, cells: tuple[str, ...]) -> dict[str, int]:
        counts = stock_counts(dict(zip(self._warehouses, cells, strict=False)), {})
        return _remember(self._stocks, cells, counts, sum(map(len, cells)))

    def _attribute_values(self, rest: str) -> tuple[dict[str, str], dict[str, str]]:
        """(attributes by name, the filled cells by column name) from the attribute text."""
        cells = rest.split(self._delimiter) if self._attribute_columns else []
        if len(cells) != len(self._attribute_columns):
            raise CellError("a cell too many or too few")
        attributes: dict[str, str] = {}
        filled: dict[str, str] = {}
        for name, column, cell in zip(
            self._attribute_names, self._attribute_raw_names, cells, strict=True
        ):
            if cell:
                if cell.isspace():  # skipped by the general path
                    raise CellError("blank")
                attributes[name] = clean_text(cell, "", max_length=500)
                filled[column] = cell
        return _remember(self._attributes, rest, (attributes, filled), len(rest))


def _attribute_name(name: str) -> str | None:
    """An attribute column's name as `offer_from_cells` keys it; None if it would refuse it."""
    try:
        return clean_text(name, "", max_length=100)
    except CellError:
        return None


# --- rows ------------------------------------------------------------------------------


def _general_offer(where: str, row: list[str], columns: Columns) -> OfferRecord:
    """The general path: any row, with `offer_from_cells`' checks, order and reasons."""
    cells = {name: row[index] for name, index in columns.fields.items()}
    fitment = cells.pop("fitment", "")
    stock = {warehouse: row[index] for warehouse, index in columns.stock}
    if "stock" in cells:
        stock["all"] = cells.pop("stock")
    names = columns.names if columns.has_header else [f"column {i + 1}" for i in range(len(row))]
    return offer_from_cells(
        where,
        cells,
        labels=columns.labels,
        raw=_raw(names, row, columns),
        stock=stock,
        attributes={name: row[index] for name, index in columns.attributes},
        fitment=[fitment] if not is_blank(fitment) else [],
        applications=take_application(cells, columns.labels),
        brand=columns.brand,
    )


def _raw(names: list[str], row: list[str], columns: Columns) -> dict[str, str]:
    """The row as a dict of its cells, less the vehicle cells: those become fitment, and a
    file of one row per vehicle repeats the same offer on every row."""
    raw = dict(zip(names, row, strict=True))
    for name in VEHICLE_FIELDS:
        if name in columns.fields:
            raw.pop(names[columns.fields[name]], None)
    return raw


def _read_header(
    texts: Iterator[str], lines: FeedLines, path: Path, layout: LayoutMapping | None
) -> tuple[Columns, str, Iterator[str]]:
    """The columns, the delimiter, and the lines left to read (a headerless file's first
    line is a row: it is put back)."""
    first = next(texts, None)
    if first is None or lines.too_long:
        raise FeedError("the header line is missing or longer than 1 MB", path=str(path), line=1)
    if not first.strip():
        raise FeedError("line 1 is blank; the first line must name the columns", path=str(path))
    delimiter = _delimiter(first)
    names = next(csv.reader([first], delimiter=delimiter), [])
    if layout is None:
        return Columns.from_header(names, path), delimiter, texts
    columns = Columns.from_layout(names, layout, path)
    return columns, delimiter, (texts if layout.has_header else chain((first,), texts))


def read_csv(path: Path, layout: LayoutMapping | None = None) -> FeedStream:
    """Offers from a supplier CSV, one per row; see docs/feeds.md for the columns.

    `layout`: where each field sits (inferred or remembered per supplier); without one
    the header names are matched against our aliases. Raises FeedError (when iteration
    starts) for a file that cannot be read at all.
    """
    with FeedLines(path) as lines:
        if lines.notice is not None:
            yield lines.notice
        columns, delimiter, texts = _read_header(lines.texts(), lines, path, layout)
        fast, too_long = FastOffers(columns, delimiter), lines.too_long
        dialect = csv.reader((), delimiter=delimiter).dialect
        limit = csv.field_size_limit()
        last = 1 if columns.has_header else 0  # the last line read
        for line in texts:
            first = last = lines.keep_from = last + 1
            body = line.rstrip("\r\n")
            if '"' not in line and "\r" not in body and len(line) <= limit:
                # csv would split the line at each delimiter: so can we, much faster
                if not too_long:
                    offer = fast.offer_line(f"line {first}", body)
                    if offer is not None:
                        yield offer
                        continue
                row = body.split(delimiter) if body else []
            else:  # quotes (perhaps over several lines), or what csv refuses
                reader = csv.reader(chain((line,), texts), dialect)
                try:
                    row = next(reader)
                except csv.Error as exc:
                    last = first + reader.line_num - 1
                    yield from _rejected(first, last, f"the row is not valid CSV ({exc})", lines)
                    continue
                last = first + reader.line_num - 1
                offer = None if too_long else fast.offer(f"line {first}", row)
                if offer is not None:
                    yield offer
                    continue
            yield from _other_row(first, last, row, lines, columns)


def _other_row(
    first: int, last: int, row: list[str], lines: FeedLines, columns: Columns
) -> FeedStream:
    """A row the fast path did not take: a long line in it, the wrong number of cells,
    a blank row, or a cell to clean up or refuse."""
    if lines.too_long:
        yield from _rejected(first, last, "", lines)
    elif len(row) != len(columns.names):
        if any(cell.strip() for cell in row):  # a blank line is not a row
            reason = f"the row has {len(row)} cells; the header has {len(columns.names)} columns"
            yield from _rejected(first, last, reason, lines)
    elif any(cell.strip() for cell in row):  # a row of empty cells carries nothing
        try:
            offer = _general_offer(f"line {first}", row, columns)
        except CellError as exc:
            yield from _rejected(first, last, str(exc), lines)
        else:
            yield offer


def _rejected(first: int, last: int, reason: str, lines: FeedLines) -> Iterator[Rejection]:
    if lines.too_long:  # the long line is the reason, whatever the csv module made of it
        yield from (too_long_rejection(line) for line in lines.too_long)
        lines.too_long.clear()
    else:
        yield Rejection(f"line {first}", reason, lines.raw(first, last), line=first)
