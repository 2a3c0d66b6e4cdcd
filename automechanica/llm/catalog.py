"""The model catalog as data: a versioned TOML file shipped in the package
(`models.toml`), merged with an optional user file.

Prices are per 1M tokens with the date they were seen; a model without a price
has an unknown cost (NULL in the call log, and a warning), never $0.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from automechanica.llm.errors import CatalogError
from automechanica.llm.types import TIERS, Capability, Complexity

FORMAT_VERSION = 1
ProviderKind = Literal["openai_compat", "anthropic", "ollama", "offline"]
PER_MILLION = Decimal(1_000_000)


class Price(BaseModel):
    """USD per 1M tokens, as listed on `as_of`; cached input defaults to the input price."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cached: Decimal | None = Field(default=None, ge=0)
    as_of: date

    def cost(self, tokens_in: int, tokens_out: int, tokens_cached: int = 0) -> Decimal:
        """USD for one call; `tokens_in` includes the cached part."""
        cached_price = self.input if self.cached is None else self.cached
        fresh = max(tokens_in - tokens_cached, 0)
        total = fresh * self.input + tokens_cached * cached_price + tokens_out * self.output
        return (total / PER_MILLION).quantize(Decimal("0.000001"))


class ProviderSpec(BaseModel):
    """A provider entry: its wire format and, for extra endpoints, where it lives."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: ProviderKind
    base_url: str | None = None
    api_key_env: str | None = Field(
        default=None, description="environment variable holding the key (extra providers)"
    )
    structured_output: Literal["json_schema", "json_object"] = Field(
        default="json_schema",
        description="json_object sends {'type': 'json_object', 'schema': …} (llama.cpp)",
    )


class ModelSpec(BaseModel):
    """One model: who serves it, how strong it is, what it can do, what it costs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    provider: str
    model: str = Field(description="the provider's model id; defaults to `name`")
    tier: Complexity
    context_window: int = Field(gt=0)
    max_output_tokens: int = Field(default=4096, gt=0)
    capabilities: frozenset[Capability] = frozenset()
    price: Price | None = None

    @field_validator("capabilities", mode="before")
    @classmethod
    def _as_set(cls, value: Any) -> Any:
        return frozenset(value) if isinstance(value, list) else value

    @property
    def tier_rank(self) -> int:
        return TIERS.index(self.tier)

    def cost(
        self, tokens_in: int | None, tokens_out: int | None, cached: int | None
    ) -> Decimal | None:
        """USD for one call, or None when the price or the token counts are unknown
        (a free model costs 0 whatever it counted: llama.cpp streams report no usage)."""
        if self.price is not None and self.price.input == self.price.output == 0:
            return self.price.cost(0, 0)
        if self.price is None or tokens_in is None or tokens_out is None:
            return None
        return self.price.cost(tokens_in, tokens_out, cached or 0)

    def worst_case_cost(self, prompt_tokens: int, max_tokens: int) -> Decimal | None:
        """The most one call can cost (no cache hits, every output token used)."""
        if self.price is None:
            return None
        return self.price.cost(prompt_tokens, min(max_tokens, self.max_output_tokens))


class Catalog:
    """Models and providers by name, in file order."""

    def __init__(
        self,
        models: Mapping[str, ModelSpec],
        providers: Mapping[str, ProviderSpec],
        *,
        revision: str = "",
        sources: tuple[str, ...] = (),
    ) -> None:
        self.models = dict(models)
        self.providers = dict(providers)
        self.revision = revision
        self.sources = sources
        for spec in self.models.values():
            if spec.provider not in self.providers:
                raise CatalogError(
                    " + ".join(sources) or "(built in)",
                    f"model {spec.name!r} names provider {spec.provider!r}, which is not "
                    f"defined (defined: {', '.join(sorted(self.providers))})",
                )

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self.models.values())

    def __getitem__(self, name: str) -> ModelSpec:
        return self.models[name]

    def provider_kind(self, model: ModelSpec) -> ProviderKind:
        return self.providers[model.provider].kind

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, sources: tuple[str, ...] = ()) -> Catalog:
        """Build from the parsed (and merged) TOML tables."""
        where = " + ".join(sources) or "(dict)"
        if data.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            raise CatalogError(
                where, f"format version {data.get('version')!r}; this code reads {FORMAT_VERSION}"
            )
        try:
            providers = {
                name: ProviderSpec(name=name, **{k: v for k, v in fields.items() if k != "enabled"})
                for name, fields in data.get("providers", {}).items()
                if fields.get("enabled", True)
            }
            models = {}
            for name, fields in data.get("models", {}).items():
                fields = dict(fields)
                if not fields.pop("enabled", True):
                    continue
                fields.setdefault("model", name)
                models[name] = ModelSpec(name=name, **fields)
        except (ValidationError, TypeError) as exc:
            raise CatalogError(where, str(exc)) from exc
        return cls(models, providers, revision=str(data.get("revision", "")), sources=sources)


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def builtin_catalog_text() -> str:
    """The catalog shipped with the package."""
    return resources.files("automechanica.llm").joinpath("models.toml").read_text("utf-8")


def load_catalog(override: Path | None = None) -> Catalog:
    """The built-in catalog, with `override` merged over it when given."""
    data = tomllib.loads(builtin_catalog_text())
    sources = ["automechanica/llm/models.toml"]
    if override is not None:
        try:
            extra = tomllib.loads(override.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CatalogError(str(override), f"cannot be read ({exc})") from exc
        if extra.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            raise CatalogError(str(override), f"format version {extra.get('version')!r}")
        data = _merge(data, extra)
        sources.append(str(override))
    return Catalog.from_dict(data, sources=tuple(sources))
