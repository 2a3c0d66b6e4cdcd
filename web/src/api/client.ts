// The typed API client: paths and bodies come from the generated schema (schema.d.ts),
// never from hand-written types. Same origin: the API serves this app.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? "",
  fetch: (request) => globalThis.fetch(request), // looked up per call (tests stub it)
});

type Schemas = components["schemas"];
export type Vehicle = Schemas["Vehicle"];
export type Engine = Schemas["Engine"];
export type VinDecode = Schemas["VinDecode"];
export type PartSummary = Schemas["PartSummary"];
export type PartSearch = Schemas["PartSearch"];
export type PartDetail = Schemas["PartDetail"];
export type FitmentRange = Schemas["FitmentRange"];
export type FitRequest = Schemas["FitRequest"];
export type FitCheck = Schemas["FitCheck"];
export type Evidence = Schemas["Evidence"];

/** An API error, with the problem's detail when the server sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The data of an openapi-fetch result, or an ApiError carrying the problem's detail. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined && result.response.ok) return result.data;
  const error = result.error as { detail?: unknown } | undefined;
  const detail = typeof error?.detail === "string" ? error.detail : result.response.statusText;
  throw new ApiError(result.response.status, detail || `HTTP ${result.response.status}`);
}
