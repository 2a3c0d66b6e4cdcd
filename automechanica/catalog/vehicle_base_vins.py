"""VIN rewriting for the vehicle base: the check digit, and vPIC's repairs."""

from __future__ import annotations

import re

_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_POSSIBLE = re.compile(r"\((\d+):([^)]*)\)")


def with_check_digit(vin: str) -> str:
    """`vin` with position 9 set to the check digit its other characters call for."""
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin, _WEIGHTS, strict=True)) % 11
    return vin[:8] + ("X" if total == 10 else str(total)) + vin[9:]


def repaired(vin: str, possible_values: str) -> str:
    """`vin` with each position vPIC flags set to the first character it allows there."""
    chars = list(vin)
    for position, allowed in _POSSIBLE.findall(possible_values):
        index = int(position) - 1
        usable = [c for c in allowed if c in _TRANSLITERATION]
        if index in (8, 9) or not usable:  # check digit and model year are ours to set
            continue
        chars[index] = usable[0]
    return with_check_digit("".join(chars))
