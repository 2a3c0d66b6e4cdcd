"""The `automechanica` command: one sub-command group per module."""

from __future__ import annotations

import typer

from automechanica.cli.catalog import demo_app, feeds_app, fitment_app, vin_app
from automechanica.cli.catalog_admin import brands_app, part_types_app
from automechanica.cli.db import db_app
from automechanica.cli.eval import eval_command
from automechanica.cli.feed_export import feed_app
from automechanica.cli.llm import llm_app
from automechanica.cli.memory import docs_app, memory_app
from automechanica.cli.pricing import prices_app
from automechanica.cli.queue import queue_app
from automechanica.cli.schedules import schedules_app
from automechanica.cli.seo import seo_app
from automechanica.cli.up import up
from automechanica.cli.users import users_app
from automechanica.cli.vehicles import vehicles_app
from automechanica.cli.worker import worker
from automechanica.cli.workflows import policies_app, reviews_app, workflow_app

app = typer.Typer(help="AutoMechanica: run an online auto-parts store.", no_args_is_help=True)
app.command("up")(up)
app.add_typer(db_app, name="db")
app.add_typer(vin_app, name="vin")
app.add_typer(feeds_app, name="feeds")
app.add_typer(feed_app, name="feed")  # the product feed out; `feeds` are suppliers' in
app.add_typer(fitment_app, name="fitment")
app.add_typer(demo_app, name="demo")
app.add_typer(queue_app, name="queue")
app.add_typer(llm_app, name="llm")
app.command("worker")(worker)
app.add_typer(memory_app, name="memory")
app.add_typer(docs_app, name="docs")
app.add_typer(users_app, name="users")
app.add_typer(workflow_app, name="workflow")
app.add_typer(reviews_app, name="reviews")
app.add_typer(policies_app, name="policies")
app.add_typer(brands_app, name="brands")
app.add_typer(part_types_app, name="part-types")
app.command("eval")(eval_command)
app.add_typer(vehicles_app, name="vehicles")
app.add_typer(prices_app, name="prices")
app.add_typer(schedules_app, name="schedules")
app.add_typer(seo_app, name="seo")

__all__ = ["app"]
