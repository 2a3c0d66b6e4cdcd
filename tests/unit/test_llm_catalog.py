"""The model catalog file: the shipped prices, user overrides, and the errors a bad
file gets; and which providers the settings configure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from automechanica.config import Settings
from automechanica.llm import CatalogError, build_providers, load_catalog
from automechanica.llm.providers import (
    AnthropicProvider,
    OfflineProvider,
    OllamaProvider,
    OpenAICompatProvider,
)


def test_the_shipped_catalog_has_list_prices_with_a_date() -> None:
    catalog = load_catalog()
    prices = {m.name: m.price for m in catalog if m.price is not None}
    assert (prices["gpt-4.1"].input, prices["gpt-4.1"].output) == (Decimal("2.0"), Decimal("8.0"))
    assert (prices["gpt-4.1-mini"].input, prices["gpt-4.1-mini"].output) == (
        Decimal("0.4"),
        Decimal("1.6"),
    )
    assert prices["gpt-4.1-nano"].output == Decimal("0.4")
    assert (prices["claude-sonnet-4.5"].input, prices["claude-sonnet-4.5"].output) == (3, 15)
    assert (prices["claude-haiku-4.5"].input, prices["claude-haiku-4.5"].output) == (1, 5)
    assert all(p.as_of == date(2026, 10, 1) for p in prices.values())
    assert catalog["claude-haiku-4.5"].model == "claude-haiku-4-5"  # the provider's id
    assert catalog.provider_kind(catalog["offline"]) == "offline"


def test_price_arithmetic_uses_the_cached_rate_for_cached_tokens() -> None:
    mini = load_catalog()["gpt-4.1-mini"]
    assert mini.cost(1_000_000, 0, 0) == Decimal("0.400000")
    assert mini.cost(1_000_000, 1_000_000, 500_000) == Decimal("0.250000") + Decimal("1.600000")
    assert mini.cost(None, 10, 0) is None  # unknown tokens: unknown cost, not zero
    assert mini.worst_case_cost(1000, 10**9) == mini.cost(1000, mini.max_output_tokens, 0)


def test_a_user_file_overrides_adds_and_removes(tmp_path: Path) -> None:
    override = tmp_path / "models.toml"
    override.write_text(
        """
version = 1
[providers.llamacpp]
kind = "openai_compat"
base_url = "http://127.0.0.1:8080/v1"
structured_output = "json_object"

[models."gpt-4.1-mini".price]
input = 0.35
as_of = 2026-12-01

[models.smollm2]
provider = "llamacpp"
model = "smollm2"
tier = "low"
context_window = 8192
capabilities = ["json_schema"]

[models."gpt-4.1"]
enabled = false
"""
    )
    catalog = load_catalog(override)
    mini = catalog["gpt-4.1-mini"]
    assert mini.price is not None
    assert (mini.price.input, mini.price.output, mini.price.as_of) == (
        Decimal("0.35"),
        Decimal("1.6"),  # kept from the shipped file: tables merge key by key
        date(2026, 12, 1),
    )
    assert catalog["smollm2"].price is None  # unpriced: cost unknown, never $0
    assert "gpt-4.1" not in catalog.models
    assert catalog.providers["llamacpp"].structured_output == "json_object"
    assert catalog.sources[-1] == str(override)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version = 2", "format version 2"),
        ("[models.x]\nprovider = 'nowhere'\ntier = 'low'\ncontext_window = 1", "'nowhere'"),
        ("[models.x]\nprovider = 'openai'\ntier = 'extreme'\ncontext_window = 1", "tier"),
        ("[models.x\n", "cannot be read"),
    ],
)
def test_a_bad_user_file_says_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    override = tmp_path / "bad.toml"
    override.write_text(text)
    with pytest.raises(CatalogError, match=message):
        load_catalog(override)


def _settings(**fields: object) -> Settings:
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg]


def test_with_no_keys_only_the_offline_provider_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AUTOMECHANICA_OPENAI_API_KEY",
                 "AUTOMECHANICA_ANTHROPIC_API_KEY", "AUTOMECHANICA_OLLAMA_BASE_URL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    providers = build_providers(_settings(), load_catalog())
    assert list(providers) == ["offline"]
    assert isinstance(providers["offline"], OfflineProvider)


async def test_keys_from_either_variable_name_configure_their_providers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-conventional")
    monkeypatch.setenv("AUTOMECHANICA_OPENAI_API_KEY", "sk-ours")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    monkeypatch.setenv("AUTOMECHANICA_OLLAMA_BASE_URL", "http://127.0.0.1:11434")
    settings = _settings()
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-ours"  # ours wins
    providers = build_providers(settings, load_catalog())
    try:
        assert isinstance(providers["openai"], OpenAICompatProvider)
        assert providers["openai"].client.headers["authorization"] == "Bearer sk-ours"
        assert isinstance(providers["anthropic"], AnthropicProvider)
        assert isinstance(providers["ollama"], OllamaProvider)
    finally:
        for provider in providers.values():
            await provider.aclose()
