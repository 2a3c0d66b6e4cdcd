"""Reading the fitment text the parser could not: the LLM router proposes, rules dispose.

The parser (`catalog.fitment_text`) never guesses: a fragment it cannot name
("14-16 Toyta Corola") is reported. Here the router is asked for a schema-typed
reading of that fragment (years, make, model, submodel, engine, position,
qualifiers), offered the makes and models of the vehicle base it may choose from.
Every vehicle it returns is then checked without a model:

- its make and model must be written in the fragment: exactly, by an alias the
  parser knows, or (less sure) by a close spelling; a make the text does not
  write may only be implied by a model no other make has;
- its years must be numbers in the fragment, and the vehicle base must have the
  make and model in at least one of them;
- an engine (litres) or submodel must be written in the fragment and exist in a
  configuration of those base vehicles; a position or qualifier not written in
  the fragment is dropped.

A vehicle that fails is dropped and reported with why: the reading never adds a
vehicle the text and the base do not both support. What survives gets a
confidence (the model's own, capped, less for close spellings, qualifiers and
anything dropped); the caller stores it or holds it for a person by the
`fitment.publish` policy. With no model configured the router's offline path
answers with an empty reading: nothing is proposed, and the fragment goes to a
person as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel, Field

from automechanica.agents.base import Decision, Evidence, ModelUse, as_data
from automechanica.catalog.fitment_text import VehicleVocabulary
from automechanica.catalog.vocabulary import alias_key
from automechanica.llm import LLMError, LLMRequest, Router

AGENT = "Fitment"
DECISION_TYPE = "fitment.text_reading"
#: The most a model's reading is believed, even when every word checks out.
MODEL_MAX = 0.85
#: Taken off when a make or model is only a close spelling of what the text says.
CLOSE_SPELLING_PENALTY = 0.15
#: Taken off per qualifier kept as a "verify" note (as the importer does).
PER_QUALIFIER = 0.1
#: Taken off when some of the years read are not in the vehicle base.
MISSING_YEARS_PENALTY = 0.1
#: A reading that also proposed something refused is never above this: a person looks.
REFUSED_CEILING = 0.5
#: How alike a word must be to a make or model name to count as a (close) spelling of it.
CLOSE_RATIO = 0.8
#: Models offered to the model in the prompt (the names the text is closest to).
OFFERED_MODELS = 40

SELECT_BASE = """
SELECT bv.id, bv.year FROM base_vehicles bv
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
WHERE ma.name = %(make)s AND mo.name = %(model)s AND bv.year BETWEEN %(first)s AND %(last)s
ORDER BY bv.year
"""
SELECT_CONFIGS = """
SELECT base_vehicle_id, submodel, engine_liters FROM vehicles
WHERE base_vehicle_id = ANY(%(ids)s)
"""


class ReadVehicle(BaseModel):
    """One vehicle as the model reads it from the fragment."""

    year_start: int = Field(ge=1900, le=2100)
    year_end: int = Field(ge=1900, le=2100)
    make: str = Field(max_length=60, description="one of the offered makes")
    model: str = Field(max_length=80, description="one of the offered models of that make")
    submodel: str | None = Field(default=None, max_length=60)
    engine_liters: float | None = Field(default=None, ge=0.5, le=10)
    position: str | None = Field(default=None, max_length=40, description="Front, Rear, …")
    qualifiers: list[str] = Field(default_factory=list, max_length=5)


class TextReading(BaseModel):
    """What the model is asked for: the vehicles the fragment names, or none."""

    vehicles: list[ReadVehicle] = Field(default_factory=list, max_length=10)
    confidence: float = Field(ge=0, le=1)
    reason: str = Field(default="", max_length=500)


class ReadingVehicle(BaseModel):
    """A vehicle of the reading that the text and the vehicle base both support."""

    make: str
    model: str
    years: list[int]
    base_vehicle_ids: list[int]
    submodel: str | None = None
    engine_liters: float | None = None
    position: str | None = None
    qualifiers: list[str] = Field(default_factory=list)
    support: list[str] = Field(default_factory=list, description="which words said what")


class FitmentReading(BaseModel):
    """The decision's output: the fragment, the vehicles kept, and what was refused."""

    fragment: str
    vehicles: list[ReadingVehicle] = Field(default_factory=list)
    refused: list[str] = Field(default_factory=list)
    method: str = Field(description="model | none")


@dataclass(frozen=True)
class Support:
    """How a name is written in the text: exactly (or by alias), or by a close spelling."""

    words: str
    close: bool


