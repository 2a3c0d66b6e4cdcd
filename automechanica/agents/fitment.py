"""The Fitment agent: weighs every fitment row of a part against the vehicle base and the
other sources, and says how sure the store may be and why.

For each row it checks that the vehicle it names can exist (some configuration of that
year/make/model has the engine, trim, drive… the row asks for), looks for suppliers
that contradict each other on the same vehicle (one says front, another rear; disjoint
engines), counts the sources that agree, and weighs past wrong-fit returns of the part
on that vehicle. The confidence follows from that evidence, the status from the
`fitment.publish` threshold, and the explanation — the "why this fits" a shopper and
an operator read — is written only from it. Rules, no model: a fitment is a fact to
check, not prose to write.

A part with a problem may also be given the similar past cases a person settled
(`fitment_recall`): they join the evidence and the explanation, and when at least
PAST_AGREEING of them agree, they move the held rows' confidence by PAST_SHIFT —
down when people rejected such rows, up when they approved them, but never to the
publish threshold: memory ranks a held row, only a person publishes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from automechanica.agents.base import Decision, Evidence
from automechanica.agents.fitment_recall import PastCase
from automechanica.catalog.fitment_facts import (
    CONSTRAINTS,
    PartFitmentFacts,
    RowVerdict,
    same_value,
)

AGENT = "Fitment"
DECISION_TYPE = "fitment.publish"
#: How much a second (third…) source agreeing on a vehicle adds, up to AGREED_CAP.
AGREEMENT_BONUS = 0.04
AGREED_CAP = 0.99
#: Ceilings for rows with a problem: never published, and ranked below good rows.
IMPOSSIBLE_CEILING = 0.3
CONFLICT_CEILING = 0.6
#: Each past wrong-fit return of the part on the vehicle takes this much off.
WRONG_FIT_PENALTY = 0.15
#: Past person decisions that must agree before they move a held row's confidence…
PAST_AGREEING = 2
#: …by this much, and never closer to the publish threshold than PAST_MARGIN.
PAST_SHIFT = 0.1
PAST_MARGIN = 0.05


@dataclass(frozen=True)
class PartAssessment:
    """The agent's verdict on one part's fitment rows."""

    part_id: int
    rows: list[RowVerdict]
    problems: list[str]


class FitmentAgent:
    """Assess a part's fitment rows from the facts (`catalog.fitment_facts`)."""

    name = AGENT

    def __init__(self, publish_threshold: float) -> None:
        self.threshold = publish_threshold

    def assess(
        self, facts: PartFitmentFacts, past: Sequence[PastCase] = ()
    ) -> Decision[PartAssessment]:
        """Weigh the part's rows; `past`: similar cases a person settled (may be empty)."""
        by_vehicle: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in facts.rows:
            by_vehicle[row["base_vehicle_id"]].append(row)
        verdicts: list[RowVerdict] = []
        problems: list[str] = []
        evidence: list[Evidence] = []
        for base_vehicle_id, rows in by_vehicle.items():
            configs = facts.configs.get(base_vehicle_id, [])
            conflicts = _conflicts(rows)
            problems += conflicts
            for row in rows:
                verdict, found = self._row(row, rows, configs, conflicts, facts, past)
                verdicts.append(verdict)
                problems += found
                evidence.append(
                    Evidence(kind="fitment", ref=f"fitment:{row['id']}", detail=verdict.explanation)
                )
        evidence = [_past_evidence(case) for case in past] + evidence
        held = sum(v.status != "published" for v in verdicts)
        confidence = min((v.confidence for v in verdicts), default=1.0)
        rationale = (
            f"{len(verdicts)} fitment rows over {len(by_vehicle)} vehicles; "
            f"{held} below the publish threshold {self.threshold:.2f}"
            + (f"; {len(problems)} problems: " + "; ".join(problems[:5]) if problems else "")
            + (f"; {_past_sentence(past)}" if past and problems else "")
        )
        return Decision(
            decision_type=DECISION_TYPE,
            output=PartAssessment(facts.part_id, verdicts, problems),
            confidence=round(confidence, 3),
            rationale=rationale,
            evidence=evidence[:50],
        )

    def _row(
        self,
        row: dict[str, Any],
        rows: list[dict[str, Any]],
        configs: list[dict[str, Any]],
        conflicts: list[str],
        facts: PartFitmentFacts,
        past: Sequence[PastCase] = (),
    ) -> tuple[RowVerdict, list[str]]:
        vehicle = f"{row['year']} {row['make']} {row['model']}"
        problems: list[str] = []
        confidence = float(row["confidence"])
        matching = [c for c in configs if _matches(row, c)]
        asked = _constraints(row)
        if configs and not matching:
            problems.append(f"no {vehicle} configuration has {asked}")
            confidence = min(confidence, IMPOSSIBLE_CEILING)
        agreeing = sorted(
            {_who(other) for other in rows if other is not row and _compatible(row, other)}
            - {_who(row)}
        )
        confidence = min(AGREED_CAP, confidence + AGREEMENT_BONUS * len(agreeing))
        if conflicts:
            confidence = min(confidence, CONFLICT_CEILING)
        wrong_fits = facts.wrong_fits.get(row["base_vehicle_id"], 0)
        confidence = max(0.0, confidence - WRONG_FIT_PENALTY * wrong_fits)
        troubled = bool(problems or conflicts or wrong_fits)
        if troubled and past:
            confidence = self._recalled(confidence, past)
        confidence = round(confidence, 3)
        status = "published" if confidence >= self.threshold else "pending_review"
        explanation = _explain(
            row, vehicle, asked, matching, configs, agreeing, conflicts, wrong_fits, problems
        )
        if troubled and past and status != "published":  # shoppers never read case ids
            explanation += f" {_past_sentence(past)}"
        return RowVerdict(row["id"], confidence, status, explanation), problems

    def _recalled(self, confidence: float, past: Sequence[PastCase]) -> float:
        """Agreeing person decisions on similar cases move a troubled row, bounded."""
        if len(past) < PAST_AGREEING:
            return confidence
        if all(case.approved for case in past):
            ceiling = max(confidence, self.threshold - PAST_MARGIN)
            return min(confidence + PAST_SHIFT, ceiling)
        if not any(case.approved for case in past):
            return max(0.0, confidence - PAST_SHIFT)
        return confidence


