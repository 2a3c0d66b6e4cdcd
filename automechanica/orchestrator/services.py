"""What workflow steps may use besides their transaction, built by the entry point."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from automechanica.llm import Router
from automechanica.memory import Embedder


@dataclass
class Services:
    """The LLM router (every model call goes through it), the embedder, local folders."""

    database_url: str
    router: Router | None = None
    #: A real model is configured (not only the offline one): worth asking for wording.
    language_model: bool = False
    embedder: Embedder | None = None
    data_dir: Path | None = None
