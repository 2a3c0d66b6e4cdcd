"""Chunking with overlap and HTML sanitizing, without a database."""

from __future__ import annotations

import itertools

import pytest

from automechanica.memory.documents import chunk_text, html_to_text

TEXT = "\n\n".join(
    " ".join(f"Paragraph {p} sentence {s} says something useful." for s in range(6))
    for p in range(8)
)


def test_chunks_respect_the_size_and_overlap() -> None:
    chunks = chunk_text(TEXT, size=300, overlap=100)
    assert len(chunks) > 5
    assert all(len(c) <= 300 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        first_sentence = after.split(". ")[0]
        assert first_sentence in before  # each chunk starts with the previous one's end
    words = set(TEXT.split())
    assert words == set(" ".join(chunks).split())  # nothing lost


def test_a_sentence_longer_than_a_chunk_is_cut_at_words() -> None:
    long = " ".join(["word"] * 400)
    chunks = chunk_text(long, size=200, overlap=50)
    assert all(len(c) <= 200 for c in chunks)
    assert sum(c.count("word") for c in chunks) >= 400


def test_overlap_must_be_smaller_than_size() -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunk_text("x", size=100, overlap=100)


def test_html_loses_scripts_styles_comments_and_attributes() -> None:
    title, text = html_to_text(
        "<title>Policy</title><style>b{}</style><h1 onclick='x()'>Returns</h1>"
        "<p>Within <a href='javascript:evil()'>30&nbsp;days</a>.</p><!-- secret -->"
        "<script>steal()</script><p>Keep the box &amp; receipt.</p>"
    )
    assert title == "Policy"
    assert "Returns" in text and "30\xa0days" in text and "box & receipt" in text
    for bad in ("steal", "secret", "evil", "onclick", "b{}", "<"):
        assert bad not in text
