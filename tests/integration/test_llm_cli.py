"""`automechanica llm` against the test database: with no keys, `ask` is answered
offline and logged; `usage` and `models` read the call log."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from typer.testing import CliRunner

from automechanica.cli import app
from automechanica.cli.llm import parse_since
from automechanica.errors import ConfigurationError

KEYS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "AUTOMECHANICA_OPENAI_API_KEY",
    "AUTOMECHANICA_ANTHROPIC_API_KEY",
    "AUTOMECHANICA_OLLAMA_BASE_URL",
    "AUTOMECHANICA_LLM_MODELS_FILE",
)


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AUTOMECHANICA_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    return db_url


def test_ask_with_no_keys_answers_offline_and_logs_the_call(cli_env: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["llm", "ask", "--complexity", "high", "Is a 2016 Civic AWD?"])
    assert result.exit_code == 0, result.output
    assert "[offline]" in result.output and "Is a 2016 Civic AWD?" in result.output
    assert "offline via offline" in result.output
    with psycopg.connect(cli_env) as conn:
        row = conn.execute(
            "SELECT model_used, agent, task_kind, complexity, outcome FROM llm_calls"
        ).fetchone()
    assert row == ("offline", "cli", "cli.ask", "high", "ok")

    usage = runner.invoke(app, ["llm", "usage", "--since", "1h"])
    assert usage.exit_code == 0, usage.output
    assert "offline" in usage.output and "cli" in usage.output
    assert "$0.000000 known spend" in usage.output

    models = runner.invoke(app, ["llm", "models"])
    assert models.exit_code == 0, models.output
    assert "gpt-4.1-mini" in models.output and "0.4 / 1.6 / 0.1" in models.output
    assert "1 calls, 0 failed" in models.output  # the offline row, from the last hour
    assert "No provider key is set" in models.output


def test_usage_json_and_a_bad_since(cli_env: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["llm", "usage", "--json"])
    assert result.exit_code == 0, result.output
    assert '"by_model": []' in result.output
    bad = runner.invoke(app, ["llm", "usage", "--since", "yesterday"])
    assert bad.exit_code == 1
    assert "write a number and a unit" in bad.output


def test_parse_since() -> None:
    assert parse_since("30m") == timedelta(minutes=30)
    assert parse_since("1d") == timedelta(days=1)
    assert parse_since(" 2w ") == timedelta(weeks=2)
    with pytest.raises(ConfigurationError):
        parse_since("1y")
