"""PartTypeAgent: the part type of an offer that names none, from its title and description.

Three steps, each with its confidence:

1. words (`catalog.taxonomy`): the longest taxonomy phrase in the title; a strong
   hit (>= 0.85) is the answer.
2. vectors: the title's embedding against each type's description (the local
   all-MiniLM-L6-v2; the types' vectors are computed once per process and model).
   When the words are weak, agreement of both makes the answer.
3. the model: when the first two disagree or are weak, the router is asked to
   choose among their candidates, with a structured-output schema.

The answer always names the best type found (or none) with a confidence; the
caller sends anything below the `catalog.part_type` threshold to review. Nothing
is dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, Field

from automechanica.agents.base import Decision, Evidence, ModelUse, as_data
from automechanica.catalog.taxonomy import Classification, Taxonomy
from automechanica.llm import LLMError, LLMRequest, Router
from automechanica.memory import Embedder, embed_async
from automechanica.memory.embedders import Vectors

DECISION_TYPE = "catalog.part_type"
#: A words-only answer at or above this is taken without asking anyone else.
STRONG = 0.85
#: Words and vectors agreeing on a weak hit.
AGREED = 0.86
#: Cosine similarity a vector answer needs to count as a candidate at all.
VECTOR_FLOOR = 0.35
#: The most a model's answer is believed (it chose among our own candidates).
MODEL_MAX = 0.92
#: What a disagreement nobody settled is worth: below any sane threshold.
UNSETTLED = 0.5


class PartTypeInput(BaseModel):
    title: str = Field(min_length=1, max_length=2000)
    description: str | None = Field(default=None, max_length=20000)


class PartTypeOutput(BaseModel):
    part_type: str | None = Field(description="the taxonomy's name of the type, None if unknown")
    category: str | None = None
    method: str = Field(description="words | words+vectors | vectors | model | none")
    alternatives: list[str] = Field(default_factory=list)


class PartTypeAnswer(BaseModel):
    """What the model is asked for: one of the offered candidates, or none."""

    part_type: str = Field(description="exactly one of the candidate names, or 'none'")
    confidence: float = Field(ge=0, le=1)
    reason: str = Field(max_length=500)


@dataclass(frozen=True, slots=True)
class VectorHit:
    type_name: str
    score: float


class TypeVectors:
    """Each type's description as a vector; built once per (model, taxonomy) and shared."""

    _cache: ClassVar[dict[tuple[str, str], tuple[list[str], Vectors]]] = {}

    def __init__(self, taxonomy: Taxonomy, embedder: Embedder) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        documents = [t.document for t in taxonomy.types.values()]
        self.key = (embedder.model, hashlib.sha256("\n".join(documents).encode()).hexdigest())

    async def load(self) -> tuple[list[str], Vectors]:
        found = self._cache.get(self.key)
        if found is None:
            names = list(self.taxonomy.types)
            documents = [self.taxonomy.types[n].document for n in names]
            found = (names, await embed_async(self.embedder, documents))
            self._cache[self.key] = found
        return found

    async def nearest(self, text: str, k: int = 3) -> list[VectorHit]:
        names, matrix = await self.load()
        query = (await embed_async(self.embedder, [text]))[0]
        scores = matrix @ query
        order = np.argsort(-scores)[:k]
        return [VectorHit(names[i], round(float(scores[i]), 4)) for i in order]


