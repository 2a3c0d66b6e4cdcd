"""The console's fitment editor over the API on the real database: an operator adds an
application over a year range, edits and rejects rows, each change recorded as the
person's decision; the shop's fit check and reverse fitment follow at once; a vehicle
the base does not have is refused by name; shoppers and strangers are turned away."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from automechanica.accounts import Role
from automechanica.catalog.fitment_edits import (
    Application,
    add_fitments,
    list_fitments,
    person_source,
)
from automechanica.catalog.fitment_facts import RowVerdict, store_verdicts
from tests.integration.conftest import Account

# A model whose first three years are consecutive, each with configurations: the year
# before the first is not in the vehicle base (the test's invented year).
MODEL_WITH_THREE_YEARS = """
WITH years AS (
    SELECT ma.name AS make, mo.name AS model, bv.year,
           min(bv.year) OVER (PARTITION BY mo.id) AS first
    FROM base_vehicles bv JOIN makes ma ON ma.id = bv.make_id
    JOIN models mo ON mo.id = bv.model_id
    WHERE EXISTS (SELECT 1 FROM vehicles v WHERE v.base_vehicle_id = bv.id)
)
SELECT make, model, first FROM years
GROUP BY make, model, first
HAVING count(*) FILTER (WHERE year BETWEEN first AND first + 2) = 3
   AND NOT EXISTS (SELECT 1 FROM base_vehicles bv JOIN models mo ON mo.id = bv.model_id
                   JOIN makes ma ON ma.id = mo.make_id
                   WHERE ma.name = years.make AND mo.name = years.model
                     AND bv.year < years.first)
ORDER BY make, model LIMIT 1
"""
# A base vehicle whose configurations have two engines or more, none electric.
BASE_WITH_TWO_ENGINES = """
SELECT bv.year, ma.name AS make, mo.name AS model,
       array_agg(DISTINCT v.engine_liters) AS engines
