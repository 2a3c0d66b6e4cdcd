"""Brand matching: which canonical brand a supplier's spelling names, and how sure we are.

Deterministic tiers, each with its confidence (the `catalog.brand_match` policy
publishes a match at 0.9 and above):

    alias     the spelling's key is a known alias ("AC-Delco" -> acdelco)      0.99
    aaia      a 4-letter AAIA brand id ("BBHK")                                0.97
    core      the key after noise words ("Dorman Products Inc" -> dorman)      0.95
    phrase    a brand followed by a part-type phrase ("Bosch Wiper Blades")    0.92
    similar   trigram / edit-distance look-alikes: a *proposal*, never more than 0.8

Look-alikes that are different brands (Bosch/Bosal, NGK/NTK, Denso/Densei) never
match by similarity: a name that is not a known spelling goes to a person, who
either approves the proposal (`learn_alias` remembers the spelling) or creates the
brand. Precision over recall: a wrong brand merges two makers' part numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.catalog.vocabulary import BRAND_NOISE_WORDS, alias_key
from automechanica.errors import ConflictError, InvalidInputError, NotFoundError

CONFIDENCE_ALIAS = 0.99
CONFIDENCE_AAIA = 0.97
CONFIDENCE_CORE = 0.95
CONFIDENCE_PHRASE = 0.92
#: Similarity alone never publishes: the best a look-alike can score.
CONFIDENCE_SIMILAR_MAX = 0.8
#: Below this a similar brand is not even proposed.
SIMILAR_FLOOR = 0.35

_WORD_SPLIT = re.compile(r"[\s\-/_,;:()\[\]]+")
_AAIA = re.compile(r"^[A-Z]{4}$")


@dataclass(frozen=True, slots=True)
class BrandRef:
    id: int
    name: str
    aaia_id: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    brand: BrandRef
    score: float
    why: str


@dataclass(slots=True)
class BrandMatch:
    """The answer for one spelling: a brand when sure, candidates to review otherwise."""

    raw: str
    brand: BrandRef | None
    confidence: float
    method: str  # alias | aaia | core | phrase | similar | none
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.brand is not None


def words(text: str) -> list[str]:
    """Lower-case words of a brand name; '&' and dots join ('K&N' -> 'kn')."""
    return [w for w in (alias_key(p) for p in _WORD_SPLIT.split(text)) if w]


def core_key(text: str, noise: frozenset[str] | None = None) -> str:
    """The key without the words suppliers add to a brand's name.

    'Dorman Products, Inc.' -> 'dorman'; 'Moog Chassis Parts' -> 'moog'. Only
    trailing noise goes, and a name made only of noise words keeps them all
    ('Brake Parts Inc' -> 'brakepartsinc').
    """
    noise = _NOISE if noise is None else noise
    ws = words(text)
    if ws and ws[0] == "the" and len(ws) > 1:
        ws = ws[1:]
    kept = list(ws)
    while len(kept) > 1 and kept[-1] in noise:
        kept.pop()
    if kept and kept[-1] in noise:  # only noise: compare the whole name
        return "".join(ws)
    return "".join(kept)


_NOISE = frozenset(BRAND_NOISE_WORDS)


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in words(text) or [alias_key(text)]:
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of both."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


class BrandIndex:
    """Every known spelling by key, core key and AAIA id; built from the database or data.

    `phrases` are part-type phrases (keys) a supplier may append to a brand's name.
    """

    def __init__(
        self,
        spellings: Iterable[tuple[str, BrandRef]],
        *,
        phrases: Iterable[str] = (),
        noise: Iterable[str] = BRAND_NOISE_WORDS,
    ) -> None:
        self.noise = frozenset(noise)
        self.by_key: dict[str, BrandRef] = {}
        self.by_aaia: dict[str, BrandRef] = {}
        core: dict[str, set[BrandRef]] = {}
        self.spellings: list[tuple[str, BrandRef]] = []
        for spelling, brand in spellings:
            self.spellings.append((spelling, brand))
            key = alias_key(spelling)
            if key:
                self.by_key.setdefault(key, brand)
            core.setdefault(core_key(spelling, self.noise), set()).add(brand)
            if brand.aaia_id:
                self.by_aaia[brand.aaia_id.upper()] = brand
        # A core key two brands share ("walker": Walker exhaust, Walker Products) is
        # no evidence for either.
        self.by_core = {k: next(iter(v)) for k, v in core.items() if k and len(v) == 1}
        self.ambiguous = frozenset(k for k, v in core.items() if len(v) > 1)
        self.phrases = frozenset(p for p in phrases if p)
        self.brands = sorted({b for _, b in self.spellings}, key=lambda b: b.name)

    def __len__(self) -> int:
        return len(self.brands)

    def match(self, raw: str, *, candidates: int = 5) -> BrandMatch:
        """The brand `raw` names, by the tiers in the module docstring."""
        text = raw.strip()
        key = alias_key(text)
        if not key:
            return BrandMatch(raw, None, 0.0, "none")
        if (brand := self.by_key.get(key)) is not None:
            return BrandMatch(raw, brand, CONFIDENCE_ALIAS, "alias")
        if _AAIA.match(text) and (brand := self.by_aaia.get(text)) is not None:
            return BrandMatch(raw, brand, CONFIDENCE_AAIA, "aaia")
        core = core_key(text, self.noise)
        if (brand := self._by_core(core)) is not None:
            return BrandMatch(raw, brand, CONFIDENCE_CORE, "core")
        if (found := self._brand_then_phrase(text)) is not None:
            return BrandMatch(raw, found, CONFIDENCE_PHRASE, "phrase")
        similar = self.similar(text, limit=candidates)
        if similar:
            return BrandMatch(raw, None, similar[0].score, "similar", similar)
        return BrandMatch(raw, None, 0.0, "none")

    def _by_core(self, core: str) -> BrandRef | None:
        if not core or core in self.ambiguous:  # two brands share it: evidence for neither
            return None
        return self.by_core.get(core) or self.by_key.get(core)

    def _brand_then_phrase(self, text: str) -> BrandRef | None:
        """'Bosch Wiper Blades': leading words name a brand, the rest a part type."""
        ws = words(text)
        for cut in range(len(ws) - 1, 0, -1):
            head, tail = "".join(ws[:cut]), ws[cut:]
            brand = self._by_core(head)
            if brand is None:
                continue
            rest = [w for w in tail if w not in self.noise]
            if not rest or any(
                "".join(_singular(w) for w in ws) in self.phrases for ws in (tail, rest)
            ):
                return brand
        return None

    def similar(self, text: str, *, limit: int = 5) -> list[Candidate]:
        """Look-alike brands to propose to a person (never a match on their own)."""
        core = core_key(text, self.noise) or alias_key(text)
        best: dict[int, Candidate] = {}
        for spelling, brand in self.spellings:
            other = core_key(spelling, self.noise) or alias_key(spelling)
            score = max(similarity(core, other), _edit_score(core, other))
            if score < SIMILAR_FLOOR:
                continue
            scaled = round(min(CONFIDENCE_SIMILAR_MAX, score * CONFIDENCE_SIMILAR_MAX), 3)
            seen = best.get(brand.id)
            if seen is None or scaled > seen.score:
                best[brand.id] = Candidate(brand, scaled, f"looks like {spelling!r}")
        return sorted(best.values(), key=lambda c: (-c.score, c.brand.name))[:limit]


def _singular(key: str) -> str:
    return key[:-1] if key.endswith("s") and not key.endswith("ss") else key


def _edit_score(a: str, b: str) -> float:
    """1 - distance/length (optimal string alignment), for typos of longer names."""
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 2:
        return 0.0
    distance = _osa_distance(a, b)
    return max(0.0, 1 - distance / max(len(a), len(b)))


def _osa_distance(a: str, b: str) -> int:
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def seed_index(phrases: Iterable[str] = ()) -> BrandIndex:
    """The index of the seeded brands (catalog/data/brands.toml), ids by position."""
    from automechanica.catalog.vocabulary import ALL_BRANDS

    spellings: list[tuple[str, BrandRef]] = []
    for number, brand in enumerate(ALL_BRANDS, start=1):
        ref = BrandRef(number, brand.name, brand.aaia_id)
        spellings += [(brand.name, ref)] + [(alias, ref) for alias in brand.aliases]
    return BrandIndex(spellings, phrases=phrases)


# --- the database: the open brand table ---------------------------------------------------

SELECT_SPELLINGS = """
SELECT coalesce(a.spelling, a.alias) AS spelling, b.id, b.name, b.aaia_id
FROM brand_aliases a JOIN brands b ON b.id = a.brand_id
UNION ALL
SELECT b.name, b.id, b.name, b.aaia_id FROM brands b
"""
SELECT_SIMILAR_ALIASES = """
SELECT b.id, b.name, b.aaia_id, coalesce(a.spelling, a.alias) AS spelling,
       similarity(a.alias, %(key)s) AS score
