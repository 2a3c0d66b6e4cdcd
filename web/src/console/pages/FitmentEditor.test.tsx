import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { components } from "../../api/schema";
import { renderConsole, stubFetch, type Answer, type Call } from "../../test/console";
import { FitmentEditorPage } from "./FitmentEditor";

type Row = components["schemas"]["FitmentRow"];

const row = (id: number, year: number, extra: Partial<Row> = {}): Row => ({
  id,
  base_vehicle_id: 100 + year,
  year,
  make: "Honda",
  model: "Civic",
  submodel: null,
  engine_liters: null,
  engine_cylinders: null,
  engine_code: null,
  fuel: null,
  aspiration: null,
  drive: null,
  body: null,
  transmission: null,
  position: "Front",
  quantity: null,
  qualifiers: [],
  notes: [],
  source: "feed:acme",
  supplier: "acme",
  confidence: 0.85,
  status: "published",
  explanation: null,
  created_at: "2026-12-01T10:00:00Z",
  reviewed_at: null,
  ...extra,
});

const part = { id: 7, brand: "Wagner", part_number: "BD1234", title: "Wagner front brake pads", part_type: "Brake Pads", fit_class: "vehicle_specific" };
const rows = [
  row(11, 2016, {
    submodel: "EX",
    engine_liters: 2,
    qualifiers: [{ text: "<b>w/ 288mm rotors</b>", verify: true }],
    notes: ["<script>alert(1)</script>"],
  }),
  row(12, 2017, { source: "person:ops@example.com", supplier: null, confidence: 1, status: "pending_review" }),
];
const history = [
  { id: 41, created_at: "2026-12-02T09:00:00Z", agent: "person:ops@example.com", decision_type: "fitment.remove", outcome: "rejected", confidence: 1, rationale: "Rejected fitment row 13: <i>returns</i> say no" },
  { id: 40, created_at: "2026-12-01T09:00:00Z", agent: "Fitment", decision_type: "fitment.publish", outcome: "held", confidence: 0.5, rationale: "sources disagree" },
];
const list = (items: Row[]) => ({ part, total: items.length, counts: { published: 1, pending_review: 1 }, rows: items });
const change = (items: Row[], added = 0) => ({ rows: items, added, event_id: 99 });

function stub(handler?: (c: Call) => Answer | undefined) {
  return stubFetch((c) => {
    const own = handler?.(c);
    if (own) return own;
    if (c.method === "GET" && c.path === "/api/admin/catalog/parts/7/fitments") return { body: list(rows) };
    if (c.path === "/api/admin/catalog/parts/7/fitment-history") return { body: history };
    if (c.path === "/api/vehicles/years") return { body: [2018, 2017, 2016, 2015] };
    if (c.path === "/api/vehicles/makes") return { body: ["Honda", "Toyota"] };
    if (c.path === "/api/vehicles/models") return { body: ["Accord", "Civic"] };
    if (c.path === "/api/vehicles/submodels") return { body: ["EX", "LX"] };
    if (c.path === "/api/vehicles/engines") return { body: [{ engine_liters: "2.0", engine_cylinders: 4, fuel: "Gasoline", aspiration: null, vehicle_ids: [1] }] };
    return undefined;
  });
}

