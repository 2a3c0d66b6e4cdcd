"""Build a router from settings: the catalog, the configured providers, the call log.

Entry points (the CLI, the API, workers) call `build_router`; everything below
receives plain arguments. A provider is configured when it has what it needs:
OpenAI and Anthropic a key, Ollama a base URL, an extra OpenAI-compatible
endpoint of the models file its `base_url` (and the key named by `api_key_env`,
if any). The offline provider always is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from psycopg_pool import AsyncConnectionPool

from automechanica.config import Settings
from automechanica.llm.budget import Budget
from automechanica.llm.call_log import CallLog, MemoryCallLog, PgCallLog
from automechanica.llm.catalog import Catalog, ProviderSpec, load_catalog
from automechanica.llm.providers.anthropic import AnthropicProvider
from automechanica.llm.providers.base import Provider
from automechanica.llm.providers.offline import OfflineProvider, Template
from automechanica.llm.providers.ollama import OllamaProvider
from automechanica.llm.providers.openai_compat import OpenAICompatProvider
from automechanica.llm.router import Router


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def endpoint(spec: ProviderSpec, settings: Settings) -> tuple[str, str | None] | None:
    """(base URL, key) for a provider, or None when it is not configured."""
    env_key = os.environ.get(spec.api_key_env) if spec.api_key_env else None
    if spec.kind == "offline":
        return ("", None)
    if spec.kind == "openai_compat":
        if spec.name == "openai":
            key = _secret(settings.openai_api_key)
            return (spec.base_url or settings.openai_base_url, key) if key else None
        return (spec.base_url, env_key) if spec.base_url else None
    if spec.kind == "anthropic":
        key = _secret(settings.anthropic_api_key) if spec.name == "anthropic" else env_key
        return (spec.base_url or settings.anthropic_base_url, key) if key else None
    base = spec.base_url or (settings.ollama_base_url if spec.name == "ollama" else None)
    return (base, None) if base else None


def configured(settings: Settings, catalog: Catalog) -> set[str]:
    """The names of the providers these settings configure."""
    return {name for name, spec in catalog.providers.items() if endpoint(spec, settings)}


def build_provider(spec: ProviderSpec, settings: Settings) -> Provider | None:
    """The adapter for one catalog provider, or None when it is not configured."""
    found = endpoint(spec, settings)
    if found is None:
        return None
    base, key = found
    timeout = settings.llm_timeout_seconds
    if spec.kind == "offline":
        return OfflineProvider(spec.name)
    if spec.kind == "openai_compat":
        return OpenAICompatProvider(
            spec.name, base, api_key=key, structured_output=spec.structured_output, timeout=timeout
        )
    if spec.kind == "anthropic":
        return AnthropicProvider(spec.name, base, api_key=key or "", timeout=timeout)
    return OllamaProvider(spec.name, base, timeout=timeout)


def build_providers(settings: Settings, catalog: Catalog) -> dict[str, Provider]:
    """Every configured provider of the catalog, by name."""
    built = {name: build_provider(spec, settings) for name, spec in catalog.providers.items()}
    return {name: provider for name, provider in built.items() if provider is not None}


def build_router(
    settings: Settings,
    *,
    pool: AsyncConnectionPool[Any] | None = None,
    catalog: Catalog | None = None,
    offline_templates: Mapping[str, Template] | None = None,
) -> Router:
    """A router for these settings; with a pool, calls are logged to `llm_calls`."""
    catalog = catalog or load_catalog(settings.llm_models_file)
    providers = build_providers(settings, catalog)
    for provider in providers.values():
        if isinstance(provider, OfflineProvider) and offline_templates:
            provider.templates.update(offline_templates)
    call_log: CallLog = PgCallLog(pool) if pool is not None else MemoryCallLog()
    budget = Budget(
        daily_usd=settings.llm_daily_budget_usd,
        workflow_usd=settings.llm_workflow_budget_usd,
        pool=pool,
        call_log=call_log,
    )
    return Router(catalog, providers, call_log=call_log, budget=budget)
