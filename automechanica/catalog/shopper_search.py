"""Search as a shopper means it: the part type, the vehicle and position read from the
words, the strict search first, then looser ones — saying so — rather than an empty page.

The ladder, stopping at the first search that finds anything:

1. the part types meant, fitting the named vehicle, at the named position;
2. without the position; 3. without the vehicle (the parts are of the type meant,
   but not known to fit: the message says so);
4. the words as written (all of them, text and vectors), fitting the vehicle;
   5. without the vehicle; 6. any one of the words.

With no part type in the words, the ladder starts at 4. The page says what was
understood (`understood`): the types, the vehicle with the ids the storefront can
make current and the next question when fit depends on it, and what was relaxed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from psycopg import AsyncConnection

from automechanica.catalog.fitment_text import VehicleVocabulary
from automechanica.catalog.search import SearchQuery, search_page
from automechanica.catalog.search_intent import (
    IntentCache,
    SearchIntent,
    ShopperWords,
    understand,
)
from automechanica.catalog.search_vehicle import ResolvedVehicle, VehicleCache, resolve_vehicle
from automechanica.catalog.vocabulary import TAXONOMY

#: A fitment position word as a pattern over the fitments' position text.
POSITION_PATTERNS = {
    "Front": "front",
    "Rear": "rear",
    "Left": "(left|driver)",
    "Right": "(right|passenger)",
    "Upper": "upper",
    "Lower": "lower",
    "Upstream": "upstream",
    "Downstream": "downstream",
}
#: Part types known to have no position (the seed says so): a position word is moot.
_UNPOSITIONED = frozenset(t.slug for t in TAXONOMY if not t.positions)

#: Embeds the words searched; None when no model is available.
Embed = Callable[[str], Awaitable[Sequence[float] | None]]


@dataclass(slots=True)
class ShopperQuery:
    """The endpoint's parameters: the shopper's words plus the storefront's filters."""

    q: str | None = None
    part_type: str | None = None
    brand: str | None = None
    vehicle_id: int | None = None
    page: int = 1
    per_page: int = 24


@dataclass(slots=True)
class SearchStep:
    """One search of the ladder, with what it relaxed and how to say so."""

    query: SearchQuery
    relaxed: list[str] = field(default_factory=list)
    message: str | None = None


async def shopper_search(
    conn: AsyncConnection[Any],
    request: ShopperQuery,
    words: ShopperWords,
    vocabulary: VehicleVocabulary,
    *,
    embed: Embed | None = None,
    model: str | None = None,
    vehicles: VehicleCache | None = None,
    intents: IntentCache | None = None,
) -> str:
    """A page of results as JSON text (PartSearch), with `understood` in front.

    `vehicles` and `intents` (search_words.SearchWords holds both) remember resolved
    vehicles and read queries, so a repeated query reads neither again."""
    base = SearchQuery(
        request.q,
        request.part_type,
        request.brand,
        request.vehicle_id,
        request.page,
        request.per_page,
    )
    if not request.q or not request.q.strip():
        return await search_page(conn, base)
    if intents is not None:
        intent = intents.understand(request.q)
    else:
        intent = understand(request.q, words, vocabulary)
    resolved = None
    if intent.vehicle is not None:
        resolve = vehicles.resolve if vehicles is not None else resolve_vehicle
        resolved = await resolve(conn, intent.vehicle, intent.slugs)
    text = intent.text or None
    vector = await embed(text) if embed is not None and text else None
    steps = plan(base, intent, resolved, vector, model)
    page = ""
    step = steps[0]
    for step in steps:
        page = await search_page(conn, step.query)
        if _total(page) > 0:
            break
    understood = _understood(intent, resolved, step)
    return '{"understood":' + json.dumps(understood) + "," + page[1:]


