"""The spelling of free-text fitment: tokens, and what each known word means.

Split from `fitment_text` so the parser reads as a walk over items. This
module knows how suppliers write years, engines, drive, positions, trims and
qualifiers, but nothing about which vehicles exist.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from automechanica.catalog.vocabulary import alias_key

# Item kinds: plain strings compared by identity, cheaper than an Enum in the hot loop.
YEARS: Final = "years"
LITERS: Final = "liters"
CYL: Final = "cylinders"
DESIG: Final = "designation"
CODE: Final = "code"
DRIVE: Final = "drive"
POS: Final = "position"
TRIM: Final = "trim"
QUAL: Final = "qualifier"
QUAL_LEAD: Final = "qualifier lead"
QUAL_SELF: Final = "qualifier word"
NOT_INCL: Final = "not included"
ENGINE_LEAD: Final = "engine lead"
NOISE: Final = "noise"
SEP: Final = "separator"
WORD: Final = "word"
MAKE: Final = "make"
VEHICLE: Final = "vehicle"
UNRES: Final = "unresolved vehicle"
CHASSIS: Final = "chassis code"

ENGINE_KINDS: Final = frozenset({LITERS, CYL, DESIG, CODE})
VALID_CYLINDERS: Final = frozenset({2, 3, 4, 5, 6, 8, 10, 12, 16})
DATE_KEY: Final = "#date"  # never a prefix of any phrase, so dates match nothing


@dataclass(slots=True)
class Item:
    """One token of the text, then what it turned out to mean."""

    kind: str
    start: int
    end: int
    group: int  # parenthesis group (0 outside parentheses)
    key: str = ""
    value: str = ""  # display value: trim, drive, position, designation, make, reason…
    model: str = ""
    years: tuple[tuple[int, int], ...] = ()
    liters: Decimal | None = None
    number: int = 0
    inferred: bool = False  # a model whose make the text does not name
    submodel: str = ""  # the trim a glued name or an alias carries: 'GS350' → '350'
    make: str = ""  # the make of an unknown model ('1955 Chevrolet Bel Air')
    candidates: tuple[tuple[str, str], ...] = ()  # the makes an ambiguous model may be


_TRANSLATE = str.maketrans(
    {c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"}
    | {c: "'" for c in "\u2018\u2019\u201b\u2032`\u00b4"}
    | {"_": " "}  # 'Toyota_Camry_2010': spreadsheet and URL spellings
)

_LEX = re.compile(
    r"""
    (?P<open>(?<![\w.'])(?P<oy>(?:19|20)\d{2})\s*
        (?:\+|(?:-|&|\band\b)\s*(?:up|newer|later|present|current|on)\b))
    |(?P<range>(?<![\w.])(?P<y1>(?:19|20)\d{2}|'?\d{2})\s*(?:-|\bto\b|\bthru\b|\bthrough\b)\s*
        (?P<y2>'?(?:19|20)\d{2}|'?\d{2})(?!\w|\.\d))
    |(?P<slash>(?<![\w./])(?P<s1>(?:19|20)\d{2}|\d{2})/(?P<s2>\d{2})(?![\w./]))
    |(?P<year>(?<![\w.])(?:(?:19|20)\d{2}|'\d{2})(?!\w|\.\d))
    |(?P<liters>(?<![\w.])(?P<lnum>\d{1,2}\.\d)
        (?:\s*(?P<lunit>[lti])|\s*-?\s*lit(?:er|re)s?)?(?!\w|\.\d))
    |(?P<cyl>(?<![\w.])(?P<cnum>\d{1,2})\s*-?\s*cyl(?:inder)?s?\.?(?!\w))
    |(?P<date>(?<![\w.])\d{1,2}/(?:\d{1,2}/)?\d{2,4}(?![\w.]))
    |(?P<special>(?<!\w)(?:w/o\b|w/|r/t\b|[lr]/h\b))
    |(?P<popen>[(\[{])
    |(?P<pclose>[)\]}])
    |(?P<sep>[;,/&|+\n])
    |(?P<word>[^\s;,/&|+()\[\]{}:"]+)
    """,
    re.IGNORECASE | re.VERBOSE,
)


def normalize(text: str) -> str:
    """One dash and one apostrophe kind, compatibility forms folded (NFKC)."""
    return unicodedata.normalize("NFKC", text).translate(_TRANSLATE)


def lex(text: str, current_year: int) -> list[Item]:
    """Split normalized text into items; regex-shaped tokens are classified here."""
    items: list[Item] = []
    group = 0
    groups = 0
    for m in _LEX.finditer(text):
        name = m.lastgroup
        start, end = m.span()
        if name == "popen":
            groups += 1
            group = groups
        elif name == "pclose":
            group = 0
        elif name == "sep":
            char = m.group()
            items.append(Item(SEP, start, end, group, value=";" if char == "\n" else char))
        elif name == "word" or name == "special":
            key = alias_key(m.group())
            if key:
                items.append(Item(WORD, start, end, group, key=key))
        else:
            items.append(_shaped(m, name or "", group, current_year))
    return items


def _shaped(m: re.Match[str], name: str, group: int, current_year: int) -> Item:
    start, end = m.span()
    item = Item(WORD, start, end, group, key=DATE_KEY)
    if name == "liters":
        liters = Decimal(m.group("lnum"))
        if Decimal("0.5") <= liters <= Decimal("9.9"):
            item.kind, item.liters = LITERS, liters
            item.value = f"{liters}T" if (m.group("lunit") or "").lower() == "t" else ""
    elif name == "cyl":
        count = int(m.group("cnum"))
        if count in VALID_CYLINDERS:
            item.kind, item.number = CYL, count
    elif name == "slash":
        span = _slash_years(m.group("s1"), m.group("s2"), current_year)
        if span is not None:
            item.kind, item.years = YEARS, (span,)
    elif name != "date":
        span = _years(m, name, current_year)
        if span is not None:
            item.kind, item.years = YEARS, (span,)
    return item


def _years(m: re.Match[str], name: str, current_year: int) -> tuple[int, int] | None:
    pivot = (current_year + 1) % 100
    if name == "open":
        first, last = int(m.group("oy")), current_year + 1
    elif name == "range":
        first = _year(m.group("y1"), pivot)
        last = _range_end(first, m.group("y2"))
    else:
        first = last = _year(m.group(), pivot)
    first, last = min(first, last), max(first, last)
    if first < 1900 or last > current_year + 2:
        return None
    return first, last


def _slash_years(first_text: str, last_text: str, current_year: int) -> tuple[int, int] | None:
    """'64/65', '66/70', '1966/70': a range as restoration catalogs write it; '10/15'
    could be a month and a year, so a first number up to 12 stays a date."""
    if len(first_text) == 2 and int(first_text) <= 12:
        return None
    first = _year(first_text, (current_year + 1) % 100)
    last = _range_end(first, last_text)
    if last - first > 30 or last > current_year + 2:
        return None
    return first, last


def two_digit_years(items: list[Item], text: str, current_year: int) -> None:
    """'98 Accord', 'Fits 05 Civic': a bare two-digit number right before a vehicle is its
    year, the way listing titles write it."""
    pivot = (current_year + 1) % 100
    for i, item in enumerate(items[:-1]):
        written = text[item.start : item.end]
        if item.kind is not WORD or len(written) != 2 or not written.isdigit():
            continue
        j = _next_index(items, i)
        if j < len(items) and items[j].kind in (MAKE, VEHICLE, UNRES, CHASSIS):
            year = _year(written, pivot)
            item.kind, item.years = YEARS, ((year, year),)


def _year(text: str, pivot: int) -> int:
    digits = text.lstrip("'")
    number = int(digits)
    if len(digits) == 4:
        return number
    return 2000 + number if number <= pivot else 1900 + number


def _range_end(first: int, text: str) -> int:
    """'2012-15' and "'98-'02": a two-digit end is read in the century of the start."""
    digits = text.lstrip("'")
    if len(digits) == 4:
        return int(digits)
    end = first - first % 100 + int(digits)
    return end if end >= first else end + 100


_CYLINDER_WORD = re.compile(r"^[vlihw](\d{1,2})$")
_ENGINE_CODE = re.compile(r"^(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]{2,8}(?:-[A-Z0-9]{1,4})?$")


def cylinder_word(key: str) -> int | None:
    """'V6', 'V-6', 'L4', 'I4', 'H4' → the cylinder count."""
    m = _CYLINDER_WORD.match(key)
    if m is None:
        return None
    count = int(m.group(1))
    return count if count in VALID_CYLINDERS else None


def is_engine_code(text: str) -> bool:
    """'K20C2', '2GR-FE', 'L83': upper-case letters and digits, as makers print them."""
    return _ENGINE_CODE.match(text.rstrip(".")) is not None


_TURBO_SUFFIX = re.compile(r"^\d\.\dT$")
_TURBO = frozenset({"Turbo", "EcoBoost", "TDI"})
_DIESEL = frozenset({"TDI", "EcoDiesel", "Duramax", "Cummins", "Power Stroke", "Diesel"})


def aspiration_of(designation: str | None) -> str | None:
    """'2.0T', 'EcoBoost' → Turbocharged: the constraint a designation implies."""
    if designation is None:
        return None
    if designation in _TURBO or _TURBO_SUFFIX.match(designation):
        return "Turbocharged"
    return "Supercharged" if designation == "Supercharged" else None


def fuel_of(designation: str | None) -> str | None:
    return "Diesel" if designation in _DIESEL else None


def engine_code_of(designation: str | None) -> str | None:
    """Only a real code ('K20C2') constrains engine_code; 'Hemi' or '2.0T' would never match."""
    return designation if designation is not None and is_engine_code(designation) else None


_DRIVES = {
    "4WD": "4wd 4x4 fourwheeldrive 4wheeldrive fourbyfour",
    "AWD": "awd allwheeldrive quattro 4matic xdrive 4motion shawd",
    "FWD": "fwd frontwheeldrive",
    "RWD": "rwd rearwheeldrive",
    "2WD": "2wd 4x2 twowheeldrive 2wheeldrive",
}
_POSITIONS = {
    "Front": "front frt",
    "Rear": "rear",
    "Left": "left lh driver drivers driverside",
    "Right": "right rh passenger passengers passengerside",
    "Upper": "upper",
    "Lower": "lower",
    "Inner": "inner",
    "Outer": "outer",
    "Upstream": "upstream precat",
    "Downstream": "downstream postcat",
    "Front Left": "lf",
    "Front Right": "rf",
    "Rear Left": "lr",
    "Rear Right": "rr",
}
#: Designations that name an engine family rather than a code.
_DESIGNATIONS = (
    "Hemi EcoBoost Turbo TDI EcoDiesel Duramax Cummins Vortec SkyActiv Supercharged Diesel"
)
_TRIMS = (
    "LX,EX,EX-L,DX,Si,Sport,Touring,Elite,Type R,Hybrid,SE,LE,XLE,XSE,SR,SR5,TRD,TRD Pro,"
    "TRD Off-Road,Limited,Platinum,Premium,Prestige,Luxury,Base,S,SV,SL,SX,GL,GLS,GLI,XL,XLT,"
    "Lariat,King Ranch,Raptor,Titanium,SEL,ST,GT,LS,LT,LTZ,RS,SS,Z71,Premier,High Country,WT,"
    "Custom,Trail Boss,Denali,SLE,SLT,AT4,Tradesman,Big Horn,Laramie,Rebel,Longhorn,Sahara,"
    "Rubicon,Unlimited,Laredo,Overland,Summit,Trailhawk,Altitude,R/T,SXT,Scat Pack,SRT,"
    "Grand Touring,Signature,Nismo,PRO-4X,N Line,Ultimate,Calligraphy,Wilderness,Onyx,"
    "Preferred,Wolfsburg,Comfortline,Highline,Trendline,Autobahn"
)
_NOISE = (
    "fits fit for compatible compatiblewith models model vehicles vehicle years year yrs yr "
    "only all the this part side also applications application replacement"
)
_ENGINE_LEADS = "engine eng enginecode engcode motor"
_QUALIFIER_LEADS = (
    "exc except excluding exclude excludes excl w wo with without not notfor non before after "
    "priorto upto until till fromvin thruvin throughvin startingvin endingvin built mfd mfg "
    "manufactured if requires incl including includes"
)
_NOT_INCLUDED = "notincluded notincl excluded"


def _phrases() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}

    def add(kind: str, value: str, keys: str) -> None:
        for key in keys.split():
            if key in table:
                raise ValueError(f"fitment phrase {key!r} is listed twice")
            table[key] = (kind, value)

    for drive, keys in _DRIVES.items():
        add(DRIVE, drive, keys)
    for position, keys in _POSITIONS.items():
        add(POS, position, keys)
    for name in _DESIGNATIONS.split():
        add(DESIG, name, alias_key(name))
    for trim in _TRIMS.split(","):
        add(TRIM, trim, alias_key(trim))
    add(DESIG, "Power Stroke", "powerstroke")
    add(NOISE, "", _NOISE)
    add(ENGINE_LEAD, "", _ENGINE_LEADS)
    add(QUAL_LEAD, "", _QUALIFIER_LEADS)
    add(NOT_INCL, "", _NOT_INCLUDED)
    add(SEP, "and", "and")
    add(SEP, "or", "or")
    return table


#: Every fixed phrase by its lookup key (words joined, see `alias_key`).
PHRASES: Final[dict[str, tuple[str, str]]] = _phrases()


# --- reading what was collected -------------------------------------------------------------

_AXES = {
    "Front": 0, "Rear": 0, "Left": 1, "Right": 1, "Upper": 2, "Lower": 2,
    "Inner": 3, "Outer": 3, "Upstream": 4, "Downstream": 4,
}  # fmt: skip


def resolve_position(words: set[str]) -> str | None:
    """'lower front driver side' → 'Front Left Lower'; 'front & rear' names no axle."""
    axes: dict[int, list[str]] = {}
    for word in words:
        axes.setdefault(_AXES[word], []).append(word)
    return " ".join(w[0] for _, w in sorted(axes.items()) if len(w) == 1) or None


def resolve_drive(drives: set[str]) -> str | None:
    """One drive named, or None: '2WD' alone or 'FWD/AWD' constrains nothing."""
    named = drives - {"2WD"}
    if len(named) != 1:
        return None
    drive = next(iter(named))
    if "2WD" in drives and drive not in ("FWD", "RWD"):
        return None
    return drive


def merge_years(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """'2010, 2011, 2012, 2014' → 2010-2012 and 2014: consecutive years become one range."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


# --- assembling items: passes over named items that need no vocabulary ----------------------


def pair_makes(items: list[Item], text: str) -> list[Item]:
    """A make that did not join a model: say why ('Honda Civik', 'Chevy Sierra 1500').

    The words after it are kept as the model it may name ('1955 Chevrolet Bel Air'),
    for a vehicle older than the vehicle base to be proposed, never guessed.
    """
    out: list[Item] = []
    skip = -1
    for i, item in enumerate(items):
        if i <= skip:
            continue
        if item.kind is not MAKE:
            out.append(item)
            continue
        j = _next_index(items, i)
        after = items[j] if j < len(items) and items[j].group == item.group else None
        if after is not None and after.kind is MAKE:
            continue  # 'Dodge Ram': the later make is the one meant
        if after is not None and after.kind is VEHICLE and after.value == item.value:
            after.inferred = False
            continue  # 'Lexus GS350': the model, glued to its trim, is the make's
        if _beside_chassis(items, i, j, item.value):
            continue  # 'BMW E90', 'E90 BMW': the code names the make's models
        make = item.value
        item.kind, item.make = UNRES, make
        if after is None or not _model_word(after):
            item.value = f"no {make} model named"
            out.append(item)
            continue
        if after.kind is VEHICLE:
            item.value = f"{after.model} is a {after.value} model, not a {make}"
        else:
            item.value = f"unknown {make} model"
        while j + 1 < len(items) and _model_word(items[j + 1], items[j], text):
            j += 1
        item.model = tidy(text[after.start : items[j].end])
        item.end, skip = items[j].end, j
        out.append(item)
    return out


def _model_word(item: Item, before: Item | None = None, text: str = "") -> bool:
    """Whether `item` can be (part of) a model name; after `before` only when written
    right beside it ('Bel Air': 'Air' is Lucid's model, here the end of Chevrolet's)."""
    if item.kind is WORD:
        named = item.key != DATE_KEY
    else:
        named = item.kind is VEHICLE or item.kind is UNRES
    if before is None or not named:
        return named
    return item.group == before.group and not text[before.end : item.start].strip()


def _beside_chassis(items: list[Item], i: int, j: int, make: str) -> bool:
    before = items[i - 1] if i else None
    after = items[j] if j < len(items) else None
    return any(
        other is not None and other.kind is CHASSIS and other.value == make
        for other in (before, after)
    )


def _next_index(items: list[Item], i: int) -> int:
    j = i + 1
    while j < len(items) and items[j].kind is NOISE:
        j += 1
    return j


def mark_engine_codes(items: list[Item], text: str) -> None:
    """'Engine: 2GR-FE' or '3.5L 2GR-FE': a code only where an engine is being described."""
    for i, item in enumerate(items[:-1]):
        after = items[i + 1]
        if item.kind is ENGINE_LEAD:
            item.kind = NOISE
        elif item.kind is not LITERS and item.kind is not CYL:
            continue
        raw = text[after.start : after.end].rstrip(".")
        if after.kind is WORD and after.group == item.group and is_engine_code(raw):
            after.kind, after.value = CODE, raw
    if items and items[-1].kind is ENGINE_LEAD:
        items[-1].kind = NOISE


_LOOSE = frozenset({WORD, TRIM, NOISE})


def join_qualifiers(items: list[Item], text: str) -> list[Item]:
    """'exc. Hybrid', 'w/ towing pkg', 'non-turbo', 'Hybrid not included': kept as written."""
    out: list[Item] = []
    i = 0
    while i < len(items):
        item = items[i]
        if item.kind is QUAL_LEAD and _names_engine(items, i):
            i += 1  # 'Civic w/ 1.8L': an engine the vehicle has, not a note to verify
            continue
        if item.kind is QUAL_LEAD or item.kind is QUAL_SELF:
            last = _qualifier_end(items, i)
            end = items[last].end
            out.append(Item(QUAL, item.start, end, item.group, value=tidy(text[item.start : end])))
            i = last + 1
            continue
        if item.kind is NOT_INCL:
            k = len(out)
            while k and out[k - 1].kind in _LOOSE and out[k - 1].group == item.group:
                k -= 1
            start = out[k].start if k < len(out) else item.start
            del out[k:]
            item = Item(QUAL, start, item.end, item.group, value=tidy(text[start : item.end]))
        out.append(item)
        i += 1
    return out


def _names_engine(items: list[Item], i: int) -> bool:
    """Whether 'w/' or 'with' at i is followed only by an engine ('w/ 2.0L Turbo')."""
    lead = items[i]
    if lead.key not in ("w", "with"):
        return False
    j = i + 1
    engine = False
    while j < len(items) and items[j].group == lead.group:
        kind = items[j].kind
        if kind in ENGINE_KINDS:
            engine = True
        elif kind is SEP or kind is VEHICLE or kind is YEARS or kind is UNRES:
            break
        elif kind is not NOISE and kind is not ENGINE_LEAD:
            return False
        j += 1
    return engine


def _qualifier_end(items: list[Item], i: int) -> int:
    """Index of a qualifier's last item: its object, then loose words up to the next vehicle."""
    lead, last, j = items[i], i, i + 1
    engine_run = False
    if (
        lead.kind is QUAL_LEAD
        and j < len(items)
        and items[j].group == lead.group
        and items[j].kind is not SEP
    ):  # the lead's object, whatever it is: 'exc. 2016', 'w/ 5.3L'
        last, engine_run, j = j, items[j].kind in ENGINE_KINDS, j + 1
    while j < len(items) and items[j].group == lead.group:
        kind = items[j].kind
        if kind is SEP:
            after = items[j + 1] if j + 1 < len(items) else None
            if items[j].value == ";" or after is None or after.kind not in _LOOSE:
                break
        elif kind in _LOOSE or (kind is POS and not _position_tail(items, j)):
            last, engine_run = j, False
        elif kind in ENGINE_KINDS and engine_run:
            last = j
        else:
            break
        j += 1
    while last > i + 1 and items[last].kind is NOISE:
        last -= 1
    return last


def _position_tail(items: list[Item], j: int) -> bool:
    """'w/o ABS rear' ends before 'rear'; 'with 288mm front rotor' keeps 'front'."""
    group = items[j].group
    while j < len(items) and items[j].group == group and items[j].kind in (POS, NOISE):
        j += 1
    return j == len(items) or items[j].group != group or items[j].kind not in _LOOSE


def set_aside_parentheses(items: list[Item], text: str, notes: list[tuple[int, str]]) -> list[Item]:
    """A parenthesis holding a word we do not know is a note, whole; otherwise it is read."""
    unknown = {item.group for item in items if item.group and item.kind is WORD}
    if not unknown:
        return items
    for group in sorted(unknown):
        inside = [item for item in items if item.group == group]
        notes.append((inside[0].start, tidy(text[inside[0].start : inside[-1].end])))
    return [item for item in items if item.group not in unknown]


def tidy(fragment: str) -> str:
    """A fragment as written, minus runs of spaces and the punctuation that ended it."""
    tidied = " ".join(fragment.split()).rstrip(" ,;:&/-")
    return tidied[:-1] if tidied.endswith(".") and " " in tidied else tidied
