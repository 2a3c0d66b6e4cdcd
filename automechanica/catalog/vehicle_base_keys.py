"""vPIC pattern keys, and the VINs that reach every mix of a schema's patterns.

A vPIC schema decodes each element (model, trim, engine, drive, body…) from its
own patterns, each pattern a `Keys` spec over positions 4-8 and 10-17
(`FE[12]F`, `***X*|Y`). A real VIN's positions fall in some class of each
position's characters, and every element takes the value of the pattern its
characters match — so one model's trims and another line's engines mix freely
(a shopper's VIN, or a generated one, decodes to any combination the classes
allow). One VIN per pattern reaches none of these mixes; this module names the
character classes each position of a schema distinguishes and the likeliest
combinations of them, weighted as a VIN whose free positions are random would
fall: each pattern's own pins, the other positions uniform.

Pure computation, no decoding here.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Sequence
from math import prod

#: Characters legal at positions 4-8 and 11 of a VIN.
ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
#: VIN indexes (0-based) whose characters select patterns: positions 4-8 and 11.
#: Position 10 is the model year (walked separately) and 12-17 the serial.
SELECTING = (3, 4, 5, 6, 7, 10)
#: vPIC variables `vin_decode.configuration_from_decode` reads: only their patterns
#: split a schema into configurations.
CONFIG_VARIABLES = frozenset(
    {
        "Make",
        "Model",
        "Trim",
        "Displacement (L)",
        "Engine Number of Cylinders",
        "Engine Model",
        "Fuel Type - Primary",
        "Electrification Level",
        "Turbo",
        "Other Engine Info",
        "Drive Type",
        "Body Class",
        "Doors",
        "Transmission Style",
    }
)

Pins = tuple[tuple[int, frozenset[str]], ...]


def pinned(keys: str) -> Pins:
    """The (VIN index, allowed characters) a `Keys` spec pins among `SELECTING`.

    `*`/`_` leave a position open, `#` is any digit, `[AB]`/`[A-C]` a class,
    anything else a literal; `|` splits positions 4-8 from 10-17.
    """
    out: list[tuple[int, frozenset[str]]] = []
    vds, _, vis = keys.partition("|")
    for start, part in ((3, vds), (9, vis)):
        index, i = start, 0
        while i < len(part):
            c = part[i]
            allowed: set[str] | None
            if c in "*_":
                allowed, i = None, i + 1
            elif c == "#":
                allowed, i = set("0123456789"), i + 1
            elif c == "[" and "]" in part[i:]:
                end = part.index("]", i)
                allowed, i = _class(part[i + 1 : end]), end + 1
            else:
                allowed, i = {c}, i + 1
            if allowed is not None and index in SELECTING:
                out.append((index, frozenset(allowed & set(ALPHABET))))
            index += 1
    return tuple(out)


def _class(body: str) -> set[str]:
    chars: set[str] = set()
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars |= {chr(x) for x in range(ord(body[i]), ord(body[i + 2]) + 1)}
            i += 3
        else:
            chars.add(body[i])
            i += 1
    return chars


def position_classes(pins: Iterable[Pins]) -> dict[int, list[str]]:
    """Per VIN index, the classes of characters no pin tells apart (each a string).

    Only indexes some pin constrains are returned; a character's class is the
    set of pins it satisfies there.
    """
    sets: dict[int, set[frozenset[str]]] = {}
    for spec in pins:
        for index, allowed in spec:
            sets.setdefault(index, set()).add(allowed)
    classes: dict[int, list[str]] = {}
    for index, allowed_sets in sorted(sets.items()):
        ordered = sorted(allowed_sets, key=sorted)
        by_signature: dict[tuple[bool, ...], str] = {}
        for ch in ALPHABET:
            signature = tuple(ch in s for s in ordered)
            by_signature[signature] = by_signature.get(signature, "") + ch
        classes[index] = sorted(by_signature.values())
    return classes


def likeliest(
    weights: Sequence[Sequence[float]], limit: int, mass: float = 1.0
) -> list[tuple[int, ...]]:
    """The most probable picks of one option per slot (weights multiply, zero weights
    never picked), until `limit` picks or their probabilities add up to `mass`.

    Best-first over the product, so a schema with a huge product costs `limit`
    steps, not the product.
    """
    if limit <= 0 or any(not w for w in weights):
        return []
    order = [sorted(range(len(w)), key=lambda i, w=w: -w[i]) for w in weights]  # type: ignore[misc]
    ranked = [[w[i] for i in o] for w, o in zip(weights, order, strict=True)]
    start = (0,) * len(weights)
    heap = [(-prod(w[0] for w in ranked), start)]
    seen = {start}
    out: list[tuple[int, ...]] = []
    covered = 0.0
    while heap and len(out) < limit and covered < mass:
        negative, picks = heapq.heappop(heap)
        if negative == 0:
            break
        covered -= negative
        out.append(tuple(order[slot][i] for slot, i in enumerate(picks)))
        for slot in range(len(picks)):
            if picks[slot] + 1 < len(ranked[slot]):
                nxt = (*picks[:slot], picks[slot] + 1, *picks[slot + 1 :])
                if nxt not in seen:
                    seen.add(nxt)
                    weight = prod(w[i] for w, i in zip(ranked, nxt, strict=True))
                    heapq.heappush(heap, (-weight, nxt))
    return out


def mixes(
    vin: str,
    splits: Iterable[Pins],
    draws: Iterable[Pins],
    *,
    limit: int,
    per_draw: int = 16,
    mass: float = 0.95,
) -> list[str]:
    """VINs (check digit not yet set) reaching a schema's mixes of patterns, `limit` at most.

    `splits` are the patterns that set configuration attributes: their pins cut
    each position into classes. When the classes' product fits in `limit`, every
    combination; otherwise, for each pattern in `draws`, the likeliest ones as a
    VIN falls when that pattern pins its positions and the rest are random (until
    `mass` of its probability or `per_draw` picks; every pattern's first pick
    before any one's second). `vin`'s own characters are kept where a class
    contains them.
    """
    classes = position_classes(splits)
    if not classes:
        return []
    indexes = list(classes)
    if prod(len(classes[i]) for i in indexes) <= limit:
        picks = list(itertools.product(*(range(len(classes[i])) for i in indexes)))
    else:
        ranked: list[list[tuple[int, ...]]] = []
        components = sorted(set(draws)) or [()]
        # the limit cuts the interleaving after a few rounds: rank no further than that
        depth = min(per_draw, -(-3 * limit // len(components)))
        for spec in components:
            allowed = dict(spec)
            weights = [
                [
                    len(set(c) & allowed[i]) / len(allowed[i]) if i in allowed else len(c) / 33
                    for c in classes[i]
                ]
                for i in indexes
            ]
            ranked.append(likeliest(weights, depth, mass))
        picks = [p for rank in itertools.zip_longest(*ranked) for p in rank if p is not None]
    found: dict[str, None] = {}
    for pick in picks:
        chars = list(vin)
        for i, choice in zip(indexes, pick, strict=True):
            members = classes[i][choice]
            if chars[i] not in members:
                chars[i] = members[0]
        found.setdefault("".join(chars))
        if len(found) >= limit:
            break
    return list(found)
