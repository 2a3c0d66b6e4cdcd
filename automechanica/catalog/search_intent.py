"""What a shopper's query means: the part type(s), the vehicle, the position, the rest.

"front pads for civic 2014" is three things: a part type (pads = Brake Pads), a
position (front) and a vehicle (2014 Honda Civic). `understand` reads them apart
without the database:

- part types by phrase, longest first, from the taxonomy's names and synonyms plus
  the shopper words of `data/part_type_synonyms.toml` (plurals folded: "pads" = "pad");
  a type whose `not_words` appear is out ("cabin" rules out the engine air filter);
- the vehicle by the free-text fitment parser (`fitment_text`), run on the query with
  the part-type phrases blanked out first — so "spark plugs 2015 camry" is a Camry,
  not a Chevrolet Spark — and never a make or model the words do not name;
- what is left (brand, "ceramic", a part number) is the text the search ranks by.

Pure, 0.1-0.4 ms a query: the API reads each query text once per process (IntentCache).
"""

from __future__ import annotations

import re
import tomllib
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from importlib import resources
from pathlib import Path

from automechanica.catalog.fitment_text import VehicleVocabulary, parse_fitment_text
from automechanica.catalog.taxonomy import TypeTerms, stem, tokens
from automechanica.catalog.vocabulary import TAXONOMY, alias_key, slugify
from automechanica.errors import InvalidInputError

SYNONYMS_FILE = "data/part_type_synonyms.toml"

#: Position words and the fitment position word they stand for.
POSITION_WORDS = {
    "front": "Front",
    "rear": "Rear",
    "left": "Left",
    "driver": "Left",
    "lh": "Left",
    "right": "Right",
    "passenger": "Right",
    "rh": "Right",
    "upper": "Upper",
    "lower": "Lower",
    "upstream": "Upstream",
    "downstream": "Downstream",
}
#: Words that say nothing about the part: left out of the text searched.
FILLER = frozenset(
    {
        "for",
        "fits",
        "fit",
        "fitting",
        "my",
        "a",
        "an",
        "the",
        "to",
        "of",
        "on",
        "in",
        "need",
        "needed",
        "buy",
        "cheap",
        "best",
        "new",
        "replacement",
        "replace",
        "part",
        "parts",
        "oem",
        "aftermarket",
        "please",
    }
)
_REWRITES = (
    (re.compile(r"\ba\s*/\s*c\b"), "ac"),
    (re.compile(r"\bobd\s*-?\s*(ii|2)\b"), "obd2"),
    (re.compile(r"&"), " and "),
)
_TOKEN = re.compile(r"[a-z0-9]+")
#: Words shorter than this are not read as misspellings (too many near neighbours).
TYPO_MIN_LENGTH = 5
_YEAR = re.compile(r"^(?:19[5-9]\d|20[0-4]\d)$")
_LITERS = re.compile(r"^\d\.\d[lt]?$")
_ENGINE_WORD = re.compile(r"^(?:[vi][468]|v10|v12|\d\.\dl?|\dl|hemi|ecoboost|turbo|diesel)$")
_DRIVE_WORDS = frozenset({"awd", "4wd", "fwd", "rwd", "2wd", "4x4", "4x2"})


@dataclass(frozen=True, slots=True)
class TypeHit:
    """A part type the query names, and the words that named it."""

    slug: str
    name: str
    phrase: str
    source: str = "words"  # words | vectors


@dataclass(frozen=True, slots=True)
class VehicleMention:
    """The vehicle the query names: make and model always, year and engine when said."""

    make: str
    model: str
    year: int | None = None
    engine_liters: tuple[Decimal, ...] = ()
    drive: str | None = None
    submodels: tuple[str, ...] = ()
    #: "2012-2014 civic": the years said, when more than one (then `year` is None).
    years: tuple[int, int] | None = None

    @property
    def label(self) -> str:
        said = f"{self.years[0]}-{self.years[1]}" if self.years else self.year
        return " ".join(str(w) for w in (said, self.make, self.model) if w)


@dataclass(slots=True)
class SearchIntent:
    """A query read apart. `text` is what the search ranks by (the query without the
    vehicle and filler words); `part_types` filter and rank when present."""

    query: str
    text: str
    part_types: list[TypeHit] = field(default_factory=list)
    ambiguous: bool = False  # the type words could mean any of `part_types`
    vehicle: VehicleMention | None = None
    position: tuple[str, ...] = ()
    unresolved: list[str] = field(default_factory=list)

    @property
    def slugs(self) -> list[str]:
        return [t.slug for t in self.part_types]


@dataclass(frozen=True, slots=True)
class _Phrase:
    types: tuple[tuple[str, str], ...]  # (slug, name)
    text: str
    ambiguous: bool


