"""A settlement bundle sends one outcome per task: the newest lease's (no database)."""

from __future__ import annotations

from uuid import uuid4

from automechanica.queue.lease import Failure, Lease, Settlement, newest_outcomes


def _lease(task_id: int, attempt: int) -> Lease:
    return Lease(task_id, "k", {}, 0, attempt, 5, uuid4())


def test_a_stale_outcome_gives_way_to_the_newer_lease_of_the_same_task() -> None:
    stale, fresh, other = _lease(1, 1), _lease(1, 2), _lease(2, 1)
    bundle = Settlement(
        started=[fresh, other, _lease(3, 1)],
        completed=[(stale, "1"), (other, "2")],
        failed=[Failure(fresh, "failed", 1.0, "E")],
    )
    kept = newest_outcomes(bundle)
    assert kept.completed == [(other, "2")]
    assert [f.lease for f in kept.failed] == [fresh]
    assert [le.id for le in kept.started] == [3]  # finished ones need no running-mark
    assert len(kept) == 3


def test_duplicates_of_one_lease_are_sent_once() -> None:
    held = _lease(7, 1)
    kept = newest_outcomes(Settlement(released=[held, held]))
    assert kept.released == [held]


def test_a_bundle_of_completions_keeps_one_per_task_and_drops_their_running_marks() -> None:
    stale, fresh, other, running = _lease(1, 1), _lease(1, 2), _lease(2, 1), _lease(3, 1)
    bundle = Settlement(started=[other, running], completed=[(other, "1"), (running, "2")])
    kept = newest_outcomes(bundle)
    assert [le.id for le, _ in kept.completed] == [2, 3] and kept.started == []
    kept = newest_outcomes(Settlement(completed=[(stale, "old"), (fresh, "new"), (other, "1")]))
    assert kept.completed == [(fresh, "new"), (other, "1")]
