"""BrandAgent: which canonical brand a supplier's brand name is, or that it is a new one.

A match comes only from the deterministic tiers of `catalog.brands` (alias, AAIA
id, noise-stripped name, brand + part phrase). Look-alikes found by trigrams (in
Python, and by pg_trgm over the whole table when a connection is given) and by
embeddings are *proposals* for a person, never matches: Bosal is not Bosch. With
no candidate worth showing, the agent proposes a new brand (`catalog.new_brand`,
always a person's call). An approved proposal teaches the alias
(`catalog.brands.learn_alias`), so the next file with that spelling matches.
"""

from __future__ import annotations

from typing import Any, Literal

from psycopg import AsyncConnection
from pydantic import BaseModel, Field

from automechanica.agents.base import Decision, Evidence
from automechanica.catalog.brands import (
    CONFIDENCE_SIMILAR_MAX,
    BrandIndex,
    BrandRef,
    Candidate,
    similar_in_store,
)
from automechanica.memory import Embedder, embed_async
from automechanica.memory.embedders import Vectors

MATCH = "catalog.brand_match"
NEW_BRAND = "catalog.new_brand"
#: A candidate below this is not worth a person's time: propose a new brand instead.
PROPOSE_FLOOR = 0.45
#: Embeddings of bare names say little: their weight in a proposal.
VECTOR_WEIGHT = 0.6


class BrandInput(BaseModel):
    name: str = Field(min_length=1, max_length=300)


class BrandCandidate(BaseModel):
    brand_id: int
    brand: str
    score: float
    why: str


class BrandOutput(BaseModel):
    action: Literal["match", "review_match", "new_brand"]
    brand_id: int | None = None
    brand: str | None = None
    method: str
    candidates: list[BrandCandidate] = Field(default_factory=list)


class BrandAgent:
    """Matches brand names against an index of the store's brands."""

    def __init__(
        self,
        index: BrandIndex,
        *,
        threshold: float = 0.9,
        conn: AsyncConnection[Any] | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.index = index
        self.threshold = threshold
        self.conn = conn
        self.embedder = embedder
        self._name_vectors: tuple[list[BrandRef], Vectors] | None = None

    async def decide(self, item: BrandInput) -> Decision[BrandOutput]:
        found = self.index.match(item.name)
        if found.brand is not None and found.confidence >= self.threshold:
            return Decision(
                decision_type=MATCH,
                output=BrandOutput(
                    action="match",
                    brand_id=found.brand.id,
                    brand=found.brand.name,
                    method=found.method,
                ),
                confidence=found.confidence,
                rationale=f"{item.name!r} is a known spelling of {found.brand.name} "
                f"({found.method}).",
                evidence=[
                    Evidence(kind="rule", ref=f"brand:{found.brand.id}", detail=found.method)
                ],
            )
        candidates = list(found.candidates)
        if found.brand is not None:  # a deterministic tier below the threshold
            candidates.append(Candidate(found.brand, found.confidence, found.method))
        if self.conn is not None:
            candidates += await similar_in_store(self.conn, item.name)
        if self.embedder is not None:
            candidates += await self._by_vector(item.name)
        ranked = _merge(candidates)
        evidence = [
            Evidence(kind="similar", ref=f"brand:{c.brand_id}", detail=f"{c.why} ({c.score})")
            for c in ranked
        ]
        if ranked and ranked[0].score >= PROPOSE_FLOOR:
            best = ranked[0]
            return Decision(
                decision_type=MATCH,
                output=BrandOutput(
                    action="review_match",
                    brand_id=best.brand_id,
                    brand=best.brand,
                    method="similar",
                    candidates=ranked,
                ),
                confidence=min(best.score, CONFIDENCE_SIMILAR_MAX),
                rationale=f"{item.name!r} looks like {best.brand} but is no known spelling of "
                "it; look-alikes are often other brands, so a person decides.",
                evidence=evidence,
            )
        best_score = ranked[0].score if ranked else 0.0
        return Decision(
            decision_type=NEW_BRAND,
            output=BrandOutput(action="new_brand", method="none", candidates=ranked),
            confidence=round(min(0.95, 1 - best_score), 3),
            rationale=f"{item.name!r} is like no brand the store carries: propose it as new.",
            evidence=evidence,
        )

    async def _by_vector(self, name: str, k: int = 3) -> list[Candidate]:
        assert self.embedder is not None
        if self._name_vectors is None:
            brands = self.index.brands
            vectors = await embed_async(self.embedder, [b.name for b in brands])
            self._name_vectors = (brands, vectors)
        brands, matrix = self._name_vectors
        query = (await embed_async(self.embedder, [name]))[0]
        scores = matrix @ query
        top = sorted(range(len(brands)), key=lambda i: -float(scores[i]))[:k]
        return [
            Candidate(
                brands[i],
                round(float(scores[i]) * VECTOR_WEIGHT, 3),
                f"reads like {brands[i].name!r}",
            )
            for i in top
        ]


def _merge(candidates: list[Candidate]) -> list[BrandCandidate]:
    best: dict[int, Candidate] = {}
    for c in candidates:
        seen = best.get(c.brand.id)
        if seen is None or c.score > seen.score:
            best[c.brand.id] = c
    ranked = sorted(best.values(), key=lambda c: (-c.score, c.brand.name))[:5]
    return [
        BrandCandidate(brand_id=c.brand.id, brand=c.brand.name, score=c.score, why=c.why)
        for c in ranked
    ]
