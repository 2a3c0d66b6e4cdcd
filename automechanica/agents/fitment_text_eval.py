"""`automechanica eval fitment_text`: free-text fitment read against labeled strings.

Each case (`evals/fitment_text/*.jsonl`) is a string as a supplier, marketplace or
restoration catalog writes it, with the vehicles it names (make and model as the
vehicle base spells them, years, engine displacements) and the pre-1981 vehicles it
should propose. A case is fully right when the parser yields exactly those; a vehicle
whose make and model the label does not name is *invented*, the error that matters
most (a wrong fitment sells the wrong part). The vocabulary is the vehicle base's
models and years as `vehicles load --full` builds them (`vehicle_base.csv`), so the
eval needs no database.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

from automechanica.catalog.fitment_text import (
    ModelName,
    ParsedFitment,
    VehicleVocabulary,
    parse_fitment_text,
)
from automechanica.catalog.fitment_vocabulary import vocabulary_from
from automechanica.catalog.vehicle_aliases import seed_aliases
from automechanica.catalog.vocabulary import alias_key

#: Two-digit years are read as of this year, so the labels never drift.
EVAL_YEAR = 2026
Row = tuple[str, str, int, int, tuple[float, ...]]


def load_vocabulary(folder: Path) -> VehicleVocabulary:
    with (folder / "vehicle_base.csv").open(encoding="utf-8") as f:
        spans = [
            (r["make"], r["model"], int(r["first_year"]), int(r["last_year"]))
            for r in csv.DictReader(f)
        ]
    names = [ModelName(a.make, a.alias, a.model, a.submodel) for a in seed_aliases()]
    return vocabulary_from(spans, names)


def _rows(parsed: ParsedFitment) -> list[Row]:
    return sorted(
        (
            alias_key(a.make),
            alias_key(a.model),
            a.year_start,
            a.year_end,
            tuple(sorted(float(e.liters) for e in a.engines if e.liters is not None)),
        )
        for a in parsed.applications
    )


def _expected(case: dict[str, Any]) -> list[Row]:
    return sorted(
        (
            alias_key(v["make"]),
            alias_key(v["model"]),
            v["years"][0],
            v["years"][1],
            tuple(sorted(v["engines"])),
        )
        for v in case["vehicles"]
    )


def _proposals(items: list[dict[str, Any]]) -> list[tuple[str, str, int, int]]:
    return sorted(
        (alias_key(p["make"]), alias_key(p["model"]), p["years"][0], p["years"][1]) for p in items
    )


def judge(case: dict[str, Any], parsed: ParsedFitment) -> tuple[bool, list[str]]:
    """(fully right, the vehicles it invented) for one labeled case."""
    got = _rows(parsed)
    proposed = sorted(
        (alias_key(p.make), alias_key(p.model), p.year_start, p.year_end) for p in parsed.proposals
    )
    right = got == _expected(case) and proposed == _proposals(case["proposals"])
    for v in case["vehicles"]:
        if "submodels" in v:
            found = [a for a in parsed.applications if (a.make, a.model) == (v["make"], v["model"])]
            right = right and any(a.submodels == v["submodels"] for a in found)
    named = {_key(v["make"], v["model"]) for v in case["vehicles"] + case["proposals"]}
    pairs = [(r[0], r[1]) for r in got] + [(p[0], p[1]) for p in proposed]
    said = {_key(make, model): f"{make} {model}" for make, model in pairs}
    return right, sorted(name for key, name in said.items() if key not in named)


def _key(make: str, model: str) -> tuple[str, str]:
    """Names compared as lookup keys: 'DeVille' and vPIC's 'Deville' are one model."""
    return alias_key(make), alias_key(model)


async def eval_fitment_text(folder: Path, ctx: Any) -> dict[str, Any]:
    """Fully-right rate per file and per form, and every invented vehicle."""
    vocabulary = load_vocabulary(folder)
    report: dict[str, Any] = {"files": {}, "invented": [], "wrong": []}
    forms: Counter[str] = Counter()
    forms_right: Counter[str] = Counter()
    total = right_total = 0
    for path in sorted(folder.glob("*.jsonl")):
        cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        right_here = 0
        for case in cases:
            parsed = parse_fitment_text(case["text"], vocabulary, current_year=EVAL_YEAR)
            right, invented = judge(case, parsed)
            right_here += right
            for form in filter(None, (case.get("form") or "").split(", ")):
                forms[form] += 1
                forms_right[form] += right
            if invented:
                report["invented"].append({"text": case["text"], "invented": invented})
            if not right:
                report["wrong"].append(
                    {"file": path.stem, "text": case["text"], "got": parsed.to_json()}
                )
        report["files"][path.stem] = {
            "cases": len(cases),
            "fully_right": right_here,
            "accuracy": round(right_here / len(cases), 3) if cases else None,
        }
        total, right_total = total + len(cases), right_total + right_here
    report["cases"] = total
    report["accuracy"] = round(right_total / total, 3) if total else None
    report["invented_count"] = len(report["invented"])
    report["forms"] = {f: f"{forms_right[f]}/{n}" for f, n in sorted(forms.items())}
    return report
