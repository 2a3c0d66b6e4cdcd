"""The web shop: the built single-page app (web/dist), served beside the API.

Files of the build are served as they are (hashed assets cached for a year,
index.html never cached); any other GET path is a route of the app and gets
index.html, so a shared link like /parts/42?vehicle=7 opens. Paths the API owns
(/api/*, /docs, /openapi.json) are never answered with the app: an unknown one
is the API's 404. With no build yet, every app path says how to make one.

The app needs nothing but this server: no inline script, no CDN, no external
font. Its pages carry their own Content-Security-Policy saying so (the request
edge keeps a policy a response already set).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException

from automechanica.api.seo_head import IndexPage, crawlable_page

#: Where `make web` (and `make up`) builds the app: web/dist in the source tree.
WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
#: The app's own scripts, styles, images and API calls, from this server only.
WEB_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)
#: Paths the API owns; the app never shadows them.
API_PREFIXES = ("/api/", "/docs/")
API_PATHS = frozenset({"/api", "/docs", "/openapi.json", "/redoc"})

NOT_BUILT = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>AutoMechanica: the web shop is not built</title></head>
<body>
<h1>The web shop is not built yet</h1>
<p>The API is running (<a href="/docs">API docs</a>). To build the shop, install
Node.js 20 or newer with npm, then run <code>make web</code> (or <code>make up</code>,
which builds it when it is missing or stale) from the project folder, and reload.</p>
</body>
</html>
"""


def mount_web(app: FastAPI, static_dir: Path = WEB_DIST) -> None:
    """Serve the app built in `static_dir` at every GET path the API does not own.
    Call it after every API route is included: it is the last route."""
    root = static_dir.resolve()
    index_page = IndexPage(root / "index.html")  # product and landing pages' heads (seo_head)

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def web_app(path: str, request: Request) -> Response:
        url_path = request.url.path
        if url_path in API_PATHS or url_path.startswith(API_PREFIXES):
            raise HTTPException(404, "Not Found")
        headers = {"Content-Security-Policy": WEB_CSP}
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers=headers)
        if path:
            wanted = (root / path).resolve()
            if wanted.is_relative_to(root) and wanted.is_file() and wanted != index:
                cache = (
                    "public, max-age=31536000, immutable"
                    if wanted.parent == root / "assets"
                    else "no-cache"
                )
                return FileResponse(wanted, headers=headers | {"Cache-Control": cache})
            if Path(path).suffix and not path.endswith(".html"):
                raise HTTPException(404, "Not Found")  # a missing file, not a page
        page = await crawlable_page(request, index_page, headers | {"Cache-Control": "no-cache"})
        if page is not None:
            return page
        return FileResponse(index, headers=headers | {"Cache-Control": "no-cache"})
