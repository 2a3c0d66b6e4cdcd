"""The store's own policies (returns, shipping, core charges, warranty, fitment guarantee)
as documents in vector memory, so support answers policy questions from them.

    reports = await load_store_policies(conn)

Each Markdown file under `data/store_policies/` is ingested as a store-wide document
(no supplier): chunked, stored, and its chunks queued for embedding by the trigger of
migration 0002; the embedding worker makes them searchable. Loading twice adds
nothing (documents are unique by content hash), and an edited file is a new document.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection

from automechanica.memory.documents import IngestReport, ingest


def policy_folder() -> Path:
    return Path(str(resources.files("automechanica.commerce") / "data" / "store_policies"))


def policy_files(folder: Path | None = None) -> list[Path]:
    return sorted((folder or policy_folder()).glob("*.md"))


async def load_store_policies(
    conn: AsyncConnection[Any], folder: Path | None = None
) -> list[IngestReport]:
    """Ingest every policy document of `folder` (the shipped ones by default)."""
    return [await ingest(conn, path, supplier=None) for path in policy_files(folder)]
