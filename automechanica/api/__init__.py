"""The HTTP API (FastAPI): storefront and operator console."""