class FitmentTextReader:
    """Asks the router to read one unresolved fragment and checks the answer against the
    text and the vehicle base (`conn` is only read)."""

    name = AGENT

    def __init__(self, vocabulary: VehicleVocabulary, router: Router | None) -> None:
        self.vocabulary = vocabulary
        self.router = router

    async def read(self, conn: AsyncConnection[Any], fragment: str) -> Decision[FitmentReading]:
        answer, model = await self._ask(fragment)
        evidence = [Evidence(kind="text", ref="fragment", detail=fragment[:500])]
        if answer is None:
            why = "no language model answered" if model is None else "the model read nothing"
            return Decision(
                decision_type=DECISION_TYPE,
                output=FitmentReading(fragment=fragment, method="none"),
                confidence=0.0,
                rationale=f"The parser could not name a vehicle in {fragment!r} and {why}; "
                "a person reads it.",
                evidence=evidence,
                model=model,
            )
        kept: list[ReadingVehicle] = []
        refused: list[str] = []
        close = missing_years = False
        for read in answer.vehicles:
            checked = await self._check(conn, fragment, read)
            if isinstance(checked, str):
                refused.append(checked)
                continue
            vehicle, was_close, some_missing = checked
            kept.append(vehicle)
            close, missing_years = close or was_close, missing_years or some_missing
        confidence = min(answer.confidence, MODEL_MAX) if kept else 0.0
        confidence -= CLOSE_SPELLING_PENALTY if close else 0.0
        confidence -= MISSING_YEARS_PENALTY if missing_years else 0.0
        confidence -= PER_QUALIFIER * max((len(v.qualifiers) for v in kept), default=0)
        if refused:
            confidence = min(confidence, REFUSED_CEILING)
        assert model is not None
        evidence.append(Evidence(kind="model", ref=model.model, detail=answer.reason[:200]))
        evidence += [
            Evidence(kind="reading", ref=_name(v), detail="; ".join(v.support)) for v in kept
        ]
        evidence += [Evidence(kind="refused", ref="reading", detail=r) for r in refused]
        said = "; ".join(_name(v) for v in kept) or "no vehicle"
        rationale = f"Read {fragment!r} as {said}."
        if refused:
            rationale += " Refused: " + "; ".join(refused) + "."
        return Decision(
            decision_type=DECISION_TYPE,
            output=FitmentReading(
                fragment=fragment, vehicles=kept, refused=refused, method="model"
            ),
            confidence=round(max(confidence, 0.0), 3),
            rationale=rationale,
            evidence=evidence,
            model=model,
        )

    async def _ask(self, fragment: str) -> tuple[TextReading | None, ModelUse | None]:
        """The model's reading, or None (no router, an error, or an empty reading)."""
        if self.router is None:
            return None, None
        makes = sorted(set(self.vocabulary.makes.values()))
        models = self._offered(fragment)
        prompt = (
            "A supplier wrote this vehicle fitment and our parser could not name the "
            "vehicle. Read it: for each vehicle it names give the years, make and model "
            "exactly as our lists spell them, and a submodel, engine litres, position "
            "(Front, Rear, Left, Right, Upper, Lower) or qualifier only if the text says "
            "so. Name nothing the text does not say; if you are unsure, return no "
            "vehicles.\n"
            f"Makes: {', '.join(makes)}\n"
            f"Models that may be meant (make: model): {'; '.join(models) or 'none close'}\n\n"
            + as_data("fitment", fragment)
        )
        request = LLMRequest.ask(
            prompt,
            system="You read auto-parts fitment text into structured vehicles.",
            task_kind=DECISION_TYPE,
            complexity="medium",
            output=TextReading,
            agent="fitment_text",
            max_tokens=600,
        )
        try:
            response = await self.router.complete(request)
            answer = response.output_as(TextReading)
        except (LLMError, TypeError):
            return None, None
        model = ModelUse.of(response)
        return (answer if answer.vehicles else None), model

    def _offered(self, fragment: str) -> list[str]:
        """The vocabulary's models whose names are closest to the fragment's words."""
        words = _keys(fragment)
        scored: dict[tuple[str, str], float] = {}
        for key, pairs in self.vocabulary.models.items():
            if len(key) < 2 or key.isdigit():
                continue
            best = max((_ratio(key, w) for w in words), default=0.0)
            if best >= 0.6:
                for pair in pairs:
                    scored[pair] = max(scored.get(pair, 0.0), best)
        ranked = sorted(scored, key=lambda p: (-scored[p], p))[:OFFERED_MODELS]
        return [f"{make}: {model}" for make, model in ranked]

    async def _check(
        self, conn: AsyncConnection[Any], fragment: str, read: ReadVehicle
    ) -> tuple[ReadingVehicle, bool, bool] | str:
        """The vehicle as the text and base support it, or why it is refused."""
        said = f"{read.year_start}-{read.year_end} {read.make} {read.model}"
        make = self.vocabulary.makes.get(alias_key(read.make))
        pairs = [p for p in self.vocabulary.models.get(alias_key(read.model), ()) if p[0] == make]
        if make is None or not pairs:
            return f"{said}: no such make and model in the vehicle base"
        model = pairs[0][1]
        words = _keys(fragment)
        model_support = self._model_support(words, make, model)
        if model_support is None:
            return f"{said}: the text does not name the model {model}"
        make_support = self._make_support(words, make, model, model_support)
        if make_support is None:
            return f"{said}: the text does not name the make {make}"
        years = _years(fragment)
        if read.year_start not in years or read.year_end not in years:
            return f"{said}: the years are not the text's ({', '.join(map(str, sorted(years)))})"
        first, last = sorted((read.year_start, read.year_end))
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                SELECT_BASE, {"make": make, "model": model, "first": first, "last": last}
            )
            base = {r["id"]: r["year"] for r in await cur.fetchall()}
            await cur.execute(SELECT_CONFIGS, {"ids": list(base)})
            configs = await cur.fetchall()
        if not base:
            return f"{said}: no {make} {model} in {first}-{last} in the vehicle base"
        support = [
            f"{make} ← {make_support.words!r}",
            f"{model} ← {model_support.words!r}",
            f"years {first}-{last}",
        ]
        if read.engine_liters is not None:
            liters = Decimal(str(read.engine_liters)).quantize(Decimal("0.1"))
            if str(liters) not in _liters(fragment):
                return f"{said}: the text does not say {liters}L"
            base = _having(base, configs, "engine_liters", lambda v: v == liters)
            if not base:
                return f"{said}: no {make} {model} configuration has {liters}L"
            support.append(f"{liters}L in the text and the base")
        if read.submodel:
            wanted = alias_key(read.submodel)
            if wanted not in words:
                return f"{said}: the text does not say {read.submodel!r}"
            base = _having(base, configs, "submodel", lambda v: alias_key(v or "") == wanted)
            if not base:
                return f"{said}: no {make} {model} configuration is a {read.submodel}"
            support.append(f"submodel {read.submodel!r} in the text and the base")
        position = read.position if read.position and alias_key(read.position) in words else None
        qualifiers = [q for q in read.qualifiers if alias_key(q) in alias_key(fragment)]
        vehicle = ReadingVehicle(
            make=make,
            model=model,
            years=sorted(set(base.values())),
            base_vehicle_ids=sorted(base),
            submodel=read.submodel,
            engine_liters=read.engine_liters,
            position=position,
            qualifiers=qualifiers,
            support=support,
        )
        missing = len(vehicle.years) < last - first + 1
        return vehicle, make_support.close or model_support.close, missing

    def _model_support(self, words: set[str], make: str, model: str) -> Support | None:
        for word in sorted(words):
            if (make, model) in self.vocabulary.models.get(word, ()):
                return Support(word, close=False)
            if self.vocabulary.fused.get(word) == (make, model):
                return Support(word, close=False)
        target = alias_key(model)
        close = [w for w in sorted(words) if len(target) >= 4 and _ratio(target, w) >= CLOSE_RATIO]
        return Support(close[0], close=True) if close else None

    def _make_support(
        self, words: set[str], make: str, model: str, model_support: Support
    ) -> Support | None:
        for word in sorted(words):
            if self.vocabulary.makes.get(word) == make:
                return Support(word, close=False)
            if self.vocabulary.fused.get(word) == (make, model):
                return Support(word, close=False)
        target = alias_key(make)
        close = [w for w in sorted(words) if len(target) >= 4 and _ratio(target, w) >= CLOSE_RATIO]
        if close:
            return Support(close[0], close=True)
        makers = {mk for mk, _ in self.vocabulary.models.get(alias_key(model), ())}
        if makers == {make}:  # 'Corolla' is only ever a Toyota
            return Support(
                f"{model_support.words} (only {make} has the model)", model_support.close
            )
        return None


