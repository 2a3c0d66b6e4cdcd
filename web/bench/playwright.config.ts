import { defineConfig } from "@playwright/test";
import base from "../playwright.config";

// `npm run bench`: the web figures (bench/web.bench.ts) against the same demo server
// the e2e tests use (or E2E_BASE_URL). Figures are printed, never asserted.
export default defineConfig({
  ...base,
  testDir: ".",
  testMatch: "*.bench.ts",
  globalSetup: "../e2e/global-setup.ts",
  timeout: 300_000,
  use: { ...base.use, trace: "off", screenshot: "off", viewport: { width: 1280, height: 900 } },
});
