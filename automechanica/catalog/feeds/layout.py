"""Layout inference: which column of an unfamiliar supplier file gives which field.

Deterministic, from two kinds of evidence, each field with a confidence and a
reason a person can check:

- **header words**: names split on camelCase, `_`, spaces and punctuation and
  matched against the synonyms of `layout_words.py` ("DealerPrice" -> cost);
- **sampled values** (the first rows): 12–14 digit numbers with valid GS1 check
  digits are a UPC, money-shaped values are prices, values that are known brands
  are the brand, years 1900–2030 (or "2012-2015") the year, known makes the make,
  and so on. A headerless CSV is read from its values alone.

Several price columns that no header names are ranked by their values (the lowest
is likely the cost, then jobber, MAP, MSRP) and marked unsure with their samples.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from automechanica.catalog.feeds.csv_feed import _delimiter, header_key
from automechanica.catalog.feeds.layout_words import PRICE_LADDER, PRICE_WORDS, SPELLED, SYNONYMS
from automechanica.catalog.feeds.lines import FeedLines
from automechanica.catalog.feeds.mapping import SURE, FieldMapping, LayoutMapping
from automechanica.catalog.feeds.readers import detect_format
from automechanica.catalog.feeds.units import UNIT_SYNONYMS
from automechanica.catalog.feeds.values import (
    CellError,
    is_blank,
    parse_datetime,
    parse_money,
    parse_part_type,
    parse_upc,
)
from automechanica.catalog.feeds.vehicle_cells import parse_years
from automechanica.catalog.vocabulary import BRANDS, DEMO_MAKES, MAKE_ALIASES, alias_key
from automechanica.errors import FeedError

SAMPLE_ROWS = 200
SHOWN_SAMPLES = 5
PRICE_FIELDS = ("cost", "jobber", "map", "msrp", "core_charge")

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")
_SPLIT = re.compile(r"[^a-z0-9#]+")
_MONEY = re.compile(r"^\$?\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")
_CENTS = re.compile(r"\.\d{2}$|^\$")
_INT = re.compile(r"^\d{1,9}$")
_DIGITS = re.compile(r"^\d{8,14}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-./ ]{0,30}$")
_ENGINE = re.compile(r"\b\d{1,2}\.\d\s*L\b|\b[VLI]\d{1,2}\b|\bcyl", re.IGNORECASE)
_FITMENT_YEAR = re.compile(r"(?:19|20)\d{2}|'\d{2}")
_YES_NO = frozenset({"y", "n", "yes", "no", "true", "false", "t", "f", "0", "1"})


# --- what the file is compared with -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownValues:
    """Brands and makes the catalog knows (alias keys -> canonical name), for reading values."""

    brands: dict[str, str]
    makes: dict[str, str]

    @classmethod
    def builtin(cls) -> KnownValues:
        """Our reference vocabulary; `profiles.known_values` reads the database's tables."""
        brands = {alias_key(b.name): b.name for b in BRANDS}
        brands |= {alias_key(a): b.name for b in BRANDS for a in b.aliases}
        makes = {alias_key(m): m for m in DEMO_MAKES} | {k: v for k, v in MAKE_ALIASES.items()}
        return cls(brands, makes)


@dataclass(slots=True)
class Column:
    """One source column: where it is, what its header says, what its values look like."""

    source: str
    words: str  # the header split into lower-case words; "" for a headerless file
    values: list[str] = field(default_factory=list)
    kind: Literal["scalar", "list", "object"] = "scalar"
    position: int = 0


def header_words(name: str) -> str:
    """'DealerPrice' -> 'dealer price'; 'Item #' -> 'item number'; 'a.b' -> 'a b'."""
    spaced = _CAMEL.sub(" ", name.strip())
    words = [SPELLED.get(w, w) for w in _SPLIT.split(spaced.lower().replace("#", " # ")) if w]
    return " ".join(words)


_PHRASES = {name: {p: set(p.split()) for p in phrases} for name, phrases in SYNONYMS.items()}
_COMPACT = {name: {p.replace(" ", "") for p in phrases} for name, phrases in SYNONYMS.items()}


def header_score(name: str, words: str) -> tuple[float, str]:
    """How strongly header words name field `name` (0-1), and the phrase that matched."""
    if not words:
        return 0.0, ""
    if words in _PHRASES[name] or words.replace(" ", "") in _COMPACT[name]:
        return 1.0, words
    tokens = set(words.split())
    best, phrase = 0.0, ""
    for candidate, needed in _PHRASES[name].items():
        if needed <= tokens:
            # every word of the phrase is in the header: longer phrases say more
            score = 0.55 + 0.3 * len(needed) / max(len(tokens), 1)
            if score > best:
                best, phrase = score, candidate
    return min(best, 0.9), phrase


