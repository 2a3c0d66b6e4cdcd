"""Returns: a customer sends a line back; a wrong fit also corrects the catalog.

`request_return` takes the customer's own order line (a signed-in customer's order,
or a guest's by order number and the email it was placed with; anyone else's
order is "not found", never "not yours"). A wrong fit is `requested` and waits for
the `wrong_fit_return` workflow; any other reason is authorized at once.
`wrong_fit_evidence` gathers what the Fitment agent weighs; `apply_correction`
applies a correction a person approved; `lower_confidence_by_return_rate` feeds
the wrong-fit rate of a part on a base vehicle back into its fitment rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from automechanica.catalog.fitment import ASK_ORDER, _matches
from automechanica.catalog.vehicles import VEHICLE_COLUMNS, VEHICLE_FROM
from automechanica.errors import ConflictError, InvalidInputError, NotFoundError

Reason = Literal["wrong_fit", "defective", "not_needed", "damaged", "other"]
RETURNABLE = ("routed", "shipped", "delivered")
#: A row's confidence after a person added a "verify" qualifier: never under this
#: (the publish threshold is passed in; a verify note lowers, it does not hide).
VERIFY_STEP = 0.1

SELECT_ORDER_LINE = """
SELECT o.id AS order_id, o.number, o.status, o.payment_status, o.email, o.vehicle_id,
       c.user_id, l.id AS line_id, l.part_id
FROM orders o LEFT JOIN customers c ON c.id = o.customer_id
JOIN order_lines l ON l.order_id = o.id AND l.id = %(line)s
WHERE o.number = %(number)s
"""
OPEN_RETURN = """
SELECT id FROM returns WHERE order_line_id = %(line)s AND status <> 'rejected'
"""
VEHICLE_EXISTS = "SELECT 1 FROM vehicles WHERE id = %(id)s"
INSERT_RETURN = """
INSERT INTO returns (order_line_id, reason, status, notes, vehicle_id)
VALUES (%(line)s, %(reason)s, %(status)s, %(notes)s, %(vehicle)s)
RETURNING id, order_line_id, reason, status, vehicle_id, created_at
"""
SET_WORKFLOW = "UPDATE returns SET workflow_id = %(wf)s, updated_at = now() WHERE id = %(id)s"
SET_STATUS = """
UPDATE returns SET status = %(status)s, updated_at = now(),
       notes = CASE WHEN %(note)s::text IS NULL THEN notes
                    ELSE concat_ws(E'\n', notes, %(note)s::text) END
WHERE id = %(id)s AND status = 'requested'
"""
SELECT_RETURN = """
SELECT r.id, r.order_line_id, r.reason, r.status, r.notes, r.vehicle_id, r.workflow_id,
       r.created_at, r.updated_at, l.part_id, o.id AS order_id, o.number,
       COALESCE(r.vehicle_id, o.vehicle_id) AS stated_vehicle_id
FROM returns r JOIN order_lines l ON l.id = r.order_line_id JOIN orders o ON o.id = l.order_id
WHERE r.id = %(id)s
"""
SELECT_PART = """
SELECT p.id, p.part_number, p.title, b.name AS brand, t.name AS part_type
FROM parts p JOIN brands b ON b.id = p.brand_id JOIN part_types t ON t.id = p.part_type_id
WHERE p.id = %(id)s
"""
SELECT_STATED_VEHICLE = (
    "SELECT" + VEHICLE_COLUMNS + ", bv.model_id" + VEHICLE_FROM + "WHERE v.id = %(id)s"
)
SELECT_CONFIGURATIONS = "SELECT" + VEHICLE_COLUMNS + VEHICLE_FROM + "WHERE bv.id = %(base)s"
SELECT_ROWS = """
SELECT f.id, f.submodel, f.engine_liters, f.engine_cylinders, f.engine_code, f.fuel,
       f.aspiration, f.drive, f.body, f.transmission, f.qualifiers, f.source, f.confidence,
       f.status
FROM fitments f WHERE f.part_id = %(part)s AND f.base_vehicle_id = %(base)s ORDER BY f.id
"""
SELECT_YEARS = """
SELECT DISTINCT bv.year FROM fitments f JOIN base_vehicles bv ON bv.id = f.base_vehicle_id
WHERE f.part_id = %(part)s AND bv.model_id = %(model)s AND f.status = 'published'
ORDER BY bv.year
"""
# Earlier wrong-fit returns of the part on the same base vehicle, and their cars.
SELECT_OTHER_RETURNS = (
    """
