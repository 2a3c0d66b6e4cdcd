import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { resolve } from "node:path";
import { base } from "./helpers";

// An operator uploads a small supplier feed whose layout the agent infers and is sure of
// (evals/layouts/dealer_cost_stock.csv: 4 rows, the supplier's own column names) and
// follows it to the finished import report; then the LLM page.
const email = process.env.E2E_OPERATOR_EMAIL ?? "";
const password = process.env.E2E_OPERATOR_PASSWORD ?? "";
test.skip(!email, "E2E_OPERATOR_EMAIL/E2E_OPERATOR_PASSWORD name an operator of the server under test");

const FEED = resolve(import.meta.dirname, "..", "..", "evals", "layouts", "dealer_cost_stock.csv");

async function expectAccessible(page: Page, where: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${where}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

async function signIn(page: Page, path: string) {
  await page.goto(`${base()}${path}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-as")).toContainText(email);
}

test("an operator uploads a supplier's feed and sees the finished import report", async ({ page }) => {
  test.setTimeout(150_000);
  await signIn(page, "/console");
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Feeds" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Feeds" })).toBeVisible();
  await expectAccessible(page, "feeds");

  await page.getByLabel("Supplier").fill(`E2E Dealer Supply ${Date.now()}`);
  await page.getByLabel("Feed file").setInputFiles(FEED);
  await page.getByRole("button", { name: "Upload and import" }).click();
  await expect(page).toHaveURL(/\/console\/feeds\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: "Feed import" })).toBeVisible();

  // The run goes on in the worker; the page follows it until it is done.
  await expect(page.getByTestId("feed-run-status")).toContainText("completed", { timeout: 120_000 });
  const figures = page.getByRole("list", { name: "Import figures" });
  await expect(figures.getByRole("listitem").filter({ hasText: "Rows read" })).toHaveText("Rows read4");
  await expect(figures.getByRole("listitem").filter({ hasText: "Offers stored" })).toHaveText("Offers stored4");
  await expect(figures.getByRole("listitem").filter({ hasText: "Rows rejected" })).toHaveText("Rows rejected0");
  // The layout the agent inferred and read the file by: our fields from its columns.
  await expect(page.getByRole("heading", { level: 2, name: "Layout the import read the file by" })).toBeVisible();
  const layout = page.getByRole("table", { name: "Layout mapping" });
  await expect(layout.getByRole("row", { name: /^sku / })).toContainText("Catalog Number");
  await expect(layout.getByRole("row", { name: /^mpn / })).toContainText("Part Num");
  await expect(layout.getByRole("row", { name: /^cost / })).toContainText("Dealer Cost");
  await expectAccessible(page, "feed import report");

  // The stored report on its own page, then the supplier's remembered layout, corrected.
  await page.getByRole("link", { name: /^Open import report \d+$/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: /^Import report \d+$/ })).toBeVisible();
  await expect(page.getByRole("list", { name: "Import figures" }).getByRole("listitem").filter({ hasText: "Offers stored" })).toHaveText("Offers stored4");
  await expect(page.getByText("No rejected rows.")).toBeVisible();
  await expectAccessible(page, "import report");
  await page.getByRole("link", { name: /^Supplier E2E Dealer Supply/ }).click();
  const mapping = page.getByRole("table", { name: "Field mapping" });
  await expect(mapping.getByRole("row", { name: /sku/ })).toContainText("Catalog Number");
  await expectAccessible(page, "supplier");
  await page.getByRole("button", { name: "Edit the profile" }).click();
  await page.getByLabel("PIES cost price type").selectOption("JBR");
  await page.getByLabel("Why").fill("e2e: their PIES files price dealers as JBR");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByRole("list", { name: "Profile changes" })).toContainText("e2e: their PIES files price dealers as JBR");
  await expect(page.getByText(/PIES cost: JBR/)).toBeVisible();
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Suppliers" }).click();
  await expect(page.getByRole("link", { name: /^E2E Dealer Supply/ }).first()).toBeVisible();
  await expectAccessible(page, "suppliers");

  // The run is listed on the Feeds page.
  await page.getByRole("link", { name: "Feeds", exact: true }).first().click();
  await expect(page.getByRole("link", { name: /^Import started/ }).first()).toBeVisible();
});

test("a feed whose layout the agent is unsure of waits for a person, linked to its review", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, "/console/feeds");
  await page.getByLabel("Supplier").fill(`E2E Unlabelled Prices ${Date.now()}`);
  await page.getByLabel("Feed file").setInputFiles(resolve(import.meta.dirname, "..", "..", "evals", "layouts", "unlabelled_prices.csv"));
  await page.getByRole("button", { name: "Upload and import" }).click();
  await expect(page.getByTestId("feed-run-status")).toContainText("Waiting for a person to confirm the file's layout.", { timeout: 90_000 });
  await expect(page.getByRole("heading", { level: 2, name: "Layout the agent proposes" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Layout mapping" }).getByRole("row", { name: /^cost / })).toBeVisible();
  await expect(page.getByRole("list", { name: "Import figures" })).toHaveCount(0); // nothing stored meanwhile
  await expectAccessible(page, "feed import waiting");
  await page.getByRole("link", { name: /^Open review \d+$/ }).click();
  await expect(page.getByRole("article").getByRole("heading", { level: 2 })).toContainText("feed.layout_mapping");
});

test("an operator sees the model catalog and usage on the LLM page", async ({ page }) => {
  await signIn(page, "/console/llm");
  await expect(page.getByRole("heading", { level: 1, name: "Language models" })).toBeVisible();
  const catalog = page.getByRole("table", { name: "Model catalog" });
  await expect(catalog.getByRole("row", { name: /^offline/ })).toContainText("ready");
  // The e2e server has no API key: every call is answered offline, and the page says so.
  await expect(page.getByTestId("offline-note")).toBeVisible();
  await expect(catalog.getByRole("row", { name: /gpt-4\.1-mini/ })).toContainText("no key");
  await expect(page.getByRole("table", { name: "Usage by model" }).or(page.getByText(/^No model was called in the/))).toBeVisible();
  await expectAccessible(page, "llm");
  await page.getByLabel("Period").selectOption({ label: "last 90 days" });
  await expect(page).toHaveURL(/hours=2160/);
  await expect(page.getByRole("table", { name: "Usage by model" }).or(page.getByText("No model was called in the last 90 days."))).toBeVisible();
});