def _keys(text: str) -> set[str]:
    """Every run of one to three words of `text`, as lookup keys ('f 150' → 'f150')."""
    tokens = [alias_key(t) for t in re.findall(r"[A-Za-z0-9]+", text)]
    tokens = [t for t in tokens if t]
    return {"".join(tokens[i : i + n]) for n in (1, 2, 3) for i in range(len(tokens) - n + 1)}


def _years(text: str) -> set[int]:
    """The numbers in `text` that can be model years ('2014', '14', "'15")."""
    years = set()
    for number in re.findall(r"(?<![\d.])(\d{4}|\d{2})(?![\d.])", text):
        value = int(number)
        if len(number) == 2:
            value += 2000 if value <= 40 else 1900
        if 1900 <= value <= 2100:
            years.add(value)
    return years


def _liters(text: str) -> set[str]:
    return {f"{Decimal(n).quantize(Decimal('0.1'))}" for n in re.findall(r"\d{1,2}\.\d", text)}


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio() if a and b and a[0] == b[0] else 0.0


def _having(
    base: dict[int, int], configs: list[dict[str, Any]], column: str, test: Any
) -> dict[int, int]:
    ids = {c["base_vehicle_id"] for c in configs if c[column] is not None and test(c[column])}
    return {bv: year for bv, year in base.items() if bv in ids}


def _name(vehicle: ReadingVehicle) -> str:
    years = f"{vehicle.years[0]}-{vehicle.years[-1]}" if vehicle.years else "no years"
    extra = [
        x
        for x in (
            vehicle.submodel,
            f"{vehicle.engine_liters}L" if vehicle.engine_liters else None,
            vehicle.position,
        )
        if x
    ]
    return " ".join([years, vehicle.make, vehicle.model, *extra])
