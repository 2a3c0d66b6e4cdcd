// The storefront's figures (issue 14): the entry bundle gzipped, the product page's
// largest contentful paint in headless Chromium, and p95 of the storefront's API calls
// during a scripted browse. Each beside a baseline measured in the same run.
import { test, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { base, fittingPart } from "../e2e/helpers";

const dist = resolve(import.meta.dirname, "..", "dist");
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

function bundle(): void {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const entry = /<script[^>]+src="\/([^"]+\.js)"/.exec(html)?.[1];
  const css = /<link[^>]+href="\/([^"]+\.css)"/.exec(html)?.[1];
  if (!entry) throw new Error("dist/index.html names no entry script: run `npm run build` first");
  const js = readFileSync(join(dist, entry));
  const style = css ? readFileSync(join(dist, css)) : Buffer.alloc(0);
  console.log(`storefront entry JS: ${kb(gzipSync(js, { level: 9 }).length)} gzipped (${kb(js.length)} raw) — target < 200 KB gzipped`);
  console.log(`storefront CSS: ${kb(gzipSync(style, { level: 9 }).length)} gzipped`);
}

async function lcp(page: Page, url: string): Promise<{ lcp: number; html: number }> {
  await page.goto(url, { waitUntil: "networkidle" });
  return page.evaluate(
    () =>
      new Promise<{ lcp: number; html: number }>((done) => {
        new PerformanceObserver((list) => {
          const entries = list.getEntries();
          const last = entries[entries.length - 1];
          const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
          done({ lcp: last?.startTime ?? NaN, html: nav?.responseEnd ?? NaN });
        }).observe({ type: "largest-contentful-paint", buffered: true });
      }),
  );
}

test("web figures", async ({ page, request }) => {
  bundle();
  const { partId, vehicleId } = await fittingPart(request);
  const product = `${base()}/parts/${partId}?vehicle=${vehicleId}`;
  await lcp(page, product); // warm: the server's caches and the browser's
  const runs: { lcp: number; html: number }[] = [];
  for (let i = 0; i < 7; i++) runs.push(await lcp(page, product));
  const l = runs.map((r) => r.lcp);
  const h = runs.map((r) => r.html);
  console.log(`product page LCP (7 loads, warm): median ${ms(quantile(l, 0.5))}, max ${ms(Math.max(...l))} — target < 1000 ms`);
  console.log(`  baseline, same loads: the HTML document received at median ${ms(quantile(h, 0.5))}`);

  // A scripted browse: home, a category for the vehicle, a search, two product pages.
  const api: number[] = [];
  const slow: [number, string][] = [];
  const health: number[] = [];
  page.on("requestfinished", (r) => {
    const url = new URL(r.url());
    if (!url.pathname.startsWith("/api/")) return;
    const t = r.timing();
    const took = t.responseEnd - t.requestStart;
    (url.pathname === "/api/health" ? health : api).push(took);
    if (url.pathname !== "/api/health") slow.push([took, `${r.method()} ${url.pathname}${url.search}`]);
  });
  for (let round = 0; round < 5; round++) {
    await page.goto(`${base()}/?vehicle=${vehicleId}`, { waitUntil: "networkidle" });
    await page.goto(`${base()}/search?part_type=oil-filter&vehicle=${vehicleId}`, { waitUntil: "networkidle" });
    await page.goto(`${base()}/search?q=brake%20pads&vehicle=${vehicleId}`, { waitUntil: "networkidle" });
    await page.goto(product, { waitUntil: "networkidle" });
    await page.goto(`${base()}/parts/${partId + 1}?vehicle=${vehicleId}`, { waitUntil: "networkidle" });
    for (let i = 0; i < 5; i++) await page.evaluate(() => fetch("/api/health").then((r) => r.text()));
  }
  console.log(`storefront API calls during the browse: ${api.length} calls, p50 ${ms(quantile(api, 0.5))}, p95 ${ms(quantile(api, 0.95))}, max ${ms(Math.max(...api))} — target p95 < 50 ms`);
  for (const [took, what] of [...slow].sort((a, b) => b[0] - a[0]).slice(0, 3)) console.log(`  slowest: ${ms(took)} ${what}`);
  // Per endpoint: the path with ids as {id} and the query's keys, so a slow kind of call shows.
  const kinds = new Map<string, number[]>();
  for (const [took, what] of slow) {
    const [method = "", rest = ""] = what.split(" ");
    const url = new URL(rest, "http://x");
    const kind = `${method} ${url.pathname.replace(/\/\d+/g, "/{id}")}${[...url.searchParams.keys()].length ? "?" + [...url.searchParams.keys()].join("&") : ""}`;
    kinds.set(kind, [...(kinds.get(kind) ?? []), took]);
  }
  for (const [kind, xs] of [...kinds].sort((a, b) => quantile(b[1], 0.95) - quantile(a[1], 0.95)))
    console.log(`  ${kind}: ${xs.length} calls, p50 ${ms(quantile(xs, 0.5))}, max ${ms(Math.max(...xs))}`);
  console.log(`  baseline, same run: GET /api/health p50 ${ms(quantile(health, 0.5))}, p95 ${ms(quantile(health, 0.95))} (${health.length} calls)`);
});
