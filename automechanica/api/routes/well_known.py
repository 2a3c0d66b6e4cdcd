"""Discovery for outside agents: the store's Universal Commerce Protocol profile.

`/.well-known/ucp` names where the store's shopping service answers (MCP at /mcp)
and which capabilities it offers (checkout, with fulfillment options). Partial, and
said so in docs/mcp.md: the tools' payloads follow the Agentic Commerce Protocol's
checkout-session shapes, not UCP's schemas, so no `schema` is claimed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from automechanica.api.mcp import MCP_PATH

router = APIRouter(tags=["discovery"])

UCP_VERSION = "2026-04-08"
UCP_SPEC = f"https://ucp.dev/{UCP_VERSION}/specification"


@router.get("/.well-known/ucp", response_model=dict[str, Any])
async def ucp_profile(request: Request) -> dict[str, Any]:
    """The business profile: the MCP endpoint, the capabilities, the product feed."""
    base = str(request.base_url).rstrip("/")
    return {
        "ucp": {
            "version": UCP_VERSION,
            "services": {
                "dev.ucp.shopping": [
                    {
                        "version": UCP_VERSION,
                        "spec": f"{UCP_SPEC}/overview",
                        "transport": "mcp",
                        "endpoint": base + MCP_PATH,
                    }
                ]
            },
            "capabilities": {
                "dev.ucp.shopping.checkout": [
                    {"version": UCP_VERSION, "spec": f"{UCP_SPEC}/checkout"}
                ],
                "dev.ucp.shopping.fulfillment": [
                    {
                        "version": UCP_VERSION,
                        "spec": f"{UCP_SPEC}/fulfillment",
                        "extends": "dev.ucp.shopping.checkout",
                    }
                ],
            },
        },
        "product_feeds": {
            "jsonl": f"{base}/api/feeds/products.jsonl",
            "csv": f"{base}/api/feeds/products.csv",
        },
    }
