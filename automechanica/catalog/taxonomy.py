"""The part-type taxonomy as words: which type a supplier's title names, deterministically.

Every type's name and synonyms become phrases of stemmed words ("pads" -> pad,
"a/c" -> ac). A title is scanned for every phrase; the longest (most specific)
phrase wins — "brake pad wear sensor" beats "brake pad", "cabin air filter" beats
"air filter" — and a type whose `not_words` appear is out ("cabin" rules out the
engine air filter, "wrench" the oil filter). Words after "for", "fits", "with"
describe the vehicle or extras, so phrases there count less. Confidence grows with
the phrase's length and falls when another type's phrase competes.

The vector and model steps (agents.part_types) take over when this is weak.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.catalog.vocabulary import TAXONOMY, PartType, slugify
from automechanica.errors import ConflictError, InvalidInputError, NotFoundError

#: Words after which a title describes the vehicle or extras, not the item.
BOUNDARY_WORDS = frozenset({"for", "fits", "fit", "with", "w", "incl", "includes", "including"})
#: A phrase after a boundary word counts this much less.
AFTER_BOUNDARY_PENALTY = 1.5
#: The type's own name weighs a little more than a synonym of the same length.
NAME_BONUS = 0.25

_TOKEN = re.compile(r"[a-z0-9]+")
_REWRITES = (
    (re.compile(r"\ba\s*/\s*c\b"), "ac"),
    (re.compile(r"\bw\s*/\s*o\b"), " without "),
    (re.compile(r"\bw\s*/\s*"), " with "),
    (re.compile(r"\bobd\s*-?\s*(ii|2)\b"), "obd2"),
    (re.compile(r"\bp\s*/\s*s\b"), "ps"),
    (re.compile(r"\bu\s*-\s*joint"), "ujoint"),
    (re.compile(r"\bo\s*-\s*ring"), "oring"),
    (re.compile(r"&"), " and "),
)


def stem(token: str) -> str:
    """A crude plural stemmer, applied alike to titles and phrases: 'pads' -> 'pad'."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    """Stemmed lower-case words of a title or phrase."""
    text = text.lower()
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return [stem(t) for t in _TOKEN.findall(text)]


@dataclass(frozen=True, slots=True)
class TypeTerms:
    """What the classifier knows of one part type."""

    name: str
    category: str
    description: str
    synonyms: tuple[str, ...] = ()
    not_words: tuple[str, ...] = ()
    id: int | None = None

    @classmethod
    def of(cls, part_type: PartType, id: int | None = None) -> TypeTerms:
        return cls(
            part_type.name,
            part_type.category,
            part_type.description,
            part_type.synonyms,
            part_type.not_words,
            id,
        )

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def document(self) -> str:
        """The text its vector is made of: name, description and the commonest synonyms."""
        return f"{self.name}: {self.description} Also called {', '.join(self.synonyms[:6])}."


@dataclass(frozen=True, slots=True)
class PhraseHit:
    type_name: str
    phrase: str
    start: int
    end: int
    score: float


@dataclass(slots=True)
class Classification:
    """The deterministic answer: a type (or none), a confidence and what was seen."""

    type_name: str | None
    confidence: float
    hits: list[PhraseHit] = field(default_factory=list)
    runner_up: str | None = None
    excluded: list[str] = field(default_factory=list)

    @property
    def phrase(self) -> str | None:
        best = [h for h in self.hits if h.type_name == self.type_name]
        return best[0].phrase if best else None


class Taxonomy:
    """Phrases of every type, indexed by first word; `classify` runs in microseconds."""

    def __init__(self, types: Iterable[TypeTerms]) -> None:
        self.types: dict[str, TypeTerms] = {t.name: t for t in types}
        self._phrases: dict[str, list[tuple[tuple[str, ...], str, bool, str]]] = {}
        self._not_words: dict[str, list[tuple[str, ...]]] = {}
        for t in self.types.values():
            seen: set[tuple[str, ...]] = set()
            for phrase in (t.name, *t.synonyms):
                toks = tuple(tokens(phrase))
                if toks and toks not in seen:
                    seen.add(toks)
                    self._phrases.setdefault(toks[0], []).append(
                        (toks, t.name, phrase == t.name, phrase)
                    )
            self._not_words[t.name] = [tuple(tokens(w)) for w in t.not_words if tokens(w)]

    @classmethod
    def seed(cls) -> Taxonomy:
        """The taxonomy of the data file (catalog/data/part_types.toml)."""
        return cls(TypeTerms.of(t) for t in TAXONOMY)

    def __len__(self) -> int:
        return len(self.types)

    def phrase_keys(self) -> set[str]:
        """Every phrase as one key ('wiperblade'): what may follow a brand's name."""
        return {"".join(toks) for entries in self._phrases.values() for toks, *_ in entries}

    def classify(self, title: str, description: str | None = None) -> Classification:
        """The type a title names; the description only when the title names none."""
        found = self._classify(tokens(title))
        if found.type_name is None and description:
            found = self._classify(tokens(description))
            found.confidence = round(found.confidence * 0.9, 3)  # a description wanders
        return found

    def _classify(self, toks: list[str]) -> Classification:
        boundary = next((i for i, t in enumerate(toks) if t in BOUNDARY_WORDS), len(toks))
        hits: list[PhraseHit] = []
        for i, tok in enumerate(toks):
            for phrase, name, is_name, text in self._phrases.get(tok, ()):
                end = i + len(phrase)
                if tuple(toks[i:end]) != phrase:
                    continue
                score = len(phrase) + (NAME_BONUS if is_name else 0.0)
                if i > boundary:
                    score -= AFTER_BOUNDARY_PENALTY
                hits.append(PhraseHit(name, text, i, end, score))
        # Not-words after "with"/"for" describe extras ("knock sensor w/ pigtail").
        excluded = sorted(
            {
                h.type_name
                for h in hits
                if self._ruled_out(h.type_name, toks[:boundary] if h.start < boundary else toks)
            }
        )
        hits = [h for h in hits if h.type_name not in excluded]
        # A phrase inside a longer phrase of another type is that type's word, not its own.
        hits = [
            h
            for h in hits
            if not any(
                o.type_name != h.type_name
                and o.start <= h.start
                and h.end <= o.end
                and (o.end - o.start) > (h.end - h.start)
                for o in hits
            )
        ]
        best_by_type: dict[str, PhraseHit] = {}
        for h in hits:
            seen = best_by_type.get(h.type_name)
            if seen is None or (h.score, -h.start) > (seen.score, -seen.start):
                best_by_type[h.type_name] = h
        ranked = sorted(best_by_type.values(), key=lambda h: (-h.score, h.start))
        if not ranked:
            return Classification(None, 0.0, excluded=excluded)
        best = ranked[0]
        length = best.end - best.start
        confidence = 0.75 + 0.07 * min(length, 3)
        if best.start > boundary:
            confidence -= 0.1
        runner_up = ranked[1] if len(ranked) > 1 else None
        if runner_up is not None:
            margin = best.score - runner_up.score
            confidence -= 0.2 if margin <= 0 else 0.12 if margin < 1 else 0.05
        return Classification(
            best.type_name,
            round(max(0.0, min(confidence, 0.97)), 3),
            sorted(ranked, key=lambda h: -h.score),
            runner_up.type_name if runner_up else None,
            excluded,
        )

    def _ruled_out(self, name: str, toks: Sequence[str]) -> bool:
        for words in self._not_words.get(name, ()):
            n = len(words)
            if any(tuple(toks[i : i + n]) == words for i in range(len(toks) - n + 1)):
                return True
        return False


