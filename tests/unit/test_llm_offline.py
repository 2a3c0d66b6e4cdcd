"""The offline provider: deterministic, schema-valid answers built from the request."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from automechanica.llm import LLMRequest, MemoryCallLog, Router, load_catalog
from automechanica.llm.providers import OfflineProvider
from automechanica.llm.providers.offline import fill


class Fitment(BaseModel):
    verdict: Literal["fits", "does_not_fit", "need_more_information"]
    year: int = Field(ge=1900, le=2100)
    engine: str | None = None
    position: Literal["front", "rear"] = "front"
    confidence: float = Field(ge=0, le=1)
    rationale: str = Field(min_length=1)
    notes: list[str] = Field(default_factory=list)


class Nested(BaseModel):
    part: Fitment
    tags: list[str] = Field(min_length=2)


def offline_router(**templates: object) -> Router:
    catalog = load_catalog()
    return Router(
        catalog, {"offline": OfflineProvider(templates=templates)}, call_log=MemoryCallLog()
    )  # type: ignore[arg-type]


async def test_structured_output_is_schema_valid_and_extracted_from_the_prompt() -> None:
    prompt = "Year: 2016; engine: 2.0L I4\nThe catalog says this does_not_fit the rear axle."
    async with offline_router() as router:
        response = await router.complete(LLMRequest.ask(prompt, output=Fitment, complexity="high"))
    fitment = response.output_as(Fitment)
    assert (fitment.verdict, fitment.year, fitment.engine) == ("does_not_fit", 2016, "2.0L I4")
    assert fitment.confidence == 0.0  # offline decisions go to a person
    assert fitment.rationale.startswith("Year: 2016")
    assert (response.model, response.provider, response.cost_usd) == ("offline", "offline", 0)


def test_the_same_request_gives_the_same_answer_and_nested_schemas_fill() -> None:
    schema = Nested.model_json_schema()
    first = fill(schema, "verdict: fits")
    assert first == fill(schema, "verdict: fits")
    nested = Nested.model_validate(first)
    assert nested.part.verdict == "fits" and nested.part.year == 1900 and len(nested.tags) == 2


async def test_a_template_answers_its_task_kind() -> None:
    def reply(request: LLMRequest) -> str:
        return f"Thanks for writing; a person will answer ({len(request.messages)} message)."

    async with offline_router(**{"support.chat": reply}) as router:
        response = await router.complete(
            LLMRequest.ask("Where is my order?", task_kind="support.chat")
        )
        other = await router.complete(LLMRequest.ask("Where is my order?"))
    assert response.text == "Thanks for writing; a person will answer (1 message)."
    assert other.text.startswith("[offline]") and "Where is my order?" in other.text
