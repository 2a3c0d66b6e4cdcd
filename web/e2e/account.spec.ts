import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { base, fittingPart } from "./helpers";

async function expectAccessible(page: Page, where: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${where}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

test("a customer account: register, shop as a guest, sign in (the garage joins the account), check out, see the order, sign out", async ({ page, request }) => {
  const email = `pat.${Date.now()}@e2e.example.com`;
  const password = "four unrelated words, e2e";
  const { partId, title, vehicleId } = await fittingPart(request);
  const vehicle = await (await request.get(`${base()}/api/vehicles/${vehicleId}`)).json();
  const vehicleWords = `${vehicle.year} ${vehicle.make} ${vehicle.model}`;

  // Create an account from the header's "Sign in", then sign out: from here on a guest.
  await page.goto(`${base()}/`);
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page.getByRole("heading", { level: 2, name: "Create an account" })).toBeVisible();
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("too short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByLabel("Password", { exact: true })).toHaveAccessibleDescription(/use at least 12/);
  await expect(page.getByLabel("Password", { exact: true })).toBeFocused();
  await expectAccessible(page, "create an account, with a mistake");
  await page.getByLabel("Name (optional)").fill("Pat Shopper");
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
  await expect(page.getByTestId("account-email")).toHaveText(email);
  await expect(page.getByText("No orders yet.", { exact: false })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();

  // As a guest: a vehicle (from a shared link) and a part in the cart.
  await page.goto(`${base()}/parts/${partId}?vehicle=${vehicleId}`);
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Added to your cart." })).toBeVisible();

  // Sign in: the vehicle is saved to the account garage and stays the current one.
  await page.getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`vehicle=${vehicleId}`));
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("not the password at all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
  const garage = page.getByRole("list", { name: "Saved vehicles" });
  await expect(garage).toContainText(vehicleWords);
  await expect(garage).toContainText("current");
  const token = (await (await request.post(`${base()}/api/auth/login`, { data: { email, password } })).json()).access_token;
  const saved = await (await request.get(`${base()}/api/garage`, { headers: { Authorization: `Bearer ${token}` } })).json();
  expect(saved).toEqual([expect.objectContaining({ vehicle_id: vehicleId, is_current: true })]);
  await expectAccessible(page, "account");

  // The session survives a reload (the refresh cookie), and the garage follows the account.
  await page.reload();
  await expect(page.getByTestId("account-email")).toHaveText(email);
  await expect(page.getByRole("list", { name: "Saved vehicles" })).toContainText(vehicleWords);

  // Check out signed in: the account's email is filled in; the order is the account's.
  await page.getByRole("link", { name: /^Cart/ }).click();
  await page.getByRole("link", { name: "Check out" }).click();
  await expect(page.getByLabel("Email (for your order confirmation)")).toHaveValue(email);
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
  await page.getByLabel("Full name").fill("Pat Shopper");
  await page.getByLabel("Address", { exact: true }).fill("12 Elm Street");
  await page.getByLabel("City").fill("Springfield");
  await page.getByLabel("State").fill("IL");
  await page.getByLabel("ZIP code").fill("62701");
  await page.getByRole("button", { name: /^Place order/ }).click();
  await expect(page.getByRole("status").filter({ hasText: /Thank you: order \S+ is placed/ })).toBeVisible();
  const number = (await page.getByRole("heading", { level: 1 }).textContent())!.replace("Order ", "");

  // My orders lists it, and its link opens it (by the account, no email asked).
  await page.getByRole("link", { name: "Account" }).click();
  const orders = page.getByRole("list", { name: "Orders" });
  await expect(orders.getByRole("link", { name: `Order ${number}` })).toBeVisible();
  await expectAccessible(page, "account with an order");
  await page.evaluate(() => sessionStorage.clear()); // forget the checkout's email: the account alone opens it
  await orders.getByRole("link", { name: `Order ${number}` }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Order ${number}`);
  await expect(page.getByText(title).first()).toBeVisible();

  // Sign out: the session ends, and this browser forgets the account's vehicles.
  await page.getByRole("link", { name: "Account" }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(page).toHaveURL(`${base()}/`);
  await page.goto(`${base()}/garage`);
  await expect(page.getByRole("heading", { level: 2, name: "Saved vehicles" })).toHaveCount(0);
  await page.goto(`${base()}/account`);
  await expect(page.getByRole("heading", { level: 2, name: "Sign in" })).toBeVisible();
  await expectAccessible(page, "sign in");
});
