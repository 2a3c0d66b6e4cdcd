"""The product feed, streamed: what a shopping surface or Merchant Center fetches.

Public, like the catalog it comes from. Rows are streamed in batches from one
pooled connection held for the length of the response (catalog/product_feed.py);
links point at the address the feed was fetched from.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from psycopg_pool import AsyncConnectionPool

from automechanica.api.policy import ApiPolicy
from automechanica.catalog.product_feed import FeedFormat, FeedOptions, feed_chunks
from automechanica.orchestrator.policies import get_policy

router = APIRouter(prefix="/api/feeds", tags=["feeds"])

MEDIA_TYPES: dict[FeedFormat, str] = {
    "jsonl": "application/jsonl; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


def _stream(request: Request, form: FeedFormat) -> StreamingResponse:
    pool: AsyncConnectionPool[Any] = request.app.state.pool
    policy: ApiPolicy = request.app.state.policy
    base_url = str(request.base_url)

    async def chunks() -> AsyncIterator[str]:
        async with pool.connection(timeout=policy.db_timeout_seconds) as conn:
            threshold = (await get_policy(conn, "fitment.publish")).threshold
            options = FeedOptions(base_url=base_url, min_fitment_confidence=threshold)
            async for chunk in feed_chunks(conn, options, form):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type=MEDIA_TYPES[form],
        headers={"Content-Disposition": f'inline; filename="products.{form}"'},
    )


@router.get(
    "/products.jsonl",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/jsonl": {}}, "description": "one product a line"}},
)
async def products_jsonl(request: Request) -> StreamingResponse:
    """Every priced, active part as a JSON line (Merchant Center attribute names; the
    vehicles it fits, at published confidence, in `custom_attributes`)."""
    return _stream(request, "jsonl")


@router.get(
    "/products.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "a header, then a product a row"}},
)
async def products_csv(request: Request) -> StreamingResponse:
    """The same feed as CSV; compatible vehicles joined by '; '."""
    return _stream(request, "csv")
