"""Another process that revokes: `python -m tests.integration.revoke_elsewhere URL ACTION ...`.

What a second API process (or `automechanica users ...`) does, through the accounts
package's own functions, in a process of its own: nothing in the test's process is
told except by the database's notifications.

    logout SESSION_ID | password EMAIL NEW_PASSWORD | role EMAIL ROLE | disable EMAIL
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

from automechanica.accounts import (
    PasswordHasher,
    Role,
    Sessions,
    TokenSigner,
    disable_user,
    set_password,
    set_role,
)
from automechanica.accounts.tokens import new_secret

ROOT = Path(__file__).resolve().parents[2]


def revoke_elsewhere(url: str, action: str, *args: str) -> None:
    """Run one revocation in a separate Python process; raises when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.revoke_elsewhere", url, action, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


async def _main(url: str, action: str, args: list[str]) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        if action == "logout":
            sessions = Sessions(TokenSigner(new_secret()), PasswordHasher())
            await sessions.revoke(conn, uuid.UUID(args[0]), reason="logout")
        elif action == "password":
            await set_password(conn, PasswordHasher(), args[0], args[1])
        elif action == "role":
            await set_role(conn, args[0], Role(args[1]))
        elif action == "disable":
            await disable_user(conn, args[0])
        else:
            raise SystemExit(f"unknown action {action!r}")


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2], sys.argv[3:]))
