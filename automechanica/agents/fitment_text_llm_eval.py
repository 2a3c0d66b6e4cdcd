"""`automechanica eval fitment_text_llm`: the rules that check a model's reading of fitment
text, against readings scripted to be right or wrong, on the store's own vehicle base.

For real models of the base (chosen by a fixed hash, `evals/fitment_text_llm/
settings.json` says how many), a fragment is written the way the parser fails on it
(the model's name with one letter dropped, "2014-2016 Toyota Corola", sometimes
with an engine the base has), and once spelled right. Each fragment is then "read"
by scripted answers through the router's offline provider: the right reading, and readings that
invent — another model of the base, another make, years the text does not write,
years the base does not have, an engine the text does not write, an engine the
car never had. Counted: right readings kept (and whether they would be stored
without a person), wrong readings refused, and any invented vehicle kept (must
be 0). This measures the rules, not a language model: with a real model the
question is how often it reads right, which these scripted answers cannot say.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from automechanica.agents.fitment_text_llm import DECISION_TYPE, FitmentTextReader
from automechanica.catalog.fitment_text import parse_fitment_text
from automechanica.catalog.fitment_vocabulary import load_vocabulary
from automechanica.llm import Router, load_catalog
from automechanica.llm.providers import OfflineProvider

THRESHOLD = 0.8  # the fitment.publish policy's seeded threshold

SAMPLE = """
WITH runs AS (  -- the first of three years in a row the base has each model in
    SELECT b.make_id, b.model_id, min(b.year) AS first
    FROM base_vehicles b
    WHERE EXISTS (SELECT 1 FROM base_vehicles n WHERE n.model_id = b.model_id
                  AND n.year = b.year + 1)
      AND EXISTS (SELECT 1 FROM base_vehicles n WHERE n.model_id = b.model_id
                  AND n.year = b.year + 2)
    GROUP BY b.make_id, b.model_id
),
spans AS (
    SELECT r.make_id, r.model_id, r.first, min(b.year) AS earliest
    FROM runs r JOIN base_vehicles b ON b.model_id = r.model_id
    GROUP BY r.make_id, r.model_id, r.first HAVING min(b.year) >= 1990
)
SELECT ma.name AS make, mo.name AS model, s.first, s.earliest,
       (SELECT min(v.engine_liters) FROM vehicles v JOIN base_vehicles b ON b.id = v.base_vehicle_id
        WHERE b.model_id = s.model_id AND b.year BETWEEN s.first AND s.first + 2) AS liters
FROM spans s JOIN makes ma ON ma.id = s.make_id JOIN models mo ON mo.id = s.model_id
WHERE mo.name ~ '^[A-Za-z]{5,}$' AND ma.name ~ '^[A-Za-z -]{3,}$'
ORDER BY md5(ma.name || '/' || mo.name) LIMIT %(n)s
"""


async def eval_fitment_text_llm(folder: Path, ctx: Any) -> dict[str, Any]:
    """The EVAL_SETS entry: needs `ctx.database_url` (the CLI fills it)."""
    url: str | None = getattr(ctx, "database_url", None)
    if url is None:
        return {"available": False, "reason": "needs the store's database: run it from the CLI"}
    settings = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
        cur = await conn.execute(SAMPLE, {"n": int(settings["models"])})
        cars = [dict(r) for r in await cur.fetchall()]
        if len(cars) < 2:
            return {"available": False, "reason": "the vehicle base has too few models"}
        vocabulary = await load_vocabulary(conn)
        script: list[dict[str, Any]] = []
        provider = OfflineProvider(templates={DECISION_TYPE: lambda _: script[0]})
        reader = FitmentTextReader(vocabulary, Router(load_catalog(), {"offline": provider}))
        tally: Counter[str] = Counter()
        invented: list[str] = []
        missed: list[str] = []
        for i, car in enumerate(cars):
            other = cars[(i + 1) % len(cars)]
            for fragment, kind, reading in _cases(car, other):
                tally["parser_resolved"] += bool(
                    parse_fitment_text(fragment, vocabulary).applications
                )
                script[:] = [{"vehicles": [reading], "confidence": 0.95, "reason": kind}]
                decision = await reader.read(conn, fragment)
                kept = bool(decision.output.vehicles)
                tally[f"{kind}:cases"] += 1
                tally[f"{kind}:kept"] += kept
                if kind.startswith("right"):
                    tally[f"{kind}:stored"] += decision.confidence >= THRESHOLD
                    missed += [] if kept else decision.output.refused
                elif kept:
                    invented.append(f"{kind}: {fragment!r} → {reading}")
    return _report(tally, invented, missed, len(cars))


def _cases(car: dict[str, Any], other: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(fragment, kind, scripted reading) for one model of the base."""
    first, early, make, model = car["first"], car["earliest"] - 8, car["make"], car["model"]
    typed = model[:3] + model[4:]
    years = {"year_start": first, "year_end": first + 2}
    text = f"{first}-{first + 2} {make} {typed}"
    right = {**years, "make": make, "model": model}
    cases = [
        (text, "right", right),
        (f"{first}-{first + 2} {make} {model}", "right_exact", right),
        (text, "other_model", {**years, "make": other["make"], "model": other["model"]}),
        (text, "years_not_written", {**right, "year_start": first + 1, "year_end": first + 3}),
        (text, "engine_not_written", {**right, "engine_liters": float(car["liters"] or 2.0)}),
        (
            f"{early}-{early + 1} {make} {typed}",
            "years_not_in_base",
            {**right, "year_start": early, "year_end": early + 1},
        ),
        (f"{text} 9.9L", "engine_not_in_base", {**right, "engine_liters": 9.9}),
    ]
    if other["make"] != make:
        cases.append((text, "other_make", {**years, "make": other["make"], "model": model}))
    if car["liters"] is not None:
        liters = float(car["liters"])
        cases.append((f"{text} {liters:.1f}L", "right", {**right, "engine_liters": liters}))
    return cases


def _report(
    tally: Counter[str], invented: list[str], missed: list[str], models: int
) -> dict[str, Any]:
    kinds = sorted({key.split(":")[0] for key in tally if key.endswith(":cases")})
    by_kind = {kind: f"{tally[f'{kind}:kept']}/{tally[f'{kind}:cases']} kept" for kind in kinds}
    right = tally["right:cases"] + tally["right_exact:cases"]
    wrong = sum(tally[f"{k}:cases"] for k in kinds if not k.startswith("right"))
    refused = wrong - len(invented)
    return {
        "models": models,
        "right_readings": right,
        "right_kept": round((tally["right:kept"] + tally["right_exact:kept"]) / right, 3)
        if right
        else None,
        "stored_without_person": {
            "misspelled": f"{tally['right:stored']}/{tally['right:cases']}",
            "exact": f"{tally['right_exact:stored']}/{tally['right_exact:cases']}",
        },
        "wrong_readings": wrong,
        "wrong_refused": round(refused / wrong, 3) if wrong else None,
        "invented_kept": len(invented),
        "fragments_the_parser_read_anyway": tally["parser_resolved"],
        "by_kind": by_kind,
        "invented": invented[:20],
        "right_refused": missed[:20],
    }
