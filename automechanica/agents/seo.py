"""SEO: a part's search title, meta description, slug and schema.org JSON-LD, and a
vehicle's landing text — written from the catalog's data and nothing else.

Offline first: deterministic templates fill the title and description from the
brand, part number, part type, the page's specs and the confidently fitting
vehicles, adding pieces only while they fit the length limits (whole pieces, so a
number is never cut in half). Specs whose names or values look like markup or links
are left out of the text. With a router, a model may offer better wording through its
one tool, `propose_seo_text`; the orchestrator checks it against the content policy
(no markup, no links, no number the data lacks, the lengths) and keeps the template
when it fails. Prices are not written into the text: they change daily, and the
JSON-LD `offers`, built when the page is served, carries the current one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field

from automechanica.agents.base import AgentTool, Decision, Evidence, ModelUse, Toolbox, as_data
from automechanica.agents.product_data import slugify
from automechanica.catalog.seo_facts import LandingFacts, ModelYears, SeoFacts
from automechanica.catalog.structured_data import VEHICLE_CAP, product_jsonld
from automechanica.llm import Router
from automechanica.llm.types import LLMRequest, Message

AGENT = "SEO"
DECISION = "seo.page"
STORE = "AutoMechanica"
TITLE_MAX = 65
META_MAX = 160
MAX_SPECS = 3
#: A spec shown in text: letters, digits and plain punctuation only (no <, >, &, [, ]).
SAFE_SPEC = re.compile(r"^[\w .,/%°\"'()+:-]{1,40}$")
LINKISH = re.compile(r"(?i)https?://|www\.|\.(com|net|org|io|shop|store)\b")


class SeoText(BaseModel):
    """What a search result shows; every fact in it must come from the part's data."""

    title: str = Field(max_length=200)
    meta_description: str = Field(max_length=1000)


class SeoPage(BaseModel):
    part_id: int
    slug: str
    text: SeoText
    generated: SeoText | None = Field(
        default=None, description="a model's wording, used only if the content policy accepts it"
    )
    jsonld: dict[str, Any] = Field(
        default_factory=dict,
        exclude=True,  # not kept in events (50 vehicles a part): served pages rebuild it
        description="schema.org Product, with a path-relative url",
    )
    vehicles_listed: int
    vehicles_total: int
    grounding: str = Field(
        default="", exclude=True, description="the data the text may draw on (policy check)"
    )


def _fits(text: str, limit: int) -> bool:
    return len(text) <= limit


def year_span(years: list[int]) -> str | None:
    """'2012-2015' for consecutive years, '2012, 2014' for up to three others, else None
    (a range over years the part does not fit would be a claim the data lacks)."""
    if not years:
        return None
    years = sorted(set(years))
    if years[-1] - years[0] + 1 == len(years):
        return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    if len(years) <= 3:
        return ", ".join(str(y) for y in years)
    return None


def model_phrase(m: ModelYears) -> str:
    """'2012-2015 Honda Civic'; scattered years say so rather than claim every year."""
    span = year_span(m.years)
    return f"{span} {m.make} {m.model}" if span else f"{m.make} {m.model} (select years)"


def safe_specs(specs: dict[str, Any]) -> list[tuple[str, str]]:
    """Specs fit to print in a snippet: short plain text, no markup, no links."""
    shown = []
    for name, value in specs.items():
        if isinstance(value, (dict, list)) or value in (None, ""):
            continue
        name, text = str(name).strip(), str(value).strip()
        if SAFE_SPEC.match(name) and SAFE_SPEC.match(text) and not LINKISH.search(text):
            shown.append((name, text))
    return shown


def template_title(facts: SeoFacts, limit: int = TITLE_MAX) -> str:
    """The longest of: '<brand> <number> <type> for <years> <make> <model> | store',
    then shorter ones, that fits `limit` (a fit phrase only for a single model)."""
    base = f"{facts.brand} {facts.part_number} {facts.part_type}"
    candidates = []
    if not facts.universal and len(facts.models) == 1:
        fit = f"{base} for {model_phrase(facts.models[0])}"
        candidates += [f"{fit} | {STORE}", fit]
    candidates += [f"{base} | {STORE}", base, f"{facts.brand} {facts.part_number}"]
    for text in candidates:
        if _fits(text, limit):
            return text
    return facts.part_number[:limit]


