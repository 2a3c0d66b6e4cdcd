"""`automechanica users`: staff and customer accounts (create, list, set a password, disable)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import psycopg
import typer
from rich.table import Table

from automechanica.accounts import (
    PasswordHasher,
    Role,
    count_admins,
    create_user,
    disable_user,
    list_users,
    set_password,
)
from automechanica.accounts.tokens import new_secret
from automechanica.cli.common import console, run_on_database
from automechanica.config import Settings

users_app = typer.Typer(help="Accounts: admins, operators, customers.", no_args_is_help=True)

PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="read the password from standard input (scripts)"),
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    entered: str = typer.prompt(
        "Password (12+ characters)", hide_input=True, confirmation_prompt=True
    )
    return entered


async def _connect(url: str) -> psycopg.AsyncConnection[Any]:
    return await psycopg.AsyncConnection.connect(url, autocommit=True)


@users_app.command("create")
def create(
    email: str,
    role: Annotated[Role, typer.Option(help="admin, operator or customer")] = Role.operator,
    name: Annotated[str | None, typer.Option(help="shown in the console")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an account; asks for its password (never a default one)."""
    password = _password(password_stdin)

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            user = await create_user(conn, PasswordHasher(), email, password, role, name=name)
        console.print(f"Created {user.role.value} {user.email} (id {user.id}).")

    run_on_database(job)


@users_app.command("list")
def list_() -> None:
    """Every account, with its role and whether it is disabled."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            users = await list_users(conn)
        table = Table("id", "email", "role", "name", "created", "disabled")
        for u in users:
            disabled = f"{u.disabled_at:%Y-%m-%d}" if u.disabled_at else ""
            table.add_row(
                str(u.id), u.email, u.role.value, u.name or "", f"{u.created_at:%Y-%m-%d}", disabled
            )
        console.print(table)

    run_on_database(job)


@users_app.command("set-password")
def set_password_(email: str, password_stdin: PasswordStdin = False) -> None:
    """Set a new password; every session of the account ends."""
    password = _password(password_stdin)

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            user = await set_password(conn, PasswordHasher(), email, password)
        console.print(f"Password set for {user.email}; their sessions have ended.")

    run_on_database(job)


@users_app.command("disable")
def disable(email: str) -> None:
    """No more sign-ins for the account; its sessions end."""

    async def job(url: str, settings: Settings) -> None:
        async with await _connect(url) as conn:
            user = await disable_user(conn, email)
        console.print(f"Disabled {user.email}.")

    run_on_database(job)


# -- what `up` needs on a one-machine store --------------------------------------------


def signing_key(settings: Settings) -> str:
    """The configured secret key, or the one kept in data_dir/secret_key (made once, 0600)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.secret_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(new_secret())
    return path.read_text().strip()


async def first_admin(url: str, settings: Settings, *, prompt: bool) -> None:
    """Create the first admin when asked: AUTOMECHANICA_ADMIN_EMAIL and _PASSWORD, or a
    prompt (`up --create-admin`). Never with a default password; never a second time."""
    async with await _connect(url) as conn:
        if await count_admins(conn):
            return
        email = settings.admin_email
        password = settings.admin_password.get_secret_value() if settings.admin_password else None
        if prompt and not (email and password):
            email = email or typer.prompt("Admin email")
            password = _password(from_stdin=False)
        if not (email and password):
            console.print(
                "No admin account yet: create one with "
                "`automechanica users create YOU@EXAMPLE.COM --role admin`."
            )
            return
        user = await create_user(conn, PasswordHasher(), email, password, Role.admin)
        console.print(f"Created the first admin, {user.email}.")
