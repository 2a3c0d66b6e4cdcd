"""The shopper-search eval: labeled queries searched on the demo catalog, precision@10.

`evals/search/*.csv` rows are a query, the part type(s) meant (slugs, `|` between)
and, when the query names one, the vehicle (year, make, model, engine liters). A
result is relevant when it is of a meant type and — when a vehicle is labeled — fits
it (a published fitment matching one of its configurations) or is universal.

precision@10 of a query = relevant results in the first 10 / min(10, relevant parts
in the catalog): a query whose catalog holds two fitting parts scores 1 when both
come first. A query with no relevant part in the catalog cannot be scored; it is
counted (`no_relevant`), never averaged. `empty` counts queries answered with no
results at all (every labeled query's meaning is clear, so the target is 0).

The eval builds its own database next to the store's (`<name>_search_eval`): the
demo catalog (`catalog.demo`), loaded once and kept; with an embedder, the part
vectors too, and the set runs twice — words only, then words and vectors — since
results must be no worse with vectors than without.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from automechanica.catalog.demo import demo_loaded, load_demo_store
from automechanica.catalog.search_words import load_search_words
from automechanica.catalog.shopper_search import Embed, ShopperQuery, shopper_search
from automechanica.db import migrate
from automechanica.db.embedded import ensure_database
from automechanica.memory import Embedder, EmbeddingWorker, PgVectorStore, embed_async

K = 10
EVAL_DATABASE_SUFFIX = "_search_eval"

#: The relevant parts of a labeled row: of a meant type, and fitting the labeled
#: vehicle (one of its configurations, narrowed by the labeled engine) or universal.
RELEVANT = """
SELECT p.id FROM parts p JOIN part_types t ON t.id = p.part_type_id
WHERE p.status = 'active' AND t.slug = ANY(%(types)s)
  AND (%(make)s::text IS NULL OR p.fit_class = 'universal' OR p.id IN (
    SELECT f.part_id FROM fitments f
    JOIN vehicles v ON v.base_vehicle_id = f.base_vehicle_id
    JOIN base_vehicles bv ON bv.id = v.base_vehicle_id
    JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
    WHERE f.status = 'published' AND ma.name = %(make)s AND mo.name = %(model)s
      AND (%(year)s::int IS NULL OR bv.year = %(year)s::int)
      AND (%(liters)s::numeric IS NULL OR v.engine_liters = %(liters)s::numeric)
      AND (f.submodel IS NULL OR f.submodel = v.submodel)
      AND (f.engine_liters IS NULL OR f.engine_liters = v.engine_liters)
      AND (f.engine_cylinders IS NULL OR f.engine_cylinders = v.engine_cylinders)
      AND (f.engine_code IS NULL OR f.engine_code = v.engine_code)
      AND (f.fuel IS NULL OR f.fuel = v.fuel)
      AND (f.aspiration IS NULL OR f.aspiration = v.aspiration)
      AND (f.drive IS NULL OR f.drive = v.drive)
      AND (f.body IS NULL OR f.body = v.body)
      AND (f.transmission IS NULL OR f.transmission = v.transmission)))
"""
COUNTS = """
SELECT (SELECT count(*) FROM parts) AS parts,
       (SELECT count(*) FROM part_embeddings WHERE model = %(model)s) AS vectors
