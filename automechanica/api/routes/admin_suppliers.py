"""Console endpoints for suppliers and their imports: each supplier's profile (the
remembered column mapping with why, its own brand, the PIES cost price type), a
person's edits of it, and the import reports with every rejection and warning paged.

Access is declared where app.py includes the router (operators). A profile edit needs
a reason and is recorded beside the agents' decisions (an agent event by
`person:<email>`, with the profile before and after), as review decisions are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from automechanica.api.access import OperatorAccess, OperatorRoute
from automechanica.api.deps import Conn
from automechanica.catalog.feeds.mapping import LAYOUT_FIELDS, REQUIRED_FIELDS, LayoutMapping
from automechanica.catalog.feeds.profile_edits import (
    CostPriceType,
    LayoutField,
    MappedField,
    ProfileEdit,
    edit_profile,
    explain_mapping,
)
from automechanica.catalog.feeds.profiles import (
    PIES_COST_TYPES,
    SupplierProfile,
    load_profile,
    save_profile,
)
from automechanica.catalog.feeds.reports import list_reports, report_header, report_notes
from automechanica.catalog.feeds.suppliers import get_supplier, list_suppliers
from automechanica.orchestrator import AgentEvent, record_event

router = APIRouter(prefix="/api/admin", tags=["admin: suppliers"], route_class=OperatorRoute)
Responses = dict[int | str, dict[str, Any]]
NO_SUPPLIER: Responses = {404: {"description": "no such supplier"}}
EDIT_REFUSED: Responses = NO_SUPPLIER | {
    409: {"description": "the edit does not fit the stored profile (no brand, no format)"}
}
NO_REPORT: Responses = {404: {"description": "no such import report"}}
SupplierId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Source = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
NEEDED = [name for name in REQUIRED_FIELDS if name != "brand"]
ReportId = Annotated[int, Path(ge=1, le=2**53 - 1)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
EDIT = "supplier.profile_edit"
RECENT_IMPORTS = 10
# a supplier's profile edits, newest first (index agent_events_subject)
SELECT_EDITS = """
SELECT agent, rationale, input, output, created_at FROM agent_events
WHERE subject_kind = 'supplier' AND subject_id = %(supplier)s AND decision_type = %(type)s
ORDER BY id DESC LIMIT 20
"""
# the layout reviews open for a supplier (index reviews_open: kind, created_at, open ones)
SELECT_OPEN_REVIEWS = """
SELECT id FROM reviews
WHERE kind = 'feed.layout_mapping' AND status = 'open' AND subject_kind = 'supplier'
  AND subject_id = %s
ORDER BY created_at
"""


class LastImport(BaseModel):
    report_id: int
    status: str
    file_name: str
    rows_read: int
    offers: int
    rows_rejected: int
    warnings: int
    started_at: datetime
    finished_at: datetime | None


class SupplierRow(BaseModel):
    id: int
    name: str
    display_name: str
    has_profile: bool
    format: str | None
    confirmed: bool | None = Field(description="a person set or accepted the mapping")
    brand: str | None = Field(description="the supplier's own brand, for files without one")
    cost_price_type: str | None
    mapped_fields: int
    proposal_waiting: bool = Field(description="an unsure proposed layout waits for a person")
    profile_updated_at: datetime | None
    imports: int
    last_import: LastImport | None


class ReportRow(BaseModel):
    id: int
    supplier_id: int
    supplier: str
    display_name: str
    file_name: str
    format: str
    status: str
    rows_read: int
    parts_created: int
    parts_updated: int
    offers: int
    fitments: int
    rows_rejected: int
    warnings: int
    error: str | None
    layout_reason: str | None
    started_at: datetime
    finished_at: datetime | None


class ProfileView(BaseModel):
    format: str | None
    has_header: bool
    confirmed: bool
    brand: str | None
    cost_price_type: str | None
    mapping: list[MappedField]


class ProfileChange(BaseModel):
    changed_by: str
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]
    changed_at: datetime


class SupplierDetail(BaseModel):
    id: int
    name: str
    display_name: str
    created_at: datetime
    profile: ProfileView | None
    proposal: LayoutMapping | None = Field(description="an unsure layout waiting for a person")
    open_reviews: list[int] = Field(
        description="layout reviews waiting for this supplier: each decides its own run's "
        "layout (and, approved or edited, saves it as the profile's mapping)"
    )
    recent_imports: list[ReportRow]
    changes: list[ProfileChange]
    fields: list[str] = Field(description="our fields a mapping may name, in order")
    required_fields: list[str]
    cost_price_types: list[CostPriceType]


class ProfilePatch(BaseModel):
    """Change a supplier's profile; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    mapping: (
        Annotated[
            dict[LayoutField, Source],
            Field(
                description="the whole mapping, our field -> the file's column (or 'column N', "
                "or a JSON key path); it names sku, mpn and cost (and brand, unless the "
                "supplier has its own brand); {} forgets it: the next file's layout is inferred",
                json_schema_extra={"anyOf": [{"maxProperties": 0}, {"required": NEEDED}]},
            ),
        ]
        | None
    ) = None
    brand: Annotated[str | None, Field(max_length=100)] = None
    cost_price_type: CostPriceType | None = Field(
        default=None, description="the PIES price type that is the cost; null: NET, else lowest"
    )
    format: Literal["csv", "jsonl"] | None = None
    has_header: StrictBool | None = None  # 1 or "yes" is not a yes
    reason: Annotated[str, Field(min_length=3, max_length=2000, description="kept with the edit")]


class Note(BaseModel):
    line: int | None
    element: str | None
    reason: str
    raw: str | None


class NotePage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[Note]


