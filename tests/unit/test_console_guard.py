"""A console router added without its access check stops the app at start-up."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI

from automechanica.api.access import OperatorRoute, refuse_unguarded_console


async def _stats() -> dict[str, int]:
    return {"tasks": 0}


def _app(router: APIRouter) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    return app


def test_a_console_router_without_a_role_is_refused() -> None:
    router = APIRouter(prefix="/api/admin/new")
    router.add_api_route("/stats", _stats)
    with pytest.raises(RuntimeError, match=r"/api/admin/new/stats .* without an access check"):
        refuse_unguarded_console(_app(router))


def test_a_console_router_nested_in_another_is_walked() -> None:
    inner = APIRouter(prefix="/api/admin/inner")
    inner.add_api_route("/stats", _stats)
    outer = APIRouter()
    outer.include_router(inner)
    with pytest.raises(RuntimeError, match="/api/admin/inner/stats"):
        refuse_unguarded_console(_app(outer))


def test_guarded_console_routes_and_public_routes_pass() -> None:
    console = APIRouter(prefix="/api/admin/new", route_class=OperatorRoute)
    console.add_api_route("/stats", _stats)
    public = APIRouter(prefix="/api/parts")
    public.add_api_route("", _stats)
    app = _app(console)
    app.include_router(public)
    refuse_unguarded_console(app)
