"""One typed settings object, read from AUTOMECHANICA_* variables and `.env`.

Only entry points (the CLI, the API app factory) build it; everything else
receives the values it needs as arguments.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Where the embedded database and other local state live by default."""
    return Path(platformdirs.user_data_dir("automechanica", appauthor=False))


class Settings(BaseSettings):
    """AutoMechanica's settings; every field maps to AUTOMECHANICA_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="AUTOMECHANICA_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL 15+ with pgvector; unset to run an embedded server.",
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    demo_seed: int = 2026
    demo_parts: int = Field(default=5200, description="canonical parts in the demo store")
    demo_vins_per_type: int = Field(
        default=300, description="VINs drawn per make and vehicle type for the demo vehicles"
    )
    full_vehicle_base: bool = Field(
        default=True,
        description="`up` loads every vPIC vehicle on first start (in the background)",
    )
    public_url: str | None = Field(
        default=None,
        description="the store's public address for canonical links and the sitemap, "
        "e.g. https://shop.example.com; unset: the address a request came to",
    )
    pool_min_size: int = 2
    pool_max_size: int = 10

    # Accounts (docs/accounts.md). Every API process must share one secret key; `up`
    # keeps a generated one in data_dir/secret_key when none is set.
    secret_key: SecretStr | None = Field(
        default=None, description="signs access tokens; 32+ random bytes, the same on every host"
    )
    access_token_minutes: int = Field(default=15, ge=1, le=60)
    session_days: int = Field(default=7, ge=1, le=90, description="a login's refresh lifetime")
    admin_email: str | None = Field(
        default=None, description="`up` creates this admin on first start (with admin_password)"
    )
    admin_password: SecretStr | None = Field(default=None, repr=False)

    # The public API's limits (docs/api.md).
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="larger is 413")
    api_search_per_minute: float = Field(
        default=120.0, gt=0, description="part searches with words per client IP, per process"
    )
    api_search_burst: int = Field(default=30, ge=1)
    api_db_timeout_seconds: float = Field(
        default=5.0, gt=0, description="wait for a pooled connection, then answer 503"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="proxy addresses/networks whose X-Forwarded-For names the client",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="origins allowed by CORS; empty: CORS off"
    )

    # Vector memory (docs/memory.md).
    embedding_provider: str = Field(
        default="local", description="local (ONNX all-MiniLM-L6-v2, offline) or openai"
    )
    embedding_model: str | None = Field(
        default=None, description="openai provider: the embedding model's name"
    )
    embedding_base_url: str | None = Field(
        default=None, description="openai provider: an OpenAI-compatible /v1 URL"
    )
    embedding_api_key: str | None = Field(default=None, repr=False)
    embedding_dimension: int = 384
    vector_store: str = Field(default="pgvector", description="pgvector or qdrant")
    qdrant_url: str | None = Field(
        default=None, description="a Qdrant server; unset: in-process under data_dir/qdrant"
    )
    qdrant_api_key: str | None = Field(default=None, repr=False)
    hnsw_ef_search: int = Field(default=300, description="HNSW candidates per vector search")

    # LLM router (docs/llm.md). Keys also come from the conventional OPENAI_API_KEY /
    # ANTHROPIC_API_KEY; the AUTOMECHANICA_ names win when both are set.
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "AUTOMECHANICA_OPENAI_API_KEY", "OPENAI_API_KEY", "openai_api_key"
        ),
    )
    openai_base_url: str = "https://api.openai.com/v1"
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "AUTOMECHANICA_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY", "anthropic_api_key"
        ),
    )
    anthropic_base_url: str = "https://api.anthropic.com"
    ollama_base_url: str | None = Field(
        default=None, description="e.g. http://127.0.0.1:11434; unset: no Ollama models"
    )
    llm_models_file: Path | None = Field(
        default=None, description="a TOML file merged over the built-in model catalog"
    )
    llm_daily_budget_usd: Decimal | None = Field(default=None, description="spend cap per UTC day")
    llm_workflow_budget_usd: Decimal | None = Field(
        default=None, description="spend cap per workflow"
    )
    llm_timeout_seconds: float = 60.0
    # Checkout.
    tax_rate: Decimal = Field(
        default=Decimal("0.0825"), ge=0, le=1, description="sales tax estimate on merchandise"
    )

    @property
    def secret_key_file(self) -> Path:
        """Where `up` keeps the generated signing key of a one-machine store."""
        return self.data_dir / "secret_key"

    @property
    def embedded_pgdata(self) -> Path:
        """The embedded server's data folder (reused across starts)."""
        return self.data_dir / "pgdata"
