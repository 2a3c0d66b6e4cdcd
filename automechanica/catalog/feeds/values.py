"""Turning supplier cells into typed values, and a row of cells into an offer.

Suppliers write the same value many ways ("$1,234.50", "Y", "0 12345 67890 5").
Every reader goes through these parsers so a value means the same thing in
every format, and a bad value is reported with the same plain reason. A parser
returns the value or raises `CellError`, whose message is that reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from automechanica.catalog.feeds.records import Application, OfferRecord
from automechanica.catalog.feeds.units import normalize_uom, split_pack
from automechanica.catalog.vocabulary import PART_TYPES, PartType, alias_key

CENT = Decimal("0.01")
MAX_PRICE = Decimal("9999999.99")
MAX_COUNT = 1_000_000_000

_MONEY = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
#: A price as most files write it ("12.50", "$12.50"): Decimal(group 1) is its value
PLAIN_MONEY = re.compile(r"\$?([0-9]{1,7}\.[0-9]{2})")
_WHOLE = re.compile(r"^\+?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.0+)?$")
_NUMBER = re.compile(r"^\+?(?:\d+\.?\d*|\.\d+)$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_UPC_SEPARATORS = re.compile(r"[\s-]")
_SCIENTIFIC = re.compile(r"\d+(\.\d+)?[eE]\+?\d+")
_TRUE = frozenset({"y", "yes", "true", "t", "1"})
_FALSE = frozenset({"n", "no", "false", "f", "0"})
UPC_LENGTHS = (8, 12, 13, 14)
#: What spreadsheets leave in an empty cell: read as blank (compared upper-cased, stripped).
BLANK_CELLS = frozenset({"#N/A", "N/A", "NA", "-", "--", "NULL", "NONE", "#VALUE!", "#REF!", "NAN"})


def is_blank(text: str) -> bool:
    """True for an empty cell, whitespace, or a spreadsheet leftover (`#N/A`, `N/A`, `-`)."""
    return not text or text.isspace() or (len(text) <= 10 and text.strip().upper() in BLANK_CELLS)


class CellError(ValueError):
    """A cell that cannot be read; the message is the reason shown to people."""


def _shown(text: str, limit: int = 40) -> str:
    """A cell quoted for a message, shortened so one huge cell cannot flood a report."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def clean_text(text: str, name: str, *, max_length: int = 2000) -> str:
    """Strip, collapse runs of whitespace, and refuse control characters.

    C1 controls (U+0080–U+009F) are refused too: they are the usual trace of
    Windows-1252 text decoded as Latin-1 somewhere upstream.
    """
    if text.isprintable():  # so the only whitespace in it is the plain space
        if " " not in text or (text[0] != " " and text[-1] != " " and "  " not in text):
            cleaned = text  # the usual cell: nothing to strip or collapse
        else:
            cleaned = " ".join(text.split())
    else:  # the rare cell with tabs, line breaks or control characters
        bad = _CONTROL.search(text)
        if bad is not None:
            code = f"U+{ord(bad.group()):04X}"
            raise CellError(f"{name} contains a control character ({code})")
        cleaned = " ".join(text.split())
    if len(cleaned) > max_length:
        raise CellError(
            f"{name} is {len(cleaned):,} characters long; at most {max_length:,} are allowed"
        )
    return cleaned


def optional_text(text: str | None, name: str, *, max_length: int = 2000) -> str | None:
    """`clean_text`, with an empty or absent cell read as None."""
    if text is None:
        return None
    return clean_text(text, name, max_length=max_length) or None


def parse_money(text: str, name: str) -> Decimal:
    """A non-negative amount of US dollars, rounded half-up to cents.

    Accepts "12.5", "$12.50", "1,234.00" and " $ 7 "; refuses negatives,
    exponents, NaN and anything else that is not plainly a price.
    """
    plain = PLAIN_MONEY.fullmatch(text)
    if plain is not None:  # "12.50" or "$12.50": Decimal reads it exactly, in cents already
        return Decimal(plain[1])
    compact = text.replace(" ", "").strip()
    negative = compact.startswith("-") or compact.startswith("$-")
    digits = compact.replace("$", "", 1).lstrip("-") if negative else compact.replace("$", "", 1)
    if not digits or not _MONEY.match(digits) or digits == ".":
        raise CellError(f"{name} {_shown(text.strip())} is not a price")
    try:
        amount = Decimal(digits.replace(",", "")).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise CellError(f"{name} {_shown(text.strip())} is not a price") from exc
    if negative and amount != 0:
        raise CellError(f"{name} is negative (-{amount})")
    if amount > MAX_PRICE:
        raise CellError(f"{name} {amount} is too large to be a price")
    return amount