# --- the database: part types people add and edit ---------------------------------------

SELECT_TYPES = """
SELECT id, name, slug, pcdb_id, category, fit_attributes, universal,
       coalesce(description, '') AS description, synonyms, not_words, edited_by
FROM part_types ORDER BY category, name
"""
SELECT_TYPE = SELECT_TYPES.replace(
    "ORDER BY category, name", "WHERE slug = %(key)s OR lower(name) = lower(%(key)s)"
)
INSERT_TYPE = """
INSERT INTO part_types (name, slug, category, fit_attributes, universal, description,
                        synonyms, not_words, edited_by)
VALUES (%(name)s, %(slug)s, %(category)s, %(fit_attributes)s, %(universal)s, %(description)s,
        %(synonyms)s, %(not_words)s, %(by)s)
RETURNING id
"""
UPDATE_TYPE = """
UPDATE part_types SET
    category = coalesce(%(category)s, category),
    description = coalesce(%(description)s, description),
    fit_attributes = coalesce(%(fit_attributes)s, fit_attributes),
    universal = coalesce(%(universal)s, universal),
    not_words = coalesce(%(not_words)s, not_words),
    edited_by = %(by)s, updated_at = now()
WHERE id = %(id)s
"""
ADD_SYNONYMS = """
UPDATE part_types
SET synonyms = (SELECT array_agg(DISTINCT s ORDER BY s) FROM unnest(synonyms || %(words)s) s),
    edited_by = %(by)s, updated_at = now()
WHERE id = %(id)s
"""


