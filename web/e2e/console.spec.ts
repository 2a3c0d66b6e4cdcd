import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { base } from "./helpers";

// The global setup made an operator, a feed-layout review and a dead letter.
const email = process.env.E2E_OPERATOR_EMAIL ?? "";
const password = process.env.E2E_OPERATOR_PASSWORD ?? "";
test.skip(!email, "E2E_OPERATOR_EMAIL/E2E_OPERATOR_PASSWORD name an operator of the server under test");

async function expectAccessible(page: Page, where: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${where}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

async function signIn(page: Page) {
  await page.goto(`${base()}/console`);
  await expect(page.getByRole("heading", { name: "Sign in to the console" })).toBeVisible();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-as")).toContainText(email);
}

test("the console asks for a sign-in, refuses a wrong password, and keeps the session across a reload", async ({ page }) => {
  await page.goto(`${base()}/console/reviews`);
  await expectAccessible(page, "sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the operator's password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // The page asked for comes up after signing in.
  await expect(page.getByRole("heading", { level: 1, name: "Reviews" })).toBeVisible();
  await expect(page.getByTestId("signed-in-as")).toContainText("operator");
  // Operators see no Users page in the nav (admins do).
  await expect(page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Users" })).toHaveCount(0);

  // The access token lives in memory only: a reload restores the session from the refresh cookie.
  await page.reload();
  await expect(page.getByTestId("signed-in-as")).toContainText(email);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in to the console" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Sign in to the console" })).toBeVisible();
});

test("an operator sees the dashboard: what needs a person and the queue's health", async ({ page }) => {
  await signIn(page);
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await expect(page.getByText(/^Report for .*(anomal|no anomaly)|^No analytics report yet/)).toBeVisible();
  const reviews = page.getByRole("link", { name: /Reviews waiting/ });
  await expect(reviews).not.toContainText("…");
  expect(Number((await reviews.textContent())?.replace(/\D/g, ""))).toBeGreaterThanOrEqual(1);
  const dead = page.getByRole("link", { name: /^Dead letters/ }).last();
  await expect(dead).not.toContainText("…");
  expect(Number((await dead.textContent())?.replace(/\D/g, ""))).toBeGreaterThanOrEqual(1);
  await expect(page.getByRole("table", { name: "Tasks by kind" }).getByRole("rowheader", { name: "workflow.step" })).toBeVisible();
  await expect(page.locator(".recharts-surface").first()).toBeVisible();
  // The guest's order placed in the setup counts among this period's orders.
  const orders = page.getByRole("list", { name: "Store figures" }).getByRole("listitem").filter({ hasText: /^Orders/ });
  await expect(orders).toHaveText(/^Orders[1-9]\d*$/);
  await expect(page.getByText(/LLM spend by agent and model/)).toBeVisible();
  await expectAccessible(page, "dashboard");
  // A number on the dashboard leads to the rows behind it.
  await page.getByRole("table", { name: "Tasks by kind" }).getByRole("row", { name: /workflow\.step/ }).getByRole("link").click();
  await expect(page).toHaveURL(/\/console\/dead-letters\?kind=workflow\.step/);
  await expect(page.getByRole("link", { name: /Task \d+: workflow\.step/ }).first()).toBeVisible();
});

