"""Provider adapters, one per wire format: each turns a `ProviderRequest` into HTTP
and the answer (or the failure) back into a `ProviderResult` (or a `ProviderError`)."""

from automechanica.llm.providers.anthropic import AnthropicProvider
from automechanica.llm.providers.base import (
    Provider,
    ProviderRequest,
    ProviderResult,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from automechanica.llm.providers.offline import OfflineProvider, Template
from automechanica.llm.providers.ollama import OllamaProvider
from automechanica.llm.providers.openai_compat import OpenAICompatProvider

__all__ = [
    "AnthropicProvider",
    "OfflineProvider",
    "OllamaProvider",
    "OpenAICompatProvider",
    "Provider",
    "ProviderRequest",
    "ProviderResult",
    "StreamEnd",
    "StreamEvent",
    "Template",
    "TextDelta",
]