def parse_int(text: str, name: str, *, minimum: int = 0) -> int:
    """A whole number such as "4", "1,200" or "2.0", at least `minimum`."""
    compact = text.strip()
    if compact.isdigit() and compact.isascii():  # the usual "4"
        value = int(compact)
    elif compact.startswith("-") and _WHOLE.match(compact[1:]):
        value = -int(compact[1:].split(".")[0].replace(",", ""))
    elif _WHOLE.match(compact):
        value = int(compact.lstrip("+").split(".")[0].replace(",", ""))
    else:
        raise CellError(f"{name} {_shown(compact)} is not a whole number")
    if value < minimum:
        raise CellError(f"{name} must be at least {minimum} (got {value})")
    if value > MAX_COUNT:
        raise CellError(f"{name} {value} is too large")
    return value


def parse_decimal(text: str, name: str) -> Decimal:
    """A non-negative decimal number such as a weight: "4.2", "0.75"."""
    compact = text.strip()
    if compact.startswith("-") and _NUMBER.match(compact[1:]):
        raise CellError(f"{name} is negative ({compact})")
    if not _NUMBER.match(compact):
        raise CellError(f"{name} {_shown(compact)} is not a number")
    value = Decimal(compact.lstrip("+"))
    if value > MAX_COUNT:
        raise CellError(f"{name} {compact} is too large")
    return value


