import { defineConfig } from "@playwright/test";

// End-to-end tests against the real server on loopback with a small demo store
// (e2e/global-setup.ts starts `automechanica up`), driving Debian's Chromium.
export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/global-setup.ts",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  // One retry: on the 2-core CI machine, right after the Python suite, two of four full
  // runs on 2026-12-04 had one slow step past its 15 s expectation (a different test each
  // time; each passes alone). A retried test is reported as "flaky" in the list, so it
  // stays visible; a real failure fails both tries.
  retries: 1,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: process.env.E2E_BASE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    viewport: { width: 412, height: 915 }, // phone first
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
