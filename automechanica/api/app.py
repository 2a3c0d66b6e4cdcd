"""The FastAPI application factory: one pool, the routers, errors as HTTP statuses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from automechanica import __version__
from automechanica.accounts import (
    PasswordHasher,
    SessionListener,
    SessionPolicy,
    Sessions,
    TokenSigner,
)
from automechanica.accounts.tokens import new_secret
from automechanica.api.access import refuse_unguarded_console
from automechanica.api.deps import QueryVectors
from automechanica.api.edge import protect
from automechanica.api.mcp import mcp_lifespan, mount_mcp
from automechanica.api.policy import ApiPolicy
from automechanica.api.routes import (
    admin_analytics,
    admin_catalog,
    admin_events,
    admin_feeds,
    admin_fitment,
    admin_llm,
    admin_orders,
    admin_pricing,
    admin_queue,
    admin_suppliers,
    admin_users,
    admin_workflows,
    auth,
    feeds,
    garage,
    health,
    orders,
    parts,
    returns,
    seo,
    shop,
    support,
    vehicles,
    well_known,
)
from automechanica.api.routes.shop import CheckoutConfig
from automechanica.api.seo_head import SeoConfig
from automechanica.api.warmup import connection_warmer, warm_app
from automechanica.api.web import WEB_DIST, mount_web
from automechanica.config import Settings
from automechanica.db.connection import open_pool
from automechanica.errors import (
    ConfigurationError,
)
from automechanica.llm import Router, build_router
from automechanica.memory import Embedder
from automechanica.memory.configure import embedder_from_settings


def create_app(
    database_url: str,
    *,
    pool_min_size: int = 2,
    pool_max_size: int = 10,
    embedder: Embedder | None = None,
    secret_key: str | None = None,
    session_policy: SessionPolicy | None = None,
    access_token_minutes: int = 15,
    policy: ApiPolicy | None = None,
    tax_rate: Decimal = Decimal("0.0825"),
    llm: Callable[[AsyncConnectionPool[Any]], Router] | None = None,
    seo_config: SeoConfig | None = None,
    upload_dir: Path | None = None,
    warm: bool = False,
) -> FastAPI:
    """The API for the database at `database_url` (already migrated). With `embedder`,
    part search is hybrid (text + vectors of that model); without, text only. Access
    tokens are signed with `secret_key`; without one, a random key valid only in this
    process (tests; every real deployment sets AUTOMECHANICA_SECRET_KEY). Checkout
    estimates tax at `tax_rate` and pays through the test provider (never charges).
    `llm` builds the LLM router on the app's pool (support chat's wording); without
    it, support answers in fixed wording. With `warm`, startup does what the first
    shoppers would otherwise wait for (api/warmup.py)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await open_pool(
            database_url,
            min_size=pool_min_size,
            max_size=pool_max_size,
            configure=connection_warmer(embedder) if warm else None,
        )
        if warm:
            await warm_app(app, embedder)
        app.state.llm_router = llm(app.state.pool) if llm is not None else None
        # Hears session revocations; until it does, access checks read the database.
        app.state.session_listener = SessionListener(database_url, app.state.sessions.active)
        await app.state.session_listener.start()
        try:
            async with mcp_lifespan(app):  # the MCP door's session manager (api/mcp.py)
                yield
        finally:
            await app.state.session_listener.stop()
            if app.state.llm_router is not None:
                await app.state.llm_router.aclose()
            await app.state.pool.close()

    app = FastAPI(
        title="AutoMechanica",
        version=__version__,
        description="Auto-parts store API: vehicles, VINs, part search, fitment with evidence.",
        lifespan=lifespan,
        docs_url=None,  # served by api.docs, without a CDN
        redoc_url=None,
    )
    app.state.query_vectors = QueryVectors(embedder) if embedder is not None else None
    protect(app, policy or ApiPolicy())  # errors as problems, limits, headers (api/edge.py)
    signer = TokenSigner(
        secret_key or new_secret(), lifetime=timedelta(minutes=access_token_minutes)
    )
    app.state.sessions = Sessions(signer, PasswordHasher(), policy=session_policy)
    app.state.checkout = CheckoutConfig.default(tax_rate)
    app.state.seo = seo_config or SeoConfig()  # canonical links' base, sitemap page size
    # The only folder a workflow started over the API may read files from (feeds).
    app.state.upload_dir = upload_dir or Settings().data_dir / "uploads"

    for module in (health, vehicles, parts, auth, feeds, well_known):
        app.include_router(module.router)
    for module in (shop, orders, garage):  # shop: guests too; orders, garage: signed in
        app.include_router(module.router)
    # Console routers declare their role as their route class (api/access.py).
    console = (
        admin_queue.router,
        admin_users.router,
        admin_workflows.router,
        admin_catalog.router,
        admin_fitment.router,
        admin_feeds.router,
        admin_suppliers.router,
        admin_llm.router,
        admin_analytics.router,
        admin_events.router,
        admin_orders.router,
        admin_pricing.router,
        support.admin,
    )
    for router in console:
        app.include_router(router)
    app.include_router(returns.router)  # a customer's own lines; a guest's by number + email
    app.include_router(support.router)  # a session's owner, checked per session
    app.include_router(seo.router)  # landing content, robots.txt, sitemap (before the shop)
    mount_mcp(app, app.state.policy)  # /mcp for outside AI agents, a shopper's rights
    mount_web(app, WEB_DIST)  # the web shop at every GET path the API does not own; last
    refuse_unguarded_console(app)
    return app


def create_app_from_settings() -> FastAPI:
    """Factory for `uvicorn --factory`: the database comes from AUTOMECHANICA_DATABASE_URL."""
    settings = Settings()
    if not settings.database_url:
        raise ConfigurationError(
            "AUTOMECHANICA_DATABASE_URL is not set; start the store with `automechanica up`, "
            "which provides the embedded database."
        )
    return create_app(
        settings.database_url,
        pool_min_size=settings.pool_min_size,
        pool_max_size=settings.pool_max_size,
        embedder=embedder_from_settings(settings),  # loads on the first query
        secret_key=_secret_key(settings),
        session_policy=SessionPolicy(session_lifetime=timedelta(days=settings.session_days)),
        access_token_minutes=settings.access_token_minutes,
        policy=ApiPolicy.from_settings(settings),
        tax_rate=settings.tax_rate,
        llm=lambda pool: build_router(settings, pool=pool),
        seo_config=SeoConfig(public_url=settings.public_url),
        upload_dir=settings.data_dir / "uploads",
        warm=True,
    )


def _secret_key(settings: Settings) -> str:
    if settings.secret_key is None:
        raise ConfigurationError(
            "AUTOMECHANICA_SECRET_KEY is not set; every API process needs the same random "
            "key (`automechanica up` makes one for a single machine)."
        )
    return settings.secret_key.get_secret_value()
