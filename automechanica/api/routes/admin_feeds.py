"""A supplier's feed file uploaded from the console: streamed into the uploads folder,
then onboarded by the `supplier_feed_onboarding` workflow, whose timeline (GET
/api/admin/workflows/{id}) the console follows for progress and the import report.

The body is the file's raw bytes (up to the policy's upload limit, 200 MiB by default,
counted as it arrives); it is written to a temporary name and renamed only when
whole, so a broken upload leaves nothing the workflow could half-read.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel

from automechanica.api.access import OperatorAccess, OperatorRoute
from automechanica.api.deps import Conn
from automechanica.errors import InvalidInputError
from automechanica.orchestrator import start_workflow
from automechanica.orchestrator.workflows.onboarding import ONBOARDING

router = APIRouter(prefix="/api/admin/feeds", tags=["console"], route_class=OperatorRoute)
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class Uploaded(BaseModel):
    workflow_id: UUID
    file: str
    bytes: int
    supplier: str


def _file_name(given: str) -> str:
    """The uploaded file's name as stored: its last path part, plain characters only
    (the file's format is read from its content), prefixed so two uploads of
    'prices.csv' never overwrite each other."""
    base = SAFE_NAME.sub("_", Path(given).name).strip("._")[:100] or "upload"
    return f"{secrets.token_hex(4)}-{base}"


@router.post(
    "/upload",
    response_model=Uploaded,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "minLength": 1}}},
        }
    },
)
async def upload(
    request: Request,
    conn: Conn,
    who: OperatorAccess,
    supplier: Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[^\x00]*\S[^\x00]*$")],
    filename: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$")],
) -> Uploaded:
    """Store the file and start its onboarding; the answer names the workflow to follow."""
    folder: Path = request.app.state.upload_dir
    folder.mkdir(parents=True, exist_ok=True)
    name = _file_name(filename)
    partial = folder / f".{name}.part"
    size = 0
    try:
        with partial.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInputError("the request body is empty: send the file's bytes")
        partial.rename(folder / name)
    finally:
        partial.unlink(missing_ok=True)
    supplier = supplier.strip()
    workflow_id = await start_workflow(
        conn, ONBOARDING, {"path": str(folder / name), "supplier": supplier}, started_by=who.email
    )
    return Uploaded(workflow_id=workflow_id, file=name, bytes=size, supplier=supplier)
