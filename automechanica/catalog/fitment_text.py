"""Free-text fitment ("Fits 2012-15 Civic 1.8L") read into structured applications.

Suppliers write fitment as prose. The parser reads it in three steps: `lex`
cuts the text into items (years, liters, words…); `_classify` names the words
— makes and models by one longest match over the vocabulary's keys, then
trims, drive, positions and qualifier words; `_Walk` groups the items into
vehicles, each with its years, engines, drive and trims, while position,
qualifiers and notes belong to the whole text. Whatever looks like a vehicle
but cannot be named goes to `unresolved` with the reason, so an import can
report it instead of guessing: wrong fitment is what makes parts come back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from automechanica.catalog.feeds.records import Application
from automechanica.catalog.fitment_text_tokens import (
    CODE,
    CYL,
    DESIG,
    DRIVE,
    ENGINE_KINDS,
    LITERS,
    MAKE,
    NOISE,
    PHRASES,
    POS,
    QUAL,
    QUAL_SELF,
    SEP,
    TRIM,
    UNRES,
    VEHICLE,
    WORD,
    YEARS,
    Item,
    aspiration_of,
    cylinder_word,
    engine_code_of,
    fuel_of,
    join_qualifiers,
    lex,
    mark_engine_codes,
    merge_years,
    normalize,
    pair_makes,
    resolve_drive,
    resolve_position,
    set_aside_parentheses,
    tidy,
)
from automechanica.catalog.vocabulary import MAKE_ALIASES, alias_key
from automechanica.errors import FitmentTextError

MAX_TEXT_LENGTH = 2000

#: Spellings seen in feeds that vocabulary.MAKE_ALIASES does not list (yet).
_EXTRA_MAKE_ALIASES = {"merc": "Mercedes-Benz", "mercbenz": "Mercedes-Benz"}


@dataclass(frozen=True, eq=False)
class VehicleVocabulary:
    """Known makes and models, so every application names a real vehicle.

    Built once per import: every make, alias and model becomes a lookup key
    (`alias_key`: 'F-150', 'F150' and 'f 150' share 'f150'), and `prefixes`
    lets the matcher stop as soon as the words read so far lead nowhere.
    """

    makes: Mapping[str, str]
    models: Mapping[str, tuple[tuple[str, str], ...]]
    fused: Mapping[str, tuple[str, str]]  # make key + model key: 'hondacivic'
    needs_make: frozenset[str]  # model keys too bare to stand alone: '3', '1500'
    prefixes: frozenset[str]

    @classmethod
    def from_pairs(
        cls, pairs: Iterable[tuple[str, str]], make_aliases: Mapping[str, str] = MAKE_ALIASES
    ) -> VehicleVocabulary:
        makes: dict[str, str] = {}
        by_make: dict[str, dict[str, str]] = {}
        for make_name, model_name in pairs:
            make_key, model_key = alias_key(make_name), alias_key(model_name)
            if make_key and model_key:
                make = makes.setdefault(make_key, make_name)
                by_make.setdefault(make, {}).setdefault(model_key, model_name)
        for alias, target in {**_EXTRA_MAKE_ALIASES, **make_aliases}.items():
            known = makes.get(alias_key(target))
            if known is not None:
                makes.setdefault(alias_key(alias), known)
        models: dict[str, tuple[tuple[str, str], ...]] = {}
        for make, named in by_make.items():
            for model_key, model in named.items():
                models[model_key] = (*models.get(model_key, ()), (make, model))
        fused: dict[str, tuple[str, str]] = {}
        for make_key, make in makes.items():  # real names first, then aliases
            for model_key, model in by_make.get(make, {}).items():
                fused.setdefault(make_key + model_key, (make, model))
        needs_make = frozenset(k for k in models if k.isdigit() or len(k) < 2)
        keys = [*makes, *models, *fused, *PHRASES]
        prefixes = frozenset(key[:n] for key in keys for n in range(1, len(key) + 1))
        return cls(makes, models, fused, needs_make, prefixes)


@dataclass(frozen=True, slots=True)
class Engine:
    """One engine as written: '3.5L V6', '2.0T', '5.7L Hemi', 'K20C2'."""

    liters: Decimal | None = None
    cylinders: int | None = None
    designation: str | None = None

    def to_json(self) -> dict[str, Any]:
        liters = None if self.liters is None else float(self.liters)
        return {"liters": liters, "cylinders": self.cylinders, "designation": self.designation}


@dataclass(slots=True)
class ParsedApplication:
    """One vehicle and year range, with what the text said about its configuration."""

    make: str
    model: str
    year_start: int
    year_end: int
    submodels: list[str] = field(default_factory=list)
    engines: list[Engine] = field(default_factory=list)
    drive: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "make": self.make,
            "model": self.model,
            "year_start": self.year_start,
            "year_end": self.year_end,
            "submodels": list(self.submodels),
            "engines": [e.to_json() for e in self.engines],
            "drive": self.drive,
        }


@dataclass(slots=True)
class ParsedFitment:
    """What one fitment string said; position, qualifiers and notes apply to all of it."""

    applications: list[ParsedApplication] = field(default_factory=list)
    position: str | None = None
    qualifiers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # "fragment: reason"

    def to_json(self) -> dict[str, Any]:
        return {
            "applications": [a.to_json() for a in self.applications],
            "position": self.position,
            "qualifiers": list(self.qualifiers),
            "notes": list(self.notes),
            "unresolved": list(self.unresolved),
        }

    def to_applications(self) -> list[Application]:
        """Feed records: one per engine listed (engine fields None when none is)."""
        out = []
        for app in self.applications:
            for engine in app.engines or [Engine()]:
                out.append(
                    Application(
                        year_start=app.year_start,
                        year_end=app.year_end,
                        make=app.make,
                        model=app.model,
                        submodels=list(app.submodels),
                        engine_liters=engine.liters,
                        engine_cylinders=engine.cylinders,
                        engine_code=engine_code_of(engine.designation),
                        fuel=fuel_of(engine.designation),
                        aspiration=aspiration_of(engine.designation),
                        drive=app.drive,
                        position=self.position,
                        qualifiers=list(self.qualifiers),
                        notes=list(self.notes),
                    )
                )
        return out


def parse_fitment_text(
    text: str, vocabulary: VehicleVocabulary, *, current_year: int | None = None
) -> ParsedFitment:
    """Read one supplier fitment string. Never raises for garbage: it lands in `unresolved`.

    `current_year` (default: today's) decides two-digit years: up to next
    year's two digits they are 20xx, above them 19xx.
    """
    if not isinstance(text, str):
        raise FitmentTextError(f"Fitment text must be a string, not {type(text).__name__}.")
    if len(text) > MAX_TEXT_LENGTH:
        raise FitmentTextError(
            f"Fitment text is {len(text):,} characters long; the limit is "
            f"{MAX_TEXT_LENGTH:,}. Split it into one string per group of vehicles."
        )
    year = current_year if current_year is not None else date.today().year
    clean = normalize(text)
    notes: list[tuple[int, str]] = []
    items = _classify(lex(clean, year), vocabulary, clean)
    items = pair_makes(items)
    mark_engine_codes(items, clean)
    items = set_aside_parentheses(join_qualifiers(items, clean), clean, notes)
    walk = _Walk(items, clean)
    walk.run()
    parsed = walk.result(notes)
    if not parsed.applications and not parsed.unresolved and clean.strip():
        parsed.unresolved.append(f"{_squash(clean)}: no vehicle recognized")
    return parsed


# --- naming the words --------------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    """What the classifier remembers: the last make (for '1500/2500'), trims allowed."""

    last_make: str = ""
    trims_ok: bool = False

    def follow(self, item: Item) -> None:
        kind = item.kind
        if kind is VEHICLE or kind is MAKE:
            self.last_make = item.value
            self.trims_ok = kind is VEHICLE
        elif kind is TRIM:
            self.trims_ok = True
        elif not (kind is YEARS or kind is NOISE or (kind is SEP and item.value != ";")):
            self.trims_ok = False


def _classify(items: list[Item], vocabulary: VehicleVocabulary, text: str) -> list[Item]:
    out: list[Item] = []
    context = _Context()
    i = 0
    while i < len(items):
        item = items[i]
        if item.kind is WORD and out and out[-1].kind is LITERS and cylinder_word(item.key):
            item, i = _single_word(item, text), i + 1  # '2.0L I4' is an engine, not BMW's i4
        elif item.kind is WORD:
            item, i = _name_words(items, i, vocabulary, context, text)
        else:
            i += 1
        context.follow(item)
        out.append(item)
    return out


def _name_words(
    items: list[Item], i: int, vocabulary: VehicleVocabulary, context: _Context, text: str
) -> tuple[Item, int]:
    """The longest phrase starting at word i: joined word keys, one dict probe per word."""
    first = items[i]
    best: tuple[str, str, str] | None = None
    best_end = i + 1
    key = ""
    for j in range(i, len(items)):
        word = items[j]
        if word.kind is not WORD or word.group != first.group:
            break
        key += word.key
        if key not in vocabulary.prefixes:
            break
        found = _lookup(key, vocabulary, context)
        if found is not None:
            best, best_end = found, j + 1
    if best is None:
        return _single_word(first, text), i + 1
    kind, value, model = best
    end = items[best_end - 1].end
    return Item(kind, first.start, end, first.group, key=key, value=value, model=model), best_end


def _lookup(
    key: str, vocabulary: VehicleVocabulary, context: _Context
) -> tuple[str, str, str] | None:
    pair = vocabulary.fused.get(key)
    if pair is not None:
        return VEHICLE, pair[0], pair[1]
    make = vocabulary.makes.get(key)
    if make is not None:
        return MAKE, make, ""
    phrase = PHRASES.get(key)
    candidates = vocabulary.models.get(key, ())
    trim = phrase is not None and phrase[0] is TRIM and context.trims_ok
    if trim and not any(m == context.last_make for m, _ in candidates):  # Lexus 'LS' stays
        return TRIM, phrase[1] if phrase else "", ""
    if candidates:
        found = _model(key, candidates, vocabulary, context)
        if found is not None:
            return found
    if phrase is None or phrase[0] is TRIM:
        return None
    return phrase[0], phrase[1], ""


def _model(
    key: str,
    candidates: tuple[tuple[str, str], ...],
    vocabulary: VehicleVocabulary,
    context: _Context,
) -> tuple[str, str, str] | None:
    if key in vocabulary.needs_make:
        candidates = tuple(c for c in candidates if c[0] == context.last_make)
    if len(candidates) == 1:
        return VEHICLE, candidates[0][0], candidates[0][1]
    for make, model in candidates:
        if make == context.last_make:
            return VEHICLE, make, model
    if not candidates:
        return None
    makes = " or ".join(sorted(m for m, _ in candidates))
    return UNRES, f"ambiguous model ({makes}); name the make", ""


def _single_word(item: Item, text: str) -> Item:
    count = cylinder_word(item.key)
    if count is not None:
        item.kind, item.number = CYL, count
    elif text[item.start : item.start + 4].lower() == "non-":
        item.kind = QUAL_SELF
    elif item.key.startswith("xdrive"):
        item.kind, item.value = DRIVE, "AWD"
    return item


def _squash(text: str) -> str:
    return " ".join(text.split())


# --- grouping items into vehicles ----------------------------------------------------------


@dataclass(slots=True)
class _Builder:
    """A vehicle being read: it becomes applications, or an unresolved fragment."""

    start: int
    end: int
    group: int  # vehicles listed together ('Civic/Accord') share years and engines
    make: str = ""
    model: str = ""
    failed: str = ""
    years: list[tuple[int, int]] = field(default_factory=list)
    engines: list[Engine] = field(default_factory=list)
    drives: set[str] = field(default_factory=set)
    submodels: list[str] = field(default_factory=list)
    words: list[Item] = field(default_factory=list)

    @property
    def named(self) -> bool:
        return bool(self.model or self.failed)

    def take(self, item: Item) -> None:
        self.start, self.end = min(self.start, item.start), max(self.end, item.end)


class _Walk:
    """One pass over the items; a new vehicle starts where a new model or year range does."""

    def __init__(self, items: list[Item], text: str) -> None:
        self.items, self.text = items, text
        self.builders: list[_Builder] = []
        self.cur: _Builder | None = None
        self.last = ""  # kind of the last item that was not a separator or noise
        self.after_sep = False
        self.loose: list[Item] = []
        self.loose_after_sep = False
        self.orphans: list[Item] = []
        self.positions: set[str] = set()
        self.qualifiers: list[str] = []

    def run(self) -> None:
        for index, item in enumerate(self.items):
            kind = item.kind
            if kind is SEP:
                self._flush()
                self.after_sep = True
            elif kind is WORD:
                if not self.loose:
                    self.loose_after_sep = self.after_sep
                self.loose.append(item)
                self.last, self.after_sep = WORD, False
            elif kind is not NOISE:
                before = self.cur
                self._dispatch(item, index)
                self._settle(before)
                self.last, self.after_sep = kind, False
        self._flush()

    def _dispatch(self, item: Item, index: int) -> None:
        kind = item.kind
        if kind is YEARS:
            self._years(item, index)
        elif kind is VEHICLE or kind is UNRES:
            self._vehicle(item)
        elif kind in ENGINE_KINDS:
            self._engine(item)
        elif kind is DRIVE:
            self._builder(item).drives.add(item.value)
        elif kind is TRIM:
            self._trim(item)
        elif kind is POS:
            self.positions.update(item.value.split())
        elif kind is QUAL and item.value not in self.qualifiers:
            self.qualifiers.append(item.value)

    def _settle(self, before: _Builder | None) -> None:
        """Words just read go with the vehicle they were written beside."""
        cur = self.cur
        if cur is not before and cur is not None and (self.loose_after_sep or before is None):
            for word in self.loose:
                cur.take(word)
            cur.words[:0] = self.loose
            self.loose = []
        elif cur is not before:
            self._flush(before)
        self._flush()

    def _flush(self, target: _Builder | None = None) -> None:
        if not self.loose:
            return
        target = target or self.cur
        if target is None:
            self.orphans += self.loose
        else:
            target.words += self.loose
            for word in self.loose:
                target.take(word)
        self.loose = []

    def _start(self, item: Item) -> _Builder:
        builder = _Builder(item.start, item.end, len(self.builders))
        self.builders.append(builder)
        self.cur = builder
        return builder

    def _builder(self, item: Item) -> _Builder:
        builder = self.cur or self._start(item)
        builder.take(item)
        return builder

    def _years(self, item: Item, index: int) -> None:
        cur = self.cur
        if cur is None or not self._years_belong(cur, index):
            cur = self._start(item)
        cur.take(item)
        cur.years += item.years

    def _years_belong(self, cur: _Builder, index: int) -> bool:
        """'Civic 2012, 2014' lists years; 'Civic 2012, 2014 Accord' starts the Accord."""
        if not cur.named:
            return True
        vehicle_next = self._next_kind(index) in (VEHICLE, UNRES)
        if not cur.years:
            return not (self.after_sep and vehicle_next)
        return self.last is YEARS and not vehicle_next

    def _next_kind(self, index: int) -> str:
        for item in self.items[index + 1 :]:
            if item.kind is not SEP and item.kind is not NOISE:
                return item.kind
        return ""

    def _vehicle(self, item: Item) -> None:
        cur = self.cur
        if cur is None or cur.named:
            sibling = cur is not None and self.after_sep and self.last in (VEHICLE, UNRES, TRIM)
            builder = self._start(item)
            if sibling and cur is not None:
                builder.group = cur.group
        else:
            builder = cur
        builder.take(item)
        if item.kind is VEHICLE:
            builder.make, builder.model = item.value, item.model
        else:
            builder.failed = item.value

    def _engine(self, item: Item) -> None:
        builder = self._builder(item)
        joined = builder.engines and self.last in ENGINE_KINDS and not self.after_sep
        merged = _merge_engine(builder.engines[-1], item) if joined else None
        if merged is not None:
            builder.engines[-1] = merged
        elif joined and item.kind is DESIG:
            pass  # '6.7L Cummins diesel': a second name for the same engine
        else:
            builder.engines.append(_merge_engine(Engine(), item) or Engine())

    def _trim(self, item: Item) -> None:
        cur = self.cur
        if cur is not None and cur.named and self.last in (VEHICLE, UNRES, TRIM, YEARS):
            cur.take(item)
            if item.value not in cur.submodels:
                cur.submodels.append(item.value)
        else:
            self.loose.append(item)

    def result(self, notes: list[tuple[int, str]]) -> ParsedFitment:
        """Applications and unresolved fragments; notes in the order they were written."""
        _share_in_groups(self.builders)
        parsed = ParsedFitment(qualifiers=self.qualifiers)
        for builder in self.builders:
            if builder.model and builder.years:
                parsed.applications += _applications(builder)
                notes += self._runs(builder.words)
            else:
                parsed.unresolved.append(f"{self._fragment(builder)}: {_reason(builder)}")
        if self.builders:
            notes += self._runs(self.orphans)
        parsed.notes = [note for _, note in sorted(notes)]
        parsed.position = resolve_position(self.positions)
        return parsed

    def _fragment(self, builder: _Builder) -> str:
        return tidy(self.text[builder.start : builder.end])

    def _runs(self, words: list[Item]) -> list[tuple[int, str]]:
        """Unknown words beside a vehicle, as notes: adjacent words make one note."""
        runs: list[list[Item]] = []
        for word in sorted(words, key=lambda w: w.start):
            if runs and not self.text[runs[-1][-1].end : word.start].strip():
                runs[-1].append(word)
            else:
                runs.append([word])
        return [(run[0].start, tidy(self.text[run[0].start : run[-1].end])) for run in runs]


def _merge_engine(engine: Engine, item: Item) -> Engine | None:
    """The engine with this item's part filled in, or None when that part is already known."""
    liters, cylinders, designation = engine.liters, engine.cylinders, engine.designation
    kind = item.kind
    if kind is LITERS and liters is None:
        liters = item.liters
        designation = designation or item.value or None
    elif kind is CYL and cylinders is None:
        cylinders = item.number
    elif (kind is DESIG or kind is CODE) and designation is None:
        designation = item.value
    else:
        return None
    if designation == "Turbo" and liters is not None:
        designation = f"{liters}T"
    return Engine(liters, cylinders, designation)


def _share_in_groups(builders: list[_Builder]) -> None:
    """'2012-2015 Civic/Accord 2.4L': what was written once applies to each vehicle listed."""
    groups: dict[int, list[_Builder]] = {}
    for builder in builders:
        groups.setdefault(builder.group, []).append(builder)
    for members in groups.values():
        if len(members) < 2:
            continue
        years = next((m.years for m in members if m.years), [])
        engines = next((m.engines for m in reversed(members) if m.engines), [])
        drives = next((m.drives for m in reversed(members) if m.drives), set())
        for member in members:
            member.years = member.years or list(years)
            member.engines = member.engines or list(engines)
            member.drives = member.drives or set(drives)


def _reason(builder: _Builder) -> str:
    if builder.failed:
        return builder.failed
    if not builder.model:
        return "no known make or model" if builder.years else "no vehicle named"
    return "no year"


def _applications(builder: _Builder) -> list[ParsedApplication]:
    drive = resolve_drive(builder.drives)
    return [
        ParsedApplication(
            builder.make, builder.model, first, last, list(builder.submodels),
            list(builder.engines), drive,
        )
        for first, last in merge_years(builder.years)
    ]  # fmt: skip
