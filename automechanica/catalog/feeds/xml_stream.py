"""Streaming PIES and ACES XML safely, and the helpers both Auto Care formats share.

PIES files run to gigabytes, so they are parsed as a stream with defusedxml
(no DTDs, no entities: XXE and billion-laughs payloads are refused) and each
finished record (`Item`, `App`) is dropped from the tree once read. The parser
target notes the line each record starts on, so a rejection says where to look;
parser and defusedxml errors become FeedErrors that say what to do.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers.expat import XMLParserType

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError, iterparse

from automechanica.catalog.feeds.lines import HEAD_BYTES, check_head, not_utf8, open_feed
from automechanica.catalog.feeds.records import Notice
from automechanica.catalog.vocabulary import BRANDS
from automechanica.errors import FeedError

MAX_RECORD_CHARS = 1 << 20  # an Item or App holding more text than this is skipped
_ELEMENT_COST = 64  # what an element costs against that budget, beyond its text
_READ_BYTES = 64 * 1024
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
#: Single-byte encodings the standard allows, read as Windows-1252 (its superset in
#: practice: files declaring ISO-8859-1 are mostly written by Windows programs).
_WESTERN_NAMES = frozenset(
    {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "windows-1252", "cp1252"}
)
_LATIN1_FALLBACK = "automechanica-latin1-fallback"
codecs.register_error(
    _LATIN1_FALLBACK,
    lambda e: (e.object[e.start : e.end].decode("latin-1"), e.end),  # type: ignore[attr-defined]
)
DTD_REFUSED = (
    "the file declares a DTD or entities, which feeds must not; refusing "
    "(XXE / billion-laughs protection)"
)
_BRAND_BY_AAIA = {brand.aaia_id: brand.name for brand in BRANDS}


def brand_for_aaia_id(aaia_id: str) -> str:
    """Our brand name for an AAIA brand id; an unknown id is kept as is (the importer
    reports it against the brand list)."""
    return _BRAND_BY_AAIA.get(aaia_id.strip().upper(), aaia_id.strip())


def local_name(tag: str) -> str:
    """'{http://www.autocare.org}Item' -> 'Item': suppliers differ on namespaces."""
    return tag.rpartition("}")[2]


def child_text(element: Element, path: str) -> str | None:
    """The stripped text of the first element at `path`, None if absent or empty."""
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


# --- the streaming XML reader --------------------------------------------------------


@dataclass(slots=True)
class XmlPiece:
    """A finished record (`index` >= 1) or a finished direct child of the root (index 0)."""

    element: Element
    line: int
    index: int = 0
    oversized: bool = False


class _RecordTarget:
    """Parser target: a TreeBuilder that notes the line each record starts on and stops
    growing a record past MAX_RECORD_CHARS (its further content is dropped, not stored)."""

    def __init__(self, record_tag: str) -> None:
        self._builder = TreeBuilder()
        self._record_tag = record_tag
        self.expat: XMLParserType | None = None
        self.lines: dict[int, int] = {}
        self.oversized: set[int] = set()
        self._record: Element | None = None
        self._depth = 0
        self._size = 0
        self._skipping = 0

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        name = local_name(tag)
        if self._skipping:
            self._skipping += 1
            return Element(name)
        if self._record is None:
            element = self._builder.start(name, attrs)
            if name == self._record_tag:
                self._record, self._depth, self._size = element, 1, 0
                self.lines[id(element)] = self.expat.CurrentLineNumber if self.expat else 0
            return element
        self._size += _ELEMENT_COST + len(name) + sum(len(k) + len(v) for k, v in attrs.items())
        if self._size > MAX_RECORD_CHARS:
            self.oversized.add(id(self._record))
            self._skipping = 1
            return Element(name)
        self._depth += 1
        return self._builder.start(name, attrs)

    def end(self, tag: str) -> Element:
        if self._skipping:
            self._skipping -= 1
            return Element(local_name(tag))
        element = self._builder.end(local_name(tag))
        if self._record is not None:
            self._depth -= 1
            if self._depth == 0:
                self._record = None
        return element

    def data(self, text: str) -> None:
        if self._record is not None:
            if self._skipping or self._size > MAX_RECORD_CHARS:
                return
            self._size += len(text)
            if self._size > MAX_RECORD_CHARS:
                self.oversized.add(id(self._record))
                return
        self._builder.data(text)

    def close(self) -> Element:
        return self._builder.close()


class _Utf8Source:
    """A binary file that checks, as the parser reads it, that every byte is UTF-8."""

    def __init__(self, file: BinaryIO, path: Path) -> None:
        self._file = file
        self._path = path
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._offset = 0
        self._lines = 1

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(_READ_BYTES if size < 0 else min(size, _READ_BYTES))
        try:
            self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            pending = len(exc.object) - len(data)
            line = self._lines + data[: max(exc.start - pending, 0)].count(b"\n")
            raise not_utf8(self._path, exc, self._offset - pending, line) from exc
        self._offset += len(data)
        self._lines += data.count(b"\n")
        return data


class _TranscodingSource:
    """A Windows-1252 / ISO-8859-1 file read as UTF-8: each block decoded and encoded
    again, the declaration rewritten to say UTF-8 (lines stay where they were)."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._decoder = codecs.getincrementaldecoder("cp1252")(errors=_LATIN1_FALLBACK)
        self._first = True

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(_READ_BYTES if size < 0 else min(size, _READ_BYTES))
        text = self._decoder.decode(data, final=not data)
        if self._first:
            self._first = False
            declared = _DECLARED_ENCODING.match(text.encode())
            if declared:
                start, end = declared.span(1)
                text = text[:start] + "UTF-8" + text[end:]  # the declaration is ASCII
        return text.encode()


