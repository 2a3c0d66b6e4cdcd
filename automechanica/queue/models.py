"""The queue's typed edges: a task to enqueue, a task as stored, dead letters, statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from automechanica.fields import Id64

Status = Literal["pending", "leased", "running", "completed", "failed", "dead"]
STATUSES: tuple[Status, ...] = ("pending", "leased", "running", "completed", "failed", "dead")

DEFAULT_MAX_ATTEMPTS = 5
#: Payloads larger than this are refused at enqueue; big data belongs in a table.
DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024
KIND_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.:\-]*$"


class NewTask(BaseModel):
    """One task to enqueue, validated before it reaches the database."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(min_length=1, max_length=100, pattern=KIND_PATTERN)
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    priority: int = Field(default=0, ge=-32768, le=32767, description="higher runs first")
    run_at: AwareDatetime | None = Field(default=None, description="not before; now if unset")
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=500)
    max_attempts: int = Field(default=DEFAULT_MAX_ATTEMPTS, ge=1, le=1000)
    workflow_id: UUID | None = None


class TaskInfo(BaseModel):
    """A task as stored: what `queue show` and the admin API print."""

    id: int
    kind: str
    status: Status
    payload: dict[str, Any]
    priority: int
    run_at: datetime
    attempts: int
    max_attempts: int
    idempotency_key: str | None
    workflow_id: UUID | None
    leased_by: str | None
    lease_expires_at: datetime | None
    heartbeat_at: datetime | None
    last_error: str | None
    last_traceback: str | None
    result: JsonValue | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class DeadLetter(BaseModel):
    """One row of the dead-letter listing."""

    id: int
    kind: str
    attempts: int
    max_attempts: int
    last_error: str | None
    workflow_id: UUID | None
    created_at: datetime
    finished_at: datetime | None


NO_NUL = r"^[^\x00]*$"


class DeadLetterFilter(BaseModel):
    """Which dead letters to replay or discard; an empty filter matches them all."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Id64] | None = Field(default=None, description="only these task ids")
    #: PostgreSQL text cannot hold NUL: the schema says so, and such a filter is a 422.
    kind: Annotated[str, Field(max_length=200, pattern=NO_NUL)] | None = None
    error_contains: Annotated[str, Field(max_length=500, pattern=NO_NUL)] | None = Field(
        default=None, description="substring of the last error"
    )


class KindStats(BaseModel):
    """Counts and rates for one task kind."""

    kind: str
    counts: dict[Status, int]
    oldest_runnable_seconds: float | None = Field(
        description="age of the oldest task that is due and waiting for a worker"
    )
    completed_last_minute: int


class QueueStats(BaseModel):
    """The whole queue at a glance: what `queue stats` and the admin endpoint return."""

    counts: dict[Status, int]
    oldest_runnable_seconds: float | None
    completed_per_second_1m: float = Field(description="throughput over the last minute")
    completed_per_second_5m: float = Field(description="throughput over the last 5 minutes")
    kinds: list[KindStats]
    table_live_rows: int
    table_dead_rows: int = Field(description="dead tuples in the tasks table (vacuum debt)")