SELECT r.id,"""
    + VEHICLE_COLUMNS
    + """
FROM returns r JOIN order_lines l ON l.id = r.order_line_id JOIN orders o ON o.id = l.order_id
JOIN vehicles v ON v.id = COALESCE(r.vehicle_id, o.vehicle_id)
JOIN base_vehicles bv ON bv.id = v.base_vehicle_id
JOIN models mo ON mo.id = bv.model_id JOIN makes ma ON ma.id = bv.make_id
WHERE r.reason = 'wrong_fit' AND l.part_id = %(part)s AND bv.id = %(base)s AND r.id <> %(id)s
ORDER BY r.id
"""
)
# Units of the part sold for cars on the base vehicle (the rate's denominator).
SELECT_SALES = """
SELECT count(*) AS lines FROM order_lines l JOIN orders o ON o.id = l.order_id
JOIN vehicles v ON v.id = o.vehicle_id
WHERE l.part_id = %(part)s AND v.base_vehicle_id = %(base)s AND o.payment_status = 'paid'
"""
SELECT_WRONG_FITS = """
SELECT count(*) AS n FROM returns r JOIN order_lines l ON l.id = r.order_line_id
JOIN orders o ON o.id = l.order_id JOIN vehicles v ON v.id = COALESCE(r.vehicle_id, o.vehicle_id)
WHERE r.reason = 'wrong_fit' AND l.part_id = %(part)s AND v.base_vehicle_id = %(base)s
"""
LOWER_CONFIDENCE = """
UPDATE fitments SET confidence = %(ceiling)s,
       status = CASE WHEN %(ceiling)s < %(threshold)s AND status = 'published'
                     THEN 'pending_review' ELSE status END
WHERE id = ANY(%(ids)s) AND confidence > %(ceiling)s
RETURNING id
"""
REJECT_ROWS = """
UPDATE fitments SET status = 'rejected' WHERE id = ANY(%(ids)s) AND part_id = %(part)s
RETURNING id
"""
REJECT_YEARS = """
UPDATE fitments f SET status = 'rejected' FROM base_vehicles bv
WHERE bv.id = f.base_vehicle_id AND f.part_id = %(part)s AND bv.model_id = %(model)s
  AND bv.year = ANY(%(years)s) AND f.status <> 'rejected'
RETURNING f.id
"""
ADD_VERIFY = """
UPDATE fitments SET qualifiers = qualifiers || %(qualifier)s,
       confidence = GREATEST(%(floor)s, confidence - %(step)s)
WHERE id = ANY(%(ids)s) AND part_id = %(part)s
RETURNING id
"""
INSERT_ISSUE = """
INSERT INTO fitment_issues (part_id, vehicle_id, return_id, kind, description, status)
VALUES (%(part)s, %(vehicle)s, %(return)s, %(kind)s, %(description)s, %(status)s)
"""


async def request_return(
    conn: AsyncConnection[Any],
    number: str,
    line_id: int,
    reason: Reason,
    *,
    user_id: int | None = None,
    email: str | None = None,
    vehicle_id: int | None = None,
    notes: str | None = None,
) -> dict[str, Any]:
    """A return of the caller's own order line (see the module docstring)."""
    row = await _one(conn, SELECT_ORDER_LINE, {"number": number, "line": line_id})
    owned = row is not None and (
        (user_id is not None and row["user_id"] == user_id)
        or (
            user_id is None
            and email is not None
            and (row["email"] or "").strip().lower() == email.strip().lower()
        )
    )
    if row is None or not owned:
        raise NotFoundError("order line", f"{number} line {line_id}")
    if row["payment_status"] != "paid" or row["status"] not in RETURNABLE:
        raise InvalidInputError(
            f"order {number} is {row['status']}: a line can be returned once the order has "
            "been routed to suppliers (cancel an order that has not)"
        )
    if vehicle_id is not None and await _one(conn, VEHICLE_EXISTS, {"id": vehicle_id}) is None:
        raise NotFoundError("vehicle", vehicle_id)
    if await _one(conn, OPEN_RETURN, {"line": line_id}) is not None:
        raise ConflictError(f"line {line_id} of order {number} already has a return")
    return dict(
        await _one(
            conn,
            INSERT_RETURN,
            {
                "line": line_id,
                "reason": reason,
                "status": "requested" if reason == "wrong_fit" else "authorized",
                "notes": notes,
                "vehicle": vehicle_id if vehicle_id is not None else row["vehicle_id"],
            },
        )
    )