def parse_bool(text: str, name: str) -> bool:
    """Y/N, yes/no, true/false, T/F or 1/0, in any case."""
    key = text.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(f"{name} {_shown(text.strip())} is not yes or no (use Y or N)")


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit for the digits before it (UPC-E/A, EAN-13, GTIN-14)."""
    if body.isdigit() and body.isascii():  # sum the bytes, less 48 ("0") for each digit
        data = body.encode()[::-1]
        odd, even = data[0::2], data[1::2]
        total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    else:
        reverse = body[::-1]
        total = 3 * sum(map(int, reverse[0::2])) + sum(map(int, reverse[1::2]))
    return (10 - total % 10) % 10


def parse_upc(text: str, name: str = "UPC") -> str:
    """A UPC/EAN/GTIN of 8, 12, 13 or 14 digits with a valid check digit.

    Spaces and dashes inside are dropped; leading zeros are kept because they
    are part of the number (a spreadsheet that dropped them leaves 11 digits,
    which is reported as such).
    """
    compact = text.strip()
    if not (compact.isascii() and compact.isdigit()):
        compact = _UPC_SEPARATORS.sub("", compact)
        if _SCIENTIFIC.fullmatch(compact):
            raise CellError(
                f"{name} {_shown(compact)} is in scientific notation; a spreadsheet mangled it, "
                "format the column as text and export again"
            )
        if not (compact.isascii() and compact.isdigit()):
            raise CellError(f"{name} {_shown(compact)} has characters other than digits")
    if len(compact) not in UPC_LENGTHS:
        hint = " (a leading zero lost in a spreadsheet?)" if len(compact) == 11 else ""
        raise CellError(
            f"{name} {compact} has {len(compact)} digits; expected 8, 12, 13 or 14{hint}"
        )
    expected = gtin_check_digit(compact[:-1])
    if int(compact[-1]) != expected:
        raise CellError(f"{name} {compact} has a wrong check digit (expected {expected})")
    return compact


def parse_datetime(text: str, name: str) -> datetime:
    """An ISO 8601 date or date-time; a time without a zone is taken as UTC."""
    compact = text.strip()
    try:
        value = datetime.fromisoformat(compact)
    except ValueError as exc:
        raise CellError(
            f"{name} {_shown(compact)} is not an ISO 8601 date/time (like 2026-01-15T08:30:00Z)"
        ) from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _part_type_index() -> dict[str, PartType]:
    index: dict[str, PartType] = {}
    for part_type in PART_TYPES:
        key = alias_key(part_type.name)
        index[key] = part_type
        index[key.removesuffix("s")] = part_type
        index[key + "s"] = part_type
        index[str(part_type.pcdb_id)] = part_type
    return index


_PART_TYPES_BY_KEY = _part_type_index()


def parse_part_type(text: str, name: str = "part type") -> PartType:
    """One of our part types, by name ("Brake Pads", "brake-pad") or PCdb id ("1684")."""
    part_type = _PART_TYPES_BY_KEY.get(alias_key(text))
    if part_type is None:
        raise CellError(f"{name} {_shown(text.strip())} is not one we carry")
    return part_type


# --- a whole offer from named cells (CSV rows and JSON objects) ---------------------------


class _Cells:
    """The non-blank cells of one row, with what the file calls each field (for messages)."""

    __slots__ = ("cells", "labels")

    def __init__(self, cells: Mapping[str, str], labels: Mapping[str, str]) -> None:
        self.cells = {key: text for key, text in cells.items() if not is_blank(text)}
        self.labels = labels

    def label(self, key: str) -> str:
        return self.labels.get(key, key)

    def text(self, key: str, max_length: int = 2000) -> str | None:
        text = self.cells.get(key)
        if text is None:
            return None
        return clean_text(text, self.labels.get(key, key), max_length=max_length)

    def required(self, key: str) -> str:
        value = self.text(key, max_length=200)
        if not value:
            raise CellError(f"missing {self.label(key)}")
        return value

    def money(self, key: str) -> Decimal | None:
        text = self.cells.get(key)
        return None if text is None else parse_money(text, self.labels.get(key, key))


def stock_counts(stock: Mapping[str, str], labels: Mapping[str, str]) -> dict[str, int]:
    """Units per warehouse from their cells; a blank cell is no figure, not zero."""
    counts: dict[str, int] = {}
    for warehouse, text in stock.items():
        if not is_blank(text):
            counts[warehouse] = parse_int(text, labels.get(f"stock.{warehouse}", warehouse))
    return counts


def _attributes(attributes: Mapping[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for key, text in attributes.items():
        if not is_blank(text):
            name = clean_text(key, "attribute name", max_length=100)
            cleaned[name] = clean_text(text, f"attribute {name}", max_length=500)
    return cleaned


def offer_from_cells(
    where: str,
    cells: Mapping[str, str],
    *,
    labels: Mapping[str, str],
    raw: dict[str, str],
    stock: Mapping[str, str] | None = None,
    attributes: Mapping[str, str] | None = None,
    fitment: Sequence[str] = (),
    interchange: Sequence[tuple[str, str]] = (),
    applications: Sequence[Application] = (),
    brand: str | None = None,
) -> OfferRecord:
    """An offer from cells keyed by our field names (sku, brand, mpn, cost, upc, ...);
    raises `CellError` on the first bad one. `labels` maps field names to what the
    file calls them, so messages point at the file's own column or key. `brand`: the
    supplier's own brand, for a file without a brand column (a brand cell still wins)."""
    row = _Cells(cells, labels)
    if brand is not None and "brand" not in row.cells:
        row.cells["brand"] = brand
    brand, mpn, sku = row.required("brand"), row.required("mpn"), row.required("sku")
    cost = row.money("cost")
    if cost is None:
        raise CellError(f"missing {row.label('cost')}")
    description = row.text("description", max_length=8000)
    part_type, upc, uom = row.text("part_type"), row.text("upc"), row.text("uom", max_length=10)
    pack, weight, hazmat = row.text("pack_qty"), row.text("weight_lb"), row.text("hazmat")
    updated = row.text("updated_at")
    pack_text, pack_unit = split_pack(pack) if pack else (None, None)
    texts = [clean_text(text, "fitment", max_length=50_000) for text in fitment]
    return OfferRecord(
        where=where,
        supplier_sku=sku,
        brand=brand,
        mpn=mpn,
        cost=cost,
        title=row.text("title", max_length=500) or description,
        description=description,
        part_type=parse_part_type(part_type, row.label("part_type")).name if part_type else None,
        upc=parse_upc(upc, row.label("upc")) if upc else None,
        uom=normalize_uom(uom) if uom else pack_unit,
        pack_qty=parse_int(pack_text, row.label("pack_qty"), minimum=1) if pack_text else 1,
        jobber=row.money("jobber"),
        map_price=row.money("map"),
        msrp=row.money("msrp"),
        core_charge=row.money("core_charge"),
        stock=stock_counts(stock or {}, labels),
        weight_lb=parse_decimal(weight, row.label("weight_lb")) if weight else None,
        hazmat=parse_bool(hazmat, row.label("hazmat")) if hazmat else False,
        attributes=_attributes(attributes or {}),
        fitment_text=[text for text in texts if text],
        interchange=list(interchange),
        applications=list(applications),
        updated_at=parse_datetime(updated, row.label("updated_at")) if updated else None,
        raw=raw,
    )
