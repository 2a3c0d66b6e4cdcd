"""What a written demo feed is, and how its rows are laid out with the broken ones mixed in.

Every file is written as blocks (one row or element each), so the line each
broken or unresolvable row starts on is known exactly and a test can check the
reader rejects precisely those lines.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from automechanica.catalog.feeds.demo.fitment import Fleet
from automechanica.catalog.feeds.demo.offers import Offer
from automechanica.catalog.feeds.records import FeedFormat
from automechanica.catalog.feeds.values import gtin_check_digit

__all__ = [
    "Block",
    "BrokenRow",
    "DemoFeedFile",
    "DemoFeeds",
    "bad_upc",
    "mark_unresolvable",
    "nonexistent_vehicle",
    "with_broken",
    "write_blocks",
]


@dataclass(frozen=True, slots=True)
class BrokenRow:
    """A row broken on purpose: the line it starts on and what is wrong with it."""

    line: int
    problem: str


@dataclass(frozen=True, slots=True)
class DemoFeedFile:
    """One written feed and what a correct reader makes of it."""

    supplier: str
    path: Path
    format: FeedFormat
    records: int  # rows that read as records (offers, or ACES applications)
    broken: tuple[BrokenRow, ...]  # rows the reader must reject, by line
    unresolvable_fitment: tuple[int, ...] = ()  # valid rows naming a vehicle that does not exist


@dataclass(frozen=True, slots=True)
class DemoFeeds:
    """The four demo feeds and the counts a correct import should reproduce."""

    parts: int  # canonical parts generated
    northstar: DemoFeedFile
    parts_direct: DemoFeedFile
    atlas_pies: DemoFeedFile
    atlas_aces: DemoFeedFile

    @property
    def files(self) -> tuple[DemoFeedFile, ...]:
        return (self.northstar, self.parts_direct, self.atlas_pies, self.atlas_aces)

    @property
    def offers(self) -> dict[str, int]:
        """Valid offers per supplier."""
        return {f.supplier: f.records for f in self.files if f.format != "aces"}


@dataclass(slots=True)
class Block:
    """The lines of one row or element; `broken` names what was broken on purpose."""

    lines: list[str]
    broken: str | None = None
    unresolvable: bool = False


def write_blocks(
    path: Path, head: list[str], blocks: list[Block], tail: list[str]
) -> tuple[tuple[BrokenRow, ...], tuple[int, ...]]:
    """Write the file; return the broken rows and the unresolvable-fitment rows by line."""
    broken: list[BrokenRow] = []
    unresolvable: list[int] = []
    line = len(head) + 1
    with path.open("w", encoding="utf-8", newline="") as file:
        file.writelines(text + "\n" for text in head)
        for block in blocks:
            if block.broken is not None:
                broken.append(BrokenRow(line, block.broken))
            if block.unresolvable:
                unresolvable.append(line)
            file.writelines(text + "\n" for text in block.lines)
            line += len(block.lines)
        file.writelines(text + "\n" for text in tail)
    return tuple(broken), tuple(unresolvable)


def with_broken(
    rng: random.Random,
    good: list[Block],
    kinds: tuple[str, ...],
    make: Callable[[int, str], list[str]],
) -> list[Block]:
    """`good` with ~0.5% (at least one of each kind) broken blocks mixed in at random."""
    count = max(len(kinds), round(len(good) * 0.005)) if good else 0
    bad = [Block(make(i, kinds[i % len(kinds)]), kinds[i % len(kinds)]) for i in range(count)]
    spots = set(rng.sample(range(len(good) + count), count))
    good_iter, bad_iter = iter(good), iter(bad)
    return [next(bad_iter) if i in spots else next(good_iter) for i in range(len(good) + count)]


def bad_upc(upc: str | None) -> str:
    body = (upc or "012345678905")[:-1]
    return body + str((gtin_check_digit(body) + 3) % 10)


def nonexistent_vehicle(fleet: Fleet) -> tuple[str, str]:
    """The make and model for the 'Type-Z' rows: a real model, an unreal submodel."""
    return (
        ("Honda", "Civic")
        if ("Honda", "Civic") in fleet.by_model or not fleet.models
        else fleet.models[0]
    )


def mark_unresolvable(rng: random.Random, offers: list[Offer], fleet: Fleet) -> set[int]:
    """A couple of valid offers also name a vehicle that does not exist (a 'Type-Z' Civic).

    Returns their ids; the rows stay valid, only that fitment entry cannot resolve.
    """
    make, model = nonexistent_vehicle(fleet)
    with_fits = [o for o in offers if o.part.fits]
    chosen = rng.sample(with_fits, min(len(with_fits), max(1, len(offers) // 1500)))
    for offer in chosen:
        offer.fitment.append(f"2014 {make} {model} Type-Z")
    return {id(o) for o in chosen}
