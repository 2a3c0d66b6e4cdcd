import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { base } from "./helpers";

// An operator finds past agent decisions on the real server: the global setup's feed
// onboarding (an unsure layout held for a person) has recorded events, and the server's
// embedding worker has embedded them with the real model.
const email = process.env.E2E_OPERATOR_EMAIL ?? "";
const password = process.env.E2E_OPERATOR_PASSWORD ?? "";
test.skip(!email, "E2E_OPERATOR_EMAIL/E2E_OPERATOR_PASSWORD name an operator of the server under test");

async function expectAccessible(page: Page, where: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${where}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

test("an operator searches agent events by meaning and opens one", async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(`${base()}/console`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Agent events" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Agent events" })).toBeVisible();
  await expect(page.getByTestId("mode")).toHaveText("Newest first.");
  await expect(page.getByRole("list", { name: "Events" }).getByRole("listitem").first()).toBeVisible();
  await expectAccessible(page, "agent events");

  await page.getByLabel("Search by meaning").fill("which column of the supplier's file holds the price");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/[?&]q=which/);
  // The worker embeds events as they come; search again until some are found by meaning.
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("similarity").first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await expect(page.getByTestId("mode")).toContainText("Closest in meaning first (all-MiniLM-L6-v2-onnx-int8)");
  const scores = (await page.getByTestId("similarity").allTextContents()).map((t) => Number(t.replace("similarity ", "")));
  expect(scores).toEqual([...scores].sort((a, b) => b - a));

  const first = page.getByRole("list", { name: "Events" }).getByRole("listitem").first();
  const title = (await first.getByRole("link").first().textContent()) ?? "";
  await first.getByRole("link").first().click();
  await expect(page).toHaveURL(/\/console\/events\/\d+$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
  await expect(page.getByTestId("embedding")).toHaveText("Memory: embedded: found by search");
  await expect(page.getByLabel("Evidence")).toBeVisible();
  await expectAccessible(page, "agent event");
});