FROM brand_aliases a JOIN brands b ON b.id = a.brand_id
WHERE a.alias %% %(key)s
ORDER BY score DESC, b.name
LIMIT %(limit)s
"""
SELECT_BRAND_BY_ID = "SELECT id, name, aaia_id FROM brands WHERE id = %s"
SELECT_BRAND_BY_NAME = "SELECT id, name, aaia_id FROM brands WHERE lower(name) = lower(%s)"
SELECT_ALIAS_OWNER = "SELECT brand_id FROM brand_aliases WHERE alias = %s"
INSERT_ALIAS = """
INSERT INTO brand_aliases (alias, brand_id, spelling, source) VALUES (%s, %s, %s, %s)
ON CONFLICT (alias) DO NOTHING
"""
INSERT_BRAND = "INSERT INTO brands (name, aaia_id) VALUES (%s, %s) RETURNING id, name, aaia_id"
RENAME_BRAND = "UPDATE brands SET name = %s WHERE id = %s RETURNING id, name, aaia_id"
# strpos, not LIKE: a brand name may hold the wildcards and the escape character.
LIST_BRANDS = """
SELECT b.id, b.name, b.aaia_id,
       coalesce(array_agg(coalesce(a.spelling, a.alias) ORDER BY a.alias)
                FILTER (WHERE a.alias IS NOT NULL), '{}') AS aliases