def declared_encoding(path: Path, head: bytes) -> str | None:
    """The encoding an XML declaration names when it is not UTF-8 but one we transcode
    (ISO-8859-1, Windows-1252); None for UTF-8. Raises FeedError for any other."""
    declared = _DECLARED_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf")[:400])
    if not declared:
        return None
    name = declared.group(1).decode("ascii")
    if name.lower() in _UTF8_NAMES:
        return None
    if name.lower() in _WESTERN_NAMES:
        return name
    raise FeedError(
        f"the XML declares encoding {name!r}; we read UTF-8, ISO-8859-1 and Windows-1252 — "
        "re-export the file as UTF-8",
        path=str(path),
        line=1,
    )


def encoding_notice(path: Path) -> Notice | None:
    """The warning for an XML file declaring ISO-8859-1 or Windows-1252 (it is
    transcoded by `iter_xml`); None for UTF-8."""
    with open_feed(path) as file:
        head = file.read(HEAD_BYTES)
    check_head(path, head, windows_1252=True)
    name = declared_encoding(path, head)
    if name is None:
        return None
    return Notice(
        "file",
        f"{path.name} declares encoding {name!r}; it was read as Windows-1252 and "
        "transcoded to UTF-8 — check accented names, and ask for UTF-8 exports",
    )


def _not_well_formed(path: Path, error: ParseError) -> FeedError:
    line, column = error.position
    reason = re.sub(r":\s*line \d+, column \d+$", "", str(error))
    truncated = reason.startswith(("no element found", "unclosed token"))
    hint = (
        "the file ends in the middle of the XML: it was cut short — fetch or export it again"
        if truncated
        else "ask the supplier for a well-formed export"
    )
    return FeedError(
        f"the XML is not well formed ({reason}, column {column}); {hint}", path=str(path), line=line
    )


def _wrong_root(path: Path, found: str, expected: str) -> FeedError:
    hint = {"PIES": "it is a PIES product file", "ACES": "it is an ACES fitment file"}.get(found)
    advice = f"; {hint}: import it as {found}" if hint else ""
    return FeedError(
        f"the root element is <{found}>, but a {expected} file starts with <{expected}>{advice}",
        path=str(path),
    )


def iter_xml(path: Path, *, root_tag: str, record_tag: str) -> Iterator[XmlPiece]:
    """Stream a PIES/ACES file: each finished record, and each other child of the root.

    Every yielded element is detached from the tree afterwards, so memory stays flat.
    Raises FeedError for a file that is empty, not UTF-8, not well formed, has a
    DTD or entities, or has the wrong root element.
    """
    with open_feed(path) as file:
        head = file.read(HEAD_BYTES)
        western = declared_encoding(path, head) if head.lstrip().startswith(b"<") else None
        check_head(path, head, windows_1252=western is not None)
        file.seek(0)
        target = _RecordTarget(record_tag)
        parser = DefusedXMLParser(target=target, forbid_dtd=True)
        target.expat = parser.parser
        try:
            source = _TranscodingSource(file) if western else _Utf8Source(file, path)
            yield from _pieces(path, source, parser, target, root_tag)
        except ParseError as exc:
            raise _not_well_formed(path, exc) from exc
        except DefusedXmlException as exc:
            raise FeedError(
                DTD_REFUSED, path=str(path), line=parser.parser.CurrentLineNumber
            ) from exc


def _pieces(
    path: Path,
    source: _Utf8Source | _TranscodingSource,
    parser: DefusedXMLParser,
    target: _RecordTarget,
    root: str,
) -> Iterator[XmlPiece]:
    stack: list[Element] = []
    count = 0
    for event, element in iterparse(source, events=("start", "end"), parser=parser):
        if event == "start":
            if not stack and element.tag != root:
                raise _wrong_root(path, element.tag, root)
            stack.append(element)
            continue
        stack.pop()
        line = target.lines.pop(id(element), None)
        if line is not None:
            count += 1
            yield XmlPiece(element, line, count, id(element) in target.oversized)
            target.oversized.discard(id(element))
        elif len(stack) == 1:
            yield XmlPiece(element, 0)
        else:
            continue
        element.clear()
        stack[-1].remove(element)


def xml_count(piece: XmlPiece, tag: str, path: Path) -> int | None:
    """A trailer/footer count such as ItemCount, or None when the file gives none."""
    text = child_text(piece.element, tag)
    if text is None:
        return None
    if not text.isdigit():
        raise FeedError(f"{tag} {text!r} is not a number", path=str(path))
    return int(text)


def check_count(path: Path, declared: int | None, seen: int, what: str, tag: str) -> None:
    """Refuse a file whose trailer disagrees with what was read: it was cut or edited."""
    if declared is not None and declared != seen:
        raise FeedError(
            f"the file says {tag} {declared} but holds {seen} {what}; it was cut short or "
            "edited by hand — ask the supplier for a fresh export",
            path=str(path),
        )
