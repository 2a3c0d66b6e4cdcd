"""Workflow definitions in code: a name, an explicit version, and steps in order.

    ONBOARDING = Workflow("supplier_feed_onboarding", version=1, steps=(
        Step("map_layout", map_layout),            # may return Hold(...) for a person
        FanOut("normalize", items=part_ids, run_batch=normalize_batch, batch_size=500),
        Sleep("cool_down", seconds=60),
        Step("publish", publish),
    ))

A running workflow finishes on the version it started with: keep an old version
registered until its runs are done (`automechanica workflow list --running`).
Steps receive a StepContext whose `conn` is the step's transaction: what a step
writes there commits together with its journal entry and the next step's task.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from psycopg import AsyncConnection

from automechanica.orchestrator.errors import UnknownWorkflowError

JSON = Any  # what a step returns: anything JSON can carry


@dataclass(frozen=True)
class StepContext:
    """What a step knows: its workflow, the results before it, and its transaction."""

    conn: AsyncConnection[Any]
    workflow_id: UUID
    workflow: str
    version: int
    step_key: str
    input: dict[str, Any]
    results: dict[str, JSON]
    services: Any
    task_id: int
    attempt: int
    batch: int | None = None


@dataclass(frozen=True)
class ReviewRequest:
    """A decision a person must make before the workflow goes on."""

    kind: str
    reason: str
    proposed: JSON
    current: JSON = None
    agent: str | None = None
    confidence: float | None = None
    rationale: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    subject_kind: str | None = None
    subject_id: str | None = None
    event_id: int | None = None


@dataclass(frozen=True)
class Hold:
    """Returned by a step to wait for a person: the step's result becomes the decision
    (`{"decision": "approved" | "edited" | "rejected", "value": …, "note": …}`)."""

    review: ReviewRequest


@dataclass(frozen=True)
class Finish:
    """Returned by a step to end the workflow here: `failed` with a reason the
    operator reads, or `completed` early with an output."""

    status: Literal["completed", "failed"]
    output: JSON = None
    reason: str | None = None


StepFn = Callable[[StepContext], Awaitable[JSON | Hold | Finish]]
ItemsFn = Callable[[StepContext], Awaitable[Sequence[JSON]]]
BatchFn = Callable[[StepContext, list[JSON]], Awaitable[JSON]]


def _concatenate(results: list[JSON]) -> JSON:
    return results


@dataclass(frozen=True)
class Step:
    key: str
    run: StepFn


@dataclass(frozen=True)
class FanOut:
    """Run `run_batch` over `items` in batches, in parallel; the step's result is
    `combine(batch results in batch order)` once the last batch is journaled."""

    key: str
    items: ItemsFn
    run_batch: BatchFn
    batch_size: int = 500
    combine: Callable[[list[JSON]], JSON] = _concatenate


@dataclass(frozen=True)
class Sleep:
    """Wait for a time (durable: a task scheduled for then, not a sleeping process)."""

    key: str
    seconds: float


AnyStep = Step | FanOut | Sleep


@dataclass(frozen=True)
class Workflow:
    name: str
    version: int
    steps: tuple[AnyStep, ...]
    description: str = ""

    def __post_init__(self) -> None:
        keys = [s.key for s in self.steps]
        if not keys:
            raise ValueError(f"workflow {self.name} has no steps")
        if len(set(keys)) != len(keys):
            raise ValueError(f"workflow {self.name} v{self.version} repeats a step key")

    @property
    def first(self) -> str:
        return self.steps[0].key

    def step(self, key: str) -> AnyStep:
        for candidate in self.steps:
            if candidate.key == key:
                return candidate
        raise UnknownWorkflowError(f"{self.name} v{self.version} has no step {key!r}")

    def after(self, key: str) -> str | None:
        keys = [s.key for s in self.steps]
        at = keys.index(key)
        return keys[at + 1] if at + 1 < len(keys) else None


class WorkflowRegistry:
    """Every workflow version this process can run."""

    def __init__(self, workflows: Sequence[Workflow] = ()) -> None:
        self._by_key: dict[tuple[str, int], Workflow] = {}
        for workflow in workflows:
            self.add(workflow)

    def add(self, workflow: Workflow) -> None:
        key = (workflow.name, workflow.version)
        if key in self._by_key:
            raise ValueError(f"workflow {workflow.name} v{workflow.version} is registered twice")
        self._by_key[key] = workflow

    def get(self, name: str, version: int) -> Workflow:
        try:
            return self._by_key[(name, version)]
        except KeyError:
            raise UnknownWorkflowError(
                f"workflow {name} v{version} is not known to this process; keep that version "
                "registered until its runs have finished"
            ) from None

    def latest(self, name: str) -> Workflow:
        versions = [w for (n, _), w in self._by_key.items() if n == name]
        if not versions:
            known = ", ".join(sorted(self.names)) or "none"
            raise UnknownWorkflowError(f"no workflow named {name!r} (known: {known})")
        return max(versions, key=lambda w: w.version)

    @property
    def names(self) -> set[str]:
        return {n for n, _ in self._by_key}
