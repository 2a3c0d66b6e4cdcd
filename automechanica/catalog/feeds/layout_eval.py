"""How well layout inference reads the labeled files of `evals/layouts/`.

Each feed file there has its expected mapping beside it (`NAME.expected.json`:
`fields` our field -> source, `has_header`, and optionally `supplier` and `brand`).
`evaluate_layouts` infers each file's layout and scores it field by field: a field
is right when the inferred source equals the expected one (an expected field not
found, or a field found that is not expected, is wrong).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from automechanica.catalog.feeds.layout import KnownValues, infer_layout

TARGET_ACCURACY = 0.98
FEED_SUFFIXES = (".csv", ".jsonl", ".tsv", ".txt")


def evaluate_layouts(path: Path | str, *, known: KnownValues | None = None) -> dict[str, Any]:
    """Per-field accuracy of layout inference over the labeled files under `path`.

    Returns `accuracy` (fields right / fields scored), `per_field` accuracy, `files`,
    `fields`, `correct`, `header_accuracy` (headerless files recognized), `target`,
    `passed`, and `mistakes` (file, field, expected, got) to look at.
    """
    root = Path(path)
    right: dict[str, int] = defaultdict(int)
    seen: dict[str, int] = defaultdict(int)
    mistakes: list[dict[str, Any]] = []
    files = headers_right = 0
    for feed in sorted(p for p in root.iterdir() if p.suffix in FEED_SUFFIXES):
        expected_path = feed.with_name(feed.stem + ".expected.json")
        if not expected_path.exists():
            continue
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        layout = infer_layout(feed, known=known, supplier=expected.get("supplier"))
        files += 1
        headers_right += layout.has_header == expected.get("has_header", True)
        got = layout.sources()
        wanted: dict[str, str] = expected["fields"]
        if "brand" in expected:  # the supplier's own brand, no column
            got_brand = layout.brand or got.get("brand")
            for name, value in (("brand", expected["brand"]),):
                seen[name] += 1
                if got_brand == value:
                    right[name] += 1
                else:
                    mistakes.append(_mistake(feed, name, value, got_brand))
        for name in sorted(set(wanted) | set(got)):
            seen[name] += 1
            if wanted.get(name) == got.get(name):
                right[name] += 1
            else:
                mistakes.append(_mistake(feed, name, wanted.get(name), got.get(name)))
    fields, correct = sum(seen.values()), sum(right.values())
    accuracy = correct / fields if fields else 0.0
    return {
        "files": files,
        "fields": fields,
        "correct": correct,
        "accuracy": round(accuracy, 4),
        "per_field": {name: round(right[name] / seen[name], 4) for name in sorted(seen)},
        "header_accuracy": round(headers_right / files, 4) if files else 0.0,
        "target": TARGET_ACCURACY,
        "passed": accuracy >= TARGET_ACCURACY,
        "mistakes": mistakes,
    }


def _mistake(feed: Path, name: str, expected: str | None, got: str | None) -> dict[str, Any]:
    return {"file": feed.name, "field": name, "expected": expected, "got": got}
