"""Units of sale and pack quantities as suppliers write them ("Each", "PR", "2/PK").

Our units are the trade's short codes: EA (each), PR (pair), SET, PK (pack),
KT (kit), QT (quart), plus a few less common ones kept as written. A pack cell
may carry its unit ("2/PK", "4 PK", "pack of 4"); the unit then comes from it
when the row has no unit column of its own.
"""

from __future__ import annotations

import re

#: What suppliers write -> our unit code (keys: lower case, no punctuation).
UNIT_SYNONYMS: dict[str, str] = {
    "ea": "EA", "each": "EA", "eac": "EA", "pc": "EA", "pce": "EA", "piece": "EA", "unit": "EA",
    "pr": "PR", "pair": "PR", "pairs": "PR",
    "set": "SET", "st": "SET", "sets": "SET",
    "pk": "PK", "pack": "PK", "pkg": "PK", "package": "PK", "pck": "PK", "bx": "PK", "box": "PK",
    "kt": "KT", "kit": "KT", "kits": "KT",
    "qt": "QT", "quart": "QT", "qts": "QT",
    "gal": "GAL", "gallon": "GAL", "cs": "CS", "case": "CS", "ft": "FT", "feet": "FT",
    "rl": "RL", "roll": "RL", "bt": "BT", "bottle": "BT", "cn": "CN", "can": "CN",
}  # fmt: skip
_PACK = re.compile(
    r"^\s*(?:(?:pack|pk|box|case|set|kit)\s+of\s+)?(\d[\d,]*)\s*(?:[/x-]\s*|per\s+)?([a-z]*)\s*$",
    re.IGNORECASE,
)
_KEY = re.compile(r"[^a-z]")


def normalize_uom(text: str) -> str:
    """'Each' -> 'EA', 'pair' -> 'PR', 'Kit' -> 'KT'; an unknown unit upper-cased as written."""
    key = _KEY.sub("", text.lower())
    return UNIT_SYNONYMS.get(key, text.strip().upper())


def split_pack(text: str) -> tuple[str, str | None]:
    """A pack cell's quantity text and the unit written with it: "4" -> ("4", None),
    "2/PK" -> ("2", "PK"), "pack of 4" -> ("4", "PK"). A cell of another shape comes back
    whole, for the number parser to word its reason."""
    match = _PACK.match(text)
    if match is None:
        return text, None
    unit = match[2]
    if unit:
        code = UNIT_SYNONYMS.get(_KEY.sub("", unit.lower()))
        return (match[1], code) if code else (text, None)
    lead = text.strip().lower().partition(" of ")[0] if " of " in text.lower() else ""
    return match[1], (normalize_uom(lead) if lead else None)
