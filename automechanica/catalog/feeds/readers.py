"""Which reader a feed needs, and one entry point that dispatches to it.

The content decides first (an XML root element, a leading `{`), the file name
second: suppliers name files carelessly ("export.txt"), but an XML file always
says what it is in its first bytes.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from pathlib import Path

from automechanica.catalog.feeds.aces import read_aces
from automechanica.catalog.feeds.csv_feed import read_csv
from automechanica.catalog.feeds.jsonl_feed import read_jsonl
from automechanica.catalog.feeds.lines import check_head, open_feed
from automechanica.catalog.feeds.mapping import LayoutMapping
from automechanica.catalog.feeds.pies import read_pies
from automechanica.catalog.feeds.records import FEED_FORMATS, FeedFormat, FeedStream
from automechanica.catalog.feeds.xml_stream import DTD_REFUSED
from automechanica.errors import FeedError

_SNIFF_BYTES = 4096
_BY_EXTENSION: dict[str, FeedFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_XML_ROOTS: dict[str, FeedFormat] = {"PIES": "pies", "ACES": "aces"}
# The first element after the XML prolog (declaration, comments, processing instructions).
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|\s)*", re.DOTALL)

READERS: dict[FeedFormat, Callable[[Path], FeedStream]] = {
    "csv": read_csv,
    "jsonl": read_jsonl,
    "pies": read_pies,
    "aces": read_aces,
}


def _xml_format(path: Path, head: bytes) -> FeedFormat:
    doctype = head.find(b"<!DOCTYPE")
    if doctype >= 0:  # both XML readers refuse it; say so now rather than guess the root
        raise FeedError(DTD_REFUSED, path=str(path), line=head[:doctype].count(b"\n") + 1)
    prolog = _PROLOG.match(head)
    match = _FIRST_ELEMENT.match(head, prolog.end() if prolog else 0)
    root = match.group(2).decode("ascii") if match else ""
    if root in _XML_ROOTS:
        return _XML_ROOTS[root]
    raise FeedError(
        f"the file is XML but its root element is <{root or '?'}>; we read PIES (<PIES>) "
        "product files and ACES (<ACES>) fitment files",
        path=str(path),
    )


def detect_format(path: Path) -> FeedFormat:
    """The feed's format from its first bytes (`<PIES`, `<ACES`, `{`), else its
    extension, else CSV. Raises FeedError for an empty or unreadable file."""
    with open_feed(path) as file:
        head = file.read(_SNIFF_BYTES)
    check_head(path, head, windows_1252=True)
    body = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if body.startswith(b"<"):
        return _xml_format(path, body)
    if body.startswith(b"{"):
        return "jsonl"
    return _BY_EXTENSION.get(path.suffix.lower(), "csv")


#: What starts one record in each format, for counting records ahead of an import.
_RECORD_MARKS: dict[FeedFormat, tuple[bytes, ...]] = {
    "csv": (b"\n",),
    "jsonl": (b"\n",),
    "pies": (b"<Item>", b"<Item "),
    "aces": (b"<App>", b"<App "),
}


def count_records(path: Path, fmt: FeedFormat) -> int:
    """About how many records the file holds, for a progress bar: a byte scan at disk
    speed (lines for CSV and JSON lines, less the header; opening tags for XML)."""
    marks = _RECORD_MARKS[fmt]
    overlap = max(len(m) for m in marks) - 1
    count, tail = 0, b""
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            window = tail + chunk
            count += sum(window.count(m) - tail.count(m) for m in marks)
            tail = window[-overlap:] if overlap else b""
    return max(count - 1, 0) if fmt == "csv" else count  # CSV: less the header


def read_feed(
    path: Path,
    fmt: FeedFormat | None = None,
    *,
    layout: LayoutMapping | None = None,
    cost_price_type: str | None = None,
) -> FeedStream:
    """Records and rejections from a feed file, in the given format or the detected one.

    `layout` (CSV, JSON lines): which column or key gives each field; `cost_price_type`
    (PIES): which PriceType is the cost. A FeedError for a file that cannot be read is
    raised once iteration starts (or here, if detection itself fails).
    """
    if fmt is not None and fmt not in FEED_FORMATS:
        raise FeedError(
            f"unknown feed format {fmt!r}; use one of {', '.join(FEED_FORMATS)}", path=str(path)
        )
    fmt = fmt or detect_format(path)
    if fmt == "csv" and layout is not None:
        return read_csv(path, layout)
    if fmt == "jsonl" and layout is not None:
        return read_jsonl(path, layout)
    if fmt == "pies" and cost_price_type:
        return read_pies(path, cost_price_type)
    return READERS[fmt](path)