async def set_return_workflow(conn: AsyncConnection[Any], return_id: int, workflow_id: Any) -> None:
    await conn.execute(SET_WORKFLOW, {"id": return_id, "wf": workflow_id})


async def get_return(conn: AsyncConnection[Any], return_id: int) -> dict[str, Any]:
    row = await _one(conn, SELECT_RETURN, {"id": return_id})
    if row is None:
        raise NotFoundError("return", return_id)
    return dict(row)


async def authorize_return(conn: AsyncConnection[Any], return_id: int, note: str | None) -> bool:
    cur = await conn.execute(SET_STATUS, {"id": return_id, "status": "authorized", "note": note})
    return cur.rowcount > 0


async def wrong_fit_evidence(conn: AsyncConnection[Any], return_id: int) -> dict[str, Any]:
    """What the Fitment agent weighs for one wrong-fit return (agents/fitment_triage.py)."""
    ret = await get_return(conn, return_id)
    part = await _one(conn, SELECT_PART, {"id": ret["part_id"]})
    case: dict[str, Any] = {
        "return_id": return_id,
        "part_id": ret["part_id"],
        "part": f"{part['brand']} {part['part_number']}",
        "part_type": part["part_type"],
        "note": ret["notes"],
        "vehicle": None,
        "rows": [],
        "years": [],
        "configurations": [],
        "other_returns": [],
        "sales": 0,
    }
    if ret["stated_vehicle_id"] is None:
        return case
    vehicle = await _one(conn, SELECT_STATED_VEHICLE, {"id": ret["stated_vehicle_id"]})
    base = {"part": ret["part_id"], "base": vehicle["base_vehicle_id"]}
    rows = await _all(conn, SELECT_ROWS, base)
    case["vehicle"] = _vehicle(vehicle) | {"model_id": vehicle["model_id"]}
    case["rows"] = [
        {
            "id": r["id"],
            "constraints": {k: _plain(r[k]) for k in ASK_ORDER if r[k] is not None},
            "qualifiers": [q.get("text", "") for q in r["qualifiers"]],
            "source": r["source"],
            "confidence": round(float(r["confidence"]), 3),
            "status": r["status"],
            "matches": _matches(r, vehicle),
        }
        for r in rows
    ]
    years = await _all(conn, SELECT_YEARS, {"part": ret["part_id"], "model": vehicle["model_id"]})
    case["years"] = [y["year"] for y in years]
    configs = await _all(conn, SELECT_CONFIGURATIONS, {"base": vehicle["base_vehicle_id"]})
    case["configurations"] = [_vehicle(c) for c in configs]
    others = await _all(conn, SELECT_OTHER_RETURNS, base | {"id": return_id})
    case["other_returns"] = [_vehicle(o) for o in others]
    case["sales"] = int((await _one(conn, SELECT_SALES, base))["lines"])
    return case


async def lower_confidence_by_return_rate(
    conn: AsyncConnection[Any],
    part_id: int,
    base_vehicle_id: int,
    fitment_ids: list[int],
    *,
    publish_threshold: float,
) -> dict[str, Any]:
    """Rows behind repeated wrong fits lose confidence: at most 1 − (wrong-fit returns /
    paid lines sold) once two returns agree. Below the publish threshold a row is
    hidden until a person looks (the fitment.publish policy). Idempotent."""
    base = {"part": part_id, "base": base_vehicle_id}
    returns = int((await _one(conn, SELECT_WRONG_FITS, base))["n"])
    sales = max(int((await _one(conn, SELECT_SALES, base))["lines"]), returns, 1)
    if returns < 2 or not fitment_ids:
        return {"returns": returns, "sales": sales, "lowered": []}
    ceiling = round(1 - returns / sales, 3)
    lowered = await _all(
        conn,
        LOWER_CONFIDENCE,
        {"ids": fitment_ids, "ceiling": ceiling, "threshold": publish_threshold},
    )
    return {
        "returns": returns,
        "sales": sales,
        "ceiling": ceiling,
        "lowered": [r["id"] for r in lowered],
    }


