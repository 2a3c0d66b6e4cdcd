import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { base, findQuestion, fittingPart, partTypeName } from "./helpers";

async function pickByYearMakeModel(page: Page, year: number, make: string, model: string) {
  await page.goto(`${base()}/`);
  await page.getByRole("link", { name: "Add your vehicle" }).first().click();
  await page.getByLabel("Year", { exact: true }).selectOption(String(year));
  await page.getByLabel("Make", { exact: true }).selectOption(make);
  await page.getByLabel("Model", { exact: true }).selectOption(model);
  // Leave trim and engine for later when asked: the part's question will ask them. The
  // trim and engine lists load after the model is chosen, so answer them as they appear.
  const use = page.getByRole("button", { name: "Use this vehicle" });
  await expect(async () => {
    for (const label of ["Submodel (trim)", "Engine"]) {
      const select = page.getByLabel(label, { exact: true });
      if ((await select.isVisible()) && (await select.inputValue()) === "") {
        await select.selectOption({ label: "Not sure: ask me when it matters" });
      }
    }
    await expect(use).toBeEnabled({ timeout: 500 });
  }).toPass({ timeout: 20_000 });
  await use.click();
}

async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

test("pick a vehicle by year/make/model, browse a category, answer the fit question, see why it fits", async ({ page, request }) => {
  const q = await findQuestion(request);
  await pickByYearMakeModel(page, q.year, q.make, q.model);
  await expect(page.getByTestId("current-vehicle")).toHaveText(new RegExp(`^${q.year} ${q.make} ${q.model}`));
  await expect(page).toHaveURL(/vehicle=/);

  await page.getByRole("link", { name: new RegExp(`^${partTypeName(q.slug)}`) }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: partTypeName(q.slug) })).toBeVisible();
  // Badges pass through "no_vehicle" and "loading" while the garage and the fit checks
  // arrive (a single read once "loading" was gone caught one still on its way, in CI).
  await expect(page.locator("[data-fit]").first()).toBeVisible();
  const settled = ["fits", "does_not_fit", "check", "universal", "no_data"];
  await expect
    .poll(async () => {
      const badges = await page.locator("[data-fit]").evaluateAll((els) => els.map((e) => e.getAttribute("data-fit")));
      return badges.filter((b) => !settled.includes(b ?? ""));
    })
    .toEqual([]);

  const card = page.getByTestId("result").filter({ has: page.getByRole("link", { name: q.title, exact: true }) }).first();
  const question = card.locator("[data-fit='check']");
  await expect(question).toBeVisible();
  const answer = q.attribute === "engine_liters" ? `${Number(q.fitting).toFixed(1)}L` : q.fitting;
  await question.getByRole("button", { name: answer, exact: true }).click();
  await expect(page.getByTestId("current-vehicle")).toContainText(answer);
  await expect(card.locator("[data-fit='fits']")).toBeVisible();
  await expectAccessible(page);

  await card.getByRole("link", { name: q.title, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: q.title })).toBeVisible();
  await expect(page.locator("[data-fit='fits']")).toContainText("Fits your");
  const why = page.getByTestId("why-this-fits");
  await expect(why.getByRole("heading", { name: "Why this fits" })).toBeVisible();
  await expect(why).toContainText("✓");
  await expect(why).toContainText("Confidence:");
  await expect(page.getByRole("heading", { name: "Vehicles this part fits" })).toBeVisible();
  await expectAccessible(page);
});

test("pick a vehicle by VIN, validated as typed; the link carries the vehicle", async ({ page, browser }) => {
  await page.goto(`${base()}/garage`);
  await page.getByRole("tab", { name: "VIN" }).click();
  const input = page.getByLabel("VIN (17 characters)");
  await input.fill("1HGCM82633A00O352");
  await expect(page.getByText("VINs never contain O")).toBeVisible();
  await expect(page.getByRole("button", { name: "Decode" })).toBeDisabled();
  await expectAccessible(page);

  const vin = process.env.E2E_VIN ?? "";
  await input.fill(vin);
  await page.getByRole("button", { name: "Decode" }).click();
  const use = page.getByRole("button", { name: /^Use / }).first();
  await expect(use).toBeVisible();
  await use.click();
  await expect(page).toHaveURL(/vehicle=\d+/);
  const label = await page.getByTestId("current-vehicle").textContent();
  expect(label).toMatch(/^\d{4} /);
  await expect(page.getByRole("heading", { name: "Shop by category" })).toBeVisible();
  await expect(page.getByRole("heading", { name: `Parts for your ${label}` })).toBeVisible();
  await expectAccessible(page);

  // A shared link opens on the same vehicle in a fresh browser (empty garage).
  const other = await browser.newContext();
  const shared = await other.newPage();
  await shared.goto(page.url());
  await expect(shared.getByTestId("current-vehicle")).toHaveText(label ?? "");
  await other.close();
});

test("search results, facets and an unknown page stay usable and accessible", async ({ page }) => {
  await page.goto(`${base()}/search?q=bosch`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("bosch");
  await expect(page.getByTestId("result").first()).toBeVisible();
  await expect(page.locator("[data-fit='no_vehicle'], [data-fit='universal'], [data-fit='no_data']").first()).toBeVisible();
  // A facet is a link in disguise: choosing it navigates, and the list re-renders (so
  // check() may see a fresh, unchecked radio); the URL is what the shopper gets.
  await page.getByRole("group", { name: "Part type" }).getByRole("radio").first().click();
  await expect(page).toHaveURL(/part_type=/);
  await expectAccessible(page);
  await page.goto(`${base()}/no/such/page`);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("a year/make/model landing page lists what fits and leads into the store for that vehicle", async ({ page, request }) => {
  const { vehicleId } = await fittingPart(request);
  const v = await (await request.get(`${base()}/api/vehicles/${vehicleId}`)).json();
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  const path = `/vehicles/${v.year}/${slug(v.make)}/${slug(v.model)}`;
  const landing = await request.get(`${base()}/api${path.replace("/vehicles", "/landing")}`);
  expect(landing.status()).toBe(200);
  const data = await landing.json();
  await page.goto(`${base()}${path}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(data.title);
  await expect(page.locator("link[rel='canonical']")).toHaveCount(1); // the server's head is kept
  await expectAccessible(page);
  await page.getByRole("button", { name: `Shop for my ${v.year} ${v.make} ${v.model}` }).click();
  await expect(page.getByTestId("current-vehicle")).toHaveText(new RegExp(`^${v.year} ${v.make} ${v.model}`));
  const type = data.part_types[0];
  await page.getByRole("link", { name: `${type.part_type} (${type.count})` }).click();
  await expect(page.getByRole("heading", { level: 1, name: type.part_type })).toBeVisible();
  await expect(page).toHaveURL(/vehicle=/);
});
