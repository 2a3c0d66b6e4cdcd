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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from automechanica.catalog.feeds.records import Application
from automechanica.catalog.fitment_text_tokens import (
    CHASSIS,
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
    two_digit_years,
)
from automechanica.catalog.vocabulary import MAKE_ALIASES, alias_key
from automechanica.errors import FitmentTextError

MAX_TEXT_LENGTH = 2000
#: vPIC's first model year: older vehicles can only be proposed for a person to accept.
VPIC_FIRST_YEAR = 1981
#: A model the vehicle base has from its first years on existed before it, probably.
EARLY_YEARS = 2
#: Another maker's model of the same name this much later is a replica or a reuse.
REPLICA_GAP_YEARS = 20

#: Spellings seen in feeds that vocabulary.MAKE_ALIASES does not list (yet).
_EXTRA_MAKE_ALIASES = {"merc": "Mercedes-Benz", "mercbenz": "Mercedes-Benz"}


@dataclass(frozen=True, slots=True)
class ChassisCode:
    """A chassis code people write for a generation ('E90', 'W204'): its models and years."""

    make: str
    models: tuple[str, ...]
    years: tuple[int, int]


@dataclass(frozen=True, slots=True)
class ModelName:
    """One more name for a model ('Vette', 'Miata', a trim badge), as data."""

    make: str
    alias: str
    model: str
    submodel: str | None = None


