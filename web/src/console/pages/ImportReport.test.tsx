import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { components } from "../../api/schema";
import { renderConsole, stubFetch } from "../../test/console";
import { ImportReportPage, PAGE } from "./ImportReport";

type ReportDetail = components["schemas"]["ReportDetail"];
type Note = components["schemas"]["Note"];
const TOTAL = 120; // three pages of rejections
const rejection = (i: number): Note => ({ line: i + 2, element: null, reason: `mpn: missing <b>${i}</b>`, raw: `ATL-9${i},Fram,,x` });

function report(rejectedOffset: number): ReportDetail {
  return {
    id: 17,
    supplier_id: 4,
    supplier: "snake parts",
    display_name: "Snake Parts",
    file_name: "b90d-snake.csv",
    format: "csv",
    status: "completed",
    rows_read: 124,
    parts_created: 4,
    parts_updated: 0,
    parts_merged: 0,
    offers: 4,
    fitments: 0,
    rows_rejected: TOTAL,
    warnings: 1,
    error: null,
    layout_reason: "inferred from the header and values (confidence 0.90)",
    layout: {
      format: "csv",
      has_header: true,
      fields: { cost: { source: "net_cost", confidence: 0.9, reason: "header says net cost", samples: ["4.10"] } },
      brand: null,
      confidence: 0.9,
      unsure_fields: [],
      notes: [],
    },
    started_at: "2026-12-03T14:05:00Z",
    finished_at: "2026-12-03T14:05:01Z",
    rejections: {
      total: TOTAL,
      offset: rejectedOffset,
      limit: PAGE,
      items: Array.from({ length: Math.min(PAGE, TOTAL - rejectedOffset) }, (_, i) => rejection(rejectedOffset + i)),
    },
    warning_list: { total: 1, offset: 0, limit: PAGE, items: [{ line: null, element: "Item[3]", reason: "part type unknown", raw: null }] },
  };
}

afterEach(() => vi.unstubAllGlobals());

describe("an import report", () => {
  it("pages through every rejected row, keeping warnings apart, all as text", async () => {
    const calls = stubFetch((c) => (c.path === "/api/admin/feeds/reports/17" ? { body: report(Number(c.query.get("rejected_offset"))) } : undefined));
    const { container } = renderConsole(
      <Routes>
        <Route path="/console/feeds/reports/:reportId" element={<ImportReportPage />} />
      </Routes>,
      "/console/feeds/reports/17",
    );
    const rejected = await screen.findByRole("table", { name: "Rejected rows" });
    expect(within(rejected).getAllByRole("row")).toHaveLength(PAGE + 1);
    expect(within(rejected).getAllByRole("row")[1]).toHaveTextContent("line 2mpn: missing <b>0</b>ATL-90,Fram,,x");
    expect(container.querySelector("tbody b")).toBeNull();
    const warnings = screen.getByRole("table", { name: "Warnings" });
    expect(within(warnings).getAllByRole("row")[1]).toHaveTextContent("Item[3]part type unknown");
    expect(screen.getByRole("link", { name: "Supplier Snake Parts" })).toHaveAttribute("href", "/console/suppliers/4");
    expect(screen.getByRole("table", { name: "Layout mapping" })).toHaveTextContent("net_cost");
    expect(screen.getByRole("heading", { name: "Layout the import read the file by" })).toBeInTheDocument();

    const next = screen.getByRole("button", { name: "Next rejected rows" });
    const seen = new Set<number>();
    const collect = () => within(screen.getByRole("table", { name: "Rejected rows" })).getAllByRole("row").slice(1).forEach((r) => seen.add(Number(/line (\d+)/.exec(r.textContent ?? "")![1])));
    collect();
    await userEvent.click(next);
    expect(await screen.findByText("51–100 of 120")).toBeInTheDocument();
    collect();
    await userEvent.click(next);
    expect(await screen.findByText("101–120 of 120")).toBeInTheDocument();
    collect();
    expect(seen.size).toBe(TOTAL); // every one reached
    expect(screen.getByRole("button", { name: "Next rejected rows" })).toBeDisabled();
    expect(calls.map((c) => c.query.get("rejected_offset"))).toEqual(["0", "50", "100"]);
    expect(calls.every((c) => c.query.get("warning_offset") === "0")).toBe(true);
  });
});