function show() {
  return renderConsole(
    <Routes>
      <Route path="/console/catalog/parts/:partId/fitment" element={<FitmentEditorPage />} />
    </Routes>,
    "/console/catalog/parts/7/fitment",
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("the fitment editor", () => {
  it("lists the part's rows with their vehicle, configuration, source and status, supplier text as text", async () => {
    stub();
    show();
    const table = await screen.findByRole("table", { name: "Fitment rows" });
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Fitment: Wagner BD1234");
    const first = within(table).getByRole("row", { name: /2016 Honda Civic/ });
    expect(first).toHaveTextContent("EX 2L");
    expect(first).toHaveTextContent("⚠ <b>w/ 288mm rotors</b>");
    expect(first).toHaveTextContent("<script>alert(1)</script>");
    expect(first).toHaveTextContent("feed:acme");
    expect(first).toHaveTextContent("85%");
    expect(table.querySelector("script, b")).toBeNull();
    const second = within(table).getByRole("row", { name: /2017 Honda Civic/ });
    expect(second).toHaveTextContent("every configuration");
    expect(second).toHaveTextContent("person:ops@example.com");
    expect(second).toHaveTextContent("pending_review");
    expect(screen.getByText(/1 published · 1 pending review · 0 rejected/)).toBeInTheDocument();
    // Who changed the fitment and why, newest first, each a link to its event.
    const decisions = await screen.findByRole("list", { name: "Fitment decisions, newest first" });
    const items = within(decisions).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("person:ops@example.com · fitment.remove rejected");
    expect(items[0]).toHaveTextContent("Rejected fitment row 13: <i>returns</i> say no");
    expect(within(items[0]!).getByRole("link", { name: "event 41" })).toHaveAttribute("href", "/console/events/41");
    expect(items[1]).toHaveTextContent("Fitment · fitment.publish held");
    expect(decisions.querySelector("i")).toBeNull();
  });

  it("asks the server for the rows the filters name", async () => {
    const calls = stub();
    show();
    await screen.findByRole("table", { name: "Fitment rows" });
    const filters = screen.getByRole("search", { name: "Filter rows" });
    await userEvent.type(within(filters).getByLabelText("Year"), "2016");
    await userEvent.type(within(filters).getByLabelText("Make"), "honda");
    await userEvent.selectOptions(within(filters).getByLabelText("Status"), "rejected");
    await userEvent.click(within(filters).getByRole("button", { name: "Filter" }));
    await vi.waitFor(() => {
      const last = calls.filter((c) => c.path === "/api/admin/catalog/parts/7/fitments").at(-1);
      expect(last?.query.get("year")).toBe("2016");
      expect(last?.query.get("make")).toBe("honda");
      expect(last?.query.get("status")).toBe("rejected");
    });
  });

  it("adds an application over a year range picked from the vehicle base, with its reason", async () => {
    const added = [row(21, 2015), row(22, 2016), row(23, 2017)].map((r) => ({ ...r, source: "person:ops@example.com", supplier: null }));
    const calls = stub((c) => (c.method === "POST" ? { status: 201, body: change(added, 3) } : undefined));
    show();
    const form = await screen.findByRole("form", { name: "Add an application" });
    await within(within(form).getByLabelText("First year")).findByRole("option", { name: "2015" });
    await userEvent.selectOptions(within(form).getByLabelText("First year"), "2015");
    await userEvent.selectOptions(within(form).getByLabelText("Last year"), "2017");
    await userEvent.selectOptions(await within(form).findByLabelText("Make"), "Honda");
    await vi.waitFor(() => expect(within(form).getByRole("option", { name: "Civic" })).toBeInTheDocument());
    await userEvent.selectOptions(within(form).getByLabelText("Model"), "Civic");
    await vi.waitFor(() => expect(within(form).getByRole("option", { name: /2\.0L 4cyl/ })).toBeInTheDocument());
    await userEvent.selectOptions(within(form).getByLabelText("Engine (optional)"), "0");
    await userEvent.type(within(form).getByLabelText("Position"), "Front");
    await userEvent.type(within(form).getByLabelText(/Qualifiers/), "w/ 288mm rotors");
    await userEvent.type(within(form).getByLabelText(/Reason/), "Wagner's catalog lists these years");
    await userEvent.click(within(form).getByRole("button", { name: "Add rows" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Added: 3 row(s) (3 new); recorded as event 99.");
    expect(screen.getByRole("link", { name: "event 99" })).toHaveAttribute("href", "/console/events/99");
    const post = calls.find((c) => c.method === "POST");
    expect(post?.body).toMatchObject({
      year_start: 2015,
      year_end: 2017,
      make: "Honda",
      model: "Civic",
      submodel: null,
      engine_liters: 2,
      engine_cylinders: 4,
      position: "Front",
      qualifiers: [{ text: "w/ 288mm rotors", verify: true }],
      reason: "Wagner's catalog lists these years",
    });
  });

  it("shows the server's refusal when the vehicle base lacks a year, and keeps what was typed", async () => {
    stub((c) =>
      c.method === "POST" ? { status: 422, body: { title: "Unprocessable", status: 422, detail: "The vehicle base has no 2015 Honda Civic; nothing was added." } } : undefined,
    );
    show();
    const form = await screen.findByRole("form", { name: "Add an application" });
    await within(within(form).getByLabelText("First year")).findByRole("option", { name: "2015" });
    await userEvent.selectOptions(within(form).getByLabelText("First year"), "2015");
    await userEvent.selectOptions(await within(form).findByLabelText("Make"), "Honda");
    await vi.waitFor(() => expect(within(form).getByRole("option", { name: "Civic" })).toBeInTheDocument());
    await userEvent.selectOptions(within(form).getByLabelText("Model"), "Civic");
    await userEvent.type(within(form).getByLabelText(/Reason/), "from the catalog");
    await userEvent.click(within(form).getByRole("button", { name: "Add rows" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("The vehicle base has no 2015 Honda Civic; nothing was added.");
    expect(within(form).getByLabelText(/Reason/)).toHaveValue("from the catalog");
  });

  it("edits only what changed and removes a row with a reason", async () => {
    const calls = stub((c) => {
      if (c.method === "PATCH") return { body: change([{ ...rows[0]!, position: "Rear" }]) };
      if (c.method === "DELETE") return { body: change([{ ...rows[0]!, status: "rejected" }]) };
      return undefined;
    });
    show();
    await screen.findByRole("table", { name: "Fitment rows" });
    await userEvent.click(screen.getByRole("button", { name: "Edit row 11" }));
    const edit = screen.getByRole("form", { name: "Edit row 11" });
    const position = within(edit).getByLabelText("Position");
    await userEvent.clear(position);
    await userEvent.type(position, "Rear");
    await userEvent.click(within(edit).getByRole("button", { name: "Save row 11" }));
    expect(calls.some((c) => c.method === "PATCH")).toBe(false); // the reason is required
    await userEvent.type(within(edit).getByLabelText("Reason for the edit"), "rear set for this year");
    await userEvent.click(within(edit).getByRole("button", { name: "Save row 11" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Edited: 1 row(s); recorded as event 99.");
    const patch = calls.find((c) => c.method === "PATCH");
    expect(patch?.path).toBe("/api/admin/catalog/parts/7/fitments/11");
    expect(patch?.body).toEqual({ position: "Rear", reason: "rear set for this year" });

    await userEvent.click(screen.getByRole("button", { name: "Remove row 11" }));
    const remove = screen.getByRole("form", { name: "Remove row 11" });
    await userEvent.type(within(remove).getByLabelText("Why remove it"), "wrong caliper returns");
    await userEvent.click(within(remove).getByRole("button", { name: "Remove row 11" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Removed: 1 row(s)");
    const del = calls.find((c) => c.method === "DELETE");
    expect(del?.path).toBe("/api/admin/catalog/parts/7/fitments/11");
    expect(del?.query.get("reason")).toBe("wrong caliper returns");
  });

  it("offers no add form for a universal part, and says why", async () => {
    stub((c) => (c.method === "GET" && c.path === "/api/admin/catalog/parts/7/fitments" ? { body: { ...list([]), part: { ...part, fit_class: "universal" } } } : undefined));
    show();
    expect(await screen.findByText(/Wagner BD1234 is universal: it fits any vehicle; fit checks do not read/)).toBeInTheDocument();
    expect(screen.getByText("This part has no fitment rows yet.")).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Add an application" })).toBeNull();
  });

  it("says when a part id is not one", () => {
    stub();
    renderConsole(
      <Routes>
        <Route path="/console/catalog/parts/:partId/fitment" element={<FitmentEditorPage />} />
      </Routes>,
      "/console/catalog/parts/abc/fitment",
    );
    expect(screen.getByRole("alert")).toHaveTextContent('"abc" is not a part id.');
  });
});
