"""The onboarding's `fitment_text` step: fitment text the parser could not read, read by
the LLM router and checked by rules (`agents.fitment_text_llm`), then stored or held.

The import reports each fragment the parser could not name as a warning
("fitment text not understood: 14-16 Toyta Corola: no make or model"), with the
row it came from. Here each distinct fragment (up to MAX_FRAGMENTS a run) is read
once; the parts of its rows are found by their offers' raw fields. Text of the same
supplier decided before is not read again: a reading stored or approved then is
stored for the new parts, one rejected or still waiting is left alone. A reading at or
above the `fitment.publish` threshold is stored as fitment rows (source
`text_reading:<supplier>`); anything less — and every fragment no model could
read — is an item review `fitment.text_reading` with the fragment, the reading
and its evidence: approving (or editing) it stores the rows, rejecting stores
nothing. The rest of the run goes on meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import ValidationError

from automechanica.agents.base import Decision
from automechanica.agents.fitment_text_llm import (
    AGENT,
    DECISION_TYPE,
    FitmentReading,
    FitmentTextReader,
)
from automechanica.catalog.fitment_vocabulary import load_vocabulary
from automechanica.errors import InvalidInputError
from automechanica.orchestrator.decisions import settle_decision
from automechanica.orchestrator.definitions import StepContext
from automechanica.orchestrator.events import AgentEvent, record_event
from automechanica.orchestrator.policies import get_policy
from automechanica.orchestrator.reviews import Review

PREFIX = "fitment text not understood: "
#: Fragments read per run (each may be a model call); the rest are counted, not read.
MAX_FRAGMENTS = 25
#: Rows of one fragment whose parts are looked up (one statement each).
MAX_ROWS = 200
#: What a reading a person approved is worth (the reading's own is below the threshold).
PERSON_APPROVED = 0.9

SELECT_WARNINGS = """
SELECT reason, raw FROM import_rejections
WHERE report_id = %(report)s AND severity = 'warning'
  AND reason LIKE 'fitment text not understood: %%'
ORDER BY id
"""
PARTS_OF_ROW = """
SELECT DISTINCT o.part_id FROM supplier_parts o JOIN suppliers s ON s.id = o.supplier_id
WHERE s.name = %(supplier)s AND o.raw @> %(raw)s
"""
NAMED_BASE = """
SELECT bv.id, bv.year, ma.name AS make, mo.name AS model FROM base_vehicles bv
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
WHERE bv.id = ANY(%(ids)s)
"""
# The latest decision on the same text of the same supplier, and its review if any
# (served by agent_events_subject).
EARLIER = """
SELECT e.id, e.outcome, e.output, e.confidence, r.id AS review_id, r.status, r.resolution
FROM agent_events e LEFT JOIN reviews r ON r.event_id = e.id
WHERE e.subject_kind = 'supplier' AND e.subject_id = %(supplier)s
  AND e.decision_type = 'fitment.text_reading' AND e.input ->> 'fragment' = %(fragment)s
ORDER BY e.id DESC LIMIT 1
"""
INSERT_ROWS = """
INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, submodel, engine_liters, position,
                      qualifiers, source, supplier_id, confidence, status, explanation)
SELECT p.id, p.part_type_id, bv.id, %(submodel)s, %(liters)s, %(position)s, %(qualifiers)s,
       %(source)s, s.id, %(confidence)s, 'published', %(explanation)s