FROM base_vehicles bv JOIN vehicles v ON v.base_vehicle_id = bv.id
JOIN makes ma ON ma.id = bv.make_id JOIN models mo ON mo.id = bv.model_id
WHERE v.engine_liters IS NOT NULL
GROUP BY bv.id, ma.name, mo.name
HAVING count(DISTINCT v.engine_liters) >= 2 AND count(*) FILTER (WHERE v.fuel = 'Electric') = 0
ORDER BY bv.id LIMIT 1
"""
WITH_SUBMODEL = """
SELECT bv.year, ma.name AS make, mo.name AS model, v.submodel
FROM vehicles v JOIN base_vehicles bv ON bv.id = v.base_vehicle_id
JOIN models mo ON mo.id = bv.model_id JOIN makes ma ON ma.id = mo.make_id
WHERE v.submodel ~ '[A-Z]' ORDER BY v.id LIMIT 1
"""
INSERT_PART = """
INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title)
SELECT b.id, 'BD1234', 'BD1234', t.id, 'Wagner front brake pads'
FROM brands b, part_types t WHERE b.name = 'Wagner' AND t.name = 'Brake Pads' RETURNING id
"""
EVENTS = """
SELECT agent, decision_type, outcome, subject_kind, subject_id, rationale, input, output
FROM agent_events WHERE decision_type LIKE 'fitment.%%' ORDER BY id
"""


def _query(db_url: str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        rows = conn.execute(sql, params).fetchall()
        conn.commit()
    return rows


@pytest.fixture
def store(db_url: str) -> dict[str, Any]:
    (vehicle,) = _query(db_url, MODEL_WITH_THREE_YEARS)
    (part,) = _query(db_url, INSERT_PART)
    return vehicle | {"part_id": part["id"]}


def _url(part_id: int, suffix: str = "") -> str:
    return f"/api/admin/catalog/parts/{part_id}/fitments{suffix}"


def _add(store: dict[str, Any], **extra: Any) -> dict[str, Any]:
    first = store["first"]
    return {
        "year_start": first,
        "year_end": first + 2,
        "make": store["make"],
        "model": store["model"],
        "position": "Front",
        "reason": "Wagner's catalog page lists these years",
    } | extra


def _fit(api: TestClient, store: dict[str, Any], year: int) -> dict[str, Any]:
    body = {"part_id": store["part_id"], "year": year, "make": store["make"],
            "model": store["model"]}  # fmt: skip
    response = api.post("/api/fit-check", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_an_application_over_a_range_is_stored_per_year_and_the_shop_sees_it(
    api: TestClient, accounts: dict[Role, Account], store: dict[str, Any], db_url: str
) -> None:
    operator = accounts[Role.operator]
    part, first = store["part_id"], store["first"]
    assert _fit(api, store, first + 1)["verdict"] == "does_not_fit"

    added = api.post(_url(part), json=_add(store), headers=operator.headers)
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["added"] == 3
    assert [r["year"] for r in body["rows"]] == [first, first + 1, first + 2]
    assert {r["source"] for r in body["rows"]} == {"person:operator@example.com"}
    assert {(r["position"], r["status"], r["confidence"]) for r in body["rows"]} == {
        ("Front", "published", 1.0)
    }

    listed = api.get(_url(part), headers=operator.headers).json()
    assert listed["total"] == 3 and listed["counts"] == {"published": 3}
    assert listed["part"]["part_number"] == "BD1234"
    assert listed["rows"][0]["make"] == store["make"]

    # The shop: the fit check fits, citing staff (never the operator's address)...
    fit = _fit(api, store, first + 1)
    assert fit["verdict"] == "fits"
    assert [e["source"] for e in fit["evidence"]] == ["checked by store staff"]
    assert "operator@example.com" not in str(fit)
    # ...and the product page's reverse fitment collapses the three years.
    detail = api.get(f"/api/parts/{part}").json()
    labels = [r["label"] for r in detail["fitment"]]
    assert labels == [f"{first}–{first + 2} {store['make']} {store['model']}"]

    # The change is the operator's recorded decision, with the reason.
    (event,) = _query(db_url, EVENTS)
    assert event["agent"] == "person:operator@example.com"
    assert (event["decision_type"], event["outcome"]) == ("fitment.add", "accepted")
    assert (event["subject_kind"], event["subject_id"]) == ("part", str(part))
    assert "Wagner's catalog page lists these years" in event["rationale"]
    assert [r["id"] for r in event["output"]["rows"]] == [r["id"] for r in body["rows"]]

    # Stating the same application again adds nothing: the same rows come back.
    again = api.post(_url(part), json=_add(store, reason="confirmed twice"),
                     headers=operator.headers)  # fmt: skip
    assert again.status_code == 201, again.text
    assert again.json()["added"] == 0
    assert [r["id"] for r in again.json()["rows"]] == [r["id"] for r in body["rows"]]
    assert api.get(_url(part), headers=operator.headers).json()["total"] == 3


def test_a_vehicle_the_base_does_not_have_is_refused_by_name_and_nothing_is_stored(
    api: TestClient, accounts: dict[Role, Account], store: dict[str, Any], db_url: str
) -> None:
    headers = accounts[Role.operator].headers
    part, first, name = store["part_id"], store["first"], f"{store['make']} {store['model']}"

    early = api.post(_url(part), json=_add(store, year_start=first - 1), headers=headers)
    assert early.status_code == 422, early.text
    assert early.headers["content-type"].startswith("application/problem+json")
    assert f"no {first - 1} {name}" in early.json()["detail"]

    make = api.post(_url(part), json=_add(store, make="Hondaa Motors"), headers=headers)
    assert make.status_code == 422 and "no make 'Hondaa Motors'" in make.json()["detail"]
    model = api.post(_url(part), json=_add(store, model="Nonesuch"), headers=headers)
    assert model.status_code == 422
    assert f"{store['make']} model 'Nonesuch'" in model.json()["detail"]
    trim = api.post(_url(part), json=_add(store, submodel="Imaginary GT"), headers=headers)
    assert trim.status_code == 422 and "submodel Imaginary GT" in trim.json()["detail"]

    no_reason = _add(store)
    del no_reason["reason"]
    assert api.post(_url(part), json=no_reason, headers=headers).status_code == 422
    blank = api.post(_url(part), json=_add(store, reason="   "), headers=headers)
    assert blank.status_code == 422
    truthy = api.post(_url(part), json=_add(store, year_start=True), headers=headers)
    assert truthy.status_code == 422
    extra = api.post(_url(part), json=_add(store, supplier_id=1), headers=headers)
    assert extra.status_code == 422
    backwards = api.post(_url(part), json=_add(store, year_end=first - 3), headers=headers)
    assert backwards.status_code == 422 and "swap" in backwards.json()["detail"]
    missing = api.post(_url(999_999), json=_add(store), headers=headers)
    assert missing.status_code == 404

    assert api.get(_url(part), headers=headers).json()["total"] == 0
    assert _query(db_url, EVENTS) == []


def test_constraints_are_stored_as_the_vehicle_base_spells_them(
    api: TestClient, accounts: dict[Role, Account], store: dict[str, Any], db_url: str
) -> None:
    (trim,) = _query(db_url, WITH_SUBMODEL)
    typed = trim["submodel"].lower()
    assert typed != trim["submodel"], "the test needs a submodel with capitals"
    body = _add(store, year_start=trim["year"], year_end=trim["year"], make=trim["make"],
                model=trim["model"], submodel=typed)  # fmt: skip
    added = api.post(_url(store["part_id"]), json=body, headers=accounts[Role.operator].headers)
    assert added.status_code == 201, added.text
    assert [r["submodel"] for r in added.json()["rows"]] == [trim["submodel"]]
    check = {"part_id": store["part_id"], "year": trim["year"], "make": trim["make"],
             "model": trim["model"], "submodel": trim["submodel"]}  # fmt: skip
    assert api.post("/api/fit-check", json=check).json()["verdict"] == "fits"


def test_rows_are_edited_and_rejected_with_a_reason_and_the_fit_check_follows(
    api: TestClient, accounts: dict[Role, Account], store: dict[str, Any], db_url: str
) -> None:
    headers = accounts[Role.operator].headers
    part, first = store["part_id"], store["first"]
    rows = api.post(_url(part), json=_add(store), headers=headers).json()["rows"]
    middle = rows[1]["id"]

    edited = api.patch(
        _url(part, f"/{middle}"),
        json={
            "position": "Rear",
            "qualifiers": [{"text": "w/ 288mm rotors"}],
            "confidence": 0.8,
            "reason": "the rear set is the one for this year",
        },
        headers=headers,
    )
    assert edited.status_code == 200, edited.text
    (row,) = edited.json()["rows"]
    assert (row["position"], row["confidence"]) == ("Rear", 0.8)
    assert row["qualifiers"] == [{"text": "w/ 288mm rotors", "verify": True}]
    fit = _fit(api, store, first + 1)
    assert fit["verdict"] == "fits" and fit["verify"] == ["w/ 288mm rotors"]
    assert [e["position"] for e in fit["evidence"]] == ["Rear"]

    same = api.patch(_url(part, f"/{middle}"), json={"position": "Rear", "reason": "again"},
                     headers=headers)  # fmt: skip
    assert same.status_code == 409 and "nothing was changed" in same.json()["detail"]
    nothing = api.patch(_url(part, f"/{middle}"), json={"reason": "no field"}, headers=headers)
    assert nothing.status_code == 422
    null = api.patch(_url(part, f"/{middle}"), json={"status": None, "reason": "clear it"},
                     headers=headers)  # fmt: skip
    assert null.status_code == 422
    vehicle = api.patch(_url(part, f"/{middle}"), json={"year": 2001, "reason": "move it"},
                        headers=headers)  # fmt: skip
    assert vehicle.status_code == 422

    unexplained = api.delete(_url(part, f"/{middle}"), headers=headers)
    assert unexplained.status_code == 422
    removed = api.delete(
        _url(part, f"/{middle}"), params={"reason": "customer returns: wrong caliper"},
        headers=headers,
    )  # fmt: skip
    assert removed.status_code == 200, removed.text
    assert removed.json()["rows"][0]["status"] == "rejected"
    assert _fit(api, store, first + 1)["verdict"] == "does_not_fit"
    assert _fit(api, store, first)["verdict"] == "fits"
    labels = [r["label"] for r in api.get(f"/api/parts/{part}").json()["fitment"]]
    assert labels == [f"{y} {store['make']} {store['model']}" for y in (first, first + 2)]
    again = api.delete(_url(part, f"/{middle}"), params={"reason": "twice"}, headers=headers)
    assert again.status_code == 409

    listed = api.get(_url(part), params={"status": "rejected"}, headers=headers).json()
    assert [r["id"] for r in listed["rows"]] == [middle] and listed["total"] == 1
    assert listed["counts"] == {"published": 2, "rejected": 1}
    by_year = api.get(
        _url(part), params={"year": first, "make": store["make"].lower()}, headers=headers
    ).json()
    assert [r["year"] for r in by_year["rows"]] == [first]
    # A row of another part is not this part's row.
    assert api.delete(_url(part + 1, f"/{middle}"), params={"reason": "wrong part"},
                      headers=headers).status_code == 404  # fmt: skip

    events = _query(db_url, EVENTS)
    assert [(e["decision_type"], e["outcome"]) for e in events] == [
        ("fitment.add", "accepted"),
        ("fitment.edit", "accepted"),
        ("fitment.remove", "rejected"),
    ]
    assert "the rear set is the one for this year" in events[1]["rationale"]
    assert events[1]["input"]["before"][0]["position"] == "Front"
    assert events[1]["output"]["rows"][0]["position"] == "Rear"
    assert "customer returns: wrong caliper" in events[2]["rationale"]
    # The editor's history: the same decisions, newest first.
    history = api.get(f"/api/admin/catalog/parts/{part}/fitment-history", headers=headers).json()
    assert [h["decision_type"] for h in history] == [
        "fitment.remove",
        "fitment.edit",
        "fitment.add",
    ]
    assert {h["agent"] for h in history} == {"person:operator@example.com"}
    assert "customer returns: wrong caliper" in history[0]["rationale"]
    assert (
        api.get("/api/admin/catalog/parts/999999/fitment-history", headers=headers).status_code
        == 404
    )


def test_shoppers_and_strangers_cannot_read_or_change_fitment(
    api: TestClient, accounts: dict[Role, Account], store: dict[str, Any], db_url: str
) -> None:
    part = store["part_id"]
    customer = accounts[Role.customer].headers
    for headers, expected in ((customer, 403), ({}, 401)):
        assert api.get(_url(part), headers=headers).status_code == expected
        assert (
            api.get(f"/api/admin/catalog/parts/{part}/fitment-history", headers=headers).status_code
            == expected
        )
        assert api.post(_url(part), json=_add(store), headers=headers).status_code == expected
        patched = api.patch(_url(part, "/1"), json={"position": "Rear", "reason": "mine"},
                            headers=headers)  # fmt: skip
        assert patched.status_code == expected
        deleted = api.delete(_url(part, "/1"), params={"reason": "mine"}, headers=headers)
        assert deleted.status_code == expected
    assert _query(db_url, "SELECT id FROM fitments") == []
    assert _query(db_url, EVENTS) == []


async def test_the_fitment_agent_does_not_overrule_a_persons_row(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    vehicle = await (await conn.execute(MODEL_WITH_THREE_YEARS)).fetchone()
    part = await (await conn.execute(INSERT_PART)).fetchone()
    assert vehicle is not None and part is not None
    first = vehicle["first"]
    stated = await add_fitments(
        conn,
        part["id"],
        years=(first, first),
        make=vehicle["make"],
        model=vehicle["model"],
        application=Application(position="Front"),
        source=person_source("ops@example.com"),
    )
    feed = await (
        await conn.execute(
            "INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, source, confidence)"
            " SELECT id, part_type_id, %s, 'feed:acme', 0.9 FROM parts WHERE id = %s"
            " RETURNING id",
            (stated.after[0].base_vehicle_id, part["id"]),
        )
    ).fetchone()
    assert feed is not None
    person_row, feed_row = stated.after[0].id, feed["id"]
    held = "held: no second source"
    changed = await store_verdicts(
        conn, [RowVerdict(i, 0.4, "pending_review", held) for i in (person_row, feed_row)]
    )
    assert changed == 1
    rows = {r.id: r for r in (await list_fitments(conn, part["id"])).rows}
    assert (rows[person_row].status, rows[person_row].confidence) == ("published", 1.0)
    assert (rows[feed_row].status, rows[feed_row].explanation) == ("pending_review", held)


def test_an_engine_constraint_narrows_the_fit_check_to_that_engine(
    api: TestClient, accounts: dict[Role, Account], store: dict[str, Any], db_url: str
) -> None:
    (base,) = _query(db_url, BASE_WITH_TWO_ENGINES)
    engine, other = base["engines"][:2]
    body = _add(store, year_start=base["year"], year_end=base["year"], make=base["make"],
                model=base["model"], engine_liters=float(engine))  # fmt: skip
    added = api.post(_url(store["part_id"]), json=body, headers=accounts[Role.operator].headers)
    assert added.status_code == 201, added.text
    assert [r["engine_liters"] for r in added.json()["rows"]] == [float(engine)]
    check = {"part_id": store["part_id"], "year": base["year"], "make": base["make"],
             "model": base["model"]}  # fmt: skip
    assert api.post("/api/fit-check", json=check).json()["verdict"] == "need_more_information"
    fits = api.post("/api/fit-check", json=check | {"engine_liters": float(engine)}).json()
    assert fits["verdict"] == "fits"
    other_engine = check | {"engine_liters": float(other)}
    assert api.post("/api/fit-check", json=other_engine).json()["verdict"] == "does_not_fit"


def test_a_part_without_fitment_data_becomes_vehicle_specific_and_a_universal_one_refuses(
    api: TestClient, accounts: dict[Role, Account], store: dict[str, Any], db_url: str
) -> None:
    headers, part = accounts[Role.operator].headers, store["part_id"]
    _query(db_url, "UPDATE parts SET fit_class = 'no_fitment' WHERE id = %s RETURNING id", (part,))
    added = api.post(_url(part), json=_add(store), headers=headers)
    assert added.status_code == 201, added.text
    listed = api.get(_url(part), headers=headers).json()
    assert listed["part"]["fit_class"] == "vehicle_specific"
    (event,) = _query(db_url, EVENTS)
    assert event["output"]["fit_class"] == "vehicle_specific"

    _query(db_url, "UPDATE parts SET fit_class = 'universal' WHERE id = %s RETURNING id", (part,))
    refused = api.post(_url(part), json=_add(store, position="Rear"), headers=headers)
    assert refused.status_code == 409 and "universal" in refused.json()["detail"]
    assert api.get(_url(part), headers=headers).json()["total"] == 3
