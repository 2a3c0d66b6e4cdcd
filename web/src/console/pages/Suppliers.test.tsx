import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { components } from "../../api/schema";
import { renderConsole, stubFetch } from "../../test/console";
import { SupplierPage, SuppliersPage } from "./Suppliers";

type SupplierDetail = components["schemas"]["SupplierDetail"];
const FIELDS = ["sku", "brand", "mpn", "title", "cost", "msrp", "stock"];

function detail(over: Partial<SupplierDetail> = {}): SupplierDetail {
  return {
    id: 4,
    name: "snake parts",
    display_name: "Snake Parts",
    created_at: "2026-12-03T14:00:00Z",
    profile: {
      format: "csv",
      has_header: true,
      confirmed: false,
      brand: null,
      cost_price_type: null,
      mapping: [
        { field: "sku", source: "item_no", confidence: 0.95, reason: "header says item number (saved from a sure inference)" },
        { field: "brand", source: "mfg_name", confidence: 0.9, reason: "values are known brands" },
        { field: "mpn", source: "mfg_part_number", confidence: 0.9, reason: "header says part number" },
        { field: "cost", source: "net_cost <b>", confidence: 0.8, reason: "<i>net</i> is a cost" },
        { field: "msrp", source: "retail_price", confidence: null, reason: "set or accepted by a person" },
      ],
    },
    proposal: null,
    open_reviews: [],
    recent_imports: [
      {
        id: 17,
        supplier_id: 4,
        supplier: "snake parts",
        display_name: "Snake Parts",
        file_name: "b90d-snake.csv",
        format: "csv",
        status: "completed",
        rows_read: 11,
        parts_created: 4,
        parts_updated: 0,
        offers: 4,
        fitments: 0,
        rows_rejected: 7,
        warnings: 0,
        error: null,
        layout_reason: "inferred",
        started_at: "2026-12-03T14:05:00Z",
        finished_at: "2026-12-03T14:05:01Z",
      },
    ],
    changes: [],
    fields: FIELDS,
    required_fields: ["sku", "brand", "mpn", "cost"],
    cost_price_types: ["NET", "JBR", "WD"],
    ...over,
  };
}

const reportsPage = (offset: number, total = 1) => ({
  total,
  offset,
  limit: 10,
  items: total === 0 ? [] : detail().recent_imports.map((r) => ({ ...r, id: r.id + offset, file_name: `feed-${offset}.csv` })),
});

