"""`python -m automechanica` runs the CLI."""

from automechanica.cli import app

app()