def _constraints(row: dict[str, Any]) -> str:
    said = []
    for column in CONSTRAINTS:
        value = row[column]
        if value is not None:
            said.append(f"{value}L" if column == "engine_liters" else str(value))
    return " ".join(said) or "any configuration"


def _matches(row: dict[str, Any], config: dict[str, Any]) -> bool:
    return all(row[c] is None or same_value(row[c], config[c]) for c in CONSTRAINTS)


def _compatible(row: dict[str, Any], other: dict[str, Any]) -> bool:
    """Two rows that could describe the same fit: no constraint or position differs."""
    for column in (*CONSTRAINTS, "position"):
        a, b = row[column], other[column]
        if a is not None and b is not None and not same_value(a, b):
            return False
    return True


def _who(row: dict[str, Any]) -> str:
    return str(row["supplier"] or row["source"])


def _conflicts(rows: list[dict[str, Any]]) -> list[str]:
    """Sources that contradict each other on one vehicle: positions or engines with no
    overlap (each source may list several)."""
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_source[_who(row)].append(row)
    if len(by_source) < 2:
        return []
    vehicle = f"{rows[0]['year']} {rows[0]['make']} {rows[0]['model']}"
    found = []
    for column, label in (("position", "position"), ("engine_liters", "engine")):
        claims = {
            source: {str(r[column]) for r in listed if r[column] is not None}
            for source, listed in by_source.items()
        }
        claims = {s: values for s, values in claims.items() if values}
        if len(claims) >= 2 and not set.intersection(*claims.values()):
            said = "; ".join(f"{s} says {', '.join(sorted(v))}" for s, v in sorted(claims.items()))
            found.append(f"sources disagree on the {label} for the {vehicle}: {said}")
    return found


def _explain(
    row: dict[str, Any],
    vehicle: str,
    asked: str,
    matching: list[dict[str, Any]],
    configs: list[dict[str, Any]],
    agreeing: list[str],
    conflicts: list[str],
    wrong_fits: int,
    problems: list[str],
) -> str:
    """The plain-language why, from the evidence only."""
    if problems:
        return f"Held: {problems[0]}; a person should check the supplier's data."
    where = f" ({row['position'].lower()})" if row["position"] else ""
    parts = [f"Fits the {vehicle}{where}"]
    if asked != "any configuration":
        parts.append(f"with {asked}")
    if configs:
        parts.append(f"matching {len(matching)} of the {len(configs)} configurations we know")
    sources = 1 + len(agreeing)
    parts.append(
        f"listed by {sources} supplier{'s' if sources > 1 else ''}"
        if row["supplier"]
        else f"from {row['source']}"
    )
    text = ", ".join(parts) + "."
    verify = [q["text"] for q in row["qualifiers"] if q.get("verify")]
    if verify:
        text += f" Verify: {', '.join(verify)}."
    if conflicts:
        text += f" Held: {conflicts[0]}."
    if wrong_fits:
        text += f" {wrong_fits} wrong-fit return{'s' if wrong_fits > 1 else ''} on this vehicle."
    return text


def _past_sentence(past: Sequence[PastCase]) -> str:
    """'A similar case (part 12, 3 Dec 2026) was approved by a person.' and the like."""
    first = past[0]
    when = f"{first.decided_at:%-d %b %Y}"
    text = f"A similar case ({first.subject}, {when}) was {first.resolution} by a person"
    others = past[1:]
    if others:
        same = sum(case.approved == first.approved for case in others)
        text += f"; {same} of {len(others)} other similar case{'s' if len(others) > 1 else ''}"
        text += " went the same way"
    return text + "."


def _past_evidence(case: PastCase) -> Evidence:
    return Evidence(
        kind="memory",
        ref=f"event:{case.event_id}",
        detail=f"similar past case (cosine {case.score:.2f}, {case.subject}): "
        f"{case.resolution} by a person ({case.person_decision}, "
        f"{case.decided_at:%Y-%m-%d}) — {case.summary}",
    )
