"""The CSV supplier feed, and the bounded line source it shares with JSON lines.

A supplier CSV is one offer per row under a header whose names vary by
supplier ("Net", "our_cost", "cost"); we match them through aliases. The file
is read one physical line at a time with a hard cap on line length, so a
100 MB line (a broken export, a runaway quoted field) costs one rejection and
bounded memory, never the whole import.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from automechanica.catalog.feeds.records import FeedStream, OfferRecord, Rejection
from automechanica.catalog.feeds.values import CellError, offer_from_cells
from automechanica.errors import FeedError

MAX_LINE_BYTES = 1 << 20  # a line longer than this is reported and skipped
HEAD_BYTES = 64 * 1024  # checked for UTF-8 before anything is yielded
RAW_CHARS = 500  # how much of a rejected row is kept to show people
_SKIP_CHUNK = 1 << 20
UTF8_HINT = (
    "re-export the file as UTF-8 (in Excel: Save As › CSV UTF-8; in LibreOffice: "
    "character set Unicode (UTF-8))"
)


def not_utf8(path: Path, error: UnicodeDecodeError, base: int, line: int) -> FeedError:
    """The FeedError for bytes that are not UTF-8; `base` is the file offset of the bytes
    the decoder was given, so the message can name the exact byte offset."""
    bad = error.object[error.start : error.start + 1].hex().upper()
    return FeedError(
        f"the file is not UTF-8: byte 0x{bad} at byte offset {base + error.start:,} cannot be "
        f"decoded; {UTF8_HINT}",
        path=str(path),
        line=line,
    )


def check_head(path: Path, head: bytes) -> None:
    """Refuse, before anything is yielded, a file that is empty or not UTF-8."""
    body = head.removeprefix(codecs.BOM_UTF8)
    if not body.strip():
        raise FeedError(
            "the file is empty; export it again, or check that the right file was sent",
            path=str(path),
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FeedError(f"the file is UTF-16, not UTF-8; {UTF8_HINT}", path=str(path), line=1)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        raise not_utf8(path, exc, 0, line) from exc


def open_feed(path: Path) -> BinaryIO:
    """Open a feed for binary reading, turning OS errors into FeedError."""
    try:
        return path.open("rb")
    except OSError as exc:
        raise FeedError(
            f"the file cannot be opened ({exc.strerror}); check the path and permissions",
            path=str(path),
        ) from exc


@dataclass(slots=True)
class Line:
    """One physical line: its 1-based number, its text (None if too long), its size."""

    number: int
    text: str | None
    size: int


class FeedLines:
    """The file's lines, decoded as UTF-8, each at most `MAX_LINE_BYTES` long.

    Use it in a `with` block: entering checks the file's first 64 KB. Lines keep
    their line ending, as the csv module wants. A longer line is read through in
    chunks and discarded: it comes out with `text=None` and is listed in `too_long`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.number = 0  # the last line read
        self.too_long: list[Line] = []
        self._file: BinaryIO | None = None
        self._offset = 0
        self._recent: list[str] = []
        self._recent_chars = 0

    def __enter__(self) -> FeedLines:
        self._file = open_feed(self.path)
        try:
            head = self._file.read(HEAD_BYTES)
            check_head(self.path, head)
            if b"\r" in head and b"\n" not in head and head.count(b"\r") > 1:
                raise FeedError(
                    "the file uses old Mac line endings (CR only); re-export it with "
                    "Windows (CRLF) or Unix (LF) line endings",
                    path=str(self.path),
                )
            self._file.seek(0)
        except BaseException:
            self._file.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._file is not None:
            self._file.close()

    def __iter__(self) -> Iterator[Line]:
        return self

    def __next__(self) -> Line:
        assert self._file is not None, "use FeedLines in a with block"
        chunk = self._file.readline(MAX_LINE_BYTES + 2)
        if not chunk:
            raise StopIteration
        self.number += 1
        start = self._offset
        self._offset += len(chunk)
        if len(chunk) == MAX_LINE_BYTES + 2 and not chunk.endswith(b"\n"):
            return self._skip_rest(len(chunk))
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise not_utf8(self.path, exc, start, self.number) from exc
        if self.number == 1:
            text = text.removeprefix("\ufeff")
        self._remember(text)
        return Line(self.number, text, len(chunk))

    def _skip_rest(self, size: int) -> Line:
        assert self._file is not None
        while True:
            more = self._file.readline(_SKIP_CHUNK)
            size += len(more)
            self._offset += len(more)
            if not more or more.endswith(b"\n"):
                break
        line = Line(self.number, None, size)
        self.too_long.append(line)
        return line

    def _remember(self, text: str) -> None:
        if self._recent_chars < RAW_CHARS:
            self._recent.append(text)
            self._recent_chars += len(text)

    def take_raw(self) -> str:
        """The start of the text read since the last call: the raw row for a rejection."""
        raw = "".join(self._recent)[:RAW_CHARS].rstrip("\r\n")
        self._recent.clear()
        self._recent_chars = 0
        return raw


def too_long_rejection(line: Line) -> Rejection:
    """The rejection for a line over the length cap."""
    return Rejection(
        where=f"line {line.number}",
        reason=f"the line is {line.size:,} bytes long; lines over 1 MB are skipped",
        line=line.number,
    )


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
