"""`automechanica up`: migrate, load the demo store on first start, serve, embed."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from typing import Annotated

import typer

from automechanica.cli import schedules, vehicles
from automechanica.cli.catalog import demo_missing, load_demo
from automechanica.cli.common import console, database, fail
from automechanica.cli.users import first_admin, signing_key
from automechanica.config import Settings
from automechanica.db import migrate as migrations
from automechanica.errors import AutoMechanicaError

#: The CLI starts the API by name: nothing imports `api` (DESIGN.md §2).
API_FACTORY = "automechanica.api.app:create_app_from_settings"


def up(
    host: Annotated[str | None, typer.Option(help="address to serve on")] = None,
    port: Annotated[int | None, typer.Option(help="port to serve on")] = None,
    demo: Annotated[bool, typer.Option(help="load the demo store on first start")] = True,
    embedding_worker: Annotated[
        bool,
        typer.Option(
            help="run the worker beside the API: embeddings, workflow steps and pruning, "
            "the scheduler"
        ),
    ] = True,
    create_admin: Annotated[
        bool, typer.Option(help="ask for the first admin's email and password if none exists")
    ] = False,
) -> None:
    """Migrate, load the demo store on first start, and serve the API until Ctrl-C."""
    import uvicorn

    settings = Settings()
    try:
        with database(settings, migrated=False) as url:
            console.print("Migrating the schema…")
            migrations.migrate(url)
            if demo and asyncio.run(demo_missing(url)):
                console.print("First start: loading the demo store.")
                asyncio.run(load_demo(url, settings))
            loader = None
            if demo and settings.full_vehicle_base and asyncio.run(vehicles.full_base_missing(url)):
                # Every vPIC vehicle (about two minutes), beside the API so it serves at once:
                # in its own process, below the API's priority (decoding is CPU-bound and
                # would otherwise hold the API's interpreter). Stopped midway, the load
                # rolls back and the next start runs it again.
                console.print("First start: loading every vPIC vehicle in the background.")
                loader = _background(
                    [sys.executable, "-m", "automechanica", "vehicles", "load", "--full"], url
                )
            asyncio.run(first_admin(url, settings, prompt=create_admin))
            asyncio.run(schedules.seed(url))  # the worker below fires them (scheduler.py)
            os.environ["AUTOMECHANICA_DATABASE_URL"] = url  # read by the API's factory
            os.environ["AUTOMECHANICA_SECRET_KEY"] = signing_key(settings)
            bind_host, bind_port = host or settings.host, port or settings.port
            console.print(
                f"Serving on http://{bind_host}:{bind_port} (API docs at /docs). Ctrl-C stops."
            )
            # The worker (DESIGN.md §7) in its own process: part vectors for hybrid search
            # and what agents remember, every workflow's steps, the pruning of finished
            # workflows, and the scheduler's firings.
            command = [
                sys.executable,
                "-m",
                "automechanica",
                "worker",
                "--kinds",
                "embedding,workflow.step,workflow.prune",
            ]
            # Below the API's priority: on a shared machine (the first start embeds the
            # whole demo catalog) shoppers' requests come first.
            command += ["--log-level", "WARNING", "--nice", "10"]
            embedder = subprocess.Popen(command) if embedding_worker else None
            try:
                uvicorn.run(
                    API_FACTORY, factory=True, host=bind_host, port=bind_port, log_level="warning"
                )
            finally:
                for process in (embedder, loader):
                    if process is not None:
                        _stop(process)
    except AutoMechanicaError as exc:
        raise fail(exc) from exc
    console.print("Stopped.")


def _background(command: list[str], url: str) -> subprocess.Popen[bytes]:
    """`command` against the store's database, at a lower CPU priority where `nice` exists."""
    nice = shutil.which("nice")
    niced = [nice, "-n", "10", *command] if nice else command
    return subprocess.Popen(niced, env=os.environ | {"AUTOMECHANICA_DATABASE_URL": url})


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
