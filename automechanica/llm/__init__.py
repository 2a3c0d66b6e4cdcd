"""LLM router: providers, model catalog with prices, selection, fallbacks, call log (DESIGN.md §5).

Agents only ever call the router:

    from automechanica.llm import LLMRequest, build_router

    router = build_router(settings, pool=pool)        # an entry point does this once
    response = await router.complete(
        LLMRequest.ask("Normalize: 'BOSCH 3397007620'", task_kind="catalog.normalize",
                       complexity="low", output=PartNumber, agent="normalizer")
    )
    response.output_as(PartNumber), response.model, response.cost_usd

See docs/llm.md for selection, fallbacks, budgets, the catalog file and the call log.
"""

from automechanica.llm.budget import Budget
from automechanica.llm.call_log import CallLog, CallRecord, MemoryCallLog, PgCallLog
from automechanica.llm.catalog import Catalog, ModelSpec, Price, ProviderSpec, load_catalog
from automechanica.llm.errors import (
    AllModelsFailedError,
    CatalogError,
    LLMError,
    NoModelError,
    ProviderError,
    StreamInterruptedError,
)
from automechanica.llm.factory import build_providers, build_router, configured
from automechanica.llm.failures import POLICIES, FailureKind, Policy
from automechanica.llm.health import HealthBoard, HealthView
from automechanica.llm.router import LLMStream, RetryOptions, Router
from automechanica.llm.selection import Candidate, plan
from automechanica.llm.types import (
    Capability,
    Complexity,
    LLMRequest,
    LLMResponse,
    Message,
    Tool,
    ToolCall,
    Usage,
)

__all__ = [
    "POLICIES",
    "AllModelsFailedError",
    "Budget",
    "CallLog",
    "CallRecord",
    "Candidate",
    "Capability",
    "Catalog",
    "CatalogError",
    "Complexity",
    "FailureKind",
    "HealthBoard",
    "HealthView",
    "LLMError",
    "LLMRequest",
    "LLMResponse",
    "LLMStream",
    "MemoryCallLog",
    "Message",
    "ModelSpec",
    "NoModelError",
    "PgCallLog",
    "Policy",
    "Price",
    "ProviderError",
    "ProviderSpec",
    "RetryOptions",
    "Router",
    "StreamInterruptedError",
    "Tool",
    "ToolCall",
    "Usage",
    "build_providers",
    "build_router",
    "configured",
    "load_catalog",
    "plan",
]
