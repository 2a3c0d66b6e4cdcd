"""LLM router: providers, model catalog with prices, selection, fallbacks, call log (DESIGN.md §5)."""