# --- what values look like ----------------------------------------------------------------------


def _share(values: list[str], test: Callable[[str], bool]) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _ok(parse: Callable[[str], object]) -> Callable[[str], bool]:
    def test(text: str) -> bool:
        try:
            parse(text)
        except (CellError, ValueError, ArithmeticError):
            return False
        return True

    return test


def _is_upc(text: str) -> bool:
    compact = text.strip().replace(" ", "").replace("-", "")
    return bool(_DIGITS.match(compact)) and len(compact) in (12, 13, 14) and _ok(parse_upc)(compact)


def _is_money(text: str) -> bool:
    return bool(_MONEY.match(text.strip())) and _ok(lambda t: parse_money(t, ""))(text)


def _is_year(text: str) -> bool:
    return bool(re.match(r"^\s*\d{4}", text)) and _ok(parse_years)(text)


def _is_code(text: str) -> bool:
    t = text.strip()
    return bool(_CODE.match(t)) and any(c.isdigit() for c in t) and t.count(" ") <= 2


def _is_fitment(text: str) -> bool:
    return bool(_FITMENT_YEAR.search(text)) and sum(c.isalpha() for c in text) >= 3 and " " in text


@dataclass(slots=True)
class Profile:
    """What a column's sampled values look like, each a share of its non-blank values."""

    upc: float
    money: float
    cents: float
    integer: float
    year: float
    brand: float
    make: float
    part_type: float
    uom: float
    yes_no: float
    date: float
    engine: float
    fitment: float
    code: float
    text: float  # words with spaces
    length: float  # average length
    median: Decimal | None  # of money-shaped values
    distinct: float

    @classmethod
    def of(cls, values: list[str], known: KnownValues) -> Profile:
        money = [v for v in values if _is_money(v)]
        amounts = sorted(parse_money(v, "") for v in money)
        return cls(
            upc=_share(values, _is_upc),
            money=len(money) / len(values) if values else 0.0,
            cents=_share(money, lambda v: bool(_CENTS.search(v.strip()))) if money else 0.0,
            integer=_share(values, lambda v: bool(_INT.match(v.strip()))),
            year=_share(values, _is_year),
            brand=_share(values, lambda v: alias_key(v) in known.brands),
            make=_share(values, lambda v: alias_key(v) in known.makes),
            part_type=_share(values, _ok(parse_part_type)),
            uom=_share(values, lambda v: re.sub(r"[^a-z]", "", v.lower()) in UNIT_SYNONYMS),
            yes_no=_share(values, lambda v: v.strip().lower() in _YES_NO),
            date=_share(values, lambda v: "-" in v and _ok(lambda t: parse_datetime(t, ""))(v)),
            engine=_share(values, lambda v: bool(_ENGINE.search(v))),
            fitment=_share(values, _is_fitment),
            code=_share(values, _is_code),
            text=_share(values, lambda v: " " in v.strip() and sum(c.isalpha() for c in v) > 3),
            length=statistics.fmean(len(v) for v in values) if values else 0.0,
            median=statistics.median(amounts) if amounts else None,
            distinct=len(set(values)) / len(values) if values else 0.0,
        )


def _price_fit(p: Profile) -> float:
    return p.money * (0.6 + 0.4 * p.cents) * (1 - p.upc)


def _count_fit(p: Profile) -> float:
    return p.integer * (1 - p.year)


#: How well a column's values suit each field (0-1).
_FITS: dict[str, Callable[[Profile], float]] = {
    "upc": lambda p: p.upc,
    "cost": _price_fit,
    "jobber": _price_fit,
    "map": _price_fit,
    "msrp": _price_fit,
    "core_charge": _price_fit,
    "weight_lb": lambda p: p.money * (1 - p.upc),
    "year": lambda p: p.year,
    "make": lambda p: p.make,
    "brand": lambda p: p.brand,
    "part_type": lambda p: p.part_type,
    "uom": lambda p: p.uom,
    "hazmat": lambda p: p.yes_no,
    "updated_at": lambda p: p.date,
    "engine": lambda p: p.engine,
    "fitment": lambda p: p.fitment,
    "pack_qty": lambda p: max(_count_fit(p), 0.8 * p.uom),
    "stock": _count_fit,
    "sku": lambda p: p.code * (1 - p.money * p.cents) * (1 - p.upc) * (1 - p.year),
    "mpn": lambda p: p.code * (1 - p.money * p.cents) * (1 - p.upc) * (1 - p.year),
    "title": lambda p: p.text,
    "description": lambda p: p.text,
    "model": lambda p: (1 - p.money) * (1 - p.year) * (1 - p.make) * (p.length < 30 or 0.3),
    "submodel": lambda p: (1 - p.money) * (1 - p.year) * (1 - p.make) * (p.length < 30 or 0.3),
}


