import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { base, fittingPart } from "./helpers";

test("the chat answers 'does this fit my car?' for the current vehicle, citing and linking the part", async ({ page, request }) => {
  const { partId, title, vehicleId } = await fittingPart(request);
  await page.goto(`${base()}/parts/${partId}?vehicle=${vehicleId}`);
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  await page.getByRole("link", { name: "Not sure it fits? Ask us" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Ask us" })).toBeVisible();
  await expect(page.getByLabel("Your question")).toHaveValue(/^Does .+ fit my car\?$/);
  await page.getByRole("button", { name: "Send" }).click();

  const answer = page.locator("[data-role='assistant']").last();
  await expect(answer).toContainText("Yes, ");
  await expect(answer).not.toHaveAttribute("aria-busy", "true");
  await expect(answer.getByRole("list", { name: "Sources" }).locator(`a[href^='/parts/${partId}']`).first()).toBeVisible();
  await expect(page.locator("[data-role='customer']").last()).toContainText("fit my car?");
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);

  // The conversation is kept for this tab: a reload shows it again.
  await page.reload();
  await expect(page.locator("[data-role='assistant']").last()).toContainText("Yes, ");
});
