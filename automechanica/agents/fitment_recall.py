"""Similar past fitment cases, and what a person made of them: the Fitment agent's memory.

When a part's fitment has a problem (suppliers that contradict each other, a
configuration the vehicle never had, wrong-fit returns), the agent's past
decisions of the same kind that read most alike are recalled from vector memory
(`events`, agent `Fitment`: publish holds for conflicts and impossible
configurations, wrong-fit corrections for returns), each with
the first decision a person took afterwards on the same subject — a review
approved, edited or rejected, or a fitment row added, edited or removed by hand.
Cases nobody has decided yet say nothing about the outcome and are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.memory import Memory

#: The kinds of past decision searched: held publish decisions (conflicts, impossible
#: configurations) and wrong-fit corrections.
PUBLISH = "fitment.publish"
CORRECTION = "fitment.correction"
#: Past cases less alike than this (cosine, all-MiniLM-L6-v2) are not recalled at all.
#: Low on purpose: the decision type already matches the kind of issue, and the local
#: model scores the same issue on another car around 0.25-0.45 (the names dominate);
#: the cosine ranks, same vehicle and wording first.
SIMILAR_FLOOR = 0.2
#: Memory hits read per recall, before those without a person's decision are left out.
SEARCHED = 40

# For each recalled agent event, the first later decision of a person on the same
# subject (served by agent_events_subject: subject_kind, subject_id, id).
PERSON_DECISIONS = """
SELECT DISTINCT ON (e.id) e.id, e.decision_type, e.subject_kind, e.subject_id,
       p.decision_type AS person_decision, p.outcome, p.output, p.created_at AS decided_at
FROM agent_events e
JOIN agent_events p ON p.subject_kind = e.subject_kind AND p.subject_id = e.subject_id
 AND p.id > e.id AND p.agent LIKE 'person:%%'
 AND (p.decision_type LIKE 'fitment.%%' OR p.decision_type LIKE 'review.fitment.%%')
WHERE e.id = ANY(%(ids)s)
ORDER BY e.id, p.id
"""


@dataclass(frozen=True)
class PastCase:
    """One similar past decision of the Fitment agent and how a person settled it."""

    event_id: int
    score: float
    decision_type: str
    subject: str  # 'part 12'
    summary: str  # the memory text of the agent's decision, shortened
    resolution: str  # 'approved' | 'edited' | 'rejected'
    person_decision: str  # 'review.fitment.correction', 'fitment.remove', …
    decided_at: datetime

    @property
    def approved(self) -> bool:
        return self.resolution in ("approved", "edited")


async def recall_similar(
    memory: Memory,
    conn: AsyncConnection[Any],
    problem: str,
    *,
    decision_types: Sequence[str] = (PUBLISH,),
    k: int = 3,
) -> list[PastCase]:
    """The `k` past Fitment decisions of `decision_types` most like `problem` that a
    person has decided."""
    wanted = {"agent": "Fitment", "decision_type": list(decision_types)}
    found = await memory.search("events", problem, k=SEARCHED, filters=wanted)
    hits = [h for h in found if h.score >= SIMILAR_FLOOR]
    if not hits:
        return []
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(PERSON_DECISIONS, {"ids": [h.id for h in hits]})
        decided = {int(r["id"]): r for r in await cur.fetchall()}
    cases = []
    for hit in hits:
        row = decided.get(hit.id)
        if row is None:
            continue
        cases.append(
            PastCase(
                event_id=hit.id,
                score=round(hit.score, 3),
                decision_type=row["decision_type"],
                subject=f"{row['subject_kind']} {row['subject_id']}",
                summary=" ".join(hit.text.split())[:240],
                resolution=_resolution(row),
                person_decision=row["person_decision"],
                decided_at=row["decided_at"],
            )
        )
    return cases[:k]


def _resolution(row: dict[str, Any]) -> str:
    """A review decision says its status ('approved', 'edited', 'rejected'); a hand edit
    of the rows is an approval of the fix, a removal a rejection of the rows."""
    if row["person_decision"].startswith("review.") and row["output"] in (
        "approved",
        "edited",
        "rejected",
    ):
        return str(row["output"])
    return "rejected" if row["outcome"] == "rejected" else "approved"
