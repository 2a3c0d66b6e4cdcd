"""The failure taxonomy, Retry-After parsing, the circuit breaker and selection:
the decisions the router makes, without a network or a database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel

from automechanica.llm import (
    POLICIES,
    FailureKind,
    HealthBoard,
    LLMRequest,
    NoModelError,
    Tool,
    load_catalog,
    plan,
)
from automechanica.llm.failures import kind_for_status, parse_retry_after


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, FailureKind.RATE_LIMITED),
        (529, FailureKind.OVERLOADED),
        (503, FailureKind.OVERLOADED),
        (500, FailureKind.SERVER_ERROR),
        (401, FailureKind.AUTH),
        (403, FailureKind.AUTH),
        (402, FailureKind.QUOTA),
        (413, FailureKind.CONTEXT_TOO_LONG),
        (400, FailureKind.BAD_REQUEST),
    ],
)
def test_status_codes_map_to_kinds(status: int, kind: FailureKind) -> None:
    assert kind_for_status(status) is kind


def test_every_kind_has_a_policy_and_auth_and_quota_are_never_retried() -> None:
    assert set(POLICIES) == set(FailureKind)
    for kind in (FailureKind.AUTH, FailureKind.QUOTA):
        assert (POLICIES[kind].retries, POLICIES[kind].move) == (0, "provider_out")
    assert POLICIES[FailureKind.INVALID_OUTPUT].retries == 1  # one repair
    assert POLICIES[FailureKind.CONTEXT_TOO_LONG].move == "bigger_context"
    assert POLICIES[FailureKind.CONTENT_REFUSED].move == "other_provider"


def test_retry_after_headers() -> None:
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "1"}) == 0.25
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}) is None
    assert parse_retry_after({}) is None


def test_the_circuit_opens_after_the_threshold_and_doubles_its_cooldown() -> None:
    now = [0.0]
    board = HealthBoard(failure_threshold=2, cooldown_seconds=10, clock=lambda: now[0])
    board.failure("m", FailureKind.SERVER_ERROR)
    assert board.unavailable("m", "p") is None
    board.failure("m", FailureKind.SERVER_ERROR)
    assert "circuit open" in (board.unavailable("m", "p") or "")
    now[0] = 10.5
    assert board.unavailable("m", "p") is None  # the half-open probe
    assert "probe is in flight" in (board.unavailable("m", "p") or "")
    board.failure("m", FailureKind.TIMEOUT)  # the probe failed: out again, for 20 s
    now[0] = 25
    assert board.unavailable("m", "p") is not None
    now[0] = 31
    assert board.unavailable("m", "p") is None
    board.success("m")
    assert board.view("m", "p").state == "ok"


def test_non_transient_failures_do_not_trip_the_circuit() -> None:
    board = HealthBoard(failure_threshold=1)
    for kind in (FailureKind.INVALID_OUTPUT, FailureKind.CONTEXT_TOO_LONG, FailureKind.BAD_REQUEST):
        board.failure("m", kind)
    assert board.unavailable("m", "p") is None
    board.failure("m", FailureKind.CONNECTION)
    assert board.unavailable("m", "p") is not None
    board.take_out_provider("p2", FailureKind.AUTH)
    assert "provider p2 taken out (auth)" in (board.unavailable("other", "p2") or "")


class Answer(BaseModel):
    text: str


ALL = ("openai", "anthropic", "ollama", "offline")


def _chain(request: LLMRequest, configured: tuple[str, ...] = ALL, tokens: int = 100) -> list[str]:
    return [
        c.model.name
        for c in plan(load_catalog(), request, configured=configured, prompt_tokens=tokens)
    ]


def test_cheapest_qualifying_first_lower_tiers_only_for_budgets_offline_last() -> None:
    catalog = load_catalog()
    chain = plan(
        catalog, LLMRequest.ask("q", complexity="medium"), configured=ALL, prompt_tokens=100
    )
    names = [c.model.name for c in chain]
    assert names == [
        "gpt-4.1-mini", "claude-haiku-4.5", "gpt-4.1", "claude-sonnet-4.5",
        "llama3.2", "gpt-4.1-nano", "offline",
    ]  # fmt: skip
    assert [c.budget_only for c in chain[4:6]] == [True, True]
    assert _chain(LLMRequest.ask("q", complexity="high"))[:2] == ["gpt-4.1", "claude-sonnet-4.5"]
    assert _chain(LLMRequest.ask("q", complexity="low"))[0] == "llama3.2"  # free and local


def test_requirements_filter_the_chain() -> None:
    assert _chain(LLMRequest.ask("q"), configured=("anthropic", "offline")) == [
        "claude-haiku-4.5", "claude-sonnet-4.5", "offline",
    ]  # fmt: skip
    # a prompt past 200k tokens leaves only the 1M-token models
    assert _chain(LLMRequest.ask("q"), tokens=300_000)[:2] == ["gpt-4.1-mini", "gpt-4.1"]
    cheap = LLMRequest.ask("q", max_cost_usd=Decimal("0.002"))
    assert "gpt-4.1" not in _chain(cheap) and _chain(cheap)[0] == "gpt-4.1-mini"
    tools = LLMRequest.ask("q", tools=(Tool(name="t"),), capabilities=frozenset({"tools"}))
    assert _chain(tools)[-1] == "offline"
    assert LLMRequest.ask("q", output=Answer).required_capabilities() == {"json_schema"}


def test_no_configured_model_at_all_is_a_clear_error() -> None:
    with pytest.raises(NoModelError, match="AUTOMECHANICA_OPENAI_API_KEY"):
        _chain(LLMRequest.ask("q"), configured=())


async def test_spend_never_read_or_unreadable_refuses_paid_models(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from automechanica.llm import Budget

    class BrokenLog:
        def record(self, row: object) -> None: ...

        async def flush(self) -> None:
            raise OSError("database is down")

        async def aclose(self) -> None: ...

    budget = Budget(daily_usd=Decimal("1"), pool=object(), call_log=BrokenLog())  # type: ignore[arg-type]
    never_read = budget.over_cap("m", Decimal("0.1"), None, None)
    assert never_read is not None and "spend could not be read (not read yet)" in never_read
    await budget.prepare(None, None)
    budget.add(Decimal("0.4"), None)  # nothing to add to: unknown stays unknown
    assert budget.spent_today() is None
    refused = budget.reserve("m", Decimal("0.1"), None, None)
    assert isinstance(refused, str) and "OSError: database is down" in refused
    assert budget.over_cap("unpriced", None, None, None) is not None
    assert budget.over_cap("free", Decimal(0), None, None) is None  # offline still answers
    assert "spend could not be read" in caplog.text


def test_reservations_hold_the_cap_and_settle_to_the_actual_cost() -> None:
    from automechanica.llm import Budget
    from automechanica.llm.budget import Reservation

    budget = Budget(daily_usd=Decimal("1"))  # no pool: this process's spend, known
    holds = [budget.reserve("m", Decimal("0.3"), None, None) for _ in range(4)]
    assert [isinstance(h, Reservation) for h in holds] == [True, True, True, False]
    assert "held by calls under way" in str(holds[3])
    first, second, third = (h for h in holds if isinstance(h, Reservation))
    budget.settle(first, Decimal("0.1"))  # cheaper than feared: the rest is free again
    budget.settle(second, None)  # failed, cost unknown: released
    budget.settle(second, Decimal("5"))  # settled once only
    assert (budget.spent_today(), budget.reserved_today()) == (Decimal("0.1"), Decimal("0.3"))
    assert isinstance(budget.reserve("m", Decimal("0.6"), None, None), Reservation)
    assert isinstance(budget.reserve("m", Decimal("0.01"), None, None), str)
    budget.settle(third, Decimal("0.3"))
    assert budget.spent_today() == Decimal("0.4")
