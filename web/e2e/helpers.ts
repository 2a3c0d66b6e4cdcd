import type { APIRequestContext } from "@playwright/test";
import partTypes from "../src/api/part-types.json" with { type: "json" };

export const base = (): string => {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error("E2E_BASE_URL is not set: run through playwright.config.ts");
  return url;
};

export function partTypeName(slug: string): string {
  return partTypes.find((t) => t.slug === slug)?.name ?? slug;
}

export interface Question {
  partId: number;
  title: string;
  slug: string;
  year: number;
  make: string;
  model: string;
  attribute: string;
  /** An answer under which the part fits. */
  fitting: string;
}

/** A part that needs one more answer about a year/make/model, which that answer settles. */
export async function findQuestion(request: APIRequestContext): Promise<Question> {
  for (const slug of ["oil-filter", "spark-plug", "engine-air-filter", "brake-pads", "ignition-coil", "battery"]) {
    const page = await (await request.get(`${base()}/api/parts`, { params: { part_type: slug, per_page: 100 } })).json();
    for (const item of page.items) {
      const detail = await (await request.get(`${base()}/api/parts/${item.id}`)).json();
      for (const fit of detail.fitment.slice(0, 3)) {
        const vehicle = { year: fit.year_start, make: fit.make, model: fit.model };
        const check = await (await request.post(`${base()}/api/fit-check`, { data: { part_id: item.id, ...vehicle } })).json();
        if (check.verdict !== "need_more_information" || !check.ask_next) continue;
        const configs = await (await request.get(`${base()}/api/vehicles/configurations`, { params: vehicle })).json();
        const fitting = configs.find((c: { id: number }) => check.matching_vehicle_ids.includes(c.id));
        const value = fitting?.[check.ask_next];
        if (value === null || value === undefined || !["submodel", "engine_liters", "drive"].includes(check.ask_next)) continue;
        // One answer must settle it (a second question, say the fuel of a hybrid twin, is
        // the storefront's right answer, but not this test's story).
        const answered = { part_id: item.id, ...vehicle, [check.ask_next]: value };
        const settled = await (await request.post(`${base()}/api/fit-check`, { data: answered })).json();
        if (settled.verdict !== "fits") continue;
        return { partId: item.id, title: item.title, slug, ...vehicle, attribute: check.ask_next, fitting: String(value) };
      }
    }
  }
  throw new Error("the demo store has no part that needs more information");
}

/** A priced part in stock that fits a known vehicle configuration (by the API's own fit check). */
export async function fittingPart(request: APIRequestContext): Promise<{ partId: number; title: string; vehicleId: number }> {
  const page = await (await request.get(`${base()}/api/parts`, { params: { per_page: 100, part_type: "oil-filter" } })).json();
  for (const item of page.items) {
    if (item.price === null || item.stock < 1) continue;
    const detail = await (await request.get(`${base()}/api/parts/${item.id}`)).json();
    for (const fit of detail.fitment.slice(0, 2)) {
      const configs = await (await request.get(`${base()}/api/vehicles/configurations`, { params: { year: fit.year_start, make: fit.make, model: fit.model } })).json();
      for (const config of configs.slice(0, 4)) {
        const check = await (await request.post(`${base()}/api/fit-check`, { data: { part_id: item.id, vehicle_id: config.id } })).json();
        if (check.verdict === "fits") return { partId: item.id, title: item.title, vehicleId: config.id };
      }
    }
  }
  throw new Error("the demo store has no priced oil filter in stock that fits a configuration");
}
