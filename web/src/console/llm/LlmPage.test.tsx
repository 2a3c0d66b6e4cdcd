import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { renderConsole, stubFetch, type Call } from "../../test/console";
import { LlmPage } from "../pages/LlmPage";
import type { CatalogModel, Usage } from "./LlmTables";

const models: CatalogModel[] = [
  {
    name: "gpt-4.1-mini",
    provider: "openai",
    tier: "medium",
    context_window: 1047576,
    capabilities: ["json_schema", "tools"],
    price: { input_per_million: "0.40", output_per_million: "1.60", cached_per_million: "0.10", as_of: "2026-10-01" },
    ready: false,
    last_hour: null,
  },
  {
    name: "offline",
    provider: "offline",
    tier: "low",
    context_window: null,
    capabilities: ["json_schema", "tools"],
    price: { input_per_million: "0.0", output_per_million: "0.0", cached_per_million: null, as_of: "2026-10-01" },
    ready: true,
    last_hour: { calls: 12, errors: 1, last_error: "<script>x</script> schema mismatch" },
  },
];

const line = (key: string, calls: number, cost: string, unpriced = 0) => ({ key, calls, errors: 0, tokens_in: calls * 100, tokens_out: calls * 20, cost_usd: cost, unpriced });
const usage: Usage = {
  since: "2026-12-02T10:00:00Z",
  by_model: [line("offline", 40, "0.000000"), line("gpt-4.1-mini", 3, "0.001234", 1)],
  by_agent: [line("SupplierNormalization", 25, "0.000800"), line("Fitment", 18, "0.000434")],
  total_cost_usd: "0.001234",
};
const none: Usage = { since: "2026-12-02T10:00:00Z", by_model: [], by_agent: [], total_cost_usd: "0" };

function stub(answer: (hours: string | null) => Usage) {
  return stubFetch((c: Call) => {
    if (c.path === "/api/admin/llm/models") return { body: models };
    if (c.path === "/api/admin/llm/usage") return { body: answer(c.query.get("hours")) };
    return undefined;
  });
}

afterEach(() => vi.unstubAllGlobals());

describe("the LLM page", () => {
  it("lists the catalog with prices per million tokens, readiness and the last hour, as text", async () => {
    stub(() => usage);
    renderConsole(<LlmPage />, "/console/llm");
    const catalog = await screen.findByRole("table", { name: "Model catalog" });
    const mini = within(catalog).getByRole("row", { name: /gpt-4\.1-mini/ });
    expect(mini).toHaveTextContent("$0.40 in · $1.60 out · $0.10 cached");
    expect(mini).toHaveTextContent("as of 2026-10-01");
    expect(mini).toHaveTextContent("1,047,576");
    expect(mini).toHaveTextContent("no key");
    expect(mini).toHaveTextContent("no calls");
    const offline = within(catalog).getByRole("row", { name: /^offline/ });
    expect(offline).toHaveTextContent("ready");
    expect(offline).toHaveTextContent("12 call(s), 1 error(s)");
    expect(offline).toHaveTextContent("<script>x</script> schema mismatch");
    expect(catalog.querySelector("script")).toBeNull();
    // No provider but the offline one is configured: the page says so.
    expect(screen.getByTestId("offline-note")).toHaveTextContent("every call is answered offline");
  });

  it("shows usage by model and by agent, with calls whose price is unknown called out", async () => {
    stub(() => usage);
    renderConsole(<LlmPage />, "/console/llm");
    const byModel = await screen.findByRole("table", { name: "Usage by model" });
    expect(within(byModel).getByRole("row", { name: /gpt-4\.1-mini/ })).toHaveTextContent("3030060$0.001234+ 1 call(s) with no known price");
    const byAgent = screen.getByRole("table", { name: "Usage by agent" });
    expect(within(byAgent).getAllByRole("rowheader").map((h) => h.textContent)).toEqual(["SupplierNormalization", "Fitment"]);
    expect(screen.getByText(/call\(s\) since/)).toHaveTextContent("43 call(s) since");
    expect(screen.getByText(/call\(s\) since/)).toHaveTextContent("known cost $0.001234 (1 call(s) with no known price are not counted)");
  });

  it("asks for the period chosen, and says when nothing was called in it", async () => {
    const calls = stub((hours) => (hours === "24" ? usage : none));
    renderConsole(<LlmPage />, "/console/llm");
    await screen.findByRole("table", { name: "Usage by model" });
    await userEvent.selectOptions(screen.getByLabelText("Period"), "last 90 days");
    expect(await screen.findByText("No model was called in the last 90 days.")).toBeInTheDocument();
    expect(screen.queryByRole("table", { name: "Usage by model" })).toBeNull();
    expect(calls.filter((c) => c.path === "/api/admin/llm/usage").map((c) => c.query.get("hours"))).toEqual(["24", "2160"]);
  });

  it("says why the catalog could not be read", async () => {
    stubFetch((c) => (c.path === "/api/admin/llm/models" ? { status: 403, body: { detail: "Operators and admins only." } } : { body: none }));
    renderConsole(<LlmPage />, "/console/llm");
    expect(await screen.findByRole("alert")).toHaveTextContent("Operators and admins only.");
  });
});