FROM parts p
CROSS JOIN base_vehicles bv
LEFT JOIN suppliers s ON s.name = %(supplier)s
WHERE p.id = ANY(%(parts)s) AND p.part_type_id IS NOT NULL AND bv.id = ANY(%(bases)s)
ON CONFLICT ON CONSTRAINT fitments_application DO NOTHING
"""


async def read_unresolved_fitment(ctx: StepContext) -> dict[str, Any]:
    """Read this run's unresolved fragments; returns what was stored, held and left."""
    imported = ctx.results.get("import") or {}
    report_id = imported.get("report_id")
    supplier = str(ctx.input["supplier"]).strip().lower()
    counts = dict.fromkeys(
        (
            "fragments",
            "readings_stored",
            "readings_held",
            "readings_reused",
            "fragments_decided_before",
            "fragments_unread",
        ),
        0,
    )
    if report_id is None:
        return counts
    fragments = await unresolved_fragments(ctx.conn, int(report_id))
    counts["fragments"] = len(fragments)
    counts["fragments_unread"] = max(0, len(fragments) - MAX_FRAGMENTS)
    if not fragments:
        return counts
    router = getattr(ctx.services, "router", None)
    reader = FitmentTextReader(await load_vocabulary(ctx.conn), router)
    policy = await get_policy(ctx.conn, "fitment.publish")
    for fragment, raws in list(fragments.items())[:MAX_FRAGMENTS]:
        parts = await parts_of_rows(ctx.conn, supplier, raws)
        earlier = await _earlier(ctx.conn, supplier, fragment)
        if earlier is not None:
            reused = await _reuse(ctx, supplier, fragment, parts, earlier)
            counts["readings_reused" if reused else "fragments_decided_before"] += 1
            continue
        decision = await reader.read(ctx.conn, fragment)
        output = decision.output.model_dump(mode="json") | {
            "part_ids": parts,
            "supplier": supplier,
        }
        settled = Decision[dict[str, Any]](
            decision_type=DECISION_TYPE,
            output=output,
            confidence=decision.confidence if parts else 0.0,
            rationale=decision.rationale
            + ("" if parts else " No stored offer was found for its rows."),
            evidence=decision.evidence,
            model=decision.model,
        )

        async def store(
            conn: AsyncConnection[Any], value: Any, sure: float = settled.confidence
        ) -> None:
            await store_reading(conn, value, confidence=sure, by="the Fitment agent")

        outcome = await settle_decision(
            ctx,
            AGENT,
            settled,
            apply=store,
            policy=policy,
            subject=("supplier", supplier),
            input_summary={"fragment": fragment, "rows": len(raws), "parts": parts[:20]},
        )
        counts["readings_stored" if outcome == "accepted" else "readings_held"] += 1
    return counts


async def _earlier(
    conn: AsyncConnection[Any], supplier: str, fragment: str
) -> dict[str, Any] | None:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(EARLIER, {"supplier": supplier, "fragment": fragment})
        return await cur.fetchone()


async def _reuse(
    ctx: StepContext, supplier: str, fragment: str, parts: list[int], earlier: dict[str, Any]
) -> bool:
    """The same text was decided before: a reading stored or approved then is stored for
    these parts too (no model call, no second review); one rejected or still waiting is
    left alone. Returns whether anything was stored."""
    status = earlier["status"]
    if status in ("approved", "edited"):
        value, sure = (earlier["resolution"] or {}).get("value"), PERSON_APPROVED
        why = f"as a person decided in review {earlier['review_id']}"
    elif status is None and earlier["outcome"] == "accepted":
        value, sure = earlier["output"], float(earlier["confidence"] or 0)
        why = f"as the Fitment agent stored it (event {earlier['id']})"
    else:
        return False
    if not isinstance(value, dict) or not parts:
        return False
    value = value | {"part_ids": parts, "supplier": supplier}
    await store_reading(ctx.conn, value, confidence=sure, by="an earlier decision")
    await record_event(
        ctx.conn,
        AgentEvent(
            agent=AGENT,
            decision_type=DECISION_TYPE,
            outcome="accepted",
            workflow_id=ctx.workflow_id,
            task_id=ctx.task_id,
            step_key=ctx.step_key,
            subject_kind="supplier",
            subject_id=supplier,
            input={"fragment": fragment, "parts": parts[:20]},
            output=value,
            confidence=sure,
            rationale=f"{fragment!r} was read before: stored for {len(parts)} more part(s) {why}.",
        ),
    )
    return True