@dataclass(frozen=True, slots=True)
class PartTypeRow:
    id: int
    name: str
    slug: str
    pcdb_id: int | None
    category: str
    fit_attributes: list[str]
    universal: bool
    description: str
    synonyms: list[str]
    not_words: list[str]
    edited_by: str | None

    @property
    def terms(self) -> TypeTerms:
        return TypeTerms(
            self.name,
            self.category,
            self.description,
            tuple(self.synonyms),
            tuple(self.not_words),
            self.id,
        )


async def list_part_types(conn: AsyncConnection[Any]) -> list[PartTypeRow]:
    return [PartTypeRow(**r) for r in await _fetchall(conn, SELECT_TYPES)]


async def load_taxonomy(conn: AsyncConnection[Any]) -> Taxonomy:
    """The store's taxonomy as it is now (the seed plus what people added)."""
    return Taxonomy(row.terms for row in await list_part_types(conn))


async def get_part_type(conn: AsyncConnection[Any], key: str) -> PartTypeRow:
    """A part type by slug or name (any case)."""
    rows = await _fetchall(conn, SELECT_TYPE, {"key": key.strip()})
    if not rows:
        raise NotFoundError("part type", key)
    return PartTypeRow(**rows[0])


async def add_part_type(
    conn: AsyncConnection[Any],
    name: str,
    *,
    category: str,
    description: str,
    synonyms: Sequence[str] = (),
    not_words: Sequence[str] = (),
    fit_attributes: Sequence[str] = (),
    universal: bool = False,
    by: str = "operator",
) -> PartTypeRow:
    """A new part type; a name or slug in use, or a synonym of another type, is a conflict."""
    name, slug = name.strip(), slugify(name)
    if not slug or not category.strip() or not description.strip():
        raise InvalidInputError("A part type needs a name, a category and a description.")
    rows = await _fetchall(
        conn, "SELECT name FROM part_types WHERE slug = %s OR lower(name) = lower(%s)", (slug, name)
    )
    if rows:
        raise ConflictError(f"The part type {rows[0]['name']!r} exists.")
    await _check_synonyms(conn, None, synonyms)
    params = {
        "name": name,
        "slug": slug,
        "category": category.strip(),
        "fit_attributes": list(fit_attributes),
        "universal": universal,
        "description": description.strip(),
        "synonyms": _clean(synonyms),
        "not_words": _clean(not_words),
        "by": by,
    }
    await _fetchall(conn, INSERT_TYPE, params)
    return await get_part_type(conn, slug)


async def edit_part_type(
    conn: AsyncConnection[Any],
    key: str,
    *,
    category: str | None = None,
    description: str | None = None,
    fit_attributes: Sequence[str] | None = None,
    universal: bool | None = None,
    not_words: Sequence[str] | None = None,
    by: str = "operator",
) -> PartTypeRow:
    """Change what a type says about itself (its name and slug stay: URLs use them)."""
    row = await get_part_type(conn, key)
    async with conn.cursor() as cur:
        await cur.execute(
            UPDATE_TYPE,
            {
                "id": row.id,
                "category": category.strip() if category else None,
                "description": description.strip() if description else None,
                "fit_attributes": list(fit_attributes) if fit_attributes is not None else None,
                "universal": universal,
                "not_words": _clean(not_words) if not_words is not None else None,
                "by": by,
            },
        )
    return await get_part_type(conn, row.slug)


async def add_synonyms(
    conn: AsyncConnection[Any], key: str, words: Sequence[str], *, by: str = "operator"
) -> PartTypeRow:
    """Teach a type more of the words people use for it."""
    row = await get_part_type(conn, key)
    cleaned = _clean(words)
    if not cleaned:
        raise InvalidInputError("Give at least one synonym with letters or digits.")
    await _check_synonyms(conn, row.id, cleaned)
    async with conn.cursor() as cur:
        await cur.execute(ADD_SYNONYMS, {"id": row.id, "words": cleaned, "by": by})
    return await get_part_type(conn, row.slug)


async def _check_synonyms(
    conn: AsyncConnection[Any], own_id: int | None, words: Iterable[str]
) -> None:
    """A phrase may name one type only: the same words for two types make both unsure."""
    wanted = {tuple(tokens(w)): w for w in words if tokens(w)}
    if not wanted:
        return
    for row in await list_part_types(conn):
        if row.id == own_id:
            continue
        for phrase in (row.name, *row.synonyms):
            toks = tuple(tokens(phrase))
            if toks in wanted:
                raise ConflictError(f"{wanted[toks]!r} already names the part type {row.name!r}.")


def _clean(words: Iterable[str] | None) -> list[str]:
    return sorted({" ".join(w.lower().split()) for w in words or () if tokens(w)})


async def _fetchall(
    conn: AsyncConnection[Any], query: str, params: Any = None
) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()
