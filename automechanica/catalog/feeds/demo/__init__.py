"""Deterministic demo feeds: one catalog written as three suppliers would send it.

The demo store and the import tests need feeds that look like the real thing —
brand aliases, MPN punctuation, free-text fitment in several styles, a few
broken rows — yet are exactly reproducible and say what a correct import
yields. Everything comes from one `random.Random(seed)` (never the clock or the
global RNG) and nothing iterates a set, so the same inputs give the same bytes.

The modules follow the order the data is made in: `tables` (what brands make,
MPN shapes, part specs), `fitment` (year runs drawn from the vehicles),
`catalog` (the canonical parts), `voices` and `offers` (how each supplier lists
them), `files` and `writers` (the four files, broken rows mixed in).
"""

from automechanica.catalog.feeds.demo.files import BrokenRow, DemoFeedFile, DemoFeeds
from automechanica.catalog.feeds.demo.writers import generate_demo_feeds, write_large_csv

__all__ = [
    "BrokenRow",
    "DemoFeedFile",
    "DemoFeeds",
    "generate_demo_feeds",
    "write_large_csv",
]
