"""How suppliers write things: brand spellings, MPN punctuation, free-text fitment.

The same part reads differently in each feed ("'12-'15 Chevy Silverado 1500 5.3L
V8 4x4" vs "2012-2015 Chevrolet Silverado 1500 5.3L V8 4WD"); the importer's
normalizers are tested against exactly these variations.
"""

from __future__ import annotations

import random

from automechanica.catalog.feeds.demo.catalog import Part
from automechanica.catalog.feeds.demo.fitment import Fit, Fleet
from automechanica.catalog.vocabulary import Brand

__all__ = ["STYLES", "Voices", "fit_text", "fitment_texts", "mpn_variant"]

# fmt: off
_MAKE_SLANG = {"Chevrolet": ("Chevy",), "Volkswagen": ("VW",), "Mercedes-Benz": ("Mercedes",)}
_POSITION_WORDS: dict[str, tuple[str, ...]] = {
    "Front": ("Front", "front", "Frt"),
    "Rear": ("Rear", "rear"),
    "Front Left": ("Front Left", "front driver side", "Front LH"),
    "Front Right": ("Front Right", "front passenger side", "Front RH"),
    "Rear Left": ("Rear Left", "rear driver side", "Rear LH"),
    "Rear Right": ("Rear Right", "rear passenger side", "Rear RH"),
    "Driver": ("Driver Side", "driver side"),
    "Passenger": ("Passenger Side", "passenger side"),
    "Front Left Lower": ("Front Left Lower", "front driver side lower"),
    "Front Right Lower": ("Front Right Lower", "front passenger side lower"),
    "Front Left Upper": ("Front Left Upper", "front driver side upper"),
    "Front Right Upper": ("Front Right Upper", "front passenger side upper"),
}
# fmt: on
STYLES = ("short", "full", "slang", "make-first")
_LAYOUTS = {"Subaru": "H", "BMW": "I"}  # boxer and straight engines


def _years_text(start: int, end: int, style: str) -> str:
    if style == "slang":
        return f"'{start % 100:02d}" + (f"-'{end % 100:02d}" if end != start else "")
    if start == end:
        return str(start)
    if style == "short":
        return f"{start}-{end % 100:02d}"
    return f"{start} thru {end}" if style == "make-first" else f"{start}-{end}"


def _engine_text(fit: Fit, style: str) -> str:
    text = f"{fit.liters:.1f}L" if fit.liters is not None else ""
    if fit.cylinders:
        n = fit.cylinders
        layout = _LAYOUTS.get(fit.make, "V" if n >= 6 else "L")
        text += f" {layout}{n}" if style in ("slang", "full") else f" {n} Cyl"
    return text


def fit_text(fit: Fit, position: str | None, style: str, rng: random.Random, fleet: Fleet) -> str:
    """One vehicle entry as a supplier writes it: "'12-'15 Chevy Silverado 1500 5.3L V8 4WD"."""
    years = _years_text(fit.year_start, fit.year_end, style)
    make = rng.choice(_MAKE_SLANG.get(fit.make, (fit.make,))) if style == "slang" else fit.make
    if style == "short" and fit.model in fleet.unique_models:
        words = ["Fits", years, fit.model]
    elif style == "make-first":
        words = [make, fit.model, years]
    else:
        words = [years, make, fit.model]
    words += ["/".join(fit.submodels), _engine_text(fit, style)]
    words += [("4x4" if fit.drive == "4WD" and style == "slang" else fit.drive) or ""]
    words += [fit.fuel_text or ""]
    words += [rng.choice(_POSITION_WORDS.get(position, (position,))) if position else ""]
    return " ".join(w for w in words if w)


def fitment_texts(part: Part, rng: random.Random, fleet: Fleet) -> list[str]:
    """The part's fitment as one supplier row writes it, one string per vehicle entry."""
    style = rng.choice(STYLES)
    trailing = part.position is not None and rng.random() < 0.15  # "...; Front" at the end
    position = None if trailing else part.position
    texts = [fit_text(fit, position, style, rng, fleet) for fit in part.fits]
    if trailing and texts and part.position:
        texts.append(rng.choice(_POSITION_WORDS.get(part.position, (part.position,))))
    return texts


def mpn_variant(rng: random.Random, mpn: str) -> str:
    """The MPN as a supplier keys it: spaces or dashes dropped or added, lower case."""
    roll = rng.random()
    if roll < 0.55:
        return mpn
    if roll < 0.75 and any(c in mpn for c in " -"):
        return mpn.replace(" ", "").replace("-", "")
    if roll < 0.85:
        return mpn.lower()
    prefix = len(mpn) - len(mpn.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    if 0 < prefix < len(mpn) and mpn[prefix].isdigit():
        return f"{mpn[:prefix]}-{mpn[prefix:]}"
    return mpn


class Voices:
    """Per supplier: brand spellings (every alias gets used), SKUs, and update times."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.uses: dict[tuple[str, str], int] = {}

    def brand(self, supplier: str, brand: Brand) -> str:
        names = (brand.name, *brand.aliases)
        count = self.uses.get((supplier, brand.name), 0)
        self.uses[(supplier, brand.name)] = count + 1
        if count < len(names):
            return names[count]
        return brand.name if self.rng.random() < 0.6 else self.rng.choice(brand.aliases)

    def updated_at(self) -> str:
        minutes = self.rng.randrange(60 * 24 * 30)
        day, minute = divmod(minutes, 60 * 24)
        return f"2026-01-{day + 1:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z"