@dataclass(frozen=True, eq=False)
class VehicleVocabulary:
    """Known makes and models, so every application names a real vehicle.

    Built once per import: every make, alias and model becomes a lookup key
    (`alias_key`: 'F-150', 'F150' and 'f 150' share 'f150'), and `prefixes`
    lets the matcher stop as soon as the words read so far lead nowhere.
    `spans` (the years each model is in the vehicle base) lets the parser refuse
    a make it would have to guess for years that make never built the model.
    """

    makes: Mapping[str, str]
    models: Mapping[str, tuple[tuple[str, str], ...]]
    fused: Mapping[str, tuple[str, str]]  # make key + model key: 'hondacivic'
    needs_make: frozenset[str]  # model keys too bare to stand alone: '3', '1500'
    prefixes: frozenset[str]
    spans: Mapping[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    submodels: Mapping[str, str] = field(default_factory=dict)  # alias key → trim it names
    chassis: Mapping[str, ChassisCode] = field(default_factory=dict)
    #: Models built only before the vehicle base begins ('Chevelle'), with their years:
    #: named, they are proposed for a person, never matched.
    classics: Mapping[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    #: Two words of a part's name ('airfilter', 'sparkplug'): 'Air Filter for 2021 Sequoia'
    #: names no Lucid Air.
    part_words: frozenset[str] = frozenset()

    @classmethod
    def from_pairs(
        cls,
        pairs: Iterable[tuple[str, str]],
        make_aliases: Mapping[str, str] = MAKE_ALIASES,
        *,
        spans: Mapping[tuple[str, str], tuple[int, int]] | None = None,
        model_names: Iterable[ModelName] = (),
        chassis_codes: Iterable[tuple[str, ChassisCode]] = (),
        classics: Iterable[tuple[str, str, tuple[int, int]]] = (),
        part_words: Iterable[str] = (),
    ) -> VehicleVocabulary:
        makes: dict[str, str] = {}
        by_make: dict[str, dict[str, str]] = {}
        classics = list(classics)
        for make_name, model_name in [*pairs, *((mk, md) for mk, md, _ in classics)]:
            make_key, model_key = alias_key(make_name), alias_key(model_name)
            if make_key and model_key:
                make = makes.setdefault(make_key, make_name)
                by_make.setdefault(make, {}).setdefault(model_key, model_name)
        for alias, target in {**_EXTRA_MAKE_ALIASES, **make_aliases}.items():
            known = makes.get(alias_key(target))
            if known is not None:
                makes.setdefault(alias_key(alias), known)
        submodels = _add_model_names(model_names, makes, by_make)
        models: dict[str, tuple[tuple[str, str], ...]] = {}
        for make, named in by_make.items():
            for model_key, model in named.items():
                if (make, model) not in models.get(model_key, ()):
                    models[model_key] = (*models.get(model_key, ()), (make, model))
        fused: dict[str, tuple[str, str]] = {}
        for make_key, make in makes.items():  # real names first, then aliases
            for model_key, model in by_make.get(make, {}).items():
                fused.setdefault(make_key + model_key, (make, model))
                if model_key in submodels:
                    submodels.setdefault(make_key + model_key, submodels[model_key])
        chassis = {
            code: found
            for code, found in chassis_codes
            if code not in models and found.make in by_make
        }
        needs_make = frozenset(k for k in models if k.isdigit() or len(k) < 2)
        keys = [*makes, *models, *fused, *PHRASES, *chassis]
        prefixes = frozenset(key[:n] for key in keys for n in range(1, len(key) + 1))
        classic = {}
        for make_name, model_name, years in classics:  # named as the vehicle base names them
            make = makes[alias_key(make_name)]
            classic[(make, by_make[make][alias_key(model_name)])] = years
        return cls(
            makes,
            models,
            fused,
            needs_make,
            prefixes,
            dict(spans or {}),
            submodels,
            chassis,
            classic,
            frozenset(part_words),
        )

    def covers(self, make: str, model: str, years: list[tuple[int, int]]) -> bool:
        """Whether the vehicle base has this model in any of `years` (True when it knows
        no years for it: a vocabulary built from names alone)."""
        span = self.spans.get((make, model))
        if span is None and (make, model) in self.classics:
            span = self.classics[(make, model)]
        if span is None:
            return True
        return any(first <= span[1] and last >= span[0] for first, last in years)

    def originals(self, candidates: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Of makes that share a model name, the original when the others came decades
        later (the Chevrolet Camaro, not a replica maker's): otherwise all of them."""
        starts = {c: (self.spans.get(c) or self.classics.get(c) or (0, 0))[0] for c in candidates}
        if len(starts) < 2 or 0 in starts.values():
            return candidates
        first = min(candidates, key=lambda c: starts[c])
        others = [starts[c] for c in candidates if c != first]
        if all(start - starts[first] >= REPLICA_GAP_YEARS for start in others):
            return [first]
        return candidates

    def began_early(self, make: str, model: str) -> bool:
        """Whether the model was already built when the vehicle base begins (1981), so a
        restoration catalog's older years of it are believable."""
        if (make, model) in self.classics:
            return True
        span = self.spans.get((make, model))
        return span is None or span[0] <= VPIC_FIRST_YEAR + EARLY_YEARS


def _add_model_names(
    names: Iterable[ModelName], makes: Mapping[str, str], by_make: dict[str, dict[str, str]]
) -> dict[str, str]:
    """'Vette' is a Corvette: one more key for the model; returns the trims aliases name."""
    submodels: dict[str, str] = {}
    for name in names:
        make = makes.get(alias_key(name.make))
        named = by_make.get(make or "", {})
        model = named.get(alias_key(name.model))
        alias = alias_key(name.alias)
        if make is None or model is None or not alias or alias in named:
            continue
        named[alias] = model
        if name.submodel:
            submodels[alias] = name.submodel
    return submodels


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


@dataclass(frozen=True, slots=True)
class ProposedVehicle:
    """A vehicle the text names that the vehicle base cannot have (before 1981): it is
    proposed for a person to accept, never matched to a modern one."""

    make: str
    model: str
    year_start: int
    year_end: int

    def to_json(self) -> dict[str, Any]:
        return {
            "make": self.make,
            "model": self.model,
            "year_start": self.year_start,
            "year_end": self.year_end,
        }


@dataclass(slots=True)
class ParsedFitment:
    """What one fitment string said; position, qualifiers and notes apply to all of it."""

    applications: list[ParsedApplication] = field(default_factory=list)
    position: str | None = None
    qualifiers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # "fragment: reason"
    proposals: list[ProposedVehicle] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "applications": [a.to_json() for a in self.applications],
            "proposals": [p.to_json() for p in self.proposals],
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
    two_digit_years(items, clean, year)
    items = pair_makes(items, clean)
    mark_engine_codes(items, clean)
    items = set_aside_parentheses(join_qualifiers(items, clean), clean, notes)
    walk = _Walk(items, clean, vocabulary)
    walk.run()
    parsed = walk.result(notes)
    if not (parsed.applications or parsed.unresolved or parsed.proposals) and clean.strip():
        parsed.unresolved.append(f"{_squash(clean)}: no vehicle recognized")
    return parsed


# --- naming the words --------------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    """What the classifier remembers: the last make (for '1500/2500'), trims allowed."""

    last_make: str = ""
    last_model: str = ""
    trims_ok: bool = False
    beside_vehicle: bool = False  # the item before was the vehicle: 'Mustang GT'
    make_written: bool = False  # last_make was in the text, not guessed from a model

    def follow(self, item: Item) -> None:
        kind = item.kind
        self.beside_vehicle = kind is VEHICLE or (kind is UNRES and bool(item.candidates))
        if self.beside_vehicle and kind is UNRES:
            self.trims_ok = True  # 'Mustang GT': Ford's or a replica's, the trim is its
        elif kind is VEHICLE or kind is MAKE or kind is CHASSIS:
            self.last_make, self.last_model = item.value, item.model
            self.make_written = not item.inferred
            self.trims_ok = kind is not MAKE
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
            if _part_word(item, items, i, vocabulary):
                item = _single_word(items[i - 1], text)
        else:
            i += 1
        context.follow(item)
        out.append(item)
    return out


@dataclass(frozen=True, slots=True)
class _Found:
    """What a phrase turned out to name."""

    kind: str
    value: str
    model: str = ""
    inferred: bool = False
    submodel: str = ""
    candidates: tuple[tuple[str, str], ...] = ()


def _part_word(item: Item, items: list[Item], after: int, vocabulary: VehicleVocabulary) -> bool:
    """A model read from one word that begins a part's name: 'Air' of 'Air Filter'."""
    guessed = (item.kind is VEHICLE and item.inferred) or (item.kind is UNRES and item.candidates)
    if not guessed or after >= len(items):
        return False
    following = items[after]
    return following.kind is WORD and item.key + following.key in vocabulary.part_words


def _name_words(
    items: list[Item], i: int, vocabulary: VehicleVocabulary, context: _Context, text: str
) -> tuple[Item, int]:
    """The longest phrase starting at word i: joined word keys, one dict probe per word."""
    first = items[i]
    best: _Found | None = None
    best_end = i + 1
    key = best_key = ""
    for j in range(i, len(items)):
        word = items[j]
        if word.kind is not WORD or word.group != first.group:
            break
        key += word.key
        if key not in vocabulary.prefixes:
            break
        found = _lookup(key, vocabulary, context, single=j == i)
        if found is not None:
            best, best_end, best_key = found, j + 1, key
    if best is None:
        best = _glued(first, vocabulary, context, text)
    if best is None:
        return _single_word(first, text), i + 1
    end = items[best_end - 1].end
    item = Item(best.kind, first.start, end, first.group, key=best_key or key, value=best.value)
    item.model, item.inferred, item.submodel = best.model, best.inferred, best.submodel
    item.candidates = best.candidates
    return item, best_end


def _lookup(
    key: str, vocabulary: VehicleVocabulary, context: _Context, *, single: bool = False
) -> _Found | None:
    pair = vocabulary.fused.get(key)
    if pair is not None:
        return _Found(VEHICLE, pair[0], pair[1], submodel=vocabulary.submodels.get(key, ""))
    make = vocabulary.makes.get(key)
    if make is not None:
        return _Found(MAKE, make)
    phrase = PHRASES.get(key)
    if single and phrase is not None and phrase[0] is NOISE:
        return _Found(NOISE, "")  # 'All Models' is not Tesla's 'Model S'
    chassis = vocabulary.chassis.get(key)
    if chassis is not None:
        return _Found(CHASSIS, chassis.make, key)
    candidates = vocabulary.models.get(key, ())
    trim = phrase is not None and phrase[0] is TRIM and context.trims_ok
    own_model = any(m == context.last_make for m, _ in candidates)  # 'Lexus ES/LS': a model
    if trim and (context.beside_vehicle or not own_model):  # 'Mustang GT': the Mustang's trim
        return _Found(TRIM, phrase[1] if phrase else "")
    if candidates:
        found = _model(key, candidates, vocabulary, context)
        if found is not None:
            return found
    if phrase is None or phrase[0] is TRIM:
        return None
    return _Found(phrase[0], phrase[1])


def _model(
    key: str,
    candidates: tuple[tuple[str, str], ...],
    vocabulary: VehicleVocabulary,
    context: _Context,
) -> _Found | None:
    submodel = vocabulary.submodels.get(key, "")
    if key in vocabulary.needs_make:
        candidates = tuple(c for c in candidates if c[0] == context.last_make)
    for make, model in candidates:
        if make == context.last_make:
            inferred = not context.make_written
            return _Found(VEHICLE, make, model, inferred=inferred, submodel=submodel)
    if len(candidates) == 1:
        make, model = candidates[0]
        return _Found(VEHICLE, make, model, inferred=True, submodel=submodel)
    if not candidates:
        return None
    makes = " or ".join(sorted(m for m, _ in candidates))
    return _Found(UNRES, f"ambiguous model ({makes}); name the make", candidates=candidates)


_GLUED = re.compile(r"^([a-z]{1,3})(\d{2,3}[a-z]{0,2})$")


def _glued(
    item: Item, vocabulary: VehicleVocabulary, context: _Context, text: str
) -> _Found | None:
    """A trim written onto its model: 'GS350' is a Lexus GS 350, 'C300' a C-Class C300."""
    m = _GLUED.match(item.key)
    if m is None:
        return None
    letters = m.group(1)
    written = text[item.start : item.end]
    trim = written[len(letters) :]
    for model_key, submodel in ((letters + "class", written.upper()), (letters, trim)):
        if len(model_key) < 2:
            continue
        found = vocabulary.models.get(model_key, ())
        if context.last_make:
            found = tuple(c for c in found if c[0] == context.last_make) or found
        if len(found) == 1:
            make, model = found[0]
            if (make, model) == (context.last_make, context.last_model):
                return _Found(TRIM, submodel)  # 'C-Class C300': the trim of the model just named
            inferred = make != context.last_make or not context.make_written
            return _Found(VEHICLE, make, model, inferred=inferred, submodel=submodel)
    return None


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
    inferred: bool = False  # the make was not written: read from the model alone
    candidates: tuple[tuple[str, str], ...] = ()  # an ambiguous model's makes
    unknown_model: str = ""  # words after a make that name no model we know

    @property
    def named(self) -> bool:
        return bool(self.model or self.failed)

    def take(self, item: Item) -> None:
        self.start, self.end = min(self.start, item.start), max(self.end, item.end)


class _Walk:
    """One pass over the items; a new vehicle starts where a new model or year range does."""

    def __init__(self, items: list[Item], text: str, vocabulary: VehicleVocabulary) -> None:
        self.items, self.text, self.vocabulary = items, text, vocabulary
        self.chassis: list[ChassisCode] = []
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
        elif kind is CHASSIS:
            self.chassis.append(self.vocabulary.chassis[item.model])
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
            builder.make, builder.model, builder.inferred = item.value, item.model, item.inferred
            if item.submodel and item.submodel not in builder.submodels:
                builder.submodels.append(item.submodel)
        else:
            builder.failed, builder.candidates = item.value, item.candidates
            builder.make, builder.unknown_model = item.make, item.model

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
        builders = self._chassis_builders()
        for builder in builders:
            self._settle_make(builder)
            if builder.model and builder.years:
                self._vehicle_found(builder, parsed)
                notes += self._runs(builder.words)
            elif builder.unknown_model and _before_base(builder.years):
                parsed.proposals += _proposals(builder, builder.make, builder.unknown_model)
            else:
                parsed.unresolved.append(f"{self._fragment(builder)}: {_reason(builder)}")
        if self.builders:
            notes += self._runs(self.orphans)
        parsed.notes = [note for _, note in sorted(notes)]
        parsed.position = resolve_position(self.positions)
        return parsed

    def _chassis_builders(self) -> list[_Builder]:
        """'E90 328i' takes the code's years; 'BMW E90 2007-2011' names each of its models."""
        if not self.chassis:
            return self.builders
        named = [b for b in self.builders if b.model or b.failed]
        for code in self.chassis:
            for builder in named:
                if builder.make == code.make and not builder.years:
                    builder.years = [code.years]
        if named:
            return self.builders
        stated = [span for b in self.builders for span in b.years] or [self.chassis[0].years]
        out: list[_Builder] = []
        for code in self.chassis:
            first, last = code.years
            years = [(max(a, first), min(b, last)) for a, b in stated if a <= last and b >= first]
            for model in code.models:
                builder = _Builder(0, len(self.text), len(self.builders), code.make, model)
                builder.years = years
                builder.engines = next((b.engines for b in self.builders if b.engines), [])
                builder.drives = next((b.drives for b in self.builders if b.drives), set())
                out.append(builder)
        return out

    def _settle_make(self, builder: _Builder) -> None:
        """An ambiguous model is the one make that built it in those years, if only one did."""
        if builder.model or not builder.candidates or not builder.years:
            return
        years = merge_years(builder.years)
        fits = [c for c in builder.candidates if self.vocabulary.covers(*c, years)]
        if not fits and _before_base(builder.years):
            fits = [c for c in builder.candidates if self.vocabulary.began_early(*c)]
        fits = self.vocabulary.originals(fits)
        if len(fits) == 1:
            (builder.make, builder.model), builder.failed = fits[0], ""
            builder.inferred = True

    def _vehicle_found(self, builder: _Builder, parsed: ParsedFitment) -> None:
        """Applications for the years the vehicle base has; proposals for those before it.
        A make the text did not name is never kept for years it never built the model."""
        vocabulary = self.vocabulary
        years = merge_years(builder.years)
        span = vocabulary.spans.get((builder.make, builder.model))
        if span is None and (builder.make, builder.model) in vocabulary.classics:
            self._classic_found(builder, parsed, years)
            return
        if span is None:
            parsed.applications += _applications(builder)
            return
        if vocabulary.covers(builder.make, builder.model, years):
            if builder.inferred:  # a guessed make keeps only the years it built the model
                years = [(a, b) for a, b in years if a <= span[1] and b >= span[0]]
            base_from = min(span[0], VPIC_FIRST_YEAR)  # older years: only as proposals
            early = [(a, min(b, base_from - 1)) for a, b in years if a < base_from]
            builder.years = [(max(a, base_from), b) for a, b in years if b >= base_from]
            parsed.applications += _applications(builder)
            if early:
                parsed.proposals += _proposals(builder, builder.make, builder.model, early)
            return
        if _before_base(builder.years) and (
            not builder.inferred or vocabulary.began_early(builder.make, builder.model)
        ):
            parsed.proposals += _proposals(builder, builder.make, builder.model)
        elif builder.inferred:
            when = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in years)
            parsed.unresolved.append(
                f"{self._fragment(builder)}: no make named, and the only {builder.model} known "
                f"({builder.make}, {span[0]}-{span[1]}) was not built in {when}"
            )
        else:
            parsed.applications += _applications(builder)  # the importer reports the years

    def _classic_found(
        self, builder: _Builder, parsed: ParsedFitment, years: list[tuple[int, int]]
    ) -> None:
        """A model the vehicle base does not have, known only from before it ('Bel Air')."""
        early = [(a, min(b, VPIC_FIRST_YEAR - 1)) for a, b in years if a < VPIC_FIRST_YEAR]
        if early:
            parsed.proposals += _proposals(builder, builder.make, builder.model, early)
        if early != years:
            parsed.unresolved.append(
                f"{self._fragment(builder)}: the vehicle base has no {builder.make} "
                f"{builder.model}; only years before {VPIC_FIRST_YEAR} can be proposed"
            )

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


def _before_base(years: list[tuple[int, int]]) -> bool:
    return bool(years) and all(last < VPIC_FIRST_YEAR for _, last in years)


def _proposals(
    builder: _Builder, make: str, model: str, years: list[tuple[int, int]] | None = None
) -> list[ProposedVehicle]:
    return [ProposedVehicle(make, model, a, b) for a, b in years or merge_years(builder.years)]


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
