"""Opening a feed file safely, and reading it as bounded lines (CSV and JSON lines).

Every reader opens its file here and checks the first 64 KB is UTF-8 before it
yields anything. CSV and JSON lines are then read as physical lines (decoded a
block of many at a time, which is what keeps the readers fast) with a hard cap
on line length, so a 100 MB line (a broken export, a runaway
quoted field) costs one rejection and bounded memory, never the whole import.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from automechanica.catalog.feeds.records import Notice, Rejection
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


WINDOWS_1252 = "cp1252"


def transcoded_notice(error: UnicodeDecodeError, path: Path) -> Notice:
    """The warning for a file read as Windows-1252 because it is not UTF-8."""
    bad = error.object[error.start : error.start + 1].hex().upper()
    return Notice(
        "file",
        f"{path.name} is not UTF-8 (byte 0x{bad} at byte offset {error.start:,}); it was read "
        "as Windows-1252 and transcoded — check accented names, and ask for UTF-8 exports",
    )


def check_head(path: Path, head: bytes, *, windows_1252: bool = False) -> Notice | None:
    """Refuse, before anything is yielded, a file that is empty or not UTF-8. With
    `windows_1252`, a head that is not UTF-8 but is Windows-1252 is accepted: the
    notice that says so comes back (the caller decodes it as cp1252)."""
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
        if windows_1252:
            try:
                head.decode(WINDOWS_1252)
            except UnicodeDecodeError:
                pass  # not Windows-1252 either (bytes it leaves undefined): refused below
            else:
                return transcoded_notice(exc, path)
        line = head[: exc.start].count(b"\n") + 1
        raise not_utf8(path, exc, 0, line) from exc
    return None


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


_BLOCK_BYTES = 1 << 18  # read at a time; under the cap, so only a line carried over can pass it
_TOO_LONG = MAX_LINE_BYTES + 2  # a line whose text (line end excluded) has this many bytes
_ODD_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _split_lines(text: str) -> list[str]:
    """`text` cut after each "\\n" only, line ends kept (what `readline` gives, and what
    the csv module wants); `str.splitlines` also cuts at \\r, \\f, U+2028 and others,
    so it serves only when none of those is there ("\\r\\n" is fine)."""
    odd = [c for c in _ODD_BREAKS if c in text]
    if not odd or (odd == ["\r"] and text.count("\r") == text.count("\r\n")):
        return text.splitlines(keepends=True)
    lines = [line + "\n" for line in text.split("\n")]
    last = lines.pop()
    if last != "\n":
        lines.append(last[:-1])
    return lines


class FeedLines:
    """The file's lines, decoded as UTF-8, each at most `MAX_LINE_BYTES` long.

    Use it in a `with` block: entering checks the file's first 64 KB. Lines keep
    their line ending, as the csv module wants. A longer line is read through in
    chunks and discarded: it comes out with `text=None` (as "\\n" from `texts`) and is
    listed in `too_long` when it is reached.

    The file is read and decoded in blocks of many lines, not line by line: that is
    what lets a CSV reader keep up with the csv module. A bad byte still raises only
    when its line is reached, after every line before it has come out.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.number = 0  # the last line returned by `next`
        self.too_long: list[Line] = []
        self.keep_from = 1  # lines from here on are kept for `raw`
        self._file: BinaryIO | None = None
        self._texts: Iterator[str] = iter(())
        self._kept: list[tuple[int, list[str]]] = []  # (number of the first line, lines)
        self._bom = 0  # bytes of BOM dropped from line 1
        self._recent: list[str] = []
        self._recent_chars = 0
        self.encoding = "utf-8"
        self.notice: Notice | None = None  # set when the file is read as Windows-1252

    def __enter__(self) -> FeedLines:
        self._file = open_feed(self.path)
        try:
            head = self._file.read(HEAD_BYTES)
            self.notice = check_head(self.path, head, windows_1252=True)
            if self.notice is not None:
                self.encoding = WINDOWS_1252
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
        self._texts = chain.from_iterable(self._blocks(self._file))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._file is not None:
            self._file.close()

    def texts(self) -> Iterator[str]:
        """The text of every line in turn, for the csv module (which counts them in
        `line_num`); a line over the cap is "\\n" here."""
        return self._texts

    def __iter__(self) -> Iterator[Line]:
        return self

    def __next__(self) -> Line:
        assert self._file is not None, "use FeedLines in a with block"
        text = next(self._texts)
        self.number += 1
        self.keep_from = self.number
        if self.too_long and self.too_long[-1].number == self.number:
            return self.too_long[-1]
        self._remember(text)
        size = len(text.encode()) + (self._bom if self.number == 1 else 0)
        return Line(self.number, text, size)

    def _blocks(self, file: BinaryIO) -> Iterator[list[str]]:
        """The lines, a block at a time; a line over the cap is reported as it is reached."""
        number = 0  # lines given out so far
        offset = 0  # file offset of `data`
        data = b""
        while chunk := file.read(_BLOCK_BYTES):
            carried = len(data)
            data = data + chunk if carried else chunk
            end = data.find(b"\n") if carried else 0
            if end >= _TOO_LONG or (end < 0 and len(data) >= _TOO_LONG):
                size, data = self._skip_long(file, data, end)
                number += 1
                self.too_long.append(Line(number, None, size))
                yield self._keep(number, ["\n"])
                offset += size
            cut = data.rfind(b"\n") + 1
            if cut:
                yield from self._decoded(data[:cut], offset, number)
                number = self._kept[-1][0] + len(self._kept[-1][1]) - 1
                offset += cut
                data = data[cut:]
        if data:
            yield from self._decoded(data, offset, number)

    def _skip_long(self, file: BinaryIO, data: bytes, end: int) -> tuple[int, bytes]:
        """Read through a line over the cap: (its size in bytes, what follows it)."""
        size = 0
        while end < 0:
            size += len(data)
            data = file.read(_SKIP_CHUNK)
            if not data:
                return size, b""
            end = data.find(b"\n")
        return size + end + 1, data[end + 1 :]

    def _decoded(self, data: bytes, offset: int, number: int) -> Iterator[list[str]]:
        """The lines of `data` (whole lines, the first being line `number + 1`); for a
        byte that is not UTF-8, the lines before its line, then the FeedError."""
        try:
            text = data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            line = number + data.count(b"\n", 0, exc.start) + 1
            error = not_utf8(self.path, exc, offset, line)
            good = data.rfind(b"\n", 0, exc.start) + 1
            if good:
                yield from self._decoded(data[:good], offset, number)
            raise error from exc
        if number == 0 and text.startswith("\ufeff"):
            text = text[1:]
            self._bom = len(codecs.BOM_UTF8)
        yield self._keep(number + 1, _split_lines(text))

    def _keep(self, first: int, lines: list[str]) -> list[str]:
        """Hold on to `lines` for `raw` while they may belong to the row being read."""
        kept = self._kept
        while kept and kept[0][0] + len(kept[0][1]) <= self.keep_from:  # ends before it
            del kept[0]
        kept.append((first, lines))
        return lines

    def raw(self, first: int, last: int) -> str:
        """The start of lines `first` to `last` (a rejected row as read), without its
        line end; only lines from `keep_from` on are still at hand."""
        parts: list[str] = []
        chars = 0
        for start, lines in self._kept:
            for text in lines[max(first - start, 0) : max(last - start + 1, 0)]:
                if chars >= RAW_CHARS:
                    break
                parts.append(text)
                chars += len(text)
        return "".join(parts)[:RAW_CHARS].rstrip("\r\n")

    def _remember(self, text: str) -> None:
        if self._recent_chars < RAW_CHARS:
            self._recent.append(text)
            self._recent_chars += len(text)

    def take_raw(self) -> str:
        """The start of the text read by `next` since the last call: the raw row for a rejection."""
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
