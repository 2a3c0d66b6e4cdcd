"""Supplier feeds: readers for CSV, JSON lines, PIES and ACES; the demo generator."""
