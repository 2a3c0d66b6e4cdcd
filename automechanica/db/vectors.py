"""pgvector's text form for vectors sent as query parameters, and the expression the
HNSW indexes serve.

Formatting 384 floats with `str` cost about 0.5 ms a vector, a tenth of a vector
search; orjson writes the same text (float32 values, shortest round-trip form) in
about 15 µs.

The vector columns hold float32 vectors; their HNSW indexes (migration 0015) hold
half-precision copies, which halve an insert's pages and a distance's bytes. A
search reaches an index only by ordering on the same expression (`nearest_first`),
and ranks what it returns by the exact float distance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import orjson

#: Size of the vector columns (migration 0001).
DIMENSION = 384
#: What the HNSW indexes are built on (migration 0015, which also sets m and
#: ef_construction).
HNSW_INDEX = f"USING hnsw ((embedding::halfvec({DIMENSION})) halfvec_cosine_ops)"


def nearest_first(column: str) -> str:
    """ORDER BY expression an HNSW index serves: `column` by cosine distance to the
    query vector `%(vector)s`, in half precision, as the index holds it."""
    return f"{column}::halfvec({DIMENSION}) <=> %(vector)s::halfvec({DIMENSION})"


def vector_text(values: Sequence[float] | npt.NDArray[np.floating]) -> str:
    """`[0.1,0.2,…]` as float32, which is what a pgvector column stores."""
    array = np.asarray(values, dtype=np.float32)
    return orjson.dumps(array, option=orjson.OPT_SERIALIZE_NUMPY).decode()
