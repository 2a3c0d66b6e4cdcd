"""Print what the web app's typed client is generated from, as one JSON document:
the API's OpenAPI schema (from the app factory; no server, no database) and the
part-type vocabulary (slug, name, category) that groups part types by system."""

from __future__ import annotations

import json
import sys

from automechanica.api.app import create_app
from automechanica.catalog.vocabulary import PART_TYPES

app = create_app("postgresql://unused/unused")  # the schema only; nothing connects
json.dump(
    {
        "openapi": app.openapi(),
        "part_types": [
            {"slug": t.slug, "name": t.name, "category": t.category, "universal": t.universal}
            for t in PART_TYPES
        ],
    },
    sys.stdout,
)
