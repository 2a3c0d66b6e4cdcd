"""Errors of vector memory, under `AutoMechanicaError`.

    AutoMechanicaError
    └── VectorMemoryError            vector memory could not do what was asked
        ├── EmbeddingError           the embedding model failed
        │   ├── EmbeddingUnavailableError   transient: provider down, rate limit, timeout (retry)
        │   └── EmbeddingInputError         this input can never be embedded (dead-letter it)
        ├── EmbeddingWorkerStoppedError  a background loop of the worker failed: it stopped
        ├── DocumentError            a supplier document that cannot be ingested
        └── UnknownNamespaceError    search/similar for something memory does not hold

Each message says what to do about it.
"""

from __future__ import annotations

from automechanica.errors import AutoMechanicaError


class VectorMemoryError(AutoMechanicaError):
    """Vector memory could not do what was asked."""


class EmbeddingError(VectorMemoryError):
    """The embedding model failed; check AUTOMECHANICA_EMBEDDING_* settings."""

    def __init__(self, message: str, *, model: str, status_code: int | None = None) -> None:
        self.model = model
        self.status_code = status_code
        super().__init__(f"Embedding model {model!r}: {message}")


class EmbeddingUnavailableError(EmbeddingError):
    """The embedding provider is unavailable for now; the job is retried with backoff."""


class EmbeddingInputError(EmbeddingError):
    """The provider refused this input; retrying cannot help."""


class EmbeddingWorkerStoppedError(VectorMemoryError):
    """The embedding worker stopped because one of its background loops failed."""

    def __init__(self, loop: str, error: str) -> None:
        self.loop = loop
        self.error = error
        super().__init__(
            f"The embedding worker stopped: its {loop} loop failed ({error}). Its leases "
            "come back when they expire; fix the cause (see the log above) and start it again."
        )


class DocumentError(VectorMemoryError):
    """The document cannot be ingested."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class UnknownNamespaceError(VectorMemoryError):
    """Memory holds nothing under this name."""

    def __init__(self, what: str, hint: str) -> None:
        self.what = what
        super().__init__(f"{what}: {hint}")
