"""BrandAgent against the open brand table: matches, proposals, new brands, learned aliases."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from automechanica.agents.brands import BrandAgent, BrandInput
from automechanica.catalog.brands import (
    add_brand,
    get_brand,
    learn_alias,
    list_brands,
    load_brand_index,
    rename_brand,
    similar_in_store,
)
from automechanica.catalog.taxonomy import load_taxonomy
from automechanica.errors import ConflictError, InvalidInputError

Conn = psycopg.AsyncConnection[Any]


async def _agent(conn: Conn) -> BrandAgent:
    phrases = (await load_taxonomy(conn)).phrase_keys()
    return BrandAgent(await load_brand_index(conn, phrases), conn=conn)


async def test_seeded_brands_and_spellings(conn: Conn) -> None:
    brands = await list_brands(conn, limit=1000)
    assert len(brands) >= 300
    moog = await get_brand(conn, "moog")
    assert moog.aaia_id == "BBVD"
    agent = await _agent(conn)
    decision = await agent.decide(BrandInput(name="MOOG Chassis Parts, Inc."))
    assert decision.output.action == "match" and decision.output.brand == "Moog"
    assert decision.decision_type == "catalog.brand_match" and decision.confidence >= 0.9


@pytest.mark.parametrize(("name", "other"), [("Bosal", "Bosal"), ("NTK", "NTK")])
async def test_look_alike_brands_stay_apart(conn: Conn, name: str, other: str) -> None:
    decision = await (await _agent(conn)).decide(BrandInput(name=name))
    assert decision.output.brand == other


async def test_unknown_look_alike_is_proposed_not_matched(conn: Conn) -> None:
    decision = await (await _agent(conn)).decide(BrandInput(name="Densei"))
    assert decision.output.action == "review_match"
    assert decision.output.brand == "Denso"
    assert decision.confidence < 0.9
    assert await similar_in_store(conn, "Densei")  # pg_trgm over every alias


async def test_new_brand_is_a_proposal(conn: Conn) -> None:
    decision = await (await _agent(conn)).decide(BrandInput(name="Zyqtrax Motorworks"))
    assert decision.output.action == "new_brand"
    assert decision.decision_type == "catalog.new_brand"


async def test_approval_teaches_the_alias(conn: Conn) -> None:
    denso = await get_brand(conn, "Denso")
    assert await learn_alias(conn, "Densei", denso.id) == "densei"
    assert await learn_alias(conn, "Densei", denso.id) == "densei"  # idempotent
    decision = await (await _agent(conn)).decide(BrandInput(name="DENSEI"))
    assert decision.output.action == "match" and decision.output.brand == "Denso"
    bosch = await get_brand(conn, "Bosch")
    with pytest.raises(ConflictError):
        await learn_alias(conn, "Densei", bosch.id)
    with pytest.raises(InvalidInputError):
        await learn_alias(conn, "--", bosch.id)


async def test_add_and_rename_brands(conn: Conn) -> None:
    row = await add_brand(conn, "Zyqtrax", aliases=["Zyqtrax Motorworks"])
    assert row.aliases == ["Zyqtrax", "Zyqtrax Motorworks"]
    with pytest.raises(ConflictError):
        await add_brand(conn, "ZYQTRAX")
    with pytest.raises(ConflictError):
        await add_brand(conn, "Robert Bosch")  # a spelling of Bosch
    renamed = await rename_brand(conn, "Zyqtrax", "Zyqtrax Parts Co")
    assert renamed.name == "Zyqtrax Parts Co"
    decision = await (await _agent(conn)).decide(BrandInput(name="zyqtrax"))
    assert decision.output.brand == "Zyqtrax Parts Co"
