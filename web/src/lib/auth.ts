// A browser session against /api/auth, shared by the console and the storefront: the
// access token lives in the session's memory only; the refresh token is the HttpOnly
// am_refresh cookie, renewed by POST /api/auth/refresh with the am_csrf cookie repeated
// in X-CSRF-Token (double submit). Refreshes are serialized within the tab (one shared
// promise) and across tabs (a Web Lock): a refresh token presented twice ends the session.
import createClient from "openapi-fetch";
import { useEffect, useSyncExternalStore } from "react";
import { api, ApiError } from "../api/client";
import type { components, paths } from "../api/schema";

export type Me = components["schemas"]["Me"];
export type Role = components["schemas"]["Role"];
type Tokens = components["schemas"]["Tokens"];

export type SessionState =
  | { status: "checking" }
  | { status: "signed-out"; reason?: string }
  | { status: "signed-in"; user: Me };

export interface SessionOptions {
  /** Which accounts this app takes; another is signed out again with `refusal`. */
  admit?: (role: Role) => boolean;
  refusal?: string;
}

export interface Session {
  subscribe: (listener: () => void) => () => void;
  snapshot: () => SessionState;
  /** New tokens from the refresh cookie; false (and signed out) when there is none or it is spent. */
  refresh: () => Promise<boolean>;
  /** Sign in; an ApiError with the server's words when refused. */
  login: (email: string, password: string) => Promise<Me>;
  /** End the session on the server (its tokens stop working at once) and forget the token. */
  logout: () => Promise<void>;
  /** The access token (for XMLHttpRequest, which openapi-fetch cannot make); null when signed out. */
  accessToken: () => string | null;
  /** fetch with the access token when there is one; a 401 refreshes once and tries again. */
  authedFetch: (request: Request) => Promise<Response>;
  /** The typed client whose calls carry the access token. */
  client: ReturnType<typeof createClient<paths>>;
  /** For tests: forget everything. */
  reset: () => void;
}

function csrfCookie(): string | null {
  const match = /(?:^|;\s*)am_csrf=([^;]*)/.exec(globalThis.document?.cookie ?? "");
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

/** One refresh at a time across every tab of this browser (Web Locks): each reads the
 * cookie the one before it rotated, instead of replaying a spent token. Without Web
 * Locks, one at a time within this tab. */
function exclusive<T>(job: () => Promise<T>): Promise<T> {
  const locks = globalThis.navigator?.locks;
  return locks ? (locks.request("automechanica-refresh", job) as Promise<T>) : job();
}

/** The server's refusal of a sign-in, in words a person can act on. */
export function signInError(response: Response, error: unknown): ApiError {
  if (response.status === 429) {
    const wait = Number(response.headers.get("Retry-After"));
    const minutes = Number.isFinite(wait) && wait > 0 ? Math.ceil(wait / 60) : null;
    return new ApiError(429, `Too many failed sign-ins. Try again${minutes ? ` in ${minutes} minute${minutes > 1 ? "s" : ""}` : " later"}.`);
  }
  if (response.status === 401) return new ApiError(401, "Wrong email or password.");
  if (response.status === 422) return new ApiError(422, "Enter a valid email address and your password.");
  const detail = (error as { detail?: unknown } | undefined)?.detail;
  return new ApiError(response.status, typeof detail === "string" ? detail : `Sign-in failed (HTTP ${response.status}).`);
}

export function createSession({ admit = () => true, refusal = "This account cannot sign in here." }: SessionOptions = {}): Session {
  let token: string | null = null;
  let state: SessionState = { status: "checking" };
  let refreshing: Promise<boolean> | null = null;
  const listeners = new Set<() => void>();

  function set(next: SessionState): void {
    state = next;
    for (const listener of listeners) listener();
  }

  function accept(tokens: Tokens): void {
    token = tokens.access_token;
    set({ status: "signed-in", user: tokens.user });
  }

  function refresh(): Promise<boolean> {
    refreshing ??= exclusive(async () => {
      try {
        const csrf = csrfCookie();
        if (!csrf) return false;
        const { data, response } = await api.POST("/api/auth/refresh", { body: {}, headers: { "X-CSRF-Token": csrf } });
        if (!response.ok || !data || !admit(data.user.role)) return false;
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

  async function logout(): Promise<void> {
    const held = token;
    token = null;
    if (held) {
      await globalThis
        .fetch(new Request(`${globalThis.location?.origin ?? ""}/api/auth/logout`, { method: "POST", headers: { Authorization: `Bearer ${held}` } }))
        .catch(() => undefined);
    }
    set({ status: "signed-out" });
  }

  async function login(email: string, password: string): Promise<Me> {
    const { data, error, response } = await api.POST("/api/auth/login", { body: { email, password } });
    if (!response.ok || !data) throw signInError(response, error);
    if (!admit(data.user.role)) {
      token = data.access_token;
      await logout();
      throw new ApiError(403, refusal);
    }
    accept(data);
    return data.user;
  }

  function send(request: Request): Promise<Response> {
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return globalThis.fetch(request);
  }

  async function authedFetch(request: Request): Promise<Response> {
    // A call made while the session is being restored waits for it: a signed-in
    // customer's cart must not be asked for as a guest's (a 404 would forget it).
    if (!token && state.status === "checking") await refresh();
    if (!token) return globalThis.fetch(request); // signed out: the call goes as a guest's
    const again = request.clone();
    const response = await send(request);
    if (response.status !== 401) return response;
    return (await refresh()) ? send(again) : response;
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshot: () => state,
    refresh,
    login,
    logout,
    accessToken: () => token,
    authedFetch,
    client: createClient<paths>({ baseUrl: globalThis.location?.origin ?? "", fetch: (request) => authedFetch(request) }),
    reset() {
      token = null;
      refreshing = null;
      state = { status: "checking" };
    },
  };
}

/** The session's state, restored once from the refresh cookie when first used. */
export function useSessionState(session: Session): SessionState {
  const state = useSyncExternalStore(session.subscribe, session.snapshot, session.snapshot);
  useEffect(() => {
    if (session.snapshot().status === "checking") void session.refresh();
  }, [session]);
  return state;
}
