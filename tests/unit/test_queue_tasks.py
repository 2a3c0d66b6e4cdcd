"""Task validation at the edge and the handler registry (no database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pydantic import BaseModel

from automechanica.errors import AutoMechanicaError, NotFoundError
from automechanica.queue import (
    PayloadError,
    PayloadTooLargeError,
    PermanentError,
    TaskContext,
    TaskNotFoundError,
    TaskRegistry,
    UnknownKindError,
    new_task,
)
from automechanica.queue.enqueue import encode_payload


class Reprice(BaseModel):
    part_id: int
    margin: float = 0.3


async def _noop(payload: Any, ctx: TaskContext) -> None:
    return None


def test_a_pydantic_payload_becomes_json() -> None:
    task = new_task("pricing.reprice", Reprice(part_id=7), priority=3)
    assert task.payload == {"part_id": 7, "margin": 0.3}
    assert task.priority == 3


@pytest.mark.parametrize(
    ("kind", "payload", "kwargs", "words"),
    [
        ("", {}, {}, "kind"),
        ("has space", {}, {}, "kind"),
        ("ok", {"when": datetime(2026, 1, 1)}, {}, "payload"),
        ("ok", {}, {"priority": 10**6}, "priority"),
        ("ok", {}, {"max_attempts": 0}, "max_attempts"),
        ("ok", {}, {"run_at": datetime(2026, 1, 1)}, "run_at"),
    ],
)
def test_invalid_tasks_are_refused_with_the_field_named(
    kind: str, payload: dict[str, Any], kwargs: dict[str, Any], words: str
) -> None:
    with pytest.raises(PayloadError, match=words) as caught:
        new_task(kind, payload, **kwargs)
    assert isinstance(caught.value, AutoMechanicaError)
    assert "JSON object" in caught.value.message


def test_oversized_payloads_are_refused_with_advice() -> None:
    task = new_task("feeds.import", {"rows": "x" * 2000})
    assert encode_payload(task, max_bytes=5000).startswith('{"rows"')
    with pytest.raises(PayloadTooLargeError) as caught:
        encode_payload(task, max_bytes=1000)
    assert caught.value.size > caught.value.limit == 1000
    assert "pass its id" in caught.value.message


def test_registry_finds_handlers_and_names_the_known_kinds() -> None:
    registry = TaskRegistry()
    registry.task("a")(_noop)
    registry.task("b", max_concurrency=2)(_noop)
    assert registry.kinds == ["a", "b"]
    assert registry.get("b").max_concurrency == 2
    with pytest.raises(UnknownKindError, match="registered: a, b"):
        registry.get("c")
    with pytest.raises(ValueError, match="twice"):
        registry.task("a")(_noop)
    with pytest.raises(ValueError, match="max_concurrency"):
        registry.task("z", max_concurrency=0)(_noop)


def test_retryable_errors_are_told_apart_from_final_ones() -> None:
    registry = TaskRegistry()
    registry.task("k", give_up_on=(KeyError,))(_noop)
    spec = registry.get("k")
    assert spec.retryable(RuntimeError("flaky"))
    assert not spec.retryable(KeyError("gone"))
    assert not spec.retryable(PermanentError("never"))
    assert not spec.retryable(PayloadError("k", "bad"))


def test_a_payload_model_is_applied_before_the_handler() -> None:
    registry = TaskRegistry()
    registry.task("p", payload=Reprice)(_noop)
    spec = registry.get("p")
    assert spec.parse({"part_id": 3}) == Reprice(part_id=3)
    with pytest.raises(PayloadError, match="'p'"):
        spec.parse({"part_id": "three"})


def test_task_not_found_is_a_not_found_error() -> None:
    assert isinstance(TaskNotFoundError(5), NotFoundError)
    assert "task 5" in TaskNotFoundError(5).message
