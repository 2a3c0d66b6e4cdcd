"""Evaluations of the Order agent's routing and the Fitment agent's wrong-fit triage.

- order_routing: small orders generated from `evals/order_routing/*.json` (seed, how
  many, lines, warehouses), each routed by `commerce.routing.route` and by brute force
  over every allocation that keeps the rule "split a line only when none of the chosen
  warehouses holds it whole". Right = the same (shipments, cost, days).
- return_triage: labeled cases in `evals/return_triage/*.jsonl` (the evidence the
  workflow gathers, and the expected kind of correction). Right = the same kind.
"""

from __future__ import annotations

import itertools
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automechanica.agents.fitment_triage import FitmentTriage
from automechanica.commerce.routing import Allocation, Line, Offer, Routing, fill_line, route

if TYPE_CHECKING:
    from automechanica.agents.evaluation import EvalContext


def generate_orders(spec: dict[str, Any]) -> list[list[Line]]:
    """Random small orders: each line's part offered at a few supplier warehouses."""
    rng = random.Random(spec.get("seed", 1))
    suppliers = int(spec.get("suppliers", 3))
    warehouses = list(spec.get("warehouses", ["east", "west"]))
    orders = []
    for n in range(int(spec.get("orders", 200))):
        lines = []
        for line_id in range(1, rng.randint(1, int(spec.get("max_lines", 3))) + 1):
            quantity = rng.randint(1, int(spec.get("max_quantity", 4)))
            places = rng.sample(
                [(s, w) for s in range(1, suppliers + 1) for w in warehouses],
                rng.randint(1, int(spec.get("max_offers", 3))),
            )
            offers = tuple(
                Offer(
                    supplier_part_id=n * 1000 + line_id * 10 + i,
                    supplier_id=s,
                    supplier=f"s{s}",
                    warehouse=w,
                    stock=rng.randint(0, int(spec.get("max_stock", 5))),
                    unit_cost=Decimal(rng.randint(500, 1500)) / 100,
                    ship_days=2 + (s + warehouses.index(w)) % 3,
                )
                for i, (s, w) in enumerate(places)
            )
            lines.append(Line(line_id, line_id, quantity, offers))
        orders.append(lines)
    return orders


def brute_force(lines: list[Line]) -> Routing | None:
    """The best routing by trying every allocation (small orders only)."""
    options: list[list[list[Allocation]]] = []
    for line in lines:
        choices = []
        for size in range(1, len(line.offers) + 1):
            for subset in itertools.combinations(line.offers, size):
                filled = fill_line(line, subset)
                if filled is not None and filled not in choices:
                    choices.append(filled)
        if not choices:
            return None
        options.append(choices)
    best: Routing | None = None
    for combination in itertools.product(*options):
        candidate = Routing([a for allocations in combination for a in allocations])
        used = {a.offer.shipment for a in candidate.allocations}
        if not _splits_allowed(lines, combination, used):
            continue
        if best is None or candidate.key < best.key:
            best = candidate
    return best


def _splits_allowed(
    lines: list[Line], combination: tuple[list[Allocation], ...], used: set[tuple[int, str]]
) -> bool:
    """A split line is allowed only when no warehouse shipping the order holds it whole."""
    for line, allocations in zip(lines, combination, strict=True):
        if len(allocations) > 1 and any(
            o.shipment in used and o.stock >= line.quantity for o in line.offers
        ):
            return False
    return True


async def eval_order_routing(folder: Path, ctx: EvalContext) -> dict[str, Any]:
    files: dict[str, Any] = {}
    rows = right = 0
    for path in sorted(folder.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        n = ok = unroutable = 0
        errors: list[dict[str, Any]] = []
        for number, lines in enumerate(generate_orders(spec)):
            got, best = route(lines), brute_force(lines)
            n += 1
            if best is None:
                unroutable += 1
                ok += bool(got.unroutable)
                continue
            if not got.unroutable and got.key == best.key:
                ok += 1
            elif len(errors) < ctx.show_errors:
                errors.append({"order": number, "got": _key(got), "best": _key(best)})
        rows, right = rows + n, right + ok
        files[path.stem] = {
            "rows": n,
            "accuracy": _ratio(ok, n),
            "precision": None,
            "recall": None,
            "unroutable": unroutable,
            "errors": errors,
        }
    total = {"rows": rows, "accuracy": _ratio(right, rows), "precision": None, "recall": None}
    return {"files": files, "total": total}


async def eval_return_triage(folder: Path, ctx: EvalContext) -> dict[str, Any]:
    agent = FitmentTriage()
    files: dict[str, Any] = {}
    rows = right = 0
    for path in sorted(folder.glob("*.jsonl")):
        n = ok = 0
        errors: list[dict[str, Any]] = []
        for text in path.read_text(encoding="utf-8").splitlines():
            if not text.strip():
                continue
            case = json.loads(text)
            decision = agent.decide(case["case"])
            n += 1
            if decision.output.kind == case["expected"]:
                ok += 1
            elif len(errors) < ctx.show_errors:
                errors.append(
                    {"name": case["name"], "expected": case["expected"],
                     "got": decision.output.kind, "rationale": decision.rationale}
                )  # fmt: skip
        rows, right = rows + n, right + ok
        files[path.stem] = {
            "rows": n, "accuracy": _ratio(ok, n), "precision": None, "recall": None,
            "errors": errors,
        }  # fmt: skip
    total = {"rows": rows, "accuracy": _ratio(right, rows), "precision": None, "recall": None}
    return {"files": files, "total": total}


def _key(routing: Routing) -> list[Any]:
    return [routing.shipments, str(routing.cost), routing.days]


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None
