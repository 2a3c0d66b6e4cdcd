"""The OpenAI-compatible embedder against a loopback server speaking `/v1/embeddings`
(the real wire format: JSON in, `{"object": "list", "data": [{"embedding", "index"}]}` out)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import numpy as np
import pytest

from automechanica.memory import (
    EmbeddingError,
    EmbeddingInputError,
    EmbeddingUnavailableError,
    OpenAIEmbedder,
)


class FakeEmbeddings(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []
    fail_next: ClassVar[list[int]] = []

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeEmbeddings.requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        if FakeEmbeddings.fail_next:
            self._send(FakeEmbeddings.fail_next.pop(0), {"error": {"message": "nope"}})
            return
        if any("POISON" in text for text in body["input"]):
            self._send(400, {"error": {"message": "input rejected", "type": "invalid_request"}})
            return
        size = body.get("dimensions", 384)
        data = [
            {"object": "embedding", "index": i, "embedding": [float(i + 1)] * size}
            for i in range(len(body["input"]))
        ]
        data.reverse()  # servers may answer out of order: the index says which is which
        self._send(
            200,
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 3, "total_tokens": 3},
            },
        )

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def server() -> Iterator[str]:
    FakeEmbeddings.requests = []
    FakeEmbeddings.fail_next = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeEmbeddings)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_embeds_in_order_with_the_key_and_model(server: str) -> None:
    embedder = OpenAIEmbedder(
        server, "text-embedding-3-small", api_key="sk-test", request_dimensions=True
    )
    try:
        vectors = embedder.embed(["a", "b", "c"])
    finally:
        embedder.close()
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    (request,) = FakeEmbeddings.requests
    assert request["path"] == "/v1/embeddings"
    assert request["auth"] == "Bearer sk-test"
    assert request["body"] == {
        "model": "text-embedding-3-small",
        "input": ["a", "b", "c"],
        "encoding_format": "float",
        "dimensions": 384,
    }
    assert embedder.model == "text-embedding-3-small" and embedder.dimension == 384


def test_errors_are_sorted_into_retry_or_give_up(server: str) -> None:
    embedder = OpenAIEmbedder(server, "m")
    try:
        with pytest.raises(EmbeddingInputError, match="400"):
            embedder.embed(["POISON"])
        FakeEmbeddings.fail_next = [503, 429, 401]
        with pytest.raises(EmbeddingUnavailableError, match="503"):
            embedder.embed(["x"])
        with pytest.raises(EmbeddingUnavailableError, match="429"):
            embedder.embed(["x"])
        with pytest.raises(EmbeddingError, match="API_KEY"):
            embedder.embed(["x"])
    finally:
        embedder.close()


def test_a_model_of_the_wrong_size_is_refused(server: str) -> None:
    embedder = OpenAIEmbedder(server, "m", dimension=768)
    try:
        with pytest.raises(EmbeddingError, match="768 dimensions"):
            embedder.embed(["x"])
    finally:
        embedder.close()


def test_an_unreachable_server_is_transient() -> None:
    embedder = OpenAIEmbedder("http://127.0.0.1:9/v1", "m", timeout=2)
    try:
        with pytest.raises(EmbeddingUnavailableError, match="did not answer"):
            embedder.embed(["x"])
    finally:
        embedder.close()
