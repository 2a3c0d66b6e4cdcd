"""Structured fitment from Year / Make / Model (/ Submodel / Engine) cells.

The commonest supplier layout is one row per vehicle: the SKU repeated, with the
vehicle in its own columns. Those cells become an `Application` (the importer adds
each row's vehicle to the part's fitment). A Year cell may hold a range
("2012-2015", "2012 - 15", "2012–2015") or one year.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from decimal import Decimal

from automechanica.catalog.feeds.records import Application
from automechanica.catalog.feeds.values import CellError, clean_text, is_blank

VEHICLE_FIELDS = ("year", "make", "model", "submodel", "engine")
_YEARS = re.compile(r"^\s*(\d{4}|'?\d{2})\s*(?:(?:-|–|—|to|thru|through)\s*(\d{4}|'?\d{2}))?\s*$")
_LITERS = re.compile(r"(\d{1,2}\.\d)\s*L?\b", re.IGNORECASE)
_CYLINDERS = re.compile(r"\b(?:[VLIH](\d{1,2})|(\d{1,2})\s*-?\s*cyl)", re.IGNORECASE)
_FIRST_YEAR, _LAST_YEAR = 1900, 2030


def _year(text: str, first: int | None = None) -> int:
    digits = text.lstrip("'")
    year = int(digits)
    if len(digits) == 2:  # '12 -> 2012, 98 -> 1998; the end of a range follows its start
        year += 2000 if year <= 30 else 1900
        if first is not None and year < first:
            year += 100
    return year


def parse_years(text: str, name: str = "year") -> tuple[int, int]:
    """'2012-2015' -> (2012, 2015); '2014' -> (2014, 2014); '12-15' -> (2012, 2015)."""
    match = _YEARS.match(text)
    if match is None:
        raise CellError(f"{name} {text.strip()!r} is not a year or a range of years (2012-2015)")
    start = _year(match[1])
    end = _year(match[2], start) if match[2] else start
    for year in (start, end):
        if not _FIRST_YEAR <= year <= _LAST_YEAR:
            raise CellError(f"{name} {year} is not between {_FIRST_YEAR} and {_LAST_YEAR}")
    if start > end:
        raise CellError(f"{name} {text.strip()!r} runs backwards")
    return start, end


def parse_engine(text: str) -> tuple[Decimal | None, int | None]:
    """'1.8L' -> (1.8, None); '5.3L V8' -> (5.3, 8); '2.0 4 Cyl' -> (2.0, 4)."""
    liters = _LITERS.search(text)
    cylinders = _CYLINDERS.search(text)
    count = (cylinders[1] or cylinders[2]) if cylinders else None
    return (Decimal(liters[1]) if liters else None), (int(count) if count else None)


def take_application(
    cells: MutableMapping[str, str], labels: MutableMapping[str, str] | None = None
) -> list[Application]:
    """Pop the vehicle cells from a row's cells and make them an application: [] when
    the row names no vehicle; CellError when it names one only in part."""
    found = {name: cells.pop(name, "") for name in VEHICLE_FIELDS}
    present = {name: text for name, text in found.items() if not is_blank(text)}
    if not present:
        return []
    label = (labels or {}).get
    missing = [name for name in ("year", "make", "model") if name not in present]
    if missing:
        names = ", ".join(label(name) or name for name in missing)
        raise CellError(f"the row names a vehicle without its {names}")
    start, end = parse_years(present["year"], label("year") or "year")
    submodel = present.get("submodel")
    liters, cylinders = parse_engine(present["engine"]) if "engine" in present else (None, None)
    return [
        Application(
            year_start=start,
            year_end=end,
            make=clean_text(present["make"], label("make") or "make", max_length=100),
            model=clean_text(present["model"], label("model") or "model", max_length=100),
            submodels=[clean_text(submodel, "submodel", max_length=100)] if submodel else [],
            engine_liters=liters,
            engine_cylinders=cylinders,
        )
    ]
