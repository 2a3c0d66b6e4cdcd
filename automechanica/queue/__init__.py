"""The Postgres task queue (DESIGN.md §4): enqueue, lease, retry, dead letters, workers.

A task is a kind plus a JSON payload; handlers are registered by kind. Lifecycle:
`pending -> leased -> running -> completed | failed | dead`, where `failed` means a
retry is scheduled and `dead` that the task waits in the dead-letter queue.

    from automechanica.queue import Queue, TaskRegistry, Worker, new_task

    registry = TaskRegistry()

    @registry.task("email.send", transactional=True)
    async def send(payload: dict[str, object], ctx: TaskContext) -> None: ...

    task_id = await Queue(pool).enqueue("email.send", {"to": "a@b.c"}, conn=conn)
    await Worker(url, registry).run()
"""

from automechanica.queue.backoff import RetryPolicy
from automechanica.queue.client import Queue
from automechanica.queue.dead_letters import (
    discard,
    discard_one,
    get_task,
    list_dead,
    replay,
    replay_one,
)
from automechanica.queue.enqueue import insert_tasks, new_task
from automechanica.queue.errors import (
    LeaseLostError,
    PayloadError,
    PayloadTooLargeError,
    PermanentError,
    QueueError,
    TaskNotFoundError,
    TaskStateError,
    UnknownKindError,
    WorkerLoopError,
)
from automechanica.queue.housekeeping import cancel_pending, prune_all, rescue_expired
from automechanica.queue.models import (
    DeadLetter,
    DeadLetterFilter,
    NewTask,
    QueueStats,
    TaskInfo,
)
from automechanica.queue.registry import TaskContext, TaskRegistry, default_registry
from automechanica.queue.stats import queue_stats
from automechanica.queue.worker import Worker, WorkerOptions, WorkerReport

__all__ = [
    "DeadLetter",
    "DeadLetterFilter",
    "LeaseLostError",
    "NewTask",
    "PayloadError",
    "PayloadTooLargeError",
    "PermanentError",
    "Queue",
    "QueueError",
    "QueueStats",
    "RetryPolicy",
    "TaskContext",
    "TaskInfo",
    "TaskNotFoundError",
    "TaskRegistry",
    "TaskStateError",
    "UnknownKindError",
    "Worker",
    "WorkerLoopError",
    "WorkerOptions",
    "WorkerReport",
    "cancel_pending",
    "default_registry",
    "discard",
    "discard_one",
    "get_task",
    "insert_tasks",
    "list_dead",
    "new_task",
    "prune_all",
    "queue_stats",
    "replay",
    "replay_one",
    "rescue_expired",
]
