"""`automechanica eval fitment_conflicts`: the Fitment agent on labeled supplier claims.

Each case (`evals/fitment_conflicts/cases.jsonl`) is one vehicle's configurations and
the fitment rows suppliers sent for one part, labeled with the rows a person would
hold (a configuration the car never had, suppliers contradicting each other) and
whether the sources conflict. Hand-written, one or two per rule and its near misses:
they pin the rules down, they do not measure real feeds.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from automechanica.agents.fitment import FitmentAgent
from automechanica.catalog.fitment_facts import CONSTRAINTS, PartFitmentFacts

THRESHOLD = 0.8  # the fitment.publish policy's seeded threshold
BASE_VEHICLE = 1


def _facts(case: dict[str, Any]) -> PartFitmentFacts:
    rows = []
    for i, given in enumerate(case["rows"]):
        row: dict[str, Any] = {c: None for c in (*CONSTRAINTS, "position")}
        row.update({k: v for k, v in given.items() if k != "supplier"})
        if row["engine_liters"] is not None:
            row["engine_liters"] = Decimal(str(row["engine_liters"]))
        row.update(
            id=i,
            part_id=1,
            base_vehicle_id=BASE_VEHICLE,
            year=2018,
            make="Make",
            model="Model",
            qualifiers=[],
            source=f"feed:{given['supplier']}",
            supplier=given["supplier"],
            confidence=0.85,
        )
        rows.append(row)
    configs = [{c: config.get(c) for c in CONSTRAINTS} for config in case["configs"]]
    for config in configs:
        if config["engine_liters"] is not None:
            config["engine_liters"] = Decimal(str(config["engine_liters"]))
    return PartFitmentFacts(1, rows, {BASE_VEHICLE: configs})


async def eval_fitment_conflicts(folder: Path, ctx: Any) -> dict[str, Any]:
    agent = FitmentAgent(THRESHOLD)
    cases = [json.loads(line) for line in (folder / "cases.jsonl").read_text().splitlines() if line]
    right = held_right = held_said = held_true = 0
    wrong = []
    for case in cases:
        decision = agent.assess(_facts(case))
        held = sorted(v.fitment_id for v in decision.output.rows if v.status != "published")
        conflict = any("disagree" in p for p in decision.output.problems)
        expected = case["expected"]
        ok = held == expected["held"] and conflict == expected["conflict"]
        right += ok
        held_said += len(held)
        held_true += len(expected["held"])
        held_right += len(set(held) & set(expected["held"]))
        if not ok:
            wrong.append({"case": case["case"], "held": held, "conflict": conflict})
    return {
        "cases": len(cases),
        "accuracy": round(right / len(cases), 3) if cases else None,
        "held_precision": round(held_right / held_said, 3) if held_said else None,
        "held_recall": round(held_right / held_true, 3) if held_true else None,
        "wrong": wrong,
    }
