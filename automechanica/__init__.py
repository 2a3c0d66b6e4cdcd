"""AutoMechanica: run an online auto-parts store with autonomous agents."""

__version__ = "0.1.0"