def _value_fit(name: str, p: Profile) -> float:
    """How well a column's values suit field `name` (0-1)."""
    fit = _FITS.get(name)
    return float(fit(p)) if fit is not None else 0.0


#: Fields a value test alone can find (with how much to trust it), in a headerless file
#: or beside headers that say nothing.
_BY_VALUES: dict[str, float] = {
    "upc": 0.95, "brand": 0.93, "year": 0.9, "make": 0.9, "part_type": 0.9, "uom": 0.85,
    "updated_at": 0.85, "fitment": 0.85, "engine": 0.8, "hazmat": 0.6,
}  # fmt: skip
_VALUE_REASON = {
    "upc": "12–14 digit numbers with valid GS1 check digits",
    "brand": "values are brands we carry",
    "year": "values are years 1900–2030 (or ranges)",
    "make": "values are vehicle makes",
    "part_type": "values are our part types",
    "uom": "values are units of sale (EA, PR, SET…)",
    "updated_at": "values are ISO dates",
    "fitment": "values read as vehicle fitment text",
    "engine": "values look like engines (1.8L, V6)",
    "hazmat": "values are yes/no",
}


# --- sampling the file ------------------------------------------------------------------------


def _csv_columns(path: Path, rows: int) -> tuple[list[Column], bool]:
    with FeedLines(path) as lines:
        texts = lines.texts()
        first = next(texts, "")
        delimiter = _delimiter(first)
        head = next(csv.reader([first], delimiter=delimiter), [])
        sample: list[list[str]] = []
        for row in csv.reader(texts, delimiter=delimiter):
            if any(cell.strip() for cell in row):
                sample.append(row)
            if len(sample) >= rows:
                break
    has_header = not any(_is_money(c) or _is_upc(c) or _is_year(c) for c in head if c.strip())
    if not has_header:
        sample.insert(0, head)
    width = len(head)
    columns = []
    for i in range(width):
        name = head[i].strip() if has_header else f"column {i + 1}"
        key = header_key(name)
        named = any(header_score(f, header_words(name))[0] >= 1 for f in SYNONYMS)
        if has_header and key.startswith(("stock_", "attr_")) and len(key) > 6 and not named:
            continue  # read by the CSV reader itself: stock per warehouse, attributes
        values = [r[i].strip() for r in sample if i < len(r) and not is_blank(r[i])]
        words = header_words(name) if has_header else ""
        columns.append(Column(name, words, values, position=i))
    return columns, has_header


def _flatten(obj: dict[str, Any], prefix: str, into: dict[str, Column], depth: int = 0) -> None:
    for key, value in obj.items():
        path = f"{prefix}{key}"
        if prefix == "" and key in ("attributes", "interchange"):
            continue  # read as they are
        column = into.get(path)
        if isinstance(value, dict):
            if depth < 2:
                _flatten(value, path + ".", into, depth + 1)
            if column is None:
                column = into[path] = Column(
                    path, header_words(path), kind="object", position=len(into)
                )
            column.values.extend(str(v) for v in value.values() if v is not None)
            continue
        if column is None:
            column = into[path] = Column(path, header_words(path), position=len(into))
        if isinstance(value, list):
            column.kind = "list"
            if value and all(isinstance(v, str) for v in value):
                column.values.append("; ".join(value))
        elif value is not None and not isinstance(value, bool | dict):
            text = str(value).strip()
            if not is_blank(text):
                column.values.append(text)
        elif isinstance(value, bool):
            column.values.append("true" if value else "false")


def _jsonl_columns(path: Path, rows: int) -> list[Column]:
    columns: dict[str, Column] = {}
    read = 0
    with FeedLines(path) as lines:
        for line in lines:
            if line.text is None or not line.text.strip():
                continue
            try:
                obj = json.loads(line.text, parse_float=Decimal)
            except ValueError:
                continue
            if isinstance(obj, dict):
                _flatten(obj, "", columns)
                read += 1
            if read >= rows:
                break
    return list(columns.values())


# --- choosing ------------------------------------------------------------------------------------


def _samples(column: Column) -> list[str]:
    return list(dict.fromkeys(column.values))[:SHOWN_SAMPLES]


