"""The free-text fitment parser, on what suppliers really write."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from automechanica.catalog.feeds.records import Application
from automechanica.catalog.fitment_text import (
    MAX_TEXT_LENGTH,
    Engine,
    ParsedApplication,
    ParsedFitment,
    VehicleVocabulary,
    parse_fitment_text,
)
from automechanica.catalog.fitment_text_tokens import PHRASES
from automechanica.errors import FitmentTextError

PAIRS: list[tuple[str, str]] = [
    *(("Honda", m) for m in ("Civic", "Accord", "CR-V", "Pilot", "Odyssey")),
    *(("Toyota", m) for m in ("Camry", "Corolla", "RAV4", "Tacoma", "Tundra", "4Runner")),
    *(("Ford", m) for m in ("F-150", "Escape", "Explorer", "Mustang", "Expedition")),
    *(("Chevrolet", m) for m in ("Silverado 1500", "Silverado", "Malibu", "Equinox", "Tahoe")),
    ("Ram", "1500"),
    ("Ram", "2500"),
    ("Jeep", "Wrangler"),
    ("Jeep", "Wrangler JK"),
    ("Jeep", "Grand Cherokee"),
    ("Volkswagen", "Jetta"),
    ("Volkswagen", "Golf"),
    ("Volkswagen", "Passat"),
    ("Mercedes-Benz", "C-Class"),
    ("Mercedes-Benz", "E-Class"),
    ("Mercedes-Benz", "Sprinter"),
    ("BMW", "3 Series"),
    ("BMW", "X5"),
    ("Audi", "A4"),
    ("Audi", "Q5"),
    ("Subaru", "Outback"),
    ("Subaru", "Forester"),
    ("Nissan", "Altima"),
    ("Nissan", "Rogue"),
    ("Mazda", "3"),
    ("Mazda", "CX-5"),
    ("Hyundai", "Elantra"),
    ("Hyundai", "Sonata"),
    ("Kia", "Optima"),
    ("Kia", "Sorento"),
    ("Lexus", "RX"),
    ("Lexus", "ES"),
    ("GMC", "Sierra 1500"),
    ("Dodge", "Charger"),
    ("Dodge", "Durango"),
    ("Dodge", "Sprinter"),  # sold as a Dodge and a Mercedes-Benz: the ambiguous model
    ("Tesla", "Model 3"),
]
YEAR = 2026  # two-digit years up to 27 read as 20xx, above as 19xx

EngineRow = tuple[str | None, int | None, str | None]
AppRow = tuple[str, str, int, int, list[str], list[EngineRow], str | None]


@pytest.fixture(scope="module")
def vocabulary() -> VehicleVocabulary:
    return VehicleVocabulary.from_pairs(PAIRS)


def parse(text: str, vocabulary: VehicleVocabulary) -> ParsedFitment:
    return parse_fitment_text(text, vocabulary, current_year=YEAR)


def rows(parsed: ParsedFitment) -> list[AppRow]:
    """Applications as plain tuples, engines as (liters, cylinders, designation)."""
    return [
        (
            a.make,
            a.model,
            a.year_start,
            a.year_end,
            a.submodels,
            [
                (None if e.liters is None else str(e.liters), e.cylinders, e.designation)
                for e in a.engines
            ],
            a.drive,
        )
        for a in parsed.applications
    ]


# --- the examples of the brief, parsed in full ------------------------------------------------


def test_model_without_make_and_short_year_range(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("Fits 2012-15 Civic 1.8L", vocabulary)
    assert rows(parsed) == [("Honda", "Civic", 2012, 2015, [], [("1.8", None, None)], None)]
    assert parsed.position is None
    assert parsed.qualifiers == parsed.notes == parsed.unresolved == []


def test_two_vehicles_with_submodels_split_on_semicolon(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2016-2021 Honda Civic LX/EX 2.0L; 2017-2020 Honda CR-V", vocabulary)
    assert rows(parsed) == [
        ("Honda", "Civic", 2016, 2021, ["LX", "EX"], [("2.0", None, None)], None),
        ("Honda", "CR-V", 2017, 2020, [], [], None),
    ]
    assert parsed.unresolved == []


def test_apostrophe_years_alias_make_engine_drive_and_exclusion(
    vocabulary: VehicleVocabulary,
) -> None:
    parsed = parse("'12-'15 Chevy Silverado 1500 5.3L V8 4WD exc. Hybrid", vocabulary)
    assert rows(parsed) == [
        ("Chevrolet", "Silverado 1500", 2012, 2015, [], [("5.3", 8, None)], "4WD"),
    ]
    assert parsed.qualifiers == ["exc. Hybrid"]
    assert parsed.notes == parsed.unresolved == []


def test_year_list_gives_one_application_per_year_and_a_position(
    vocabulary: VehicleVocabulary,
) -> None:
    parsed = parse("2010, 2012, 2014 Toyota Camry 2.5L front driver side", vocabulary)
    engine = [("2.5", None, None)]
    assert rows(parsed) == [
        ("Toyota", "Camry", 2010, 2010, [], engine, None),
        ("Toyota", "Camry", 2012, 2012, [], engine, None),
        ("Toyota", "Camry", 2014, 2014, [], engine, None),
    ]
    assert parsed.position == "Front Left"


def test_year_after_model_then_a_second_vehicle_after_ampersand(
    vocabulary: VehicleVocabulary,
) -> None:
    parsed = parse("F-150 2015 - 2018 3.5L V6 4x4 & 2018-2020 Expedition", vocabulary)
    assert rows(parsed) == [
        ("Ford", "F-150", 2015, 2018, [], [("3.5", 6, None)], "4WD"),
        ("Ford", "Expedition", 2018, 2020, [], [], None),
    ]


# --- years ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["2012-2015", "2012-15", "'12-'15", "12-15", "2012 - 2015", "2012–2015", "2012 thru 2015"],
)
def test_year_range_spellings(vocabulary: VehicleVocabulary, written: str) -> None:
    parsed = parse(f"{written} Honda Civic", vocabulary)
    assert rows(parsed) == [("Honda", "Civic", 2012, 2015, [], [], None)]


def test_single_year_before_or_after_the_vehicle(vocabulary: VehicleVocabulary) -> None:
    assert rows(parse("2014 Honda Accord", vocabulary)) == rows(parse("Accord 2014", vocabulary))
    assert rows(parse("Accord 2014", vocabulary)) == [("Honda", "Accord", 2014, 2014, [], [], None)]


def test_consecutive_years_merge_into_one_range(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("Honda Civic 2012, 2013, 2014, 2016", vocabulary)
    assert [(a.year_start, a.year_end) for a in parsed.applications] == [(2012, 2014), (2016, 2016)]


def test_two_digit_years_pivot_on_next_year(vocabulary: VehicleVocabulary) -> None:
    assert rows(parse("'98-'02 Honda Accord", vocabulary))[0][2:4] == (1998, 2002)
    assert rows(parse("'27 Honda Accord", vocabulary))[0][2:4] == (2027, 2027)
    assert rows(parse("'28 Honda Accord", vocabulary))[0][2:4] == (1928, 1928)
    default = parse_fitment_text("'20-'21 Honda Accord", vocabulary).applications[0]
    assert (default.year_start, default.year_end) == (2020, 2021)
    pivot = (date.today().year + 1) % 100
    later = parse_fitment_text(f"'{pivot + 1:02d} Honda Accord", vocabulary).applications[0]
    assert later.year_start == 1901 + pivot


def test_open_ended_years_run_to_next_model_year(vocabulary: VehicleVocabulary) -> None:
    assert rows(parse("2019+ Mazda CX-5", vocabulary)) == [
        ("Mazda", "CX-5", 2019, YEAR + 1, [], [], None)
    ]


def test_years_that_cannot_be_model_years_are_not_years(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2035 Honda Civic", vocabulary)
    assert parsed.applications == []
    assert parsed.unresolved == ["2035 Honda Civic: no year"]


# --- makes and models -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "make", "model"),
    [
        ("2015 Chevy Tahoe", "Chevrolet", "Tahoe"),
        ("2015 VW Jetta", "Volkswagen", "Jetta"),
        ("2015 Volkswagon Passat", "Volkswagen", "Passat"),
        ("2015 Mercedes C-Class", "Mercedes-Benz", "C-Class"),
        ("2015 Mercedes Benz C Class", "Mercedes-Benz", "C-Class"),
        ("2015 Merc-Benz E-Class", "Mercedes-Benz", "E-Class"),
        ("2015 Dodge Ram 1500", "Ram", "1500"),
        ("2015 ford f150", "Ford", "F-150"),
        ("2015 Ford f 150", "Ford", "F-150"),
        ("2015 CRV", "Honda", "CR-V"),
        ("2015 cr-v", "Honda", "CR-V"),
        ("2015 BMW 3-Series", "BMW", "3 Series"),
        ("2015 Mazda 3", "Mazda", "3"),
        ("2015 Mazda3", "Mazda", "3"),
        ("2019 Tesla Model 3", "Tesla", "Model 3"),
        ("2015 Jeep Wrangler JK", "Jeep", "Wrangler JK"),
        ("2015 Jeep Wrangler", "Jeep", "Wrangler"),
        ("2015 Silverado 1500", "Chevrolet", "Silverado 1500"),
        ("2015 Silverado", "Chevrolet", "Silverado"),
        ("2015 HONDA CIVIC", "Honda", "Civic"),
    ],
)
def test_make_aliases_and_model_spellings(
    vocabulary: VehicleVocabulary, text: str, make: str, model: str
) -> None:
    parsed = parse(text, vocabulary)
    assert [(a.make, a.model) for a in parsed.applications] == [(make, model)]
    assert parsed.unresolved == []


def test_ambiguous_model_is_unresolved_unless_the_make_is_named(
    vocabulary: VehicleVocabulary,
) -> None:
    parsed = parse("2015 Sprinter", vocabulary)
    assert parsed.applications == []
    assert parsed.unresolved == [
        "2015 Sprinter: ambiguous model (Dodge or Mercedes-Benz); name the make"
    ]
    named = parse("2015 Dodge Sprinter", vocabulary)
    assert rows(named) == [("Dodge", "Sprinter", 2015, 2015, [], [], None)]
    after_make = parse("2014 Dodge Charger, 2015 Sprinter", vocabulary)
    assert [a.make for a in after_make.applications] == ["Dodge", "Dodge"]


def test_unknown_model_of_a_known_make(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2015 Honda Civik 1.8L", vocabulary)
    assert parsed.applications == []
    assert parsed.unresolved == ["2015 Honda Civik 1.8L: unknown Honda model"]


def test_model_of_another_make(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2015 Chevy Sierra 1500", vocabulary)
    assert parsed.applications == []
    assert parsed.unresolved == [
        "2015 Chevy Sierra 1500: Sierra 1500 is a GMC model, not a Chevrolet"
    ]


def test_no_known_make_or_model(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2016-2021 Honda Civic, 2017 Foobar 2.0L", vocabulary)
    assert rows(parsed) == [("Honda", "Civic", 2016, 2021, [], [], None)]
    assert parsed.unresolved == ["2017 Foobar 2.0L: no known make or model"]


def test_vehicle_without_a_year(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("Civic 1.8L", vocabulary)
    assert parsed.applications == []
    assert parsed.unresolved == ["Civic 1.8L: no year"]


def test_make_without_a_model(vocabulary: VehicleVocabulary) -> None:
    assert parse("Honda 2012-2015", vocabulary).unresolved == [
        "Honda 2012-2015: no Honda model named"
    ]


def test_numeric_models_need_their_make(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2013-2018 Ram 1500/2500 5.7L Hemi", vocabulary)
    assert rows(parsed) == [
        ("Ram", "1500", 2013, 2018, [], [("5.7", None, "Hemi")], None),
        ("Ram", "2500", 2013, 2018, [], [("5.7", None, "Hemi")], None),
    ]
    assert parse("2015 1500", vocabulary).applications == []


def test_trim_name_that_is_a_model_of_the_same_make(vocabulary: VehicleVocabulary) -> None:
    """'LS' after a Chevrolet is a trim; 'ES' after a Lexus is the next model."""
    chevy = parse("2015 Chevy Malibu LS", vocabulary)
    assert rows(chevy) == [("Chevrolet", "Malibu", 2015, 2015, ["LS"], [], None)]
    lexus = parse("2015 Lexus RX/ES", vocabulary)
    assert [a.model for a in lexus.applications] == ["RX", "ES"]


# --- several vehicles -----------------------------------------------------------------------


def test_models_listed_together_share_years_and_engine(vocabulary: VehicleVocabulary) -> None:
    before = parse("2014-2016 Civic/Accord 2.4L", vocabulary)
    assert rows(before) == [
        ("Honda", "Civic", 2014, 2016, [], [("2.4", None, None)], None),
        ("Honda", "Accord", 2014, 2016, [], [("2.4", None, None)], None),
    ]
    after = parse("Civic and Accord 2014-2016", vocabulary)
    assert [(a.model, a.year_start, a.year_end) for a in after.applications] == [
        ("Civic", 2014, 2016),
        ("Accord", 2014, 2016),
    ]


def test_comma_separates_vehicles_and_years(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2012-2015 Civic, 2013-2016 Accord, 2014, 2016 CR-V", vocabulary)
    assert [(a.model, a.year_start, a.year_end) for a in parsed.applications] == [
        ("Civic", 2012, 2015),
        ("Accord", 2013, 2016),
        ("CR-V", 2014, 2014),
        ("CR-V", 2016, 2016),
    ]


def test_year_list_after_a_vehicle_stops_at_the_next_vehicle(
    vocabulary: VehicleVocabulary,
) -> None:
    parsed = parse("Civic 2012, 2013, 2014 Accord", vocabulary)
    assert [(a.model, a.year_start, a.year_end) for a in parsed.applications] == [
        ("Civic", 2012, 2013),
        ("Accord", 2014, 2014),
    ]


def test_vehicle_after_an_engine_does_not_borrow_years(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2012-2015 Civic 1.8L, Accord", vocabulary)
    assert [a.model for a in parsed.applications] == ["Civic"]
    assert parsed.unresolved == ["Accord: no year"]


# --- engines --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "engines"),
    [
        ("1.8L", [Engine(Decimal("1.8"))]),
        ("1.8 L", [Engine(Decimal("1.8"))]),
        ("1.8-liter", [Engine(Decimal("1.8"))]),
        ("2.0T", [Engine(Decimal("2.0"), None, "2.0T")]),
        ("2.0L Turbo", [Engine(Decimal("2.0"), None, "2.0T")]),
        ("5.7L Hemi", [Engine(Decimal("5.7"), None, "Hemi")]),
        ("V6", [Engine(None, 6)]),
        ("V-8", [Engine(None, 8)]),
        ("4cyl", [Engine(None, 4)]),
        ("4-cyl", [Engine(None, 4)]),
        ("6 cyl", [Engine(None, 6)]),
        ("4 cylinder", [Engine(None, 4)]),
        ("L4", [Engine(None, 4)]),
        ("I4", [Engine(None, 4)]),
        ("3.5L V6", [Engine(Decimal("3.5"), 6)]),
        ("V6 3.5L", [Engine(Decimal("3.5"), 6)]),
        ("2.0 L4", [Engine(Decimal("2.0"), 4)]),
        ("3.5L 2GR-FE", [Engine(Decimal("3.5"), None, "2GR-FE")]),
        ("2.0L K20C2 I4", [Engine(Decimal("2.0"), 4, "K20C2")]),
        ("Engine: 2GR-FE", [Engine(None, None, "2GR-FE")]),
        ("2.4L/3.5L", [Engine(Decimal("2.4")), Engine(Decimal("3.5"))]),
        ("2.5L 4cyl, 3.5L V6", [Engine(Decimal("2.5"), 4), Engine(Decimal("3.5"), 6)]),
        ("1.5T and 2.0L", [Engine(Decimal("1.5"), None, "1.5T"), Engine(Decimal("2.0"))]),
        ("6.7L Cummins diesel", [Engine(Decimal("6.7"), None, "Cummins")]),
    ],
)
def test_engine_spellings(
    vocabulary: VehicleVocabulary, written: str, engines: list[Engine]
) -> None:
    parsed = parse(f"2018 Toyota Camry {written}", vocabulary)
    assert [a.engines for a in parsed.applications] == [engines]
    assert parsed.notes == parsed.unresolved == []


def test_engine_code_only_where_an_engine_is_described(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2008 Honda Accord K24Z2", vocabulary)
    assert parsed.applications[0].engines == []
    assert parsed.notes == ["K24Z2"]


# --- drive ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "drive"),
    [
        ("4WD", "4WD"),
        ("4x4", "4WD"),
        ("AWD", "AWD"),
        ("all-wheel drive", "AWD"),
        ("quattro", "AWD"),
        ("4MATIC", "AWD"),
        ("xDrive", "AWD"),
        ("FWD", "FWD"),
        ("front wheel drive", "FWD"),
        ("RWD", "RWD"),
        ("2WD", None),
        ("4x2", None),
        ("2WD RWD", "RWD"),
        ("4x2 AWD", None),
        ("2WD/4WD", None),
    ],
)
def test_drive_words(vocabulary: VehicleVocabulary, written: str, drive: str | None) -> None:
    parsed = parse(f"2016 Audi A4 {written}", vocabulary)
    assert [a.drive for a in parsed.applications] == [drive]
    assert parsed.position is None
    assert parsed.notes == []


# --- submodels ------------------------------------------------------------------------------


def test_trims_right_after_the_model(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2013-2016 Honda Accord EX-L, Sport 2.4L", vocabulary)
    assert rows(parsed) == [
        ("Honda", "Accord", 2013, 2016, ["EX-L", "Sport"], [("2.4", None, None)], None)
    ]
    multi = parse("2015 Ford F-150 King Ranch 4x4", vocabulary)
    assert rows(multi) == [("Ford", "F-150", 2015, 2015, ["King Ranch"], [], "4WD")]


def test_trim_words_away_from_the_model_are_notes(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2014 Jeep Grand Cherokee 5.7L Hemi 4WD Limited", vocabulary)
    assert parsed.applications[0].submodels == []
    assert parsed.notes == ["Limited"]


# --- positions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "position"),
    [
        ("front", "Front"),
        ("Rear", "Rear"),
        ("front driver side", "Front Left"),
        ("front left", "Front Left"),
        ("LH front", "Front Left"),
        ("L/H front", "Front Left"),
        ("driver's side front", "Front Left"),
        ("passenger side", "Right"),
        ("rear passenger side", "Rear Right"),
        ("RR", "Rear Right"),
        ("front lower left", "Front Left Lower"),
        ("upper", "Upper"),
        ("upstream", "Upstream"),
        ("downstream", "Downstream"),
        ("front & rear", None),
    ],
)
def test_positions(vocabulary: VehicleVocabulary, written: str, position: str | None) -> None:
    parsed = parse(f"2016 Nissan Altima 2.5L {written}", vocabulary)
    assert parsed.position == position
    assert rows(parsed) == [("Nissan", "Altima", 2016, 2016, [], [("2.5", None, None)], None)]
    assert parsed.notes == []


# --- qualifiers, noise and notes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "qualifiers", "position"),
    [
        ("exc. Hybrid", ["exc. Hybrid"], None),
        ("excluding Sport", ["excluding Sport"], None),
        ("non-turbo", ["non-turbo"], None),
        ("Hybrid not included", ["Hybrid not included"], None),
        ("w/ towing pkg", ["w/ towing pkg"], None),
        ("w/o ABS rear", ["w/o ABS"], "Rear"),
        ("with 288mm front rotor", ["with 288mm front rotor"], None),
        ("before VIN 1HGCR2F3XEA123456", ["before VIN 1HGCR2F3XEA123456"], None),
        ("built after 03/2014", ["built after 03/2014"], None),
        ("w/ towing pkg & HD brakes", ["w/ towing pkg & HD brakes"], None),
        ("exc. Hybrid; w/o ABS", ["exc. Hybrid", "w/o ABS"], None),
        ("(exc. Hybrid)", ["exc. Hybrid"], None),
    ],
)
def test_qualifiers_kept_as_written(
    vocabulary: VehicleVocabulary, written: str, qualifiers: list[str], position: str | None
) -> None:
    parsed = parse(f"2014 Honda Accord 2.4L {written}", vocabulary)
    assert rows(parsed) == [("Honda", "Accord", 2014, 2014, [], [("2.4", None, None)], None)]
    assert parsed.qualifiers == qualifiers
    assert parsed.position == position
    assert parsed.notes == parsed.unresolved == []


def test_noise_words_are_ignored(vocabulary: VehicleVocabulary) -> None:
    for text in ("Fits 2015 Honda Pilot", "for 2015 Honda Pilot", "Compatible with 2015 Pilot"):
        parsed = parse(text, vocabulary)
        assert rows(parsed) == [("Honda", "Pilot", 2015, 2015, [], [], None)], text
        assert parsed.qualifiers == parsed.notes == [], text


def test_parentheses_not_understood_become_notes(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2017-2020 Honda CR-V (see chart) (2.4L) Coupe", vocabulary)
    assert rows(parsed) == [("Honda", "CR-V", 2017, 2020, [], [("2.4", None, None)], None)]
    assert parsed.notes == ["see chart", "Coupe"]


# --- garbage and limits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["asdf qwerty", "Universal fit", "!!!", "12345-ABC", "5.3L V8", "front", "exc. Hybrid"],
)
def test_nothing_parseable_is_unresolved_never_an_error(
    vocabulary: VehicleVocabulary, text: str
) -> None:
    parsed = parse(text, vocabulary)
    assert parsed.applications == []
    assert len(parsed.unresolved) == 1
    assert parsed.unresolved[0].startswith(text)


def test_empty_text_is_empty(vocabulary: VehicleVocabulary) -> None:
    assert parse("   ", vocabulary).to_json() == ParsedFitment().to_json()


def test_non_string_input_raises(vocabulary: VehicleVocabulary) -> None:
    with pytest.raises(FitmentTextError, match="must be a string, not int"):
        parse_fitment_text(2015, vocabulary)  # type: ignore[arg-type]


def test_too_long_text_raises(vocabulary: VehicleVocabulary) -> None:
    parse("2015 Honda Civic ".ljust(MAX_TEXT_LENGTH), vocabulary)
    with pytest.raises(FitmentTextError, match="2,001 characters long; the limit is 2,000"):
        parse("x" * (MAX_TEXT_LENGTH + 1), vocabulary)


# --- output shapes --------------------------------------------------------------------------


def test_to_json_shape(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2016-2019 Audi A4 Premium 2.0T quattro front exc. S4 (sedan)", vocabulary)
    assert parsed.to_json() == {
        "applications": [
            {
                "make": "Audi",
                "model": "A4",
                "year_start": 2016,
                "year_end": 2019,
                "submodels": ["Premium"],
                "engines": [{"liters": 2.0, "cylinders": None, "designation": "2.0T"}],
                "drive": "AWD",
            }
        ],
        "position": "Front",
        "qualifiers": ["exc. S4"],
        "notes": ["sedan"],
        "unresolved": [],
        "proposals": [],
    }


def test_to_applications_one_per_engine(vocabulary: VehicleVocabulary) -> None:
    parsed = parse("2013-2017 Hyundai Sonata SE 2.4L I4, 2.0T front w/ 305mm rotor", vocabulary)
    shared = Application(
        2013,
        2017,
        "Hyundai",
        "Sonata",
        submodels=["SE"],
        position="Front",
        qualifiers=["w/ 305mm rotor"],
    )
    assert parsed.to_applications() == [
        replace(shared, engine_liters=Decimal("2.4"), engine_cylinders=4),
        replace(shared, engine_liters=Decimal("2.0"), aspiration="Turbocharged"),
    ]
    liters = parsed.to_applications()[0].engine_liters
    assert liters is not None and liters.as_tuple().exponent == -1


def test_to_applications_without_engines_and_with_codes(vocabulary: VehicleVocabulary) -> None:
    bare = parse("2015 Honda Pilot rear", vocabulary).to_applications()
    assert bare == [Application(2015, 2015, "Honda", "Pilot", position="Rear")]
    coded = parse("2016 Honda Civic 2.0L K20C2", vocabulary).to_applications()[0]
    assert (coded.engine_liters, coded.engine_code, coded.aspiration) == (
        Decimal("2.0"),
        "K20C2",
        None,
    )
    hemi = parse("2016 Ram 1500 5.7L Hemi", vocabulary).to_applications()[0]
    assert hemi.engine_code is None  # a family name, not a code a vehicle carries
    diesel = parse("2016 VW Golf 2.0L TDI", vocabulary).to_applications()[0]
    assert (diesel.fuel, diesel.aspiration) == ("Diesel", "Turbocharged")


def test_parsed_application_dataclass(vocabulary: VehicleVocabulary) -> None:
    app = parse("2016 Honda Civic", vocabulary).applications[0]
    assert app == ParsedApplication("Honda", "Civic", 2016, 2016)


def test_vocabulary_keeps_aliases_only_for_known_makes() -> None:
    vocabulary = VehicleVocabulary.from_pairs(
        [("Honda", "Civic")], make_aliases={"Chevy": "Chevrolet"}
    )
    assert "chevy" not in vocabulary.makes
    assert vocabulary.makes["honda"] == "Honda"


def test_phrase_table_has_no_duplicates() -> None:
    assert len(PHRASES) > 100  # built at import; a duplicate key raises there


# --- a table of real-looking strings --------------------------------------------------------

TABLE: list[tuple[str, list[AppRow], str | None, list[str]]] = [
    (
        "2012-2015 Honda Civic 1.8L L4",
        [("Honda", "Civic", 2012, 2015, [], [("1.8", 4, None)], None)],
        None,
        [],
    ),
    (
        "2016-2020 Honda Civic Si 1.5T",
        [("Honda", "Civic", 2016, 2020, ["Si"], [("1.5", None, "1.5T")], None)],
        None,
        [],
    ),
    (
        "Honda Accord 2013-2017 EX-L 2.4L",
        [("Honda", "Accord", 2013, 2017, ["EX-L"], [("2.4", None, None)], None)],
        None,
        [],
    ),
    (
        "2017-2022 Honda CR-V EX AWD 1.5T",
        [("Honda", "CR-V", 2017, 2022, ["EX"], [("1.5", None, "1.5T")], "AWD")],
        None,
        [],
    ),
    (
        "2016-2022 Honda Pilot 3.5L V6 front",
        [("Honda", "Pilot", 2016, 2022, [], [("3.5", 6, None)], None)],
        "Front",
        [],
    ),
    (
        "2011-2017 Odyssey rear passenger side",
        [("Honda", "Odyssey", 2011, 2017, [], [], None)],
        "Rear Right",
        [],
    ),
    (
        "2018-2024 Toyota Camry LE/SE/XLE 2.5L",
        [("Toyota", "Camry", 2018, 2024, ["LE", "SE", "XLE"], [("2.5", None, None)], None)],
        None,
        [],
    ),
    (
        "2014-2019 Toyota Corolla 1.8L (exc. Eco)",
        [("Toyota", "Corolla", 2014, 2019, [], [("1.8", None, None)], None)],
        None,
        ["exc. Eco"],
    ),
    (
        "2019-2023 RAV4 Hybrid not included",
        [("Toyota", "RAV4", 2019, 2023, [], [], None)],
        None,
        ["Hybrid not included"],
    ),
    (
        "2016-2023 Toyota Tacoma TRD Off-Road 3.5L V6 4x4",
        [("Toyota", "Tacoma", 2016, 2023, ["TRD Off-Road"], [("3.5", 6, None)], "4WD")],
        None,
        [],
    ),
    (
        "07-13 Tundra 5.7L V8 4WD LH front",
        [("Toyota", "Tundra", 2007, 2013, [], [("5.7", 8, None)], "4WD")],
        "Front Left",
        [],
    ),
    (
        "2010-2019 Toyota 4Runner SR5 4.0L V6 upstream",
        [("Toyota", "4Runner", 2010, 2019, ["SR5"], [("4.0", 6, None)], None)],
        "Upstream",
        [],
    ),
    (
        "2015-2020 Ford F-150 XLT 2.7L/3.5L EcoBoost",
        [
            (
                "Ford",
                "F-150",
                2015,
                2020,
                ["XLT"],
                [("2.7", None, None), ("3.5", None, "EcoBoost")],
                None,
            )
        ],
        None,
        [],
    ),
    (
        "Ford Escape 2013-2016 1.6L 2.0L FWD",
        [("Ford", "Escape", 2013, 2016, [], [("1.6", None, None), ("2.0", None, None)], "FWD")],
        None,
        [],
    ),
    (
        "2011-2019 Ford Explorer 3.5L V6 w/o Police pkg",
        [("Ford", "Explorer", 2011, 2019, [], [("3.5", 6, None)], None)],
        None,
        ["w/o Police pkg"],
    ),
    (
        "2015-2017 Mustang GT 5.0L V8 RWD with Performance Pkg",
        [("Ford", "Mustang", 2015, 2017, ["GT"], [("5.0", 8, None)], "RWD")],
        None,
        ["with Performance Pkg"],
    ),
    (
        "2014-2018 Chevy Silverado 1500 LT Z71 5.3L 4x4",
        [("Chevrolet", "Silverado 1500", 2014, 2018, ["LT", "Z71"], [("5.3", None, None)], "4WD")],
        None,
        [],
    ),
    (
        "2016-2018 Chevrolet Malibu 1.5T front left lower",
        [("Chevrolet", "Malibu", 2016, 2018, [], [("1.5", None, "1.5T")], None)],
        "Front Left Lower",
        [],
    ),
    (
        "2010-2017 Equinox 2.4L 4-cyl AWD/FWD",
        [("Chevrolet", "Equinox", 2010, 2017, [], [("2.4", 4, None)], None)],
        None,
        [],
    ),
    (
        "2015-2020 Chevy Tahoe 5.3L V8 w/ towing pkg",
        [("Chevrolet", "Tahoe", 2015, 2020, [], [("5.3", 8, None)], None)],
        None,
        ["w/ towing pkg"],
    ),
    (
        "2019-2024 Ram 1500 Big Horn 5.7L Hemi 4WD",
        [("Ram", "1500", 2019, 2024, ["Big Horn"], [("5.7", None, "Hemi")], "4WD")],
        None,
        [],
    ),
    (
        "2014-2018 Ram 2500 6.7L Cummins diesel",
        [("Ram", "2500", 2014, 2018, [], [("6.7", None, "Cummins")], None)],
        None,
        [],
    ),
    (
        "2007-2018 Jeep Wrangler JK 3.6L V6 rear",
        [("Jeep", "Wrangler JK", 2007, 2018, [], [("3.6", 6, None)], None)],
        "Rear",
        [],
    ),
    (
        "2014-2021 Jeep Grand Cherokee 3.6L V6 4x4 exc. SRT",
        [("Jeep", "Grand Cherokee", 2014, 2021, [], [("3.6", 6, None)], "4WD")],
        None,
        ["exc. SRT"],
    ),
    (
        "2011-2014 VW Jetta 2.0L 4cyl, 2.5L 5 cyl",
        [("Volkswagen", "Jetta", 2011, 2014, [], [("2.0", 4, None), ("2.5", 5, None)], None)],
        None,
        [],
    ),
    (
        "2015-2021 Volkswagen Golf 1.8T SportWagen not included",
        [("Volkswagen", "Golf", 2015, 2021, [], [("1.8", None, "1.8T")], None)],
        None,
        ["SportWagen not included"],
    ),
    (
        "2012-2019 VW Passat 2.0L TDI",
        [("Volkswagen", "Passat", 2012, 2019, [], [("2.0", None, "TDI")], None)],
        None,
        [],
    ),
    (
        "2015-2021 Mercedes-Benz C-Class C300 4MATIC",
        [("Mercedes-Benz", "C-Class", 2015, 2021, ["C300"], [], "AWD")],
        None,
        [],
    ),
    (
        "E-Class 2017-2020 RWD front",
        [("Mercedes-Benz", "E-Class", 2017, 2020, [], [], "RWD")],
        "Front",
        [],
    ),
    (
        "2012-2018 BMW 3 Series xDrive 2.0T",
        [("BMW", "3 Series", 2012, 2018, [], [("2.0", None, "2.0T")], "AWD")],
        None,
        [],
    ),
    (
        "2014-2018 BMW X5 3.0L I6 downstream",
        [("BMW", "X5", 2014, 2018, [], [("3.0", 6, None)], None)],
        "Downstream",
        [],
    ),
    (
        "2017-2020 Audi Q5 2.0T quattro",
        [("Audi", "Q5", 2017, 2020, [], [("2.0", None, "2.0T")], "AWD")],
        None,
        [],
    ),
    (
        "2015-2019 Subaru Outback 2.5L H4 & 2014-2018 Forester",
        [
            ("Subaru", "Outback", 2015, 2019, [], [("2.5", 4, None)], None),
            ("Subaru", "Forester", 2014, 2018, [], [], None),
        ],
        None,
        [],
    ),
    (
        "2013-2018 Nissan Altima 2.5L, 2014-2020 Rogue",
        [
            ("Nissan", "Altima", 2013, 2018, [], [("2.5", None, None)], None),
            ("Nissan", "Rogue", 2014, 2020, [], [], None),
        ],
        None,
        [],
    ),
    (
        "2014-2018 Mazda 3 2.0L / 2.5L",
        [("Mazda", "3", 2014, 2018, [], [("2.0", None, None), ("2.5", None, None)], None)],
        None,
        [],
    ),
    (
        "2017-2024 Mazda CX-5 Touring AWD",
        [("Mazda", "CX-5", 2017, 2024, ["Touring"], [], "AWD")],
        None,
        [],
    ),
    (
        "2011-2016 Hyundai Elantra, Sonata 2.4L",
        [
            ("Hyundai", "Elantra", 2011, 2016, [], [("2.4", None, None)], None),
            ("Hyundai", "Sonata", 2011, 2016, [], [("2.4", None, None)], None),
        ],
        None,
        [],
    ),
    (
        "2016-2020 Kia Optima LX, EX 2.4L & 2016-2020 Sorento",
        [
            ("Kia", "Optima", 2016, 2020, ["LX", "EX"], [("2.4", None, None)], None),
            ("Kia", "Sorento", 2016, 2020, [], [], None),
        ],
        None,
        [],
    ),
    (
        "2016-2022 Lexus RX 3.5L V6 AWD",
        [("Lexus", "RX", 2016, 2022, [], [("3.5", 6, None)], "AWD")],
        None,
        [],
    ),
    (
        "2014-2019 GMC Sierra 1500 SLE 4.3L V6 4x2",
        [("GMC", "Sierra 1500", 2014, 2019, ["SLE"], [("4.3", 6, None)], None)],
        None,
        [],
    ),
    (
        "2015-2023 Dodge Charger R/T 5.7L V8 RWD",
        [("Dodge", "Charger", 2015, 2023, ["R/T"], [("5.7", 8, None)], "RWD")],
        None,
        [],
    ),
    (
        "2014-2020 Dodge Durango 3.6L V6 AWD passenger side",
        [("Dodge", "Durango", 2014, 2020, [], [("3.6", 6, None)], "AWD")],
        "Right",
        [],
    ),
    ("2017-2023 Tesla Model 3 rear", [("Tesla", "Model 3", 2017, 2023, [], [], None)], "Rear", []),
]


@pytest.mark.parametrize(("text", "expected", "position", "qualifiers"), TABLE)
def test_real_looking_strings(
    vocabulary: VehicleVocabulary,
    text: str,
    expected: list[AppRow],
    position: str | None,
    qualifiers: list[str],
) -> None:
    parsed = parse(text, vocabulary)
    assert rows(parsed) == expected
    assert parsed.position == position
    assert parsed.qualifiers == qualifiers
    assert parsed.unresolved == []


def test_cylinder_layout_after_liters_is_not_a_model_of_the_same_name() -> None:
    """BMW sells an 'i4'; in '2.0L I4' the I4 is still four cylinders in line."""
    vocabulary = VehicleVocabulary.from_pairs([("BMW", "330i"), ("BMW", "i4"), ("BMW", "X1")])
    parsed = parse("2018-2021 BMW 330i 2.0L I4; 2016-2017 BMW X1 2.0L I4", vocabulary)
    assert parsed.unresolved == []
    assert [
        (a.model, a.engines[0].liters, a.engines[0].cylinders) for a in parsed.applications
    ] == [
        ("330i", Decimal("2.0"), 4),
        ("X1", Decimal("2.0"), 4),
    ]
    assert [a.model for a in parse("2023 BMW i4", vocabulary).applications] == ["i4"]
