"""Import reports as people read them: the counts, the layout used, every rejection.

`load_report` gives a whole report (the CLI prints it); the console pages instead:
`list_reports` over all imports, `report_notes` through one report's rejections or
warnings, so a file with a million bad rows is still read a page at a time.
"""

from __future__ import annotations

from typing import Any, Literal

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

# the console's import list, newest first, by supplier and status; with a supplier the
# index import_reports_supplier (supplier_id, started_at DESC) serves it
SELECT_REPORTS = """
SELECT r.id, r.supplier_id, s.name AS supplier, s.display_name, r.file_name, r.format,
       r.status, r.rows_read, r.parts_created, r.parts_updated, r.offers, r.fitments,
       r.rows_rejected, r.warnings, r.error, r.layout_reason, r.started_at, r.finished_at,
       count(*) OVER () AS total
FROM import_reports r JOIN suppliers s ON s.id = r.supplier_id
WHERE (%(supplier_id)s::integer IS NULL OR r.supplier_id = %(supplier_id)s::integer)
  AND (%(status)s::text IS NULL OR r.status = %(status)s::text)
ORDER BY r.started_at DESC, r.id DESC
LIMIT %(limit)s OFFSET %(offset)s
"""
COUNT_REPORTS = """
SELECT count(*) AS total FROM import_reports r
WHERE (%(supplier_id)s::integer IS NULL OR r.supplier_id = %(supplier_id)s::integer)
  AND (%(status)s::text IS NULL OR r.status = %(status)s::text)
"""
SELECT_REPORT_HEADER = """
SELECT r.id, r.supplier_id, s.name AS supplier, s.display_name, r.file_name, r.format,
       r.status, r.rows_read, r.parts_created, r.parts_updated, r.parts_merged, r.offers,
       r.fitments, r.rows_rejected, r.warnings, r.error, r.layout, r.layout_reason,
       r.started_at, r.finished_at
FROM import_reports r JOIN suppliers s ON s.id = r.supplier_id
WHERE r.id = %s
"""
# how many notes of each kind a report stored (index import_rejections_report)
COUNT_NOTES = """
SELECT severity, count(*) AS n FROM import_rejections WHERE report_id = %s GROUP BY severity
"""
# one page of a report's rejections or warnings, in file order (import_rejections_report)
SELECT_NOTES_PAGE = """
SELECT line, element, reason, raw FROM import_rejections
WHERE report_id = %(report)s AND severity = %(severity)s
ORDER BY id LIMIT %(limit)s OFFSET %(offset)s
"""


async def list_reports(
    conn: AsyncConnection[Any],
    *,
    supplier_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """One page of import reports, newest first, and how many match in all."""
    params = {"supplier_id": supplier_id, "status": status, "limit": limit, "offset": offset}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_REPORTS, params)
        rows = await cur.fetchall()
        if rows:
            total = int(rows[0]["total"])
        else:  # a page past the end still says how many there are
            await cur.execute(COUNT_REPORTS, params)
            found = await cur.fetchone()
            total = int(found["total"]) if found else 0
    for row in rows:
        row.pop("total")
    return total, rows


async def report_header(conn: AsyncConnection[Any], report_id: int) -> dict[str, Any]:
    """A report's counts and layout, with how many rejections and warnings it stored."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_REPORT_HEADER, (report_id,))
        report = await cur.fetchone()
        if report is None:
            raise NotFoundError("import report", report_id)
        await cur.execute(COUNT_NOTES, (report_id,))
        counts = {r["severity"]: int(r["n"]) for r in await cur.fetchall()}
    report["stored_rejections"] = counts.get("rejected", 0)
    report["stored_warnings"] = counts.get("warning", 0)
    return report


async def report_notes(
    conn: AsyncConnection[Any],
    report_id: int,
    severity: Literal["rejected", "warning"],
    *,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """One page of a report's rejections (or warnings), in the file's order."""
    params = {"report": report_id, "severity": severity, "limit": limit, "offset": offset}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(SELECT_NOTES_PAGE, params)
        return await cur.fetchall()


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
