"""Supplier documents (policies, price sheets, notices): read, sanitize, chunk, store.

    report = await ingest(conn, Path("returns-policy.html"), supplier="atlas")

Text, Markdown and HTML are accepted. HTML goes through nh3 (the Rust `ammonia`
sanitizer: a maintained allow-list cleaner on a real HTML5 parser) with only
text-structure tags allowed, so scripts, styles, attributes and comments are gone
before the text is extracted. Chunks of about `size` characters follow paragraph
and sentence boundaries and overlap by about `overlap` characters, so a passage
cut at a chunk border is still whole in one of them. The document and its chunks
are written in one transaction; the chunks' embedding jobs come with them
(migration 0002), and the embedding worker makes them searchable. A file ingested
twice for the same supplier adds nothing.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nh3
from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from automechanica.errors import NotFoundError
from automechanica.memory.errors import DocumentError

MAX_BYTES = 5 * 1024 * 1024
CHUNK_SIZE = 1000  # characters: about 200 tokens, inside the model's 256
CHUNK_OVERLAP = 200
MAX_CHUNKS = 5000
KINDS_BY_SUFFIX = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
}
#: Tags kept by the sanitizer: enough structure to find paragraphs and a title.
TEXT_TAGS = {
    "p", "br", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "td", "th", "pre", "blockquote",
    "title", "dl", "dt", "dd",
}  # fmt: skip
BLOCK_TAGS = TEXT_TAGS - {"br"}


@dataclass(frozen=True)
class Document:
    """A document read and cleaned, ready to chunk."""

    title: str
    content_type: str
    text: str
    content_hash: str  # sha256 of the file's bytes


@dataclass(frozen=True)
class IngestReport:
    document_id: int
    title: str
    chunks: int
    already_ingested: bool


def read_document(path: Path, *, max_bytes: int = MAX_BYTES) -> Document:
    """Read `path` as text, Markdown or HTML; DocumentError says what is wrong with it."""
    name = str(path)
    content_type = KINDS_BY_SUFFIX.get(path.suffix.lower())
    if content_type is None:
        raise DocumentError(
            name, f"unsupported file type {path.suffix or '(none)'!r}; use .txt, .md or .html"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(name, f"cannot be read ({exc.strerror})") from exc
    if size > max_bytes:
        raise DocumentError(
            name, f"is {size:,} bytes, over the {max_bytes:,}-byte limit; split it first"
        )
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise DocumentError(name, "contains NUL bytes: it looks binary, not text")
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            name, f"is not UTF-8 text (bad byte at offset {exc.start}); convert it to UTF-8"
        ) from exc
    if content_type == "text/html":
        title, text = html_to_text(decoded)
    else:
        title, text = _plain_title(decoded, markdown=content_type == "text/markdown"), decoded
    text = _tidy(text)
    if not text:
        raise DocumentError(name, "has no text to ingest")
    return Document(title or path.stem, content_type, text, hashlib.sha256(raw).hexdigest())


def html_to_text(markup: str) -> tuple[str | None, str]:
    """(title, text) of HTML after sanitizing it: blocks become paragraphs."""
    clean = nh3.clean(
        markup,
        tags=TEXT_TAGS,
        attributes={},
        strip_comments=True,
        clean_content_tags={"script", "style", "template", "noscript"},
        url_schemes=set(),
        link_rel=None,
    )
    parser = _TextParser()
    parser.feed(clean)
    parser.close()
    return parser.title, parser.text()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: str | None = None
        self._in_title = False
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag == "br":
            self.parts.append("\n")
        elif tag in BLOCK_TAGS:
            self.parts.append("\n\n")
            if tag in ("h1", "h2") and self.title is None and self._heading is None:
                self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in BLOCK_TAGS:
            self.parts.append("\n\n")
            if tag in ("h1", "h2") and self._heading is not None:
                self.title = self.title or " ".join("".join(self._heading).split()) or None
                self._heading = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = " ".join(data.split()) or self.title
            return
        if self._heading is not None:
            self._heading.append(data)
        self.parts.append(data)

    def text(self) -> str:
        return html.unescape("".join(self.parts))


def _plain_title(text: str, *, markdown: bool) -> str | None:
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if markdown:
            heading = re.match(r"#{1,6}\s+(.*)", line)
            return heading.group(1).strip() if heading else None
        return line[:120]
    return None


def _tidy(text: str) -> str:
    """Spaces collapsed within lines, at most one blank line between paragraphs."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _units(text: str, size: int) -> list[tuple[str, str]]:
    """(piece, separator before it): sentences of paragraphs, words of over-long ones."""
    units: list[tuple[str, str]] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        separator = "\n\n"
        for sentence in _SENTENCE_END.split(paragraph):
            while len(sentence) > size:
                cut = sentence.rfind(" ", 0, size)
                cut = cut if cut > 0 else size
                units.append((sentence[:cut], separator))
                sentence, separator = sentence[cut:].lstrip(), " "
            if sentence:
                units.append((sentence, separator))
                separator = " "
    return units


