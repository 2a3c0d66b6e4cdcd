"""The MCP door: the store's tools for outside AI shopping agents, at /mcp.

Built on the official `mcp` SDK (2.x, docs/mcp.md says why) and served over
Streamable HTTP by the same FastAPI app, stateless: every request stands alone
(the 2026-07-28 protocol's single exchange, and the older initialize handshake
answered per request), so any API process can answer any call and nothing lives
in memory between calls. Outside agents act with a shopper's rights: no login for
the catalog, a checkout session's id as its bearer handle, never an operator's
tool (DESIGN.md §8).

The endpoint is a route of the app itself rather than a mounted sub-application, so
`/mcp` answers without a redirect to `/mcp/`, and the app's lifespan runs the SDK's
session manager (`mcp_lifespan`), which a mounted sub-application's own lifespan
would not.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Annotated, Any
from uuid import UUID

from fastapi import FastAPI
from mcp.server import MCPServer
from mcp.server.caching import CacheHint
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from pydantic import Field
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from automechanica import __version__
from automechanica.api import mcp_checkout as checkout
from automechanica.api import mcp_tools as tools
from automechanica.api.deps import QueryVectors
from automechanica.api.policy import INT32_MAX, INT64_MAX, ApiPolicy
from automechanica.api.ratelimit import TokenBuckets, client_ip
from automechanica.api.routes.shop import CheckoutConfig
from automechanica.commerce.carts import (
    MAX_LINES,
    Address,
    FulfillmentId,
    LineInput,
    Shopper,
    VehicleDescription,
)
from automechanica.commerce.sessions import CheckoutSession
from automechanica.errors import AutoMechanicaError

MCP_PATH = "/mcp"
TOOLS_TTL_MS = 10 * 60 * 1000
INSTRUCTIONS = (
    "AutoMechanica sells auto parts. Find the shopper's vehicle first (resolve_vehicle, "
    "from a VIN or year/make/model; ask the question it returns), then search_catalog "
    "with its vehicle_id, get_product for details and check_fit before buying: a part "
    "that does not fit is the costliest mistake in this trade. Prices are USD."
)

PartId = Annotated[int, Field(ge=1, le=INT64_MAX, description="a part_id from search_catalog")]
VehicleId = Annotated[
    int, Field(ge=1, le=INT32_MAX, description="a vehicle_id from resolve_vehicle")
]
Year = Annotated[int, Field(ge=1886, le=2100)]
Name = Annotated[str, Field(min_length=1, max_length=64)]


def build_server(app: FastAPI) -> MCPServer[Any]:
    """The MCP server with the store's tools; they borrow the app's pool per call."""
    with _root_logging_untouched():
        server: MCPServer[Any] = MCPServer(
            "automechanica",
            title="AutoMechanica auto parts",
            instructions=INSTRUCTIONS,
            version=__version__,
            # The tool list changes only with a deploy: clients may keep it ten minutes
            # instead of listing the tools again before every call they validate.
            cache_hints={
                "tools/list": CacheHint(ttl_ms=TOOLS_TTL_MS, scope="public"),
                "server/discover": CacheHint(ttl_ms=TOOLS_TTL_MS, scope="public"),
            },
        )

    @asynccontextmanager
    async def connection() -> AsyncIterator[AsyncConnection[Any]]:
        pool: AsyncConnectionPool[Any] = app.state.pool
        policy: ApiPolicy = app.state.policy
        try:
            async with pool.connection(timeout=policy.db_timeout_seconds) as conn:
                yield conn
        except AutoMechanicaError as exc:  # the shopper's mistake, said plainly to the agent
            raise ToolError(exc.message) from exc

    @server.tool()
    async def resolve_vehicle(
        vin: Annotated[str | None, Field(max_length=64, description="17-character VIN")] = None,
        year: Year | None = None,
        make: Name | None = None,
        model: Name | None = None,
        submodel: Annotated[str | None, Field(max_length=64, description="trim")] = None,
        engine: Annotated[str | None, Field(max_length=64, description="e.g. '2.0L'")] = None,
    ) -> tools.VehicleResolution:
        """Identify the shopper's vehicle from a VIN, or from year, make and model (plus
        trim or engine when known). Returns the vehicle (with its vehicle_id), or the
        next attribute to ask the shopper for and its choices."""
        async with connection() as conn:
            return await tools.resolve_vehicle(
                conn,
                vin=vin,
                year=year,
                make=make,
                model=model,
                submodel=submodel,
                engine=engine,
            )

    @server.tool()
    async def search_catalog(
        ctx: Context,
        query: Annotated[
            str | None, Field(max_length=200, description="words or a part number")
        ] = None,
        vehicle_id: VehicleId | None = None,
        part_type: Annotated[str | None, Field(max_length=64, description="slug")] = None,
        brand: Name | None = None,
        page: Annotated[int, Field(ge=1, le=100)] = 1,
        per_page: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> tools.SearchResults:
        """Search the catalog by words or part number. With vehicle_id, only parts that
        fit that vehicle (or fit any vehicle) are returned."""
        vector: list[float] | None = None
        vectors: QueryVectors | None = getattr(app.state, "query_vectors", None)
        if query:
            _take_search_token(app, ctx)
            if vectors is not None:
                vector = await vectors.vector(query)
        async with connection() as conn:
            return await tools.search_catalog(
                conn,
                query=query,
                vehicle_id=vehicle_id,
                part_type=part_type,
                brand=brand,
                page=page,
                per_page=per_page,
                vector=vector,
                model=vectors.model if vector is not None and vectors is not None else None,
            )

    @server.tool()
    async def get_product(part_id: PartId) -> tools.Product:
        """A part's title, brand, part number, price, availability, specifications,
        the vehicles it fits (year ranges) and its interchange numbers."""
        async with connection() as conn:
            return await tools.get_product(conn, part_id)

    @server.tool()
    async def lookup_catalog(
        part_ids: Annotated[list[PartId], Field(min_length=1, max_length=20)],
    ) -> tools.Lookup:
        """Several products at once by part_id (UCP's lookup): as get_product, plus the
        ids the catalog does not have."""
        async with connection() as conn:
            return await tools.lookup(conn, part_ids)

    @server.tool()
    async def check_fit(
        part_id: PartId,
        vehicle_id: VehicleId | None = None,
        year: Year | None = None,
        make: Name | None = None,
        model: Name | None = None,
        known: Annotated[
            dict[str, str | float] | None,
            Field(
                description="attributes the shopper knows, by name: "
                + ", ".join(tools.FIT_ATTRIBUTES)
                + " (answer the 'ask' of a previous check here)"
            ),
        ] = None,
    ) -> tools.FitAnswer:
        """Does this part fit this vehicle? Verdict fits / does_not_fit /
        need_more_information (with the question to ask) / universal, with evidence.
        Give vehicle_id, or year, make and model."""
        unknown = sorted(set(known or {}) - set(tools.FIT_ATTRIBUTES))
        if unknown:
            raise ToolError(
                f"known: {', '.join(unknown)} is not a vehicle attribute; "
                f"use {', '.join(tools.FIT_ATTRIBUTES)}."
            )
        async with connection() as conn:
            return await tools.fit_check(
                conn,
                part_id,
                vehicle_id=vehicle_id,
                year=year,
                make=make,
                model=model,
                known=dict(known or {}),
            )

    _checkout_tools(server, app, connection)
    return server


Connect = Callable[[], AbstractAsyncContextManager[AsyncConnection[Any]]]
SessionId = Annotated[UUID, Field(description="checkout_session.id from create_checkout")]
Key = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        description="a new random string (e.g. a UUID) per intended action; resend the "
        "same key only to retry the same request",
    ),
]
Lines = Annotated[list[LineInput], Field(max_length=MAX_LINES)]


def _checkout_tools(server: MCPServer[Any], app: FastAPI, connection: Connect) -> None:
    """Checkout sessions (Agentic Commerce Protocol's shapes) on the store's checkout."""

    def config() -> CheckoutConfig:
        found: CheckoutConfig = app.state.checkout
        return found

    async def shopper(conn: AsyncConnection[Any], ctx: Context) -> Shopper:
        """A guest, or the customer whose access token the agent sent."""
        headers = ctx.headers or {}
        return await checkout.shopper_for(conn, app.state.sessions, headers.get("authorization"))

    @server.tool()
    async def create_checkout(
        ctx: Context,
        idempotency_key: Key,
        lines: Lines,
        vehicle_id: VehicleId | None = None,
        vehicle: VehicleDescription | None = None,
        email: Annotated[str | None, Field(max_length=254)] = None,
        shipping_address: Address | None = None,
        fulfillment_option: FulfillmentId | None = None,
    ) -> checkout.CreatedSession:
        """Start a checkout session with parts (part_id, quantity) and, for fit checks,
        the shopper's vehicle (vehicle_id, or year/make/model as `vehicle`). Returns the
        whole session: line items with fit, totals in cents, shipping options, messages
        saying what is still missing."""
        async with connection() as conn:
            return await checkout.create(
                conn,
                config(),
                await shopper(conn, ctx),
                idempotency_key=idempotency_key,
                lines=lines,
                vehicle_id=vehicle_id,
                vehicle=vehicle,
                email=email,
                shipping_address=shipping_address,
                fulfillment_option=fulfillment_option,
            )

    @server.tool()
    async def get_checkout(ctx: Context, checkout_session_id: SessionId) -> CheckoutSession:
        """The checkout session as it stands."""
        async with connection() as conn:
            return await checkout.get(conn, config(), await shopper(conn, ctx), checkout_session_id)

    @server.tool()
    async def update_checkout(
        ctx: Context,
        checkout_session_id: SessionId,
        lines: Lines | None = None,
        vehicle_id: VehicleId | None = None,
        vehicle: VehicleDescription | None = None,
        email: Annotated[str | None, Field(max_length=254)] = None,
        shipping_address: Address | None = None,
        fulfillment_option: FulfillmentId | None = None,
    ) -> CheckoutSession:
        """Change what is given (lines replace all lines); the rest stays."""
        async with connection() as conn:
            return await checkout.update(
                conn,
                config(),
                await shopper(conn, ctx),
                checkout_session_id,
                lines=lines,
                vehicle_id=vehicle_id,
                vehicle=vehicle,
                email=email,
                shipping_address=shipping_address,
                fulfillment_option=fulfillment_option,
            )

    @server.tool()
    async def complete_checkout(
        ctx: Context,
        checkout_session_id: SessionId,
        idempotency_key: Key,
        acknowledge_fit_warnings: bool = False,
        payment_token: Annotated[
            str | None, Field(max_length=200, pattern=r"^[A-Za-z0-9_\-.]*$")
        ] = None,
    ) -> checkout.CompletionOut:
        """Pay and place the order. Refused (outcome 'refused', with messages) until the
        session is ready; fit warnings must be shown to the shopper and acknowledged.
        This store's payment provider is a test provider: it records, never charges."""
        async with connection() as conn:
            return await checkout.complete(
                conn,
                config(),
                await shopper(conn, ctx),
                checkout_session_id,
                idempotency_key=idempotency_key,
                acknowledge_fit_warnings=acknowledge_fit_warnings,
                payment_token=payment_token,
            )

    @server.tool()
    async def cancel_checkout(ctx: Context, checkout_session_id: SessionId) -> CheckoutSession:
        """Cancel an open checkout session."""
        async with connection() as conn:
            return await checkout.cancel(
                conn, config(), await shopper(conn, ctx), checkout_session_id
            )


@contextmanager
def _root_logging_untouched() -> Iterator[None]:
    """MCPServer() calls logging.basicConfig, which would give the whole process a root
    handler at INFO (the API's logging is uvicorn's and the deployment's to decide);
    with a handler present basicConfig does nothing."""
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)
    try:
        yield
    finally:
        root.removeHandler(guard)


def _take_search_token(app: FastAPI, ctx: Context) -> None:
    """Searches with words share the REST search's per-address budget."""
    request = getattr(ctx.request_context, "request", None)
    if not isinstance(request, Request):
        return
    policy: ApiPolicy = app.state.policy
    buckets: TokenBuckets = app.state.search_buckets
    wait = buckets.take(client_ip(request, policy.trusted_proxies))
    if wait is not None:
        raise ToolError(f"Too many searches from this address; try again in {wait} seconds.")


class McpDoor:
    """The /mcp endpoint: hands each request to the SDK's session manager of the
    current lifespan. The SDK's manager runs once only, and an app's lifespan may run
    again (tests, servers that restart the app), so each lifespan makes a new one."""

    def __init__(self, server: MCPServer[Any], policy: ApiPolicy) -> None:
        self.server = server
        self.policy = policy
        self.sessions: StreamableHTTPSessionManager | None = None

    def new_sessions(self) -> StreamableHTTPSessionManager:
        self.server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            stateless_http=True,
            json_response=True,
            max_request_body_size=self.policy.max_body_bytes,
            # The door is public and answers on the store's own host names, not only on
            # localhost; the edge's CORS (none unless configured) guards browsers instead.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        return self.server.session_manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.sessions is None:
            raise RuntimeError("the MCP door is served only while the app's lifespan runs")
        await self.sessions.handle_request(scope, receive, send)


def mount_mcp(app: FastAPI, policy: ApiPolicy) -> MCPServer[Any]:
    """Serve the MCP server at /mcp on `app`; call before the web shop's catch-all."""
    door = McpDoor(build_server(app), policy)
    app.router.routes.append(Route(MCP_PATH, endpoint=door, methods=["GET", "POST", "DELETE"]))
    app.state.mcp = door
    return door.server


@asynccontextmanager
async def mcp_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Runs a fresh SDK session manager for as long as the app serves."""
    door: McpDoor | None = getattr(app.state, "mcp", None)
    if door is None:
        yield
        return
    sessions = door.new_sessions()
    async with sessions.run():
        door.sessions = sessions
        try:
            yield
        finally:
            door.sessions = None
