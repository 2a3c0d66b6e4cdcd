"""The trade's vocabulary: brands and their aliases, part types, make aliases.

Brands and part types are data (`catalog/data/brands.toml`, `part_types.toml`),
the seed the reference loader stores in the database, where people extend them;
the demo store uses the entries marked `demo`. Used by importers, the fitment
parser and the matchers of `catalog.taxonomy` and `catalog.brands`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class Brand:
    """A demo-store brand: every one has its AAIA id (the demo feeds write it)."""

    name: str
    aaia_id: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SeedBrand:
    """A brand of the seed list; the AAIA id only where verified."""

    name: str
    aaia_id: str | None
    aliases: tuple[str, ...]
    demo: bool = False


@dataclass(frozen=True, slots=True)
class PartType:
    name: str
    pcdb_id: int | None
    category: str
    fit_attributes: tuple[str, ...]
    universal: bool = False
    positions: tuple[str, ...] = ()
    engine_only: bool = False  # ICE-only parts: none on an electric vehicle
    has_core: bool = False
    description: str = ""
    synonyms: tuple[str, ...] = ()
    not_words: tuple[str, ...] = ()  # words that say a title is *not* this type
    demo: bool = False

    @property
    def slug(self) -> str:
        return slugify(self.name)


_DATA = resources.files("automechanica.catalog") / "data"


def _load_part_types() -> tuple[PartType, ...]:
    with (_DATA / "part_types.toml").open("rb") as f:
        entries = tomllib.load(f)["part_type"]
    return tuple(
        PartType(
            name=e["name"],
            pcdb_id=e.get("pcdb_id"),
            category=e["category"],
            fit_attributes=tuple(e.get("fit", ())),
            universal=e.get("universal", False),
            positions=tuple(e.get("positions", ())),
            engine_only=e.get("engine_only", False),
            has_core=e.get("has_core", False),
            description=e["description"],
            synonyms=tuple(e.get("synonyms", ())),
            not_words=tuple(e.get("not_words", ())),
            demo=e.get("demo", False),
        )
        for e in entries
    )


def _load_brands() -> tuple[tuple[SeedBrand, ...], tuple[str, ...]]:
    with (_DATA / "brands.toml").open("rb") as f:
        data = tomllib.load(f)
    brands = tuple(
        SeedBrand(e["name"], e.get("aaia_id"), tuple(e.get("aliases", ())), e.get("demo", False))
        for e in data["brand"]
    )
    return brands, tuple(data["matching"]["noise_words"])


#: The whole taxonomy (automechanica/catalog/data/part_types.toml), the seed of `part_types`.
TAXONOMY: tuple[PartType, ...] = _load_part_types()
#: The demo store's ~30 types, in the data file's order (the demo feeds draw from these).
PART_TYPES: tuple[PartType, ...] = tuple(t for t in TAXONOMY if t.demo)

#: Every seeded brand (automechanica/catalog/data/brands.toml) and the words that
#: suppliers add to a brand's name without naming another brand ("Products", "Inc").
ALL_BRANDS, BRAND_NOISE_WORDS = _load_brands()
#: The demo store's 13 brands, in the data file's order.
BRANDS: tuple[Brand, ...] = tuple(
    Brand(b.name, b.aaia_id, b.aliases) for b in ALL_BRANDS if b.demo and b.aaia_id
)

#: Spelling of makes as suppliers write them, by lookup key (see `alias_key`).
MAKE_ALIASES: dict[str, str] = {
    "chevy": "Chevrolet",
    "chev": "Chevrolet",
    "vw": "Volkswagen",
    "volkswagon": "Volkswagen",
    "mercedes": "Mercedes-Benz",
    "benz": "Mercedes-Benz",
    "mb": "Mercedes-Benz",
    "dodgeram": "Ram",
    "toyta": "Toyota",
    "hyundia": "Hyundai",
    "bimmer": "BMW",
}

DEMO_MAKES: tuple[str, ...] = (
    "Toyota",
    "Honda",
    "Ford",
    "Chevrolet",
    "GMC",
    "Ram",
    "Jeep",
    "Dodge",
    "Nissan",
    "Subaru",
    "Hyundai",
    "Kia",
    "Volkswagen",
    "Mazda",
    "BMW",
    "Mercedes-Benz",
    "Audi",
    "Lexus",
    "Tesla",
)

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def alias_key(text: str) -> str:
    """Lookup key for brand and make aliases: lower case letters and digits only.

    'AC Delco', 'AC-Delco' and 'ACDELCO' share the key 'acdelco'.
    """
    return _NON_ALNUM.sub("", text.lower())


def slugify(text: str) -> str:
    """URL slug: 'OBD-II Scanner' -> 'obd-ii-scanner'."""
    return "-".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())
