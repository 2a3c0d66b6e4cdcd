"""Errors of the LLM router, under `AutoMechanicaError`.

    AutoMechanicaError
    ├── ConfigurationError
    │   └── CatalogError           the model catalog file cannot be read or is inconsistent
    └── LLMError                   the router could not answer
        ├── ProviderError          one attempt failed; `kind` (a FailureKind) says how
        ├── NoModelError           no configured model can serve the request at all
        ├── AllModelsFailedError   every model in the chain failed; `errors` lists them
        └── StreamInterruptedError the stream broke after its first token (no fallback then)

Each message says what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence

from automechanica.errors import AutoMechanicaError, ConfigurationError
from automechanica.llm.failures import FailureKind


class CatalogError(ConfigurationError):
    """The model catalog cannot be used; fix the file named in the message."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"Model catalog {source}: {reason}")


class LLMError(AutoMechanicaError):
    """The LLM router could not answer."""


class ProviderError(LLMError):
    """A provider call failed; the router classifies it and decides what comes next."""

    def __init__(
        self,
        kind: FailureKind,
        detail: str,
        *,
        provider: str,
        model: str,
        status_code: int | None = None,
        retry_after: float | None = None,
        tokens_in: int | None = None,
        tokens_out: int | None = None,
        raw_output: str | None = None,
    ) -> None:
        self.kind = kind
        self.detail = detail
        self.provider = provider
        self.model = model
        self.status_code = status_code
        self.retry_after = retry_after
        self.tokens_in = tokens_in
        self.tokens_out = tokens_out
        self.raw_output = raw_output
        status = f" (HTTP {status_code})" if status_code is not None else ""
        super().__init__(f"{provider}/{model}: {kind.value}{status}: {detail}")


class NoModelError(LLMError):
    """No configured model can serve this request."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"No model can serve this request: {reason}. Configure a provider key "
            "(AUTOMECHANICA_OPENAI_API_KEY, AUTOMECHANICA_ANTHROPIC_API_KEY, "
            "AUTOMECHANICA_OLLAMA_BASE_URL) or keep the offline provider enabled."
        )


class AllModelsFailedError(LLMError):
    """Every model in the fallback chain failed."""

    def __init__(self, errors: Sequence[ProviderError]) -> None:
        self.errors = list(errors)
        listed = "; ".join(str(e) for e in self.errors) or "nothing was tried"
        super().__init__(
            f"Every model failed ({listed}). See `automechanica llm usage` and the "
            "llm_calls table; keep the offline provider enabled for a last resort."
        )


class StreamInterruptedError(LLMError):
    """The stream broke after its first token; the text so far is in `partial`."""

    def __init__(self, error: ProviderError, partial: str) -> None:
        self.error = error
        self.partial = partial
        super().__init__(
            f"The stream from {error.provider}/{error.model} broke after {len(partial)} "
            f"characters ({error.kind.value}: {error.detail}). A stream falls back only "
            "before its first token: ask again."
        )
