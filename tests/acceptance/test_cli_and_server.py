"""The product as a user meets it: the real CLI in a subprocess, a real server on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CLI = [sys.executable, "-m", "automechanica"]
ADMIN_EMAIL, ADMIN_PASSWORD = "owner@example.com", "first admin passphrase"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small demo store in its own data folder, with the embedded database."""
    data = tmp_path_factory.mktemp("store")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMECHANICA_")}
    environ |= {
        "AUTOMECHANICA_DATA_DIR": str(data),
        "AUTOMECHANICA_DEMO_PARTS": "600",
        "AUTOMECHANICA_DEMO_VINS_PER_TYPE": "40",
        "AUTOMECHANICA_ADMIN_EMAIL": ADMIN_EMAIL,
        "AUTOMECHANICA_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    return environ


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [*CLI, "up", "--port", str(port)],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"`automechanica up` exited early:\n{proc.stdout.read() if proc.stdout else ''}"
            )
        try:
            if httpx.get(f"{base}/api/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the server did not answer within 240 s")
    yield base
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert "Stopped." in output


def test_up_serves_the_demo_store_and_answers_a_shopper(server: str) -> None:
    assert httpx.get(f"{server}/api/health").json()["status"] == "ok"
    assert httpx.get(f"{server}/api/parts").json()["total"] >= 500
    search = httpx.get(f"{server}/api/parts", params={"part_type": "oil-filter"}).json()
    assert search["total"] > 0
    part_id = search["items"][0]["id"]
    detail = httpx.get(f"{server}/api/parts/{part_id}").json()
    assert detail["offer"], "every demo part has at least one supplier offer"
    assert "offers" not in detail, "suppliers and costs are not public"
    assert detail["fitment"], "an oil filter fits some engines"
    fit = detail["fitment"][0]
    check = httpx.post(
        f"{server}/api/fit-check",
        json={
            "part_id": part_id,
            "year": fit["year_start"],
            "make": fit["make"],
            "model": fit["model"],
        },
    ).json()
    assert check["verdict"] in {"fits", "need_more_information"}
    assert check["evidence"]


def test_db_status_and_vin_decode_from_the_cli(env: dict[str, str], server: str) -> None:
    status = run(env, "db", "status")
    assert status.returncode == 0, status.stderr
    assert "up to date" in status.stdout
    bad = run(env, "vin", "decode", "NOT-A-VIN")
    assert bad.returncode == 1
    assert "17 characters" in bad.stderr


def test_fitment_parse_prints_json(env: dict[str, str], server: str) -> None:
    result = run(env, "fitment", "parse", "2012-15 Honda Civic 1.8L front")
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert set(parsed) >= {"applications", "position", "qualifiers", "notes"}


def test_feeds_import_reports_rejections_and_is_idempotent(
    env: dict[str, str], server: str, tmp_path: Path
) -> None:
    feed = tmp_path / "small.csv"
    feed.write_text(
        "sku,brand,mpn,description,part_type,cost,fitment\n"
        "T-1,AC Delco,PF-63,ACDelco Oil Filter,Oil Filter,4.10,\n"
        "T-2,Nobody Brand,X1,Mystery,Oil Filter,3.00,\n"
        "T-3,Fram,PH-7317,Fram Oil Filter,Oil Filter,-1.00,\n",
        encoding="utf-8",
    )
    first = run(env, "feeds", "import", str(feed), "--supplier", "acme")
    assert first.returncode == 0, first.stderr
    assert "line 3" in first.stdout and "Nobody Brand" in first.stdout
    assert "line 4" in first.stdout and "negative" in first.stdout
    second = run(env, "feeds", "import", str(feed), "--supplier", "acme", "--json")
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert summary["rows_read"] == 3
    assert summary["rows_rejected"] == 2
    assert (summary["parts_created"], summary["offers"], summary["fitments"]) == (0, 0, 0)


def test_unreadable_feed_fails_clearly(env: dict[str, str], server: str, tmp_path: Path) -> None:
    feed = tmp_path / "broken.xml"
    feed.write_text("<PIES><Items><Item><PartNumber>1</PartNumber>", encoding="utf-8")
    result = run(env, "feeds", "import", str(feed), "--supplier", "acme")
    assert result.returncode == 1
    assert "broken.xml" in result.stderr


def _login(server: str, email: str, password: str) -> dict[str, str]:
    response = httpx.post(f"{server}/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_first_admin_from_the_environment_and_staff_from_the_cli(
    env: dict[str, str], server: str
) -> None:
    assert httpx.get(f"{server}/api/admin/queue/stats").status_code == 401
    admin = _login(server, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert httpx.get(f"{server}/api/admin/users", headers=admin).status_code == 200
    key = Path(env["AUTOMECHANICA_DATA_DIR"]) / "secret_key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text().strip()) >= 32

    made = subprocess.run(
        [*CLI, "users", "create", "ops@example.com", "--role", "operator", "--password-stdin"],
        env=env,
        input="operator passphrase\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    listed = run(env, "users", "list")
    assert "ops@example.com" in listed.stdout and "operator" in listed.stdout
    ops = _login(server, "ops@example.com", "operator passphrase")
    assert httpx.get(f"{server}/api/admin/queue/stats", headers=ops).status_code == 200
    assert httpx.get(f"{server}/api/admin/users", headers=ops).status_code == 403

    weak = subprocess.run(
        [*CLI, "users", "create", "weak@example.com", "--password-stdin"],
        env=env,
        input="short\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert weak.returncode == 1 and "at least 12" in weak.stderr
    assert "Traceback" not in weak.stderr
