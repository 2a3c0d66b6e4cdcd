"""The CSV supplier feed: one offer per row under a header of aliased column names.

A supplier CSV is one offer per row under a header whose names vary by
supplier ("Net", "our_cost", "cost"); we match them through aliases. Lines come
from the bounded line source in `lines.py`, so one runaway line costs one
rejection, not the import.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from automechanica.catalog.feeds.lines import FeedLines, too_long_rejection
from automechanica.catalog.feeds.records import FeedStream, OfferRecord, Rejection
from automechanica.catalog.feeds.values import CellError, offer_from_cells
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


# --- rows ------------------------------------------------------------------------------


def _offer(where: str, row: list[str], columns: Columns) -> OfferRecord:
    cells = {name: row[index] for name, index in columns.fields.items()}
    fitment = cells.pop("fitment", "")
    return offer_from_cells(
        where,
        cells,
        labels=columns.labels,
        raw=dict(zip(columns.names, row, strict=True)),
        stock={warehouse: row[index] for warehouse, index in columns.stock},
        attributes={name: row[index] for name, index in columns.attributes},
        fitment=[fitment] if fitment.strip() else [],
    )


def _texts(lines: FeedLines) -> Iterator[str]:
    """Line texts for the csv module; a skipped long line becomes an empty line."""
    for line in lines:
        yield line.text if line.text is not None else "\n"


def _read_header(lines: FeedLines, path: Path) -> tuple[Columns, str]:
    first = next(lines, None)
    if first is None or first.text is None:
        raise FeedError("the header line is missing or longer than 1 MB", path=str(path), line=1)
    if not first.text.strip():
        raise FeedError("line 1 is blank; the first line must name the columns", path=str(path))
    delimiter = _delimiter(first.text)
    names = next(csv.reader([first.text], delimiter=delimiter), [])
    lines.take_raw()
    return Columns.from_header(names, path), delimiter


def read_csv(path: Path) -> FeedStream:
    """Offers from a supplier CSV, one per row; see docs/feeds.md for the columns.

    Raises FeedError (when iteration starts) for a file that cannot be read at all.
    """
    with FeedLines(path) as lines:
        columns, delimiter = _read_header(lines, path)
        reader = csv.reader(_texts(lines), delimiter=delimiter)
        while True:
            first_line = lines.number + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield from _rejected(first_line, f"the row is not valid CSV ({exc})", lines)
                continue
            yield from _row_items(first_line, row, lines, columns)


def _rejected(first_line: int, reason: str, lines: FeedLines) -> Iterator[Rejection]:
    raw = lines.take_raw()
    if lines.too_long:  # the long line is the reason, whatever the csv module made of it
        yield from (too_long_rejection(line) for line in lines.too_long)
        lines.too_long.clear()
    else:
        yield Rejection(f"line {first_line}", reason, raw, line=first_line)


def _row_items(first_line: int, row: list[str], lines: FeedLines, columns: Columns) -> FeedStream:
    if lines.too_long:
        yield from _rejected(first_line, "", lines)
    elif len(row) != len(columns.names):
        if any(cell.strip() for cell in row):  # a blank line is not a row
            reason = f"the row has {len(row)} cells; the header has {len(columns.names)} columns"
            yield from _rejected(first_line, reason, lines)
    elif any(cell.strip() for cell in row):  # a row of empty cells carries nothing
        try:
            yield _offer(f"line {first_line}", row, columns)
        except CellError as exc:
            yield from _rejected(first_line, str(exc), lines)
    lines.take_raw()
