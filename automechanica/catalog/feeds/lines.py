"""Opening a feed file safely, and reading it as bounded lines (CSV and JSON lines).

Every reader opens its file here and checks the first 64 KB is UTF-8 before it
yields anything. CSV and JSON lines are then read one physical line at a time
with a hard cap on line length, so a 100 MB line (a broken export, a runaway
quoted field) costs one rejection and bounded memory, never the whole import.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from automechanica.catalog.feeds.records import Rejection
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
