import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { components } from "../../api/schema";
import { renderConsole, stubFetch } from "../../test/console";
import { FeedRun } from "./FeedRun";

type Timeline = components["schemas"]["Timeline"];
const ID = "f900cba1-8ea3-48e4-ad0e-587ad47ed836";

const layout = {
  format: "csv",
  has_header: true,
  fields: {
    sku: { source: "Catalog Number", confidence: 0.95, reason: "header names a catalog number", samples: ["ATL-1001"] },
    cost: { source: "Price1", confidence: 0.6, reason: "<i>first</i> of three price columns", samples: ["4.10"] },
  },
  brand: null,
  confidence: 0.6,
  unsure_fields: ["cost"],
  notes: [],
};

const step = (step_key: string, result: unknown, status = "completed") => ({
  step_key,
  status,
  started_at: "2026-12-03T14:21:57Z",
  finished_at: status === "completed" ? "2026-12-03T14:21:58Z" : null,
  batches_total: null,
  batches_done: 0,
  result,
});

function run(over: Partial<Timeline>): Timeline {
  return {
    id: ID,
    kind: "supplier_feed_onboarding",
    version: 2,
    status: "running",
    input: { path: "/data/uploads/78aed259-acme.csv", supplier: "Acme" },
    output: null,
    error: null,
    current_step: null,
    started_at: "2026-12-03T14:21:57Z",
    finished_at: null,
    started_by: "ops@example.com",
    steps: [],
    events: [],
    troubled_tasks: [],
    cost_usd: "0",
    tokens: 0,
    ...over,
  };
}

const summary = {
  report_id: 9,
  supplier: "acme",
  file_name: "78aed259-acme.csv",
  format: "csv",
  rows_read: 5,
  parts_created: 3,
  parts_updated: 1,
  parts_merged: 0,
  offers: 4,
  fitments: 2,
  vehicles_proposed: 0,
  rows_rejected: 1,
  warnings: 0,
  rejections: [{ where: "line 4", reason: "cost: 'n/a' is not a price <script>", raw: "ATL-1003,Bosch,,n/a", line: 4, element: null }],
  warning_list: [],
  status: "completed",
  error: null,
  layout_reason: "inferred from the header and values (confidence 0.95)",
};

afterEach(() => vi.unstubAllGlobals());

describe("an onboarding run on the Feeds page", () => {
  it("shows the finished import report and the layout it read the file by, as text", async () => {
    const done = run({
      status: "completed",
      finished_at: "2026-12-03T14:21:58Z",
      steps: [step("map_layout", { plan: { format: "csv", layout, reason: "inferred from the header and values", sure: true } }), step("import", summary)],
      output: { import: summary, product_pages: {}, fitment_held: 0 },
    });
    const calls = stubFetch((c) => (c.path === `/api/admin/workflows/${ID}` ? { body: done } : undefined));
    const { container } = renderConsole(<FeedRun workflowId={ID} />);
    expect(await screen.findByTestId("feed-run-status")).toHaveTextContent("completed Finished.");
    const figures = screen.getByRole("list", { name: "Import figures" });
    expect(within(figures).getByText("Offers stored").parentElement).toHaveTextContent("Offers stored4");
    expect(within(figures).getByText("Rows read").parentElement).toHaveTextContent("Rows read5");
    const rejected = screen.getByRole("table", { name: "Rejected rows" });
    expect(within(rejected).getAllByRole("row")[1]).toHaveTextContent("4cost: 'n/a' is not a price <script>ATL-1003,Bosch,,n/a");
    const mapping = screen.getByRole("table", { name: "Layout mapping" });
    expect(within(mapping).getByRole("row", { name: /^cost/ })).toHaveTextContent("Price160%<i>first</i> of three price columns (e.g. 4.10)");
    expect(screen.getByRole("heading", { name: "Layout the import read the file by" })).toBeInTheDocument();
    expect(container.querySelector("script, i")).toBeNull();
    // every row of the report is one link away
    expect(screen.getByRole("link", { name: "Open import report 9" })).toHaveAttribute("href", "/console/feeds/reports/9");
    // A finished run is not asked for again, and no review is looked for.
    expect(calls.map((c) => c.path)).toEqual([`/api/admin/workflows/${ID}`]);
  });

  it("links a run waiting on a person to its review, with the layout the agent proposes", async () => {
    const waiting = run({ status: "waiting", current_step: "map_layout", steps: [step("map_layout", null, "waiting")] });
    const review = {
      id: 12,
      event_id: 3,
      workflow_id: ID,
      step_key: "map_layout",
      kind: "feed.layout_mapping",
      reason: "unsure of cost in acme.csv",
      proposed: layout,
      current: null,
      agent: "SupplierNormalization",
      confidence: 0.6,
      rationale: "inferred, unsure of cost",
      evidence: [],
      subject_kind: "supplier",
      subject_id: "acme",
      status: "open",
      resolution: null,
      reviewer: null,
      note: null,
      created_at: "2026-12-03T14:21:58Z",
      resolved_at: null,
    };
    stubFetch((c) => {
      if (c.path === `/api/admin/workflows/${ID}`) return { body: waiting };
      if (c.path === "/api/admin/reviews" && c.query.get("kind") === "feed.layout_mapping") return { body: [{ ...review, id: 11, workflow_id: "another" }, review] };
      return undefined;
    });
    renderConsole(<FeedRun workflowId={ID} />);
    expect(await screen.findByTestId("feed-run-status")).toHaveTextContent("Waiting for a person to confirm the file's layout.");
    expect(await screen.findByRole("link", { name: "Open review 12" })).toHaveAttribute("href", "/console/reviews/12");
    expect(screen.getByRole("heading", { name: "Layout the agent proposes" })).toBeInTheDocument();
    expect(screen.getByText("inferred, unsure of cost")).toBeInTheDocument(); // the agent's rationale
    expect(screen.queryByRole("list", { name: "Import figures" })).toBeNull();
  });

  it("says why a run failed before storing anything", async () => {
    const failed = run({ status: "failed", error: "prices.csv: line 1: no header row", finished_at: "2026-12-03T14:21:58Z", steps: [step("map_layout", null, "failed")] });
    stubFetch((c) => (c.path === `/api/admin/workflows/${ID}` ? { body: failed } : undefined));
    renderConsole(<FeedRun workflowId={ID} />);
    expect(await screen.findByText("prices.csv: line 1: no header row")).toBeInTheDocument();
    expect(screen.getByText("This run stored nothing: it ended before the import.")).toBeInTheDocument();
  });
});
