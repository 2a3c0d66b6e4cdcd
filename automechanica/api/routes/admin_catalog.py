"""Admin endpoints for brands and part types: list, add, teach spellings, rename, edit.

Included by the app under the operator dependency. Errors are the domain's
(NotFoundError, ConflictError, InvalidInputError) answered as problem+json.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from automechanica.api.access import OperatorRoute
from automechanica.api.deps import Conn
from automechanica.catalog.brands import (
    add_brand,
    get_brand,
    learn_alias,
    list_brands,
    rename_brand,
)
from automechanica.catalog.taxonomy import (
    add_part_type,
    add_synonyms,
    edit_part_type,
    get_part_type,
    list_part_types,
)

router = APIRouter(prefix="/api/admin/catalog", tags=["admin: catalog"], route_class=OperatorRoute)

#: A name is looked up by its letters and digits (alias_key): it must have some.
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*[A-Za-z0-9][^\x00]*$")]
Phrase = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
BrandId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Slug = Annotated[str, Path(max_length=200, pattern=r"^[^\x00]*$")]


class Brand(BaseModel):
    id: int
    name: str
    aaia_id: str | None
    aliases: list[str]


class NewBrand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    aaia_id: Annotated[str | None, Field(pattern=r"^[A-Za-z]{4}$")] = None
    aliases: Annotated[list[Name], Field(max_length=50)] = []


class NewAlias(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alias: Name


class BrandRename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name


class PartType(BaseModel):
    id: int
    name: str
    slug: str
    pcdb_id: int | None
    category: str
    fit_attributes: list[str]
    universal: bool
    description: str
    synonyms: list[str]
    not_words: list[str]
    edited_by: str | None


class NewPartType(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    category: Name
    description: Annotated[str, Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$")]
    synonyms: Annotated[list[Phrase], Field(max_length=100)] = []
    not_words: Annotated[list[Phrase], Field(max_length=100)] = []
    fit_attributes: Annotated[list[Phrase], Field(max_length=10)] = []
    universal: bool = False


class PartTypeEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Name | None = None
    description: Annotated[
        str | None, Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$")
    ] = None
    fit_attributes: Annotated[list[Phrase] | None, Field(max_length=10)] = None
    universal: bool | None = None
    not_words: Annotated[list[Phrase] | None, Field(max_length=100)] = None


class NewSynonyms(BaseModel):
    model_config = ConfigDict(extra="forbid")
    synonyms: Annotated[list[Phrase], Field(min_length=1, max_length=100)]


def _brand(row: Any) -> Brand:
    return Brand(**asdict(row))


async def _brand_row(conn: Conn, brand_id: int) -> Brand:
    ref = await get_brand(conn, brand_id)
    rows = await list_brands(conn, search=ref.name, limit=1000)
    return next(_brand(r) for r in rows if r.id == ref.id)


@router.get("/brands", response_model=list[Brand])
async def brands(
    conn: Conn,
    search: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Brand]:
    return [_brand(r) for r in await list_brands(conn, search=search, limit=limit)]


@router.post(
    "/brands",
    response_model=Brand,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "the name or a spelling names a brand already"}},
)
async def create_brand(conn: Conn, body: NewBrand) -> Brand:
    row = await add_brand(conn, body.name, aaia_id=body.aaia_id, aliases=body.aliases)
    return await _brand_row(conn, row.id)


@router.post(
    "/brands/{brand_id}/aliases",
    response_model=Brand,
    responses={404: {"description": "no such brand"}, 409: {"description": "spelling taken"}},
)
async def add_alias(conn: Conn, brand_id: BrandId, body: NewAlias) -> Brand:
    """Teach a spelling of the brand (what approving a proposed match does too)."""
    await learn_alias(conn, body.alias, brand_id, source="operator")
    return await _brand_row(conn, brand_id)


@router.patch(
    "/brands/{brand_id}",
    response_model=Brand,
    responses={404: {"description": "no such brand"}, 409: {"description": "name taken"}},
)
async def rename(conn: Conn, brand_id: BrandId, body: BrandRename) -> Brand:
    """Rename a brand; the old name stays one of its spellings."""
    await rename_brand(conn, brand_id, body.name)
    return await _brand_row(conn, brand_id)


@router.get("/part-types", response_model=list[PartType])
async def part_types(conn: Conn) -> list[PartType]:
    return [PartType(**asdict(r)) for r in await list_part_types(conn)]


@router.post(
    "/part-types",
    response_model=PartType,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "the name or a synonym is taken"}},
)
async def create_part_type(conn: Conn, body: NewPartType) -> PartType:
    row = await add_part_type(
        conn,
        body.name,
        category=body.category,
        description=body.description,
        synonyms=body.synonyms,
        not_words=body.not_words,
        fit_attributes=body.fit_attributes,
        universal=body.universal,
    )
    return PartType(**asdict(row))


@router.get("/part-types/{slug}", response_model=PartType)
async def part_type(conn: Conn, slug: Slug) -> PartType:
    return PartType(**asdict(await get_part_type(conn, slug)))


@router.patch("/part-types/{slug}", response_model=PartType)
async def edit(conn: Conn, slug: Slug, body: PartTypeEdit) -> PartType:
    row = await edit_part_type(
        conn,
        slug,
        category=body.category,
        description=body.description,
        fit_attributes=body.fit_attributes,
        universal=body.universal,
        not_words=body.not_words,
    )
    return PartType(**asdict(row))


@router.post(
    "/part-types/{slug}/synonyms",
    response_model=PartType,
    responses={409: {"description": "a synonym names another type"}},
)
async def synonyms(conn: Conn, slug: Slug, body: NewSynonyms) -> PartType:
    return PartType(**asdict(await add_synonyms(conn, slug, body.synonyms)))