async def apply_correction(
    conn: AsyncConnection[Any],
    return_id: int,
    correction: dict[str, Any],
    *,
    publish_threshold: float,
    decided_by: str,
) -> list[int]:
    """A correction a person approved (or edited): the fitment rows change, and a
    fitment issue records what and why. Returns the ids of the rows changed."""
    ret = await get_return(conn, return_id)
    kind = correction["kind"]
    part = ret["part_id"]
    ids = [int(i) for i in correction.get("fitment_ids") or []]
    changed: list[int] = []
    if kind == "remove_rows":
        changed = [r["id"] for r in await _all(conn, REJECT_ROWS, {"ids": ids, "part": part})]
    elif kind == "narrow_years":
        model = correction.get("model_id")
        years = [int(y) for y in correction.get("years") or []]
        if model is None or not years:
            raise InvalidInputError("narrow_years needs model_id and the years to drop")
        params = {"part": part, "model": model, "years": years}
        changed = [r["id"] for r in await _all(conn, REJECT_YEARS, params)]
    elif kind == "add_qualifier":
        changed = await _add_qualifier(conn, part, ids, correction, publish_threshold)
    elif kind != "customer_error":
        raise InvalidInputError(
            f"unknown correction {kind!r}: use narrow_years, add_qualifier, remove_rows or "
            "customer_error"
        )
    await conn.execute(
        INSERT_ISSUE,
        {
            "part": part,
            "vehicle": ret["stated_vehicle_id"],
            "return": return_id,
            "kind": kind,
            "description": f"{correction.get('summary') or kind} (by {decided_by}; "
            f"rows changed: {', '.join(map(str, changed)) or 'none'})",
            "status": "resolved",
        },
    )
    return changed


async def record_issue(
    conn: AsyncConnection[Any], return_id: int, kind: str, description: str, status: str
) -> None:
    ret = await get_return(conn, return_id)
    await conn.execute(
        INSERT_ISSUE,
        {
            "part": ret["part_id"],
            "vehicle": ret["stated_vehicle_id"],
            "return": return_id,
            "kind": kind,
            "description": description,
            "status": status,
        },
    )


async def _add_qualifier(
    conn: AsyncConnection[Any],
    part: int,
    ids: list[int],
    correction: dict[str, Any],
    publish_threshold: float,
) -> list[int]:
    """A constraint (`{"submodel": "EX"}`) narrows the rows; a text becomes a "verify"
    qualifier and lowers their confidence, never under the publish threshold."""
    changed: list[int] = []
    for column, value in (correction.get("constraint") or {}).items():
        if column not in ASK_ORDER:
            raise InvalidInputError(f"{column!r} is not a fitment attribute: use {ASK_ORDER}")
        for fitment_id in ids:
            query = sql.SQL(
                "UPDATE fitments SET {col} = %(value)s WHERE id = %(id)s AND part_id = %(part)s"
            ).format(col=sql.Identifier(column))
            try:
                async with conn.transaction():
                    cur = await conn.execute(
                        query, {"value": value, "id": fitment_id, "part": part}
                    )
            except errors.UniqueViolation:  # the narrower row exists already: drop this one
                cur = await conn.execute(REJECT_ROWS, {"ids": [fitment_id], "part": part})
            if cur.rowcount:
                changed.append(fitment_id)
    if correction.get("qualifier"):
        qualifier = Jsonb([{"text": str(correction["qualifier"]), "verify": True}])
        rows = await _all(
            conn,
            ADD_VERIFY,
            {"ids": ids, "part": part, "qualifier": qualifier, "floor": publish_threshold,
             "step": VERIFY_STEP},
        )  # fmt: skip
        changed.extend(r["id"] for r in rows if r["id"] not in changed)
    return changed


def _vehicle(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "base_vehicle_id", "year", "make", "model", *ASK_ORDER)
    return {k: _plain(row.get(k)) for k in keys}


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


async def _one(conn: AsyncConnection[Any], query: str, params: dict[str, Any]) -> Any:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


async def _all(conn: AsyncConnection[Any], query: str, params: dict[str, Any]) -> list[Any]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()
