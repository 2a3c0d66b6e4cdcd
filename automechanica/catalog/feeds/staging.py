"""Offers as lines of COPY text, and fitment sets: the import's Python side, kept thin.

An import spends its time per row, so the per-row work here is string
building: each offer becomes one line of PostgreSQL's COPY text format, and
the database does the joins, dedupe and upserts set-based (`sql.py`). Fitment
is staged once per distinct set (the same fitment text repeats on thousands
of rows), and the database expands it per part.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

from automechanica.catalog.feeds.records import OfferRecord
from automechanica.catalog.feeds.resolve import FitmentRow, Lookups

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
#: Distinct fitment sets remembered per import; past this the memo starts again
#: (a set seen again is staged again, harmlessly), so memory stays flat.
_FITSET_LIMIT = 50_000


def text(value: str | None) -> str:
    """A text cell: backslash, tab and line ends escaped (rare, so checked first)."""
    if value is None:
        return NULL
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def plain(value: object) -> str:
    """A number, date or boolean cell (PostgreSQL reads Python's str() of each)."""
    return NULL if value is None else str(value)


def json_cell(value: object) -> str:
    """A jsonb cell: orjson escapes control characters, so only backslashes need doubling."""
    encoded = orjson.dumps(value).decode()
    return encoded.replace("\\", "\\\\") if "\\" in encoded else encoded


@dataclass(slots=True)
class Fitset:
    """One distinct fitment of a row (its text and structured applications), expanded."""

    id: int
    rows: list[FitmentRow]
    problems: list[str]


@dataclass(slots=True)
class Fitsets:
    """Distinct fitment sets of an import, numbered; new ones wait to be staged."""

    lookups: Lookups
    _by_key: dict[tuple[str, str], Fitset] = field(default_factory=dict)
    _next_id: int = 1
    unstaged: list[Fitset] = field(default_factory=list)

    def of(self, record: OfferRecord) -> Fitset | None:
        """The fitment set of an offer, or None when it names no fitment."""
        if not record.fitment_text and not record.applications:
            return None
        # repr names every field of a structured application (only JSONL and PIES have them)
        key = ("; ".join(record.fitment_text), repr(record.applications))
        found = self._by_key.get(key)
        if found is None:
            if len(self._by_key) >= _FITSET_LIMIT:
                self._by_key.clear()
            found = self._by_key[key] = self._expand(record)
            self.unstaged.append(found)
        return found

    def _expand(self, record: OfferRecord) -> Fitset:
        rows: list[FitmentRow] = []
        problems: list[str] = []
        for app in record.applications:
            expanded, problem = self.lookups.expand(app, structured=True)
            rows += expanded
            problems += [problem] if problem else []
        if record.fitment_text:
            # One parse over all of a row's entries: a lone "front" qualifies the others.
            parsed = self.lookups.text_fitments("; ".join(record.fitment_text))
            rows += parsed.rows
            problems += parsed.problems
        fitset = Fitset(self._next_id, rows, list(dict.fromkeys(problems)))
        self._next_id += 1
        return fitset

    def take_copy_text(self) -> str:
        """The staging lines of the sets not staged yet (`stage_fitsets`), and forget them."""
        lines = [
            "\t".join(
                (
                    str(fitset.id),
                    str(row.base_vehicle_id),
                    text(row.submodel),
                    plain(row.engine_liters),
                    plain(row.engine_cylinders),
                    text(row.engine_code),
                    text(row.fuel),
                    text(row.aspiration),
                    text(row.drive),
                    text(row.body),
                    text(row.transmission),
                    text(row.position),
                    plain(row.quantity),
                    text(row.qualifiers_json),
                    _text_array(row.notes),
                    str(row.confidence),
                    row.status,
                )
            )
            + "\n"
            for fitset in self.unstaged
            for row in fitset.rows
        ]
        self.unstaged.clear()
        return "".join(lines)


@dataclass(frozen=True, slots=True)
class PartFacts:
    """What the writer resolved about an offer's part in Python (brand, number, type)."""

    brand_id: int
    brand_name: str
    mpn_normalized: str
    part_type_id: int | None
    fit_class: str
    fitset: Fitset | None
    interchange: Sequence[tuple[str, str]]  # (canonical brand name, normalized MPN)


def offer_line(
    order: int, record: OfferRecord, facts: PartFacts, fitsets: Sequence[int] = ()
) -> str:
    """The `stage_offers` line of an offer (column order: sql.STAGE_OFFER_COLUMNS).

    `fitsets`: the fitment sets of the offer's earlier rows in the batch (a file of one
    row per vehicle), besides its own. Ends with a hash of what is stored about the
    offer (all but its place in the file, the batch and its fitment), so an unchanged
    offer is not rewritten by the next import.
    """
    r = record
    part_number = r.mpn.strip()
    body = "\t".join(
        (
            text(r.supplier_sku),
            str(facts.brand_id),
            text(part_number),
            text(facts.mpn_normalized),
            plain(facts.part_type_id),
            facts.fit_class,
            text(r.title or f"{facts.brand_name} {part_number}"),
            text(r.description),
            text(r.upc),
            json_cell(r.attributes),
            text(r.brand),
            text(r.mpn),
            text(r.title),
            text(r.uom),
            str(r.pack_qty),
            str(r.cost),
            plain(r.jobber),
            plain(r.map_price),
            plain(r.msrp),
            plain(r.core_charge),
            json_cell(r.stock),
            str(sum(r.stock.values())),
            plain(r.weight_lb),
            "t" if r.hazmat else "f",
            json_cell(r.raw),
            NULL if r.updated_at is None else r.updated_at.isoformat(),
            json_cell(facts.interchange) if facts.interchange else NULL,
        )
    )
    ids = list(dict.fromkeys([*fitsets, *([facts.fitset.id] if facts.fitset else [])]))
    fitset = "{" + ",".join(map(str, ids)) + "}" if ids else NULL
    digest = hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
    return f"{order}\t{text(r.where)}\t{fitset}\t{body}\t{digest}\n"


def _text_array(values: Sequence[str]) -> str:
    """A text[] cell: each element double-quoted for the array parser, then COPY-escaped."""
    if not values:
        return "{}"
    quoted = ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return text("{" + quoted + "}")