def fit_sentence(facts: SeoFacts) -> str | None:
    if facts.universal:
        return "Universal fit."
    if not facts.models:
        return None
    phrases = [model_phrase(m) for m in facts.models[:2]]
    if len(facts.models) == 1:
        return f"Fits the {phrases[0]}."
    vehicles = len({(v.year, v.make, v.model) for v in facts.vehicles})
    if facts.vehicle_total <= VEHICLE_CAP:
        return f"Fits {vehicles} vehicles, including the {phrases[0]} and {phrases[1]}."
    return f"Fits the {phrases[0]}, {phrases[1]} and more."


def template_meta(facts: SeoFacts, limit: int = META_MAX) -> str:
    """Whole sentences, most useful first, while they fit `limit`; specs one by one."""
    text = f"{facts.brand} {facts.part_type.lower()}, part number {facts.part_number}."
    if not _fits(text, limit):
        text = f"{facts.brand} {facts.part_number}."[:limit]
    fit = fit_sentence(facts)
    specs = safe_specs(facts.specs)[:MAX_SPECS]
    spec_text = ""
    for name, value in specs:
        candidate = f"{spec_text}; {name}: {value}" if spec_text else f"{name}: {value}"
        rest = f" {candidate}." + (f" {fit}" if fit else "")
        if _fits(text + rest, limit):
            spec_text = candidate
    if spec_text:
        text += f" {spec_text}."
    if fit and _fits(f"{text} {fit}", limit):
        text += f" {fit}"
    if (
        not facts.universal
        and not facts.models
        and _fits(text + " Check fit for your vehicle.", limit)
    ):
        text += " Check fit for your vehicle."
    return text


def grounding_text(facts: SeoFacts) -> str:
    """Every fact the text may draw on, numbers included (counts and year spans too)."""
    models = [f"{m.make} {m.model} {' '.join(str(y) for y in m.years)}" for m in facts.models]
    vehicles = [
        f"{v.year} {v.make} {v.model} {v.submodel or ''} {v.engine_liters or ''}"
        for v in facts.vehicles
    ]
    distinct = len({(v.year, v.make, v.model) for v in facts.vehicles})
    return " ".join(
        [
            facts.brand,
            facts.part_number,
            facts.part_type,
            facts.category,
            facts.page_title or "",
            json.dumps(facts.specs, default=str, ensure_ascii=False),
            facts.upc or "",
            *models,
            *vehicles,
            f"vehicles {distinct} {facts.vehicle_total}",
        ]
    )


