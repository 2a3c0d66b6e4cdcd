// Starts `automechanica up` on a free loopback port with a temporary data folder and a
// small demo store, waits until it is ready, and stops it (Ctrl-C) after the tests.
// For the console: an admin (made by `up`), an operator (made by the admin over the
// API), a review (a feed whose layout the agent is unsure of) and a dead letter.
// E2E_BASE_URL set by the caller skips all this and uses that server instead.
import { spawn, execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..");
const python = process.env.PYTHON ?? join(root, ".venv/bin/python");

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

export const ADMIN = { email: "admin@e2e.example.com", password: "e2e admin password, long enough" };
export const OPERATOR = { email: "ops@e2e.example.com", password: "e2e operator password, long" };

async function call(base: string, method: string, path: string, token: string | null, body?: unknown, tries = 3, headers: Record<string, string> = {}): Promise<any> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (exc) {
    // A kept-alive connection the server closed between two polls: ask again on a new one.
    if (tries <= 1 || method !== "GET") throw exc;
    return call(base, method, path, token, body, tries - 1, headers);
  }
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`global setup: ${what} did not happen within 120 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** An operator account, an open review and a dead letter for the console's tests. */
async function prepareConsole(base: string, data: string, env: Record<string, string>): Promise<void> {
  const admin = (await call(base, "POST", "/api/auth/login", null, ADMIN)).access_token as string;
  await call(base, "POST", "/api/admin/users", admin, { ...OPERATOR, role: "operator", name: "E2E operator" });
  // A price list with unnamed price columns: the onboarding agent is unsure of its layout
  // and the workflow waits for a person (nothing is stored meanwhile).
  // Over the API a workflow reads files only from the uploads folder of the data dir.
  mkdirSync(join(data, "uploads"), { recursive: true });
  copyFileSync(join(root, "evals/layouts/unlabelled_prices.csv"), join(data, "uploads", "prices.csv"));
  await call(base, "POST", "/api/admin/workflows", admin, { name: "supplier_feed_onboarding", input: { path: "prices.csv", supplier: "Prices Inc" } });
  await until("a review of the unsure feed layout", async () => {
    const open = await call(base, "GET", "/api/admin/reviews?kind=feed.layout_mapping", admin);
    return open.length > 0 ? open : undefined;
  });
  // A task the workflow engine cannot read (no workflow id, no step): dead at once.
  execFileSync(python, ["-m", "automechanica", "queue", "enqueue", "workflow.step", '{"e2e": "a payload no step can read"}', "--max-attempts", "1"], {
    cwd: root,
    env,
  });
  await until("a dead letter", async () => {
    const dead = await call(base, "GET", "/api/admin/queue/dead?kind=workflow.step", admin);
    return dead.length > 0 ? dead : undefined;
  });
  // A guest's paid order (the test payment provider), for the console's order pages.
  const parts = await call(base, "GET", "/api/parts?per_page=100", null);
  const part = parts.items.find((p: { price: string | null; stock: number }) => p.price !== null && p.stock > 0);
  if (!part) throw new Error("global setup: the demo store has no priced part in stock");
  const cart = await call(base, "POST", "/api/carts", null, {
    lines: [{ part_id: part.id, quantity: 1 }],
    email: "guest@e2e.example.com",
    shipping_address: { name: "E2E Guest", line1: "1 Test Street", city: "Springfield", state: "IL", postal_code: "62701" },
    fulfillment_option: "standard",
  }, 1, { "Idempotency-Key": "e2e-setup-cart" });
  const done = await call(base, "POST", `/api/carts/${cart.id}/complete`, null, { acknowledge_fit_warnings: true, payment: { provider: "test" } }, 1, {
    "Idempotency-Key": "e2e-setup-complete",
  });
  process.env.E2E_ORDER_NUMBER = done.order.number;
  process.env.E2E_ADMIN_EMAIL = ADMIN.email;
  process.env.E2E_ADMIN_PASSWORD = ADMIN.password;
  process.env.E2E_OPERATOR_EMAIL = OPERATOR.email;
  process.env.E2E_OPERATOR_PASSWORD = OPERATOR.password;
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (process.env.E2E_BASE_URL) return async () => {};
  const data = mkdtempSync(join(tmpdir(), "automechanica-e2e-"));
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AUTOMECHANICA_") && v !== undefined) env[k] = v;
  Object.assign(env, {
    AUTOMECHANICA_DATA_DIR: data,
    AUTOMECHANICA_DEMO_PARTS: "600",
    AUTOMECHANICA_DEMO_VINS_PER_TYPE: "40",
    // The demo's vehicles only: the full vPIC load runs in the background and would change
    // the answers (and the questions) while a test is reading them.
    AUTOMECHANICA_FULL_VEHICLE_BASE: "false",
    AUTOMECHANICA_ADMIN_EMAIL: ADMIN.email,
    AUTOMECHANICA_ADMIN_PASSWORD: ADMIN.password,
  });
  const log = join(data, "server.log");
  const server = spawn(python, ["-m", "automechanica", "up", "--port", String(port)], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  server.stdout.on("data", (d) => (output += d));
  server.stderr.on("data", (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`automechanica up exited early:\n${output}`);
    if (Date.now() > deadline) {
      server.kill("SIGKILL");
      throw new Error(`the server did not answer within 240 s:\n${output}`);
    }
    try {
      if ((await fetch(`${base}/api/ready`)).ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  process.env.E2E_BASE_URL = base;
  // A VIN the demo catalog has (the demo's configurations are decoded from these VINs).
  process.env.E2E_VIN = execFileSync(
    python,
    ["-c", "from automechanica.catalog.demo import demo_vehicle_configs as d; print(d(vins_per_type=40)[2].source_vin)"],
    { cwd: root, encoding: "utf8" },
  ).trim();
  try {
    await prepareConsole(base, data, env);
  } catch (exc) {
    server.kill("SIGINT");
    await new Promise((r) => server.once("exit", r));
    writeFileSync(log, output);
    throw exc;
  }
  return async () => {
    server.kill("SIGINT");
    await new Promise((r) => server.once("exit", r));
    writeFileSync(log, output);
    rmSync(data, { recursive: true, force: true });
  };
}
