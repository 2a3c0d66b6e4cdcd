// A vehicle in the garage: an exact catalog configuration (id), or year/make/model
// plus whatever the shopper has told us so far (attrs: submodel, engine_liters, drive…).
import type { FitRequest, Vehicle } from "../../api/client";
import { liters } from "../../lib/format";

export interface GarageVehicle {
  /** The id in the URL (?vehicle=): the configuration id, or an encoded partial vehicle. */
  key: string;
  id: number | null;
  year: number;
  make: string;
  model: string;
  attrs: Record<string, string>;
}

/** Fit-check accepts these attributes for a vehicle given by year/make/model. */
const REQUEST_ATTRS = ["submodel", "engine_liters", "drive"] as const;
const SEP = "~";

function partialKey(year: number, make: string, model: string, attrs: Record<string, string>) {
  const extra = Object.entries(attrs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  return [String(year), make, model, ...extra].join(SEP);
}

export function partialVehicle(
  year: number,
  make: string,
  model: string,
  attrs: Record<string, string> = {},
): GarageVehicle {
  return { key: partialKey(year, make, model, attrs), id: null, year, make, model, attrs };
}

export function fromConfiguration(v: Vehicle): GarageVehicle {
  const attrs: Record<string, string> = {};
  if (v.submodel) attrs.submodel = v.submodel;
  if (v.engine_liters !== null) attrs.engine_liters = String(v.engine_liters);
  if (v.drive) attrs.drive = v.drive;
  return { key: String(v.id), id: v.id, year: v.year, make: v.make, model: v.model, attrs };
}

/** A key from the URL: a configuration id (to be looked up) or a partial vehicle. */
export function parseKey(key: string): { id: number } | GarageVehicle | null {
  if (/^\d{1,10}$/.test(key)) return { id: Number(key) };
  const [year, make, model, ...rest] = key.split(SEP);
  if (!year || !/^\d{4}$/.test(year) || !make || !model) return null;
  const attrs: Record<string, string> = {};
  for (const pair of rest) {
    const at = pair.indexOf("=");
    if (at > 0) attrs[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return partialVehicle(Number(year), make, model, attrs);
}

/** "2015 Honda Civic EX 1.8L": the vehicle in words. */
export function vehicleLabel(v: GarageVehicle): string {
  const engine = liters(v.attrs.engine_liters);
  return [v.year, v.make, v.model, v.attrs.submodel, engine, v.attrs.drive]
    .filter((part) => part !== undefined && part !== null && part !== "")
    .join(" ");
}

export function fitRequest(v: GarageVehicle, partId: number): FitRequest {
  if (v.id !== null) return { part_id: partId, vehicle_id: v.id };
  const request: FitRequest = { part_id: partId, year: v.year, make: v.make, model: v.model };
  for (const name of REQUEST_ATTRS) {
    const value = v.attrs[name];
    if (value === undefined) continue;
    if (name === "engine_liters") request.engine_liters = Number(value);
    else request[name] = value;
  }
  return request;
}

function same(configValue: unknown, answer: string): boolean {
  if (configValue === null || configValue === undefined) return false;
  const a = Number(configValue);
  const b = Number(answer);
  if (Number.isFinite(a) && Number.isFinite(b) && answer.trim() !== "") return a === b;
  return String(configValue).toLowerCase() === answer.toLowerCase();
}

/** The vehicle narrowed by the shopper's answers: the one configuration left, or the
 * partial vehicle with the answers added. */
export function narrow(
  v: GarageVehicle,
  answers: Record<string, string>,
  configurations: Vehicle[],
): GarageVehicle {
  const attrs = { ...v.attrs, ...answers };
  const left = configurations.filter((c) =>
    Object.entries(attrs).every(([k, want]) => same((c as unknown as Record<string, unknown>)[k], want)),
  );
  const only = left[0];
  if (left.length === 1 && only) return fromConfiguration(only);
  return partialVehicle(v.year, v.make, v.model, attrs);
}