"""


@dataclass(frozen=True, slots=True)
class LabeledQuery:
    query: str
    part_types: tuple[str, ...]
    year: int | None = None
    make: str | None = None
    model: str | None = None
    liters: str | None = None

    @classmethod
    def of(cls, row: dict[str, str]) -> LabeledQuery:
        def cell(name: str) -> str | None:
            return (row.get(name) or "").strip() or None

        year = cell("year")
        return cls(
            row["query"],
            tuple(s.strip() for s in row["part_type"].split("|") if s.strip()),
            int(year) if year else None,
            cell("make"),
            cell("model"),
            cell("engine"),
        )


@dataclass(slots=True)
class SearchTally:
    rows: int = 0
    scored: int = 0
    precision_sum: float = 0.0
    empty: int = 0
    no_relevant: int = 0
    type_right: int = 0
    vehicles: int = 0
    vehicle_right: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "mean_precision_at_10": round(self.precision_sum / self.scored, 4)
            if self.scored
            else None,
            "empty": self.empty,
            "no_relevant": self.no_relevant,
            "type_read_right": _ratio(self.type_right, self.rows),
            "vehicle_read_right": _ratio(self.vehicle_right, self.vehicles),
        }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def read_labeled(path: Path) -> list[LabeledQuery]:
    with path.open(newline="", encoding="utf-8") as f:
        return [LabeledQuery.of(r) for r in csv.DictReader(f) if (r.get("query") or "").strip()]


async def evaluate_file(
    conn: AsyncConnection[Any],
    rows: Sequence[LabeledQuery],
    *,
    embed: Embed | None = None,
    model: str | None = None,
    show_errors: int = 20,
) -> SearchTally:
    """Search every labeled query as the API does and score the first page of 10."""
    words = await load_search_words(conn)
    tally = SearchTally()
    for row in rows:
        page = await _search(conn, row.query, words, embed, model)
        relevant = await _relevant(conn, row)
        got = [item["id"] for item in page["items"][:K]]
        understood = page.get("understood") or {}
        read_types = [t["slug"] for t in understood.get("part_types", [])]
        vehicle = understood.get("vehicle") or {}
        tally.rows += 1
        tally.empty += page["total"] == 0
        tally.type_right += bool(read_types) and read_types[0] in row.part_types
        if row.make:
            tally.vehicles += 1
            tally.vehicle_right += (
                vehicle.get("make"),
                vehicle.get("model"),
                vehicle.get("year"),
            ) == (row.make, row.model, row.year)
        if not relevant:
            tally.no_relevant += 1
            continue
        precision = sum(1 for i in got if i in relevant) / min(K, len(relevant))
        tally.scored += 1
        tally.precision_sum += precision
        if precision < 1 and len(tally.errors) < show_errors:
            tally.errors.append(
                {
                    "query": row.query,
                    "precision_at_10": round(precision, 3),
                    "relevant_in_catalog": len(relevant),
                    "read_types": read_types,
                    "read_vehicle": vehicle.get("label"),
                    "relaxed": understood.get("relaxed"),
                    "first": [i["part_type_slug"] for i in page["items"][:3]],
                }
            )
    return tally


async def _search(
    conn: AsyncConnection[Any], q: str, words: Any, embed: Embed | None, model: str | None
) -> dict[str, Any]:
    text = await shopper_search(
        conn, ShopperQuery(q=q, per_page=K), words.words, words.vocabulary, embed=embed, model=model
    )
    page: dict[str, Any] = json.loads(text)
    return page


async def _relevant(conn: AsyncConnection[Any], row: LabeledQuery) -> set[int]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            RELEVANT,
            {
                "types": list(row.part_types),
                "make": row.make,
                "model": row.model,
                "year": row.year,
                "liters": row.liters,
            },
        )
        return {r["id"] for r in await cur.fetchall()}


async def evaluate_folder(
    conn: AsyncConnection[Any],
    folder: Path,
    *,
    embed: Embed | None = None,
    model: str | None = None,
    show_errors: int = 20,
) -> dict[str, Any]:
    """Each CSV file of the set reported on its own (dev, holdout)."""
    files: dict[str, Any] = {}
    for path in sorted(folder.glob("*.csv")):
        tally = await evaluate_file(
            conn, read_labeled(path), embed=embed, model=model, show_errors=show_errors
        )
        files[path.stem] = {**tally.metrics(), "errors": tally.errors}
    return files


# --- the eval's own database -----------------------------------------------------------


def eval_database_url(store_url: str) -> str:
    """A database beside the store's, created and migrated here, for the demo catalog."""
    params = conninfo_to_dict(store_url)
    name = f"{params.get('dbname') or 'automechanica'}{EVAL_DATABASE_SUFFIX}"
    ensure_database(_sibling(store_url, "postgres"), name)
    url = _sibling(store_url, name)
    migrate.migrate(url)
    return url


def _sibling(url: str, dbname: str) -> str:
    """The URL of another database on the same server (URLs stay URLs: alembic needs one)."""
    if "://" not in url:
        return make_conninfo(url, dbname=dbname)
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


Say = Callable[[str], None]


async def prepare_catalog(url: str, embedder: Embedder | None, say: Say) -> dict[str, Any]:
    """Load the demo catalog once; with an embedder, build its part vectors once."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        if not await demo_loaded(conn):
            say("search eval: loading the demo catalog into its own database…")
            with tempfile.TemporaryDirectory() as feeds:
                await load_demo_store(conn, Path(feeds), say=lambda _: None)
            await conn.commit()
    if embedder is not None:
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url, min_size=1, max_size=2, open=False
        )
        async with pool:
            say("search eval: embedding parts that have no vector yet (once)…")
            await EmbeddingWorker(pool, embedder, PgVectorStore(pool)).drain()
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
        cur = await conn.execute(COUNTS, {"model": embedder.model if embedder else ""})
        counts: dict[str, Any] = dict(await cur.fetchone() or {})
    return counts


def query_embedder(embedder: Embedder) -> Embed:
    """Embeds a query's words (cached), the way the API's QueryVectors does."""
    cache: dict[str, Sequence[float]] = {}

    async def embed(text: str) -> Sequence[float] | None:
        key = " ".join(text.lower().split())
        if key not in cache:
            (row,) = await embed_async(embedder, [key])
            cache[key] = row.tolist()
        return cache[key]

    return embed


async def run_search_eval(
    folder: Path,
    store_url: str,
    embedder: Embedder | None,
    *,
    show_errors: int = 20,
    say: Say = print,
) -> dict[str, Any]:
    """The whole eval: its database, the catalog (and vectors), words only and with vectors."""
    url = eval_database_url(store_url)
    counts = await prepare_catalog(url, embedder, say)
    report: dict[str, Any] = {"catalog": {"database": conninfo_to_dict(url)["dbname"], **counts}}
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        report["words"] = await evaluate_folder(conn, folder, show_errors=show_errors)
        if embedder is not None and counts.get("vectors"):
            report["words+vectors"] = await evaluate_folder(
                conn,
                folder,
                embed=query_embedder(embedder),
                model=embedder.model,
                show_errors=show_errors,
            )
    return report


async def eval_search(folder: Path, ctx: Any) -> dict[str, Any]:
    """The EVAL_SETS entry: needs `ctx.database_url` (the CLI fills it)."""
    url: str | None = getattr(ctx, "database_url", None)
    if url is None:
        return {
            "available": False,
            "reason": "the search eval needs a database server: run `automechanica eval search`",
        }
    return await run_search_eval(
        folder,
        url,
        getattr(ctx, "embedder", None),
        show_errors=getattr(ctx, "show_errors", 20),
        say=_to_stderr,  # stdout may be the --json report
    )


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)