FROM brands b LEFT JOIN brand_aliases a ON a.brand_id = b.id
WHERE %(search)s::text IS NULL OR strpos(lower(b.name), lower(%(search)s)) > 0
GROUP BY b.id
ORDER BY b.name
LIMIT %(limit)s
"""


@dataclass(frozen=True, slots=True)
class BrandRow:
    id: int
    name: str
    aaia_id: str | None
    aliases: list[str]


async def load_brand_index(conn: AsyncConnection[Any], phrases: Iterable[str] = ()) -> BrandIndex:
    """Every brand and alias in the store (thousands of rows: held in memory)."""
    rows = await _fetchall(conn, SELECT_SPELLINGS)
    spellings = [(r["spelling"], BrandRef(r["id"], r["name"], r["aaia_id"])) for r in rows]
    return BrandIndex(spellings, phrases=phrases)


async def similar_in_store(
    conn: AsyncConnection[Any], raw: str, *, limit: int = 5
) -> list[Candidate]:
    """Look-alikes by pg_trgm over every alias (the open table: too large to scan in Python)."""
    key = core_key(raw) or alias_key(raw)
    rows = await _fetchall(conn, SELECT_SIMILAR_ALIASES, {"key": key, "limit": limit})
    return [
        Candidate(
            BrandRef(r["id"], r["name"], r["aaia_id"]),
            round(min(CONFIDENCE_SIMILAR_MAX, float(r["score"]) * CONFIDENCE_SIMILAR_MAX), 3),
            f"trigram-similar to {r['spelling']!r}",
        )
        for r in rows
    ]


async def get_brand(conn: AsyncConnection[Any], brand: int | str) -> BrandRef:
    """A brand by id or by name (any case); NotFoundError when there is none."""
    query = SELECT_BRAND_BY_ID if isinstance(brand, int) else SELECT_BRAND_BY_NAME
    rows = await _fetchall(conn, query, (brand,))
    if not rows:
        raise NotFoundError("brand", brand)
    return BrandRef(rows[0]["id"], rows[0]["name"], rows[0]["aaia_id"])


async def learn_alias(
    conn: AsyncConnection[Any], alias: str, brand_id: int, *, source: str = "learned"
) -> str:
    """Remember `alias` as a spelling of brand `brand_id` (an approved match, an operator).

    Returns the alias key. Idempotent for the same brand; an alias that already
    names another brand is a ConflictError (two brands cannot share a spelling).
    """
    key = alias_key(alias)
    if not key:
        raise InvalidInputError(f"The alias {alias!r} has no letters or digits.")
    await get_brand(conn, brand_id)
    owner = await _fetchall(conn, SELECT_ALIAS_OWNER, (key,))
    if owner and owner[0]["brand_id"] != brand_id:
        other = await get_brand(conn, owner[0]["brand_id"])
        raise ConflictError(
            f"The spelling {alias!r} already names the brand {other.name!r}; "
            "remove it there first if that is wrong."
        )
    async with conn.cursor() as cur:
        await cur.execute(INSERT_ALIAS, (key, brand_id, alias.strip(), source))
    return key


async def add_brand(
    conn: AsyncConnection[Any],
    name: str,
    *,
    aaia_id: str | None = None,
    aliases: Sequence[str] = (),
) -> BrandRow:
    """Create a brand with its spellings; a name or alias already taken is a ConflictError."""
    name = name.strip()
    if not alias_key(name):
        raise InvalidInputError("A brand needs a name with letters or digits.")
    if aaia_id is not None and not _AAIA.match(aaia_id.strip().upper()):
        raise InvalidInputError(f"{aaia_id!r} is not an AAIA brand id (four letters, like BBHK).")
    for spelling in (name, *aliases):
        owner = await _fetchall(conn, SELECT_ALIAS_OWNER, (alias_key(spelling),))
        if owner:
            other = await get_brand(conn, owner[0]["brand_id"])
            raise ConflictError(
                f"The spelling {spelling!r} already names the brand {other.name!r}."
            )
    existing = await _fetchall(conn, SELECT_BRAND_BY_NAME, (name,))
    if existing:
        raise ConflictError(f"The brand {existing[0]['name']!r} exists.")
    aaia = aaia_id.strip().upper() if aaia_id else None
    try:
        async with conn.transaction():  # the brand and its spellings, or nothing
            rows = await _fetchall(conn, INSERT_BRAND, (name, aaia))
            brand_id = rows[0]["id"]
            for spelling in (name, *aliases):
                await learn_alias(conn, spelling, brand_id, source="operator")
    except psycopg.errors.UniqueViolation as exc:
        raise ConflictError(
            f"The brand {name!r} or its AAIA id {aaia!r} is already in the catalog."
        ) from exc
    return BrandRow(brand_id, name, rows[0]["aaia_id"], [name, *aliases])


async def rename_brand(conn: AsyncConnection[Any], brand: int | str, new_name: str) -> BrandRef:
    """Rename a brand; the old name stays a spelling of it (feeds still say it)."""
    ref = await get_brand(conn, brand)
    new_name = new_name.strip()
    if not alias_key(new_name):
        raise InvalidInputError("A brand needs a name with letters or digits.")
    taken = await _fetchall(conn, SELECT_BRAND_BY_NAME, (new_name,))
    if taken and taken[0]["id"] != ref.id:
        raise ConflictError(f"The brand {taken[0]['name']!r} exists.")
    await learn_alias(conn, ref.name, ref.id, source="operator")
    await learn_alias(conn, new_name, ref.id, source="operator")
    rows = await _fetchall(conn, RENAME_BRAND, (new_name, ref.id))
    return BrandRef(rows[0]["id"], rows[0]["name"], rows[0]["aaia_id"])


async def list_brands(
    conn: AsyncConnection[Any], *, search: str | None = None, limit: int = 100
) -> list[BrandRow]:
    rows = await _fetchall(conn, LIST_BRANDS, {"search": search, "limit": limit})
    return [BrandRow(r["id"], r["name"], r["aaia_id"], list(r["aliases"])) for r in rows]


async def _fetchall(
    conn: AsyncConnection[Any], query: str, params: Any = None
) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()
