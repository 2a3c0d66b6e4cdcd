import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { components } from "../../api/schema";
import { renderConsole, stubFetch, type Call } from "../../test/console";
import { AgentEventPage, AgentEventsPage, sinceParam } from "./AgentEvents";

type Hit = components["schemas"]["AgentEventHit"];
type Page = components["schemas"]["AgentEventPage"];

const hit = (id: number, over: Partial<Hit> = {}): Hit => ({
  id,
  agent: "pricing",
  decision_type: "price.change",
  outcome: "held",
  confidence: 0.62,
  rationale: `rationale ${id}`,
  cost_usd: "0.000420",
  workflow_id: null,
  created_at: "2026-12-01T10:00:00Z",
  similarity: null,
  searchable: true,
  ...over,
});
const page = (over: Partial<Page>): Page => ({ mode: "newest", model: "all-MiniLM-L6-v2-onnx-int8", hits: [], next_before: null, backlog: { waiting: 0, dead: 0 }, notes: [], ...over });

afterEach(() => vi.unstubAllGlobals());

describe("the agent events page", () => {
  it("lists the newest first and pages to older events by keyset", async () => {
    const calls = stubFetch((c: Call) => {
      if (c.path !== "/api/admin/events") return undefined;
      return c.query.get("before") === "8" ? { body: page({ hits: [hit(7)] }) } : { body: page({ hits: [hit(9), hit(8)], next_before: 8 }) };
    });
    renderConsole(<AgentEventsPage />, "/console/events");
    const list = await screen.findByRole("list", { name: "Events" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(2);
    expect(screen.getByTestId("mode")).toHaveTextContent("Newest first.");
    await userEvent.click(screen.getByRole("button", { name: "Older events" }));
    expect(await within(list).findByText("rationale 7")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Older events" })).toBeNull();
    expect(calls.map((c) => c.query.get("before"))).toEqual([null, "8"]);
  });

  it("searches by meaning with the filters, shows the similarity, links the workflow, and renders text as text", async () => {
    const workflow = "5b7a7d7e-6a55-4a5e-9d7a-3f1e2b8c9d01";
    const calls = stubFetch((c) => {
      if (c.path !== "/api/admin/events") return undefined;
      if (!c.query.get("q")) return { body: page({ hits: [hit(3)] }) };
      return {
        body: page({
          mode: "similar",
          hits: [hit(12, { similarity: 0.8312, workflow_id: workflow, rationale: "<img src=x onerror=alert(1)> below MAP" }), hit(4, { similarity: 0.41, outcome: "accepted" })],
          backlog: { waiting: 3, dead: 1 },
        }),
      };
    });
    renderConsole(<AgentEventsPage />, "/console/events");
    await screen.findByText("rationale 3");
    await userEvent.type(screen.getByLabelText("Search by meaning"), "price under MAP");
    await userEvent.type(screen.getByLabelText("Agent"), "pricing");
    await userEvent.selectOptions(screen.getByLabelText("Outcome"), "held");
    await userEvent.type(screen.getByLabelText("Since"), "2026-11-01");
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    expect(await screen.findByTestId("mode")).toHaveTextContent("Closest in meaning first (all-MiniLM-L6-v2-onnx-int8).");
    const asked = calls.at(-1)!;
    expect(asked.query.get("q")).toBe("price under MAP");
    expect(asked.query.get("agent")).toBe("pricing");
    expect(asked.query.get("outcome")).toBe("held");
    expect(asked.query.get("since")).toBe(new Date("2026-11-01T00:00:00").toISOString());
    expect(asked.query.has("decision_type")).toBe(false);
    const items = within(screen.getByRole("list", { name: "Events" })).getAllByRole("listitem");
    expect(within(items[0]!).getByTestId("similarity")).toHaveTextContent("similarity 0.83");
    expect(items[0]).toHaveTextContent("<img src=x onerror=alert(1)> below MAP");
    expect(items[0]!.querySelector("img")).toBeNull();
    expect(within(items[0]!).getByRole("link", { name: "workflow timeline" })).toHaveAttribute("href", `/console/workflows/${workflow}`);
    expect(within(items[0]!).getByRole("link", { name: /pricing/ })).toHaveAttribute("href", "/console/events/12");
    expect(within(items[1]!).queryByRole("link", { name: "workflow timeline" })).toBeNull();
    const backlog = screen.getByTestId("backlog");
    expect(backlog).toHaveTextContent("3 matching event(s) are waiting to be embedded and cannot be found by meaning yet");
    expect(backlog).toHaveTextContent("1 matching event(s) could not be embedded");
  });

  it("says when nothing matches, and why a search failed", async () => {
    stubFetch((c) => (c.query.get("q") ? { status: 503, body: { detail: "Search by meaning needs the embedding model." } } : { body: page({}) }));
    renderConsole(<AgentEventsPage />, "/console/events?agent=nobody");
    expect(await screen.findByText("No event matches.")).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Search by meaning"), "anything");
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Search by meaning needs the embedding model.");
  });

  it("turns a day into local midnight with its time zone, and refuses what is not a day", () => {
    expect(sinceParam("2026-11-01")).toBe(new Date("2026-11-01T00:00:00").toISOString());
    expect(sinceParam("yesterday")).toBeUndefined();
    expect(sinceParam("")).toBeUndefined();
  });
});

describe("one agent event", () => {
  it("shows the whole event: rationale, evidence, input, output, memory state and workflow link", async () => {
    stubFetch((c) =>
      c.path === "/api/admin/events/12"
        ? {
            body: {
              id: 12,
              workflow_id: "5b7a7d7e-6a55-4a5e-9d7a-3f1e2b8c9d01",
              task_id: 40,
              step_key: "price",
              agent: "pricing",
              decision_type: "price.change",
              subject_kind: "part",
              subject_id: "77",
              input: { price: "18.40" },
              output: { held: true },
              confidence: 0.62,
              rationale: "Below MAP.\nHeld for a person.",
              evidence: [{ kind: "map", ref: "19.99" }],
              outcome: "held",
              model_used: null,
              tokens_in: null,
              tokens_out: null,
              cost_usd: "0.000420",
              latency_ms: null,
              created_at: "2026-12-01T10:00:00Z",
              embedding: "embedded",
              similar: [hit(30, { similarity: 0.77, rationale: "Also below MAP, last month." })],
            },
          }
        : undefined,
    );
    renderConsole(
      <Routes>
        <Route path="/console/events/:eventId" element={<AgentEventPage />} />
      </Routes>,
      "/console/events/12",
    );
    expect(await screen.findByRole("heading", { name: "pricing · price.change" })).toBeInTheDocument();
    expect(screen.getByText(/Below MAP\./)).toHaveTextContent("Below MAP. Held for a person.");
    expect(screen.getByLabelText("Evidence")).toHaveTextContent('"ref": "19.99"');
    expect(screen.getByLabelText("Input")).toHaveTextContent('"price": "18.40"');
    expect(screen.getByTestId("embedding")).toHaveTextContent("embedded: found by search");
    const similar = screen.getByRole("region", { name: "Similar events" });
    expect(within(similar).getByRole("link", { name: /pricing/ })).toHaveAttribute("href", "/console/events/30");
    expect(similar).toHaveTextContent("similarity 0.77");
    expect(similar).toHaveTextContent("Also below MAP, last month.");
    expect(screen.getByRole("link", { name: "Workflow timeline" })).toHaveAttribute("href", "/console/workflows/5b7a7d7e-6a55-4a5e-9d7a-3f1e2b8c9d01");
  });

  it("says when the event does not exist", async () => {
    stubFetch(() => ({ status: 404, body: { detail: "No agent event 99." } }));
    renderConsole(
      <Routes>
        <Route path="/console/events/:eventId" element={<AgentEventPage />} />
      </Routes>,
      "/console/events/99",
    );
    expect(await screen.findByRole("alert")).toHaveTextContent("No agent event 99.");
  });
});
