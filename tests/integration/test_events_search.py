"""The console's agent-event search: by meaning with the real embedding model, filters,
newest-first paging, the embedding backlog said out loud, and who may look."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from automechanica.accounts import Role
from automechanica.api.app import create_app
from automechanica.memory import EmbeddingWorker, OnnxEmbedder, PgVectorStore
from automechanica.orchestrator import AgentEvent, record_event
from tests.integration.conftest import SECRET, Account, add_user, sign_in
from tests.integration.memory_fixtures import embedder, open_pool  # noqa: F401

LONG = (
    "The supplier's application table lists this pad set for the 2014 Honda Civic EX with "
    "the 1.8L engine, front axle; the part number matches the brand's catalog and two other "
    "suppliers list the same application, so the fitment is published with high confidence. "
    "Rear applications were not claimed by any source and were left out of the proposal."
)
EVENTS = {
    "map": (
        "pricing",
        "price.change",
        "held",
        (
            "New price 18.40 would sell the Bosch wiper blade below the manufacturer's advertised "
            "price of 19.99; held for a person to approve."
        ),
    ),
    "fit": ("fitment", "fitment.publish", "accepted", LONG),
    "refund": (
        "support",
        "support.answer",
        "refused",
        (
            "The customer wants money back for an alternator that was already installed; "
            "installed electrical parts cannot be returned under the supplier's policy."
        ),
    ),
    "refund again": (
        "support",
        "support.answer",
        "refused",
        "No refund: the starter motor had been fitted to the car, and fitted electrical "
        "parts are not returnable.",
    ),
    "claim": (
        "seo",
        "seo.write",
        "rejected",
        (
            "The generated description promised a lifetime warranty that no supplier document "
            "supports; the text was rejected."
        ),
    ),
    "route": (
        "order",
        "order.route",
        "accepted",
        (
            "Sent to the Atlas warehouse: it has the part in stock and ships the same day, "
            "cheaper than the other two suppliers."
        ),
    ),
}


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def record(db_url: str, names: list[str], workflow: UUID | None = None) -> dict[str, int]:
    async def run() -> dict[str, int]:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            ids = {}
            for name in names:
                agent, decision, outcome, rationale = EVENTS[name]
                ids[name] = await record_event(
                    conn,
                    AgentEvent(
                        agent=agent,
                        decision_type=decision,
                        outcome=outcome,  # type: ignore[arg-type]
                        workflow_id=workflow,
                        confidence=0.62,
                        rationale=rationale,
                        input={"case": name},
                        evidence=[{"kind": "test", "ref": name}],
                        cost_usd=Decimal("0.000420"),
                    ),
                )
            return ids

    result: dict[str, int] = _run(run())
    return result


def execute(db_url: str, statement: str, params: Any = None) -> None:
    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await conn.execute(statement, params)

    _run(run())


def embed(db_url: str, model: OnnxEmbedder) -> None:
    """What the memory worker does: every waiting job becomes a vector."""

    async def run() -> None:
        pool = await open_pool(db_url)
        try:
            await EmbeddingWorker(pool, model, PgVectorStore(pool)).drain()
        finally:
            await pool.close()

    _run(run())


def new_workflow(db_url: str) -> UUID:
    async def run() -> UUID:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            cur = await conn.execute(
                "INSERT INTO workflows (kind, status) VALUES ('pricing_refresh', 'completed') "
                "RETURNING id"
            )
            row = await cur.fetchone()
            assert row is not None
            return UUID(str(row[0]))

    found: UUID = _run(run())
    return found


@pytest.fixture
def api(db_url: str, embedder: OnnxEmbedder, tmp_path: Path) -> Iterator[TestClient]:  # noqa: F811
    """The API with the real embedding model, as `automechanica up` starts it."""
    app = create_app(db_url, pool_min_size=1, pool_max_size=4, secret_key=SECRET, embedder=embedder)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def stored(db_url: str, embedder: OnnxEmbedder) -> dict[str, int]:  # noqa: F811
    """The five events, embedded; the order-routing one a month old."""
    workflow = new_workflow(db_url)
    ids = record(db_url, ["map"], workflow) | record(db_url, ["fit", "refund", "claim", "route"])
    execute(
        db_url,
        "UPDATE agent_events SET created_at = now() - interval '30 days' WHERE id = %s",
        [ids["route"]],
    )
    embed(db_url, embedder)
    return ids


def search(api: TestClient, who: Account, **params: Any) -> dict[str, Any]:
    response = api.get("/api/admin/events", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


QUESTIONS = [
    ("priced under the minimum advertised price", "map"),
    ("refund request for a used electrical component", "refund"),
    ("unsupported guarantee in product copy", "claim"),
    ("which supplier should ship this order", "route"),
    ("does this brake pad fit my Civic", "fit"),
]


@pytest.mark.parametrize(("question", "expected"), QUESTIONS)
def test_a_question_in_other_words_finds_the_right_event_first(
    api: TestClient,
    accounts: dict[Role, Account],
    stored: dict[str, int],
    question: str,
    expected: str,
) -> None:
    page = search(api, accounts[Role.operator], q=question)
    assert page["mode"] == "similar" and page["model"] == "all-MiniLM-L6-v2-onnx-int8"
    hits = page["hits"]
    assert hits[0]["id"] == stored[expected], [(h["agent"], h["similarity"]) for h in hits]
    scores = [h["similarity"] for h in hits]
    assert scores == sorted(scores, reverse=True) and len(hits) == 5
    assert scores[0] > scores[1]
    assert page["backlog"] == {"waiting": 0, "dead": 0} and page["notes"] == []


def test_a_hit_carries_what_the_list_shows_and_links_its_workflow(
    api: TestClient, accounts: dict[Role, Account], stored: dict[str, int], db_url: str
) -> None:
    ops = accounts[Role.operator]
    page = search(api, ops, q="held price below MAP")
    top = page["hits"][0]
    assert top["id"] == stored["map"]
    assert top["agent"] == "pricing" and top["decision_type"] == "price.change"
    assert top["outcome"] == "held" and top["confidence"] == pytest.approx(0.62)
    assert top["cost_usd"] == "0.000420" and top["searchable"] is True
    assert UUID(top["workflow_id"])
    timeline = api.get(f"/api/admin/workflows/{top['workflow_id']}", headers=ops.headers)
    assert timeline.status_code == 200
    assert [e["id"] for e in timeline.json()["events"]] == [stored["map"]]
    # A long rationale is summarized in lists, whole in the event.
    fit = next(h for h in page["hits"] if h["id"] == stored["fit"])
    assert fit["rationale"].endswith("…") and len(fit["rationale"]) <= 281
    assert LONG.startswith(fit["rationale"][:-1])
    detail = api.get(f"/api/admin/events/{stored['fit']}", headers=ops.headers).json()
    assert detail["rationale"] == LONG and detail["input"] == {"case": "fit"}
    assert detail["evidence"] == [{"kind": "test", "ref": "fit"}]
    assert detail["embedding"] == "embedded" and detail["workflow_id"] is None
    missing = api.get("/api/admin/events/999999", headers=ops.headers)
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]


def test_filters_narrow_search_and_listing(
    api: TestClient, accounts: dict[Role, Account], stored: dict[str, int]
) -> None:
    ops = accounts[Role.operator]
    held = search(api, ops, q="brake pads for a Civic", outcome="held")
    assert [h["id"] for h in held["hits"]] == [stored["map"]]
    support = search(api, ops, q="wiper price", agent="support")
    assert [h["id"] for h in support["hits"]] == [stored["refund"]]
    kind = search(api, ops, decision_type="seo.write")
    assert [h["id"] for h in kind["hits"]] == [stored["claim"]]
    assert kind["mode"] == "newest" and kind["hits"][0]["similarity"] is None
    week = "2026-01-01T00:00:00Z"
    recent = search(api, ops, q="which supplier should ship this order", since=week)
    assert stored["route"] in {h["id"] for h in recent["hits"]}
    # The order-routing event is a month old: a week back leaves it out, in both modes.
    since = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    recent = search(api, ops, q="which supplier should ship this order", since=since)
    assert stored["route"] not in {h["id"] for h in recent["hits"]} and len(recent["hits"]) == 4
    listed = search(api, ops, since=since)
    assert stored["route"] not in {h["id"] for h in listed["hits"]}
    assert len(listed["hits"]) == 4
    nothing = search(api, ops, q="anything", agent="nobody")
    assert nothing["hits"] == []


def test_newest_first_pages_by_keyset(
    api: TestClient, accounts: dict[Role, Account], stored: dict[str, int]
) -> None:
    ops = accounts[Role.operator]
    seen: list[int] = []
    before = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2} | ({"before": before} if before else {})
        page = search(api, ops, **params)
        seen += [h["id"] for h in page["hits"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == sorted(stored.values(), reverse=True)


def test_events_not_yet_embedded_are_counted_not_hidden(
    api: TestClient,
    accounts: dict[Role, Account],
    stored: dict[str, int],
    db_url: str,
    embedder: OnnxEmbedder,  # noqa: F811
) -> None:
    ops = accounts[Role.operator]
    late = record(db_url, ["map", "refund"])  # the worker has not run since
    page = search(api, ops, q="priced under the minimum advertised price")
    assert page["backlog"] == {"waiting": 2, "dead": 0}
    assert late["map"] not in {h["id"] for h in page["hits"]}
    narrowed = search(api, ops, q="money back", agent="support")
    assert narrowed["backlog"] == {"waiting": 1, "dead": 0}
    newest = search(api, ops, limit=2)
    assert [(h["id"], h["searchable"]) for h in newest["hits"]] == [
        (late["refund"], False),
        (late["map"], False),
    ]
    detail = api.get(f"/api/admin/events/{late['map']}", headers=ops.headers).json()
    assert detail["embedding"] == "waiting"
    execute(
        db_url,
        "UPDATE embedding_jobs SET status = 'dead' WHERE kind = 'event' AND ref_id = %s",
        [str(late["refund"])],
    )
    assert search(api, ops, q="money back")["backlog"] == {"waiting": 1, "dead": 1}
    embed(db_url, embedder)  # the dead one stays dead until replayed
    after = search(api, ops, q="priced under the minimum advertised price")
    assert after["backlog"] == {"waiting": 0, "dead": 1}
    assert {after["hits"][0]["id"], after["hits"][1]["id"]} == {stored["map"], late["map"]}


def test_customers_and_strangers_are_refused_and_bad_input_explained(
    api: TestClient, accounts: dict[Role, Account], stored: dict[str, int]
) -> None:
    customer = accounts[Role.customer].headers
    assert api.get("/api/admin/events", headers=customer).status_code == 403
    assert api.get("/api/admin/events", params={"q": "price"}).status_code == 401
    assert api.get(f"/api/admin/events/{stored['map']}", headers=customer).status_code == 403
    ops = accounts[Role.operator].headers
    naive = api.get("/api/admin/events", params={"since": "2026-01-01T00:00"}, headers=ops)
    assert naive.status_code == 422 and "since" in naive.text
    for bad in ({"outcome": "maybe"}, {"limit": 0}, {"limit": "true"}, {"before": 0}):
        assert api.get("/api/admin/events", params=bad, headers=ops).status_code == 422, bad


def test_without_a_model_search_goes_by_the_words_and_says_so(
    db_url: str, stored: dict[str, int]
) -> None:
    app = create_app(db_url, pool_min_size=1, pool_max_size=2, secret_key=SECRET)
    add_user(db_url, "ops@example.com", Role.operator)
    with TestClient(app) as plain:
        ops = sign_in(plain, "ops@example.com").headers
        found = plain.get("/api/admin/events", params={"q": "Electrical"}, headers=ops)
        assert found.status_code == 200, found.text
        page = found.json()
        assert page["mode"] == "words" and "not meaning" in page["notes"][0]
        assert [h["id"] for h in page["hits"]] == [stored["refund"]]
        assert all(h["similarity"] is None for h in page["hits"])
        # A LIKE wildcard in the words is a character, not a pattern.
        none = plain.get("/api/admin/events", params={"q": "%"}, headers=ops).json()
        assert none["hits"] == []
        listed = plain.get("/api/admin/events", headers=ops)
        assert listed.status_code == 200 and len(listed.json()["hits"]) == 5


def test_an_event_shows_the_events_most_like_it(
    api: TestClient,
    accounts: dict[Role, Account],
    stored: dict[str, int],
    db_url: str,
    embedder: OnnxEmbedder,  # noqa: F811
) -> None:
    ops = accounts[Role.operator].headers
    again = record(db_url, ["refund again"])["refund again"]
    waiting = api.get(f"/api/admin/events/{again}", headers=ops).json()
    assert waiting["embedding"] == "waiting" and waiting["similar"] == []
    embed(db_url, embedder)
    detail = api.get(f"/api/admin/events/{stored['refund']}", headers=ops).json()
    like = detail["similar"]
    assert like[0]["id"] == again and like[0]["agent"] == "support"
    assert stored["refund"] not in {h["id"] for h in like} and len(like) == 5
    assert like[0]["similarity"] > like[1]["similarity"]