class ReportDetail(ReportRow):
    parts_merged: int
    layout: LayoutMapping | None = Field(description="the layout the file was read by")
    rejections: NotePage
    warning_list: NotePage


class ReportPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[ReportRow]


@router.get("/suppliers", response_model=list[SupplierRow])
async def suppliers(conn: Conn) -> list[dict[str, Any]]:
    """Every supplier: its profile in brief and how its newest import went."""
    rows = await list_suppliers(conn)
    for row in rows:
        report = row.pop("last_report_id")
        last = {k.removeprefix("last_"): row.pop(k) for k in list(row) if k.startswith("last_")}
        row["last_import"] = {"report_id": report, **last} if report is not None else None
    return rows


@router.get("/suppliers/{supplier_id}", response_model=SupplierDetail, responses=NO_SUPPLIER)
async def supplier(conn: Conn, supplier_id: SupplierId) -> dict[str, Any]:
    """A supplier's profile with its mapping and why, its recent imports, and who edited
    the profile and why."""
    return await _detail(conn, supplier_id)


@router.patch(
    "/suppliers/{supplier_id}/profile",
    response_model=SupplierDetail,
    responses=EDIT_REFUSED,
)
async def edit(
    conn: Conn, who: OperatorAccess, supplier_id: SupplierId, body: ProfilePatch
) -> dict[str, Any]:
    """Correct a supplier's mapping, own brand or cost price type, with a reason; the
    next file is read by the corrected profile."""
    given = body.model_fields_set - {"reason"}
    change = ProfileEdit.model_validate(body.model_dump(include=given))
    async with conn.transaction():
        found = await get_supplier(conn, supplier_id, lock=True)
        before = await load_profile(conn, found["name"]) or SupplierProfile(supplier=found["name"])
        after = edit_profile(before, change, given)
        if after != before:
            await save_profile(conn, after)
            await record_event(conn, _edit_event(found, before, after, who.email, body.reason))
    return await _detail(conn, supplier_id)


@router.get("/feeds/reports", response_model=ReportPage)
async def reports(
    conn: Conn,
    supplier_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: Literal["running", "completed", "failed"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Import reports, newest first, by supplier and status, a page at a time."""
    total, rows = await list_reports(
        conn, supplier_id=supplier_id, status=status, limit=limit, offset=offset
    )
    return {"total": total, "offset": offset, "limit": limit, "items": rows}


@router.get("/feeds/reports/{report_id}", response_model=ReportDetail, responses=NO_REPORT)
async def report(
    conn: Conn,
    report_id: ReportId,
    limit: Limit = 50,
    rejected_offset: Offset = 0,
    warning_offset: Offset = 0,
) -> dict[str, Any]:
    """One import: its counts, the layout its file was read by and why, and a page of
    its rejected rows and of its warnings (each paged on its own offset)."""
    found = await report_header(conn, report_id)
    rejected = await report_notes(conn, report_id, "rejected", limit=limit, offset=rejected_offset)
    warned = await report_notes(conn, report_id, "warning", limit=limit, offset=warning_offset)
    pages = {
        "rejections": {
            "total": found.pop("stored_rejections"),
            "offset": rejected_offset,
            "limit": limit,
            "items": rejected,
        },
        "warning_list": {
            "total": found.pop("stored_warnings"),
            "offset": warning_offset,
            "limit": limit,
            "items": warned,
        },
    }
    layout = LayoutMapping.model_validate(found["layout"]) if found["layout"] else None
    return found | pages | {"layout": layout}


async def _detail(conn: AsyncConnection[Any], supplier_id: int) -> dict[str, Any]:
    found = await get_supplier(conn, supplier_id)
    profile = await load_profile(conn, found["name"])
    _, recent = await list_reports(conn, supplier_id=supplier_id, limit=RECENT_IMPORTS)
    view = None
    if profile is not None:
        view = profile.model_dump(exclude={"supplier", "pending", "mapping"}) | {
            "mapping": await explain_mapping(conn, profile)
        }
    return found | {
        "profile": view,
        "proposal": profile.pending if profile else None,
        "open_reviews": await _open_reviews(conn, found["name"]),
        "recent_imports": recent,
        "changes": await _edits(conn, supplier_id),
        "fields": list(LAYOUT_FIELDS),
        "required_fields": list(REQUIRED_FIELDS),
        "cost_price_types": list(PIES_COST_TYPES),
    }


def _edit_event(
    supplier: dict[str, Any],
    before: SupplierProfile,
    after: SupplierProfile,
    email: str,
    reason: str,
) -> AgentEvent:
    """A person's profile edit as an agent event: who, why, the profile before and after."""
    shown = {"supplier", "pending"}
    return AgentEvent(
        agent=f"person:{email}",
        decision_type=EDIT,
        outcome="accepted",
        subject_kind="supplier",
        subject_id=str(supplier["id"]),
        input={"before": before.model_dump(exclude=shown), "reason": reason},
        output=after.model_dump(exclude=shown),
        confidence=1.0,
        rationale=reason,
        evidence=[{"kind": "supplier", "ref": supplier["name"]}],
    )


async def _edits(conn: AsyncConnection[Any], supplier_id: int) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_EDITS, {"supplier": str(supplier_id), "type": EDIT})
        rows = await cur.fetchall()
    return [
        {
            "changed_by": r["agent"].removeprefix("person:"),
            "reason": r["rationale"] or "",
            "before": (r["input"] or {}).get("before") or {},
            "after": r["output"] or {},
            "changed_at": r["created_at"],
        }
        for r in rows
    ]


async def _open_reviews(conn: AsyncConnection[Any], supplier: str) -> list[int]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_OPEN_REVIEWS, (supplier,))
        return [int(r["id"]) for r in await cur.fetchall()]