def _score(name: str, column: Column, profile: Profile) -> tuple[float, str]:
    """How sure we are that `column` gives field `name`, and why."""
    if column.kind == "object" and name != "stock":
        return 0.0, ""
    if column.kind == "list" and name != "fitment":
        return 0.0, ""
    words = column.words.split()[-2:] if "." in column.source else []
    heard, phrase = header_score(name, column.words)
    if words:  # a JSON key path: its last part alone ("price.dealer" -> "dealer")
        last, last_phrase = header_score(
            name, column.source.rpartition(".")[2].lower().replace("_", " ")
        )
        if last > heard:
            heard, phrase = last, last_phrase
    fit = _value_fit(name, profile) if column.values else 0.5
    if heard > 0:
        score = 0.55 * heard + 0.45 * fit
        if heard >= 1 and fit >= 0.8:
            score = max(score, 0.95)
        reason = f"header {column.source!r} reads as {phrase!r}"
        if fit < 0.5 and column.values:
            reason += f", but its values do not look like a {name} ({', '.join(_samples(column))})"
        return round(score, 2), reason
    trust = _BY_VALUES.get(name)
    if trust is not None and fit >= 0.8:
        return round(trust * fit, 2), _VALUE_REASON[name] + f" ({', '.join(_samples(column)[:3])})"
    return 0.0, ""


def infer_columns(
    columns: list[Column],
    fmt: Literal["csv", "jsonl"],
    *,
    has_header: bool = True,
    known: KnownValues | None = None,
    supplier: str | None = None,
) -> LayoutMapping:
    """The layout of sampled columns (the testable core of `infer_layout`)."""
    known = known or KnownValues.builtin()
    profiles = {c.source: Profile.of(c.values, known) for c in columns}
    candidates: list[tuple[float, int, str, Column, str]] = []
    for column in columns:
        for name in SYNONYMS:
            score, reason = _score(name, column, profiles[column.source])
            if score >= 0.3:
                candidates.append((score, -column.position, name, column, reason))
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    layout = LayoutMapping(format=fmt, has_header=has_header)
    taken: set[str] = set()
    for score, _, name, column, reason in candidates:
        if name in layout.fields or column.source in taken:
            continue
        if fmt == "jsonl" and _inside_taken(column.source, taken):
            continue
        layout.fields[name] = FieldMapping(
            source=column.source, confidence=score, reason=reason, samples=_samples(column)
        )
        taken.add(column.source)
    free = [c for c in columns if c.source not in taken and c.kind == "scalar"]
    _rank_prices(layout, free, profiles)
    _codes_and_texts(
        layout, [c for c in free if c.source not in layout.sources().values()], profiles
    )
    _model_after_make(layout, columns, profiles)
    _sku_and_brand(layout, known, supplier)
    return layout.settle()


def _inside_taken(source: str, taken: set[str]) -> bool:
    """A JSON key inside (or around) one already mapped: 'inventory.DAL' once 'inventory' is."""
    return any(source.startswith(t + ".") or t.startswith(source + ".") for t in taken)


def _rank_prices(layout: LayoutMapping, free: list[Column], profiles: dict[str, Profile]) -> None:
    """Money columns no header names: the lowest is likely the cost, then jobber, MAP, MSRP."""
    money = [
        c
        for c in free
        if profiles[c.source].money >= 0.9
        and profiles[c.source].upc < 0.5
        and profiles[c.source].median is not None
        and (
            not c.words
            or set(c.words.split()) & PRICE_WORDS
            or c.words.replace(" ", "").isalpha() is False
        )
    ]
    open_fields = [f for f in PRICE_LADDER if f not in layout.fields]
    if not money or not open_fields:
        return
    money.sort(key=lambda c: (profiles[c.source].median or Decimal(0), c.position))
    shown = "; ".join(f"{c.source}: {', '.join(_samples(c)[:3])}" for c in money)
    alone = len(money) == 1 and "cost" in open_fields
    for column, name in zip(money, open_fields, strict=False):
        place = (
            "the lowest"
            if name == open_fields[0] and not alone
            else f"price #{money.index(column) + 1} by value"
        )
        reason = (
            f"the only price column ({column.source}: {', '.join(_samples(column)[:3])}); "
            "is it the cost?"
            if alone
            else f"unlabelled prices ranked by value, {place} -> {name} ({shown})"
        )
        layout.fields[name] = FieldMapping(
            source=column.source, confidence=0.6, reason=reason, samples=_samples(column)
        )
    if len(money) > 1:
        layout.notes.append(f"{len(money)} unlabelled price columns ranked by value: {shown}")


