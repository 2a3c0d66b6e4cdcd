// The console's session: the access token lives in this module's memory only; the
// refresh token is the HttpOnly am_refresh cookie, renewed by POST /api/auth/refresh
// with the am_csrf cookie repeated in X-CSRF-Token (double submit). Refreshes are
// serialized: a second refresh with an already-rotated token would end the session.
import createClient from "openapi-fetch";
import { api, ApiError } from "../../api/client";
import type { components, paths } from "../../api/schema";

export type Me = components["schemas"]["Me"];
export type Role = components["schemas"]["Role"];
type Tokens = components["schemas"]["Tokens"];

export type SessionState =
  | { status: "checking" }
  | { status: "signed-out"; reason?: string }
  | { status: "signed-in"; user: Me };

let token: string | null = null;
let state: SessionState = { status: "checking" };
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

function set(next: SessionState): void {
  state = next;
  for (const listener of listeners) listener();
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const snapshot = (): SessionState => state;

/** Staff only: the console is no place for a customer account. */
export const isStaff = (role: Role): boolean => role === "operator" || role === "admin";

function accept(tokens: Tokens): void {
  token = tokens.access_token;
  set({ status: "signed-in", user: tokens.user });
}

function csrfCookie(): string | null {
  const match = /(?:^|;\s*)am_csrf=([^;]*)/.exec(globalThis.document?.cookie ?? "");
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

/** One refresh at a time across every tab of this browser (Web Locks): each reads the
 * cookie the one before it rotated, instead of replaying a spent token (which would
 * end the session). Without Web Locks, one at a time within this tab. */
function exclusive<T>(job: () => Promise<T>): Promise<T> {
  const locks = globalThis.navigator?.locks;
  return locks ? (locks.request("automechanica-refresh", job) as Promise<T>) : job();
}

/** New tokens from the refresh cookie; false (and signed out) when there is none or it is spent. */
export function refresh(): Promise<boolean> {
  refreshing ??= exclusive(async () => {
    try {
      const csrf = csrfCookie();
      if (!csrf) return false;
      const { data, response } = await api.POST("/api/auth/refresh", { body: {}, headers: { "X-CSRF-Token": csrf } });
      if (!response.ok || !data || !isStaff(data.user.role)) return false;
      accept(data);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  }).then((ok) => {
    if (!ok) {
      token = null;
      set({ status: "signed-out", ...(state.status === "signed-in" ? { reason: "Your session ended. Sign in again." } : {}) });
    }
    return ok;
  });
  return refreshing;
}

/** Sign in; an ApiError with the server's words when refused. */
export async function login(email: string, password: string): Promise<Me> {
  const { data, error, response } = await api.POST("/api/auth/login", { body: { email, password } });
  if (!response.ok || !data) {
    if (response.status === 429) {
      const wait = Number(response.headers.get("Retry-After"));
      const minutes = Number.isFinite(wait) && wait > 0 ? Math.ceil(wait / 60) : null;
      throw new ApiError(429, `Too many failed sign-ins. Try again${minutes ? ` in ${minutes} minute${minutes > 1 ? "s" : ""}` : " later"}.`);
    }
    if (response.status === 401) throw new ApiError(401, "Wrong email or password.");
    if (response.status === 422) throw new ApiError(422, "Enter a valid email address and your password.");
    const detail = (error as { detail?: unknown } | undefined)?.detail;
    throw new ApiError(response.status, typeof detail === "string" ? detail : `Sign-in failed (HTTP ${response.status}).`);
  }
  if (!isStaff(data.user.role)) {
    token = data.access_token;
    await logout();
    throw new ApiError(403, "This is a customer account; the console is for store staff.");
  }
  accept(data);
  return data.user;
}

/** End the session on the server (its tokens stop working at once) and forget the token. */
export async function logout(): Promise<void> {
  const held = token;
  token = null;
  if (held) {
    await globalThis
      .fetch(new Request(`${globalThis.location?.origin ?? ""}/api/auth/logout`, { method: "POST", headers: { Authorization: `Bearer ${held}` } }))
      .catch(() => undefined);
  }
  set({ status: "signed-out" });
}

/** The access token, for the one call openapi-fetch cannot make: a feed upload with
 * progress events (XMLHttpRequest). Null when signed out. */
export const accessToken = (): string | null => token;

function send(request: Request): Promise<Response> {
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  return globalThis.fetch(request);
}

/** fetch with the access token; a 401 refreshes once (serialized) and tries again. */
export async function authedFetch(request: Request): Promise<Response> {
  const again = request.clone();
  const response = await send(request);
  if (response.status !== 401) return response;
  return (await refresh()) ? send(again) : response;
}

/** The typed client for the console's calls: every request carries the access token. */
export const adminApi = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? "",
  fetch: (request) => authedFetch(request),
});

/** For tests: forget everything. */
export function resetSession(): void {
  token = null;
  refreshing = null;
  state = { status: "checking" };
}
