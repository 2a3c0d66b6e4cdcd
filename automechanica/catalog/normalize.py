"""Part-number and brand normalization: how two suppliers' rows become one part.

DOMAIN.md: NFKC, upper case, one dash kind, strip spaces, '-', '.', '/', and
known supplier line-code prefixes; never strip letter suffixes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from automechanica.catalog.vocabulary import BRANDS, alias_key

_DASHES = re.compile(r"[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]")
_SEPARATORS = re.compile(r"[\s\-./]+")

#: Line codes suppliers put before a brand's part numbers ("WAG ZD1212").
LINE_CODES: Mapping[str, tuple[str, ...]] = {
    "Bosch": ("BOS", "BSH"),
    "ACDelco": ("ACD", "DEL"),
    "Denso": ("DEN", "NDE"),
    "NGK": ("NGK",),
    "Wagner": ("WAG", "WGR"),
    "Moog": ("MOO", "MOG"),
    "Monroe": ("MON",),
    "Dorman": ("DOR", "RNB"),
    "Fram": ("FRA", "FRM"),
    "Gates": ("GAT", "GTS"),
    "K&N": ("KNN", "KNE"),
    "Cardone": ("CAR", "A1C"),
    "Power Stop": ("PWS", "PSB"),
}
_LINE_CODE_PATTERNS = {
    brand: re.compile(r"^(?:" + "|".join(codes) + r")[\s\-./]+(?=\S)")
    for brand, codes in LINE_CODES.items()
}


def normalize_mpn(raw: str, brand: str | None = None) -> str:
    """The comparable form of a part number: 'bp-1234' -> 'BP1234'.

    With the canonical `brand`, a leading line code of that brand followed by
    a separator is dropped too ('WAG-ZD1212' -> 'ZD1212').
    """
    if raw.isascii():  # NFKC and the dash kinds change nothing in ASCII: skip them
        text = raw.upper().strip()
    else:
        text = _DASHES.sub("-", unicodedata.normalize("NFKC", raw)).upper().strip()
    if brand is not None and (pattern := _LINE_CODE_PATTERNS.get(brand)):
        stripped = pattern.sub("", text, count=1)
        if _SEPARATORS.sub("", stripped):
            text = stripped
    return _SEPARATORS.sub("", text)


def brand_alias_keys() -> dict[str, str]:
    """Every spelling of our brands, by lookup key, to the canonical name."""
    keys: dict[str, str] = {}
    for brand in BRANDS:
        keys[alias_key(brand.name)] = brand.name
        for alias in brand.aliases:
            keys[alias_key(alias)] = brand.name
    return keys
