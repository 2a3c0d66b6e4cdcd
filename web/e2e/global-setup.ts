// Starts `automechanica up` on a free loopback port with a temporary data folder and a
// small demo store, waits until it is ready, and stops it (Ctrl-C) after the tests.
// E2E_BASE_URL set by the caller skips all this and uses that server instead.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
  return async () => {
    server.kill("SIGINT");
    await new Promise((r) => server.once("exit", r));
    writeFileSync(log, output);
    rmSync(data, { recursive: true, force: true });
  };
}