class SeoAgent:
    """Writes a part's search snippet and structured data; asks a model only for wording."""

    name = AGENT

    def __init__(
        self, router: Router | None = None, *, title_max: int = TITLE_MAX, meta_max: int = META_MAX
    ) -> None:
        self.router = router
        self.title_max = title_max
        self.meta_max = meta_max

    async def decide(self, facts: SeoFacts, *, workflow_id: Any = None) -> Decision[SeoPage]:
        text = SeoText(
            title=template_title(facts, self.title_max),
            meta_description=template_meta(facts, self.meta_max),
        )
        page = SeoPage(
            part_id=facts.part_id,
            slug=facts.slug or slugify(facts.brand, facts.part_number, facts.part_type),
            text=text,
            jsonld=product_jsonld(
                facts, f"/parts/{facts.part_id}", description=text.meta_description
            ),
            vehicles_listed=min(len(facts.vehicles), VEHICLE_CAP),
            vehicles_total=facts.vehicle_total,
            grounding=grounding_text(facts),
        )
        refused: list[str] = []
        model = None
        if self.router is not None:
            page.generated, model, refused = await self._wording(facts, workflow_id)
        listed = f"{page.vehicles_listed} of {page.vehicles_total} confident vehicles listed"
        return Decision(
            decision_type=DECISION,
            output=page,
            confidence=1.0,
            rationale=f"Written from the part's data: brand, number, type, "
            f"{len(safe_specs(facts.specs))} printable specs; {listed}"
            + (
                "; offer with the store price"
                if facts.price is not None
                else "; no price: no offer"
            )
            + ".",
            evidence=[Evidence(kind="part", ref=str(facts.part_id))],
            model=model,
            refused=refused,
        )

    async def _wording(
        self, facts: SeoFacts, workflow_id: Any
    ) -> tuple[SeoText | None, ModelUse | None, list[str]]:
        assert self.router is not None
        proposed: list[SeoText] = []

        async def propose(text: SeoText) -> str:
            proposed.append(text)
            return "received"

        tools = Toolbox(
            AGENT,
            {
                "propose_seo_text": AgentTool(
                    "propose_seo_text",
                    "Propose the search result title and meta description of a part's page.",
                    SeoText,
                    propose,
                )
            },
        )
        data = {
            "brand": facts.brand,
            "part_number": facts.part_number,
            "part_type": facts.part_type,
            "specs": dict(safe_specs(facts.specs)),
            "universal_fit": facts.universal,
            "fits": [
                {"make": m.make, "model": m.model, "years": m.years} for m in facts.models[:5]
            ],
            "vehicles_fitted": facts.vehicle_total,
        }
        request = LLMRequest(
            task_kind="seo_text",
            complexity="low",
            agent=AGENT,
            workflow_id=workflow_id,
            tools=tools.specs,
            messages=(
                Message(
                    role="system",
                    content=f"You write search-result snippets for an auto-parts store. A "
                    f"title of at most {self.title_max} characters and a meta description of "
                    f"at most {self.meta_max}. Plain text: no HTML, no Markdown, no links, no "
                    "prices, no number and no vehicle that is not in the data. Answer by "
                    "calling propose_seo_text once.",
                ),
                Message(role="user", content=as_data("part data", data)),
            ),
        )
        response = await self.router.complete(request)
        for call in response.tool_calls:
            await tools.call(call)
        return (proposed[0] if proposed else None), ModelUse.of(response), tools.refused


# -- a vehicle's landing page ---------------------------------------------------------------


class LandingText(BaseModel):
    title: str
    meta_description: str
    intro: str


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def landing_text(
    facts: LandingFacts, *, title_max: int = TITLE_MAX, meta_max: int = META_MAX
) -> LandingText:
    """A landing page's words: the vehicle, how many parts fit it, the types they are."""
    vehicle = f"{facts.year} {facts.make} {facts.model}"
    title = next(
        (
            t
            for t in (f"{vehicle} Parts | {STORE}", f"{vehicle} Parts", vehicle)
            if len(t) <= title_max
        ),
        vehicle[:title_max],
    )
    total = facts.part_count
    if not total:
        meta = (
            f"Parts for the {vehicle}: none listed yet. Search the catalog by part type or number."
        )
        intro = (
            f"We have no parts listed for the {vehicle} yet. Search by part type or part "
            "number, or check back after our next catalog update."
        )
        return LandingText(title=title, meta_description=meta[:meta_max], intro=intro)
    types = [f"{t.part_type.lower()} ({t.count})" for t in facts.part_types]
    meta = f"{_count(total, 'part', 'parts')} that fit the {vehicle}"
    listed = 0
    for i in range(len(types)):
        joined = ", ".join(types[: i + 1])
        if len(f"{meta}: {joined}.") <= meta_max:
            listed = i + 1
    meta = f"{meta}: {', '.join(types[:listed])}." if listed else f"{meta}."
    if len(meta) > meta_max:
        meta = f"{_count(total, 'part', 'parts')} for the {vehicle}."[:meta_max]
    some_constrained = any(not p.fits_every_configuration for t in facts.part_types for p in t.top)
    kinds = _count(len(facts.part_types), "part type", "part types")
    intro = (
        f"{_count(total, 'part', 'parts')} in {kinds} are listed for the {vehicle}. "
        f"Most listed: {', '.join(types[:5])}."
    )
    if some_constrained:
        intro += (
            " Some fit only certain trims or engines: choose your configuration to check the fit."
        )
    return LandingText(title=title, meta_description=meta, intro=intro)


def landing_grounding(facts: LandingFacts) -> str:
    types = " ".join(f"{t.part_type} {t.count}" for t in facts.part_types)
    return (
        f"{facts.year} {facts.make} {facts.model} {types} {facts.part_count} "
        f"{len(facts.part_types)}"
    )
