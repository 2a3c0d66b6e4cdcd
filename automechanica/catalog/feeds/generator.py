"""The demo-feed generator's old address; the code lives in `feeds.demo`.

Kept so `from automechanica.catalog.feeds.generator import generate_demo_feeds`
(the demo store, the tests) keeps working without every caller moving at once.
"""

from automechanica.catalog.feeds.demo import (
    BrokenRow,
    DemoFeedFile,
    DemoFeeds,
    generate_demo_feeds,
    write_large_csv,
)
from automechanica.catalog.feeds.demo.fitment import Fit, Fleet, year_runs

__all__ = [
    "BrokenRow",
    "DemoFeedFile",
    "DemoFeeds",
    "Fit",
    "Fleet",
    "generate_demo_feeds",
    "write_large_csv",
    "year_runs",
]