def plan(
    base: SearchQuery,
    intent: SearchIntent,
    vehicle: ResolvedVehicle | None,
    vector: Sequence[float] | None = None,
    model: str | None = None,
) -> list[SearchStep]:
    """The searches to try in order, strictest first (the ladder above)."""
    query = replace(
        base, q=intent.text or None, vector=vector, model=model if vector is not None else None
    )
    if vehicle is not None:  # the vehicle the shopper typed wins over the current one
        query.vehicle_id = None
        query.vehicle_ids = vehicle.vehicle_ids
        query.base_vehicle_ids = vehicle.base_vehicle_ids
    steps: list[SearchStep] = []
    named = vehicle.mention.label if vehicle else "your vehicle"
    positions = _positions(intent)
    if intent.part_types:
        typed = replace(query, part_types=intent.slugs, positions=positions)
        steps.append(SearchStep(typed))
        what = " or ".join(t.name.lower() for t in intent.part_types)
        if positions:
            steps.append(
                SearchStep(
                    replace(typed, positions=()),
                    ["position"],
                    f"No {' '.join(intent.position).lower()} {what} listed"
                    + (f" for the {named}" if vehicle else "")
                    + "; showing every position.",
                )
            )
        if vehicle is not None:
            steps.append(
                SearchStep(
                    replace(typed, positions=(), vehicle_ids=(), base_vehicle_ids=()),
                    ["position", "vehicle"] if positions else ["vehicle"],
                    f"No {what} listed for the {named}; showing {what} for other "
                    "vehicles: check the fit before you buy.",
                )
            )
    words = replace(query, q=_all_words(intent), part_types=(), positions=())
    if not words.q:
        words.q = None
    if not intent.part_types:
        steps.append(SearchStep(words))
    elif words.q or vehicle is not None:
        steps.append(
            SearchStep(
                words,
                ["part type"],
                "Nothing of the part type meant; showing what the words match.",
            )
        )
    if vehicle is not None and words.q:
        steps.append(
            SearchStep(
                replace(words, vehicle_ids=(), base_vehicle_ids=()),
                ["part type", "vehicle"] if intent.part_types else ["vehicle"],
                f"Nothing listed for the {named} matches; showing matches for any vehicle.",
            )
        )
    if words.q:
        steps.append(
            SearchStep(
                replace(words, vehicle_ids=(), base_vehicle_ids=(), any_word=True),
                ["part type", "vehicle", "all words"],
                "Nothing matches all the words; showing parts that match some of them.",
            )
        )
    return steps


_TOTAL = re.compile(r'\{"total"\s*:\s*(\d+)')


def _total(page: str) -> int:
    """The page's total, read from its head (PostgreSQL writes it first) without parsing
    the whole page."""
    found = _TOTAL.match(page)
    return int(found.group(1)) if found else int(json.loads(page)["total"])


def _positions(intent: SearchIntent) -> tuple[str, ...]:
    if not intent.position or all(s in _UNPOSITIONED for s in intent.slugs):
        return ()
    return tuple(POSITION_PATTERNS[p] for p in intent.position)


def _all_words(intent: SearchIntent) -> str:
    """The words searched as text: the query without the vehicle, type words included."""
    return intent.text


def _understood(
    intent: SearchIntent, vehicle: ResolvedVehicle | None, step: SearchStep
) -> dict[str, Any]:
    mention = intent.vehicle
    vehicle_json: dict[str, Any] | None = None
    if vehicle is not None:
        vehicle_json = {**vehicle.to_json(), "found": True}
    elif mention is not None:
        vehicle_json = {
            "label": mention.label,
            "year": mention.year,
            "make": mention.make,
            "model": mention.model,
            "found": False,
        }
    message = step.message
    if mention is not None and vehicle is None:
        message = (message + " " if message else "") + (
            f"The {mention.label} is not in our vehicle list; showing parts for any vehicle."
        )
    return {
        "query": intent.query,
        "text": intent.text,
        "part_types": [
            {"slug": t.slug, "name": t.name, "phrase": t.phrase, "source": t.source}
            for t in intent.part_types
        ],
        "ambiguous": intent.ambiguous,
        "position": " ".join(intent.position) or None,
        "vehicle": vehicle_json,
        "relaxed": step.relaxed,
        "message": message,
        "unresolved": [u for u in intent.unresolved if not u.endswith("no vehicle recognized")],
    }