def chunk_text(text: str, *, size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP) -> list[str]:
    """Chunks of at most about `size` characters; each starts with the previous one's last
    sentences (up to `overlap` characters), so no passage is only ever seen cut in two."""
    if overlap >= size:
        raise ValueError("overlap must be smaller than size")
    chunks: list[str] = []
    current: list[tuple[str, str]] = []
    length = 0
    for unit in _units(text, size):
        if current and length + len(unit[1]) + len(unit[0]) > size:
            chunks.append(_join(current))
            carry: list[tuple[str, str]] = []
            carried = 0
            for piece in reversed(current):
                if carried + len(piece[0]) + 1 > overlap:
                    break
                carry.insert(0, piece)
                carried += len(piece[0]) + 1
            current, length = carry, carried
        current.append(unit)
        length += len(unit[1]) + len(unit[0])
    if current:
        chunks.append(_join(current))
    return chunks


def _join(units: list[tuple[str, str]]) -> str:
    return "".join(sep + piece for piece, sep in units).strip()


SUPPLIER_ID = (
    "SELECT id FROM suppliers WHERE name = %(name)s OR lower(display_name) = lower(%(name)s)"
)
INSERT_DOCUMENT = """
INSERT INTO supplier_documents (supplier_id, title, source_name, content_type, content_hash)
VALUES (%(supplier_id)s, %(title)s, %(source_name)s, %(content_type)s, %(content_hash)s)
ON CONFLICT (supplier_id, content_hash) DO NOTHING
RETURNING id
"""
EXISTING_DOCUMENT = """
SELECT d.id, d.title, (SELECT count(*) FROM document_chunks c WHERE c.document_id = d.id)
FROM supplier_documents d
WHERE d.supplier_id IS NOT DISTINCT FROM %(supplier_id)s AND d.content_hash = %(content_hash)s
"""
# One statement for all chunks: the embedding-jobs trigger runs once.
INSERT_CHUNKS = """
INSERT INTO document_chunks (document_id, chunk_index, content)
SELECT %(document_id)s, i - 1, c FROM unnest(%(chunks)s::text[]) WITH ORDINALITY AS u(c, i)
"""


async def ingest(
    conn: AsyncConnection[Any],
    path: Path,
    *,
    supplier: str | None,
    max_bytes: int = MAX_BYTES,
    size: int = CHUNK_SIZE,
    overlap: int = CHUNK_OVERLAP,
) -> IngestReport:
    """Store `path` for `supplier` (a supplier's name; None: a store-wide document)."""
    document = read_document(path, max_bytes=max_bytes)
    chunks = chunk_text(document.text, size=size, overlap=overlap)
    if len(chunks) > MAX_CHUNKS:
        raise DocumentError(str(path), f"makes {len(chunks):,} chunks (limit {MAX_CHUNKS:,})")
    async with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
        supplier_id = None
        if supplier is not None:
            await cur.execute(SUPPLIER_ID, {"name": supplier})
            row = await cur.fetchone()
            if row is None:
                raise NotFoundError("supplier", supplier)
            supplier_id = int(row[0])
        params = {
            "supplier_id": supplier_id,
            "title": document.title,
            "source_name": path.name,
            "content_type": document.content_type,
            "content_hash": document.content_hash,
        }
        await cur.execute(INSERT_DOCUMENT, params)
        row = await cur.fetchone()
        if row is None:
            await cur.execute(EXISTING_DOCUMENT, params)
            existing = await cur.fetchone()
            assert existing is not None
            return IngestReport(int(existing[0]), str(existing[1]), int(existing[2]), True)
        document_id = int(row[0])
        await cur.execute(INSERT_CHUNKS, {"document_id": document_id, "chunks": chunks})
    return IngestReport(document_id, document.title, len(chunks), False)
