"""Suppliers as the console lists them: each with its profile's summary and last import.

The profile itself (mapping, brand, cost price type) is `profiles.py`'s; this module
only reads, joining a supplier to what an operator checks first: is its layout
confirmed, and how did its last file go.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.errors import NotFoundError

# the newest import per supplier comes from index import_reports_supplier (supplier_id,
# started_at DESC); suppliers are few (tens), so the list is not paged
SELECT_SUPPLIERS = """
SELECT s.id, s.name, s.display_name,
       p.supplier_id IS NOT NULL AS has_profile, p.format, p.confirmed, p.brand,
       p.cost_price_type, COALESCE((SELECT count(*) FROM jsonb_object_keys(p.mapping)), 0)
           AS mapped_fields,
       p.pending IS NOT NULL AS proposal_waiting, p.updated_at AS profile_updated_at,
       (SELECT count(*) FROM import_reports c WHERE c.supplier_id = s.id) AS imports,
       r.id AS last_report_id, r.status AS last_status, r.file_name AS last_file_name,
       r.rows_read AS last_rows_read, r.offers AS last_offers,
       r.rows_rejected AS last_rows_rejected, r.warnings AS last_warnings,
       r.started_at AS last_started_at, r.finished_at AS last_finished_at
FROM suppliers s
LEFT JOIN supplier_profiles p ON p.supplier_id = s.id
LEFT JOIN LATERAL (
    SELECT id, status, file_name, rows_read, offers, rows_rejected, warnings, started_at,
           finished_at
    FROM import_reports WHERE supplier_id = s.id ORDER BY started_at DESC LIMIT 1
) r ON true
ORDER BY lower(s.display_name), s.id
"""
SELECT_SUPPLIER = "SELECT id, name, display_name, created_at FROM suppliers WHERE id = %s"
# edits of one supplier's profile take turns (the row exists even before its profile does)
LOCK_SUPPLIER = SELECT_SUPPLIER + " FOR UPDATE"


async def list_suppliers(conn: AsyncConnection[Any]) -> list[dict[str, Any]]:
    """Every supplier with its profile summary and its newest import (or none)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_SUPPLIERS)
        return await cur.fetchall()


async def get_supplier(
    conn: AsyncConnection[Any], supplier_id: int, *, lock: bool = False
) -> dict[str, Any]:
    """One supplier; with `lock`, held until the transaction ends (inside one only)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(LOCK_SUPPLIER if lock else SELECT_SUPPLIER, (supplier_id,))
        row = await cur.fetchone()
    if row is None:
        raise NotFoundError("supplier", supplier_id)
    return row