async def unresolved_fragments(
    conn: AsyncConnection[Any], report_id: int
) -> dict[str, list[dict[str, str]]]:
    """Each distinct fragment the import could not read, with the raw rows it came from."""
    found: dict[str, list[dict[str, str]]] = defaultdict(list)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_WARNINGS, {"report": report_id})
        for row in await cur.fetchall():
            fragment = row["reason"].removeprefix(PREFIX).rpartition(": ")[0].strip()
            if fragment and len(found[fragment]) < MAX_ROWS:
                found[fragment].append(_raw_fields(row["raw"] or ""))
    return dict(found)


async def parts_of_rows(
    conn: AsyncConnection[Any], supplier: str, raws: list[dict[str, str]]
) -> list[int]:
    """The canonical parts of the offers those rows stored (matched on their raw fields)."""
    parts: set[int] = set()
    async with conn.cursor(row_factory=dict_row) as cur:
        for raw in raws:
            if not raw:
                continue
            await cur.execute(PARTS_OF_ROW, {"supplier": supplier, "raw": Jsonb(raw)})
            parts.update(int(r["part_id"]) for r in await cur.fetchall())
    return sorted(parts)


def _raw_fields(raw: str) -> dict[str, str]:
    """The report's 'k=v | k=v' back to fields; the last one may be cut short (500 chars),
    so it is left out of the match."""
    pairs = [p.partition("=") for p in raw.split(" | ")]
    fields = {k: v for k, sep, v in pairs if sep and k}
    if len(raw) >= 500 and pairs:
        fields.pop(pairs[-1][0], None)
    return fields


async def store_reading(
    conn: AsyncConnection[Any], value: Any, *, confidence: float, by: str
) -> int:
    """Store a reading's vehicles as fitment rows of its parts; returns rows added."""
    try:
        reading = FitmentReading.model_validate(value)
        parts = [int(p) for p in value.get("part_ids", [])]
        supplier = str(value.get("supplier") or "")
    except (ValidationError, AttributeError, TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"A fitment text reading needs its fragment, vehicles, part_ids and supplier: {exc}"
        ) from None
    await _check_named(conn, reading)
    added = 0
    for vehicle in reading.vehicles:
        explanation = (
            f"Read from the supplier's text {reading.fragment!r} by the LLM router, checked "
            f"against the vehicle base; stored by {by}."
        )
        cur = await conn.execute(
            INSERT_ROWS,
            {
                "submodel": vehicle.submodel,
                "liters": vehicle.engine_liters,
                "position": vehicle.position,
                "qualifiers": Jsonb([{"text": q, "verify": True} for q in vehicle.qualifiers]),
                "source": f"text_reading:{supplier}",
                "confidence": confidence,
                "explanation": explanation,
                "supplier": supplier,
                "parts": parts,
                "bases": vehicle.base_vehicle_ids,
            },
        )
        added += max(cur.rowcount, 0)
    return added


async def _check_named(conn: AsyncConnection[Any], reading: FitmentReading) -> None:
    """Each vehicle's base vehicles exist and are the make and model it names (a person's
    edit may change either): otherwise nothing is stored and the error says which."""
    for vehicle in reading.vehicles:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(NAMED_BASE, {"ids": vehicle.base_vehicle_ids})
            found = {int(r["id"]): r for r in await cur.fetchall()}
        for base_id in vehicle.base_vehicle_ids:
            row = found.get(base_id)
            if row is None:
                raise InvalidInputError(
                    f"base vehicle {base_id} of the {vehicle.make} {vehicle.model} reading does "
                    "not exist; take its id from the vehicle base"
                )
            if (row["make"], row["model"]) != (vehicle.make, vehicle.model):
                raise InvalidInputError(
                    f"base vehicle {base_id} is a {row['year']} {row['make']} {row['model']}, "
                    f"not a {vehicle.make} {vehicle.model}; fix base_vehicle_ids or the names"
                )


async def apply_reviewed_reading(conn: AsyncConnection[Any], review: Review, value: Any) -> None:
    """Review action for fitment.text_reading: a person approved (or edited) the reading."""
    await store_reading(conn, value, confidence=PERSON_APPROVED, by=review.reviewer or "a person")
