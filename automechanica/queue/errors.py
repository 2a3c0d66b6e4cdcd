"""Errors of the task queue, under `AutoMechanicaError`.

    AutoMechanicaError
    ├── NotFoundError
    │   └── TaskNotFoundError    no task with this id
    └── QueueError               the queue could not do what was asked
        ├── PayloadError         a payload that is not a JSON object matching the kind's model
        │   └── PayloadTooLargeError
        ├── UnknownKindError     no handler registered for a kind
        ├── TaskStateError       the task is not in a state that allows the operation
        ├── LeaseLostError       a result for a lease that was taken back (discarded)
        ├── WorkerLoopError      a worker's background loop failed unexpectedly: it stopped
        └── PermanentError       raised by a handler: retrying cannot help, dead-letter it

Each message says what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterable

from automechanica.errors import AutoMechanicaError, NotFoundError


class QueueError(AutoMechanicaError):
    """The task queue could not do what was asked."""


class PayloadError(QueueError):
    """The task payload is not valid."""

    HINT = "Pass a JSON object (a dict or a pydantic model) that matches the kind's payload model."

    def __init__(self, kind: str, reason: str) -> None:
        self.kind = kind
        self.reason = reason
        super().__init__(f"Task {kind!r}: the payload is not valid ({reason}). {self.HINT}")


class PayloadTooLargeError(PayloadError):
    """The task payload is over the size limit."""

    HINT = "Store large data in a table and pass its id in the payload."

    def __init__(self, kind: str, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(kind, f"{size:,} bytes, over the {limit:,}-byte limit")


class UnknownKindError(QueueError):
    """No handler is registered for this task kind."""

    def __init__(self, kind: str, known: Iterable[str] = ()) -> None:
        self.kind = kind
        self.known = sorted(known)
        listed = ", ".join(self.known) or "none"
        super().__init__(
            f"No handler for task kind {kind!r} (registered: {listed}). Register one with "
            "`@registry.task(kind)` in a module passed to `automechanica worker --tasks`."
        )


class TaskNotFoundError(NotFoundError):
    """No task has this id."""

    def __init__(self, task_id: int) -> None:
        self.task_id = task_id
        super().__init__("task", task_id)


class TaskStateError(QueueError):
    """The task is not in a state that allows this operation."""

    def __init__(self, task_id: int, status: str, action: str, allowed: Iterable[str]) -> None:
        self.task_id = task_id
        self.status = status
        self.action = action
        self.allowed = tuple(allowed)
        super().__init__(
            f"Task {task_id} is {status}; only {' or '.join(self.allowed)} tasks can be "
            f"{action}. Check it with `automechanica queue show {task_id}`."
        )


class LeaseLostError(QueueError):
    """The lease on the task was taken back; this attempt's result was discarded."""

    def __init__(self, task_id: int) -> None:
        self.task_id = task_id
        super().__init__(
            f"Task {task_id}: the lease was taken back (it expired and was rescued, or the task "
            "was released); this attempt's result was discarded. Nothing to do: the attempt "
            "holding the lease now decides. If this happens often, raise --lease-seconds."
        )


class WorkerLoopError(QueueError):
    """A worker's background loop failed unexpectedly, so the worker stopped."""

    def __init__(self, loop: str, cause: BaseException | None) -> None:
        self.loop = loop
        self.cause = cause
        what = f"{type(cause).__name__}: {cause}" if cause is not None else "it returned"
        super().__init__(
            f"The worker's {loop} loop failed ({what}), so the worker stopped rather than run "
            "on without it: its running tasks were cancelled and their leases released (any "
            "it could not release expire and are retried by other workers). This is a bug, "
            "not a database outage (those are retried): read the traceback logged with it, "
            "fix the cause, and start the worker again."
        )


class PermanentError(QueueError):
    """The task cannot succeed by retrying; it goes to the dead-letter queue."""
