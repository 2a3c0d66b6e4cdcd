"""PartTypeAgent on the store's own taxonomy: words, vectors, the model, and people's edits."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from automechanica.agents.part_types import PartTypeAgent, PartTypeAnswer, PartTypeInput
from automechanica.catalog.taxonomy import (
    add_part_type,
    add_synonyms,
    edit_part_type,
    get_part_type,
    load_taxonomy,
)
from automechanica.config import Settings
from automechanica.errors import ConflictError, NotFoundError
from automechanica.llm import LLMRequest, build_router
from automechanica.memory import OnnxEmbedder

Conn = psycopg.AsyncConnection[Any]


async def test_reference_data_loads_the_taxonomy(conn: Conn) -> None:
    taxonomy = await load_taxonomy(conn)
    assert len(taxonomy) >= 150
    pads = await get_part_type(conn, "brake-pads")
    assert pads.pcdb_id == 1684 and "pads" in pads.synonyms and pads.description


async def test_words_decide_a_clear_title(conn: Conn) -> None:
    agent = PartTypeAgent(await load_taxonomy(conn))
    decision = await agent.decide(PartTypeInput(title="Gates K060923 Micro-V Belt"))
    assert decision.output.part_type == "Serpentine Belt"
    assert decision.output.method == "words"
    assert decision.confidence >= 0.85
    assert decision.evidence[0].kind == "rule"


async def test_vectors_back_a_weak_title(conn: Conn) -> None:
    agent = PartTypeAgent(await load_taxonomy(conn), embedder=OnnxEmbedder.default())
    decision = await agent.decide(
        PartTypeInput(title="ACME 7781", description="Replacement spark plugs, iridium tip")
    )
    assert decision.output.part_type == "Spark Plug"
    assert any(e.kind == "vector" for e in decision.evidence) or decision.confidence >= 0.85


async def test_the_model_settles_a_disagreement(conn: Conn) -> None:
    def answer(request: LLMRequest) -> PartTypeAnswer:
        assert "Brake Pad and Rotor Kit" in request.messages[-1].content
        return PartTypeAnswer(part_type="Brake Pad and Rotor Kit", confidence=0.95, reason="kit")

    router = build_router(Settings(), offline_templates={"catalog.part_type": answer})
    agent = PartTypeAgent(await load_taxonomy(conn), router=router)
    decision = await agent.decide(PartTypeInput(title="Front Brake Kit Rotors & Ceramic Pads"))
    assert decision.output.method == "model"
    assert decision.output.part_type == "Brake Pad and Rotor Kit"
    assert decision.model is not None
    assert decision.confidence <= 0.92


async def test_unsure_is_never_dropped(conn: Conn) -> None:
    router = build_router(Settings())  # offline: its confidence is the minimum
    agent = PartTypeAgent(await load_taxonomy(conn), router=router)
    decision = await agent.decide(PartTypeInput(title="Front Brake Kit Rotors & Ceramic Pads"))
    assert decision.output.part_type in {"Brake Pad and Rotor Kit", "Brake Pads"}
    assert decision.confidence < 0.8  # below catalog.part_type: the caller sends it to review
    nothing = await agent.decide(PartTypeInput(title="XJ-2291 (see catalog)"))
    assert nothing.output.part_type is None and nothing.confidence == 0.0


async def test_people_add_edit_and_teach_types(conn: Conn) -> None:
    added = await add_part_type(
        conn,
        "Hood Insulator Pad",
        category="Body",
        description="Heat and sound insulation pad under the hood panel.",
        synonyms=["hood insulation", "hood liner pad"],
    )
    assert added.slug == "hood-insulator-pad" and added.edited_by == "operator"
    agent = PartTypeAgent(await load_taxonomy(conn))
    decision = await agent.decide(PartTypeInput(title="Dorman hood insulation 2015 F-150"))
    assert decision.output.part_type == "Hood Insulator Pad"

    await add_synonyms(conn, "water-pump", ["h2o pump"])
    agent = PartTypeAgent(await load_taxonomy(conn))
    decision = await agent.decide(PartTypeInput(title="H2O pump 2.4L"))
    assert decision.output.part_type == "Water Pump"

    edited = await edit_part_type(conn, "water-pump", description="Pumps coolant.")
    assert edited.description == "Pumps coolant." and edited.edited_by == "operator"

    with pytest.raises(ConflictError):
        await add_synonyms(conn, "radiator", ["coolant pump"])  # names the water pump
    with pytest.raises(ConflictError):
        await add_part_type(conn, "brake pads", category="Brakes", description="Again.")
    with pytest.raises(NotFoundError):
        await edit_part_type(conn, "flux-capacitor", description="x")
