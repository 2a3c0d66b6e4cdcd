"""The Fitment agent's wrong-fit triage: what a "did not fit" return says about the catalog.

Deterministic, over the evidence `commerce.returns.wrong_fit_evidence` gathers: the
vehicle the customer said, the part's fitment rows on that base vehicle (which
matched, their sources and confidence), the years the part is listed for on that
model, the base vehicle's configurations, earlier wrong-fit returns of the part on
it, and how many were sold. The rules, in order:

1. No row matches the stated vehicle → customer error: the store never listed it.
2. Two or more returns share a value of an attribute the matched rows leave open
   (submodel, engine, drive…), and other configurations differ → add a qualifier:
   a constraint to the value the others share, or a "verify" note.
3. The stated year is the first or last of the part's years on the model, and the
   rows are weak or another return agrees → narrow the year range (mid-year change).
4. Every matched row comes from one weak source (inferred, or under 0.7) → remove them.
5. Strong rows and no other return → customer error: the part fits per the evidence.
6. Otherwise (strong rows, repeated returns, nothing tells the cars apart) → a
   "verify" qualifier that lowers the rows' confidence.

Every proposal goes to a person (policy fitment.correction). The customer's note is
kept as data for the reviewer; it never steers the rules.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, Field

from automechanica.agents.base import Decision, Evidence

AGENT = "Fitment"
DECISION = "fitment.correction"
WEAK_CONFIDENCE = 0.7
STRONG_CONFIDENCE = 0.8
ATTRIBUTES = (
    "submodel",
    "engine_liters",
    "engine_cylinders",
    "engine_code",
    "fuel",
    "aspiration",
    "drive",
    "body",
    "transmission",
)

Kind = Literal["narrow_years", "add_qualifier", "remove_rows", "customer_error"]


class Correction(BaseModel):
    """What to change (a person may edit any field before it is applied)."""

    kind: Kind
    summary: str
    part_id: int
    fitment_ids: list[int] = Field(default_factory=list)
    model_id: int | None = None
    years: list[int] = Field(default_factory=list, description="narrow_years: years to drop")
    constraint: dict[str, Any] = Field(default_factory=dict, description="add_qualifier")
    qualifier: str | None = Field(default=None, description="add_qualifier: a verify note")


class FitmentTriage:
    """Weighs one wrong-fit case; returns a Correction decision for review."""

    name = AGENT

    def decide(self, case: dict[str, Any]) -> Decision[Correction]:
        vehicle = case.get("vehicle")
        part = case["part"]
        if vehicle is None:
            return self._decision(
                Correction(
                    kind="customer_error",
                    summary="no vehicle was stated",
                    part_id=case["part_id"],
                ),
                0.5,
                f"No vehicle is known for this return of {part}: nothing in the catalog "
                "can be checked against it.",
                case,
            )
        name = f"{vehicle['year']} {vehicle['make']} {vehicle['model']}"
        rows = [r for r in case["rows"] if r["status"] == "published"]
        matched = [r for r in rows if r["matches"]]
        returns = [vehicle, *case["other_returns"]]
        if not matched:
            listed = "; ".join(_describe(r) for r in rows) or "no application at all"
            return self._decision(
                Correction(
                    kind="customer_error",
                    summary=f"{part} is not listed for the stated {name}",
                    part_id=case["part_id"],
                ),
                0.85,
                f"The catalog lists {part} on the {name} only as: {listed}; the stated "
                "vehicle matches none of it, so the store never said it fits.",
                case,
            )
        ids = [r["id"] for r in matched]
        split = _distinguishing(returns, matched, case["configurations"])
        if split is not None and len(returns) >= 2:
            attribute, value, others = split
            correction = Correction(
                kind="add_qualifier",
                summary=f"{part} on the {name}: not for {_label(attribute)} {value}",
                part_id=case["part_id"],
                fitment_ids=ids,
            )
            if len(others) == 1:
                correction.constraint = {attribute: others[0]}
            else:
                correction.qualifier = f"Does not fit {_label(attribute)} {value}"
            return self._decision(
                correction,
                min(0.9, 0.5 + 0.1 * len(returns)),
                f"{len(returns)} wrong-fit returns of {part} on the {name} all have "
                f"{_label(attribute)} {value}, which the matched rows leave open; other "
                f"configurations have {', '.join(map(str, others))}.",
                case,
            )
        years = case["years"]
        weak = all(_weak(r) for r in matched)
        edge = len(years) >= 3 and vehicle["year"] in (years[0], years[-1])
        if edge and (weak or len(returns) >= 2):
            return self._decision(
                Correction(
                    kind="narrow_years",
                    summary=f"{part}: drop {vehicle['year']} from "
                    f"{years[0]}–{years[-1]} {vehicle['make']} {vehicle['model']}",
                    part_id=case["part_id"],
                    fitment_ids=ids,
                    model_id=vehicle.get("model_id"),
                    years=[vehicle["year"]],
                ),
                0.8 if len(returns) >= 2 else 0.65,
                f"{vehicle['year']} is the {'first' if vehicle['year'] == years[0] else 'last'}"
                f" year of {part} on the {vehicle['make']} {vehicle['model']} "
                f"({years[0]}–{years[-1]}), where mid-year changes hide; "
                + (
                    f"{len(returns)} wrong-fit returns there."
                    if len(returns) >= 2
                    else "its rows are weak (" + "; ".join(map(_describe, matched)) + ")."
                ),
                case,
            )
        sources = {r["source"] for r in matched}
        if weak and len(sources) == 1:
            return self._decision(
                Correction(
                    kind="remove_rows",
                    summary=f"remove {len(ids)} weak row(s) of {part} on the {name}",
                    part_id=case["part_id"],
                    fitment_ids=ids,
                ),
                0.75,
                f"Only {next(iter(sources))} lists {part} on the {name}, weakly ("
                + "; ".join(map(_describe, matched))
                + "), and a customer says it did not fit.",
                case,
            )
        if len(returns) == 1:
            best = max(r["confidence"] for r in matched)
            return self._decision(
                Correction(
                    kind="customer_error",
                    summary=f"{part} fits the {name} per the catalog",
                    part_id=case["part_id"],
                ),
                min(0.9, 0.6 + 0.1 * len(sources) + (0.1 if best >= 0.9 else 0)),
                f"{part} is listed for the {name} by {len(sources)} source(s) "
                f"({', '.join(sorted(sources))}) at confidence up to {best:.2f}, and no "
                "other customer returned it for this vehicle: the evidence says it fits.",
                case,
            )
        return self._decision(
            Correction(
                kind="add_qualifier",
                summary=f"{part} on the {name}: verify before ordering",
                part_id=case["part_id"],
                fitment_ids=ids,
                qualifier=f"Verify fit: {len(returns)} wrong-fit returns on the {name}",
            ),
            0.55,
            f"{len(returns)} wrong-fit returns of {part} on the {name} though strong rows "
            "list it, and no attribute tells the returned cars apart: shoppers should verify.",
            case,
        )

    def _decision(
        self, correction: Correction, confidence: float, rationale: str, case: dict[str, Any]
    ) -> Decision[Correction]:
        return Decision(
            decision_type=DECISION,
            output=correction,
            confidence=round(confidence, 2),
            rationale=rationale,
            evidence=_evidence(case),
        )


def _weak(row: dict[str, Any]) -> bool:
    return bool(row["source"].startswith("inference") or row["confidence"] < WEAK_CONFIDENCE)


def _distinguishing(
    returns: list[dict[str, Any]],
    matched: list[dict[str, Any]],
    configurations: list[dict[str, Any]],
) -> tuple[str, Any, list[Any]] | None:
    """An attribute every returned car shares, that the matched rows leave open and
    other configurations of the base vehicle do not have."""
    for attribute in ATTRIBUTES:
        values = Counter(r.get(attribute) for r in returns)
        if len(values) != 1 or None in values:
            continue
        (value,) = values
        if any(attribute in r["constraints"] for r in matched):
            continue
        others = sorted(
            {c[attribute] for c in configurations if c.get(attribute) not in (None, value)},
            key=str,
        )
        if others:
            return attribute, value, others
    return None


def _label(attribute: str) -> str:
    return attribute.replace("_", " ")


def _describe(row: dict[str, Any]) -> str:
    constraints = ", ".join(f"{_label(k)} {v}" for k, v in row["constraints"].items())
    return f"row {row['id']} ({row['source']}, {row['confidence']:.2f}" + (
        f", {constraints})" if constraints else ", any configuration)"
    )


def _evidence(case: dict[str, Any]) -> list[Evidence]:
    evidence = [
        Evidence(
            kind="fitment",
            ref=str(r["id"]),
            detail=_describe(r) + (" — matches" if r["matches"] else " — does not match"),
        )
        for r in case["rows"]
    ]
    if case.get("years"):
        evidence.append(Evidence(kind="years", ref=str(case["part_id"]), detail=str(case["years"])))
    for other in case.get("other_returns", []):
        evidence.append(
            Evidence(
                kind="return",
                ref=str(other.get("id")),
                detail="earlier wrong-fit return: "
                + " ".join(str(other.get(k)) for k in ("year", "make", "model", "submodel")),
            )
        )
    if case.get("note"):
        evidence.append(Evidence(kind="customer_note", ref=str(case["return_id"]),
                                 detail=str(case["note"])[:500]))  # fmt: skip
    return evidence
