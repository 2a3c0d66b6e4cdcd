"""Handlers by task kind: what a worker runs, with each kind's retry and concurrency rules.

    registry = TaskRegistry()

    @registry.task("feeds.import", payload=ImportFeed, max_concurrency=2,
                   retry=RetryPolicy(base_seconds=5), give_up_on=(FeedError,))
    async def import_feed(payload: ImportFeed, ctx: TaskContext) -> dict[str, int]: ...

A transactional kind's handler gets `ctx.conn` inside an open transaction; the
task is completed in that same transaction, so the handler's writes commit if and
only if the task completes (exactly-once effects on an at-least-once queue).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from psycopg import AsyncConnection
from pydantic import BaseModel, ValidationError

from automechanica.queue.backoff import RetryPolicy
from automechanica.queue.errors import PayloadError, PermanentError, UnknownKindError
from automechanica.queue.models import KIND_PATTERN

DEFAULT_RETRY = RetryPolicy()


class TaskContext(NamedTuple):
    """What a handler knows about the attempt it runs (immutable; a named tuple, as a
    worker makes one per task and a frozen dataclass took three times as long)."""

    task_id: int
    kind: str
    attempt: int
    max_attempts: int
    worker: str
    #: The open transaction of a transactional kind (None otherwise): write effects here.
    conn: AsyncConnection[Any] | None = None

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


Handler = Callable[[Any, TaskContext], Awaitable[Any]]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class TaskKind:
    """A registered kind: its handler and rules."""

    kind: str
    handler: Handler
    payload_model: type[BaseModel] | None = None
    retry: RetryPolicy = DEFAULT_RETRY
    max_concurrency: int | None = None
    transactional: bool = False
    give_up_on: tuple[type[BaseException], ...] = ()

    def parse(self, payload: dict[str, Any]) -> Any:
        """The payload the handler receives: its model when it declares one."""
        if self.payload_model is None:
            return payload
        try:
            return self.payload_model.model_validate(payload)
        except ValidationError as exc:
            raise PayloadError(self.kind, str(exc.errors()[0]["msg"])) from exc

    def retryable(self, exc: BaseException) -> bool:
        """Whether another attempt could succeed after `exc`."""
        return not isinstance(exc, (PermanentError, PayloadError, *self.give_up_on))


@dataclass
class TaskRegistry:
    """The kinds a worker can run."""

    _kinds: dict[str, TaskKind] = field(default_factory=dict)

    def task(
        self,
        kind: str,
        *,
        payload: type[BaseModel] | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = None,
        transactional: bool = False,
        give_up_on: Iterable[type[BaseException]] = (),
    ) -> Callable[[H], H]:
        """Decorator registering an `async def handler(payload, ctx)` for `kind`."""

        def register(handler: H) -> H:
            self.add(
                TaskKind(
                    kind=kind,
                    handler=handler,
                    payload_model=payload,
                    retry=retry or DEFAULT_RETRY,
                    max_concurrency=max_concurrency,
                    transactional=transactional,
                    give_up_on=tuple(give_up_on),
                )
            )
            return handler

        return register

    def add(self, spec: TaskKind) -> None:
        if not re.match(KIND_PATTERN, spec.kind):
            raise ValueError(f"task kind {spec.kind!r} must match {KIND_PATTERN}")
        if spec.kind in self._kinds:
            raise ValueError(f"task kind {spec.kind!r} is registered twice")
        if spec.max_concurrency is not None and spec.max_concurrency < 1:
            raise ValueError(f"task kind {spec.kind!r}: max_concurrency must be at least 1")
        self._kinds[spec.kind] = spec

    def include(self, other: TaskRegistry) -> None:
        """Add every kind of `other` (a module's own registry)."""
        for spec in other._kinds.values():
            self.add(spec)

    def get(self, kind: str) -> TaskKind:
        try:
            return self._kinds[kind]
        except KeyError:
            raise UnknownKindError(kind, self._kinds) from None

    def retry_policy(self, kind: str) -> RetryPolicy:
        """The kind's policy, or the default one for a kind this worker does not know."""
        spec = self._kinds.get(kind)
        return spec.retry if spec else DEFAULT_RETRY

    @property
    def kinds(self) -> list[str]:
        return sorted(self._kinds)

    def __contains__(self, kind: object) -> bool:
        return kind in self._kinds

    def __len__(self) -> int:
        return len(self._kinds)


#: The registry `automechanica worker --tasks module` uses for modules that register here.
default_registry = TaskRegistry()
