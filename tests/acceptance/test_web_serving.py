"""The web shop beside the API: app routes fall back to index.html, the API's paths
are never shadowed, a missing build says how to make one. No database is touched."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from automechanica.api.app import create_app
from automechanica.api.web import WEB_CSP, mount_web


def _app(static: Path) -> FastAPI:
    app = create_app("postgresql://unused/unused")  # not started: no lifespan, no pool
    app.router.routes.pop()  # the shop create_app mounted on the source tree's build
    mount_web(app, static)
    return app


def _build(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><div id=root></div>")
    (tmp_path / "assets" / "index-abc.js").write_text("console.log(1)")
    return tmp_path


def test_app_routes_fall_back_to_index_and_assets_are_cached(tmp_path: Path) -> None:
    client = TestClient(_app(_build(tmp_path)))
    for path in ("/", "/parts/42?vehicle=7", "/garage"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "id=root" in page.text
        assert page.headers["content-security-policy"] == WEB_CSP
        assert page.headers["cache-control"] == "no-cache"
    asset = client.get("/assets/index-abc.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    assert client.get("/assets/missing-123.js").status_code == 404
    assert client.get("/../pyproject.toml").status_code in {200, 404}  # never outside
    assert "[project]" not in client.get("/..%2f..%2fpyproject.toml").text


def test_api_paths_are_never_shadowed(tmp_path: Path) -> None:
    client = TestClient(_app(_build(tmp_path)))
    missing = client.get("/api/no-such-endpoint")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert client.get("/openapi.json").json()["info"]["title"] == "AutoMechanica"
    assert "swagger-ui" in client.get("/docs").text
    assert client.get("/docs/nope").status_code == 404
    assert client.get("/api/health").json()["status"] == "ok"


def test_without_a_build_the_shop_says_how_to_build_it(tmp_path: Path) -> None:
    page = TestClient(_app(tmp_path / "dist")).get("/")
    assert page.status_code == 503
    assert "make web" in page.text
    assert "Node.js 20" in page.text