test("an operator decides a review beside its evidence and the diff", async ({ page, request }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: /Reviews/ }).click();
  // The demo store's onboarding may have left other reviews (fitment text to read): pick the layout's.
  await page.getByRole("link", { name: /feed\.layout_mapping/ }).first().click();
  const review = page.getByRole("article");
  await expect(review.getByRole("heading", { level: 2 })).toContainText("feed.layout_mapping");
  await expect(review.getByRole("table", { name: "Current versus proposed" })).toBeVisible();
  await expect(review.getByText("Evidence")).toBeVisible();
  await expect(review.getByText(/^Agent \S+, confidence \d+%$/)).toBeVisible();
  await expectAccessible(page, "reviews");
  const heading = (await review.getByRole("heading", { level: 2 }).textContent()) ?? "";
  const id = Number(/Review (\d+)/.exec(heading)?.[1]);
  await review.getByLabel("Note (optional)").fill("e2e: the columns match the supplier's sheet");
  await review.getByRole("button", { name: /Approve/ }).click();
  await expect(page.getByRole("status").filter({ hasText: `Review ${id} approved` })).toBeVisible();

  // The server has it, with the operator as the reviewer (taken from the token, not the page).
  const login = await (await request.post(`${base()}/api/auth/login`, { data: { email, password } })).json();
  const decided = await (await request.get(`${base()}/api/admin/reviews/${id}`, { headers: { authorization: `Bearer ${login.access_token}` } })).json();
  expect(decided).toMatchObject({ status: "approved", reviewer: email, note: "e2e: the columns match the supplier's sheet" });

  // Its workflow's timeline shows the decision and goes on.
  await page.goto(`${base()}/console/workflows/${decided.workflow_id}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/supplier_feed_onboarding/);
  await expect(page.getByRole("list", { name: "Timeline" })).toContainText("map_layout");
  await expectAccessible(page, "workflow timeline");
});

test("an operator inspects a dead letter and replays it", async ({ page }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Dead letters" }).click();
  await expectAccessible(page, "dead letters");
  await page.getByRole("link", { name: /Task \d+: workflow\.step/ }).first().click();
  await expect(page.getByRole("heading", { level: 2, name: "Last error" })).toBeVisible();
  await expect(page.getByLabel("Payload")).toContainText("a payload no step can read");
  await expectAccessible(page, "dead letter");
  await page.getByRole("button", { name: "Replay" }).click();
  await expect(page.getByRole("status").filter({ hasText: /Replayed: task \d+ is pending again/ })).toBeVisible();
});

test("catalog and policies pages open for an operator, accessible", async ({ page }) => {
  await signIn(page);
  const nav = page.getByRole("navigation", { name: "Console" });
  await nav.getByRole("link", { name: "Catalog" }).click();
  await expect(page.getByText(/\d+ part\(s\)/)).toBeVisible();
  await expectAccessible(page, "catalog");
  await page.getByRole("link", { name: /^Pricing of / }).first().click();
  await expect(page.getByRole("heading", { level: 2, name: "What the rule says now" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Price and bounds" })).toContainText("Floor");
  await expectAccessible(page, "part pricing");
  await nav.getByRole("link", { name: "Policies" }).click();
  await expect(page.getByRole("heading", { level: 2, name: "feed.layout_mapping" })).toBeVisible();
  await expect(page.getByRole("button", { name: /^Edit / })).toHaveCount(0); // admins only
  await expectAccessible(page, "policies");
  await nav.getByRole("link", { name: "Workflows" }).click();
  await expect(page.getByRole("link", { name: /supplier_feed_onboarding/ }).first()).toBeVisible();
  await expectAccessible(page, "workflows");
  // Long work is started here and watched on its timeline.
  await page.getByRole("button", { name: "Start a workflow…" }).click();
  await page.getByLabel("Workflow name").fill("pricing_refresh");
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("pricing_refresh v1");
  await expect(page.getByText(/started .* by ops@e2e\.example\.com/)).toBeVisible();
});

test("an operator adds a fitment row from the catalog and removes it, each with a reason", async ({ page }) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Catalog" }).click();
  await page.getByRole("link", { name: /^Fitment of / }).first().click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Fitment: /);
  const add = page.getByRole("form", { name: "Add an application" });
  const first = add.getByLabel("First year");
  await expect(first.locator("option")).not.toHaveCount(1); // the years have come
  await first.selectOption({ index: 1 });
  await expect(add.getByLabel(/^Make/)).toBeEnabled();
  await add.getByLabel(/^Make/).selectOption({ index: 1 });
  await expect(add.getByLabel(/^Model/)).toBeEnabled();
  await add.getByLabel(/^Model/).selectOption({ index: 1 });
  await add.getByLabel("Position").fill("Front");
  await add.getByLabel(/^Reason/).fill("e2e: the brand's catalog lists it");
  await add.getByRole("button", { name: "Add rows" }).click();
  await expect(page.getByRole("status")).toHaveText(/^Added: 1 row\(s\) \(1 new\); recorded as event \d+\.$/);
  const mine = page.getByRole("table", { name: "Fitment rows" }).getByRole("row").filter({ hasText: `person:${email}` });
  await expect(mine).toHaveCount(1);
  await expect(mine).toContainText("published");
  await expectAccessible(page, "fitment editor");
  await mine.getByRole("button", { name: /^Remove row \d+$/ }).click();
  const remove = page.getByRole("form", { name: /^Remove row \d+$/ });
  await remove.getByLabel("Why remove it").fill("e2e: added by mistake");
  await remove.getByRole("button", { name: /^Remove row \d+$/ }).click();
  await expect(page.getByRole("status")).toHaveText(/^Removed: 1 row\(s\)/);
  await expect(mine).toContainText("rejected");
});

test("an operator sees the order a guest placed, with its lines and history", async ({ page }) => {
  const number = process.env.E2E_ORDER_NUMBER ?? "";
  test.skip(!number, "E2E_ORDER_NUMBER names an order of the server under test");
  await signIn(page);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Orders" }).click();
  await page.getByRole("link", { name: `Order ${number}` }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Order ${number}`);
  await expect(page.getByText("guest@e2e.example.com")).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "Lines" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "History" })).toBeVisible();
  await expectAccessible(page, "order");
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Support" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Support" })).toBeVisible();
  await expectAccessible(page, "support");
});

test("an admin sees Users and changes a policy, with a reason", async ({ page }) => {
  const admin = process.env.E2E_ADMIN_EMAIL ?? "";
  test.skip(!admin, "E2E_ADMIN_EMAIL/E2E_ADMIN_PASSWORD name an admin of the server under test");
  await page.goto(`${base()}/console/policies`);
  await page.getByLabel("Email").fill(admin);
  await page.getByLabel("Password").fill(process.env.E2E_ADMIN_PASSWORD ?? "");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-as")).toContainText("admin");
  const policy = page.getByRole("listitem").filter({ has: page.getByRole("heading", { level: 2, name: "catalog.interchange" }) });
  await policy.getByRole("button", { name: "Edit catalog.interchange" }).click();
  await policy.getByLabel("Attempts").fill("4");
  await policy.getByRole("button", { name: "Save policy" }).click();
  await expect(policy.getByRole("alert")).toContainText("Say why");
  await policy.getByLabel("Why").fill("e2e: one more try for flaky supplier files");
  await policy.getByRole("button", { name: "Save policy" }).click();
  await expect(policy).toContainText("4 attempts");
  await expectAccessible(page, "policies (admin)");

  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("listitem").filter({ hasText: email })).toContainText("operator");
  await expectAccessible(page, "users");
});