@dataclass(frozen=True, slots=True)
class _Token:
    stem: str
    start: int
    end: int


class ShopperWords:
    """Every phrase that names a part type, indexed by its first word."""

    def __init__(
        self,
        types: Iterable[TypeTerms],
        extra: Mapping[str, Sequence[str]] | None = None,
        ambiguous: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.types = {t.name: t for t in types}
        self._by_first: dict[str, dict[tuple[str, ...], _Phrase]] = {}
        self._not_words: dict[str, list[tuple[str, ...]]] = {}
        self.longest = 1
        #: Every phrase word by its one-letter deletions: a word one edit away from
        #: exactly one phrase word is read as it ('thermostst', 'alternatr').
        self._typos: dict[str, set[str]] = {}
        self._known: dict[str, int] = {}  # phrase word -> phrases it is in
        for t in self.types.values():
            for phrase in (t.name, *t.synonyms):
                self._add(phrase, [t.name], ambiguous=False)
            self._not_words[t.slug] = [tuple(tokens(w)) for w in t.not_words if tokens(w)]
        for name, words in (extra or {}).items():
            for phrase in words:
                self._add(phrase, [name], ambiguous=False)
        for phrase, names in (ambiguous or {}).items():
            self._add(phrase, list(names), ambiguous=True)

    @classmethod
    def seed(cls, types: Iterable[TypeTerms] | None = None) -> ShopperWords:
        """The given types (default: the taxonomy seed) with the shipped shopper words."""
        terms = list(types) if types is not None else [TypeTerms.of(t) for t in TAXONOMY]
        extra, ambiguous = load_synonyms()
        known = {t.name for t in terms}
        extra = {k: v for k, v in extra.items() if k in known}
        ambiguous = {k: [n for n in v if n in known] for k, v in ambiguous.items()}
        return cls(terms, extra, {k: v for k, v in ambiguous.items() if v})

    def _add(self, phrase: str, names: Sequence[str], *, ambiguous: bool) -> None:
        toks = tuple(tokens(phrase))
        if not toks:
            return
        entry = _Phrase(tuple((slugify(n), n) for n in names), phrase, ambiguous)
        by_first = self._by_first.setdefault(toks[0], {})
        known = by_first.get(toks)
        if known is not None and not known.ambiguous and not ambiguous:
            return  # the taxonomy's own word (added first) keeps its type
        by_first[toks] = entry
        self.longest = max(self.longest, len(toks))
        for word in toks:
            self._known[word] = self._known.get(word, 0) + 1
            if len(word) >= TYPO_MIN_LENGTH and not word.isdigit():
                for variant in (word, *_deletions(word)):
                    self._typos.setdefault(variant, set()).add(word)

    def find(self, toks: Sequence[_Token]) -> list[tuple[int, int, _Phrase]]:
        """Phrases in the query, longest first from left to right: (start, end, phrase)."""
        stems = [t.stem for t in toks]
        found: list[tuple[int, int, _Phrase]] = []
        i = 0
        while i < len(stems):
            candidates = self._by_first.get(stems[i])
            best: tuple[int, _Phrase] | None = None
            if candidates:
                for n in range(min(self.longest, len(stems) - i), 0, -1):
                    hit = candidates.get(tuple(stems[i : i + n]))
                    if hit is not None:
                        best = (n, hit)
                        break
            if best is None:
                i += 1
                continue
            found.append((i, i + best[0], best[1]))
            i += best[0]
        return found

    def spelled(self, word: str) -> str:
        """The phrase word `word` is one edit away from (the one in most phrases when
        several are, and none is tied with it); else `word` as it is."""
        if len(word) < TYPO_MIN_LENGTH or word.isdigit() or word in self._known:
            return word
        candidates: set[str] = set()
        for variant in (word, *_deletions(word)):
            candidates |= self._typos.get(variant, set())
        ranked = sorted(candidates, key=lambda w: (-self._known[w], w))
        if not ranked or (len(ranked) > 1 and self._known[ranked[0]] == self._known[ranked[1]]):
            return word
        return ranked[0]

    def ruled_out(self, slug: str, stems: Sequence[str]) -> bool:
        for words in self._not_words.get(slug, ()):
            n = len(words)
            if any(tuple(stems[i : i + n]) == words for i in range(len(stems) - n + 1)):
                return True
        return False


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def load_synonyms(path: Path | None = None) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(type name -> shopper words, ambiguous word -> type names) from the data file."""
    try:
        if path is None:
            with resources.files("automechanica.catalog").joinpath(SYNONYMS_FILE).open("rb") as f:
                data = tomllib.load(f)
        else:
            with path.open("rb") as f:
                data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        where = path or f"automechanica/catalog/{SYNONYMS_FILE}"
        raise InvalidInputError(f"{where} is not valid TOML ({exc}); fix the line named.") from exc
    extra = {name: list(entry.get("words", [])) for name, entry in data.get("types", {}).items()}
    ambiguous = {word: list(names) for word, names in data.get("ambiguous", {}).items()}
    return extra, ambiguous


def check_synonyms(words: ShopperWords, path: Path | None = None) -> list[str]:
    """What is wrong with the synonyms file, a sentence each: names that are not part
    types, and words that the taxonomy already gives to another type."""
    extra, ambiguous = load_synonyms(path)
    named = [*extra, *(n for names in ambiguous.values() for n in names)]
    where = path or SYNONYMS_FILE
    problems = [
        f"{where}: {name!r} is not a part type; use a name from part_types.toml."
        for name in dict.fromkeys(named)
        if name not in words.types
    ]
    own: dict[tuple[str, ...], str] = {}
    for t in words.types.values():
        for phrase in (t.name, *t.synonyms):
            own.setdefault(tuple(tokens(phrase)), t.name)
    for name, phrases in extra.items():
        for phrase in phrases:
            other = own.get(tuple(tokens(phrase)))
            if other is not None and other != name:
                problems.append(
                    f"{where}: {phrase!r} under {name!r} already names {other!r} in the "
                    "taxonomy; move it to [ambiguous] or drop it."
                )
    return problems


def understand(query: str, words: ShopperWords, vocabulary: VehicleVocabulary) -> SearchIntent:
    """The query read apart into part types, vehicle, position and the text to rank by."""
    text = query.lower()
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    toks = [_Token(stem(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    toks = [_spelled(t, words, vocabulary) for t in toks]
    stems = [t.stem for t in toks]
    found = words.find(toks)
    hits = [
        h for h in found if not _names_model(toks, h[0], h[1], vocabulary, others=len(found) > 1)
    ]
    part_types: list[TypeHit] = []
    ambiguous = False
    for start, end, phrase in hits:
        for slug, name in phrase.types:
            if words.ruled_out(slug, stems) or any(t.slug == slug for t in part_types):
                continue
            part_types.append(TypeHit(slug, name, text[toks[start].start : toks[end - 1].end]))
        ambiguous = ambiguous or phrase.ambiguous
    typed = {i for start, end, _ in hits for i in range(start, end)}
    position = tuple(
        dict.fromkeys(POSITION_WORDS[t.stem] for t in toks if t.stem in POSITION_WORDS)
    )
    masked = list(text)
    for i, t in enumerate(toks):
        if i in typed or t.stem in POSITION_WORDS:
            masked[t.start : t.end] = " " * (t.end - t.start)
    for i in reversed(_short_years(toks, text, vocabulary)):  # right to left: spans hold
        masked[toks[i].start : toks[i].end] = "'" + toks[i].stem
    vehicle, unresolved = _vehicle("".join(masked), vocabulary)
    vehicle_words = _vehicle_tokens(toks, vehicle, vocabulary) if vehicle else set()
    rest = [
        text[t.start : t.end]
        for i, t in enumerate(toks)
        if i not in vehicle_words and t.stem not in FILLER
    ]
    return SearchIntent(query, " ".join(rest), part_types, ambiguous, vehicle, position, unresolved)


class IntentCache:
    """`understand` remembered by the query's lower-cased text, its only input besides
    the words: shoppers repeat queries, and reading one costs the API 0.1-0.4 ms of CPU.

    One cache per pair of words and vocabulary (`search_words.SearchWords` holds it), so
    words rebuilt because a part type or model changed start an empty cache. Bounded
    LRU. The intents handed out are shared: callers read them, never change them.
    """

    def __init__(
        self, words: ShopperWords, vocabulary: VehicleVocabulary, *, size: int = 4096
    ) -> None:
        self.words, self.vocabulary, self.size = words, vocabulary, size
        self._entries: OrderedDict[str, SearchIntent] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def understand(self, query: str) -> SearchIntent:
        """What `understand(query, words, vocabulary)` returns, read once per text."""
        key = query.lower()
        found = self._entries.get(key)
        if found is None:
            found = self._entries[key] = understand(query, self.words, self.vocabulary)
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return found if found.query == query else replace(found, query=query)


def _spelled(token: _Token, words: ShopperWords, vocabulary: VehicleVocabulary) -> _Token:
    """A misspelt part word read as the word meant; a vehicle's name is never 'fixed'."""
    key = alias_key(token.stem)
    if key in vocabulary.makes or key in vocabulary.models or key in vocabulary.prefixes:
        return token
    fixed = words.spelled(token.stem)
    return token if fixed == token.stem else _Token(fixed, token.start, token.end)


def _short_years(toks: Sequence[_Token], text: str, vocabulary: VehicleVocabulary) -> list[int]:
    """Bare two-digit numbers right beside a make or model ('civic 14'): shoppers'
    years, written the way the parser reads them ("'14")."""
    out = []
    for i, t in enumerate(toks):
        if len(t.stem) != 2 or not t.stem.isdigit() or text[t.start - 1 : t.start] == "'":
            continue
        stems = [tok.stem for tok in toks]
        beside = [
            "".join(stems[a:b])
            for a, b in ((i - 1, i), (i - 2, i), (i + 1, i + 2), (i + 1, i + 3))
            if a >= 0 and b <= len(stems)
        ]  # 'civic 14', 'f 150 15', 'mazda 3 15', '14 civic'

        if any(_is_vehicle_word(w, vocabulary) for w in beside):
            out.append(i)
    return out


def _is_vehicle_word(word: str, vocabulary: VehicleVocabulary) -> bool:
    key = alias_key(word)
    known = key in vocabulary.makes or key in vocabulary.models or key in vocabulary.fused
    return known and not key.isdigit()


def _names_model(
    toks: Sequence[_Token], start: int, end: int, vocabulary: VehicleVocabulary, *, others: bool
) -> bool:
    """A one-word type phrase that is here a model's name: right after a make that has
    that model ('chevy spark'), or a model of one make while another phrase names the
    part ('2015 spark oil filter')."""
    if end - start != 1:
        return False
    models = vocabulary.models.get(alias_key(toks[start].stem), ())
    if start > 0:
        make = vocabulary.makes.get(alias_key(toks[start - 1].stem))
        if make is not None and any(m == make for m, _ in models):
            return True
    return others and len(models) == 1 and alias_key(toks[start].stem) not in vocabulary.needs_make


def _vehicle(text: str, vocabulary: VehicleVocabulary) -> tuple[VehicleMention | None, list[str]]:
    if not text.strip():
        return None, []
    parsed = parse_fitment_text(text, vocabulary)
    unresolved = list(parsed.unresolved)
    if parsed.applications:
        app = parsed.applications[0]
        liters = tuple(e.liters for e in app.engines if e.liters is not None)
        year = app.year_start if app.year_start == app.year_end else None
        years = None if year is not None else (app.year_start, app.year_end)
        mention = VehicleMention(
            app.make, app.model, year, liters, app.drive, tuple(app.submodels), years
        )
        return mention, unresolved
    for fragment in parsed.unresolved:  # "camry: no year": a model the words do name
        words, _, reason = fragment.rpartition(": ")
        if reason != "no year":
            continue
        pair = _model_named(words, vocabulary)
        if pair is not None:
            unresolved.remove(fragment)
            return VehicleMention(pair[0], pair[1]), unresolved
    return None, unresolved


def _model_named(words: str, vocabulary: VehicleVocabulary) -> tuple[str, str] | None:
    """(make, model) when the words are exactly one model, with or without its make."""
    key = alias_key(words)
    fused = vocabulary.fused.get(key)
    if fused is not None:
        return fused
    models = vocabulary.models.get(key, ())
    if len(models) == 1 and key not in vocabulary.needs_make:
        return models[0]
    return None


def _vehicle_tokens(
    toks: Sequence[_Token], vehicle: VehicleMention, vocabulary: VehicleVocabulary
) -> set[int]:
    """Indexes of the tokens that named the vehicle (years, make, model, engine, drive)."""
    make_keys = {k for k, v in vocabulary.makes.items() if v == vehicle.make}
    model_key = alias_key(vehicle.model)
    names = make_keys | {model_key} | {m + model_key for m in make_keys}
    names |= {alias_key(s) for s in vehicle.submodels}
    out: set[int] = set()
    for i, t in enumerate(toks):
        if _YEAR.match(t.stem) or _ENGINE_WORD.match(t.stem) or t.stem in _DRIVE_WORDS:
            out.add(i)
        elif vehicle.year is not None and t.stem == f"{vehicle.year % 100:02d}":
            out.add(i)  # "'14"
        elif i + 1 < len(toks) and _LITERS.match(f"{t.stem}.{toks[i + 1].stem}"):
            out.update((i, i + 1))  # '5.0' was cut into '5' and '0'
    for i in range(len(toks)):
        key = ""
        for j in range(i, min(i + 4, len(toks))):
            key += alias_key(toks[j].stem)
            if key in names:
                out.update(range(i, j + 1))
    return out