def _codes_and_texts(
    layout: LayoutMapping, free: list[Column], profiles: dict[str, Profile]
) -> None:
    """Part numbers and titles a header does not name: code-shaped and text columns."""
    codes = [c for c in free if profiles[c.source].code >= 0.9 and profiles[c.source].text < 0.5]
    wanted = [n for n in ("sku", "mpn") if n not in layout.fields]
    if len(codes) < len(wanted):
        wanted = wanted[-len(codes) :] if codes else []  # one code column: the part number
    for name in wanted:
        if codes:
            column = codes.pop(0)
            shown = ", ".join(_samples(column)[:3])
            reason = f"code-shaped values, column {column.position + 1} ({shown})"
            layout.fields[name] = FieldMapping(
                source=column.source, confidence=0.6, reason=reason, samples=_samples(column)
            )
    texts = sorted(
        (
            c
            for c in free
            if profiles[c.source].text >= 0.6 and c.source not in layout.sources().values()
        ),
        key=lambda c: profiles[c.source].length,
    )
    names = [n for n in ("title", "description") if n not in layout.fields]
    if len(texts) == 1 and names:
        names = [names[0] if profiles[texts[0].source].length < 60 else names[-1]]
    for column, name in zip(texts, names, strict=False):
        layout.fields[name] = FieldMapping(
            source=column.source, confidence=0.7,
            reason=f"words ({profiles[column.source].length:.0f} characters on average)",
            samples=_samples(column),
        )  # fmt: skip


def _model_after_make(
    layout: LayoutMapping, columns: list[Column], profiles: dict[str, Profile]
) -> None:
    """Without a header, the model is the column right after the make."""
    make = layout.fields.get("make")
    if make is None or "model" in layout.fields:
        return
    used = set(layout.sources().values())
    position = next(c.position for c in columns if c.source == make.source)
    after = [c for c in columns if c.position == position + 1 and c.source not in used]
    if after and _value_fit("model", profiles[after[0].source]) >= 0.8:
        layout.fields["model"] = FieldMapping(
            source=after[0].source, confidence=0.8, reason="the column after the make",
            samples=_samples(after[0]),
        )  # fmt: skip


def _sku_and_brand(layout: LayoutMapping, known: KnownValues, supplier: str | None) -> None:
    mpn, sku = layout.fields.get("mpn"), layout.fields.get("sku")
    if sku is None and mpn is not None:
        layout.fields["sku"] = FieldMapping(
            source=mpn.source, confidence=mpn.confidence,
            reason="no SKU column: the part number serves as the SKU", samples=mpn.samples,
        )  # fmt: skip
    elif mpn is None and sku is not None:
        layout.fields["mpn"] = FieldMapping(
            source=sku.source, confidence=0.5,
            reason="no part number column: is the SKU the manufacturer's number?",
            samples=sku.samples,
        )  # fmt: skip
    if "brand" not in layout.fields and supplier and alias_key(supplier) in known.brands:
        layout.brand = known.brands[alias_key(supplier)]
        layout.notes.append(
            f"no brand column: the supplier {supplier!r} is the brand {layout.brand}"
        )


def infer_layout(
    path: Path,
    *,
    known: KnownValues | None = None,
    supplier: str | None = None,
    rows: int = SAMPLE_ROWS,
) -> LayoutMapping:
    """The layout of a CSV or JSON lines file, inferred from its header and first rows.

    Raises FeedError for a file that cannot be read, or one in another format.
    """
    fmt = detect_format(path)
    if fmt == "csv":
        columns, has_header = _csv_columns(path, rows)
        return infer_columns(columns, "csv", has_header=has_header, known=known, supplier=supplier)
    if fmt == "jsonl":
        return infer_columns(_jsonl_columns(path, rows), "jsonl", known=known, supplier=supplier)
    raise FeedError(
        f"{fmt.upper()} files have a fixed layout; there is nothing to infer", path=str(path)
    )


def describe(layout: LayoutMapping) -> Iterable[str]:
    """The mapping as lines for people: field <- source (confidence): reason."""
    for name, mapping in layout.fields.items():
        mark = "  " if mapping.confidence >= SURE else "? "
        yield f"{mark}{name:<12} <- {mapping.source!r} ({mapping.confidence:.2f}): {mapping.reason}"
    if layout.brand:
        yield f"  {'brand':<12} =  {layout.brand!r} (the supplier's own brand)"
    for name in layout.unsure_fields:
        if name not in layout.fields and not (name == "brand" and layout.brand):
            yield f"? {name:<12} <- nothing found"
    yield from (f"  note: {n}" for n in layout.notes)
