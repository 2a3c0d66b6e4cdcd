"""Import reports as people read them: the counts, the layout used, every rejection."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.errors import NotFoundError

SELECT_REPORT = """
SELECT r.id, s.name AS supplier, r.file_name, r.format, r.status, r.rows_read,
       r.parts_created, r.parts_updated, r.parts_merged, r.offers, r.fitments,
       r.rows_rejected, r.warnings, r.error, r.layout, r.layout_reason, r.started_at,
       r.finished_at
FROM import_reports r JOIN suppliers s ON s.id = r.supplier_id
WHERE r.id = %s
"""
# every rejection and warning of a report, in file order (index import_rejections_report)
SELECT_REJECTIONS = """
SELECT line, element, severity, reason, raw FROM import_rejections
WHERE report_id = %s ORDER BY id
"""


async def load_report(conn: AsyncConnection[Any], report_id: int) -> dict[str, Any]:
    """An import report with all its rejections and warnings (lists kept apart)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_REPORT, (report_id,))
        report = await cur.fetchone()
        if report is None:
            raise NotFoundError("import report", report_id)
        await cur.execute(SELECT_REJECTIONS, (report_id,))
        rows = await cur.fetchall()
    report["rejections"] = [r for r in rows if r["severity"] == "rejected"]
    report["warning_list"] = [r for r in rows if r["severity"] == "warning"]
    return report