class PartTypeAgent:
    """Decides part types; give it the store's taxonomy, and optionally vectors and a router."""

    decision_type = DECISION_TYPE

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        embedder: Embedder | None = None,
        router: Router | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.vectors = TypeVectors(taxonomy, embedder) if embedder is not None else None
        self.router = router

    async def decide(self, item: PartTypeInput) -> Decision[PartTypeOutput]:
        words = self.taxonomy.classify(item.title, item.description)
        evidence = [_words_evidence(words)] if words.type_name else []
        if words.type_name and words.confidence >= STRONG:
            return self._decision(words.type_name, words.confidence, "words", words, evidence)

        hits: list[VectorHit] = []
        if self.vectors is not None:
            text = item.title if not item.description else f"{item.title}. {item.description}"
            hits = [h for h in await self.vectors.nearest(text[:1000]) if h.score >= VECTOR_FLOOR]
            evidence += [
                Evidence(kind="vector", ref=h.type_name, detail=f"cosine {h.score:.3f}")
                for h in hits
            ]
        top = hits[0] if hits else None
        if words.type_name and top and top.type_name == words.type_name:
            confidence = max(words.confidence, AGREED)
            return self._decision(words.type_name, confidence, "words+vectors", words, evidence)

        candidates = _candidates(words, hits)
        if self.router is not None and candidates:
            decided = await self._ask_model(item, candidates, words, evidence)
            if decided is not None:
                return decided
        if words.type_name:  # the words' answer, unsettled: a person decides
            confidence = min(words.confidence, UNSETTLED if top else words.confidence)
            return self._decision(words.type_name, confidence, "words", words, evidence)
        if top:
            confidence = round(min(UNSETTLED, top.score), 3)
            return self._decision(top.type_name, confidence, "vectors", words, evidence)
        return Decision(
            decision_type=DECISION_TYPE,
            output=PartTypeOutput(part_type=None, method="none"),
            confidence=0.0,
            rationale="No taxonomy word, vector or model named a part type; a person decides.",
            evidence=evidence,
        )

    async def _ask_model(
        self,
        item: PartTypeInput,
        candidates: list[str],
        words: Classification,
        evidence: list[Evidence],
    ) -> Decision[PartTypeOutput] | None:
        assert self.router is not None
        offered = "\n".join(
            f"- {name}: {self.taxonomy.types[name].description}" for name in candidates
        )
        prompt = (
            "Which part type is this supplier's product? Answer with exactly one of the "
            f"candidate names, or 'none' if none fits.\nCandidates:\n{offered}\n\n"
            + as_data("product", {"title": item.title, "description": item.description})
        )
        request = LLMRequest.ask(
            prompt,
            system="You classify auto parts into a fixed taxonomy.",
            task_kind=DECISION_TYPE,
            complexity="low",
            output=PartTypeAnswer,
            agent="part_types",
            max_tokens=200,
        )
        try:
            response = await self.router.complete(request)
            answer = response.output_as(PartTypeAnswer)
        except (LLMError, TypeError):
            return None
        if answer.part_type not in candidates:
            return None
        evidence = [
            *evidence,
            Evidence(kind="model", ref=response.model, detail=answer.reason[:200]),
        ]
        confidence = round(min(answer.confidence, MODEL_MAX), 3)
        return self._decision(
            answer.part_type, confidence, "model", words, evidence, ModelUse.of(response)
        )

    def _decision(
        self,
        name: str,
        confidence: float,
        method: str,
        words: Classification,
        evidence: list[Evidence],
        model: ModelUse | None = None,
    ) -> Decision[PartTypeOutput]:
        terms = self.taxonomy.types[name]
        alternatives = [h.type_name for h in words.hits if h.type_name != name][:3]
        why = {
            "words": f"the title says {words.phrase!r}" if words.phrase else "the title's words",
            "words+vectors": f"the title says {words.phrase!r} and reads like the type",
            "vectors": "the title reads most like this type's description",
            "model": "the model chose it among the candidates",
        }[method]
        return Decision(
            decision_type=DECISION_TYPE,
            output=PartTypeOutput(
                part_type=name, category=terms.category, method=method, alternatives=alternatives
            ),
            confidence=round(confidence, 3),
            rationale=f"{name}: {why}.",
            evidence=evidence,
            model=model,
        )


def _words_evidence(words: Classification) -> Evidence:
    detail = f"phrase {words.phrase!r}, confidence {words.confidence}"
    if words.runner_up:
        detail += f", also {words.runner_up!r}"
    return Evidence(kind="rule", ref=f"taxonomy:{words.type_name}", detail=detail)


def _candidates(words: Classification, hits: list[VectorHit]) -> list[str]:
    names = [h.type_name for h in words.hits] + [h.type_name for h in hits]
    return list(dict.fromkeys(names))[:5]