function renderSupplier() {
  return renderConsole(
    <Routes>
      <Route path="/console/suppliers/:supplierId" element={<SupplierPage />} />
    </Routes>,
    "/console/suppliers/4",
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("the Suppliers pages", () => {
  it("lists suppliers with their layout and last import, linking the report", async () => {
    stubFetch((c) =>
      c.path === "/api/admin/suppliers"
        ? {
            body: [
              {
                id: 4,
                name: "snake parts",
                display_name: "Snake <Parts>",
                has_profile: true,
                format: "csv",
                confirmed: true,
                brand: null,
                cost_price_type: null,
                mapped_fields: 9,
                proposal_waiting: false,
                profile_updated_at: "2026-12-03T14:05:01Z",
                imports: 2,
                last_import: {
                  report_id: 17,
                  status: "completed",
                  file_name: "b90d-snake.csv",
                  rows_read: 11,
                  offers: 4,
                  rows_rejected: 7,
                  warnings: 0,
                  started_at: "2026-12-03T14:05:00Z",
                  finished_at: null,
                },
              },
            ],
          }
        : undefined,
    );
    renderConsole(<SuppliersPage />);
    const item = (await screen.findByRole("link", { name: "Snake <Parts>" })).closest("li")!;
    expect(within(item).getByRole("link", { name: "Snake <Parts>" })).toHaveAttribute("href", "/console/suppliers/4");
    expect(item).toHaveTextContent("csv, 9 fields mapped · confirmed by a person");
    expect(item).toHaveTextContent("4 offers, 7 rejected, 0 warnings");
    expect(within(item).getByRole("link", { name: "Report 17" })).toHaveAttribute("href", "/console/feeds/reports/17");
  });

  it("shows the mapping as source column, our field and why, as text", async () => {
    const calls = stubFetch((c) => {
      if (c.path === "/api/admin/suppliers/4") return { body: detail() };
      if (c.path === "/api/admin/feeds/reports") return { body: reportsPage(Number(c.query.get("offset")), 23) };
      return undefined;
    });
    const { container } = renderSupplier();
    const table = await screen.findByRole("table", { name: "Field mapping" });
    expect(within(table).getByRole("row", { name: /cost/ })).toHaveTextContent("net_cost <b>cost80%<i>net</i> is a cost");
    expect(within(table).getByRole("row", { name: /msrp/ })).toHaveTextContent("retail_pricemsrp—set or accepted by a person");
    expect(container.querySelector("b, i")).toBeNull();
    expect(await screen.findByRole("link", { name: /feed-0\.csv/ })).toHaveAttribute("href", "/console/feeds/reports/17");
    expect(screen.getByText("1–1 of 23")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Older imports" }));
    expect(await screen.findByRole("link", { name: /feed-10\.csv/ })).toHaveAttribute("href", "/console/feeds/reports/27");
    const asked = calls.filter((c) => c.path === "/api/admin/feeds/reports");
    expect(asked.map((c) => [c.query.get("supplier_id"), c.query.get("offset")])).toEqual([
      ["4", "0"],
      ["4", "10"],
    ]);
  });

  it("shows a waiting proposal with why, linked to the review that decides it", async () => {
    const proposal = {
      format: "csv" as const,
      has_header: true,
      fields: { cost: { source: "Price2", confidence: 0.55, reason: "lowest of four price columns", samples: ["4.10"] } },
      brand: null,
      confidence: 0.55,
      unsure_fields: ["cost"],
      notes: [],
    };
    stubFetch((c) => {
      if (c.path === "/api/admin/feeds/reports") return { body: reportsPage(0, 0) };
      return c.path === "/api/admin/suppliers/4" ? { body: detail({ profile: null, proposal, open_reviews: [31] }) } : undefined;
    });
    renderSupplier();
    expect(await screen.findByRole("heading", { name: "Layout the agent proposes" })).toBeInTheDocument();
    expect(screen.getByRole("table", { name: "Layout mapping" })).toHaveTextContent("Price255%lowest of four price columns");
    expect(screen.getByRole("link", { name: "review 31" })).toHaveAttribute("href", "/console/reviews/31");
    expect(screen.getByText(/No profile/)).toBeInTheDocument();
  });

  it("sends only what changed, with the reason, and shows the saved profile", async () => {
    const saved = detail({
      profile: { ...detail().profile!, confirmed: true, cost_price_type: "JBR", mapping: detail().profile!.mapping.filter((m) => m.field !== "msrp") },
      changes: [{ changed_by: "ops@example.com", reason: "retail is a street price", before: {}, after: {}, changed_at: "2026-12-03T15:00:00Z" }],
    });
    const calls = stubFetch((c) => {
      if (c.path === "/api/admin/feeds/reports") return { body: reportsPage(0) };
      if (c.method === "GET" && c.path === "/api/admin/suppliers/4") return { body: detail() };
      if (c.method === "PATCH" && c.path === "/api/admin/suppliers/4/profile") return { body: saved };
      return undefined;
    });
    renderSupplier();
    await userEvent.click(await screen.findByRole("button", { name: "Edit the profile" }));
    const form = screen.getByRole("form", { name: "Edit the profile" });
    await userEvent.click(within(form).getByRole("button", { name: "Save profile" }));
    expect(within(form).getByRole("alert")).toHaveTextContent("Say why");
    await userEvent.type(within(form).getByLabelText("Why"), "retail is a street price");
    await userEvent.click(within(form).getByRole("button", { name: "Save profile" }));
    expect(within(form).getByRole("alert")).toHaveTextContent("Nothing changed");
    await userEvent.clear(within(form).getByLabelText("msrp"));
    await userEvent.selectOptions(within(form).getByLabelText("PIES cost price type"), "JBR");
    await userEvent.click(within(form).getByRole("button", { name: "Save profile" }));

    expect(await screen.findByText("retail is a street price")).toBeInTheDocument();
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.body).toEqual({
      reason: "retail is a street price",
      mapping: { sku: "item_no", brand: "mfg_name", mpn: "mfg_part_number", cost: "net_cost <b>" },
      cost_price_type: "JBR",
    });
    expect(screen.queryByRole("form", { name: "Edit the profile" })).toBeNull();
    expect(screen.getByRole("table", { name: "Field mapping" })).not.toHaveTextContent("retail_price");
  });

  it("asks which kind of file a first mapping is for when the supplier has none", async () => {
    const calls = stubFetch((c) => {
      if (c.path === "/api/admin/feeds/reports") return { body: reportsPage(0) };
      return c.method === "GET" ? { body: detail({ profile: null }) } : { body: detail() };
    });
    renderSupplier();
    await userEvent.click(await screen.findByRole("button", { name: "Edit the profile" }));
    const form = screen.getByRole("form", { name: "Edit the profile" });
    for (const [field, column] of [["sku", "Item"], ["brand", "Make"], ["mpn", "Part"], ["cost", "Net"]] as const) {
      await userEvent.type(within(form).getByLabelText(new RegExp(`^${field}`)), column);
    }
    await userEvent.selectOptions(within(form).getByLabelText("The mapping is for"), "jsonl");
    await userEvent.type(within(form).getByLabelText("Why"), "first JSON feed");
    await userEvent.click(within(form).getByRole("button", { name: "Save profile" }));
    await screen.findByRole("button", { name: "Edit the profile" });
    expect(calls.find((c) => c.method === "PATCH")!.body).toEqual({
      reason: "first JSON feed",
      mapping: { sku: "Item", brand: "Make", mpn: "Part", cost: "Net" },
      format: "jsonl",
    });
  });

  it("shows the server's reason when it refuses an edit, and keeps the form", async () => {
    stubFetch((c) => {
      if (c.path === "/api/admin/feeds/reports") return { body: reportsPage(0) };
      if (c.method === "GET") return { body: detail() };
      return { status: 422, body: { detail: "mapping lacks cost: every file needs sku, brand, mpn, cost" } };
    });
    renderSupplier();
    await userEvent.click(await screen.findByRole("button", { name: "Edit the profile" }));
    const form = screen.getByRole("form", { name: "Edit the profile" });
    await userEvent.clear(within(form).getByLabelText(/^cost/));
    await userEvent.type(within(form).getByLabelText("Why"), "no cost column now");
    await userEvent.click(within(form).getByRole("button", { name: "Save profile" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("mapping lacks cost");
  });
});
